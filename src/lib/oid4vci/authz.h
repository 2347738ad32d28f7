/* authz.h - the authorization code flow of an issuer's Authorization
 * Server, parsed and checked as the specifications say: the pushed
 * authorization request (RFC 9126 section 2.1, with the parameters of
 * RFC 6749 section 4.1.1, PKCE RFC 7636 section 4.3 and OpenID4VCI 1.0
 * section 5.1), the authorization request that names it (RFC 9126
 * section 4), what it asks for (OpenID4VCI 1.0 sections 5.1.1 and 5.1.2:
 * authorization_details of type openid_credential and scope values, each
 * scope read alone, unknown scopes ignored) and the PKCE check at the
 * token endpoint (RFC 7636 section 4.6, S256 only as HAIP and FAPI 2.0
 * require).
 *
 * Nothing here keeps state or does I/O: single use of request_uri and
 * codes, client authentication and storage are the caller's. Errors are
 * VCI_EXIT_FAIL with the OAuth error code of the endpoint
 * ("invalid_request", "unsupported_response_type", "invalid_scope",
 * "invalid_authorization_details", "invalid_grant"); out of memory is
 * VCI_EXIT_IO "server_error". Messages name the parameter and never carry
 * a secret (code_verifier, issuer_state, request_uri). Thread-safe. */
#ifndef VCI_AUTHZ_H
#define VCI_AUTHZ_H

#include "base/common.h"
#include "defn.h"

#include <jansson.h>

#define VCI_AUTHZ_REQUEST_URI_PREFIX "urn:ietf:params:oauth:request_uri:"
#define VCI_GRANT_AUTHORIZATION_CODE "authorization_code"
#define VCI_AUTHZ_VALUE_MAX 2048   /* longest parameter value accepted */
#define VCI_AUTHZ_CLIENT_ID_MAX 255 /* longest client_id (a wallet attestation's sub too) */

/* A pushed authorization request's parameters (all malloc'd, NUL-free
 * strings, or NULL when not sent). */
typedef struct vci_authz_request {
	char *response_type;         /* "code" (checked) */
	char *client_id;             /* required */
	char *redirect_uri;          /* required: absolute, no fragment */
	char *code_challenge;        /* required: 43 base64url characters */
	char *code_challenge_method; /* "S256" (checked; absent refused) */
	char *scope;                 /* space-separated scope values, or NULL */
	char *authorization_details; /* JSON text, or NULL */
	char *issuer_state;          /* secret-like: wiped by clear */
	char *state;                 /* the client's state, echoed back */
	char *dpop_jkt;              /* RFC 9449 section 10, or NULL */
	char *request_uri;           /* sent to PAR: refused (RFC 9126 2.1) */
} vci_authz_request_t;

/* Parse a PAR body (application/x-www-form-urlencoded): the parameters
 * above, each at most once and at most VCI_AUTHZ_VALUE_MAX bytes; others
 * ignored; at most VCI_FORM_PARAMS_MAX parameters. Checks response_type
 * is "code" ("unsupported_response_type" otherwise), client_id present
 * (at most VCI_AUTHZ_CLIENT_ID_MAX bytes),
 * redirect_uri absolute (a scheme) without a fragment, code_challenge 43
 * base64url characters with code_challenge_method S256 (plain and absent
 * refused), no request_uri, dpop_jkt 43 base64url characters, and that
 * scope or authorization_details is present. On failure *out holds
 * nothing to free. */
int vci_authz_par_parse(const char *body, size_t len, vci_authz_request_t *out,
			vci_err_t *err);
void vci_authz_request_clear(vci_authz_request_t *r);

/* The credential configurations a request asks for, among defs (n of
 * them): a new array of configuration id strings, without repeats, in the
 * order asked. authorization_details (a JSON array of objects whose
 * "type" is "openid_credential" and "credential_configuration_id" names a
 * configuration; "claims" and "locations" accepted, other types refused)
 * and scope values (each alone: a value that is some configuration's
 * scope names it, others are ignored). Errors: "invalid_authorization_details"
 * (malformed, another type, an unknown configuration id),
 * "invalid_scope" when nothing known was asked. NULL with err. */
json_t *vci_authz_configs(const vci_authz_request_t *r, vci_defn_t *const *defs, size_t n,
			  vci_err_t *err);

/* The authorization request at the authorization endpoint (a query
 * string, raw): client_id and request_uri, each required and at most
 * once; other parameters ignored (RFC 9126 section 4: the pushed ones
 * win). request_uri must start with VCI_AUTHZ_REQUEST_URI_PREFIX.
 * *client_id and *request_uri malloc'd. "invalid_request". */
int vci_authz_query_parse(const char *query, char **client_id, char **request_uri,
			  vci_err_t *err);

/* Whether a code_verifier (RFC 7636 section 4.1: 43 to 128 characters of
 * [A-Za-z0-9-._~]) hashes to code_challenge with S256: 0, or -1 with
 * "invalid_grant" (never saying more than that it does not match). */
int vci_authz_pkce_check(const char *code_verifier, const char *code_challenge,
			 vci_err_t *err);

/* The S256 code_challenge of a verifier (out: 44 bytes with the NUL). */
int vci_authz_pkce_challenge(const char *code_verifier, char out[44], vci_err_t *err);

#endif
