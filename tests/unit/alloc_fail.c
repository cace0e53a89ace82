#include "alloc_fail.h"

#include <stddef.h>

void *__real_malloc(size_t n);
void *__real_calloc(size_t n, size_t size);
void *__real_realloc(void *p, size_t n);
void *__wrap_malloc(size_t n);
void *__wrap_calloc(size_t n, size_t size);
void *__wrap_realloc(void *p, size_t n);

/* Unit tests are single-threaded where they inject. */
static long countdown, failed;
static int persist;

void alloc_fail_after(long n, int keep_failing)
{
    countdown = n;
    persist = keep_failing;
    failed = 0;
}

long alloc_failed(void)
{
    return failed;
}

static int fails(void)
{
    if (countdown <= 0)
        return 0;
    if (--countdown > 0)
        return 0;
    failed++;
    if (persist)
        countdown = 1;
    return 1;
}

void *__wrap_malloc(size_t n)
{
    return fails() ? NULL : __real_malloc(n);
}

void *__wrap_calloc(size_t n, size_t size)
{
    return fails() ? NULL : __real_calloc(n, size);
}

void *__wrap_realloc(void *p, size_t n)
{
    return fails() ? NULL : __real_realloc(p, n);
}
