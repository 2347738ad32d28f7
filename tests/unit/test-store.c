/* test-store.c - the store suite: every operation of store.h and each
 * return it documents, schema creation, migration and refusal of a newer
 * schema, reopening, single winners under concurrency, a failing
 * operation rolled back alone inside a shared commit, and group commit;
 * offers sealed at rest under the offer key file, and that key file.
 *
 * The suite runs once per driver in test_drivers[] (PowerDNS's
 * gsql-common idea): a driver row says how to name a fresh, empty store
 * and how to reach its database through the driver itself. PostgreSQL
 * runs when the build has its driver, on the database VCI_TEST_PG names
 * (a URL or "pg:" connection string; scripts/check starts a throwaway
 * cluster and sets it), each store in a schema of its own (dropped at
 * the end); without VCI_TEST_PG its cases are skipped, saying so. */
#include "base/common.h"
#include "store/driver.h"
#include "store/store.h"
#include "base/b64url.h"
#include "tap.h"

#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define NOW ((int64_t)1790000000)

/* The state of one run of the suite. */
struct test_driver;
static const struct test_driver *T;
static char scratch[512];

/* A driver under test ----------------------------------------------------*/
typedef struct test_driver {
	const char *name;
	const vci_db_driver_t *drv;
	/* A `where` for vci_store_open naming a fresh, empty store called
	 * `tag` under the scratch directory `dir`; 0, or -1 when the driver
	 * cannot run here (the suite skips it). */
	int (*fresh)(const char *dir, const char *tag, char *where, size_t n);
	/* The location drv->open takes for the store named by `where`,
	 * prepared as vci_store_open would (malloc'd). */
	char *(*raw)(const char *where);
	/* On a connection of its own, make the store's writes wait until
	 * rollback (SQLite: take the write lock with BEGIN IMMEDIATE;
	 * PostgreSQL: LOCK TABLE jtis, which the held writes of the group
	 * commit tests write first). */
	int (*hold_writes)(vci_db_t *db, vci_err_t *err);
	/* Where the store named by `where` keeps its offer key file. */
	void (*key_path)(const char *where, char *path, size_t n);
	/* The files holding the database's bytes, for a scan of what is on
	 * disk (NULL: the engine's files are not ours to read). */
	const char *const *files;
	/* 1: the store's offer key file is given to vci_store_open_key
	 * (key_path); 0: the store keeps it beside the database. */
	int own_key;
	/* SQL that drops the tables jtis and offers behind the store's back. */
	const char *drop_two;
} test_driver_t;

static int sqlite_fresh(const char *dir, const char *tag, char *where, size_t n)
{
	snprintf(where, n, "%s/%s", dir, tag);
	return 0;
}

static char *sqlite_raw(const char *where)
{
	if (strncmp(where, "sqlite:", 7) == 0)
		return vci_db_sqlite.locate(where + 7, 0, NULL);
	return vci_db_sqlite.locate(where, 1, NULL);
}

static int sqlite_hold_writes(vci_db_t *db, vci_err_t *err)
{
	return vci_db_sqlite.begin(db, err);
}

static void sqlite_key_path(const char *where, char *path, size_t n)
{
	if (strncmp(where, "sqlite:", 7) == 0)
		snprintf(path, n, "%s.key", where + 7);
	else
		snprintf(path, n, "%s/offer.key", where);
}

static const char *const sqlite_files[] = { "vci.db", "vci.db-wal", NULL };

#ifdef VCI_WITH_PG
/* PostgreSQL: a schema per store, named from the scratch directory and
 * the tag, on the database of VCI_TEST_PG; search_path set through the
 * connection's options. */
static char pg_schemas[64][64];
static size_t pg_nschemas;

static const char *pg_location(const char *where)
{
	return strncmp(where, "pg:", 3) == 0 ? where + 3 : where;
}

static void pg_schema_name(const char *dir, const char *tag, char *out, size_t n)
{
	const char *base = strrchr(dir, '/') ? strrchr(dir, '/') + 1 : dir;
	size_t k = 0;

	for (const char *p = "t_"; *p && k + 1 < n; p++)
		out[k++] = *p;
	for (const char *p = base; *p && k + 1 < n; p++)
		out[k++] = isalnum((unsigned char)*p) ? (char)tolower((unsigned char)*p) : '_';
	for (const char *p = "_"; *p && k + 1 < n; p++)
		out[k++] = *p;
	for (const char *p = tag; *p && k + 1 < n; p++)
		out[k++] = isalnum((unsigned char)*p) ? (char)tolower((unsigned char)*p) : '_';
	out[k] = '\0';
}

static int pg_sql(const char *sql)
{
	vci_err_t err = { 0 };
	vci_db_t *db = vci_db_pg.open(pg_location(getenv("VCI_TEST_PG")), VCI_DB_WRITER, &err);
	int rc = db ? vci_db_pg.exec(db, sql, &err) : -1;

	if (rc < 0)
		tap_diag("postgresql: %s: %s", sql, err.msg);
	vci_db_pg.close(db);
	return rc;
}

static int pg_fresh(const char *dir, const char *tag, char *where, size_t n)
{
	const char *base = getenv("VCI_TEST_PG");
	char schema[64], sql[200];

	if (!base || !*base)
		return -1;
	pg_schema_name(dir, tag, schema, sizeof(schema));
	snprintf(sql, sizeof(sql), "DROP SCHEMA IF EXISTS %s CASCADE; CREATE SCHEMA %s", schema,
		 schema);
	if (pg_sql(sql) < 0)
		return -2;
	if (pg_nschemas < sizeof(pg_schemas) / sizeof(pg_schemas[0]))
		snprintf(pg_schemas[pg_nschemas++], sizeof(pg_schemas[0]), "%s", schema);
	if (strncmp(base, "pg:", 3) == 0)
		snprintf(where, n, "%s options=-csearch_path=%s application_name=%s", base, schema,
			 schema);
	else
		snprintf(where, n, "%s%coptions=-csearch_path%%3D%s&application_name=%s", base,
			 strchr(base, '?') ? '&' : '?', schema, schema);
	return 0;
}

static void pg_drop_schemas(void)
{
	char sql[128];

	for (size_t i = 0; i < pg_nschemas; i++) {
		snprintf(sql, sizeof(sql), "DROP SCHEMA IF EXISTS %s CASCADE", pg_schemas[i]);
		pg_sql(sql);
	}
	pg_nschemas = 0;
}

static char *pg_raw(const char *where)
{
	return vci_db_pg.locate(pg_location(where), 0, NULL);
}

static int pg_hold_writes(vci_db_t *db, vci_err_t *err)
{
	return vci_db_pg.begin(db, err) < 0 ? -1
	       : vci_db_pg.exec(db, "LOCK TABLE jtis IN SHARE ROW EXCLUSIVE MODE", err);
}

/* End every session of the store `where` names, as a server restart
 * does (its connections carry the schema as application_name). */
static int pg_drop_sessions(const char *where)
{
	char sql[300], schema[64];
	const char *s = strstr(where, "application_name=");

	if (!s)
		return -1;
	snprintf(schema, sizeof(schema), "%.*s", (int)strcspn(s + 17, " &"), s + 17);
	snprintf(sql, sizeof(sql), "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
		 " WHERE application_name = '%s'", schema);
	return pg_sql(sql);
}

static void pg_key_path(const char *where, char *path, size_t n)
{
	const char *s = strstr(where, "search_path");

	s = s ? s + strcspn(s, "=%") : "";
	s += *s == '=' ? 1 : *s == '%' ? 3 : 0;
	snprintf(path, n, "%s/%.*s.key", scratch, (int)strcspn(s, " &%'"), s);
}
#endif

static const test_driver_t test_drivers[] = {
	{ "sqlite", &vci_db_sqlite, sqlite_fresh, sqlite_raw, sqlite_hold_writes,
	  sqlite_key_path, sqlite_files, 0, "DROP TABLE jtis; DROP TABLE offers" },
#ifdef VCI_WITH_PG
	{ "postgresql", &vci_db_pg, pg_fresh, pg_raw, pg_hold_writes, pg_key_path, NULL, 1,
	  "DROP TABLE jtis; DROP TABLE offers CASCADE" },
#endif
};

/* Open the store named by `where` with the driver's offer key file. */
static vci_store_t *store_open(const char *where, vci_err_t *err)
{
	char key[700];

	if (!T->own_key)
		return vci_store_open(where, err);
	T->key_path(where, key, sizeof(key));
	return vci_store_open_key(where, key, err);
}

static vci_store_t *fresh_store(const char *tag, char *where, size_t n)
{
	vci_err_t err = { 0 };
	vci_store_t *st;

	if (T->fresh(scratch, tag, where, n) < 0)
		return NULL;
	st = store_open(where, &err);
	if (!st)
		tap_diag("%s: open %s: %s", T->name, tag, err.msg);
	return st;
}

static void hash_of(const char *secret, uint8_t h[VCI_STORE_HASH])
{
	vci_store_hash(secret, strlen(secret), h);
}

static int put_offer(vci_store_t *st, const char *id, const char *code, const char *tx,
		     unsigned max, int64_t expires_at)
{
	uint8_t ch[VCI_STORE_HASH], th[VCI_STORE_HASH];
	char offer[128], record[128];
	vci_store_offer_t o = { 0 };
	vci_err_t err = { 0 };
	int rc;

	hash_of(code, ch);
	if (tx)
		hash_of(tx, th);
	snprintf(offer, sizeof(offer), "{\"offer\":\"%s\"}", id);
	snprintf(record, sizeof(record), "{\"record\":\"%s\"}", id);
	o.offer_id = id;
	o.code_hash = ch;
	o.tx_code_hash = tx ? th : NULL;
	o.tx_attempts_max = max;
	o.created_at = NOW;
	o.expires_at = expires_at;
	o.offer = offer;
	o.record = record;
	rc = vci_store_offer_put(st, &o, &err);
	if (rc < 0)
		tap_diag("offer_put %s: %s", id, err.msg);
	return rc;
}

static int redeem(vci_store_t *st, const char *code, const char *tx, int64_t now, char *xid)
{
	uint8_t ch[VCI_STORE_HASH], th[VCI_STORE_HASH];
	char dummy[VCI_STORE_ID];
	vci_err_t err = { 0 };
	int rc;

	hash_of(code, ch);
	if (tx)
		hash_of(tx, th);
	rc = vci_store_code_redeem(st, ch, tx ? th : NULL, now, xid ? xid : dummy, &err);
	if (rc < 0)
		tap_diag("redeem: %s", err.msg);
	return rc;
}

/* Schema -----------------------------------------------------------------*/

static vci_db_t *raw_open(const char *where)
{
	char *loc = T->raw(where);
	vci_err_t err = { 0 };
	vci_db_t *db = loc ? T->drv->open(loc, VCI_DB_WRITER, &err) : NULL;

	if (!db)
		tap_diag("%s: raw open: %s", T->name, err.msg);
	free(loc);
	return db;
}

static long raw_version(const char *where)
{
	vci_err_t err = { 0 };
	vci_db_t *db = raw_open(where);
	long v;

	if (!db)
		return -1;
	v = vci_store_schema_version(T->drv, db, &err);
	T->drv->close(db);
	return v;
}

static long known_version(void)
{
	long n = 0;
	const char *p = T->drv->schema;

	while ((p = strstr(p, "\n-- version ")))
		n = strtol(p++ + 12, NULL, 10);
	return n;
}

/* vci_store_id_new: 22 base64url characters starting with a letter, the
 * first 6 bytes the milliseconds of the call, the rest random. */
static uint64_t id_ms_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void test_id_new(void)
{
	char a[VCI_STORE_ID], b[VCI_STORE_ID];
	uint64_t before = id_ms_now(), after, ms = 0;
	uint8_t *raw = NULL;
	size_t n = 0;
	vci_err_t err = { 0 };
	int ok = vci_store_id_new(a, &err) == 0 && vci_store_id_new(b, &err) == 0;

	after = id_ms_now();
	tap_ok(ok && strlen(a) == 22 && isalpha((unsigned char)a[0]), "id_new: 22 characters, a "
	       "letter first (%s)", a);
	tap_ok(ok && strcmp(a, b) != 0 && memcmp(a + 8, b + 8, 14) != 0, "id_new: two ids "
	       "differ in their random part");
	ok = ok && vci_b64url_decode(a, strlen(a), &raw, &n, &err) == 0 && n == 16;
	for (int i = 0; ok && i < 6; i++)
		ms = ms << 8 | raw[i];
	tap_ok(ok && ms >= before && ms <= after, "id_new: the first 6 bytes are the time in "
	       "milliseconds (%llu in [%llu, %llu])", (unsigned long long)ms,
	       (unsigned long long)before, (unsigned long long)after);
	free(raw);
}

static void test_schema_create(void)
{
	char where[600];
	vci_store_t *st = fresh_store("create", where, sizeof(where));

	tap_ok(st != NULL, "%s: open creates a store", T->name);
	vci_store_close(st);
	tap_ok(known_version() >= 1, "%s: the schema holds numbered versions", T->name);
	tap_is_int(raw_version(where), known_version(),
		   "%s: a new store is at the build's schema version", T->name);
	st = store_open(where, &(vci_err_t){ 0 });
	tap_ok(st != NULL, "%s: reopening a current store works", T->name);
	vci_store_close(st);
	tap_is_int(raw_version(where), known_version(), "%s: and leaves its version", T->name);
	if (T->drv == &vci_db_sqlite) {
		struct stat sd, sf;
		char path[700];

		snprintf(path, sizeof(path), "%s/vci.db", where);
		tap_ok(stat(where, &sd) == 0 && (sd.st_mode & 0777) == 0700 &&
		       stat(path, &sf) == 0 && (sf.st_mode & 0777) == 0600,
		       "sqlite: state directory 0700, database 0600");
	}
}

static void test_schema_newer(void)
{
	char where[600];
	vci_err_t err = { 0 };
	vci_store_t *st = fresh_store("newer", where, sizeof(where));
	vci_db_t *db;

	vci_store_close(st);
	db = raw_open(where);
	tap_ok(db && T->drv->exec(db, "INSERT INTO schema_version (version, applied_at)"
				      " VALUES (999, 0)", &err) == 0,
	       "%s: a newer version written", T->name);
	T->drv->close(db);
	st = store_open(where, &err);
	tap_ok(st == NULL, "%s: a store of a newer schema is refused", T->name);
	tap_is_int(err.status, VCI_EXIT_INPUT, "%s: as an input error", T->name);
	tap_is_str(err.code, "schema_too_new", "%s: code schema_too_new", T->name);
	tap_ok(strstr(err.msg, "999") != NULL, "%s: naming the version (%s)", T->name, err.msg);
	vci_store_close(st);
}

/* The migration mechanism over two versions of a schema of its own: the
 * data of version 1 kept, version 2 applied once, a build knowing only
 * version 1 refused afterwards. */
static long raw_int(vci_db_t *db, const char *sql)
{
	vci_err_t err = { 0 };
	vci_db_stmt_t *s = T->drv->prepare(db, sql, &err);
	long v = -1;

	if (s && T->drv->step(s, &err) == VCI_DB_ROW)
		v = (long)T->drv->column_int(s, 0);
	T->drv->finalize(s);
	return v;
}

static void test_schema_migrate(void)
{
	static const char v1[] = "-- preamble, not a block\n-- version 1\n"
				 "CREATE TABLE m (a INTEGER);\nINSERT INTO m (a) VALUES (7);\n";
	static const char v2[] = "-- version 1\nCREATE TABLE m (a INTEGER);\n"
				 "INSERT INTO m (a) VALUES (7);\n"
				 "-- version 2\nALTER TABLE m ADD COLUMN b INTEGER;\n"
				 "UPDATE m SET b = 2;\n";
	char where[600];
	vci_err_t err = { 0 };
	vci_db_t *db;

	T->fresh(scratch, "migrate", where, sizeof(where));
	db = raw_open(where);
	tap_is_int(vci_store_schema_version(T->drv, db, &err), 0,
		   "%s: an empty database is at version 0", T->name);
	tap_is_int(vci_store_migrate(T->drv, db, v1, &err), 0, "%s: migrate 0 -> 1", T->name);
	tap_is_int(vci_store_schema_version(T->drv, db, &err), 1, "%s: now at 1", T->name);
	tap_is_int(vci_store_migrate(T->drv, db, v1, &err), 0, "%s: migrate 1 -> 1", T->name);
	tap_is_int(raw_int(db, "SELECT count(*) FROM m"), 1, "%s: a block runs once", T->name);
	tap_is_int(vci_store_migrate(T->drv, db, v2, &err), 0, "%s: migrate 1 -> 2", T->name);
	tap_is_int(vci_store_schema_version(T->drv, db, &err), 2, "%s: now at 2", T->name);
	tap_is_int(raw_int(db, "SELECT a + b FROM m"), 9, "%s: data kept and migrated", T->name);
	tap_is_int(vci_store_migrate(T->drv, db, v1, &err), -1,
		   "%s: a build knowing version 1 refuses version 2", T->name);
	tap_is_str(err.code, "schema_too_new", "%s: schema_too_new", T->name);
	tap_is_int(vci_store_migrate(T->drv, db, "CREATE TABLE x (a INTEGER);\n", &err), -1,
		   "%s: a schema without versions is refused", T->name);
	T->drv->close(db);
}

/* Schema version 9: the offers of a version 8 database take config_id
 * from their record (credential_configuration_id, or else the first of
 * the ids; none for a record naming none or not JSON). */
static void test_schema_config_id(void)
{
	static const char rows[] =
		"INSERT INTO offers (offer_id, tx_attempts_max, created_at, expires_at, offer,"
		" record) VALUES"
		" ('c1', 0, 1, 0, '{}', '{\"credential_configuration_id\":\"one\","
		"\"credential_configuration_ids\":[\"two\"]}'),"
		" ('c2', 0, 1, 0, '{}', '{\"credential_configuration_ids\":[\"two\",\"x\"]}'),"
		" ('c3', 0, 1, 0, '{}', '{\"claims\":{\"credential_configuration_id\":\"one\"}}'),"
		" ('c4', 0, 1, 0, '{}', '{\"credential_configuration_id\":7}')";
	const char *v9 = strstr(T->drv->schema, "\n-- version 9\n");
	char where[600];
	char *v8 = v9 ? strndup(T->drv->schema, (size_t)(v9 - T->drv->schema) + 1) : NULL;
	vci_err_t err = { 0 };
	vci_db_t *db;

	T->fresh(scratch, "config-id", where, sizeof(where));
	db = raw_open(where);
	if (!tap_ok(db && v8 && vci_store_migrate(T->drv, db, v8, &err) == 0 &&
		    vci_store_schema_version(T->drv, db, &err) == 8 &&
		    T->drv->exec(db, rows, &err) == 0, "%s: a version 8 store with offers (%s)",
		    T->name, err.msg)) {
		if (db)
			T->drv->close(db);
		free(v8);
		return;
	}
	tap_is_int(vci_store_migrate(T->drv, db, T->drv->schema, &err), 0,
		   "%s: migrated to the build's version", T->name);
	tap_is_int(raw_int(db, "SELECT count(*) FROM offers WHERE offer_id = 'c1'"
			   " AND config_id = 'one'"), 1,
		   "%s: version 9: config_id from credential_configuration_id", T->name);
	tap_is_int(raw_int(db, "SELECT count(*) FROM offers WHERE offer_id = 'c2'"
			   " AND config_id = 'two'"), 1,
		   "%s: version 9: config_id from the first of the ids", T->name);
	tap_is_int(raw_int(db, "SELECT count(*) FROM offers WHERE config_id IS NULL"), 2,
		   "%s: version 9: none from a claim or from a number", T->name);
	T->drv->close(db);
	free(v8);
}

/* SQLite only: an empty file (as a crashed creation could leave) becomes
 * a store. */
static void test_schema_empty_file(void)
{
	char path[600], where[700];
	vci_err_t err = { 0 };
	vci_store_t *st;
	FILE *f;

	if (T->drv != &vci_db_sqlite)
		return;
	snprintf(path, sizeof(path), "%s/empty.db", scratch);
	f = fopen(path, "w");
	tap_ok(f != NULL && fclose(f) == 0, "sqlite: an empty file made");
	snprintf(where, sizeof(where), "sqlite:%s", path);
	st = store_open(where, &err);
	tap_ok(st != NULL, "sqlite: an empty file is migrated into a store (%s)",
	       st ? "ok" : err.msg);
	tap_ok(st && put_offer(st, "e1", "code-e1", NULL, 0, 0) == 0, "sqlite: and it works");
	vci_store_close(st);
	{
		struct stat sk;

		snprintf(path, sizeof(path), "%s/empty.db.key", scratch);
		tap_ok(stat(path, &sk) == 0 && (sk.st_mode & 0777) == 0600 && sk.st_size == 32,
		       "sqlite: sqlite:PATH keeps its offer key in PATH.key, 0600, 32 bytes");
	}
	tap_is_int(raw_version(where), known_version(), "sqlite: at the build's version");
	st = vci_store_open("", &err);
	tap_ok(st == NULL && err.status == VCI_EXIT_IO, "sqlite: an empty where refused");
	snprintf(where, sizeof(where), "%s/no/such/dir", scratch);
	st = store_open(where, &err);
	tap_ok(st == NULL && err.status == VCI_EXIT_IO && strncmp(err.msg, "state: ", 7) == 0,
	       "sqlite: a state directory that cannot be made is an I/O error (%s)", err.msg);
}

/* Offers and redeem ------------------------------------------------------*/

static void test_offers(vci_store_t *st)
{
	vci_store_offer_t o = { 0 };
	vci_err_t err = { 0 };
	char *offer = NULL;

	tap_is_int(put_offer(st, "o1", "code-o1", NULL, 0, NOW + 100), 0, "%s: offer_put", T->name);
	tap_is_int(put_offer(st, "o1", "code-o1b", NULL, 0, 0), VCI_STORE_EXISTS,
		   "%s: offer_put: id taken", T->name);
	tap_is_int(put_offer(st, "o1b", "code-o1", NULL, 0, 0), VCI_STORE_EXISTS,
		   "%s: offer_put: code hash taken", T->name);
	tap_is_int(vci_store_offer_get(st, "o1", NOW, &offer, &err), 0, "%s: offer_get", T->name);
	tap_is_str(offer, "{\"offer\":\"o1\"}", "%s: offer_get: the offer JSON", T->name);
	free(offer);
	tap_is_int(vci_store_offer_get(st, "o1", NOW + 100, &offer, &err), VCI_STORE_NOTFOUND,
		   "%s: offer_get: expired", T->name);
	tap_ok(offer == NULL, "%s: offer_get: NULL when not found", T->name);
	tap_is_int(vci_store_offer_get(st, "nope", NOW, &offer, &err), VCI_STORE_NOTFOUND,
		   "%s: offer_get: unknown", T->name);
	tap_is_int(put_offer(st, "o-never", "code-never", NULL, 0, 0), 0,
		   "%s: offer_put: never expires", T->name);
	tap_is_int(vci_store_offer_get(st, "o-never", INT64_MAX - 1, &offer, &err), 0,
		   "%s: offer_get: expires_at 0 never expires", T->name);
	free(offer);
	o.offer_id = "bad id";
	o.offer = o.record = "{}";
	tap_is_int(vci_store_offer_put(st, &o, &err), -1, "%s: offer_put: bad id", T->name);
	tap_is_int(err.status, VCI_EXIT_INPUT, "%s: offer_put: bad id is input", T->name);
	o.offer_id = "ok-id";
	o.record = NULL;
	tap_is_int(vci_store_offer_put(st, &o, &err), -1, "%s: offer_put: no record", T->name);
	o.record = "{}";
	tap_is_int(vci_store_offer_put(st, &o, &err), 0,
		   "%s: offer_put: without a code (authorization code flow)", T->name);
}

static void test_redeem(vci_store_t *st)
{
	char xid[VCI_STORE_ID] = "", xid2[VCI_STORE_ID] = "";
	vci_store_exchange_t x;
	vci_err_t err = { 0 };

	put_offer(st, "r1", "code-r1", NULL, 0, NOW + 100);
	tap_is_int(redeem(st, "code-r1", NULL, NOW, xid), 0, "%s: redeem", T->name);
	tap_ok(strlen(xid) == 22, "%s: redeem: an exchange id (%s)", T->name, xid);
	tap_is_int(redeem(st, "code-r1", NULL, NOW, NULL), VCI_STORE_NOTFOUND,
		   "%s: redeem: once only", T->name);
	tap_is_int(redeem(st, "code-unknown", NULL, NOW, NULL), VCI_STORE_NOTFOUND,
		   "%s: redeem: unknown code", T->name);
	tap_is_int(vci_store_exchange_get(st, xid, &x, &err), 0, "%s: exchange_get", T->name);
	tap_is_str(x.state, "offer_redeemed", "%s: exchange: offer_redeemed", T->name);
	tap_is_str(x.offer_id, "r1", "%s: exchange: its offer", T->name);
	tap_is_str(x.record, "{\"record\":\"r1\"}", "%s: exchange: the offer's record", T->name);
	tap_ok(x.issued == NULL && x.description == NULL && !x.notification_id[0],
	       "%s: exchange: nothing issued yet", T->name);
	tap_ok(x.created_at == NOW && x.updated_at == NOW, "%s: exchange: times", T->name);
	vci_store_exchange_clear(&x);
	tap_is_int(vci_store_exchange_get(st, "nope", &x, &err), VCI_STORE_NOTFOUND,
		   "%s: exchange_get: unknown", T->name);
	vci_store_exchange_clear(&x);

	put_offer(st, "r2", "code-r2", NULL, 0, NOW + 10);
	tap_is_int(redeem(st, "code-r2", NULL, NOW + 10, NULL), VCI_STORE_NOTFOUND,
		   "%s: redeem: expired at expires_at", T->name);
	tap_is_int(redeem(st, "code-r2", "unasked", NOW + 9, NULL), VCI_STORE_TX_UNEXPECTED,
		   "%s: redeem: a tx_code not asked for is refused", T->name);
	tap_is_int(redeem(st, "code-r2", NULL, NOW + 9, xid2), 0,
		   "%s: redeem: just before expiry; the refusal kept the code", T->name);
	tap_ok(strcmp(xid, xid2) != 0, "%s: redeem: exchange ids differ", T->name);
}

static void test_tx_code(vci_store_t *st)
{
	char xid[VCI_STORE_ID];

	put_offer(st, "t1", "code-t1", "1234", 3, 0);
	tap_is_int(redeem(st, "code-t1", NULL, NOW, NULL), VCI_STORE_TX_MISSING,
		   "%s: tx: missing is refused and not counted", T->name);
	tap_is_int(redeem(st, "code-t1", "0000", NOW, NULL), VCI_STORE_TX_WRONG,
		   "%s: tx: wrong, attempt 1 of 3", T->name);
	tap_is_int(redeem(st, "code-t1", "2222", NOW, NULL), VCI_STORE_TX_WRONG,
		   "%s: tx: wrong, attempt 2 of 3", T->name);
	tap_is_int(redeem(st, "code-t1", "1111", NOW, NULL), VCI_STORE_TX_DEAD,
		   "%s: tx: wrong at the cap: dead", T->name);
	tap_is_int(redeem(st, "code-t1", "1234", NOW, NULL), VCI_STORE_NOTFOUND,
		   "%s: tx: right after death is refused", T->name);

	put_offer(st, "t2", "code-t2", "5678", 3, 0);
	tap_is_int(redeem(st, "code-t2", "0000", NOW, NULL), VCI_STORE_TX_WRONG,
		   "%s: tx: wrong", T->name);
	tap_is_int(redeem(st, "code-t2", "5678", NOW, xid), 0,
		   "%s: tx: a wrong value does not burn the code", T->name);
	tap_is_int(redeem(st, "code-t2", "5678", NOW, NULL), VCI_STORE_NOTFOUND,
		   "%s: tx: then spent", T->name);
	tap_is_int(redeem(st, "code-t2", "0000", NOW, NULL), VCI_STORE_NOTFOUND,
		   "%s: tx: a spent code counts nothing", T->name);

	put_offer(st, "t3", "code-t3", "9", 1, 0);
	tap_is_int(redeem(st, "code-t3", "8", NOW, NULL), VCI_STORE_TX_DEAD,
		   "%s: tx: a cap of 1 dies at the first wrong value", T->name);
}

/* Single-use values ------------------------------------------------------*/

static void test_nonces(vci_store_t *st)
{
	uint8_t h[VCI_STORE_HASH];
	vci_err_t err = { 0 };

	hash_of("nonce-1", h);
	tap_is_int(vci_store_nonce_spend(st, h, NOW + 300, &err), 0, "%s: nonce_spend", T->name);
	tap_is_int(vci_store_nonce_spend(st, h, NOW + 300, &err), VCI_STORE_EXISTS,
		   "%s: nonce_spend: a replay", T->name);
	tap_is_int(vci_store_nonce_spend(st, h, NOW + 600, &err), VCI_STORE_EXISTS,
		   "%s: nonce_spend: a replay, whatever its expiry", T->name);
	hash_of("nonce-2", h);
	tap_is_int(vci_store_nonce_spend(st, h, NOW + 300, &err), 0,
		   "%s: nonce_spend: another nonce", T->name);
}

static void test_jti(vci_store_t *st)
{
	uint8_t h[VCI_STORE_HASH];
	vci_err_t err = { 0 };

	hash_of("https://issuer.example/token jti-1", h);
	tap_is_int(vci_store_jti_use(st, h, NOW + 60, &err), 0, "%s: jti_use", T->name);
	tap_is_int(vci_store_jti_use(st, h, NOW + 60, &err), VCI_STORE_EXISTS,
		   "%s: jti_use: replay", T->name);
	hash_of("https://issuer.example/credential jti-1", h);
	tap_is_int(vci_store_jti_use(st, h, NOW + 60, &err), 0,
		   "%s: jti_use: another htu", T->name);
}

/* Exchanges --------------------------------------------------------------*/

static void test_exchanges(vci_store_t *st)
{
	static const char *const uris[] = { "https://i.example/status/1",
					    "https://i.example/status/1",
					    "https://i.example/status/2" };
	static const uint64_t idx[] = { 17, 4242, 17 };
	char a[VCI_STORE_ID], b[VCI_STORE_ID];
	vci_store_exchange_t x;
	vci_err_t err = { 0 };

	put_offer(st, "x1", "code-x1", NULL, 0, 0);
	put_offer(st, "x2", "code-x2", NULL, 0, 0);
	redeem(st, "code-x1", NULL, NOW, a);
	redeem(st, "code-x2", NULL, NOW, b);
	tap_is_int(vci_store_exchange_issued(st, a, "{\"credentials\":2}", "n-a", uris, idx, 2,
					     NOW + 1, &err), 0, "%s: exchange_issued", T->name);
	tap_ok(vci_store_exchange_get(st, a, &x, &err) == 0 &&
	       strcmp(x.state, "credential_issued") == 0, "%s: exchange: credential_issued",
	       T->name);
	tap_is_str(x.issued, "{\"credentials\":2}", "%s: exchange: issued", T->name);
	tap_is_str(x.notification_id, "n-a", "%s: exchange: notification id", T->name);
	tap_is_int(x.updated_at, NOW + 1, "%s: exchange: updated", T->name);
	vci_store_exchange_clear(&x);

	tap_is_int(vci_store_exchange_issued(st, b, "{}", "n-b", uris + 1, idx + 1, 2, NOW + 2,
					     &err), VCI_STORE_EXISTS,
		   "%s: exchange_issued: a status index twice is refused", T->name);
	tap_ok(vci_store_exchange_get(st, b, &x, &err) == 0 &&
	       strcmp(x.state, "offer_redeemed") == 0 && !x.notification_id[0] && !x.issued,
	       "%s: exchange_issued: refused records nothing", T->name);
	vci_store_exchange_clear(&x);
	tap_is_int(vci_store_exchange_issued(st, b, "{}", "n-b", uris + 2, idx + 2, 1, NOW + 2,
					     &err), 0,
		   "%s: exchange_issued: the same idx in another list", T->name);
	tap_is_int(vci_store_exchange_issued(st, b, "{}", "n-a", NULL, NULL, 0, NOW + 2, &err),
		   VCI_STORE_EXISTS, "%s: exchange_issued: notification id taken", T->name);
	tap_is_int(vci_store_exchange_issued(st, "nope", "{}", "n-c", NULL, NULL, 0, NOW, &err),
		   VCI_STORE_NOTFOUND, "%s: exchange_issued: unknown exchange", T->name);
	tap_is_int(vci_store_exchange_issued(st, b, "{}", "", NULL, NULL, 0, NOW, &err), -1,
		   "%s: exchange_issued: no notification id", T->name);

	tap_is_int(vci_store_exchange_notify(st, "n-a", "credential_accepted", "stored", NOW + 5,
					     &err), 0, "%s: exchange_notify", T->name);
	tap_ok(vci_store_exchange_get(st, a, &x, &err) == 0 &&
	       strcmp(x.state, "credential_accepted") == 0 && x.description &&
	       strcmp(x.description, "stored") == 0 && x.updated_at == NOW + 5,
	       "%s: exchange_notify: state and description", T->name);
	vci_store_exchange_clear(&x);
	tap_is_int(vci_store_exchange_notify(st, "n-b", "credential_deleted", NULL, NOW, &err), 0,
		   "%s: exchange_notify: without description", T->name);
	tap_is_int(vci_store_exchange_notify(st, "n-zzz", "credential_failure", NULL, NOW, &err),
		   VCI_STORE_NOTFOUND, "%s: exchange_notify: unknown id", T->name);
	tap_is_int(vci_store_exchange_notify(st, "n-a", "", NULL, NOW, &err), -1,
		   "%s: exchange_notify: empty state refused", T->name);
}

/* API keys ---------------------------------------------------------------*/

static void test_apikeys(vci_store_t *st)
{
	uint8_t h1[VCI_STORE_HASH], h2[VCI_STORE_HASH], h3[VCI_STORE_HASH];
	char id1[VCI_STORE_ID], id2[VCI_STORE_ID];
	json_t *list = NULL;
	vci_err_t err = { 0 };

	hash_of("key-1", h1);
	hash_of("key-2", h2);
	hash_of("key-3", h3);
	tap_is_int(vci_store_apikey_add(st, "ops", h1, NOW, id1, &err), 0, "%s: apikey_add",
		   T->name);
	tap_ok(strlen(id1) == 16, "%s: apikey id (%s)", T->name, id1);
	tap_is_int(vci_store_apikey_add(st, NULL, h2, NOW, id2, &err), 0,
		   "%s: apikey_add: no name", T->name);
	tap_is_int(vci_store_apikey_add(st, "again", h1, NOW, id2 + 0, &err), VCI_STORE_EXISTS,
		   "%s: apikey_add: hash taken", T->name);
	tap_is_int(vci_store_apikey_check(st, h1, &err), 0, "%s: apikey_check", T->name);
	tap_is_int(vci_store_apikey_check(st, h3, &err), VCI_STORE_NOTFOUND,
		   "%s: apikey_check: unknown", T->name);
	tap_is_int(vci_store_apikey_revoke(st, id1, NOW + 7, &err), 0, "%s: apikey_revoke",
		   T->name);
	tap_is_int(vci_store_apikey_revoke(st, id1, NOW + 8, &err), VCI_STORE_NOTFOUND,
		   "%s: apikey_revoke: already revoked", T->name);
	tap_is_int(vci_store_apikey_revoke(st, "0000000000000000", NOW, &err),
		   VCI_STORE_NOTFOUND, "%s: apikey_revoke: unknown", T->name);
	tap_is_int(vci_store_apikey_check(st, h1, &err), VCI_STORE_NOTFOUND,
		   "%s: apikey_check: revoked", T->name);
	tap_is_int(vci_store_apikey_check(st, h2, &err), 0, "%s: apikey_check: other kept",
		   T->name);
	tap_is_int(vci_store_apikey_list(st, &list, &err), 0, "%s: apikey_list", T->name);
	tap_is_int((long long)json_array_size(list), 2, "%s: apikey_list: two keys", T->name);
	tap_is_str(json_string_value(json_object_get(json_array_get(list, 0), "id")), id1,
		   "%s: apikey_list: creation order", T->name);
	tap_is_str(json_string_value(json_object_get(json_array_get(list, 0), "name")), "ops",
		   "%s: apikey_list: name", T->name);
	tap_is_int(json_integer_value(json_object_get(json_array_get(list, 0), "revoked_at")),
		   NOW + 7, "%s: apikey_list: revoked_at", T->name);
	tap_ok(!json_object_get(json_array_get(list, 1), "revoked_at") &&
	       json_integer_value(json_object_get(json_array_get(list, 1), "created_at")) == NOW &&
	       strcmp(json_string_value(json_object_get(json_array_get(list, 1), "name")), "") == 0,
	       "%s: apikey_list: a live key has no revoked_at", T->name);
	json_decref(list);
}

/* Sweep ------------------------------------------------------------------*/

/* Schema version 8 dropped the tables of stored access tokens and c_nonces
 * handed out (both are sealed now): reading them fails, while a table that
 * stays (spent_nonces) reads. */
static int tables_dropped(const char *where)
{
	vci_db_t *db = raw_open(where);
	int ok = db && raw_int(db, "SELECT count(*) FROM tokens") == -1 &&
		 raw_int(db, "SELECT count(*) FROM nonces") == -1 &&
		 raw_int(db, "SELECT count(*) FROM spent_nonces") >= 0;

	if (db)
		T->drv->close(db);
	return ok;
}

static void test_sweep(vci_store_t *st, const char *where)
{
	uint8_t n1[VCI_STORE_HASH], n2[VCI_STORE_HASH], j1[VCI_STORE_HASH];
	vci_err_t err = { 0 };
	char *offer = NULL;
	const int64_t now = NOW + 1000000;

	hash_of("sweep-n1", n1);
	hash_of("sweep-n2", n2);
	hash_of("sweep-j1", j1);
	tap_ok(tables_dropped(where), "%s: no tokens or nonces table (schema version 8)",
	       T->name);
	vci_store_jti_use(st, j1, now - 1, &err);
	vci_store_nonce_spend(st, n1, now, &err);        /* spent, expired at now */
	vci_store_nonce_spend(st, n2, now + 1, &err);    /* spent, still live */
	put_offer(st, "s-old", "code-s-old", NULL, 0, now - 5);
	put_offer(st, "s-live", "code-s-live", NULL, 0, now + 5);
	put_offer(st, "s-spent", "code-s-spent", NULL, 0, now - 5);
	redeem(st, "code-s-spent", NULL, now - 10, NULL);
	/* Everything earlier tests left with an expiry before `now` goes too:
	 * count them as the sweep at `now` sees them. */
	long n = vci_store_sweep(st, now, &err);
	tap_ok(n >= 4, "%s: sweep deleted %ld rows", T->name, n);
	tap_is_int(vci_store_sweep(st, now, &err), 0, "%s: sweep again deletes nothing", T->name);
	tap_is_int(vci_store_jti_use(st, j1, now + 60, &err), 0,
		   "%s: sweep forgets an expired jti", T->name);
	tap_is_int(vci_store_nonce_spend(st, n1, now + 60, &err), 0,
		   "%s: sweep forgets a spent nonce past its expiry", T->name);
	tap_is_int(vci_store_nonce_spend(st, n2, now + 60, &err), VCI_STORE_EXISTS,
		   "%s: sweep keeps a spent nonce not expired", T->name);
	tap_is_int(vci_store_offer_get(st, "s-live", now, &offer, &err), 0,
		   "%s: sweep keeps a live offer", T->name);
	free(offer);
	tap_is_int(put_offer(st, "s-old", "code-s-old", NULL, 0, 0), 0,
		   "%s: sweep removed an expired offer (its id is free)", T->name);
	tap_is_int(put_offer(st, "s-spent", "code-s-x", NULL, 0, 0), VCI_STORE_EXISTS,
		   "%s: sweep keeps a redeemed offer", T->name);
}

/* Reopen: everything is still there ---------------------------------------*/

static void test_reopen(const char *where)
{
	vci_err_t err = { 0 };
	vci_store_t *st = store_open(where, &err);
	uint8_t h[VCI_STORE_HASH];
	vci_store_exchange_t x;
	json_t *list = NULL;
	char *offer = NULL, xid[VCI_STORE_ID] = "";
	const char *uri = "https://i.example/status/1";
	uint64_t idx = 4242;

	tap_ok(st != NULL, "%s: reopen", T->name);
	if (!st)
		return;
	tap_is_int(redeem(st, "code-r1", NULL, NOW, NULL), VCI_STORE_NOTFOUND,
		   "%s: reopen: a redeemed code stays spent", T->name);
	tap_is_int(redeem(st, "code-t1", "1234", NOW, NULL), VCI_STORE_NOTFOUND,
		   "%s: reopen: a dead code stays dead", T->name);
	hash_of("nonce-1", h);
	tap_is_int(vci_store_nonce_spend(st, h, NOW + 300, &err), VCI_STORE_EXISTS,
		   "%s: reopen: a spent nonce stays spent", T->name);
	hash_of("https://issuer.example/token jti-1", h);
	tap_is_int(vci_store_jti_use(st, h, NOW + 60, &err), VCI_STORE_EXISTS,
		   "%s: reopen: a used jti stays used", T->name);
	hash_of("key-2", h);
	tap_is_int(vci_store_apikey_check(st, h, &err), 0, "%s: reopen: API key kept", T->name);
	tap_ok(vci_store_apikey_list(st, &list, &err) == 0 && json_array_size(list) == 2,
	       "%s: reopen: API key list kept", T->name);
	json_decref(list);
	tap_is_int(vci_store_offer_get(st, "o-never", NOW, &offer, &err), 0,
		   "%s: reopen: offer kept", T->name);
	free(offer);
	tap_ok(vci_store_exchange_issued(st, "nope", "{}", "n-q", NULL, NULL, 0, NOW, &err) ==
	       VCI_STORE_NOTFOUND, "%s: reopen: writes work", T->name);
	put_offer(st, "re1", "code-re1", NULL, 0, 0);
	redeem(st, "code-re1", NULL, NOW, xid);
	tap_is_int(vci_store_exchange_issued(st, xid, "{}", "n-re1", &uri, &idx, 1, NOW, &err),
		   VCI_STORE_EXISTS, "%s: reopen: status indices handed out stay taken", T->name);
	tap_ok(vci_store_exchange_get(st, "nope", &x, &err) == VCI_STORE_NOTFOUND,
	       "%s: reopen: reads work", T->name);
	vci_store_close(st);
}

/* Failures: a database error is -1 with a server_error that names no
 * secret, the operation changes nothing and the store keeps working;
 * refused arguments are input errors. */
static void test_failures(void)
{
	char where[600], *offer = NULL;
	uint8_t h[VCI_STORE_HASH];
	vci_store_grant_t g = { 0 };
	vci_err_t err = { 0 };
	vci_store_t *st = fresh_store("broken", where, sizeof(where));
	vci_db_t *db = raw_open(where);
	const char *uri = NULL;
	uint64_t idx = 1;

	tap_ok(st && db && T->drv->exec(db, T->drop_two, &err) == 0,
	       "%s: two tables dropped behind the store's back", T->name);
	T->drv->close(db);
	if (!st)
		return;
	hash_of("jti-broken", h);
	tap_is_int(vci_store_jti_use(st, h, NOW, &err), -1, "%s: a failing write is -1", T->name);
	tap_ok(err.status == VCI_EXIT_IO && strcmp(err.code, "server_error") == 0,
	       "%s: as server_error (%s)", T->name, err.msg);
	tap_is_int(vci_store_offer_get(st, "x", NOW, &offer, &err), -1,
		   "%s: a failing read is -1", T->name);
	tap_is_int(vci_store_nonce_spend(st, h, NOW + 1, &err), 0,
		   "%s: the store keeps working after a failure", T->name);
	tap_is_int(vci_store_nonce_spend(st, h, NOW + 1, &err), VCI_STORE_EXISTS,
		   "%s: and keeps what it wrote", T->name);
	tap_is_int(vci_store_token_grant(st, &g, &err), -1,
		   "%s: token_grant: no code and no exchange id", T->name);
	tap_is_int(err.status, VCI_EXIT_INPUT, "%s: refused arguments are input errors", T->name);
	tap_is_int(vci_store_exchange_issued(st, "x1", "{}", "n1", &uri, &idx, 1, NOW, &err), -1,
		   "%s: exchange_issued: a status entry without a uri", T->name);
	vci_store_close(st);
}

/* Offers sealed at rest ---------------------------------------------------
 * The Credential Offer carries the pre-authorized code: the row holds it
 * sealed under the offer key file, bound to the offer id; rows written
 * before sealing (plain JSON) are still served. */

#define SEAL_CODE "SplxlOBeZQQYbYS6WxSbIA"
#define SEAL_LEGACY "{\"legacy\":\"LegacyCodeInTheClear\"}"
#define SEAL_OFFER                                                                   \
	"{\"credential_issuer\":\"https://i.example\",\"credential_configuration_ids\":" \
	"[\"pid\"],\"grants\":{\"urn:ietf:params:oauth:grant-type:pre-authorized_code\":" \
	"{\"pre-authorized_code\":\"" SEAL_CODE "\"}}}"

static int put_offer_json(vci_store_t *st, const char *id, const char *offer)
{
	uint8_t ch[VCI_STORE_HASH];
	vci_store_offer_t o = { 0 };
	vci_err_t err = { 0 };
	char code[64];
	int rc;

	snprintf(code, sizeof(code), "code-%s", id);
	hash_of(code, ch);
	o.offer_id = id;
	o.code_hash = ch;
	o.created_at = NOW;
	o.offer = offer;
	o.record = "{}";
	rc = vci_store_offer_put(st, &o, &err);
	if (rc < 0)
		tap_diag("offer_put %s: %s", id, err.msg);
	return rc;
}

/* The offer column of a row as the database holds it (malloc'd). */
static char *raw_offer(const char *where, const char *id)
{
	vci_err_t err = { 0 };
	vci_db_t *db = raw_open(where);
	vci_db_stmt_t *s = db ? T->drv->prepare(db, "SELECT offer FROM offers WHERE offer_id = ?1",
						&err) : NULL;
	char *v = NULL;

	if (s && T->drv->bind_text(s, 1, id, &err) == 0 && T->drv->step(s, &err) == VCI_DB_ROW)
		v = strdup(T->drv->column_text(s, 0));
	T->drv->finalize(s);
	if (db)
		T->drv->close(db);
	return v;
}

/* Set a row's offer column behind the store's back. */
static int raw_set_offer(const char *where, const char *id, const char *offer)
{
	vci_err_t err = { 0 };
	vci_db_t *db = raw_open(where);
	vci_db_stmt_t *s = db ? T->drv->prepare(db, "UPDATE offers SET offer = ?2"
						" WHERE offer_id = ?1", &err) : NULL;
	int rc = s && T->drv->bind_text(s, 1, id, &err) == 0 &&
		 T->drv->bind_text(s, 2, offer, &err) == 0 && T->drv->step(s, &err) == VCI_DB_DONE &&
		 T->drv->changes(db) == 1 ? 0 : -1;

	T->drv->finalize(s);
	if (db)
		T->drv->close(db);
	return rc;
}

/* 1 when `needle` is in none of the driver's database files under dir. */
static int files_lack(const char *dir, const char *needle)
{
	char path[800];
	size_t len;
	int lack = 1;

	for (size_t i = 0; T->files && T->files[i]; i++) {
		char *buf;

		snprintf(path, sizeof(path), "%s/%s", dir, T->files[i]);
		buf = tap_slurp(path, &len);
		if (buf && memmem(buf, len, needle, strlen(needle)))
			lack = 0;
		free(buf);
	}
	return lack;
}

static int get_is(vci_store_t *st, const char *id, const char *want)
{
	vci_err_t err = { 0 };
	char *offer = NULL;
	int rc = vci_store_offer_get(st, id, NOW, &offer, &err);
	int same = rc == 0 && offer && strcmp(offer, want) == 0;

	if (rc < 0)
		tap_diag("offer_get %s: %s", id, err.msg);
	free(offer);
	return same;
}

static void test_sealed_rows(vci_store_t *st, const char *where)
{
	static const char legacy[] =
		"INSERT INTO offers (offer_id, code_hash, tx_attempts_max, created_at, expires_at,"
		" offer, record) VALUES ('legacy', NULL, 0, 0, 0, '" SEAL_LEGACY "', '{}')";
	char *raw = raw_offer(where, "s1"), *offer = NULL;
	json_t *j = raw ? json_loads(raw, JSON_DECODE_ANY, NULL) : NULL;
	vci_err_t err = { 0 };
	vci_db_t *db;

	tap_ok(raw && !strstr(raw, SEAL_CODE) && !strstr(raw, "pre-authorized") && !j &&
	       raw[0] != '{', "%s: sealed: the offer column holds no code and is not JSON",
	       T->name);
	json_decref(j);
	tap_ok(get_is(st, "s1", SEAL_OFFER), "%s: sealed: offer_get returns the offer JSON",
	       T->name);
	/* one character of the sealed text changed */
	if (raw)
		raw[strlen(raw) / 2] = raw[strlen(raw) / 2] == 'A' ? 'B' : 'A';
	tap_ok(raw && raw_set_offer(where, "s1", raw) == 0, "%s: sealed: a row tampered with",
	       T->name);
	tap_is_int(vci_store_offer_get(st, "s1", NOW, &offer, &err), -1,
		   "%s: sealed: a tampered row is an error", T->name);
	tap_ok(offer == NULL && err.status == VCI_EXIT_IO && !strstr(err.msg, SEAL_CODE) &&
	       strstr(err.msg, ".key") != NULL, "%s: sealed: server_error, no code (%s)",
	       T->name, err.msg);
	free(raw);
	/* s2's sealed offer moved into s3's row: bound to its id, it does not open */
	raw = raw_offer(where, "s2");
	tap_ok(raw && raw_set_offer(where, "s3", raw) == 0 &&
	       vci_store_offer_get(st, "s3", NOW, &offer, &err) == -1 && !offer,
	       "%s: sealed: a value moved to another row does not open", T->name);
	free(raw);
	tap_ok(get_is(st, "s2", SEAL_OFFER), "%s: sealed: the store keeps working", T->name);
	db = raw_open(where);
	tap_ok(db && T->drv->exec(db, legacy, &err) == 0, "%s: sealed: a plain row written",
	       T->name);
	if (db)
		T->drv->close(db);
	tap_ok(get_is(st, "legacy", SEAL_LEGACY),
	       "%s: sealed: a row written before sealing is still served", T->name);
	put_offer_json(st, "s4", SEAL_OFFER);
	raw = raw_offer(where, "s4");
	tap_ok(raw && raw[0] != '{' && !strstr(raw, SEAL_CODE),
	       "%s: sealed: new rows are sealed still", T->name);
	free(raw);
}

/* The key file: made once, 0600, 32 bytes, kept; one of another mode or
 * size refused; without it, sealed rows do not open. */
static int key_mode(const char *where, const char *key, mode_t mode, vci_err_t *err)
{
	vci_store_t *st;

	if (chmod(key, mode) != 0)
		return -2;
	st = store_open(where, err);
	vci_store_close(st);
	return st ? 0 : -1;
}

static void test_sealed_key(const char *where)
{
	char key[700], saved[720];
	struct stat sk;
	vci_err_t err = { 0 };
	vci_store_t *st;
	FILE *f;

	T->key_path(where, key, sizeof(key));
	snprintf(saved, sizeof(saved), "%s.saved", key);
	tap_ok(stat(key, &sk) == 0 && S_ISREG(sk.st_mode) && (sk.st_mode & 0777) == 0600 &&
	       sk.st_size == 32, "%s: key: %s made 0600, 32 bytes", T->name, key);
	st = store_open(where, &err);
	tap_ok(st && get_is(st, "s2", SEAL_OFFER), "%s: key: reopened, sealed rows open",
	       T->name);
	vci_store_close(st);
	tap_is_int(key_mode(where, key, 0640, &err), -1, "%s: key: group-readable refused", T->name);
	tap_ok(err.status == VCI_EXIT_KEY && strstr(err.msg, key) &&
	       strstr(err.msg, "group or others"), "%s: key: saying so (%s)", T->name, err.msg);
	tap_is_int(key_mode(where, key, 0604, &err), -1, "%s: key: world-readable refused", T->name);
	tap_is_int(key_mode(where, key, 0600, &err), 0, "%s: key: 0600 accepted", T->name);
	tap_ok(rename(key, saved) == 0 && (f = fopen(key, "w")) && fputs("short", f) >= 0 &&
	       fclose(f) == 0 && chmod(key, 0600) == 0, "%s: key: a 5-byte key file", T->name);
	st = store_open(where, &err);
	tap_ok(!st && err.status == VCI_EXIT_KEY && strstr(err.msg, "not 32 bytes"),
	       "%s: key: the wrong size refused (%s)", T->name, err.msg);
	vci_store_close(st);
	/* the key file lost while the database holds sealed offers: refused,
	 * naming the file, and no new key made */
	unlink(key);
	st = store_open(where, &err);
	tap_ok(!st && err.status == VCI_EXIT_KEY && strstr(err.msg, key) &&
	       strstr(err.msg, "missing") && access(key, F_OK) != 0,
	       "%s: key: a lost key file with sealed offers is refused (%s)", T->name, err.msg);
	vci_store_close(st);
	/* another key file in its place: the store opens, sealed rows do not */
	tap_ok((f = fopen(key, "w")) && fputs("0123456789abcdef0123456789abcdef", f) >= 0 &&
	       fclose(f) == 0 && chmod(key, 0600) == 0, "%s: key: a foreign key file", T->name);
	st = store_open(where, &err);
	tap_ok(st != NULL, "%s: key: a store with a foreign key file opens", T->name);
	tap_ok(st && vci_store_offer_get(st, "s2", NOW, &(char *){ NULL }, &err) == -1 &&
	       strstr(err.msg, "cannot be opened with the key in") && strstr(err.msg, key),
	       "%s: key: a sealed row without its key is a clear error (%s)", T->name, err.msg);
	tap_ok(st && get_is(st, "legacy", SEAL_LEGACY),
	       "%s: key: a plain row is still served", T->name);
	vci_store_close(st);
	tap_ok(rename(saved, key) == 0 && (st = store_open(where, &err)) &&
	       get_is(st, "s2", SEAL_OFFER), "%s: key: the key file restored, rows open again",
	       T->name);
	vci_store_close(st);
}

/* Two stores opened at once on a new database make one key between them. */
static void *sealed_open_main(void *p)
{
	return store_open(p, NULL);
}

static void test_sealed_race(void)
{
	char where[600];
	pthread_t t[2];
	void *st[2] = { NULL, NULL };
	int ok = 1;

	T->fresh(scratch, "sealed-race", where, sizeof(where));
	for (int i = 0; i < 2; i++)
		ok &= pthread_create(&t[i], NULL, sealed_open_main, where) == 0;
	for (int i = 0; i < 2; i++)
		ok &= pthread_join(t[i], &st[i]) == 0;
	tap_ok(ok && st[0] && st[1] && put_offer_json(st[0], "r1", SEAL_OFFER) == 0 &&
	       get_is(st[1], "r1", SEAL_OFFER),
	       "%s: key: two opens at once share one key", T->name);
	vci_store_close(st[0]);
	vci_store_close(st[1]);
}

static void test_sealed(void)
{
	char where[600];
	vci_store_t *st = fresh_store("sealed", where, sizeof(where));

	tap_ok(st && put_offer_json(st, "s1", SEAL_OFFER) == 0 &&
	       put_offer_json(st, "s2", SEAL_OFFER) == 0 && put_offer_json(st, "s3", "{}") == 0,
	       "%s: sealed: offers with a code put", T->name);
	if (!st)
		return;
	test_sealed_rows(st, where);
	vci_store_close(st);
	if (T->files)
		tap_ok(files_lack(where, SEAL_CODE) && files_lack(where, "pre-authorized_code") &&
		       !files_lack(where, "LegacyCodeInTheClear"),
		       "%s: sealed: the database files hold no code but the plain row's",
		       T->name);
	test_sealed_key(where);
	test_sealed_race();
}

/* Concurrency: one winner for each value, a failing operation rolled back
 * alone, and group commit ------------------------------------------------*/

#define CC_THREADS 8
#define CC_VALUES 200
#define CC_STATUS 50
#define CC_TX_TRIES 3
#define CC_TX_MAX 5

typedef struct cc_state {
	vci_store_t *st;
	atomic_int redeemed[CC_VALUES], nonces[CC_VALUES], jtis[CC_VALUES];
	atomic_int status[CC_STATUS];
	atomic_int tx[8];                    /* by return value */
	atomic_int errors;
	char xid[CC_THREADS][VCI_STORE_ID];  /* one exchange per thread */
} cc_state_t;

typedef struct cc_arg {
	cc_state_t *cc;
	int t;
} cc_arg_t;


static void cc_count_two(atomic_int *errors, atomic_int *win, int rc)
{
	if (rc == 0)
		atomic_fetch_add(win, 1);
	else if (rc < 0)
		atomic_fetch_add(errors, 1);
}

static void cc_count(cc_state_t *cc, atomic_int *win, int rc)
{
	cc_count_two(&cc->errors, win, rc);
}

static void cc_values(cc_state_t *cc, int i)
{
	uint8_t h[VCI_STORE_HASH];
	char s[64];
	vci_err_t err = { 0 };

	snprintf(s, sizeof(s), "code-c-%d", i);
	cc_count(cc, &cc->redeemed[i], redeem(cc->st, s, NULL, NOW, NULL));
	snprintf(s, sizeof(s), "cn-%d", i);
	hash_of(s, h);
	cc_count(cc, &cc->nonces[i], vci_store_nonce_spend(cc->st, h, NOW + 60, &err));
	snprintf(s, sizeof(s), "cj-%d", i);
	hash_of(s, h);
	cc_count(cc, &cc->jtis[i], vci_store_jti_use(cc->st, h, NOW + 60, &err));
}

/* Each thread records every status index of one list for its exchange
 * and, between them, spends nonces of its own: exactly one thread wins
 * each index and every nonce survives the refusals sharing its commit. */
static void cc_status(cc_state_t *cc, int t, int i)
{
	static const char *const uri[] = { "https://i.example/status/race" };
	uint8_t h[VCI_STORE_HASH];
	uint64_t idx = (uint64_t)i;
	char nid[64];
	vci_err_t err = { 0 };

	snprintf(nid, sizeof(nid), "n-%d-%d", t, i);
	cc_count(cc, &cc->status[i], vci_store_exchange_issued(cc->st, cc->xid[t], "{}", nid, uri,
							       &idx, 1, NOW, &err));
	snprintf(nid, sizeof(nid), "cs-%d-%d", t, i);
	hash_of(nid, h);
	if (vci_store_nonce_spend(cc->st, h, NOW + 60, &err) != 0)
		atomic_fetch_add(&cc->errors, 1);
}

static void *cc_main(void *p)
{
	cc_arg_t *a = p;
	cc_state_t *cc = a->cc;

	for (int n = 0; n < CC_VALUES; n++)
		cc_values(cc, (n + a->t * 37) % CC_VALUES);
	for (int n = 0; n < CC_TX_TRIES; n++) {
		int rc = redeem(cc->st, "code-c-tx", "wrong", NOW, NULL);

		if (rc >= 0 && rc < 8)
			atomic_fetch_add(&cc->tx[rc], 1);
	}
	for (int n = 0; n < CC_STATUS; n++)
		cc_status(cc, a->t, (n + a->t * 7) % CC_STATUS);
	return NULL;
}

static int cc_setup(cc_state_t *cc)
{
	char id[64], code[64];
	int bad = 0;

	for (int i = 0; i < CC_VALUES; i++) {
		snprintf(id, sizeof(id), "c-%d", i);
		snprintf(code, sizeof(code), "code-c-%d", i);
		bad |= put_offer(cc->st, id, code, NULL, 0, 0);
	}
	bad |= put_offer(cc->st, "c-tx", "code-c-tx", "right", CC_TX_MAX, 0);
	for (int t = 0; t < CC_THREADS; t++) {
		snprintf(id, sizeof(id), "cx-%d", t);
		snprintf(code, sizeof(code), "code-cx-%d", t);
		bad |= put_offer(cc->st, id, code, NULL, 0, 0);
		bad |= redeem(cc->st, code, NULL, NOW, cc->xid[t]);
	}
	return bad;
}

static int all_one(atomic_int *v, int n)
{
	for (int i = 0; i < n; i++)
		if (atomic_load(&v[i]) != 1) {
			tap_diag("value %d: %d winners", i, atomic_load(&v[i]));
			return 0;
		}
	return 1;
}

static double seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cc_nonces_left(vci_store_t *st)
{
	uint8_t h[VCI_STORE_HASH];
	char s[64];
	int ok = 1;

	for (int t = 0; t < CC_THREADS; t++)
		for (int i = 0; i < CC_STATUS; i++) {
			snprintf(s, sizeof(s), "cs-%d-%d", t, i);
			hash_of(s, h);
			ok &= vci_store_nonce_spend(st, h, NOW + 60, NULL) == VCI_STORE_EXISTS;
		}
	return ok;
}

static void test_concurrency(vci_store_t *st)
{
	static cc_state_t cc;
	cc_arg_t args[CC_THREADS];
	pthread_t th[CC_THREADS];
	vci_store_stats_t s0, s1;
	double t0, dt;
	long writes, commits;

	memset(&cc, 0, sizeof(cc));
	cc.st = st;
	tap_is_int(cc_setup(&cc), 0, "%s: concurrency: setup", T->name);
	vci_store_stats(st, &s0);
	t0 = seconds();
	for (int t = 0; t < CC_THREADS; t++) {
		args[t] = (cc_arg_t){ &cc, t };
		pthread_create(&th[t], NULL, cc_main, &args[t]);
	}
	for (int t = 0; t < CC_THREADS; t++)
		pthread_join(th[t], NULL);
	dt = seconds() - t0;
	vci_store_stats(st, &s1);
	tap_is_int(atomic_load(&cc.errors), 0, "%s: concurrency: no errors", T->name);
	tap_ok(all_one(cc.redeemed, CC_VALUES), "%s: %d threads: each code redeemed once",
	       T->name, CC_THREADS);
	tap_ok(all_one(cc.nonces, CC_VALUES), "%s: %d threads: each nonce spent once", T->name,
	       CC_THREADS);
	tap_ok(all_one(cc.jtis, CC_VALUES), "%s: %d threads: each jti used once", T->name,
	       CC_THREADS);
	tap_ok(all_one(cc.status, CC_STATUS), "%s: %d threads: each status index recorded once",
	       T->name, CC_THREADS);
	tap_ok(cc_nonces_left(st), "%s: refused operations did not undo others in their commit",
	       T->name);
	tap_is_int(atomic_load(&cc.tx[VCI_STORE_TX_WRONG]), CC_TX_MAX - 1,
		   "%s: concurrent wrong tx_codes: %d counted wrong", T->name, CC_TX_MAX - 1);
	tap_is_int(atomic_load(&cc.tx[VCI_STORE_TX_DEAD]), 1,
		   "%s: concurrent wrong tx_codes: one kills the code", T->name);
	tap_is_int(atomic_load(&cc.tx[VCI_STORE_NOTFOUND]),
		   CC_THREADS * CC_TX_TRIES - CC_TX_MAX, "%s: the rest find it dead", T->name);
	writes = (long)(s1.writes - s0.writes);
	commits = (long)(s1.commits - s0.commits);
	tap_is_int(writes, CC_THREADS * (3 * CC_VALUES + CC_TX_TRIES + 2 * CC_STATUS),
		   "%s: every write counted", T->name);
	tap_ok(commits > 0 && commits < writes,
	       "%s: group commit: %ld writes in %ld commits", T->name, writes, commits);
	tap_diag("%s: %d threads: %.0f writes/s, %.0f commits/s, %.1f writes per commit", T->name,
		 CC_THREADS, writes / dt, commits / dt, commits ? (double)writes / commits : 0);
}

/* Two handles on one database, as two processes sharing a state
 * directory (or, with PostgreSQL, two hosts): each code and jti has one
 * winner across both. */
#define TWO_VALUES 100

typedef struct two_arg {
	vci_store_t *st;
	atomic_int *redeemed, *jtis, *errors;
} two_arg_t;

static void *two_main(void *p)
{
	two_arg_t *a = p;
	uint8_t h[VCI_STORE_HASH];
	char s[64];
	int rc;

	for (int i = 0; i < TWO_VALUES; i++) {
		snprintf(s, sizeof(s), "code-two-%d", i);
		rc = redeem(a->st, s, NULL, NOW, NULL);
		cc_count_two(a->errors, &a->redeemed[i], rc);
		snprintf(s, sizeof(s), "jti-two-%d", i);
		hash_of(s, h);
		rc = vci_store_jti_use(a->st, h, NOW + 60, NULL);
		cc_count_two(a->errors, &a->jtis[i], rc);
	}
	return NULL;
}

static void test_two_handles(vci_store_t *st, const char *where)
{
	static atomic_int redeemed[TWO_VALUES], jtis[TWO_VALUES], errors;
	vci_err_t err = { 0 };
	vci_store_t *st2 = store_open(where, &err);
	two_arg_t args[4];
	pthread_t th[4];
	char id[32], code[32];

	tap_ok(st2 != NULL, "%s: a second handle on the same store", T->name);
	if (!st2)
		return;
	for (int i = 0; i < TWO_VALUES; i++) { /* counted afresh for each driver */
		atomic_store(&redeemed[i], 0);
		atomic_store(&jtis[i], 0);
	}
	atomic_store(&errors, 0);
	for (int i = 0; i < TWO_VALUES; i++) {
		snprintf(id, sizeof(id), "two-%d", i);
		snprintf(code, sizeof(code), "code-two-%d", i);
		put_offer(i % 2 ? st : st2, id, code, NULL, 0, 0);
	}
	for (int t = 0; t < 4; t++) {
		args[t] = (two_arg_t){ t % 2 ? st : st2, redeemed, jtis, &errors };
		pthread_create(&th[t], NULL, two_main, &args[t]);
	}
	for (int t = 0; t < 4; t++)
		pthread_join(th[t], NULL);
	tap_is_int(atomic_load(&errors), 0, "%s: two handles: no errors", T->name);
	tap_ok(all_one(redeemed, TWO_VALUES), "%s: two handles: each code redeemed once",
	       T->name);
	tap_ok(all_one(jtis, TWO_VALUES), "%s: two handles: each jti used once", T->name);
	vci_store_close(st2);
}

/* Group commit, without timing: while another connection holds the
 * writes, GC_THREADS writers queue up (stats.queued says when they all
 * have: the first few are inside the blocked transaction, the rest in the
 * queue); released, they complete in two commits. */
#define GC_THREADS 16

static void *gc_main(void *p)
{
	cc_arg_t *a = p;
	uint8_t h[VCI_STORE_HASH];
	char s[32];

	snprintf(s, sizeof(s), "gc-%d", a->t);
	hash_of(s, h);
	vci_err_t err = { 0 };

	if (vci_store_jti_use(a->cc->st, h, NOW + 60, &err) != 0) {
		atomic_fetch_add(&a->cc->errors, 1);
		tap_diag("%s: gc: %s", T->name, err.msg);
	}
	return NULL;
}

static int gc_wait_queued(vci_store_t *st, uint64_t n)
{
	vci_store_stats_t s;

	for (int i = 0; i < 6000; i++) { /* up to 60 s on a loaded machine */
		vci_store_stats(st, &s);
		if (s.queued >= n)
			return 1;
		usleep(10000);
	}
	return 0;
}

static void test_group_commit(vci_store_t *st, const char *where)
{
	static cc_state_t cc;
	cc_arg_t args[GC_THREADS];
	pthread_t th[GC_THREADS];
	vci_store_stats_t s0, s1;
	vci_err_t err = { 0 };
	vci_db_t *db = raw_open(where);
	int held, queued;

	memset(&cc, 0, sizeof(cc));
	cc.st = st;
	vci_store_stats(st, &s0);
	held = db && T->hold_writes(db, &err) == 0;
	tap_ok(held, "%s: writes held by another connection", T->name);
	for (int t = 0; t < GC_THREADS; t++) {
		args[t] = (cc_arg_t){ &cc, t };
		pthread_create(&th[t], NULL, gc_main, &args[t]);
	}
	queued = gc_wait_queued(st, GC_THREADS);
	if (db)
		T->drv->rollback(db, NULL);
	for (int t = 0; t < GC_THREADS; t++)
		pthread_join(th[t], NULL);
	T->drv->close(db);
	vci_store_stats(st, &s1);
	tap_ok(queued, "%s: %d writers wait behind the held writes", T->name, GC_THREADS);
	tap_is_int(atomic_load(&cc.errors), 0, "%s: group commit: all written", T->name);
	tap_is_int((long long)(s1.writes - s0.writes), GC_THREADS,
		   "%s: group commit: %d writes", T->name, GC_THREADS);
	/* The held transaction has the writes queued when the writer woke
	 * (all of them, if it woke last), the next commit the rest. */
	tap_ok(s1.commits - s0.commits >= 1 && s1.commits - s0.commits <= 2,
	       "%s: group commit: %llu commit(s) for them (at most 2)", T->name,
	       (unsigned long long)(s1.commits - s0.commits));
}

/* One write per request: the token and credential endpoints' operations */

static void test_grant(vci_store_t *st, const char *where)
{
	uint8_t jti[VCI_STORE_HASH], code[VCI_STORE_HASH], tx[VCI_STORE_HASH];
	vci_store_grant_t g = { 0 };
	vci_err_t err = { 0 };
	char xid[VCI_STORE_ID];

	put_offer(st, "g1", "code-g1", "4321", 3, 0);
	hash_of("https://i.example/token grant-jti-1", jti);
	hash_of("code-g1", code);
	hash_of("0000", tx);
	g = (vci_store_grant_t){ .jti_hash = jti, .jti_expires_at = NOW + 60, .code_hash = code,
				 .tx_hash = tx, .now = NOW };
	tap_is_int(vci_store_token_grant(st, &g, &err), VCI_STORE_TX_WRONG,
		   "%s: token_grant: a wrong tx_code counted", T->name);
	tap_ok(g.record == NULL, "%s: token_grant: no record then", T->name);
	tap_is_int(vci_store_jti_use(st, jti, NOW + 60, &err), VCI_STORE_EXISTS,
		   "%s: token_grant: its jti stays recorded", T->name);
	tap_is_int(vci_store_token_grant(st, &g, &err), VCI_STORE_REPLAY,
		   "%s: token_grant: a replayed jti", T->name);
	hash_of("https://i.example/token grant-jti-2", jti);
	hash_of("4321", tx);
	tap_is_int(vci_store_token_grant(st, &g, &err), 0, "%s: token_grant", T->name);
	tap_is_str(g.record, "{\"record\":\"g1\"}", "%s: token_grant: the exchange's record",
		   T->name);
	tap_ok(strlen(g.exchange_id) == 22, "%s: token_grant: the new exchange id", T->name);
	free(g.record);
	g.record = NULL;
	snprintf(xid, sizeof(xid), "%s", g.exchange_id);
	hash_of("https://i.example/token grant-jti-3", jti);
	tap_is_int(vci_store_token_grant(st, &g, &err), VCI_STORE_NOTFOUND,
		   "%s: token_grant: the code once only", T->name);
	/* the authorization code and refresh grants: the exchange given, no code */
	g.code_hash = g.tx_hash = NULL;
	g.jti_hash = NULL;
	snprintf(g.exchange_id, sizeof(g.exchange_id), "%s", xid);
	tap_is_int(vci_store_token_grant(st, &g, &err), 0,
		   "%s: token_grant: for an exchange, no jti", T->name);
	tap_is_str(g.record, "{\"record\":\"g1\"}", "%s: token_grant: its record", T->name);
	free(g.record);
	g.record = NULL;
	snprintf(g.exchange_id, sizeof(g.exchange_id), "no-such-exchange");
	tap_is_int(vci_store_token_grant(st, &g, &err), VCI_STORE_NOTFOUND,
		   "%s: token_grant: an unknown exchange", T->name);
	g.exchange_id[0] = '\0';
	tap_is_int(vci_store_token_grant(st, &g, &err), -1,
		   "%s: token_grant: neither code nor exchange is refused", T->name);
	/* the access token is sealed by the caller: there is no table for it */
	tap_ok(tables_dropped(where), "%s: token_grant: no tokens table", T->name);
}

static void test_issue(vci_store_t *st)
{
	static const char *const uris[] = { "https://i.example/status/9" };
	uint64_t idx[] = { 901 };
	uint8_t jti[VCI_STORE_HASH], nonce[VCI_STORE_HASH];
	vci_store_issue_t a = { 0 };
	vci_store_exchange_t x;
	vci_err_t err = { 0 };
	char xid[VCI_STORE_ID];

	put_offer(st, "i1", "code-i1", NULL, 0, 0);
	redeem(st, "code-i1", NULL, NOW, xid);
	hash_of("https://i.example/credential issue-jti-1", jti);
	hash_of("issue-nonce-1", nonce);
	a = (vci_store_issue_t){ .jti_hash = jti, .jti_expires_at = NOW + 60,
				 .nonce_hash = nonce, .nonce_expires_at = NOW + 60,
				 .exchange_id = xid,
				 .issued = "{\"credentials\":1}", .notification_id = "n-i1",
				 .status_uris = uris, .status_idx = idx, .nstatus = 1,
				 .now = NOW };
	tap_is_int(vci_store_nonce_spend(st, nonce, NOW + 60, &err), 0,
		   "%s: nonce_spend", T->name);
	tap_is_int(vci_store_credential_issued(st, &a, &err), VCI_STORE_NONCE,
		   "%s: credential_issued: a c_nonce spent before", T->name);
	tap_is_int(vci_store_credential_issued(st, &a, &err), VCI_STORE_REPLAY,
		   "%s: credential_issued: its jti stayed recorded", T->name);
	tap_ok(vci_store_exchange_get(st, xid, &x, &err) == 0 &&
	       !strcmp(x.state, "offer_redeemed"), "%s: credential_issued: nothing issued",
	       T->name);
	vci_store_exchange_clear(&x);
	hash_of("https://i.example/credential issue-jti-2", jti);
	hash_of("issue-nonce-1b", nonce);
	tap_is_int(vci_store_credential_issued(st, &a, &err), 0, "%s: credential_issued",
		   T->name);
	tap_ok(vci_store_exchange_get(st, xid, &x, &err) == 0 &&
	       !strcmp(x.state, "credential_issued") && !strcmp(x.notification_id, "n-i1"),
	       "%s: credential_issued: the exchange", T->name);
	vci_store_exchange_clear(&x);
	tap_is_int(vci_store_nonce_spend(st, nonce, NOW + 60, &err), VCI_STORE_EXISTS,
		   "%s: credential_issued: the c_nonce recorded spent", T->name);
	hash_of("https://i.example/credential issue-jti-2b", jti);
	tap_is_int(vci_store_credential_issued(st, &a, &err), VCI_STORE_NONCE,
		   "%s: credential_issued: the same c_nonce again is a replay", T->name);
	/* the same status index again: all of it rolled back */
	hash_of("https://i.example/credential issue-jti-3", jti);
	hash_of("issue-nonce-2", nonce);
	tap_is_int(vci_store_credential_issued(st, &a, &err), VCI_STORE_EXISTS,
		   "%s: credential_issued: a status index recorded before", T->name);
	tap_is_int(vci_store_nonce_spend(st, nonce, NOW + 60, &err), 0,
		   "%s: credential_issued: refused, it spent no c_nonce", T->name);
	tap_is_int(vci_store_jti_use(st, jti, NOW + 60, &err), 0,
		   "%s: credential_issued: and recorded no jti", T->name);
	a.notification_id = NULL;
	tap_is_int(vci_store_credential_issued(st, &a, &err), -1,
		   "%s: credential_issued: no notification id is refused", T->name);
}

/* Writes started without waiting (the _start forms, as the server's
 * worker threads make them): queued from one thread while another
 * connection holds the writes, they share commits. Counts, never time. */
#define ASYNC_WRITES 24

typedef struct async_state {
	atomic_int done, failed;
} async_state_t;

static void async_done(void *arg, int ret, const vci_err_t *err)
{
	async_state_t *a = arg;

	if (ret != 0) {
		atomic_fetch_add(&a->failed, 1);
		tap_diag("%s: async write: %d %s", T->name, ret, err ? err->msg : "");
	}
	atomic_fetch_add(&a->done, 1);
}

/* Credential writes for one exchange, each with its own jti and c_nonce. */
static void async_issues(vci_store_t *st, vci_store_issue_t *a, uint8_t (*h)[VCI_STORE_HASH],
			 char (*nid)[32], char *xid)
{
	char s[32];

	put_offer(st, "async", "code-async", NULL, 0, 0);
	redeem(st, "code-async", NULL, NOW, xid);
	for (int i = 0; i < ASYNC_WRITES; i++) {
		snprintf(s, sizeof(s), "async-jti-%d", i);
		hash_of(s, h[2 * i]);
		snprintf(s, sizeof(s), "async-nonce-%d", i);
		hash_of(s, h[2 * i + 1]);
		snprintf(nid[i], sizeof(nid[i]), "n-async-%d", i);
		a[i] = (vci_store_issue_t){ .jti_hash = h[2 * i], .jti_expires_at = NOW + 60,
					    .nonce_hash = h[2 * i + 1],
					    .nonce_expires_at = NOW + 60, .exchange_id = xid,
					    .issued = "{}", .notification_id = nid[i], .now = NOW };
	}
}

static void test_async_group(vci_store_t *st, const char *where)
{
	static async_state_t a;
	static vci_store_issue_t issue[ASYNC_WRITES];
	static uint8_t h[2 * ASYNC_WRITES][VCI_STORE_HASH];
	static char nid[ASYNC_WRITES][32], xid[VCI_STORE_ID];
	vci_store_stats_t s0, s1;
	vci_err_t err = { 0 };
	vci_db_t *db = raw_open(where);
	int held, queued, started = 1;

	atomic_store(&a.done, 0);
	atomic_store(&a.failed, 0);
	async_issues(st, issue, h, nid, xid);
	vci_store_stats(st, &s0);
	held = db && T->hold_writes(db, &err) == 0;
	tap_ok(held, "%s: async: writes held by another connection", T->name);
	for (int i = 0; i < ASYNC_WRITES; i++)
		started &= vci_store_credential_issued_start(st, &issue[i], async_done, &a,
							     &err) == 0;
	tap_ok(started, "%s: async: %d writes started from one thread", T->name, ASYNC_WRITES);
	queued = gc_wait_queued(st, ASYNC_WRITES);
	if (db)
		T->drv->rollback(db, NULL);
	for (int i = 0; i < 6000 && atomic_load(&a.done) < ASYNC_WRITES; i++)
		usleep(10000); /* up to 60 s on a loaded machine */
	T->drv->close(db);
	vci_store_stats(st, &s1);
	tap_ok(queued, "%s: async: all %d queued behind the held writes", T->name, ASYNC_WRITES);
	tap_is_int(atomic_load(&a.done), ASYNC_WRITES, "%s: async: each done called once",
		   T->name);
	tap_is_int(atomic_load(&a.failed), 0, "%s: async: all written", T->name);
	tap_is_int((long long)(s1.writes - s0.writes), ASYNC_WRITES, "%s: async: %d writes",
		   T->name, ASYNC_WRITES);
	tap_ok(s1.commits - s0.commits >= 1 && s1.commits - s0.commits <= 2,
	       "%s: async: %llu commit(s) for them (at most 2)", T->name,
	       (unsigned long long)(s1.commits - s0.commits));
	tap_is_int(vci_store_nonce_spend(st, h[2 * ASYNC_WRITES - 1], NOW + 60, &err),
		   VCI_STORE_EXISTS, "%s: async: durable and readable once done", T->name);
}

/* Alone, each write is its own commit: the price group commit spreads. */
static void test_sequential(vci_store_t *st)
{
	vci_store_stats_t s0, s1;
	uint8_t h[VCI_STORE_HASH];
	char s[32];
	double t0, dt;
	int ok = 1;

	vci_store_stats(st, &s0);
	t0 = seconds();
	for (int i = 0; i < 100; i++) {
		snprintf(s, sizeof(s), "seq-%d", i);
		hash_of(s, h);
		ok &= vci_store_jti_use(st, h, NOW, NULL) == 0;
	}
	dt = seconds() - t0;
	vci_store_stats(st, &s1);
	tap_ok(ok, "%s: 100 sequential writes", T->name);
	tap_is_int((long long)(s1.commits - s0.commits), 100,
		   "%s: one caller: one commit per write", T->name);
	tap_diag("%s: 1 thread: %.0f writes/s (one commit each)", T->name, 100 / dt);
}

/* Management API: definitions, exchange pages, delete --------------------*/

static void test_defns(vci_store_t *st)
{
	vci_err_t err = { 0 };
	json_t *list = NULL;
	char *text = NULL;

	tap_is_int(vci_store_defn_put(st, "pid", "{\"id\":\"pid\"}", 0, NOW, &err), 0,
		   "%s: defn_put: add", T->name);
	tap_is_int(vci_store_defn_put(st, "pid", "{\"id\":\"pid\"}", 0, NOW, &err),
		   VCI_STORE_EXISTS, "%s: defn_put: add an id taken", T->name);
	tap_is_int(vci_store_defn_put(st, "mdl", "{\"id\":\"mdl\"}", 1, NOW, &err),
		   VCI_STORE_NOTFOUND, "%s: defn_put: replace what is not there", T->name);
	tap_is_int(vci_store_defn_put(st, "pid", "{\"id\":\"pid\",\"v\":2}", 1, NOW + 3, &err), 0,
		   "%s: defn_put: replace", T->name);
	tap_is_int(vci_store_defn_get(st, "pid", &text, &err), 0, "%s: defn_get", T->name);
	tap_is_str(text, "{\"id\":\"pid\",\"v\":2}", "%s: defn_get: the replaced text", T->name);
	free(text);
	tap_is_int(vci_store_defn_get(st, "mdl", &text, &err), VCI_STORE_NOTFOUND,
		   "%s: defn_get: unknown", T->name);
	tap_is_int(vci_store_defn_put(st, "bad id", "{}", 0, NOW, &err), -1,
		   "%s: defn_put: bad id refused", T->name);
	tap_is_int(err.status, VCI_EXIT_INPUT, "%s: defn_put: bad id is input", T->name);
	vci_store_defn_put(st, "age", "{\"id\":\"age\"}", 0, NOW + 1, &err);
	tap_is_int(vci_store_defn_list(st, &list, &err), 0, "%s: defn_list", T->name);
	tap_ok(json_array_size(list) == 2 &&
	       !strcmp(json_string_value(json_object_get(json_array_get(list, 0), "id")), "age") &&
	       json_integer_value(json_object_get(json_array_get(list, 1), "updated_at")) == NOW + 3 &&
	       json_integer_value(json_object_get(json_object_get(json_array_get(list, 1),
								  "definition"), "v")) == 2,
	       "%s: defn_list: by id, with the definition and times", T->name);
	json_decref(list);
	tap_is_int(vci_store_defn_delete(st, "age", &err), 0, "%s: defn_delete", T->name);
	tap_is_int(vci_store_defn_delete(st, "age", &err), VCI_STORE_NOTFOUND,
		   "%s: defn_delete: twice", T->name);
	vci_store_defn_list(st, &list, &err);
	tap_is_int((long)json_array_size(list), 1, "%s: defn_list: after delete", T->name);
	json_decref(list);
}

/* Definitions made together: the group member kept in the stored text,
 * moved to the row by defn_list, left out by defn_get, kept by a replace
 * without one. */
static void test_defn_group(vci_store_t *st)
{
	vci_err_t err = { 0 };
	json_t *list = NULL, *row;
	char *text = NULL;

	tap_is_int(vci_store_defn_put(st, "g1", "{\"id\":\"g1\",\"group\":{\"id\":\"g1\","
				      "\"order\":0,\"label\":\"Two\"}}", 0, NOW, &err), 0,
		   "%s: defn_put: in a group", T->name);
	tap_is_int(vci_store_defn_put(st, "g2", "{\"id\":\"g2\",\"group\":{\"id\":\"g1\","
				      "\"order\":1}}", 0, NOW, &err), 0,
		   "%s: defn_put: its second", T->name);
	tap_is_int(vci_store_defn_put(st, "g2", "{\"id\":\"g2\",\"v\":3}", 1, NOW + 1, &err), 0,
		   "%s: defn_put: replace without a group", T->name);
	tap_is_int(vci_store_defn_get(st, "g1", &text, &err), 0, "%s: defn_get: grouped", T->name);
	tap_ok(text && !strstr(text, "group") && strstr(text, "g1"),
	       "%s: defn_get: the definition without its group", T->name);
	free(text);
	vci_store_defn_list(st, &list, &err);
	for (size_t i = 0; i < json_array_size(list); i++) {
		const char *id;

		row = json_array_get(list, i);
		id = json_string_value(json_object_get(row, "id"));
		if (strcmp(id, "g2"))
			continue;
		tap_ok(!json_object_get(json_object_get(row, "definition"), "group") &&
		       json_integer_value(json_object_get(json_object_get(row, "definition"),
							  "v")) == 3,
		       "%s: defn_list: the replaced definition, without the group", T->name);
		tap_ok(!strcmp(json_string_value(json_object_get(json_object_get(row, "group"),
								 "id")), "g1") &&
		       json_integer_value(json_object_get(json_object_get(row, "group"),
							  "order")) == 1,
		       "%s: defn_list: the group kept across the replace", T->name);
	}
	json_decref(list);
	vci_store_defn_delete(st, "g1", &err);
	vci_store_defn_delete(st, "g2", &err);
}

/* The text of stored definition id, or "" when there is none. */
static void defn_text(vci_store_t *st, const char *id, char *buf, size_t size)
{
	vci_err_t err = { 0 };
	char *text = NULL;

	vci_store_defn_get(st, id, &text, &err);
	snprintf(buf, size, "%s", text ? text : "");
	free(text);
}

/* Several definition writes in one transaction: all, or none when one
 * of them cannot be made (an id taken, no row to replace), wherever in
 * the list it is. */
static void test_defn_write(vci_store_t *st)
{
	static const char *const gone[] = { "w2" };
	vci_store_defn_write_t add[] = { { "w1", "{\"id\":\"w1\"}", 0 },
					 { "w2", "{\"id\":\"w2\"}", 0 } };
	vci_store_defn_write_t taken[] = { { "w1", "{\"id\":\"w1\",\"v\":2}", 1 },
					   { "w2", "{\"id\":\"w2\",\"v\":2}", 0 } };
	vci_store_defn_write_t missing[] = { { "w1", "{\"id\":\"w1\",\"v\":3}", 1 },
					     { "w3", "{\"id\":\"w3\"}", 1 } };
	vci_store_defn_write_t one[] = { { "w1", "{\"id\":\"w1\",\"v\":4}", 1 } };
	vci_err_t err = { 0 };
	size_t failed = 9;
	char a[128], b[128];

	tap_is_int(vci_store_defn_write(st, add, 2, NULL, 0, NOW, &failed, &err), 0,
		   "%s: defn_write: two added", T->name);
	tap_is_int(vci_store_defn_write(st, taken, 2, NULL, 0, NOW + 1, &failed, &err),
		   VCI_STORE_EXISTS, "%s: defn_write: the second's id taken", T->name);
	tap_is_int((long)failed, 1, "%s: defn_write: the failed put named", T->name);
	defn_text(st, "w1", a, sizeof a);
	tap_is_str(a, "{\"id\":\"w1\"}", "%s: defn_write: the first put not kept", T->name);
	tap_is_int(vci_store_defn_write(st, missing, 2, NULL, 0, NOW + 1, &failed, &err),
		   VCI_STORE_NOTFOUND, "%s: defn_write: the second has nothing to replace",
		   T->name);
	defn_text(st, "w1", a, sizeof a);
	tap_is_str(a, "{\"id\":\"w1\"}", "%s: defn_write: nothing kept after a missing row",
		   T->name);
	tap_is_int(vci_store_defn_write(st, one, 1, gone, 1, NOW + 2, &failed, &err), 0,
		   "%s: defn_write: a replace and a delete", T->name);
	defn_text(st, "w1", a, sizeof a);
	defn_text(st, "w2", b, sizeof b);
	tap_ok(!strcmp(a, "{\"id\":\"w1\",\"v\":4}") && !*b,
	       "%s: defn_write: replaced and deleted together", T->name);
	tap_is_int(vci_store_defn_write(st, one, 1, gone, 1, NOW + 3, &failed, &err), 0,
		   "%s: defn_write: a delete of what is gone is passed over", T->name);
	vci_store_defn_delete(st, "w1", &err);
}

/* An offer created at `at` whose record names the configuration cfg, as
 * credential_configuration_id (one) or first of the ids. */
static int put_offer_cfg(vci_store_t *st, const char *id, const char *cfg, int one, int64_t at)
{
	uint8_t ch[VCI_STORE_HASH];
	char code[64], record[256];
	vci_store_offer_t o = { 0 };
	vci_err_t err = { 0 };

	snprintf(code, sizeof(code), "code-%s", id);
	hash_of(code, ch);
	snprintf(record, sizeof(record), one ? "{\"credential_configuration_id\":\"%s\","
		 "\"claims\":{\"x\":1,\"credential_configuration_id\":\"x\"}}"
		 : "{\"credential_configuration_ids\":[\"%s\",\"z\"]}", cfg);
	o.offer_id = id;
	o.code_hash = ch;
	o.created_at = at;
	o.offer = "{}";
	o.record = record;
	return vci_store_offer_put(st, &o, &err);
}

/* The ids of a page, space separated, into buf. */
static const char *page_ids(vci_store_t *st, const vci_store_offer_filter_t *f, unsigned off,
			    unsigned lim, unsigned *total, char *buf, size_t n)
{
	vci_err_t err = { 0 };
	json_t *rows = NULL;

	buf[0] = 0;
	*total = 12345;
	if (vci_store_offer_page(st, f, off, lim, &rows, total, &err) < 0) {
		snprintf(buf, n, "error %s", err.code);
		return buf;
	}
	for (size_t i = 0; i < json_array_size(rows); i++)
		snprintf(buf + strlen(buf), n - strlen(buf), "%s%s", i ? " " : "",
			 json_string_value(json_object_get(json_array_get(rows, i), "offer_id")));
	json_decref(rows);
	return buf;
}

/* vci_store_offer_page: selection and paging in the query. */
static void test_offer_page(void)
{
	char where[600], ids[128], xid[VCI_STORE_ID];
	vci_store_t *st = fresh_store("page", where, sizeof(where));
	vci_store_offer_filter_t f = { 0 };
	vci_err_t err = { 0 };
	unsigned total;

	if (!st) {
		tap_ok(0, "%s: open the page store", T->name);
		return;
	}
	put_offer_cfg(st, "p0", "a_pid", 1, NOW);
	put_offer_cfg(st, "p1", "a_pid", 0, NOW + 1);
	put_offer_cfg(st, "p2", "a%pid", 1, NOW + 2);
	put_offer_cfg(st, "p3", "aXpid", 1, NOW + 3);
	redeem(st, "code-p0", NULL, NOW + 5, xid);
	vci_store_exchange_issued(st, xid, "{}", "n-p0", NULL, NULL, 0, NOW + 6, &err);
	redeem(st, "code-p1", NULL, NOW + 5, xid);
	tap_is_str(page_ids(st, &f, 0, 10, &total, ids, sizeof(ids)), "p0 p1 p2 p3",
		   "%s: offer_page: all, by creation", T->name);
	tap_is_int(total, 4, "%s: offer_page: the total", T->name);
	tap_is_str(page_ids(st, &f, 1, 2, &total, ids, sizeof(ids)), "p1 p2",
		   "%s: offer_page: offset and limit", T->name);
	tap_is_str(page_ids(st, &f, 3, 2, &total, ids, sizeof(ids)), "p3",
		   "%s: offer_page: the last page", T->name);
	tap_is_str(page_ids(st, &f, 4, 2, &total, ids, sizeof(ids)), "",
		   "%s: offer_page: past the end", T->name);
	tap_is_int(total, 4, "%s: offer_page: past the end, the total", T->name);
	f.config_id = "a_pid";
	tap_is_str(page_ids(st, &f, 0, 10, &total, ids, sizeof(ids)), "p0 p1",
		   "%s: offer_page: a configuration (one or first; _ not a wildcard)", T->name);
	tap_is_int(total, 2, "%s: offer_page: a configuration's total", T->name);
	f.config_id = "a%pid";
	tap_is_str(page_ids(st, &f, 0, 10, &total, ids, sizeof(ids)), "p2",
		   "%s: offer_page: %% not a wildcard", T->name);
	f.config_id = "z";
	tap_is_str(page_ids(st, &f, 0, 10, &total, ids, sizeof(ids)), "",
		   "%s: offer_page: only the first of the ids", T->name);
	f.config_id = "x";
	tap_is_str(page_ids(st, &f, 0, 10, &total, ids, sizeof(ids)), "",
		   "%s: offer_page: not a claim holding the words", T->name);
	f.config_id = NULL;
	f.xstates = ",credential_issued,";
	tap_is_str(page_ids(st, &f, 0, 10, &total, ids, sizeof(ids)), "p0",
		   "%s: offer_page: exchange states", T->name);
	f.xstates = ",offer_redeemed,";
	f.ostates = ",offered,";
	tap_is_str(page_ids(st, &f, 0, 10, &total, ids, sizeof(ids)), "p1 p2 p3",
		   "%s: offer_page: exchange and offer states", T->name);
	tap_is_int(total, 3, "%s: offer_page: their total", T->name);
	f.xstates = ",";
	f.ostates = NULL;
	tap_is_str(page_ids(st, &f, 0, 10, &total, ids, sizeof(ids)), "",
		   "%s: offer_page: no state passes", T->name);
	tap_is_int(total, 0, "%s: offer_page: no state passes, total 0", T->name);
	f.xstates = NULL;
	f.offer_id = "p2";
	tap_is_str(page_ids(st, &f, 0, 10, &total, ids, sizeof(ids)), "p2",
		   "%s: offer_page: one offer", T->name);
	f.offer_id = NULL;
	tap_is_str(page_ids(st, &f, 0, 0, &total, ids, sizeof(ids)), "error invalid_request",
		   "%s: offer_page: limit 0", T->name);
	tap_is_str(page_ids(st, &f, 0, VCI_STORE_LIST_MAX + 1, &total, ids, sizeof(ids)),
		   "error invalid_request", "%s: offer_page: limit too large", T->name);
	tap_is_str(page_ids(st, &f, VCI_STORE_OFFSET_MAX + 1u, 1, &total, ids, sizeof(ids)),
		   "error invalid_request", "%s: offer_page: offset too large", T->name);
	tap_is_str(page_ids(st, &f, VCI_STORE_OFFSET_MAX, 1, &total, ids, sizeof(ids)), "",
		   "%s: offer_page: the largest offset", T->name);
	vci_store_close(st);
}

/* Every page of a listing, joined; the number of pages to *pages. */
static json_t *all_pages(vci_store_t *st, const char *state, unsigned limit, int *pages)
{
	json_t *all = json_array(), *page;
	char *cursor = NULL, *next;
	vci_err_t err = { 0 };

	*pages = 0;
	do {
		if (vci_store_exchange_list(st, state, cursor, limit, &page, &next, &err) < 0) {
			tap_diag("exchange_list: %s", err.msg);
			free(cursor);
			json_decref(all);
			return NULL;
		}
		json_array_extend(all, page);
		json_decref(page);
		free(cursor);
		cursor = next;
		(*pages)++;
	} while (cursor && *pages < 100);
	free(cursor);
	return all;
}

static void test_exchange_admin(void)
{
	static const char *const uris[] = { "https://i.example/s/1", "https://i.example/s/1" };
	static const uint64_t idx[] = { 5, 9 };
	char where[600], xid[7][VCI_STORE_ID], code[16], id[16], *next = NULL;
	vci_store_exchange_t x;
	vci_err_t err = { 0 };
	vci_store_t *st = fresh_store("admin", where, sizeof(where));
	json_t *all, *page = NULL;
	int pages;

	if (!st) {
		tap_ok(0, "%s: open the admin store", T->name);
		return;
	}
	for (int i = 0; i < 7; i++) {
		snprintf(id, sizeof(id), "a%d", i);
		snprintf(code, sizeof(code), "code-a%d", i);
		put_offer(st, id, code, NULL, 0, 0);
		redeem(st, code, NULL, NOW + i / 2, xid[i]);
	}
	vci_store_exchange_issued(st, xid[1], "{}", "n-a1", uris, idx, 2, NOW + 9, &err);
	vci_store_exchange_issued(st, xid[4], "{}", "n-a4", NULL, NULL, 0, NOW + 9, &err);
	all = all_pages(st, NULL, 3, &pages);
	tap_ok(all && json_array_size(all) == 7 && pages == 3,
	       "%s: exchange_list: 7 in 3 pages of 3", T->name);
	for (size_t i = 1; all && i < json_array_size(all); i++) {
		json_t *a = json_array_get(all, i - 1), *b = json_array_get(all, i);

		if (json_integer_value(json_object_get(a, "created_at")) >
		    json_integer_value(json_object_get(b, "created_at")) ||
		    !strcmp(json_string_value(json_object_get(a, "id")),
			    json_string_value(json_object_get(b, "id"))))
			tap_ok(0, "%s: exchange_list: order at %zu", T->name, i);
	}
	json_decref(all);
	all = all_pages(st, "credential_issued", 1, &pages);
	tap_ok(all && json_array_size(all) == 2 && pages == 2 &&
	       !strcmp(json_string_value(json_object_get(json_array_get(all, 0), "state")),
		       "credential_issued"), "%s: exchange_list: by state", T->name);
	json_decref(all);
	tap_is_int(vci_store_exchange_list(st, NULL, NULL, 7, &page, &next, &err), 0,
		   "%s: exchange_list: a page of all", T->name);
	tap_ok(json_array_size(page) == 7 && !next, "%s: exchange_list: no cursor after the last",
	       T->name);
	json_decref(page);
	tap_is_int(vci_store_exchange_list(st, NULL, NULL, 0, &page, &next, &err), -1,
		   "%s: exchange_list: limit 0 refused", T->name);
	tap_is_int(vci_store_exchange_list(st, NULL, NULL, VCI_STORE_LIST_MAX + 1, &page, &next,
					   &err), -1, "%s: exchange_list: limit over the bound",
		   T->name);
	tap_is_int(vci_store_exchange_list(st, NULL, "zz", 5, &page, &next, &err), -1,
		   "%s: exchange_list: a cursor not made here", T->name);
	tap_is_int(err.status, VCI_EXIT_INPUT, "%s: exchange_list: bad cursor is input", T->name);

	tap_is_int(vci_store_exchange_status(st, xid[1], &page, &err), 0,
		   "%s: exchange_status", T->name);
	tap_ok(json_array_size(page) == 2 &&
	       json_integer_value(json_object_get(json_array_get(page, 1), "idx")) == 9,
	       "%s: exchange_status: both entries in order", T->name);
	json_decref(page);
	tap_is_int(vci_store_exchange_delete(st, xid[1], &err), 0, "%s: exchange_delete", T->name);
	tap_is_int(vci_store_exchange_get(st, xid[1], &x, &err), VCI_STORE_NOTFOUND,
		   "%s: exchange_delete: gone", T->name);
	vci_store_exchange_status(st, xid[1], &page, &err);
	tap_is_int((long)json_array_size(page), 0, "%s: exchange_delete: status entries gone",
		   T->name);
	json_decref(page);
	tap_is_int(redeem(st, "code-a1", NULL, NOW, NULL), VCI_STORE_NOTFOUND,
		   "%s: exchange_delete: its offer gone", T->name);
	tap_is_int(vci_store_exchange_delete(st, xid[1], &err), VCI_STORE_NOTFOUND,
		   "%s: exchange_delete: twice", T->name);
	all = all_pages(st, NULL, 1000, &pages);
	tap_ok(all && json_array_size(all) == 6, "%s: exchange_list: after delete", T->name);
	json_decref(all);
	test_defns(st);
	test_defn_group(st);
	test_defn_write(st);
	vci_store_close(st);
}

/* Deferred issuance, webhooks and the outbox --------------------------------*/

/* The types of the undelivered events of webhook `wh`, in order, by
 * delivering each as it comes due (up to 32). */
static void outbox_types(vci_store_t *st, char *out, size_t n)
{
	vci_store_delivery_t *d;
	size_t nd, used = 0;
	vci_err_t err = { 0 };

	out[0] = 0;
	for (int i = 0; i < 32; i++) {
		if (vci_store_outbox_due(st, NOW + 1000, 8, &d, &nd, &err) < 0 || !nd) {
			vci_store_deliveries_free(d, nd);
			return;
		}
		for (size_t j = 0; j < nd; j++) {
			used += (size_t)snprintf(out + used, used < n ? n - used : 0, "%s%s:%s",
						 used ? " " : "", d[j].webhook_id, d[j].type);
			vci_store_outbox_done(st, d[j].seq, 1, 0, NULL, NOW, &err);
		}
		vci_store_deliveries_free(d, nd);
	}
}

static void test_flow_deferred(vci_store_t *st)
{
	static const char *const uris[] = { "https://i.example/status/9" };
	static const uint64_t idx[] = { 99 };
	uint8_t tx[VCI_STORE_HASH], tx2[VCI_STORE_HASH];
	char a[VCI_STORE_ID], b[VCI_STORE_ID];
	vci_store_deferred_t d;
	vci_store_exchange_t x;
	vci_err_t err = { 0 };

	put_offer(st, "f1", "code-f1", NULL, 0, 0);
	put_offer(st, "f2", "code-f2", NULL, 0, 0);
	redeem(st, "code-f1", NULL, NOW, a);
	redeem(st, "code-f2", NULL, NOW, b);
	hash_of("tx-1", tx);
	hash_of("tx-2", tx2);
	tap_is_int(vci_store_deferred_put(st, tx, a, "pid", "[{\"kty\":\"EC\"}]",
					  "[{\"status_list\":{\"idx\":99}}]", NOW, &err), 0,
		   "%s: deferred_put", T->name);
	tap_is_int(vci_store_deferred_put(st, tx, b, "pid", "[]", NULL, NOW, &err),
		   VCI_STORE_EXISTS, "%s: deferred_put: a transaction id twice", T->name);
	tap_is_int(vci_store_deferred_put(st, tx2, "nope", "pid", "[]", NULL, NOW, &err),
		   VCI_STORE_NOTFOUND, "%s: deferred_put: unknown exchange", T->name);
	tap_ok(vci_store_deferred_get(st, tx, &d, &err) == 0 && !strcmp(d.state, "pending") &&
	       !strcmp(d.exchange_id, a) && !strcmp(d.config_id, "pid") && d.status && !d.claims,
	       "%s: deferred_get: pending with keys and status", T->name);
	vci_store_deferred_clear(&d);
	tap_ok(vci_store_exchange_get(st, a, &x, &err) == 0 &&
	       !strcmp(x.state, "issuance_pending"), "%s: exchange issuance_pending", T->name);
	vci_store_exchange_clear(&x);
	tap_is_int(vci_store_deferred_issued(st, tx2, "{}", "n-f", NULL, NULL, 0, NOW, &err),
		   VCI_STORE_NOTFOUND, "%s: deferred_issued: unknown id", T->name);
	tap_is_int(vci_store_deferred_claims(st, b, "{\"x\":1}", NOW, &err), VCI_STORE_NOTFOUND,
		   "%s: deferred_claims: nothing pending", T->name);
	tap_is_int(vci_store_deferred_claims(st, a, "[1]", NOW, &err), -1,
		   "%s: deferred_claims: not an object", T->name);
	tap_is_int(vci_store_deferred_claims(st, a, "{\"given_name\":\"E\"}", NOW + 1, &err), 0,
		   "%s: deferred_claims", T->name);
	tap_ok(vci_store_deferred_get(st, tx, &d, &err) == 0 && !strcmp(d.state, "ready") &&
	       d.claims && !strcmp(d.claims, "{\"given_name\":\"E\"}"),
	       "%s: deferred_get: ready with the claims", T->name);
	vci_store_deferred_clear(&d);
	tap_is_int(vci_store_deferred_issued(st, tx, "{\"credentials\":1}", "n-f", uris, idx, 1,
					     NOW + 2, &err), 0, "%s: deferred_issued", T->name);
	tap_is_int(vci_store_deferred_issued(st, tx, "{}", "n-g", NULL, NULL, 0, NOW + 2, &err),
		   VCI_STORE_NOTFOUND, "%s: deferred_issued: once only", T->name);
	tap_ok(vci_store_exchange_get(st, a, &x, &err) == 0 &&
	       !strcmp(x.state, "credential_issued") && !strcmp(x.notification_id, "n-f"),
	       "%s: deferred_issued: the exchange recorded as issued", T->name);
	vci_store_exchange_clear(&x);
	tap_is_int(vci_store_deferred_put(st, tx2, b, "pid", "[]", NULL, NOW, &err), 0,
		   "%s: deferred_put: another", T->name);
	tap_is_int(vci_store_deferred_deny(st, b, "no record", NOW + 3, &err), 0,
		   "%s: deferred_deny", T->name);
	tap_is_int(vci_store_deferred_deny(st, b, NULL, NOW + 3, &err), VCI_STORE_NOTFOUND,
		   "%s: deferred_deny: nothing left open", T->name);
	tap_ok(vci_store_deferred_get(st, tx2, &d, &err) == 0 && !strcmp(d.state, "denied") &&
	       d.reason && !strcmp(d.reason, "no record"), "%s: deferred: denied", T->name);
	vci_store_deferred_clear(&d);
	tap_is_int(vci_store_deferred_issued(st, tx2, "{}", "n-h", NULL, NULL, 0, NOW, &err),
		   VCI_STORE_NOTFOUND, "%s: deferred_issued: not after a denial", T->name);
}

static void test_flow(const char *tag)
{
	static const char *const uris[] = { "https://i.example/status/9" };
	static const uint64_t idx[] = { 1 };
	vci_store_webhook_t all = { NULL, "http://127.0.0.1:9/all", "*", "s1", NULL };
	vci_store_webhook_t some = { "cli-1", "http://127.0.0.1:9/some",
				     "[\"credential.issued\",\"offer.expired\"]", "s2",
				     "eudi-connector" };
	char where[600], wa[VCI_STORE_ID], ws[VCI_STORE_ID], a[VCI_STORE_ID], types[2048];
	vci_store_t *st = fresh_store(tag, where, sizeof(where));
	int64_t pending = -1, delivered = -1, failed = -1;
	vci_store_delivery_t *d;
	vci_err_t err = { 0 };
	json_t *list = NULL;
	size_t n;

	if (!st)
		return;
	tap_is_int(vci_store_webhook_put(st, &all, NOW, wa, &err), 0, "%s: webhook_put", T->name);
	tap_ok(!strncmp(wa, "wh_", 3), "%s: webhook_put: a new id %s", T->name, wa);
	tap_is_int(vci_store_webhook_put(st, &some, NOW, ws, &err), 0,
		   "%s: webhook_put with an id", T->name);
	tap_is_int(vci_store_webhook_put(st, &some, NOW, ws, &err), 0,
		   "%s: webhook_put: replaced", T->name);
	tap_ok(vci_store_webhook_list(st, &list, &err) == 0 && json_array_size(list) == 2 &&
	       !json_object_get(json_array_get(list, 0), "secret"),
	       "%s: webhook_list: two, without secrets", T->name);
	json_decref(list);

	put_offer(st, "e1", "code-e1", NULL, 0, 0);
	put_offer(st, "e2", "code-e2", NULL, 0, NOW + 10);
	redeem(st, "code-e1", NULL, NOW, a);
	tap_is_int(vci_store_exchange_issued(st, a, "{\"credentials\":1}", "n-e", uris, idx, 1,
					     NOW, &err), 0, "%s: issued", T->name);
	vci_store_outbox_counts(st, &pending, &delivered, &failed, &err);
	tap_is_int(pending, 5, "%s: outbox: the events of each change, one per webhook (%lld)",
		   T->name, (long long)pending);
	tap_is_int(vci_store_exchange_issued(st, a, "{}", "n-e2", uris, idx, 1, NOW, &err),
		   VCI_STORE_EXISTS, "%s: issued again with the same index: refused", T->name);
	vci_store_outbox_counts(st, &pending, &delivered, &failed, &err);
	tap_is_int(pending, 5, "%s: outbox: a change rolled back leaves no event", T->name);
	vci_store_exchange_notify(st, "n-e", "credential_accepted", NULL, NOW, &err);
	tap_ok(vci_store_sweep(st, NOW + 20, &err) >= 1, "%s: sweep", T->name);

	/* the outbox survives a reopen */
	vci_store_close(st);
	st = store_open(where, &err);
	tap_ok(st && vci_store_outbox_counts(st, &pending, &delivered, &failed, &err) == 0 &&
	       pending == 8 && delivered == 0 && failed == 0,
	       "%s: outbox after reopen: 8 undelivered (%lld)", T->name, (long long)pending);
	if (!st)
		return;
	/* a failed attempt holds back the webhook's later events */
	tap_ok(vci_store_outbox_due(st, NOW, 8, &d, &n, &err) == 0 && n == 2 &&
	       !strcmp(d[0].type, "offer.created") && !strcmp(d[0].webhook_id, wa) &&
	       !strcmp(d[0].secret, "s1") && !strcmp(d[1].type, "credential.issued") &&
	       !strcmp(d[1].format, "eudi-connector") && !strcmp(d[1].exchange_id, a) &&
	       !strcmp(d[1].offer_id, "e1"), "%s: outbox_due: the first of each webhook",
	       T->name);
	if (n)
		tap_is_int(vci_store_outbox_done(st, d[0].seq, 0, NOW + 50, "503", NOW, &err), 0,
			   "%s: outbox_done: retry later", T->name);
	vci_store_deliveries_free(d, n);
	tap_ok(vci_store_outbox_due(st, NOW + 1, 8, &d, &n, &err) == 0 && n == 1 &&
	       !strcmp(d[0].webhook_id, ws), "%s: outbox_due: the failing webhook waits",
	       T->name);
	vci_store_deliveries_free(d, n);
	outbox_types(st, types, sizeof(types));
	{
		char want[1024];

		snprintf(want, sizeof(want),
			 "%s:offer.created %s:credential.issued %s:offer.created %s:offer.expired "
			 "%s:offer.redeemed %s:credential.issued %s:credential.accepted "
			 "%s:offer.expired", wa, ws, wa, ws, wa, wa, wa, wa);
		tap_is_str(types, want, "%s: every event once, in order per webhook", T->name);
	}
	tap_ok(vci_store_outbox_counts(st, &pending, &delivered, &failed, &err) == 0 &&
	       pending == 0 && delivered == 8, "%s: outbox: all delivered", T->name);
	tap_is_int(vci_store_webhook_delete(st, ws, &err), 0, "%s: webhook_delete", T->name);
	tap_is_int(vci_store_webhook_delete(st, ws, &err), VCI_STORE_NOTFOUND,
		   "%s: webhook_delete: unknown", T->name);
	test_flow_deferred(st);
	outbox_types(st, types, sizeof(types));
	tap_ok(strstr(types, "deferred.pending") && strstr(types, "deferred.ready") &&
	       strstr(types, "deferred.denied") && !strstr(types, ws),
	       "%s: deferred events (%s)", T->name, types);
	vci_store_close(st);
}

/* A database server's `where`: a password in it never reaches a message;
 * opened without an offer key file, offers are refused, the rest works. */
static void test_db_where(void)
{
	char where[600];
	uint8_t h[VCI_STORE_HASH];
	char id[VCI_STORE_ID];
	vci_err_t err = { 0 };
	vci_store_t *st;

	if (T->drv == &vci_db_sqlite)
		return;
	st = vci_store_open_key("postgresql://vci:hunter2@/vci?host=/nonexistent-dir", NULL, &err);
	tap_ok(!st && err.status == VCI_EXIT_IO && !strstr(err.msg, "hunter2"),
	       "%s: an unreachable database: an I/O error without the password (%s)", T->name,
	       err.msg);
	st = vci_store_open_key("postgresql://vci:hunter2@/vci?bogus=1", NULL, &err);
	tap_ok(!st && err.status == VCI_EXIT_USAGE && !strstr(err.msg, "hunter2"),
	       "%s: a malformed URL: a usage error without the password (%s)", T->name, err.msg);
	if (T->fresh(scratch, "nokey", where, sizeof(where)) < 0)
		return;
	st = vci_store_open_key(where, NULL, &err);
	tap_ok(st != NULL, "%s: opened without an offer key file", T->name);
	if (!st)
		return;
	tap_ok(put_offer(st, "nk1", "code-nk1", NULL, 0, 0) == -1,
	       "%s: without the key file, offers are refused", T->name);
	hash_of("key-nk", h);
	tap_is_int(vci_store_apikey_add(st, "nk", h, NOW, id, &err), 0,
		   "%s: and the rest works (apikey_add)", T->name);
	vci_store_close(st);
}

#ifdef VCI_WITH_PG
/* The database server ends every session of the store (a restart): the
 * next read and write work at once on new connections, and nothing
 * written before is lost. */
static void test_reconnect(void)
{
	char where[600], *offer = NULL;
	uint8_t h[VCI_STORE_HASH];
	vci_err_t err = { 0 };
	vci_store_t *st;

	if (T->drv != &vci_db_pg)
		return;
	st = fresh_store("reconnect", where, sizeof(where));
	if (!st)
		return;
	hash_of("nonce-rc", h);
	tap_ok(put_offer(st, "rc1", "code-rc1", NULL, 0, 0) == 0 &&
	       vci_store_offer_get(st, "rc1", NOW, &offer, &err) == 0,
	       "%s: reconnect: a write and a read", T->name);
	free(offer);
	offer = NULL;
	tap_ok(pg_drop_sessions(where) == 0, "%s: reconnect: the server ends the sessions",
	       T->name);
	tap_is_int(vci_store_offer_get(st, "rc1", NOW, &offer, &err), 0,
		   "%s: reconnect: the next read works (%s)", T->name, err.msg);
	free(offer);
	tap_is_int(vci_store_nonce_spend(st, h, NOW + 60, &err), 0,
		   "%s: reconnect: the next write works (%s)", T->name, err.msg);
	tap_is_int(redeem(st, "code-rc1", NULL, NOW, NULL), 0,
		   "%s: reconnect: what was written before is there", T->name);
	vci_store_close(st);
}

/* Under SERIALIZABLE (a server's default_transaction_isolation), two
 * handles' group transactions meet serialization failures: the store runs
 * the operation again (VCI_DB_RETRY), and every value still has one
 * winner and no caller sees an error. */
static void test_serializable(void)
{
	char where[600], ser[800], schema[64];
	const char *s;
	vci_store_t *st;

	if (T->drv != &vci_db_pg || T->fresh(scratch, "serial", where, sizeof(where)) < 0)
		return;
	s = strstr(where, "application_name=") + 17;
	snprintf(schema, sizeof(schema), "%.*s", (int)strcspn(s, " &"), s);
	if (strncmp(where, "pg:", 3) == 0) /* a later options= wins */
		snprintf(ser, sizeof(ser), "%s options='-csearch_path=%s "
			 "-cdefault_transaction_isolation=serializable'", where, schema);
	else
		snprintf(ser, sizeof(ser), "%s&options=-csearch_path%%3D%s"
			 "%%20-cdefault_transaction_isolation%%3Dserializable", where, schema);
	st = store_open(ser, NULL);
	tap_ok(st != NULL, "%s: serializable: open", T->name);
	if (!st)
		return;
	test_two_handles(st, ser);
	vci_store_close(st);
}
#endif

/* The suite for one driver -----------------------------------------------*/

static void run_driver(const test_driver_t *d)
{
	char where[600];
	vci_store_t *st;
	int rc;

	T = d;
	snprintf(scratch, sizeof(scratch), "%s/test-store-%s.XXXXXX",
		 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp", d->name);
	if (!mkdtemp(scratch)) {
		tap_ok(0, "%s: scratch directory: %s", d->name, strerror(errno));
		return;
	}
	rc = d->fresh(scratch, "probe", where, sizeof(where));
	if (rc == -1) {
		tap_skip("%s: no database to test on (set VCI_TEST_PG; scripts/check does)",
			 d->name);
		rmdir(scratch);
		return;
	}
	if (rc < 0) {
		tap_ok(0, "%s: the database of VCI_TEST_PG answers", d->name);
		rmdir(scratch);
		return;
	}
	test_id_new();
	test_schema_create();
	test_schema_newer();
	test_schema_migrate();
	test_schema_config_id();
	test_schema_empty_file();
	test_db_where();
#ifdef VCI_WITH_PG
	test_reconnect();
#endif
	test_failures();
	test_sealed();
	st = fresh_store("main", where, sizeof(where));
	tap_ok(st != NULL, "%s: open the main store", d->name);
	if (!st)
		return;
	test_offers(st);
	test_redeem(st);
	test_tx_code(st);
	test_nonces(st);
	test_jti(st);
	test_grant(st, where);
	test_issue(st);
	test_exchanges(st);
	test_apikeys(st);
	vci_store_close(st);
	test_exchange_admin();
	test_offer_page();
	test_flow("flow");
	test_reopen(where);
	st = store_open(where, NULL);
	test_sequential(st);
	test_concurrency(st);
	test_group_commit(st, where);
	test_async_group(st, where);
	test_two_handles(st, where);
	test_sweep(st, where);
	vci_store_close(st);
#ifdef VCI_WITH_PG
	test_serializable();
#endif
	if (!getenv("VCI_TEST_KEEP")) {
		char cmd[700];

#ifdef VCI_WITH_PG
		if (d->drv == &vci_db_pg)
			pg_drop_schemas();
#endif
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", scratch);
		if (system(cmd) != 0)
			tap_diag("could not remove %s", scratch);
	}
}

int main(void)
{
	uint8_t h[VCI_STORE_HASH];

	tap_is_int(vci_store_hash("abc", 3, h), 0, "vci_store_hash");
	tap_is_mem(h, sizeof(h),
		   "\xba\x78\x16\xbf\x8f\x01\xcf\xea\x41\x41\x40\xde\x5d\xae\x22\x23"
		   "\xb0\x03\x61\xa3\x96\x17\x7a\x9c\xb4\x10\xff\x61\xf2\x00\x15\xad", 32,
		   "vci_store_hash is SHA-256 (FIPS 180-2 B.1)");
	for (size_t i = 0; i < sizeof(test_drivers) / sizeof(test_drivers[0]); i++)
		run_driver(&test_drivers[i]);
	return tap_done();
}
