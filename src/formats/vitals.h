/* Self-measured vital signs as FHIR R4 Observations (HL7 vital-signs
 * profiles, JP Core): validation of what a client submits, and the record
 * the service stores and serves.
 *
 * Pure functions: no I/O, no globals beyond constant tables. */
#ifndef PHR_VITALS_H
#define PHR_VITALS_H

#include <stdint.h>
#include <json-c/json.h>

#include "util/buf.h"
#include "util/fault.h"

#define LOINC "http://loinc.org"
#define UCUM "http://unitsofmeasure.org"
#define OBS_CATEGORY "http://terminology.hl7.org/CodeSystem/observation-category"
#define JP_OBS_CATEGORY "http://jpfhir.jp/fhir/core/CodeSystem/JP_SimpleObservationCategory_CS"
/* Project-local code systems for R1.1's category and source. */
#define PHR_SYS_DATA_CATEGORY "urn:phr:data-category"
#define PHR_SYS_SOURCE "urn:phr:source"
#define PHR_EXT_PROVENANCE "urn:phr:provenance"

struct vital_kind {
    const char *code;         /* LOINC */
    const char *display;
};

struct vital {
    json_object *resource;    /* owned; becomes the stored resource */
    const struct vital_kind *kind;
    const char *subject;      /* id named by subject.reference, or NULL */
    const char *source;       /* R1.1 source: "self-measured" or "device" */
    const char *identifier_system, *identifier_value;   /* the first identifier, or NULL */
    int64_t eff_lo, eff_hi;
    int clinical;             /* a clinician, an organisation or a laboratory measured it */
};

/* Validates a submitted Observation. now_ms bounds how far in the future an
 * effective time may lie. On failure returns -1 with the fault filled. */
int vitals_parse(const char *text, size_t len, int64_t now_ms, int tz_offset_min, struct vital *out,
                 struct fault *fault);

struct provenance {
    const char *recorded_by;   /* "person:<id>" or "system:<name>" */
    const char *channel;       /* "fhir-api", "demo-loader", ... */
    const char *original_sha256_hex;
    int64_t recorded_at;
};

/* A new Coding {system, code, display (when not NULL)}. */
json_object *fhir_coding(const char *system, const char *code, const char *display);

/* Makes o a stored resource: server-assigned id and meta (versionId,
 * lastUpdated, source, the R1.1 category and source tags; a profile kept),
 * subject_member ("subject", or "patient" for an Immunization) naming the
 * person, and the provenance extension (any such extension from the client
 * dropped, its other extensions kept). */
void fhir_stamp(json_object *o, const char *id, int version, const char *person_id, const char *subject_member,
                int data_category, const char *source, const struct provenance *prov);

/* Turns the validated resource into the stored one: server-assigned id and
 * meta, subject set to the person, vital-signs category ensured, R1.1
 * category/source tags and provenance. Writes it to out. */
int vitals_finalise(struct vital *v, const char *id, int version, const char *person_id,
                    const struct provenance *prov, struct buf *out);
/* The same with the R1.1 category, source and observation category given:
 * a record from a file a medical institution or an insurer gave. */
int vitals_finalise_as(struct vital *v, const char *id, int version, const char *person_id, int data_category,
                       const char *source, const char *category, const struct provenance *prov, struct buf *out);
/* The observation category of a clinical measurement (see clinical):
 * "laboratory" for a glucose result a hospital measured, "vital-signs"
 * otherwise. Stored resource and index must agree on it: the kind of data
 * a consent names follows from it (R3.4). */
const char *vitals_category(const struct vital *v);
void vital_free(struct vital *v);

#endif
