/* libFuzzer target, structure-aware: the input is a list of files, each
 * begun by a line "=== NAME" and holding the bytes up to the next such
 * line; the harness zips them (libzip, as a real package is made), so that
 * every input passes libzip's own checks and reaches what the SPHR reader
 * does with a package — the entry rules, index.phr (when one of the files
 * is named so: fuzzed NDJSON), the files the index names. Then the same
 * files as the service would package them, in its folder with an index
 * made for them: a package the service made and its reader accepts must
 * give every file back byte for byte, under that folder, and its index's
 * signature must verify. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "formats/sphr.h"

#define MAX_FILES 64

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Splits the input into files; names and contents point into copy. */
static size_t split(char *copy, size_t size, struct sphr_part *parts)
{
    size_t n = 0;
    char *end = copy + size;
    char *p = copy;
    while (n < MAX_FILES && p + 4 <= end && !memcmp(p, "=== ", 4)) {
        char *name = p + 4;
        char *nl = memchr(name, '\n', (size_t)(end - name));
        if (!nl)
            break;
        *nl = '\0';
        char *body = nl + 1, *stop = body;
        while (stop + 5 <= end && memcmp(stop, "\n=== ", 5))
            stop++;
        if (stop + 5 > end)
            stop = end;
        parts[n++] = (struct sphr_part){.path = name, .content_type = "application/octet-stream", .title = name,
                                        .data = body, .len = (size_t)(stop - body)};
        if (stop < end)
            *stop = '\0';
        p = stop < end ? stop + 1 : end;
    }
    return n;
}

/* A fixed key: the package's signature must verify when read back. */
static unsigned char pk[crypto_sign_PUBLICKEYBYTES], sk[crypto_sign_SECRETKEYBYTES];
static int ready;

static void sign_with(const void *key, const unsigned char *msg, size_t len, unsigned char sig[JWS_ED25519_SIG])
{
    crypto_sign_detached(sig, NULL, msg, len, key);
}

static void read_back(const struct buf *zip, const struct sphr_part *parts, size_t n, int ours)
{
    struct sphr_pkg pkg;
    struct fault fault;
    if (sphr_read(zip->data, zip->len, &pkg, &fault) != 0)
        return;
    if (ours) {
        if (pkg.n != n || pkg.nsigs != 1 || jws_detached_verify(&pkg.sigs[0].jws, pk))
            abort();
        for (size_t i = 0; i < n; i++)
            /* Read back under the package's folder: "<provider>_<moment>/<path>". */
            if (pkg.parts[i].len != parts[i].len || memcmp(pkg.parts[i].data, parts[i].data, parts[i].len) ||
                !strchr(pkg.parts[i].path, '/') || strcmp(strchr(pkg.parts[i].path, '/') + 1, parts[i].path))
                abort();
    }
    sphr_pkg_free(&pkg);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *copy = malloc(size + 1);
    if (!copy)
        return 0;
    memcpy(copy, data, size);
    copy[size] = '\0';
    struct sphr_part parts[MAX_FILES];
    size_t n = split(copy, size, parts);
    struct buf zip;
    buf_init(&zip);
    if (n && sphr_zip(parts, n, &zip) == 0)
        read_back(&zip, parts, n, 0);
    buf_reset(&zip);
    /* As the service packages them: its index first, the files as they are. */
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (strcmp(parts[i].path, "index.phr"))
            parts[k++] = parts[i];
    if (!ready) {
        unsigned char seed[crypto_sign_SEEDBYTES] = {1};
        if (sodium_init() < 0)
            abort();
        crypto_sign_seed_keypair(pk, sk, seed);
        ready = 1;
    }
    struct jws_signer signer = {.sign = sign_with, .key = sk};
    jws_ed25519_kid(pk, signer.kid);
    struct sphr_cover cover = {.person_id = "00000000-0000-4000-8000-000000000001", .provider_id = "phr",
                               .provider_name = "PHR service", .created_at = 1800000000000LL, .tz_offset_min = 540,
                               .signer = &signer};
    if (sphr_package(&cover, parts, k, &zip) == 0)
        read_back(&zip, parts, k, 1);
    buf_free(&zip);
    free(copy);
    return 0;
}
