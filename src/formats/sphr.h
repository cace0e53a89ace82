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

struct sphr_part {
    const char *path;            /* in the zip: "fhir/everything.json", "originals/<id>.xml" */
    const char *content_type, *title;
    const char *data;
    size_t len;
};

/* 0, or -1 (out of memory, or libzip failed). */
int sphr_package(const char *person_id, int64_t created_at, const struct sphr_part *parts, size_t n,
                 struct buf *zip);

#endif
