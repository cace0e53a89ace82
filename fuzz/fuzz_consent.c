/* libFuzzer target: a consent request and a policy manifest, the two JSON
 * documents of the consent API and the operator's publish command. */
#include <stddef.h>
#include <stdint.h>

#include "formats/policy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct consent_request req;
    struct policy_set set;
    struct issue is;
    consent_request_parse((const char *)data, size, &req, &is);
    if (policy_parse((const char *)data, size, &set, &is) == 0)
        policy_free(&set);
    return 0;
}
