/* The engines, each opened by the store from a location (store/store.c):
 * flags are DB_OPEN_*; the schema is migrated unless read-only. */
#ifndef PHR_DB_ENGINES_H
#define PHR_DB_ENGINES_H

struct store;

/* A file path. The key store is keys.db beside it. */
int db_sqlite_open(const char *path, int flags, struct store **out);
/* A libpq connection URL (postgres://…). */
int db_pg_open(const char *url, int flags, struct store **out);
/* "PLAN:LOCATION": LOCATION's engine with the fault of the file PLAN
 * injected (db/fault.c, for tests). */
int db_fault_open(const char *location, int flags, struct store **out);
/* The engine the location names: a postgres:// URL, "sqlite:PATH" or a
 * plain path, or "fault:PLAN:LOCATION". PHR_EINVAL for another scheme. */
int db_open(const char *location, int flags, struct store **out);

#endif
