/* Allocation-failure injection for the unit tests (SQLite's test_malloc.c
 * is the model): the test binaries are linked with --wrap=malloc,calloc,
 * realloc, so every allocation the project's own code makes passes a
 * countdown; when it reaches zero that allocation fails (returns NULL),
 * and, with fault_persist, every one after it. Libraries' own allocations
 * (json-c, libxml2, SQLite) are not counted. */
#ifndef PHR_TEST_ALLOC_FAIL_H
#define PHR_TEST_ALLOC_FAIL_H

/* The n-th allocation from now fails (n >= 1); 0 turns injection off. */
void alloc_fail_after(long n, int persist);
/* Allocations failed since the last alloc_fail_after. */
long alloc_failed(void);

#endif
