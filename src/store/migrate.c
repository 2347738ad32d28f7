/* migrate.c - a driver's schema as numbered migrations ("-- version N"
 * blocks), applied in order in one write transaction; schema_version holds
 * the versions applied. A database newer than the build is refused.
 * Processes that open one database at once (hosts sharing PostgreSQL)
 * migrate one after the other: the driver's lock_schema, or SQLite's
 * BEGIN IMMEDIATE. */
#include "store/driver.h"

#include <string.h>
#include <time.h>

#define VCI_MIGRATE_MARK "-- version "

static const char vci_sql_version_table[] =
	"CREATE TABLE IF NOT EXISTS schema_version ("
	" version BIGINT PRIMARY KEY NOT NULL, applied_at BIGINT NOT NULL)";
static const char vci_sql_version_get[] = "SELECT max(version) FROM schema_version";
static const char vci_sql_version_add[] =
	"INSERT INTO schema_version (version, applied_at) VALUES (?1, ?2)";

/* The block of version n: its text from the marker line to the next
 * marker (start, length). Returns 0, or -1 when there is no block n. */
static int vci_migrate_block(const char *schema, long n, const char **start, size_t *len)
{
	const char *p = schema, *next;

	*start = NULL;
	while ((p = strstr(p, VCI_MIGRATE_MARK))) {
		if ((p == schema || p[-1] == '\n') &&
		    strtol(p + strlen(VCI_MIGRATE_MARK), NULL, 10) == n) {
			*start = p;
			break;
		}
		p++;
	}
	if (!*start)
		return -1;
	next = *start + 1;
	while ((next = strstr(next, VCI_MIGRATE_MARK)) && next[-1] != '\n')
		next++;
	*len = next ? (size_t)(next - *start) : strlen(*start);
	return 0;
}

/* The newest version in a schema text: its blocks are 1..n in order. */
static long vci_migrate_known(const char *schema)
{
	const char *b;
	size_t len;
	long n = 0;

	while (vci_migrate_block(schema, n + 1, &b, &len) == 0)
		n++;
	return n;
}

static long vci_migrate_current(const vci_db_driver_t *drv, vci_db_t *db, vci_err_t *err)
{
	vci_db_stmt_t *s = drv->prepare(db, vci_sql_version_get, err);
	long v = -1;

	if (!s)
		return -1;
	if (drv->step(s, err) == VCI_DB_ROW)
		v = drv->column_null(s, 0) ? 0 : (long)drv->column_int(s, 0);
	else
		vci_err_set(err, VCI_EXIT_IO, "server_error", "schema_version unreadable");
	drv->finalize(s);
	return v;
}

static int vci_migrate_apply(const vci_db_driver_t *drv, vci_db_t *db, const char *schema,
			     long n, vci_err_t *err)
{
	const char *b;
	size_t len;
	char *sql;
	vci_db_stmt_t *s;
	int rc;

	if (vci_migrate_block(schema, n, &b, &len) < 0 || !(sql = strndup(b, len)))
		return vci_err_set(err, VCI_EXIT_IO, "server_error", "migration %ld: no such block", n);
	rc = drv->exec(db, sql, err);
	free(sql);
	if (rc < 0)
		return vci_err_prefix(err, "migration %ld", n);
	s = drv->prepare(db, vci_sql_version_add, err);
	if (!s)
		return -1;
	rc = drv->bind_int(s, 1, n, err) < 0 || drv->bind_int(s, 2, (int64_t)time(NULL), err) < 0 ||
	     drv->step(s, err) != VCI_DB_DONE ? -1 : 0;
	drv->finalize(s);
	return rc;
}

static int vci_migrate_locked(const vci_db_driver_t *drv, vci_db_t *db, const char *schema,
			      vci_err_t *err)
{
	long known = vci_migrate_known(schema), cur;

	if (known < 1)
		return vci_err_set(err, VCI_EXIT_IO, "server_error",
				   "the %s schema holds no version", drv->name);
	if (drv->exec(db, vci_sql_version_table, err) < 0)
		return -1;
	cur = vci_migrate_current(drv, db, err);
	if (cur < 0)
		return -1;
	if (cur > known)
		return vci_err_set(err, VCI_EXIT_INPUT, "schema_too_new",
				   "database schema version %ld is newer than this build knows (%ld)",
				   cur, known);
	for (long n = cur + 1; n <= known; n++)
		if (vci_migrate_apply(drv, db, schema, n, err) < 0)
			return -1;
	return 0;
}

int vci_store_migrate(const vci_db_driver_t *drv, vci_db_t *db, const char *schema,
		      vci_err_t *err)
{
	if (drv->begin(db, err) < 0)
		return -1;
	if ((drv->lock_schema && drv->lock_schema(db, err) < 0) ||
	    vci_migrate_locked(drv, db, schema, err) < 0) {
		drv->rollback(db, NULL);
		return -1;
	}
	return drv->commit(db, err);
}

long vci_store_schema_version(const vci_db_driver_t *drv, vci_db_t *db, vci_err_t *err)
{
	long v;

	if (drv->begin(db, err) < 0)
		return -1;
	v = (drv->lock_schema && drv->lock_schema(db, err) < 0) ||
		    drv->exec(db, vci_sql_version_table, err) < 0
		? -1
		: vci_migrate_current(drv, db, err);
	if (v < 0) {
		drv->rollback(db, NULL);
		return -1;
	}
	/* nothing to keep: an empty database stays empty */
	return drv->rollback(db, err) < 0 ? -1 : v;
}
