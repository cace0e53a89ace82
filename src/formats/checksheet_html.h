/* The published checksheet as an HTML page in the portal's layout (its
 * stylesheet, header and footer) for links from outside: plain markup, no
 * script, no inline style (the strict Content-Security-Policy allows
 * neither), Japanese first with the English beside it, days in Japan's. */
#ifndef PHR_CHECKSHEET_HTML_H
#define PHR_CHECKSHEET_HTML_H

#include <json-c/json.h>

#include "util/buf.h"

/* sheet: as checksheet_published() gives it. 0, or -1 out of memory. */
int checksheet_html(json_object *sheet, struct buf *out);

#endif
