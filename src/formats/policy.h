/* Policy manifests and consent requests: parse and check, no I/O.
 *
 * A manifest (policy.json) lists the documents (terms, summary, privacy
 * policy; Japanese required, English optional) and the purposes of use.
 * The operator's manifest names each text's file (`phr policy publish`
 * reads the files and hands the texts in); the one a manager sends to
 * POST /api/v1/staff/policies carries each text as "body", and naming a
 * file there is refused: the web never reads the server's files. A consent request is what a person (or staff for them) sends to
 * POST /api/v1/me/consents. */
#ifndef PHR_POLICY_H
#define PHR_POLICY_H

#include <stddef.h>
#include <stdint.h>
#include <json-c/json.h>

#include "util/fault.h"

#define PURPOSE_CODE_MAX 32
#define POLICY_TEXT_MAX (1024 * 1024)

struct policy_doc {
    const char *kind;            /* terms, summary, privacy */
    const char *lang;            /* ja, en */
    const char *title;
    const char *file;            /* relative to the manifest; NULL when the text came inline */
    int64_t effective_at;        /* ms, start of the effective day in Japan */
    int export_days;             /* terms only: the export period promised on termination (R4.5) */
    char *body;                  /* filled by the caller; owned by the set */
    size_t body_len;
};

struct policy_purpose {
    const char *code;
    int required;
    const char *title_ja, *title_en, *description_ja, *description_en;
    const char *change;          /* material, minor, or NULL when not marked */
    int retired;
    const char *recipient_group; /* provision: the recipient group (a code), else NULL */
    char *kinds;                 /* provision: "Observation,…" (owned), else NULL */
};

struct policy_set {
    json_object *root;           /* owns the strings above */
    struct policy_doc *docs;
    size_t ndocs;
    struct policy_purpose *purposes;
    size_t npurposes;
};

enum policy_texts { POLICY_TEXTS_IN_FILES, POLICY_TEXTS_INLINE };

/* Returns 0, or -1 with the fault saying what is wrong. */
int policy_parse(const char *json, size_t len, enum policy_texts texts, struct policy_set *out, struct fault *fault);
/* Checks a text read for a document: size and UTF-8. */
int policy_check_text(const struct policy_doc *d, struct fault *fault);
void policy_free(struct policy_set *set);

#define CONSENT_MAX_DECISIONS 32
#define CONSENT_MAX_SHOWN 12

#define CONSENT_MAX_COUNTRIES 8

struct consent_decision {
    char purpose[PURPOSE_CODE_MAX + 1];
    int version;                 /* 0: not given (the current one) */
    char decision[9];            /* grant, refuse, withdraw */
    char countries[CONSENT_MAX_COUNTRIES * 3]; /* foreign countries named: "US,SG" */
};

struct consent_request {
    struct consent_decision decisions[CONSENT_MAX_DECISIONS];
    size_t ndecisions;
    char shown[CONSENT_MAX_SHOWN][65]; /* sha256 hex of the documents shown */
    size_t nshown;
};

/* {"decisions":[{"purpose","version"?,"decision","countries"?:["US"]}],
 *  "shown":["<sha256>",...]} */
int consent_request_parse(const char *json, size_t len, struct consent_request *out, struct fault *fault);
/* A purpose code: 1-32 of [a-z0-9-], starting with a letter. */
int purpose_code_valid(const char *code);

#endif
