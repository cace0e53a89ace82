/* What an anonymised data set is to hold, as the information-asset manager
 * writes it (docs/anonymisation.md, "How to write a spec"):
 *
 *   {"name": "checkups-2026",              letters, digits, - and _
 *    "purpose": "research",                optional: only persons with a live grant to it
 *    "period": {"from": "2026-04-01", "to": "2027-03-31"},   checkup days, both included
 *    "items": [{"code": "9N001000000000001", "bottom": 130, "top": 200}, …],
 *    "quasi_identifiers": ["age", "sex", "prefecture", "checkup_year"],
 *    "k": 5, "suppression": 0.05, "metric": "entropy",
 *    "sensitive": "9N006000000000001", "l": 2, "c": 3}      optional: l-diversity
 *
 * sensitive names one of the items: every group of rows alike in the
 * quasi-identifiers holds at least l distinct values of it (distinct
 * l-diversity) or, with c, meets recursive (c,l)-diversity; a checkup
 * without that item is not a row.
 *
 * Items are 特定健診 results by their MHLW code (quantities, or the code of
 * a result from a code list: 尿糖 "1" for －), or
 *   {"vital": "body-weight"}   the mean of the person's measurements of that
 *                              kind (or "systolic", "diastolic") in the
 *                              window_days (default 90) up to the checkup day
 *   {"medication": "214"}      1 if a medicine of that 薬効分類 (3 or 4
 *                              digits) was dispensed in that window, 0 if
 *                              none was, blank if a dispensing's class is not
 *                              known (a code that does not carry it)
 * A value beyond bottom or top is written as that bound ("≥200", "≤130"):
 * the peculiar descriptions (特異な記述) of PPC rule 第34条 item 4. The
 * quasi-identifiers come with built-in hierarchies: age in years at the
 * checkup (5, 10, 20-year bands), sex, postal area (the first three digits
 * of the postal code, then two, then one), prefecture (from the address,
 * then its region), checkup year (2-year spans). */
#ifndef PHR_ANON_SPEC_H
#define PHR_ANON_SPEC_H

#include <stddef.h>
#include <stdint.h>

#include "util/fault.h"

#define ANON_SPEC_MAX_ITEMS 64

enum anon_qi { QI_AGE, QI_SEX, QI_POSTAL_AREA, QI_CHECKUP_YEAR, QI_PREFECTURE, QI_COUNT };

enum anon_item_kind { ITEM_CHECKUP, ITEM_VITAL, ITEM_MEDICATION };

struct anon_item {
    enum anon_item_kind kind;
    char code[32];                       /* the column: the MHLW code, vital:KIND or medication:CLASS */
    char name[96];                       /* what is published of it */
    const char *data_kind;               /* a vital's data kind (formats/data_kinds.h) */
    const char *component;               /* a blood pressure's part: its LOINC code; else NULL */
    char drug_class[5];                  /* a medication item's 薬効分類: 3 or 4 digits */
    int coded;                           /* a checkup result of a code list (CD, CO): its code is the value */
    int has_bottom, has_top;
    double bottom, top;
};

struct anon_spec {
    char name[64], purpose[64];
    char from[11], to[11];               /* YYYY-MM-DD */
    int64_t lo, hi;                      /* those days in Japan, ms */
    struct anon_item items[ANON_SPEC_MAX_ITEMS];
    size_t nitems;
    int qi[QI_COUNT];                    /* which quasi-identifiers, in the spec's order */
    enum anon_qi order[QI_COUNT];
    size_t nqi;
    uint32_t window_days;                /* vitals and medication: the days up to each checkup */
    uint32_t k;
    int sensitive;                       /* index into items, or -1 */
    uint32_t l;                          /* >= 2 with a sensitive item */
    double c;                            /* > 0: recursive (c,l); 0: distinct */
    double suppression;
    int discernibility;                  /* else entropy */
};

/* The quasi-identifier's name in a spec and in the data set's header. */
const char *anon_qi_name(enum anon_qi q);

/* 0, or -1 with the fault naming the member at fault. */
int anon_spec_parse(const char *json, size_t len, struct anon_spec *out, struct fault *fault);

#endif
