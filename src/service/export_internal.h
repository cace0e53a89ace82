/* The state of an export, shared by the streamed exports (exports.c) and
 * those made whole before they are sent (export_files.c); service/ only. */
#ifndef PHR_EXPORT_INTERNAL_H
#define PHR_EXPORT_INTERNAL_H

#include <json-c/json.h>

#include "formats/sphr.h"
#include "service/snapshot.h"

#define PAGE 200

struct export {
    struct person_snapshot snap;
    enum export_format format;
    int started, done;
    int64_t cursor, count;
    int64_t closed_on;
    char day[11];                  /* a checkup document: its day, its results' ids */
    int64_t day_lo, day_hi;
    struct buf ids, questions;     /* the 問診 answers apart: the document has a section for them */
    char *patient;                 /* お薬手帳: the patient record */
    char *kept[3];                 /* and the records kept in its original only: remarks, memos, pharmacist */
    json_object **found;           /* read when opened: お薬手帳, the medication; a CDA, the day's results */
    size_t nfound;
    int64_t patient_at;
    struct demographics person;    /* the person's own export: who they are, for the documents */
    json_object *institution;      /* a 健診結果報告書: the examining institution (an Organization), or NULL */
    int has_person;
    int shift_jis;
    /* A recipient's package (export_provided.c): only the kinds of data
     * the person's consent provides to it, and what went in. */
    int provided;
    data_kinds allowed;
    struct provision_list provided_items;
    struct buf package;            /* made whole when opened */
    char cover_id[ID_LEN + 1];     /* a .phr file: its cover Composition, which its Provenance names */
};

/* 1 if the record goes into e (always for the person's own). */
int export_allows(const struct export *e, const struct record_row *r);
/* Notes a record that went into a recipient's package. */
int export_note_provided(struct export *e, const struct record_row *r);

/* The whole of one streamed format (FHIR or CSV), from the start of the
 * snapshot, into b: 0, or -1. */
int export_whole(struct export *e, enum export_format f, struct buf *b);
/* service/export_checkup.c: whether r is a checkup result of e's day; the
 * day's results found (PHR_ENOTFOUND: none); a result as an entry of the
 * 健診結果報告書 (plain: its body); the document's head. */
int export_of_checkup(const struct export *e, const struct record_row *r);
int export_find_checkup(struct export *e);
int export_checkup_entry(struct buf *b, const struct export *e, const struct record_row *r, struct buf *plain);
int export_checkup_head(struct export *e, struct buf *b, const char *now);

/* The person's medication and the patient record for an お薬手帳 text,
 * read when the export opens; PHR_ENOTFOUND if there is no medication. */
int export_find_medication(struct export *e);
/* Keeps o (a record's body) in e->found; PHR_OK or PHR_ENOMEM (o put). */
int export_keep(struct export *e, json_object *o);
/* The cover page of what e exports (formats/sphr.h): the provider, the
 * moment and, in the person's own, their name (into name, the caller's)
 * and sex. */
void export_cover(struct export *e, struct sphr_cover *c, struct buf *name);
/* The SPHR package, the お薬手帳 text and the day's 特定健診 CDA: 0, or -1. */
int export_package(struct export *e, struct buf *out);
int export_okusuri(struct export *e, struct buf *b);
int export_cda(struct export *e, struct buf *b);

#endif
