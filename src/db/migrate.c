#include "db/migrate.h"

#include <stdio.h>

#include "db/db.h"
#include "util/err.h"
#include "util/log.h"

int db_schema_check(struct store *st, const struct db_schema_ops *ops, int n)
{
    int have = 0;
    int err = ops->version_get(st, &have);
    return err ? err : have > n ? PHR_EVERSION : have == 0 ? PHR_ENOTFOUND : PHR_OK;
}

/* One step: in its transaction, after the lock, the version read again (an
 * instance may have migrated meanwhile). *have: the version after it;
 * *did: whether this step moved it. */
static int step(struct store *st, const struct db_schema_ops *ops, const struct db_migration *steps, int n,
                int flags, int *have, int *before_done, int *did)
{
    *did = 0;
    int err = st->drv->tx(st, DB_BEGIN);
    if (!err && ops->lock)
        err = ops->lock(st);
    if (!err)
        err = ops->version_get(st, have);
    if (!err && *have > n)
        err = PHR_EVERSION;
    if (!err && *have == 0 && !(flags & DB_OPEN_CREATE))
        err = PHR_ENOTFOUND;
    if (!err && *have > 0 && (flags & DB_OPEN_NEW))
        err = PHR_EEXIST;
    if (!err && *have < n) {
        const struct db_migration *m = &steps[*have];
        if (m->before && *before_done != *have) {
            /* Committed on its own; the step itself follows. */
            err = ops->script(st, m->before);
            *before_done = *have;
        } else if ((err = ops->script(st, m->sql)) == PHR_OK && (err = ops->version_set(st, *have + 1)) == PHR_OK) {
            ++*have;
            *did = 1;
        }
    }
    if (!err)
        err = st->drv->tx(st, DB_COMMIT);
    if (err) {
        st->drv->tx(st, DB_ROLLBACK);
        return err;
    }
    return PHR_OK;
}

int db_migrate(struct store *st, const struct db_schema_ops *ops, const struct db_migration *steps, int n, int flags)
{
    int before_done = -1;
    for (;;) {
        int have = 0, did = 0;
        int err = step(st, ops, steps, n, flags, &have, &before_done, &did);
        flags &= ~DB_OPEN_NEW; /* the schema this run makes is new */
        char vs[16];
        snprintf(vs, sizeof vs, "%d", err ? have + 1 : have);
        if (err) {
            if (err != PHR_EVERSION && err != PHR_ENOTFOUND && err != PHR_EEXIST)
                log_event(LOG_ERROR, "store.migrate", "engine", st->drv->name, "to_version", vs, NULL);
            return err;
        }
        if (did)
            log_event(LOG_INFO, "store.migrate", "engine", st->drv->name, "to_version", vs, NULL);
        if (have == n)
            return PHR_OK;
    }
}
