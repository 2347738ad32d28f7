/* driver.h - the thin database driver under the store: connections,
 * prepared statements, bind, step, columns and transactions. A driver
 * knows its engine's connection and dialect only; every store operation is
 * written once over this table (store.c, offers.c, issue.c, ...) (in the spirit of PowerDNS's
 * gsql ssql.hh and dovecot's sql-api-private.h).
 *
 * SQL given to a driver is written with ?1 ?2 ... placeholders (never $1:
 * SQLite reads $1 as a named parameter numbered by first use); a driver
 * whose engine spells them otherwise (PostgreSQL: $1) rewrites them in
 * prepare. SQL is the subset both engines agree on: RETURNING for single
 * use and allocation, SAVEPOINT / RELEASE SAVEPOINT / ROLLBACK TO
 * SAVEPOINT, CREATE TABLE IF NOT EXISTS.
 *
 * Thread safety: a vci_db_t and its statements are used by one thread at
 * a time (store.c hands each connection to one thread: the writer thread
 * or a reader taken from its pool). Different connections may be used by
 * different threads at once.
 *
 * Errors: functions taking a vci_err_t fill it ("store: what: engine's
 * message", VCI_EXIT_IO, code "server_error") on failure. An engine's
 * message never holds a bound value, so no secret reaches an error. */
#ifndef VCI_STORE_DRIVER_H
#define VCI_STORE_DRIVER_H

#include "base/common.h"

#include <stdint.h>

typedef struct vci_db vci_db_t;           /* one connection */
typedef struct vci_db_stmt vci_db_stmt_t; /* one prepared statement */

/* What step returns. */
enum {
	VCI_DB_ERROR = -1,   /* err filled */
	VCI_DB_DONE = 0,     /* no (more) rows: the statement has run */
	VCI_DB_ROW = 1,      /* a row is ready for the column functions */
	VCI_DB_UNIQUE = 2,   /* a UNIQUE or PRIMARY KEY constraint refused it */
	VCI_DB_FOREIGN = 3,  /* a FOREIGN KEY constraint refused it */
	VCI_DB_RETRY = 4,    /* err filled: a serialization failure or deadlock
			      * (PostgreSQL SQLSTATE 40001, 40P01); the
			      * transaction may be rolled back to a savepoint
			      * and the operation run again */
};

/* The role a connection is opened for. */
enum {
	VCI_DB_WRITER = 0,   /* the one connection that writes: durable commits */
	VCI_DB_READER = 1,   /* read only (SQLite: query_only under WAL) */
};

typedef struct vci_db_driver {
	const char *name;    /* "sqlite" */
	/* The schema as numbered migrations: blocks that each start with a
	 * line "-- version N" (N = 1, 2, ... in order), applied in order by
	 * vci_store_migrate; the last N is the version this build knows. */
	const char *schema;

	/* Map the store's `where` (after any "NAME:" prefix; is_dir when it
	 * named no driver, i.e. a state directory) to what open takes,
	 * preparing it (SQLite: the directory made 0700, DIR/vci.db created
	 * 0600). malloc'd, or NULL with err. */
	char *(*locate)(const char *where, int is_dir, vci_err_t *err);
	vci_db_t *(*open)(const char *location, int role, vci_err_t *err);
	void (*close)(vci_db_t *db);

	/* One or more statements without results or parameters. */
	int (*exec)(vci_db_t *db, const char *sql, vci_err_t *err);
	/* The write transaction (SQLite: BEGIN IMMEDIATE, which takes the
	 * write lock at once), its commit (durable on return) and rollback.
	 * vci_store_migrate runs inside begin/commit too: an engine where two
	 * processes could migrate at once serializes it there (PostgreSQL:
	 * pg_advisory_xact_lock). */
	int (*begin)(vci_db_t *db, vci_err_t *err);
	int (*commit)(vci_db_t *db, vci_err_t *err);
	int (*rollback)(vci_db_t *db, vci_err_t *err);
	/* 1 while a transaction is open; 0 once the engine rolled it back
	 * by itself after an error (disk full, I/O error). */
	int (*in_transaction)(vci_db_t *db);
	/* Rows changed by the last INSERT, UPDATE or DELETE. */
	int64_t (*changes)(vci_db_t *db);

	vci_db_stmt_t *(*prepare)(vci_db_t *db, const char *sql, vci_err_t *err);
	void (*finalize)(vci_db_stmt_t *s);
	/* Ready a statement to run again and clear its bindings. */
	void (*reset)(vci_db_stmt_t *s);
	/* Parameters count from 1. Text and blobs are copied. A NULL text
	 * or blob binds SQL NULL. The bind function used gives the
	 * parameter's type (int64, text, bytes), which a driver may pass on
	 * (PostgreSQL: paramTypes, as `INSERT ... SELECT ?1` leaves it
	 * unknown). */
	int (*bind_int)(vci_db_stmt_t *s, int i, int64_t v, vci_err_t *err);
	int (*bind_text)(vci_db_stmt_t *s, int i, const char *v, vci_err_t *err);
	int (*bind_blob)(vci_db_stmt_t *s, int i, const void *v, size_t n, vci_err_t *err);
	/* VCI_DB_ROW, VCI_DB_DONE, VCI_DB_UNIQUE, VCI_DB_FOREIGN or
	 * VCI_DB_ERROR, or VCI_DB_RETRY (PostgreSQL only: SQLite never needs
	 * a retry, with one writer per process and BEGIN IMMEDIATE; group.c
	 * commits the operations before it and runs it again in a fresh
	 * transaction). */
	int (*step)(vci_db_stmt_t *s, vci_err_t *err);
	/* Columns of the current row, counted from 0; text and blobs valid
	 * until the next step or reset. */
	int (*column_null)(vci_db_stmt_t *s, int i);
	int64_t (*column_int)(vci_db_stmt_t *s, int i);
	const char *(*column_text)(vci_db_stmt_t *s, int i);   /* NULL for NULL */
	const void *(*column_blob)(vci_db_stmt_t *s, int i, size_t *len);

	/* Optional (NULL: never needed). Take, inside the transaction
	 * vci_store_migrate opened, a lock that keeps other processes from
	 * migrating at the same time until it ends (PostgreSQL:
	 * pg_advisory_xact_lock; SQLite's BEGIN IMMEDIATE is that lock). */
	int (*lock_schema)(vci_db_t *db, vci_err_t *err);
	/* 1 when a statement of the open transaction failed, so that nothing
	 * more runs in it until a ROLLBACK TO SAVEPOINT (PostgreSQL; SQLite
	 * rolls a failed statement back alone). */
	int (*failed)(vci_db_t *db);
	/* 1 when the connection is lost (the server went away): nothing
	 * will work on it again; its owner closes it and opens another. */
	int (*broken)(vci_db_t *db);
	/* 1 when the last step returned VCI_DB_RETRY. */
	int (*retry)(vci_db_t *db);
} vci_db_driver_t;

extern const vci_db_driver_t vci_db_sqlite;
#ifdef VCI_WITH_PG
/* PostgreSQL (pg.c), built when configure finds libpq. */
extern const vci_db_driver_t vci_db_pg;
#endif

/* Bring the database on `db` to the newest version in `schema` (see
 * vci_db_driver_t.schema) in one write transaction: a schema_version table
 * records the versions applied. 0 on success; -1 with err: VCI_EXIT_INPUT
 * (code "schema_too_new") when the database is of a newer version than
 * `schema` knows, VCI_EXIT_IO otherwise. For store.c and the store tests. */
int vci_store_migrate(const vci_db_driver_t *drv, vci_db_t *db, const char *schema,
		      vci_err_t *err);

/* The schema version of `db` (0 for an empty database), or -1 with err. */
long vci_store_schema_version(const vci_db_driver_t *drv, vci_db_t *db, vci_err_t *err);

#endif
