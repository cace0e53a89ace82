/* libFuzzer target: what reaches the token endpoint from outside — the
 * form body (then its scope through the grant), and the client assertion
 * as a compact JWS read before verification, then verified against a
 * registered JWKS. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/jws.h"
#include "formats/form.h"
#include "formats/scopes.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char JWKS[] =
    "{\"keys\":[{\"kty\":\"EC\",\"crv\":\"P-384\",\"kid\":\"k1\",\"alg\":\"ES384\","
    "\"x\":\"3K1Lw7Qkjj5LWSk5NnIwWmkb5Yo2GkcwVtnM8xhhGdM0bI3B632QMZmqtRHQ5APJ\","
    "\"y\":\"CBqiq5QwE8EyUxw2_oDJzVHrY5j22ny9KbRCK5vABppaGO4x8MxnTWfQMtGIbVQN\"}]}";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    struct form f;
    struct fault fault;
    if (form_parse(text, size, &f, &fault) == 0) {
        struct buf granted;
        buf_init(&granted);
        const char *scope = form_get(&f, "scope");
        if (scope && scopes_grant(scope, "system", &granted, &fault) == 0)
            scopes_allow(buf_cstr(&granted), "Observation", 'r');
        if (scope && scopes_grant(scope, "patient", &granted, &fault) == 0)
            scopes_allow(buf_cstr(&granted), "Observation", 'c');
        buf_free(&granted);
        const char *assertion = form_get(&f, "client_assertion");
        char *payload = NULL;
        if (assertion && jws_verify(assertion, JWKS, &payload) == 0)
            free(payload);
        form_free(&f);
    }
    struct jws_header h;
    char *claims = NULL;
    jws_header_of(text, &h);
    if (jws_claims_unverified(text, &claims) == 0)
        free(claims);
    const char *why;
    jwks_check(text, &why);
    free(text);
    return 0;
}
