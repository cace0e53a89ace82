/* The rows of an anonymised data set before the engine (R3.13,
 * service/anonymised_rows.c): one per checkup of a person who may be
 * included, in the period, in ARX's ';'-separated form with a header, in
 * random order; and who was left out and why. */
#ifndef PHR_SERVICE_ANONYMISED_ROWS_H
#define PHR_SERVICE_ANONYMISED_ROWS_H

#include <stddef.h>

#include "formats/anon_spec.h"
#include "util/buf.h"

struct service;

struct anonymised_rows {
    const struct anon_spec *spec;
    struct service *svc;
    struct buf text;
    size_t rows, persons, suspended, no_consent, no_demographics, no_checkup;
};

/* Fills text and the counts from spec. An error code (PHR_EIO when the
 * store cannot be read); the caller wipes text. */
int anonymised_rows_collect(struct anonymised_rows *m);

#endif
