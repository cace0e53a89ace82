/* libFuzzer target: the import sniffer — any file handed to POST
 * /api/v1/imports is told apart by its first bytes and read by its
 * format's reader (CDA, FHIR, JAHIS, device CSV, Open mHealth) — seeded
 * with every other target's seeds, so each reader is reached through it. */
#include <stddef.h>
#include <stdint.h>

#include "formats/cda_schema.h"
#include "service/import_parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int loaded;
    if (!loaded && cda_schema_load() != 0)
        __builtin_trap();
    loaded = 1;
    struct parsed p;
    struct fault fault;
    if (import_parse((const char *)data, size, &p, &fault) == 0)
        (void)import_records(&p);
    import_parsed_free(&p);
    return 0;
}
