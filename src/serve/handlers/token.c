/* token.c - POST P/token: the pre-authorized code grant (OpenID4VCI 1.0
 * section 6; RFC 6749 sections 4.1.3, 5.1 and 5.2; RFC 9449 section 5).
 *
 * The form is parsed by libvci (vci_token_request_parse). The DPoP proof,
 * when one comes, is checked first, so a wallet told to retry with a
 * server nonce (use_dpop_nonce) has not spent its code. The code is then
 * redeemed in the store by its hash, with the tx_code's hash: a wrong
 * tx_code costs an attempt but not the code until the cap is reached
 * (section 13.6 of the errata). A client the offer's configurations
 * refuse (a wallet attestation required and none presented) is refused
 * before that, from the offer's record read by the code's hash, so the
 * refused request does not spend the code. The access token is 32 random bytes
 * whose hash the store keeps with the exchange, the DPoP key thumbprint
 * (token_type DPoP) and the expiry. The response carries
 * authorization_details with credential_identifiers (section 6.2) and,
 * for draft 13 wallets, a c_nonce that the store also keeps. */
#include "handlers.h"
#include "oid4vci/authz.h"
#include "oid4vci/request.h"

#include <string.h>

#define TOKEN_BYTES 32

/* A token endpoint error: 400 (RFC 6749 section 5.2) with no-store and,
 * for DPoP errors when the server issues nonces, a fresh DPoP-Nonce. */
static void token_fail(vci_serve_t *s, const vci_req_t *req, vci_resp_t *resp,
		       const vci_err_t *err)
{
	int status = err->status == VCI_EXIT_FAIL ? 400 : 0;

	if (!strcmp(err->code, "invalid_client"))
		status = 401;

	vci_h_fail(resp, status, err);
	vci_resp_header(resp, "Pragma", "no-cache");
	if (!strcmp(err->code, "use_dpop_nonce") || !strcmp(err->code, "invalid_dpop_proof"))
		vci_h_dpop_nonce_header(s, req, resp);
}

/* The DPoP proof of a token request, by the server's mode: *jkt receives
 * the key thumbprint ("" for a Bearer token). Returns -1 with err. */
static int token_dpop(vci_serve_t *s, const vci_req_t *req, char jkt[48], vci_err_t *err)
{
	vci_dpop_result_t dp;
	int rc;

	jkt[0] = '\0';
	if (s->dpop == VCI_DPOP_OFF)
		return 0;
	rc = vci_h_dpop_check(s, req, s->token_url, NULL, NULL, &dp, err);
	if (rc < 0)
		return -1;
	if (rc == 0)
		return s->dpop == VCI_DPOP_REQUIRED
			       ? vci_err_set(err, VCI_EXIT_FAIL, "invalid_dpop_proof",
					     "DPoP: this server requires a DPoP proof")
			       : 0;
	memcpy(jkt, dp.jkt, sizeof dp.jkt);
	vci_dpop_result_free(&dp);
	return 0;
}

/* Redeem the code (and tx_code) in the store: the exchange id, or -1 with
 * err as the client hears it. */
static int token_redeem(vci_serve_t *s, const vci_req_t *req, const vci_token_request_t *tr,
			char xid[VCI_STORE_ID], vci_err_t *err)
{
	uint8_t code_hash[VCI_STORE_HASH], tx_hash[VCI_STORE_HASH];
	int rc;

	vci_store_hash(tr->code, strlen(tr->code), code_hash);
	if (tr->tx_code)
		vci_store_hash(tr->tx_code, strlen(tr->tx_code), tx_hash);
	rc = vci_store_code_redeem(s->store, code_hash, tr->tx_code ? tx_hash : NULL, req->now,
				   xid, err);
	OPENSSL_cleanse(tx_hash, sizeof tx_hash);
	switch (rc) {
	case 0:
		return 0;
	case VCI_STORE_NOTFOUND:
		return vci_err_set(err, VCI_EXIT_FAIL, "invalid_grant",
				   "pre-authorized_code: unknown, expired or already used");
	case VCI_STORE_TX_MISSING:
		return vci_err_set(err, VCI_EXIT_FAIL, "invalid_request",
				   "tx_code: missing: this offer requires a transaction code");
	case VCI_STORE_TX_UNEXPECTED:
		return vci_err_set(err, VCI_EXIT_FAIL, "invalid_request",
				   "tx_code: this offer has no transaction code");
	case VCI_STORE_TX_WRONG:
		return vci_err_set(err, VCI_EXIT_FAIL, "invalid_grant", "tx_code: wrong");
	case VCI_STORE_TX_DEAD:
		return vci_err_set(err, VCI_EXIT_FAIL, "invalid_grant",
				   "tx_code: wrong, and too many attempts: the pre-authorized code "
				   "is no longer valid");
	default:
		return -1;
	}
}

/* A c_nonce for draft 13 wallets, kept by the store as the nonce
 * endpoint's are (malloc'd). */
static char *token_c_nonce(vci_serve_t *s, const vci_req_t *req, vci_err_t *err)
{
	uint8_t h[VCI_STORE_HASH];
	char *n = vci_h_secret(TOKEN_BYTES, h, err);

	if (n && vci_store_nonce_put(s->store, h, req->now + s->nonce_ttl, err) < 0) {
		free(n);
		return NULL;
	}
	return n;
}

/* The configurations the token is for: those the exchange offers, and of
 * them only those the authorization request asked for (asked NULL: all). */
static json_t *token_ids(const json_t *rec, const char *asked)
{
	json_auto_t *offered = vci_request_offered_ids(rec), *want = NULL;
	json_t *out;
	const json_t *v, *w;
	size_t i, j;

	if (!asked || !offered)
		return json_incref(offered);
	want = json_loads(asked, 0, NULL);
	out = json_array();
	json_array_foreach(offered, i, v)
		json_array_foreach(want, j, w)
			if (json_equal(v, w))
				json_array_append(out, (json_t *)v);
	return out;
}

/* Client authentication a configuration asks for (HAIP 1.0 section
 * 4.4.1; wallet_attestation_required): the token of a configuration that
 * requires a wallet attestation goes only to a client that presented a
 * verified one (sub[0]), under either grant. Under --profile haip every
 * configuration requires one (HAIP 4.4.1: client authentication at every
 * endpoint that supports it). */
static int token_client_check(vci_serve_t *s, const json_t *ids, const char *sub,
			      vci_err_t *err)
{
	const json_t *v;
	size_t i;

	json_array_foreach(ids, i, v) {
		const vci_defn_t *d = vci_serve_defn(s, json_string_value(v));

		if (d && (d->wallet_attestation_required || s->profile == VCI_PROFILE_HAIP) &&
		    !sub[0])
			return vci_err_set(err, VCI_EXIT_FAIL, "invalid_client",
					   "OAuth-Client-Attestation: %s requires a wallet "
					   "attestation%s", json_string_value(v),
					   s->trust_file ? "" : ", and no wallet provider is trusted");
	}
	return 0;
}

/* Before the pre-authorized code is spent: the configurations of its
 * offer (its record, read by the code's hash) and the client they ask
 * for, so a request they refuse leaves the code as it was. An unknown or
 * spent code is left to the redemption to refuse. */
static int token_precheck(vci_serve_t *s, const vci_req_t *req, const char *code,
			  const char *sub, vci_err_t *err)
{
	uint8_t h[VCI_STORE_HASH];
	char_auto_t *text = NULL;
	json_auto_t *rec = NULL, *ids = NULL;
	int rc;

	if (vci_store_hash(code, strlen(code), h) < 0)
		return vci_err_oom(err);
	rc = vci_store_code_record(s->store, h, req->now, &text, err);
	if (rc == VCI_STORE_NOTFOUND)
		return 0;
	if (rc != 0)
		return -1;
	rec = json_loads(text, 0, NULL);
	ids = rec ? token_ids(rec, NULL) : NULL;
	if (!ids)
		return vci_err_set(err, VCI_EXIT_IO, "server_error", "token: offer record unreadable");
	return token_client_check(s, ids, sub, err);
}

/* Make, store and answer the access token of exchange xid. */
static void token_issue(vci_serve_t *s, const vci_req_t *req, const char *xid, const char *jkt,
			const char *asked, const char *sub, vci_resp_t *resp)
{
	vci_store_token_t t = { 0 };
	vci_store_exchange_t x = { 0 };
	vci_token_response_t r = { 0 };
	json_auto_t *ids = NULL, *rec = NULL;
	wipe_auto_t *token = NULL;
	char_auto_t *c_nonce = NULL;
	json_t *body;
	vci_err_t err = { 0 };

	snprintf(t.exchange_id, sizeof t.exchange_id, "%s", xid);
	snprintf(t.dpop_jkt, sizeof t.dpop_jkt, "%s", jkt);
	t.expires_at = req->now + s->token_ttl;
	if (vci_store_exchange_get(s->store, xid, &x, &err) != 0)
		goto fail;
	rec = json_loads(x.record ? x.record : "{}", 0, NULL);
	ids = token_ids(rec, asked);
	if (ids && !json_array_size(ids))
		vci_err_set(&err, VCI_EXIT_FAIL, "invalid_grant", "scope: the authorization asked "
			    "for no configuration of its offer");
	if (err.code[0] || token_client_check(s, ids, sub, &err) < 0) {
		vci_store_exchange_clear(&x);
		token_fail(s, req, resp, &err);
		return;
	}
	token = vci_h_secret(TOKEN_BYTES, t.hash, &err);
	if (!token || !(c_nonce = token_c_nonce(s, req, &err)) ||
	    vci_store_token_put(s->store, &t, &err) < 0)
		goto fail;
	r.access_token = token;
	r.token_type = jkt[0] ? "DPoP" : "Bearer";
	r.expires_in = s->token_ttl;
	r.ids = ids;
	r.c_nonce = c_nonce;
	r.c_nonce_expires_in = s->nonce_ttl;
	body = ids ? vci_token_response_new(&r) : NULL;
	vci_store_exchange_clear(&x);
	if (vci_resp_json(resp, 200, body) == 0 &&
	    vci_resp_header(resp, "Cache-Control", "no-store") == 0 &&
	    vci_resp_header(resp, "Pragma", "no-cache") == 0)
		vci_h_dpop_nonce_header(s, req, resp);
	return;
fail:
	vci_store_exchange_clear(&x);
	if (!err.code[0] || err.status == VCI_EXIT_FAIL)
		vci_err_set(&err, VCI_EXIT_IO, "server_error", "token: cannot be issued");
	vci_h_fail(resp, 0, &err);
}

/* The authorization code grant (RFC 6749 section 4.1.3): the code spent
 * once, then the client, redirect_uri, PKCE verifier (RFC 7636 section
 * 4.6) and DPoP key checked against what the pushed request bound. */
static int token_code(vci_serve_t *s, const vci_token_request_t *tr, const char *jkt,
		      const char *sub, const vci_req_t *req, vci_store_authz_t *a, vci_err_t *err)
{
	const char *client = sub[0] ? sub : tr->client_id;
	uint8_t h[VCI_STORE_HASH];
	int rc;

	if (!client)
		return vci_err_set(err, VCI_EXIT_FAIL, "invalid_client", "client_id: missing");
	if (vci_store_hash(tr->code, strlen(tr->code), h) < 0)
		return vci_err_oom(err);
	rc = vci_store_authz_code_take(s->store, h, req->now, a, err);
	if (rc == VCI_STORE_NOTFOUND)
		return vci_err_set(err, VCI_EXIT_FAIL, "invalid_grant",
				   "code: unknown, expired or already used");
	if (rc != 0)
		return -1;
	if (strcmp(a->client_id, client))
		return vci_err_set(err, VCI_EXIT_FAIL, "invalid_grant",
				   "code: issued to another client");
	if (strcmp(a->redirect_uri, tr->redirect_uri))
		return vci_err_set(err, VCI_EXIT_FAIL, "invalid_grant",
				   "redirect_uri: not the one of the authorization request");
	if (vci_authz_pkce_check(tr->code_verifier, a->code_challenge, err) < 0)
		return -1;
	if (a->dpop_jkt[0] && strcmp(a->dpop_jkt, jkt))
		return vci_err_set(err, VCI_EXIT_FAIL, "invalid_dpop_proof",
				   "DPoP: not the key the authorization request was bound to");
	return 0;
}

void vci_h_token(vci_serve_t *s, const vci_req_t *req, vci_resp_t *resp)
{
	vci_token_request_t tr;
	char ctype[64], jkt[48], xid[VCI_STORE_ID], sub[256] = "";
	vci_err_t err = { 0 };

	if (strcmp(vci_req_content_type(req, ctype, sizeof ctype),
		   "application/x-www-form-urlencoded")) {
		vci_err_set(&err, VCI_EXIT_FAIL, "invalid_request",
			    "Content-Type: must be application/x-www-form-urlencoded");
		token_fail(s, req, resp, &err);
		return;
	}
	if (vci_token_request_parse(req->body, req->body_len, &tr, &err) < 0) {
		token_fail(s, req, resp, &err);
		return;
	}
	if (token_dpop(s, req, jkt, &err) < 0)
		goto fail;
	if (tr.auth_code) {
		vci_store_authz_t a = { 0 };

		if (vci_h_client_auth(s, req, tr.client_id, s->trust_file != NULL, sub, &err) < 0 ||
		    token_code(s, &tr, jkt, sub, req, &a, &err) < 0) {
			vci_store_authz_clear(&a);
			goto fail;
		}
		vci_token_request_clear(&tr);
		token_issue(s, req, a.exchange_id, jkt, a.configs, sub, resp);
		vci_store_authz_clear(&a);
		return;
	}
	if ((s->trust_file && vci_h_client_auth(s, req, tr.client_id, 0, sub, &err) < 0) ||
	    token_precheck(s, req, tr.code, sub, &err) < 0 ||
	    token_redeem(s, req, &tr, xid, &err) < 0)
		goto fail;
	vci_token_request_clear(&tr);
	token_issue(s, req, xid, jkt, NULL, sub, resp);
	return;
fail:
	vci_token_request_clear(&tr);
	token_fail(s, req, resp, &err);
}
