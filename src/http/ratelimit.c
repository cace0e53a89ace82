#include "http/ratelimit.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sodium.h>

#include "service/service.h"
#include "util/clock.h"
#include "util/err.h"
#include "util/log.h"

#define SLOTS 16384 /* a power of two */
#define PROBE 8
#define FLUSH_MS 1000
#define FLUSH_MAX 1024

struct slot {
    uint64_t index_hash;   /* keyed: where the slot lives */
    uint64_t fingerprint;  /* unkeyed: the same on every instance, names the key in the store */
    int64_t window;
    unsigned count;        /* hits counted here in this window */
    unsigned sent;         /* of which already added to the store */
    int64_t total;         /* the store's count at the last flush (every instance) */
};

struct ratelimit {
    pthread_mutex_t lock;
    pthread_cond_t wake;
    pthread_t thread;
    int stop, started;
    struct service *svc;
    char prefix[16];
    unsigned per_minute;
    unsigned char hash_key[crypto_shorthash_KEYBYTES];
    struct slot slots[SLOTS];
    struct rate_delta batch[FLUSH_MAX];
    uint64_t batch_fp[FLUSH_MAX];
    size_t batch_slot[FLUSH_MAX];
};

/* Adds this instance's counts to the store and takes back the totals. */
static void flush(struct ratelimit *rl)
{
    size_t n = 0;
    int64_t window = clock_now_ms() / 60000;
    pthread_mutex_lock(&rl->lock);
    for (size_t i = 0; i < SLOTS && n < FLUSH_MAX; i++) {
        struct slot *s = &rl->slots[i];
        if (!s->index_hash || s->count == s->sent || s->window < window - 1)
            continue;
        struct rate_delta *d = &rl->batch[n];
        snprintf(d->key, sizeof d->key, "%s:%016llx", rl->prefix, (unsigned long long)s->fingerprint);
        d->window = s->window;
        d->delta = s->count - s->sent;
        rl->batch_fp[n] = s->fingerprint;
        rl->batch_slot[n++] = i;
        s->sent = s->count;
    }
    pthread_mutex_unlock(&rl->lock);
    if (n == 0)
        return;
    int err = service_rate_flush(rl->svc, rl->batch, n, window - 1);
    if (err) {
        log_event(LOG_WARN, "ratelimit.flush", "error", phr_strerror(err), NULL);
        return; /* the counts stay local: the limit still holds here */
    }
    pthread_mutex_lock(&rl->lock);
    for (size_t i = 0; i < n; i++) {
        /* Unless the slot was given to another key meanwhile. */
        struct slot *s = &rl->slots[rl->batch_slot[i]];
        if (s->fingerprint == rl->batch_fp[i] && s->window == rl->batch[i].window)
            s->total = rl->batch[i].total;
    }
    pthread_mutex_unlock(&rl->lock);
}

static void *flusher(void *arg)
{
    struct ratelimit *rl = arg;
    pthread_mutex_lock(&rl->lock);
    while (!rl->stop) {
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_nsec += FLUSH_MS * 1000000L;
        while (until.tv_nsec >= 1000000000L) {
            until.tv_sec++;
            until.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&rl->wake, &rl->lock, &until);
        if (rl->stop)
            break;
        pthread_mutex_unlock(&rl->lock);
        flush(rl);
        pthread_mutex_lock(&rl->lock);
    }
    pthread_mutex_unlock(&rl->lock);
    return NULL;
}

int ratelimit_create(struct service *svc, const char *prefix, unsigned per_minute, struct ratelimit **out)
{
    *out = NULL;
    if (per_minute == 0)
        return PHR_OK;
    struct ratelimit *rl = calloc(1, sizeof *rl);
    if (!rl)
        return PHR_ENOMEM;
    pthread_mutex_init(&rl->lock, NULL);
    pthread_cond_init(&rl->wake, NULL);
    rl->svc = svc;
    rl->per_minute = per_minute;
    snprintf(rl->prefix, sizeof rl->prefix, "%s", prefix);
    /* Keyed, so that clients cannot choose addresses that crowd one slot. */
    crypto_shorthash_keygen(rl->hash_key);
    if (pthread_create(&rl->thread, NULL, flusher, rl) != 0) {
        ratelimit_free(rl);
        return PHR_EIO;
    }
    rl->started = 1;
    *out = rl;
    return PHR_OK;
}

void ratelimit_free(struct ratelimit *rl)
{
    if (!rl)
        return;
    if (rl->started) {
        pthread_mutex_lock(&rl->lock);
        rl->stop = 1;
        pthread_cond_signal(&rl->wake);
        pthread_mutex_unlock(&rl->lock);
        pthread_join(rl->thread, NULL);
        flush(rl);
    }
    pthread_mutex_destroy(&rl->lock);
    pthread_cond_destroy(&rl->wake);
    free(rl);
}

int ratelimit_hit(struct ratelimit *rl, const char *key, int64_t now_ms)
{
    if (!rl)
        return 0;
    size_t len = strlen(key);
    unsigned char h[crypto_shorthash_BYTES], fp[8];
    crypto_shorthash(h, (const unsigned char *)key, len, rl->hash_key);
    crypto_generichash(fp, sizeof fp, (const unsigned char *)key, len, NULL, 0);
    uint64_t k, f;
    memcpy(&k, h, sizeof k);
    memcpy(&f, fp, sizeof f);
    k |= 1; /* 0 marks an empty slot */
    int64_t window = now_ms / 60000;
    int retry = 0;
    pthread_mutex_lock(&rl->lock);
    struct slot *use = NULL, *victim = NULL;
    for (unsigned i = 0; i < PROBE && !use; i++) {
        struct slot *s = &rl->slots[(k + i) & (SLOTS - 1)];
        if (s->index_hash == k)
            use = s;
        else if (!victim || s->window < victim->window || (s->window == victim->window && s->count < victim->count))
            victim = s;
    }
    int fresh = 0;
    if (!use) {
        /* The stalest neighbour makes room: a full table forgets the
         * quietest clients first. */
        use = victim;
        memset(use, 0, sizeof *use);
        use->index_hash = k;
        use->fingerprint = f;
        use->window = window;
        fresh = 1;
    }
    if (use->window != window) {
        use->window = window;
        use->count = use->sent = 0;
        use->total = 0;
        fresh = 1;
    }
    if (fresh) {
        /* A key new to this instance this minute: learn what the other
         * instances have counted (one read per key and minute). */
        char name[40];
        int64_t total = 0;
        snprintf(name, sizeof name, "%s:%016llx", rl->prefix, (unsigned long long)f);
        pthread_mutex_unlock(&rl->lock);
        int err = service_rate_get(rl->svc, name, window, &total);
        pthread_mutex_lock(&rl->lock);
        if (!err && use->index_hash == k && use->window == window && total > use->total)
            use->total = total;
    }
    /* Every instance's count at the last flush, plus ours since. */
    int64_t seen = (use->total > use->sent ? use->total : use->sent) + (use->count - use->sent);
    if (seen >= rl->per_minute)
        retry = (int)(60 - (now_ms / 1000) % 60);
    else
        use->count++;
    pthread_mutex_unlock(&rl->lock);
    return retry;
}
