/* libFuzzer target: a transaction or batch Bundle as POST /fhir takes it,
 * read (every entry's method, url, resource) and its urn:uuid references
 * resolved with an id for every creating entry. */
#include <stddef.h>
#include <stdint.h>

#include "formats/tx_bundle.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct tx_bundle b;
    struct fault fault;
    if (tx_bundle_parse((const char *)data, size, &b, &fault) == 0) {
        const char *ids[TX_BUNDLE_MAX_ENTRIES];
        for (int i = 0; i < b.n; i++)
            ids[i] = b.e[i].method == TX_POST ? "0193a1b2-0000-7000-8000-000000000001" : NULL;
        tx_bundle_resolve(&b, ids);
    }
    tx_bundle_free(&b);
    return 0;
}
