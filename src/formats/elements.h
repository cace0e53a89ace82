/* _elements (FHIR search, Bulk Data 2.0 kick-off): the root elements a
 * client asks for, "name" for every resource type or "Type.name" for one.
 * A resource keeps them, its mandatory elements (resourceType, id, meta and
 * what R4 makes 1..1 for its type) and is tagged SUBSETTED (v3
 * ObservationValue), so that nobody takes it for the whole resource. */
#ifndef PHR_ELEMENTS_H
#define PHR_ELEMENTS_H

#include <stddef.h>

#include "util/buf.h"
#include "util/fault.h"

#define ELEMENTS_MAX 32
#define ELEMENTS_LIST_MAX 512

struct elements {
    struct {
        char type[48];            /* "" for every type */
        char name[64];
    } e[ELEMENTS_MAX];
    size_t n;
};

/* A comma-separated list; 0, or -1 with the fault (a name that is no
 * element name, a type that is no R4 type, more than ELEMENTS_MAX). */
int elements_parse(const char *list, struct elements *out, struct fault *fault);
/* _summary=true for a record type: the elements R4 marks isSummary; -1 for
 * a type not listed. */
int elements_summary(const char *type, struct elements *out);
/* One resource's JSON (len bytes) subset, appended to out; a body that is
 * not a JSON object is appended as it is. PHR_OK or PHR_ENOMEM. */
int elements_apply(const struct elements *e, const char *json, size_t len, struct buf *out);

#endif
