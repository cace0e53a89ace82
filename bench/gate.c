/* bench/gate: what the consent gate costs beside what it guards.
 *
 * A store with 20 purposes (5 of them provision purposes naming groups),
 * 1,000 recipients in 10 groups, and PERSONS persons who each decided on
 * every purpose, with one sealed record each. Then:
 *   - the gate's reads as phr makes them: on the writer's connection,
 *     inside batch transactions of 256 jobs: consent facts (a person's own
 *     acquisition) and a provision scope (a recipient reading records:
 *     every basis and the kinds of data it covers);
 *   - a record read as phr makes it, on a read connection, without HTTP:
 *     the row, the person's data key unwrapped, the body opened.
 * Prints each gate decision's cost as a share of the record read's;
 * scripts/bench.sh also sets it beside a whole read request.
 *
 * usage: gate DIR [PERSONS] [ITERATIONS] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>

#include "access/gate.h"
#include "crypto/keys.h"
#include "crypto/seal.h"
#include "store/store.h"
#include "util/buf.h"
#include "util/clock.h"
#include "util/ids.h"

#define PURPOSES 20
#define RECIPIENTS 1000
#define GROUPS 10

static int check(int err, const char *what)
{
    if (err) {
        fprintf(stderr, "gate bench: %s failed (%d)\n", what, err);
        exit(1);
    }
    return 0;
}

struct fixture {
    struct master_key *mk;
    char (*persons)[ID_LEN + 1];
    char (*records)[ID_LEN + 1];
    char (*recipients)[ID_LEN + 1];
    unsigned char (*wrapped)[WRAPPED_KEY_BYTES];
};

static void populate(struct store *st, struct fixture *f, int persons)
{
    check(store_begin(st), "begin");
    for (int i = 0; i < PURPOSES; i++) {
        char code[16], group[16];
        snprintf(code, sizeof code, "purpose-%02d", i);
        snprintf(group, sizeof group, "group-%02d", i % GROUPS);
        struct purpose_row p = {.code = code, .version = 1, .required = i == 0, .title_ja = "目的",
                                .description_ja = "説明", .change = "initial", .published_at = 1,
                                .recipient_group = i >= 15 ? group : NULL, .kinds = i >= 15 ? "vital-signs" : NULL};
        check(store_purpose_insert(st, &p), "purpose");
    }
    for (int g = 0; g < GROUPS; g++) {
        char group[16];
        snprintf(group, sizeof group, "group-%02d", g);
        check(store_group_insert(st, group, "group", 1), "group");
    }
    unsigned char hash[32] = {0};
    for (int r = 0; r < RECIPIENTS; r++) {
        id_uuid(f->recipients[r]);
        struct recipient_row row = {.id = f->recipients[r], .name = "recipient", .address = "addr",
                                    .country = r % 10 ? "JP" : "US", .contact = "c", .secret_hash = hash,
                                    .created_at = 1};
        check(store_recipient_insert(st, &row), "recipient");
        struct agreement_row ag = {.recipient_id = f->recipients[r], .version = "v1", .signed_on = 1, .recorded_at = 1};
        check(store_agreement_insert(st, &ag), "agreement");
        char group[16];
        snprintf(group, sizeof group, "group-%02d", r % GROUPS);
        check(store_group_change(st, group, f->recipients[r], "join", 1), "join");
    }
    struct buf body, sealed;
    buf_init(&body);
    buf_init(&sealed);
    for (int i = 0; i < 1300; i++)
        buf_puts(&body, "x");
    unsigned char mac[32] = {0};
    for (int n = 0; n < persons; n++) {
        id_uuid(f->persons[n]);
        check(mkey_new_data_key(f->mk, f->persons[n], f->wrapped[n]), "data key");
        char login[64];
        snprintf(login, sizeof login, "p%d@example.jp", n);
        struct person_row p = {.id = f->persons[n], .login = login, .pw_hash = "h", .status = "active",
                               .created_at = 1, .master_key_id = mkey_id(f->mk), .wrapped_key = f->wrapped[n],
                               .wrapped_key_len = WRAPPED_KEY_BYTES};
        check(store_person_insert(st, &p), "person");
        for (int i = 0; i < PURPOSES; i++) {
            char code[16];
            snprintf(code, sizeof code, "purpose-%02d", i);
            struct consent_row c = {.person_id = f->persons[n], .purpose = code, .purpose_version = 1,
                                    .decision = (i + n) % 3 ? "grant" : "refuse", .at = 1, .channel = "api",
                                    .recorded_by = "person", .documents = "", .countries = ""};
            check(store_consent_append(st, &c), "consent");
        }
        unsigned char key[DATA_KEY_BYTES];
        check(mkey_unwrap(f->mk, f->persons[n], f->wrapped[n], key), "unwrap");
        id_uuid7(f->records[n]);
        char ad[96];
        snprintf(ad, sizeof ad, "phr-record:%s:1:body", f->records[n]);
        sealed.len = 0;
        check(seal(key, ad, body.data, body.len, &sealed), "seal");
        sodium_memzero(key, sizeof key);
        struct record_row r = {.id = f->records[n], .version = 1, .person_id = f->persons[n],
                               .resource_type = "Observation", .code_system = "http://loinc.org", .code = "8867-4",
                               .category = "vital-signs", .data_kind = "heart-rate", .effective_start = 1,
                               .effective_end = 1,
                               .data_category = 3, .source = "self", .recorded_at = 1, .recorded_by = "p",
                               .channel = "api", .original_mac = mac, .alg = SEAL_XCHACHA20POLY1305,
                               .body = (unsigned char *)sealed.data, .body_len = sealed.len,
                               .original = (unsigned char *)sealed.data, .original_len = sealed.len, .current = 1};
        check(store_record_insert(st, &r), "record");
    }
    check(store_commit(st), "commit");
    buf_free(&body);
    buf_free(&sealed);
}

struct read_ctx {
    struct fixture *f;
    int n;
    struct buf *out;
};

static int open_body(void *arg, const struct record_row *r)
{
    struct read_ctx *c = arg;
    unsigned char key[DATA_KEY_BYTES];
    check(mkey_unwrap(c->f->mk, r->person_id, c->f->wrapped[c->n], key), "unwrap");
    char ad[96];
    snprintf(ad, sizeof ad, "phr-record:%s:%d:body", r->id, r->version);
    c->out->len = 0;
    int err = seal_open(r->alg, key, ad, r->body, r->body_len, c->out);
    sodium_memzero(key, sizeof key);
    return err;
}

int main(int argc, char **argv)
{
    if (argc < 2 || sodium_init() < 0) {
        fprintf(stderr, "usage: gate DIR [PERSONS] [ITERATIONS]\n");
        return 2;
    }
    int persons = argc > 2 ? atoi(argv[2]) : 2000, iters = argc > 3 ? atoi(argv[3]) : 200000;
    char db[512], key[512];
    snprintf(db, sizeof db, "%s/gate.db", argv[1]);
    snprintf(key, sizeof key, "%s/gate.key", argv[1]);
    struct fixture f = {0};
    f.persons = calloc((size_t)persons, sizeof *f.persons);
    f.records = calloc((size_t)persons, sizeof *f.records);
    f.wrapped = calloc((size_t)persons, sizeof *f.wrapped);
    f.recipients = calloc(RECIPIENTS, sizeof *f.recipients);
    check(!f.persons || !f.records || !f.wrapped || !f.recipients, "alloc");
    check(mkey_create(key), "master key");
    check(mkey_load(key, &f.mk), "master key");
    struct store *w, *rd;
    check(store_open(db, STORE_CREATE, &w), "open");
    populate(w, &f, persons);
    check(store_open(db, STORE_READONLY, &rd), "open reader");

    struct consent_facts cf;
    struct provision_scope scope;
    struct buf out;
    buf_init(&out);
    int allowed = 0;
    double t0 = clock_mono_ms();
    for (int i = 0; i < iters; i++) {
        if (i % 256 == 0)
            check(store_begin(w), "begin");
        check(store_consent_facts(w, f.persons[i % persons], &cf), "facts");
        if (i % 256 == 255 || i == iters - 1)
            check(store_commit(w), "commit");
    }
    double facts_ms = clock_mono_ms() - t0;
    t0 = clock_mono_ms();
    for (int i = 0; i < iters; i++) {
        if (i % 256 == 0)
            check(store_begin(w), "begin");
        struct actor a = {.kind = ACTOR_RECIPIENT};
        snprintf(a.id, sizeof a.id, "%s", f.recipients[(i * 7) % RECIPIENTS]);
        check(gate_provision_scope(w, &a, f.persons[i % persons], &scope), "scope");
        allowed += (scope.kinds & DATA_KIND_BIT(DK_HEART_RATE)) != 0;
        if (i % 256 == 255 || i == iters - 1)
            check(store_commit(w), "commit");
    }
    double basis_ms = clock_mono_ms() - t0;
    t0 = clock_mono_ms();
    for (int i = 0; i < iters; i++) {
        struct read_ctx c = {&f, i % persons, &out};
        check(store_record_get(rd, f.records[i % persons], 0, open_body, &c), "read");
    }
    double read_ms = clock_mono_ms() - t0;
    store_close(rd);
    store_close(w);
    mkey_free(f.mk);
    buf_free(&out);

    double facts_us = facts_ms * 1000 / iters, basis_us = basis_ms * 1000 / iters, read_us = read_ms * 1000 / iters;
    printf("store: %d purposes, %d recipients in %d groups, %d persons with a decision on every purpose\n", PURPOSES,
           RECIPIENTS, GROUPS, persons);
    printf("%-46s %10s %s\n", "", "us/call", "share of a record read (target < 0.05)");
    printf("%-46s %10.2f %.3f\n", "gate: consent facts (acquisition)", facts_us, facts_us / read_us);
    printf("%-46s %10.2f %.3f  (%d of %d allowed)\n", "gate: provision scope (recipient read)", basis_us,
           basis_us / read_us, allowed, iters);
    printf("%-46s %10.2f 1\n", "limit: record read (row + key unwrap + open)", read_us);
    free(f.persons);
    free(f.records);
    free(f.wrapped);
    free(f.recipients);
    return 0;
}
