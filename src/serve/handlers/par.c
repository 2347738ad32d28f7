/* par.c - POST P/par: pushed authorization requests (RFC 9126 section 2;
 * OpenID4VCI 1.0 section 5.1; HAIP 1.0 section 4.3).
 *
 * The form is parsed and checked by libvci (vci_authz_par_parse: code
 * only, PKCE S256, an exact redirect_uri, scope or authorization_details),
 * and what it asks for resolved against the definitions served
 * (vci_authz_configs). The client authenticates with a wallet attestation
 * when the server trusts wallet providers (--trust: required, the
 * attestation's sub equal to client_id); without --trust the client is a
 * public one named by client_id. A DPoP proof, when one comes, binds the
 * future code to its key (RFC 9449 section 10.1), as dpop_jkt does.
 *
 * The request_uri is "urn:ietf:params:oauth:request_uri:" and 32 random
 * bytes, stored only as its hash with what the request binds, for
 * VCI_PAR_TTL seconds and one use. Who the user is comes from the offer
 * when the request carries an issuer_state (checked at the authorization
 * endpoint against the offers, as possibly attacker-supplied), else from
 * the OpenID Provider of --oidc-issuer (login.c): without one, a request
 * without issuer_state is refused. */
#include "handlers.h"
#include "oid4vci/authz.h"

#include <string.h>

#define PAR_BYTES 32

static void par_fail(vci_serve_t *s, const vci_req_t *req, vci_resp_t *resp,
		     const vci_err_t *err)
{
	int status = !strcmp(err->code, "invalid_client") ? 401 : 0;

	vci_h_fail(resp, status, err);
	if (!strcmp(err->code, "use_dpop_nonce") || !strcmp(err->code, "invalid_dpop_proof"))
		vci_h_dpop_nonce_header(s, req, resp);
}

/* The DPoP key the code is bound to: the proof's, or dpop_jkt's (both:
 * they must agree). jkt "" when neither came. */
static int par_dpop(vci_serve_t *s, const vci_req_t *req, const vci_authz_request_t *r,
		    char jkt[48], vci_err_t *err)
{
	vci_dpop_result_t dp;
	int rc;

	jkt[0] = '\0';
	if (r->dpop_jkt)
		snprintf(jkt, 48, "%s", r->dpop_jkt);
	if (s->dpop == VCI_DPOP_OFF)
		return 0;
	rc = vci_h_dpop_check(s, req, s->par_url, NULL, NULL, &dp, err);
	if (rc <= 0)
		return rc;
	if (r->dpop_jkt && strcmp(r->dpop_jkt, dp.jkt))
		rc = vci_err_set(err, VCI_EXIT_FAIL, "invalid_dpop_proof",
				 "dpop_jkt: not the key of the DPoP proof");
	else
		memcpy(jkt, dp.jkt, sizeof dp.jkt), rc = 0;
	vci_dpop_result_free(&dp);
	return rc;
}

int vci_h_par_store(vci_serve_t *s, const vci_req_t *req, const vci_authz_request_t *r,
		    const char *jkt, const json_t *ids, char **request_uri, vci_err_t *err)
{
	uint8_t rh[VCI_STORE_HASH], sh[VCI_STORE_HASH];
	wipe_auto_t *rnd = NULL;
	char_auto_t *configs = json_dumps(ids, JSON_COMPACT);
	vci_store_par_t p = { 0 };
	char *uri = NULL;

	*request_uri = NULL;
	if (!r->issuer_state && !s->oidc)
		return vci_err_set(err, VCI_EXIT_FAIL, "invalid_request", "issuer_state: missing: "
				   "this server authorizes issuance through its credential offers");
	rnd = vci_h_secret(PAR_BYTES, NULL, err);
	if (!rnd || !configs || asprintf(&uri, "%s%s", VCI_AUTHZ_REQUEST_URI_PREFIX, rnd) < 0 ||
	    vci_store_hash(uri, strlen(uri), rh) < 0 ||
	    (r->issuer_state && vci_store_hash(r->issuer_state, strlen(r->issuer_state), sh) < 0))
		goto fail;
	p.request_hash = rh;
	p.client_id = r->client_id;
	p.redirect_uri = r->redirect_uri;
	p.code_challenge = r->code_challenge;
	p.dpop_jkt = jkt;
	p.issuer_state_hash = r->issuer_state ? sh : NULL;
	p.configs = configs;
	p.state = r->state;
	p.created_at = req->now;
	p.expires_at = req->now + VCI_PAR_TTL;
	if (vci_store_par_put(s->store, &p, err) != 0)
		goto fail;
	*request_uri = uri;
	return 0;
fail:
	vci_str_wipe(uri);
	if (!err->code[0] || err->status == VCI_EXIT_FAIL)
		vci_err_set(err, VCI_EXIT_IO, "server_error", "par: cannot be stored");
	return -1;
}

void vci_h_par(vci_serve_t *s, const vci_req_t *req, vci_resp_t *resp)
{
	vci_authz_request_t r;
	json_auto_t *ids = NULL;
	wipe_auto_t *uri = NULL;
	vci_defn_t *const *defs;
	char jkt[48], sub[256];
	vci_err_t err = { 0 };
	size_t n;

	if (vci_authz_par_parse(req->body, req->body_len, &r, &err) < 0) {
		par_fail(s, req, resp, &err);
		return;
	}
	defs = vci_serve_defs(s, &n);
	if (vci_h_client_auth(s, req, r.client_id, s->trust_file != NULL, sub, &err) < 0 ||
	    par_dpop(s, req, &r, jkt, &err) < 0 || !(ids = vci_authz_configs(&r, defs, n, &err)))
		goto fail;
	if (vci_h_par_store(s, req, &r, jkt, ids, &uri, &err) < 0)
		goto fail;
	vci_authz_request_clear(&r);
	if (vci_resp_json(resp, 201, json_pack("{s:s,s:i}", "request_uri", uri, "expires_in",
					       VCI_PAR_TTL)) == 0 &&
	    vci_resp_header(resp, "Cache-Control", "no-store") == 0)
		vci_h_dpop_nonce_header(s, req, resp);
	return;
fail:
	vci_authz_request_clear(&r);
	par_fail(s, req, resp, &err);
}
