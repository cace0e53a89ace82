/* The SQLite driver's files: the key store beside the database, and the
 * writer's WAL checkpoints. */
#include "db/sqlite_files.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "util/buf.h"
#include "util/err.h"
#include "util/log.h"

/* WAL checkpoints copy committed pages into the database file and fsync
 * it. SQLite's automatic checkpoint runs inside the COMMIT that crosses the
 * threshold, stalling every request in that batch; on the writer's
 * connection a thread of its own runs them instead, in PASSIVE mode, which
 * never blocks the writer. Durability is unchanged: a commit is durable
 * once the WAL is synced, whether or not it has been checkpointed. */
#define CHECKPOINT_PAGES 1000
/* Past this the writer itself finishes the checkpoint and restarts the log
 * (waiting briefly for readers), so that the WAL cannot grow without bound
 * while the background checkpoints chase a moving end. A reader that keeps
 * one snapshot for long (a Bulk export, a disclosure) holds the restart
 * off; it may itself be waiting for this very commit (a provision record),
 * so the wait is short, and after a refusal the writer tries again only
 * once the log has grown by CHECKPOINT_PAGES: with the connection's own
 * busy timeout every commit stalled for it, 10 s each. */
#define CHECKPOINT_RESTART_PAGES 16384
#define CHECKPOINT_RESTART_WAIT_MS 20
#define BUSY_TIMEOUT_MS 10000 /* the connections' own, restored after a restart */

struct checkpointer {
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t wake;
    int pending, stop;
    int restart_refused_at;       /* the log's pages when readers last held a restart off; writer only */
    sqlite3 *db;
};

/* The key store: persons' wrapped data keys in a file of their own
 * (keys.db beside phr.db), attached to every connection as "ks". Erasing a
 * person deletes their key here; a copy of phr.db taken before, opened
 * with the live keys.db, no longer opens their records (crypto-shredding).
 * secure_delete zeroes a deleted key's bytes in the page; the erasure then
 * checkpoints the key store's WAL and truncates it (keystore_checkpoint), so
 * that no copy of the page with the key stays in the log. (A rollback
 * journal would need no checkpoint, but every read of a key would then take
 * file locks against the writer: measured, it halved the request rate.) */
static const char keystore_schema[] =
    "PRAGMA ks.journal_mode = WAL; PRAGMA ks.synchronous = FULL; PRAGMA ks.secure_delete = ON;"
    "CREATE TABLE IF NOT EXISTS ks.data_keys("
    " person_id TEXT PRIMARY KEY,"
    " master_key_id TEXT NOT NULL,"
    " wrapped BLOB NOT NULL);";

int sqlite_keystore_attach(sqlite3 *db, const char *path, int writable)
{
    struct buf where = {0};
    const char *slash = strrchr(path, '/');
    int err = PHR_ENOMEM;
    if (slash ? buf_printf(&where, "%.*s/keys.db", (int)(slash - path), path) : buf_printf(&where, "keys.db"))
        goto out;
    err = PHR_EIO;
    sqlite3_stmt *q;
    if (sqlite3_prepare_v2(db, "ATTACH ? AS ks", -1, &q, NULL) != SQLITE_OK)
        goto out;
    sqlite3_bind_text(q, 1, where.data, -1, SQLITE_STATIC);
    int rc = sqlite3_step(q);
    sqlite3_finalize(q);
    if (rc != SQLITE_DONE) {
        log_event(LOG_ERROR, "store.keystore", "path", where.data, "error", sqlite3_errmsg(db), NULL);
        goto out;
    }
    if (writable && sqlite3_exec(db, keystore_schema, NULL, NULL, NULL) != SQLITE_OK) {
        log_event(LOG_ERROR, "store.keystore", "path", where.data, "error", sqlite3_errmsg(db), NULL);
        goto out;
    }
    err = PHR_OK;
out:
    buf_free(&where);
    return err;
}

static int wal_hook(void *arg, sqlite3 *db, const char *name, int pages)
{
    (void)name;
    struct checkpointer *c = arg;
    int refused = c->restart_refused_at;
    if (pages >= CHECKPOINT_RESTART_PAGES && (!refused || pages < refused || pages >= refused + CHECKPOINT_PAGES)) {
        sqlite3_busy_timeout(db, CHECKPOINT_RESTART_WAIT_MS);
        int rc = sqlite3_wal_checkpoint_v2(db, NULL, SQLITE_CHECKPOINT_RESTART, NULL, NULL);
        sqlite3_busy_timeout(db, BUSY_TIMEOUT_MS);
        c->restart_refused_at = rc == SQLITE_BUSY ? pages : 0;
        if (rc != SQLITE_OK && rc != SQLITE_BUSY)
            log_event(LOG_WARN, "store.checkpoint", "mode", "restart", "error", sqlite3_errmsg(db), NULL);
        return SQLITE_OK;
    }
    if (pages >= CHECKPOINT_PAGES) {
        pthread_mutex_lock(&c->lock);
        c->pending = 1;
        pthread_cond_signal(&c->wake);
        pthread_mutex_unlock(&c->lock);
    }
    return SQLITE_OK;
}

static void *checkpoint_main(void *arg)
{
    struct checkpointer *c = arg;
    for (;;) {
        pthread_mutex_lock(&c->lock);
        while (!c->pending && !c->stop)
            pthread_cond_wait(&c->wake, &c->lock);
        int stop = c->stop;
        c->pending = 0;
        pthread_mutex_unlock(&c->lock);
        if (stop)
            break;
        int rc = sqlite3_wal_checkpoint_v2(c->db, NULL, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
        if (rc != SQLITE_OK && rc != SQLITE_BUSY)
            log_event(LOG_WARN, "store.checkpoint", "error", sqlite3_errmsg(c->db), NULL);
    }
    return NULL;
}

void sqlite_checkpointer_stop(sqlite3 *db, struct checkpointer *c)
{
    if (!c)
        return;
    sqlite3_wal_hook(db, NULL, NULL);
    pthread_mutex_lock(&c->lock);
    c->stop = 1;
    pthread_cond_signal(&c->wake);
    pthread_mutex_unlock(&c->lock);
    pthread_join(c->thread, NULL);
    sqlite3_close(c->db);
    pthread_mutex_destroy(&c->lock);
    pthread_cond_destroy(&c->wake);
    free(c);
}

int sqlite_checkpointer_start(sqlite3 *db, const char *path, struct checkpointer **out)
{
    struct checkpointer *c = calloc(1, sizeof *c);
    if (!c)
        return PHR_ENOMEM;
    if (sqlite3_open_v2(path, &c->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK ||
        sqlite3_exec(c->db, "PRAGMA synchronous = FULL", NULL, NULL, NULL) != SQLITE_OK) {
        sqlite3_close(c->db);
        free(c);
        return PHR_EIO;
    }
    sqlite3_busy_timeout(c->db, 1000);
    pthread_mutex_init(&c->lock, NULL);
    pthread_cond_init(&c->wake, NULL);
    if (pthread_create(&c->thread, NULL, checkpoint_main, c) != 0) {
        sqlite3_close(c->db);
        pthread_mutex_destroy(&c->lock);
        pthread_cond_destroy(&c->wake);
        free(c);
        return PHR_EIO;
    }
    *out = c;
    /* Replaces the automatic checkpoint on this connection. */
    sqlite3_wal_hook(db, wal_hook, c);
    return PHR_OK;
}

int sqlite_keys_forget(struct store *st)
{
    sqlite3 *db = sqlite_handle(st);
    int log = 0, done = 0;
    int rc = sqlite3_wal_checkpoint_v2(db, "ks", SQLITE_CHECKPOINT_TRUNCATE, &log, &done);
    if (rc == SQLITE_BUSY)
        return PHR_EBUSY;
    if (rc != SQLITE_OK) {
        log_event(LOG_ERROR, "store.keystore", "op", "checkpoint", "error", sqlite3_errmsg(db), NULL);
        return PHR_EIO;
    }
    return PHR_OK;
}

