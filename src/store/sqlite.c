/* sqlite.c - the SQLite driver of the store (driver.h): WAL,
 * synchronous=FULL (a commit is on disk when it returns), a busy timeout
 * for other processes on the same database (vci-serve import, apikey),
 * foreign keys on; readers are query_only connections under WAL, so they
 * never wait for the writer. */
#include "store/driver.h"

#include <errno.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#define VCI_SQLITE_BUSY_MS 10000
#define VCI_SQLITE_FILE "vci.db"

extern const char vci_store_schema_sqlite[]; /* schema.sqlite.sql, generated */

/* BEGIN IMMEDIATE, COMMIT and ROLLBACK prepared once per connection
 * (sqlite3_exec would parse them again at every transaction). */
enum { VCI_SQLITE_BEGIN, VCI_SQLITE_COMMIT, VCI_SQLITE_ROLLBACK, VCI_SQLITE_NTX };

struct vci_db {
	sqlite3 *h;
	sqlite3_stmt *tx[VCI_SQLITE_NTX];
};

struct vci_db_stmt {
	sqlite3_stmt *s;
	sqlite3 *h;
};

static int vci_sqlite_fail(sqlite3 *h, const char *what, vci_err_t *err)
{
	return vci_err_set(err, VCI_EXIT_IO, "server_error", "%s: %s", what,
			   h ? sqlite3_errmsg(h) : "out of memory");
}

/* A new database file is made 0600 before SQLite opens it (an empty file
 * is a new database to SQLite, and its -wal and -shm files take the same
 * mode): offers and exchanges hold the claims of the people they are for. */
static int vci_sqlite_create(const char *path, vci_err_t *err)
{
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);

	if (fd < 0)
		return vci_err_set(err, VCI_EXIT_IO, "server_error", "state: %s: %s", path,
				   strerror(errno));
	close(fd);
	return 0;
}

static char *vci_sqlite_locate(const char *where, int is_dir, vci_err_t *err)
{
	char *path;

	if (!where || !*where) {
		vci_err_set(err, VCI_EXIT_IO, "server_error", "state: no directory given");
		return NULL;
	}
	if (!is_dir)
		path = strdup(where);
	else {
		if (mkdir(where, 0700) != 0 && errno != EEXIST) {
			vci_err_set(err, VCI_EXIT_IO, "server_error", "state: %s: %s", where,
				    strerror(errno));
			return NULL;
		}
		if (asprintf(&path, "%s/%s", where, VCI_SQLITE_FILE) < 0)
			path = NULL;
	}
	if (!path) {
		vci_err_oom_at(err, "state");
		return NULL;
	}
	if (vci_sqlite_create(path, err) < 0) {
		free(path);
		return NULL;
	}
	return path;
}

/* Per-connection settings: journal_mode=WAL is kept in the file; the rest
 * holds for this connection only. */
static int vci_sqlite_mode(void *arg, int ncol, char **val, char **name)
{
	if (ncol == 1 && val[0])
		snprintf(arg, 16, "%s", val[0]);
	return 0;
}

static int vci_sqlite_setup(sqlite3 *h, int role, vci_err_t *err)
{
	/* temp_store=MEMORY: the statement journal of each operation's
	 * SAVEPOINT stays in memory (past 64 KiB SQLite would spill it to a
	 * temporary file made and deleted at every commit) */
	static const char writer[] = "PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON; "
				     "PRAGMA temp_store=MEMORY;";
	static const char reader[] = "PRAGMA foreign_keys=ON; PRAGMA query_only=ON;";
	char mode[16] = "";

	if (sqlite3_busy_timeout(h, VCI_SQLITE_BUSY_MS) != SQLITE_OK ||
	    sqlite3_extended_result_codes(h, 1) != SQLITE_OK)
		return vci_sqlite_fail(h, "settings", err);
	if (sqlite3_exec(h, "PRAGMA journal_mode=WAL", vci_sqlite_mode, mode, NULL) != SQLITE_OK)
		return vci_sqlite_fail(h, "journal_mode", err);
	if (strcmp(mode, "wal") != 0)
		return vci_err_set(err, VCI_EXIT_IO, "server_error",
				   "journal_mode: WAL refused (got %s)", mode);
	if (sqlite3_exec(h, role == VCI_DB_WRITER ? writer : reader, NULL, NULL, NULL) != SQLITE_OK)
		return vci_sqlite_fail(h, "settings", err);
	return 0;
}

static vci_db_t *vci_sqlite_open(const char *location, int role, vci_err_t *err)
{
	vci_db_t *db = calloc(1, sizeof(*db));
	int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;

	if (!db) {
		vci_err_oom_at(err, "state");
		return NULL;
	}
	if (!sqlite3_threadsafe()) {
		vci_err_set(err, VCI_EXIT_IO, "server_error",
			    "state: this SQLite library is built without thread support");
		free(db);
		return NULL;
	}
	if (sqlite3_open_v2(location, &db->h, flags, NULL) != SQLITE_OK) {
		vci_err_set(err, VCI_EXIT_IO, "server_error", "state: %s: %s", location,
			    db->h ? sqlite3_errmsg(db->h) : "out of memory");
		sqlite3_close(db->h);
		free(db);
		return NULL;
	}
	if (vci_sqlite_setup(db->h, role, err) < 0) {
		vci_err_prefix(err, "%s", location);
		sqlite3_close(db->h);
		free(db);
		return NULL;
	}
	return db;
}

static void vci_sqlite_close(vci_db_t *db)
{
	if (!db)
		return;
	for (int i = 0; i < VCI_SQLITE_NTX; i++)
		sqlite3_finalize(db->tx[i]);
	sqlite3_close(db->h); /* statements are finalized by their owner first */
	free(db);
}

static int vci_sqlite_exec(vci_db_t *db, const char *sql, vci_err_t *err)
{
	if (sqlite3_exec(db->h, sql, NULL, NULL, NULL) != SQLITE_OK)
		return vci_sqlite_fail(db->h, "exec", err);
	return 0;
}

/* Run one of the transaction statements, preparing it the first time. */
static int vci_sqlite_tx(vci_db_t *db, int which, const char *what, vci_err_t *err)
{
	static const char *const sql[VCI_SQLITE_NTX] = { "BEGIN IMMEDIATE", "COMMIT", "ROLLBACK" };
	int rc;

	if (!db->tx[which] &&
	    sqlite3_prepare_v3(db->h, sql[which], -1, SQLITE_PREPARE_PERSISTENT, &db->tx[which],
			       NULL) != SQLITE_OK)
		return vci_sqlite_fail(db->h, what, err);
	rc = sqlite3_step(db->tx[which]);
	if (rc != SQLITE_DONE)
		vci_sqlite_fail(db->h, what, err);
	sqlite3_reset(db->tx[which]);
	return rc == SQLITE_DONE ? 0 : -1;
}

static int vci_sqlite_begin(vci_db_t *db, vci_err_t *err)
{
	return vci_sqlite_tx(db, VCI_SQLITE_BEGIN, "begin", err);
}

static int vci_sqlite_commit(vci_db_t *db, vci_err_t *err)
{
	return vci_sqlite_tx(db, VCI_SQLITE_COMMIT, "commit", err);
}

static int vci_sqlite_rollback(vci_db_t *db, vci_err_t *err)
{
	if (sqlite3_get_autocommit(db->h))
		return 0; /* the engine rolled back already */
	return vci_sqlite_tx(db, VCI_SQLITE_ROLLBACK, "rollback", err);
}

static int vci_sqlite_in_transaction(vci_db_t *db)
{
	return !sqlite3_get_autocommit(db->h);
}

static int64_t vci_sqlite_changes(vci_db_t *db)
{
	return sqlite3_changes64(db->h);
}

static vci_db_stmt_t *vci_sqlite_prepare(vci_db_t *db, const char *sql, vci_err_t *err)
{
	vci_db_stmt_t *s = calloc(1, sizeof(*s));

	if (!s) {
		vci_err_oom_at(err, "prepare");
		return NULL;
	}
	s->h = db->h;
	if (sqlite3_prepare_v3(db->h, sql, -1, SQLITE_PREPARE_PERSISTENT, &s->s, NULL) !=
	    SQLITE_OK) {
		vci_sqlite_fail(db->h, "prepare", err);
		free(s);
		return NULL;
	}
	return s;
}

static void vci_sqlite_finalize(vci_db_stmt_t *s)
{
	if (!s)
		return;
	sqlite3_finalize(s->s);
	free(s);
}

static void vci_sqlite_reset(vci_db_stmt_t *s)
{
	sqlite3_reset(s->s);
	sqlite3_clear_bindings(s->s);
}

static int vci_sqlite_bound(vci_db_stmt_t *s, int rc, vci_err_t *err)
{
	return rc == SQLITE_OK ? 0 : vci_sqlite_fail(s->h, "bind", err);
}

static int vci_sqlite_bind_int(vci_db_stmt_t *s, int i, int64_t v, vci_err_t *err)
{
	return vci_sqlite_bound(s, sqlite3_bind_int64(s->s, i, v), err);
}

static int vci_sqlite_bind_text(vci_db_stmt_t *s, int i, const char *v, vci_err_t *err)
{
	if (!v)
		return vci_sqlite_bound(s, sqlite3_bind_null(s->s, i), err);
	return vci_sqlite_bound(s, sqlite3_bind_text(s->s, i, v, -1, SQLITE_TRANSIENT), err);
}

static int vci_sqlite_bind_blob(vci_db_stmt_t *s, int i, const void *v, size_t n,
				vci_err_t *err)
{
	if (!v)
		return vci_sqlite_bound(s, sqlite3_bind_null(s->s, i), err);
	return vci_sqlite_bound(s, sqlite3_bind_blob64(s->s, i, v, n, SQLITE_TRANSIENT), err);
}

static int vci_sqlite_step(vci_db_stmt_t *s, vci_err_t *err)
{
	int rc = sqlite3_step(s->s);

	switch (rc) {
	case SQLITE_ROW:
		return VCI_DB_ROW;
	case SQLITE_DONE:
		return VCI_DB_DONE;
	case SQLITE_CONSTRAINT_UNIQUE:
	case SQLITE_CONSTRAINT_PRIMARYKEY:
		return VCI_DB_UNIQUE;
	case SQLITE_CONSTRAINT_FOREIGNKEY:
		return VCI_DB_FOREIGN;
	default:
		return vci_sqlite_fail(s->h, "step", err);
	}
}

static int vci_sqlite_column_null(vci_db_stmt_t *s, int i)
{
	return sqlite3_column_type(s->s, i) == SQLITE_NULL;
}

static int64_t vci_sqlite_column_int(vci_db_stmt_t *s, int i)
{
	return sqlite3_column_int64(s->s, i);
}

static const char *vci_sqlite_column_text(vci_db_stmt_t *s, int i)
{
	return (const char *)sqlite3_column_text(s->s, i);
}

static const void *vci_sqlite_column_blob(vci_db_stmt_t *s, int i, size_t *len)
{
	const void *p = sqlite3_column_blob(s->s, i);

	*len = (size_t)sqlite3_column_bytes(s->s, i);
	return p;
}

const vci_db_driver_t vci_db_sqlite = {
	.name = "sqlite",
	.schema = vci_store_schema_sqlite,
	.locate = vci_sqlite_locate,
	.open = vci_sqlite_open,
	.close = vci_sqlite_close,
	.exec = vci_sqlite_exec,
	.begin = vci_sqlite_begin,
	.commit = vci_sqlite_commit,
	.rollback = vci_sqlite_rollback,
	.in_transaction = vci_sqlite_in_transaction,
	.changes = vci_sqlite_changes,
	.prepare = vci_sqlite_prepare,
	.finalize = vci_sqlite_finalize,
	.reset = vci_sqlite_reset,
	.bind_int = vci_sqlite_bind_int,
	.bind_text = vci_sqlite_bind_text,
	.bind_blob = vci_sqlite_bind_blob,
	.step = vci_sqlite_step,
	.column_null = vci_sqlite_column_null,
	.column_int = vci_sqlite_column_int,
	.column_text = vci_sqlite_column_text,
	.column_blob = vci_sqlite_column_blob,
};
