/* libFuzzer target: the file readers of checkups and FHIR — 特定健診 CDA (XML
 * parsing, schema validation, mapping) and FHIR R4 JSON files (Bundles or
 * single resources: checkup results, vital signs, medication,
 * immunisation) — seeded from MHLW's skeleton, the synthetic checkup, the
 * 健診結果報告書 sample and JP Core examples. */
#include <stddef.h>
#include <stdint.h>

#include "formats/cda.h"
#include "formats/cda_schema.h"
#include "formats/fhir_import.h"

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
    struct fault fault;
    if (cda_read((const char *)data, size, &c, &fault) == 0)
        cda_checkup_free(&c);
    struct fhir_doc d;
    if (fhir_import_read((const char *)data, size, 1800000000000LL, &d, &fault) == 0)
        fhir_doc_free(&d);
    return 0;
}
