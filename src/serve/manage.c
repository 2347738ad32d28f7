/* manage.c - what the native management API and the `vci-serve`
 * subcommands share, so the shell and HTTP act alike: definitions read in
 * any shape vci-defn imports, the view of an exchange, status changes of
 * an exchange's credentials in the list files, the parsers of the
 * requests (list query, action body, NDJSON lines), and the offers a list
 * answer reads page by page. */
#include "serve.h"
#include "base/http.h"
#include "oid4vci/statuslist.h"

#include <errno.h>
#include <string.h>

#define oom(err) vci_err_oom(err)

int vci_manage_defn_read(const json_t *doc, json_t *dropped, vci_defn_t ***out, size_t *n,
			 vci_err_t *err)
{
	json_auto_t *list = NULL;
	vci_defn_t **defs;
	size_t i;
	json_t *d;

	*out = NULL;
	*n = 0;
	list = vci_defn_import(doc, dropped, err);
	if (!list)
		return -1;
	if (!json_array_size(list))
		return vci_err_set(err, VCI_EXIT_INPUT, "invalid_definition", "no definition in it");
	defs = calloc(json_array_size(list), sizeof *defs);
	if (!defs)
		return oom(err);
	json_array_foreach(list, i, d) {
		defs[i] = vci_defn_new(d, err);
		if (!defs[i]) {
			vci_defn_list_free(defs, i);
			return -1;
		}
	}
	*out = defs;
	*n = json_array_size(list);
	return 0;
}

/* ---- parsers ---- */

static int query_param(vci_manage_query_t *q, const char *key, char *val, vci_err_t *err)
{
	char *end;
	unsigned long v;

	if (!strcmp(key, "limit")) {
		if (q->limit_given++)
			return vci_err_set(err, VCI_EXIT_INPUT, "invalid_request", "limit: given twice");
		errno = 0;
		v = strtoul(val, &end, 10);
		if (!*val || *val < '0' || *val > '9' || *end || errno || v < 1 ||
		    v > VCI_STORE_LIST_MAX)
			return vci_err_set(err, VCI_EXIT_INPUT, "invalid_request", "limit: expected "
					   "1 to %d", VCI_STORE_LIST_MAX);
		q->limit = (unsigned)v;
		free(val);
		return 0;
	}
	if (strcmp(key, "state") && strcmp(key, "cursor")) {
		free(val);  /* unknown parameters are ignored */
		return 0;
	}
	if (*(!strcmp(key, "state") ? &q->state : &q->cursor))
		return vci_err_set(err, VCI_EXIT_INPUT, "invalid_request", "%s: given twice", key);
	if (!*val)
		return vci_err_set(err, VCI_EXIT_INPUT, "invalid_request", "%s: empty", key);
	*(!strcmp(key, "state") ? &q->state : &q->cursor) = val;
	return 0;
}

int vci_manage_query_parse(const char *query, vci_manage_query_t *q, vci_err_t *err)
{
	const char *p = query;

	memset(q, 0, sizeof *q);
	q->limit = VCI_MANAGE_LIMIT;
	while (p && *p) {
		size_t n = strcspn(p, "&"), kn = strcspn(p, "=&");
		char key[16], *val = NULL;
		size_t vlen;

		if (n && kn < sizeof key) {
			memcpy(key, p, kn);
			key[kn] = 0;
			if (vci_url_decode(p + kn + (kn < n), n - kn - (kn < n), 1, &val, &vlen,
					   err) < 0) {
				vci_manage_query_clear(q);
				return vci_err_prefix(err, "query"), err->status = VCI_EXIT_INPUT, -1;
			}
			if (query_param(q, key, val, err) < 0) {
				free(val);
				vci_manage_query_clear(q);
				return -1;
			}
		}
		p += n + (p[n] == '&');
	}
	return 0;
}

void vci_manage_query_clear(vci_manage_query_t *q)
{
	free(q->state);
	free(q->cursor);
	memset(q, 0, sizeof *q);
}

int vci_manage_action_parse(const char *body, size_t len, vci_manage_only_t *only,
			    vci_err_t *err)
{
	json_auto_t *j = NULL;
	const json_t *idx, *uri;

	memset(only, 0, sizeof *only);
	while (len && (body[len - 1] == ' ' || body[len - 1] == '\n' || body[len - 1] == '\r' ||
		       body[len - 1] == '\t'))
		len--;
	if (!body || !len)
		return 0;
	j = vci_json_parse(body, len, "request body", err);
	if (!j)
		return err->status = VCI_EXIT_INPUT, -1;
	if (!json_is_object(j))
		return vci_err_set(err, VCI_EXIT_INPUT, "invalid_request", "expected a JSON object");
	idx = json_object_get(j, "idx");
	uri = json_object_get(j, "uri");
	if (idx && (!json_is_integer(idx) || json_integer_value(idx) < 0))
		return vci_err_set(err, VCI_EXIT_INPUT, "invalid_request", "idx: expected a "
				   "non-negative integer");
	if (uri && !json_is_string(uri))
		return vci_err_set(err, VCI_EXIT_INPUT, "invalid_request", "uri: expected a string");
	if (uri && !idx)
		return vci_err_set(err, VCI_EXIT_INPUT, "invalid_request", "uri: give idx with it");
	only->has_idx = idx != NULL;
	only->idx = idx ? (uint64_t)json_integer_value(idx) : 0;
	if (uri)
		snprintf(only->uri, sizeof only->uri, "%s", json_string_value(uri));
	if (uri && strlen(json_string_value(uri)) >= sizeof only->uri)
		return vci_err_set(err, VCI_EXIT_INPUT, "invalid_request", "uri: too long");
	return 0;
}

const char *vci_manage_ndjson_next(const char **p, const char *end, size_t *len)
{
	while (*p < end) {
		const char *line = *p, *nl = memchr(line, '\n', (size_t)(end - line));
		size_t n = nl ? (size_t)(nl - line) : (size_t)(end - line);

		*p = nl ? nl + 1 : end;
		while (n && (line[n - 1] == '\r' || line[n - 1] == ' ' || line[n - 1] == '\t'))
			n--;
		while (n && (*line == ' ' || *line == '\t')) {
			line++;
			n--;
		}
		if (n) {
			*len = n;
			return line;
		}
	}
	return NULL;
}

/* ---- exchanges ---- */

/* A list "db:NAME" is NAME in the store (vci-statuslist new --db). */
static const char *entry_db_name(const char *file)
{
	return file && !strncmp(file, "db:", 3) ? file + 3 : NULL;
}

/* The value of an entry in its list file (or the store's list), as a
 * word; NULL when unknown. */
static json_t *entry_value(vci_store_t *st, const char *file, uint64_t idx)
{
	vci_err_t err = { 0 };
	vci_statuslist_t *sl = NULL;
	unsigned v;
	char buf[8];
	json_t *word = NULL;

	if (entry_db_name(file)) {
		if (vci_store_sl_load(st, entry_db_name(file), &sl, NULL, NULL, &err) != 0)
			sl = NULL;
	} else if (file) {
		sl = vci_statuslist_load(file, &err);
	}
	if (sl && vci_statuslist_get(sl, idx, &v, &err) == 0)
		word = json_string(vci_statuslist_status_name(sl->method, sl->purpose, v, buf));
	vci_statuslist_free(sl);
	return word;
}

json_t *vci_manage_entries(vci_store_t *st, const char *exchange_id,
			   vci_manage_file_fn file_of, void *ctx, vci_err_t *err)
{
	json_t *status = NULL, *e;
	size_t i;

	if (vci_store_exchange_status(st, exchange_id, &status, err) < 0)
		return NULL;
	json_array_foreach(status, i, e) {
		const char *file = file_of(ctx, json_string_value(json_object_get(e, "uri")));
		json_t *val = entry_value(st, file, (uint64_t)json_integer_value(
						  json_object_get(e, "idx")));

		if (val)
			json_object_set_new(e, "status", val);
	}
	return status;
}

json_t *vci_manage_exchange_view(vci_store_t *st, const vci_store_exchange_t *x,
				 vci_manage_file_fn file_of, void *ctx, vci_err_t *err)
{
	json_t *v, *status;

	status = vci_manage_entries(st, x->id, file_of, ctx, err);
	if (!status)
		return NULL;
	v = json_pack("{s:s, s:s, s:s, s:o*, s:o*, s:I, s:I, s:o}", "id", x->id, "offer_id",
		      x->offer_id, "state", x->state, "record",
		      x->record ? json_loads(x->record, 0, NULL) : NULL, "issued",
		      x->issued ? json_loads(x->issued, 0, NULL) : NULL, "created_at",
		      (json_int_t)x->created_at, "updated_at", (json_int_t)x->updated_at,
		      "status_list_entries", status);
	if (v && x->notification_id[0])
		json_object_set_new(v, "notification_id", json_string(x->notification_id));
	if (v && x->description)
		json_object_set_new(v, "description", json_string(x->description));
	if (!v)
		oom(err);
	return v;
}

/* One entry to `word` in the store's list "db:NAME" (the servers re-sign
 * when its serial moves). */
static int entry_set_db(vci_store_t *st, const char *name, uint64_t idx, const char *word,
			json_t *e, vci_err_t *err)
{
	statuslist_auto_t *sl = NULL;
	unsigned v;
	char buf[8];
	int rc = vci_store_sl_load(st, name, &sl, NULL, NULL, err);

	if (rc == VCI_STORE_NOTFOUND)
		return vci_err_set(err, VCI_EXIT_USAGE, "no_status_list", "db:%s: not in the "
				   "store", name);
	if (rc != 0 || vci_statuslist_status_parse(sl, word, &v, err) < 0)
		return -1;
	rc = vci_store_sl_set(st, name, idx, v, 0, vci_time_now(), err);
	if (rc == VCI_STORE_NOTFOUND)
		return vci_err_set(err, VCI_EXIT_USAGE, "no_status_list", "db:%s: not in the "
				   "store", name);
	if (rc != 0)
		return -1;
	return json_object_set_new(e, "status", json_string(
			vci_statuslist_status_name(sl->method, sl->purpose, v, buf)));
}

/* One entry to `word` in its list file, locked as vci-statuslist set does
 * (the server re-signs the token when the file changes). */
static int entry_set(vci_store_t *st, const char *file, uint64_t idx, const char *word,
		     json_t *e, vci_err_t *err)
{
	vci_sl_lock_t lk = { -1 };
	statuslist_auto_t *sl = NULL;
	unsigned v;
	char buf[8];
	int rc = -1;

	if (entry_db_name(file))
		return entry_set_db(st, entry_db_name(file), idx, word, e, err);
	if (vci_statuslist_lock(file, 1, &lk, err) < 0)
		return -1;
	sl = vci_statuslist_load_locked(&lk, file, err);
	if (sl && vci_statuslist_status_parse(sl, word, &v, err) == 0 &&
	    vci_statuslist_set(sl, idx, v, 0, err) == 0 && vci_statuslist_save(file, sl, err) == 0)
		rc = json_object_set_new(e, "status", json_string(
				vci_statuslist_status_name(sl->method, sl->purpose, v, buf)));
	vci_statuslist_unlock(&lk);
	return rc;
}

int vci_manage_status_set(vci_store_t *st, const char *id, const char *word,
			  const vci_manage_only_t *only, vci_manage_file_fn file_of, void *ctx,
			  json_t **out, vci_err_t *err)
{
	vci_store_exchange_t x;
	json_auto_t *status = NULL;
	json_t *done, *e;
	size_t i;
	int rc = vci_store_exchange_get(st, id, &x, err);

	*out = NULL;
	vci_store_exchange_clear(&x);
	if (rc)
		return rc;
	if (vci_store_exchange_status(st, id, &status, err) < 0)
		return -1;
	done = json_array();
	if (!done)
		return oom(err);
	json_array_foreach(status, i, e) {
		const char *uri = json_string_value(json_object_get(e, "uri"));
		uint64_t idx = (uint64_t)json_integer_value(json_object_get(e, "idx"));
		const char *file;

		if (only && only->has_idx && (idx != only->idx || (only->uri[0] &&
								  strcmp(uri, only->uri))))
			continue;
		file = file_of(ctx, uri);
		if (!file) {
			json_decref(done);
			return vci_err_set(err, VCI_EXIT_USAGE, "no_status_list", "%s: no list file "
					   "of this server is published there", uri);
		}
		json_object_del(e, "issued_at");
		if (entry_set(st, file, idx, word, e, err) < 0 || json_array_append(done, e) < 0) {
			json_decref(done);
			return vci_err_prefix(err, "%s idx %llu", uri, (unsigned long long)idx), -1;
		}
	}
	if (!json_array_size(done)) {
		json_decref(done);
		return vci_err_set(err, VCI_EXIT_FAIL, "no_status_entry", "exchange %s: %s", id,
				   only && only->has_idx ? "no such status entry" :
				   "no credential with a status list entry was issued");
	}
	*out = done;
	return 0;
}

const char *vci_manage_action_word(const char *action)
{
	if (!strcmp(action, "revoke"))
		return "invalid";
	if (!strcmp(action, "suspend"))
		return "suspended";
	if (!strcmp(action, "reinstate"))
		return "valid";
	return NULL;
}

int vci_manage_query_value(const char *query, const char *name, char **val, vci_err_t *err)
{
	const char *p = query;
	size_t nlen = strlen(name);

	*val = NULL;
	while (p && *p) {
		size_t n = strcspn(p, "&"), kn = strcspn(p, "=&");
		size_t vlen;

		if (kn == nlen && !memcmp(p, name, nlen)) {
			char *v = NULL;

			if (*val) {
				free(*val);
				*val = NULL;
				return vci_err_set(err, VCI_EXIT_INPUT, "invalid_request", "%s: given "
						   "twice", name);
			}
			if (vci_url_decode(p + kn + (kn < n), n - kn - (kn < n), 1, &v, &vlen,
					   err) < 0)
				return vci_err_prefix(err, "query: %s", name),
				       err->status = VCI_EXIT_INPUT, -1;
			if (strlen(v) != vlen) {
				free(v);
				return vci_err_set(err, VCI_EXIT_INPUT, "invalid_request", "%s: a NUL "
						   "byte", name);
			}
			*val = v;
		}
		p += n + (p[n] == '&');
	}
	return *val ? 1 : 0;
}

int vci_manage_query_uint(const char *query, const char *name, unsigned max, unsigned *out,
			  vci_err_t *err)
{
	char *v = NULL, *end;
	unsigned long n;
	int rc = vci_manage_query_value(query, name, &v, err);

	if (rc <= 0)
		return rc;
	errno = 0;
	n = strtoul(v, &end, 10);
	rc = *v >= '0' && *v <= '9' && !*end && !errno && n <= max;
	free(v);
	if (!rc)
		return vci_err_set(err, VCI_EXIT_INPUT, "invalid_request", "%s: expected 0 to %u",
				   name, max);
	*out = (unsigned)n;
	return 1;
}

int vci_manage_offer_scan(vci_store_t *st, const vci_store_offer_filter_t *f, unsigned offset,
			  unsigned limit, vci_manage_row_fn take, void *ctx, vci_err_t *err)
{
	unsigned got = 0;

	for (unsigned at = offset;; at += VCI_STORE_LIST_MAX) {
		unsigned want = limit ? limit - got : VCI_STORE_LIST_MAX;
		json_auto_t *rows = NULL;
		size_t i;
		json_t *row;

		if (want > VCI_STORE_LIST_MAX)
			want = VCI_STORE_LIST_MAX;
		if (!want || at > VCI_STORE_OFFSET_MAX)
			return 0;
		if (vci_store_offer_page(st, f, at, want, &rows, NULL, err) < 0)
			return -1;
		json_array_foreach(rows, i, row)
			if (take(ctx, row, err) < 0)
				return -1;
		got += (unsigned)json_array_size(rows);
		if (json_array_size(rows) < want)
			return 0;
	}
}
