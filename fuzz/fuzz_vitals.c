/* libFuzzer target: vital signs as they arrive — a submitted FHIR
 * Observation (strict JSON, vital-sign validation), a CSV of measurements
 * (RFC 4180 fields, header mapping, each row validated) and Open mHealth
 * data points (each mapped and validated) — seeded from the HL7 and JP
 * Core vital-sign examples, device CSVs and synthetic data points. */
#include <stddef.h>
#include <stdint.h>

#include "formats/device_csv.h"
#include "formats/omh.h"
#include "formats/vitals.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A measurement that passed the checks once passes them again when it is
 * stored: anything else is a finding. */
static void reopen(struct csv_vitals *c)
{
    for (size_t k = 0; k < c->n; k++) {
        struct vital v;
        struct fault fault;
        if (csv_vital_open(c, k, &v, &fault))
            __builtin_trap();
        vital_free(&v);
    }
    csv_vitals_free(c);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct vital v;
    struct fault fault;
    if (vitals_parse((const char *)data, size, 1800000000000LL, 540, &v, &fault) == 0)
        vital_free(&v);
    struct csv_vitals c;
    if (csv_read((const char *)data, size, 1800000000000LL, &c, &fault) == 0)
        reopen(&c);
    if (omh_read((const char *)data, size, 1800000000000LL, &c, &fault) == 0)
        reopen(&c);
    return 0;
}
