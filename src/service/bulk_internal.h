/* Shared by the Bulk export's files (service/bulk.c: kick-off, status,
 * preparation; service/bulk_file.c: the files, made while fetched). */
#ifndef PHR_SERVICE_BULK_INTERNAL_H
#define PHR_SERVICE_BULK_INTERNAL_H

#include "formats/elements.h"
#include "service/internal.h"

/* Persons read at a time, and named by the patient parameter at most. */
#define PERSONS_PAGE 100
/* What is exported, Patient first: a client resolves the other files'
 * references with it. */
#define BULK_NTYPES 8
extern const char *const bulk_types[BULK_NTYPES];

struct found {
    const char *recipient;
    struct bulk_export_row row;
    char id[ID_LEN + 1], types[128], group[PURPOSE_CODE_MAX + 1];
    char elements[ELEMENTS_LIST_MAX + 1], patients[PERSONS_PAGE * (ID_LEN + 1) + 1];
    char counts[256], ignored[128], owner[ID_LEN + 1];
    int ok;
};

/* The recipient's own live export into f, or not-found (someone else's
 * reads as absent). 0, or -1 with the fault. */
int bulk_find(struct service *svc, const struct actor *a, const char *id, struct found *f, struct fault *fault);

/* service/bulk_prepare.c: the background preparation of new exports. */
int bulk_preparing_start(struct service *svc, struct ticker **out);

#endif
