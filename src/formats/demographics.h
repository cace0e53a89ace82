/* What a checkup file says about the person examined beyond the results:
 * sex, date of birth, postal code and prefecture (the 特定健診 CDA's
 * recordTarget, the 健診結果報告書's Patient). The service keeps them sealed
 * with the person's data key, for anonymised data sets (age bands,
 * prefecture) and for the documents it writes; never the name, the rest of
 * the address's text or the insurer's numbers. */
#ifndef PHR_DEMOGRAPHICS_H
#define PHR_DEMOGRAPHICS_H

#include "util/buf.h"

struct demographics {
    char sex[8];             /* "male", "female", or "" */
    char birth_date[11];     /* YYYY-MM-DD, or "" */
    char postal_code[9];     /* NNN-NNNN, or "" */
    char prefecture[3];      /* JIS X 0401 "01" … "47", or "" */
};

/* Each setter keeps the value only when it is well formed, and says so:
 * 0 kept, -1 left as it was. Sex by the MHLW code (1.2.392.200119.6.1104:
 * "1" male, "2" female) or FHIR's gender ("male", "female"); a birth date
 * as YYYYMMDD or YYYY-MM-DD; a postal code of seven digits, with or
 * without the hyphen. */
int demographics_sex(struct demographics *d, const char *code);
int demographics_birth(struct demographics *d, const char *date);
int demographics_postal(struct demographics *d, const char *text);
/* The prefecture an address begins with, or one named or coded alone
 * (formats/prefectures.h). */
int demographics_prefecture(struct demographics *d, const char *text);
/* 1 if anything is known. */
int demographics_any(const struct demographics *d);
/* {"sex":…,"birth_date":…,"postal_code":…,"prefecture":…,"as_of":day}
 * with only what is known. */
int demographics_json(const struct demographics *d, const char *as_of, struct buf *out);

#endif
