/* admin_flow.c - the management calls of deferred issuance and webhooks:
 *   POST   /exchanges/{id}/claims   the claims of the exchange's deferred
 *                                   request: a JSON object of claims, or
 *                                   {"claims": {...}}; 204
 *   POST   /exchanges/{id}/deny     {"reason"?}; 204
 *   POST   /webhooks                {url, events, secret, format?} -> 201
 *                                   {id, url, events, format}
 *   GET    /webhooks                [{id, url, events, format,
 *                                   created_at, pending}, ...]
 *   DELETE /webhooks/{id}           204
 * Each needs an API key (vci_admin_authenticate). Unknown exchange or no
 * open deferred request: 404; bad bodies: 400. */
#include "serve/serve.h"
#include "oid4vci/request.h"

#include <string.h>

#define EXCHANGES "/exchanges/"
#define WEBHOOKS "/webhooks/"

int vci_serve_deferred_decide(vci_store_t *st, const char *exchange_id, const json_t *claims,
			      const char *reason, int64_t now, vci_err_t *err)
{
	char_auto_t *text = NULL;

	if (!claims)
		return vci_store_deferred_deny(st, exchange_id, reason, now, err);
	if (!json_is_object(claims))
		return vci_err_set(err, VCI_EXIT_FAIL, "invalid_request", "claims: expected a JSON "
				   "object");
	text = vci_json_dump(claims);
	if (!text)
		return vci_err_oom(err);
	return vci_store_deferred_claims(st, exchange_id, text, now, err);
}

static json_t *body_object(const vci_req_t *req, int empty_ok, vci_resp_t *resp)
{
	json_t *doc;

	if (empty_ok && !req->body_len)
		return json_object();
	doc = json_loadb(req->body ? req->body : "", req->body_len, JSON_REJECT_DUPLICATES, NULL);
	if (!json_is_object(doc)) {
		json_decref(doc);
		vci_resp_error(resp, 400, "invalid_request", "body: expected a JSON object");
		return NULL;
	}
	return doc;
}

/* The claims checked against the definitions the exchange's offer names
 * (mso_mdoc claims are namespaced at signing: checked then), so a wallet
 * is not left polling for claims that cannot make its credential. 0, or
 * -1 with err (VCI_EXIT_FAIL); an unknown exchange passes (404 follows). */
static int claims_fit(vci_serve_t *s, const char *id, json_t *claims, vci_err_t *err)
{
	vci_store_exchange_t x = { 0 };
	json_auto_t *rec = NULL;
	json_auto_t *ids = NULL;
	size_t i;
	json_t *v;
	int rc = 0;

	if (vci_store_exchange_get(s->store, id, &x, err) != 0) {
		vci_store_exchange_clear(&x);
		return 0;
	}
	rec = json_loads(x.record ? x.record : "{}", 0, NULL);
	ids = vci_request_offered_ids(rec);
	vci_store_exchange_clear(&x);
	json_array_foreach(ids, i, v) {
		const vci_defn_t *d = vci_serve_defn(s, json_string_value(v));

		if (rc == 0 && d && d->format != VCI_FORMAT_MDOC)
			rc = vci_defn_check_claims(d, claims, 0, err);
	}
	return rc < 0 ? -1 : 0;
}

/* POST /exchanges/{id}/claims and /exchanges/{id}/deny. */
static void post_exchange(vci_serve_t *s, const vci_req_t *req, vci_resp_t *resp)
{
	const char *rest = req->path + strlen(EXCHANGES);
	const char *slash = strchr(rest, '/');
	char id[VCI_STORE_ID];
	json_auto_t *doc = NULL;
	const json_t *claims = NULL;
	const char *reason = NULL;
	vci_err_t err = { 0 };
	int deny, rc;

	if (vci_admin_authenticate(s, req, resp) < 0)
		return;
	if (!slash || slash == rest || (size_t)(slash - rest) >= sizeof id ||
	    (strcmp(slash, "/claims") && strcmp(slash, "/deny"))) {
		vci_resp_error(resp, 404, "not_found", "no such resource");
		return;
	}
	memcpy(id, rest, (size_t)(slash - rest));
	id[slash - rest] = 0;
	deny = !strcmp(slash, "/deny");
	doc = body_object(req, deny, resp);
	if (!doc)
		return;
	if (deny) {
		reason = json_string_value(json_object_get(doc, "reason"));
		if (json_object_get(doc, "reason") && !reason) {
			vci_resp_error(resp, 400, "invalid_request", "reason: expected a string");
			return;
		}
	} else {
		claims = json_object_get(doc, "claims");
		if (!claims || json_object_size(doc) != 1)
			claims = doc;
		if (json_is_object(claims) && claims_fit(s, id, (json_t *)claims, &err) < 0) {
			vci_resp_err(resp, 400, &err);
			return;
		}
	}
	rc = vci_serve_deferred_decide(s->store, id, claims, reason, req->now, &err);
	if (rc < 0) {
		vci_resp_err(resp, 0, &err);
		return;
	}
	if (rc == VCI_STORE_NOTFOUND) {
		vci_resp_error(resp, 404, "not_found", "no deferred request of this exchange is "
			       "waiting (unknown exchange, not deferred, or already decided)");
		return;
	}
	vci_serve_webhooks_kick(s);
	vci_resp_bytes(resp, 204, "", "", 0);
}

static void post_webhooks(vci_serve_t *s, const vci_req_t *req, vci_resp_t *resp)
{
	json_auto_t *doc = NULL;
	char_auto_t *events = NULL;
	vci_store_webhook_t w = { 0 };
	char id[VCI_STORE_ID];
	const json_t *ev;
	vci_err_t err = { 0 };

	if (vci_admin_authenticate(s, req, resp) < 0 || !(doc = body_object(req, 0, resp)))
		return;
	ev = json_object_get(doc, "events");
	if (!ev)
		ev = json_object_get(doc, "event_types");
	w.url = json_string_value(json_object_get(doc, "url"));
	w.secret = json_string_value(json_object_get(doc, "secret"));
	w.format = json_string_value(json_object_get(doc, "format"));
	if (json_object_get(doc, "format") && !w.format) {
		vci_resp_error(resp, 400, "invalid_request", "format: expected a string");
		return;
	}
	if (vci_serve_webhook_check(w.url, ev, w.format, &err) < 0) {
		vci_resp_err(resp, 400, &err);
		return;
	}
	if (!w.secret || strlen(w.secret) < 16) {
		vci_resp_error(resp, 400, "invalid_request", "secret: a string of 16 characters or "
			       "more");
		return;
	}
	events = json_is_string(ev) ? strdup("*") : vci_json_dump(ev);
	w.events = events;
	if (!events || vci_store_webhook_put(s->store, &w, req->now, id, &err) < 0) {
		vci_resp_err(resp, events ? 0 : 500, &err);
		return;
	}
	vci_resp_json(resp, 201, json_pack("{s:s, s:s, s:O, s:s}", "id", id, "url", w.url,
					   "events", ev, "format", w.format ? w.format : "native"));
}

static void get_webhooks(vci_serve_t *s, const vci_req_t *req, vci_resp_t *resp)
{
	json_t *list = NULL;
	vci_err_t err = { 0 };

	if (vci_admin_authenticate(s, req, resp) < 0)
		return;
	if (vci_store_webhook_list(s->store, &list, &err) < 0)
		vci_resp_err(resp, 503, &err);
	else
		vci_resp_json(resp, 200, list);
}

static void delete_webhook(vci_serve_t *s, const vci_req_t *req, vci_resp_t *resp)
{
	vci_err_t err = { 0 };
	int rc;

	if (vci_admin_authenticate(s, req, resp) < 0)
		return;
	rc = vci_store_webhook_delete(s->store, req->path + strlen(WEBHOOKS), &err);
	if (rc < 0)
		vci_resp_err(resp, 503, &err);
	else if (rc)
		vci_resp_error(resp, 404, "not_found", "no such webhook");
	else
		vci_resp_bytes(resp, 204, "", "", 0);
}

int vci_admin_flow_register(vci_serve_t *s, vci_err_t *err)
{
	if (vci_serve_route_add(s, 1, "POST", EXCHANGES "*/claims", VCI_ROUTE_PATTERN, NULL,
				post_exchange, NULL, err) < 0 ||
	    vci_serve_route_add(s, 1, "POST", EXCHANGES "*/deny", VCI_ROUTE_PATTERN, NULL,
				post_exchange, NULL, err) < 0 ||
	    vci_serve_route_add(s, 1, "POST", "/webhooks", VCI_ROUTE_EXACT, "application/json",
				post_webhooks, NULL, err) < 0 ||
	    vci_serve_route_add(s, 1, "GET", "/webhooks", VCI_ROUTE_EXACT, NULL, get_webhooks,
				NULL, err) < 0 ||
	    vci_serve_route_add(s, 1, "DELETE", WEBHOOKS, VCI_ROUTE_PREFIX, NULL, delete_webhook,
				NULL, err) < 0)
		return -1;
	return 0;
}

int vci_admin_claims_supply(vci_serve_t *s, const char *exchange_id, json_t *claims,
			    int64_t now, vci_err_t *err)
{
	int rc;

	if (!json_is_object(claims))
		return vci_err_set(err, VCI_EXIT_FAIL, "invalid_request", "claims: expected a JSON "
				   "object");
	if (claims_fit(s, exchange_id, claims, err) < 0)
		return -1;
	rc = vci_serve_deferred_decide(s->store, exchange_id, claims, NULL, now, err);
	if (rc == 0)
		vci_serve_webhooks_kick(s);
	return rc;
}
