/* status.c - status lists kept in the store (store.h, "Status lists in
 * the store"). Written once over the driver with SQL both engines accept:
 * an index is handed out by one INSERT ... ON CONFLICT DO NOTHING
 * RETURNING on the entries' primary key, so two hosts never get the same
 * one; the list's bytes are built here and encoded and signed by
 * oid4vci/statuslist.c. */
#include "store/internal.h"
#include "oid4vci/statuslist.h"

#include <string.h>

#include <openssl/rand.h>

#define VCI_SL_RANDOM_TRIES 64   /* random picks before searching for a gap */
#define VCI_SL_PICK_MAX 100000   /* picks of one index before giving up */

static const char vci_sql_sl_def[] =
	"SELECT method, bits, size, uri, purpose, ttl, serial FROM status_lists WHERE name = ?1";
static const char vci_sql_sl_serial[] = "SELECT serial FROM status_lists WHERE name = ?1";
static const char vci_sql_sl_add[] =
	"INSERT INTO status_lists (name, method, bits, size, uri, purpose, ttl, serial,"
	" created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 0, ?8, ?8)";
static const char vci_sql_sl_drop_entries[] = "DELETE FROM status_entries WHERE list = ?1";
static const char vci_sql_sl_drop[] = "DELETE FROM status_lists WHERE name = ?1";
static const char vci_sql_sl_take[] =
	"INSERT INTO status_entries (list, idx, status, allocated) VALUES (?1, ?2, 0, 1)"
	" ON CONFLICT DO NOTHING RETURNING idx";
static const char vci_sql_sl_count[] = "SELECT COUNT(*) FROM status_entries WHERE list = ?1";
/* The first free index after a used one, at or after ?2 (below ?3). */
static const char vci_sql_sl_gap[] =
	"SELECT e.idx + 1 FROM status_entries e WHERE e.list = ?1 AND e.idx >= ?2"
	" AND e.idx + 1 < ?3 AND NOT EXISTS (SELECT 1 FROM status_entries f"
	" WHERE f.list = ?1 AND f.idx = e.idx + 1) ORDER BY e.idx LIMIT 1";
static const char vci_sql_sl_entry[] =
	"SELECT status FROM status_entries WHERE list = ?1 AND idx = ?2";
static const char vci_sql_sl_put[] =
	"INSERT INTO status_entries (list, idx, status, allocated) VALUES (?1, ?2, ?3, 0)"
	" ON CONFLICT (list, idx) DO UPDATE SET status = excluded.status";
static const char vci_sql_sl_bump[] =
	"UPDATE status_lists SET serial = serial + 1, updated_at = ?2 WHERE name = ?1";
static const char vci_sql_sl_entries[] =
	"SELECT idx, status, allocated FROM status_entries WHERE list = ?1";
static const char vci_sql_sl_all[] =
	"SELECT l.name, l.method, l.bits, l.size, l.uri, l.purpose, l.ttl,"
	" (SELECT COUNT(*) FROM status_entries e WHERE e.list = l.name AND e.allocated = 1)"
	" FROM status_lists l ORDER BY l.name";

/* A list's definition as read from its row. */
struct vci_sl_row {
	int method;
	unsigned bits;
	uint64_t size;
	int64_t ttl, serial;
	char *uri, *purpose;
};

static void vci_sl_row_clear(struct vci_sl_row *r)
{
	free(r->uri);
	free(r->purpose);
	r->uri = r->purpose = NULL;
}

static char *vci_sl_dup(const char *s)
{
	return s ? strdup(s) : NULL;
}

/* 0, VCI_STORE_NOTFOUND or -1. */
static int vci_sl_row_read(vci_store_conn_t *c, const char *name, struct vci_sl_row *r,
			   vci_err_t *err)
{
	const vci_db_driver_t *d = c->drv;
	vci_db_stmt_t *s;
	int rc = vci_store_query(c, &s, err, vci_sql_sl_def, "t", name), lost;

	memset(r, 0, sizeof(*r));
	if (rc != VCI_DB_ROW)
		return rc == VCI_DB_DONE ? VCI_STORE_NOTFOUND : -1;
	r->method = (int)d->column_int(s, 0);
	r->bits = (unsigned)d->column_int(s, 1);
	r->size = (uint64_t)d->column_int(s, 2);
	r->uri = vci_sl_dup(d->column_text(s, 3));
	r->purpose = vci_sl_dup(d->column_text(s, 4));
	r->ttl = d->column_int(s, 5);
	r->serial = d->column_int(s, 6);
	lost = !r->uri || (!d->column_null(s, 4) && !r->purpose);
	vci_store_end(c, s);
	if (lost) {
		vci_sl_row_clear(r);
		return vci_err_oom(err);
	}
	return 0;
}

/* Create --------------------------------------------------------------- */

struct vci_sl_create {
	const vci_store_sl_def_t *d;
	int replace;
	int64_t now;
};

static int vci_sl_create_run(vci_store_conn_t *c, void *arg, vci_err_t *err)
{
	const struct vci_sl_create *a = arg;
	const vci_store_sl_def_t *d = a->d;
	int rc;

	if (a->replace) {
		if (vci_store_do(c, err, vci_sql_sl_drop_entries, "t", d->name) != VCI_DB_DONE ||
		    vci_store_do(c, err, vci_sql_sl_drop, "t", d->name) != VCI_DB_DONE)
			return -1;
	}
	rc = vci_store_do(c, err, vci_sql_sl_add, "tiiittii", d->name, (int64_t)d->method,
			  (int64_t)d->bits, (int64_t)d->size, d->uri, d->purpose, d->ttl, a->now);
	if (rc == VCI_DB_UNIQUE)
		return VCI_STORE_EXISTS;
	return rc == VCI_DB_DONE ? 0 : -1;
}

int vci_store_sl_create(vci_store_t *st, const vci_store_sl_def_t *d, int replace, int64_t now,
			vci_err_t *err)
{
	struct vci_sl_create a = { d, replace, now };
	vci_statuslist_t *check;

	if (!vci_store_id_ok(d->name))
		return vci_store_bad(err, "sl_create", "name: empty, too long or not printable");
	if (d->ttl < 0)
		return vci_store_bad(err, "sl_create", "ttl: negative");
	/* The rules of a list are the library's: build one to check them. */
	check = vci_statuslist_new((vci_sl_method_t)d->method, d->bits, d->size, d->uri,
				   d->purpose, err);
	if (!check)
		return -1;
	vci_statuslist_free(check);
	return vci_store_write(st, "sl_create", vci_sl_create_run, &a, err);
}

/* Allocate ------------------------------------------------------------- */

/* A uniform random number below n (n > 0), by rejection sampling. */
static int vci_sl_random_below(uint64_t n, uint64_t *out, vci_err_t *err)
{
	uint64_t limit = UINT64_MAX - UINT64_MAX % n, r;

	do {
		if (RAND_bytes((unsigned char *)&r, sizeof(r)) != 1)
			return vci_err_ssl(err, VCI_EXIT_IO, "rand_error", "RAND_bytes failed");
	} while (r >= limit);
	*out = r % n;
	return 0;
}

/* Try to take idx: 1 taken, 0 in use already, -1 error. */
static int vci_sl_take(vci_store_conn_t *c, const char *name, uint64_t idx, vci_err_t *err)
{
	vci_db_stmt_t *s;
	int rc = vci_store_query(c, &s, err, vci_sql_sl_take, "ti", name, (int64_t)idx);

	if (rc == VCI_DB_ROW) {
		vci_store_end(c, s);
		return 1;
	}
	return rc == VCI_DB_DONE ? 0 : -1;
}

/* The status of an entry (-2: no row), or -1 with err. */
static int vci_sl_entry(vci_store_conn_t *c, const char *name, uint64_t idx, vci_err_t *err)
{
	vci_db_stmt_t *s;
	int rc = vci_store_query(c, &s, err, vci_sql_sl_entry, "ti", name, (int64_t)idx);
	int v;

	if (rc != VCI_DB_ROW)
		return rc == VCI_DB_DONE ? -2 : -1;
	v = (int)c->drv->column_int(s, 0);
	vci_store_end(c, s);
	return v;
}

/* A free index (not yet taken): 0 when free, else the first after a used
 * one at or after `from`, else from 0; *found 0 when the list has none. */
static int vci_sl_gap(vci_store_conn_t *c, const char *name, uint64_t size, uint64_t from,
		      uint64_t *idx, int *found, vci_err_t *err)
{
	vci_db_stmt_t *s;
	int rc = vci_sl_entry(c, name, 0, err);

	*found = 0;
	if (rc == -1)
		return -1;
	if (rc == -2) {
		*idx = 0;
		*found = 1;
		return 0;
	}
	for (int pass = 0; pass < 2; pass++, from = 0) {
		rc = vci_store_query(c, &s, err, vci_sql_sl_gap, "tii", name, (int64_t)from,
				     (int64_t)size);
		if (rc == VCI_DB_ROW) {
			*idx = (uint64_t)c->drv->column_int(s, 0);
			vci_store_end(c, s);
			*found = 1;
			return 0;
		}
		if (rc != VCI_DB_DONE)
			return -1;
	}
	return 0;
}

static int vci_sl_exhausted(vci_err_t *err, const char *name)
{
	return vci_err_set(err, VCI_EXIT_INPUT, "list_exhausted",
			   "list %s: no free index left", name);
}

/* Hand out one index: random picks first; on a list so full that they
 * keep missing, free indices found by a gap search from a random point. */
static int vci_sl_pick(vci_store_conn_t *c, const char *name, uint64_t size, uint64_t *out,
		       vci_err_t *err)
{
	for (int i = 0; i < VCI_SL_PICK_MAX; i++) {
		uint64_t idx = 0;
		int rc, found = 1;

		if (vci_sl_random_below(size, &idx, err) < 0)
			return -1;
		if (i >= VCI_SL_RANDOM_TRIES &&
		    vci_sl_gap(c, name, size, idx, &idx, &found, err) < 0)
			return -1;
		if (!found)
			return vci_sl_exhausted(err, name);
		rc = vci_sl_take(c, name, idx, err);
		if (rc < 0)
			return -1;
		if (rc > 0) {
			*out = idx;
			return 0;
		}
	}
	return vci_err_set(err, VCI_EXIT_IO, "server_error", "list %s: no free index found",
			   name);
}

struct vci_sl_alloc {
	const char *name;
	size_t n;
	uint64_t *out;
};

static int vci_sl_alloc_run(vci_store_conn_t *c, void *arg, vci_err_t *err)
{
	const struct vci_sl_alloc *a = arg;
	struct vci_sl_row r;
	vci_db_stmt_t *s;
	int64_t used;
	int rc = vci_sl_row_read(c, a->name, &r, err);

	if (rc != 0)
		return rc;
	vci_sl_row_clear(&r);
	rc = vci_store_query(c, &s, err, vci_sql_sl_count, "t", a->name);
	if (rc != VCI_DB_ROW)
		return -1;
	used = c->drv->column_int(s, 0);
	vci_store_end(c, s);
	if (used < 0 || (uint64_t)used + a->n > r.size)
		return vci_sl_exhausted(err, a->name);
	for (size_t i = 0; i < a->n; i++)
		if (vci_sl_pick(c, a->name, r.size, &a->out[i], err) < 0)
			return -1;
	return 0;
}

int vci_store_sl_alloc(vci_store_t *st, const char *name, size_t n, uint64_t *out,
		       vci_err_t *err)
{
	struct vci_sl_alloc a = { name, n, out };

	if (!vci_store_id_ok(name))
		return VCI_STORE_NOTFOUND;
	if (n == 0 || n > VCI_SL_MAX_ENTRIES)
		return vci_store_bad(err, "sl_alloc", "count: 0 or too large");
	return vci_store_write(st, "sl_alloc", vci_sl_alloc_run, &a, err);
}

/* Set ------------------------------------------------------------------ */

struct vci_sl_set {
	const char *name;
	uint64_t idx;
	unsigned value;
	int force;
	int64_t now;
};

static int vci_sl_set_run(vci_store_conn_t *c, void *arg, vci_err_t *err)
{
	const struct vci_sl_set *a = arg;
	struct vci_sl_row r;
	int cur, rc = vci_sl_row_read(c, a->name, &r, err);

	if (rc != 0)
		return rc;
	vci_sl_row_clear(&r);
	if (a->idx >= r.size)
		return vci_err_set(err, VCI_EXIT_INPUT, "invalid_index", "index %llu: out of "
				   "range (list of %llu)", (unsigned long long)a->idx,
				   (unsigned long long)r.size);
	if (a->value >= (1u << r.bits))
		return vci_err_set(err, VCI_EXIT_INPUT, "invalid_status", "status %u: does not "
				   "fit in %u bits", a->value, r.bits);
	/* the list's row first: on PostgreSQL its row lock orders the sets of
	 * one list across hosts, so the entry read next is the latest one
	 * (the rules below cannot be raced); on failure the job's savepoint
	 * undoes the bump */
	if (vci_store_do(c, err, vci_sql_sl_bump, "ti", a->name, a->now) != VCI_DB_DONE)
		return -1;
	cur = vci_sl_entry(c, a->name, a->idx, err);
	if (cur == -1)
		return -1;
	if (cur == -2 && !a->force)
		return vci_err_set(err, VCI_EXIT_FAIL, "not_allocated", "index %llu: never "
				   "allocated (--force to set it anyway)",
				   (unsigned long long)a->idx);
	if (cur == VCI_SL_INVALID && a->value != VCI_SL_INVALID && !a->force)
		return vci_err_set(err, VCI_EXIT_FAIL, "status_final", "index %llu is revoked "
				   "(invalid), which is final (--force to change it)",
				   (unsigned long long)a->idx);
	if (vci_store_do(c, err, vci_sql_sl_put, "tii", a->name, (int64_t)a->idx,
			 (int64_t)a->value) != VCI_DB_DONE)
		return -1;
	return 0;
}

int vci_store_sl_set(vci_store_t *st, const char *name, uint64_t idx, unsigned value, int force,
		     int64_t now, vci_err_t *err)
{
	struct vci_sl_set a = { name, idx, value, force, now };

	if (!vci_store_id_ok(name))
		return VCI_STORE_NOTFOUND;
	if (idx > INT64_MAX || value > 0xff)
		return vci_store_bad(err, "sl_set", "index or status out of range");
	return vci_store_write(st, "sl_set", vci_sl_set_run, &a, err);
}

/* Read ----------------------------------------------------------------- */

static int vci_sl_entries_read(vci_store_conn_t *c, const char *name, vci_statuslist_t *sl,
			       vci_err_t *err)
{
	const vci_db_driver_t *d = c->drv;
	vci_db_stmt_t *s;
	int rc = vci_store_query(c, &s, err, vci_sql_sl_entries, "t", name);

	while (rc == VCI_DB_ROW) {
		int64_t idx = d->column_int(s, 0), v = d->column_int(s, 1);

		if (idx < 0 || (uint64_t)idx >= sl->size || v < 0 || v >= (1 << sl->bits)) {
			vci_store_end(c, s);
			return vci_err_set(err, VCI_EXIT_IO, "server_error", "list %s: entry "
					   "out of range", name);
		}
		vci_statuslist_put(sl->lst, sl->bits, (uint64_t)idx, (unsigned)v);
		if (d->column_int(s, 2) || v != 0) {
			sl->alloc_map[idx / 8] |= (uint8_t)(1u << (idx % 8));
			sl->allocated++;
		}
		rc = vci_store_next(c, s, err);
	}
	return rc == VCI_DB_DONE ? 0 : -1;
}

static int vci_sl_load_on(vci_store_conn_t *c, const char *name, vci_statuslist_t **out,
			  int64_t *ttl, int64_t *serial, vci_err_t *err)
{
	struct vci_sl_row r;
	vci_statuslist_t *sl;
	int rc = vci_sl_row_read(c, name, &r, err);

	if (rc != 0)
		return rc;
	sl = vci_statuslist_new((vci_sl_method_t)r.method, r.bits, r.size, r.uri, r.purpose, err);
	if (ttl)
		*ttl = r.ttl;
	if (serial)
		*serial = r.serial;
	vci_sl_row_clear(&r);
	if (!sl)
		return -1;
	if (vci_sl_entries_read(c, name, sl, err) < 0) {
		vci_statuslist_free(sl);
		return -1;
	}
	*out = sl;
	return 0;
}

int vci_store_sl_load(vci_store_t *st, const char *name, vci_statuslist_t **out, int64_t *ttl,
		      int64_t *serial, vci_err_t *err)
{
	vci_store_conn_t *c;
	int rc;

	*out = NULL;
	if (!vci_store_id_ok(name))
		return VCI_STORE_NOTFOUND;
	c = vci_store_reader(st, err);
	if (!c)
		return vci_store_read_fail(-1, err, "sl_load");
	rc = vci_sl_load_on(c, name, out, ttl, serial, err);
	vci_store_reader_put(st, c);
	return vci_store_read_fail(rc, err, "sl_load");
}

static int vci_sl_serial_row(const vci_db_driver_t *d, vci_db_stmt_t *s, void *out,
			     vci_err_t *err)
{
	(void)err;
	*(int64_t *)out = d->column_int(s, 0);
	return 0;
}

int vci_store_sl_serial(vci_store_t *st, const char *name, int64_t *serial, vci_err_t *err)
{
	if (!vci_store_id_ok(name))
		return VCI_STORE_NOTFOUND;
	return vci_store_get(st, "sl_serial", vci_sql_sl_serial, "t", name, vci_sl_serial_row,
			     serial, err);
}

static json_t *vci_sl_list_json(const vci_db_driver_t *d, vci_db_stmt_t *s)
{
	json_t *o = json_pack("{s:s, s:s, s:I, s:I, s:s, s:I, s:I}", "name",
			      d->column_text(s, 0), "method",
			      d->column_int(s, 1) ? "w3c" : "tsl", "bits",
			      (json_int_t)d->column_int(s, 2), "size",
			      (json_int_t)d->column_int(s, 3), "uri", d->column_text(s, 4),
			      "ttl", (json_int_t)d->column_int(s, 6), "allocated",
			      (json_int_t)d->column_int(s, 7));

	if (o && !d->column_null(s, 5) &&
	    json_object_set_new(o, "purpose", json_string(d->column_text(s, 5))) < 0) {
		json_decref(o);
		return NULL;
	}
	return o;
}

int vci_store_sl_list(vci_store_t *st, json_t **out, vci_err_t *err)
{
	return vci_store_list(st, "sl_list", vci_sql_sl_all, vci_sl_list_json, out, err);
}
