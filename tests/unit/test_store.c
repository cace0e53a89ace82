/* store/: the SQLite backend through the store interface: migrations,
 * persons, sessions, records with versions, search by date range. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "helpers.h"
#include "formats/data_kinds.h"
#include "db/migrate.h"
#include "store/store.h"
#include "util/err.h"

static const unsigned char WRAPPED[72] = {1};
static const unsigned char MAC[32] = {2};

static void add_person(struct store *st, const char *id, const char *login)
{
    struct person_row p = {.id = id, .login = login, .pw_hash = "h", .status = "active", .created_at = 1,
                           .master_key_id = "k", .wrapped_key = WRAPPED, .wrapped_key_len = sizeof WRAPPED};
    assert_int_equal(store_person_insert(st, &p), PHR_OK);
}

static void add_record(struct store *st, const char *id, int version, const char *person, const char *code,
                       int64_t start, int current)
{
    struct record_row r = {.id = id, .version = version, .person_id = person, .resource_type = "Observation",
                           .code_system = "http://loinc.org", .code = code, .category = "vital-signs",
                           .data_kind = data_kind_name(data_kind_of("Observation", "vital-signs", "http://loinc.org", code)),
                           .effective_start = start, .effective_end = start + 999, .data_category = 3,
                           .source = "self-measured", .recorded_at = 5, .recorded_by = "person:x",
                           .channel = "test", .original_mac = MAC, .alg = 1,
                           .body = (const unsigned char *)"sealed", .body_len = 6,
                           .original = (const unsigned char *)"orig", .original_len = 4, .current = current};
    assert_int_equal(store_record_insert(st, &r), PHR_OK);
}

static void person_cb(void *arg, const struct person_row *p)
{
    snprintf(arg, 64, "%s", p->id);
}

static void persons_unique_by_login(void **state)
{
    struct store *st = ((struct store_fixture *)*state)->st;
    add_person(st, "p1", "alice");
    struct person_row dup = {.id = "p2", .login = "alice", .pw_hash = "h", .status = "active",
                             .master_key_id = "k", .wrapped_key = WRAPPED, .wrapped_key_len = 72};
    assert_int_equal(store_person_insert(st, &dup), PHR_ECONFLICT);
    char got[64] = "";
    assert_int_equal(store_person_by_login(st, "alice", person_cb, got), PHR_OK);
    assert_string_equal(got, "p1");
    assert_int_equal(store_person_by_login(st, "bob", person_cb, got), PHR_ENOTFOUND);
    assert_int_equal(store_person_by_id(st, "p1", person_cb, got), PHR_OK);
}

static void session_cb(void *arg, const struct session_row *s)
{
    *(int64_t *)arg = s->expires_at;
}

static void sessions(void **state)
{
    struct store *st = ((struct store_fixture *)*state)->st;
    add_person(st, "p1", "alice");
    unsigned char h[32] = {7};
    struct session_row s = {.token_hash = h, .person_id = "p1", .created_at = 1, .last_seen_at = 1, .expires_at = 99};
    assert_int_equal(store_session_insert(st, &s), PHR_OK);
    int64_t exp = 0;
    assert_int_equal(store_session_get(st, h, session_cb, &exp), PHR_OK);
    assert_int_equal(exp, 99);
    assert_int_equal(store_session_touch(st, h, 50), PHR_OK);
    assert_int_equal(store_session_delete(st, h), PHR_OK);
    assert_int_equal(store_session_get(st, h, session_cb, &exp), PHR_ENOTFOUND);
}

static void throttle(void **state)
{
    struct store *st = ((struct store_fixture *)*state)->st;
    struct throttle_row t;
    assert_int_equal(store_throttle_get(st, "x", &t), PHR_ENOTFOUND);
    t = (struct throttle_row){.failures = 3, .last_failure_at = 10, .locked_until = 20};
    assert_int_equal(store_throttle_put(st, "x", &t), PHR_OK);
    t.failures = 4;
    assert_int_equal(store_throttle_put(st, "x", &t), PHR_OK);
    memset(&t, 0, sizeof t);
    assert_int_equal(store_throttle_get(st, "x", &t), PHR_OK);
    assert_int_equal(t.failures, 4);
    assert_int_equal(store_throttle_clear(st, "x"), PHR_OK);
    assert_int_equal(store_throttle_get(st, "x", &t), PHR_ENOTFOUND);
}

struct collected {
    char ids[16][40];
    int versions[16];
    int n;
};

static int collect(void *arg, const struct record_row *r)
{
    struct collected *c = arg;
    snprintf(c->ids[c->n], 40, "%s", r->id);
    c->versions[c->n] = r->version;
    c->n++;
    return 0;
}

static void versions_and_history(void **state)
{
    struct store *st = ((struct store_fixture *)*state)->st;
    add_person(st, "p1", "alice");
    add_record(st, "r1", 1, "p1", "29463-7", 1000, 1);
    assert_int_equal(store_record_supersede(st, "r1", 1), PHR_OK);
    /* Superseding a version that is no longer current is a conflict. */
    assert_int_equal(store_record_supersede(st, "r1", 1), PHR_ECONFLICT);
    add_record(st, "r1", 2, "p1", "29463-7", 1000, 1);
    struct collected c = {.n = 0};
    assert_int_equal(store_record_get(st, "r1", 0, collect, &c), PHR_OK);
    assert_int_equal(c.versions[0], 2);
    c.n = 0;
    assert_int_equal(store_record_get(st, "r1", 1, collect, &c), PHR_OK);
    assert_int_equal(c.versions[0], 1);
    c.n = 0;
    assert_int_equal(store_record_history(st, "r1", collect, &c), PHR_OK);
    assert_int_equal(c.n, 2);
    assert_int_equal(c.versions[0], 2);
    assert_int_equal(store_record_get(st, "nope", 0, collect, &c), PHR_ENOTFOUND);
}

static void search_by_person_code_and_dates(void **state)
{
    struct store *st = ((struct store_fixture *)*state)->st;
    add_person(st, "p1", "alice");
    add_person(st, "p2", "bob");
    for (int i = 0; i < 5; i++) {
        char id[8];
        snprintf(id, sizeof id, "a%d", i);
        add_record(st, id, 1, "p1", i % 2 ? "29463-7" : "85354-9", 1000 * (i + 1) * 1000, 1);
    }
    add_record(st, "b0", 1, "p2", "85354-9", 3000000, 1);
    struct record_query q = {.person_id = "p1", .resource_type = "Observation", .count = 10,
                              .sort = {{SORT_DATE, 0}}, .nsort = 1};
    struct collected c = {.n = 0};
    int64_t n;
    assert_int_equal(store_record_search(st, &q, collect, &c), PHR_OK);
    assert_int_equal(c.n, 5);
    assert_string_equal(c.ids[0], "a0");
    const struct token_value bp = {.code = "85354-9"};
    q.tokens[0] = (struct token_cond){TOKEN_CODE, 0, &bp, 1};
    q.ntokens = 1;
    assert_int_equal(store_record_count(st, &q, &n), PHR_OK);
    assert_int_equal(n, 3);
    /* ge 2,000,000 and lt 4,000,000: a2 (3,000,000) only, of the BP ones. */
    q.dates[0] = (struct date_cond){DATE_GE, 2000000, 2000999, 0};
    q.dates[1] = (struct date_cond){DATE_LT, 4000000, 4000999, 0};
    q.ndates = 2;
    c.n = 0;
    assert_int_equal(store_record_search(st, &q, collect, &c), PHR_OK);
    assert_int_equal(c.n, 1);
    assert_string_equal(c.ids[0], "a2");
    /* eq: the record's range must lie within the parameter's. */
    q.ndates = 1;
    q.dates[0] = (struct date_cond){DATE_EQ, 4999000, 5001000, 0};
    q.ntokens = 0;
    c.n = 0;
    assert_int_equal(store_record_search(st, &q, collect, &c), PHR_OK);
    assert_int_equal(c.n, 1);
    assert_string_equal(c.ids[0], "a4");
    /* Paging by place: after a3 (4,000,000, the fourth written), a4 alone;
     * backwards from it, a2 then a1, nearest first. */
    q.ndates = 0;
    q.count = 2;
    struct record_position a3 = {.ints = {4000000}, .rowid = 4};
    q.after = &a3;
    c.n = 0;
    assert_int_equal(store_record_search(st, &q, collect, &c), PHR_OK);
    assert_int_equal(c.n, 1);
    assert_string_equal(c.ids[0], "a4");
    q.backwards = 1;
    c.n = 0;
    assert_int_equal(store_record_search(st, &q, collect, &c), PHR_OK);
    assert_int_equal(c.n, 2);
    assert_string_equal(c.ids[0], "a2");
    assert_string_equal(c.ids[1], "a1");
    q.after = NULL;
    q.backwards = 0;
    /* Only the kinds of data asked for (a recipient's consent), counted the same way. */
    q.count = 10;
    q.kinds = ",body-weight,";
    assert_int_equal(store_record_count(st, &q, &n), PHR_OK);
    assert_int_equal(n, 2);
    c.n = 0;
    assert_int_equal(store_record_search(st, &q, collect, &c), PHR_OK);
    assert_int_equal(c.n, 2);
    assert_string_equal(c.ids[0], "a1");
    q.kinds = ",";
    assert_int_equal(store_record_count(st, &q, &n), PHR_OK);
    assert_int_equal(n, 0);
}

/* A snapshot holds the records as they stood: one written after it is not
 * there, and one corrected after it is there once, in the version it had. */
static void search_snapshot(void **state)
{
    struct store *st = ((struct store_fixture *)*state)->st;
    add_person(st, "p1", "alice");
    add_record(st, "a0", 1, "p1", "85354-9", 1000000, 1);
    add_record(st, "a1", 1, "p1", "85354-9", 2000000, 1);
    /* A first page takes the snapshot: the last rowid written as it saw it. */
    int64_t snap = 0;
    struct record_query first = {.person_id = "p1", .resource_type = "Observation", .count = 10, .taken = &snap};
    struct collected seen = {.n = 0};
    assert_int_equal(store_record_search(st, &first, collect, &seen), PHR_OK);
    assert_int_equal(seen.n, 2);
    assert_int_equal(snap, 2);
    assert_int_equal(store_record_supersede(st, "a0", 1), PHR_OK);
    add_record(st, "a0", 2, "p1", "85354-9", 9000000, 1);
    assert_int_equal(store_record_replaced(st, "a0", 2), PHR_OK);
    add_record(st, "a2", 1, "p1", "85354-9", 3000000, 1);
    struct record_query q = {.person_id = "p1", .resource_type = "Observation", .count = 10, .snapshot = snap,
                             .replaced = 1};
    struct collected c = {.n = 0};
    assert_int_equal(store_record_search(st, &q, collect, &c), PHR_OK);
    assert_int_equal(c.n, 2);
    assert_string_equal(c.ids[0], "a1");
    assert_string_equal(c.ids[1], "a0");
    assert_int_equal(c.versions[1], 1);
    int64_t n;
    assert_int_equal(store_record_count(st, &q, &n), PHR_OK);
    assert_int_equal(n, 2);
    int any = 0;
    assert_int_equal(store_record_replaced_since(st, "p1", snap, &any), PHR_OK);
    assert_true(any);
    assert_int_equal(store_record_replaced_since(st, "p1", snap + 1, &any), PHR_OK);
    assert_false(any);
    /* Now: the current versions, the corrected one where it now stands. */
    q.snapshot = 0;
    c.n = 0;
    assert_int_equal(store_record_search(st, &q, collect, &c), PHR_OK);
    assert_int_equal(c.n, 3);
    assert_string_equal(c.ids[0], "a0");
    assert_int_equal(c.versions[0], 2);
}

/* A record written before records had a kind matches no kind until it
 * is classified; classifying is once. */
static void unclassified_records(void **state)
{
    struct store_fixture *f = *state;
    struct store *st = f->st;
    add_person(st, "p1", "alice");
    add_record(st, "a0", 1, "p1", "85354-9", 1000, 1);
    add_record(st, "a1", 1, "p1", "29463-7", 2000, 1);
    sqlite3 *db;
    assert_int_equal(sqlite3_open(f->db, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, "UPDATE records SET data_kind = NULL WHERE id = 'a1'", NULL, NULL, NULL),
                     SQLITE_OK);
    sqlite3_close(db);
    struct record_query q = {.person_id = "p1", .resource_type = "Observation", .count = 10,
                             .kinds = ",blood-pressure,body-weight,"};
    int64_t n;
    assert_int_equal(store_record_count(st, &q, &n), PHR_OK);
    assert_int_equal(n, 1);
    struct collected c = {.n = 0};
    assert_int_equal(store_record_unclassified(st, 10, collect, &c), PHR_OK);
    assert_int_equal(c.n, 1);
    assert_string_equal(c.ids[0], "a1");
    assert_int_equal(store_record_classify(st, "a1", 1, "body-weight"), PHR_OK);
    assert_int_equal(store_record_classify(st, "a0", 1, "steps"), PHR_OK); /* classified already: unchanged */
    c.n = 0;
    assert_int_equal(store_record_unclassified(st, 10, collect, &c), PHR_OK);
    assert_int_equal(c.n, 0);
    assert_int_equal(store_record_count(st, &q, &n), PHR_OK);
    assert_int_equal(n, 2);
}

static void newer_schema_refused(void **state)
{
    struct store_fixture *f = *state;
    store_close(f->st);
    f->st = NULL;
    sqlite3 *db;
    assert_int_equal(sqlite3_open(f->db, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, "PRAGMA user_version = 999", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
    struct store *st = NULL;
    assert_int_equal(store_open(f->db, 0, &st), PHR_EVERSION);
    assert_int_equal(store_open(f->db, STORE_READONLY, &st), PHR_EVERSION);
    assert_null(st);
}

static void got_wrapped(void *arg, const struct person_row *p)
{
    assert_int_equal(p->wrapped_key_len, sizeof WRAPPED);
    memcpy(arg, p->wrapped_key, sizeof WRAPPED);
}

/* A store of schema 8 kept its data keys in phr.db; opening it moves them
 * to keys.db before the old table is dropped (R3.10's key store). */
static void data_keys_move_to_the_key_store(void **state)
{
    struct store_fixture *f = *state;
    store_close(f->st);
    f->st = NULL;
    char *old = path_in(f->dir, "old.db");
    sqlite3 *db;
    assert_int_equal(sqlite3_open(old, &db), SQLITE_OK);
    for (int v = 0; v < 8; v++)
        assert_int_equal(sqlite3_exec(db, sqlite_migrations[v].sql, NULL, NULL, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db,
                                  "PRAGMA user_version = 8;"
                                  "INSERT INTO persons VALUES('p1', 'a@example.jp', 'h', 'active', 1);"
                                  "INSERT INTO data_keys VALUES('p1', 'k', x'01');",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    sqlite3_stmt *q;
    assert_int_equal(sqlite3_prepare_v2(db, "UPDATE data_keys SET wrapped = ?", -1, &q, NULL), SQLITE_OK);
    sqlite3_bind_blob(q, 1, WRAPPED, sizeof WRAPPED, SQLITE_STATIC);
    assert_int_equal(sqlite3_step(q), SQLITE_DONE);
    sqlite3_finalize(q);
    sqlite3_close(db);

    struct store *st = NULL;
    assert_int_equal(store_open(old, STORE_CREATE, &st), PHR_OK);
    unsigned char got[sizeof WRAPPED] = {0};
    assert_int_equal(store_person_by_id(st, "p1", got_wrapped, got), PHR_OK);
    assert_memory_equal(got, WRAPPED, sizeof WRAPPED);
    store_close(st);
    assert_int_equal(sqlite3_open(old, &db), SQLITE_OK);
    assert_int_not_equal(sqlite3_exec(db, "SELECT 1 FROM data_keys", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
    free(old);
}

static void audit_log_is_append_only(void **state)
{
    struct store *st = ((struct store_fixture *)*state)->st;
    unsigned char h[32] = {0};
    struct audit_row a = {.seq = 1, .at = 1, .actor = "a", .role = "r", .action = "x", .result = "allow",
                          .prev_hash = h, .hash = h};
    assert_int_equal(store_audit_insert(st, &a), PHR_OK);
    int64_t seq;
    assert_int_equal(store_audit_last(st, &seq, h), PHR_OK);
    assert_int_equal(seq, 1);
}

static void missing_store_not_created_without_flag(void **state)
{
    struct store_fixture *f = *state;
    char *p = path_in(f->dir, "absent.db");
    struct store *st = NULL;
    assert_int_equal(store_open(p, 0, &st), PHR_ENOTFOUND);
    free(p);
}

/* A reader that keeps one snapshot (a Bulk export waiting for its
 * provision record to commit) must not make each commit wait out the busy
 * timeout (10 s) once the WAL is past the restart mark: the writer tries
 * the restart briefly and then lets the log grow until the reader is done.
 * 72 MB through the WAL, 22 commits of which the last ~6 are past the mark;
 * the bound is far from both (a few hundred ms here, a minute before). */
static void pinned_reader_does_not_stall_commits(void **state)
{
    struct store_fixture *f = *state;
    store_close(f->st);
    assert_int_equal(store_open(f->db, STORE_WRITER, &f->st), PHR_OK);
    struct store *w = f->st, *rd = NULL;
    add_person(w, "p1", "a@example.jp");
    add_record(w, "r0", 1, "p1", "8867-4", 1000, 1);
    assert_int_equal(store_open(f->db, STORE_READONLY, &rd), PHR_OK);
    assert_int_equal(store_begin_read(rd), PHR_OK);
    struct collected c = {0};
    assert_int_equal(store_record_history(rd, "r0", collect, &c), PHR_OK);
    static unsigned char body[64 * 1024];
    memset(body, 7, sizeof body);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (int batch = 0; batch < 22; batch++) {
        assert_int_equal(store_begin(w), PHR_OK);
        for (int i = 0; i < 50; i++) {
            char id[32];
            snprintf(id, sizeof id, "big-%d-%d", batch, i);
            struct record_row r = {.id = id, .version = 1, .person_id = "p1", .resource_type = "Observation",
                                   .code_system = "http://loinc.org", .code = "8867-4", .category = "vital-signs",
                                   .data_kind = "heart-rate", .effective_start = 1, .effective_end = 2, .data_category = 3,
                                   .source = "self-measured", .recorded_at = 5, .recorded_by = "person:x",
                                   .channel = "test", .original_mac = MAC, .alg = 1, .body = body,
                                   .body_len = sizeof body, .original = (const unsigned char *)"o",
                                   .original_len = 1, .current = 1};
            assert_int_equal(store_record_insert(w, &r), PHR_OK);
        }
        assert_int_equal(store_commit(w), PHR_OK);
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    assert_true(secs < 9.0);
    assert_int_equal(store_commit(rd), PHR_OK);
    store_close(rd);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(persons_unique_by_login, store_fixture_setup, store_fixture_teardown),
        cmocka_unit_test_setup_teardown(sessions, store_fixture_setup, store_fixture_teardown),
        cmocka_unit_test_setup_teardown(throttle, store_fixture_setup, store_fixture_teardown),
        cmocka_unit_test_setup_teardown(versions_and_history, store_fixture_setup, store_fixture_teardown),
        cmocka_unit_test_setup_teardown(search_by_person_code_and_dates, store_fixture_setup, store_fixture_teardown),
        cmocka_unit_test_setup_teardown(search_snapshot, store_fixture_setup, store_fixture_teardown),
        cmocka_unit_test_setup_teardown(unclassified_records, store_fixture_setup, store_fixture_teardown),
        cmocka_unit_test_setup_teardown(newer_schema_refused, store_fixture_setup, store_fixture_teardown),
        cmocka_unit_test_setup_teardown(data_keys_move_to_the_key_store, store_fixture_setup, store_fixture_teardown),
        cmocka_unit_test_setup_teardown(audit_log_is_append_only, store_fixture_setup, store_fixture_teardown),
        cmocka_unit_test_setup_teardown(missing_store_not_created_without_flag, store_fixture_setup, store_fixture_teardown),
        cmocka_unit_test_setup_teardown(pinned_reader_does_not_stall_commits, store_fixture_setup, store_fixture_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
