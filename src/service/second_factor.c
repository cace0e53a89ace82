/* A person's optional second factor (R2.4 for persons): a TOTP key the
 * person adds from the portal, confirmed by a first code, asked for at
 * every sign-in after that, and removed with the password and a code — or
 * by the operator, after checking who asks, when the phone is lost.
 *
 * The key is sealed with the person's own data key, not the master key:
 * key rotation re-wraps that data key and so carries the second factor
 * along, and erasure shreds both at once. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>

#include "crypto/password.h"
#include "crypto/seal.h"
#include "crypto/totp.h"
#include "formats/qr.h"
#include "service/internal.h"
#include "util/clock.h"
#include "util/err.h"

#define SEALED_MAX (TOTP_SECRET_BYTES + SEAL_OVERHEAD)
#define CODES 10                 /* recovery codes, each 16 hex digits (64 bits) */

static void factor_ad(char out[64], const char *person)
{
    snprintf(out, 64, "phr-person-totp:%s", person);
}

struct factor {
    int found, enabled;
    int64_t last_step;
    unsigned char sealed[SEALED_MAX];
    size_t sealed_len;
    int alg;
};

static int got_factor(void *arg, const struct second_factor_row *r)
{
    struct factor *f = arg;
    if (r->sealed_len > sizeof f->sealed)
        return PHR_ECRYPTO;
    f->found = 1;
    f->enabled = r->enabled;
    f->last_step = r->last_step;
    f->alg = r->alg;
    f->sealed_len = r->sealed_len;
    memcpy(f->sealed, r->sealed, r->sealed_len);
    return PHR_OK;
}

/* The person's factor as stored, and its key opened into secret when one
 * is given. */
static int factor_load(struct service *svc, struct store *rd, const char *person, struct factor *f,
                       unsigned char secret[TOTP_SECRET_BYTES])
{
    memset(f, 0, sizeof *f);
    int err = store_second_factor_get(rd, person, got_factor, f);
    if (err == PHR_ENOTFOUND || (!err && !secret))
        return PHR_OK;
    if (err)
        return err;
    unsigned char key[DATA_KEY_BYTES];
    struct buf plain;
    buf_init(&plain);
    char ad[64];
    factor_ad(ad, person);
    if ((err = service_data_key(svc, rd, person, key)) == PHR_OK &&
        (err = seal_open(f->alg, key, ad, f->sealed, f->sealed_len, &plain)) == PHR_OK) {
        if (plain.len == TOTP_SECRET_BYTES)
            memcpy(secret, plain.data, TOTP_SECRET_BYTES);
        else
            err = PHR_ECRYPTO;
    }
    sodium_memzero(key, sizeof key);
    buf_wipe(&plain);
    return err;
}

int second_factor_check(struct service *svc, struct store *rd, const char *person, const char *otp, int64_t now_ms,
                        enum factor_result *res, uint64_t *step)
{
    struct factor f;
    unsigned char secret[TOTP_SECRET_BYTES];
    *step = 0;
    int err = factor_load(svc, rd, person, &f, secret);
    if (err)
        return err;
    if (!f.found || !f.enabled)
        *res = FACTOR_NONE;
    else if (!otp || !*otp)
        *res = FACTOR_MISSING;
    else
        *res = totp_check(secret, now_ms / 1000, otp, (uint64_t)f.last_step, step) == 0 ? FACTOR_OK : FACTOR_WRONG;
    sodium_memzero(secret, sizeof secret);
    return PHR_OK;
}

/* --- the person's changes, and the operator's reset --- */

enum factor_change { CHANGE_BEGIN, CHANGE_CONFIRM, CHANGE_OFF, CHANGE_RESET };
static const char *const change_names[] = {"begin", "confirm", "off", "reset"};

struct factor_op {
    struct op op;
    enum factor_change change;
    char person[ID_LEN + 1];
    int refused;                 /* the password or code was wrong: record the denial */
    int use_code;                /* off: with a recovery code (code_hash), checked in the commit */
    unsigned char code_hash[SHA256_BYTES];
    char codes[CODES][17];       /* confirm: the recovery codes, shown once */
    unsigned char codes_hash[CODES][SHA256_BYTES];
    uint64_t step;
    unsigned char sealed[SEALED_MAX];
    size_t sealed_len;
    struct buf uri;              /* begin: shown once */
};

static int factor_commit(struct op *o, struct store *st)
{
    struct factor_op *f = (struct factor_op *)o;
    const char *what = change_names[f->change];
    if (!f->refused && f->use_code) {
        int err = store_second_factor_code_use(st, f->person, f->code_hash, clock_now_ms());
        if (err && err != PHR_ENOTFOUND)
            return err;
        f->refused = err == PHR_ENOTFOUND;
    }
    if (f->refused) {
        int err = gate_record(st, &o->actor, ACT_SECOND_FACTOR, f->person, what, "wrong-password-or-code", GATE_DENY);
        return err ? err : op_refuse(o, F_PASSWORD_WRONG, "the password or the code is wrong; nothing was changed");
    }
    int err = PHR_OK;
    switch (f->change) {
    case CHANGE_BEGIN: {
        struct second_factor_row r = {.person_id = f->person, .sealed = f->sealed, .sealed_len = f->sealed_len,
                                      .alg = SEAL_XCHACHA20POLY1305, .created_at = clock_now_ms()};
        err = store_second_factor_put(st, &r);
        if (err == PHR_ECONFLICT)
            return op_refuse(o, F_SECOND_FACTOR_ON, "a second factor is on already; turn it off first");
        break;
    }
    case CHANGE_CONFIRM:
        err = store_second_factor_use(st, f->person, (int64_t)f->step);
        if (err == PHR_ECONFLICT)
            return op_refuse(o, F_CONFLICT, "that code was used already; wait for the next one");
        if (!err)
            err = store_second_factor_codes_put(st, f->person, (const unsigned char (*)[SHA256_BYTES])f->codes_hash,
                                                   CODES);
        break;
    case CHANGE_OFF:
    case CHANGE_RESET:
        err = store_second_factor_delete(st, f->person);
        if (err == PHR_ENOTFOUND)
            return op_refuse(o, F_NOT_FOUND, "there is no second factor to turn off");
        break;
    }
    return err ? err : gate_record(st, &o->actor, ACT_SECOND_FACTOR, f->person, what, NULL, GATE_ALLOW);
}

static int factor_render(struct op *o, struct buf *out)
{
    struct factor_op *f = (struct factor_op *)o;
    if (f->change == CHANGE_BEGIN) {
        if (buf_puts(out, "{\"totp_uri\":") || buf_json_str(out, buf_cstr(&f->uri)) || buf_puts(out, ",\"qr\":"))
            return PHR_ENOMEM;
        int err = qr_json(buf_cstr(&f->uri), out);
        return err ? err : buf_puts(out, "}") ? PHR_ENOMEM : PHR_OK;
    }
    if (f->change != CHANGE_CONFIRM)
        return buf_puts(out, "{\"enabled\":false}") ? PHR_ENOMEM : PHR_OK;
    if (buf_puts(out, "{\"enabled\":true,\"recovery_codes\":["))
        return PHR_ENOMEM;
    for (int i = 0; i < CODES; i++)
        if ((i && buf_puts(out, ",")) || buf_json_str(out, f->codes[i]))
            return PHR_ENOMEM;
    return buf_puts(out, "]}") ? PHR_ENOMEM : PHR_OK;
}

static void factor_destroy(struct op *o)
{
    struct factor_op *f = (struct factor_op *)o;
    buf_wipe(&f->uri);
    sodium_memzero(f->sealed, sizeof f->sealed);
    sodium_memzero(f->codes, sizeof f->codes);
}

static const struct op_ops factor_ops = {factor_commit, factor_render, factor_destroy};

static struct factor_op *factor_new(struct service *svc, const struct actor *a, const char *person,
                                    enum factor_change change, struct fault *fault)
{
    struct factor_op *f = calloc(1, sizeof *f);
    if (!f) {
        fault_set(fault, F_INTERNAL, NULL, "out of memory");
        return NULL;
    }
    op_init(&f->op, svc, &factor_ops, a);
    f->change = change;
    snprintf(f->person, sizeof f->person, "%s", person);
    buf_init(&f->uri);
    return f;
}

/* A new key awaiting its first code; the answer's URI (shown once) goes
 * into the authenticator app. */
static int begin(struct service *svc, struct store *rd, struct factor_op *f, struct fault *fault)
{
    struct factor cur;
    struct person_login who = {"", "", ""};
    unsigned char key[DATA_KEY_BYTES], secret[TOTP_SECRET_BYTES];
    char ad[64];
    struct buf sealed;
    buf_init(&sealed);
    int err = factor_load(svc, rd, f->person, &cur, NULL);
    if (!err)
        err = store_person_by_id(rd, f->person, person_login_copy, &who);
    sodium_memzero(who.pw_hash, sizeof who.pw_hash);
    if (err)
        return fault_set(fault, F_UNAVAILABLE, NULL, "the store is not available");
    if (cur.enabled)
        return fault_set(fault, F_SECOND_FACTOR_ON, NULL, "a second factor is on already; turn it off first");
    if (service_data_key(svc, rd, f->person, key) != PHR_OK)
        return fault_set(fault, F_UNAVAILABLE, NULL, "the account's key is not available");
    totp_new_secret(secret);
    factor_ad(ad, f->person);
    err = seal(key, ad, secret, sizeof secret, &sealed);
    if (!err && sealed.len <= sizeof f->sealed) {
        memcpy(f->sealed, sealed.data, sealed.len);
        f->sealed_len = sealed.len;
        err = totp_uri(secret, "PHR", who.login, &f->uri);
    } else if (!err) {
        err = PHR_ECRYPTO;
    }
    sodium_memzero(key, sizeof key);
    sodium_memzero(secret, sizeof secret);
    buf_wipe(&sealed);
    return err ? fault_set(fault, F_INTERNAL, NULL, "the key could not be made") : 0;
}

void second_factor_code_hash(const char *code, unsigned char out[SHA256_BYTES])
{
    crypto_hash_sha256(out, (const unsigned char *)code, strlen(code));
}

/* The code (and for off, the password) checked against the stored key; to
 * turn it off, a recovery code stands in for the code (checked, and used
 * up, in the commit). */
static int check(struct service *svc, struct store *rd, struct factor_op *f, const char *otp, const char *recovery,
                 const char *password, size_t pwlen, struct fault *fault)
{
    struct factor cur;
    unsigned char secret[TOTP_SECRET_BYTES];
    int err = factor_load(svc, rd, f->person, &cur, secret);
    if (err)
        return fault_set(fault, F_UNAVAILABLE, NULL, "the second factor could not be read");
    int ok = cur.found && otp && totp_check(secret, clock_now_ms() / 1000, otp, (uint64_t)cur.last_step, &f->step) == 0;
    sodium_memzero(secret, sizeof secret);
    if (!cur.found || (f->change == CHANGE_OFF && !cur.enabled))
        return fault_set(fault, F_NOT_FOUND, NULL,
                         f->change == CHANGE_OFF ? "there is no second factor to turn off"
                                                 : "nothing to confirm: add a second factor first");
    if (f->change == CHANGE_CONFIRM && cur.enabled)
        return fault_set(fault, F_SECOND_FACTOR_ON, NULL, "the second factor is on already");
    if (f->change == CHANGE_CONFIRM) {
        /* A wrong first code changes nothing and needs no record: the
         * factor is not in use yet. */
        if (!ok)
            return fault_set(fault, F_OTP_MISMATCH, "otp",
                             "the code does not match: check that the phone's clock is right and type the "
                             "current 6 digits");
        for (int i = 0; i < CODES; i++) {
            unsigned char raw[8];
            randombytes_buf(raw, sizeof raw);
            sodium_bin2hex(f->codes[i], sizeof f->codes[i], raw, sizeof raw);
            sodium_memzero(raw, sizeof raw);
            second_factor_code_hash(f->codes[i], f->codes_hash[i]);
        }
        return 0;
    }
    if (!ok && (!otp || !*otp) && recovery && *recovery && strlen(recovery) <= 64) {
        second_factor_code_hash(recovery, f->code_hash);
        f->use_code = ok = 1;
    }
    struct person_login who = {"", "", ""};
    if (store_person_by_id(rd, f->person, person_login_copy, &who) != PHR_OK)
        return fault_set(fault, F_BUSY, NULL, "the store is not available");
    int pw = password && pwlen && pwlen <= PASSWORD_MAX_LEN ? password_verify(who.pw_hash, password, pwlen) : PHR_EPERM;
    sodium_memzero(&who, sizeof who);
    if (pw == PHR_EBUSY)
        return fault_set(fault, F_BUSY, NULL, "too many sign-ins at once; try again in a few seconds");
    f->refused = !ok || pw != PHR_OK;
    return 0;
}

int second_factor_change(struct service *svc, const struct actor *a, const char *person, const char *action,
                         const char *otp, const char *recovery, const char *password, size_t pwlen, struct op **out,
                         struct fault *fault)
{
    *out = NULL;
    if (!person || strlen(person) > ID_LEN || gate_decide(a, ACT_SECOND_FACTOR, person) == GATE_DENY)
        return fault_set(fault, F_FORBIDDEN, NULL, "a person changes their own second factor");
    enum factor_change change;
    if (action && !strcmp(action, "begin"))
        change = CHANGE_BEGIN;
    else if (action && !strcmp(action, "confirm"))
        change = CHANGE_CONFIRM;
    else if (action && !strcmp(action, "off"))
        change = a->kind == ACTOR_SYSTEM ? CHANGE_RESET : CHANGE_OFF;
    else
        return fault_set(fault, F_INVALID_VALUE, "action", "action is begin, confirm or off");
    struct factor_op *f = factor_new(svc, a, person, change, fault);
    if (!f)
        return -1;
    struct store *rd;
    if (service_reader(svc, &rd) != PHR_OK) {
        op_free(&f->op);
        return fault_set(fault, F_UNAVAILABLE, NULL, "the store is not available");
    }
    int rc = 0;
    if (change == CHANGE_BEGIN)
        rc = begin(svc, rd, f, fault);
    else if (change != CHANGE_RESET)
        rc = check(svc, rd, f, otp, recovery, password, pwlen, fault);
    service_reader_done(svc, rd);
    if (rc) {
        op_free(&f->op);
        return -1;
    }
    *out = &f->op;
    return 0;
}

int second_factor_state(struct service *svc, const struct actor *a, const char *person, struct buf *out)
{
    if (!person || strlen(person) > ID_LEN || gate_decide(a, ACT_SECOND_FACTOR, person) == GATE_DENY)
        return PHR_EPERM;
    struct store *rd;
    struct factor f;
    int err = service_reader(svc, &rd);
    if (err)
        return err;
    err = factor_load(svc, rd, person, &f, NULL);
    service_reader_done(svc, rd);
    if (err)
        return err;
    return buf_printf(out, "{\"enabled\":%s,\"pending\":%s}", f.enabled ? "true" : "false",
                      f.found && !f.enabled ? "true" : "false")
               ? PHR_ENOMEM
               : PHR_OK;
}
