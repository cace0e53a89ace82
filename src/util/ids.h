/* Random identifiers. Ids are random, not sequential, so that an id says
 * nothing about how many records exist or who else is stored. */
#ifndef PHR_IDS_H
#define PHR_IDS_H

#include <stddef.h>

#define ID_LEN 36   /* UUID text form, without NUL */

/* A random (version 4) UUID in lower-case text; out must hold ID_LEN + 1. */
void id_uuid(char out[ID_LEN + 1]);
/* A time-ordered (version 7) UUID: 48 bits of milliseconds, 74 random.
 * For records: new ids land at the end of the primary-key index instead of
 * on a random page, which halves the pages a commit writes. It tells when
 * the record was created, as meta.lastUpdated does anyway, and nothing of
 * how many records exist. */
void id_uuid7(char out[ID_LEN + 1]);
/* 1 if s is a lower-case UUID as id_uuid writes them. */
int id_is_uuid(const char *s);
/* A short random id for correlating log lines of one request. */
void id_request(char out[17]);

#endif
