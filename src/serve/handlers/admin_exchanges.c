/* admin_exchanges.c - exchanges (one per redeemed offer) on the
 * management listener:
 *   GET    /exchanges?state=S&limit=N&cursor=C   a page, oldest first:
 *          {"exchanges": [{id, offer_id, state, created_at, updated_at}],
 *           "next_cursor"?: C}   (limit 1 to 1000, default 100)
 *   GET    /exchanges/{id}                       the exchange, with its
 *          status list entries and their current values
 *   DELETE /exchanges/{id}                       -> 204
 *   POST   /exchanges/{id}/revoke | /suspend | /reinstate   body empty
 *          (every credential of the exchange) or {"idx": N, "uri"?: U}
 *          -> {"id", "status_list_entries": [{uri, idx, status}]}
 * A status change flips the entries in the --status-list files as
 * `vci-statuslist set` does; the published token follows (status.c signs
 * again when its file changed). */
#include "serve/serve.h"

#include <string.h>

#define PREFIX "/exchanges/"

static void fail(vci_resp_t *resp, const vci_err_t *err)
{
	int status = 400;

	if (!strcmp(err->code, "no_status_entry") || !strcmp(err->code, "status_final") ||
	    !strcmp(err->code, "invalid_status"))
		status = 409;
	else if (!strcmp(err->code, "no_status_list") || err->status == VCI_EXIT_IO)
		status = 503;
	else if (err->status == VCI_EXIT_KEY)
		status = 500;
	vci_resp_err(resp, status, err);
}

static const char *file_of(void *ctx, const char *uri)
{
	return vci_serve_status_file(ctx, uri);
}

static void list_exchanges(vci_serve_t *s, const vci_req_t *req, vci_resp_t *resp)
{
	vci_manage_query_t q;
	vci_err_t err = { 0 };
	json_t *page = NULL, *out;
	char *next = NULL;

	if (vci_admin_authenticate(s, req, resp) < 0)
		return;
	if (vci_manage_query_parse(req->query, &q, &err) < 0) {
		fail(resp, &err);
		return;
	}
	if (vci_store_exchange_list(s->store, q.state, q.cursor, q.limit, &page, &next,
				    &err) < 0) {
		vci_manage_query_clear(&q);
		fail(resp, &err);
		return;
	}
	vci_manage_query_clear(&q);
	out = json_pack("{s:o}", "exchanges", page);
	if (out && next)
		json_object_set_new(out, "next_cursor", json_string(next));
	free(next);
	vci_resp_json(resp, 200, out);
}

static void get_exchange(vci_serve_t *s, vci_resp_t *resp, const char *id)
{
	vci_store_exchange_t x;
	vci_err_t err = { 0 };
	int rc = vci_store_exchange_get(s->store, id, &x, &err);
	json_t *v;

	if (rc) {
		if (rc > 0)
			vci_resp_error(resp, 404, "not_found", "no such exchange");
		else
			fail(resp, &err);
		return;
	}
	v = vci_manage_exchange_view(s->store, &x, file_of, s, &err);
	vci_store_exchange_clear(&x);
	if (!v) {
		fail(resp, &err);
		return;
	}
	vci_resp_json(resp, 200, v);
}

static void delete_exchange(vci_serve_t *s, vci_resp_t *resp, const char *id)
{
	vci_err_t err = { 0 };
	int rc = vci_store_exchange_delete(s->store, id, &err);

	if (rc > 0)
		vci_resp_error(resp, 404, "not_found", "no such exchange");
	else if (rc < 0)
		fail(resp, &err);
	else
		vci_resp_bytes(resp, 204, "", "", 0);
}

/* GET and DELETE /exchanges/{id} */
static void one_exchange(vci_serve_t *s, const vci_req_t *req, vci_resp_t *resp)
{
	const char *id = req->path + strlen(PREFIX);

	if (vci_admin_authenticate(s, req, resp) < 0)
		return;
	if (strchr(id, '/')) {
		vci_resp_error(resp, 404, "not_found", "no such resource");
		return;
	}
	if (!strcmp(req->method, "DELETE"))
		delete_exchange(s, resp, id);
	else
		get_exchange(s, resp, id);
}

/* POST /exchanges/{id}/revoke | suspend | reinstate */
static void act(vci_serve_t *s, const vci_req_t *req, vci_resp_t *resp)
{
	const char *rest = req->path + strlen(PREFIX), *slash = strchr(rest, '/');
	const char *word = slash ? vci_manage_action_word(slash + 1) : NULL;
	char id[VCI_STORE_ID];
	vci_manage_only_t only;
	vci_err_t err = { 0 };
	json_t *done = NULL;
	int rc;

	if (vci_admin_authenticate(s, req, resp) < 0)
		return;
	if (!word || (size_t)(slash - rest) >= sizeof id) {
		vci_resp_error(resp, 404, "not_found", "no such resource (revoke, suspend or "
			       "reinstate)");
		return;
	}
	snprintf(id, sizeof id, "%.*s", (int)(slash - rest), rest);
	if (vci_manage_action_parse(req->body, req->body_len, &only, &err) < 0) {
		fail(resp, &err);
		return;
	}
	rc = vci_manage_status_set(s->store, id, word, &only, file_of, s, &done, &err);
	if (rc > 0)
		vci_resp_error(resp, 404, "not_found", "no such exchange");
	else if (rc < 0)
		fail(resp, &err);
	else
		vci_resp_json(resp, 200, json_pack("{s:s, s:o}", "id", id, "status_list_entries",
						   done));
}

int vci_admin_exchanges_register(vci_serve_t *s, vci_err_t *err)
{
	if (vci_serve_route_add(s, 1, "GET", "/exchanges", VCI_ROUTE_EXACT, NULL, list_exchanges,
				NULL, err) < 0 ||
	    vci_serve_route_add(s, 1, "GET", PREFIX, VCI_ROUTE_PREFIX, NULL, one_exchange, NULL,
				err) < 0 ||
	    vci_serve_route_add(s, 1, "DELETE", PREFIX, VCI_ROUTE_PREFIX, NULL, one_exchange, NULL,
				err) < 0)
		return -1;
	return vci_serve_route_add(s, 1, "POST", PREFIX, VCI_ROUTE_PREFIX, NULL, act, NULL, err);
}
