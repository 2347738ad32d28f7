/* deferred.c - deferred issuance (OpenID4VCI 1.0 section 9) and the
 * claims hook at issuance time.
 *
 * A credential request for an offer marked deferred ("deferred": true,
 * or "issuanceMode": "Deferred" in its record) or a definition with a
 * deferred_interval (unless the record says "issuanceMode": "InTime") is
 * answered 202 {transaction_id, interval} once its
 * proofs are verified (credential.c): the status entries are allocated
 * then, and the transaction id (its SHA-256), the proven keys and those
 * entries are kept in the store (vci_store_deferred_put). The wallet then
 * polls POST P/deferred_credential {transaction_id} with its access
 * token: 202 while pending; 200 with the credentials once the claims are
 * there (supplied by the back office: POST /exchanges/{id}/claims or
 * `vci-serve deferred claims`; or returned by the claims hook), signed
 * for the kept keys with the kept status entries and recorded in the same
 * transaction that spends the transaction id; 400
 * credential_request_denied after a denial; 400 invalid_transaction_id
 * for an id unknown, of another access token, or delivered. The request
 * may come encrypted and ask for an encrypted response as a credential
 * request does (section 9.1, 10; encryption.c): the 200 answer is then a
 * JWE to the key this request names. */
#include "handlers.h"
#include "crypto/jwe.h"
#include "crypto/keys.h"
#include "oid4vci/request.h"

#include <string.h>

#define TRANSACTION_ID_BYTES 32

int vci_serve_deferred_wanted(const json_t *xrec, const vci_defn_t *d, unsigned *interval)
{
	const char *mode = json_string_value(json_object_get(xrec, "issuanceMode"));
	int on = json_is_true(json_object_get(xrec, "deferred")) ||
		 (mode && !strcmp(mode, "Deferred")) || (d && d->deferred_interval);

	/* system A's issuanceMode decides per offer: its definitions carry a
	 * polling interval (credentialResponseInterval) for both modes */
	if (mode && !strcmp(mode, "InTime"))
		on = 0;

	*interval = d && d->deferred_interval ? d->deferred_interval : VCI_DEFERRED_INTERVAL;
	return on;
}

/* The hook's input: the exchange (ids, state, record), the configuration,
 * the holder keys' thumbprints. Secrets never: the record has no code or
 * tx_code (offers.c), and tokens are not in it. */
static json_t *hook_input(const vci_store_exchange_t *x, const json_t *xrec,
			  const vci_defn_t *d, const json_t *keys, int deferred)
{
	json_t *jkts = json_array();
	json_t *in;
	size_t i;
	json_t *k;

	json_array_foreach(keys, i, k) {
		char jkt[44];
		vci_err_t err = { 0 };

		if (vci_jwk_thumbprint(k, jkt, &err) == 0)
			json_array_append_new(jkts, json_string(jkt));
	}
	in = json_pack("{s:s, s:s, s:s, s:s, s:o, s:O, s:b}", "exchange_id", x->id, "offer_id",
		       x->offer_id, "state", x->state, "credential_configuration_id", d->id,
		       "holder_jkt", jkts ? jkts : json_array(), "record", xrec, "deferred",
		       deferred);
	return in;
}

int vci_serve_hook_claims(vci_serve_t *s, const vci_store_exchange_t *x, json_t *xrec,
			  const vci_defn_t *d, const json_t *keys, int deferred, vci_err_t *err)
{
	json_auto_t *in = NULL;
	json_t *claims = NULL;
	int rc;

	if (!s->hook)
		return 0;
	in = hook_input(x, xrec, d, keys, deferred);
	if (!in)
		return vci_err_oom(err);
	rc = vci_serve_hook_run(s, in, &claims, err);
	if (rc < 0) {
		fprintf(stderr, "vci-serve: exchange %s: %s\n", x->id, err->msg);
		/* the wallet is told the issuer failed, not why */
		return vci_err_set(err, VCI_EXIT_KEY, "server_error", "the issuer could not get "
				   "the claims of this credential");
	}
	if (rc == VCI_HOOK_PENDING)
		return rc;
	if (json_object_set_new(xrec, "claims", claims) < 0)
		return vci_err_oom(err);
	json_object_del(xrec, "claims_by_configuration");   /* the hook's claims win */
	return 0;
}

/* ---- the deferred credential request (credential.c's 202) ---- */

/* 202 {transaction_id, interval}: a credential response, so a JWE to the
 * wallet's key when the request asked for encrypted responses (`enc`, its
 * credential_response_encryption: section 10 encrypts every credential
 * response, only errors stay plain). */
static void pending(vci_resp_t *resp, const char *tx, unsigned interval, const json_t *enc)
{
	json_t *b = json_pack("{s:s, s:i}", "transaction_id", tx, "interval", (int)interval);
	char_auto_t *text = NULL;
	char_auto_t *jwe = NULL;
	vci_err_t err = { 0 };
	int rc;

	if (!enc) {
		rc = vci_resp_json(resp, 202, b);
	} else {
		text = b ? json_dumps(b, JSON_COMPACT) : NULL;
		json_decref(b);
		jwe = text ? vci_jwe_encrypt(json_object_get(enc, "jwk"),
					     json_string_value(json_object_get(enc, "enc")),
					     json_string_value(json_object_get(enc, "zip")), NULL,
					     (const uint8_t *)text, strlen(text), &err)
			   : NULL;
		if (!jwe) {
			if (!err.code[0])
				vci_err_oom(&err);
			vci_h_fail(resp, 500, &err);
			return;
		}
		rc = vci_resp_bytes(resp, 202, "application/jwt", jwe, strlen(jwe));
	}
	if (rc == 0)
		vci_resp_header(resp, "Cache-Control", "no-store");
}

void vci_serve_deferred_start(vci_serve_t *s, const vci_req_t *req,
			      const vci_store_exchange_t *x, const vci_defn_t *d,
			      const json_t *keys, const json_t *enc, vci_resp_t *resp)
{
	size_t n = keys && json_array_size(keys) ? json_array_size(keys) : 1;
	uint8_t h[VCI_STORE_HASH];
	json_auto_t *status = NULL;
	char_auto_t *keys_text = NULL;
	char_auto_t *status_text = NULL;
	wipe_auto_t *tx = NULL;
	json_auto_t *xrec = json_loads(x->record ? x->record : "{}", 0, NULL);
	vci_err_t err = { 0 };
	unsigned interval;
	int rc;

	vci_serve_deferred_wanted(xrec, d, &interval);
	if (vci_serve_status_alloc(s, d, n, &status, &err) < 0)
		goto fail;
	keys_text = keys ? vci_json_dump(keys) : strdup("[]");
	status_text = status ? vci_json_dump(status) : NULL;
	tx = vci_h_secret(TRANSACTION_ID_BYTES, h, &err);
	if (!tx)
		goto fail;
	if (!keys_text || (status && !status_text)) {
		vci_err_oom(&err);
		goto fail;
	}
	rc = vci_store_deferred_put(s->store, h, x->id, d->id, keys_text, status_text, req->now,
				    &err);
	if (rc > 0)
		vci_err_set(&err, VCI_EXIT_IO, "server_error", "deferred: the exchange is gone");
	if (rc != 0)
		goto fail;
	vci_serve_webhooks_kick(s);
	pending(resp, tx, interval, enc);
	return;
fail:
	vci_h_fail(resp, 0, &err);
}

/* ---- POST P/deferred_credential ---- */

typedef struct defer_ctx {
	vci_serve_t *s;
	const vci_req_t *req;
	vci_atoken_t tok;
	vci_store_deferred_t row;
	vci_store_exchange_t x;
	uint8_t hash[VCI_STORE_HASH];
	const vci_defn_t *d;
	json_t *xrec, *keys, *status, *creds;
	json_t *doc;              /* the request (decrypted when encrypted) */
	const json_t *enc;        /* its credential_response_encryption, or NULL */
	vci_err_t err;
} defer_ctx_t;

/* credential_response_encryption as the credential endpoint takes it. */
static int defer_encryption(defer_ctx_t *c, int encrypted)
{
	static const char code[] = "invalid_encryption_parameters";
	const json_t *e = json_object_get(c->doc, "credential_response_encryption");
	const json_t *enc = json_object_get(e, "enc"), *zip = json_object_get(e, "zip");

	if (e && c->s->encryption == VCI_ENCRYPTION_OFF)
		return vci_err_set(&c->err, VCI_EXIT_FAIL, code, "credential_response_encryption: "
				   "this issuer does not encrypt credential responses");
	if (!e && c->s->encryption == VCI_ENCRYPTION_REQUIRED)
		return vci_err_set(&c->err, VCI_EXIT_FAIL, code, "credential_response_encryption: "
				   "missing: this issuer requires encrypted responses");
	if (!e)
		return 0;
	if (!json_is_object(e) || !json_is_string(enc) || (zip && !json_is_string(zip)))
		return vci_err_set(&c->err, VCI_EXIT_FAIL, code, "credential_response_encryption: "
				   "expected an object with \"jwk\" and \"enc\"");
	if (vci_jwe_recipient_check(json_object_get(e, "jwk"), json_string_value(enc),
				    json_string_value(zip), &c->err) < 0)
		return vci_err_prefix(&c->err, "credential_response_encryption");
	if (!encrypted)
		return vci_err_set(&c->err, VCI_EXIT_FAIL, code, "credential_response_encryption "
				   "in a request that is not encrypted: encrypt the request to "
				   "credential_request_encryption.jwks (application/jwt)");
	c->enc = e;
	return 0;
}

/* The body: {"transaction_id", "credential_response_encryption"?}
 * (unknown members ignored), JSON or encrypted (application/jwt); the
 * transaction_id's hash to c->hash. */
static int defer_parse(defer_ctx_t *c)
{
	char ctype[64];
	char_auto_t *plain = NULL;
	size_t plain_len = 0;
	int encrypted;
	const json_t *t;

	if (vci_serve_request_body(c->s, c->req, &plain, &plain_len, &encrypted, &c->err) < 0)
		return -1;
	vci_req_content_type(c->req, ctype, sizeof ctype);
	if (!encrypted && strcmp(ctype, "application/json"))
		return vci_err_set(&c->err, VCI_EXIT_FAIL, "invalid_credential_request",
				   "Content-Type: must be application/json");
	c->doc = encrypted ? json_loadb(plain, plain_len, JSON_REJECT_DUPLICATES, NULL)
			   : json_loadb(c->req->body ? c->req->body : "", c->req->body_len,
					JSON_REJECT_DUPLICATES, NULL);
	if (!json_is_object(c->doc))
		return vci_err_set(&c->err, VCI_EXIT_FAIL, "invalid_credential_request",
				   "body: expected a JSON object");
	if (defer_encryption(c, encrypted) < 0)
		return -1;
	t = json_object_get(c->doc, "transaction_id");
	if (!json_is_string(t) || !json_string_length(t) || json_string_length(t) > 512)
		return vci_err_set(&c->err, VCI_EXIT_FAIL, "invalid_credential_request",
				   "transaction_id: missing or not a string");
	vci_store_hash(json_string_value(t), json_string_length(t), c->hash);
	return 0;
}

static int defer_unknown(defer_ctx_t *c)
{
	return vci_err_set(&c->err, VCI_EXIT_FAIL, "invalid_transaction_id",
			   "transaction_id: unknown, already used or not of this access token");
}

/* The token's exchange (gone: invalid_token), then the request of the
 * id, this exchange's, still open. */
static int defer_lookup(defer_ctx_t *c)
{
	int rc = vci_store_exchange_get(c->s->store, c->tok.exchange_id, &c->x, &c->err);

	if (rc)
		return rc < 0 ? -1 : vci_h_token_gone(&c->err);
	rc = vci_store_deferred_get(c->s->store, c->hash, &c->row, &c->err);
	if (rc < 0)
		return -1;
	if (rc || strcmp(c->row.exchange_id, c->x.id) || !strcmp(c->row.state, "issued"))
		return defer_unknown(c);
	if (!strcmp(c->row.state, "denied"))
		return vci_err_set(&c->err, VCI_EXIT_FAIL, "credential_request_denied",
				   "the issuer denied this credential%s%s",
				   c->row.reason ? ": " : "", c->row.reason ? c->row.reason : "");
	c->xrec = json_loads(c->x.record ? c->x.record : "", 0, NULL);
	c->keys = json_loads(c->row.keys ? c->row.keys : "[]", 0, NULL);
	c->status = c->row.status ? json_loads(c->row.status, 0, NULL) : NULL;
	c->d = vci_serve_defn(c->s, c->row.config_id);
	if (!json_is_object(c->xrec) || !json_is_array(c->keys) || (c->row.status && !c->status))
		return vci_err_set(&c->err, VCI_EXIT_IO, "server_error", "deferred request: "
				   "unreadable");
	if (!c->d)
		return vci_err_set(&c->err, VCI_EXIT_KEY, "server_error", "deferred request: "
				   "its configuration is no longer served");
	return 0;
}

/* The claims: supplied, or from the hook. 1 when still pending. */
static int defer_claims(defer_ctx_t *c)
{
	json_t *claims;
	int rc;

	if (!strcmp(c->row.state, "ready")) {
		claims = json_loads(c->row.claims ? c->row.claims : "", 0, NULL);
		if (!json_is_object(claims) || json_object_set_new(c->xrec, "claims", claims) < 0)
			return json_decref(claims), vci_err_set(&c->err, VCI_EXIT_IO, "server_error",
							       "deferred request: claims unreadable");
		return 0;
	}
	if (!c->s->hook)
		return 1;
	rc = vci_serve_hook_claims(c->s, &c->x, c->xrec, c->d, c->keys, 1, &c->err);
	return rc == VCI_HOOK_PENDING ? 1 : rc;
}

/* Sign one credential per kept key with its kept status entry. */
static int defer_sign(defer_ctx_t *c)
{
	int rc = vci_h_sign_each(c->s, c->xrec, c->d, c->keys, c->status, c->req->now, &c->creds,
				 &c->err);

	if (rc <= 0)
		return rc;
	fprintf(stderr, "vci-serve: exchange %s: deferred: %s\n", c->x.id, c->err.msg);
	return vci_err_set(&c->err, VCI_EXIT_KEY, "server_error", "the claims supplied do not "
			   "make a credential of this configuration");
}

/* Record the issuance (the id spent in the same transaction). */
static int defer_record(defer_ctx_t *c, char nid[VCI_STORE_ID])
{
	size_t n = json_array_size(c->status), nst = 0;
	const char **uris = calloc(n ? n : 1, sizeof *uris);
	uint64_t *idx = calloc(n ? n : 1, sizeof *idx);
	json_auto_t *st = json_array();
	json_auto_t *issued = NULL;
	char_auto_t *text = NULL;
	int rc = -1;

	if (vci_h_notification_id(&c->x, nid, &c->err) < 0) {
		free(uris);
		free(idx);
		return -1;
	}
	if (uris && idx && st && vci_h_status_refs(c->status, uris, idx, &nst, st) == 0)
		issued = json_pack("{s:I, s:O, s:b}", "credentials",
				   (json_int_t)json_array_size(c->creds), "status", st, "deferred", 1);
	text = issued ? json_dumps(issued, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
	if (!nid[0] || !text || !uris || !idx)
		vci_err_oom(&c->err);
	else
		rc = vci_store_deferred_issued(c->s->store, c->hash, text, nid, uris, idx, nst,
					       c->req->now, &c->err);
	if (rc == VCI_STORE_NOTFOUND)
		rc = defer_unknown(c);   /* delivered meanwhile by another request */
	else if (rc > 0)
		rc = vci_err_set(&c->err, VCI_EXIT_IO, "server_error",
				 "exchange: a status index was recorded before");
	free(uris);
	free(idx);
	return rc;
}

/* 200 with the credentials, encrypted when the request asked. */
static void defer_respond(defer_ctx_t *c, const char *nid, vci_resp_t *resp)
{
	json_auto_t *body = vci_credential_response_new(c->creds, nid, 0, NULL, 0);
	char_auto_t *text = NULL;
	char_auto_t *jwe = NULL;
	int rc;

	if (c->enc) {
		text = body ? json_dumps(body, JSON_COMPACT) : NULL;
		jwe = text ? vci_jwe_encrypt(json_object_get(c->enc, "jwk"),
					     json_string_value(json_object_get(c->enc, "enc")), NULL,
					     NULL, (const uint8_t *)text, strlen(text), &c->err)
			   : NULL;
		if (!jwe) {
			vci_h_fail(resp, 500, &c->err);
			return;
		}
		rc = vci_resp_bytes(resp, 200, "application/jwt", jwe, strlen(jwe));
	} else {
		rc = vci_resp_json(resp, 200, json_incref(body));
	}
	if (rc == 0)
		vci_resp_header(resp, "Cache-Control", "no-store");
}

void vci_h_deferred(vci_serve_t *s, const vci_req_t *req, vci_resp_t *resp)
{
	defer_ctx_t c = { 0 };
	char nid[VCI_STORE_ID] = "";
	unsigned interval;
	int rc;

	c.s = s;
	c.req = req;
	if (vci_h_access(s, req, s->deferred_url, &c.tok, resp) < 0)
		goto out;
	if (defer_parse(&c) < 0 || defer_lookup(&c) < 0 || (rc = defer_claims(&c)) < 0) {
		vci_h_access_fail(s, req, resp, &c.tok, &c.err);
		goto out;
	}
	if (rc == 1) {
		vci_serve_deferred_wanted(c.xrec, c.d, &interval);
		pending(resp, json_string_value(json_object_get(c.doc, "transaction_id")),
			interval, c.enc);
	} else if (defer_sign(&c) < 0 || defer_record(&c, nid) < 0) {
		vci_h_fail(resp, 0, &c.err);
	} else {
		vci_serve_webhooks_kick(s);
		defer_respond(&c, nid, resp);
	}
	if (resp->status < 300 && c.tok.dpop_jkt[0])
		vci_h_dpop_nonce_header(s, req, resp);
out:
	vci_store_deferred_clear(&c.row);
	vci_store_exchange_clear(&c.x);
	json_decref(c.xrec);
	json_decref(c.keys);
	json_decref(c.status);
	json_decref(c.creds);
	json_decref(c.doc);
}
