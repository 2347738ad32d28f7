/* access.c - what the protocol endpoints share: secrets, DPoP proofs
 * (RFC 9449) and access tokens (RFC 6750; sealed, crypto/atoken.h, so
 * checked with no store read), and the error answers OAuth asks for. */
#include "handlers.h"
#include "base/url.h"
#include "oid4vci/offer.h"
#include "oid4vci/request.h"

#include <string.h>
#include <strings.h>

/* The algorithms vci_dpop_verify accepts, as a challenge's "algs". */
#define DPOP_ALGS "ES256 ES384 ES512 EdDSA PS256 RS256"


char *vci_h_secret(size_t nbytes, uint8_t *hash, vci_err_t *err)
{
	char *s = vci_offer_random(nbytes, err);

	if (s && hash)
		vci_store_hash(s, strlen(s), hash);
	return s;
}

void vci_h_fail(vci_resp_t *resp, int status, const vci_err_t *err)
{
	vci_resp_err(resp, status, err);
	vci_resp_header(resp, "Cache-Control", "no-store");
}

void vci_h_redirect(vci_resp_t *resp, const char *url)
{
	resp->status = 302;
	vci_resp_header(resp, "Location", url);
	vci_resp_header(resp, "Cache-Control", "no-store");
}

void vci_h_authz_redirect(vci_serve_t *s, vci_resp_t *resp, const vci_store_authz_t *a,
			  const char *code, const char *error, const char *desc)
{
	const char *names[] = { code ? "code" : "error", "error_description", "state", "iss" };
	const char *values[] = { code ? code : error, code ? NULL : desc, a->state, s->issuer };
	char *url = strdup(a->redirect_uri), *n;

	for (size_t i = 0; url && i < 4; i++) {
		if (!values[i])
			continue;
		n = vci_url_add_param(url, names[i], values[i], strlen(values[i]), NULL, NULL);
		vci_str_wipe(url);
		url = n;
	}
	if (!url) {
		vci_resp_error(resp, 500, "server_error", "out of memory");
		return;
	}
	vci_h_redirect(resp, url);
	if (!code)
		snprintf(resp->error, sizeof resp->error, "%s", error);
	vci_str_wipe(url);
}

int vci_h_dpop_nonce_header(vci_serve_t *s, const vci_req_t *req, vci_resp_t *resp)
{
	char *n;
	vci_err_t err = { 0 };

	if (!s->dpop_nonce || !s->dpop_nonce_key)
		return 0;
	n = vci_nonce_new(s->dpop_nonce_key, (time_t)req->now, (unsigned long)s->nonce_ttl, &err);
	if (!n) {
		vci_h_fail(resp, 500, &err);
		return -1;
	}
	if (vci_resp_header(resp, "DPoP-Nonce", n) < 0) {
		free(n);
		return -1;
	}
	free(n);
	return 0;
}

int vci_h_dpop_verify(vci_serve_t *s, const vci_req_t *req, const char *htu, const char *token,
		      const char *jkt, vci_dpop_result_t *out, uint8_t jti_hash[VCI_STORE_HASH],
		      vci_err_t *err)
{
	const char *proof = vci_req_header(req, "DPoP");
	vci_dpop_policy_t p = { 0 };

	memset(out, 0, sizeof *out);
	if (!proof)
		return 0;
	if (vci_req_header_count(req, "DPoP") > 1)
		return vci_err_set(err, VCI_EXIT_FAIL, "invalid_dpop_proof",
				   "DPoP: more than one DPoP header");
	p.htm = req->method;
	p.htu = htu;
	p.access_token = token;
	p.jkt = jkt;
	p.now = (time_t)req->now;
	if (vci_request_dpop_verify(proof, strlen(proof), &p,
				    s->dpop_nonce ? s->dpop_nonce_key : NULL, out, err) < 0)
		return -1;
	if (vci_request_dpop_jti_hash(htu, out->jti, jti_hash, err) < 0) {
		vci_dpop_result_free(out);
		memset(out, 0, sizeof *out);
		return -1;
	}
	return 1;
}

int vci_h_dpop_jti_refused(vci_err_t *err)
{
	return vci_err_set(err, VCI_EXIT_FAIL, "invalid_dpop_proof",
			   "DPoP: jti: this proof was used before");
}

int vci_h_dpop_check(vci_serve_t *s, const vci_req_t *req, const char *htu, const char *token,
		     const char *jkt, vci_dpop_result_t *out, vci_err_t *err)
{
	uint8_t h[VCI_STORE_HASH];
	int rc = vci_h_dpop_verify(s, req, htu, token, jkt, out, h, err);

	if (rc <= 0)
		return rc;
	rc = vci_store_jti_use(s->store, h, req->now + VCI_H_DPOP_JTI_TTL, err);
	if (rc == VCI_STORE_EXISTS) {
		vci_h_dpop_jti_refused(err);
		goto fail;
	}
	if (rc < 0)
		goto fail;
	return 1;
fail:
	vci_dpop_result_free(out);
	memset(out, 0, sizeof *out);
	return -1;
}

void vci_h_unauthorized(vci_serve_t *s, const vci_req_t *req, vci_resp_t *resp,
			const char *scheme, const vci_err_t *err)
{
	char v[160];

	vci_h_fail(resp, 401, err);
	if (!scheme)
		snprintf(v, sizeof v, "%s",
			 s->dpop == VCI_DPOP_OFF ? "Bearer" :
			 s->dpop == VCI_DPOP_REQUIRED ? "DPoP algs=\"" DPOP_ALGS "\"" :
			 "DPoP algs=\"" DPOP_ALGS "\", Bearer");
	else if (!strcmp(scheme, "DPoP"))
		snprintf(v, sizeof v, "DPoP error=\"%s\", algs=\"" DPOP_ALGS "\"", err->code);
	else
		snprintf(v, sizeof v, "Bearer error=\"%s\"", err->code);
	vci_resp_header(resp, "WWW-Authenticate", v);
	if (!strcmp(err->code, "use_dpop_nonce") || (scheme && !strcmp(scheme, "DPoP")))
		vci_h_dpop_nonce_header(s, req, resp);
}

/* RFC 6750 section 2.1 b64token: 1*( ALPHA / DIGIT / "-" / "." / "_" /
 * "~" / "+" / "/" ) *"=". */
static int b64token_ok(const char *t)
{
	size_t n = strspn(t, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
			  "0123456789-._~+/");

	return n > 0 && t[n + strspn(t + n, "=")] == '\0';
}

/* Split "Authorization: SCHEME TOKEN": the scheme as we name it ("Bearer",
 * "DPoP"; compared case-insensitively, RFC 9110 section 11.1) and the
 * token. Returns -1 with err for anything else. */
static int auth_split(const char *h, const char **scheme, const char **token, vci_err_t *err)
{
	static const char *const schemes[] = { "Bearer", "DPoP" };

	for (size_t i = 0; i < 2; i++) {
		size_t n = strlen(schemes[i]);

		if (!strncasecmp(h, schemes[i], n) && h[n] == ' ') {
			*scheme = schemes[i];
			*token = h + n + strspn(h + n, " ");
			if (b64token_ok(*token))
				return 0;
			return vci_err_set(err, VCI_EXIT_FAIL, "invalid_token",
					   "Authorization: the token is malformed");
		}
	}
	*scheme = NULL;
	return vci_err_set(err, VCI_EXIT_FAIL, "invalid_token",
			   "Authorization: not a Bearer or DPoP access token");
}

/* The DPoP side of a resource request with a known token. */
static int access_dpop(vci_serve_t *s, const vci_req_t *req, const char *htu, const char *scheme,
		       const char *token, const vci_atoken_t *tok, vci_resp_t *resp,
		       uint8_t *jti_hash)
{
	vci_dpop_result_t dp;
	vci_err_t err = { 0 };
	int rc;

	if (!tok->dpop_jkt[0]) {
		if (!strcmp(scheme, "DPoP"))
			vci_err_set(&err, VCI_EXIT_FAIL, "invalid_token",
				    "the access token is not DPoP-bound: present it as Bearer");
		else if (s->dpop == VCI_DPOP_REQUIRED)
			vci_err_set(&err, VCI_EXIT_FAIL, "invalid_token",
				    "Bearer access tokens are not accepted: DPoP is required");
		else
			return 0;
		vci_h_unauthorized(s, req, resp, scheme, &err);
		return -1;
	}
	if (strcmp(scheme, "DPoP")) {
		/* RFC 9449 section 7.2: a DPoP-bound token is never a Bearer one */
		vci_err_set(&err, VCI_EXIT_FAIL, "invalid_token",
			    "a DPoP-bound access token must be presented with the DPoP scheme");
		vci_h_unauthorized(s, req, resp, "DPoP", &err);
		return -1;
	}
	rc = jti_hash ? vci_h_dpop_verify(s, req, htu, token, tok->dpop_jkt, &dp, jti_hash, &err)
		      : vci_h_dpop_check(s, req, htu, token, tok->dpop_jkt, &dp, &err);
	if (rc == 0)
		vci_err_set(&err, VCI_EXIT_FAIL, "invalid_dpop_proof",
			    "DPoP: a DPoP-bound access token needs a DPoP proof");
	if (rc <= 0) {
		if (!strcmp(err.code, "invalid_dpop_proof") || !strcmp(err.code, "use_dpop_nonce"))
			vci_h_unauthorized(s, req, resp, "DPoP", &err);
		else
			vci_h_fail(resp, 0, &err);
		return -1;
	}
	vci_dpop_result_free(&dp);
	return 0;
}

int vci_h_access(vci_serve_t *s, const vci_req_t *req, const char *htu, vci_atoken_t *tok,
		 vci_resp_t *resp)
{
	return vci_h_access_later(s, req, htu, tok, resp, NULL, NULL);
}

int vci_h_access_later(vci_serve_t *s, const vci_req_t *req, const char *htu,
		       vci_atoken_t *tok, vci_resp_t *resp, uint8_t *jti_hash, int *has_jti)
{
	const char *h = vci_req_header(req, "Authorization");
	const char *scheme = NULL, *token = NULL;
	vci_err_t err = { 0 };

	memset(tok, 0, sizeof *tok);
	if (vci_request_query_has(req->query, "access_token")) {
		vci_err_set(&err, VCI_EXIT_FAIL, "invalid_request",
			    "access_token: a token in the query string is refused");
		vci_h_fail(resp, 400, &err);
		return -1;
	}
	if (!h) {
		vci_err_set(&err, VCI_EXIT_FAIL, "invalid_token",
			    "Authorization: missing: an access token is required");
		vci_h_unauthorized(s, req, resp, NULL, &err);
		return -1;
	}
	if (vci_req_header_count(req, "Authorization") > 1) {
		vci_err_set(&err, VCI_EXIT_FAIL, "invalid_request",
			    "Authorization: sent more than once");
		vci_h_fail(resp, 400, &err);
		return -1;
	}
	if (auth_split(h, &scheme, &token, &err) < 0) {
		vci_h_unauthorized(s, req, resp, scheme, &err);
		return -1;
	}
	/* its MAC and expiry before anything else (RFC 6750 section 3.1:
	 * invalid_token for a token forged, of another key or expired) */
	if (vci_atoken_open(s->token_key, token, strlen(token), req->now, tok, &err) < 0) {
		if (!strcmp(err.code, "invalid_token"))
			vci_h_unauthorized(s, req, resp, scheme, &err);
		else
			vci_h_fail(resp, 500, &err);
		return -1;
	}
	if (has_jti)
		*has_jti = tok->dpop_jkt[0] != '\0';
	return access_dpop(s, req, htu, scheme, token, tok, resp, jti_hash);
}

int vci_h_token_gone(vci_err_t *err)
{
	return vci_err_set(err, VCI_EXIT_FAIL, "invalid_token",
			   "the access token's exchange no longer exists");
}

void vci_h_access_fail(vci_serve_t *s, const vci_req_t *req, vci_resp_t *resp,
		       const vci_atoken_t *tok, const vci_err_t *err)
{
	if (!strcmp(err->code, "invalid_token"))
		vci_h_unauthorized(s, req, resp, tok->dpop_jkt[0] ? "DPoP" : "Bearer", err);
	else
		vci_h_fail(resp, 0, err);
}
