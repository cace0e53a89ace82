/* libFuzzer target: an ARX table and a hierarchy of its first column, as
 * `phr anonymise csv` reads them (the two texts apart at the first empty
 * line), then the search for 2-anonymity with distinct 2-diversity of the
 * last column, some suppression allowed, and the anonymised table written. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "anon/anonymise.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *text = (const char *)data, *gap = memmem(text, size, "\n\n", 2);
    size_t table_len = gap ? (size_t)(gap - text) : size;
    struct anon_table t;
    struct anon_hierarchy h;
    struct anon_error e;
    if (anon_table_read(text, table_len, ';', &t, &e))
        return 0;
    const char *rest = gap ? gap + 2 : text + size;
    if (!anon_hierarchy_read(rest, (size_t)(text + size - rest), ';', &t, 0, &h, &e)) {
        size_t qi = 0;
        struct anon_config cfg = {.n_qi = 1, .qi = &qi, .h = &h, .sensitive = t.cols > 1 ? (long)t.cols - 1 : -1,
                                  .k = 2, .diversity = t.cols > 1 ? ANON_DISTINCT : ANON_NO_DIVERSITY, .l = 2,
                                  .suppression = 0.1, .metric = ANON_ENTROPY, .gs_factor = 0.5};
        struct anon_result r;
        if (!anon_run(&t, &cfg, &r, &e) && r.found) {
            struct buf out = {0};
            anon_write(&t, &cfg, &r, ';', &out);
            buf_free(&out);
        }
        anon_result_free(&r);
        anon_hierarchy_free(&h);
    }
    anon_table_free(&t);
    return 0;
}
