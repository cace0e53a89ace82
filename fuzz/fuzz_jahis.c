/* libFuzzer target: the JAHIS お薬手帳 reader (encoding detection and
 * Shift_JIS conversion, record checks, joining split parts) and the FHIR
 * resources made of what it reads, seeded from the JAHIS samples in UTF-8
 * and in Shift_JIS with CRLF. */
#include <stddef.h>
#include <stdint.h>

#include "formats/jahis.h"
#include "formats/medication_fhir.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct jahis_doc d;
    struct fault fault;
    if (jahis_read((const char *)data, size, &d, &fault))
        return 0;
    struct import_meta m = {.person_id = "p", .document_id = "d", .source = "medical-institution",
                            .recorded_by = "person:p", .channel = "fuzz", .sha256_hex = "00",
                            .content_type = "text/plain", .format = "jahis-tc"};
    struct buf b = {0};
    for (size_t i = 0; i < d.ndispensings; i++)
        for (size_t k = 0; k < d.dispensings[i].ndrugs; k++) {
            if (medication_dispense(&b, "x", &m, &d.dispensings[i], &d.dispensings[i].drugs[k]))
                __builtin_trap();
            b.len = 0;
        }
    for (size_t i = 0; i < d.notc; i++) {
        if (medication_statement(&b, "x", &m, &d.otc[i]))
            __builtin_trap();
        b.len = 0;
    }
    if (medication_document(&b, &m, &d, "2026-01-01", size))
        __builtin_trap();
    buf_free(&b);
    jahis_doc_free(&d);
    return 0;
}
