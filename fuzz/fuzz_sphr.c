/* libFuzzer target: the SPHR package reader (libzip from memory, the entry
 * checks, index.phr NDJSON), seeded with a package the service exported and
 * a hand-made one. */
#include <stddef.h>
#include <stdint.h>

#include "formats/sphr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct sphr_pkg p;
    struct fault fault;
    if (sphr_read((const char *)data, size, &p, &fault) == 0)
        sphr_pkg_free(&p);
    return 0;
}
