/* Accounts of persons: sign-up, login with throttling and lock-out,
 * sessions kept in the store, logout (R2.4). */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>

#include "crypto/password.h"
#include "service/internal.h"
#include "util/clock.h"
#include "util/err.h"

#define LOGIN_MIN 3

/* Logins compare case-insensitively in ASCII; other bytes are kept as they
 * are. Control characters and spaces are refused. */
int normalise_login(const char *in, char out[LOGIN_MAX + 1], struct fault *fault)
{
    size_t n = strlen(in);
    if (n < LOGIN_MIN || n > LOGIN_MAX)
        return fault_set(fault, F_INVALID_VALUE, "login", "login must be 3 to 128 bytes");
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)in[i];
        if (c <= 0x20 || c == 0x7f)
            return fault_set(fault, F_INVALID_VALUE, "login", "login must not contain spaces or control characters");
        out[i] = (char)(c < 0x80 ? tolower(c) : c);
    }
    out[n] = '\0';
    return 0;
}

/* --- sign-up --- */

struct signup_op {
    struct op op;
    char login[LOGIN_MAX + 1];
    char pw_hash[PASSWORD_HASH_MAX];
    unsigned char wrapped[WRAPPED_KEY_BYTES];
    char key_id[KEY_ID_LEN + 1];
};

static void found_login(void *arg, const struct person_row *p)
{
    (void)p;
    *(int *)arg = 1;
}

static int signup_commit(struct op *o, struct store *st)
{
    struct signup_op *s = (struct signup_op *)o;
    int exists = 0;
    int err = store_person_by_login(st, s->login, found_login, &exists);
    if (err && err != PHR_ENOTFOUND)
        return err;
    struct termination_row t;
    if ((err = store_termination_get(st, &t)) == PHR_OK) {
        o->res.err = PHR_EPERM;
        fault_set(&o->res.fault, F_SIGNUP_CLOSED, NULL, "the service is closing; new sign-ups have stopped");
        return gate_record(st, &o->actor, ACT_ACCOUNT_SIGNUP, NULL, NULL, "termination", GATE_DENY);
    }
    if (err != PHR_ENOTFOUND)
        return err;
    if (exists) {
        o->res.err = PHR_ECONFLICT;
        fault_set(&o->res.fault, F_LOGIN_TAKEN, "login", "this login cannot be used; choose another");
        return gate_record(st, &o->actor, ACT_ACCOUNT_SIGNUP, NULL, NULL, NULL, GATE_DENY);
    }
    struct person_row p = {
        .id = o->res.id,
        .login = s->login,
        .pw_hash = s->pw_hash,
        .status = "active",
        .created_at = clock_now_ms(),
        .master_key_id = s->key_id,
        .wrapped_key = s->wrapped,
        .wrapped_key_len = WRAPPED_KEY_BYTES,
    };
    if ((err = store_person_insert(st, &p)) != PHR_OK)
        return err;
    return gate_record(st, &o->actor, ACT_ACCOUNT_SIGNUP, o->res.id, NULL, NULL, GATE_ALLOW);
}

static int signup_render(struct op *o, struct buf *out)
{
    return buf_puts(out, "{\"person_id\":") || buf_json_str(out, o->res.id) || buf_puts(out, "}") ? PHR_ENOMEM : PHR_OK;
}

static void signup_destroy(struct op *o)
{
    struct signup_op *s = (struct signup_op *)o;
    sodium_memzero(s->pw_hash, sizeof s->pw_hash);
}

static const struct op_ops signup_ops = {signup_commit, signup_render, signup_destroy};

int accounts_signup(struct service *svc, const struct actor *a, const char *login, const char *password, size_t pwlen,
                    struct op **out, struct fault *fault)
{
    *out = NULL;
    struct signup_op *s = calloc(1, sizeof *s);
    if (!s)
        return fault_set(fault, F_INTERNAL, NULL, "out of memory");
    if (normalise_login(login, s->login, fault))
        goto fail;
    const char *why = password_rules_check(password, pwlen, s->login);
    if (why) {
        fault_set(fault, F_PASSWORD_WEAK, "password", "%s", why);
        goto fail;
    }
    int err = password_hash(password, pwlen, s->pw_hash);
    if (err) {
        fault_set(fault, F_BUSY, NULL, "too many sign-ins at once; try again in a few seconds");
        goto fail;
    }
    op_init(&s->op, svc, &signup_ops, a);
    id_uuid(s->op.res.id);
    mkey_new_data_key(svc->mk, s->op.res.id, s->wrapped);
    snprintf(s->key_id, sizeof s->key_id, "%s", mkey_id(svc->mk));
    *out = &s->op;
    return 0;
fail:
    sodium_memzero(s, sizeof *s);
    free(s);
    return -1;
}

/* --- login --- */

/* The one answer to every wrong factor: which one was wrong (or missing)
 * would tell a guesser that the password was right. */
#define WRONG_CREDENTIALS                                                                                 \
    "the login, the password or the code is wrong (an account with a second factor also needs the "     \
    "6-digit code from the authenticator app, or a recovery code)"

struct login_op {
    struct op op;
    char login[LOGIN_MAX + 1];
    char key[THROTTLE_KEY_MAX];   /* the login from this client address */
    char person_id[ID_LEN + 1];   /* "" if no account has this login */
    int verified;
    int throttled;
    int factor_refused;           /* the password was right; the second factor's code was not (or none) */
    uint64_t step;                /* the second factor's step to record as used, 0: none */
    int use_code;                 /* a recovery code instead (code_hash), used up in the commit */
    unsigned char code_hash[32];
    unsigned char token_hash[32];
    int64_t now;
    struct buf notices;           /* the person's open notices, as a JSON array's members */
    size_t nnotices;
};

/* Notices are shown at sign-in; signing in resolves an inactivity notice
 * (the account stays), which is said in the same answer. */
static int add_notice(void *arg, const struct notice_row *n)
{
    struct login_op *l = arg;
    int resolved = strcmp(n->kind, "inactivity") == 0;
    return notice_render(&l->notices, n, resolved, l->nnotices++ == 0) ? PHR_ENOMEM : PHR_OK;
}

static int login_commit(struct op *o, struct store *st)
{
    struct login_op *l = (struct login_op *)o;
    const struct service_config *cfg = &o->svc->cfg;
    const char *subject = l->person_id[0] ? l->person_id : NULL;
    int err;
    /* A code used since it was checked (a concurrent sign-in) is a replay;
     * a recovery code must be one not used yet. */
    if (l->verified && (l->step || l->use_code) &&
        (err = l->use_code ? store_second_factor_code_use(st, l->person_id, l->code_hash, l->now)
                           : store_second_factor_use(st, l->person_id, (int64_t)l->step)) != PHR_OK) {
        if (err != PHR_ECONFLICT && err != PHR_ENOTFOUND)
            return err;
        l->verified = 0;
        l->factor_refused = 1;
        o->res.err = PHR_EPERM;
        fault_set(&o->res.fault, F_SIGN_IN_FAILED, NULL, WRONG_CREDENTIALS);
    }
    if (l->verified) {
        struct session_row s = {
            .token_hash = l->token_hash,
            .person_id = l->person_id,
            .created_at = l->now,
            .last_seen_at = l->now,
            .expires_at = l->now + cfg->session_max_ms,
        };
        if ((err = store_session_insert(st, &s)) || (err = store_throttle_clear(st, l->key)) ||
            (err = store_person_logged_in(st, l->person_id, l->now)) ||
            (err = store_notices_open(st, l->person_id, NULL, add_notice, l)) ||
            (err = store_notices_resolve(st, l->person_id, "inactivity", l->now)))
            return err;
        o->res.expires_at = s.expires_at;
        /* Signed in, the person is the actor of their own login. */
        struct actor who = o->actor;
        who.kind = ACTOR_PERSON;
        snprintf(who.id, sizeof who.id, "%s", l->person_id);
        return gate_record(st, &who, ACT_ACCOUNT_LOGIN, subject, NULL, NULL, GATE_ALLOW);
    }
    /* A missing code counts like a wrong one: were it not counted, the
     * next attempt's delay would say that the password was right. */
    if (!l->throttled && (err = throttle_fail(st, cfg, l->key, o->actor.client, l->now)) != PHR_OK)
        return err;
    return gate_record(st, &o->actor, ACT_ACCOUNT_LOGIN, subject, NULL, l->factor_refused ? "second-factor" : NULL,
                       GATE_DENY);
}

static int login_render(struct op *o, struct buf *out)
{
    char exp[32];
    clock_format_ms(o->res.expires_at, exp);
    struct login_op *l = (struct login_op *)o;
    return buf_puts(out, "{\"token\":") || buf_json_str(out, o->res.token) || buf_puts(out, ",\"person_id\":") ||
                   buf_json_str(out, o->res.id) || buf_printf(out, ",\"expires_at\":\"%s\",\"notices\":[", exp) ||
                   buf_append(out, l->notices.data, l->notices.len) || buf_puts(out, "]}")
               ? PHR_ENOMEM
               : PHR_OK;
}

static void login_destroy(struct op *o)
{
    buf_free(&((struct login_op *)o)->notices);
}

static const struct op_ops login_ops = {login_commit, login_render, login_destroy};

void person_login_copy(void *arg, const struct person_row *p)
{
    struct person_login *l = arg;
    snprintf(l->id, sizeof l->id, "%s", p->id);
    snprintf(l->login, sizeof l->login, "%s", p->login);
    snprintf(l->pw_hash, sizeof l->pw_hash, "%s", p->pw_hash);
}

static int count_failure(struct store *st, const char *key, int lock_after, int64_t lock_ms, int64_t now)
{
    struct throttle_row t;
    int err = store_throttle_get(st, key, &t);
    if (err && err != PHR_ENOTFOUND)
        return err;
    t.failures++;
    t.last_failure_at = now;
    if (t.failures >= lock_after)
        t.locked_until = now + lock_ms;
    return store_throttle_put(st, key, &t);
}

void throttle_key(const char *login, const char *client, char out[THROTTLE_KEY_MAX])
{
    snprintf(out, THROTTLE_KEY_MAX, "%s|%.64s", login, client && *client ? client : "unknown");
}

/* The key under which one client address's failures are counted. */
static void client_key(const char *client, char out[80])
{
    snprintf(out, 80, "client:%.64s", client && *client ? client : "unknown");
}

/* Counted inside the transaction, so concurrent failures all count: once
 * for the login name, once for the client address (many names tried from
 * one address: credential stuffing). */
int throttle_fail(struct store *st, const struct service_config *cfg, const char *key, const char *client,
                  int64_t now)
{
    char ck[80];
    client_key(client, ck);
    int err = count_failure(st, key, cfg->login_lock_after, cfg->login_lock_ms, now);
    return err ? err : count_failure(st, ck, cfg->client_lock_after, cfg->login_lock_ms, now);
}

int64_t throttle_client_wait_ms(struct store *rd, const char *client, int64_t now)
{
    char ck[80];
    struct throttle_row t;
    client_key(client, ck);
    if (store_throttle_get(rd, ck, &t) != PHR_OK)
        return 0;
    return t.locked_until > now ? t.locked_until - now : 0;
}

int64_t throttle_wait_ms(const struct service_config *cfg, const struct throttle_row *t, int64_t now)
{
    if (t->locked_until > now)
        return t->locked_until - now;
    if (t->failures <= 0 || cfg->login_delay_ms <= 0)
        return 0;
    int shift = t->failures - 1 > 10 ? 10 : t->failures - 1;
    int64_t until = t->last_failure_at + (cfg->login_delay_ms << shift);
    return until > now ? until - now : 0;
}

/* After the password: the second factor, if the person has one on (a
 * current code, or one of the recovery codes). 0 to go on signing in; -1
 * with the refusal set on the op, or with the fault set. */
static int login_second_factor(struct service *svc, struct login_op *l, const char *otp, const char *recovery,
                               struct fault *fault)
{
    struct store *rd;
    enum factor_result res;
    if (service_reader(svc, &rd) != PHR_OK)
        return fault_set(fault, F_UNAVAILABLE, NULL, "the store is not available");
    int err = second_factor_check(svc, rd, l->person_id, otp, l->now, &res, &l->step);
    service_reader_done(svc, rd);
    if (err)
        return fault_set(fault, F_UNAVAILABLE, NULL, "the second factor could not be checked");
    if (res == FACTOR_NONE || res == FACTOR_OK)
        return 0;
    if (res == FACTOR_MISSING && recovery && *recovery && strlen(recovery) <= 64) {
        second_factor_code_hash(recovery, l->code_hash);
        l->use_code = 1;
        return 0;
    }
    l->factor_refused = 1;
    l->op.res.err = PHR_EPERM;
    fault_set(&l->op.res.fault, F_SIGN_IN_FAILED, NULL, WRONG_CREDENTIALS);
    return -1;
}

int accounts_login(struct service *svc, const struct actor *a, const char *login, const char *password, size_t pwlen,
                   const char *otp, const char *recovery, struct op **out, struct fault *fault)
{
    *out = NULL;
    struct login_op *l = calloc(1, sizeof *l);
    struct person_login found = {"", "", ""};
    struct store *rd = NULL;
    if (!l)
        return fault_set(fault, F_INTERNAL, NULL, "out of memory");
    if (normalise_login(login, l->login, fault))
        goto fail;
    if (pwlen == 0 || pwlen > PASSWORD_MAX_LEN) {
        fault_set(fault, F_MISSING, "password", "password is required");
        goto fail;
    }
    if (service_reader(svc, &rd) != PHR_OK) {
        fault_set(fault, F_UNAVAILABLE, NULL, "the store is not available");
        goto fail;
    }
    struct throttle_row t;
    l->now = clock_now_ms();
    throttle_key(l->login, a->client, l->key);
    int err = store_throttle_get(rd, l->key, &t);
    int err2 = store_person_by_login(rd, l->login, person_login_copy, &found);
    int64_t client_wait = throttle_client_wait_ms(rd, a->client, l->now);
    service_reader_done(svc, rd);
    if ((err && err != PHR_ENOTFOUND) || (err2 && err2 != PHR_ENOTFOUND)) {
        fault_set(fault, F_UNAVAILABLE, NULL, "the store is not available");
        goto fail;
    }
    op_init(&l->op, svc, &login_ops, a);
    snprintf(l->person_id, sizeof l->person_id, "%s", found.id);
    int64_t wait = throttle_wait_ms(&svc->cfg, &t, l->now);
    if (client_wait > wait)
        wait = client_wait;
    if (wait > 0) {
        /* Same answer for every login, existing or not. */
        l->throttled = 1;
        l->op.res.err = PHR_EBUSY;
        l->op.res.retry_after_s = (wait + 999) / 1000;
        fault_set(&l->op.res.fault, F_LOCKED_OUT, NULL, "too many failed attempts; try again later");
    } else {
        int ok;
        if (found.id[0])
            ok = password_verify(found.pw_hash, password, pwlen);
        else {
            password_dummy_verify(password, pwlen);
            ok = PHR_EPERM;
        }
        if (ok == PHR_EBUSY) {
            fault_set(fault, F_BUSY, NULL, "too many sign-ins at once; try again in a few seconds");
            goto fail;
        }
        /* refused: the op answers the refusal; a failure to check (the fault set,
         * the op untouched) answers 503 instead. */
        int refused = 0;
        if (ok == PHR_OK && (refused = login_second_factor(svc, l, otp, recovery, fault)) != 0 && !l->op.res.err)
            goto fail;
        if (ok == PHR_OK && !refused) {
            unsigned char raw[32];
            randombytes_buf(raw, sizeof raw);
            sodium_bin2base64(l->op.res.token, sizeof l->op.res.token, raw, sizeof raw,
                              sodium_base64_VARIANT_URLSAFE_NO_PADDING);
            sodium_memzero(raw, sizeof raw);
            crypto_hash_sha256(l->token_hash, (const unsigned char *)l->op.res.token, strlen(l->op.res.token));
            snprintf(l->op.res.id, sizeof l->op.res.id, "%s", found.id);
            l->verified = 1;
        } else if (!refused) {
            l->op.res.err = PHR_EPERM;
            fault_set(&l->op.res.fault, F_SIGN_IN_FAILED, NULL, WRONG_CREDENTIALS);
        }
    }
    sodium_memzero(&found, sizeof found);
    *out = &l->op;
    return 0;
fail:
    sodium_memzero(&found, sizeof found);
    free(l);
    return -1;
}

/* --- logout --- */

struct logout_op {
    struct op op;
    unsigned char token_hash[32];
    char person_id[ID_LEN + 1];
};

static int logout_commit(struct op *o, struct store *st)
{
    struct logout_op *l = (struct logout_op *)o;
    int err = store_session_delete(st, l->token_hash);
    return err ? err : gate_record(st, &o->actor, ACT_ACCOUNT_LOGOUT, l->person_id, NULL, NULL, GATE_ALLOW);
}

static const struct op_ops logout_ops = {logout_commit, NULL, NULL};

int accounts_logout(struct service *svc, const struct actor *a, const struct auth *auth, struct op **out,
                    struct fault *fault)
{
    struct logout_op *l = calloc(1, sizeof *l);
    if (!l)
        return fault_set(fault, F_INTERNAL, NULL, "out of memory");
    op_init(&l->op, svc, &logout_ops, a);
    memcpy(l->token_hash, auth->token_hash, 32);
    snprintf(l->person_id, sizeof l->person_id, "%s", auth->person_id);
    *out = &l->op;
    return 0;
}

struct found_id {
    char id[ID_LEN + 1];
};

static void got_id(void *arg, const struct person_row *p)
{
    struct found_id *f = arg;
    snprintf(f->id, sizeof f->id, "%s", p->id);
}

int accounts_person_id(struct service *svc, const char *login, char out[ID_LEN + 1])
{
    char norm[LOGIN_MAX + 1];
    struct fault fault;
    struct found_id f = {""};
    if (normalise_login(login, norm, &fault))
        return PHR_EINVAL;
    struct store *rd;
    int err = service_reader(svc, &rd);
    if (err)
        return err;
    err = store_person_by_login(rd, norm, got_id, &f);
    service_reader_done(svc, rd);
    if (!err)
        memcpy(out, f.id, sizeof f.id);
    return err;
}
