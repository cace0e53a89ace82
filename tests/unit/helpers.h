/* Small helpers for the unit tests: temporary directories and stores. */
#ifndef PHR_TEST_HELPERS_H
#define PHR_TEST_HELPERS_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store/store.h"

static inline char *tmpdir_new(void)
{
    char tmpl[] = "/tmp/phr-unit-XXXXXX";
    char *d = mkdtemp(tmpl);
    return d ? strdup(d) : NULL;
}

static inline void tmpdir_remove(char *d)
{
    char cmd[256];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", d);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", d);
    free(d);
}

static inline char *path_in(const char *dir, const char *name)
{
    size_t n = strlen(dir) + strlen(name) + 2;
    char *p = malloc(n);
    snprintf(p, n, "%s/%s", dir, name);
    return p;
}

/* A fresh store in a temporary directory, for cmocka setup/teardown:
 * tests reach it as ((struct store_fixture *)*state)->st. */
struct store_fixture {
    char *dir, *db;
    struct store *st;
};

static inline int store_fixture_setup(void **state)
{
    struct store_fixture *f = calloc(1, sizeof *f);
    if (!f || !(f->dir = tmpdir_new()) || !(f->db = path_in(f->dir, "phr.db")) ||
        store_open(f->db, STORE_CREATE, &f->st) != 0)
        return -1;
    *state = f;
    return 0;
}

static inline int store_fixture_teardown(void **state)
{
    struct store_fixture *f = *state;
    store_close(f->st);
    free(f->db);
    tmpdir_remove(f->dir);
    free(f);
    return 0;
}

#endif
