/* Operational log: one JSON object per line on stderr. Callers pass only
 * operational facts (routes, statuses, durations, counts, ids); never a
 * health value, a password, a token or a key. There is deliberately no
 * "log this request body" helper. */
#ifndef PHR_LOG_H
#define PHR_LOG_H

#include <stdint.h>

enum log_level { LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR };

void log_set_level(enum log_level min);
/* event: a short dotted name ("http.request"); fields: alternating
 * key, value strings ending with NULL. Values are JSON-escaped. */
void log_event(enum log_level lvl, const char *event, ...) __attribute__((sentinel));
/* The request line: the fields every request log carries. */
void log_request(const char *req_id, const char *method, const char *route, int status,
                 double ms, const char *client);

#endif
