/* Recipients of third-party provision (R3.4): outside organisations as data,
 * their groups with a membership history (their clients' tokens:
 * service/oauth.c).
 *
 * A recipient's client secret is 32 random bytes shown once to the
 * operator; only its SHA-256 is stored (a full-entropy secret needs no slow
 * hash). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>

#include "crypto/jws.h"
#include "service/internal.h"
#include "util/clock.h"
#include "util/err.h"
#include "util/urls.h"

/* --- operator changes: add a recipient, a group, a membership, keys --- */

struct manage_op {
    struct op op;
    int op_kind;                 /* 0 organisation, 1 group, 2 join, 3 leave, 4 keys, 5 scopes */
    char id[ID_LEN + 1], group[PURPOSE_CODE_MAX + 1], country[3], kind[12];
    char *name, *address, *contact;
    char *text;                  /* keys: the client's public keys; scopes: what it may be granted; NULL: none */
    char *url;                   /* keys: where the client publishes them instead, or NULL */
    char secret[65];             /* shown once, hex */
    unsigned char secret_hash[32];
};

static int manage_commit(struct op *o, struct store *st)
{
    struct manage_op *m = (struct manage_op *)o;
    int64_t now = clock_now_ms();
    int err;
    char what[96];
    switch (m->op_kind) {
    case 0: {
        struct recipient_row r = {.id = m->id, .name = m->name, .address = m->address, .country = m->country,
                                  .contact = m->contact, .secret_hash = m->secret_hash, .created_at = now,
                                  .kind = m->kind};
        err = store_recipient_insert(st, &r);
        snprintf(what, sizeof what, "%s:%s", m->kind, m->id);
        break;
    }
    case 1:
        err = store_group_insert(st, m->group, m->name, now);
        if (err == PHR_ECONFLICT)
            return op_refuse(o, F_CONFLICT, "group %s exists already", m->group);
        snprintf(what, sizeof what, "group:%s", m->group);
        break;
    case 4:
    case 5:
        err = m->op_kind == 4 ? store_client_keys_set(st, m->id, m->text, m->url)
                              : store_client_scopes_set(st, m->id, m->text);
        if (err == PHR_ENOTFOUND)
            return op_refuse(o, F_NOT_FOUND, "no recipient %s", m->id);
        snprintf(what, sizeof what, "%s:%s:%s", m->op_kind == 4 ? "keys" : "scopes", m->id,
                 m->url ? "url" : m->text ? "set" : "removed");
        break;
    default:
        err = store_group_change(st, m->group, m->id, m->op_kind == 2 ? "join" : "leave", now);
        if (err == PHR_ENOTFOUND)
            return op_refuse(o, F_NOT_FOUND, "no group %s or no recipient %s", m->group, m->id);
        if (err == PHR_ECONFLICT)
            return op_refuse(o, F_CONFLICT, m->op_kind == 2 ? "%s is in group %s already" : "%s is not in group %s",
                             m->id, m->group);
        snprintf(what, sizeof what, "%s:%s:%s", m->op_kind == 2 ? "join" : "leave", m->group, m->id);
        break;
    }
    if (err)
        return err;
    return gate_record(st, &o->actor, ACT_RECIPIENT_MANAGE, NULL, what, NULL, GATE_ALLOW);
}

static int manage_render(struct op *o, struct buf *out)
{
    struct manage_op *m = (struct manage_op *)o;
    if (m->op_kind != 0)
        return PHR_OK;
    /* Only recipients sign in as API clients: the others get no secret. */
    if (strcmp(m->kind, "recipient"))
        return buf_puts(out, "{\"id\":") || buf_json_str(out, m->id) || buf_puts(out, ",\"kind\":") ||
                       buf_json_str(out, m->kind) || buf_puts(out, "}")
                   ? PHR_ENOMEM
                   : PHR_OK;
    return buf_puts(out, "{\"id\":") || buf_json_str(out, m->id) || buf_puts(out, ",\"client_id\":") ||
                   buf_json_str(out, m->id) || buf_puts(out, ",\"client_secret\":") ||
                   buf_json_str(out, m->secret) || buf_puts(out, "}")
               ? PHR_ENOMEM
               : PHR_OK;
}

static void manage_destroy(struct op *o)
{
    struct manage_op *m = (struct manage_op *)o;
    sodium_memzero(m->secret, sizeof m->secret);
    free(m->name);
    free(m->address);
    free(m->contact);
    free(m->text);
    free(m->url);
}

static const struct op_ops manage_ops = {manage_commit, manage_render, manage_destroy};

static struct manage_op *manage_new(struct service *svc, const struct actor *a, int op_kind, struct fault *fault)
{
    struct manage_op *m = calloc(1, sizeof *m);
    if (!m) {
        fault_set(fault, F_INTERNAL, NULL, "out of memory");
        return NULL;
    }
    op_init(&m->op, svc, &manage_ops, a);
    m->op_kind = op_kind;
    return m;
}

static int text_ok(const char *s, size_t max)
{
    return s && *s && strlen(s) <= max;
}

/* In each change the gate decides before the input is read, so that a
 * wrong person's attempt is recorded whatever it carried. */
int recipient_add(struct service *svc, const struct actor *a, const char *kind, const char *name, const char *address,
                  const char *country, const char *contact, struct op **out, struct fault *fault)
{
    *out = NULL;
    if (gate_decide(a, ACT_RECIPIENT_MANAGE, NULL) == GATE_DENY)
        return service_deny(svc, a, ACT_RECIPIENT_MANAGE, out, fault);
    if (!kind)
        kind = "recipient";
    if (strcmp(kind, "recipient") && strcmp(kind, "processor") && strcmp(kind, "partner"))
        return fault_set(fault, F_INVALID_VALUE, NULL, "kind is recipient, processor or partner");
    if (!text_ok(name, 200) || !text_ok(address, 400) || !text_ok(contact, 200))
        return fault_set(fault, F_MISSING, NULL, "name, address and contact are required (at most 200-400 bytes)");
    if (!country || strlen(country) != 2 || country[0] < 'A' || country[0] > 'Z' || country[1] < 'A' ||
        country[1] > 'Z')
        return fault_set(fault, F_INVALID_VALUE, NULL, "country must be an ISO 3166 alpha-2 code such as JP or US");
    struct manage_op *m = manage_new(svc, a, 0, fault);
    if (!m)
        return -1;
    id_uuid(m->id);
    memcpy(m->country, country, 3);
    snprintf(m->kind, sizeof m->kind, "%s", kind);
    m->name = strdup(name);
    m->address = strdup(address);
    m->contact = strdup(contact);
    if (!m->name || !m->address || !m->contact) {
        op_free(&m->op);
        return fault_set(fault, F_INTERNAL, NULL, "out of memory");
    }
    unsigned char raw[32];
    randombytes_buf(raw, sizeof raw);
    sodium_bin2hex(m->secret, sizeof m->secret, raw, sizeof raw);
    crypto_hash_sha256(m->secret_hash, (const unsigned char *)m->secret, 64);
    sodium_memzero(raw, sizeof raw);
    *out = &m->op;
    return 0;
}

int recipient_group_add(struct service *svc, const struct actor *a, const char *code, const char *name, struct op **out,
                        struct fault *fault)
{
    *out = NULL;
    if (gate_decide(a, ACT_RECIPIENT_MANAGE, NULL) == GATE_DENY)
        return service_deny(svc, a, ACT_RECIPIENT_MANAGE, out, fault);
    if (!code || !purpose_code_valid(code) || !text_ok(name, 200))
        return fault_set(fault, F_INVALID_VALUE, NULL,
                         "a group needs a code (lower-case letters, digits, '-') and a name");
    struct manage_op *m = manage_new(svc, a, 1, fault);
    if (!m)
        return -1;
    snprintf(m->group, sizeof m->group, "%s", code);
    if (!(m->name = strdup(name))) {
        op_free(&m->op);
        return fault_set(fault, F_INTERNAL, NULL, "out of memory");
    }
    *out = &m->op;
    return 0;
}

int recipient_group_change(struct service *svc, const struct actor *a, const char *group, const char *recipient,
                           int leave, struct op **out, struct fault *fault)
{
    *out = NULL;
    if (gate_decide(a, ACT_RECIPIENT_MANAGE, NULL) == GATE_DENY)
        return service_deny(svc, a, ACT_RECIPIENT_MANAGE, out, fault);
    if (!group || !purpose_code_valid(group) || !recipient || !id_is_uuid(recipient))
        return fault_set(fault, F_INVALID_VALUE, NULL, "a group code and a recipient id are required");
    struct manage_op *m = manage_new(svc, a, leave ? 3 : 2, fault);
    if (!m)
        return -1;
    snprintf(m->group, sizeof m->group, "%s", group);
    snprintf(m->id, sizeof m->id, "%s", recipient);
    *out = &m->op;
    return 0;
}

int recipient_keys(struct service *svc, const struct actor *a, const char *recipient, const char *jwks,
                   const char *jwks_uri, struct op **out, struct fault *fault)
{
    *out = NULL;
    if (gate_decide(a, ACT_RECIPIENT_MANAGE, NULL) == GATE_DENY)
        return service_deny(svc, a, ACT_RECIPIENT_MANAGE, out, fault);
    if (!recipient || !id_is_uuid(recipient))
        return fault_set(fault, F_INVALID_VALUE, "recipient", "the recipient's id is required");
    const char *why;
    if (jwks && strlen(jwks) > 64 * 1024)
        return fault_set(fault, F_INVALID_VALUE, "jwks", "a JWKS of at most 64 KiB");
    if (jwks && jwks_check(jwks, &why))
        return fault_set(fault, F_INVALID_VALUE, "jwks", "%s", why);
    if (jwks && jwks_uri)
        return fault_set(fault, F_INVALID_VALUE, "jwks_uri", "register the keys or their URL, not both");
    if (jwks_uri && !url_acceptable(jwks_uri, strlen(jwks_uri), 0))
        return fault_set(fault, F_INVALID_VALUE, "jwks_uri",
                         "a JWKS URL is https (http only on this machine), at most %d bytes, with no fragment", URL_MAX);
    struct manage_op *m = manage_new(svc, a, 4, fault);
    if (!m)
        return -1;
    snprintf(m->id, sizeof m->id, "%s", recipient);
    if ((jwks && !(m->text = strdup(jwks))) || (jwks_uri && !(m->url = strdup(jwks_uri)))) {
        op_free(&m->op);
        return fault_set(fault, F_INTERNAL, NULL, "out of memory");
    }
    *out = &m->op;
    return 0;
}

int recipient_scopes(struct service *svc, const struct actor *a, const char *recipient, const char *scopes,
                     struct op **out, struct fault *fault)
{
    *out = NULL;
    if (gate_decide(a, ACT_RECIPIENT_MANAGE, NULL) == GATE_DENY)
        return service_deny(svc, a, ACT_RECIPIENT_MANAGE, out, fault);
    if (!recipient || !id_is_uuid(recipient))
        return fault_set(fault, F_INVALID_VALUE, "recipient", "the recipient's id is required");
    /* Kept as granted: a request is measured against what it could get. */
    struct buf granted;
    buf_init(&granted);
    if (scopes && scopes_grant(scopes, "system", &granted, fault)) {
        buf_free(&granted);
        if (fault->code == F_SCOPE_INVALID)
            fault->code = F_INVALID_VALUE;
        return -1;
    }
    struct manage_op *m = manage_new(svc, a, 5, fault);
    if (!m) {
        buf_free(&granted);
        return -1;
    }
    snprintf(m->id, sizeof m->id, "%s", recipient);
    if (scopes && !(m->text = strdup(buf_cstr(&granted)))) {
        buf_free(&granted);
        op_free(&m->op);
        return fault_set(fault, F_INTERNAL, NULL, "out of memory");
    }
    buf_free(&granted);
    *out = &m->op;
    return 0;
}

/* --- agreements (R2.7) --- */

struct agreement_op {
    struct op op;
    char recipient[ID_LEN + 1], version[64], certification[64];
    int64_t signed_on, cert_expires;
    int ended;
};

static int agreement_commit(struct op *o, struct store *st)
{
    struct agreement_op *g = (struct agreement_op *)o;
    struct agreement_row a = {.recipient_id = g->recipient, .version = g->version, .signed_on = g->signed_on,
                              .certification = g->certification[0] ? g->certification : NULL,
                              .cert_expires = g->cert_expires, .ended = g->ended, .recorded_at = clock_now_ms()};
    int err = store_agreement_insert(st, &a);
    if (err == PHR_ENOTFOUND)
        return op_refuse(o, F_NOT_FOUND, "no recipient %s", g->recipient);
    if (err)
        return err;
    char what[120];
    snprintf(what, sizeof what, "%s:%s:%s", g->ended ? "agreement-ended" : "agreement", g->recipient, g->version);
    return gate_record(st, &o->actor, ACT_RECIPIENT_MANAGE, NULL, what, NULL, GATE_ALLOW);
}

static const struct op_ops agreement_ops = {agreement_commit, NULL, NULL};

int recipient_agreement(struct service *svc, const struct actor *a, const char *recipient, int64_t signed_on,
                        const char *version, const char *certification, int64_t cert_expires, int ended,
                        struct op **out, struct fault *fault)
{
    *out = NULL;
    if (gate_decide(a, ACT_RECIPIENT_MANAGE, NULL) == GATE_DENY)
        return service_deny(svc, a, ACT_RECIPIENT_MANAGE, out, fault);
    if (!recipient || !id_is_uuid(recipient))
        return fault_set(fault, F_INVALID_VALUE, NULL, "a recipient id is required");
    if (!version || !*version || strlen(version) > 63 || signed_on <= 0)
        return fault_set(fault, F_INVALID_VALUE, NULL, "the agreement's signing date and version are required");
    if (certification && strlen(certification) > 63)
        return fault_set(fault, F_INVALID_VALUE, NULL, "certification is at most 63 bytes");
    struct agreement_op *g = calloc(1, sizeof *g);
    if (!g)
        return fault_set(fault, F_INTERNAL, NULL, "out of memory");
    op_init(&g->op, svc, &agreement_ops, a);
    snprintf(g->recipient, sizeof g->recipient, "%s", recipient);
    snprintf(g->version, sizeof g->version, "%s", version);
    if (certification)
        snprintf(g->certification, sizeof g->certification, "%s", certification);
    g->signed_on = signed_on;
    g->cert_expires = cert_expires;
    g->ended = ended;
    *out = &g->op;
    return 0;
}

/* --- the registry --- */

struct list_ctx {
    struct buf *b;
    int n;
};

/* ,"groups":[...] from the store's comma-separated codes (codes hold no
 * comma and need no escaping: purpose_code_valid). */
static int groups_json(struct buf *b, const char *groups)
{
    if (buf_puts(b, ",\"groups\":["))
        return -1;
    for (const char *p = groups; p && *p;) {
        size_t n = strcspn(p, ",");
        if (buf_printf(b, "%s\"%.*s\"", p == groups ? "" : ",", (int)n, p))
            return -1;
        p += n + (p[n] == ',');
    }
    return buf_puts(b, "]");
}

static int list_one(void *arg, const struct recipient_row *r)
{
    struct list_ctx *c = arg;
    struct buf *b = c->b;
    char signed_on[32] = "", expires[32] = "";
    if (r->agreement_version)
        clock_format_ms(r->signed_on, signed_on);
    if (r->cert_expires)
        clock_format_ms(r->cert_expires, expires);
    if ((c->n++ && buf_puts(b, ",")) || buf_puts(b, "{\"id\":") || buf_json_str(b, r->id) ||
        buf_puts(b, ",\"kind\":") || buf_json_str(b, r->kind) || buf_puts(b, ",\"name\":") ||
        buf_json_str(b, r->name) || buf_puts(b, ",\"country\":") || buf_json_str(b, r->country) ||
        buf_puts(b, ",\"address\":") || buf_json_str(b, r->address) || buf_puts(b, ",\"contact\":") ||
        buf_json_str(b, r->contact) || groups_json(b, r->groups) || buf_puts(b, ",\"agreement\":"))
        return PHR_ENOMEM;
    if (!r->agreement_version)
        return buf_puts(b, "null}") ? PHR_ENOMEM : PHR_OK;
    return buf_puts(b, "{\"version\":") || buf_json_str(b, r->agreement_version) ||
                   buf_printf(b, ",\"signed_on\":\"%s\",\"ended\":%s,\"certification\":", signed_on,
                              r->agreement_ended ? "true" : "false") ||
                   (r->certification ? buf_json_str(b, r->certification) : buf_puts(b, "null")) ||
                   buf_puts(b, ",\"cert_expires\":") ||
                   (expires[0] ? buf_json_str(b, expires) : buf_puts(b, "null")) || buf_puts(b, "}}")
               ? PHR_ENOMEM
               : PHR_OK;
}

int recipient_list(struct service *svc, const struct actor *a, struct buf *out, struct fault *fault)
{
    if (gate_decide(a, ACT_RECIPIENT_READ, NULL) == GATE_DENY)
        return fault_set(fault, F_FORBIDDEN, NULL,
                         "for the information-asset manager, the security officer and auditors");
    struct store *rd;
    if (service_reader(svc, &rd))
        return fault_set(fault, F_UNAVAILABLE, NULL, "the store is not available");
    struct list_ctx c = {out, 0};
    int err = buf_puts(out, "[") ? PHR_ENOMEM : store_recipient_list(rd, list_one, &c);
    service_reader_done(svc, rd);
    if (err || buf_puts(out, "]"))
        return fault_set(fault, err == PHR_ENOMEM || !err ? F_INTERNAL : F_UNAVAILABLE, NULL,
                         "the registry could not be listed (%s)", phr_strerror(err ? err : PHR_ENOMEM));
    return 0;
}
