/* A person's records read from one snapshot with their key in hand
 * (service/ only). */
#ifndef PHR_SNAPSHOT_H
#define PHR_SNAPSHOT_H

#include "service/internal.h"

struct person_snapshot {
    struct service *svc;
    struct store *rd;              /* in a read transaction once opened */
    int in_read;
    unsigned char key[DATA_KEY_BYTES];
    char person[ID_LEN + 1];
    struct buf plain;              /* the part last opened */
    struct buf unreadable;         /* records whose sealed parts did not open: "Type/id/_history/v,…" */
    size_t nunreadable;
};

/* Takes a reader and the person's key, runs prepare (reads that must not
 * be in the transaction, NULL for none), then begins the read transaction.
 * PHR_ENOTFOUND if there is no such person (or no key: erased). Closed on
 * failure. */
int snapshot_open(struct service *svc, const char *person, int (*prepare)(void *, struct store *), void *arg,
                  struct person_snapshot *s);
/* Opens a row's "body" or "original" into s->plain (replacing it). A part
 * that does not open (its tag fails: the row was altered or the storage
 * corrupted) is PHR_ECRYPTO, logged naming the record and noted in
 * s->unreadable: the caller leaves that record out and the rest of its
 * answer stands, saying what it could not include (snapshot_outcome). */
int snapshot_open_part(struct person_snapshot *s, const struct record_row *r, const char *part);
/* The same, appended to out: for exports that copy the plaintext straight
 * into what they send (out then holds plaintext: the caller wipes it).
 * Nothing is appended when it fails. */
int snapshot_append_part(struct person_snapshot *s, const struct record_row *r, const char *part, struct buf *out);
/* The records left out, as a FHIR Bundle entry holding an OperationOutcome
 * (first: no leading comma; searchset: marked as the search's outcome);
 * nothing if none was. */
int snapshot_outcome(const struct person_snapshot *s, struct buf *out, int first, int searchset);
/* The same OperationOutcome alone (a .phr file's line). */
int snapshot_outcome_resource(const struct person_snapshot *s, struct buf *out);
void snapshot_close(struct person_snapshot *s);

/* After an announced termination's export deadline (R4.5), exports are
 * closed: PHR_EPERM with the deadline in *closed_on; and the answer that
 * says so (service-closed). */
int export_still_open(struct store *rd, int64_t *closed_on);
int export_closed_fault(const struct service *svc, int64_t closed_on, struct fault *fault);

#endif
