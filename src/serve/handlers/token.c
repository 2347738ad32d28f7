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
 * refused request does not spend the code. The DPoP jti and the code
 * are written in one store operation (vci_store_token_grant), during
 * which the worker thread serves other connections (vci_serve_wait). The
 * access token is sealed once that write has found the exchange and the
 * record's checks passed (crypto/atoken.h: the exchange, the DPoP key
 * thumbprint for token_type DPoP, the expiry, under STATE/access-token.key):
 * nothing of it is stored. The response carries authorization_details
 * with credential_identifiers (section 6.2) and, for draft 13 wallets, a
 * sealed c_nonce as the nonce endpoint makes them (nothing stored). */
#include "handlers.h"
#include "crypto/atoken.h"
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
 * the key thumbprint ("" for a Bearer token), jti the hash of its jti
 * (spent with the token's other writes, *has_jti 1). Returns -1 with err. */
static int token_dpop(vci_serve_t *s, const vci_req_t *req, char jkt[VCI_ATOKEN_JKT_MAX + 1],
		      uint8_t jti[VCI_STORE_HASH], int *has_jti, vci_err_t *err)
{
	vci_dpop_result_t dp;
	int rc;

	jkt[0] = '\0';
	*has_jti = 0;
	if (s->dpop == VCI_DPOP_OFF)
		return 0;
	rc = vci_h_dpop_verify(s, req, s->token_url, NULL, NULL, &dp, jti, err);
	if (rc < 0)
		return -1;
	if (rc == 0)
		return s->dpop == VCI_DPOP_REQUIRED
			       ? vci_err_set(err, VCI_EXIT_FAIL, "invalid_dpop_proof",
					     "DPoP: this server requires a DPoP proof")
			       : 0;
	snprintf(jkt, VCI_ATOKEN_JKT_MAX + 1, "%s", dp.jkt);
	vci_dpop_result_free(&dp);
	*has_jti = 1;
	return 0;
}

/* The store's answer to a grant as the client hears it: 0, or -1 with
 * err. */
static int token_grant_result(int rc, vci_err_t *err)
{
	switch (rc) {
	case 0:
		return 0;
	case VCI_STORE_REPLAY:
		return vci_h_dpop_jti_refused(err);
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
	vci_defn_t *const *defs;
	size_t ndefs, i;
	int rc;

	/* nothing to refuse (an attested client, or no configuration of the
	 * request's catalog asks for one): no read of the offer */
	defs = vci_serve_defs(s, &ndefs);
	for (i = 0; i < ndefs && !defs[i]->wallet_attestation_required; i++)
		;
	if (sub[0] || (i == ndefs && s->profile != VCI_PROFILE_HAIP))
		return 0;
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

/* A token request while its one store write (vci_store_token_grant: the
 * DPoP jti, the code) is made. */
struct token_wait {
	vci_store_grant_t g;
	char jkt[VCI_ATOKEN_JKT_MAX + 1]; /* the DPoP key's thumbprint, "" for Bearer */
	uint8_t jti[VCI_STORE_HASH], code[VCI_STORE_HASH], tx[VCI_STORE_HASH];
	char *token, *c_nonce;          /* the secrets handed out (wiped) */
	char *asked;                    /* authorization request's configurations */
	char *refresh;                  /* the rotated refresh token to hand back
					   (wiped); NULL: a new chain when the
					   configurations allow re-issuance */
	char *client;                   /* the client the grant names, or NULL */
	char sub[256];                  /* the attested client, "" for none */
};

static void token_wait_free(struct token_wait *w)
{
	if (!w)
		return;
	vci_str_wipe(w->token);
	vci_str_wipe(w->c_nonce);
	vci_str_wipe(w->refresh);
	free(w->asked);
	free(w->client);
	free(w->g.record);
	OPENSSL_cleanse(w, sizeof *w);
	free(w);
}

static int token_start(vci_serve_t *s, void *ctx, vci_store_done_fn done, void *arg,
		       vci_err_t *err)
{
	struct token_wait *w = ctx;

	return vci_store_token_grant_start(s->store, &w->g, done, arg, err);
}

/* A new refresh token chain (RFC 6749 section 6), bound as the access
 * token is: *out malloc'd, or NULL when the configurations allow none. */
static int token_refresh_new(vci_serve_t *s, const vci_req_t *req, const struct token_wait *w,
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
	snprintf(r.exchange_id, sizeof r.exchange_id, "%s", w->g.exchange_id);
	snprintf(r.client_id, sizeof r.client_id, "%s",
		 w->sub[0] ? w->sub : w->client ? w->client : "");
	snprintf(r.dpop_jkt, sizeof r.dpop_jkt, "%s", w->jkt);
	r.configs = configs;
	r.expires_at = req->now + ttl;
	if (vci_store_refresh_put(s->store, &r, req->now, err) != 0) {
		vci_str_wipe(rt);
		return -1;
	}
	*out = rt;
	return 0;
}

/* The access token of the exchange the write found, sealed (w->token). */
static int token_seal(vci_serve_t *s, const vci_req_t *req, struct token_wait *w,
		      vci_err_t *err)
{
	vci_atoken_t t = { 0 };

	snprintf(t.exchange_id, sizeof t.exchange_id, "%s", w->g.exchange_id);
	snprintf(t.dpop_jkt, sizeof t.dpop_jkt, "%s", w->jkt);
	t.expires_at = req->now + s->token_ttl;
	w->token = vci_atoken_seal(s->token_key, &t, err);
	return w->token ? 0 : -1;
}

/* Answer the access token of the exchange the write found. */
static void token_finish(vci_serve_t *s, const vci_req_t *req, vci_resp_t *resp, void *ctx,
			 int ret, const vci_err_t *werr)
{
	struct token_wait *w = ctx;
	vci_token_response_t r = { 0 };
	json_auto_t *ids = NULL, *rec = NULL;
	wipe_auto_t *refresh = NULL;
	json_t *body;
	vci_err_t err = { 0 };

	if (ret < 0 && werr)
		err = *werr;
	if (token_grant_result(ret, &err) < 0) {
		if (!err.code[0])
			vci_err_set(&err, VCI_EXIT_IO, "server_error", "token: cannot be issued");
		token_fail(s, req, resp, &err);
		token_wait_free(w);
		return;
	}
	rec = json_loads(w->g.record ? w->g.record : "{}", 0, NULL);
	ids = token_ids(rec, w->asked);
	if (ids && !json_array_size(ids))
		vci_err_set(&err, VCI_EXIT_FAIL, "invalid_grant", "scope: the authorization asked "
			    "for no configuration of its offer");
	if (err.code[0] || token_client_check(s, ids, w->sub, &err) < 0) {
		token_fail(s, req, resp, &err);
		token_wait_free(w);
		return;
	}
	if (token_seal(s, req, w, &err) < 0 ||
	    (!w->refresh && ids && token_refresh_new(s, req, w, ids, &refresh, &err) < 0)) {
		if (!err.code[0] || err.status == VCI_EXIT_FAIL || err.status == VCI_EXIT_USAGE)
			vci_err_set(&err, VCI_EXIT_IO, "server_error", "token: cannot be issued");
		vci_h_fail(resp, 0, &err);
		token_wait_free(w);
		return;
	}
	r.access_token = w->token;
	r.token_type = w->jkt[0] ? "DPoP" : "Bearer";
	r.expires_in = s->token_ttl;
	r.ids = ids;
	r.c_nonce = w->c_nonce;
	r.c_nonce_expires_in = s->nonce_ttl;
	r.refresh_token = w->refresh ? w->refresh : refresh;
	body = ids ? vci_token_response_new(&r) : NULL;
	if (vci_resp_json(resp, 200, body) == 0 &&
	    vci_resp_header(resp, "Cache-Control", "no-store") == 0 &&
	    vci_resp_header(resp, "Pragma", "no-cache") == 0)
		vci_h_dpop_nonce_header(s, req, resp);
	token_wait_free(w);
}

/* Make the draft-13 c_nonce (sealed) of the grant in w and write w in
 * one store operation; the access token follows it (w is taken). */
static void token_issue(vci_serve_t *s, const vci_req_t *req, struct token_wait *w,
			vci_resp_t *resp)
{
	vci_err_t err = { 0 };

	w->g.now = req->now;
	w->c_nonce = vci_h_c_nonce(s, req, &err);
	if (!w->c_nonce) {
		token_wait_free(w);
		vci_h_fail(resp, 0, &err);
		return;
	}
	vci_serve_wait(s, req, resp, token_start, token_finish, w);
}

/* The refresh token grant (RFC 6749 section 6): the token rotated (single
 * use: its successor has the same end, so a chain never outlives the
 * re-issuance its configurations allow), bound to the same DPoP key and
 * client (RFC 9449 section 5: a DPoP-bound refresh token needs a proof by
 * that key); w then names the same exchange and configurations for a new
 * access token. A refresh token presented twice revokes its chain. */
static int token_refresh(vci_serve_t *s, const vci_req_t *req, const vci_token_request_t *tr,
			 struct token_wait *w, vci_err_t *err)
{
	uint8_t old[VCI_STORE_HASH], nh[VCI_STORE_HASH];
	vci_store_refresh_t r = { 0 };
	int rc;

	w->refresh = vci_h_secret(TOKEN_BYTES, NULL, err);
	if (!w->refresh ||
	    vci_store_hash(tr->refresh_token, strlen(tr->refresh_token), old) < 0)
		return vci_err_oom(err);
	vci_store_hash(w->refresh, strlen(w->refresh), nh);
	rc = vci_store_refresh_rotate(s->store, old, nh, w->jkt,
				      w->sub[0] ? w->sub : tr->client_id, req->now, &r, err);
	if (rc == VCI_STORE_NOTFOUND)
		return vci_err_set(err, VCI_EXIT_FAIL, "invalid_grant",
				   "refresh_token: unknown or expired");
	if (rc == VCI_STORE_TX_DEAD)
		return vci_err_set(err, VCI_EXIT_FAIL, "invalid_grant", "refresh_token: used "
				   "before: every refresh token of this grant is revoked");
	if (rc == VCI_STORE_TX_WRONG)
		return vci_err_set(err, VCI_EXIT_FAIL, "invalid_grant", "refresh_token: bound to "
				   "another DPoP key or client");
	if (rc != 0)
		return -1;
	snprintf(w->g.exchange_id, sizeof w->g.exchange_id, "%s", r.exchange_id);
	w->asked = r.configs;
	r.configs = NULL;
	vci_store_refresh_clear(&r);
	return 0;
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
	char ctype[64];
	struct token_wait *w = NULL;
	int has_jti = 0;
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
	w = calloc(1, sizeof *w);
	if (!w) {
		vci_err_oom(&err);
		goto fail;
	}
	if (token_dpop(s, req, w->jkt, w->jti, &has_jti, &err) < 0)
		goto fail;
	w->g.jti_hash = has_jti ? w->jti : NULL;
	w->g.jti_expires_at = req->now + VCI_H_DPOP_JTI_TTL;
	if (tr.auth_code) {
		vci_store_authz_t a = { 0 };

		/* the authorization code is spent on its own (its checks follow
		 * it); the DPoP jti goes with the token's writes */
		if (vci_h_client_auth(s, req, tr.client_id, s->trust_file != NULL, w->sub,
				      &err) < 0 ||
		    token_code(s, &tr, w->jkt, w->sub, req, &a, &err) < 0) {
			vci_store_authz_clear(&a);
			goto fail;
		}
		snprintf(w->g.exchange_id, sizeof w->g.exchange_id, "%s", a.exchange_id);
		w->asked = a.configs;
		a.configs = NULL;
		w->client = strdup(a.client_id);
		vci_store_authz_clear(&a);
		if (!w->client) {
			vci_err_oom(&err);
			goto fail;
		}
	} else if (tr.refresh) {
		if ((s->trust_file &&
		     vci_h_client_auth(s, req, tr.client_id, 0, w->sub, &err) < 0) ||
		    token_refresh(s, req, &tr, w, &err) < 0)
			goto fail;
	} else {
		if ((s->trust_file &&
		     vci_h_client_auth(s, req, tr.client_id, 0, w->sub, &err) < 0) ||
		    token_precheck(s, req, tr.code, w->sub, &err) < 0)
			goto fail;
		if (tr.client_id && !(w->client = strdup(tr.client_id))) {
			vci_err_oom(&err);
			goto fail;
		}
		if (vci_store_hash(tr.code, strlen(tr.code), w->code) < 0 ||
		    (tr.tx_code && vci_store_hash(tr.tx_code, strlen(tr.tx_code), w->tx) < 0)) {
			vci_err_oom(&err);
			goto fail;
		}
		w->g.code_hash = w->code;
		w->g.tx_hash = tr.tx_code ? w->tx : NULL;
	}
	vci_token_request_clear(&tr);
	token_issue(s, req, w, resp);
	return;
fail:
	token_wait_free(w);
	vci_token_request_clear(&tr);
	token_fail(s, req, resp, &err);
}
