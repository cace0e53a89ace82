/* FHIR search parameters for the record types, parsed into a store query
 * (R4 3.1.1). An unknown parameter is refused under Prefer: handling=strict
 * and otherwise left out and named (the Bundle says so in an outcome
 * entry), so that a client never mistakes an ignored filter for an applied
 * one; a modifier or a value not understood is always refused. */
#ifndef PHR_SEARCH_H
#define PHR_SEARCH_H

#include "formats/elements.h"
#include "formats/value_search.h"
#include "model/rows.h"
#include "util/fault.h"

#define SEARCH_DEFAULT_COUNT 50
#define SEARCH_MAX_COUNT 500
#define SEARCH_MAX_IGNORED 8
#define SEARCH_MAX_VALUES 32   /* comma-separated values of one parameter */

struct search_arg {
    const char *key, *value;
};

/* The record types a search may name (_type), ",A,B,". */
#define SEARCH_RECORD_TYPES \
    ",Observation,AllergyIntolerance,MedicationRequest,MedicationDispense,MedicationStatement,Immunization," \
    "DocumentReference,"

struct search_context {
    const char *type;            /* the resource type searched; NULL: every record type (_type narrows) */
    int tz_offset_min;           /* a date without a zone is read in it */
    int64_t now_ms;              /* ap: "approximately" is a tenth of the way from now */
    int strict;                  /* Prefer: handling=strict */
    int everything;              /* Patient/$everything: also _since, start, end, and Patient in _type */
};

enum search_summary { SUMMARY_FALSE, SUMMARY_COUNT, SUMMARY_TRUE, SUMMARY_DATA, SUMMARY_TEXT };

struct search_params {
    struct record_query q;
    const char *patient;          /* the patient id named, NULL if none */
    const char *page;             /* _page: a link of a walk of pages (service/page_links.h) */
    int total_accurate;           /* _total=accurate: count every match */
    int include_patient;          /* _include=<type>:patient (or :subject, or *) */
    int include_documents;        /* _include=Observation:derived-from (or *): the documents imported from */
    int revinclude_provenance;    /* _revinclude=Provenance:target: the provisions that sent the matches */
    int everything;               /* Patient/$everything (an export: closes with the export period) */
    int with_patient;             /* $everything: the Patient itself is asked for (no _type, or in it) */
    char types[sizeof SEARCH_RECORD_TYPES]; /* _type: q.types points here */
    enum search_summary summary;
    int has_elements;
    struct elements elements;     /* _elements */
    /* Lenient handling: the parameters left out, by name. */
    const char *ignored[SEARCH_MAX_IGNORED];
    int nignored;
    /* Observation's value parameters: tested on each record opened (the
     * values are sealed); their texts, cut. */
    struct value_conds value_conds;
    char *value_texts[VALUE_MAX_CONDS];
    /* The token values (q.tokens point into them) and the text they cut. */
    struct token_value *values[QUERY_MAX_TOKENS];
    char *texts[QUERY_MAX_TOKENS];
};

/* 0, or -1 with the fault naming the parameter (its FHIRPath-like
 * expression is the parameter's name). search_params_free either way. */
int search_parse(const struct search_arg *args, int n, const struct search_context *cx, struct search_params *out,
                 struct fault *fault);
void search_params_free(struct search_params *p);
/* A malloc'd one (a condition carried by a write), freed whole; NULL is fine. */
void search_params_drop(struct search_params *p);

/* A condition (If-None-Exist, a conditional update's query): search
 * parameters that filter, every one understood (strict; patient left out:
 * a condition names the writer's own records); malloc'd, its strings its
 * own. NULL and the fault (naming expression) if not. query is
 * form-encoded; args are decoded already. */
struct search_params *search_condition(const char *query, const struct search_context *cx, const char *expression,
                                       struct fault *fault);
struct search_params *search_condition_args(const struct search_arg *args, int n, const struct search_context *cx,
                                            const char *expression, struct fault *fault);
/* Whether args[i] was left out (lenient), so that links do not repeat it. */
int search_ignored(const struct search_params *p, const char *key);

#endif
