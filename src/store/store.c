/* Backend selection and the pool of read connections. */
#include "store/store.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "store/sqlite.h"
#include "util/err.h"

int store_open(const char *location, int flags, struct store **out)
{
    if (strncmp(location, "sqlite:", 7) == 0)
        location += 7;
    else if (strncmp(location, "postgresql:", 11) == 0 || strncmp(location, "postgres:", 9) == 0)
        return PHR_EINVAL; /* not built yet: see docs/status.md */
    return sqlite_store_open(location, flags, out);
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
