/* FHIR date, dateTime and instant values as ranges of milliseconds.
 *
 * A FHIR time value names a range as wide as its precision: "2024" is the
 * whole year, "2024-05-01T08:30:00+09:00" one second. Search compares these
 * ranges (FHIR R4 3.1.1.5.7), so both ends are kept. Values without a zone
 * (dates) are read in the service's zone, Japan (+09:00) unless configured. */
#ifndef PHR_FHIRTIME_H
#define PHR_FHIRTIME_H

#include <stdint.h>

enum {
    FHIRTIME_DATETIME = 0,     /* resource values: seconds required with a time */
    FHIRTIME_SEARCH = 1,       /* search values: seconds, and the zone of a time, may be left out */
};

/* 0 and [*lo, *hi] on success; -1 if s is not a valid value. */
int fhirtime_parse(const char *s, int flags, int default_offset_min, int64_t *lo, int64_t *hi);

#endif
