/* The store: every durable fact, and every operation on it, written once
 * over the database driver (db/db.h) that the location chooses — a path
 * (or "sqlite:PATH") for the embedded SQLite store, a postgres:// URL for
 * PostgreSQL. Nothing above this layer writes SQL; nothing here knows HTTP.
 *
 * Each group of operations is declared in its own header below, named for
 * what it keeps (store/records.h: records; store/consent.h: the consent
 * ledger; …), and implemented in the file of the same name, where its SQL
 * stands beside it. Operations return 0 or a PHR_* code from util/err.h;
 * "absent" is PHR_ENOTFOUND. Rows handed to callbacks are valid during the
 * callback only (model/rows.h).
 *
 * Writes happen only on the writer's connection (store/writer.h), inside
 * the batch transaction it manages; readers use connections from a pool. */
#ifndef PHR_STORE_H
#define PHR_STORE_H

#include "model/rows.h"

struct store;

enum {
    STORE_READONLY = 1,
    STORE_CREATE = 2,
    /* The writer's connection: the engine may move housekeeping (SQLite's
     * WAL checkpoints) off the commit path. */
    STORE_WRITER = 4,
    /* With STORE_CREATE: PHR_EEXIST if the store has a schema already. */
    STORE_NEW = 8,
};

/* Opens (with STORE_CREATE: creates) and migrates the schema up to the
 * version this binary knows. PHR_ENOTFOUND for a store without a schema
 * (not created); PHR_EVERSION if the store is newer; PHR_EINVAL for a
 * location no engine takes. */
int store_open(const char *location, int flags, struct store **out);
void store_close(struct store *st);
/* "sqlite" or "postgresql". */
const char *store_engine(const struct store *st);
/* The location as it may be printed or logged: a URL's password (in the
 * authority or as password=) replaced by "***". 0, or -1 on allocation
 * failure. */
struct buf;
int store_location_shown(const char *location, struct buf *out);

/* Transactions: a write transaction (on the writer's connection, which
 * also takes the writer's lock, so that writers of several instances on
 * one database take turns), a read snapshot, and the savepoint each job of
 * a batch runs in. */
int store_begin(struct store *st);
int store_begin_read(struct store *st);
int store_commit(struct store *st);
int store_rollback(struct store *st);
int store_savepoint(struct store *st);
int store_release(struct store *st);
int store_rollback_to(struct store *st);

/* A bounded set of read connections shared by request threads. */
struct store_pool;
int store_pool_create(const char *location, unsigned max, struct store_pool **out);
int store_pool_get(struct store_pool *p, struct store **out);
void store_pool_put(struct store_pool *p, struct store *st);
void store_pool_destroy(struct store_pool *p);

#include "store/audit.h"
#include "store/bulk.h"
#include "store/checksheet.h"
#include "store/clients.h"
#include "store/apps.h"
#include "store/consent.h"
#include "store/persons.h"
#include "store/recipients.h"
#include "store/records.h"
#include "store/retention.h"
#include "store/rights.h"
#include "store/second_factor.h"
#include "store/staff.h"
#include "store/upkeep.h"

#endif
