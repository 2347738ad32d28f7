/* login.c - the wallet-initiated authorization code flow (OpenID4VCI 1.0
 * section 5 without issuer_state): who the user is comes from an upstream
 * OpenID Provider (--oidc-issuer, oidc.c).
 *
 * At GET P/authorize, a pushed request without issuer_state is spent and
 * a login made: a fresh state (32 random bytes, kept as its hash), nonce
 * and PKCE verifier (sealed in the store until the callback, at most
 * LOGIN_TTL seconds), and the browser is sent (302) to the provider's
 * authorization endpoint with the S256 challenge.
 *
 * At GET P/oidc/callback?code&state the login is spent by its state's
 * hash (once), the code redeemed at the provider and the ID token
 * verified (oidc.c). Its claims become the exchange's: the record holds
 * them whole as "id_token_claims" (what --claims-hook reads at issuance),
 * and "claims_by_configuration" {id: claims} made from them by each
 * configuration's oidc_claims mapping (claim path -> ID token claim), or,
 * without one, the ID token claims named as the definition's top-level
 * claims ("claims" too when one configuration was asked for). The exchange is made and
 * our code bound to it, and the browser is sent to the wallet's
 * redirect_uri with code, state and iss (RFC 9207), as the
 * issuer-initiated flow answers. A provider error, an unreachable
 * provider or an ID token that fails a check sends the wallet
 * access_denied (the reason goes to the log, not to the wallet). */
#include "handlers.h"
#include "base/b64url.h"
#include "oid4vci/oidc.h"
#include "oid4vci/authz.h"
#include "oid4vci/request.h"

#include <openssl/evp.h>
#include <string.h>

#define LOGIN_TTL 600     /* seconds a user has to log in at the provider */
#define LOGIN_CODE_TTL 60 /* our code, as authorize.c's */
#define LOGIN_STATE_BYTES 32
#define LOGIN_NONCE_BYTES 24
#define LOGIN_VERIFIER_BYTES 32

/* base64url(SHA-256(verifier)): the S256 challenge (RFC 7636 4.2). */
static char *login_challenge(const char *verifier)
{
	uint8_t h[32];
	unsigned int n = 0;
	char *out = malloc(44);

	if (!out || !EVP_Digest(verifier, strlen(verifier), h, &n, EVP_sha256(), NULL)) {
		free(out);
		return NULL;
	}
	vci_b64url_encode_to(out, h, sizeof h);
	return out;
}

int vci_h_login_start(vci_serve_t *s, const vci_req_t *req, const char *client_id,
		      const uint8_t request_hash[VCI_STORE_HASH], vci_resp_t *resp)
{
	uint8_t sh[VCI_STORE_HASH];
	vci_err_t err = { 0 };
	wipe_auto_t *state = vci_h_secret(LOGIN_STATE_BYTES, sh, &err);
	wipe_auto_t *nonce = vci_h_secret(LOGIN_NONCE_BYTES, NULL, &err);
	wipe_auto_t *verifier = vci_h_secret(LOGIN_VERIFIER_BYTES, NULL, &err);
	wipe_auto_t *secret = NULL;
	char_auto_t *challenge = NULL, *url = NULL;
	vci_store_authz_t a = { 0 };
	int rc;

	if (!state || !nonce || !verifier || asprintf(&secret, "%s %s", verifier, nonce) < 0 ||
	    !(challenge = login_challenge(verifier)) ||
	    !(url = vci_serve_oidc_auth_url(s, state, nonce, challenge))) {
		vci_err_set(&err, VCI_EXIT_IO, "server_error", "authorize: out of memory");
		vci_h_fail(resp, 0, &err);
		return 0;
	}
	rc = vci_store_login_start(s->store, request_hash, client_id, sh, secret, req->now,
				   req->now + LOGIN_TTL, &a, &err);
	vci_store_authz_clear(&a);
	if (rc == VCI_STORE_NOTFOUND)
		return 1;   /* not a wallet-initiated request: authorize.c goes on */
	if (rc == VCI_STORE_TX_WRONG) {
		vci_err_set(&err, VCI_EXIT_FAIL, "invalid_request",
			    "client_id: not the client that pushed this request");
		vci_h_fail(resp, 400, &err);
	} else if (rc != 0) {
		if (rc > 0 || err.status == VCI_EXIT_FAIL)
			vci_err_set(&err, VCI_EXIT_IO, "server_error", "authorize: cannot be stored");
		vci_h_fail(resp, 0, &err);
	} else {
		vci_h_redirect(resp, url);
	}
	return 0;
}

/* The definition's top-level claim names (the default mapping). */
static json_t *login_claim_names(const vci_defn_t *d)
{
	json_t *names = json_array();

	for (size_t i = 0; names && i < d->nclaims; i++) {
		const json_t *first = json_array_get(d->claims[i].path, 0);

		if (json_is_string(first))
			json_array_append(names, (json_t *)first);
	}
	return names;
}

/* The exchange record made from the verified ID token claims. */
static char *login_record(vci_serve_t *s, const json_t *idt, const char *configs,
			  vci_err_t *err)
{
	json_auto_t *ids = json_loads(configs, 0, NULL);
	json_auto_t *by = json_object(), *rec = NULL;
	const json_t *v;
	size_t i;

	if (!json_is_array(ids) || !by) {
		vci_err_oom(err);
		return NULL;
	}
	json_array_foreach(ids, i, v) {
		const vci_defn_t *d = vci_serve_defn(s, json_string_value(v));
		json_auto_t *names = NULL, *claims = json_object();

		if (!d || !claims)
			continue;
		names = d->oidc_claims ? NULL : login_claim_names(d);
		if (vci_oidc_claims_map(idt, d->oidc_claims, names, claims, err) < 0 ||
		    json_object_set(by, d->id, claims) < 0)
			return NULL;
	}
	rec = json_pack("{s:O,s:O,s:O,s:{s:O,s:O}}", "credential_configuration_ids", ids,
			"claims_by_configuration", by, "id_token_claims", idt, "oidc", "iss",
			json_object_get(idt, "iss"), "sub", json_object_get(idt, "sub"));
	if (rec && json_array_size(ids) == 1) {
		json_object_set(rec, "credential_configuration_id", json_array_get(ids, 0));
		json_object_set(rec, "claims", json_object_get(by, json_string_value(
						       json_array_get(ids, 0))));
	}
	if (!rec) {
		vci_err_oom(err);
		return NULL;
	}
	return vci_json_dump(rec);
}

/* The provider's answer turned into our code: 0 with the code's exchange
 * made, or -1 (access_denied for the wallet, the reason logged). */
static int login_finish(vci_serve_t *s, const vci_req_t *req, const char *secret,
			const char *code, const uint8_t rh[VCI_STORE_HASH], const char *configs,
			char **ours, vci_store_authz_t *out)
{
	uint8_t ch[VCI_STORE_HASH];
	char verifier[128];
	const char *nonce = NULL;
	json_auto_t *idt = NULL;
	char_auto_t *rec = NULL;
	vci_err_t err = { 0 };
	int rc;

	if (vci_oidc_login_secret_split(secret, verifier, sizeof verifier, &nonce, &err) < 0) {
		fprintf(stderr, "vci-serve: oidc callback: %s\n", err.msg);
		return -1;
	}
	idt = vci_serve_oidc_redeem(s, code, verifier, nonce, req->now, &err);
	OPENSSL_cleanse(verifier, sizeof verifier);
	if (!idt || !(rec = login_record(s, idt, configs, &err)) ||
	    !(*ours = vci_h_secret(32, ch, &err))) {
		fprintf(stderr, "vci-serve: oidc callback: %s\n", err.msg);
		return -1;
	}
	rc = vci_store_login_finish(s->store, rh, rec, ch, req->now, req->now + LOGIN_CODE_TTL,
				    out, &err);
	if (rc != 0) {
		fprintf(stderr, "vci-serve: oidc callback: %s\n",
			rc > 0 ? "the authorization request has gone" : err.msg);
		return -1;
	}
	return 0;
}

void vci_h_oidc_callback(vci_serve_t *s, const vci_req_t *req, vci_resp_t *resp)
{
	wipe_auto_t *ours = NULL, *secret = NULL;
	const char *q = req->query ? req->query : "";
	vci_oidc_callback_t cb = { 0 };
	uint8_t sh[VCI_STORE_HASH], rh[VCI_STORE_HASH];
	vci_store_authz_t a = { 0 }, done = { 0 };
	vci_err_t err = { 0 };
	int rc;

	if (vci_oidc_callback_parse(q, strlen(q), &cb, &err) < 0) {
		vci_h_fail(resp, 400, &err);
		return;
	}
	vci_store_hash(cb.state, strlen(cb.state), sh);
	rc = vci_store_login_take(s->store, sh, req->now, &secret, rh, &a, &err);
	if (rc != 0) {
		if (rc > 0)
			vci_err_set(&err, VCI_EXIT_FAIL, "invalid_request",
				    "state: no login awaits it (unknown, expired or already used)");
		vci_h_fail(resp, rc > 0 ? 400 : 0, &err);
		vci_store_authz_clear(&a);
		vci_oidc_callback_clear(&cb);
		return;
	}
	if (cb.error || !cb.code) {
		fprintf(stderr, "vci-serve: oidc callback: the provider answered %.64s\n",
			cb.error ? cb.error : "without a code");
		vci_h_authz_redirect(s, resp, &a, NULL, "access_denied",
				     "the user was not authenticated");
	} else if (login_finish(s, req, secret, cb.code, rh, a.configs, &ours, &done) < 0) {
		vci_h_authz_redirect(s, resp, &a, NULL, "access_denied", "the user could not be "
				     "authenticated at the OpenID Provider");
	} else {
		vci_h_authz_redirect(s, resp, &done, ours, NULL, NULL);
	}
	vci_store_authz_clear(&a);
	vci_store_authz_clear(&done);
	vci_oidc_callback_clear(&cb);
}
