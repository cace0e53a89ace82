/* The OAuth token endpoint for outside organisations' clients (RFC 6749
 * §4.4 client credentials; SMART Backend Services): a client proves who it
 * is with a signed assertion (RFC 7523, checked against the JWKS registered
 * for it) or with its secret, asks for system scopes, and gets a bearer
 * token of OAUTH_TOKEN_SECONDS with the read scopes granted.
 *
 * What a token allows is still decided per person by the gate: a scope
 * says which kinds of resource a client may ask for, consent decides
 * whose data it gets. Tokens are random and stored hashed, like persons'
 * sessions; every grant and every refusal is in the handling history. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>

#include "crypto/jwks_fetch.h"
#include "crypto/jws.h"
#include "formats/json.h"
#include "service/oauth_op.h"
#include "util/clock.h"
#include "util/err.h"

#define JWT_BEARER "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
#define ASSERTION_MAX 8192
#define ASSERTION_MAX_SECONDS 300 /* SMART: exp at most five minutes ahead */
#define CLOCK_SKEW_SECONDS 60

struct stored_secret {
    unsigned char hash[32];
    int found;
};

static int got_recipient(void *arg, const struct recipient_row *r)
{
    struct stored_secret *s = arg;
    memcpy(s->hash, r->secret_hash, 32);
    s->found = !strcmp(r->kind, "recipient"); /* processors and partners never sign in */
    return PHR_OK;
}

int oauth_refuse(struct token_op *t, struct store *st, const struct fault *why, int known)
{
    struct op *o = &t->op;
    o->res.err = PHR_EPERM;
    o->res.fault = *why;
    return gate_record(st, &o->actor, ACT_CLIENT_TOKEN, NULL, known ? t->client : NULL,
                       fault_def(o->res.fault.code)->name, GATE_DENY);
}

static int is_public(void *arg, const struct app_client_row *r)
{
    *(int *)arg = r->public_client && !strcmp(r->kind, "recipient");
    return PHR_OK;
}

/* The client's proof checked on the writer's connection: its secret, a
 * public app's registration, its assertion's jti used once; *refused set
 * when it is not (and recorded). */
static int client_proven(struct token_op *t, struct store *st, int *refused)
{
    *refused = 1;
    struct fault why = {0};
    /* Who is asking comes first: a wrong secret is the answer even when
     * the rest of the request is wrong too. */
    if (t->by_secret) {
        struct stored_secret s = {{0}, 0};
        int err = id_is_uuid(t->client) ? store_recipient_get(st, t->client, got_recipient, &s) : PHR_ENOTFOUND;
        if (err && err != PHR_ENOTFOUND)
            return err;
        /* Compared even when the client is unknown, so that timing says nothing. */
        if (sodium_memcmp(s.hash, t->presented, 32) != 0 || !s.found) {
            fault_set(&why, F_CLIENT_INVALID, NULL, "invalid client credentials");
            return oauth_refuse(t, st, &why, s.found);
        }
    }
    if (t->public_only && t->refused.code == F_NONE) {
        int public_client = 0;
        int err = store_app_client_get(st, t->client, is_public, &public_client);
        if (err && err != PHR_ENOTFOUND)
            return err;
        if (!public_client) {
            fault_set(&why, F_CLIENT_INVALID, NULL,
                      "only a public app is named by client_id alone: authenticate with the secret or an assertion");
            return oauth_refuse(t, st, &why, err == PHR_OK);
        }
    }
    if (t->refused.code != F_NONE)
        return oauth_refuse(t, st, &t->refused, t->client[0] != '\0');
    if (t->jti[0]) {
        int err = store_client_assertion_insert(st, t->client, t->jti, t->jti_expires_at);
        if (err == PHR_ECONFLICT) {
            fault_set(&why, F_ASSERTION_REPLAYED, "client_assertion", "this assertion's jti was used already");
            return oauth_refuse(t, st, &why, 1);
        }
        if (err)
            return err;
    }
    *refused = 0;
    return PHR_OK;
}

struct keys {
    char *jwks, *url;
};

static int copy_keys(void *arg, const char *jwks, const char *url)
{
    struct keys *k = arg;
    k->jwks = jwks ? strdup(jwks) : NULL;
    k->url = url ? strdup(url) : NULL;
    return (jwks && !k->jwks) || (url && !k->url) ? PHR_ENOMEM : PHR_OK;
}

static int copy_text(void *arg, const char *text)
{
    char **out = arg;
    *out = text ? strdup(text) : NULL;
    return text && !*out ? PHR_ENOMEM : PHR_OK;
}

static int token_commit(struct op *o, struct store *st)
{
    struct token_op *t = (struct token_op *)o;
    int refused, err = client_proven(t, st, &refused);
    if (err || refused)
        return err;
    if (t->mode == MODE_INTROSPECT)
        return introspect_commit(t, st);
    if (t->mode == MODE_REVOKE)
        return revoke_commit(t, st);
    if (t->grant != GRANT_CLIENT_CREDENTIALS)
        return app_token_commit(t, st);
    /* What the registration allows the system, if it says. */
    char *allowed = NULL, beyond[256];
    if ((err = store_client_scopes_get(st, t->client, copy_text, &allowed)) && err != PHR_ENOTFOUND)
        return err;
    int over = allowed && scopes_beyond(t->scope, allowed, beyond, sizeof beyond);
    free(allowed);
    if (over) {
        struct fault why;
        fault_set(&why, F_SCOPE_INVALID, "scope", "%s is beyond what this client is registered for", beyond);
        return oauth_refuse(t, st, &why, 1);
    }
    int64_t now = clock_now_ms();
    err = store_client_token_insert(st, t->token_hash, t->client, now, now + OAUTH_TOKEN_SECONDS * 1000LL,
                                    t->scope, NULL);
    if (err)
        return err;
    struct actor who = o->actor;
    who.kind = ACTOR_RECIPIENT;
    snprintf(who.id, sizeof who.id, "%s", t->client);
    return gate_record(st, &who, ACT_CLIENT_TOKEN, NULL, NULL, t->scope, GATE_ALLOW);
}

static int token_render(struct op *o, struct buf *out)
{
    return app_token_render((struct token_op *)o, out);
}

static void token_destroy(struct op *o)
{
    struct token_op *t = (struct token_op *)o;
    sodium_memzero(t->token, sizeof t->token);
    sodium_memzero(t->refresh, sizeof t->refresh);
    sodium_memzero(t->presented, sizeof t->presented);
    sodium_memzero(t->presented_secret, sizeof t->presented_secret);
}

static const struct op_ops token_ops = {token_commit, token_render, token_destroy};

/* Whether aud (a string, or an array of them) names the token URL. */
static int audience_is(json_object *claims, const char *url)
{
    json_object *aud;
    if (!json_object_object_get_ex(claims, "aud", &aud))
        return 0;
    if (json_object_is_type(aud, json_type_string))
        return !strcmp(json_object_get_string(aud), url);
    for (size_t i = 0; json_object_is_type(aud, json_type_array) && i < json_object_array_length(aud); i++) {
        json_object *one = json_object_array_get_idx(aud, i);
        if (json_object_is_type(one, json_type_string) && !strcmp(json_object_get_string(one), url))
            return 1;
    }
    return 0;
}

/* The claims of a verified assertion: iss and sub the client, aud this
 * endpoint, exp ahead by at most five minutes, a jti. 0, or -1 with why. */
static int claims_hold(struct token_op *t, json_object *claims, const char *token_url, struct fault *why)
{
    const char *iss = json_get_str(claims, "iss"), *sub = json_get_str(claims, "sub");
    const char *jti = json_get_str(claims, "jti");
    json_object *exp;
    int64_t now = clock_now_ms() / 1000;
    if (!iss || !sub || strcmp(iss, t->client) || strcmp(sub, t->client))
        return fault_set(why, F_ASSERTION_INVALID, "client_assertion", "iss and sub must both be the client_id");
    if (!audience_is(claims, token_url))
        return fault_set(why, F_ASSERTION_INVALID, "client_assertion", "aud must be this token endpoint, %s",
                         token_url);
    if (!json_object_object_get_ex(claims, "exp", &exp) || !json_object_is_type(exp, json_type_int))
        return fault_set(why, F_ASSERTION_INVALID, "client_assertion", "exp must be a number of seconds");
    int64_t e = json_object_get_int64(exp);
    if (e <= now - CLOCK_SKEW_SECONDS)
        return fault_set(why, F_ASSERTION_INVALID, "client_assertion", "the assertion has expired");
    if (e > now + ASSERTION_MAX_SECONDS + CLOCK_SKEW_SECONDS)
        return fault_set(why, F_ASSERTION_INVALID, "client_assertion",
                         "exp may be at most five minutes ahead");
    if (!jti || !*jti || strlen(jti) > JTI_MAX)
        return fault_set(why, F_ASSERTION_INVALID, "client_assertion", "a jti of 1 to %d characters is needed",
                         JTI_MAX);
    snprintf(t->jti, sizeof t->jti, "%s", jti);
    t->jti_expires_at = (e + CLOCK_SKEW_SECONDS) * 1000;
    return 0;
}

/* The client named by an assertion, checked against its registered keys.
 * 0, or -1 with why (t->client set when the client is known). */
static int assertion_holds(struct service *svc, struct token_op *t, const struct token_request *tr,
                           struct fault *why)
{
    if (!tr->assertion_type || !tr->assertion)
        return fault_set(why, F_MISSING, tr->assertion_type ? "client_assertion" : "client_assertion_type",
                         "send both client_assertion_type and client_assertion");
    if (strcmp(tr->assertion_type, JWT_BEARER))
        return fault_set(why, F_BAD_REQUEST, "client_assertion_type", "client_assertion_type must be %s",
                         JWT_BEARER);
    if (strlen(tr->assertion) > ASSERTION_MAX)
        return fault_set(why, F_ASSERTION_INVALID, "client_assertion", "the assertion is longer than %d bytes",
                         ASSERTION_MAX);
    struct jws_header h;
    char *unverified = NULL, *payload = NULL, *jwks = NULL;
    struct keys k = {NULL, NULL};
    json_object *claims = NULL;
    int rc = -1;
    if (jws_header_of(tr->assertion, &h) || jws_claims_unverified(tr->assertion, &unverified)) {
        fault_set(why, F_ASSERTION_INVALID, "client_assertion", "client_assertion is not a signed JWT");
        goto out;
    }
    if ((claims = json_tokener_parse(unverified)) != NULL) {
        const char *iss = json_get_str(claims, "iss");
        if (iss && strlen(iss) <= ID_LEN && (!tr->client_id || !strcmp(tr->client_id, iss)))
            snprintf(t->client, sizeof t->client, "%s", iss);
        json_object_put(claims);
        claims = NULL;
    }
    struct store *rd;
    int err = t->client[0] && id_is_uuid(t->client) ? service_reader(svc, &rd) : PHR_ENOTFOUND;
    if (err == PHR_OK) {
        err = store_client_keys_get(rd, t->client, copy_keys, &k);
        service_reader_done(svc, rd);
    }
    if (err && err != PHR_ENOTFOUND) {
        fault_set(why, F_UNAVAILABLE, NULL, "the store cannot be read now");
        goto out;
    }
    if (err || (!k.jwks && !k.url)) {
        if (err)
            t->client[0] = '\0'; /* no such client: nobody to name in the record */
        fault_set(why, F_CLIENT_INVALID, "client_assertion", "no client with registered keys is named by iss%s",
                  tr->client_id ? " and client_id" : "");
        goto out;
    }
    /* A jku may only name the URL registered (SMART Backend Services). */
    if (h.has_jku && (!k.url || strcmp(h.jku, k.url))) {
        fault_set(why, F_ASSERTION_INVALID, "client_assertion", "a jku header names keys this client did not register");
        goto out;
    }
    if (k.url) {
        char reason[200];
        const char *bad;
        if (jwks_fetch(k.url, &jwks, reason, sizeof reason) || jwks_check(jwks, &bad)) {
            fault_set(why, F_CLIENT_INVALID, "client_assertion", "%s", jwks ? bad : reason);
            goto out;
        }
    } else {
        jwks = k.jwks;
        k.jwks = NULL;
    }
    err = jws_verify(tr->assertion, jwks, &payload);
    if (err == PHR_ENOMEM) {
        fault_set(why, F_INTERNAL, NULL, "out of memory");
        goto out;
    }
    if (err) {
        fault_set(why, F_ASSERTION_INVALID, "client_assertion",
                  err == PHR_EINVAL ? "the assertion's alg must be RS384, ES384 (or RS256/512, ES256/512)"
                                    : "no registered key verifies the assertion's signature");
        goto out;
    }
    struct fault unreadable;
    if (!(claims = json_parse_strict(payload, strlen(payload), &unreadable)) ||
        !json_object_is_type(claims, json_type_object)) {
        fault_set(why, F_ASSERTION_INVALID, "client_assertion", "the assertion's claims are not a JSON object");
        goto out;
    }
    rc = claims_hold(t, claims, tr->token_url, why);
out:
    json_object_put(claims);
    free(unverified);
    free(payload);
    free(jwks);
    free(k.jwks);
    free(k.url);
    return rc;
}

/* The grants, each with what it asks of the client and the request. */
static const struct {
    const char *name;
    enum oauth_grant grant;
    int public_ok;                /* a public app may name itself by client_id alone */
} grants[] = {
    {"client_credentials", GRANT_CLIENT_CREDENTIALS, 0},
    {"authorization_code", GRANT_CODE, 1},
    {"refresh_token", GRANT_REFRESH, 1},
};

/* Who the client is, before the store is asked: an assertion, a secret,
 * or (public_ok) its client_id alone. 0, or -1 with t->refused. */
static int authenticate(struct service *svc, struct token_op *t, const struct token_request *tr, int public_ok)
{
    struct fault *why = &t->refused;
    if (tr->assertion_type || tr->assertion)
        return assertion_holds(svc, t, tr, why);
    if (tr->client_id && strlen(tr->client_id) <= ID_LEN && tr->client_secret && strlen(tr->client_secret) <= 128) {
        snprintf(t->client, sizeof t->client, "%s", tr->client_id);
        crypto_hash_sha256(t->presented, (const unsigned char *)tr->client_secret, strlen(tr->client_secret));
        t->by_secret = 1;
        return 0;
    }
    if (public_ok && tr->client_id && id_is_uuid(tr->client_id) && !tr->client_secret) {
        snprintf(t->client, sizeof t->client, "%s", tr->client_id);
        t->public_only = 1;
        return 0;
    }
    return fault_set(why, F_CLIENT_INVALID, NULL,
                     "authenticate with a client_assertion (private_key_jwt), or client_id and client_secret%s",
                     public_ok ? " (a public app: client_id alone)" : "");
}

/* What can be refused before the store is asked, into t->refused. */
static void decide(struct service *svc, struct token_op *t, const struct token_request *tr)
{
    struct fault *why = &t->refused;
    if (t->mode != MODE_TOKEN) {
        if (authenticate(svc, t, tr, 1) == 0 && (!tr->token || !*tr->token))
            fault_set(why, F_MISSING, "token", "send the token");
        else if (tr->token)
            crypto_hash_sha256(t->presented_secret, (const unsigned char *)tr->token, strlen(tr->token));
        return;
    }
    if (!tr->grant_type) {
        fault_set(why, F_MISSING, "grant_type", "send grant_type: client_credentials, authorization_code or refresh_token");
        return;
    }
    size_t g = 0;
    while (g < sizeof grants / sizeof grants[0] && strcmp(grants[g].name, tr->grant_type))
        g++;
    if (g == sizeof grants / sizeof grants[0]) {
        fault_set(why, F_GRANT_UNSUPPORTED, "grant_type",
                  "grant_type must be client_credentials, authorization_code or refresh_token");
        return;
    }
    t->grant = grants[g].grant;
    if (authenticate(svc, t, tr, grants[g].public_ok))
        return;
    if (t->grant != GRANT_CLIENT_CREDENTIALS)
        return app_grant_decide(t, tr);
    if (!tr->scope) {
        fault_set(why, F_MISSING, "scope", "send the scopes asked for, e.g. scope=system/*.rs");
        return;
    }
    struct buf granted;
    buf_init(&granted);
    if (scopes_grant(tr->scope, "system", &granted, why) == 0)
        snprintf(t->scope, sizeof t->scope, "%s", buf_cstr(&granted));
    buf_free(&granted);
}

static int token_op_new(struct service *svc, const struct actor *a, enum oauth_mode mode,
                        const struct token_request *tr, struct op **out, struct fault *fault)
{
    *out = NULL;
    struct token_op *t = calloc(1, sizeof *t);
    if (!t)
        return fault_set(fault, F_INTERNAL, NULL, "out of memory");
    op_init(&t->op, svc, &token_ops, a);
    t->mode = mode;
    decide(svc, t, tr);
    if (t->refused.code == F_INTERNAL || t->refused.code == F_UNAVAILABLE) {
        *fault = t->refused;
        op_free(&t->op);
        return -1;
    }
    unsigned char raw[64];
    randombytes_buf(raw, sizeof raw);
    sodium_bin2hex(t->token, sizeof t->token, raw, 32);
    sodium_bin2hex(t->refresh, sizeof t->refresh, raw + 32, 32);
    sodium_memzero(raw, sizeof raw);
    crypto_hash_sha256(t->token_hash, (const unsigned char *)t->token, 64);
    crypto_hash_sha256(t->refresh_hash, (const unsigned char *)t->refresh, 64);
    *out = &t->op;
    return 0;
}

int oauth_token(struct service *svc, const struct actor *a, const struct token_request *tr, struct op **out,
                struct fault *fault)
{
    return token_op_new(svc, a, MODE_TOKEN, tr, out, fault);
}

int oauth_introspect(struct service *svc, const struct actor *a, const struct token_request *tr, struct op **out,
                     struct fault *fault)
{
    return token_op_new(svc, a, MODE_INTROSPECT, tr, out, fault);
}

int oauth_revoke(struct service *svc, const struct actor *a, const struct token_request *tr, struct op **out,
                 struct fault *fault)
{
    return token_op_new(svc, a, MODE_REVOKE, tr, out, fault);
}
