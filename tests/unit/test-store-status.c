/* test-store-status.c - status lists in the store (store.h, status.c):
 * create and replace, allocation unique and random (also from several
 * stores on one database at once, as hosts sharing it), a nearly full
 * list filled exactly, the rules of set, the list handed to the library,
 * the serial and the list of lists. On SQLite, and on PostgreSQL when
 * the build has its driver and VCI_TEST_PG names a database (a schema of
 * its own there, dropped at the end; scripts/check sets it). */
#include "base/common.h"
#include "oid4vci/statuslist.h"
#include "store/driver.h"
#include "store/store.h"
#include "tap.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define NOW ((int64_t)1790000000)
#define CC_THREADS 4
#define CC_ROUNDS 40
#define CC_BATCH 5

static char where[4096];

static int make_list(vci_store_t *st, const char *name, unsigned bits, uint64_t size,
		     int replace)
{
	vci_store_sl_def_t d = { name, VCI_SL_TSL, bits, size, "https://example.com/sl/1",
				 NULL, 300 };
	vci_err_t err = { 0 };
	int rc = vci_store_sl_create(st, &d, replace, NOW, &err);

	if (rc < 0)
		tap_diag("create: %s", err.msg);
	return rc;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* 1 when v (n > 2) holds no value twice and is not an arithmetic
 * sequence in the order handed out. */
static int unique_not_sequence(uint64_t *v, size_t n)
{
	int arith = 1;

	for (size_t i = 2; i < n; i++)
		if (v[i] - v[i - 1] != v[1] - v[0])
			arith = 0;
	qsort(v, n, sizeof(*v), cmp_u64);
	for (size_t i = 1; i < n; i++)
		if (v[i] == v[i - 1])
			return 0;
	return !arith;
}

static void test_create(vci_store_t *st)
{
	vci_store_sl_def_t bad = { "w", VCI_SL_BITSTRING, 1, 16, "https://e/x", "revocation", 0 };
	vci_err_t err = { 0 };
	json_t *list = NULL;

	tap_is_int(make_list(st, "pid", 2, 1000, 0), 0, "create");
	tap_is_int(make_list(st, "pid", 2, 1000, 0), VCI_STORE_EXISTS, "create: name taken");
	tap_ok(vci_store_sl_create(st, &bad, 0, NOW, &err) == -1 &&
	       err.status == VCI_EXIT_INPUT, "create: W3C list too small refused (%s)",
	       err.msg);
	tap_is_int(make_list(st, "bits3", 3, 10, 0), -1, "create: bits 3 refused");
	tap_ok(vci_store_sl_list(st, &list, &err) == 0 && json_array_size(list) == 1 &&
	       json_integer_value(json_object_get(json_array_get(list, 0), "bits")) == 2,
	       "list: one list, its bits");
	json_decref(list);
}

static void test_alloc_set(vci_store_t *st)
{
	uint64_t got[20], seen[20];
	vci_statuslist_t *sl = NULL;
	int64_t ttl = 0, serial = -1, serial2 = -1;
	vci_err_t err = { 0 };
	unsigned v = 9;

	tap_is_int(vci_store_sl_alloc(st, "pid", 20, got, &err), 0, "alloc 20");
	memcpy(seen, got, sizeof(got));
	tap_ok(unique_not_sequence(seen, 20), "alloc: distinct, not a sequence");
	tap_is_int(vci_store_sl_alloc(st, "nope", 1, got, &err), VCI_STORE_NOTFOUND,
		   "alloc: no such list");
	tap_is_int(vci_store_sl_set(st, "pid", got[0], VCI_SL_INVALID, 0, NOW, &err), 0,
		   "set: revoke an allocated index");
	tap_ok(vci_store_sl_set(st, "pid", got[0], VCI_SL_VALID, 0, NOW, &err) == -1 &&
	       strcmp(err.code, "status_final") == 0, "set: revoked is final without force");
	tap_is_int(vci_store_sl_set(st, "pid", got[1], 3, 0, NOW, &err), 0, "set: value 3");
	tap_ok(vci_store_sl_set(st, "pid", got[1], 4, 0, NOW, &err) == -1,
	       "set: value beyond 2 bits refused");
	tap_ok(vci_store_sl_set(st, "pid", 1000, 1, 1, NOW, &err) == -1,
	       "set: index out of range refused");
	for (uint64_t i = 0; i < 1000; i++) {
		int hit = 0;

		for (int j = 0; j < 20; j++)
			hit |= got[j] == i;
		if (!hit) {
			tap_ok(vci_store_sl_set(st, "pid", i, 1, 0, NOW, &err) == -1 &&
			       strcmp(err.code, "not_allocated") == 0,
			       "set: unallocated index refused");
			tap_is_int(vci_store_sl_set(st, "pid", i, 2, 1, NOW, &err), 0,
				   "set: unallocated index with force");
			break;
		}
	}
	tap_is_int(vci_store_sl_load(st, "pid", &sl, &ttl, &serial, &err), 0, "load");
	tap_ok(sl && sl->bits == 2 && sl->size == 1000 && ttl == 300 && serial == 3 &&
	       sl->allocated == 21 && strcmp(sl->uri, "https://example.com/sl/1") == 0,
	       "load: definition, ttl, serial, allocated");
	tap_ok(sl && vci_statuslist_get(sl, got[0], &v, &err) == 0 && v == VCI_SL_INVALID &&
	       vci_statuslist_get(sl, got[1], &v, &err) == 0 && v == 3 &&
	       vci_statuslist_get(sl, got[2], &v, &err) == 0 && v == VCI_SL_VALID,
	       "load: statuses");
	vci_statuslist_free(sl);
	tap_ok(vci_store_sl_serial(st, "pid", &serial2, &err) == 0 && serial2 == serial,
	       "serial");
	tap_is_int(make_list(st, "pid", 1, 50, 1), 0, "create: replace");
	sl = NULL;
	tap_ok(vci_store_sl_load(st, "pid", &sl, NULL, NULL, &err) == 0 && sl->allocated == 0 &&
	       sl->size == 50, "replace: a fresh list");
	vci_statuslist_free(sl);
}

/* A list of 16 with 3 set by force is filled by 13 and then exhausted. */
static void test_full(vci_store_t *st)
{
	uint64_t got[16];
	vci_err_t err = { 0 };
	int ok = 1, seen[16] = { 0 };

	make_list(st, "small", 1, 16, 0);
	for (uint64_t i = 4; i < 7; i++)
		ok &= vci_store_sl_set(st, "small", i, 1, 1, NOW, &err) == 0;
	tap_ok(vci_store_sl_alloc(st, "small", 14, got, &err) == -1 &&
	       strcmp(err.code, "list_exhausted") == 0, "full: 14 of 13 free refused");
	for (int i = 0; i < 13; i++)
		ok &= vci_store_sl_alloc(st, "small", 1, &got[i], &err) == 0;
	for (int i = 0; ok && i < 13; i++) {
		ok &= got[i] < 16 && !(got[i] >= 4 && got[i] < 7) && !seen[got[i]];
		seen[got[i]] = 1;
	}
	tap_ok(ok, "full: 13 free indices handed out once each, none set before");
	tap_ok(vci_store_sl_alloc(st, "small", 1, got, &err) == -1 &&
	       strcmp(err.code, "list_exhausted") == 0, "full: then exhausted");
}

struct cc_arg {
	uint64_t out[CC_ROUNDS * CC_BATCH];
	int errors;
};

/* Each thread opens a store of its own, as another host would. */
static void *cc_main(void *p)
{
	struct cc_arg *a = p;
	vci_err_t err = { 0 };
	vci_store_t *st = vci_store_open(where, &err);

	if (!st) {
		a->errors++;
		return NULL;
	}
	for (int r = 0; r < CC_ROUNDS; r++)
		if (vci_store_sl_alloc(st, "cc", CC_BATCH, &a->out[r * CC_BATCH], &err) != 0) {
			tap_diag("alloc: %s", err.msg);
			a->errors++;
		}
	vci_store_close(st);
	return NULL;
}

static void test_concurrent(vci_store_t *st)
{
	static struct cc_arg args[CC_THREADS];
	static uint64_t all[CC_THREADS * CC_ROUNDS * CC_BATCH];
	pthread_t th[CC_THREADS];
	int errors = 0;

	make_list(st, "cc", 1, 2000, 0);
	for (int t = 0; t < CC_THREADS; t++)
		pthread_create(&th[t], NULL, cc_main, &args[t]);
	for (int t = 0; t < CC_THREADS; t++) {
		pthread_join(th[t], NULL);
		errors += args[t].errors;
		memcpy(all + (size_t)t * CC_ROUNDS * CC_BATCH, args[t].out, sizeof(args[t].out));
	}
	tap_is_int(errors, 0, "concurrent: no errors");
	tap_ok(unique_not_sequence(all, sizeof(all) / sizeof(all[0])),
	       "concurrent: %d indices from %d stores all distinct", CC_THREADS * CC_ROUNDS *
	       CC_BATCH, CC_THREADS);
}

/* The whole suite on the store at `where`. */
static void run_suite(const char *name)
{
	vci_err_t err = { 0 };
	vci_store_t *st = vci_store_open(where, &err);

	tap_ok(st != NULL, "%s: open (%s)", name, st ? "ok" : err.msg);
	if (!st)
		return;
	test_create(st);
	test_alloc_set(st);
	test_full(st);
	test_concurrent(st);
	vci_store_close(st);
}

#ifdef VCI_WITH_PG
static int pg_sql(const char *base, const char *sql)
{
	vci_err_t err = { 0 };
	vci_db_t *db = vci_db_pg.open(strncmp(base, "pg:", 3) ? base : base + 3, VCI_DB_WRITER, &err);
	int rc = db ? vci_db_pg.exec(db, sql, &err) : -1;

	if (rc < 0)
		tap_diag("postgresql: %s: %s", sql, err.msg);
	if (db)
		vci_db_pg.close(db);
	return rc;
}

/* The suite again on PostgreSQL, in a schema of its own. */
static void run_pg(void)
{
	const char *base = getenv("VCI_TEST_PG");
	char schema[64], sql[200];

	if (!base || !*base) {
		tap_skip("postgresql: no database to test on (set VCI_TEST_PG; scripts/check does)");
		return;
	}
	snprintf(schema, sizeof(schema), "t_status_%ld", (long)getpid());
	snprintf(sql, sizeof(sql), "DROP SCHEMA IF EXISTS %s CASCADE; CREATE SCHEMA %s", schema,
		 schema);
	if (pg_sql(base, sql) < 0) {
		tap_ok(0, "postgresql: the database of VCI_TEST_PG answers");
		return;
	}
	if (strncmp(base, "pg:", 3) == 0)
		snprintf(where, sizeof(where), "%s options=-csearch_path=%s", base, schema);
	else
		snprintf(where, sizeof(where), "%s%coptions=-csearch_path%%3D%s", base,
			 strchr(base, '?') ? '&' : '?', schema);
	run_suite("postgresql");
	snprintf(sql, sizeof(sql), "DROP SCHEMA IF EXISTS %s CASCADE", schema);
	pg_sql(base, sql);
}
#endif

int main(void)
{
	char dir[] = "/tmp/vci-store-status.XXXXXX";

	if (!mkdtemp(dir))
		return 1;
	snprintf(where, sizeof(where), "%s/state", dir);
	run_suite("sqlite");
#ifdef VCI_WITH_PG
	run_pg();
#endif
	snprintf(where, sizeof(where), "rm -rf '%s'", dir);
	if (system(where) != 0)
		tap_diag("scratch directory left behind");
	return tap_done();
}
