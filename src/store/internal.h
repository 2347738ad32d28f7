/* internal.h - what the store's own files share (not for the server):
 * connections with their cached statements, the pool of read
 * connections, and the writer thread that runs every state change inside
 * one shared transaction (group commit). */
#ifndef VCI_STORE_INTERNAL_H
#define VCI_STORE_INTERNAL_H

#include "crypto/seal.h"
#include "store/driver.h"
#include "store/store.h"

#include <pthread.h>

#define VCI_STORE_STMTS 96   /* distinct SQL texts one connection caches */
#define VCI_STORE_IDLE 64    /* idle read connections kept open */

/* A connection and its prepared statements, keyed by the address of
 * their SQL text (store.c's SQL is static const). Used by one thread at a
 * time: the writer thread, or whoever took it from the read pool. */
typedef struct vci_store_conn {
	const vci_db_driver_t *drv;
	vci_db_t *db;
	const char *location;        /* the store's, to connect again */
	int role;
	struct {
		const char *sql;
		vci_db_stmt_t *stmt;
	} cache[VCI_STORE_STMTS];
	size_t ncache;
	struct vci_store_conn *next; /* read pool link */
} vci_store_conn_t;

/* A state change: runs on the writer connection inside its own savepoint.
 * Returns 0 or a VCI_STORE_* value (kept: its changes are committed),
 * VCI_STORE_EXISTS (its changes are rolled back: nothing recorded) or -1
 * with err (rolled back). */
typedef int (*vci_store_run_fn)(vci_store_conn_t *c, void *arg, vci_err_t *err);

typedef struct vci_store_job {
	vci_store_run_fn run;
	void *arg;
	int ret;
	int done;
	vci_err_t err;
	pthread_cond_t cond;             /* a waiting caller's (no on_done) */
	const char *name;
	vci_store_done_fn on_done;       /* an asynchronous job's (heap) */
	void *done_arg;
	struct vci_store_job *next;
} vci_store_job_t;

struct vci_store {
	const vci_db_driver_t *drv;
	char *location;
	/* The key that seals each offer's Credential Offer (store.c), read
	 * from key_path at open, cleansed at close; read only after open. */
	uint8_t offer_key[VCI_SEAL_KEY];
	char *key_path;
	vci_store_conn_t *writer;

	pthread_t thread;
	int started;
	pthread_mutex_t mu;            /* queue, stop, stats */
	pthread_cond_t work;
	vci_store_job_t *head, *tail;
	int stop;
	vci_store_stats_t stats;
	uint64_t last_group;           /* writes the last commit held */

	pthread_mutex_t pool_mu;       /* idle read connections */
	vci_store_conn_t *idle;
	size_t nidle;
};

/* Errors: the driver and group.c say "what: why"; store.c adds
 * "store: OPERATION: " once, as each public operation fails. */

/* Connections (group.c). */
vci_store_conn_t *vci_store_conn_open(const vci_db_driver_t *drv, const char *location,
				      int role, vci_err_t *err);
void vci_store_conn_close(vci_store_conn_t *c);
/* Open c's connection again after it was lost (drv->broken): its
 * statements are dropped with the old one. 0, or -1 with err (c keeps
 * the lost connection, and is tried again next time). */
int vci_store_conn_reopen(vci_store_conn_t *c, vci_err_t *err);
/* A read connection from the pool (opened when none is idle), and its
 * return (a lost connection is closed, not pooled). */
vci_store_conn_t *vci_store_reader(vci_store_t *st, vci_err_t *err);
void vci_store_reader_put(vci_store_t *st, vci_store_conn_t *c);
void vci_store_readers_close(vci_store_t *st);

/* Run `sql` with parameters described by fmt, one letter each: 'h' a
 * hash (const uint8_t *, VCI_STORE_HASH bytes, NULL binds NULL), 't' text
 * (const char *, NULL binds NULL), 'i' an int64_t. Returns VCI_DB_ROW with
 * *out at the first row (read its columns, then vci_store_end), or
 * VCI_DB_DONE / VCI_DB_UNIQUE / VCI_DB_FOREIGN / VCI_DB_ERROR with the
 * statement already reset. */
int vci_store_query(vci_store_conn_t *c, vci_db_stmt_t **out, vci_err_t *err, const char *sql,
		    const char *fmt, ...);
/* The next row of a query: VCI_DB_ROW, or anything else with the
 * statement reset. */
int vci_store_next(vci_store_conn_t *c, vci_db_stmt_t *s, vci_err_t *err);
void vci_store_end(vci_store_conn_t *c, vci_db_stmt_t *s);
/* vci_store_query without a row to read (the statement runs to its end). */
int vci_store_do(vci_store_conn_t *c, vci_err_t *err, const char *sql, const char *fmt, ...);
/* A write of one row that says with RETURNING whether it happened: 0 for
 * a row (its columns unread), `none` when there is none (the row was not
 * there, or a conflict was skipped), -1 with err when the statement
 * failed. */
int vci_store_one_row(vci_store_conn_t *c, vci_err_t *err, int none, const char *sql,
		      const char *fmt, ...);

/* The writer thread (group.c): started once the schema is current,
 * stopped by vci_store_close after the queue is drained. */
int vci_store_group_start(vci_store_t *st, vci_err_t *err);
void vci_store_group_stop(vci_store_t *st);
/* Queue a state change and wait until it is committed (or failed); an
 * error is prefixed "store: NAME: ". */
int vci_store_write(vci_store_t *st, const char *name, vci_store_run_fn run, void *arg,
		    vci_err_t *err);

/* vci_store_write's asynchronous form (the _start functions): the job
 * is queued and on_done(done_arg, ret, err) called on the writer thread
 * once it is committed or failed (the error prefixed "store: NAME: ").
 * argsize > 0: arg is copied into the job (the caller's copy may go);
 * 0: arg is used as it is and must stay valid until on_done. 0, or -1
 * with err (out of memory; on_done not called). */
int vci_store_write_start(vci_store_t *st, const char *name, vci_store_run_fn run, void *arg,
			  size_t argsize, vci_store_done_fn on_done, void *done_arg,
			  vci_err_t *err);

/* PREFIX + 16 random bytes, base64url, into id (store.c): 0, or -1 with
 * err when the random generator fails. For event and webhook ids. */
int vci_store_prefixed_id(const char *prefix, char id[VCI_STORE_ID], vci_err_t *err);
/* Events (store.c): the outbox rows of one lifecycle event, one per
 * webhook subscribed to `type`, written on the writer connection inside
 * the calling operation (so in its transaction). offer_id NULL: the
 * exchange's. data: a JSON object text, or NULL for {}. */
int vci_store_event(vci_store_conn_t *c, const char *type, const char *exchange_id,
		    const char *offer_id, const char *data, int64_t now, vci_err_t *err);

/* The writer side of vci_store_exchange_issued (issue.c), which
 * vci_store_deferred_issued runs in its own transaction too. */
struct vci_store_issued {
	const char *id, *issued, *notification_id;
	const char *const *uris;
	const uint64_t *idx;
	size_t n;
	int64_t now;
};
int vci_store_exchange_issued_run(vci_store_conn_t *c, void *arg, vci_err_t *err);

/* Reads (read.c), for every driver: a row's columns read by the caller's
 * function, on a pooled read connection taken and given back inside. */

/* A text column into a fixed buffer (NULL: ""; cut at size - 1 bytes). */
void vci_store_copy(char *dst, size_t size, const char *src);
/* A text column's malloc'd copy, or NULL for NULL; out of memory: NULL,
 * and *fail set (-1, err filled) unless already set. */
char *vci_store_dup(const char *s, vci_err_t *err, int *fail);

/* Read the current row of s into out (its columns valid until the next
 * step): 0, or -1 with err (out of memory). */
typedef int (*vci_store_row_fn)(const vci_db_driver_t *drv, vci_db_stmt_t *s, void *out,
				vci_err_t *err);
/* The current row of s as a new JSON object, or NULL (out of memory, or
 * a column that is not what it should be). */
typedef json_t *(*vci_store_json_fn)(const vci_db_driver_t *drv, vci_db_stmt_t *s);

/* A lookup: the first row of `sql`, whose one parameter is key (fmt "t":
 * a string, "h": a hash of VCI_STORE_HASH bytes; see vci_store_query),
 * read by row into out (row NULL: that there is a row is all the caller
 * asks). row's 0; VCI_STORE_NOTFOUND when there is no row; -1 with err
 * prefixed "store: OP: " (out may be partly filled: the caller clears
 * it). */
int vci_store_get(vci_store_t *st, const char *op, const char *sql, const char *fmt,
		  const void *key, vci_store_row_fn row, void *out, vci_err_t *err);
/* The rows of a query vci_store_query started (its return rc and s), each
 * appended to list as row makes it: 0 when they are all read; -1 with err
 * (out of memory, or the driver's error). The statement is reset either
 * way. */
int vci_store_rows_json(vci_store_conn_t *c, vci_db_stmt_t *s, int rc, vci_store_json_fn row,
			json_t *list, vci_err_t *err);
/* A listing: every row of `sql` (no parameters) as a JSON array in *out
 * (the caller's reference). 0, or -1 with err prefixed "store: OP: " and
 * *out NULL. */
int vci_store_list(vci_store_t *st, const char *op, const char *sql, vci_store_json_fn row,
		   json_t **out, vci_err_t *err);
/* A listing of a query with parameters, or of several: fill(c, arg,
 * list, err) runs on a pooled read connection and appends the rows to
 * list (a new array; vci_store_rows_json appends a query's rows), 0 or
 * -1 with err. 0 with *out the list (the caller's reference), or -1 with
 * err prefixed "store: OP: " and *out NULL. */
typedef int (*vci_store_fill_fn)(vci_store_conn_t *c, void *arg, json_t *list, vci_err_t *err);
int vci_store_list_on(vci_store_t *st, const char *op, vci_store_fill_fn fill, void *arg,
		      json_t **out, vci_err_t *err);

/* Shared by the store's files (store.c): a refused argument
 * (VCI_EXIT_INPUT, "invalid_request", "store: OP: WHAT"); a failed
 * operation's error prefixed "store: OP" once (returns rc); an id of
 * printable ASCII shorter than VCI_STORE_ID. */
int vci_store_bad(vci_err_t *err, const char *op, const char *what);
/* A state-changing statement's step result: 0 (done, or a row), a
 * refused unique value VCI_STORE_EXISTS, a missing referenced row
 * VCI_STORE_NOTFOUND, -1 otherwise (store.c). */
int vci_store_changed(int rc);
int vci_store_read_fail(int rc, vci_err_t *err, const char *op);
int vci_store_id_ok(const char *id);
/* The credential configuration an issuance record (JSON text) names, for
 * the offers' config_id column: its credential_configuration_id, or else
 * the first of its credential_configuration_ids; malloc'd, or NULL when
 * it names none, the text is not a JSON object, or out of memory
 * (*fail set). store.c; its callers write offers (offers.c, authz.c). */
char *vci_store_record_config(const char *record, int *fail);
/* A store opened without its offer key file (vci_store_open_key with
 * NULL on a database server) seals and opens no offer: the error of
 * trying, VCI_EXIT_IO (store.c; offers.c). */
int vci_store_no_key(vci_err_t *err);

/* A pre-authorized code to redeem (offers.c; issue.c's token grant and
 * authz.c's issuer_state offer use it too): its hash, the tx_code's hash
 * or NULL, the time, and the id the new exchange takes. */
struct vci_store_redeem {
	const uint8_t *code_hash, *tx_hash;
	int64_t now;
	const char *exchange_id;
};
/* On the writer's connection, inside an operation's savepoint: redeem
 * the code of `arg` (a struct vci_store_redeem): 0 with the exchange
 * made, VCI_STORE_NOTFOUND, VCI_STORE_TX_WRONG, _TX_DEAD, _TX_MISSING or
 * _TX_UNEXPECTED, -1 with err. */
int vci_store_redeem_run(vci_store_conn_t *c, void *arg, vci_err_t *err);
/* Spend the offer `offer_id` (still 'offered') and make the exchange of
 * r->exchange_id from it, with its offer.redeemed event: 0,
 * VCI_STORE_NOTFOUND (spent meanwhile) or -1 with err. */
int vci_store_redeem_spend(vci_store_conn_t *c, const struct vci_store_redeem *r,
			   const char *offer_id, vci_err_t *err);

#endif
