/* What every resource made from an imported file carries: meta with the
 * R1.1 category and source tags, the person as subject, the provenance
 * extension naming the file's hash; and the DocumentReference that stands
 * for the file, whose original is kept byte-identical. */
#ifndef PHR_IMPORT_FHIR_H
#define PHR_IMPORT_FHIR_H

#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"

struct import_meta {
    const char *person_id, *document_id;
    const char *source;          /* R1.1: insurer, medical-institution, mynaportal, self-reported */
    const char *recorded_by, *channel;
    const char *sha256_hex;      /* of the file */
    const char *content_type;    /* of the file: application/xml, application/fhir+json, text/plain */
    const char *format;          /* urn:phr:format code: mhlw-tokutei-hc08, fhir-bundle, jahis-tc */
    int64_t recorded_at;
};

/* Writes ,"id":…,"meta":…,"subject":…,"extension":[provenance] after the
 * caller's opening members. data_category is R1.1's 1, 2 or 3; source
 * overrides m->source when not NULL. 0, or -1 out of memory. */
/* profile: the canonical URL of a profile the resource conforms to, for
 * meta.profile; NULL for none. */
int import_common(struct buf *b, const char *id, const struct import_meta *m, int data_category, const char *source,
                  const char *profile);
/* The same naming the person in subject_member ("patient" for an
 * AllergyIntolerance or an Immunization). */
int import_common_as(struct buf *b, const char *id, const struct import_meta *m, int data_category,
                     const char *source, const char *profile, const char *subject_member);

/* A stored DocumentReference (json, len bytes) with each attachment's url
 * set to url, where the file is fetched (a Bulk export's absolute
 * /fhir/Binary/{id}), appended to out; a body that is not one is appended
 * as it is. PHR_OK or PHR_ENOMEM. */
int document_with_url(const char *json, size_t len, const char *url, struct buf *out);
/* The file's DocumentReference. type_json is the value of "type"; title
 * and the day (YYYY-MM-DD) describe it. */
int import_document(struct buf *b, const struct import_meta *m, const char *type_json, const char *title,
                    const char *day, size_t bytes);
/* The same with its author contained: org, a FHIR Organization without an
 * id (a checkup's examining institution); empty: none. */
int import_document_by(struct buf *b, const struct import_meta *m, const char *type_json, const char *title,
                       const char *day, size_t bytes, const struct buf *org);

#endif
