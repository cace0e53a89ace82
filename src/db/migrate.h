/* The schema of each engine as an ordered list of migrations, and the one
 * runner that applies them. Migration i (from 1) moves a database from
 * version i-1 to i; a released migration is never edited, only followed by
 * a new one. */
#ifndef PHR_DB_MIGRATE_H
#define PHR_DB_MIGRATE_H

struct store;

struct db_migration {
    /* Run and committed in a transaction of its own before sql (NULL:
     * none): a step one engine cannot do atomically with the rest. */
    const char *before;
    const char *sql;
};

/* What a driver lends the runner: a script of several statements without
 * parameters, the schema's version (read, or set within the open
 * transaction), and a lock taken first in each migration's transaction so
 * that instances starting together migrate one at a time (NULL: the engine
 * has one writer anyway). */
struct db_schema_ops {
    int (*script)(struct store *st, const char *sql);
    int (*version_get)(struct store *st, int *version);
    int (*version_set)(struct store *st, int version);
    int (*lock)(struct store *st);
};

/* Brings the schema up to n, each step in one transaction. PHR_EVERSION if
 * the database is newer than this binary; PHR_ENOTFOUND if it has no
 * schema and flags lack DB_OPEN_CREATE; PHR_EEXIST if it has one and
 * flags hold DB_OPEN_NEW. */
int db_migrate(struct store *st, const struct db_schema_ops *ops, const struct db_migration *steps, int n,
               int flags);
/* The same answers, without changing anything. */
int db_schema_check(struct store *st, const struct db_schema_ops *ops, int n);

extern const struct db_migration sqlite_migrations[];
extern const int sqlite_migration_count;
extern const struct db_migration pg_migrations[];
extern const int pg_migration_count;

#endif
