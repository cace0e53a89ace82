#include "crypto/detached_jws.h"

#include <stdio.h>
#include <string.h>
#include <json-c/json.h>
#include <sodium.h>

#define B64 sodium_base64_VARIANT_URLSAFE_NO_PADDING
#define MAX_HEADER 1024

static int b64_append(struct buf *b, const unsigned char *bin, size_t n)
{
    size_t need = sodium_base64_ENCODED_LEN(n, B64);
    if (buf_reserve(b, need))
        return -1;
    sodium_bin2base64(b->data + b->len, need, bin, n, B64);
    b->len += need - 1;
    return 0;
}

void jws_ed25519_kid(const unsigned char pk[JWS_ED25519_PUBLIC], char kid[JWS_KID_LEN + 1])
{
    /* RFC 7638: the required members in lexical order, no whitespace. */
    char x[64], canon[128];
    unsigned char digest[crypto_hash_sha256_BYTES];
    sodium_bin2base64(x, sizeof x, pk, JWS_ED25519_PUBLIC, B64);
    int n = snprintf(canon, sizeof canon, "{\"crv\":\"Ed25519\",\"kty\":\"OKP\",\"x\":\"%s\"}", x);
    crypto_hash_sha256(digest, (const unsigned char *)canon, (unsigned long long)n);
    sodium_bin2base64(kid, JWS_KID_LEN + 1, digest, sizeof digest, B64);
}

int jws_ed25519_jwk(const unsigned char pk[JWS_ED25519_PUBLIC], struct buf *out)
{
    char kid[JWS_KID_LEN + 1];
    jws_ed25519_kid(pk, kid);
    return buf_puts(out, "{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"use\":\"sig\",\"alg\":\"EdDSA\",\"x\":\"") ||
                   b64_append(out, pk, JWS_ED25519_PUBLIC) || buf_printf(out, "\",\"kid\":\"%s\"}", kid)
               ? -1
               : 0;
}

int jws_detached_sign(const struct jws_signer *s, const char *content, size_t len, struct buf *out)
{
    struct buf header = {0}, input = {0};
    unsigned char sig[JWS_ED25519_SIG];
    int rc = -1;
    if (buf_printf(&header, "{\"alg\":\"EdDSA\",\"kid\":\"%s\"}", s->kid) ||
        b64_append(&input, (const unsigned char *)header.data, header.len) || buf_puts(&input, ".") ||
        b64_append(&input, (const unsigned char *)content, len))
        goto out;
    s->sign(s->key, (const unsigned char *)input.data, input.len, sig);
    size_t dot = (size_t)(strchr(input.data, '.') - input.data);
    rc = buf_append(out, input.data, dot) || buf_puts(out, "..") || b64_append(out, sig, sizeof sig) ? -1 : 0;
out:
    buf_free(&header);
    buf_free(&input);
    return rc;
}

int jws_detached_read(const char *jws, size_t n, const char *content, size_t len, struct jws_detached *out,
                      struct fault *fault)
{
    memset(out, 0, sizeof *out);
    while (n && strchr(" \t\r\n", jws[n - 1]))
        n--;
    const char *dots = memchr(jws, '.', n);
    if (!dots || dots == jws || (size_t)(dots - jws) > MAX_HEADER * 2 || dots + 1 >= jws + n || dots[1] != '.')
        return fault_set(fault, F_INVALID_STRUCTURE, NULL, "not a detached JWS (header..signature)");
    size_t hn = (size_t)(dots - jws);
    char header[MAX_HEADER * 2];
    size_t got = 0;
    if (sodium_base642bin((unsigned char *)header, sizeof header - 1, jws, hn, NULL, &got, NULL, B64))
        return fault_set(fault, F_INVALID_STRUCTURE, NULL, "the JWS header is not base64url");
    header[got] = '\0';
    json_object *h = json_tokener_parse(header);
    json_object *alg = NULL, *kid = NULL;
    int ok = h && json_object_is_type(h, json_type_object) && json_object_object_get_ex(h, "alg", &alg) &&
             json_object_is_type(alg, json_type_string);
    if (ok) {
        snprintf(out->alg, sizeof out->alg, "%s", json_object_get_string(alg));
        if (json_object_object_get_ex(h, "kid", &kid) && json_object_is_type(kid, json_type_string))
            snprintf(out->kid, sizeof out->kid, "%s", json_object_get_string(kid));
    }
    json_object_put(h);
    if (!ok)
        return fault_set(fault, F_INVALID_STRUCTURE, NULL, "the JWS header is not JSON with an alg");
    if (strcmp(out->alg, "EdDSA"))
        return 0; /* read; not verifiable here */
    const char *s = dots + 2;
    size_t sn = (size_t)(jws + n - s);
    if (sodium_base642bin(out->sig, sizeof out->sig, s, sn, NULL, &got, NULL, B64) || got != sizeof out->sig)
        return fault_set(fault, F_INVALID_STRUCTURE, NULL, "the JWS signature is not an EdDSA signature");
    struct buf *in = &out->input;
    if (buf_append(in, jws, hn) || buf_puts(in, ".") || b64_append(in, (const unsigned char *)content, len)) {
        jws_detached_free(out);
        return fault_set(fault, F_INTERNAL, NULL, "out of memory");
    }
    return 0;
}

int jws_detached_verify(const struct jws_detached *d, const unsigned char pk[JWS_ED25519_PUBLIC])
{
    if (strcmp(d->alg, "EdDSA") || !d->input.len)
        return -1;
    return crypto_sign_verify_detached(d->sig, (const unsigned char *)d->input.data, d->input.len, pk) ? -1 : 0;
}

void jws_detached_free(struct jws_detached *d)
{
    buf_free(&d->input);
}
