/* A FHIR transaction or batch Bundle (R4 http.html#transaction): its
 * entries as requests the service performs, each checked here (method,
 * url, resource) with the FHIRPath of what is wrong. Entries that create
 * may name themselves with a urn:uuid fullUrl; references to it in other
 * entries are replaced with the id it is given (tx_bundle_resolve). */
#ifndef PHR_TX_BUNDLE_H
#define PHR_TX_BUNDLE_H

#include <stddef.h>

#include "util/buf.h"
#include "util/fault.h"

#define TX_BUNDLE_MAX_ENTRIES 100
#define TX_ID_MAX 64

enum tx_method { TX_POST, TX_PUT };

struct tx_entry {
    struct fault fault;          /* F_NONE, or why this entry cannot be performed */
    enum tx_method method;
    char id[TX_ID_MAX + 1];      /* PUT Observation/{id}; POST: the id given (tx_bundle_resolve) */
    const char *query;           /* PUT Observation?…: its condition, form-encoded; NULL otherwise */
    const char *if_none_exist, *if_match;
    const char *full_url;        /* "urn:uuid:…", or NULL */
    void *json;                  /* the resource as parsed */
    struct buf resource;         /* its JSON, references resolved (tx_bundle_resolve) */
};

struct tx_bundle {
    int transaction;             /* 1: all or nothing; 0: a batch */
    struct tx_entry *e;
    int n;
    void *root;                  /* the parsed document the strings point into */
};

/* 0, or -1 with the fault when the Bundle itself is not one (an entry
 * that is wrong is marked in its own fault); tx_bundle_free either way. */
int tx_bundle_parse(const char *text, size_t len, struct tx_bundle *out, struct fault *fault);
/* ids[i]: the id entry i creates under (POST entries); every
 * "urn:uuid:…" reference naming an entry's fullUrl becomes
 * "Observation/<id>". PHR_OK or PHR_ENOMEM. */
int tx_bundle_resolve(struct tx_bundle *b, const char *const *ids);
void tx_bundle_free(struct tx_bundle *b);

#endif
