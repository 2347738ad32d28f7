/* pg.c - the PostgreSQL driver of the store (driver.h), over libpq.
 *
 * A `where` of postgresql://... or postgres://... (a libpq URI) or
 * pg:CONNINFO (a libpq connection string, "host=/run/x dbname=vci") is
 * passed to PQconnectdbParams as it is (expand_dbname), after defaults
 * the location may override (connect_timeout 10). Errors are terse (the
 * primary message only: PostgreSQL's DETAIL lines can quote the values
 * of a refused row, and those are hashes of secrets) and notices are
 * dropped: the library never prints.
 *
 * Statements: the store's ?N placeholders become $N; a statement is
 * prepared on the server at its first step, with the parameter types of
 * the bind functions used (int8, text, bytea), and again under a new name
 * if a later step binds other types. Parameters and results travel in
 * binary format (no escaping; a bytea is its bytes), all rows of one
 * execution are fetched at once and stepped through.
 *
 * Transactions run at the server's isolation (READ COMMITTED by default:
 * single use and allocation are single UPDATE/DELETE ... RETURNING
 * statements, which re-check their WHERE on a row another transaction
 * changed meanwhile). SQLSTATE 40001 (serialization failure) and 40P01
 * (deadlock) step to VCI_DB_RETRY; a lost connection stays lost (broken)
 * until its owner opens a new one. Readers set
 * default_transaction_read_only. */
#include "store/driver.h"

#include <string.h>

#include <libpq-fe.h>

#define VCI_PG_MAX_PARAMS 64

/* The type OIDs the driver speaks (catalog/pg_type_d.h is server-side). */
#define VCI_PG_BOOL 16
#define VCI_PG_BYTEA 17
#define VCI_PG_INT8 20
#define VCI_PG_INT2 21
#define VCI_PG_INT4 23
#define VCI_PG_TEXT 25

/* An advisory lock key for migrations: "vcimig" */
#define VCI_PG_MIGRATE_LOCK 0x7663696d6967LL

extern const char vci_store_schema_pg[]; /* schema.pg.sql, generated */

struct vci_db {
	PGconn *conn;
	unsigned long names;     /* statements prepared on this connection */
	int64_t changes;
	int retry;               /* the last statement failed with 40001/40P01 */
	int lost;                /* the server ended the session (class 08, 57P0x) */
};

struct vci_db_stmt {
	vci_db_t *db;
	char *sql;               /* with $N */
	int nparams;
	char name[32];           /* "" until prepared */
	Oid prepared[VCI_PG_MAX_PARAMS];
	Oid types[VCI_PG_MAX_PARAMS];
	char *vals[VCI_PG_MAX_PARAMS];
	int lens[VCI_PG_MAX_PARAMS];
	int fmts[VCI_PG_MAX_PARAMS];
	PGresult *res;
	int row, nrows, ran;
	char num[32];            /* column_text of an integer column */
};

/* The primary message of a failure, without its trailing newline. A
 * failure that ends the session (connection exceptions, the server
 * shutting down: "terminating connection due to administrator command"
 * comes before libpq sees the socket close) marks the connection lost. */
static int vci_pg_fail(vci_db_t *db, const PGresult *res, const char *what, vci_err_t *err)
{
	const char *m = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
	const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	size_t n;

	if (db && state && (!strncmp(state, "08", 2) || !strncmp(state, "57P", 3)))
		db->lost = 1;

	if (!m || !*m)
		m = db && db->conn ? PQerrorMessage(db->conn) : "out of memory";
	n = strcspn(m, "\n");
	return vci_err_set(err, VCI_EXIT_IO, "server_error", "%s: %.*s", what, (int)n,
			   n ? m : "connection lost");
}

static char *vci_pg_locate(const char *where, int is_dir, vci_err_t *err)
{
	PQconninfoOption *opts;
	char *msg = NULL, *loc;

	if (!where || !*where) {
		vci_err_set(err, VCI_EXIT_IO, "server_error", "db: no connection string given");
		return NULL;
	}
	opts = PQconninfoParse(where, &msg);
	if (!opts) {
		/* libpq's message may quote a piece of it, password included */
		vci_err_set(err, msg ? VCI_EXIT_USAGE : VCI_EXIT_IO, "invalid_option",
			    "db: %s", msg ? "not a PostgreSQL URL or connection string libpq "
			    "accepts" : "out of memory");
		PQfreemem(msg);
		return NULL;
	}
	PQconninfoFree(opts);
	loc = strdup(where);
	if (!loc)
		vci_err_oom_at(err, "db");
	return loc;
}

static void vci_pg_quiet(void *arg, const char *message)
{
	(void)arg;
	(void)message; /* notices are not ours to print */
}

static int vci_pg_run(vci_db_t *db, const char *sql, const char *what, vci_err_t *err)
{
	PGresult *res = PQexec(db->conn, sql);
	ExecStatusType t = PQresultStatus(res);
	int rc = 0;

	if (t != PGRES_COMMAND_OK && t != PGRES_TUPLES_OK)
		rc = vci_pg_fail(db, res, what, err);
	PQclear(res);
	return rc;
}

static vci_db_t *vci_pg_open(const char *location, int role, vci_err_t *err)
{
	static const char *const keys[] = { "connect_timeout", "fallback_application_name",
					    "dbname", NULL };
	const char *vals[] = { "10", "vci-tools", location, NULL };
	vci_db_t *db = calloc(1, sizeof(*db));

	if (!db) {
		vci_err_oom_at(err, "db");
		return NULL;
	}
	db->conn = PQconnectdbParams(keys, vals, 1);
	if (!db->conn || PQstatus(db->conn) != CONNECTION_OK) {
		vci_pg_fail(db, NULL, "db: connect", err);
		PQfinish(db->conn);
		free(db);
		return NULL;
	}
	PQsetErrorVerbosity(db->conn, PQERRORS_TERSE);
	PQsetNoticeProcessor(db->conn, vci_pg_quiet, NULL);
	if (vci_pg_run(db, role == VCI_DB_READER ? "SET default_transaction_read_only = on"
						 : "SET default_transaction_read_only = off",
		       "db: settings", err) < 0) {
		PQfinish(db->conn);
		free(db);
		return NULL;
	}
	return db;
}

static void vci_pg_close(vci_db_t *db)
{
	if (!db)
		return;
	PQfinish(db->conn); /* its prepared statements go with it */
	free(db);
}

static int vci_pg_exec(vci_db_t *db, const char *sql, vci_err_t *err)
{
	return vci_pg_run(db, sql, "exec", err);
}

static int vci_pg_begin(vci_db_t *db, vci_err_t *err)
{
	return vci_pg_run(db, "BEGIN", "begin", err);
}

/* COMMIT of a transaction that failed answers ROLLBACK, without error. */
static int vci_pg_commit(vci_db_t *db, vci_err_t *err)
{
	PGresult *res = PQexec(db->conn, "COMMIT");
	int rc = 0;

	if (PQresultStatus(res) != PGRES_COMMAND_OK)
		rc = vci_pg_fail(db, res, "commit", err);
	else if (strcmp(PQcmdStatus(res), "COMMIT") != 0)
		rc = vci_err_set(err, VCI_EXIT_IO, "server_error",
				 "commit: the transaction failed and was rolled back");
	PQclear(res);
	return rc;
}

static int vci_pg_rollback(vci_db_t *db, vci_err_t *err)
{
	PGTransactionStatusType t = PQtransactionStatus(db->conn);

	if (t == PQTRANS_IDLE || t == PQTRANS_UNKNOWN)
		return 0; /* nothing open, or the connection is gone (and with it the transaction) */
	return vci_pg_run(db, "ROLLBACK", "rollback", err);
}

static int vci_pg_in_transaction(vci_db_t *db)
{
	PGTransactionStatusType t = PQtransactionStatus(db->conn);

	return t == PQTRANS_INTRANS || t == PQTRANS_INERROR || t == PQTRANS_ACTIVE;
}

static int vci_pg_failed(vci_db_t *db)
{
	return PQtransactionStatus(db->conn) == PQTRANS_INERROR;
}

static int vci_pg_broken(vci_db_t *db)
{
	return db->lost || PQstatus(db->conn) != CONNECTION_OK;
}

static int vci_pg_retry(vci_db_t *db)
{
	return db->retry;
}

static int vci_pg_lock_schema(vci_db_t *db, vci_err_t *err)
{
	char sql[64];

	snprintf(sql, sizeof(sql), "SELECT pg_advisory_xact_lock(%lld)", VCI_PG_MIGRATE_LOCK);
	return vci_pg_run(db, sql, "schema lock", err);
}

static int64_t vci_pg_changes(vci_db_t *db)
{
	return db->changes;
}

/* Copy sql with each ?N outside quotes and comments written $N; the
 * largest N is the parameter count. */
static char *vci_pg_rewrite(const char *sql, int *nparams, vci_err_t *err)
{
	char *out = malloc(strlen(sql) + 1), *o = out;
	char quote = 0;

	*nparams = 0;
	if (!out) {
		vci_err_oom_at(err, "prepare");
		return NULL;
	}
	for (const char *p = sql; *p; p++) {
		if (quote) {
			if (*p == quote)
				quote = 0;
		} else if (*p == '\'' || *p == '"') {
			quote = *p;
		} else if (*p == '-' && p[1] == '-') {
			size_t n = strcspn(p, "\n");

			memcpy(o, p, n);
			o += n;
			p += n - 1;
			continue;
		} else if (*p == '?' && p[1] >= '1' && p[1] <= '9') {
			int n = (int)strtol(p + 1, NULL, 10);

			if (n > *nparams)
				*nparams = n;
			*o++ = '$';
			continue;
		}
		*o++ = *p;
	}
	*o = '\0';
	if (*nparams > VCI_PG_MAX_PARAMS) {
		vci_err_set(err, VCI_EXIT_IO, "server_error", "prepare: more than %d parameters",
			    VCI_PG_MAX_PARAMS);
		free(out);
		return NULL;
	}
	return out;
}

static vci_db_stmt_t *vci_pg_prepare(vci_db_t *db, const char *sql, vci_err_t *err)
{
	vci_db_stmt_t *s = calloc(1, sizeof(*s));

	if (!s) {
		vci_err_oom_at(err, "prepare");
		return NULL;
	}
	s->db = db;
	s->sql = vci_pg_rewrite(sql, &s->nparams, err);
	if (!s->sql) {
		free(s);
		return NULL;
	}
	return s;
}

static void vci_pg_unbind(vci_db_stmt_t *s)
{
	for (int i = 0; i < s->nparams; i++) {
		free(s->vals[i]);
		s->vals[i] = NULL;
		s->lens[i] = 0;
		s->fmts[i] = 0;
		s->types[i] = 0;
	}
}

static void vci_pg_reset(vci_db_stmt_t *s)
{
	PQclear(s->res);
	s->res = NULL;
	s->row = s->nrows = s->ran = 0;
	vci_pg_unbind(s);
}

static void vci_pg_deallocate(vci_db_stmt_t *s)
{
	char sql[48];
	PGresult *res;

	if (!s->name[0] || PQstatus(s->db->conn) != CONNECTION_OK ||
	    PQtransactionStatus(s->db->conn) == PQTRANS_INERROR)
		return; /* gone with the connection, or with the transaction's end */
	snprintf(sql, sizeof(sql), "DEALLOCATE %s", s->name);
	res = PQexec(s->db->conn, sql);
	PQclear(res);
	s->name[0] = '\0';
}

static void vci_pg_finalize(vci_db_stmt_t *s)
{
	if (!s)
		return;
	vci_pg_reset(s);
	vci_pg_deallocate(s);
	free(s->sql);
	free(s);
}

static int vci_pg_param(vci_db_stmt_t *s, int i, Oid type, const void *v, size_t n, int binary,
			vci_err_t *err)
{
	if (i < 1 || i > s->nparams)
		return vci_err_set(err, VCI_EXIT_IO, "server_error", "bind: no parameter %d", i);
	if (n > INT32_MAX)
		return vci_err_set(err, VCI_EXIT_IO, "server_error", "bind: value too long");
	i--;
	free(s->vals[i]);
	s->vals[i] = NULL;
	s->types[i] = type;
	s->fmts[i] = binary;
	s->lens[i] = (int)n;
	if (!v)
		return 0;
	s->vals[i] = malloc(n + 1);
	if (!s->vals[i])
		return vci_err_oom_at(err, "bind");
	memcpy(s->vals[i], v, n);
	s->vals[i][n] = '\0';
	return 0;
}

static int vci_pg_bind_int(vci_db_stmt_t *s, int i, int64_t v, vci_err_t *err)
{
	uint64_t u = (uint64_t)v;
	unsigned char be[8];

	for (int k = 7; k >= 0; k--, u >>= 8)
		be[k] = (unsigned char)(u & 0xff);
	return vci_pg_param(s, i, VCI_PG_INT8, be, sizeof(be), 1, err);
}

static int vci_pg_bind_text(vci_db_stmt_t *s, int i, const char *v, vci_err_t *err)
{
	return vci_pg_param(s, i, VCI_PG_TEXT, v, v ? strlen(v) : 0, 0, err);
}

static int vci_pg_bind_blob(vci_db_stmt_t *s, int i, const void *v, size_t n, vci_err_t *err)
{
	return vci_pg_param(s, i, VCI_PG_BYTEA, v, n, 1, err);
}

/* Prepare on the server at the first step, or again when the types bound
 * differ from those prepared. */
static int vci_pg_ready(vci_db_stmt_t *s, vci_err_t *err)
{
	PGresult *res;
	int rc = 0;

	if (s->name[0] && !memcmp(s->prepared, s->types, sizeof(Oid) * (size_t)s->nparams))
		return 0;
	vci_pg_deallocate(s);
	snprintf(s->name, sizeof(s->name), "vci_%lu", ++s->db->names);
	res = PQprepare(s->db->conn, s->name, s->sql, s->nparams, s->types);
	if (PQresultStatus(res) != PGRES_COMMAND_OK) {
		rc = vci_pg_fail(s->db, res, "prepare", err);
		s->name[0] = '\0';
	} else {
		memcpy(s->prepared, s->types, sizeof(Oid) * (size_t)s->nparams);
	}
	PQclear(res);
	return rc;
}

/* What a failed statement's SQLSTATE means to the store. */
static int vci_pg_refused(vci_db_stmt_t *s, vci_err_t *err)
{
	const char *state = PQresultErrorField(s->res, PG_DIAG_SQLSTATE);

	if (state && !strcmp(state, "23505"))
		return VCI_DB_UNIQUE;
	if (state && !strcmp(state, "23503"))
		return VCI_DB_FOREIGN;
	vci_pg_fail(s->db, s->res, "step", err);
	if (state && (!strcmp(state, "40001") || !strcmp(state, "40P01"))) {
		s->db->retry = 1;
		return VCI_DB_RETRY;
	}
	return VCI_DB_ERROR;
}

static int vci_pg_step(vci_db_stmt_t *s, vci_err_t *err)
{
	const char *n;
	int rc;

	if (s->ran) {
		if (s->row + 1 < s->nrows) {
			s->row++;
			return VCI_DB_ROW;
		}
		return VCI_DB_DONE;
	}
	s->db->retry = 0;
	if (vci_pg_ready(s, err) < 0)
		return VCI_DB_ERROR;
	s->res = PQexecPrepared(s->db->conn, s->name, s->nparams, (const char *const *)s->vals,
				s->lens, s->fmts, 1);
	s->ran = 1;
	switch (PQresultStatus(s->res)) {
	case PGRES_TUPLES_OK:
	case PGRES_COMMAND_OK:
		n = PQcmdTuples(s->res);
		s->db->changes = n && *n ? strtoll(n, NULL, 10) : 0;
		s->nrows = PQntuples(s->res);
		return s->nrows > 0 ? VCI_DB_ROW : VCI_DB_DONE;
	default:
		rc = vci_pg_refused(s, err);
		PQclear(s->res);
		s->res = NULL;
		return rc;
	}
}

static int vci_pg_column_null(vci_db_stmt_t *s, int i)
{
	return !s->res || PQgetisnull(s->res, s->row, i);
}

static int64_t vci_pg_be(const unsigned char *p, int n)
{
	uint64_t u = 0;

	for (int k = 0; k < n; k++)
		u = (u << 8) | p[k];
	if (n < 8 && n > 0 && (p[0] & 0x80))
		u |= ~(uint64_t)0 << (8 * n); /* sign-extend int2 / int4 */
	return (int64_t)u;
}

static int64_t vci_pg_column_int(vci_db_stmt_t *s, int i)
{
	const unsigned char *p;
	int len;

	if (vci_pg_column_null(s, i))
		return 0;
	p = (const unsigned char *)PQgetvalue(s->res, s->row, i);
	len = PQgetlength(s->res, s->row, i);
	switch (PQftype(s->res, i)) {
	case VCI_PG_INT8:
	case VCI_PG_INT4:
	case VCI_PG_INT2:
		return len == 8 || len == 4 || len == 2 ? vci_pg_be(p, len) : 0;
	case VCI_PG_BOOL:
		return len == 1 && p[0];
	default:
		return strtoll((const char *)p, NULL, 10);
	}
}

static const char *vci_pg_column_text(vci_db_stmt_t *s, int i)
{
	Oid t;

	if (vci_pg_column_null(s, i))
		return NULL;
	t = PQftype(s->res, i);
	if (t == VCI_PG_INT8 || t == VCI_PG_INT4 || t == VCI_PG_INT2) {
		snprintf(s->num, sizeof(s->num), "%lld", (long long)vci_pg_column_int(s, i));
		return s->num;
	}
	return PQgetvalue(s->res, s->row, i); /* binary text is the text, NUL-terminated */
}

static const void *vci_pg_column_blob(vci_db_stmt_t *s, int i, size_t *len)
{
	if (vci_pg_column_null(s, i)) {
		*len = 0;
		return NULL;
	}
	*len = (size_t)PQgetlength(s->res, s->row, i);
	return PQgetvalue(s->res, s->row, i);
}

const vci_db_driver_t vci_db_pg = {
	.name = "postgresql",
	.schema = vci_store_schema_pg,
	.locate = vci_pg_locate,
	.open = vci_pg_open,
	.close = vci_pg_close,
	.exec = vci_pg_exec,
	.begin = vci_pg_begin,
	.commit = vci_pg_commit,
	.rollback = vci_pg_rollback,
	.in_transaction = vci_pg_in_transaction,
	.changes = vci_pg_changes,
	.prepare = vci_pg_prepare,
	.finalize = vci_pg_finalize,
	.reset = vci_pg_reset,
	.bind_int = vci_pg_bind_int,
	.bind_text = vci_pg_bind_text,
	.bind_blob = vci_pg_bind_blob,
	.step = vci_pg_step,
	.column_null = vci_pg_column_null,
	.column_int = vci_pg_column_int,
	.column_text = vci_pg_column_text,
	.column_blob = vci_pg_column_blob,
	.lock_schema = vci_pg_lock_schema,
	.failed = vci_pg_failed,
	.broken = vci_pg_broken,
	.retry = vci_pg_retry,
};
