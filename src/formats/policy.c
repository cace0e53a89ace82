#include "formats/policy.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "formats/data_kinds.h"
#include "formats/fhirtime.h"
#include "formats/json.h"
#include "util/utf8.h"

#define JST_OFFSET_MIN (9 * 60)

int purpose_code_valid(const char *c)
{
    size_t n = strlen(c);
    if (n == 0 || n > PURPOSE_CODE_MAX || c[0] < 'a' || c[0] > 'z')
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!((c[i] >= 'a' && c[i] <= 'z') || (c[i] >= '0' && c[i] <= '9') || c[i] == '-'))
            return 0;
    return 1;
}

static const char *lang_str(json_object *o, const char *lang)
{
    json_object *v;
    if (!o || !json_object_is_type(o, json_type_object) || !json_object_object_get_ex(o, lang, &v) ||
        !json_object_is_type(v, json_type_string) || json_object_get_string_len(v) == 0)
        return NULL;
    return json_object_get_string(v);
}

/* The text itself, copied: the set owns every body, as it does the ones
 * the operator's command reads from files. */
static int inline_body(json_object *o, size_t i, struct policy_doc *d, struct fault *fault)
{
    json_object *b;
    if (json_object_object_get_ex(o, "file", &b))
        return fault_set(fault, F_INVALID_VALUE, NULL, "documents[%zu].file: send the text itself as \"body\"", i);
    if (!json_object_object_get_ex(o, "body", &b) || !json_object_is_type(b, json_type_string))
        return fault_set(fault, F_MISSING, NULL, "documents[%zu].body (the text, Markdown) is required", i);
    d->body_len = (size_t)json_object_get_string_len(b);
    if (!(d->body = malloc(d->body_len + 1)))
        return fault_set(fault, F_INTERNAL, NULL, "out of memory");
    memcpy(d->body, json_object_get_string(b), d->body_len + 1);
    return 0;
}

static int parse_doc(json_object *o, size_t i, enum policy_texts texts, struct policy_doc *d, struct fault *fault)
{
    if (!json_object_is_type(o, json_type_object))
        return fault_set(fault, F_MALFORMED, NULL, "documents[%zu] must be an object", i);
    d->kind = json_get_str(o, "kind");
    d->lang = json_get_str(o, "lang");
    d->title = json_get_str(o, "title");
    const char *eff = json_get_str(o, "effective");
    if (!d->kind || (strcmp(d->kind, "terms") && strcmp(d->kind, "summary") && strcmp(d->kind, "privacy") &&
                     strcmp(d->kind, "anonymised")))
        return fault_set(fault, F_INVALID_VALUE, NULL,
                         "documents[%zu].kind must be terms, summary, privacy or anonymised", i);
    if (!d->lang || (strcmp(d->lang, "ja") && strcmp(d->lang, "en")))
        return fault_set(fault, F_INVALID_VALUE, NULL, "documents[%zu].lang must be ja or en", i);
    if (!d->title || !*d->title)
        return fault_set(fault, F_MISSING, NULL, "documents[%zu].title is required", i);
    if (texts == POLICY_TEXTS_INLINE) {
        if (inline_body(o, i, d, fault))
            return -1;
    } else {
        d->file = json_get_str(o, "file");
        if (!d->file || !*d->file || strstr(d->file, "..") || d->file[0] == '/')
            return fault_set(fault, F_INVALID_VALUE, NULL,
                             "documents[%zu].file must name a file beside the manifest (no '..', not absolute)", i);
    }
    /* The terms state from day one how long persons may export their data
     * when the service ends (Q4-2); the figure is kept beside the text so
     * that an announced termination can be held to it. */
    json_object *days;
    int has_days = json_object_object_get_ex(o, "export_period_days", &days);
    if (!strcmp(d->kind, "terms")) {
        if (!has_days || !json_object_is_type(days, json_type_int) || json_object_get_int64(days) < 30 ||
            json_object_get_int64(days) > 3650)
            return fault_set(fault, F_MISSING, NULL,
                             "documents[%zu].export_period_days is required for the terms: 30 to 3650 days", i);
        d->export_days = (int)json_object_get_int64(days);
    } else if (has_days) {
        return fault_set(fault, F_INVALID_VALUE, NULL, "documents[%zu].export_period_days belongs to the terms only",
                         i);
    }
    int64_t hi;
    if (!eff || strlen(eff) != 10 || fhirtime_parse(eff, FHIRTIME_DATETIME, JST_OFFSET_MIN, &d->effective_at, &hi))
        return fault_set(fault, F_INVALID_VALUE, NULL, "documents[%zu].effective must be a date, YYYY-MM-DD", i);
    return 0;
}

/* A provision purpose names a recipient group and the kinds of data it
 * provides; both or neither. */
static int parse_provision(json_object *o, size_t i, struct policy_purpose *p, struct fault *fault)
{
    json_object *kinds;
    int has_kinds = json_object_object_get_ex(o, "kinds", &kinds);
    p->recipient_group = json_get_str(o, "recipient_group");
    if (!p->recipient_group && !has_kinds)
        return 0;
    if (!p->recipient_group || !purpose_code_valid(p->recipient_group))
        return fault_set(fault, F_INVALID_VALUE, NULL, "purposes[%zu].recipient_group must be a group code", i);
    size_t n = has_kinds && json_object_is_type(kinds, json_type_array) ? json_object_array_length(kinds) : 0;
    char names[DATA_KINDS_NAMES_MAX];
    data_kinds_names(names, sizeof names);
    if (n == 0 || n > DK_COUNT)
        return fault_set(fault, F_INVALID_VALUE, NULL,
                         "purposes[%zu].kinds must list the kinds of data provided to the "
                         "group, 1 to %d of: %s",
                         i, (int)DK_COUNT, names);
    /* Each name is at most 64 bytes, plus a comma or the final NUL. */
    p->kinds = calloc(n, 65);
    if (!p->kinds)
        return fault_set(fault, F_INTERNAL, NULL, "out of memory");
    size_t len = 0;
    for (size_t k = 0; k < n; k++) {
        json_object *t = json_object_array_get_idx(kinds, k);
        const char *s = json_object_is_type(t, json_type_string) ? json_object_get_string(t) : NULL;
        if (!s || !*s || strlen(s) > 64 || strchr(s, ','))
            return fault_set(fault, F_INVALID_VALUE, NULL, "purposes[%zu].kinds[%zu] must be a kind of data: %s", i, k,
                             names);
        if (k)
            p->kinds[len++] = ',';
        memcpy(p->kinds + len, s, strlen(s));
        len += strlen(s);
    }
    p->kinds[len] = '\0';
    data_kinds all;
    char bad[72];
    int rc = data_kinds_parse(p->kinds, &all, bad, sizeof bad);
    if (rc == -1)
        return fault_set(fault, F_INVALID_VALUE, NULL,
                         "purposes[%zu].kinds: '%s' is not a kind of data (%s); resource "
                         "types are not kinds: an Observation may be a vital sign or a checkup result",
                         i, bad, names);
    if (rc)
        return fault_set(fault, F_INVALID_VALUE, NULL,
                         "purposes[%zu].kinds: documents (imported files as they came) hold "
                         "checkup results, medication and measurements, so a purpose provides them only with "
                         "vital-signs, checkup, medication and immunization",
                         i);
    return 0;
}

static int parse_purpose(json_object *o, size_t i, struct policy_purpose *p, struct fault *fault)
{
    if (!json_object_is_type(o, json_type_object))
        return fault_set(fault, F_MALFORMED, NULL, "purposes[%zu] must be an object", i);
    json_object *v, *title = NULL, *desc = NULL;
    p->code = json_get_str(o, "code");
    if (!p->code || !purpose_code_valid(p->code))
        return fault_set(fault, F_INVALID_VALUE, NULL,
                         "purposes[%zu].code must be 1-32 lower-case letters, digits or '-', starting with a letter",
                         i);
    if (!json_object_object_get_ex(o, "required", &v) || !json_object_is_type(v, json_type_boolean))
        return fault_set(fault, F_MISSING, NULL, "purposes[%zu].required must be true or false", i);
    p->required = json_object_get_boolean(v);
    json_object_object_get_ex(o, "title", &title);
    json_object_object_get_ex(o, "description", &desc);
    p->title_ja = lang_str(title, "ja");
    p->title_en = lang_str(title, "en");
    p->description_ja = lang_str(desc, "ja");
    p->description_en = lang_str(desc, "en");
    if (!p->title_ja || !p->description_ja)
        return fault_set(fault, F_MISSING, NULL,
                         "purposes[%zu] (%s) needs title.ja and description.ja: purposes are stated in Japanese first",
                         i, p->code);
    p->change = json_get_str(o, "change");
    if (p->change && strcmp(p->change, "material") && strcmp(p->change, "minor"))
        return fault_set(fault, F_INVALID_VALUE, NULL, "purposes[%zu].change must be material or minor", i);
    if (json_object_object_get_ex(o, "retired", &v)) {
        if (!json_object_is_type(v, json_type_boolean))
            return fault_set(fault, F_INVALID_VALUE, NULL, "purposes[%zu].retired must be true or false", i);
        p->retired = json_object_get_boolean(v);
    }
    return parse_provision(o, i, p, fault);
}

int policy_parse(const char *json, size_t len, enum policy_texts texts, struct policy_set *out, struct fault *fault)
{
    memset(out, 0, sizeof *out);
    out->root = json_parse_strict(json, len, fault);
    if (!out->root)
        return -1;
    json_object *docs, *purposes;
    if (!json_object_is_type(out->root, json_type_object) ||
        !json_object_object_get_ex(out->root, "documents", &docs) || !json_object_is_type(docs, json_type_array) ||
        !json_object_object_get_ex(out->root, "purposes", &purposes) ||
        !json_object_is_type(purposes, json_type_array)) {
        fault_set(fault, F_MALFORMED, NULL, "a policy manifest is an object with arrays 'documents' and 'purposes'");
        goto fail;
    }
    size_t nd = json_object_array_length(docs), np = json_object_array_length(purposes);
    if (nd > 16 || np > 64) {
        fault_set(fault, F_TOO_MANY, NULL, "at most 16 documents and 64 purposes");
        goto fail;
    }
    out->docs = calloc(nd ? nd : 1, sizeof *out->docs);
    out->purposes = calloc(np ? np : 1, sizeof *out->purposes);
    if (!out->docs || !out->purposes) {
        fault_set(fault, F_INTERNAL, NULL, "out of memory");
        goto fail;
    }
    for (size_t i = 0; i < nd; i++) {
        struct policy_doc *d = &out->docs[i];
        out->ndocs++; /* counted first: a failed parse may hold a body */
        if (parse_doc(json_object_array_get_idx(docs, i), i, texts, d, fault))
            goto fail;
        for (size_t j = 0; j < i; j++)
            if (!strcmp(out->docs[j].kind, d->kind) && !strcmp(out->docs[j].lang, d->lang)) {
                fault_set(fault, F_INVALID_VALUE, NULL, "documents: %s (%s) is listed twice", d->kind, d->lang);
                goto fail;
            }
    }
    static const char *const kinds[] = {"terms", "summary", "privacy"};
    for (size_t k = 0; k < 3; k++) {
        size_t j = 0;
        while (j < out->ndocs && (strcmp(out->docs[j].kind, kinds[k]) || strcmp(out->docs[j].lang, "ja")))
            j++;
        if (j == out->ndocs) {
            fault_set(fault, F_MISSING, NULL, "documents: the Japanese %s is required", kinds[k]);
            goto fail;
        }
    }
    for (size_t i = 0; i < np; i++) {
        out->npurposes++; /* counted first: a failed parse may hold an allocation */
        if (parse_purpose(json_object_array_get_idx(purposes, i), i, &out->purposes[i], fault))
            goto fail;
        for (size_t j = 0; j < i; j++)
            if (!strcmp(out->purposes[j].code, out->purposes[i].code)) {
                fault_set(fault, F_INVALID_VALUE, NULL, "purposes: %s is listed twice", out->purposes[i].code);
                goto fail;
            }
    }
    size_t required = 0;
    for (size_t i = 0; i < out->npurposes; i++)
        required += out->purposes[i].required && !out->purposes[i].retired;
    if (required == 0) {
        fault_set(fault, F_MISSING, NULL,
                  "at least one purpose must be required (the service itself), or nothing could ever be recorded");
        goto fail;
    }
    return 0;
fail:
    policy_free(out);
    return -1;
}

int policy_check_text(const struct policy_doc *d, struct fault *fault)
{
    char name[64];
    if (d->file)
        snprintf(name, sizeof name, "%s", d->file);
    else
        snprintf(name, sizeof name, "%s (%s)", d->kind, d->lang);
    if (d->body_len == 0)
        return fault_set(fault, F_MISSING, NULL, "%s: the text is empty", name);
    if (d->body_len > POLICY_TEXT_MAX)
        return fault_set(fault, F_TOO_MANY, NULL, "%s: larger than 1 MiB", name);
    if (!utf8_valid((const char *)d->body, d->body_len))
        return fault_set(fault, F_INVALID_VALUE, NULL, "%s: not UTF-8 text (or contains NUL)", name);
    return 0;
}

void policy_free(struct policy_set *set)
{
    for (size_t i = 0; i < set->ndocs; i++)
        free(set->docs[i].body);
    free(set->docs);
    for (size_t i = 0; i < set->npurposes; i++)
        free(set->purposes[i].kinds);
    free(set->purposes);
    json_object_put(set->root);
    memset(set, 0, sizeof *set);
}

static int is_sha256_hex(const char *s)
{
    if (strlen(s) != 64)
        return 0;
    for (size_t i = 0; i < 64; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return 0;
    return 1;
}

/* ISO 3166-1 alpha-2 codes of the foreign countries a consent names. */
static int parse_countries(json_object *v, size_t i, struct consent_decision *c, struct fault *fault)
{
    size_t n = json_object_is_type(v, json_type_array) ? json_object_array_length(v) : 0;
    if (!json_object_is_type(v, json_type_array) || n > CONSENT_MAX_COUNTRIES)
        return fault_set(fault, F_INVALID_VALUE, NULL, "decisions[%zu].countries must be an array of at most %d codes",
                         i, CONSENT_MAX_COUNTRIES);
    size_t len = 0;
    for (size_t k = 0; k < n; k++) {
        json_object *e = json_object_array_get_idx(v, k);
        const char *s = json_object_is_type(e, json_type_string) ? json_object_get_string(e) : NULL;
        if (!s || strlen(s) != 2 || s[0] < 'A' || s[0] > 'Z' || s[1] < 'A' || s[1] > 'Z' || !strcmp(s, "JP"))
            return fault_set(fault, F_INVALID_VALUE, NULL,
                             "decisions[%zu].countries[%zu] must be a foreign country's ISO 3166 code, such as \"US\"",
                             i, k);
        if (k)
            c->countries[len++] = ',';
        memcpy(c->countries + len, s, 2);
        len += 2;
    }
    c->countries[len] = '\0';
    return 0;
}

int consent_request_parse(const char *json, size_t len, struct consent_request *out, struct fault *fault)
{
    memset(out, 0, sizeof *out);
    json_object *root = json_parse_strict(json, len, fault);
    if (!root)
        return -1;
    int rc = -1;
    json_object *decisions, *shown = NULL;
    if (!json_object_is_type(root, json_type_object) ||
        !json_object_object_get_ex(root, "decisions", &decisions) ||
        !json_object_is_type(decisions, json_type_array)) {
        fault_set(fault, F_MALFORMED, NULL,
                  "send {\"decisions\": [{\"purpose\", \"decision\"}], \"shown\": [sha256, ...]}");
        goto out;
    }
    size_t n = json_object_array_length(decisions);
    if (n == 0 || n > CONSENT_MAX_DECISIONS) {
        fault_set(fault, F_INVALID_VALUE, NULL, "decisions must hold 1 to %d entries", CONSENT_MAX_DECISIONS);
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        json_object *d = json_object_array_get_idx(decisions, i), *v;
        struct consent_decision *c = &out->decisions[i];
        const char *purpose = json_object_is_type(d, json_type_object) ? json_get_str(d, "purpose") : NULL;
        const char *decision = json_object_is_type(d, json_type_object) ? json_get_str(d, "decision") : NULL;
        if (!purpose || !purpose_code_valid(purpose)) {
            fault_set(fault, F_INVALID_VALUE, NULL, "decisions[%zu].purpose must be a purpose code", i);
            goto out;
        }
        if (!decision || (strcmp(decision, "grant") && strcmp(decision, "refuse") && strcmp(decision, "withdraw"))) {
            fault_set(fault, F_INVALID_VALUE, NULL, "decisions[%zu].decision must be grant, refuse or withdraw", i);
            goto out;
        }
        if (json_object_object_get_ex(d, "version", &v)) {
            if (!json_object_is_type(v, json_type_int) || json_object_get_int64(v) < 1 ||
                json_object_get_int64(v) > 1000000) {
                fault_set(fault, F_INVALID_VALUE, NULL, "decisions[%zu].version must be a positive integer", i);
                goto out;
            }
            c->version = (int)json_object_get_int64(v);
        }
        if (json_object_object_get_ex(d, "countries", &v) && parse_countries(v, i, c, fault))
            goto out;
        for (size_t j = 0; j < i; j++)
            if (!strcmp(out->decisions[j].purpose, purpose)) {
                fault_set(fault, F_INVALID_VALUE, NULL, "decisions: purpose %s appears twice", purpose);
                goto out;
            }
        memcpy(c->purpose, purpose, strlen(purpose) + 1);
        memcpy(c->decision, decision, strlen(decision) + 1);
        out->ndecisions++;
    }
    if (json_object_object_get_ex(root, "shown", &shown)) {
        size_t m = json_object_is_type(shown, json_type_array) ? json_object_array_length(shown) : 0;
        if (!json_object_is_type(shown, json_type_array) || m > CONSENT_MAX_SHOWN) {
            fault_set(fault, F_INVALID_VALUE, NULL, "shown must be an array of at most %d SHA-256 values",
                      CONSENT_MAX_SHOWN);
            goto out;
        }
        for (size_t i = 0; i < m; i++) {
            json_object *h = json_object_array_get_idx(shown, i);
            const char *s = json_object_is_type(h, json_type_string) ? json_object_get_string(h) : NULL;
            if (!s || !is_sha256_hex(s)) {
                fault_set(fault, F_INVALID_VALUE, NULL, "shown[%zu] must be a SHA-256 in lower-case hex", i);
                goto out;
            }
            memcpy(out->shown[i], s, 65);
            out->nshown++;
        }
    }
    rc = 0;
out:
    json_object_put(root);
    return rc;
}
