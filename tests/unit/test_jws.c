/* crypto/jws: a client assertion verified against its client's JWKS, and
 * what a registration may hold (issue 19 item 4). Keys are made here with
 * libcjose; the tokens are signed with them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <cjose/cjose.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/jws.h"
#include "util/err.h"

static const char CLAIMS[] = "{\"iss\":\"c1\",\"sub\":\"c1\",\"jti\":\"j1\"}";

static cjose_jwk_t *ec_key(cjose_jwk_ec_curve crv, const char *kid)
{
    cjose_err err;
    cjose_jwk_t *k = cjose_jwk_create_EC_random(crv, &err);
    assert_non_null(k);
    if (kid)
        assert_true(cjose_jwk_set_kid(k, kid, strlen(kid), &err));
    return k;
}

static cjose_jwk_t *rsa_key(const char *kid)
{
    static const uint8_t e[] = {1, 0, 1};
    cjose_err err;
    cjose_jwk_t *k = cjose_jwk_create_RSA_random(2048, e, sizeof e, &err);
    assert_non_null(k);
    if (kid)
        assert_true(cjose_jwk_set_kid(k, kid, strlen(kid), &err));
    return k;
}

/* {"keys":[public parts of the given keys]} */
static char *jwks_of(cjose_jwk_t **keys, int n)
{
    static char out[16384];
    cjose_err err;
    size_t len = (size_t)snprintf(out, sizeof out, "{\"keys\":[");
    for (int i = 0; i < n; i++) {
        char *pub = cjose_jwk_to_json(keys[i], false, &err);
        assert_non_null(pub);
        len += (size_t)snprintf(out + len, sizeof out - len, "%s%s", i ? "," : "", pub);
        free(pub);
    }
    snprintf(out + len, sizeof out - len, "]}");
    return out;
}

/* A compact JWS of CLAIMS signed with k under alg, with the key's kid (or
 * extra header fields). */
static char *signed_with(cjose_jwk_t *k, const char *alg, const char *jku)
{
    cjose_err err;
    cjose_header_t *h = cjose_header_new(&err);
    assert_true(cjose_header_set(h, CJOSE_HDR_ALG, alg, &err));
    const char *kid = cjose_jwk_get_kid(k, &err);
    if (kid)
        assert_true(cjose_header_set(h, CJOSE_HDR_KID, kid, &err));
    if (jku)
        assert_true(cjose_header_set(h, "jku", jku, &err));
    cjose_jws_t *jws = cjose_jws_sign(k, h, (const uint8_t *)CLAIMS, strlen(CLAIMS), &err);
    assert_non_null(jws);
    const char *ser = NULL;
    assert_true(cjose_jws_export(jws, &ser, &err));
    char *copy = strdup(ser);
    cjose_jws_release(jws);
    cjose_header_release(h);
    return copy;
}

static void verified(const char *token, const char *jwks)
{
    char *payload = NULL;
    assert_int_equal(jws_verify(token, jwks, &payload), PHR_OK);
    assert_string_equal(payload, CLAIMS);
    free(payload);
}

static void refused(const char *token, const char *jwks, int why)
{
    char *payload = (char *)"untouched";
    assert_int_equal(jws_verify(token, jwks, &payload), why);
    assert_null(payload);
}

static void es384_and_rs384_verify(void **state)
{
    (void)state;
    cjose_jwk_t *keys[] = {ec_key(CJOSE_JWK_EC_P_384, "ec"), rsa_key("rsa")};
    const char *jwks = strdup(jwks_of(keys, 2));
    const char *why = NULL;
    assert_int_equal(jwks_check(jwks, &why), PHR_OK);
    char *es = signed_with(keys[0], "ES384", NULL), *rs = signed_with(keys[1], "RS384", NULL);
    verified(es, jwks);
    verified(rs, jwks);
    struct jws_header h;
    assert_int_equal(jws_header_of(es, &h), PHR_OK);
    assert_string_equal(h.alg, "ES384");
    assert_string_equal(h.kid, "ec");
    assert_int_equal(h.has_jku, 0);
    free(es);
    free(rs);
    free((char *)jwks);
    cjose_jwk_release(keys[0]);
    cjose_jwk_release(keys[1]);
}

/* Signed by another key, a key of the wrong curve for the algorithm, a kid
 * the JWKS does not have, an algorithm not accepted, an altered payload. */
static void what_does_not_verify_is_refused(void **state)
{
    (void)state;
    cjose_jwk_t *mine = ec_key(CJOSE_JWK_EC_P_384, "k1"), *other = ec_key(CJOSE_JWK_EC_P_384, "k1");
    cjose_jwk_t *p256 = ec_key(CJOSE_JWK_EC_P_256, "k1");
    char *jwks = strdup(jwks_of(&mine, 1));
    char *t = signed_with(other, "ES384", NULL);
    refused(t, jwks, PHR_ECRYPTO);
    free(t);
    t = signed_with(p256, "ES256", NULL); /* P-256 in the token, P-384 registered */
    refused(t, jwks, PHR_ECRYPTO);
    free(t);
    cjose_jwk_t *renamed = ec_key(CJOSE_JWK_EC_P_384, "k2");
    t = signed_with(renamed, "ES384", NULL);
    refused(t, jwks, PHR_ECRYPTO);
    free(t);
    t = signed_with(mine, "ES384", NULL);
    char *dot = strchr(t, '.');
    dot[1] = dot[1] == 'e' ? 'f' : 'e'; /* the payload's first character */
    refused(t, jwks, PHR_ECRYPTO);
    free(t);
    refused("eyJhbGciOiJub25lIn0.eyJpc3MiOiJjMSJ9.", jwks, PHR_EINVAL); /* alg none */
    refused("not a token", jwks, PHR_EINVAL);
    free(jwks);
    cjose_jwk_release(mine);
    cjose_jwk_release(other);
    cjose_jwk_release(p256);
    cjose_jwk_release(renamed);
}

/* An HMAC token "signed" with the text of the registered public key: the
 * old confusion is refused by the algorithm list. */
static void hmac_is_never_accepted(void **state)
{
    (void)state;
    cjose_jwk_t *mine = ec_key(CJOSE_JWK_EC_P_384, "k1");
    char *jwks = strdup(jwks_of(&mine, 1));
    cjose_err err;
    cjose_jwk_t *secret = cjose_jwk_create_oct_spec((const uint8_t *)jwks, strlen(jwks), &err);
    assert_non_null(secret);
    char *t = signed_with(secret, "HS256", NULL);
    refused(t, jwks, PHR_EINVAL);
    free(t);
    free(jwks);
    cjose_jwk_release(secret);
    cjose_jwk_release(mine);
}

/* Text cjose's base64 decoder would abort on (a length of 1 mod 4, found
 * by fuzz/fuzz_oauth.c) or that is no compact JWS is refused before it. */
static void malformed_tokens_never_reach_cjose(void **state)
{
    (void)state;
    struct jws_header h;
    char *claims = NULL;
    const char *bad[] = {"eyJhbGciOiJFUzM4NCIsiYyJ9X.e30.AAAA", "e30.e30X.AAAA", "e30.e30.AAAAA", "e30.e30",
                         "e30.e30.AA.AA", "e3 0.e30.AAAA", "e30.e30.AA=A", ""};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(jws_header_of(bad[i], &h), PHR_EINVAL);
        assert_int_equal(jws_claims_unverified(bad[i], &claims), PHR_EINVAL);
        assert_int_equal(jws_verify(bad[i], "{\"keys\":[]}", &claims), PHR_EINVAL);
    }
    const char *why;
    assert_int_equal(jwks_check("{\"keys\":[{\"kty\":\"EC\",\"crv\":\"P-384\",\"x\":\"AAAAA\",\"y\":\"AAAA\"}]}", &why),
                     PHR_EINVAL);
}

static void jku_is_reported(void **state)
{
    (void)state;
    cjose_jwk_t *k = ec_key(CJOSE_JWK_EC_P_384, "k1");
    char *t = signed_with(k, "ES384", "https://example.jp/keys");
    struct jws_header h;
    assert_int_equal(jws_header_of(t, &h), PHR_OK);
    assert_int_equal(h.has_jku, 1);
    free(t);
    cjose_jwk_release(k);
}

/* What a registration may hold. */
static void registrations_hold_public_keys_only(void **state)
{
    (void)state;
    const char *why;
    cjose_jwk_t *k = ec_key(CJOSE_JWK_EC_P_384, "k1");
    cjose_err err;
    char *priv = cjose_jwk_to_json(k, true, &err);
    char with_private[4096];
    snprintf(with_private, sizeof with_private, "{\"keys\":[%s]}", priv);
    assert_int_equal(jwks_check(with_private, &why), PHR_EINVAL);
    assert_non_null(strstr(why, "private"));
    assert_int_equal(jwks_check("{\"keys\":[]}", &why), PHR_EINVAL);
    assert_int_equal(jwks_check("[1,2]", &why), PHR_EINVAL);
    assert_int_equal(jwks_check("{\"keys\":[{\"kty\":\"oct\",\"k\":\"c2VjcmV0\"}]}", &why), PHR_EINVAL);
    assert_int_equal(jwks_check("{\"keys\":[{\"kty\":\"EC\",\"crv\":\"P-384\"}]}", &why), PHR_EINVAL);
    cjose_jwk_t *two[] = {k, ec_key(CJOSE_JWK_EC_P_384, "k1")};
    assert_int_equal(jwks_check(jwks_of(two, 2), &why), PHR_EINVAL);
    assert_non_null(strstr(why, "same kid"));
    assert_int_equal(jwks_check(jwks_of(&k, 1), &why), PHR_OK);
    free(priv);
    cjose_jwk_release(k);
    cjose_jwk_release(two[1]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(es384_and_rs384_verify),
        cmocka_unit_test(what_does_not_verify_is_refused),
        cmocka_unit_test(hmac_is_never_accepted),
        cmocka_unit_test(malformed_tokens_never_reach_cjose),
        cmocka_unit_test(jku_is_reported),
        cmocka_unit_test(registrations_hold_public_keys_only),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
