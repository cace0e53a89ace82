/* libFuzzer target: a consent request and a policy manifest, the JSON
 * documents of the consent API, the operator's publish command (texts in
 * files) and a manager's publish over the API (texts inline). */
#include <stddef.h>
#include <stdint.h>

#include "formats/policy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct consent_request req;
    struct policy_set set;
    struct fault fault;
    consent_request_parse((const char *)data, size, &req, &fault);
    if (policy_parse((const char *)data, size, POLICY_TEXTS_IN_FILES, &set, &fault) == 0)
        policy_free(&set);
    if (policy_parse((const char *)data, size, POLICY_TEXTS_INLINE, &set, &fault) == 0) {
        for (size_t i = 0; i < set.ndocs; i++)
            policy_check_text(&set.docs[i], &fault);
        policy_free(&set);
    }
    return 0;
}
