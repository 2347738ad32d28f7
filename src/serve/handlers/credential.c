/* credential.c - POST P/credential: the Credential Endpoint (OpenID4VCI
 * 1.0 section 8).
 *
 * 1. The access token (access.c): sealed (its MAC and expiry checked
 *    first, no store read), Bearer, or DPoP with a proof of the token's
 *    key carrying "ath"; a token in the query string refused.
 * 2. The request (vci_credential_request_parse, 8.2): JSON, exactly one
 *    of credential_configuration_id / credential_identifier or draft 13's
 *    format + type, "proofs" (or drafts 13-15's singular "proof") with at
 *    most batch_size proofs; unknown members ignored.
 * 3. The configuration, among those the exchange's offer names
 *    (vci_credential_request_select); a token whose exchange was deleted
 *    is invalid_token (401).
 * 4. The proofs (Appendix F): every proof signed by a distinct key, aud
 *    the issuer, nonce one live c_nonce sealed by this server (checked
 *    first, without the store: a forged, foreign or expired nonce is
 *    invalid_nonce before any signature is verified), which is then
 *    recorded spent in the store (a second use is invalid_nonce).
 * 5. One status index per credential (vci_serve_status_alloc), one
 *    issuance record per proven key (the exchange's claims, the key, the
 *    status), each signed through the library.
 * 6. The issuance recorded in the store before the response
 *    {credentials, notification_id} (8.3) leaves: with the DPoP jti and
 *    the c_nonce spent, in one write (vci_store_credential_issued), during
 *    which the worker thread serves other connections (vci_serve_wait). A
 *    replayed jti or nonce is found there, after signing; a deferred
 *    request or the claims hook spends them first, on their own.
 * Errors are those of 8.3.1.2 with Cache-Control: no-store; a legacy
 * (draft 13-15 shaped) request that fails on its proof or nonce gets a
 * fresh c_nonce with the error, as draft 13 wallets expect. */
#include "handlers.h"
#include "oid4vci/request.h"

#include <string.h>

/* What one credential request carries through its steps. */
typedef struct cred_ctx {
	vci_serve_t *s;
	const vci_req_t *req;
	vci_credential_request_t cr;
	vci_atoken_t tok;
	vci_store_exchange_t x;
	json_t *xrec;             /* the exchange's issuance record */
	const vci_defn_t *d;
	json_t *keys;             /* proven holder keys (array), or NULL */
	json_t *status;           /* status entries (array), or NULL */
	json_t *creds;            /* the credentials made (strings) */
	vci_err_t err;
	/* spent in the one store write of the request (cred_record) */
	uint8_t jti[VCI_STORE_HASH], nonce[VCI_STORE_HASH];
	int64_t nonce_exp;        /* the c_nonce's expiry: kept spent until then */
	int has_jti, has_nonce;
	vci_store_issue_t issue;  /* that write */
	char nid[VCI_STORE_ID];
	char *issued;
	const char **uris;
	uint64_t *idx;
} cred_ctx_t;

/* A fresh c_nonce, sealed as the nonce endpoint's are (malloc'd). */
static char *cred_c_nonce(cred_ctx_t *c)
{
	vci_err_t err = { 0 };

	return vci_h_c_nonce(c->s, c->req, &err);
}

/* Answer c->err. A legacy request's proof and nonce errors also carry a
 * fresh c_nonce (draft 13 section 7.3.2). */
static void cred_fail(cred_ctx_t *c, vci_resp_t *resp)
{
	json_auto_t *body = NULL;
	char_auto_t *n = NULL;

	vci_h_access_fail(c->s, c->req, resp, &c->tok, &c->err);
	if (!c->cr.legacy || resp->status != 400 ||
	    (strcmp(c->err.code, "invalid_proof") && strcmp(c->err.code, "invalid_nonce")))
		return;
	body = json_loadb(resp->body, resp->len, 0, NULL);
	n = cred_c_nonce(c);
	if (!body || !n || json_object_set_new(body, "c_nonce", json_string(n)) < 0 ||
	    json_object_set_new(body, "c_nonce_expires_in", json_integer(c->s->nonce_ttl)) < 0)
		return;
	vci_resp_json(resp, 400, json_incref(body));
}

/* Encryption as --encryption sets it (section 10): off, no encrypted
 * response; required, one asked for; a request asking for an encrypted
 * response must itself come encrypted, so that the response key cannot
 * be substituted on the way. */
static int cred_encryption_check(cred_ctx_t *c, int encrypted)
{
	static const char code[] = "invalid_encryption_parameters";

	if (c->cr.encryption && c->s->encryption == VCI_ENCRYPTION_OFF)
		return vci_err_set(&c->err, VCI_EXIT_FAIL, code, "credential_response_encryption: "
				   "this issuer does not encrypt credential responses");
	if (!c->cr.encryption && c->s->encryption == VCI_ENCRYPTION_REQUIRED)
		return vci_err_set(&c->err, VCI_EXIT_FAIL, code, "credential_response_encryption: "
				   "missing: this issuer requires encrypted responses");
	if (c->cr.encryption && !encrypted)
		return vci_err_set(&c->err, VCI_EXIT_FAIL, code, "credential_response_encryption "
				   "in a request that is not encrypted: encrypt the request to "
				   "credential_request_encryption.jwks (application/jwt)");
	return 0;
}

/* Steps 2 and 3: the request and the configuration it asks for. */
static int cred_parse(cred_ctx_t *c)
{
	char ctype[64];
	json_auto_t *offered = NULL;
	vci_defn_t *const *defs;
	size_t ndefs;
	int rc;

	char_auto_t *plain = NULL;
	size_t plain_len = 0;
	int encrypted;

	if (vci_serve_request_body(c->s, c->req, &plain, &plain_len, &encrypted, &c->err) < 0)
		return -1;
	vci_req_content_type(c->req, ctype, sizeof ctype);
	if (!encrypted && strcmp(ctype, "application/json"))
		return vci_err_set(&c->err, VCI_EXIT_FAIL, "invalid_credential_request",
				   "Content-Type: must be application/json");
	if (vci_credential_request_parse(encrypted ? plain : c->req->body,
					 encrypted ? plain_len : c->req->body_len,
					 c->s->batch_size ? c->s->batch_size : 1, &c->cr,
					 &c->err) < 0)
		return -1;
	if (cred_encryption_check(c, encrypted) < 0)
		return -1;
	rc = vci_store_exchange_get(c->s->store, c->tok.exchange_id, &c->x, &c->err);
	if (rc != 0)
		return rc < 0 ? -1 : vci_h_token_gone(&c->err);
	c->xrec = json_loads(c->x.record ? c->x.record : "", 0, NULL);
	offered = vci_request_offered_ids(c->xrec);
	if (!json_is_object(c->xrec) || !offered)
		return vci_err_set(&c->err, VCI_EXIT_IO, "server_error",
				   "exchange record: unreadable");
	defs = vci_serve_defs(c->s, &ndefs);    /* the request's catalog */
	c->d = vci_credential_request_select(&c->cr, defs, ndefs, offered, &c->err);
	return c->d ? 0 : -1;
}

/* Step 4: the proofs, verified, and their c_nonce spent. */
static int cred_proofs(cred_ctx_t *c)
{
	vci_proof_policy_t p = { 0 };
	char_auto_t *nonce = NULL;

	if (!c->cr.proofs && !c->d->key_binding)
		return 0;
	if (vci_credential_request_nonce(&c->cr, &nonce, &c->err) < 0 ||
	    vci_h_c_nonce_check(c->s, c->req, nonce, c->nonce, &c->nonce_exp, &c->err) < 0)
		return -1;
	/* the definition's proof algorithms and key attestation levels are
	 * applied by vci_policy_verify_record, as vci-verify-proof --defn does */
	p.aud = c->s->issuer;
	p.now = (time_t)c->req->now;
	p.nonce = nonce;
	p.trust_file = c->s->trust_file;    /* --trust: attesters of keys too */
	if (vci_credential_request_verify(&c->cr, c->d, &p, &c->keys, &c->err) < 0)
		return -1;
	if (json_array_size(c->keys) > (c->s->batch_size ? c->s->batch_size : 1))
		return vci_err_set(&c->err, VCI_EXIT_FAIL, "invalid_proof",
				   "proofs: more keys than the batch size");
	c->has_nonce = 1;
	return 0;
}

static int cred_nonce_refused(cred_ctx_t *c)
{
	return vci_err_set(&c->err, VCI_EXIT_FAIL, "invalid_nonce",
			   "nonce: used before: fetch a new one");
}

/* The DPoP jti and the c_nonce spent on their own, before a deferred
 * request or the claims hook (which must not run for a replay): 0, or -1
 * with c->err (c->err.code "invalid_dpop_proof" for a replayed jti). */
static int cred_spend(cred_ctx_t *c)
{
	int rc = 0;

	if (c->has_jti)
		rc = vci_store_jti_use(c->s->store, c->jti, c->req->now + VCI_H_DPOP_JTI_TTL,
				       &c->err);
	if (rc == VCI_STORE_EXISTS)
		return vci_h_dpop_jti_refused(&c->err);
	if (rc == 0 && c->has_nonce)
		rc = vci_store_nonce_spend(c->s->store, c->nonce, c->nonce_exp, &c->err);
	if (rc == VCI_STORE_EXISTS)
		return cred_nonce_refused(c);
	c->has_jti = c->has_nonce = 0;
	return rc < 0 ? -1 : 0;
}

/* Step 5: status entries and one credential per key, through the
 * library's one issuing path (vci_issue_record), as vci-sign-sdjwt and
 * vci-sign-mdoc do. */
static int cred_issue(cred_ctx_t *c)
{
	/* one credential per key, one when there is no key (as
	 * vci_h_sign_each counts them) */
	size_t n = json_array_size(c->keys) ? json_array_size(c->keys) : 1;
	int rc;

	if (vci_serve_status_alloc(c->s, c->d, n, &c->status, &c->err) < 0)
		return -1;
	rc = vci_h_sign_each(c->s, c->xrec, c->d, c->keys, c->status, c->req->now, &c->creds,
			     &c->err);
	/* a record the definition refuses is the issuer's data, not the
	 * wallet's request */
	if (rc > 0 && c->err.status == VCI_EXIT_FAIL && strcmp(c->err.code, "invalid_proof"))
		c->err.status = VCI_EXIT_KEY;
	return rc ? -1 : 0;
}

/* The "issued" JSON of the exchange, with what an earlier request of the
 * same exchange issued: {"credentials": n, "status": [{uri, idx}...]}. */
static char *cred_issued_json(cred_ctx_t *c, const char **uris, uint64_t *idx, size_t *nst)
{
	json_auto_t *prev = c->x.issued ? json_loads(c->x.issued, 0, NULL) : NULL;
	json_auto_t *st = json_array();
	json_auto_t *out = NULL;
	json_int_t count = json_integer_value(json_object_get(prev, "credentials"));

	if (!st || (json_is_array(json_object_get(prev, "status")) &&
		    json_array_extend(st, json_object_get(prev, "status")) < 0))
		return NULL;
	if (vci_h_status_refs(c->status, uris, idx, nst, st) < 0)
		return NULL;
	count += (json_int_t)json_array_size(c->creds);
	out = json_pack("{s:I, s:O}", "credentials", count, "status", st);
	return out ? json_dumps(out, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
}

/* Step 6: the issuance recorded, under the exchange's notification id
 * (one per exchange, kept across its credential requests), with the DPoP
 * jti and the c_nonce spent, in one store write (c->issue). */
static int cred_record(cred_ctx_t *c)
{
	size_t n = json_array_size(c->status), nst = 0;

	c->uris = calloc(n ? n : 1, sizeof *c->uris);
	c->idx = calloc(n ? n : 1, sizeof *c->idx);
	if (vci_h_notification_id(&c->x, c->nid, &c->err) < 0)
		return -1;
	c->issued = c->uris && c->idx ? cred_issued_json(c, c->uris, c->idx, &nst) : NULL;
	if (!c->issued)
		return vci_err_oom(&c->err);
	c->issue.jti_hash = c->has_jti ? c->jti : NULL;
	c->issue.jti_expires_at = c->req->now + VCI_H_DPOP_JTI_TTL;
	c->issue.nonce_hash = c->has_nonce ? c->nonce : NULL;
	c->issue.nonce_expires_at = c->nonce_exp;
	c->issue.exchange_id = c->x.id;
	c->issue.issued = c->issued;
	c->issue.notification_id = c->nid;
	c->issue.status_uris = c->uris;
	c->issue.status_idx = c->idx;
	c->issue.nstatus = nst;
	c->issue.now = c->req->now;
	return 0;
}

static void cred_respond(cred_ctx_t *c, const char *nid, vci_resp_t *resp)
{
	char_auto_t *n = c->cr.legacy ? cred_c_nonce(c) : NULL;
	json_t *body = vci_credential_response_new(c->creds, nid, c->cr.legacy, n,
						   c->s->nonce_ttl);
	int rc;

	if (c->cr.encryption) {
		/* section 10: the whole response as a JWE to the wallet's key
		 * (checked encryptable before anything was issued) */
		char_auto_t *jwe = body ? vci_credential_response_encrypt(&c->cr, body, &c->err)
					: NULL;

		json_decref(body);
		if (!jwe) {
			vci_h_fail(resp, 500, &c->err);
			return;
		}
		rc = vci_resp_bytes(resp, 200, "application/jwt", jwe, strlen(jwe));
	} else {
		rc = vci_resp_json(resp, 200, body);
	}
	if (rc == 0 && vci_resp_header(resp, "Cache-Control", "no-store") == 0 &&
	    c->tok.dpop_jkt[0])
		vci_h_dpop_nonce_header(c->s, c->req, resp);
}

/* Deferred issuance (section 9, deferred.c): the offer or the definition
 * says so, or the claims hook has no claims yet. */
static int cred_deferred(cred_ctx_t *c)
{
	unsigned interval;

	return vci_serve_deferred_wanted(c->xrec, c->d, &interval);
}

/* The claims from --claims-hook, when there is one (deferred.c). Its "not
 * yet" here is a failure: the request was not a deferred one. */
static int cred_hook(cred_ctx_t *c)
{
	int rc = vci_serve_hook_claims(c->s, &c->x, c->xrec, c->d, c->keys, 0, &c->err);

	if (rc == VCI_HOOK_PENDING)
		rc = vci_err_set(&c->err, VCI_EXIT_KEY, "server_error", "the claims of this "
				 "credential are not available yet");
	return rc;
}

static void cred_free(cred_ctx_t *c)
{
	vci_credential_request_clear(&c->cr);
	vci_store_exchange_clear(&c->x);
	json_decref(c->xrec);
	json_decref(c->keys);
	json_decref(c->status);
	json_decref(c->creds);
	free(c->issued);
	free(c->uris);
	free(c->idx);
	free(c);
}

static int cred_start(vci_serve_t *s, void *ctx, vci_store_done_fn done, void *arg,
		      vci_err_t *err)
{
	cred_ctx_t *c = ctx;

	return vci_store_credential_issued_start(s->store, &c->issue, done, arg, err);
}

/* The answer once the request's write is durable (or refused). */
static void cred_finish(vci_serve_t *s, const vci_req_t *req, vci_resp_t *resp, void *ctx,
			int ret, const vci_err_t *err)
{
	cred_ctx_t *c = ctx;

	c->req = req;
	if (ret == 0) {
		cred_respond(c, c->nid, resp);
	} else if (ret == VCI_STORE_REPLAY) {
		vci_h_dpop_jti_refused(&c->err);
		vci_h_unauthorized(s, req, resp, "DPoP", &c->err);
	} else {
		if (ret == VCI_STORE_NONCE)
			cred_nonce_refused(c);
		else if (ret < 0 && err)
			c->err = *err;
		else if (ret == VCI_STORE_NOTFOUND)
			vci_h_token_gone(&c->err);   /* deleted since it was read */
		else
			vci_err_set(&c->err, VCI_EXIT_IO, "server_error",
				    "exchange: a status index was recorded before");
		/* signed but not recorded: the issuer failed (webhooks) */
		if (ret != VCI_STORE_NONCE && ret != VCI_STORE_NOTFOUND)
			vci_serve_issue_failed(s, c->x.id, &c->err, req->now);
		cred_fail(c, resp);
	}
	cred_free(c);
}

void vci_h_credential(vci_serve_t *s, const vci_req_t *req, vci_resp_t *resp)
{
	cred_ctx_t *c = calloc(1, sizeof *c);

	if (!c) {
		vci_resp_error(resp, 500, "server_error", NULL);
		return;
	}
	c->s = s;
	c->req = req;
	if (vci_h_access_later(s, req, s->credential_url, &c->tok, resp, c->jti, &c->has_jti) < 0)
		goto out;
	if (cred_parse(c) < 0 || cred_proofs(c) < 0) {
		cred_fail(c, resp);
	} else if (cred_deferred(c)) {
		if (cred_spend(c) < 0)
			goto spend_fail;
		vci_serve_deferred_start(s, req, &c->x, c->d, c->keys, c->cr.encryption, resp);
	} else if (c->s->hook && cred_spend(c) < 0) {
		goto spend_fail;
	} else if (cred_hook(c) < 0 || cred_issue(c) < 0 || cred_record(c) < 0) {
		vci_serve_issue_failed(s, c->x.id, &c->err, req->now);  /* webhooks */
		cred_fail(c, resp);
	} else {
		vci_serve_wait(s, req, resp, cred_start, cred_finish, c);
		return;
	}
out:
	cred_free(c);
	return;
spend_fail:
	if (!strcmp(c->err.code, "invalid_dpop_proof"))
		vci_h_unauthorized(s, req, resp, "DPoP", &c->err);
	else
		cred_fail(c, resp);
	cred_free(c);
}
