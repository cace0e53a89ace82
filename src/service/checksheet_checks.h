/* The checksheet's computed items (service/ only): each a function of the
 * store's facts and the running configuration at the moment of the
 * assessment, named in checksheet/items.json by its check. */
#ifndef PHR_CHECKSHEET_CHECKS_H
#define PHR_CHECKSHEET_CHECKS_H

#include "service/internal.h"

struct check_result {
    const char *status;
    char evidence[400];
    char reason[300];
};

struct check_context {
    struct service *svc;
    struct store *rd;
    struct checksheet_facts f;
    int64_t now;
};

/* The check's number, or -1 if none has that name. */
int checksheet_check_find(const char *name);
void checksheet_check_run(int i, struct check_context *c, struct check_result *r);

#endif
