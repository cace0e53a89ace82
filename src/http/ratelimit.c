#include "http/ratelimit.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>

#include "util/err.h"

#define SLOTS 16384 /* a power of two */
#define PROBE 8

struct slot {
    uint64_t key;
    int64_t window;
    unsigned count;
};

struct ratelimit {
    pthread_mutex_t lock;
    unsigned per_minute;
    unsigned char hash_key[crypto_shorthash_KEYBYTES];
    struct slot slots[SLOTS];
};

int ratelimit_create(unsigned per_minute, struct ratelimit **out)
{
    *out = NULL;
    if (per_minute == 0)
        return PHR_OK;
    struct ratelimit *rl = calloc(1, sizeof *rl);
    if (!rl)
        return PHR_ENOMEM;
    pthread_mutex_init(&rl->lock, NULL);
    rl->per_minute = per_minute;
    /* A keyed hash, so that clients cannot choose addresses that collide. */
    crypto_shorthash_keygen(rl->hash_key);
    *out = rl;
    return PHR_OK;
}

void ratelimit_free(struct ratelimit *rl)
{
    if (!rl)
        return;
    pthread_mutex_destroy(&rl->lock);
    free(rl);
}

int ratelimit_hit(struct ratelimit *rl, const char *key, int64_t now_ms)
{
    if (!rl)
        return 0;
    unsigned char h[crypto_shorthash_BYTES];
    crypto_shorthash(h, (const unsigned char *)key, strlen(key), rl->hash_key);
    uint64_t k;
    memcpy(&k, h, sizeof k);
    k |= 1; /* 0 marks an empty slot */
    int64_t window = now_ms / 60000;
    int retry = 0;
    pthread_mutex_lock(&rl->lock);
    struct slot *use = NULL, *victim = NULL;
    for (unsigned i = 0; i < PROBE && !use; i++) {
        struct slot *s = &rl->slots[(k + i) & (SLOTS - 1)];
        if (s->key == k)
            use = s;
        else if (!victim || s->window < victim->window || (s->window == victim->window && s->count < victim->count))
            victim = s;
    }
    if (!use) {
        /* The stalest neighbour makes room: a full table forgets the
         * quietest clients first. */
        use = victim;
        use->key = k;
        use->window = window;
        use->count = 0;
    }
    if (use->window != window) {
        use->window = window;
        use->count = 0;
    }
    if (use->count >= rl->per_minute)
        retry = (int)(60 - (now_ms / 1000) % 60);
    else
        use->count++;
    pthread_mutex_unlock(&rl->lock);
    return retry;
}
