#include "store/writer.h"

#include <pthread.h>
#include <stdlib.h>

#include "store/store.h"
#include "util/err.h"
#include "util/log.h"

struct writer {
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t wake, finished;
    struct job *head, *tail;
    int stopping;
    unsigned max_batch;
    struct store *st;
    struct writer_stats stats;
};

static void run_batch(struct writer *w, struct job *batch)
{
    struct store *st = w->st;
    int err = store_begin(st);
    uint64_t n = 0;

    for (struct job *j = batch; j; j = j->next) {
        n++;
        if (err) {
            j->rc = err;
            continue;
        }
        if ((j->rc = store_savepoint(st)) != PHR_OK)
            continue;
        j->rc = j->run(j, st);
        /* A statement the engine let ride with a later one (db.h's
         * DB_DEFER) fails at the latest here: the job's failure, not the
         * batch's. */
        if (j->rc == PHR_OK)
            j->rc = store_release(st);
        if (j->rc != PHR_OK && (store_rollback_to(st) != PHR_OK || store_release(st) != PHR_OK))
            err = PHR_EIO;
    }
    if (!err)
        err = store_commit(st);
    if (err) {
        store_rollback(st);
        for (struct job *j = batch; j; j = j->next)
            if (j->rc == PHR_OK)
                j->rc = err;
    }

    pthread_mutex_lock(&w->lock);
    w->stats.batches++;
    w->stats.jobs += n;
    if (err)
        w->stats.failed_commits++;
    pthread_mutex_unlock(&w->lock);

    while (batch) {
        struct job *next = batch->next;
        if (batch->after && batch->rc == PHR_OK)
            batch->rc = batch->after(batch, st);
        batch->done(batch); /* may free batch */
        batch = next;
    }
}

static void *writer_main(void *arg)
{
    struct writer *w = arg;
    for (;;) {
        pthread_mutex_lock(&w->lock);
        while (!w->head && !w->stopping)
            pthread_cond_wait(&w->wake, &w->lock);
        if (!w->head) {
            pthread_mutex_unlock(&w->lock);
            break;
        }
        struct job *batch = w->head, *last = batch;
        for (unsigned n = 1; n < w->max_batch && last->next; n++)
            last = last->next;
        w->head = last->next;
        if (!w->head)
            w->tail = NULL;
        last->next = NULL;
        pthread_mutex_unlock(&w->lock);
        run_batch(w, batch);
    }
    return NULL;
}

int writer_start(const char *location, unsigned max_batch, struct writer **out)
{
    struct writer *w = calloc(1, sizeof *w);
    if (!w)
        return PHR_ENOMEM;
    int err = store_open(location, STORE_WRITER, &w->st);
    if (err) {
        free(w);
        return err;
    }
    w->max_batch = max_batch ? max_batch : 1;
    pthread_mutex_init(&w->lock, NULL);
    pthread_cond_init(&w->wake, NULL);
    pthread_cond_init(&w->finished, NULL);
    if (pthread_create(&w->thread, NULL, writer_main, w) != 0) {
        store_close(w->st);
        pthread_mutex_destroy(&w->lock);
        pthread_cond_destroy(&w->wake);
        pthread_cond_destroy(&w->finished);
        free(w);
        return PHR_EIO;
    }
    *out = w;
    return PHR_OK;
}

int writer_submit(struct writer *w, struct job *j)
{
    j->next = NULL;
    j->owner = w;
    j->finished = 0;
    pthread_mutex_lock(&w->lock);
    if (w->stopping) {
        pthread_mutex_unlock(&w->lock);
        return PHR_ESHUTDOWN;
    }
    if (w->tail)
        w->tail->next = j;
    else
        w->head = j;
    w->tail = j;
    pthread_cond_signal(&w->wake);
    pthread_mutex_unlock(&w->lock);
    return PHR_OK;
}

static void call_done(struct job *j)
{
    struct writer *w = j->owner;
    pthread_mutex_lock(&w->lock);
    j->finished = 1;
    pthread_cond_broadcast(&w->finished);
    pthread_mutex_unlock(&w->lock);
}

int writer_call(struct writer *w, struct job *j)
{
    j->done = call_done;
    int err = writer_submit(w, j);
    if (err)
        return err;
    pthread_mutex_lock(&w->lock);
    while (!j->finished)
        pthread_cond_wait(&w->finished, &w->lock);
    pthread_mutex_unlock(&w->lock);
    return j->rc;
}

void writer_stop(struct writer *w)
{
    if (!w)
        return;
    pthread_mutex_lock(&w->lock);
    w->stopping = 1;
    pthread_cond_signal(&w->wake);
    pthread_mutex_unlock(&w->lock);
    pthread_join(w->thread, NULL);
    store_close(w->st);
    pthread_mutex_destroy(&w->lock);
    pthread_cond_destroy(&w->wake);
    pthread_cond_destroy(&w->finished);
    free(w);
}

void writer_get_stats(struct writer *w, struct writer_stats *out)
{
    pthread_mutex_lock(&w->lock);
    *out = w->stats;
    pthread_mutex_unlock(&w->lock);
}
