/* bench/interop: the 特定健診 CDA reader (parse, schema validation, item
 * table, mapping) in MB/s over one file read many times, for scripts/bench.sh
 * to print beside xmllint --schema over the same bytes.
 *   interop FILE SECONDS  ->  prints "MB/s documents/s" */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "formats/cda.h"
#include "formats/cda_schema.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: interop FILE SECONDS\n");
        return 2;
    }
    FILE *f = fopen(argv[1], "rb");
    static char data[CDA_MAX_BYTES];
    size_t len = f ? fread(data, 1, sizeof data, f) : 0;
    if (f)
        fclose(f);
    if (!len || cda_schema_load() != 0) {
        fprintf(stderr, "interop: cannot read %s or load the schema\n", argv[1]);
        return 1;
    }
    double secs = atof(argv[2]), t0 = now(), t;
    long n = 0;
    do {
        struct cda_checkup c;
        struct fault fault;
        if (cda_read(data, len, &c, &fault) != 0) {
            fprintf(stderr, "interop: %s\n", fault.detail);
            return 1;
        }
        cda_checkup_free(&c);
        n++;
    } while ((t = now() - t0) < secs);
    printf("%.2f %.0f\n", (double)len * (double)n / t / 1e6, (double)n / t);
    return 0;
}
