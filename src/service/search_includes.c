/* What a search page sends beside its matches when asked: the documents
 * its records were imported from (_include=Observation:derived-from) and
 * the provisions that sent them to a partner (_revinclude=
 * Provenance:target). Each is sent only where the caller may read it — a
 * partner gets a document only while its consent provides documents, and
 * provisions are the person's to read — so an include never reaches what a
 * search of its own would not (hapi-fhir #1507; fhir-server #5683). */
#include <stdio.h>
#include <string.h>

#include "access/gate.h"
#include "formats/consent_fhir.h"
#include "service/reads_internal.h"
#include "store/recipients.h"
#include "store/records.h"
#include "util/err.h"

static int include_row(void *arg, const struct record_row *row)
{
    struct read_op *r = arg;
    int err = append_row(r, row);
    if (!err)
        r->rows[r->nrows - 1].included = 1;
    return err;
}

/* Whether an earlier match came from the same file (its document is looked
 * up, or known absent, already): one query per document, not per row. */
static int same_file_before(const struct read_op *r, size_t i)
{
    for (size_t j = 0; j < i; j++)
        if (r->rows[j].has_mac && !memcmp(r->rows[j].mac, r->rows[i].mac, sizeof r->rows[i].mac))
            return 1;
    return 0;
}

/* Whether the document is on the page already, as a match or included. */
static int on_page(const struct read_op *r, const char *doc)
{
    for (size_t j = 0; j < r->nrows; j++)
        if (!strcmp(r->rows[j].id, doc))
            return 1;
    return 0;
}

int include_documents(struct read_op *r, struct store *rd, data_kinds provided)
{
    if (!(provided & DATA_KIND_BIT(DK_DOCUMENTS)))
        return PHR_OK; /* a partner whose consent provides no documents: none */
    size_t matches = r->nrows;
    for (size_t i = 0; i < matches; i++) {
        if (!r->rows[i].has_mac || !strcmp(r->rows[i].type, "DocumentReference") || same_file_before(r, i))
            continue;
        char doc[37];
        int err = store_record_by_original(rd, r->subject, "DocumentReference", r->rows[i].mac, doc);
        if (err == PHR_ENOTFOUND)
            continue; /* the document was replaced, or the record was not imported from one */
        if (!err && !on_page(r, doc))
            err = store_record_get(rd, doc, 0, include_row, r);
        if (err)
            return err;
    }
    if (r->op.actor.kind == ACTOR_RECIPIENT && r->nrows > matches)
        r->asked |= DATA_KIND_BIT(DK_DOCUMENTS); /* decided again on the writer with the rest */
    return PHR_OK;
}

struct provenance_ctx {
    struct read_op *r;
    size_t n;
};

/* Whether the provision's items ("Observation/<id>/_history/<v>,…") name
 * one of the page's matches. */
static int names_a_match(const struct read_op *r, const char *items)
{
    for (size_t i = 0; i < r->nrows; i++) {
        if (r->rows[i].included)
            continue;
        char ref[80];
        int n = snprintf(ref, sizeof ref, "%s/%s/", r->rows[i].type, r->rows[i].id);
        for (const char *at = items; n > 0 && (at = strstr(at, ref)); at += n)
            if (at == items || at[-1] == ',')
                return 1;
    }
    return 0;
}

static int provenance_row(void *arg, const struct provision_row *p)
{
    struct provenance_ctx *c = arg;
    struct read_op *r = c->r;
    if (!p->items || !names_a_match(r, p->items))
        return PHR_OK;
    struct provision_entry e = {
        .seq = p->seq, .at = p->at, .purpose = p->purpose, .purpose_version = p->purpose_version,
        .consent_seq = p->consent_seq, .items = p->items, .recipient_name = p->recipient_name,
        .recipient_country = p->recipient_country,
    };
    struct buf *b = &r->revincluded;
    if (buf_printf(b, "%s{\"fullUrl\":\"", c->n++ ? "," : "") || buf_json_escape(b, r->base_url, strlen(r->base_url)) ||
        buf_printf(b, "/Provenance/p%lld\",\"resource\":", (long long)p->seq) || provision_fhir_write(b, &e) ||
        buf_puts(b, ",\"search\":{\"mode\":\"include\"}}") ||
        buf_printf(&r->ids, "%sProvenance/p%lld", r->ids.len ? "," : "", (long long)p->seq))
        return PHR_ENOMEM;
    return PHR_OK;
}

int revinclude_provenance(struct read_op *r, struct store *rd)
{
    /* The provisions are the person's to read (and their staff's, under a
     * reason); a partner learns nothing of what went to others. */
    if (!r->nrows || gate_decide(&r->op.actor, ACT_PROVISION_READ, r->subject) != GATE_ALLOW)
        return PHR_OK;
    struct provenance_ctx c = {r, 0};
    return store_provision_list(rd, r->subject, provenance_row, &c);
}
