/* A search by value (value-quantity and the others of
 * formats/value_search.h). No plaintext health value is kept at rest, so
 * no index holds one: the rows the other conditions find are read in
 * batches, each opened and kept if it meets the values, until the page is
 * full or no row is left. The page's links are the places of the rows it
 * sends, as for any search, so a walk holds while data changes. */
#include <string.h>

#include "crypto/seal.h"
#include "service/reads_internal.h"
#include "util/err.h"

/* Rows read at once: twice a page at first (about half the rows meet a
 * typical value), twice as many each time the page is not yet full, up to
 * this. Counting reads this many at once. */
#define VALUES_BATCH 512

int row_meets(struct read_op *r, const struct record_row *row)
{
    char ad[96];
    record_ad(ad, row->id, row->version, "body");
    struct buf plain;
    buf_init(&plain);
    int err = seal_open(row->alg, r->value_key, ad, row->body, row->body_len, &plain);
    int met = err;
    if (err == PHR_ECRYPTO || err == PHR_EINVAL)
        met = 1; /* kept: the page says it could not be opened, as any search does */
    else if (!err && (met = value_conds_match(r->values, buf_cstr(&plain), plain.len)) < 0)
        met = PHR_ENOMEM;
    buf_wipe(&plain);
    return met;
}

/* A page link's place, copied with its texts (they point into it). */
static void place_copy(struct page_link *to, const struct page_link *from)
{
    *to = *from;
    for (int i = 0; i < QUERY_MAX_SORT; i++)
        if (from->at.texts[i])
            to->at.texts[i] = to->text[i];
}

int values_page(struct read_op *r, struct store *rd, struct record_query *q)
{
    int batch = q->count * 2 < 32 ? 32 : q->count * 2;
    const struct record_position *after = q->after;
    struct page_link from;
    q->replaced = q->snapshot != 0;
    for (;;) {
        r->examined = 0;
        q->count = batch;
        int err = store_record_search(rd, q, keep_row, r);
        if (err || r->more || r->examined < (size_t)batch) {
            q->after = after;
            return err;
        }
        /* Every row of the batch was read and the page is not full: on
         * from the last, in the walk's snapshot (taken by the first batch). */
        place_copy(&from, &r->examined_at);
        q->after = &from.at;
        if (batch < VALUES_BATCH)
            batch *= 2;
        if (q->taken) {
            q->snapshot = *q->taken;
            q->taken = NULL;
            q->replaced = q->snapshot != 0;
        }
    }
}

struct counting {
    struct read_op *r;
    int64_t n, examined;
    struct page_link at;
};

static int count_row(void *arg, const struct record_row *row)
{
    struct counting *c = arg;
    c->examined++;
    if (page_link_place(&c->at, c->r->sort, c->r->nsort, row))
        return PHR_EINVAL;
    int met = row_meets(c->r, row);
    if (met < 0)
        return met;
    c->n += met;
    return PHR_OK;
}

int values_count(struct read_op *r, struct store *rd, const struct record_query *q, int64_t *total)
{
    struct record_query all = *q;
    all.after = NULL;
    all.taken = NULL;
    all.count = VALUES_BATCH;
    struct counting c = {.r = r};
    struct page_link from;
    for (;;) {
        c.examined = 0;
        int err = store_record_search(rd, &all, count_row, &c);
        if (err)
            return err;
        if (c.examined < VALUES_BATCH)
            break;
        place_copy(&from, &c.at);
        all.after = &from.at;
    }
    *total = c.n;
    return PHR_OK;
}
