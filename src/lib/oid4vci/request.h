/* request.h - what a wallet sends to an issuer's protocol endpoints,
 * parsed and checked as OpenID4VCI 1.0 says, and the answers built from
 * it: the token request (section 6.1, pre-authorized code grant) and its
 * response (6.2), the credential request (8.2) with the choice of the
 * credential configuration, its proofs (Appendix F) and its response
 * (8.3), the notification request (11.1), and the request's DPoP proof
 * against a server-issued nonce (RFC 9449 section 8).
 *
 * Drafts 13 to 15 are accepted leniently and 1.0 is emitted: the singular
 * "proof" object, draft 13's "format" with "vct", "doctype" or
 * "credential_definition" instead of a configuration id, the "vc+sd-jwt"
 * format identifier; a legacy request gets the draft's extra response
 * members ("credential", "c_nonce") next to the 1.0 ones. Unknown request
 * members and form parameters are ignored.
 *
 * Nothing here keeps state or does I/O: single use of codes, c_nonces and
 * jti, storage and signing are the caller's. Errors are VCI_EXIT_FAIL with
 * the endpoint's OAuth / OID4VCI error code (an out-of-memory VCI_EXIT_IO,
 * code "server_error"); messages name the parameter and never carry a
 * secret value. All functions are thread-safe. */
#ifndef VCI_REQUEST_H
#define VCI_REQUEST_H

#include "base/common.h"
#include "crypto/nonce.h"
#include "defn.h"
#include "dpop.h"
#include "proof.h"

/* ---- token endpoint (section 6) ---- */

#define VCI_FORM_PARAMS_MAX 128  /* form parameters a body may hold */

typedef struct vci_token_request {
	char *grant_type;
	char *code;       /* pre-authorized_code, or the authorization code
			     (auth_code set) (secret: wiped by clear) */
	char *tx_code;    /* tx_code (secret), or NULL when not sent */
	/* authorization code grant (RFC 6749 section 4.1.3, RFC 7636 4.5) */
	int auth_code;          /* grant_type is authorization_code */
	char *code_verifier;    /* secret, wiped by clear */
	char *redirect_uri;
	char *client_id;        /* or NULL */
	char *pre_auth_code;    /* private to the parser */
	/* refresh token grant (RFC 6749 section 6) */
	int refresh;            /* grant_type is refresh_token */
	char *refresh_token;    /* secret, wiped by clear */
} vci_token_request_t;

/* Decode the form parameters names[i] (n of them) of an
 * application/x-www-form-urlencoded body into *slots[i] (malloc'd; left
 * NULL when absent or sent without a value; the slots must be NULL on
 * entry). Other parameters are ignored. Errors "invalid_request": more
 * than VCI_FORM_PARAMS_MAX parameters, one of names sent twice, a bad
 * %-escape; slots filled so far are the caller's to free either way. */
int vci_form_fields(const char *body, size_t len, const char *const *names, char ***slots,
		    size_t n, vci_err_t *err);

/* Parse a token request body (application/x-www-form-urlencoded, RFC 6749
 * section 4.1.3 and appendix B): '&'-separated name=value pairs with %XX
 * and '+' decoded. A parameter sent without a value counts as omitted
 * (RFC 6749 section 3.1); grant_type, pre-authorized_code, tx_code, code,
 * code_verifier, redirect_uri and client_id sent twice are refused
 * (section 3.1); other parameters (authorization_details, unknown ones)
 * are ignored. Checks grant_type is the pre-authorized code grant with
 * pre-authorized_code, or the authorization_code grant with code,
 * code_verifier and redirect_uri (the PKCE and redirect_uri checks
 * against the code are the caller's: oid4vci/authz.h), or the
 * refresh_token grant with refresh_token (RFC 6749 section 6; its scope
 * parameter ignored: a refresh grants what the first token did).
 * Errors: "invalid_request" (malformed, missing, repeated, more than
 * VCI_FORM_PARAMS_MAX parameters), "unsupported_grant_type". On failure
 * *out holds nothing to free. */
int vci_token_request_parse(const char *body, size_t len, vci_token_request_t *out,
			    vci_err_t *err);
/* Wipe and free the members. */
void vci_token_request_clear(vci_token_request_t *r);

/* Whether a query string (raw, after '?'; NULL for none) holds a
 * parameter named `name` (compared after %XX decoding): a resource server
 * refusing "access_token" in the query (RFC 6750 section 2.3, OAuth 2.0
 * Security BCP section 4.3.2) asks this. */
int vci_request_query_has(const char *query, const char *name);

/* The credential configuration ids an exchange's issuance record offers
 * (vci-offer(1) record fields): credential_offer's
 * credential_configuration_ids, else credential_configuration_ids, else
 * credential_configuration_id. Returns a new array of strings (empty when
 * the record names none), NULL when out of memory. */
json_t *vci_request_offered_ids(const json_t *rec);

/* What a token response (section 6.2) says. */
typedef struct vci_token_response {
	const char *access_token;
	const char *token_type;      /* "DPoP" or "Bearer" */
	long expires_in;
	const json_t *ids;           /* offered configuration ids (strings) */
	const char *c_nonce;         /* draft 13's c_nonce, or NULL */
	long c_nonce_expires_in;
	const char *refresh_token;   /* or NULL */
} vci_token_response_t;

/* The token response object: access_token, token_type, expires_in and
 * authorization_details with one "openid_credential" entry per offered
 * configuration (section 5.1.1), whose credential_identifiers name one
 * dataset each: the identifier of configuration X is X itself (one
 * dataset per configuration in an offer). c_nonce and c_nonce_expires_in
 * when r->c_nonce is set. NULL when out of memory. */
json_t *vci_token_response_new(const vci_token_response_t *r);

/* ---- credential endpoint (section 8) ---- */

typedef struct vci_credential_request {
	json_t *doc;              /* the parsed body (owned) */
	const char *config_id;    /* credential_configuration_id, or NULL */
	const char *identifier;   /* credential_identifier, or NULL */
	const char *format;       /* draft 13 "format" (only when neither id), or NULL */
	json_t *proofs;           /* {"proofs": {TYPE: [...]}} (owned): the 1.0
				     "proofs", or draft 13-15's "proof" wrapped
				     as one; NULL when the request has neither */
	const char *proof_type;   /* TYPE (points into proofs) */
	size_t nproofs;           /* elements of proofs.TYPE (>= 1) */
	int legacy;               /* drafts 13-15 shape: "proof" or "format" used */
	const json_t *encryption; /* credential_response_encryption {jwk, enc,
				     zip?} (points into doc), checked encryptable
				     (vci_jwe_recipient_check), or NULL */
} vci_credential_request_t;

/* Parse a credential request body (application/json): an object whose
 * credential_configuration_id / credential_identifier / format are
 * strings when present; exactly one of the two ids, or neither with
 * draft 13's "format" (section 8.2). "proofs" (1.0: an object with
 * exactly one proof type whose value is a non-empty array) wins over a
 * singular "proof" ({"proof_type": TYPE, TYPE: value}, drafts 13-15),
 * which is an unknown member for a 1.0 request; "proofs" with more than
 * `max_proofs` elements is refused (batch_credential_issuance.batch_size,
 * section 12.2.4). A request asking for response encryption
 * ("credential_response_encryption", section 10: an object with a public
 * "jwk" and "enc", "zip" optional) is checked against what crypto/jwe.h
 * can do (ECDH-ES, A128GCM, A256GCM, no zip) before anything is issued.
 * Errors: "invalid_credential_request" (malformed, both or neither ids,
 * too many proofs), "invalid_proof" (a malformed proofs / proof member),
 * "invalid_encryption_parameters" (a malformed or unsupported
 * credential_response_encryption). */
int vci_credential_request_parse(const char *body, size_t len, size_t max_proofs,
				 vci_credential_request_t *out, vci_err_t *err);
void vci_credential_request_clear(vci_credential_request_t *r);

/* The credential response `body` encrypted as the request asked
 * (r->encryption set): a compact JWE (ECDH-ES, the request's enc, "kid"
 * copied from its jwk) of the compact JSON body, served as
 * application/jwt (section 10). malloc'd, or NULL with err. */
char *vci_credential_response_encrypt(const vci_credential_request_t *r, const json_t *body,
				      vci_err_t *err);

/* The definition a request asks for, among `offered` (the exchange's
 * configuration ids, vci_request_offered_ids) and the loaded definitions:
 * credential_identifier must be one the token response named (one per
 * offered configuration: its id), credential_configuration_id an offered
 * configuration (accepted even where identifiers were returned: wallets
 * of drafts 14-15 send it), draft 13's format + vct / doctype /
 * credential_definition.type the offered configuration of that format and
 * type (a format alone: the only offered one of that format; "vc+sd-jwt"
 * is dc+sd-jwt). Errors: "unknown_credential_identifier",
 * "unknown_credential_configuration". Returns a borrowed definition. */
const vci_defn_t *vci_credential_request_select(const vci_credential_request_t *r,
						vci_defn_t *const *defs, size_t n,
						const json_t *offered, vci_err_t *err);

/* The c_nonce the request's proofs answer: the "nonce" claim of the first
 * proof (its JWT payload, read without verifying: the proof check then
 * requires each proof to carry exactly this value, and the caller spends
 * it once). *nonce is malloc'd. Errors: "invalid_proof" when the request
 * has no proof or the first one has no nonce (section 8.2 with a Nonce
 * Endpoint: required). */
int vci_credential_request_nonce(const vci_credential_request_t *r, char **nonce,
				 vci_err_t *err);

/* Verify the request's proofs under the policy of definition d
 * (vci_policy_verify_record: p narrowed by d's proof algorithms and key
 * attestation requirements; the wallet attestation d may require is the
 * token endpoint's to check, so it is taken as done), each proof with a
 * distinct key. *keys receives a new array of the proven public JWKs,
 * one per proof (per attested key for an "attestation" proof), in
 * order. Errors: "invalid_proof", "invalid_nonce". */
int vci_credential_request_verify(const vci_credential_request_t *r, const vci_defn_t *d,
				  const vci_proof_policy_t *p, json_t **keys, vci_err_t *err);

/* The issuance record of one credential, as the signing functions read it
 * (oid4vci/issue.h): from the exchange's record `xrec` its claims (those
 * of "claims_by_configuration"'s member d->id when there is one: the
 * claims of one configuration of several), exp and nbf;
 * credential_configuration_id = d->id; holder_jwk when given;
 * the status entry when given (an {"status_list": ...} object goes to
 * "status", a W3C status entry to "credentialStatus"), else the record's
 * own status when `single` (one credential: an index made for one
 * credential is not repeated across a batch). NULL when out of memory. */
json_t *vci_credential_record_new(const json_t *xrec, const vci_defn_t *d,
				  const json_t *holder_jwk, const json_t *status, int single);

/* The Credential Response (section 8.3): {"credentials": [{"credential":
 * C}, ...], "notification_id": ID}; for a legacy request also draft 13's
 * "credential" (the first one) and, when c_nonce is given, "c_nonce" and
 * "c_nonce_expires_in". creds is an array of credential strings
 * (borrowed). NULL when out of memory. */
json_t *vci_credential_response_new(const json_t *creds, const char *notification_id,
				    int legacy, const char *c_nonce, long c_nonce_ttl);

/* ---- notification endpoint (section 11) ---- */

typedef struct vci_notification_request {
	json_t *doc;                 /* the parsed body (owned) */
	const char *notification_id;
	const char *event;           /* credential_accepted, credential_failure
					or credential_deleted */
	const char *description;     /* event_description, or NULL */
} vci_notification_request_t;

/* Parse a notification request (section 11.1): a JSON object with a
 * string notification_id, an event of the three (case-sensitive) and an
 * optional event_description of the characters %x20-21 / %x23-5B /
 * %x5D-7E. Errors: "invalid_notification_request". */
int vci_notification_request_parse(const char *body, size_t len,
				   vci_notification_request_t *out, vci_err_t *err);
void vci_notification_request_clear(vci_notification_request_t *r);

/* ---- DPoP with server-issued nonces ---- */

/* Verify a DPoP proof (vci_dpop_verify with policy p) whose "nonce" must
 * be a live nonce made with `nonce_key` (crypto/nonce.h; RFC 9449 section
 * 8: the server keeps no list of them). With nonce_key NULL no nonce is
 * asked for (p->nonce as given). Errors: "use_dpop_nonce" for a missing,
 * expired or foreign nonce (the caller answers with a fresh one),
 * "invalid_dpop_proof" for the rest. */
int vci_request_dpop_verify(const char *jwt, size_t len, const vci_dpop_policy_t *p,
			    const vci_nonce_key_t *nonce_key, vci_dpop_result_t *out,
			    vci_err_t *err);

/* The replay key of a DPoP proof (RFC 9449 section 11.1): SHA-256 of the
 * normalised htu, a NUL and the jti, so a jti is single use per endpoint.
 * Returns 0, or -1 (invalid_dpop_proof) for an htu that is no URL. */
int vci_request_dpop_jti_hash(const char *htu, const char *jti, uint8_t out[32],
			      vci_err_t *err);

#endif
