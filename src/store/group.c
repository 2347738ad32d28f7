/* group.c - connections, the read pool and group commit.
 *
 * Every state change goes to one writer thread that owns the write
 * connection. It takes all the operations queued while its last commit
 * was being made durable, runs each in its own SAVEPOINT inside one
 * write transaction (so a failing operation is rolled back alone), commits
 * once (one fsync) and only then wakes their callers. Under load the queue
 * fills while the previous commit syncs, so many requests share a commit;
 * alone, a request waits for exactly one commit. Reads use pooled
 * connections of their own (under WAL they never wait for the writer) and
 * see every change whose operation has returned. */
#include "store/internal.h"

#include <string.h>
#include <time.h>

vci_store_conn_t *vci_store_conn_open(const vci_db_driver_t *drv, const char *location,
				      int role, vci_err_t *err)
{
	vci_store_conn_t *c = calloc(1, sizeof(*c));

	if (!c) {
		vci_err_oom(err);
		return NULL;
	}
	c->drv = drv;
	c->location = location;
	c->role = role;
	c->db = drv->open(location, role, err);
	if (!c->db) {
		free(c);
		return NULL;
	}
	return c;
}

static void vci_store_conn_drop(vci_store_conn_t *c)
{
	for (size_t i = 0; i < c->ncache; i++)
		c->drv->finalize(c->cache[i].stmt);
	c->ncache = 0;
	c->drv->close(c->db);
	c->db = NULL;
}

void vci_store_conn_close(vci_store_conn_t *c)
{
	if (!c)
		return;
	vci_store_conn_drop(c);
	free(c);
}

static int vci_store_conn_broken(vci_store_conn_t *c)
{
	return c->drv->broken && c->drv->broken(c->db);
}

int vci_store_conn_reopen(vci_store_conn_t *c, vci_err_t *err)
{
	vci_db_t *db = c->drv->open(c->location, c->role, err);

	if (!db)
		return -1;
	vci_store_conn_drop(c);
	c->db = db;
	return 0;
}

static vci_db_stmt_t *vci_store_stmt(vci_store_conn_t *c, const char *sql, vci_err_t *err)
{
	vci_db_stmt_t *s;

	for (size_t i = 0; i < c->ncache; i++)
		if (c->cache[i].sql == sql)
			return c->cache[i].stmt;
	if (c->ncache == VCI_STORE_STMTS) {
		vci_err_set(err, VCI_EXIT_IO, "server_error", "statement cache full");
		return NULL;
	}
	s = c->drv->prepare(c->db, sql, err);
	if (!s)
		return NULL;
	c->cache[c->ncache].sql = sql;
	c->cache[c->ncache].stmt = s;
	c->ncache++;
	return s;
}

static int vci_store_bind(vci_store_conn_t *c, vci_db_stmt_t *s, const char *fmt, va_list ap,
			  vci_err_t *err)
{
	const vci_db_driver_t *drv = c->drv;
	int rc = 0;

	for (int i = 1; *fmt && rc == 0; fmt++, i++) {
		switch (*fmt) {
		case 'h':
			rc = drv->bind_blob(s, i, va_arg(ap, const uint8_t *), VCI_STORE_HASH, err);
			break;
		case 't':
			rc = drv->bind_text(s, i, va_arg(ap, const char *), err);
			break;
		case 'i':
			rc = drv->bind_int(s, i, va_arg(ap, int64_t), err);
			break;
		default:
			rc = vci_err_set(err, VCI_EXIT_IO, "server_error",
					 "bad parameter type '%c'", *fmt);
		}
	}
	return rc;
}

static int vci_store_queryv(vci_store_conn_t *c, vci_db_stmt_t **out, vci_err_t *err,
			    const char *sql, const char *fmt, va_list ap)
{
	vci_db_stmt_t *s = vci_store_stmt(c, sql, err);
	int rc;

	*out = s;
	if (!s)
		return VCI_DB_ERROR;
	if (vci_store_bind(c, s, fmt, ap, err) < 0) {
		c->drv->reset(s);
		return VCI_DB_ERROR;
	}
	rc = c->drv->step(s, err);
	if (rc != VCI_DB_ROW)
		c->drv->reset(s);
	return rc;
}

/* A read on a pooled connection that was lost meanwhile (the database
 * server restarted) runs once more on a new connection: nothing was
 * changed, and the request need not fail. */
static int vci_store_read_again(vci_store_conn_t *c, int rc)
{
	return rc == VCI_DB_ERROR && c->role == VCI_DB_READER && vci_store_conn_broken(c) &&
	       vci_store_conn_reopen(c, NULL) == 0;
}

int vci_store_query(vci_store_conn_t *c, vci_db_stmt_t **out, vci_err_t *err, const char *sql,
		    const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = vci_store_queryv(c, out, err, sql, fmt, ap);
	va_end(ap);
	if (vci_store_read_again(c, rc)) {
		va_start(ap, fmt);
		rc = vci_store_queryv(c, out, err, sql, fmt, ap);
		va_end(ap);
	}
	return rc;
}

int vci_store_next(vci_store_conn_t *c, vci_db_stmt_t *s, vci_err_t *err)
{
	int rc = c->drv->step(s, err);

	if (rc != VCI_DB_ROW)
		c->drv->reset(s);
	return rc;
}

void vci_store_end(vci_store_conn_t *c, vci_db_stmt_t *s)
{
	c->drv->reset(s);
}

int vci_store_do(vci_store_conn_t *c, vci_err_t *err, const char *sql, const char *fmt, ...)
{
	vci_db_stmt_t *s;
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = vci_store_queryv(c, &s, err, sql, fmt, ap);
	va_end(ap);
	while (rc == VCI_DB_ROW)
		rc = vci_store_next(c, s, err);
	return rc;
}

int vci_store_one_row(vci_store_conn_t *c, vci_err_t *err, int none, const char *sql,
		      const char *fmt, ...)
{
	vci_db_stmt_t *s;
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = vci_store_queryv(c, &s, err, sql, fmt, ap);
	va_end(ap);
	if (rc != VCI_DB_ROW)
		return rc == VCI_DB_DONE ? none : -1;
	vci_store_end(c, s);
	return 0;
}

/* The read pool ----------------------------------------------------------*/

vci_store_conn_t *vci_store_reader(vci_store_t *st, vci_err_t *err)
{
	vci_store_conn_t *c;

	pthread_mutex_lock(&st->pool_mu);
	c = st->idle;
	if (c) {
		st->idle = c->next;
		st->nidle--;
	}
	pthread_mutex_unlock(&st->pool_mu);
	if (c)
		return c;
	return vci_store_conn_open(st->drv, st->location, VCI_DB_READER, err);
}

void vci_store_reader_put(vci_store_t *st, vci_store_conn_t *c)
{
	pthread_mutex_lock(&st->pool_mu);
	if (st->nidle < VCI_STORE_IDLE && !vci_store_conn_broken(c)) {
		c->next = st->idle;
		st->idle = c;
		st->nidle++;
		c = NULL;
	}
	pthread_mutex_unlock(&st->pool_mu);
	vci_store_conn_close(c);
}

void vci_store_readers_close(vci_store_t *st)
{
	while (st->idle) {
		vci_store_conn_t *c = st->idle;

		st->idle = c->next;
		vci_store_conn_close(c);
	}
	st->nidle = 0;
}

/* Group commit -----------------------------------------------------------*/

static const char vci_sql_savepoint[] = "SAVEPOINT vci_op";
static const char vci_sql_release[] = "RELEASE SAVEPOINT vci_op";
static const char vci_sql_rollback_to[] = "ROLLBACK TO SAVEPOINT vci_op";

static void vci_store_fail_jobs(vci_store_job_t *jobs, const vci_err_t *why)
{
	for (vci_store_job_t *j = jobs; j; j = j->next) {
		if (j->ret < 0)
			continue; /* keeps its own error */
		j->ret = -1;
		j->err = *why;
	}
}

/* One operation in its savepoint. Returns -1 when the transaction itself
 * is lost (the whole group fails), 1 when the operation met a
 * serialization failure or deadlock (drv->retry; rolled back to its
 * savepoint: the caller commits what came before it and runs it again in
 * a new transaction), 0 otherwise. A statement that failed inside the
 * operation leaves it rolled back to its savepoint (drv->failed). */
static int vci_store_run_job(vci_store_conn_t *w, vci_store_job_t *j, vci_err_t *err)
{
	const vci_db_driver_t *drv = w->drv;
	int again;

	if (vci_store_do(w, err, vci_sql_savepoint, "") != VCI_DB_DONE)
		return -1;
	j->ret = j->run(w, j->arg, &j->err);
	if (!drv->in_transaction(w->db)) {
		vci_err_set(err, VCI_EXIT_IO, "server_error",
			    "the transaction was rolled back: %s", j->err.msg);
		return -1;
	}
	again = j->ret < 0 && drv->retry && drv->retry(w->db);
	if (j->ret < 0 || j->ret == VCI_STORE_EXISTS || (drv->failed && drv->failed(w->db))) {
		if (vci_store_do(w, err, vci_sql_rollback_to, "") != VCI_DB_DONE)
			return -1;
	}
	if (vci_store_do(w, err, vci_sql_release, "") != VCI_DB_DONE)
		return -1;
	return again;
}

#define VCI_STORE_RETRIES 5  /* runs of one operation that meet a conflict */

/* Begin the write transaction on a connection that works: one lost (the
 * database server restarted) is opened again first. */
static int vci_store_begin(vci_store_conn_t *w, vci_err_t *err)
{
	if (vci_store_conn_broken(w) && vci_store_conn_reopen(w, err) < 0)
		return -1;
	if (w->drv->begin(w->db, err) == 0)
		return 0;
	if (!vci_store_conn_broken(w) || vci_store_conn_reopen(w, err) < 0)
		return -1;
	return w->drv->begin(w->db, err);
}

/* Run the jobs from j on in the open transaction; a job that must run
 * again commits those before it and runs in a new one. 0, or -1 with err
 * when the transaction failed (the jobs since the last commit fail). */
static int vci_store_run_jobs(vci_store_conn_t *w, vci_store_job_t **from, size_t *n,
			      vci_err_t *err)
{
	for (vci_store_job_t *j = *from; j; j = j->next, (*n)++) {
		int rc = 0;

		for (int tries = 0; tries < VCI_STORE_RETRIES; tries++) {
			rc = vci_store_run_job(w, j, err);
			if (rc != 1)
				break;
			if (w->drv->commit(w->db, err) < 0)
				return -1;
			*from = j; /* those before j are committed */
			if (vci_store_begin(w, err) < 0)
				return -1;
		}
		if (rc < 0)
			return -1;
	}
	return 0;
}

/* Run a group of operations in one transaction and commit it; *n is the
 * number of operations the commit held (0 when it failed). */
static void vci_store_run_group(vci_store_t *st, vci_store_job_t *jobs, size_t *n)
{
	vci_store_conn_t *w = st->writer;
	vci_store_job_t *from = jobs;
	vci_err_t err = { 0 };

	*n = 0;
	for (vci_store_job_t *j = jobs; j; j = j->next)
		j->ret = 0;
	if (vci_store_begin(w, &err) < 0) {
		vci_store_fail_jobs(jobs, &err);
		return;
	}
	if (vci_store_run_jobs(w, &from, n, &err) < 0 || w->drv->commit(w->db, &err) < 0) {
		w->drv->rollback(w->db, NULL);
		vci_store_fail_jobs(from, &err);
		*n = 0;
	}
}

/* Wake the callers of a committed (or failed) group: a waiting caller
 * by its condition variable, under st->mu; an asynchronous job's
 * on_done after st->mu is released (it may take other locks). Returns
 * the asynchronous jobs, to be finished by vci_store_finish_async. */
static vci_store_job_t *vci_store_wake(vci_store_t *st, vci_store_job_t *jobs)
{
	vci_store_job_t *async = NULL, **tail = &async;

	while (jobs) {
		vci_store_job_t *next = jobs->next;

		st->stats.queued--;
		if (jobs->on_done) {
			jobs->next = NULL;
			*tail = jobs;
			tail = &jobs->next;
		} else {
			jobs->done = 1; /* the caller may free it once woken */
			pthread_cond_signal(&jobs->cond);
		}
		jobs = next;
	}
	return async;
}

static void vci_store_finish_async(vci_store_job_t *jobs)
{
	while (jobs) {
		vci_store_job_t *next = jobs->next;

		if (jobs->ret < 0)
			vci_err_prefix(&jobs->err, "store: %s", jobs->name);
		jobs->on_done(jobs->done_arg, jobs->ret, jobs->ret < 0 ? &jobs->err : NULL);
		free(jobs);
		jobs = next;
	}
}

/* Under load, give the writes of requests still on their way a moment to
 * join the commit (PostgreSQL's commit_delay, but only when the last
 * commit held several writes, so a lone caller never waits): up to
 * VCI_STORE_GATHER_US, or until as many are queued as the last commit
 * held. Called with st->mu held and the queue not empty. */
#define VCI_STORE_GATHER_US 400

static void vci_store_gather(vci_store_t *st)
{
	struct timespec until;

	if (st->last_group < 2 || st->stats.queued >= st->last_group || st->stop)
		return;
	clock_gettime(CLOCK_MONOTONIC, &until);
	until.tv_nsec += VCI_STORE_GATHER_US * 1000L;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	while (st->stats.queued < st->last_group && !st->stop)
		if (pthread_cond_timedwait(&st->work, &st->mu, &until) != 0)
			break;
}

static void *vci_store_writer_main(void *arg)
{
	vci_store_t *st = arg;

	/* its own name, so ps -L, top -H and perf tell its CPU from the
	 * workers' (a name refused changes nothing) */
	pthread_setname_np(pthread_self(), "vci-store-write");
	pthread_mutex_lock(&st->mu);
	for (;;) {
		vci_store_job_t *jobs, *async;
		size_t n;

		while (!st->head && !st->stop)
			pthread_cond_wait(&st->work, &st->mu);
		if (!st->head)
			break;
		vci_store_gather(st);
		jobs = st->head;
		st->head = st->tail = NULL;
		pthread_mutex_unlock(&st->mu);

		vci_store_run_group(st, jobs, &n);

		pthread_mutex_lock(&st->mu);
		if (n) {
			st->stats.commits++;
			st->stats.writes += n;
		}
		st->last_group = n;
		async = vci_store_wake(st, jobs);
		if (async) {
			pthread_mutex_unlock(&st->mu);
			vci_store_finish_async(async);
			pthread_mutex_lock(&st->mu);
		}
	}
	pthread_mutex_unlock(&st->mu);
	return NULL;
}

int vci_store_group_start(vci_store_t *st, vci_err_t *err)
{
	if (pthread_create(&st->thread, NULL, vci_store_writer_main, st) != 0)
		return vci_err_set(err, VCI_EXIT_IO, "server_error",
				   "writer thread: cannot start");
	st->started = 1;
	return 0;
}

void vci_store_group_stop(vci_store_t *st)
{
	if (!st->started)
		return;
	pthread_mutex_lock(&st->mu);
	st->stop = 1;
	pthread_cond_signal(&st->work);
	pthread_mutex_unlock(&st->mu);
	pthread_join(st->thread, NULL);
	st->started = 0;
}

static void vci_store_enqueue(vci_store_t *st, vci_store_job_t *job)
{
	if (st->tail)
		st->tail->next = job;
	else
		st->head = job;
	st->tail = job;
	st->stats.queued++;
	pthread_cond_signal(&st->work);
}

int vci_store_write(vci_store_t *st, const char *name, vci_store_run_fn run, void *arg,
		    vci_err_t *err)
{
	vci_store_job_t job = { .run = run, .arg = arg, .name = name };

	pthread_cond_init(&job.cond, NULL);
	pthread_mutex_lock(&st->mu);
	vci_store_enqueue(st, &job);
	while (!job.done)
		pthread_cond_wait(&job.cond, &st->mu);
	pthread_mutex_unlock(&st->mu);
	pthread_cond_destroy(&job.cond);
	if (job.ret < 0 && err) {
		*err = job.err;
		vci_err_prefix(err, "store: %s", name);
	}
	return job.ret;
}

int vci_store_write_start(vci_store_t *st, const char *name, vci_store_run_fn run, void *arg,
			  size_t argsize, vci_store_done_fn on_done, void *done_arg,
			  vci_err_t *err)
{
	vci_store_job_t *job = calloc(1, sizeof(*job) + argsize);

	if (!job)
		return vci_err_oom(err), vci_err_prefix(err, "store: %s", name);
	job->run = run;
	job->arg = arg;
	if (argsize) {
		job->arg = job + 1;
		memcpy(job->arg, arg, argsize);
	}
	job->name = name;
	job->on_done = on_done;
	job->done_arg = done_arg;
	pthread_mutex_lock(&st->mu);
	vci_store_enqueue(st, job);
	pthread_mutex_unlock(&st->mu);
	return 0;
}
