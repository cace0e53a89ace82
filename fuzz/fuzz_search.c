/* libFuzzer target: FHIR search parameters as a query string brings them
 * (key=value pairs split at '&', at most the router's 64), through the
 * parser every search runs: dates and their prefixes, tokens with their
 * commas, bars and escapes (cut in place), modifiers, sorting, _elements;
 * the first byte picks strict or lenient handling, and a search of one
 * type, across types or $everything. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "formats/search.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    struct search_arg args[64];
    int n = 0;
    for (char *p = text; p && n < 64;) {
        char *amp = strchr(p, '&');
        if (amp)
            *amp = '\0';
        char *eq = strchr(p, '=');
        if (eq)
            *eq = '\0';
        args[n++] = (struct search_arg){p, eq ? eq + 1 : NULL};
        p = amp ? amp + 1 : NULL;
    }
    struct search_params sp;
    struct fault fault;
    int pick = size ? data[0] : 0;
    struct search_context cx = {(pick & 6) ? NULL : "Observation", 540, 1796601600000LL, pick & 1, (pick & 6) == 6};
    search_parse(args, n, &cx, &sp, &fault);
    search_params_free(&sp);
    free(text);
    return 0;
}
