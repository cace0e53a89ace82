/* The engine chosen by the location, transactions, the pool of read
 * connections, and the helpers the domain's operations are written with. */
#include "store/store.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "db/engines.h"
#include "store/internal.h"
#include "util/buf.h"
#include "util/err.h"

_Static_assert((int)STORE_READONLY == (int)DB_OPEN_READONLY && (int)STORE_CREATE == (int)DB_OPEN_CREATE &&
                   (int)STORE_WRITER == (int)DB_OPEN_WRITER && (int)STORE_NEW == (int)DB_OPEN_NEW,
               "the store's open flags are the driver's");

int store_open(const char *location, int flags, struct store **out)
{
    int err = db_open(location, flags, out);
    if (err)
        return err;
    if (!((*out)->memo = calloc(1, sizeof *(*out)->memo))) {
        (*out)->drv->close(*out);
        *out = NULL;
        return PHR_ENOMEM;
    }
    return PHR_OK;
}

void store_close(struct store *st)
{
    if (!st)
        return;
    free(st->memo);
    st->drv->close(st);
}

const char *store_engine(const struct store *st)
{
    return st->drv->dialect == DB_POSTGRES ? "postgresql" : "sqlite";
}

int store_location_shown(const char *location, struct buf *out)
{
    const char *scheme = strstr(location, "://");
    const char *at = scheme ? strchr(scheme + 3, '@') : NULL;
    const char *slash = scheme ? strchr(scheme + 3, '/') : NULL;
    const char *colon = scheme && at ? memchr(scheme + 3, ':', (size_t)(at - scheme - 3)) : NULL;
    buf_reset(out);
    if (at && (!slash || at < slash) && colon) {
        buf_append(out, location, (size_t)(colon - location));
        buf_puts(out, ":***");
        buf_puts(out, at);
    } else {
        buf_puts(out, location);
    }
    /* password=… in the query, up to the next & */
    char *pw = out->data ? strstr(out->data, "password=") : NULL;
    if (pw) {
        size_t start = (size_t)(pw - out->data) + 9, end = start + strcspn(pw + 9, "&");
        struct buf rest;
        buf_init(&rest);
        buf_puts(&rest, out->data + end);
        out->len = start;
        buf_puts(out, "***");
        buf_puts(out, buf_cstr(&rest));
        buf_free(&rest);
    }
    return buf_failed(out) ? -1 : 0;
}

/* The memo lives for one write transaction (store/internal.h). */
static void forget(struct store *st, int writing)
{
    *st->memo = (struct store_memo){.writing = writing};
}

int store_begin(struct store *st)
{
    forget(st, 0);
    int err = st->drv->tx(st, DB_BEGIN);
    if (!err && (err = st->drv->lock(st, DB_LOCK_WRITER)) != PHR_OK)
        st->drv->tx(st, DB_ROLLBACK);
    if (!err)
        forget(st, 1);
    return err;
}

int store_begin_read(struct store *st)
{
    forget(st, 0);
    return st->drv->tx(st, DB_BEGIN_READ);
}

int store_commit(struct store *st)
{
    forget(st, 0);
    return st->drv->tx(st, DB_COMMIT);
}

int store_rollback(struct store *st)
{
    forget(st, 0);
    return st->drv->tx(st, DB_ROLLBACK);
}

int store_savepoint(struct store *st)
{
    return st->drv->tx(st, DB_SAVEPOINT);
}

int store_release(struct store *st)
{
    return st->drv->tx(st, DB_RELEASE);
}

int store_rollback_to(struct store *st)
{
    st->memo->head_known = 0;
    return st->drv->tx(st, DB_ROLLBACK_TO);
}

int st_one_changed(struct store *st, struct db_stmt *q, const struct db_val *a, int n, int otherwise)
{
    int64_t changed = 0;
    int err = db_run(st, q, a, n, NULL, NULL, &changed);
    return err ? err : changed ? PHR_OK : otherwise;
}

int st_rows(struct store *st, struct db_stmt *q, const struct db_val *a, int n, db_row_fn fn, void *arg, int absent)
{
    int64_t rows = 0;
    int err = db_run(st, q, a, n, fn, arg, &rows);
    return err ? err : (absent && rows == 0) ? PHR_ENOTFOUND : PHR_OK;
}

static int first_int(void *arg, const struct db_row *r)
{
    *(int64_t *)arg = db_int(r, 0);
    return 1; /* one row is enough */
}

int st_int(struct store *st, struct db_stmt *q, const struct db_val *a, int n, int64_t *out)
{
    *out = 0;
    int64_t rows = 0;
    int err = db_run(st, q, a, n, first_int, out, &rows);
    if (err == 1)
        return PHR_OK;
    return err ? err : PHR_ENOTFOUND;
}

struct store_pool {
    pthread_mutex_t lock;
    char *location;
    unsigned max, nidle, nopen;
    struct store **idle;
};

int store_pool_create(const char *location, unsigned max, struct store_pool **out)
{
    struct store_pool *p = calloc(1, sizeof *p);
    if (!p)
        return PHR_ENOMEM;
    p->location = strdup(location);
    p->idle = calloc(max, sizeof *p->idle);
    if (!p->location || !p->idle) {
        free(p->location);
        free(p->idle);
        free(p);
        return PHR_ENOMEM;
    }
    pthread_mutex_init(&p->lock, NULL);
    p->max = max;
    *out = p;
    return PHR_OK;
}

int store_pool_get(struct store_pool *p, struct store **out)
{
    pthread_mutex_lock(&p->lock);
    if (p->nidle > 0) {
        *out = p->idle[--p->nidle];
        pthread_mutex_unlock(&p->lock);
        return PHR_OK;
    }
    p->nopen++;
    pthread_mutex_unlock(&p->lock);
    int err = store_open(p->location, STORE_READONLY, out);
    if (err) {
        pthread_mutex_lock(&p->lock);
        p->nopen--;
        pthread_mutex_unlock(&p->lock);
    }
    return err;
}

void store_pool_put(struct store_pool *p, struct store *st)
{
    pthread_mutex_lock(&p->lock);
    if (p->nidle < p->max) {
        p->idle[p->nidle++] = st;
        st = NULL;
    } else {
        p->nopen--;
    }
    pthread_mutex_unlock(&p->lock);
    store_close(st);
}

void store_pool_destroy(struct store_pool *p)
{
    if (!p)
        return;
    for (unsigned i = 0; i < p->nidle; i++)
        store_close(p->idle[i]);
    pthread_mutex_destroy(&p->lock);
    free(p->idle);
    free(p->location);
    free(p);
}
