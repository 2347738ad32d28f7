/* seed_a.c - system A's issuer API on the management listener, under
 * /v2/config/digital-wallet/openid/sdjwt/:
 *   POST   credential-definition          definitions in its shape -> 200
 *                                         {"credentialDefinition": {...}}
 *   GET    credential-definitions         {"credentialDefinitions": [...],
 *                                         "totalItems"} (vct, doctype,
 *                                         search, offset, limit)
 *   GET, PUT, DELETE credential-definition/{id}
 *   POST   credential/issue               -> 200 {"credentialHistory"}
 *   GET    credential/history             (status, credentialDefinitionId,
 *                                         revoked, denied, offset, limit)
 *   GET, DELETE credential/history/{id}
 *   PUT    credential/history/{id}        the claims of a deferred issuance
 *   PUT    credential/history/{id}/revocation-status
 * Everything maps onto the native operations: definitions are read by
 * vci_defn_import (as `vci-defn import`) and stored as POST /definitions
 * stores them; an issue makes offers as POST /offers does (pushed to
 * credentialOfferEndpoint by vci_offer_send); the history is the offer
 * and its exchange (credentialExchangeId = the offer id), in the shape
 * shapes.c maps; deferred claims and revocation are the native calls.
 * Errors: {"errorCode": STATUS, "errorDescription": "..."}. */
#include "serve/serve.h"
#include "oid4vci/offer.h"
#include "oid4vci/shapes.h"

#include <string.h>
#include <strings.h>

#define A "/v2/config/digital-wallet/openid/sdjwt/"
#define DEF A "credential-definition/"
#define HIST A "credential/history/"
#define PAGE_MAX 1000

static void a_error(vci_resp_t *resp, int status, const char *desc)
{
	vci_resp_json(resp, status, json_pack("{s:i, s:s}", "errorCode", status,
					      "errorDescription", desc));
	snprintf(resp->error, sizeof resp->error, "%s", status == 404 ? "not_found" :
		 status == 401 ? "invalid_token" : "invalid_request");
}

static int err_status(const vci_err_t *err)
{
	static const struct {
		const char *code;
		int status;
	} map[] = {
		{ "definition_exists", 409 }, { "read_only", 409 }, { "not_found", 404 },
		{ "offer_exists", 409 }, { "delivery_failed", 502 }, { "no_status_entry", 409 },
		{ "no_status_list", 503 },
	};

	for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
		if (!strcmp(err->code, map[i].code))
			return map[i].status;
	return err->status == VCI_EXIT_IO ? 503 : err->status == VCI_EXIT_KEY ? 500 : 400;
}

static void a_fail(vci_resp_t *resp, const vci_err_t *err)
{
	int st = err_status(err);

	a_error(resp, st, st >= 500 && st != 502 ? "server error" : err->msg);
	snprintf(resp->error, sizeof resp->error, "%s", err->code);
}

/* API key as the native API takes it; refusals in system A's shape. */
static int a_auth(vci_serve_t *s, const vci_req_t *req, vci_resp_t *resp)
{
	if (vci_admin_authenticate(s, req, resp) == 0)
		return 0;
	a_error(resp, resp->status, resp->status == 401 ? "Unauthorized" : "Bad request");
	return -1;
}

static json_t *a_body(const vci_req_t *req, vci_resp_t *resp)
{
	json_t *doc = json_loadb(req->body ? req->body : "", req->body_len,
				 JSON_REJECT_DUPLICATES, NULL);

	if (!json_is_object(doc)) {
		json_decref(doc);
		a_error(resp, 400, "body: expected a JSON object");
		return NULL;
	}
	return doc;
}

static const char *file_of(void *ctx, const char *uri)
{
	return vci_serve_status_file(ctx, uri);
}

/* ---- definitions ---- */

/* A stored or configured definition's times (0 for --defn ones). */
static void defn_times(vci_serve_t *s, const char *id, int64_t *c, int64_t *u)
{
	json_auto_t *list = NULL;
	vci_err_t err = { 0 };
	size_t i;
	json_t *e;

	*c = *u = 0;
	if (vci_store_defn_list(s->store, &list, &err) < 0)
		return;
	json_array_foreach(list, i, e)
		if (!strcmp(json_string_value(json_object_get(e, "id")), id)) {
			*c = (int64_t)json_integer_value(json_object_get(e, "created_at"));
			*u = (int64_t)json_integer_value(json_object_get(e, "updated_at"));
		}
}

static json_t *defn_view(vci_serve_t *s, const vci_defn_t *d)
{
	int64_t c, u;

	defn_times(s, d->id, &c, &u);
	return vci_shape_a_defn(d->doc, c, u);
}

/* The served definitions of the group `id` (a new array, in the order
 * they were made), or NULL: id heads no group. */
static json_t *group_members(vci_serve_t *s, const char *id, json_t **label)
{
	json_auto_t *rows = NULL;
	json_t *by_order = json_object(), *row, *out;
	vci_err_t err = { 0 };
	char key[24];
	size_t i, n = 0;

	*label = NULL;
	if (!by_order || vci_store_defn_list(s->store, &rows, &err) < 0) {
		json_decref(by_order);
		return NULL;
	}
	json_array_foreach(rows, i, row) {
		const json_t *g = json_object_get(row, "group");
		const char *gid = json_string_value(json_object_get(g, "id"));

		if (!gid || strcmp(gid, id))
			continue;
		snprintf(key, sizeof key, "%" JSON_INTEGER_FORMAT,
			 json_integer_value(json_object_get(g, "order")));
		json_object_set(by_order, key, json_object_get(row, "id"));
		if (!*label)
			*label = json_object_get(g, "label");
		n++;
	}
	*label = json_incref(*label);
	out = n ? json_array() : NULL;
	/* orders are 0..n-1 as stored; a gap (an entry deleted) is skipped */
	for (json_int_t o = 0; out && json_array_size(out) < json_object_size(by_order) &&
	     o < (json_int_t)VCI_STORE_LIST_MAX; o++) {
		snprintf(key, sizeof key, "%" JSON_INTEGER_FORMAT, o);
		if (json_object_get(by_order, key))
			json_array_append(out, json_object_get(by_order, key));
	}
	json_decref(by_order);
	return out;
}

/* Read, check and prepare a body; replace: the id of the path (its
 * first entry takes it; record: the path names a record of several
 * entries, and the others keep the credentialDefinitionId they give);
 * label: the record's label (a new reference), when asked for. */
static int read_defs(const vci_req_t *req, json_t *dropped, const char *replace, int record,
		     vci_defn_t ***defs, size_t *n, json_t **label, vci_resp_t *resp)
{
	json_auto_t *doc = a_body(req, resp);
	vci_err_t err = { 0 };
	json_t *list;

	if (!doc)
		return -1;
	/* the record as system A answers it, {"credentialDefinition": {...}} */
	if (json_object_size(doc) == 1 && json_is_object(json_object_get(doc,
								  "credentialDefinition"))) {
		json_t *inner = json_incref(json_object_get(doc, "credentialDefinition"));

		json_decref(doc);
		doc = inner;
	}
	if (vci_shape_a_defn_check(doc, &err) < 0) {
		a_fail(resp, &err);
		return -1;
	}
	list = json_object_get(doc, "credentialDefinitions");
	if (replace) {
		if (!record && json_array_size(list) != 1) {
			a_error(resp, 400, "credentialDefinitions: replace one entry at a time");
			return -1;
		}
		json_object_set_new(json_array_get(list, 0), "credentialDefinitionId",
				    json_string(replace));
	}
	if (vci_manage_defn_read(doc, dropped, defs, n, &err) < 0) {
		a_fail(resp, &err);
		return -1;
	}
	if (label)
		*label = json_incref(json_object_get(doc, "label"));
	return 0;
}

/* The record of definitions made together: the first one's view under
 * the record's label, and every one's view in credentialDefinitions[]. */
static void defs_answer(vci_serve_t *s, vci_resp_t *resp, const vci_defn_t *const *defs,
			size_t n, const json_t *label, json_t *dropped)
{
	json_t *first = defn_view(s, defs[0]), *entries = json_array(), *out;

	for (size_t i = 0; entries && i < n; i++)
		json_array_append_new(entries, defn_view(s, defs[i]));
	if (first && json_is_string(label))
		json_object_set(first, "label", (json_t *)label);
	if (first)
		json_object_set_new(first, "credentialDefinitions", entries);
	else
		json_decref(entries);
	out = json_pack("{s:o*}", "credentialDefinition", first);
	if (out && json_array_size(dropped))
		json_object_set(out, "dropped", dropped);
	vci_resp_json(resp, 200, out);
}

static void post_def(vci_serve_t *s, const vci_req_t *req, vci_resp_t *resp)
{
	json_auto_t *dropped = json_array();
	json_auto_t *label = NULL;
	json_auto_t *group = NULL;
	vci_defn_t **defs = NULL;
	vci_err_t err = { 0 };
	size_t n = 0;

	if (a_auth(s, req, resp) < 0 ||
	    read_defs(req, dropped, NULL, 0, &defs, &n, &label, resp) < 0)
		return;
	/* the entries stay one record: the group of the first one's id */
	group = json_pack("{s:s, s:O?}", "id", defs[0]->id, "label", label);
	if (!group)
		a_error(resp, 500, "server error");
	else if (vci_admin_defs_store(s, defs, n, NULL, group, req->now, &err))
		a_fail(resp, &err);
	else
		defs_answer(s, resp, (const vci_defn_t *const *)defs, n, label, dropped);
	vci_defn_list_free(defs, n);
}

/* GET of a record: a group's entries in order, else the one definition. */
static void get_def(vci_serve_t *s, vci_resp_t *resp, const vci_defn_t *d)
{
	json_auto_t *label = NULL;
	json_auto_t *ids = group_members(s, d->id, &label);
	const vci_defn_t *defs[VCI_STORE_LIST_MAX];
	size_t n = 0, i;
	json_t *id;

	json_array_foreach(ids, i, id) {
		const vci_defn_t *e = vci_serve_defn(s, json_string_value(id));

		if (e && n < VCI_STORE_LIST_MAX)
			defs[n++] = e;
	}
	if (n && !strcmp(defs[0]->id, d->id)) {
		defs_answer(s, resp, defs, n, label, NULL);
		return;
	}
	vci_resp_json(resp, 200, json_pack("{s:o*}", "credentialDefinition", defn_view(s, d)));
}

/* DELETE of a record: every entry of the group it heads, or the one. */
static int delete_def(vci_serve_t *s, const char *id, vci_err_t *err)
{
	json_auto_t *label = NULL;
	json_auto_t *ids = group_members(s, id, &label);
	json_t *e;
	size_t i;

	if (!json_array_size(ids) || strcmp(json_string_value(json_array_get(ids, 0)), id))
		return vci_admin_defs_delete(s, id, err);
	json_array_foreach(ids, i, e)
		if (vci_admin_defs_delete(s, json_string_value(e), err) < 0 &&
		    strcmp(err->code, "not_found"))
			return -1;
	return 0;
}

/* Whether a definition's "type" (jwt_vc_json: an array) names t. */
static int type_has(const json_t *doc, const char *t)
{
	const json_t *type = json_object_get(doc, "type"), *e;
	size_t i;

	if (json_is_string(type))
		return !strcmp(json_string_value(type), t);
	json_array_foreach(type, i, e)
		if (json_is_string(e) && !strcmp(json_string_value(e), t))
			return 1;
	return 0;
}

static int def_matches(const json_t *doc, const vci_req_t *req)
{
	static const char *const keys[] = { "vct", "doctype" };
	char *v = NULL;
	vci_err_t err = { 0 };
	int ok = 1;

	for (int i = 0; ok && i < 2; i++) {
		if (vci_manage_query_value(req->query, keys[i], &v, &err) == 1)
			ok = json_string_value(json_object_get(doc, keys[i])) &&
			     !strcmp(json_string_value(json_object_get(doc, keys[i])), v);
		free(v);
		v = NULL;
	}
	if (ok && vci_manage_query_value(req->query, "type", &v, &err) == 1)
		ok = type_has(doc, v);
	free(v);
	v = NULL;
	if (ok && vci_manage_query_value(req->query, "search", &v, &err) == 1) {
		const char *name = json_string_value(json_object_get(doc, "name"));
		const char *id = json_string_value(json_object_get(doc, "id"));

		ok = (name && strstr(name, v)) || (id && strstr(id, v));
	}
	free(v);
	return ok;
}

/* The list's order: by createdAt (0 for --defn ones), then id. */
static int view_cmp(const void *a, const void *b)
{
	const json_t *x = *(const json_t *const *)a, *y = *(const json_t *const *)b;
	json_int_t cx = json_integer_value(json_object_get(x, "createdAt"));
	json_int_t cy = json_integer_value(json_object_get(y, "createdAt"));

	if (cx != cy)
		return cx < cy ? -1 : 1;
	return strcmp(json_string_value(json_object_get(x, "id")),
		      json_string_value(json_object_get(y, "id")));
}

/* sortOrder: 1 ascending (also when absent), -1 descending, 0 refused. */
static int sort_order(const vci_req_t *req, vci_err_t *err)
{
	char_auto_t *v = NULL;
	int rc = vci_manage_query_value(req->query, "sortOrder", &v, err);

	if (rc < 0)
		return 0;
	if (rc == 0 || !strcasecmp(v, "asc"))
		return 1;
	if (!strcasecmp(v, "desc"))
		return -1;
	vci_err_set(err, VCI_EXIT_INPUT, "invalid_request", "sortOrder: asc or desc");
	return 0;
}

static int list_query_ok(const vci_req_t *req, unsigned *offset, unsigned *limit, int *order,
			 vci_err_t *err)
{
	static const char *const keys[] = { "vct", "doctype", "type", "search" };
	char *v = NULL;

	if (vci_manage_query_uint(req->query, "offset", 1u << 30, offset, err) < 0 ||
	    vci_manage_query_uint(req->query, "limit", PAGE_MAX, limit, err) < 0)
		return -1;
	for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
		if (vci_manage_query_value(req->query, keys[i], &v, err) < 0)
			return -1;
		free(v);
		v = NULL;
	}
	*order = sort_order(req, err);
	return *order ? 0 : -1;
}

static void list_defs(vci_serve_t *s, const vci_req_t *req, vci_resp_t *resp)
{
	unsigned offset = 0, limit = 100;
	vci_err_t err = { 0 };
	json_t *list, **views;
	size_t n, total = 0;
	vci_defn_t *const *defs = vci_serve_defs(s, &n);
	int order;

	if (a_auth(s, req, resp) < 0)
		return;
	if (list_query_ok(req, &offset, &limit, &order, &err) < 0) {
		a_fail(resp, &err);
		return;
	}
	views = calloc(n + 1, sizeof *views);
	list = json_array();
	for (size_t i = 0; views && i < n; i++)
		if (def_matches(defs[i]->doc, req) && (views[total] = defn_view(s, defs[i])))
			total++;
	if (views)
		qsort(views, total, sizeof *views, view_cmp);
	for (size_t k = 0; views && list && k < total; k++) {
		size_t at = order > 0 ? k : total - 1 - k;

		if (k >= offset && json_array_size(list) < limit)
			json_array_append(list, views[at]);
	}
	for (size_t k = 0; views && k < total; k++)
		json_decref(views[k]);
	if (!views) {
		json_decref(list);
		list = NULL;
	}
	free(views);
	vci_resp_json(resp, 200, json_pack("{s:o*, s:i}", "credentialDefinitions", list,
					   "totalItems", (int)total));
}

/* PUT of an entry, or of a whole record of several (the path names its
 * first entry): the record's entries become the body's, in its order;
 * an entry of the record the body leaves out is deleted, one without a
 * credentialDefinitionId is added. The label is the body's, or kept. */
static void put_def(vci_serve_t *s, const vci_req_t *req, vci_resp_t *resp, const char *id)
{
	json_auto_t *dropped = json_array();
	json_auto_t *old_label = NULL;
	json_auto_t *label = NULL;
	json_auto_t *group = NULL;
	json_auto_t *ids = group_members(s, id, &old_label);
	int record = json_array_size(ids) && !strcmp(json_string_value(json_array_get(ids, 0)), id);
	vci_defn_t **defs = NULL;
	vci_err_t err = { 0 };
	size_t n = 0;

	if (read_defs(req, dropped, id, record, &defs, &n, &label, resp) < 0)
		return;
	if (!json_is_string(label)) {
		json_decref(label);
		label = json_incref(old_label);
	}
	if (record)
		group = json_pack("{s:s, s:O?}", "id", id, "label", label);
	if (record && !group)
		a_error(resp, 500, "server error");
	else if (record ? vci_admin_defs_replace(s, defs, n, ids, group, req->now, &err) :
			  vci_admin_defs_store(s, defs, n, id, NULL, req->now, &err))
		a_fail(resp, &err);
	else
		defs_answer(s, resp, (const vci_defn_t *const *)defs, n, record ? label : NULL,
			    dropped);
	vci_defn_list_free(defs, n);
}

static void one_def(vci_serve_t *s, const vci_req_t *req, vci_resp_t *resp)
{
	const char *id = req->path + strlen(DEF);
	const vci_defn_t *d;
	vci_err_t err = { 0 };

	if (a_auth(s, req, resp) < 0)
		return;
	d = strchr(id, '/') ? NULL : vci_serve_defn(s, id);
	if (!d) {
		a_error(resp, 404, "no such credential definition");
		return;
	}
	if (!strcmp(req->method, "GET")) {
		get_def(s, resp, d);
	} else if (!strcmp(req->method, "DELETE")) {
		if (delete_def(s, id, &err))
			a_fail(resp, &err);
		else
			vci_resp_bytes(resp, 204, "", "", 0);
	} else {
		put_def(s, req, resp, id);
	}
}

/* ---- history ---- */

/* The deep link of a stored offer, by reference, in its record's scheme. */
static json_t *offer_link(vci_serve_t *s, const json_t *row)
{
	const char *scheme = json_string_value(json_object_get(json_object_get(row, "record"),
							       "urlScheme"));
	char_auto_t *uri = NULL;
	vci_err_t err = { 0 };
	char *link;
	json_t *j;

	if (asprintf(&uri, "%s/offers/%s", s->issuer,
		     json_string_value(json_object_get(row, "offer_id"))) < 0)
		return uri = NULL, json_string("");
	link = vci_offer_link(scheme ? scheme : "openid-credential-offer", NULL, uri, &err);
	j = json_string(link ? link : "");
	free(link);
	return j;
}

static json_t *history_of(vci_serve_t *s, const json_t *row, vci_err_t *err)
{
	const char *xid = json_string_value(json_object_get(json_object_get(row, "exchange"),
							    "id"));
	json_auto_t *entries = xid ? vci_manage_entries(s->store, xid, file_of, s, err) : NULL;
	json_t *h;

	if (xid && !entries)
		return NULL;
	h = vci_shape_a_history(row, entries);
	if (!h)
		return vci_err_oom(err), NULL;
	json_object_set_new(h, "credentialOffer", offer_link(s, row));
	return h;
}

/* The row of one offer id: 0, VCI_STORE_NOTFOUND, -1. */
static int row_of(vci_serve_t *s, const char *id, json_t **row, vci_err_t *err)
{
	json_auto_t *rows = NULL;

	*row = NULL;
	if (!*id || strchr(id, '/') || strlen(id) >= VCI_STORE_ID)
		return VCI_STORE_NOTFOUND;
	if (vci_store_offer_rows(s->store, id, 0, 1, &rows, err) < 0)
		return -1;
	if (!json_array_size(rows))
		return VCI_STORE_NOTFOUND;
	*row = json_incref(json_array_get(rows, 0));
	return 0;
}

static void answer_history(vci_serve_t *s, vci_resp_t *resp, const char *id)
{
	json_auto_t *row = NULL;
	vci_err_t err = { 0 };
	json_t *h;
	int rc = row_of(s, id, &row, &err);

	if (rc) {
		if (rc > 0)
			a_error(resp, 404, "no such credential exchange");
		else
			a_fail(resp, &err);
		return;
	}
	h = history_of(s, row, &err);
	if (!h)
		a_fail(resp, &err);
	else
		vci_resp_json(resp, 200, json_pack("{s:o}", "credentialHistory", h));
}

static void issue(vci_serve_t *s, const vci_req_t *req, vci_resp_t *resp)
{
	json_auto_t *body = NULL, *recs = NULL, *dropped = json_array(), *made = json_array();
	vci_err_t err = { 0 };
	json_t *rec, *out;
	size_t i;

	if (a_auth(s, req, resp) < 0 || !(body = a_body(req, resp)))
		return;
	recs = vci_shape_a_issue_records(body, dropped, &err);
	if (!recs) {
		a_fail(resp, &err);
		return;
	}
	json_array_foreach(recs, i, rec) {
		json_auto_t *res = json_object();
		json_auto_t *row = NULL;
		json_t *h;

		if (!res || vci_admin_offer_make(s, rec, req->now, res, &err) < 0 ||
		    row_of(s, json_string_value(json_object_get(res, "offer_id")), &row,
			   &err) != 0 || !(h = history_of(s, row, &err))) {
			if (!err.code[0])
				snprintf(err.code, sizeof err.code, "server_error");
			a_fail(resp, &err);
			return;
		}
		json_array_append_new(made, h);
	}
	out = json_pack("{s:O}", "credentialHistory", json_array_size(made) == 1 ?
			json_array_get(made, 0) : made);
	if (out && json_array_size(dropped))
		json_object_set(out, "dropped", dropped);
	vci_resp_json(resp, 200, out);
	vci_resp_header(resp, "Cache-Control", "no-store");
}

/* System A's lifecycle statuses as the store's states: an exchange's
 * state, or "" for an offer not redeemed yet (offer_sent). */
static const char *const a_states[][2] = {
	{ "", "offer_sent" }, { "offer_redeemed", "offer_received" },
	{ "issuance_pending", "offer_received" }, { "claims_supplied", "offer_received" },
	{ "credential_issued", "credential_issued" }, { "credential_failure", "credential_acked" },
	{ "credential_accepted", "credential_accepted" },
	{ "credential_deleted", "credential_deleted" }, { "issuance_denied", "issuance_denied" },
};
#define A_NSTATES (sizeof a_states / sizeof a_states[0])

/* The store's selection of status and denied (either NULL): the state
 * lists in xs and os (",S,...,", or left NULL when every state passes). */
static void history_filter(const char *status, const char *denied, vci_store_offer_filter_t *f,
			   char xs[512], char os[64])
{
	int all = 1;

	snprintf(xs, 512, ",");
	os[0] = 0;
	for (size_t i = 0; i < A_NSTATES; i++) {
		int deny = strcmp(a_states[i][0], "issuance_denied") == 0;
		int in = (!status || !strcmp(status, a_states[i][1])) &&
			 (!denied || (strcmp(denied, "true") == 0) == deny);

		all &= in;
		if (!in)
			continue;
		if (!*a_states[i][0])
			snprintf(os, 64, ",offered,redeemed,dead,");
		else
			snprintf(xs + strlen(xs), 512 - strlen(xs), "%s,", a_states[i][0]);
	}
	if (all)
		return;
	f->xstates = xs;        /* "," alone: no exchange state passes */
	f->ostates = os[0] ? os : NULL;
}

/* A page of history records [offset, offset + limit) of the filter, and
 * their total: selected and paged in the store's query. */
static int history_page(vci_serve_t *s, const vci_store_offer_filter_t *f, unsigned offset,
			unsigned limit, json_t *list, unsigned *total, vci_err_t *err)
{
	json_auto_t *rows = NULL;
	size_t i;
	json_t *row;

	if (vci_store_offer_page(s->store, f, offset, limit, &rows, total, err) < 0)
		return -1;
	json_array_foreach(rows, i, row) {
		json_t *h = history_of(s, row, err);

		if (!h || json_array_append_new(list, h) < 0)
			return -1;
	}
	return 0;
}

/* What the rows of a revoked selection are counted into. */
typedef struct revoked_page {
	vci_serve_t *s;
	int revoked;
	unsigned offset, limit, *total;
	json_t *list;
} revoked_page_t;

/* One selected row: counted, and listed within the page, when its
 * credential's revocation is the one wanted (vci_manage_row_fn). */
static int revoked_take(void *ctx, json_t *row, vci_err_t *err)
{
	revoked_page_t *p = ctx;
	json_t *h = history_of(p->s, row, err);
	const char *rs;

	if (!h)
		return -1;
	rs = json_string_value(json_object_get(h, "revocationStatus"));
	if ((strcmp(rs ? rs : "", "Revoked") == 0) == p->revoked && (*p->total)++ >= p->offset &&
	    json_array_size(p->list) < p->limit)
		json_array_append_new(p->list, h);
	else
		json_decref(h);
	return 0;
}

/* The same with revoked: a credential's revocation is its status list
 * entry's value, which the list (a file or the store's list) holds, not
 * the offers' query: all the selected rows are read and those of the
 * wanted revocation counted. */
static int history_page_revoked(vci_serve_t *s, const vci_store_offer_filter_t *f,
				int revoked, unsigned offset, unsigned limit, json_t *list,
				unsigned *total, vci_err_t *err)
{
	revoked_page_t p = { s, revoked, offset, limit, total, list };

	return vci_manage_offer_scan(s->store, f, 0, 0, revoked_take, &p, err);
}

static int bool_word(const char *name, const char *v, vci_resp_t *resp)
{
	char msg[64];

	if (!v || !strcmp(v, "true") || !strcmp(v, "false"))
		return 0;
	snprintf(msg, sizeof msg, "%s: true or false", name);
	a_error(resp, 400, msg);
	return -1;
}

static void list_history(vci_serve_t *s, const vci_req_t *req, vci_resp_t *resp)
{
	char_auto_t *status = NULL;
	char_auto_t *cdid = NULL;
	char_auto_t *revoked = NULL;
	char_auto_t *denied = NULL;
	unsigned offset = 0, limit = 100, total = 0;
	vci_store_offer_filter_t f = { 0 };
	char xs[512], os[64];
	vci_err_t err = { 0 };
	json_t *list;
	int rc;

	if (a_auth(s, req, resp) < 0)
		return;
	if (vci_manage_query_value(req->query, "status", &status, &err) < 0 ||
	    vci_manage_query_value(req->query, "credentialDefinitionId", &cdid, &err) < 0 ||
	    vci_manage_query_value(req->query, "revoked", &revoked, &err) < 0 ||
	    vci_manage_query_value(req->query, "denied", &denied, &err) < 0 ||
	    vci_manage_query_uint(req->query, "offset", VCI_STORE_OFFSET_MAX, &offset, &err) < 0 ||
	    vci_manage_query_uint(req->query, "limit", PAGE_MAX, &limit, &err) < 0) {
		a_fail(resp, &err);
		return;
	}
	if (status && !vci_shape_a_status_known(status)) {
		a_error(resp, 400, "status: not a lifecycle status");
		return;
	}
	if (bool_word("revoked", revoked, resp) < 0 || bool_word("denied", denied, resp) < 0)
		return;
	if (!limit) {
		a_error(resp, 400, "limit: expected 1 to 1000");
		return;
	}
	f.config_id = cdid;
	history_filter(status, denied, &f, xs, os);
	list = json_array();
	rc = !list ? vci_err_oom(&err) : revoked ?
	     history_page_revoked(s, &f, !strcmp(revoked, "true"), offset, limit, list, &total,
				  &err) :
	     history_page(s, &f, offset, limit, list, &total, &err);
	if (rc < 0) {
		json_decref(list);
		a_fail(resp, &err);
		return;
	}
	vci_resp_json(resp, 200, json_pack("{s:o, s:i}", "credentialHistory", list, "totalItems",
					   (int)total));
}

/* The exchange id of an offer id, or "" (404 answered). */
static int exchange_of(vci_serve_t *s, const char *id, char xid[VCI_STORE_ID],
		       vci_resp_t *resp)
{
	json_auto_t *row = NULL;
	vci_err_t err = { 0 };
	const char *x;
	int rc = row_of(s, id, &row, &err);

	if (rc) {
		if (rc > 0)
			a_error(resp, 404, "no such credential exchange");
		else
			a_fail(resp, &err);
		return -1;
	}
	x = json_string_value(json_object_get(json_object_get(row, "exchange"), "id"));
	if (!x) {
		a_error(resp, 409, "the holder has not redeemed the offer yet");
		return -1;
	}
	snprintf(xid, VCI_STORE_ID, "%s", x);
	return 0;
}

static void put_claims(vci_serve_t *s, const vci_req_t *req, vci_resp_t *resp, const char *id)
{
	json_auto_t *body = a_body(req, resp);
	json_auto_t *claims = NULL;
	char xid[VCI_STORE_ID];
	vci_err_t err = { 0 };
	int rc;

	if (!body)
		return;
	claims = vci_shape_a_deferred_claims(body, &err);
	if (!claims) {
		a_fail(resp, &err);
		return;
	}
	if (exchange_of(s, id, xid, resp) < 0)
		return;
	rc = vci_admin_claims_supply(s, xid, claims, req->now, &err);
	if (rc < 0)
		a_fail(resp, &err);
	else if (rc)
		a_error(resp, 409, "no deferred request of this exchange is waiting");
	else
		answer_history(s, resp, id);
}

static void put_revocation(vci_serve_t *s, const vci_req_t *req, vci_resp_t *resp,
			   const char *id)
{
	json_auto_t *body = a_body(req, resp);
	json_auto_t *done = NULL;
	const char *word;
	char xid[VCI_STORE_ID];
	vci_err_t err = { 0 };
	int rc;

	if (!body)
		return;
	word = vci_shape_a_revocation_word(json_string_value(json_object_get(body,
								 "revocationStatus")));
	if (!word) {
		a_error(resp, 400, "revocationStatus: Operational, Revoked or Suspended");
		return;
	}
	if (exchange_of(s, id, xid, resp) < 0)
		return;
	rc = vci_manage_status_set(s->store, xid, word, NULL, file_of, s, &done, &err);
	if (rc < 0)
		a_fail(resp, &err);
	else if (rc)
		a_error(resp, 404, "no such credential exchange");
	else
		answer_history(s, resp, id);
}

static void one_history(vci_serve_t *s, const vci_req_t *req, vci_resp_t *resp)
{
	const char *rest = req->path + strlen(HIST), *slash = strchr(rest, '/');
	char id[VCI_STORE_ID];
	vci_err_t err = { 0 };
	int rc;

	if (a_auth(s, req, resp) < 0)
		return;
	if ((slash && (strcmp(slash, "/revocation-status") || strcmp(req->method, "PUT"))) ||
	    (size_t)(slash ? slash - rest : (ptrdiff_t)strlen(rest)) >= sizeof id) {
		a_error(resp, 404, "no such resource");
		return;
	}
	snprintf(id, sizeof id, "%.*s", (int)(slash ? slash - rest : (ptrdiff_t)strlen(rest)),
		 rest);
	if (slash) {
		put_revocation(s, req, resp, id);
	} else if (!strcmp(req->method, "PUT")) {
		put_claims(s, req, resp, id);
	} else if (!strcmp(req->method, "DELETE")) {
		rc = vci_store_offer_delete(s->store, id, &err);
		if (rc < 0)
			a_fail(resp, &err);
		else if (rc)
			a_error(resp, 404, "no such credential exchange");
		else
			vci_resp_bytes(resp, 204, "", "", 0);
	} else {
		answer_history(s, resp, id);
	}
}

int vci_seed_a_register(vci_serve_t *s, vci_err_t *err)
{
	static const struct {
		const char *method, *path;
		vci_route_match_t match;
		vci_handler_fn fn;
	} r[] = {
		{ "POST", A "credential-definition", VCI_ROUTE_EXACT, post_def },
		{ "GET", A "credential-definitions", VCI_ROUTE_EXACT, list_defs },
		{ "GET", DEF, VCI_ROUTE_PREFIX, one_def },
		{ "PUT", DEF, VCI_ROUTE_PREFIX, one_def },
		{ "DELETE", DEF, VCI_ROUTE_PREFIX, one_def },
		{ "POST", A "credential/issue", VCI_ROUTE_EXACT, issue },
		{ "GET", A "credential/history", VCI_ROUTE_EXACT, list_history },
		{ "GET", HIST, VCI_ROUTE_PREFIX, one_history },
		{ "PUT", HIST, VCI_ROUTE_PREFIX, one_history },
		{ "DELETE", HIST, VCI_ROUTE_PREFIX, one_history },
	};

	for (size_t i = 0; i < sizeof r / sizeof r[0]; i++)
		if (vci_serve_route_add(s, 1, r[i].method, r[i].path, r[i].match,
					!strcmp(r[i].method, "GET") || !strcmp(r[i].method,
									      "DELETE") ?
					NULL : "application/json", r[i].fn, NULL, err) < 0)
			return -1;
	return 0;
}
