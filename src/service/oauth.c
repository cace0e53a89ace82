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

#include "crypto/jws.h"
#include "formats/json.h"
#include "service/internal.h"
#include "util/clock.h"
#include "util/err.h"

#define JWT_BEARER "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
#define ASSERTION_MAX 8192
#define ASSERTION_MAX_SECONDS 300 /* SMART: exp at most five minutes ahead */
#define CLOCK_SKEW_SECONDS 60
#define JTI_MAX 128

struct token_op {
    struct op op;
    char client[ID_LEN + 1];      /* the client named, "" if none could be */
    int by_secret;                /* authenticated at commit against the stored hash */
    unsigned char presented[32];
    struct fault refused;         /* a refusal decided before commit (code F_NONE: none) */
    char jti[JTI_MAX + 1];
    int64_t jti_expires_at;
    char scope[SCOPE_MAX];
    char token[65];
    unsigned char token_hash[32];
};

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

/* The refusal on the record, and as the answer. */
static int refuse(struct token_op *t, struct store *st, const struct fault *why, int known)
{
    struct op *o = &t->op;
    o->res.err = PHR_EPERM;
    o->res.fault = *why;
    return gate_record(st, &o->actor, ACT_CLIENT_TOKEN, NULL, known ? t->client : NULL,
                       fault_def(o->res.fault.code)->name, GATE_DENY);
}

static int token_commit(struct op *o, struct store *st)
{
    struct token_op *t = (struct token_op *)o;
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
            return refuse(t, st, &why, s.found);
        }
    }
    if (t->refused.code != F_NONE)
        return refuse(t, st, &t->refused, t->client[0] != '\0');
    if (t->jti[0]) {
        int err = store_client_assertion_insert(st, t->client, t->jti, t->jti_expires_at);
        if (err == PHR_ECONFLICT) {
            fault_set(&why, F_ASSERTION_REPLAYED, "client_assertion", "this assertion's jti was used already");
            return refuse(t, st, &why, 1);
        }
        if (err)
            return err;
    }
    int64_t now = clock_now_ms();
    int err = store_client_token_insert(st, t->token_hash, t->client, now, now + OAUTH_TOKEN_SECONDS * 1000LL,
                                        t->scope);
    if (err)
        return err;
    struct actor who = o->actor;
    who.kind = ACTOR_RECIPIENT;
    snprintf(who.id, sizeof who.id, "%s", t->client);
    return gate_record(st, &who, ACT_CLIENT_TOKEN, NULL, NULL, t->scope, GATE_ALLOW);
}

static int token_render(struct op *o, struct buf *out)
{
    struct token_op *t = (struct token_op *)o;
    return buf_puts(out, "{\"access_token\":\"") || buf_puts(out, t->token) ||
                   buf_printf(out, "\",\"token_type\":\"Bearer\",\"expires_in\":%d,\"scope\":", OAUTH_TOKEN_SECONDS) ||
                   buf_json_str(out, t->scope) || buf_puts(out, "}")
               ? PHR_ENOMEM
               : PHR_OK;
}

static void token_destroy(struct op *o)
{
    struct token_op *t = (struct token_op *)o;
    sodium_memzero(t->token, sizeof t->token);
    sodium_memzero(t->presented, sizeof t->presented);
}

static const struct op_ops token_ops = {token_commit, token_render, token_destroy};

static int keys_of(void *arg, const char *jwks)
{
    char **out = arg;
    *out = jwks ? strdup(jwks) : NULL;
    return jwks && !*out ? PHR_ENOMEM : PHR_OK;
}

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
        err = store_client_keys_get(rd, t->client, keys_of, &jwks);
        service_reader_done(svc, rd);
    }
    if (err && err != PHR_ENOTFOUND) {
        fault_set(why, F_UNAVAILABLE, NULL, "the store cannot be read now");
        goto out;
    }
    if (err || !jwks) {
        if (err)
            t->client[0] = '\0'; /* no such client: nobody to name in the record */
        fault_set(why, F_CLIENT_INVALID, "client_assertion", "no client with registered keys is named by iss%s",
                  tr->client_id ? " and client_id" : "");
        goto out;
    }
    if (h.has_jku) {
        fault_set(why, F_ASSERTION_INVALID, "client_assertion", "a jku header names keys this client did not register");
        goto out;
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
    return rc;
}

/* What can be refused before the store is asked, into t->refused. */
static void decide(struct service *svc, struct token_op *t, const struct token_request *tr)
{
    struct fault *why = &t->refused;
    int assertion = tr->assertion_type || tr->assertion;
    if (!tr->grant_type) {
        fault_set(why, F_MISSING, "grant_type", "send grant_type=client_credentials");
        return;
    }
    if (strcmp(tr->grant_type, "client_credentials")) {
        fault_set(why, F_GRANT_UNSUPPORTED, "grant_type", "only grant_type=client_credentials is supported here");
        return;
    }
    if (assertion) {
        if (assertion_holds(svc, t, tr, why))
            return;
    } else if (tr->client_id && tr->client_secret && strlen(tr->client_id) <= ID_LEN &&
               strlen(tr->client_secret) <= 128) {
        snprintf(t->client, sizeof t->client, "%s", tr->client_id);
        crypto_hash_sha256(t->presented, (const unsigned char *)tr->client_secret, strlen(tr->client_secret));
        t->by_secret = 1;
    } else {
        fault_set(why, F_CLIENT_INVALID, NULL,
                  "authenticate with a client_assertion (private_key_jwt), or client_id and client_secret");
        return;
    }
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

int oauth_token(struct service *svc, const struct actor *a, const struct token_request *tr, struct op **out,
                struct fault *fault)
{
    *out = NULL;
    struct token_op *t = calloc(1, sizeof *t);
    if (!t)
        return fault_set(fault, F_INTERNAL, NULL, "out of memory");
    op_init(&t->op, svc, &token_ops, a);
    decide(svc, t, tr);
    if (t->refused.code == F_INTERNAL || t->refused.code == F_UNAVAILABLE) {
        *fault = t->refused;
        op_free(&t->op);
        return -1;
    }
    unsigned char raw[32];
    randombytes_buf(raw, sizeof raw);
    sodium_bin2hex(t->token, sizeof t->token, raw, sizeof raw);
    sodium_memzero(raw, sizeof raw);
    crypto_hash_sha256(t->token_hash, (const unsigned char *)t->token, 64);
    *out = &t->op;
    return 0;
}
