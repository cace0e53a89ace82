/* crypto/: master key file handling, data-key wrapping, sealing, password
 * hashing and rules (R2.4, R2.5). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <cmocka.h>
#include <sodium.h>

#include "crypto/detached_jws.h"
#include "crypto/keys.h"
#include "crypto/totp.h"
#include "crypto/password.h"
#include "crypto/seal.h"
#include "formats/qr.h"
#include "helpers.h"
#include "util/buf.h"
#include "util/err.h"

static void master_key_created_0600_and_never_overwritten(void **state)
{
    (void)state;
    char *d = tmpdir_new(), *k = path_in(d, "master.key");
    assert_int_equal(mkey_create(k), PHR_OK);
    struct stat st;
    assert_int_equal(stat(k, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    assert_int_equal(st.st_size, 40);
    unsigned char before[40], after[40];
    FILE *f = fopen(k, "rb");
    assert_int_equal(fread(before, 1, 40, f), 40);
    fclose(f);
    assert_int_equal(mkey_create(k), PHR_EEXIST);
    f = fopen(k, "rb");
    assert_int_equal(fread(after, 1, 40, f), 40);
    fclose(f);
    assert_memory_equal(before, after, 40);
    free(k);
    tmpdir_remove(d);
}

static void master_key_refused_when_readable_by_others(void **state)
{
    (void)state;
    char *d = tmpdir_new(), *k = path_in(d, "master.key");
    struct master_key *mk = NULL;
    assert_int_equal(mkey_create(k), PHR_OK);
    chmod(k, 0644);
    assert_int_equal(mkey_load(k, &mk), PHR_EPERM);
    assert_null(mk);
    chmod(k, 0600);
    assert_int_equal(mkey_load(k, &mk), PHR_OK);
    assert_int_equal(strlen(mkey_id(mk)), KEY_ID_LEN);
    mkey_free(mk);
    free(k);
    tmpdir_remove(d);
}

static void master_key_refused_when_malformed(void **state)
{
    (void)state;
    char *d = tmpdir_new(), *k = path_in(d, "master.key");
    struct master_key *mk = NULL;
    FILE *f = fopen(k, "wb");
    fputs("not a key", f);
    fclose(f);
    chmod(k, 0600);
    assert_int_equal(mkey_load(k, &mk), PHR_EINVAL);
    char *missing = path_in(d, "absent.key");
    assert_int_equal(mkey_load(missing, &mk), PHR_ENOTFOUND);
    free(missing);
    free(k);
    tmpdir_remove(d);
}

static void data_key_bound_to_person(void **state)
{
    (void)state;
    char *d = tmpdir_new(), *k = path_in(d, "master.key");
    struct master_key *mk;
    assert_int_equal(mkey_create(k), PHR_OK);
    assert_int_equal(mkey_load(k, &mk), PHR_OK);
    unsigned char wrapped[WRAPPED_KEY_BYTES], key[DATA_KEY_BYTES];
    assert_int_equal(mkey_new_data_key(mk, "person-a", wrapped), PHR_OK);
    assert_int_equal(mkey_unwrap(mk, "person-a", wrapped, key), PHR_OK);
    /* Moved to another person, or altered, it does not open. */
    assert_int_equal(mkey_unwrap(mk, "person-b", wrapped, key), PHR_ECRYPTO);
    wrapped[30] ^= 1;
    assert_int_equal(mkey_unwrap(mk, "person-a", wrapped, key), PHR_ECRYPTO);
    mkey_free(mk);
    free(k);
    tmpdir_remove(d);
}

static void seal_roundtrip_and_tamper(void **state)
{
    (void)state;
    unsigned char key[DATA_KEY_BYTES];
    randombytes_buf(key, sizeof key);
    const char *plain = "{\"valueQuantity\":{\"value\":123.45}}";
    struct buf sealed, opened;
    buf_init(&sealed);
    buf_init(&opened);
    assert_int_equal(seal(key, "rec:1", plain, strlen(plain), &sealed), PHR_OK);
    assert_int_equal(sealed.len, strlen(plain) + SEAL_OVERHEAD);
    assert_null(memmem(sealed.data, sealed.len, "123.45", 6));
    assert_int_equal(seal_open(SEAL_XCHACHA20POLY1305, key, "rec:1", (unsigned char *)sealed.data, sealed.len, &opened), PHR_OK);
    assert_string_equal(buf_cstr(&opened), plain);
    opened.len = 0;
    /* Another row's associated data, an unknown algorithm, a flipped bit. */
    assert_int_equal(seal_open(SEAL_XCHACHA20POLY1305, key, "rec:2", (unsigned char *)sealed.data, sealed.len, &opened), PHR_ECRYPTO);
    assert_int_equal(seal_open(99, key, "rec:1", (unsigned char *)sealed.data, sealed.len, &opened), PHR_EINVAL);
    sealed.data[sealed.len - 1] ^= 1;
    assert_int_equal(seal_open(SEAL_XCHACHA20POLY1305, key, "rec:1", (unsigned char *)sealed.data, sealed.len, &opened), PHR_ECRYPTO);
    assert_int_equal(seal_open(SEAL_XCHACHA20POLY1305, key, "rec:1", (unsigned char *)sealed.data, 10, &opened), PHR_ECRYPTO);
    buf_free(&sealed);
    buf_free(&opened);
}

static void password_hash_verify(void **state)
{
    (void)state;
    char h[PASSWORD_HASH_MAX];
    assert_int_equal(password_init(2, 5000), PHR_OK);
    assert_int_equal(password_hash("correct horse battery", 21, h), PHR_OK);
    assert_non_null(strstr(h, "$argon2id$"));
    /* At least 19 MiB and 2 passes (R2.4, OWASP). */
    assert_non_null(strstr(h, "m=19456,t=2"));
    assert_int_equal(password_verify(h, "correct horse battery", 21), PHR_OK);
    assert_int_equal(password_verify(h, "correct horse batterx", 21), PHR_EPERM);
    password_shutdown();
}

static void password_rules(void **state)
{
    (void)state;
    assert_non_null(password_rules_check("short", 5, "someone"));
    assert_non_null(password_rules_check("aaaaaaaaaaaa", 12, "someone"));
    assert_non_null(password_rules_check("xxsomeone-2026", 14, "someone"));
    assert_non_null(password_rules_check("has\0nul-inside", 14, "someone"));
    char longpw[300];
    memset(longpw, 'a', sizeof longpw);
    longpw[1] = 'b';
    assert_non_null(password_rules_check(longpw, sizeof longpw, "someone"));
    assert_null(password_rules_check("a fine passphrase", 17, "someone"));
}

/* RFC 6238 appendix B, HMAC-SHA1, 8 digits. */
static void totp_rfc6238_vectors(void **state)
{
    (void)state;
    assert_int_equal(totp_init(), PHR_OK);
    const unsigned char *secret = (const unsigned char *)"12345678901234567890";
    static const struct { int64_t t; const char *code; } v[] = {
        {59, "94287082"}, {1111111109, "07081804"}, {1111111111, "14050471"},
        {1234567890, "89005924"}, {2000000000, "69279037"}, {20000000000, "65353130"},
    };
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        char out[9];
        assert_int_equal(totp_code(secret, 20, v[i].t, 8, out), PHR_OK);
        assert_string_equal(out, v[i].code);
    }
}

/* A code is accepted within one step either side, and once. */
static void totp_accepts_once(void **state)
{
    (void)state;
    unsigned char secret[TOTP_SECRET_BYTES];
    totp_new_secret(secret);
    int64_t now = 1800000000;
    char code[9], late[9];
    assert_int_equal(totp_code(secret, sizeof secret, now, 6, code), PHR_OK);
    uint64_t step = 0, again = 0;
    assert_int_equal(totp_check(secret, now, code, 0, &step), 0);
    assert_int_equal(step, (uint64_t)(now / 30));
    assert_int_equal(totp_check(secret, now, code, step, &again), -1); /* replayed */
    assert_int_equal(totp_check(secret, now + 30, code, 0, &again), 0); /* clock skew: one step */
    assert_int_equal(totp_check(secret, now + 90, code, 0, &again), -1); /* too old */
    assert_int_equal(totp_code(secret, sizeof secret, now + 30, 6, late), PHR_OK);
    assert_int_equal(totp_check(secret, now, late, step, &again), 0); /* the next step, after the last used */
    assert_int_equal(totp_check(secret, now, "12345", 0, &again), -1);
    assert_int_equal(totp_check(secret, now, "12a456", 0, &again), -1);
    assert_int_equal(totp_check(secret, now, NULL, 0, &again), -1);
    struct buf uri;
    buf_init(&uri);
    assert_int_equal(totp_uri(secret, "PHR", "sato@example.jp", &uri), PHR_OK);
    assert_non_null(strstr(uri.data, "otpauth://totp/PHR:sato@example.jp?secret="));
    /* 20 bytes are 32 base32 characters, unpadded, as authenticator apps expect. */
    const char *b32 = strstr(uri.data, "secret=") + 7;
    assert_int_equal(strspn(b32, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"), 32);
    assert_int_equal(b32[32], '&');
    buf_wipe(&uri);
}

/* The QR code the portal draws for an authenticator app: a square of
 * 21 + 4k modules with the three finder patterns in their corners. */
static void qr_modules(void **state)
{
    (void)state;
    struct buf b;
    buf_init(&b);
    assert_int_equal(qr_json("otpauth://totp/PHR:sato@example.jp?secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP&issuer=PHR", &b),
                     PHR_OK);
    int size = 0;
    assert_int_equal(sscanf(b.data, "{\"size\":%d,", &size), 1);
    assert_true(size >= 21 && (size - 21) % 4 == 0);
    const char *rows = strstr(b.data, "\"rows\":[\"");
    assert_non_null(rows);
    rows += 9;
    assert_memory_equal(rows, "1111111", 7);                       /* top left */
    assert_memory_equal(rows + size - 7, "1111111", 7);            /* top right */
    const char *last = b.data + b.len - 3 - size;                  /* ...,"<last row>"]} */
    assert_memory_equal(last, "1111111", 7);                       /* bottom left */
    size_t n = 0;
    for (const char *p = rows; *p && *p != ']'; p++)
        n += *p == '0' || *p == '1';
    assert_int_equal(n, (size_t)size * (size_t)size);
    buf_free(&b);

    char *big = malloc(4001);
    assert_non_null(big);
    memset(big, 'a', 4000);
    big[4000] = 0;
    buf_init(&b);
    assert_int_equal(qr_json(big, &b), PHR_EINVAL); /* beyond any QR code's capacity */
    buf_free(&b);
    free(big);
}

/* RFC 8037 appendix A.3: the thumbprint of its Ed25519 example key. */
static void jws_kid_rfc8037_vector(void **state)
{
    (void)state;
    unsigned char pk[JWS_ED25519_PUBLIC];
    size_t got = 0;
    assert_int_equal(sodium_base642bin(pk, sizeof pk, "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo", 43, NULL, &got,
                                       NULL, sodium_base64_VARIANT_URLSAFE_NO_PADDING),
                     0);
    assert_int_equal(got, sizeof pk);
    char kid[JWS_KID_LEN + 1];
    jws_ed25519_kid(pk, kid);
    assert_string_equal(kid, "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k");
}

static void sign_with(const void *key, const unsigned char *msg, size_t len, unsigned char sig[JWS_ED25519_SIG])
{
    mkey_sign(key, msg, len, sig);
}

/* The master key's package signature: a detached JWS its public half
 * verifies, over that content only; another master key's does not. */
static void package_signature_under_master_key(void **state)
{
    (void)state;
    char *d = tmpdir_new(), *k1 = path_in(d, "a.key"), *k2 = path_in(d, "b.key");
    struct master_key *a, *b;
    assert_int_equal(mkey_create(k1), PHR_OK);
    assert_int_equal(mkey_create(k2), PHR_OK);
    assert_int_equal(mkey_load(k1, &a), PHR_OK);
    assert_int_equal(mkey_load(k2, &b), PHR_OK);
    unsigned char pa[MKEY_SIGN_PUBLIC_BYTES], pa2[MKEY_SIGN_PUBLIC_BYTES], pb[MKEY_SIGN_PUBLIC_BYTES];
    mkey_sign_public(a, pa);
    mkey_sign_public(a, pa2);
    mkey_sign_public(b, pb);
    assert_memory_equal(pa, pa2, sizeof pa); /* derived, the same each time */
    assert_memory_not_equal(pa, pb, sizeof pa);
    struct jws_signer s = {.sign = sign_with, .key = a};
    jws_ed25519_kid(pa, s.kid);
    const char *index = "{\"resourceType\":\"Composition\"}\n";
    struct buf jws = {0};
    assert_int_equal(jws_detached_sign(&s, index, strlen(index), &jws), 0);
    struct jws_detached r, other;
    struct fault f;
    assert_int_equal(jws_detached_read(jws.data, jws.len, index, strlen(index), &r, &f), 0);
    assert_string_equal(r.alg, "EdDSA");
    assert_string_equal(r.kid, s.kid);
    assert_int_equal(jws_detached_verify(&r, pa), 0);
    assert_int_not_equal(jws_detached_verify(&r, pb), 0);
    assert_int_equal(jws_detached_read(jws.data, jws.len, "{}\n", 3, &other, &f), 0);
    assert_int_not_equal(jws_detached_verify(&other, pa), 0);
    jws_detached_free(&other);
    jws_detached_free(&r);
    assert_int_not_equal(jws_detached_read("abc", 3, index, strlen(index), &r, &f), 0);
    buf_free(&jws);
    mkey_free(a);
    mkey_free(b);
    free(k1);
    free(k2);
    tmpdir_remove(d);
}

int main(void)
{
    if (sodium_init() < 0)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(master_key_created_0600_and_never_overwritten),
        cmocka_unit_test(master_key_refused_when_readable_by_others),
        cmocka_unit_test(master_key_refused_when_malformed),
        cmocka_unit_test(data_key_bound_to_person),
        cmocka_unit_test(seal_roundtrip_and_tamper),
        cmocka_unit_test(password_hash_verify),
        cmocka_unit_test(password_rules),
        cmocka_unit_test(totp_rfc6238_vectors),
        cmocka_unit_test(totp_accepts_once),
        cmocka_unit_test(qr_modules),
        cmocka_unit_test(jws_kid_rfc8037_vector),
        cmocka_unit_test(package_signature_under_master_key),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
