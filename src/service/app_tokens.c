/* An app's tokens (SMART App Launch): the code the person's approval gave
 * it, exchanged once with its PKCE verifier; refresh tokens, each used
 * once and replaced (RFC 9700 §4.14: a second use is a theft, and ends
 * the grant); introspection (RFC 7662) and revocation (RFC 7009). Every
 * token issued under an approval dies with it: the store's lookup joins
 * the grant, so revoking in the portal stops the next request. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>

#include "service/oauth_op.h"
#include "util/clock.h"
#include "util/err.h"

/* RFC 7636 §4.1: 43-128 unreserved characters. */
static int verifier_ok(const char *v)
{
    size_t n = strlen(v);
    if (n < 43 || n > 128)
        return 0;
    for (const char *p = v; *p; p++)
        if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-' ||
              *p == '.' || *p == '_' || *p == '~'))
            return 0;
    return 1;
}

void app_grant_decide(struct token_op *t, const struct token_request *tr)
{
    struct fault *why = &t->refused;
    const char *secret = t->grant == GRANT_CODE ? tr->code : tr->refresh_token;
    if (!secret || !*secret) {
        fault_set(why, F_MISSING, t->grant == GRANT_CODE ? "code" : "refresh_token", "send the %s",
                  t->grant == GRANT_CODE ? "code" : "refresh_token");
        return;
    }
    crypto_hash_sha256(t->presented_secret, (const unsigned char *)secret, strlen(secret));
    if (t->grant == GRANT_REFRESH)
        return;
    if (!tr->redirect_uri || strlen(tr->redirect_uri) > REDIRECT_MAX) {
        fault_set(why, F_MISSING, "redirect_uri", "send the redirect_uri the code was asked with");
        return;
    }
    snprintf(t->redirect_uri, sizeof t->redirect_uri, "%s", tr->redirect_uri);
    if (!tr->code_verifier || !verifier_ok(tr->code_verifier)) {
        fault_set(why, F_MISSING, "code_verifier", "send the PKCE code_verifier (43 to 128 unreserved characters)");
        return;
    }
    unsigned char h[32];
    crypto_hash_sha256(h, (const unsigned char *)tr->code_verifier, strlen(tr->code_verifier));
    sodium_bin2base64(t->challenge, sizeof t->challenge, h, sizeof h, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

struct taken {
    struct token_op *t;
    char client[ID_LEN + 1], person[ID_LEN + 1], grant[ID_LEN + 1];
    char scope[SCOPE_MAX], redirect_uri[REDIRECT_MAX + 1], challenge[64];
    int64_t expires_at, revoked_at;
    int used;
};

static int got_secret(void *arg, const struct app_secret_row *r)
{
    struct taken *k = arg;
    snprintf(k->client, sizeof k->client, "%s", r->client_id);
    snprintf(k->person, sizeof k->person, "%s", r->person_id);
    snprintf(k->grant, sizeof k->grant, "%s", r->grant_id);
    snprintf(k->scope, sizeof k->scope, "%s", r->scope);
    snprintf(k->redirect_uri, sizeof k->redirect_uri, "%s", r->redirect_uri ? r->redirect_uri : "");
    snprintf(k->challenge, sizeof k->challenge, "%s", r->challenge ? r->challenge : "");
    k->expires_at = r->expires_at;
    k->revoked_at = r->grant_revoked_at;
    k->used = r->used;
    return PHR_OK;
}

static int invalid_grant(struct token_op *t, struct store *st, const char *detail)
{
    struct fault why;
    fault_set(&why, F_GRANT_INVALID, t->grant == GRANT_CODE ? "code" : "refresh_token", "%s", detail);
    return oauth_refuse(t, st, &why, 1);
}

static int has_scope(const char *granted, const char *one)
{
    size_t n = strlen(one);
    for (const char *p = granted; *p;) {
        size_t m = strcspn(p, " ");
        if (m == n && !memcmp(p, one, n))
            return 1;
        p += m + (p[m] == ' ');
    }
    return 0;
}

int app_token_commit(struct token_op *t, struct store *st)
{
    struct taken *k = calloc(1, sizeof *k);
    if (!k)
        return PHR_ENOMEM;
    int err = t->grant == GRANT_CODE ? store_oauth_code_take(st, t->presented_secret, got_secret, k)
                                     : store_refresh_take(st, t->presented_secret, got_secret, k);
    int64_t now = clock_now_ms();
    if (err == PHR_ENOTFOUND || (!err && strcmp(k->client, t->client))) {
        err = invalid_grant(t, st, "unknown, or issued to another client");
        goto out;
    }
    if (err)
        goto out;
    if (k->used) {
        /* RFC 6749 §4.1.2, RFC 9700 §4.14.2: someone else has it too. */
        if (!k->revoked_at && (err = store_app_grant_revoke(st, k->grant, now)))
            goto out;
        err = invalid_grant(t, st, "used already: the approval it stood for is revoked, and every token under it");
        goto out;
    }
    if (k->revoked_at || now >= k->expires_at) {
        err = invalid_grant(t, st, k->revoked_at ? "the person revoked this app" : "expired");
        goto out;
    }
    if (t->grant == GRANT_CODE && (strcmp(k->redirect_uri, t->redirect_uri) || strcmp(k->challenge, t->challenge))) {
        err = invalid_grant(t, st, strcmp(k->redirect_uri, t->redirect_uri)
                                       ? "redirect_uri is not the one the code was asked with"
                                       : "the code_verifier does not match the code_challenge");
        goto out;
    }
    snprintf(t->scope, sizeof t->scope, "%s", k->scope);
    snprintf(t->patient, sizeof t->patient, "%s", k->person);
    snprintf(t->grant_id, sizeof t->grant_id, "%s", k->grant);
    if ((err = store_client_token_insert(st, t->token_hash, t->client, now, now + OAUTH_TOKEN_SECONDS * 1000LL,
                                         t->scope, k->grant)))
        goto out;
    if (has_scope(t->scope, "offline_access") &&
        (err = store_refresh_insert(st, t->refresh_hash, k->grant, now + OAUTH_REFRESH_SECONDS * 1000LL)))
        goto out;
    struct actor who = t->op.actor;
    who.kind = ACTOR_RECIPIENT;
    snprintf(who.id, sizeof who.id, "%s", t->client);
    err = gate_record(st, &who, ACT_CLIENT_TOKEN, k->person, t->grant == GRANT_CODE ? "code" : "refresh", t->scope,
                      GATE_ALLOW);
out:
    free(k);
    return err;
}

int introspect_commit(struct token_op *t, struct store *st)
{
    char client[ID_LEN + 1];
    int64_t expires_at = 0;
    int err = store_client_token_get(st, t->presented_secret, client, t->patient, &expires_at, t->scope,
                                     sizeof t->scope);
    if (err && err != PHR_ENOTFOUND)
        return err;
    /* Another client's token is as good as unknown (RFC 7662 §2.2). */
    t->active = !err && !strcmp(client, t->client) && clock_now_ms() < expires_at;
    t->expires_at = expires_at;
    return PHR_OK;
}

int revoke_commit(struct token_op *t, struct store *st)
{
    int err = store_app_token_revoke(st, t->presented_secret, t->client, clock_now_ms(), t->grant_id);
    /* RFC 7009 §2.2: an unknown token is answered as a revoked one. */
    if (err == PHR_ENOTFOUND)
        return PHR_OK;
    if (err)
        return err;
    struct actor who = t->op.actor;
    who.kind = ACTOR_RECIPIENT;
    snprintf(who.id, sizeof who.id, "%s", t->client);
    return gate_record(st, &who, ACT_CLIENT_TOKEN, NULL, t->grant_id[0] ? "revoked-grant" : "revoked-token",
                       t->grant_id[0] ? t->grant_id : NULL, GATE_ALLOW);
}

int app_token_render(struct token_op *t, struct buf *out)
{
    if (t->mode == MODE_REVOKE)
        return PHR_OK;
    if (t->mode == MODE_INTROSPECT) {
        if (!t->active)
            return buf_puts(out, "{\"active\":false}") ? PHR_ENOMEM : PHR_OK;
        buf_puts(out, "{\"active\":true,\"token_type\":\"Bearer\",\"client_id\":");
        buf_json_str(out, t->client);
        buf_puts(out, ",\"scope\":");
        buf_json_str(out, t->scope);
        buf_printf(out, ",\"exp\":%lld", (long long)(t->expires_at / 1000));
        if (t->patient[0]) {
            buf_puts(out, ",\"patient\":");
            buf_json_str(out, t->patient);
        }
        return buf_puts(out, "}") ? PHR_ENOMEM : PHR_OK;
    }
    buf_puts(out, "{\"access_token\":\"");
    buf_puts(out, t->token);
    buf_printf(out, "\",\"token_type\":\"Bearer\",\"expires_in\":%d,\"scope\":", OAUTH_TOKEN_SECONDS);
    buf_json_str(out, t->scope);
    if (t->patient[0]) {
        buf_puts(out, ",\"patient\":");
        buf_json_str(out, t->patient);
        if (has_scope(t->scope, "offline_access")) {
            buf_puts(out, ",\"refresh_token\":\"");
            buf_puts(out, t->refresh);
            buf_puts(out, "\"");
        }
    }
    return buf_puts(out, "}") ? PHR_ENOMEM : PHR_OK;
}
