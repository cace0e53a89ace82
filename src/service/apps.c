/* Apps of the person's choosing (SMART App Launch 2, standalone patient
 * launch): the operator registers a recipient's app as an OAuth client;
 * the person, signed in to the portal, sees the app, who runs it, its
 * country, the data it asks for and the purposes, and approves or
 * refuses. An approval is a grant in the consent ledger of the purposes
 * the app's group is named by (recorded by "app:<client id>"), an entry
 * in the person's list of apps, and a one-minute code the app exchanges
 * (with its PKCE verifier) for tokens that act for this person only.
 * Revoking an app in the list withdraws those purposes and ends its
 * tokens in the same transaction. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>

#include "formats/form.h"
#include "formats/json.h"
#include "service/internal.h"
#include "util/clock.h"
#include "util/err.h"

#define CODE_SECONDS 60
#define URIS_MAX 2048
#define STATE_MAX 512
#define APP_PURPOSES_MAX 8

/* --- the app, as registered --- */

/* What an app registered without --scopes may be granted: reading. */
#define APP_SCOPES_DEFAULT "launch/patient offline_access patient/*.rs"

struct app {
    char client[ID_LEN + 1], name[160], address[320], country[3];
    char uris[URIS_MAX + 1], origins[URIS_MAX + 1], scopes[SCOPE_MAX];
    int public_client, found;
};

static int got_app(void *arg, const struct app_client_row *r)
{
    struct app *a = arg;
    snprintf(a->client, sizeof a->client, "%s", r->client_id);
    snprintf(a->name, sizeof a->name, "%s", r->name);
    snprintf(a->address, sizeof a->address, "%s", r->address);
    snprintf(a->country, sizeof a->country, "%s", r->country);
    snprintf(a->uris, sizeof a->uris, "%s", r->redirect_uris);
    snprintf(a->origins, sizeof a->origins, "%s", r->origins);
    snprintf(a->scopes, sizeof a->scopes, "%s", r->scopes ? r->scopes : APP_SCOPES_DEFAULT);
    a->public_client = r->public_client;
    a->found = !strcmp(r->kind, "recipient");
    return PHR_OK;
}

/* Whether word is one of the space-separated list, exactly. */
static int listed(const char *list, const char *word)
{
    size_t n = strlen(word);
    for (const char *p = list; n && *p;) {
        size_t m = strcspn(p, " ");
        if (m == n && !memcmp(p, word, n))
            return 1;
        p += m + (p[m] == ' ');
    }
    return 0;
}

static int base64url_sha256(const char *s)
{
    if (strlen(s) != 43)
        return 0;
    for (const char *p = s; *p; p++)
        if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-' ||
              *p == '_'))
            return 0;
    return 1;
}

/* The request checked against the registration, into app and (granted
 * scopes) granted. See service.h for error. */
static int check(struct service *svc, const struct app_request *q, struct app *app, struct buf *granted,
                 const char **error, struct fault *fault)
{
    memset(app, 0, sizeof *app);
    *error = NULL;
    struct store *rd;
    int err = q->client_id && id_is_uuid(q->client_id) ? service_reader(svc, &rd) : PHR_ENOTFOUND;
    if (err == PHR_OK) {
        err = store_app_client_get(rd, q->client_id, got_app, app);
        service_reader_done(svc, rd);
    }
    if (err && err != PHR_ENOTFOUND)
        return fault_set(fault, F_UNAVAILABLE, NULL, "the store cannot be read now");
    if (err || !app->found)
        return fault_set(fault, F_REDIRECT_INVALID, "client_id", "no app is registered with this client_id");
    if (!q->redirect_uri || !listed(app->uris, q->redirect_uri))
        return fault_set(fault, F_REDIRECT_INVALID, "redirect_uri",
                         "redirect_uri must be exactly one of those registered for the app");
    *error = "invalid_request";
    if (!q->response_type || strcmp(q->response_type, "code")) {
        *error = "unsupported_response_type";
        return fault_set(fault, F_BAD_REQUEST, "response_type", "only response_type=code is supported");
    }
    if (!q->code_challenge_method || strcmp(q->code_challenge_method, "S256") || !q->code_challenge)
        return fault_set(fault, F_BAD_REQUEST, "code_challenge_method",
                         "PKCE is required, with code_challenge_method=S256 (plain is refused)");
    if (!base64url_sha256(q->code_challenge))
        return fault_set(fault, F_BAD_REQUEST, "code_challenge",
                         "code_challenge must be the base64url SHA-256 of the verifier (43 characters)");
    if (!q->aud || strcmp(q->aud, q->fhir_base))
        return fault_set(fault, F_BAD_REQUEST, "aud", "aud must be this FHIR server's base URL, %s", q->fhir_base);
    if (q->state && strlen(q->state) > STATE_MAX)
        return fault_set(fault, F_BAD_REQUEST, "state", "state may be at most %d characters", STATE_MAX);
    if (scopes_grant(q->scope, "patient", granted, fault)) {
        *error = fault->code == F_INTERNAL ? NULL : "invalid_scope";
        return -1;
    }
    char beyond[256];
    if (scopes_beyond(buf_cstr(granted), app->scopes, beyond, sizeof beyond)) {
        *error = "invalid_scope";
        return fault_set(fault, F_SCOPE_INVALID, "scope", "%s is beyond what this app is registered for (%s)", beyond,
                         app->scopes);
    }
    *error = NULL;
    return 0;
}

int app_request_check(struct service *svc, const struct app_request *q, const char **error, struct fault *fault)
{
    struct app *app = malloc(sizeof *app);
    struct buf granted;
    buf_init(&granted);
    int rc = app ? check(svc, q, app, &granted, error, fault) : fault_set(fault, F_INTERNAL, NULL, "out of memory");
    buf_free(&granted);
    free(app);
    return rc;
}

/* --- what the person is shown --- */

/* Resource types in the person's words. */
static const struct {
    const char *type, *ja, *en;
} type_words[] = {
    {"*", "あなたのすべての記録", "all your records"},
    {"Observation", "測定値と健診の結果（血圧・体重・検査値など）", "measurements and checkup results (blood pressure, weight, tests)"},
    {"AllergyIntolerance", "アレルギー・副作用歴", "your allergies and side effects"},
    {"MedicationRequest", "処方の記録", "medicines prescribed to you"},
    {"MedicationDispense", "調剤された薬の記録", "medicines dispensed to you"},
    {"MedicationStatement", "服薬の記録", "medicines you take"},
    {"Immunization", "予防接種の記録", "your immunisations"},
    {"DocumentReference", "取り込んだ文書（健診結果報告書など）", "documents you imported (checkup reports)"},
    {"Patient", "あなたの基本情報", "your basic details"},
};

static int describe_scope(struct buf *b, const char *scope, size_t n, int first)
{
    char one[256];
    if (n >= sizeof one)
        return PHR_OK;
    memcpy(one, scope, n);
    one[n] = '\0';
    const char *ja = NULL, *en = NULL;
    char ja_buf[320], en_buf[320];
    if (!strcmp(one, "launch/patient")) {
        ja = "あなたが誰であるか（あなたのデータを開くため）";
        en = "who you are (to open your data)";
    } else if (!strcmp(one, "offline_access")) {
        ja = "あなたがいない間も読み続ける（最長90日。いつでも取り消せます）";
        en = "keep reading while you are away (up to 90 days; you can revoke it at any time)";
    } else {
        /* A granular scope names its category after '?': the words say it. */
        char *query = strchr(one, '?');
        const char *category = query ? strrchr(query, '|') : NULL;
        if (query)
            *query = '\0';
        const char *slash = strchr(one, '/'), *dot = slash ? strchr(slash, '.') : NULL;
        int writes = dot && strchr(dot + 1, 'c'), reads = !dot || strcmp(dot + 1, "c");
        const char *verb_ja = writes && reads ? "を読み、記録する" : writes ? "を記録する" : "を読む";
        const char *verb_en = writes && reads ? "read and record" : writes ? "record" : "read";
        const char *what_ja = one, *what_en = one;
        for (size_t i = 0; dot && i < sizeof type_words / sizeof type_words[0]; i++)
            if ((size_t)(dot - slash - 1) == strlen(type_words[i].type) &&
                !strncmp(slash + 1, type_words[i].type, (size_t)(dot - slash - 1))) {
                what_ja = type_words[i].ja;
                what_en = type_words[i].en;
            }
        if (category && !strcmp(category + 1, "vital-signs")) {
            what_ja = "測定値（血圧・体重など）";
            what_en = "measurements (blood pressure, weight…)";
        } else if (category) {
            what_ja = "健診の結果";
            what_en = "checkup results";
        }
        snprintf(ja_buf, sizeof ja_buf, "%s%s", what_ja, verb_ja);
        snprintf(en_buf, sizeof en_buf, "%s %s", verb_en, what_en);
        if (query)
            *query = '?'; /* the scope is answered whole */
        ja = ja_buf;
        en = en_buf;
    }
    return (!first && buf_puts(b, ",")) || buf_puts(b, "{\"scope\":") || buf_json_str(b, one) ||
                   buf_puts(b, ",\"ja\":") || buf_json_str(b, ja) || buf_puts(b, ",\"en\":") || buf_json_str(b, en) ||
                   buf_puts(b, "}")
               ? PHR_ENOMEM
               : PHR_OK;
}

/* The granted scopes as [{"scope","ja","en"},…]. */
static int describe_scopes(struct buf *b, const char *granted)
{
    int first = 1, err = buf_puts(b, "[") ? PHR_ENOMEM : PHR_OK;
    for (const char *p = granted; !err && *p;) {
        size_t n = strcspn(p, " ");
        err = describe_scope(b, p, n, first);
        first = 0;
        p += n + (p[n] == ' ');
    }
    return err || buf_puts(b, "]") ? PHR_ENOMEM : PHR_OK;
}

struct purposes_out {
    struct buf *b;
    int n;
};

static int put_purpose(void *arg, const struct purpose_row *p)
{
    struct purposes_out *o = arg;
    struct buf *b = o->b;
    return (o->n++ && buf_puts(b, ",")) || buf_puts(b, "{\"code\":") || buf_json_str(b, p->code) ||
                   buf_printf(b, ",\"version\":%d,\"title_ja\":", p->version) || buf_json_str(b, p->title_ja) ||
                   buf_puts(b, ",\"title_en\":") || buf_json_str(b, p->title_en ? p->title_en : p->title_ja) ||
                   buf_puts(b, ",\"description_ja\":") || buf_json_str(b, p->description_ja) ||
                   buf_puts(b, ",\"description_en\":") ||
                   buf_json_str(b, p->description_en ? p->description_en : p->description_ja) ||
                   buf_puts(b, ",\"kinds\":") || buf_json_str(b, p->kinds ? p->kinds : "") || buf_puts(b, "}")
               ? PHR_ENOMEM
               : PHR_OK;
}

int app_request_describe(struct service *svc, const struct actor *a, const struct app_request *q, struct buf *out,
                         struct fault *fault)
{
    if (gate_decide(a, ACT_CONSENT_RECORD, a->id) == GATE_DENY)
        return fault_set(fault, F_FORBIDDEN, NULL, "only the person signed in may approve an app");
    struct app *app = malloc(sizeof *app);
    struct buf granted;
    buf_init(&granted);
    const char *error;
    int rc = -1;
    if (!app) {
        fault_set(fault, F_INTERNAL, NULL, "out of memory");
        goto out;
    }
    if (check(svc, q, app, &granted, &error, fault))
        goto out;
    if (buf_puts(out, "{\"client_id\":") || buf_json_str(out, app->client) || buf_puts(out, ",\"name\":") ||
        buf_json_str(out, app->name) || buf_puts(out, ",\"address\":") || buf_json_str(out, app->address) ||
        buf_puts(out, ",\"country\":") || buf_json_str(out, app->country) || buf_puts(out, ",\"scopes\":") ||
        describe_scopes(out, buf_cstr(&granted))) {
        fault_set(fault, F_INTERNAL, NULL, "out of memory");
        goto out;
    }
    struct purposes_out po = {out, 0};
    struct store *rd;
    if (buf_puts(out, ",\"purposes\":[") || service_reader(svc, &rd)) {
        fault_set(fault, F_UNAVAILABLE, NULL, "the store cannot be read now");
        goto out;
    }
    int err = store_app_purposes(rd, app->client, put_purpose, &po);
    service_reader_done(svc, rd);
    if (err || buf_puts(out, "]}")) {
        fault_set(fault, F_UNAVAILABLE, NULL, "the store cannot be read now");
        goto out;
    }
    rc = 0;
out:
    buf_free(&granted);
    free(app);
    return rc;
}

/* --- the person's answer --- */

struct decide_op {
    struct op op;
    struct app app;
    int approve;
    char scope[SCOPE_MAX], redirect_uri[URIS_MAX + 1], challenge[44], state[STATE_MAX + 1];
    int has_state;
    struct consent_request consent;  /* the documents shown; the decisions are made in commit */
    char grant[ID_LEN + 1], code[65];
    unsigned char code_hash[32];
    struct buf audit;
};

struct purpose_list {
    struct {
        char code[PURPOSE_CODE_MAX + 1];
        int version;
    } p[APP_PURPOSES_MAX];
    size_t n;
};

static int collect_purpose(void *arg, const struct purpose_row *p)
{
    struct purpose_list *l = arg;
    if (l->n == APP_PURPOSES_MAX)
        return PHR_OK;
    snprintf(l->p[l->n].code, sizeof l->p[l->n].code, "%s", p->code);
    l->p[l->n++].version = p->version;
    return PHR_OK;
}

struct granted_now {
    const struct purpose_list *l;
    int granted[APP_PURPOSES_MAX];
};

static int got_decision(void *arg, const struct consent_row *c)
{
    struct granted_now *g = arg;
    for (size_t i = 0; i < g->l->n; i++)
        if (!strcmp(g->l->p[i].code, c->purpose))
            g->granted[i] = !strcmp(c->decision, "grant");
    return PHR_OK;
}

/* Decisions for the purposes: grant them all on approval; on refusal,
 * refuse those not granted already (a refusal of the app does not undo a
 * consent given in the portal). withdraw: withdraw those granted. */
static int decisions_for(struct store *st, const char *person, const struct purpose_list *l, const char *decision,
                         const char *country, struct consent_request *req)
{
    struct granted_now g = {l, {0}};
    int err = store_consent_state(st, person, got_decision, &g);
    req->ndecisions = 0;
    for (size_t i = 0; !err && i < l->n && req->ndecisions < CONSENT_MAX_DECISIONS; i++) {
        if (strcmp(decision, "grant") && g.granted[i] == !strcmp(decision, "refuse"))
            continue;
        struct consent_decision *d = &req->decisions[req->ndecisions++];
        memset(d, 0, sizeof *d);
        snprintf(d->purpose, sizeof d->purpose, "%s", l->p[i].code);
        d->version = l->p[i].version;
        snprintf(d->decision, sizeof d->decision, "%s", decision);
        /* Provision abroad names the country (Q3-5). */
        if (strcmp(country, "JP"))
            snprintf(d->countries, sizeof d->countries, "%s", country);
    }
    return err;
}

static int decide_commit(struct op *o, struct store *st)
{
    struct decide_op *d = (struct decide_op *)o;
    struct purpose_list l = {.n = 0};
    int err = store_app_purposes(st, d->app.client, collect_purpose, &l);
    if (err)
        return err;
    if (!l.n)
        return op_refuse(o, F_BUSINESS_RULE,
                         "no purpose of use in force provides data to this app: the provider must publish one "
                         "naming a group the app belongs to");
    char by[64];
    snprintf(by, sizeof by, "app:%s", d->app.client);
    if ((err = decisions_for(st, o->actor.id, &l, d->approve ? "grant" : "refuse", d->app.country, &d->consent)))
        return err;
    if (d->consent.ndecisions &&
        ((err = consent_append(o, st, o->actor.id, &d->consent, "app", by, &d->audit, NULL)) || o->res.err))
        return err;
    if (d->approve) {
        struct buf purposes;
        buf_init(&purposes);
        for (size_t i = 0; i < l.n; i++)
            buf_printf(&purposes, "%s%s:%d", i ? "," : "", l.p[i].code, l.p[i].version);
        int64_t now = clock_now_ms();
        struct app_grant_row g = {.id = d->grant, .person_id = o->actor.id, .client_id = d->app.client,
                                  .scope = d->scope, .purposes = buf_cstr(&purposes), .granted_at = now};
        err = buf_failed(&purposes) ? PHR_ENOMEM : store_app_grant_insert(st, &g);
        buf_free(&purposes);
        if (!err)
            err = store_oauth_code_insert(st, d->code_hash, d->grant, d->redirect_uri, d->challenge,
                                          now + CODE_SECONDS * 1000LL);
        if (err)
            return err;
    }
    char what[200];
    snprintf(what, sizeof what, "%s:%s:%s", d->approve ? "app-approved" : "app-refused", d->app.client,
             d->audit.len ? buf_cstr(&d->audit) : "");
    return gate_record(st, &o->actor, ACT_CONSENT_RECORD, o->actor.id, what, d->approve ? d->scope : NULL,
                       GATE_ALLOW);
}

/* {"redirect": the app's redirect_uri with code and state, or the error}. */
static int decide_render(struct op *o, struct buf *out)
{
    struct decide_op *d = (struct decide_op *)o;
    struct buf url;
    buf_init(&url);
    buf_puts(&url, d->redirect_uri);
    buf_puts(&url, strchr(d->redirect_uri, '?') ? "&" : "?");
    if (d->approve) {
        buf_puts(&url, "code=");
        buf_puts(&url, d->code);
    } else {
        buf_puts(&url, "error=access_denied&error_description=");
        form_encode(&url, "the person refused");
    }
    if (d->has_state) {
        buf_puts(&url, "&state=");
        form_encode(&url, d->state);
    }
    int err = buf_failed(&url) || buf_puts(out, "{\"redirect\":") || buf_json_str(out, buf_cstr(&url)) ||
                      buf_puts(out, "}")
                  ? PHR_ENOMEM
                  : PHR_OK;
    buf_free(&url);
    return err;
}

static void decide_destroy(struct op *o)
{
    struct decide_op *d = (struct decide_op *)o;
    sodium_memzero(d->code, sizeof d->code);
    buf_free(&d->audit);
}

static const struct op_ops decide_ops = {decide_commit, decide_render, decide_destroy};

int app_decide(struct service *svc, const struct actor *a, const struct app_request *q, int approve,
               const struct consent_request *shown, struct op **out, struct fault *fault)
{
    *out = NULL;
    if (gate_decide(a, ACT_CONSENT_RECORD, a->id) == GATE_DENY)
        return service_deny(svc, a, ACT_CONSENT_RECORD, out, fault);
    struct decide_op *d = calloc(1, sizeof *d);
    if (!d)
        return fault_set(fault, F_INTERNAL, NULL, "out of memory");
    op_init(&d->op, svc, &decide_ops, a);
    buf_init(&d->audit);
    struct buf granted;
    buf_init(&granted);
    const char *error;
    int rc = check(svc, q, &d->app, &granted, &error, fault);
    if (rc == 0) {
        d->approve = approve;
        d->consent = *shown;
        snprintf(d->scope, sizeof d->scope, "%s", buf_cstr(&granted));
        snprintf(d->redirect_uri, sizeof d->redirect_uri, "%s", q->redirect_uri);
        snprintf(d->challenge, sizeof d->challenge, "%s", q->code_challenge);
        if ((d->has_state = q->state != NULL))
            snprintf(d->state, sizeof d->state, "%s", q->state);
        id_uuid(d->grant);
        unsigned char raw[32];
        randombytes_buf(raw, sizeof raw);
        sodium_bin2hex(d->code, sizeof d->code, raw, sizeof raw);
        sodium_memzero(raw, sizeof raw);
        crypto_hash_sha256(d->code_hash, (const unsigned char *)d->code, 64);
        *out = &d->op;
    } else {
        op_free(&d->op);
    }
    buf_free(&granted);
    return rc;
}

/* --- the person's list, and revoking --- */

struct list_out {
    struct buf *b;
    int n;
};

static int put_grant(void *arg, const struct app_grant_row *g)
{
    struct list_out *o = arg;
    struct buf *b = o->b;
    char at[40], revoked[40], used[40];
    clock_format_ms(g->granted_at, at);
    clock_format_ms(g->revoked_at, revoked);
    clock_format_ms(g->last_used_at, used);
    return (o->n++ && buf_puts(b, ",")) || buf_puts(b, "{\"id\":") || buf_json_str(b, g->id) ||
                   buf_puts(b, ",\"client_id\":") || buf_json_str(b, g->client_id) || buf_puts(b, ",\"name\":") ||
                   buf_json_str(b, g->client_name) || buf_puts(b, ",\"scope\":") || buf_json_str(b, g->scope) ||
                   buf_puts(b, ",\"scopes\":") || describe_scopes(b, g->scope) ||
                   buf_puts(b, ",\"purposes\":") || buf_json_str(b, g->purposes) ||
                   buf_printf(b, ",\"approved_at\":\"%s\"", at) ||
                   (g->revoked_at && buf_printf(b, ",\"revoked_at\":\"%s\"", revoked)) ||
                   (g->last_used_at && buf_printf(b, ",\"last_read_at\":\"%s\"", used)) || buf_puts(b, "}")
               ? PHR_ENOMEM
               : PHR_OK;
}

int apps_list(struct service *svc, const struct actor *a, struct buf *out, struct fault *fault)
{
    if (gate_decide(a, ACT_CONSENT_READ, a->id) == GATE_DENY)
        return fault_set(fault, F_FORBIDDEN, NULL, "only the person sees the apps they approved");
    struct store *rd;
    if (service_reader(svc, &rd))
        return fault_set(fault, F_UNAVAILABLE, NULL, "the store cannot be read now");
    struct list_out o = {out, 0};
    int err = buf_puts(out, "{\"apps\":[") ? PHR_ENOMEM : store_app_grants_of(rd, a->id, put_grant, &o);
    service_reader_done(svc, rd);
    if (err || buf_puts(out, "]}"))
        return fault_set(fault, F_UNAVAILABLE, NULL, "the store cannot be read now");
    return 0;
}

struct revoke_op {
    struct op op;
    char grant[ID_LEN + 1], client[ID_LEN + 1], purposes[512];
    struct buf audit;
};

static int got_grant(void *arg, const struct app_grant_row *g)
{
    struct revoke_op *r = arg;
    snprintf(r->client, sizeof r->client, "%s", g->client_id);
    snprintf(r->purposes, sizeof r->purposes, "%s", g->purposes);
    return PHR_OK;
}

/* "code:version,…" as a list. */
static void purposes_parse(const char *s, struct purpose_list *l)
{
    l->n = 0;
    while (*s && l->n < APP_PURPOSES_MAX) {
        size_t n = strcspn(s, ","), c = strcspn(s, ":");
        if (c < n && c <= PURPOSE_CODE_MAX) {
            memcpy(l->p[l->n].code, s, c);
            l->p[l->n].code[c] = '\0';
            l->p[l->n++].version = atoi(s + c + 1);
        }
        s += n + (s[n] == ',');
    }
}

static int revoke_commit(struct op *o, struct store *st)
{
    struct revoke_op *r = (struct revoke_op *)o;
    int err = store_app_grant_get(st, r->grant, o->actor.id, got_grant, r);
    if (err == PHR_ENOTFOUND)
        return op_refuse(o, F_NOT_FOUND, "no app approved by you in force has this id");
    if (err)
        return err;
    struct purpose_list l;
    purposes_parse(r->purposes, &l);
    struct consent_request req;
    memset(&req, 0, sizeof req);
    char by[64];
    snprintf(by, sizeof by, "app:%s", r->client);
    if ((err = decisions_for(st, o->actor.id, &l, "withdraw", "JP", &req)))
        return err;
    if (req.ndecisions && ((err = consent_append(o, st, o->actor.id, &req, "portal", by, &r->audit, NULL)) ||
                           o->res.err))
        return err;
    if ((err = store_app_grant_revoke(st, r->grant, clock_now_ms())))
        return err;
    char what[200];
    snprintf(what, sizeof what, "app-revoked:%s:%s", r->client, r->audit.len ? buf_cstr(&r->audit) : "");
    return gate_record(st, &o->actor, ACT_CONSENT_RECORD, o->actor.id, what, NULL, GATE_ALLOW);
}

static void revoke_destroy(struct op *o)
{
    buf_free(&((struct revoke_op *)o)->audit);
}

static const struct op_ops revoke_ops = {revoke_commit, NULL, revoke_destroy};

int app_revoke(struct service *svc, const struct actor *a, const char *grant, struct op **out, struct fault *fault)
{
    *out = NULL;
    if (gate_decide(a, ACT_CONSENT_RECORD, a->id) == GATE_DENY)
        return service_deny(svc, a, ACT_CONSENT_RECORD, out, fault);
    if (!grant || !id_is_uuid(grant))
        return fault_set(fault, F_NOT_FOUND, NULL, "no app approved by you has this id");
    struct revoke_op *r = calloc(1, sizeof *r);
    if (!r)
        return fault_set(fault, F_INTERNAL, NULL, "out of memory");
    op_init(&r->op, svc, &revoke_ops, a);
    buf_init(&r->audit);
    snprintf(r->grant, sizeof r->grant, "%s", grant);
    *out = &r->op;
    return 0;
}
