/* oidc.h - the relying party side of OpenID Connect Core 1.0 that an
 * issuer needs to learn who the user is from an upstream OpenID Provider
 * in the wallet-initiated authorization code flow: the provider's
 * discovery document (OpenID Connect Discovery 1.0 section 3), its JWK
 * Set, and the token response whose ID token is verified (Core sections
 * 3.1.3.3, 3.1.3.5 and 3.1.3.7) with libvci's JWS functions.
 *
 * Parsing and checking only: the HTTP is the caller's (base/http.h).
 * Inputs are bounded (VCI_OIDC_DOC_MAX) and parsed strictly (no
 * duplicate members). Thread safety: the functions keep no state; a
 * parsed provider and JWK Set are read-only and may be shared. */
#ifndef VCI_OIDC_H
#define VCI_OIDC_H

#include "base/common.h"

#define VCI_OIDC_DOC_MAX (256u << 10)   /* largest document read */
#define VCI_OIDC_SKEW 60                /* seconds of clock skew allowed */

/* What the discovery document says the relying party needs. */
typedef struct vci_oidc_provider {
	char *issuer;                   /* equal to the issuer asked for */
	char *authorization_endpoint;   /* network targets (url.h) */
	char *token_endpoint;
	char *jwks_uri;
	int basic_auth;                 /* client_secret_basic supported (the
					   default when the document names no
					   token_endpoint_auth_methods) */
	int post_auth;                  /* client_secret_post supported */
} vci_oidc_provider_t;

/* Parse a discovery document (len bytes of JSON). "issuer" must equal
 * `issuer` exactly (Discovery section 4.3); the three endpoints must be
 * network targets (https, or http on loopback) without fragment;
 * response_types_supported must hold "code"; S256 must be among the
 * code_challenge_methods_supported when the document names them. 0 with
 * *p filled (clear it), or -1 with err (VCI_EXIT_INPUT, code
 * "invalid_provider", "WHAT: why"); *p is cleared on failure. */
int vci_oidc_discovery_parse(const char *text, size_t len, const char *issuer,
			     vci_oidc_provider_t *p, vci_err_t *err);
void vci_oidc_provider_clear(vci_oidc_provider_t *p);

/* Parse the provider's JWK Set: {"keys": [...]}, each key public and
 * importable (vci_jwk_to_pkey), keys with use "enc" skipped, kids unique.
 * A new reference, or NULL with err (VCI_EXIT_INPUT, "invalid_provider").
 * An empty set (after skipping) is refused. */
json_t *vci_oidc_jwks_parse(const char *text, size_t len, vci_err_t *err);

/* What the ID token must match. */
typedef struct vci_oidc_expect {
	const char *issuer;      /* the provider's issuer */
	const char *client_id;   /* our client_id at the provider: aud */
	const char *nonce;       /* the nonce sent in the authorization request */
	int64_t now;             /* 0: the clock */
} vci_oidc_expect_t;

/* The token endpoint's JSON answer (len bytes): its "id_token" parsed and
 * verified against `jwks` (vci_oidc_jwks_parse): the key named by the
 * header's kid (the only signing key when there is no kid), an asymmetric
 * alg (never none or HS*); then iss equal to x->issuer, aud holding
 * x->client_id (and azp equal to it when aud holds several), exp after
 * now less the skew, iat present and not in the future beyond the skew,
 * nonce equal to x->nonce (constant time), sub a non-empty string.
 * Returns the verified claims (a new reference), or NULL with err:
 * VCI_EXIT_INPUT ("invalid_provider") for an answer that is not a token
 * response, VCI_EXIT_FAIL ("invalid_id_token") for an ID token that fails
 * a check, named in the message. */
json_t *vci_oidc_id_token_verify(const char *body, size_t len, const json_t *jwks,
				 const vci_oidc_expect_t *x, vci_err_t *err);

/* The claims of a credential made from verified ID token claims with a
 * definition's oidc_claims mapping (`map`: an object whose keys are claim
 * paths of the credential, "/" between the levels, and whose values are
 * the names of ID token claims), or, when map is NULL, the ID token claims
 * whose names are the top-level claim names in `names` (an array of
 * strings, or NULL for none). Claims absent from the ID token are left
 * out. `into` (an object) receives them; 0, or -1 with err
 * (VCI_EXIT_INPUT for a path that cannot be made, out of memory). */
int vci_oidc_claims_map(const json_t *idt, const json_t *map, const json_t *names,
			json_t *into, vci_err_t *err);

/* The provider's answer at our callback (OpenID Connect Core 3.1.2.5 and
 * 3.1.2.6): the query string of GET P/oidc/callback. */
typedef struct vci_oidc_callback {
	char *state;   /* never NULL after a successful parse */
	char *code;    /* NULL when the provider sent none */
	char *error;   /* the provider's error code, or NULL */
} vci_oidc_callback_t;

/* Parse the callback's query (len bytes, raw, after '?'; NULL with len 0
 * for none) as a form (oid4vci/request.h vci_form_fields): state, code
 * and error decoded, other parameters ignored. state is required, at most
 * VCI_OIDC_STATE_MAX bytes (ours are shorter) and without an embedded NUL;
 * code at most VCI_OIDC_CODE_MAX bytes; error only of the characters
 * RFC 6749 section 4.1.2.1 allows (printable ASCII but the double quote and backslash, so
 * it can be logged as it is). 0 with *cb filled (clear it), or
 * -1 with err (VCI_EXIT_FAIL, "invalid_request": malformed, repeated,
 * missing or too long; the message never holds a value) and *cb cleared.
 * Pure: no I/O, no store, thread-safe. */
#define VCI_OIDC_STATE_MAX 256
#define VCI_OIDC_CODE_MAX 4096
int vci_oidc_callback_parse(const char *query, size_t len, vci_oidc_callback_t *cb,
			    vci_err_t *err);
/* Wipe (state and code are secrets) and free the members; NULL-safe. */
void vci_oidc_callback_clear(vci_oidc_callback_t *cb);

/* Split a login's sealed secret "VERIFIER NONCE" (what the authorization
 * endpoint stored with the login) into `verifier` (a buffer of vsize
 * bytes, NUL-terminated) and *nonce (pointing into `secret`). 0, or -1
 * with err (VCI_EXIT_IO, "server_error", "login: damaged") when there is
 * no space, the verifier is empty or does not fit, or the nonce is empty;
 * `verifier` is wiped on failure. Pure, thread-safe. */
int vci_oidc_login_secret_split(const char *secret, char *verifier, size_t vsize,
				const char **nonce, vci_err_t *err);

#endif
