/* FHIR search parameters for Observation, parsed into a store query.
 * Unknown parameters are refused (strict handling), so that a client never
 * mistakes an ignored filter for an applied one. */
#ifndef PHR_SEARCH_H
#define PHR_SEARCH_H

#include "model/rows.h"
#include "util/fault.h"

#define SEARCH_DEFAULT_COUNT 50
#define SEARCH_MAX_COUNT 500

struct search_arg {
    const char *key, *value;
};

struct search_params {
    struct record_query q;
    const char *patient;          /* the patient id named, NULL if none */
    const char *page;             /* _page: a link of a walk of pages (service/page_links.h) */
    int total_accurate;           /* _total=accurate: count every match */
    char system[256], code[65], category[65], id[65];
};

int search_parse(const struct search_arg *args, int n, int tz_offset_min, struct search_params *out,
                 struct fault *fault);

#endif
