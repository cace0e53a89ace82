/* A search's page links: where the next (or previous) page begins and the
 * snapshot the walk reads, handed out opaque (base64url) and taken back,
 * tagged under the master key for the caller and the search they continue,
 * so that a link is neither forged nor used by anyone else nor for another
 * search. */
#ifndef PHR_PAGE_LINKS_H
#define PHR_PAGE_LINKS_H

#include <stdint.h>

#include "model/rows.h"

struct buf;
struct master_key;

/* How long a walk of pages may last: a link older than this is refused
 * (search again), so that no link holds a snapshot forever. */
#define PAGE_LINK_TTL_MS (24LL * 3600 * 1000)
#define PAGE_TEXT_MAX 255

enum page_dir { PAGE_FIRST, PAGE_NEXT, PAGE_PREVIOUS };

struct page_link {
    enum page_dir dir;
    int64_t issued_at, snapshot;
    /* NEXT, PREVIOUS: the row the page begins after (before), in the
     * search's sort keys; the texts point into text. */
    struct record_position at;
    char text[QUERY_MAX_SORT][PAGE_TEXT_MAX + 1];
};

/* The row's place under the sort terms (nsort 0: by date) into l->at. */
int page_link_place(struct page_link *l, const struct sort_term *sort, int nsort, const struct record_row *row);

/* binding names the caller and the search ("person:<id>\n<query>"). */
int page_link_encode(const struct master_key *mk, const char *binding, const struct sort_term *sort, int nsort,
                     const struct page_link *l, struct buf *out);
/* PHR_EINVAL: not a link of this caller for this search, or altered (the
 * caller refuses one issued more than PAGE_LINK_TTL_MS ago). */
int page_link_decode(const struct master_key *mk, const char *binding, const struct sort_term *sort, int nsort,
                     const char *token, struct page_link *out);

#endif
