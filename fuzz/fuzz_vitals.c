/* libFuzzer target: a submitted FHIR Observation (strict JSON, vital-sign
 * validation), seeded from the HL7 and JP Core vital-sign examples. */
#include <stddef.h>
#include <stdint.h>

#include "formats/vitals.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct vital v;
    struct issue is;
    if (vitals_parse((const char *)data, size, 1800000000000LL, 540, &v, &is) == 0)
        vital_free(&v);
    return 0;
}
