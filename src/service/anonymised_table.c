/* A data set's table kept with its record (R3.13): sealed at rest under a
 * key of its own, that key sealed under the master key (APPI Art.43(6)
 * asks safety measures of anonymised data too), so that the manager can
 * take it out later to hand over, and a key rotation re-seals only the
 * keys. Taking it out is recorded before it is given. */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "access/gate.h"
#include "crypto/digest.h"
#include "crypto/seal.h"
#include "service/anonymised_table.h"
#include "service/internal.h"
#include "store/anonymised.h"
#include "util/err.h"

#define SEALED_KEY_BYTES (DATA_KEY_BYTES + MKEY_SEAL_OVERHEAD)

static void ad_of(char *ad, size_t size, const char *what, const char *name)
{
    snprintf(ad, size, "phr-anonymised-%s:%s", what, name);
}

int anonymised_seal(const struct service *svc, const char *name, const struct buf *table, struct anonymised_kept *out)
{
    unsigned char key[DATA_KEY_BYTES];
    char ad[128];
    memset(out, 0, sizeof *out);
    randombytes_buf(key, sizeof key);
    ad_of(ad, sizeof ad, "key", name);
    mkey_seal(svc->mk, ad, key, sizeof key, out->key);
    ad_of(ad, sizeof ad, "table", name);
    int err = seal(key, ad, table->data ? table->data : "", table->len, &out->table);
    sodium_memzero(key, sizeof key);
    if (err)
        buf_free(&out->table);
    return err;
}

void anonymised_kept_free(struct anonymised_kept *k)
{
    buf_free(&k->table);
}

struct opened {
    const struct service *svc;
    struct buf *out;
    char sha256[65];
    int none;
};

/* The key opens under the current master key or an old one given. */
static int open_row(void *arg, const struct anonymised_sealed *s)
{
    struct opened *o = arg;
    unsigned char key[DATA_KEY_BYTES];
    char ad[128];
    if (!s->key || !s->table) {
        o->none = 1;
        return PHR_OK;
    }
    if (s->key_len != SEALED_KEY_BYTES)
        return PHR_ECRYPTO;
    snprintf(o->sha256, sizeof o->sha256, "%s", s->table_sha256);
    ad_of(ad, sizeof ad, "key", s->name);
    int err = service_open_sealed(o->svc, ad, s->key, s->key_len, key);
    if (!err) {
        ad_of(ad, sizeof ad, "table", s->name);
        err = seal_open(SEAL_XCHACHA20POLY1305, key, ad, s->table, s->table_len, o->out);
    }
    sodium_memzero(key, sizeof key);
    return err;
}

int anonymised_kept_open(struct service *svc, struct store *rd, const char *name, struct buf *out, struct fault *fault)
{
    struct opened o = {.svc = svc, .out = out};
    int err = store_anonymised_sealed(rd, name, open_row, &o);
    if (err == PHR_ENOTFOUND)
        return fault_set(fault, F_NOT_FOUND, NULL, "no data set of that name");
    if (err == PHR_ECRYPTO)
        return fault_set(fault, F_UNAVAILABLE, NULL,
                         "the data set's table does not open under the loaded master keys: load the master key "
                         "it was sealed with as an old key");
    if (err)
        return fault_set(fault, F_UNAVAILABLE, NULL, "the store is not available");
    if (o.none)
        return fault_set(fault, F_NOT_FOUND, NULL,
                         "this data set's table was not kept (made before tables were kept): make it again");
    char hex[DIGEST_SHA256_HEX + 1];
    digest_sha256_hex(out->data, out->len, hex);
    if (strcmp(hex, o.sha256)) {
        buf_wipe(out);
        return fault_set(fault, F_INTERNAL, NULL, "the kept table is not the one recorded: its SHA-256 differs");
    }
    return 0;
}

/* The kept table of name into out, checked against the hash recorded
 * when it was made. */
static int kept(struct service *svc, const char *name, struct buf *out, struct fault *fault)
{
    struct store *rd;
    if (service_reader(svc, &rd))
        return fault_set(fault, F_UNAVAILABLE, NULL, "the store is not available");
    int rc = anonymised_kept_open(svc, rd, name, out, fault);
    service_reader_done(svc, rd);
    return rc;
}

struct table_note {
    struct job job;
    const struct actor *a;
    const char *name;
};

static int note_run(struct job *j, struct store *st)
{
    struct table_note *x = (struct table_note *)j;
    return gate_record(st, x->a, ACT_ANONYMISE_TABLE, NULL, NULL, x->name, GATE_ALLOW);
}

int anonymised_table(struct service *svc, const struct actor *a, const char *name, struct buf *out,
                     struct fault *fault)
{
    if (gate_decide(a, ACT_ANONYMISE_TABLE, NULL) == GATE_DENY)
        return fault_set(fault, F_FORBIDDEN, NULL,
                         "a data set's table is taken out by the information-asset manager, who provides it");
    if (kept(svc, name, out, fault))
        return -1;
    struct table_note x = {.job = {.run = note_run}, .a = a, .name = name};
    if (writer_call(svc->writer, &x.job)) {
        buf_wipe(out);
        return fault_set(fault, F_UNAVAILABLE, NULL, "the taking out could not be recorded, so the table is not given");
    }
    return 0;
}

int anonymised_kept_sha256(struct service *svc, const char *name, char hex[65], struct fault *fault)
{
    struct buf table = {0};
    if (kept(svc, name, &table, fault))
        return -1;
    digest_sha256_hex(table.data, table.len, hex);
    buf_wipe(&table);
    return 0;
}

/* --- key rotation --- */

struct key_row {
    char name[64];
    unsigned char key[SEALED_KEY_BYTES];
};

struct key_rows {
    struct key_row *r;
    size_t n, cap;
};

static int got_key(void *arg, const struct anonymised_sealed *s)
{
    struct key_rows *k = arg;
    if (s->key_len != SEALED_KEY_BYTES || strlen(s->name) >= sizeof k->r->name)
        return PHR_ECRYPTO;
    if (k->n == k->cap) {
        size_t cap = k->cap ? k->cap * 2 : 8;
        struct key_row *p = realloc(k->r, cap * sizeof *p);
        if (!p)
            return PHR_ENOMEM;
        k->r = p;
        k->cap = cap;
    }
    snprintf(k->r[k->n].name, sizeof k->r->name, "%s", s->name);
    memcpy(k->r[k->n++].key, s->key, SEALED_KEY_BYTES);
    return PHR_OK;
}

struct reseal_job {
    struct job job;
    struct service *svc;
    int64_t done;
};

/* Few keys (one per data set), so one job. A key that opens under the
 * current master key is left alone. */
static int reseal_run(struct job *j, struct store *st)
{
    struct reseal_job *x = (struct reseal_job *)j;
    struct key_rows rows = {0};
    int err = store_anonymised_keys(st, got_key, &rows);
    for (size_t i = 0; !err && i < rows.n; i++) {
        unsigned char sealed[SEALED_KEY_BYTES];
        char ad[128];
        ad_of(ad, sizeof ad, "key", rows.r[i].name);
        if ((err = service_reseal(x->svc, ad, rows.r[i].key, SEALED_KEY_BYTES, sealed)) == 1 &&
            (err = store_anonymised_key_update(st, rows.r[i].name, sealed, sizeof sealed)) == PHR_OK)
            x->done++;
    }
    if (rows.r)
        sodium_memzero(rows.r, rows.cap * sizeof *rows.r);
    free(rows.r);
    return err;
}

int anonymised_reseal_keys(struct service *svc, int64_t *done)
{
    struct reseal_job x = {.job = {.run = reseal_run}, .svc = svc};
    int err = writer_call(svc->writer, &x.job);
    *done = x.done;
    return err;
}
