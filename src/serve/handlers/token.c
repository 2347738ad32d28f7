/* token.c - POST P/token: the pre-authorized code grant (OpenID4VCI 1.0
 * section 6; RFC 6749 sections 4.1.3, 5.1 and 5.2; RFC 9449 section 5),
 * the authorization code grant, and refresh tokens (RFC 6749 section 6)
 * where every configuration of the grant allows re-issuance
 * (reissuance_days): kept by hash, single use with rotation, bound to the
 * access token's DPoP key and client, the chain ending reissuance_days
 * after the first grant.
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

/* What a token answers: the exchange, the DPoP key ("" for Bearer), the
 * configurations the authorization asked for (JSON text, NULL: all its
 * offer has), the attested client (sub, "" for none), the client the
 * grant names (NULL: none), and the rotated refresh token to hand back
 * (NULL: a new chain, when the configurations allow re-issuance). */
struct token_grant {
	const char *xid, *jkt, *asked, *sub, *client;
	const char *refresh;
};

/* The lifetime of a refresh token chain for these configurations: the
 * shortest reissuance_days of them, in seconds; 0 when one has none. */
static int64_t token_refresh_ttl(vci_serve_t *s, const json_t *ids)
{
	int64_t ttl = 0;
	const json_t *v;
	size_t i;

	json_array_foreach(ids, i, v) {
		const vci_defn_t *d = vci_serve_defn(s, json_string_value(v));
		int64_t t = d ? (int64_t)d->reissuance_days * 86400 : 0;

		if (!t)
			return 0;
		if (!ttl || t < ttl)
			ttl = t;
	}
	return ttl;
}

/* A new refresh token chain (RFC 6749 section 6), bound as the access
 * token is: *out malloc'd, or NULL when the configurations allow none. */
static int token_refresh_new(vci_serve_t *s, const vci_req_t *req, const struct token_grant *g,
			     const json_t *ids, char **out, vci_err_t *err)
{
	vci_store_refresh_t r = { 0 };
	int64_t ttl = token_refresh_ttl(s, ids);
	char_auto_t *configs = NULL;
	char *rt;

	*out = NULL;
	if (!ttl)
		return 0;
	configs = json_dumps(ids, JSON_COMPACT);
	rt = configs ? vci_h_secret(TOKEN_BYTES, r.hash, err) : NULL;
	if (!rt)
		return -1;
	snprintf(r.exchange_id, sizeof r.exchange_id, "%s", g->xid);
	snprintf(r.client_id, sizeof r.client_id, "%s",
		 g->sub[0] ? g->sub : g->client ? g->client : "");
	snprintf(r.dpop_jkt, sizeof r.dpop_jkt, "%s", g->jkt);
	r.configs = configs;
	r.expires_at = req->now + ttl;
	if (vci_store_refresh_put(s->store, &r, req->now, err) != 0) {
		vci_str_wipe(rt);
		return -1;
	}
	*out = rt;
	return 0;
}

/* Make, store and answer the access token of a grant. */
static void token_issue(vci_serve_t *s, const vci_req_t *req, const struct token_grant *g,
			vci_resp_t *resp)
{
	vci_store_token_t t = { 0 };
	vci_store_exchange_t x = { 0 };
	vci_token_response_t r = { 0 };
	json_auto_t *ids = NULL, *rec = NULL;
	wipe_auto_t *token = NULL, *refresh = NULL;
	char_auto_t *c_nonce = NULL;
	json_t *body;
	vci_err_t err = { 0 };

	snprintf(t.exchange_id, sizeof t.exchange_id, "%s", g->xid);
	snprintf(t.dpop_jkt, sizeof t.dpop_jkt, "%s", g->jkt);
	t.expires_at = req->now + s->token_ttl;
	if (vci_store_exchange_get(s->store, g->xid, &x, &err) != 0)
		goto fail;
	rec = json_loads(x.record ? x.record : "{}", 0, NULL);
	ids = token_ids(rec, g->asked);
	if (ids && !json_array_size(ids))
		vci_err_set(&err, VCI_EXIT_FAIL, "invalid_grant", "scope: the authorization asked "
			    "for no configuration of its offer");
	if (err.code[0] || token_client_check(s, ids, g->sub, &err) < 0) {
		vci_store_exchange_clear(&x);
		token_fail(s, req, resp, &err);
		return;
	}
	token = vci_h_secret(TOKEN_BYTES, t.hash, &err);
	if (!token || !(c_nonce = token_c_nonce(s, req, &err)) ||
	    vci_store_token_put(s->store, &t, &err) < 0)
		goto fail;
	if (!g->refresh && ids && token_refresh_new(s, req, g, ids, &refresh, &err) < 0)
		goto fail;
	r.access_token = token;
	r.token_type = g->jkt[0] ? "DPoP" : "Bearer";
	r.expires_in = s->token_ttl;
	r.ids = ids;
	r.c_nonce = c_nonce;
	r.c_nonce_expires_in = s->nonce_ttl;
	r.refresh_token = g->refresh ? g->refresh : refresh;
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

/* The refresh token grant (RFC 6749 section 6): the token rotated (single
 * use: its successor has the same end, so a chain never outlives the
 * re-issuance its configurations allow), bound to the same DPoP key and
 * client (RFC 9449 section 5: a DPoP-bound refresh token needs a proof by
 * that key), then an access token for the same exchange and
 * configurations. A refresh token presented twice revokes its chain. */
static void token_refresh(vci_serve_t *s, const vci_req_t *req, const vci_token_request_t *tr,
			  const char *jkt, const char *sub, vci_resp_t *resp)
{
	uint8_t old[VCI_STORE_HASH], nh[VCI_STORE_HASH];
	vci_store_refresh_t r = { 0 };
	struct token_grant g = { 0 };
	wipe_auto_t *next = NULL;
	vci_err_t err = { 0 };
	int rc;

	next = vci_h_secret(TOKEN_BYTES, NULL, &err);
	if (!next || vci_store_hash(tr->refresh_token, strlen(tr->refresh_token), old) < 0) {
		vci_err_oom(&err);
		vci_h_fail(resp, 0, &err);
		return;
	}
	vci_store_hash(next, strlen(next), nh);
	rc = vci_store_refresh_rotate(s->store, old, nh, jkt, sub[0] ? sub : tr->client_id,
				      req->now, &r, &err);
	if (rc == VCI_STORE_NOTFOUND)
		vci_err_set(&err, VCI_EXIT_FAIL, "invalid_grant",
			    "refresh_token: unknown or expired");
	else if (rc == VCI_STORE_TX_DEAD)
		vci_err_set(&err, VCI_EXIT_FAIL, "invalid_grant", "refresh_token: used before: "
			    "every refresh token of this grant is revoked");
	else if (rc == VCI_STORE_TX_WRONG)
		vci_err_set(&err, VCI_EXIT_FAIL, "invalid_grant", "refresh_token: bound to another "
			    "DPoP key or client");
	if (rc != 0) {
		token_fail(s, req, resp, &err);
		return;
	}
	g.xid = r.exchange_id;
	g.jkt = jkt;
	g.asked = r.configs;
	g.sub = sub;
	g.refresh = next;
	token_issue(s, req, &g, resp);
	vci_store_refresh_clear(&r);
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
		struct token_grant g = { a.exchange_id, jkt, a.configs, sub, a.client_id, NULL };

		vci_token_request_clear(&tr);
		token_issue(s, req, &g, resp);
		vci_store_authz_clear(&a);
		return;
	}
	if (tr.refresh) {
		if (s->trust_file && vci_h_client_auth(s, req, tr.client_id, 0, sub, &err) < 0)
			goto fail;
		token_refresh(s, req, &tr, jkt, sub, resp);
		vci_token_request_clear(&tr);
		return;
	}
	if ((s->trust_file && vci_h_client_auth(s, req, tr.client_id, 0, sub, &err) < 0) ||
	    token_precheck(s, req, tr.code, sub, &err) < 0 ||
	    token_redeem(s, req, &tr, xid, &err) < 0)
		goto fail;
	{
		struct token_grant g = { xid, jkt, NULL, sub, tr.client_id, NULL };

		token_issue(s, req, &g, resp);
	}
	vci_token_request_clear(&tr);
	return;
fail:
	vci_token_request_clear(&tr);
	token_fail(s, req, resp, &err);
}
