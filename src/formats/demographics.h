/* What the service knows of a person beyond their records: name (as
 * written and in kana), sex, date of birth, address and phone, and the
 * numbers of their health insurance card (保険者番号, 記号, 番号, 枝番).
 * Taken from the newest checkup or お薬手帳 file (the 特定健診 CDA's
 * recordTarget, the 健診結果報告書's Patient and Coverage, JAHIS record 1)
 * or given by the person (R3.12), kept sealed with the person's data key,
 * and written into the documents the service makes for them (JP_Patient_eCS,
 * the CDA's patient, the お薬手帳's record 1). Anonymised data sets read
 * only sex, birth date, postal code and prefecture. */
#ifndef PHR_DEMOGRAPHICS_H
#define PHR_DEMOGRAPHICS_H

#include <json-c/json.h>

#include "util/buf.h"
#include "util/fault.h"

enum demographics_text {
    DEMO_NAME,           /* 氏名 as written: "健診 太郎" (family name first, a space between) */
    DEMO_NAME_KANA,      /* in katakana: "ケンシン タロウ" */
    DEMO_ADDRESS,        /* the address's text, prefecture first */
    DEMO_PHONE,
    DEMO_INSURER,        /* 保険者番号: 6 or 8 digits */
    DEMO_SYMBOL,         /* 被保険者証等記号 */
    DEMO_NUMBER,         /* 被保険者証等番号 */
    DEMO_BRANCH,         /* 枝番 */
    DEMO_NTEXT
};

struct demographics {
    char sex[8];             /* "male", "female", or "" */
    char birth_date[11];     /* YYYY-MM-DD, or "" */
    char postal_code[9];     /* NNN-NNNN, or "" */
    char prefecture[3];      /* JIS X 0401 "01" … "47", or "" */
    char *text[DEMO_NTEXT];  /* owned; NULL: not known */
    const char *from;        /* where they came from: "cda", "fhir", "jahis", "person" (static) */
    int failed;              /* an allocation failed: sticky, for the reader to check once at its end */
};

/* Each setter keeps the value only when it is well formed, and says so:
 * 0 kept, -1 left as it was. Sex by the MHLW code (1.2.392.200119.6.1104:
 * "1" male, "2" female) or FHIR's gender ("male", "female"); a birth date
 * as YYYYMMDD or YYYY-MM-DD; a postal code of seven digits, with or
 * without the hyphen. */
int demographics_sex(struct demographics *d, const char *code);
int demographics_birth(struct demographics *d, const char *date);
int demographics_postal(struct demographics *d, const char *text);
/* The prefecture an address begins with, or one named or coded alone
 * (formats/prefectures.h). */
int demographics_prefecture(struct demographics *d, const char *text);
/* A text field: well-formed UTF-8 without control characters, within
 * its limit, blanks around it dropped (a phone: digits, '-', '+', '(', ')'
 * and spaces; an insurer number: 6 or 8 digits). n is strlen when given
 * as (size_t)-1. An address also sets the prefecture it begins with. Out
 * of memory, -1 and d->failed set: a reader that passes over what is
 * malformed still fails on that. */
int demographics_set(struct demographics *d, enum demographics_text f, const char *s, size_t n);
/* 1 if anything is known. */
int demographics_any(const struct demographics *d);
/* The person's name for a document: the family and given names, split at
 * the first space (given NULL when there is none). 0, or -1 when no name
 * is known. Both owned by the caller. */
int demographics_name_parts(const struct demographics *d, enum demographics_text f, char **family, char **given);
/* What is known of src replaces the same in d; the rest of d stays. */
int demographics_merge(struct demographics *d, const struct demographics *src);
void demographics_free(struct demographics *d);
/* {"name":…,"sex":…,…,"from":…,"as_of":day} with only what is known. */
int demographics_json(const struct demographics *d, const char *as_of, struct buf *out);
/* The members demographics_json writes ("from" and "as_of" passed over),
 * into d (empty first). A member that is not one of them, not a string, or
 * not well formed is refused naming it: 0, or -1 with the fault set. */
int demographics_parse(struct demographics *d, json_object *o, struct fault *fault);

#endif
