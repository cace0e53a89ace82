/* Shared by record_reads.c (a record, its versions) and record_bundles.c
 * (a search's pages, a history): the read op and how rows are kept. */
#ifndef PHR_READS_INTERNAL_H
#define PHR_READS_INTERNAL_H

#include "formats/elements.h"
#include "service/internal.h"
#include "service/page_links.h"

struct sealed {
    char id[ID_LEN + 1];
    char type[32];               /* its resource type (a search across types names it per row) */
    int version, alg;
    int64_t recorded_at;
    unsigned char *body;         /* the resource, or (original reads) the original */
    size_t len;
    int replaced;                /* search: replaced since the snapshot; its current version is sent */
    int included;                /* search: not a match, sent beside them (_include) */
    int has_mac;                 /* imported: mac is its original's keyed digest, the same as its document's */
    unsigned char mac[32];
};

struct read_op {
    struct op op;
    enum action act;
    enum decision d;
    char subject[ID_LEN + 1];
    struct sealed *rows;
    size_t nrows, cap;
    int64_t total;                 /* -1: not counted */
    const char *type;              /* only records of this resource type (static); NULL: a search across types */
    int original;                  /* keep the original as submitted, not the resource */
    struct buf ids;                /* for the audit entry */
    /* A recipient's: current versions only, what it would be provided, and
     * the kinds it asked for (a search: those its consent covered when the
     * page was read). */
    int current_only;
    struct provision_list provided;
    data_kinds asked;
    char base_url[256];
    /* A search: the page (limit rows; more: one row past it was found), the
     * order, the link it was reached by and the places of its first and
     * last rows as they came, for the links to the pages beside it. */
    int search, more;
    size_t limit;
    struct sort_term sort[QUERY_MAX_SORT];
    int nsort;
    struct page_link link, came_first, came_last;
    int reached_by_link;
    struct buf query, binding;     /* "Observation?code=…" (no _page); the caller and the query */
    struct elements *subset;       /* _elements or _summary: what of each resource is sent; NULL: all */
    int summary_by_type;           /* _summary=true across types: each row's type's list */
    int include_patient;           /* _include: the person's Patient beside the page */
    struct buf revincluded;        /* _revinclude=Provenance:target: those entries, rendered */
    int patient_entry;             /* $everything's first page: the Patient, a match */
    struct buf ignored;            /* lenient: the parameters left out, "a, b" */
    /* Value conditions (sealed values: record_values.c): each row found is
     * opened under value_key and kept only if it meets them; examined
     * counts the rows found, examined_at is the last one's place. Set for
     * the search only. */
    const struct value_conds *values;
    const unsigned char *value_key;
    size_t examined;
    struct page_link examined_at;
};

struct read_op *read_op_new(struct service *svc, const struct actor *a, enum action act, const struct op_ops *ops);
/* A record_cb keeping the row into r (of r->type only), and (append_row)
 * keeping it whatever it is. */
int keep_row(void *arg, const struct record_row *row);
int append_row(struct read_op *r, const struct record_row *row);
/* The rows' person's data key (caller wipes it), and row i opened into out. */
int read_key(struct read_op *r, unsigned char key[DATA_KEY_BYTES]);
int open_row(struct read_op *r, const unsigned char key[DATA_KEY_BYTES], size_t i, struct buf *out);
int read_commit(struct op *o, struct store *st);
void read_destroy(struct op *o);

/* record_values.c: whether the row meets r->values (1, 0, or an error);
 * a page of the rows that do, read in batches until it is full or nothing
 * is left; and how many rows do in all. */
int row_meets(struct read_op *r, const struct record_row *row);
int values_page(struct read_op *r, struct store *rd, struct record_query *q);
int values_count(struct read_op *r, struct store *rd, const struct record_query *q, int64_t *total);

/* search_includes.c: beside a page, the documents its records came from
 * (_include=…:derived-from) and the provisions that sent them
 * (_revinclude=Provenance:target), each only where the caller may read it. */
int include_documents(struct read_op *r, struct store *rd, data_kinds provided);
int revinclude_provenance(struct read_op *r, struct store *rd);

/* The person's Patient resource (the id alone: no demographics are kept). */
int patient_json(struct buf *out, const char *id);

/* A history's or a search's Bundle (record_bundles.c). */
extern const struct op_ops bundle_ops;

#endif
