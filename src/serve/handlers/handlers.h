/* handlers.h - what the protocol endpoints (token.c, nonce.c,
 * credential.c, notification.c) share, in access.c: fresh secrets, the
 * request's DPoP proof (server nonces, jti single use), the access token
 * of the credential and notification endpoints, and error answers with
 * the headers OAuth asks for; in issuing.c, the signing and status steps
 * of the credential and deferred endpoints. The protocol itself is libvci's
 * (oid4vci/request.h, proof.h, dpop.h); this is its glue to the store
 * and to HTTP. Thread-safe as the server is. */
#ifndef VCI_HANDLERS_H
#define VCI_HANDLERS_H

#include "serve/serve.h"
#include "crypto/atoken.h"
#include "oid4vci/dpop.h"

/* A fresh secret (token, c_nonce, notification id): `nbytes` random bytes
 * from RAND_priv_bytes, base64url (malloc'd; wipe with vci_str_wipe);
 * *hash (if non-NULL) receives its SHA-256, the form the store keeps. */
char *vci_h_secret(size_t nbytes, uint8_t *hash, vci_err_t *err);

/* A fresh c_nonce sealed with the server's c_nonce key, valid from
 * req->now for nonce_ttl seconds (nonce.c; malloc'd). Nothing is stored:
 * the credential endpoint checks it with vci_h_c_nonce_check. */
char *vci_h_c_nonce(vci_serve_t *s, const vci_req_t *req, vci_err_t *err);

/* A c_nonce made by vci_h_c_nonce, checked at req->now: its MAC under
 * this server's key, its expiry. 0 with hash (its SHA-256, the form in
 * which the store records it spent) and *expires (its expiry), or -1
 * with err ("invalid_nonce" for a forged, foreign or expired nonce). Not
 * single use by itself: the caller spends hash (vci_store_nonce_spend,
 * or the nonce of vci_store_credential_issued). */
int vci_h_c_nonce_check(vci_serve_t *s, const vci_req_t *req, const char *nonce,
			uint8_t hash[VCI_STORE_HASH], int64_t *expires, vci_err_t *err);

/* Answer with err as an OAuth error body (vci_resp_err: status from the
 * code's class when `status` is 0) and Cache-Control: no-store
 * (OID4VCI 1.0 section 8.3.1.2, RFC 6749 section 5.2). */
void vci_h_fail(vci_resp_t *resp, int status, const vci_err_t *err);

/* A 302 to `url` (Location) with Cache-Control: no-store. */
void vci_h_redirect(vci_resp_t *resp, const char *url);

/* The authorization endpoint's answer (RFC 6749 section 4.1.2 and
 * 4.1.2.1, RFC 9207): a 302 to a->redirect_uri with "code" (code
 * non-NULL) or "error" and "error_description" (error, desc), then
 * a->state (when set) and "iss" (the issuer) added as query parameters;
 * with an error, resp->error names it for the log. The URL, which holds
 * the code, is wiped once copied into the header. Out of memory: a 500
 * answer instead. */
void vci_h_authz_redirect(vci_serve_t *s, vci_resp_t *resp, const vci_store_authz_t *a,
			  const char *code, const char *error, const char *desc);

/* Add "DPoP-Nonce: <fresh nonce>" when the server issues DPoP nonces
 * (RFC 9449 section 8). Returns 0, or -1 with resp set to an error. */
int vci_h_dpop_nonce_header(vci_serve_t *s, const vci_req_t *req, vci_resp_t *resp);

/* The request's DPoP proof for the endpoint at `htu` (RFC 9449 section
 * 4.3): exactly one DPoP header; the proof verified with method and htu,
 * the server's nonce when it issues them, "ath" of `token` and the key
 * thumbprint `jkt` when given (section 7); then its jti spent in the
 * store (section 11.1). Returns 1 with *out filled (free with
 * vci_dpop_result_free), 0 when there is no DPoP header, -1 with err
 * (codes invalid_dpop_proof, use_dpop_nonce, server_error). */
int vci_h_dpop_check(vci_serve_t *s, const vci_req_t *req, const char *htu, const char *token,
		     const char *jkt, vci_dpop_result_t *out, vci_err_t *err);

/* A DPoP proof is accepted for max_age (300 s) after its iat and skew
 * (60 s) before it: its jti is remembered that long (RFC 9449 11.1). */
#define VCI_H_DPOP_JTI_TTL (300 + 60)

/* vci_h_dpop_check without spending the jti: its hash (of htu and jti)
 * to jti_hash on 1, for the caller's own store write (the token and
 * credential endpoints spend it with the rest of their writes, in one
 * operation: VCI_STORE_REPLAY, answered with vci_h_dpop_jti_refused). */
int vci_h_dpop_verify(vci_serve_t *s, const vci_req_t *req, const char *htu, const char *token,
		      const char *jkt, vci_dpop_result_t *out, uint8_t jti_hash[VCI_STORE_HASH],
		      vci_err_t *err);
/* err set to the replayed-jti error (invalid_dpop_proof); returns -1. */
int vci_h_dpop_jti_refused(vci_err_t *err);

/* The access token of a request to a resource endpoint (credential,
 * deferred, notification) at `htu`: from "Authorization: Bearer T" or
 * "Authorization: DPoP T" with a DPoP proof (RFC 6750 section 2.1, RFC
 * 9449 section 7), opened with the server's token key (vci_atoken_open:
 * its MAC and expiry first, no store read); a DPoP-bound token only as
 * DPoP with a proof of its key and "ath"; a Bearer token refused when the
 * server requires DPoP. A token in the query string is refused (400
 * invalid_request). Returns 0 with *tok filled, or -1 with resp filled
 * (401 and WWW-Authenticate for a missing or bad token or proof, with a
 * DPoP-Nonce when one is asked for; 500 when the token key cannot be
 * used). The caller then reads tok->exchange_id, and answers a token whose exchange
 * is gone with vci_h_token_gone and vci_h_access_fail. */
int vci_h_access(vci_serve_t *s, const vci_req_t *req, const char *htu, vci_atoken_t *tok,
		 vci_resp_t *resp);
/* vci_h_access, the DPoP proof's jti not spent: on 0, *has_jti says
 * whether a proof was checked and jti_hash holds its jti's hash (see
 * vci_h_dpop_verify). */
int vci_h_access_later(vci_serve_t *s, const vci_req_t *req, const char *htu,
		       vci_atoken_t *tok, vci_resp_t *resp, uint8_t *jti_hash, int *has_jti);
/* err set to the error of a valid token whose exchange no longer exists
 * (deleted by the management API): invalid_token. Returns -1. */
int vci_h_token_gone(vci_err_t *err);
/* The failure of a request whose token vci_h_access accepted: err's
 * invalid_token as a 401 with WWW-Authenticate in the token's scheme
 * (vci_h_unauthorized), any other error as vci_h_fail does. */
void vci_h_access_fail(vci_serve_t *s, const vci_req_t *req, vci_resp_t *resp,
		       const vci_atoken_t *tok, const vci_err_t *err);

/* A 401 answer at a resource endpoint: WWW-Authenticate with `scheme`
 * ("Bearer" or "DPoP"; NULL: the server's schemes, without an error, for
 * a request that sent no token) and the error code of err. */
void vci_h_unauthorized(vci_serve_t *s, const vci_req_t *req, vci_resp_t *resp,
			const char *scheme, const vci_err_t *err);

/* Client authentication by wallet attestation (OAuth 2.0
 * Attestation-Based Client Authentication; handlers/client.c): the
 * request's OAuth-Client-Attestation and OAuth-Client-Attestation-PoP
 * headers verified as vci_proof_verify_wallet_attestation does (x5c chain
 * to --trust, cnf key = PoP key, PoP aud = our issuer, freshness), the
 * PoP's jti spent once in the store. client_id (or NULL): the attestation
 * sub must equal it. Returns 1 with sub[] the authenticated client_id, 0
 * when no attestation came and `required` is 0 (sub ""), or -1 with err
 * ("invalid_client": missing when required, untrusted, invalid, replayed;
 * the status for it is 401). */
int vci_h_client_auth(vci_serve_t *s, const vci_req_t *req, const char *client_id,
		      int required, char sub[256], vci_err_t *err);

/* The pushed authorization request r (checked, asking for the
 * configurations ids, its code bound to DPoP key jkt or "") stored under a
 * new request_uri (*request_uri, malloc'd, secret) for VCI_PAR_TTL
 * seconds (handlers/par.c); a plain authorization request (--par
 * optional) is stored the same way and spent at once. r must carry an
 * issuer_state ("invalid_request"). -1 with err. */
#define VCI_PAR_TTL 60
struct vci_authz_request;
int vci_h_par_store(vci_serve_t *s, const vci_req_t *req, const struct vci_authz_request *r,
		    const char *jkt, const json_t *ids, char **request_uri, vci_err_t *err);

/* What the credential and deferred credential endpoints share when they
 * issue (issuing.c, for credential.c and deferred.c). One credential per
 * key of `keys` (NULL or empty: one, bound to no key), each record made by
 * vci_credential_record_new from the exchange record xrec, definition d
 * and the status entry of the same index in `status` (NULL: none), then
 * signed by vci_issue_record at `now`. *creds receives a new array of
 * the credentials, in key order (on failure too: what was signed so far;
 * the caller frees it). Returns 0; 1 when vci_issue_record refused a
 * record (err as it set it: the caller says what that means for its
 * answer); -1 with err otherwise (out of memory; "server_error" for a
 * signed record without a credential). */
int vci_h_sign_each(vci_serve_t *s, const json_t *xrec, const vci_defn_t *d, const json_t *keys,
		    const json_t *status, int64_t now, json_t **creds, vci_err_t *err);

/* The status list references of `status` (an array of status entries
 * {"status_list": {"uri", "idx"}}, or NULL), those that have both, in
 * order: to uris[] and idx[] (room for json_array_size(status) each; the
 * uris point into status), counted in *nst, and as {"uri", "idx"}
 * objects appended to the array st. 0, or -1 out of memory. */
int vci_h_status_refs(const json_t *status, const char **uris, uint64_t *idx, size_t *nst,
		      json_t *st);

/* The notification id of an issuance to exchange x: the one its earlier
 * credentials were given, else a new one (vci_store_id_new). 0, or -1
 * with err. */
int vci_h_notification_id(const vci_store_exchange_t *x, char nid[VCI_STORE_ID],
			  vci_err_t *err);

/* The wallet-initiated flow (login.c), with --oidc-issuer: a pushed
 * request without issuer_state (request_hash) spent and its login at the
 * OpenID Provider begun: the answer (a 302 to the provider, or an error)
 * is in resp and 0 returned. 1 when the request is not one of this flow
 * (unknown, spent, expired, or carrying an issuer_state): nothing was
 * changed or answered. */
int vci_h_login_start(vci_serve_t *s, const vci_req_t *req, const char *client_id,
		      const uint8_t request_hash[VCI_STORE_HASH], vci_resp_t *resp);

#endif
