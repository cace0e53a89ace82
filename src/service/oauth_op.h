/* Shared by the OAuth endpoints' files (service/oauth.c: the client's
 * proof and client_credentials; service/app_tokens.c: an app's code and
 * refresh grants, introspection, revocation): one op for all of them. */
#ifndef PHR_SERVICE_OAUTH_OP_H
#define PHR_SERVICE_OAUTH_OP_H

#include "service/internal.h"

#define JTI_MAX 128
#define REDIRECT_MAX 2048

enum oauth_mode { MODE_TOKEN, MODE_INTROSPECT, MODE_REVOKE };
enum oauth_grant { GRANT_CLIENT_CREDENTIALS, GRANT_CODE, GRANT_REFRESH };

struct token_op {
    struct op op;
    enum oauth_mode mode;
    enum oauth_grant grant;
    char client[ID_LEN + 1];      /* the client named, "" if none could be */
    int by_secret;                /* authenticated at commit against the stored hash */
    int public_only;              /* named by client_id alone: a public app's, checked at commit */
    unsigned char presented[32];
    struct fault refused;         /* a refusal decided before commit (code F_NONE: none) */
    char jti[JTI_MAX + 1];
    int64_t jti_expires_at;
    char scope[SCOPE_MAX];
    char token[65];
    unsigned char token_hash[32];
    /* An app's grants. */
    unsigned char presented_secret[32]; /* the code, refresh token or (introspection) token, hashed */
    char redirect_uri[REDIRECT_MAX + 1];
    char challenge[44];           /* base64url SHA-256 of the code_verifier */
    char patient[ID_LEN + 1], grant_id[ID_LEN + 1];
    char refresh[65];
    unsigned char refresh_hash[32];
    /* Introspection's answer. */
    int active;
    int64_t expires_at;
};

/* The refusal on the record, and as the answer; known: the client is
 * named in the record. */
int oauth_refuse(struct token_op *t, struct store *st, const struct fault *why, int known);
/* service/app_tokens.c: the commits and answers past the client's proof. */
int app_token_commit(struct token_op *t, struct store *st);
int introspect_commit(struct token_op *t, struct store *st);
int revoke_commit(struct token_op *t, struct store *st);
int app_token_render(struct token_op *t, struct buf *out);
/* What an app's grant asks, checked before commit into t->refused. */
void app_grant_decide(struct token_op *t, const struct token_request *tr);

#endif
