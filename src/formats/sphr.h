/* SPHR packages (R4.3, R4.4): one zip holding a person's data for them to
 * keep or to hand to another PHR service, laid out as the PHR Council's
 * (PHRC) general module writes and reads them: a folder named for the
 * provider and the moment, "<provider-id>_<yyyyMMddHHmmssfff>/", holding
 * `index.phr` — NDJSON of a cover Composition (PhrComposition: LOINC
 * 11503-0, the person and the provider contained), a DocumentManifest and
 * one DocumentReference per file, typed by the PHRC document-type codes
 * where one fits and naming the file by its path in the folder, with its
 * media type, size and SHA-256 — and the files themselves; the service
 * signs the index (a detached JWS, index.phr.jws). A package may
 * hold several such folders (the PHRC module keeps the folders of other
 * services' packages it imported and hands them on); our earlier packages
 * had one index.phr at the root, and are still read. Built in memory with
 * libzip; no I/O. */
#ifndef PHR_SPHR_H
#define PHR_SPHR_H

#include <stddef.h>
#include <stdint.h>

#include "crypto/detached_jws.h"
#include "util/buf.h"
#include "util/fault.h"

#define SPHR_MAX_ENTRIES 1000
#define SPHR_MAX_ENTRY (4 * 1024 * 1024)
#define SPHR_MAX_TOTAL (64 * 1024 * 1024)
#define SPHR_MAX_RATIO 100
#define SPHR_MAX_FOLDERS 16

/* A document type of the PHRC's, as its module writes it (the PHRC's
 * profile draft lists the same kinds under a CodeSystem whose URL it has
 * not published). */
#define SPHR_DOCTYPE_SYSTEM "http://phr.or.jp/fhir/doctype"

struct sphr_doctype {
    const char *system, *code, *display;
};
extern const struct sphr_doctype sphr_type_checkup_cda, sphr_type_jahis;

/* A file of a package. An original is a file kept as it came whose records
 * another file of the package already holds (our packages mark them in the
 * index: type urn:phr:sphr-part "original"); the rest hold records. */
struct sphr_part {
    const char *path;            /* in the folder: "fhir/everything.json", "originals/<id>.xml" */
    const char *content_type, *title;
    const char *data;
    size_t len;
    int original;
    const struct sphr_doctype *type; /* NULL: none of the PHRC's fits */
};

/* Who and when, for the folder and the cover page. name and gender are
 * the person's own (their own export only; NULL otherwise). */
struct sphr_cover {
    const char *person_id, *provider_id, *provider_name;
    const char *name, *gender;
    int64_t created_at;
    int tz_offset_min;           /* the folder's moment is the provider's wall clock */
    const struct jws_signer *signer; /* signs the index (index.phr.jws beside it); NULL: unsigned */
};

/* 1 if id and name can name a provider in a package: id 1 to 32 of
 * [A-Za-z0-9.-], name 1 to 200 bytes of UTF-8 without control characters. */
int sphr_provider_ok(const char *id, const char *name);

/* The cover page alone (a .phr file's first line: its records follow),
 * and the Provenance that ends such a file (the provider assembled it);
 * each a line. 0, or -1 out of memory. */
int sphr_cover_write(const struct sphr_cover *c, const char *id, struct buf *out);
int sphr_provenance_write(const struct sphr_cover *c, const char *composition_id, struct buf *out);

/* 0, or -1 (out of memory, or libzip failed). */
int sphr_package(const struct sphr_cover *cover, const struct sphr_part *parts, size_t n, struct buf *zip);
/* The parts as a zip, each under its path and nothing added (no index):
 * what sphr_package writes once it has made the index. 0, or -1. */
int sphr_zip(const struct sphr_part *parts, size_t n, struct buf *zip);

/* Reading one (R4.2): the zip checked before anything is read from it —
 * at most SPHR_MAX_ENTRIES entries, none encrypted, names relative without
 * "..", each at most SPHR_MAX_ENTRY bytes and SPHR_MAX_RATIO times its
 * compressed size, all together at most SPHR_MAX_TOTAL — then the index:
 * index.phr at the root, or else each top folder's (at most
 * SPHR_MAX_FOLDERS), and every file a DocumentReference in it names, by a
 * path within its folder (a name it does not find is refused, and so is
 * a file whose bytes are not the size or SHA-256 its index gives); an
 * index's index.phr.jws is read for the caller to verify. A part's path
 * is its whole name in the zip. Files no index names are counted, not
 * read. */
struct sphr_signature {
    char *index;                 /* the index it signs: "index.phr", "<folder>/index.phr" */
    struct jws_detached jws;
};

struct sphr_pkg {
    struct sphr_part *parts;     /* everything owned (free with sphr_pkg_free) */
    size_t n, unindexed;
    struct sphr_signature *sigs; /* an index's detached JWS, where it has one */
    size_t nsigs;
};

int sphr_sniff(const char *data, size_t len);
/* 0, or -1 with the fault saying what is wrong (the entry, the rule). */
int sphr_read(const char *data, size_t len, struct sphr_pkg *out, struct fault *fault);
void sphr_pkg_free(struct sphr_pkg *p);

#endif
