/* The migrations sqlite_schema.c lists that live in a file of their own
 * (sqlite_schema_first.c). */
#ifndef PHR_SQLITE_SCHEMA_H
#define PHR_SQLITE_SCHEMA_H

extern const char sqlite_m1_initial[];
extern const char sqlite_m2_consent[];

#endif
