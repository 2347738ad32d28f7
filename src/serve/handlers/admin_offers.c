/* admin_offers.c - POST /offers on the management listener: the body of
 * the EUDI connector's API, {credential_configuration_id, claims,
 * tx_code?}, becomes an offer through the library's offer functions (as
 * vci-offer makes one from a record), goes into the store, and the answer
 * is 201 {offer_id, credential_offer_uri} with the deep link by reference,
 * plus tx_code when the server drew it (the caller must pass it to the
 * holder out of band).
 *
 * Pushed offers: "send_to": URL in the body delivers the offer by
 * reference to that wallet credential_offer_endpoint, and "tx_code_to": URL
 * the transaction code to a channel of its own (then it is not in the
 * answer), with vci-offer --send's library functions (vci_offer_send,
 * vci_offer_send_tx_code) once the offer is stored; the answer carries
 * "delivery": {status, attempts}. A failed delivery answers 502
 * {error: delivery_failed, error_description, offer_id,
 * credential_offer_uri}: the offer stays stored until it expires.
 *
 * Authentication: an API key from `vci-serve apikey add`, sent as
 * Authorization: Bearer KEY, Authorization: ApiKey KEY or x-api-key: KEY;
 * looked up by its SHA-256 (vci_store_apikey_check). */
#include "serve/serve.h"
#include "oid4vci/offer.h"

#include <string.h>
#include <strings.h>

#define OFFER_TTL 600   /* seconds an offer made here stays valid */

/* The key a request carries, or NULL. */
static const char *api_key(const vci_req_t *req)
{
	const char *a = vci_req_header(req, "Authorization");

	if (a && !strncasecmp(a, "Bearer ", 7))
		return a + 7;
	if (a && !strncasecmp(a, "ApiKey ", 7))
		return a + 7;
	return vci_req_header(req, "x-api-key");
}

int vci_admin_authenticate(vci_serve_t *s, const vci_req_t *req, vci_resp_t *resp)
{
	const char *key = api_key(req);
	uint8_t hash[VCI_STORE_HASH];
	vci_err_t err = { 0 };
	int rc;

	if (vci_req_header_count(req, "Authorization") > 1 ||
	    vci_req_header_count(req, "x-api-key") > 1) {
		vci_resp_error(resp, 400, "invalid_request", "more than one credential");
		return -1;
	}
	while (key && *key == ' ')
		key++;
	if (!key || !*key) {
		vci_resp_error(resp, 401, "invalid_token", "an API key is required");
		vci_resp_header(resp, "WWW-Authenticate", "Bearer");
		return -1;
	}
	vci_store_hash(key, strlen(key), hash);
	rc = vci_store_apikey_check(s->store, hash, &err);
	if (rc < 0) {
		vci_resp_err(resp, 503, &err);
		return -1;
	}
	if (rc) {
		vci_resp_error(resp, 401, "invalid_token", "unknown or revoked API key");
		vci_resp_header(resp, "WWW-Authenticate", "Bearer error=\"invalid_token\"");
		return -1;
	}
	return 0;
}

/* The configuration ids the server serves, as the known set. */
static json_t *known_ids(vci_serve_t *s)
{
	json_t *known = json_object();
	size_t n;
	vci_defn_t *const *defs = vci_serve_defs(s, &n);

	for (size_t i = 0; known && i < n; i++)
		json_object_set_new(known, defs[i]->id, json_true());
	return known;
}

/* Claims checked against the definition now rather than when a wallet
 * comes (mso_mdoc claims are namespaced at signing: checked then). */
static int check_claims(vci_serve_t *s, const vci_offer_request_t *req, json_t *rec,
			vci_err_t *err)
{
	json_t *claims = json_object_get(rec, "claims");
	const char *mode = json_string_value(json_object_get(rec, "issuanceMode"));

	if (!claims && req->claims)
		claims = req->claims;
	/* a deferred issuance may get its claims later, from the back office */
	if ((json_is_true(json_object_get(rec, "deferred")) || (mode && !strcmp(mode, "Deferred")))
	    && (!claims || (json_is_object(claims) && !json_object_size(claims)))) {
		if (!claims)
			json_object_set_new(rec, "claims", json_object());
		return 0;
	}
	if (!json_is_object(claims))
		return vci_err_set(err, VCI_EXIT_FAIL, "invalid_request", "claims: expected an "
				   "object");
	for (size_t i = 0; i < json_array_size(req->id_array); i++) {
		const vci_defn_t *d = vci_serve_defn(s, json_string_value(json_array_get(req->id_array,
											  i)));

		if (d && d->format != VCI_FORMAT_MDOC && vci_defn_check_claims(d, claims, 0, err) < 0)
			return -1;
	}
	return 0;
}

/* The wallet endpoints of a record: send_to (its credential_offer_endpoint)
 * and tx_code_to (a separate channel for the transaction code), taken out
 * of the record. 0, or -1 with err. */
static int take_targets(json_t *rec, char **send_to, char **tx_to, vci_err_t *err)
{
	static const char *const names[] = { "send_to", "tx_code_to" };
	char **dst[] = { send_to, tx_to };

	*send_to = *tx_to = NULL;
	for (int i = 0; i < 2; i++) {
		const json_t *v = json_object_get(rec, names[i]);

		if (!v)
			continue;
		if (!json_is_string(v) || !vci_url_is_target(json_string_value(v), 1)) {
			free(*send_to);
			return vci_err_set(err, VCI_EXIT_FAIL, "invalid_request", "%s: an https URL "
					   "(http only to 127.0.0.1, ::1 or localhost)", names[i]);
		}
		*dst[i] = strdup(json_string_value(v));
		json_object_del(rec, names[i]);
		if (!*dst[i]) {
			free(*send_to);
			return vci_err_oom(err);
		}
	}
	return 0;
}

/* Deliver a stored offer as vci-offer --send and --tx-code-to do: the
 * transaction code first, then the offer by reference. out gets
 * "delivery" (and "tx_code_delivery"): {status, attempts}. */
static int push(const char *send_to, const char *tx_to, const char *offer_id,
		const char *tx_code, const char *uri, json_t *out, vci_err_t *err)
{
	vci_http_opts_t ho = { .timeout_ms = 10000, .retries = 2 };
	vci_http_result_t r;

	if (tx_to && tx_code) {
		if (vci_offer_send_tx_code(tx_to, offer_id, tx_code, &ho, &r, err) < 0)
			return -1;
		json_object_set_new(out, "tx_code_delivery", json_pack("{s:I, s:I}", "status",
				    (json_int_t)r.status, "attempts", (json_int_t)r.attempts));
	}
	if (send_to) {
		if (vci_offer_send(send_to, NULL, uri, &ho, &r, err) < 0)
			return -1;
		json_object_set_new(out, "delivery", json_pack("{s:I, s:I}", "status",
				    (json_int_t)r.status, "attempts", (json_int_t)r.attempts));
	}
	return 0;
}

/* Build, link and store the offer; fills out (offer_id, link, tx_code). */
static int make_offer(vci_serve_t *s, json_t *rec, int64_t now, json_t *out, vci_err_t *err)
{
	vci_offer_defaults_t d = { 0 };
	vci_offer_request_t req;
	vci_offer_t o = { 0 };
	json_auto_t *known = known_ids(s);
	char_auto_t *uri = NULL;
	char_auto_t *send_to = NULL;
	char_auto_t *tx_to = NULL;
	wipe_auto_t *link = NULL;
	int rc = -1, auth_code;

	d.params.issuer = s->issuer;
	d.params.tx_length = 6;
	d.scheme = "openid-credential-offer";
	if (json_object_get(rec, "authorization_code") &&
	    !json_is_boolean(json_object_get(rec, "authorization_code")))
		return vci_err_set(err, VCI_EXIT_FAIL, "invalid_request", "authorization_code: "
				   "expected true or false");
	auth_code = json_is_true(json_object_get(rec, "authorization_code"));
	json_object_del(rec, "authorization_code");
	if (take_targets(rec, &send_to, &tx_to, err) < 0)
		return -1;
	if (vci_offer_request_from_record(rec, &d, known, "the served definitions", &req, err) < 0)
		return -1;
	if (auth_code) {
		/* issuer-initiated authorization code flow (HAIP): the grant
		 * with a fresh issuer_state, and no pre-authorized code */
		req.params.auth_code = 1;
		req.params.no_pre_auth = 1;
		req.params.issuer_state = NULL;
		if (req.params.tx_code) {
			rc = vci_err_set(err, VCI_EXIT_FAIL, "invalid_request", "tx_code: only with "
					 "the pre-authorized code grant");
			goto out;
		}
	}
	if (check_claims(s, &req, rec, err) < 0 || vci_offer_build(&req.params, &o, err) < 0)
		goto out;
	if (asprintf(&uri, "%s/offers/%s", s->issuer, req.offer_id) < 0) {
		uri = NULL;
		vci_err_oom(err);
		goto out;
	}
	link = vci_offer_link(req.scheme, o.offer, uri, err);
	if (!link || vci_offer_record_fill(rec, &req, &o, link, now + OFFER_TTL, err) < 0)
		goto out;
	rc = vci_serve_offer_put(s->store, rec, s->tx_attempts, now, err);
	if (rc == VCI_STORE_EXISTS)
		rc = vci_err_set(err, VCI_EXIT_FAIL, "offer_exists", "offer_id %s: taken",
				 req.offer_id);
	if (rc == 0) {
		json_object_set_new(out, "offer_id", json_string(req.offer_id));
		json_object_set_new(out, "credential_offer_uri", json_string(link));
		if (o.tx_code && !req.params.tx_value && !tx_to)
			json_object_set_new(out, "tx_code", json_string(o.tx_code));
		if (auth_code)
			json_object_set_new(out, "authorization_code", json_true());
		rc = push(send_to, tx_to, req.offer_id, o.tx_code, uri, out, err);
	}
out:
	vci_offer_clear(&o);
	vci_offer_request_clear(&req);
	return rc;
}

static void post_offers(vci_serve_t *s, const vci_req_t *req, vci_resp_t *resp)
{
	vci_err_t err = { 0 };
	json_auto_t *rec = NULL;
	json_t *out;

	if (vci_admin_authenticate(s, req, resp) < 0)
		return;
	rec = vci_json_parse(req->body ? req->body : "", req->body_len, "request body", &err);
	if (!rec || !json_is_object(rec)) {
		vci_resp_error(resp, 400, "invalid_request", rec ? "expected a JSON object" : err.msg);
		return;
	}
	if (json_object_get(rec, "credential_offer") || json_object_get(rec, "pre_authorized_code")) {
		vci_resp_error(resp, 400, "invalid_request", "the server makes the offer and its code");
		return;
	}
	out = json_object();
	if (out && make_offer(s, rec, req->now, out, &err) < 0 &&
	    !strcmp(err.code, "delivery_failed")) {
		/* stored, not delivered: the caller may hand the link over itself */
		json_object_set_new(out, "error", json_string("delivery_failed"));
		json_object_set_new(out, "error_description", json_string(err.msg));
		vci_resp_json(resp, 502, out);
		snprintf(resp->error, sizeof resp->error, "delivery_failed");
		vci_resp_header(resp, "Cache-Control", "no-store");
		return;
	}
	if (!out || err.code[0]) {
		json_decref(out);
		vci_resp_err(resp, !strcmp(err.code, "offer_exists") ? 409 : 0, &err);
		return;
	}
	vci_resp_json(resp, 201, out);
	vci_resp_header(resp, "Cache-Control", "no-store");
}

int vci_admin_offers_register(vci_serve_t *s, vci_err_t *err)
{
	return vci_serve_route_add(s, 1, "POST", "/offers", VCI_ROUTE_EXACT, "application/json",
				   post_offers, NULL, err);
}

int vci_admin_offer_make(vci_serve_t *s, json_t *rec, int64_t now, json_t *out, vci_err_t *err)
{
	return make_offer(s, rec, now, out, err);
}
