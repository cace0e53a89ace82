/* SPHR packages (R4.3, R4.4): one zip holding a person's data for them to
 * keep or to hand to another PHR service — `index.phr`, NDJSON of a
 * Composition (what the package is), a DocumentManifest (what it holds)
 * and one DocumentReference per file, whose attachment names the file by
 * its path in the zip, with its media type, size and SHA-256 — and the
 * files themselves. Built in memory with libzip; no I/O. */
#ifndef PHR_SPHR_H
#define PHR_SPHR_H

#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"
#include "util/fault.h"

#define SPHR_MAX_ENTRIES 1000
#define SPHR_MAX_ENTRY (4 * 1024 * 1024)
#define SPHR_MAX_TOTAL (64 * 1024 * 1024)
#define SPHR_MAX_RATIO 100

/* A file of a package. An original is a file kept as it came whose records
 * another file of the package already holds (our packages mark them in the
 * index: type urn:phr:sphr-part "original"); the rest hold records. */
struct sphr_part {
    const char *path;            /* in the zip: "fhir/everything.json", "originals/<id>.xml" */
    const char *content_type, *title;
    const char *data;
    size_t len;
    int original;
};

/* 0, or -1 (out of memory, or libzip failed). */
int sphr_package(const char *person_id, int64_t created_at, const struct sphr_part *parts, size_t n,
                 struct buf *zip);
/* The parts as a zip, each under its path and nothing added (no index):
 * what sphr_package writes once it has made the index. 0, or -1. */
int sphr_zip(const struct sphr_part *parts, size_t n, struct buf *zip);

/* Reading one (R4.2): the zip checked before anything is read from it —
 * at most SPHR_MAX_ENTRIES entries, none encrypted, names relative without
 * "..", each at most SPHR_MAX_ENTRY bytes and SPHR_MAX_RATIO times its
 * compressed size, all together at most SPHR_MAX_TOTAL — then index.phr,
 * and every file a DocumentReference in it names (a name it does not find
 * is refused). Files the index does not name are counted, not read. */
struct sphr_pkg {
    struct sphr_part *parts;     /* everything owned (free with sphr_pkg_free) */
    size_t n, unindexed;
};

int sphr_sniff(const char *data, size_t len);
/* 0, or -1 with the fault saying what is wrong (the entry, the rule). */
int sphr_read(const char *data, size_t len, struct sphr_pkg *out, struct fault *fault);
void sphr_pkg_free(struct sphr_pkg *p);

#endif
