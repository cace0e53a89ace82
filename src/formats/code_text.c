#include "formats/code_text.h"

#include <string.h>

#include "formats/data_kinds.h"
#include "formats/tokutei_items.h"

#define ITEM_SYSTEM "urn:oid:" TOKUTEI_ITEM_OID

static int contains(const char *name, const char *text)
{
    return name && strcasestr(name, text) != NULL;
}

static int add(struct token_value *out, int cap, int *n, const char *system, const char *code)
{
    for (int i = 0; i < *n; i++)
        if (!strcmp(out[i].code, code) && !strcmp(out[i].system, system))
            return 0;
    if (*n == cap)
        return -1;
    out[(*n)++] = (struct token_value){.system = system, .code = code};
    return 0;
}

int code_text_find(const char *text, struct token_value *out, int cap, int *n)
{
    if (!*text)
        return 0;
    for (int k = 1; k < DK_COUNT; k++) {
        if (!contains(data_kind_label((enum data_kind)k, "ja"), text) &&
            !contains(data_kind_label((enum data_kind)k, "en"), text))
            continue;
        const char *system, *code;
        for (int i = 0; (code = data_kind_code((enum data_kind)k, i, &system)); i++)
            if (add(out, cap, n, system, code))
                return -1;
    }
    const struct tokutei_item *item;
    for (size_t i = 0; (item = tokutei_item_at(i)); i++)
        if (contains(item->name, text) && add(out, cap, n, ITEM_SYSTEM, item->code))
            return -1;
    return 0;
}
