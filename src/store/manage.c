/* manage.c - the store operations of the management API: definitions
 * made at run time, and exchanges listed by page, deleted, and their
 * status entries read for revocation. Written over the driver as store.c
 * is (writes through the writer thread, reads on pooled connections). */
#include "store/internal.h"

#include <errno.h>
#include <inttypes.h>
#include <string.h>

/* Definitions ------------------------------------------------------------*/

struct vci_manage_defn {
	const char *id, *defn;
	int64_t now;
};

static const char vci_sql_defn_add[] =
	"INSERT INTO definitions (id, defn, created_at, updated_at) VALUES (?1, ?2, ?3, ?3)";
static const char vci_sql_defn_replace[] =
	"UPDATE definitions SET defn = ?2, updated_at = ?3 WHERE id = ?1 RETURNING id";
static const char vci_sql_defn_get[] = "SELECT defn FROM definitions WHERE id = ?1";
static const char vci_sql_defn_list[] =
	"SELECT id, defn, created_at, updated_at FROM definitions ORDER BY id";
static const char vci_sql_defn_delete[] = "DELETE FROM definitions WHERE id = ?1 RETURNING id";

/* A statement that returns a row when it changed one: 0, or NOTFOUND. */
static int vci_manage_returning(vci_store_conn_t *c, vci_err_t *err, const char *sql,
				const char *fmt, const char *a, const char *b, int64_t t)
{
	vci_db_stmt_t *s;
	int rc = vci_store_query(c, &s, err, sql, fmt, a, b, t); /* fmt says which are used */

	if (rc != VCI_DB_ROW)
		return rc == VCI_DB_DONE ? VCI_STORE_NOTFOUND : -1;
	vci_store_end(c, s);
	return 0;
}

static int vci_manage_defn_add_run(vci_store_conn_t *c, void *arg, vci_err_t *err)
{
	const struct vci_manage_defn *a = arg;
	int rc = vci_store_do(c, err, vci_sql_defn_add, "tti", a->id, a->defn, a->now);

	if (rc == VCI_DB_UNIQUE)
		return VCI_STORE_EXISTS;
	return rc == VCI_DB_DONE ? 0 : -1;
}

/* The group member of a stored text (a new reference), or NULL. */
static json_t *vci_manage_defn_group_of(const char *text)
{
	json_auto_t *d = json_loads(text, 0, NULL);
	json_t *g = json_object_get(d, VCI_STORE_DEFN_GROUP);

	return json_is_object(g) ? json_incref(g) : NULL;
}

/* The new text with the stored one's group when it has none of its own
 * (malloc'd), or NULL: the text as given. */
static char *vci_manage_defn_keep_group(vci_store_conn_t *c, const struct vci_manage_defn *a,
					vci_err_t *err, int *rc)
{
	json_auto_t *old = NULL;
	json_auto_t *d = NULL;
	vci_db_stmt_t *s;

	*rc = vci_store_query(c, &s, err, vci_sql_defn_get, "t", a->id);
	if (*rc != VCI_DB_ROW)
		return NULL;
	old = vci_manage_defn_group_of(c->drv->column_text(s, 0));
	vci_store_end(c, s);
	*rc = VCI_DB_ROW;
	d = json_loads(a->defn, 0, NULL);
	if (!old || !json_is_object(d) || json_object_get(d, VCI_STORE_DEFN_GROUP))
		return NULL;
	if (json_object_set(d, VCI_STORE_DEFN_GROUP, old) < 0)
		return NULL;
	return json_dumps(d, JSON_COMPACT);
}

static int vci_manage_defn_replace_run(vci_store_conn_t *c, void *arg, vci_err_t *err)
{
	const struct vci_manage_defn *a = arg;
	int rc;
	char_auto_t *kept = vci_manage_defn_keep_group(c, a, err, &rc);

	if (rc == VCI_DB_DONE)
		return VCI_STORE_NOTFOUND;
	if (rc != VCI_DB_ROW)
		return -1;
	return vci_manage_returning(c, err, vci_sql_defn_replace, "tti", a->id,
				    kept ? kept : a->defn, a->now);
}

int vci_store_defn_put(vci_store_t *st, const char *id, const char *defn, int replace,
		       int64_t now, vci_err_t *err)
{
	struct vci_manage_defn a = { id, defn, now };

	if (!vci_store_id_ok(id))
		return vci_store_bad(err, "defn_put", "id: empty, too long or not printable");
	if (!defn || !*defn)
		return vci_store_bad(err, "defn_put", "no definition");
	if (replace)
		return vci_store_write(st, "defn_put", vci_manage_defn_replace_run, &a, err);
	return vci_store_write(st, "defn_put", vci_manage_defn_add_run, &a, err);
}

/* Several writes of definitions (vci_store_defn_write). */
struct vci_manage_defn_batch {
	const vci_store_defn_write_t *puts;
	const char *const *dels;
	size_t n, ndel;
	int64_t now;
	size_t *failed;
};

static const char vci_sql_defn_savepoint[] = "SAVEPOINT vci_defns";
static const char vci_sql_defn_rollback_to[] = "ROLLBACK TO SAVEPOINT vci_defns";
static const char vci_sql_defn_release[] = "RELEASE SAVEPOINT vci_defns";

static int vci_manage_defn_writes(vci_store_conn_t *c, const struct vci_manage_defn_batch *a,
				  vci_err_t *err)
{
	for (size_t i = 0; i < a->n; i++) {
		struct vci_manage_defn d = { a->puts[i].id, a->puts[i].defn, a->now };
		int rc = a->puts[i].replace ? vci_manage_defn_replace_run(c, &d, err) :
					      vci_manage_defn_add_run(c, &d, err);

		if (rc) {
			*a->failed = i;
			return rc;
		}
	}
	for (size_t i = 0; i < a->ndel; i++)
		if (vci_manage_returning(c, err, vci_sql_defn_delete, "t", a->dels[i], NULL, 0) < 0)
			return -1;
	return 0;
}

/* The writes in a savepoint of their own: a put that finds no row to
 * replace (no statement failed, so the operation would keep what came
 * before it) rolls back those before it. A failed statement, or an id
 * taken, fails the whole operation, which the writer rolls back. */
static int vci_manage_defn_batch_run(vci_store_conn_t *c, void *arg, vci_err_t *err)
{
	int rc;

	if (vci_store_do(c, err, vci_sql_defn_savepoint, "") != VCI_DB_DONE)
		return -1;
	rc = vci_manage_defn_writes(c, arg, err);
	if (rc < 0 || rc == VCI_STORE_EXISTS)
		return rc;
	if (rc == VCI_STORE_NOTFOUND &&
	    vci_store_do(c, err, vci_sql_defn_rollback_to, "") != VCI_DB_DONE)
		return -1;
	if (vci_store_do(c, err, vci_sql_defn_release, "") != VCI_DB_DONE)
		return -1;
	return rc;
}

int vci_store_defn_write(vci_store_t *st, const vci_store_defn_write_t *puts, size_t n,
			 const char *const *dels, size_t ndel, int64_t now, size_t *failed,
			 vci_err_t *err)
{
	struct vci_manage_defn_batch a = { puts, dels, n, ndel, now, failed };

	*failed = 0;
	for (size_t i = 0; i < n; i++) {
		*failed = i;
		if (!vci_store_id_ok(puts[i].id))
			return vci_store_bad(err, "defn_write", "id: empty, too long or not "
					     "printable");
		if (!puts[i].defn || !*puts[i].defn)
			return vci_store_bad(err, "defn_write", "no definition");
	}
	*failed = 0;
	return vci_store_write(st, "defn_write", vci_manage_defn_batch_run, &a, err);
}

int vci_store_defn_get(vci_store_t *st, const char *id, char **defn, vci_err_t *err)
{
	vci_store_conn_t *c;
	vci_db_stmt_t *s;
	int rc;

	*defn = NULL;
	if (!id)
		return VCI_STORE_NOTFOUND;
	c = vci_store_reader(st, err);
	if (!c)
		return vci_store_read_fail(-1, err, "defn_get");
	rc = vci_store_query(c, &s, err, vci_sql_defn_get, "t", id);
	if (rc == VCI_DB_ROW) {
		json_auto_t *d = json_loads(c->drv->column_text(s, 0), 0, NULL);

		/* the definition alone: without the group it was made in */
		if (json_object_get(d, VCI_STORE_DEFN_GROUP)) {
			json_object_del(d, VCI_STORE_DEFN_GROUP);
			*defn = json_dumps(d, JSON_INDENT(2));
		} else {
			*defn = strdup(c->drv->column_text(s, 0));
		}
		vci_store_end(c, s);
		rc = *defn ? 0 : vci_err_oom(err);
	} else {
		rc = rc == VCI_DB_DONE ? VCI_STORE_NOTFOUND : -1;
	}
	vci_store_reader_put(st, c);
	return vci_store_read_fail(rc, err, "defn_get");
}

static json_t *vci_manage_defn_json(const vci_db_driver_t *drv, vci_db_stmt_t *s)
{
	json_t *d = json_loads(drv->column_text(s, 1), 0, NULL);
	json_t *g = json_object_get(d, VCI_STORE_DEFN_GROUP), *row;

	if (!d)
		return NULL;
	g = json_is_object(g) ? json_incref(g) : NULL;
	json_object_del(d, VCI_STORE_DEFN_GROUP);
	row = json_pack("{s:s, s:o, s:I, s:I}", "id", drv->column_text(s, 0), "definition", d,
			"created_at", (json_int_t)drv->column_int(s, 2), "updated_at",
			(json_int_t)drv->column_int(s, 3));
	if (row && g)
		json_object_set(row, "group", g);
	json_decref(g);
	return row;
}

static int vci_manage_defn_rows(vci_store_conn_t *c, void *arg, json_t *list, vci_err_t *err)
{
	vci_db_stmt_t *s;
	int rc = vci_store_query(c, &s, err, vci_sql_defn_list, "");

	(void)arg;
	while (rc == VCI_DB_ROW) {
		if (json_array_append_new(list, vci_manage_defn_json(c->drv, s)) < 0) {
			vci_store_end(c, s);
			return vci_err_set(err, VCI_EXIT_IO, "server_error", "definition %s: not "
					   "JSON, or out of memory", "row");
		}
		rc = vci_store_next(c, s, err);
	}
	return rc == VCI_DB_DONE ? 0 : -1;
}

int vci_store_defn_list(vci_store_t *st, json_t **out, vci_err_t *err)
{
	return vci_store_list_on(st, "defn_list", vci_manage_defn_rows, NULL, out, err);
}

static int vci_manage_defn_delete_run(vci_store_conn_t *c, void *arg, vci_err_t *err)
{
	return vci_manage_returning(c, err, vci_sql_defn_delete, "t", arg, NULL, 0);
}

int vci_store_defn_delete(vci_store_t *st, const char *id, vci_err_t *err)
{
	if (!id)
		return VCI_STORE_NOTFOUND;
	return vci_store_write(st, "defn_delete", vci_manage_defn_delete_run, (void *)id, err);
}

/* Exchanges --------------------------------------------------------------*/

/* Pages are ordered by (created_at, id); the cursor is the last row's
 * "CREATED_AT.ID". ?1 state or NULL, ?2 created_at, ?3 id, ?4 limit + 1. */
static const char vci_sql_exchange_page[] =
	"SELECT id, offer_id, state, created_at, updated_at FROM exchanges"
	" WHERE (?1 IS NULL OR state = ?1) AND (created_at > ?2 OR (created_at = ?2 AND id > ?3))"
	" ORDER BY created_at, id LIMIT ?4";

static int vci_manage_cursor_parse(const char *cursor, int64_t *t, const char **id)
{
	char *end;
	long long v;

	*t = INT64_MIN;
	*id = "";
	if (!cursor)
		return 0;
	if (*cursor < '0' || *cursor > '9')
		return -1;
	errno = 0;
	v = strtoll(cursor, &end, 10);
	if (errno || *end != '.' || !vci_store_id_ok(end + 1))
		return -1;
	*t = v;
	*id = end + 1;
	return 0;
}

static json_t *vci_manage_exchange_json(const vci_db_driver_t *drv, vci_db_stmt_t *s)
{
	return json_pack("{s:s, s:s, s:s, s:I, s:I}", "id", drv->column_text(s, 0), "offer_id",
			 drv->column_text(s, 1), "state", drv->column_text(s, 2), "created_at",
			 (json_int_t)drv->column_int(s, 3), "updated_at",
			 (json_int_t)drv->column_int(s, 4));
}

/* What one page of exchanges asks, and whether there are more. */
struct vci_manage_exchange_page {
	const char *state, *after;
	int64_t t;
	unsigned limit;
	int more;
};

/* The rows of one page (limit + 1 asked: the extra one means more). */
static int vci_manage_exchange_rows(vci_store_conn_t *c, void *arg, json_t *list,
				    vci_err_t *err)
{
	struct vci_manage_exchange_page *a = arg;
	vci_db_stmt_t *s;
	int rc = vci_store_query(c, &s, err, vci_sql_exchange_page, "titi", a->state, a->t,
				 a->after, (int64_t)a->limit + 1);

	if (vci_store_rows_json(c, s, rc, vci_manage_exchange_json, list, err) < 0)
		return -1;
	a->more = json_array_size(list) > a->limit;
	if (a->more)
		json_array_remove(list, a->limit);
	return 0;
}

static char *vci_manage_cursor(const json_t *list)
{
	const json_t *last = json_array_get(list, json_array_size(list) - 1);
	char *cur;

	if (asprintf(&cur, "%" PRId64 ".%s",
		     (int64_t)json_integer_value(json_object_get(last, "created_at")),
		     json_string_value(json_object_get(last, "id"))) < 0)
		return NULL;
	return cur;
}

int vci_store_exchange_list(vci_store_t *st, const char *state, const char *cursor,
			    unsigned limit, json_t **out, char **next, vci_err_t *err)
{
	struct vci_manage_exchange_page a = { state, NULL, 0, limit, 0 };

	*out = NULL;
	*next = NULL;
	if (limit < 1 || limit > VCI_STORE_LIST_MAX)
		return vci_err_set(err, VCI_EXIT_INPUT, "invalid_request", "store: exchange_list: "
				   "limit: expected 1 to %d", VCI_STORE_LIST_MAX);
	if (vci_manage_cursor_parse(cursor, &a.t, &a.after) < 0)
		return vci_store_bad(err, "exchange_list", "cursor: not one this server gave");
	if (state && (!*state || strlen(state) >= sizeof(((vci_store_exchange_t *)0)->state)))
		return vci_store_bad(err, "exchange_list", "state: empty or too long");
	if (vci_store_list_on(st, "exchange_list", vci_manage_exchange_rows, &a, out, err) < 0)
		return -1;
	if (a.more && !(*next = vci_manage_cursor(*out))) {
		json_decref(*out);
		*out = NULL;
		return vci_store_read_fail(vci_err_oom(err), err, "exchange_list");
	}
	return 0;
}

static const char vci_sql_exchange_status[] =
	"SELECT uri, idx, issued_at FROM status WHERE exchange_id = ?1 ORDER BY rowid";

static json_t *vci_manage_status_json(const vci_db_driver_t *drv, vci_db_stmt_t *s)
{
	return json_pack("{s:s, s:I, s:I}", "uri", drv->column_text(s, 0), "idx",
			 (json_int_t)drv->column_int(s, 1), "issued_at",
			 (json_int_t)drv->column_int(s, 2));
}

static int vci_manage_status_rows(vci_store_conn_t *c, void *id, json_t *list, vci_err_t *err)
{
	vci_db_stmt_t *s;
	int rc = vci_store_query(c, &s, err, vci_sql_exchange_status, "t", id);

	return vci_store_rows_json(c, s, rc, vci_manage_status_json, list, err);
}

int vci_store_exchange_status(vci_store_t *st, const char *id, json_t **out, vci_err_t *err)
{
	return vci_store_list_on(st, "exchange_status", vci_manage_status_rows,
				 (void *)(id ? id : ""), out, err);
}

static const char vci_sql_exchange_del_status[] = "DELETE FROM status WHERE exchange_id = ?1";
static const char vci_sql_exchange_del_deferred[] =
	"DELETE FROM deferred WHERE exchange_id = ?1";
static const char vci_sql_exchange_del[] =
	"DELETE FROM exchanges WHERE id = ?1 RETURNING offer_id";
static const char vci_sql_exchange_del_offer[] =
	"DELETE FROM offers WHERE offer_id = ?1 AND NOT EXISTS"
	" (SELECT 1 FROM exchanges WHERE offer_id = ?1)";

static int vci_manage_exchange_delete_run(vci_store_conn_t *c, void *arg, vci_err_t *err)
{
	const char *id = arg;
	char offer_id[VCI_STORE_ID];
	vci_db_stmt_t *s;
	int rc;

	if (vci_store_do(c, err, vci_sql_exchange_del_status, "t", id) != VCI_DB_DONE ||
	    vci_store_do(c, err, vci_sql_exchange_del_deferred, "t", id) != VCI_DB_DONE)
		return -1;
	rc = vci_store_query(c, &s, err, vci_sql_exchange_del, "t", id);
	if (rc != VCI_DB_ROW)
		return rc == VCI_DB_DONE ? VCI_STORE_NOTFOUND : -1;
	snprintf(offer_id, sizeof(offer_id), "%s", c->drv->column_text(s, 0));
	vci_store_end(c, s);
	return vci_store_do(c, err, vci_sql_exchange_del_offer, "t", offer_id) == VCI_DB_DONE ?
	       0 : -1;
}

int vci_store_exchange_delete(vci_store_t *st, const char *id, vci_err_t *err)
{
	if (!vci_store_id_ok(id))
		return VCI_STORE_NOTFOUND;
	return vci_store_write(st, "exchange_delete", vci_manage_exchange_delete_run, (void *)id,
			       err);
}

/* Offers with their exchange, for the products' shapes ------------------*/

/* ?1 one offer id or NULL, ?2 limit, ?3 offset */
static const char vci_sql_offer_rows[] =
	"SELECT o.offer_id, o.state, o.created_at, o.expires_at, o.record, e.id, e.state,"
	" e.created_at, e.updated_at, e.issued, e.description"
	" FROM offers o LEFT JOIN exchanges e ON e.offer_id = o.offer_id"
	" WHERE (?1 IS NULL OR o.offer_id = ?1)"
	" ORDER BY o.created_at, o.offer_id LIMIT ?2 OFFSET ?3";

static json_t *vci_manage_text_json(const char *text)
{
	json_t *v = text ? json_loads(text, 0, NULL) : NULL;

	return v ? v : json_null();
}

static json_t *vci_manage_offer_row(const vci_db_driver_t *drv, vci_db_stmt_t *s)
{
	json_t *row = json_pack("{s:s, s:s, s:I, s:I, s:o}", "offer_id", drv->column_text(s, 0),
				"offer_state", drv->column_text(s, 1), "created_at",
				(json_int_t)drv->column_int(s, 2), "expires_at",
				(json_int_t)drv->column_int(s, 3), "record",
				vci_manage_text_json(drv->column_text(s, 4)));

	if (row && !drv->column_null(s, 5))
		json_object_set_new(row, "exchange", json_pack(
			"{s:s, s:s, s:I, s:I, s:o, s:s?}", "id", drv->column_text(s, 5), "state",
			drv->column_text(s, 6), "created_at", (json_int_t)drv->column_int(s, 7),
			"updated_at", (json_int_t)drv->column_int(s, 8), "issued",
			vci_manage_text_json(drv->column_text(s, 9)), "description",
			drv->column_text(s, 10)));
	return row;
}

/* What a page of offers asks (vci_store_offer_rows, vci_store_offer_page:
 * f NULL for the former). */
struct vci_manage_offer_page {
	const char *offer_id;
	const vci_store_offer_filter_t *f;
	unsigned offset, limit, *total;
};

static int vci_manage_offer_rows_fill(vci_store_conn_t *c, void *arg, json_t *list,
				      vci_err_t *err)
{
	const struct vci_manage_offer_page *a = arg;
	vci_db_stmt_t *s;
	int rc = vci_store_query(c, &s, err, vci_sql_offer_rows, "tii", a->offer_id,
				 (int64_t)a->limit, (int64_t)a->offset);

	return vci_store_rows_json(c, s, rc, vci_manage_offer_row, list, err);
}

int vci_store_offer_rows(vci_store_t *st, const char *offer_id, unsigned offset,
			 unsigned limit, json_t **out, vci_err_t *err)
{
	struct vci_manage_offer_page a = { offer_id, NULL, offset, limit, NULL };

	*out = NULL;
	if (limit < 1 || limit > VCI_STORE_LIST_MAX)
		return vci_store_bad(err, "offer_rows", "limit: out of bounds");
	return vci_store_list_on(st, "offer_rows", vci_manage_offer_rows_fill, &a, out, err);
}

/* Pages of offers selected in the query ------------------------------
 * ?1 offer id, ?2 configuration id (the offers' config_id column), ?3
 * ",STATE,...," of the exchange (redeemed offers), ?4 the same of the
 * offer (offers without exchange); each NULL: not asked; ?5 limit, ?6
 * offset. The state sets match by LIKE on ",STATE," (portable: no array
 * or JSON functions, the same text on SQLite and PostgreSQL). */
#define VCI_SQL_OFFER_FROM \
	" FROM offers o LEFT JOIN exchanges e ON e.offer_id = o.offer_id" \
	" WHERE (?1 IS NULL OR o.offer_id = ?1) AND (?2 IS NULL OR o.config_id = ?2)" \
	" AND ((?3 IS NULL AND ?4 IS NULL)" \
	" OR (e.id IS NOT NULL AND ?3 LIKE ('%,' || e.state || ',%'))" \
	" OR (e.id IS NULL AND ?4 LIKE ('%,' || o.state || ',%')))"

static const char vci_sql_offer_page[] =
	"SELECT o.offer_id, o.state, o.created_at, o.expires_at, o.record, e.id, e.state,"
	" e.created_at, e.updated_at, e.issued, e.description" VCI_SQL_OFFER_FROM
	" ORDER BY o.created_at, o.offer_id LIMIT ?5 OFFSET ?6";
static const char vci_sql_offer_count[] = "SELECT count(*)" VCI_SQL_OFFER_FROM;

static int vci_manage_offer_count(vci_store_conn_t *c, const vci_store_offer_filter_t *f,
				  unsigned *total, vci_err_t *err)
{
	vci_db_stmt_t *s;
	int rc = vci_store_query(c, &s, err, vci_sql_offer_count, "tttt", f->offer_id,
				 f->config_id, f->xstates, f->ostates);

	if (rc != VCI_DB_ROW)
		return rc == VCI_DB_DONE ? vci_err_set(err, VCI_EXIT_IO, "server_error",
						       "count: no row") : -1;
	*total = (unsigned)c->drv->column_int(s, 0);
	vci_store_end(c, s);
	return 0;
}

/* The count when asked, then the page's rows. */
static int vci_manage_offer_page_rows(vci_store_conn_t *c, void *arg, json_t *list,
				      vci_err_t *err)
{
	const struct vci_manage_offer_page *a = arg;
	const vci_store_offer_filter_t *f = a->f;
	vci_db_stmt_t *s;
	int rc;

	if (a->total && vci_manage_offer_count(c, f, a->total, err) < 0)
		return -1;
	rc = vci_store_query(c, &s, err, vci_sql_offer_page, "ttttii", f->offer_id, f->config_id,
			     f->xstates, f->ostates, (int64_t)a->limit, (int64_t)a->offset);
	return vci_store_rows_json(c, s, rc, vci_manage_offer_row, list, err);
}

int vci_store_offer_page(vci_store_t *st, const vci_store_offer_filter_t *f, unsigned offset,
			 unsigned limit, json_t **out, unsigned *total, vci_err_t *err)
{
	struct vci_manage_offer_page a = { NULL, f, offset, limit, total };

	*out = NULL;
	if (limit < 1 || limit > VCI_STORE_LIST_MAX)
		return vci_store_bad(err, "offer_page", "limit: out of bounds");
	if (offset > VCI_STORE_OFFSET_MAX)
		return vci_store_bad(err, "offer_page", "offset: out of bounds");
	return vci_store_list_on(st, "offer_page", vci_manage_offer_page_rows, &a, out, err);
}

static const char vci_sql_offer_exchange[] = "SELECT id FROM exchanges WHERE offer_id = ?1";
static const char vci_sql_offer_del[] =
	"DELETE FROM offers WHERE offer_id = ?1 RETURNING offer_id";

static int vci_manage_offer_delete_run(vci_store_conn_t *c, void *arg, vci_err_t *err)
{
	const char *id = arg;
	char xid[VCI_STORE_ID];
	vci_db_stmt_t *s;
	int rc = vci_store_query(c, &s, err, vci_sql_offer_exchange, "t", id);

	if (rc == VCI_DB_ROW) {
		snprintf(xid, sizeof xid, "%s", c->drv->column_text(s, 0));
		vci_store_end(c, s);
		return vci_manage_exchange_delete_run(c, xid, err);
	}
	if (rc != VCI_DB_DONE)
		return -1;
	return vci_manage_returning(c, err, vci_sql_offer_del, "t", id, NULL, 0);
}

int vci_store_offer_delete(vci_store_t *st, const char *offer_id, vci_err_t *err)
{
	if (!vci_store_id_ok(offer_id))
		return VCI_STORE_NOTFOUND;
	return vci_store_write(st, "offer_delete", vci_manage_offer_delete_run, (void *)offer_id,
			       err);
}

/* Events of the issuer's own failures -----------------------------------*/

struct vci_manage_event {
	const char *exchange_id, *type, *data;
	int64_t now;
};

static int vci_manage_event_run(vci_store_conn_t *c, void *arg, vci_err_t *err)
{
	const struct vci_manage_event *a = arg;

	return vci_store_event(c, a->type, a->exchange_id, NULL, a->data, a->now, err) < 0 ? -1 : 0;
}

int vci_store_exchange_event(vci_store_t *st, const char *exchange_id, const char *type,
			     const char *data, int64_t now, vci_err_t *err)
{
	struct vci_manage_event a = { exchange_id, type, data, now };

	if (!vci_store_id_ok(exchange_id) || !type || strcmp(type, "credential.error"))
		return vci_store_bad(err, "exchange_event", "unknown exchange id or event type");
	return vci_store_write(st, "exchange_event", vci_manage_event_run, &a, err);
}
