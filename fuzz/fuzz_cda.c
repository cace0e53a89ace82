/* libFuzzer target: the checkup readers — 特定健診 CDA (XML parsing, schema
 * validation, mapping) and FHIR Bundles of checkup results — seeded from
 * MHLW's skeleton, the synthetic checkup and the 健診結果報告書 sample. */
#include <stddef.h>
#include <stdint.h>

#include "formats/cda.h"
#include "formats/cda_schema.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int loaded;
    if (!loaded) {
        if (cda_schema_load() != 0)
            __builtin_trap();
        loaded = 1;
    }
    struct cda_checkup c;
    struct issue is;
    if (cda_read((const char *)data, size, &c, &is) == 0)
        cda_checkup_free(&c);
    if (checkup_bundle_read((const char *)data, size, &c, &is) == 0)
        cda_checkup_free(&c);
    return 0;
}
