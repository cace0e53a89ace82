#include "crypto/jws.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cjose/cjose.h>
#include <json-c/json.h>

#include "util/err.h"

#define JWKS_MAX_KEYS 8

/* The algorithms accepted, each with the key it needs. */
static const struct {
    const char *alg;
    cjose_jwk_kty_t kty;
    int curve; /* for EC: the cjose curve; -1 for RSA */
} algs[] = {
    {"RS256", CJOSE_JWK_KTY_RSA, -1},           {"RS384", CJOSE_JWK_KTY_RSA, -1},
    {"RS512", CJOSE_JWK_KTY_RSA, -1},           {"ES256", CJOSE_JWK_KTY_EC, CJOSE_JWK_EC_P_256},
    {"ES384", CJOSE_JWK_KTY_EC, CJOSE_JWK_EC_P_384}, {"ES512", CJOSE_JWK_KTY_EC, CJOSE_JWK_EC_P_521},
};

/* base64url text libcjose can decode: its alphabet only, and never a
 * length of 1 mod 4, which cjose's decoder asserts against (a remote
 * abort, found by fuzz/fuzz_oauth.c). */
static int b64url_ok(const char *s, size_t n)
{
    static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    for (size_t i = 0; i < n; i++)
        if (!s[i] || !strchr(alphabet, s[i]))
            return 0;
    return n % 4 != 1;
}

/* header.payload.signature, each part base64url: anything else never
 * reaches cjose. */
static int compact_ok(const char *compact)
{
    const char *p = compact;
    for (int part = 0; part < 3; part++) {
        size_t n = strcspn(p, ".");
        if (!b64url_ok(p, n) || (part < 2 ? p[n] != '.' : p[n] != '\0'))
            return 0;
        p += n + (part < 2);
    }
    return 1;
}

static int alg_index(const char *alg)
{
    for (size_t i = 0; i < sizeof algs / sizeof algs[0]; i++)
        if (alg && !strcmp(algs[i].alg, alg))
            return (int)i;
    return -1;
}

/* One key of a JWKS, imported; NULL if it is not an RSA or EC key cjose
 * can read. */
static cjose_jwk_t *import_key(json_object *k)
{
    /* The key's base64url members, checked before cjose decodes them. */
    static const char *const coded[] = {"n", "e", "x", "y", "d", "p", "q", "dp", "dq", "qi", "k"};
    for (size_t i = 0; i < sizeof coded / sizeof coded[0]; i++) {
        json_object *v;
        if (json_object_object_get_ex(k, coded[i], &v) &&
            (!json_object_is_type(v, json_type_string) ||
             !b64url_ok(json_object_get_string(v), (size_t)json_object_get_string_len(v))))
            return NULL;
    }
    const char *text = json_object_to_json_string_ext(k, JSON_C_TO_STRING_PLAIN);
    cjose_err err;
    cjose_jwk_t *jwk = cjose_jwk_import(text, strlen(text), &err);
    if (!jwk)
        return NULL;
    cjose_jwk_kty_t kty = cjose_jwk_get_kty(jwk, &err);
    if (kty != CJOSE_JWK_KTY_RSA && kty != CJOSE_JWK_KTY_EC) {
        cjose_jwk_release(jwk);
        return NULL;
    }
    return jwk;
}

static const char *member(json_object *o, const char *name)
{
    json_object *v;
    return json_object_object_get_ex(o, name, &v) && json_object_is_type(v, json_type_string)
               ? json_object_get_string(v)
               : NULL;
}

int jwks_check(const char *jwks, const char **why)
{
    *why = NULL;
    json_object *root = jwks ? json_tokener_parse(jwks) : NULL, *keys = NULL;
    int err = PHR_EINVAL;
    if (!root || !json_object_object_get_ex(root, "keys", &keys) || !json_object_is_type(keys, json_type_array)) {
        *why = "a JWKS is {\"keys\": [ ... ]}";
        goto out;
    }
    size_t n = json_object_array_length(keys);
    if (n == 0 || n > JWKS_MAX_KEYS) {
        *why = "a JWKS holds 1 to 8 keys";
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        json_object *k = json_object_array_get_idx(keys, i), *d;
        if (!json_object_is_type(k, json_type_object)) {
            *why = "each key is a JSON object";
            goto out;
        }
        if (json_object_object_get_ex(k, "d", &d) || json_object_object_get_ex(k, "k", &d)) {
            *why = "a key holds a private or secret part: register public keys only";
            goto out;
        }
        const char *alg = member(k, "alg");
        if (alg && alg_index(alg) < 0) {
            *why = "a key's alg is not one of RS256, RS384, RS512, ES256, ES384, ES512";
            goto out;
        }
        if (n > 1 && !member(k, "kid")) {
            *why = "with several keys, each needs its kid";
            goto out;
        }
        for (size_t j = 0; j < i && n > 1; j++)
            if (!strcmp(member(k, "kid"), member(json_object_array_get_idx(keys, j), "kid"))) {
                *why = "two keys have the same kid";
                goto out;
            }
        cjose_jwk_t *jwk = import_key(k);
        if (!jwk) {
            *why = "a key is not an RSA or EC public key in JWK form";
            goto out;
        }
        cjose_jwk_release(jwk);
    }
    err = PHR_OK;
out:
    json_object_put(root);
    return err;
}

int jws_header_of(const char *compact, struct jws_header *out)
{
    memset(out, 0, sizeof *out);
    cjose_err err;
    cjose_jws_t *jws = compact && compact_ok(compact) ? cjose_jws_import(compact, strlen(compact), &err) : NULL;
    if (!jws)
        return PHR_EINVAL;
    cjose_header_t *h = cjose_jws_get_protected(jws);
    const char *alg = h ? cjose_header_get(h, CJOSE_HDR_ALG, &err) : NULL;
    const char *kid = h ? cjose_header_get(h, CJOSE_HDR_KID, &err) : NULL;
    int rc = alg && strlen(alg) < sizeof out->alg && (!kid || strlen(kid) < sizeof out->kid) ? PHR_OK : PHR_EINVAL;
    if (rc == PHR_OK) {
        snprintf(out->alg, sizeof out->alg, "%s", alg);
        snprintf(out->kid, sizeof out->kid, "%s", kid ? kid : "");
        const char *jku = h ? cjose_header_get(h, "jku", &err) : NULL;
        out->has_jku = jku != NULL;
        if (jku && strlen(jku) < sizeof out->jku)
            snprintf(out->jku, sizeof out->jku, "%s", jku);
    }
    cjose_jws_release(jws);
    return rc;
}

/* The payload of an imported JWS, copied and NUL-terminated. */
static int payload_of(cjose_jws_t *jws, char **payload)
{
    cjose_err err;
    uint8_t *plain = NULL;
    size_t len = 0;
    if (!cjose_jws_get_plaintext(jws, &plain, &len, &err))
        return PHR_EINVAL;
    if (!(*payload = malloc(len + 1)))
        return PHR_ENOMEM;
    memcpy(*payload, plain, len);
    (*payload)[len] = '\0';
    return PHR_OK;
}

int jws_claims_unverified(const char *compact, char **payload)
{
    *payload = NULL;
    cjose_err err;
    cjose_jws_t *jws = compact && compact_ok(compact) ? cjose_jws_import(compact, strlen(compact), &err) : NULL;
    if (!jws)
        return PHR_EINVAL;
    int rc = payload_of(jws, payload);
    cjose_jws_release(jws);
    return rc;
}

/* Whether jwk may verify under algs[a]: its type and curve, and its own
 * alg if it names one. */
static int key_fits(cjose_jwk_t *jwk, json_object *k, int a)
{
    cjose_err err;
    if (cjose_jwk_get_kty(jwk, &err) != algs[a].kty)
        return 0;
    if (algs[a].curve >= 0 && (int)cjose_jwk_EC_get_curve(jwk, &err) != algs[a].curve)
        return 0;
    const char *alg = member(k, "alg");
    return !alg || !strcmp(alg, algs[a].alg);
}

int jws_verify(const char *compact, const char *jwks, char **payload)
{
    *payload = NULL;
    struct jws_header hdr;
    int a;
    if (jws_header_of(compact, &hdr) || (a = alg_index(hdr.alg)) < 0)
        return PHR_EINVAL;
    cjose_err err;
    cjose_jws_t *jws = cjose_jws_import(compact, strlen(compact), &err);
    json_object *root = jwks ? json_tokener_parse(jwks) : NULL, *keys = NULL;
    int rc = PHR_ECRYPTO;
    if (!jws || !root || !json_object_object_get_ex(root, "keys", &keys) ||
        !json_object_is_type(keys, json_type_array))
        goto out;
    for (size_t i = 0; rc != PHR_OK && i < json_object_array_length(keys) && i < JWKS_MAX_KEYS; i++) {
        json_object *k = json_object_array_get_idx(keys, i);
        const char *kid = member(k, "kid");
        if (hdr.kid[0] && (!kid || strcmp(kid, hdr.kid)))
            continue;
        cjose_jwk_t *jwk = import_key(k);
        if (jwk && key_fits(jwk, k, a) && cjose_jws_verify(jws, jwk, &err))
            rc = PHR_OK;
        if (jwk)
            cjose_jwk_release(jwk);
    }
    if (rc == PHR_OK && (rc = payload_of(jws, payload)) == PHR_EINVAL)
        rc = PHR_ECRYPTO;
out:
    if (jws)
        cjose_jws_release(jws);
    json_object_put(root);
    return rc;
}
