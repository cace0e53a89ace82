/* A table to anonymise and the generalisation hierarchies of its columns,
 * read from the files ARX reads: text separated by ';' (or another
 * character), double quotes around a field that holds one, a header row
 * naming the columns. A hierarchy file has a row per value, the value
 * first, then what it becomes at each level of generalisation, the most
 * specific first ("34;30-39;*").
 *
 * Each column's values are kept once, by number (a dictionary), so that
 * the engine works on numbers. Pure: memory in, memory out, no files, so
 * that the readers can be fuzzed. Errors name the line and the value. */
#ifndef PHR_ANON_TABLE_H
#define PHR_ANON_TABLE_H

#include <stddef.h>
#include <stdint.h>

/* What was wrong with an input, for a person to fix: "line 12: …". */
struct anon_error {
    size_t line;          /* 1-based; 0 when the problem is not one line's */
    char msg[240];
};

/* The distinct texts of one column (or of one level of a hierarchy). */
struct anon_dict {
    char **text;          /* n texts, by id */
    uint32_t n, cap;
    uint32_t *slot;       /* open addressing over text: id + 1, 0 empty */
    uint32_t slots;       /* a power of two */
};

struct anon_table {
    size_t rows, cols;
    char **names;                 /* cols names, from the header */
    uint32_t *cells;              /* rows × cols value ids */
    struct anon_dict *dicts;      /* cols dictionaries */
};

/* A column's generalisations: levels[0] is the value itself. */
struct anon_hierarchy {
    uint32_t levels;              /* 1 + the highest level */
    uint32_t n;                   /* the column's values */
    uint32_t *map;                /* levels × n: the value's id at each level */
    struct anon_dict *labels;     /* levels dictionaries: the texts of those ids */
};

/* 0, or -1 with *e set (nothing kept). Every row must have the header's
 * number of fields; an empty last line is allowed. */
int anon_table_read(const char *text, size_t len, char sep, struct anon_table *t, struct anon_error *e);
void anon_table_free(struct anon_table *t);
/* The column named name, or -1. */
long anon_table_column(const struct anon_table *t, const char *name);

/* The hierarchy of column col of t from a hierarchy file: every value of
 * the column has its row, rows have the same length, and a value at one
 * level always becomes the same value at the next (otherwise coarser
 * would not mean merged, and the search's pruning would be wrong).
 * Values the table does not hold are allowed. 0, or -1 with *e set. */
int anon_hierarchy_read(const char *text, size_t len, char sep, const struct anon_table *t, size_t col,
                        struct anon_hierarchy *h, struct anon_error *e);
void anon_hierarchy_free(struct anon_hierarchy *h);

/* Appends x to a growing array (*v, *n of *cap); 0, or -1 out of memory. */
int anon_push(size_t **v, size_t *n, size_t *cap, size_t x);

/* Dictionaries, shared with the engine's writer. */
uint32_t anon_dict_find(const struct anon_dict *d, const char *s, size_t n);   /* id, or UINT32_MAX */
void anon_dict_free(struct anon_dict *d);

#endif
