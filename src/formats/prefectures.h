/* Japan's 47 prefectures by JIS X 0401 (01 北海道 … 47 沖縄県), each with
 * its region in the common eight-region division (八地方区分): for the person's
 * prefecture read from a checkup's address, and its hierarchy in
 * anonymised data sets (prefecture → region → *). */
#ifndef PHR_PREFECTURES_H
#define PHR_PREFECTURES_H

#include <stddef.h>

/* The code ("01" … "47") of the prefecture an address begins with (its
 * name, after any spaces), or of a prefecture given by its name or code
 * alone (FHIR's address.state); NULL when there is none. */
const char *prefecture_of(const char *text);
/* For a code prefecture_of gave: the prefecture's name and its region's. */
const char *prefecture_name(const char *code);
const char *prefecture_region(const char *code);

#endif
