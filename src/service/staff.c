/* Staff (R2.1, R2.2, R2.4): accounts apart from persons', each with one
 * role; sign-in with a password and a mandatory TOTP second factor (or a
 * one-time recovery code); sessions shorter than persons'; accounts unused
 * for a configured time disabled at their next attempt (the reasons under
 * which a handler opens a person's data: staff_reasons.c).
 *
 * Secrets shown once (the first password, the TOTP key as a provisioning
 * URI, the recovery codes) are generated here and kept only as hashes, or
 * for the TOTP key sealed under the master key, since it must be read
 * again to check each code. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>

#include "crypto/password.h"
#include "crypto/totp.h"
#include "formats/qr.h"
#include "service/internal.h"
#include "util/clock.h"
#include "util/err.h"

#define RECOVERY_CODES 10
#define TOTP_SEALED_BYTES (TOTP_SECRET_BYTES + MKEY_SEAL_OVERHEAD)

static int role_valid(const char *r)
{
    return r && (!strcmp(r, ROLE_SECURITY_OFFICER) || !strcmp(r, ROLE_ASSET_MANAGER) || !strcmp(r, ROLE_HANDLER) ||
                 !strcmp(r, ROLE_AUDITOR));
}

static void totp_ad(char out[64], const char *staff_id)
{
    snprintf(out, 64, "phr-staff-totp:%s", staff_id);
}

/* A random secret in lower-case hex, for the first password and the
 * recovery codes: full entropy, so a fast hash is enough for the codes. */
static void random_hex(char *out, size_t bytes)
{
    unsigned char raw[32];
    randombytes_buf(raw, bytes);
    sodium_bin2hex(out, bytes * 2 + 1, raw, bytes);
    sodium_memzero(raw, sizeof raw);
}

/* --- adding a staff member --- */

struct add_op {
    struct op op;
    char login[LOGIN_MAX + 1], role[20], pw_hash[PASSWORD_HASH_MAX];
    char password[33];
    char codes[RECOVERY_CODES][17];
    unsigned char code_hash[RECOVERY_CODES][32];
    unsigned char totp_sealed[TOTP_SEALED_BYTES];
    struct buf uri;
};

static int add_commit(struct op *o, struct store *st)
{
    struct add_op *s = (struct add_op *)o;
    struct staff_row r = {.id = o->res.id, .login = s->login, .pw_hash = s->pw_hash, .role = s->role,
                          .totp_sealed = s->totp_sealed, .totp_sealed_len = sizeof s->totp_sealed,
                          .status = "active", .created_at = clock_now_ms()};
    int err = store_staff_insert(st, &r);
    if (err == PHR_ECONFLICT)
        return op_refuse(o, F_CONFLICT, "a staff member with the login %s exists already", s->login);
    for (int i = 0; !err && i < RECOVERY_CODES; i++)
        err = store_staff_recovery_insert(st, o->res.id, s->code_hash[i]);
    if (err)
        return err;
    char what[220];
    snprintf(what, sizeof what, "add:%s:%s:%s", o->res.id, s->login, s->role);
    return gate_record(st, &o->actor, ACT_STAFF_MANAGE, NULL, what, NULL, GATE_ALLOW);
}

static int add_render(struct op *o, struct buf *out)
{
    struct add_op *s = (struct add_op *)o;
    if (buf_puts(out, "{\"id\":") || buf_json_str(out, o->res.id) || buf_puts(out, ",\"login\":") ||
        buf_json_str(out, s->login) || buf_puts(out, ",\"role\":") || buf_json_str(out, s->role) ||
        buf_puts(out, ",\"password\":") || buf_json_str(out, s->password) || buf_puts(out, ",\"totp_uri\":") ||
        buf_json_str(out, buf_cstr(&s->uri)) || buf_puts(out, ",\"qr\":"))
        return PHR_ENOMEM;
    /* The authenticator's URI as a QR code, to scan from the manager's
     * screen with the new staff member beside it. */
    int err = qr_json(buf_cstr(&s->uri), out);
    if (err)
        return err;
    if (buf_puts(out, ",\"recovery_codes\":["))
        return PHR_ENOMEM;
    for (int i = 0; i < RECOVERY_CODES; i++)
        if ((i && buf_puts(out, ",")) || buf_json_str(out, s->codes[i]))
            return PHR_ENOMEM;
    return buf_puts(out, "]}") ? PHR_ENOMEM : PHR_OK;
}

static void add_destroy(struct op *o)
{
    struct add_op *s = (struct add_op *)o;
    buf_wipe(&s->uri);
    sodium_memzero(s->password, sizeof s->password);
    sodium_memzero(s->codes, sizeof s->codes);
}

static const struct op_ops add_ops = {add_commit, add_render, add_destroy};

int staff_add(struct service *svc, const struct actor *a, const char *login, const char *role, struct op **out,
              struct fault *fault)
{
    *out = NULL;
    if (gate_decide(a, ACT_STAFF_MANAGE, NULL) == GATE_DENY)
        return service_deny(svc, a, ACT_STAFF_MANAGE, out, fault);
    if (!role_valid(role))
        return fault_set(fault, F_INVALID_VALUE, "role", "role is security-officer, asset-manager, handler or auditor");
    struct add_op *s = calloc(1, sizeof *s);
    if (!s)
        return fault_set(fault, F_INTERNAL, NULL, "out of memory");
    buf_init(&s->uri);
    if (normalise_login(login ? login : "", s->login, fault)) {
        free(s);
        return -1;
    }
    op_init(&s->op, svc, &add_ops, a);
    snprintf(s->role, sizeof s->role, "%s", role);
    id_uuid(s->op.res.id);
    random_hex(s->password, 16);
    unsigned char secret[TOTP_SECRET_BYTES];
    char ad[64];
    totp_new_secret(secret);
    totp_ad(ad, s->op.res.id);
    mkey_seal(svc->mk, ad, secret, sizeof secret, s->totp_sealed);
    int err = totp_uri(secret, "PHR", s->login, &s->uri);
    sodium_memzero(secret, sizeof secret);
    for (int i = 0; i < RECOVERY_CODES; i++) {
        random_hex(s->codes[i], 8);
        crypto_hash_sha256(s->code_hash[i], (const unsigned char *)s->codes[i], 16);
    }
    if (err || password_hash(s->password, strlen(s->password), s->pw_hash) != PHR_OK) {
        op_free(&s->op);
        return fault_set(fault, F_UNAVAILABLE, NULL, "the account could not be prepared; try again");
    }
    *out = &s->op;
    return 0;
}

/* --- disabling, enabling, changing a role --- */

struct change_op {
    struct op op;
    char login[LOGIN_MAX + 1], action[8], role[20];
};

struct found_staff {
    char id[ID_LEN + 1], role[20], status[10];
    char pw_hash[PASSWORD_HASH_MAX];
    unsigned char totp_sealed[TOTP_SEALED_BYTES];
    size_t totp_sealed_len;
    int64_t totp_last_step, created_at, last_login_at;
    int found;
};

static int got_staff(void *arg, const struct staff_row *r)
{
    struct found_staff *f = arg;
    snprintf(f->id, sizeof f->id, "%s", r->id);
    snprintf(f->role, sizeof f->role, "%s", r->role);
    snprintf(f->status, sizeof f->status, "%s", r->status);
    snprintf(f->pw_hash, sizeof f->pw_hash, "%s", r->pw_hash);
    f->totp_sealed_len = r->totp_sealed_len <= sizeof f->totp_sealed ? r->totp_sealed_len : 0;
    memcpy(f->totp_sealed, r->totp_sealed, f->totp_sealed_len);
    f->totp_last_step = r->totp_last_step;
    f->created_at = r->created_at;
    f->last_login_at = r->last_login_at;
    f->found = 1;
    return PHR_OK;
}

static int count_managers(void *arg, const struct staff_row *r)
{
    *(int *)arg += !strcmp(r->role, ROLE_ASSET_MANAGER) && !strcmp(r->status, "active");
    return PHR_OK;
}

/* A manager cannot shut themselves out, nor leave the staff with no one to
 * manage it: their own account is not disabled or given another role, nor
 * is the last active manager's, over the API (the operator's command line,
 * on the machine, stays the way back). Decided on the writer, so that two
 * managers demoting each other at once cannot both succeed. */
static int locks_out(struct op *o, struct store *st, const struct change_op *c, const struct found_staff *f,
                     int *refused)
{
    *refused = 0;
    int away = !strcmp(c->action, "disable") || (!strcmp(c->action, "role") && strcmp(c->role, f->role));
    if (!away || o->actor.kind != ACTOR_STAFF)
        return PHR_OK;
    if (!strcmp(f->id, o->actor.id)) {
        *refused = 1;
        return op_refuse(o, F_BUSINESS_RULE, "you cannot %s your own account: another information-asset manager can",
                         strcmp(c->action, "disable") ? "change the role of" : "disable");
    }
    if (strcmp(f->role, ROLE_ASSET_MANAGER) || strcmp(f->status, "active"))
        return PHR_OK;
    int managers = 0;
    int err = store_staff_list(st, count_managers, &managers);
    if (!err && managers <= 1) {
        *refused = 1;
        return op_refuse(o, F_BUSINESS_RULE,
                         "%s is the last active information-asset manager: add or enable another one first", c->login);
    }
    return err;
}

static int change_commit(struct op *o, struct store *st)
{
    struct change_op *c = (struct change_op *)o;
    struct found_staff f = {0};
    int err = store_staff_get(st, c->login, 0, got_staff, &f);
    if (err == PHR_ENOTFOUND)
        return op_refuse(o, F_NOT_FOUND, "no staff member has the login %s", c->login);
    int refused = 0;
    if (!err)
        err = locks_out(o, st, c, &f, &refused);
    if (err || refused)
        return err;
    if (!strcmp(c->action, "role"))
        err = store_staff_update(st, f.id, NULL, NULL, c->role);
    else
        err = store_staff_update(st, f.id, strcmp(c->action, "disable") ? "active" : "disabled",
                                    strcmp(c->action, "disable") ? NULL : "disabled by an asset manager", NULL);
    /* A disabled account or a changed role ends the sessions at once. */
    if (!err && strcmp(c->action, "enable"))
        err = store_staff_sessions_end(st, f.id);
    if (err)
        return err;
    char what[200];
    snprintf(what, sizeof what, "%s:%s:%s%s%s", c->action, f.id, c->login, c->role[0] ? ":" : "", c->role);
    return gate_record(st, &o->actor, ACT_STAFF_MANAGE, NULL, what, NULL, GATE_ALLOW);
}

static const struct op_ops change_ops = {change_commit, NULL, NULL};

int staff_change(struct service *svc, const struct actor *a, const char *login, const char *action, const char *role,
                 struct op **out, struct fault *fault)
{
    *out = NULL;
    if (gate_decide(a, ACT_STAFF_MANAGE, NULL) == GATE_DENY)
        return service_deny(svc, a, ACT_STAFF_MANAGE, out, fault);
    if (!action || (strcmp(action, "disable") && strcmp(action, "enable") && strcmp(action, "role")))
        return fault_set(fault, F_INVALID_VALUE, NULL, "disable, enable or role");
    if (!strcmp(action, "role") && !role_valid(role))
        return fault_set(fault, F_INVALID_VALUE, "role", "role is security-officer, asset-manager, handler or auditor");
    struct change_op *c = calloc(1, sizeof *c);
    if (!c)
        return fault_set(fault, F_INTERNAL, NULL, "out of memory");
    if (normalise_login(login ? login : "", c->login, fault)) {
        free(c);
        return -1;
    }
    op_init(&c->op, svc, &change_ops, a);
    snprintf(c->action, sizeof c->action, "%s", action);
    if (!strcmp(action, "role"))
        snprintf(c->role, sizeof c->role, "%s", role);
    *out = &c->op;
    return 0;
}

/* --- signing in --- */

struct login_op {
    struct op op;
    char key[THROTTLE_KEY_MAX];  /* the throttle key: "staff:" + login, from this client address */
    struct found_staff f;
    int verified, throttled, inactive;
    uint64_t step;               /* the TOTP step used, 0 with a recovery code */
    unsigned char recovery_hash[32];
    int use_recovery;
    unsigned char token_hash[32];
    int64_t now;
};

static int login_commit(struct op *o, struct store *st)
{
    struct login_op *l = (struct login_op *)o;
    const struct service_config *cfg = &o->svc->cfg;
    int err;
    if (l->inactive) {
        /* Unused too long (R2.4): disabled now, and told so. */
        char why[80];
        snprintf(why, sizeof why, "unused for more than %lld days", (long long)(cfg->staff_inactive_ms / 86400000));
        if ((err = store_staff_update(st, l->f.id, "disabled", why, NULL)) != PHR_OK)
            return err;
        struct actor sys = o->actor;
        sys.kind = ACTOR_SYSTEM;
        snprintf(sys.id, sizeof sys.id, "inactivity");
        char what[120];
        snprintf(what, sizeof what, "disable:%s:inactive", l->f.id);
        if ((err = gate_record(st, &sys, ACT_STAFF_MANAGE, NULL, what, NULL, GATE_ALLOW)) != PHR_OK)
            return err;
    }
    if (l->verified && l->use_recovery) {
        err = store_staff_recovery_use(st, l->f.id, l->recovery_hash, l->now);
        if (err == PHR_ENOTFOUND) {
            l->verified = 0;
            o->res.err = PHR_EPERM;
            fault_set(&o->res.fault, F_SIGN_IN_FAILED, NULL, "the login, the password or the second factor is wrong");
        } else if (err) {
            return err;
        }
    }
    if (l->verified && !l->use_recovery) {
        /* Checked again here: two sign-ins with one code race to this point. */
        struct found_staff now = {0};
        if ((err = store_staff_get(st, l->f.id, 1, got_staff, &now)) != PHR_OK)
            return err;
        if ((uint64_t)now.totp_last_step >= l->step) {
            l->verified = 0;
            o->res.err = PHR_EPERM;
            fault_set(&o->res.fault, F_OTP_REUSED, NULL, "this code was used already; wait for the next one");
        }
    }
    if (l->verified) {
        if ((err = store_staff_logged_in(st, l->f.id, l->now, (int64_t)l->step)) != PHR_OK ||
            (err = store_staff_session_insert(st, l->token_hash, l->f.id, l->now, l->now + cfg->staff_session_max_ms)) !=
                PHR_OK ||
            (err = store_throttle_clear(st, l->key)) != PHR_OK)
            return err;
        o->res.expires_at = l->now + cfg->staff_session_max_ms;
        struct actor who = o->actor;
        who.kind = ACTOR_STAFF;
        snprintf(who.id, sizeof who.id, "%s", l->f.id);
        snprintf(who.role, sizeof who.role, "%s", l->f.role);
        return gate_record(st, &who, ACT_STAFF_LOGIN, NULL, NULL, l->use_recovery ? "recovery-code" : NULL,
                           GATE_ALLOW);
    }
    if (!l->throttled && (err = throttle_fail(st, cfg, l->key, o->actor.client, l->now)) != PHR_OK)
        return err;
    return gate_record(st, &o->actor, ACT_STAFF_LOGIN, NULL, l->f.found ? l->f.id : NULL, NULL, GATE_DENY);
}

static int login_render(struct op *o, struct buf *out)
{
    struct login_op *l = (struct login_op *)o;
    char exp[32];
    clock_format_ms(o->res.expires_at, exp);
    return buf_puts(out, "{\"token\":") || buf_json_str(out, o->res.token) || buf_puts(out, ",\"staff_id\":") ||
                   buf_json_str(out, l->f.id) || buf_puts(out, ",\"role\":") || buf_json_str(out, l->f.role) ||
                   buf_printf(out, ",\"expires_at\":\"%s\"}", exp)
               ? PHR_ENOMEM
               : PHR_OK;
}

static void login_destroy(struct op *o)
{
    struct login_op *l = (struct login_op *)o;
    sodium_memzero(&l->f, sizeof l->f);
}

static const struct op_ops login_ops = {login_commit, login_render, login_destroy};

/* The second factor: a TOTP code after the last one used, or an unused
 * recovery code (checked against the store in the commit). */
static int second_factor(struct service *svc, struct login_op *l, const char *otp, const char *recovery)
{
    if (recovery && *recovery) {
        if (strlen(recovery) > 64)
            return -1;
        crypto_hash_sha256(l->recovery_hash, (const unsigned char *)recovery, strlen(recovery));
        l->use_recovery = 1;
        return 0;
    }
    unsigned char secret[TOTP_SECRET_BYTES];
    char ad[64];
    totp_ad(ad, l->f.id);
    if (l->f.totp_sealed_len != TOTP_SEALED_BYTES ||
        service_open_sealed(svc, ad, l->f.totp_sealed, l->f.totp_sealed_len, secret) != PHR_OK)
        return -1;
    int rc = totp_check(secret, l->now / 1000, otp, (uint64_t)l->f.totp_last_step, &l->step);
    sodium_memzero(secret, sizeof secret);
    return rc;
}

int staff_login(struct service *svc, const struct actor *a, const char *login, const char *password, size_t pwlen,
                const char *otp, const char *recovery, struct op **out, struct fault *fault)
{
    *out = NULL;
    char norm[LOGIN_MAX + 1];
    if (normalise_login(login ? login : "", norm, fault))
        return -1;
    if (!password || pwlen == 0 || pwlen > PASSWORD_MAX_LEN)
        return fault_set(fault, F_MISSING, "password", "password is required");
    struct login_op *l = calloc(1, sizeof *l);
    if (!l)
        return fault_set(fault, F_INTERNAL, NULL, "out of memory");
    char staff_login[LOGIN_MAX + 8];
    snprintf(staff_login, sizeof staff_login, "staff:%s", norm);
    throttle_key(staff_login, a->client, l->key);
    l->now = clock_now_ms();
    struct store *rd;
    struct throttle_row t;
    if (service_reader(svc, &rd) != PHR_OK) {
        free(l);
        return fault_set(fault, F_UNAVAILABLE, NULL, "the store is not available");
    }
    int err = store_throttle_get(rd, l->key, &t);
    int err2 = store_staff_get(rd, norm, 0, got_staff, &l->f);
    int64_t client_wait = throttle_client_wait_ms(rd, a->client, l->now);
    service_reader_done(svc, rd);
    if ((err && err != PHR_ENOTFOUND) || (err2 && err2 != PHR_ENOTFOUND)) {
        free(l);
        return fault_set(fault, F_UNAVAILABLE, NULL, "the store is not available");
    }
    op_init(&l->op, svc, &login_ops, a);
    int64_t wait = throttle_wait_ms(&svc->cfg, &t, l->now);
    if (client_wait > wait)
        wait = client_wait;
    if (wait > 0) {
        l->throttled = 1;
        l->op.res.err = PHR_EBUSY;
        l->op.res.retry_after_s = (wait + 999) / 1000;
        fault_set(&l->op.res.fault, F_LOCKED_OUT, NULL, "too many failed attempts; try again later");
        *out = &l->op;
        return 0;
    }
    int ok;
    if (l->f.found)
        ok = password_verify(l->f.pw_hash, password, pwlen);
    else {
        password_dummy_verify(password, pwlen);
        ok = PHR_EPERM;
    }
    if (ok == PHR_EBUSY) {
        op_free(&l->op);
        return fault_set(fault, F_BUSY, NULL, "too many sign-ins at once; try again in a few seconds");
    }
    int64_t last_use = l->f.last_login_at ? l->f.last_login_at : l->f.created_at;
    if (ok == PHR_OK && strcmp(l->f.status, "active")) {
        l->op.res.err = PHR_EPERM;
        fault_set(&l->op.res.fault, F_ACCOUNT_DISABLED, NULL,
                  "this staff account is disabled; an information-asset manager can enable it");
    } else if (ok == PHR_OK && svc->cfg.staff_inactive_ms > 0 && l->now - last_use > svc->cfg.staff_inactive_ms) {
        l->inactive = 1;
        l->op.res.err = PHR_EPERM;
        fault_set(&l->op.res.fault, F_ACCOUNT_DISABLED, NULL,
                  "this staff account was unused too long and is now disabled; an information-asset manager can "
                  "enable it");
    } else if (ok == PHR_OK && second_factor(svc, l, otp, recovery) == 0) {
        unsigned char raw[32];
        randombytes_buf(raw, sizeof raw);
        sodium_bin2base64(l->op.res.token, sizeof l->op.res.token, raw, sizeof raw,
                          sodium_base64_VARIANT_URLSAFE_NO_PADDING);
        sodium_memzero(raw, sizeof raw);
        crypto_hash_sha256(l->token_hash, (const unsigned char *)l->op.res.token, strlen(l->op.res.token));
        l->verified = 1;
    } else {
        l->op.res.err = PHR_EPERM;
        fault_set(&l->op.res.fault, F_SIGN_IN_FAILED, NULL, "the login, the password or the second factor is wrong");
    }
    *out = &l->op;
    return 0;
}

/* --- signing out: every session of the staff member ends --- */

static int logout_commit(struct op *o, struct store *st)
{
    int err = store_staff_sessions_end(st, o->actor.id);
    return err ? err : gate_record(st, &o->actor, ACT_STAFF_LOGOUT, NULL, NULL, NULL, GATE_ALLOW);
}

static const struct op_ops logout_ops = {logout_commit, NULL, NULL};

int staff_logout(struct service *svc, const struct actor *a, struct op **out, struct fault *fault)
{
    *out = NULL;
    if (a->kind != ACTOR_STAFF)
        return fault_set(fault, F_FORBIDDEN, NULL, "for staff only");
    struct op *o = calloc(1, sizeof *o);
    if (!o)
        return fault_set(fault, F_INTERNAL, NULL, "out of memory");
    op_init(o, svc, &logout_ops, a);
    *out = o;
    return 0;
}

/* --- listing --- */

struct list_ctx {
    struct buf *b;
    int n;
};

static int list_one(void *arg, const struct staff_row *r)
{
    struct list_ctx *c = arg;
    char created[32], last[32] = "";
    clock_format_ms(r->created_at, created);
    if (r->last_login_at)
        clock_format_ms(r->last_login_at, last);
    struct buf *b = c->b;
    return (c->n++ && buf_puts(b, ",")) || buf_puts(b, "{\"id\":") || buf_json_str(b, r->id) ||
                   buf_puts(b, ",\"login\":") || buf_json_str(b, r->login) || buf_puts(b, ",\"role\":") ||
                   buf_json_str(b, r->role) || buf_puts(b, ",\"status\":") || buf_json_str(b, r->status) ||
                   buf_printf(b, ",\"created_at\":\"%s\",\"last_login_at\":", created) ||
                   (last[0] ? buf_json_str(b, last) : buf_puts(b, "null")) || buf_puts(b, ",\"disabled_reason\":") ||
                   (r->disabled_reason ? buf_json_str(b, r->disabled_reason) : buf_puts(b, "null")) ||
                   buf_puts(b, "}")
               ? PHR_ENOMEM
               : PHR_OK;
}

int staff_list(struct service *svc, const struct actor *a, struct buf *out, struct fault *fault)
{
    if (gate_decide(a, ACT_STAFF_MANAGE, NULL) == GATE_DENY)
        return fault_set(fault, F_FORBIDDEN, NULL, "staff accounts are managed by an information-asset manager");
    struct store *rd;
    if (service_reader(svc, &rd))
        return fault_set(fault, F_UNAVAILABLE, NULL, "the store is not available");
    struct list_ctx c = {out, 0};
    int err = buf_puts(out, "[") ? PHR_ENOMEM : store_staff_list(rd, list_one, &c);
    service_reader_done(svc, rd);
    if (err || buf_puts(out, "]"))
        return fault_set(fault, err == PHR_ENOMEM || !err ? F_INTERNAL : F_UNAVAILABLE, NULL,
                         "the staff accounts could not be listed (%s)", phr_strerror(err ? err : PHR_ENOMEM));
    return 0;
}
