/* Master-key rotation (R2.5). The data keys stay the same, so no record is
 * re-sealed: each wrapped data key (and each staff TOTP key sealed under
 * the master key) is opened with the old key and wrapped again with the
 * current one, a batch per writer job, so the service keeps serving
 * between batches. Rows wrapped by a key that is not loaded stop the
 * rotation with its id named; it can simply be run again. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>

#include "service/anonymised_table.h"
#include "service/internal.h"
#include "util/err.h"
#include "util/log.h"

#define BATCH 500
#define TOTP_SEALED_MAX 64

struct rotate_job {
    struct job job;
    struct service *svc;
    int64_t done;
    char missing[KEY_ID_LEN + 1];  /* a key id no loaded key has */
};

struct pending {
    char person[ID_LEN + 1], key_id[KEY_ID_LEN + 1];
    unsigned char wrapped[WRAPPED_KEY_BYTES];
};

struct batch {
    struct pending p[BATCH];
    size_t n;
};

static int collect(void *arg, const char *person_id, const char *key_id, const unsigned char *wrapped, size_t len)
{
    struct batch *b = arg;
    if (b->n == BATCH || len != WRAPPED_KEY_BYTES || strlen(person_id) > ID_LEN || strlen(key_id) > KEY_ID_LEN)
        return len != WRAPPED_KEY_BYTES ? PHR_ECRYPTO : PHR_OK;
    struct pending *p = &b->p[b->n++];
    memcpy(p->person, person_id, strlen(person_id) + 1);
    memcpy(p->key_id, key_id, strlen(key_id) + 1);
    memcpy(p->wrapped, wrapped, WRAPPED_KEY_BYTES);
    return PHR_OK;
}

static int rotate_run(struct job *j, struct store *st)
{
    struct rotate_job *r = (struct rotate_job *)j;
    struct service *svc = r->svc;
    struct batch *b = calloc(1, sizeof *b);
    if (!b)
        return PHR_ENOMEM;
    int err = store_data_keys_other(st, mkey_id(svc->mk), BATCH, collect, b);
    for (size_t i = 0; !err && i < b->n; i++) {
        const struct master_key *from = service_key_by_id(svc, b->p[i].key_id);
        if (!from) {
            snprintf(r->missing, sizeof r->missing, "%s", b->p[i].key_id);
            err = PHR_ENOTFOUND;
            break;
        }
        unsigned char out[WRAPPED_KEY_BYTES];
        err = mkey_rewrap(from, svc->mk, b->p[i].person, b->p[i].wrapped, out);
        if (!err)
            err = store_data_key_update(st, b->p[i].person, mkey_id(svc->mk), out, sizeof out);
        r->done += !err;
    }
    sodium_memzero(b, sizeof *b);
    free(b);
    return err;
}

struct totp_row {
    char id[ID_LEN + 1];
    unsigned char sealed[TOTP_SEALED_MAX];
    size_t len;
};

struct totp_rows {
    struct totp_row *r;
    size_t n, cap;
};

static int got_staff(void *arg, const struct staff_row *s)
{
    struct totp_rows *t = arg;
    if (s->totp_sealed_len > TOTP_SEALED_MAX)
        return PHR_ECRYPTO;
    if (t->n == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 16;
        struct totp_row *p = realloc(t->r, cap * sizeof *p);
        if (!p)
            return PHR_ENOMEM;
        t->r = p;
        t->cap = cap;
    }
    struct totp_row *x = &t->r[t->n++];
    snprintf(x->id, sizeof x->id, "%s", s->id);
    memcpy(x->sealed, s->totp_sealed, s->totp_sealed_len);
    x->len = s->totp_sealed_len;
    return PHR_OK;
}

/* Staff TOTP keys: few, so one job. A key that opens under the current
 * master key is left alone. */
struct totp_job {
    struct job job;
    struct service *svc;
    int64_t done;
};

static int totp_run(struct job *j, struct store *st)
{
    struct totp_job *t = (struct totp_job *)j;
    struct totp_rows rows = {0};
    int err = store_staff_list(st, got_staff, &rows);
    for (size_t i = 0; !err && i < rows.n; i++) {
        struct totp_row *x = &rows.r[i];
        unsigned char sealed[TOTP_SEALED_MAX];
        char ad[64];
        snprintf(ad, sizeof ad, "phr-staff-totp:%s", x->id);
        if (x->len < MKEY_SEAL_OVERHEAD)
            continue;
        if ((err = service_reseal(t->svc, ad, x->sealed, x->len, sealed)) == 1 &&
            (err = store_staff_totp_update(st, x->id, sealed, x->len)) == PHR_OK)
            t->done++;
    }
    if (rows.r)
        sodium_memzero(rows.r, rows.cap * sizeof *rows.r);
    free(rows.r);
    return err;
}

struct note_op {
    struct op op;
    char what[120];
};

static int note_commit(struct op *o, struct store *st)
{
    return gate_record(st, &o->actor, ACT_KEYS_ROTATE, NULL, ((struct note_op *)o)->what, NULL, GATE_ALLOW);
}

static const struct op_ops note_ops = {note_commit, NULL, NULL};

int keys_rotate(struct service *svc, const struct actor *a, void (*progress)(int64_t done, int64_t total),
                int64_t *rewrapped, struct fault *fault)
{
    *rewrapped = 0;
    if (gate_decide(a, ACT_KEYS_ROTATE, NULL) == GATE_DENY)
        return fault_set(fault, F_FORBIDDEN, NULL, "only the operator rotates keys");
    struct store *rd;
    int64_t total = 0;
    int err = service_reader(svc, &rd);
    if (!err) {
        err = store_data_keys_count_other(rd, mkey_id(svc->mk), &total);
        service_reader_done(svc, rd);
    }
    if (err)
        return fault_set(fault, F_UNAVAILABLE, NULL, "the store is not available");
    struct rotate_job r = {.job = {.run = rotate_run}, .svc = svc};
    while (r.done < total) {
        int64_t before = r.done;
        err = writer_call(svc->writer, &r.job);
        if (err == PHR_ENOTFOUND)
            return fault_set(fault, F_INVALID_VALUE, "old-keys",
                             "data keys are wrapped by master key %s, which is not loaded: give that key too",
                             r.missing);
        if (err)
            return fault_set(fault, F_UNAVAILABLE, NULL, "re-wrapping failed (%s); run the rotation again",
                             phr_strerror(err));
        if (progress)
            progress(r.done, total);
        if (r.done == before)
            break; /* nothing left that this pass can move (new rows come wrapped by the current key) */
    }
    struct totp_job t = {.job = {.run = totp_run}, .svc = svc};
    if ((err = writer_call(svc->writer, &t.job)) != PHR_OK)
        return fault_set(fault, F_INVALID_VALUE, "old-keys",
                         "a staff TOTP key opens under no loaded master key: give the key it was sealed with too");
    int64_t sets = 0;
    if ((err = anonymised_reseal_keys(svc, &sets)) != PHR_OK)
        return fault_set(fault, F_INVALID_VALUE, "old-keys",
                         "an anonymised data set's key opens under no loaded master key: give the key it was sealed "
                         "with too");
    *rewrapped = r.done;
    struct note_op *n = calloc(1, sizeof *n);
    if (!n)
        return fault_set(fault, F_INTERNAL, NULL, "out of memory");
    op_init(&n->op, svc, &note_ops, a);
    snprintf(n->what, sizeof n->what, "to:%s data-keys:%lld staff-totp:%lld anonymised:%lld", mkey_id(svc->mk),
             (long long)r.done, (long long)t.done, (long long)sets);
    err = op_wait(svc, &n->op);
    op_free(&n->op);
    if (err)
        return fault_set(fault, F_UNAVAILABLE, NULL, "the rotation could not be recorded");
    log_event(LOG_INFO, "keys.rotated", "to", mkey_id(svc->mk), NULL);
    return 0;
}
