/* audit/: the handling-history hash chain and its signed checkpoints
 * (R2.3). Entries are altered, deleted, reordered, cut off and rewritten in
 * the database file, checkpoints forged, and verify must say where. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <sodium.h>
#include <sqlite3.h>

#include "audit/audit.h"
#include "helpers.h"
#include "util/buf.h"
#include "store/store.h"
#include "util/err.h"

struct fixture {
    char *dir, *db, *key;
    unsigned char pk[SIGN_PUBLIC_BYTES];
};

static void append(struct store *st, int i)
{
    struct audit_row e = {.at = 1700000000000 + i, .actor = "person:a", .role = "person",
                          .action = "record.read", .subject = "a", .records = "r1,r2",
                          .client = "127.0.0.1", .result = i % 3 ? "allow" : "deny", .request_id = "x"};
    assert_int_equal(audit_append(st, &e), PHR_OK);
}

static void checkpoint(struct store *st, const struct sign_key *k, int64_t expect_seq)
{
    int made;
    int64_t seq;
    unsigned char hash[SHA256_BYTES];
    assert_int_equal(audit_checkpoint(st, k, 1700000001000, &made, &seq, hash), PHR_OK);
    assert_int_equal(made, 1);
    assert_int_equal(seq, expect_seq);
}

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof *f);
    f->dir = tmpdir_new();
    f->db = path_in(f->dir, "phr.db");
    f->key = path_in(f->dir, "audit.key");
    struct sign_key *k;
    assert_int_equal(sign_key_create(f->key), PHR_OK);
    assert_int_equal(sign_key_create(f->key), PHR_EEXIST);
    assert_int_equal(sign_key_load(f->key, &k), PHR_OK);
    sign_key_public(k, f->pk);
    struct store *st;
    assert_int_equal(store_open(f->db, STORE_CREATE, &st), PHR_OK);
    assert_int_equal(store_begin(st), PHR_OK);
    /* Checkpoints sign entries 6 and 10; entries 11 and 12 are not yet signed. */
    for (int i = 0; i < 12; i++) {
        append(st, i);
        if (i == 5)
            checkpoint(st, k, 6);
        if (i == 9)
            checkpoint(st, k, 10);
    }
    int made;
    int64_t seq;
    unsigned char hash[SHA256_BYTES];
    assert_int_equal(store_commit(st), PHR_OK);
    assert_int_equal(store_begin(st), PHR_OK);
    checkpoint(st, k, 12);
    assert_int_equal(audit_checkpoint(st, k, 1, &made, &seq, hash), PHR_OK);
    assert_int_equal(made, 0); /* nothing new to sign */
    assert_int_equal(store_rollback(st), PHR_OK); /* keep entries 11-12 unsigned */
    store_close(st);
    sign_key_free(k);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    free(f->db);
    free(f->key);
    tmpdir_remove(f->dir);
    free(f);
    return 0;
}

static int verify(struct fixture *f, struct audit_report *rep)
{
    struct store *st;
    assert_int_equal(store_open(f->db, STORE_READONLY, &st), PHR_OK);
    int rc = audit_verify(st, (const unsigned char(*)[SIGN_PUBLIC_BYTES])f->pk, 1, rep);
    store_close(st);
    return rc;
}

static void tamper(struct fixture *f, const char *sql)
{
    sqlite3 *db;
    assert_int_equal(sqlite3_open(f->db, &db), SQLITE_OK);
    char *msg = NULL;
    int rc = sqlite3_exec(db, "DROP TRIGGER audit_no_update; DROP TRIGGER audit_no_delete;"
                              " DROP TRIGGER audit_checkpoints_no_update; DROP TRIGGER audit_checkpoints_no_delete;",
                          NULL, NULL, &msg);
    sqlite3_free(msg);
    assert_int_equal(rc, SQLITE_OK);
    rc = sqlite3_exec(db, sql, NULL, NULL, &msg);
    if (rc != SQLITE_OK)
        fprintf(stderr, "tamper failed: %s\n", msg);
    sqlite3_free(msg);
    assert_int_equal(rc, SQLITE_OK);
    sqlite3_close(db);
}

static void intact_chain_verifies(void **state)
{
    struct audit_report rep;
    assert_int_equal(verify(*state, &rep), PHR_OK);
    assert_int_equal(rep.entries, 12);
    assert_int_equal(rep.first_bad_seq, 0);
    assert_int_equal(rep.checkpoints, 2);
    assert_int_equal(rep.signed_seq, 10);
}

/* The writer's batch: an entry appended by a job that is then rolled back
 * to its savepoint is not the head the next job chains to (the store keeps
 * the head for the transaction and must forget it there). */
static void a_rolled_back_entry_leaves_the_chain_whole(void **state)
{
    struct fixture *f = *state;
    struct store *st;
    assert_int_equal(store_open(f->db, STORE_WRITER, &st), PHR_OK);
    assert_int_equal(store_begin(st), PHR_OK);
    assert_int_equal(store_savepoint(st), PHR_OK);
    append(st, 100);
    assert_int_equal(store_release(st), PHR_OK);
    assert_int_equal(store_savepoint(st), PHR_OK);
    append(st, 101);
    assert_int_equal(store_rollback_to(st), PHR_OK);
    assert_int_equal(store_release(st), PHR_OK);
    assert_int_equal(store_savepoint(st), PHR_OK);
    append(st, 102);
    assert_int_equal(store_release(st), PHR_OK);
    assert_int_equal(store_commit(st), PHR_OK);
    store_close(st);
    struct audit_report rep;
    assert_int_equal(verify(f, &rep), PHR_OK);
    assert_int_equal(rep.entries, 14);
    assert_int_equal(rep.first_bad_seq, 0);
}

static void cut_tail_is_detected(void **state)
{
    struct audit_report rep;
    tamper(*state, "DELETE FROM audit WHERE seq >= 9");
    assert_int_equal(verify(*state, &rep), PHR_ECRYPTO);
    assert_int_equal(rep.bad_checkpoint, 2);
    assert_non_null(strstr(rep.problem, "truncated: checkpoint 2 signed the chain up to entry 10, but it ends at entry 8"));
}

static void rewritten_tail_is_detected(void **state)
{
    struct fixture *f = *state;
    /* Entries 8-12 rewritten with every hash recomputed: the chain alone
     * verifies, the checkpoint over entry 10 does not. */
    sqlite3 *db;
    assert_int_equal(sqlite3_open(f->db, &db), SQLITE_OK);
    sqlite3_stmt *q;
    assert_int_equal(sqlite3_prepare_v2(db, "SELECT hash FROM audit WHERE seq = 7", -1, &q, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(q), SQLITE_ROW);
    unsigned char prev[32], h[32];
    memcpy(prev, sqlite3_column_blob(q, 0), 32);
    sqlite3_finalize(q);
    sqlite3_close(db);
    struct buf sql;
    buf_init(&sql);
    for (int seq = 8; seq <= 12; seq++) {
        struct audit_row e = {.seq = seq, .at = 1700000000000 + seq - 1, .actor = "person:a", .role = "person",
                              .action = "record.read", .subject = "a", .records = "forged",
                              .client = "127.0.0.1", .result = (seq - 1) % 3 ? "allow" : "deny", .request_id = "x"};
        audit_hash(prev, &e, h);
        char hp[65], hh[65];
        sodium_bin2hex(hp, sizeof hp, prev, 32);
        sodium_bin2hex(hh, sizeof hh, h, 32);
        buf_printf(&sql, "UPDATE audit SET records = 'forged', prev_hash = X'%s', hash = X'%s' WHERE seq = %d;", hp,
                   hh, seq);
        memcpy(prev, h, 32);
    }
    tamper(f, sql.data);
    buf_free(&sql);
    struct audit_report rep;
    assert_int_equal(verify(f, &rep), PHR_ECRYPTO);
    assert_int_equal(rep.first_bad_seq, 10);
    assert_int_equal(rep.bad_checkpoint, 2);
    assert_non_null(strstr(rep.problem, "rewritten"));
}

static void forged_checkpoint_is_detected(void **state)
{
    struct audit_report rep;
    tamper(*state, "UPDATE audit_checkpoints SET audit_seq = 11 WHERE id = 2");
    assert_int_equal(verify(*state, &rep), PHR_ECRYPTO);
    assert_int_equal(rep.bad_checkpoint, 2);
    assert_non_null(strstr(rep.problem, "does not verify"));
}

static void untrusted_key_is_refused(void **state)
{
    struct fixture *f = *state;
    unsigned char other[SIGN_PUBLIC_BYTES], sk[64];
    crypto_sign_keypair(other, sk);
    struct store *st;
    struct audit_report rep;
    assert_int_equal(store_open(f->db, STORE_READONLY, &st), PHR_OK);
    assert_int_equal(audit_verify(st, (const unsigned char(*)[SIGN_PUBLIC_BYTES])other, 1, &rep), PHR_ECRYPTO);
    assert_int_equal(rep.bad_checkpoint, 1);
    /* The old key beside a new one (after a rotation) is trusted again. */
    unsigned char both[2][SIGN_PUBLIC_BYTES];
    memcpy(both[0], other, sizeof other);
    memcpy(both[1], f->pk, sizeof f->pk);
    assert_int_equal(audit_verify(st, (const unsigned char(*)[SIGN_PUBLIC_BYTES])both, 2, &rep), PHR_OK);
    store_close(st);
}

static void altered_entry_is_named(void **state)
{
    struct audit_report rep;
    tamper(*state, "UPDATE audit SET result = 'allow' WHERE seq = 4");
    assert_int_equal(verify(*state, &rep), PHR_ECRYPTO);
    assert_int_equal(rep.first_bad_seq, 4);
    assert_int_equal(rep.entries, 3);
}

static void altered_entry_with_recomputed_hash_breaks_next_link(void **state)
{
    struct fixture *f = *state;
    /* Rewrite entry 5 and give it a correct hash over its predecessor:
     * entry 6's link still names the old hash. */
    struct store *st;
    assert_int_equal(store_open(f->db, STORE_READONLY, &st), PHR_OK);
    store_close(st);
    sqlite3 *db;
    assert_int_equal(sqlite3_open(f->db, &db), SQLITE_OK);
    sqlite3_stmt *q;
    assert_int_equal(sqlite3_prepare_v2(db, "SELECT hash FROM audit WHERE seq = 4", -1, &q, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(q), SQLITE_ROW);
    unsigned char prev[32], h[32];
    memcpy(prev, sqlite3_column_blob(q, 0), 32);
    sqlite3_finalize(q);
    sqlite3_close(db);
    struct audit_row e = {.seq = 5, .at = 1700000000004, .actor = "person:a", .role = "person",
                          .action = "record.read", .subject = "a", .records = "r9",
                          .client = "127.0.0.1", .result = "allow", .request_id = "x"};
    audit_hash(prev, &e, h);
    char hex[65], sql[512];
    sodium_bin2hex(hex, sizeof hex, h, 32);
    snprintf(sql, sizeof sql, "UPDATE audit SET records = 'r9', hash = X'%s' WHERE seq = 5", hex);
    tamper(f, sql);
    struct audit_report rep;
    assert_int_equal(verify(f, &rep), PHR_ECRYPTO);
    assert_int_equal(rep.first_bad_seq, 6);
}

static void deleted_entry_is_named(void **state)
{
    struct audit_report rep;
    tamper(*state, "DELETE FROM audit WHERE seq = 7");
    assert_int_equal(verify(*state, &rep), PHR_ECRYPTO);
    assert_int_equal(rep.first_bad_seq, 7);
}

static void reordered_entries_are_named(void **state)
{
    struct audit_report rep;
    tamper(*state, "UPDATE audit SET seq = 100 WHERE seq = 2; UPDATE audit SET seq = 2 WHERE seq = 3;"
                   " UPDATE audit SET seq = 3 WHERE seq = 100;");
    assert_int_equal(verify(*state, &rep), PHR_ECRYPTO);
    assert_int_equal(rep.first_bad_seq, 2);
}

static void triggers_refuse_update_and_delete(void **state)
{
    struct fixture *f = *state;
    sqlite3 *db;
    assert_int_equal(sqlite3_open(f->db, &db), SQLITE_OK);
    assert_int_not_equal(sqlite3_exec(db, "UPDATE audit SET result = 'x' WHERE seq = 1", NULL, NULL, NULL), SQLITE_OK);
    assert_int_not_equal(sqlite3_exec(db, "DELETE FROM audit WHERE seq = 1", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
    struct audit_report rep;
    assert_int_equal(verify(f, &rep), PHR_OK);
}

static void null_and_empty_fields_hash_differently(void **state)
{
    (void)state;
    unsigned char prev[32] = {0}, a[32], b[32];
    struct audit_row e = {.seq = 1, .at = 1, .actor = "x", .role = "r", .action = "a", .result = "allow"};
    audit_hash(prev, &e, a);
    e.reason = "";
    audit_hash(prev, &e, b);
    assert_memory_not_equal(a, b, 32);
}

int main(void)
{
    if (sodium_init() < 0)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(intact_chain_verifies, setup, teardown),
        cmocka_unit_test_setup_teardown(altered_entry_is_named, setup, teardown),
        cmocka_unit_test_setup_teardown(altered_entry_with_recomputed_hash_breaks_next_link, setup, teardown),
        cmocka_unit_test_setup_teardown(deleted_entry_is_named, setup, teardown),
        cmocka_unit_test_setup_teardown(reordered_entries_are_named, setup, teardown),
        cmocka_unit_test_setup_teardown(triggers_refuse_update_and_delete, setup, teardown),
        cmocka_unit_test_setup_teardown(a_rolled_back_entry_leaves_the_chain_whole, setup, teardown),
        cmocka_unit_test_setup_teardown(cut_tail_is_detected, setup, teardown),
        cmocka_unit_test_setup_teardown(rewritten_tail_is_detected, setup, teardown),
        cmocka_unit_test_setup_teardown(forged_checkpoint_is_detected, setup, teardown),
        cmocka_unit_test_setup_teardown(untrusted_key_is_refused, setup, teardown),
        cmocka_unit_test(null_and_empty_fields_hash_differently),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
