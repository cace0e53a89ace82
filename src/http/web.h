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
/* A file as it is served: its bytes, the same gzipped (sent to a client
 * that takes gzip), its type and its ETag (a digest of its bytes: a client
 * revalidates, and a file changed by an upgrade is a new one). */
struct web_file {
    const char *body, *gz, *ctype, *etag;
    size_t len, gz_len;
};

/* The file for a request path ("/" is index.html): 0, or -1 if none. */
int web_find(const struct web *w, const char *path, struct web_file *out);

#endif
