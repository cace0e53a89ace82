#include "service/page_links.h"

#include <string.h>
#include <sodium.h>

#include "crypto/keys.h"
#include "util/buf.h"
#include "util/err.h"

#define LINK_VERSION 1
#define TAG_CONTEXT "pagelink"
/* version, direction, issue time, snapshot, rowid, keys (a text: its
 * length and bytes), tag. */
#define LINK_MAX (2 + 8 * 3 + QUERY_MAX_SORT * (1 + PAGE_TEXT_MAX) + MKEY_TAG_BYTES)

static const struct sort_term by_date = {SORT_DATE, 1};

static int key_is_text(enum sort_key k)
{
    return k == SORT_CODE || k == SORT_ID;
}

int page_link_place(struct page_link *l, const struct sort_term *sort, int nsort, const struct record_row *row)
{
    const struct sort_term *terms = nsort ? sort : &by_date;
    int m = nsort ? nsort : 1;
    for (int i = 0; i < m; i++) {
        const char *t = NULL;
        switch (terms[i].key) {
        case SORT_DATE: l->at.ints[i] = row->effective_start; break;
        case SORT_LAST_UPDATED: l->at.ints[i] = row->recorded_at; break;
        case SORT_CODE: t = row->code ? row->code : ""; break;
        case SORT_ID: t = row->id; break;
        }
        if (t) {
            size_t n = strlen(t);
            if (n > PAGE_TEXT_MAX)
                return PHR_EINVAL;
            memcpy(l->text[i], t, n + 1);
            l->at.texts[i] = l->text[i];
        }
    }
    l->at.rowid = row->rowid;
    return PHR_OK;
}

static void put64(unsigned char *p, int64_t v)
{
    for (int i = 7; i >= 0; i--, v = (int64_t)((uint64_t)v >> 8))
        p[i] = (unsigned char)(v & 0xff);
}

static int64_t get64(const unsigned char *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = v << 8 | p[i];
    return (int64_t)v;
}

/* The tag over the binding, its end, then the payload: no two (binding,
 * payload) pairs give the same bytes. Neither is secret. */
static int tag(const struct master_key *mk, const char *binding, const unsigned char *payload, size_t len,
               unsigned char out[MKEY_TAG_BYTES])
{
    struct buf all;
    buf_init(&all);
    if (buf_append(&all, binding, strlen(binding) + 1) || buf_append(&all, payload, len)) {
        buf_free(&all);
        return PHR_ENOMEM;
    }
    mkey_tag(mk, TAG_CONTEXT, (const unsigned char *)all.data, all.len, out);
    buf_free(&all);
    return PHR_OK;
}

int page_link_encode(const struct master_key *mk, const char *binding, const struct sort_term *sort, int nsort,
                     const struct page_link *l, struct buf *out)
{
    unsigned char b[LINK_MAX];
    size_t n = 0;
    b[n++] = LINK_VERSION;
    b[n++] = (unsigned char)l->dir;
    put64(b + n, l->issued_at);
    put64(b + n + 8, l->snapshot);
    n += 16;
    if (l->dir != PAGE_FIRST) {
        put64(b + n, l->at.rowid);
        n += 8;
        const struct sort_term *terms = nsort ? sort : &by_date;
        for (int i = 0; i < (nsort ? nsort : 1); i++) {
            if (key_is_text(terms[i].key)) {
                size_t len = strlen(l->at.texts[i]);
                if (len > PAGE_TEXT_MAX)
                    return PHR_EINVAL;
                b[n++] = (unsigned char)len;
                memcpy(b + n, l->at.texts[i], len);
                n += len;
            } else {
                put64(b + n, l->at.ints[i]);
                n += 8;
            }
        }
    }
    if (tag(mk, binding, b, n, b + n))
        return PHR_ENOMEM;
    n += MKEY_TAG_BYTES;
    char text[sodium_base64_ENCODED_LEN(LINK_MAX, sodium_base64_VARIANT_URLSAFE_NO_PADDING)];
    sodium_bin2base64(text, sizeof text, b, n, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    return buf_puts(out, text) ? PHR_ENOMEM : PHR_OK;
}

int page_link_decode(const struct master_key *mk, const char *binding, const struct sort_term *sort, int nsort,
                     const char *token, struct page_link *out)
{
    unsigned char b[LINK_MAX];
    size_t n;
    memset(out, 0, sizeof *out);
    if (strlen(token) > sodium_base64_ENCODED_LEN(LINK_MAX, sodium_base64_VARIANT_URLSAFE_NO_PADDING) ||
        sodium_base642bin(b, sizeof b, token, strlen(token), NULL, &n, NULL,
                          sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0 ||
        n < 18 + MKEY_TAG_BYTES)
        return PHR_EINVAL;
    size_t body = n - MKEY_TAG_BYTES;
    unsigned char want[MKEY_TAG_BYTES];
    if (tag(mk, binding, b, body, want) || sodium_memcmp(want, b + body, MKEY_TAG_BYTES) != 0 || b[0] != LINK_VERSION || b[1] > PAGE_PREVIOUS)
        return PHR_EINVAL;
    /* Tagged by us: the layout is ours, yet read within bounds all the same. */
    out->dir = (enum page_dir)b[1];
    out->issued_at = get64(b + 2);
    out->snapshot = get64(b + 10);
    size_t at = 18;
    if (out->dir == PAGE_FIRST)
        return at == body ? PHR_OK : PHR_EINVAL;
    if (at + 8 > body)
        return PHR_EINVAL;
    out->at.rowid = get64(b + at);
    at += 8;
    const struct sort_term *terms = nsort ? sort : &by_date;
    for (int i = 0; i < (nsort ? nsort : 1); i++) {
        if (key_is_text(terms[i].key)) {
            if (at + 1 > body || at + 1 + b[at] > body)
                return PHR_EINVAL;
            size_t len = b[at++];
            memcpy(out->text[i], b + at, len);
            out->text[i][len] = '\0';
            out->at.texts[i] = out->text[i];
            at += len;
        } else {
            if (at + 8 > body)
                return PHR_EINVAL;
            out->at.ints[i] = get64(b + at);
            at += 8;
        }
    }
    return at == body ? PHR_OK : PHR_EINVAL;
}
