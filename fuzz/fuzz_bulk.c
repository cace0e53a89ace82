/* libFuzzer target: what reaches a Bulk export's kick-off and shapes its
 * files from outside — an _elements list, applied to a resource, and a
 * resource's JSON (a stored body's stand-in) subset by a fixed list. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "formats/elements.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char OBS[] = "{\"resourceType\":\"Observation\",\"id\":\"o\",\"status\":\"final\",\"code\":{},"
                          "\"meta\":{\"tag\":[]},\"effectiveDateTime\":\"2026-11-01\"}";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    struct elements e;
    struct fault fault;
    struct buf out;
    buf_init(&out);
    if (elements_parse(text, &e, &fault) == 0)
        elements_apply(&e, OBS, strlen(OBS), &out);
    buf_reset(&out);
    if (elements_parse("id,Observation.code,meta,status", &e, &fault) == 0)
        elements_apply(&e, text, size, &out);
    buf_free(&out);
    free(text);
    return 0;
}
