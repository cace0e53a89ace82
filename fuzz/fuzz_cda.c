/* libFuzzer target: the 特定健診 CDA reader (XML parsing, schema validation,
 * mapping), seeded from MHLW's skeleton and the synthetic checkup. */
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
    return 0;
}
