/* The text layer of JAHIS お薬手帳 files, below the records: the
 * encodings they come in (UTF-8, or Shift_JIS as QR codes carry them) and
 * the field forms (dates in the Western or the Japanese era calendar,
 * digits, decimals). */
#ifndef PHR_JAHIS_TEXT_H
#define PHR_JAHIS_TEXT_H

#include <stddef.h>
#include <stdint.h>

#include "formats/demographics.h"
#include "util/buf.h"
#include "util/fault.h"

/* The text as NUL-terminated UTF-8 (malloc'd): as given if it is UTF-8
 * already (a BOM dropped), else converted from Shift_JIS (CP932). NULL
 * with the fault filled. */
char *jahis_utf8(const char *data, size_t len, struct fault *fault);
/* 1 if s is exactly n ASCII digits. */
int jahis_digits(const char *s, size_t n);
/* YYYYMMDD, or a Japanese era date GYYMMDD (M, T, S, H, R), as YYYY-MM-DD
 * and that day in Japan (ms); 0, or -1 if it is no such date. */
int jahis_date(const char *s, char out[11], int64_t *lo, int64_t *hi);
/* s (NULL: empty) appended as a field of a record: a comma, which would
 * split it, written full-width, a line end as a space. -1 out of memory. */
int jahis_field(struct buf *b, const char *s);
/* 1 if s is a decimal number as JAHIS writes one (digits, a point, digits). */
int jahis_decimal(const char *s);
/* Record 1's fields (f, nf of them; its birth date read already as day)
 * into d: 0, or -1 out of memory. */
int jahis_person(struct demographics *d, char **f, int nf, const char *day);

#endif
