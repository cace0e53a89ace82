/* A person's demographics (formats/demographics.h): read and corrected by
 * the person (R3.8, R3.12; what was corrected is kept), merged from the
 * files they import, opened for the documents written for them. Sealed
 * with the person's data key under "demographics:<person>". */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>

#include "crypto/seal.h"
#include "formats/json.h"
#include "service/internal.h"
#include "store/demographics.h"
#include "util/clock.h"
#include "util/err.h"

#define JST_MIN (9 * 60)

static void ad_of(char out[96], const char *person)
{
    snprintf(out, 96, "demographics:%s", person);
}

int person_demographics_seal(const unsigned char key[DATA_KEY_BYTES], const char *person, const struct buf *plain,
                             struct buf *sealed)
{
    char ad[96];
    ad_of(ad, person);
    return seal(key, ad, plain->data, plain->len, sealed);
}

int person_demographics_open(const unsigned char key[DATA_KEY_BYTES], const char *person, const unsigned char *sealed,
                             size_t len, struct buf *plain)
{
    char ad[96];
    ad_of(ad, person);
    plain->len = 0;
    return seal_open(SEAL_XCHACHA20POLY1305, key, ad, sealed, len, plain);
}

struct opened {
    const unsigned char *key;
    const char *person;
    struct buf *plain;
    char as_of[11];
};

static int open_current(void *arg, const unsigned char *sealed, size_t len, const char *as_of)
{
    struct opened *o = arg;
    snprintf(o->as_of, sizeof o->as_of, "%s", as_of ? as_of : "");
    return person_demographics_open(o->key, o->person, sealed, len, o->plain);
}

int person_demographics_load(struct store *rd, const char *person, const unsigned char key[DATA_KEY_BYTES],
                             struct demographics *d, char as_of[11])
{
    struct buf plain = {0};
    struct opened o = {.key = key, .person = person, .plain = &plain};
    struct fault fault;
    memset(d, 0, sizeof *d);
    int err = store_demographics_get(rd, person, open_current, &o);
    if (!err) {
        json_object *j = json_tokener_parse(buf_cstr(&plain));
        err = demographics_parse(d, j, &fault) ? PHR_EIO : PHR_OK;
        json_object_put(j);
    }
    buf_wipe(&plain);
    if (as_of)
        snprintf(as_of, 11, "%s", err ? "" : o.as_of);
    return err;
}

/* --- the person's own reading and correction --- */

struct demo_op {
    struct op op;
    char person[ID_LEN + 1];
    struct buf given;             /* a correction: the new demographics as JSON (plaintext) */
    char as_of[11];
    struct buf answer;            /* plaintext */
};

struct answer {
    const unsigned char *key;
    const char *person;
    struct buf *b, plain;
    int n;
};

static int put_earlier(void *arg, const unsigned char *sealed, size_t len, const char *as_of, int64_t at)
{
    struct answer *a = arg;
    char when[32];
    (void)as_of;
    int err = person_demographics_open(a->key, a->person, sealed, len, &a->plain);
    if (err == PHR_ECRYPTO)
        return PHR_OK; /* what does not open is left out of what is shown */
    if (err || a->plain.len < 2)
        return err ? err : PHR_EIO;
    clock_format_ms(at, when);
    /* The sealed object, its closing brace replaced by when it was replaced. */
    return buf_puts(a->b, a->n++ ? "," : "") || buf_append(a->b, a->plain.data, a->plain.len - 1) ||
                   buf_printf(a->b, ",\"replaced_at\":\"%s\"}", when)
               ? PHR_ENOMEM
               : PHR_OK;
}

static int put_current(void *arg, const unsigned char *sealed, size_t len, const char *as_of)
{
    struct answer *a = arg;
    (void)as_of;
    int err = person_demographics_open(a->key, a->person, sealed, len, &a->plain);
    return err ? err : buf_append(a->b, a->plain.data, a->plain.len) ? PHR_ENOMEM : PHR_OK;
}

int person_demographics_earlier(struct store *st, const char *person, const unsigned char key[DATA_KEY_BYTES],
                                struct buf *b)
{
    struct answer a = {.key = key, .person = person, .b = b};
    int err = buf_puts(b, "[") ? PHR_ENOMEM : store_demographics_history(st, person, put_earlier, &a);
    buf_wipe(&a.plain);
    return err ? err : buf_puts(b, "]") ? PHR_ENOMEM : PHR_OK;
}

/* {"demographics":{…}|null,"earlier":[…]} as st holds them now. */
static int render_state(struct store *st, const char *person, const unsigned char key[DATA_KEY_BYTES],
                        struct buf *b)
{
    struct answer a = {.key = key, .person = person, .b = b};
    int err = buf_puts(b, "{\"demographics\":") ? PHR_ENOMEM : store_demographics_get(st, person, put_current, &a);
    if (err == PHR_ENOTFOUND)
        err = buf_puts(b, "null") ? PHR_ENOMEM : PHR_OK;
    buf_wipe(&a.plain);
    if (!err)
        err = buf_puts(b, ",\"earlier\":") ? PHR_ENOMEM : person_demographics_earlier(st, person, key, b);
    return err || buf_puts(b, "}") ? PHR_ENOMEM : PHR_OK;
}

static int demo_commit(struct op *o, struct store *st)
{
    struct demo_op *m = (struct demo_op *)o;
    unsigned char key[DATA_KEY_BYTES];
    int err = service_data_key(o->svc, st, m->person, key);
    if (err == PHR_ENOTFOUND)
        return op_refuse(o, F_NOT_FOUND, "no such person");
    int correct = m->given.len > 0;
    if (!err && correct) {
        struct buf sealed = {0};
        err = person_demographics_seal(key, m->person, &m->given, &sealed);
        if (!err)
            err = store_demographics_put(st, m->person, (const unsigned char *)sealed.data, sealed.len, m->as_of,
                                         clock_now_ms());
        buf_free(&sealed);
    }
    m->answer.len = 0;
    if (!err)
        err = render_state(st, m->person, key, &m->answer);
    sodium_memzero(key, sizeof key);
    if (err)
        return err;
    return gate_record(st, &o->actor, correct ? ACT_RECORD_UPDATE : ACT_RECORD_READ, m->person, "demographics",
                       correct ? "correction" : NULL, GATE_ALLOW);
}

static int demo_render(struct op *o, struct buf *out)
{
    struct demo_op *m = (struct demo_op *)o;
    return buf_append(out, m->answer.data, m->answer.len) ? PHR_ENOMEM : PHR_OK;
}

static void demo_destroy(struct op *o)
{
    struct demo_op *m = (struct demo_op *)o;
    buf_wipe(&m->given);
    buf_wipe(&m->answer);
}

static const struct op_ops demo_ops = {demo_commit, demo_render, demo_destroy};

static struct demo_op *demo_new(struct service *svc, const struct actor *a, const char *person, struct fault *fault)
{
    struct demo_op *m = calloc(1, sizeof *m);
    if (!m) {
        fault_set(fault, F_INTERNAL, NULL, "out of memory");
        return NULL;
    }
    op_init(&m->op, svc, &demo_ops, a);
    snprintf(m->person, sizeof m->person, "%s", person);
    return m;
}

int person_demographics_read(struct service *svc, const struct actor *a, const char *person, struct op **out,
                             struct fault *fault)
{
    *out = NULL;
    if (!person || strlen(person) > ID_LEN || a->kind != ACTOR_PERSON ||
        gate_decide(a, ACT_RECORD_READ, person) == GATE_DENY)
        return service_deny(svc, a, ACT_RECORD_READ, out, fault);
    struct demo_op *m = demo_new(svc, a, person, fault);
    if (!m)
        return -1;
    *out = &m->op;
    return 0;
}

int person_demographics_correct(struct service *svc, const struct actor *a, const char *person, const char *body,
                                size_t len, struct op **out, struct fault *fault)
{
    *out = NULL;
    if (!person || strlen(person) > ID_LEN || a->kind != ACTOR_PERSON ||
        gate_decide(a, ACT_RECORD_UPDATE, person) == GATE_DENY)
        return service_deny(svc, a, ACT_RECORD_UPDATE, out, fault);
    json_object *j = json_parse_strict(body, len, fault);
    if (!j)
        return -1;
    struct demographics d;
    int rc = demographics_parse(&d, j, fault);
    json_object_put(j);
    if (rc)
        return -1;
    struct demo_op *m = demo_new(svc, a, person, fault);
    if (!m) {
        demographics_free(&d);
        return -1;
    }
    d.from = "person";
    clock_format_day(clock_now_ms(), JST_MIN, m->as_of);
    rc = demographics_json(&d, m->as_of, &m->given);
    demographics_free(&d);
    if (rc) {
        demo_destroy(&m->op);
        free(m);
        return fault_set(fault, F_INTERNAL, NULL, "out of memory");
    }
    *out = &m->op;
    return 0;
}
