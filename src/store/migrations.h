/* The schema, as an ordered list of migrations. Migration i (from 1) moves
 * a store from schema version i-1 to i; a released migration is never
 * edited, only followed by a new one. */
#ifndef PHR_MIGRATIONS_H
#define PHR_MIGRATIONS_H

extern const char *const sqlite_migrations[];
extern const int sqlite_migration_count;

#endif
