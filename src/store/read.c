/* read.c - what the store's read operations share: a pooled read
 * connection taken and given back around one query, the one row of a
 * lookup read into the caller's struct, and every row of a listing read
 * into a JSON array. Written over the driver (driver.h), so the same for
 * SQLite and PostgreSQL. */
#include "store/internal.h"

#include <string.h>

void vci_store_copy(char *dst, size_t size, const char *src)
{
	snprintf(dst, size, "%s", src ? src : "");
}

char *vci_store_dup(const char *s, vci_err_t *err, int *fail)
{
	char *d;

	if (!s)
		return NULL;
	d = strdup(s);
	if (!d && !*fail)
		*fail = vci_err_oom(err);
	return d;
}

int vci_store_get(vci_store_t *st, const char *op, const char *sql, const char *fmt,
		  const void *key, vci_store_row_fn row, void *out, vci_err_t *err)
{
	vci_store_conn_t *c = vci_store_reader(st, err);
	vci_db_stmt_t *s;
	int rc;

	if (!c)
		return vci_store_read_fail(-1, err, op);
	rc = vci_store_query(c, &s, err, sql, fmt, key);
	if (rc == VCI_DB_ROW) {
		rc = row ? row(c->drv, s, out, err) : 0;
		vci_store_end(c, s);
	} else {
		rc = rc == VCI_DB_DONE ? VCI_STORE_NOTFOUND : -1;
	}
	vci_store_reader_put(st, c);
	return vci_store_read_fail(rc, err, op);
}

int vci_store_rows_json(vci_store_conn_t *c, vci_db_stmt_t *s, int rc, vci_store_json_fn row,
			json_t *list, vci_err_t *err)
{
	while (rc == VCI_DB_ROW) {
		if (json_array_append_new(list, row(c->drv, s)) < 0) {
			vci_store_end(c, s);
			return vci_err_oom(err);
		}
		rc = vci_store_next(c, s, err);
	}
	return rc == VCI_DB_DONE ? 0 : -1;
}

int vci_store_list_on(vci_store_t *st, const char *op, vci_store_fill_fn fill, void *arg,
		      json_t **out, vci_err_t *err)
{
	json_t *list = json_array();
	vci_store_conn_t *c;
	int rc;

	*out = NULL;
	if (!list)
		return vci_store_read_fail(vci_err_oom(err), err, op);
	c = vci_store_reader(st, err);
	if (!c) {
		json_decref(list);
		return vci_store_read_fail(-1, err, op);
	}
	rc = fill(c, arg, list, err);
	vci_store_reader_put(st, c);
	if (rc < 0) {
		json_decref(list);
		return vci_store_read_fail(-1, err, op);
	}
	*out = list;
	return 0;
}

struct vci_store_list_all {
	const char *sql;
	vci_store_json_fn row;
};

static int vci_store_list_all_fill(vci_store_conn_t *c, void *arg, json_t *list,
				   vci_err_t *err)
{
	const struct vci_store_list_all *a = arg;
	vci_db_stmt_t *s;
	int rc = vci_store_query(c, &s, err, a->sql, "");

	return vci_store_rows_json(c, s, rc, a->row, list, err);
}

int vci_store_list(vci_store_t *st, const char *op, const char *sql, vci_store_json_fn row,
		   json_t **out, vci_err_t *err)
{
	struct vci_store_list_all a = { sql, row };

	return vci_store_list_on(st, op, vci_store_list_all_fill, &a, out, err);
}
