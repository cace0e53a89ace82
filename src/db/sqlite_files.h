/* What the SQLite driver does with its files beside running statements:
 * the key store attached to every connection, and the writer's WAL
 * checkpoints moved off the commit path (db/sqlite_files.c). */
#ifndef PHR_DB_SQLITE_FILES_H
#define PHR_DB_SQLITE_FILES_H

#include <sqlite3.h>

struct store;
struct checkpointer;

/* Attaches keys.db beside path as "ks" (created, with its schema, when
 * writable). */
int sqlite_keystore_attach(sqlite3 *db, const char *path, int writable);
/* The driver's keys_forget: the key store's log copied into its file and
 * truncated. */
int sqlite_keys_forget(struct store *st);
/* The writer's checkpoints, on a thread of its own; stop takes NULL. */
int sqlite_checkpointer_start(sqlite3 *db, const char *path, struct checkpointer **out);
void sqlite_checkpointer_stop(sqlite3 *db, struct checkpointer *c);
/* The connection behind a store of this driver. */
sqlite3 *sqlite_handle(struct store *st);

#endif
