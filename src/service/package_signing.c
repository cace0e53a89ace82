/* The service's signature on its SPHR packages: a detached JWS over each
 * index (whose files it names with their SHA-256), Ed25519 under a key the
 * master key derives for this alone (crypto/keys.h), so that a package a
 * person carries away can be shown unchanged — to this service on import,
 * and to anyone with the public keys it publishes (GET
 * /.well-known/phr-package-keys: the current key's and each old key's
 * still loaded for rotation). */
#include <stdio.h>
#include <string.h>

#include "crypto/detached_jws.h"
#include "crypto/keys.h"
#include "formats/sphr.h"
#include "service/internal.h"
#include "util/err.h"

static void sign_with(const void *key, const unsigned char *msg, size_t len, unsigned char sig[JWS_ED25519_SIG])
{
    mkey_sign(key, msg, len, sig);
}

void package_signer(struct service *svc, struct jws_signer *out)
{
    unsigned char pk[MKEY_SIGN_PUBLIC_BYTES];
    mkey_sign_public(svc->mk, pk);
    jws_ed25519_kid(pk, out->kid);
    out->sign = sign_with;
    out->key = svc->mk;
}

/* The loaded master keys: the current one, then the old ones. */
static const struct master_key *key_at(const struct service *svc, size_t i)
{
    return i == 0 ? svc->mk : i <= svc->nold ? svc->old_keys[i - 1] : NULL;
}

int package_keys_jwks(struct service *svc, struct buf *out)
{
    int e = buf_puts(out, "{\"keys\":[");
    for (size_t i = 0; !e && key_at(svc, i); i++) {
        unsigned char pk[MKEY_SIGN_PUBLIC_BYTES];
        mkey_sign_public(key_at(svc, i), pk);
        e = (i && buf_puts(out, ",")) || jws_ed25519_jwk(pk, out);
    }
    return e || buf_puts(out, "]}") ? PHR_ENOMEM : PHR_OK;
}

/* One signature: "verified", or why it cannot be ("unknown-key": not one
 * of this service's; "unsupported-algorithm"); -1 with the fault when one
 * of this service's keys signed an index that is not the one it signed. */
static int verify_one(struct service *svc, const struct sphr_signature *g, const char **status, struct fault *fault)
{
    if (strcmp(g->jws.alg, "EdDSA")) {
        *status = "unsupported-algorithm";
        return 0;
    }
    for (size_t i = 0; key_at(svc, i); i++) {
        unsigned char pk[MKEY_SIGN_PUBLIC_BYTES];
        char kid[JWS_KID_LEN + 1];
        mkey_sign_public(key_at(svc, i), pk);
        jws_ed25519_kid(pk, kid);
        if (strcmp(kid, g->jws.kid))
            continue;
        if (jws_detached_verify(&g->jws, pk))
            return fault_set(fault, F_INVALID_VALUE, NULL,
                             "%.80s.jws: the signature does not verify: the package was changed after this "
                             "service signed it",
                             g->index);
        *status = "verified";
        return 0;
    }
    *status = "unknown-key";
    return 0;
}

int package_verify(struct service *svc, const struct sphr_pkg *pkg, struct buf *report, struct fault *fault)
{
    for (size_t i = 0; i < pkg->nsigs; i++) {
        const char *status;
        if (verify_one(svc, &pkg->sigs[i], &status, fault))
            return -1;
        if (buf_puts(report, i ? ",{\"index\":" : "{\"index\":") || buf_json_str(report, pkg->sigs[i].index) ||
            buf_printf(report, ",\"signature\":\"%s\",\"kid\":", status) ||
            buf_json_str(report, pkg->sigs[i].jws.kid) || buf_puts(report, "}"))
            return fault_set(fault, F_INTERNAL, NULL, "out of memory");
    }
    return 0;
}
