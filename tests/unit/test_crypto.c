/* crypto/: master key file handling, data-key wrapping, sealing, password
 * hashing and rules (R2.4, R2.5). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <cmocka.h>
#include <sodium.h>

#include "crypto/keys.h"
#include "crypto/password.h"
#include "crypto/seal.h"
#include "helpers.h"
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
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
