/* seed_c.c - system C's OID4VCI API (ACA-Py style) on the management
 * listener, under /api/v1/oid4vci/:
 *   GET    credentials-supported          [record...] (supported_cred_id,
 *                                         format, identifier filters)
 *   POST   credentials-supported          a generic record (format,
 *                                         format_data, vc_additional_data)
 *   POST   credentials-supported/jwt      a JWT VC record (type, @context,
 *                                         credentialSubject)
 *   POST   credentials-supported/sd-jwt   an SD-JWT record (vct, claims,
 *                                         sd_list)
 *   GET, DELETE credentials-supported/{supported_cred_id}
 *   GET    exchanges                      [exchange...] (exchange_id,
 *                                         state, supported_cred_id;
 *                                         offset, limit 1 to 1000: a page;
 *                                         selected and paged in the query)
 *   GET, DELETE exchanges/{exchange_id}
 *   POST   issue                          {offer, credential_offer, exchange}
 * A record is read by vci_defn_import (as `vci-defn import`) into a
 * native definition and stored as POST /definitions stores it; its
 * supported_cred_id is the configuration id. POST /issue makes the offer
 * as POST /offers does and answers the draft-13 offer shape the product
 * prints (credentials, user_pin_required); exchange_id is the offer id,
 * and an exchange's state is mapped from the offer and its exchange
 * (shapes.h). Errors are the native {"error", "error_description"}. */
#include "serve/serve.h"
#include "oid4vci/offer.h"
#include "oid4vci/shapes.h"

#include <string.h>

#define C "/api/v1/oid4vci/"
#define SUP C "credentials-supported"
#define EXCH C "exchanges/"
#define PAGE_MAX 1000

static void c_fail(vci_resp_t *resp, const vci_err_t *err)
{
	static const struct {
		const char *code;
		int status;
	} map[] = {
		{ "definition_exists", 409 }, { "read_only", 409 }, { "not_found", 404 },
		{ "offer_exists", 409 },
	};

	for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
		if (!strcmp(err->code, map[i].code)) {
			vci_resp_err(resp, map[i].status, err);
			return;
		}
	vci_resp_err(resp, 0, err);
}

static json_t *c_body(const vci_req_t *req, vci_resp_t *resp)
{
	json_t *doc = json_loadb(req->body ? req->body : "", req->body_len,
				 JSON_REJECT_DUPLICATES, NULL);

	if (!json_is_object(doc)) {
		json_decref(doc);
		vci_resp_error(resp, 400, "invalid_request", "body: expected a JSON object");
		return NULL;
	}
	return doc;
}

/* ---- credentials-supported ---- */

static json_t *record_of(vci_serve_t *s, const vci_defn_t *d)
{
	json_auto_t *list = NULL;
	vci_err_t err = { 0 };
	int64_t c = 0, u = 0;
	size_t i;
	json_t *e;

	if (vci_store_defn_list(s->store, &list, &err) == 0)
		json_array_foreach(list, i, e)
			if (!strcmp(json_string_value(json_object_get(e, "id")), d->id)) {
				c = (int64_t)json_integer_value(json_object_get(e, "created_at"));
				u = (int64_t)json_integer_value(json_object_get(e, "updated_at"));
			}
	return vci_shape_c_record(d->doc, c, u);
}

/* System C's ids may hold spaces ("Email - JWT VC"); a configuration id
 * may not: other characters become '_', and the log says so. */
static void id_fit(json_t *d, json_t *dropped)
{
	const char *id = json_string_value(json_object_get(d, "id"));
	char buf[VCI_STORE_ID];
	size_t n = 0;

	if (!id || vci_offer_config_id_ok(id))
		return;
	for (; id[n] && n < sizeof buf - 1; n++)
		buf[n] = (id[n] >= 'a' && id[n] <= 'z') || (id[n] >= 'A' && id[n] <= 'Z') ||
			 (id[n] >= '0' && id[n] <= '9') || strchr("-_.", id[n]) ? id[n] : '_';
	buf[n] = 0;
	json_array_append_new(dropped, json_pack("{s:s, s:s}", "field", "id", "note",
						 "not a credential configuration id: made one"));
	json_object_set_new(d, "id", json_string(buf));
}

/* A record read as `vci-defn import` reads it, then allowed claims beyond
 * those it lists: system C issues every member of credential_subject (its
 * claims are display and disclosure metadata). */
static int read_record(const json_t *doc, json_t *dropped, vci_defn_t ***defs, size_t *n,
		       vci_err_t *err)
{
	json_auto_t *list = vci_defn_import(doc, dropped, err);
	size_t i;
	json_t *d;

	if (!list)
		return -1;
	json_array_foreach(list, i, d) {
		json_object_set_new(d, "allow_unknown_claims", json_true());
		id_fit(d, dropped);
	}
	json_array_append_new(dropped, json_pack("{s:s, s:s}", "field", "allow_unknown_claims",
						 "note", "true: every credential_subject member is "
						 "issued, as system C does"));
	return vci_manage_defn_read(list, NULL, defs, n, err);
}

/* POST credentials-supported[/jwt|/sd-jwt]: the body's shape is the one
 * the path names (import.c reads all three). */
static void post_supported(vci_serve_t *s, const vci_req_t *req, vci_resp_t *resp)
{
	json_auto_t *doc = NULL, *dropped = json_array();
	vci_defn_t **defs = NULL;
	vci_err_t err = { 0 };
	size_t n = 0;
	json_t *out;

	if (vci_admin_authenticate(s, req, resp) < 0 || !(doc = c_body(req, resp)))
		return;
	if (!strcmp(req->path, SUP "/sd-jwt") && !json_object_get(doc, "format"))
		json_object_set_new(doc, "format", json_string("vc+sd-jwt"));
	if (!strcmp(req->path, SUP "/jwt") && !json_object_get(doc, "format"))
		json_object_set_new(doc, "format", json_string("jwt_vc_json"));
	if (read_record(doc, dropped, &defs, &n, &err) < 0) {
		c_fail(resp, &err);
		return;
	}
	if (n != 1) {
		vci_defn_list_free(defs, n);
		vci_resp_error(resp, 400, "invalid_request", "expected one record");
		return;
	}
	if (vci_admin_defs_store(s, defs, n, NULL, NULL, req->now, &err)) {
		vci_defn_list_free(defs, n);
		c_fail(resp, &err);
		return;
	}
	out = record_of(s, defs[0]);
	vci_defn_list_free(defs, n);
	if (out && json_array_size(dropped))
		json_object_set(out, "dropped", dropped);
	vci_resp_json(resp, 200, out);
}

static int supported_matches(const json_t *r, const vci_req_t *req, vci_err_t *err)
{
	static const char *const keys[] = { "supported_cred_id", "format", "identifier" };
	int ok = 1;

	for (int i = 0; ok && i < 3; i++) {
		char *v = NULL;
		int rc = vci_manage_query_value(req->query, keys[i], &v, err);

		if (rc < 0)
			return -1;
		if (rc)
			ok = !strcmp(json_string_value(json_object_get(r, keys[i])) ?
				     json_string_value(json_object_get(r, keys[i])) : "", v);
		free(v);
	}
	return ok;
}

static void list_supported(vci_serve_t *s, const vci_req_t *req, vci_resp_t *resp)
{
	vci_err_t err = { 0 };
	size_t n;
	vci_defn_t *const *defs = vci_serve_defs(s, &n);
	json_t *list;

	if (vci_admin_authenticate(s, req, resp) < 0)
		return;
	list = json_array();
	for (size_t i = 0; list && i < n; i++) {
		json_t *r = record_of(s, defs[i]);
		int m = r ? supported_matches(r, req, &err) : 0;

		if (m < 0) {
			json_decref(r);
			json_decref(list);
			c_fail(resp, &err);
			return;
		}
		if (m)
			json_array_append_new(list, r);
		else
			json_decref(r);
	}
	vci_resp_json(resp, 200, list);
}

static void one_supported(vci_serve_t *s, const vci_req_t *req, vci_resp_t *resp)
{
	const char *id = req->path + strlen(SUP "/");
	const vci_defn_t *d;
	vci_err_t err = { 0 };

	if (vci_admin_authenticate(s, req, resp) < 0)
		return;
	d = strchr(id, '/') ? NULL : vci_serve_defn(s, id);
	if (!d) {
		vci_resp_error(resp, 404, "not_found", "no such credential supported record");
		return;
	}
	if (!strcmp(req->method, "GET"))
		vci_resp_json(resp, 200, record_of(s, d));
	else if (vci_admin_defs_delete(s, id, &err))
		c_fail(resp, &err);
	else
		vci_resp_bytes(resp, 204, "", "", 0);
}

/* ---- exchanges ---- */

static int state_known(const char *st)
{
	static const char *const names[] = { "offer", "issued", "accepted", "failed", "deleted" };

	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		if (!strcmp(st, names[i]))
			return 1;
	return 0;
}

/* A state of the exchange shape as the store's states (see
 * vci_shape_c_state): exchange states, offer states of offers without. */
static void state_filter(const char *state, vci_store_offer_filter_t *f)
{
	static const char *const map[][3] = {
		{ "offer", ",offer_redeemed,issuance_pending,claims_supplied,", ",offered,redeemed," },
		{ "issued", ",credential_issued,", NULL },
		{ "accepted", ",credential_accepted,", NULL },
		{ "deleted", ",credential_deleted,", NULL },
		{ "failed", ",credential_failure,issuance_denied,", ",dead," },
	};

	for (size_t i = 0; state && i < sizeof map / sizeof map[0]; i++)
		if (!strcmp(state, map[i][0])) {
			f->xstates = map[i][1];
			f->ostates = map[i][2];
		}
}

/* One selected offer as an exchange of the list (vci_manage_row_fn). */
static int exchange_take(void *list, json_t *row, vci_err_t *err)
{
	json_t *x = vci_shape_c_exchange(row);

	if (!x || json_array_append_new(list, x) < 0)
		return vci_err_oom(err);
	return 0;
}

static void list_exchanges(vci_serve_t *s, const vci_req_t *req, vci_resp_t *resp)
{
	char_auto_t *id = NULL;
	char_auto_t *state = NULL;
	char_auto_t *cred = NULL;
	unsigned offset = 0, limit = 0;
	vci_store_offer_filter_t f = { 0 };
	vci_err_t err = { 0 };
	json_t *list;
	int given = 0;

	if (vci_admin_authenticate(s, req, resp) < 0)
		return;
	if (vci_manage_query_value(req->query, "exchange_id", &id, &err) < 0 ||
	    vci_manage_query_value(req->query, "state", &state, &err) < 0 ||
	    vci_manage_query_value(req->query, "supported_cred_id", &cred, &err) < 0 ||
	    vci_manage_query_uint(req->query, "offset", VCI_STORE_OFFSET_MAX, &offset, &err) < 0 ||
	    (given = vci_manage_query_uint(req->query, "limit", PAGE_MAX, &limit, &err)) < 0) {
		c_fail(resp, &err);
		return;
	}
	if (state && !state_known(state)) {
		vci_resp_error(resp, 400, "invalid_request", "state: offer, issued, accepted, "
			       "failed or deleted");
		return;
	}
	if (given && !limit) {
		vci_resp_error(resp, 400, "invalid_request", "limit: expected 1 to 1000");
		return;
	}
	f.offer_id = id;
	f.config_id = cred;
	state_filter(state, &f);
	list = json_array();
	/* [offset, offset + limit) (limit 0: all from offset), selected and
	 * paged in the store's query */
	if (!list ||
	    vci_manage_offer_scan(s->store, &f, offset, limit, exchange_take, list, &err) < 0) {
		json_decref(list);
		c_fail(resp, &err);
		return;
	}
	vci_resp_json(resp, 200, list);
}

static void one_exchange(vci_serve_t *s, const vci_req_t *req, vci_resp_t *resp)
{
	const char *id = req->path + strlen(EXCH);
	json_auto_t *rows = NULL;
	vci_err_t err = { 0 };
	int rc;

	if (vci_admin_authenticate(s, req, resp) < 0)
		return;
	if (!*id || strchr(id, '/') || strlen(id) >= VCI_STORE_ID) {
		vci_resp_error(resp, 404, "not_found", "no such exchange");
		return;
	}
	if (!strcmp(req->method, "DELETE")) {
		rc = vci_store_offer_delete(s->store, id, &err);
		if (rc < 0)
			c_fail(resp, &err);
		else if (rc)
			vci_resp_error(resp, 404, "not_found", "no such exchange");
		else
			vci_resp_bytes(resp, 204, "", "", 0);
		return;
	}
	if (vci_store_offer_rows(s->store, id, 0, 1, &rows, &err) < 0) {
		c_fail(resp, &err);
		return;
	}
	if (!json_array_size(rows))
		vci_resp_error(resp, 404, "not_found", "no such exchange");
	else
		vci_resp_json(resp, 200, vci_shape_c_exchange(json_array_get(rows, 0)));
}

/* The stored offer in the draft-13 shape: "credentials" and
 * "user_pin_required" beside the 1.0 members. */
static json_t *draft13_offer(vci_serve_t *s, const char *offer_id, int64_t now,
			     vci_err_t *err)
{
	char_auto_t *text = NULL;
	json_t *offer, *g;

	if (vci_store_offer_get(s->store, offer_id, now, &text, err) != 0)
		return NULL;
	offer = json_loads(text, 0, NULL);
	vci_str_wipe(text);
	text = NULL;
	if (!offer)
		return vci_err_oom(err), NULL;
	if (!json_object_get(offer, "credentials"))
		json_object_set(offer, "credentials", json_object_get(offer,
						"credential_configuration_ids"));
	g = json_object_get(json_object_get(offer, "grants"), VCI_GRANT_PRE_AUTH);
	if (g && !json_object_get(g, "user_pin_required"))
		json_object_set_new(g, "user_pin_required",
				    json_boolean(json_object_get(g, "tx_code") != NULL));
	return offer;
}

static void issue(vci_serve_t *s, const vci_req_t *req, vci_resp_t *resp)
{
	json_auto_t *body = NULL, *dropped = json_array(), *rec = NULL, *made = json_object();
	json_auto_t *rows = NULL;
	json_auto_t *offer = NULL;
	wipe_auto_t *link = NULL;
	const char *oid;
	vci_err_t err = { 0 };
	json_t *x, *out;

	if (vci_admin_authenticate(s, req, resp) < 0 || !(body = c_body(req, resp)))
		return;
	rec = vci_shape_c_issue_record(body, dropped, &err);
	if (!rec || !made || vci_admin_offer_make(s, rec, req->now, made, &err) < 0) {
		c_fail(resp, &err);
		return;
	}
	oid = json_string_value(json_object_get(made, "offer_id"));
	offer = draft13_offer(s, oid, req->now, &err);
	if (offer)
		link = vci_offer_link("openid-credential-offer", offer, NULL, &err);
	if (!offer || !link || vci_store_offer_rows(s->store, oid, 0, 1, &rows, &err) < 0 ||
	    !json_array_size(rows)) {
		if (!err.code[0])
			snprintf(err.code, sizeof err.code, "server_error");
		vci_resp_err(resp, 500, &err);
		return;
	}
	x = vci_shape_c_exchange(json_array_get(rows, 0));
	if (x)
		json_object_set_new(x, "state", json_string("created"));
	out = json_pack("{s:O, s:s, s:o*}", "offer", offer, "credential_offer", link, "exchange",
			x);
	if (out && json_object_get(made, "tx_code"))
		json_object_set(out, "pin", json_object_get(made, "tx_code"));
	if (out && json_array_size(dropped))
		json_object_set(out, "dropped", dropped);
	vci_resp_json(resp, 200, out);
	vci_resp_header(resp, "Cache-Control", "no-store");
}

int vci_seed_c_register(vci_serve_t *s, vci_err_t *err)
{
	static const struct {
		const char *method, *path;
		vci_route_match_t match;
		vci_handler_fn fn;
	} r[] = {
		{ "GET", SUP, VCI_ROUTE_EXACT, list_supported },
		{ "POST", SUP, VCI_ROUTE_EXACT, post_supported },
		{ "POST", SUP "/jwt", VCI_ROUTE_EXACT, post_supported },
		{ "POST", SUP "/sd-jwt", VCI_ROUTE_EXACT, post_supported },
		{ "GET", SUP "/", VCI_ROUTE_PREFIX, one_supported },
		{ "DELETE", SUP "/", VCI_ROUTE_PREFIX, one_supported },
		{ "GET", C "exchanges", VCI_ROUTE_EXACT, list_exchanges },
		{ "GET", EXCH, VCI_ROUTE_PREFIX, one_exchange },
		{ "DELETE", EXCH, VCI_ROUTE_PREFIX, one_exchange },
		{ "POST", C "issue", VCI_ROUTE_EXACT, issue },
	};

	for (size_t i = 0; i < sizeof r / sizeof r[0]; i++)
		if (vci_serve_route_add(s, 1, r[i].method, r[i].path, r[i].match,
					!strcmp(r[i].method, "POST") ? "application/json" : NULL,
					r[i].fn, NULL, err) < 0)
			return -1;
	return 0;
}
