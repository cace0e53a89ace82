/* Signed checkpoints of the handling history, made while serving: every
 * interval if the chain grew, and once more when the service closes. Each
 * runs as a writer job, so it signs a head that is committed together
 * with it. A log line carries the signed head outside the database: a
 * witness that an attacker who rewrites the store cannot recall. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <sodium.h>

#include "audit/audit.h"
#include "service/internal.h"
#include "util/clock.h"
#include "util/err.h"
#include "util/log.h"

struct checkpointing {
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t wake;
    int stop;
    struct service *svc;
};

struct checkpoint_job {
    struct job job;
    const struct sign_key *key;
    int made;
    int64_t seq;
    unsigned char hash[SHA256_BYTES];
};

static int checkpoint_run(struct job *j, struct store *st)
{
    struct checkpoint_job *c = (struct checkpoint_job *)j;
    return audit_checkpoint(st, c->key, clock_now_ms(), &c->made, &c->seq, c->hash);
}

static void report(const struct checkpoint_job *c)
{
    if (c->job.rc) {
        log_event(LOG_ERROR, "audit.checkpoint", "error", phr_strerror(c->job.rc), NULL);
        return;
    }
    if (!c->made)
        return;
    char seq[24], hex[2 * SHA256_BYTES + 1];
    snprintf(seq, sizeof seq, "%lld", (long long)c->seq);
    sodium_bin2hex(hex, sizeof hex, c->hash, SHA256_BYTES);
    log_event(LOG_INFO, "audit.checkpoint", "seq", seq, "hash", hex, NULL);
}

static void checkpoint_done(struct job *j)
{
    report((struct checkpoint_job *)j);
    free(j);
}

int service_checkpoint_now(struct service *svc)
{
    struct checkpoint_job c = {.job = {.run = checkpoint_run}, .key = svc->audit_key};
    int err = writer_call(svc->writer, &c.job);
    report(&c);
    return err;
}

static void *checkpoint_main(void *arg)
{
    struct checkpointing *k = arg;
    pthread_mutex_lock(&k->lock);
    while (!k->stop) {
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        int64_t ms = k->svc->cfg.checkpoint_interval_ms;
        until.tv_sec += (time_t)(ms / 1000);
        until.tv_nsec += (long)(ms % 1000) * 1000000L;
        if (until.tv_nsec >= 1000000000L) {
            until.tv_sec++;
            until.tv_nsec -= 1000000000L;
        }
        if (pthread_cond_timedwait(&k->wake, &k->lock, &until) != ETIMEDOUT || k->stop)
            continue;
        pthread_mutex_unlock(&k->lock);
        struct checkpoint_job *c = calloc(1, sizeof *c);
        if (c) {
            c->job.run = checkpoint_run;
            c->job.done = checkpoint_done;
            c->key = k->svc->audit_key;
            if (writer_submit(k->svc->writer, &c->job) != PHR_OK)
                free(c);
        }
        pthread_mutex_lock(&k->lock);
    }
    pthread_mutex_unlock(&k->lock);
    return NULL;
}

int checkpointing_start(struct service *svc, struct checkpointing **out)
{
    *out = NULL;
    if (svc->cfg.checkpoint_interval_ms <= 0)
        return PHR_OK;
    struct checkpointing *k = calloc(1, sizeof *k);
    if (!k)
        return PHR_ENOMEM;
    k->svc = svc;
    pthread_mutex_init(&k->lock, NULL);
    pthread_cond_init(&k->wake, NULL);
    if (pthread_create(&k->thread, NULL, checkpoint_main, k) != 0) {
        pthread_mutex_destroy(&k->lock);
        pthread_cond_destroy(&k->wake);
        free(k);
        return PHR_EIO;
    }
    *out = k;
    return PHR_OK;
}

void checkpointing_stop(struct checkpointing *k)
{
    if (!k)
        return;
    pthread_mutex_lock(&k->lock);
    k->stop = 1;
    pthread_cond_signal(&k->wake);
    pthread_mutex_unlock(&k->lock);
    pthread_join(k->thread, NULL);
    pthread_mutex_destroy(&k->lock);
    pthread_cond_destroy(&k->wake);
    free(k);
}
