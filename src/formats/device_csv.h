/* Vital signs as CSV (R4.2): what home devices and their apps export, and
 * what GET /api/v1/me/export/observations.csv gives back. The header names
 * the columns, in any order, in English or Japanese:
 *
 *   effective | 日時 | 測定日時 | date     when (FHIR dateTime, or
 *                                        "YYYY/MM/DD HH:MM[:SS]", Japan time)
 *   systolic | 最高血圧, diastolic | 最低血圧   blood pressure, mmHg
 *   pulse | 脈拍 (/min), weight | 体重 (kg), temperature | 体温 (Cel),
 *   spo2 | SpO2 (%), glucose | 血糖 (mg/dL), steps | 歩数
 *   code_system, code, value, unit     one LOINC-coded value per row (the
 *                                      export's own columns)
 *   name, value_system, value_display  with code_system the 特定健診 item
 *                                      table's: a checkup result
 *
 * Each measurement becomes an Observation checked exactly as a submitted
 * one (formats/vitals.h), source "device". Empty cells are no measurement;
 * rows coded with another system than LOINC or the item table are counted
 * as skipped. RFC 4180 quoting; UTF-8 (a BOM is dropped). */
#ifndef PHR_DEVICE_CSV_H
#define PHR_DEVICE_CSV_H

#include <stddef.h>
#include <stdint.h>

#include "formats/vitals.h"

#define CSV_MAX_BYTES (4 * 1024 * 1024)
#define CSV_MAX_MEASUREMENTS 10000

/* The measurements are kept as the Observation texts that passed the
 * checks, not as parsed trees: a tree costs ~20 KB in json-c, and a file of
 * 10,000 held them all at once (246 MB of heap, measured with massif). Each
 * is parsed again, with the same checks, when it is stored. */
#define CHECKUP_ITEM_SYSTEM "urn:oid:1.2.392.200119.6.1005"

struct csv_vitals {
    char **json;                 /* n texts, owned */
    size_t n, rows, skipped;
    struct buf checkups;         /* checkup results: Bundle entries ({"resource":…}, comma-separated) */
    size_t ncheckups, *checkup_lines;  /* and the line of each */
    int64_t lo, hi;              /* the newest measurement */
    int64_t now_ms;              /* the checks' "now", for csv_vital_open */
};

/* 1 if the first line looks like such a header. */
int csv_sniff(const char *data, size_t len);
/* 0, or -1 with the fault naming the line, the column and the rule. */
int csv_read(const char *data, size_t len, int64_t now_ms, struct csv_vitals *out, struct fault *fault);
void csv_vitals_free(struct csv_vitals *c);
/* One more measurement, a submitted Observation's JSON checked as such
 * (formats/vitals.h); cap: c->json's capacity; where names it in a refusal
 * ("line 4"). For the other readers of measurements (formats/omh.c). */
int csv_vitals_add(struct csv_vitals *c, size_t *cap, const char *json, int64_t now_ms, const char *where,
                   struct fault *fault);
/* Measurement k as a vital (free it with vital_free): 0, or -1 with the fault
 * filled (only out of memory: it passed the checks once). */
int csv_vital_open(const struct csv_vitals *c, size_t k, struct vital *out, struct fault *fault);

#endif
