/* admin_defs.c - credential definitions on the management listener:
 *   GET    /definitions        {"definitions": [{id, source, definition}]}
 *   POST   /definitions        one definition or several, in any shape
 *                              `vci-defn import` reads -> 201
 *                              {"definitions": [...], "dropped"?: [...]}
 *   GET    /definitions/{id}   the normalised definition
 *   PUT    /definitions/{id}   replace a stored definition -> 200
 *   DELETE /definitions/{id}   -> 204
 * Definitions are validated and prepared by the library (vci_defn_import,
 * vci_defn_new), kept in the store, and served at once: the issuer
 * metadata and type metadata follow through a new catalog (catalog.c).
 * The --defn definitions (source "config") are listed and read here but
 * are read-only (409): they belong to the server's configuration. */
#include "serve/serve.h"

#include <string.h>

#define PREFIX "/definitions/"

/* A management error: status from the code. */
static void fail(vci_resp_t *resp, const vci_err_t *err)
{
	static const struct {
		const char *code;
		int status;
	} map[] = {
		{ "definition_exists", 409 }, { "read_only", 409 }, { "not_found", 404 },
		{ "invalid_definition", 400 }, { "invalid_request", 400 },
	};

	for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
		if (!strcmp(err->code, map[i].code)) {
			vci_resp_err(resp, map[i].status, err);
			return;
		}
	vci_resp_err(resp, err->status == VCI_EXIT_IO ? 503 : err->status == VCI_EXIT_KEY ? 500 :
		     400, err);
}

static json_t *entry(const vci_serve_t *s, const vci_defn_t *d)
{
	return json_pack("{s:s, s:s, s:O}", "id", d->id, "source",
			 vci_defn_find(s->defs, s->ndefs, d->id) ? "config" : "store", "definition",
			 d->doc);
}

static void list_defs(vci_serve_t *s, const vci_req_t *req, vci_resp_t *resp)
{
	json_t *list = json_array();
	size_t n;
	vci_defn_t *const *defs = vci_serve_defs(s, &n);

	if (vci_admin_authenticate(s, req, resp) < 0) {
		json_decref(list);
		return;
	}
	for (size_t i = 0; list && i < n; i++)
		if (json_array_append_new(list, entry(s, defs[i])) < 0) {
			json_decref(list);
			list = NULL;
		}
	vci_resp_json(resp, 200, list ? json_pack("{s:o}", "definitions", list) : NULL);
}

/* The definitions of a request body, prepared. */
static int read_body(const vci_req_t *req, json_t *dropped, vci_defn_t ***defs, size_t *n,
		     vci_err_t *err)
{
	json_auto_t *doc = vci_json_parse(req->body ? req->body : "", req->body_len,
					  "request body", err);

	if (!doc)
		return vci_err_set(err, VCI_EXIT_INPUT, "invalid_request", "%s", err->msg);
	if (!json_is_object(doc) && !json_is_array(doc))
		return vci_err_set(err, VCI_EXIT_INPUT, "invalid_request", "expected a JSON object "
				   "or array");
	if (vci_manage_defn_read(doc, dropped, defs, n, err) < 0) {
		if (strcmp(err->code, "out_of_memory"))
			snprintf(err->code, sizeof err->code, "invalid_definition");
		return -1;
	}
	return 0;
}

/* The served definitions (without the one of id `except`) and `add`. */
/* Whether id is one of ids (a JSON array of strings; NULL: none). */
static int in_ids(const json_t *ids, const char *id)
{
	const json_t *e;
	size_t i;

	json_array_foreach(ids, i, e)
		if (json_is_string(e) && !strcmp(json_string_value(e), id))
			return 1;
	return 0;
}

/* The definitions served beside defs once those of the ids `except` are
 * gone (a new array, the definitions borrowed). */
static vci_defn_t **others(vci_serve_t *s, const json_t *except, vci_defn_t **add, size_t nadd,
			   size_t *n)
{
	size_t nc, k = 0;
	vci_defn_t *const *cur = vci_serve_defs(s, &nc);
	vci_defn_t **all = calloc(nc + nadd + 1, sizeof *all);

	for (size_t i = 0; all && i < nc; i++)
		if (!in_ids(except, cur[i]->id))
			all[k++] = cur[i];
	for (size_t i = 0; all && i < nadd; i++)
		all[k++] = add[i];
	*n = k;
	return all;
}

/* The text stored for defs[i]: its definition, and in a group the
 * group's member with i as the order. */
static char *stored_text(const vci_defn_t *d, const json_t *group, size_t i)
{
	json_auto_t *doc = NULL;
	json_t *g;

	if (!group)
		return vci_json_dump(d->doc);
	doc = json_copy(d->doc);
	g = json_copy((json_t *)group);
	if (!doc || !g || json_object_set_new(g, "order", json_integer((json_int_t)i)) < 0 ||
	    json_object_set_new(doc, VCI_STORE_DEFN_GROUP, g) < 0)
		return NULL;
	return vci_json_dump(doc);
}

/* The store's answer for defs[i]'s id as an error of this API. */
static int put_result(int rc, const char *id, vci_err_t *err)
{
	if (rc == VCI_STORE_EXISTS)
		return vci_err_set(err, VCI_EXIT_FAIL, "definition_exists", "id %s: a definition "
				   "has it", id);
	if (rc == VCI_STORE_NOTFOUND)
		return vci_err_set(err, VCI_EXIT_FAIL, "not_found", "no stored definition %s", id);
	return rc;
}

/* The ids of `replaced` that no entry of defs keeps (a new array of
 * borrowed strings; *n counts them), or NULL out of memory. */
static const char **dropped_ids(vci_defn_t **defs, size_t n, const json_t *replaced,
				size_t *ndel)
{
	const char **del = calloc(json_array_size(replaced) + 1, sizeof *del);
	const json_t *e;
	size_t i;

	*ndel = 0;
	json_array_foreach(replaced, i, e) {
		size_t k = 0;

		while (del && k < n && strcmp(defs[k]->id, json_string_value(e)))
			k++;
		if (del && k == n)
			del[(*ndel)++] = json_string_value(e);
	}
	return del;
}

/* The store writes of a replace, in one transaction: each of defs added
 * or put in place of the replaced one of its id, then the replaced ids
 * no entry keeps deleted; nothing written when one fails. */
static int write_defs(vci_serve_t *s, vci_defn_t **defs, size_t n, const json_t *replaced,
		      const json_t *group, int64_t now, vci_err_t *err)
{
	vci_store_defn_write_t *w = calloc(n + 1, sizeof *w);
	char **texts = calloc(n + 1, sizeof *texts);
	size_t ndel = 0, failed = 0, i;
	const char **del = dropped_ids(defs, n, replaced, &ndel);
	int rc = w && texts && del ? 0 : vci_err_oom(err);

	for (i = 0; rc == 0 && i < n; i++) {
		texts[i] = stored_text(defs[i], group, i);
		w[i] = (vci_store_defn_write_t){ defs[i]->id, texts[i],
						  in_ids(replaced, defs[i]->id) };
		if (!texts[i])
			rc = vci_err_oom(err);
	}
	if (rc == 0)
		rc = put_result(vci_store_defn_write(s->store, w, n, del, ndel, now, &failed, err),
				n ? defs[failed]->id : "", err);
	for (i = 0; texts && i < n; i++)
		free(texts[i]);
	free(texts);
	free(w);
	free(del);
	return rc;
}

/* Store defs in place of the definitions of the ids `replaced` (NULL:
 * none; group: see vci_admin_defs_store) and publish; under the admin
 * lock, after checking they fit beside what is served. A replaced id
 * that no entry of defs keeps is deleted. */
static int store_locked(vci_serve_t *s, vci_defn_t **defs, size_t n, const json_t *replaced,
			const json_t *group, int64_t now, vci_err_t *err)
{
	size_t nall, i;
	vci_defn_t **all;
	const json_t *e;
	int rc = 0;

	if (vci_serve_catalog_sync_locked(s, err) < 0)
		return -1;
	json_array_foreach(replaced, i, e)
		if (vci_defn_find(s->defs, s->ndefs, json_string_value(e)))
			return vci_err_set(err, VCI_EXIT_FAIL, "read_only", "%s: given with --defn: "
					   "change the server's configuration", json_string_value(e));
	all = others(s, replaced, defs, n, &nall);
	if (!all)
		return vci_err_oom(err);
	for (i = 0; rc == 0 && i < n; i++)
		rc = vci_serve_defn_fits(s, defs[i], all, nall, err);
	free(all);
	if (rc == 0)
		rc = write_defs(s, defs, n, replaced, group, now, err);
	{
		vci_err_t perr = { 0 };  /* what the store holds now, served */

		if (vci_serve_catalog_publish_locked(s, &perr) < 0 && rc == 0) {
			*err = perr;
			return -1;
		}
	}
	return rc;
}

static void post_defs(vci_serve_t *s, const vci_req_t *req, vci_resp_t *resp)
{
	vci_err_t err = { 0 };
	json_auto_t *dropped = json_array();
	vci_defn_t **defs = NULL;
	size_t n = 0;
	json_t *out, *docs;
	int rc;

	if (vci_admin_authenticate(s, req, resp) < 0)
		return;
	if (read_body(req, dropped, &defs, &n, &err) < 0) {
		fail(resp, &err);
		return;
	}
	vci_serve_admin_lock(s);
	rc = store_locked(s, defs, n, NULL, NULL, req->now, &err);
	vci_serve_admin_unlock(s);
	docs = json_array();
	for (size_t i = 0; docs && i < n; i++)
		json_array_append(docs, defs[i]->doc);
	vci_defn_list_free(defs, n);
	if (rc) {
		json_decref(docs);
		fail(resp, &err);
		return;
	}
	out = json_pack("{s:o}", "definitions", docs);
	if (out && json_array_size(dropped))
		json_object_set(out, "dropped", dropped);
	vci_resp_json(resp, 201, out);
}

/* The {id} of /definitions/{id}, or NULL (404 filled). */
static const char *path_id(const vci_req_t *req, vci_resp_t *resp)
{
	const char *id = req->path + strlen(PREFIX);

	if (strchr(id, '/')) {
		vci_resp_error(resp, 404, "not_found", "no such resource");
		return NULL;
	}
	return id;
}

static void get_def(vci_serve_t *s, const vci_req_t *req, vci_resp_t *resp)
{
	const char *id = path_id(req, resp);
	const vci_defn_t *d = id ? vci_serve_defn(s, id) : NULL;

	if (!id)
		return;
	if (!d) {
		vci_resp_error(resp, 404, "not_found", "no such definition");
		return;
	}
	vci_resp_json(resp, 200, json_incref(d->doc));
}

static void put_def(vci_serve_t *s, const vci_req_t *req, vci_resp_t *resp, const char *id)
{
	vci_err_t err = { 0 };
	json_auto_t *dropped = json_array();
	vci_defn_t **defs = NULL;
	size_t n = 0;
	int rc;

	if (read_body(req, dropped, &defs, &n, &err) < 0) {
		fail(resp, &err);
		return;
	}
	if (n != 1 || strcmp(defs[0]->id, id)) {
		vci_defn_list_free(defs, n);
		vci_resp_error(resp, 400, "invalid_request", "expected one definition with the id "
			       "of its path");
		return;
	}
	rc = vci_admin_defs_store(s, defs, n, id, NULL, req->now, &err);
	if (rc) {
		vci_defn_list_free(defs, n);
		fail(resp, &err);
		return;
	}
	vci_resp_json(resp, 200, json_incref(defs[0]->doc));
	vci_defn_list_free(defs, n);
}

static void delete_def(vci_serve_t *s, vci_resp_t *resp, const char *id)
{
	vci_err_t err = { 0 };

	if (vci_admin_defs_delete(s, id, &err)) {
		fail(resp, &err);
		return;
	}
	vci_resp_bytes(resp, 204, "", "", 0);
}

static void one_def(vci_serve_t *s, const vci_req_t *req, vci_resp_t *resp)
{
	const char *id;

	if (vci_admin_authenticate(s, req, resp) < 0 || !(id = path_id(req, resp)))
		return;
	if (!strcmp(req->method, "GET"))
		get_def(s, req, resp);
	else if (!strcmp(req->method, "PUT"))
		put_def(s, req, resp, id);
	else
		delete_def(s, resp, id);
}

int vci_admin_defs_register(vci_serve_t *s, vci_err_t *err)
{
	if (vci_serve_route_add(s, 1, "GET", "/definitions", VCI_ROUTE_EXACT, NULL, list_defs,
				NULL, err) < 0 ||
	    vci_serve_route_add(s, 1, "POST", "/definitions", VCI_ROUTE_EXACT, "application/json",
				post_defs, NULL, err) < 0)
		return -1;
	if (vci_serve_route_add(s, 1, "GET", PREFIX, VCI_ROUTE_PREFIX, NULL, one_def, NULL,
				err) < 0 ||
	    vci_serve_route_add(s, 1, "PUT", PREFIX, VCI_ROUTE_PREFIX, "application/json", one_def,
				NULL, err) < 0)
		return -1;
	return vci_serve_route_add(s, 1, "DELETE", PREFIX, VCI_ROUTE_PREFIX, NULL, one_def, NULL,
				   err);
}

int vci_admin_defs_store(vci_serve_t *s, vci_defn_t **defs, size_t n, const char *replace,
			 const json_t *group, int64_t now, vci_err_t *err)
{
	json_auto_t *ids = replace ? json_pack("[s]", replace) : NULL;

	if (replace && !ids)
		return vci_err_oom(err);
	return vci_admin_defs_replace(s, defs, n, ids, group, now, err);
}

int vci_admin_defs_replace(vci_serve_t *s, vci_defn_t **defs, size_t n, const json_t *replaced,
			   const json_t *group, int64_t now, vci_err_t *err)
{
	int rc;

	vci_serve_admin_lock(s);
	rc = store_locked(s, defs, n, replaced, group, now, err);
	vci_serve_admin_unlock(s);
	return rc;
}

int vci_admin_defs_delete(vci_serve_t *s, const char *id, vci_err_t *err)
{
	int rc;

	vci_serve_admin_lock(s);
	if (vci_defn_find(s->defs, s->ndefs, id))
		rc = vci_err_set(err, VCI_EXIT_FAIL, "read_only", "%s: given with --defn: change "
				 "the server's configuration", id);
	else
		rc = vci_store_defn_delete(s->store, id, err);
	if (rc == VCI_STORE_NOTFOUND)
		rc = vci_err_set(err, VCI_EXIT_FAIL, "not_found", "no stored definition %s", id);
	if (rc == 0)
		rc = vci_serve_catalog_publish_locked(s, err);
	vci_serve_admin_unlock(s);
	return rc;
}
