/* The portal's files (web/: HTML, CSS, ES modules), read once when the
 * server starts and served from memory. Only the files listed in web.c are
 * served: a request names an entry of that list, never a path. */
#ifndef PHR_WEB_H
#define PHR_WEB_H

#include <stddef.h>

struct web;

/* Reads every listed file from dir; PHR_ENOTFOUND (logged, naming the file)
 * if one is missing. */
int web_load(const char *dir, struct web **out);
void web_free(struct web *w);
/* The file for a request path ("/" is index.html), or NULL. */
const char *web_file(const struct web *w, const char *path, size_t *len, const char **ctype);

#endif
