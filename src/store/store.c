/* store.c - opening and closing a store (its driver, schema migration,
 * writer thread and the key file that seals offers), the helpers every
 * store file shares (hashes, ids, argument errors), and the sweep of
 * expired rows. The operations themselves are written once over the
 * driver (driver.h) in files by topic: offers.c, issue.c, apikeys.c,
 * authz.c, flow.c, manage.c, status.c, read.c. State changes run on the
 * writer thread (group.c) inside their own savepoint of a shared
 * transaction; reads use a pooled connection. Single use and allocation
 * are single statements (DELETE ... RETURNING, UPDATE ... RETURNING) so
 * they stay correct when several processes share one database. */
#include "store/internal.h"
#include "base/b64url.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/rand.h>

/* Which driver a `where` names: "NAME:REST" for a known driver (keep:
 * the prefix is part of what the driver takes, as in a URL), else a state
 * directory for SQLite. */
static const struct {
	const char *prefix;
	int keep;
	const vci_db_driver_t *drv;
} vci_store_drivers[] = {
	{ "sqlite:", 0, &vci_db_sqlite },
#ifdef VCI_WITH_PG
	{ "postgresql://", 1, &vci_db_pg },
	{ "postgres://", 1, &vci_db_pg },
	{ "pg:", 0, &vci_db_pg },
#endif
};

/* The prefixes of drivers this build may lack, so that their `where` is
 * not taken for a directory name. */
static const char *const vci_store_known[] = { "postgresql://", "postgres://", "pg:" };

int vci_store_hash(const void *secret, size_t len, uint8_t out[VCI_STORE_HASH])
{
	unsigned int n = 0;

	if (!EVP_Digest(secret, len, out, &n, EVP_sha256(), NULL) || n != VCI_STORE_HASH) {
		OPENSSL_cleanse(out, VCI_STORE_HASH);
		return -1;
	}
	return 0;
}

int vci_store_bad(vci_err_t *err, const char *op, const char *what)
{
	return vci_err_set(err, VCI_EXIT_INPUT, "invalid_request", "store: %s: %s", op, what);
}

/* A read that failed: its error named once. Returns rc. */
int vci_store_read_fail(int rc, vci_err_t *err, const char *op)
{
	if (rc < 0)
		vci_err_prefix(err, "store: %s", op);
	return rc;
}

/* An id of printable ASCII, shorter than VCI_STORE_ID. */
int vci_store_id_ok(const char *id)
{
	size_t n = id ? strlen(id) : 0;

	if (n == 0 || n >= VCI_STORE_ID)
		return 0;
	for (; *id; id++)
		if (*id <= 0x20 || *id >= 0x7f)
			return 0;
	return 1;
}

/* A fresh id: 16 bytes, base64url (22 characters): the time in
 * milliseconds (6 bytes, big-endian) then 10 random bytes (80 bits). Ids
 * made close in time share their first characters, so an index keyed by
 * them takes the ids of one commit on a few neighbouring pages instead of
 * one page each (every page a commit changes is one WAL frame written).
 * The first byte stays below 0x80 until the year 6429, so the id starts
 * with A-Z or a-f, never '-' or '_': an id given to a shell command must
 * not read as an option. */
int vci_store_id_new(char id[VCI_STORE_ID], vci_err_t *err)
{
	struct timespec ts;
	uint64_t ms;
	uint8_t r[16];

	if (clock_gettime(CLOCK_REALTIME, &ts) != 0 || RAND_bytes(r + 6, 10) != 1)
		return vci_err_ssl(err, VCI_EXIT_IO, "server_error", "store: new id: random id");
	ms = (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
	vci_put_be(r, ms, 6);
	r[0] &= 0x7f;
	vci_b64url_encode_to(id, r, sizeof(r));
	return 0;
}

/* The result of a statement that changes state: a refused unique value is
 * VCI_STORE_EXISTS, a missing referenced row VCI_STORE_NOTFOUND. */
int vci_store_changed(int rc)
{
	switch (rc) {
	case VCI_DB_DONE:
	case VCI_DB_ROW:
		return 0;
	case VCI_DB_UNIQUE:
		return VCI_STORE_EXISTS;
	case VCI_DB_FOREIGN:
		return VCI_STORE_NOTFOUND;
	default:
		return -1;
	}
}

char *vci_store_record_config(const char *record, int *fail)
{
	json_auto_t *rec = record ? json_loads(record, JSON_REJECT_DUPLICATES, NULL) : NULL;
	const char *id = json_string_value(json_object_get(rec, "credential_configuration_id"));
	char *dup;

	if (!id)
		id = json_string_value(json_array_get(json_object_get(rec,
							"credential_configuration_ids"), 0));
	if (!id)
		return NULL;
	dup = strdup(id);
	if (!dup)
		*fail = 1;
	return dup;
}

int vci_store_prefixed_id(const char *prefix, char id[VCI_STORE_ID], vci_err_t *err)
{
	uint8_t r[16];
	size_t n = strlen(prefix);

	if (RAND_bytes(r, sizeof(r)) != 1)
		return vci_err_ssl(err, VCI_EXIT_IO, "server_error", "random id");
	memcpy(id, prefix, n);
	vci_b64url_encode_to(id + n, r, sizeof(r));
	return 0;
}

/* Events -----------------------------------------------------------------*/

/* The pattern is built in SQL, not bound as `LIKE ?7`: SQLite re-prepares
 * a statement whose LIKE pattern is a bound parameter each time its value
 * changes (its LIKE optimisation depends on the value). */
static const char vci_sql_event[] =
	"INSERT INTO outbox (event_id, webhook_id, type, exchange_id, offer_id, data, created_at,"
	" next_at) SELECT ?1, w.id, ?2, ?3, COALESCE(?4, (SELECT offer_id FROM exchanges"
	" WHERE id = ?3)), ?5, ?6, ?6 FROM webhooks w WHERE w.events = '*'"
	" OR w.events LIKE '%\"' || ?2 || '\"%'";

int vci_store_event(vci_store_conn_t *c, const char *type, const char *exchange_id,
		    const char *offer_id, const char *data, int64_t now, vci_err_t *err)
{
	char id[VCI_STORE_ID];

	if (vci_store_prefixed_id("evt_", id, err) < 0)
		return -1;
	if (vci_store_do(c, err, vci_sql_event, "ttttti", id, type, exchange_id, offer_id,
			 data ? data : "{}", now) != VCI_DB_DONE)
		return -1;
	return 0;
}

/* Open and close ---------------------------------------------------------*/

static const vci_db_driver_t *vci_store_driver(const char *where, const char **rest,
					       int *is_dir, vci_err_t *err)
{
	for (size_t i = 0; i < sizeof(vci_store_drivers) / sizeof(vci_store_drivers[0]); i++) {
		size_t n = strlen(vci_store_drivers[i].prefix);

		if (strncmp(where, vci_store_drivers[i].prefix, n) == 0) {
			*rest = vci_store_drivers[i].keep ? where : where + n;
			*is_dir = 0;
			return vci_store_drivers[i].drv;
		}
	}
	for (size_t i = 0; i < sizeof(vci_store_known) / sizeof(vci_store_known[0]); i++) {
		if (strncmp(where, vci_store_known[i], strlen(vci_store_known[i])) == 0) {
			vci_err_set(err, VCI_EXIT_USAGE, "invalid_option",
				    "db: this build has no PostgreSQL driver (configure "
				    "--with-postgresql, with libpq-dev installed)");
			return NULL;
		}
	}
	*rest = where;
	*is_dir = 1;
	return &vci_db_sqlite;
}

int vci_store_is_db(const char *where)
{
	for (size_t i = 0; i < sizeof(vci_store_known) / sizeof(vci_store_known[0]); i++)
		if (where && strncmp(where, vci_store_known[i], strlen(vci_store_known[i])) == 0)
			return 1;
	return 0;
}

/* The offer key: 32 bytes in a file beside the database (store.h), made
 * once with RAND_priv_bytes. SQLite: DIR/offer.key, or PATH.key for
 * "sqlite:PATH". */
#define VCI_STORE_KEY_FILE "offer.key"

static int vci_store_key_fail(vci_err_t *err, const char *path, const char *why)
{
	return vci_err_set(err, VCI_EXIT_IO, "server_error", "state: %s: %s", path, why);
}

static int vci_store_key_bad(vci_err_t *err, const char *path, const char *why)
{
	return vci_err_set(err, VCI_EXIT_KEY, "invalid_key", "state: %s: offer key: %s", path,
			   why);
}

/* Read the key file: 0, 1 when there is none, -1 with err for one that
 * cannot be read or is not a key: not a regular file, not 32 bytes, or
 * open to group or others (its mode must be 0600 or stricter). */
static int vci_store_key_read(const char *path, uint8_t key[VCI_SEAL_KEY], vci_err_t *err)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), rc = 0;
	struct stat sb;
	uint8_t extra;
	size_t got = 0;

	if (fd < 0)
		return errno == ENOENT ? 1 : vci_store_key_fail(err, path, strerror(errno));
	if (fstat(fd, &sb) != 0)
		rc = vci_store_key_fail(err, path, strerror(errno));
	else if (!S_ISREG(sb.st_mode))
		rc = vci_store_key_bad(err, path, "not a regular file");
	else if (sb.st_mode & 077)
		rc = vci_store_key_bad(err, path, "open to group or others (chmod 600 it)");
	else if (sb.st_size != VCI_SEAL_KEY)
		rc = vci_store_key_bad(err, path, "not 32 bytes (a damaged or foreign file)");
	while (rc == 0 && got < VCI_SEAL_KEY) {
		ssize_t n = read(fd, key + got, VCI_SEAL_KEY - got);

		if (n <= 0 && !(n < 0 && errno == EINTR))
			rc = n < 0 ? vci_store_key_fail(err, path, strerror(errno))
				   : vci_store_key_bad(err, path, "not 32 bytes");
		got += n > 0 ? (size_t)n : 0;
	}
	if (rc == 0 && read(fd, &extra, 1) != 0)
		rc = vci_store_key_bad(err, path, "not 32 bytes");
	close(fd);
	if (rc < 0)
		OPENSSL_cleanse(key, VCI_SEAL_KEY);
	return rc;
}

/* fsync the directory holding path, so that a new name in it is durable. */
static int vci_store_key_syncdir(const char *path)
{
	char *copy = strdup(path);
	int fd = copy ? open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
	int rc = fd >= 0 && fsync(fd) == 0 ? 0 : -1;

	if (fd >= 0)
		close(fd);
	free(copy);
	return rc;
}

/* Write 32 random bytes to a new file (O_EXCL, 0600), fsync it and link it
 * to path: the key appears whole or not at all. When another process made
 * path first, its key is kept (link fails with EEXIST). */
static int vci_store_key_make(const char *path, vci_err_t *err)
{
	uint8_t key[VCI_SEAL_KEY];
	char *tmp = NULL;
	int fd, ok, e;

	if (asprintf(&tmp, "%s.XXXXXX", path) < 0)
		return vci_err_oom_at(err, path), vci_err_prefix(err, "state");
	fd = mkstemp(tmp); /* O_CREAT | O_EXCL, mode 0600 */
	if (fd < 0) {
		e = errno;
		free(tmp);
		return vci_store_key_fail(err, path, strerror(e));
	}
	errno = 0;
	ok = fchmod(fd, 0600) == 0 && RAND_priv_bytes(key, sizeof(key)) == 1 &&
	     write(fd, key, sizeof(key)) == (ssize_t)sizeof(key) && fsync(fd) == 0;
	OPENSSL_cleanse(key, sizeof(key));
	e = errno;
	close(fd);
	if (ok && link(tmp, path) != 0 && errno != EEXIST) {
		e = errno;
		ok = 0;
	}
	unlink(tmp);
	free(tmp);
	if (!ok)
		return vci_store_key_fail(err, path, e ? strerror(e) : "cannot make the offer key");
	if (vci_store_key_syncdir(path) < 0)
		return vci_store_key_fail(err, path, "cannot sync its directory");
	return 0;
}

int vci_store_no_key(vci_err_t *err)
{
	return vci_err_set(err, VCI_EXIT_IO, "server_error",
			   "no offer key file was given (hosts sharing a database share one: "
			   "--offer-key FILE)");
}

/* Read the key file named for this store: 0, 1 when there is none yet
 * (made by vci_store_key_new once the database is open), 2 when the
 * store has no key (a database server opened without one), -1 with err. */
static int vci_store_key_load(vci_store_t *st, const char *rest, int is_dir,
			      const char *key_path, vci_err_t *err)
{
	if (key_path)
		st->key_path = strdup(key_path);
	else if (st->drv != &vci_db_sqlite)
		return 2; /* no key: offers are neither sealed nor opened */
	else if ((is_dir ? asprintf(&st->key_path, "%s/%s", rest, VCI_STORE_KEY_FILE)
			 : asprintf(&st->key_path, "%s.key", rest)) < 0)
		st->key_path = NULL;
	if (!st->key_path)
		return vci_err_oom_at(err, "state");
	return vci_store_key_read(st->key_path, st->offer_key, err);
}

/* A row sealed under an offer key (the plain JSON of older rows starts
 * with '{'). */
static const char vci_sql_offer_sealed[] =
	"SELECT offer_id FROM offers WHERE offer NOT LIKE '{%' LIMIT 1";

/* No key file: a new key, unless the database holds offers sealed under
 * a key it had (a lost or misplaced key file): a new key would open none
 * of them, so the store refuses to open and names the file. */
static int vci_store_key_new(vci_store_t *st, vci_err_t *err)
{
	vci_db_stmt_t *s;
	int rc = vci_store_query(st->writer, &s, err, vci_sql_offer_sealed, "");

	if (rc == VCI_DB_ROW) {
		vci_store_end(st->writer, s);
		return vci_err_set(err, VCI_EXIT_KEY, "invalid_key", "state: %s: offer key: "
				   "missing, and the database holds offers sealed under it: "
				   "restore the file from the backup it was taken with (a new "
				   "key would open none of them)", st->key_path);
	}
	if (rc != VCI_DB_DONE)
		return -1;
	if (vci_store_key_make(st->key_path, err) < 0)
		return -1;
	return vci_store_key_read(st->key_path, st->offer_key, err) == 0 ? 0 : -1;
}

static int vci_store_start(vci_store_t *st, const char *where, const char *key_path,
			   vci_err_t *err)
{
	const char *rest;
	int is_dir, key;

	st->drv = vci_store_driver(where, &rest, &is_dir, err);
	if (!st->drv)
		return -1;
	st->location = st->drv->locate(rest, is_dir, err);
	if (!st->location || (key = vci_store_key_load(st, rest, is_dir, key_path, err)) < 0)
		return -1;
	st->writer = vci_store_conn_open(st->drv, st->location, VCI_DB_WRITER, err);
	if (!st->writer)
		return -1;
	if (vci_store_migrate(st->drv, st->writer->db, st->drv->schema, err) < 0)
		return -1;
	if (key == 1 && vci_store_key_new(st, err) < 0)
		return -1;
	return vci_store_group_start(st, err);
}

/* The writer thread's wake-up, timed on the monotonic clock (group.c
 * waits on it a bounded time to gather writes). */
static void vci_store_work_init(vci_store_t *st)
{
	pthread_condattr_t ca;

	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&st->work, &ca);
	pthread_condattr_destroy(&ca);
}

vci_store_t *vci_store_open(const char *where, vci_err_t *err)
{
	return vci_store_open_key(where, NULL, err);
}

vci_store_t *vci_store_open_key(const char *where, const char *key_path, vci_err_t *err)
{
	vci_store_t *st = calloc(1, sizeof(*st));

	if (!where || !*where) {
		vci_err_set(err, VCI_EXIT_IO, "server_error", "state: no directory given");
		free(st);
		return NULL;
	}
	if (!st) {
		vci_err_oom_at(err, where), vci_err_prefix(err, "state");
		return NULL;
	}
	pthread_mutex_init(&st->mu, NULL);
	vci_store_work_init(st);
	pthread_mutex_init(&st->pool_mu, NULL);
	if (vci_store_start(st, where, key_path, err) < 0) {
		/* a URL or connection string may hold a password: not shown */
		if (vci_store_is_db(where) && strncmp(err->msg, "db: ", 4) != 0)
			vci_err_prefix(err, "db");
		else if (!vci_store_is_db(where) && strncmp(err->msg, "state: ", 7) != 0)
			vci_err_prefix(err, "state: %s", where);
		vci_store_close(st);
		return NULL;
	}
	return st;
}

void vci_store_close(vci_store_t *st)
{
	if (!st)
		return;
	vci_store_group_stop(st);
	vci_store_conn_close(st->writer);
	vci_store_readers_close(st);
	pthread_mutex_destroy(&st->mu);
	pthread_cond_destroy(&st->work);
	pthread_mutex_destroy(&st->pool_mu);
	OPENSSL_cleanse(st->offer_key, sizeof(st->offer_key));
	free(st->key_path);
	free(st->location);
	free(st);
}

void vci_store_stats(vci_store_t *st, vci_store_stats_t *out)
{
	pthread_mutex_lock(&st->mu);
	*out = st->stats;
	pthread_mutex_unlock(&st->mu);
}

/* Housekeeping -----------------------------------------------------------*/

/* offer.expired for each unredeemed offer the sweep deletes (flow.c's
 * event rows, written here as one statement over the offers); once only
 * when hosts sharing a database sweep at the same time. */
static const char vci_sql_sweep_expired[] =
	"INSERT INTO outbox (event_id, webhook_id, type, offer_id, data, created_at, next_at)"
	" SELECT 'exp-' || o.offer_id, w.id, 'offer.expired', o.offer_id,"
	" '{\"expires_at\":' || o.expires_at || '}', ?1, ?1 FROM offers o, webhooks w"
	" WHERE o.state = 'offered' AND o.expires_at <> 0 AND o.expires_at <= ?1"
	" AND (w.events = '*' OR w.events LIKE '%\"offer.expired\"%')"
	" ON CONFLICT (event_id, webhook_id) DO NOTHING";

static const char *const vci_sql_sweep[] = {
	"DELETE FROM spent_nonces WHERE expires_at <= ?1",
	"DELETE FROM jtis WHERE expires_at <= ?1",
	"DELETE FROM authz WHERE expires_at <= ?1",
	"DELETE FROM logins WHERE expires_at <= ?1",
	"DELETE FROM refresh_tokens WHERE expires_at <= ?1",
	"DELETE FROM offers WHERE state <> 'redeemed' AND expires_at <> 0 AND expires_at <= ?1",
};

struct vci_store_sweep {
	int64_t now;
	long deleted;
};

static int vci_store_sweep_run(vci_store_conn_t *c, void *arg, vci_err_t *err)
{
	struct vci_store_sweep *a = arg;

	a->deleted = 0;
	if (vci_store_do(c, err, vci_sql_sweep_expired, "i", a->now) != VCI_DB_DONE)
		return -1;
	for (size_t i = 0; i < sizeof(vci_sql_sweep) / sizeof(vci_sql_sweep[0]); i++) {
		if (vci_store_do(c, err, vci_sql_sweep[i], "i", a->now) != VCI_DB_DONE)
			return -1;
		a->deleted += (long)c->drv->changes(c->db);
	}
	return 0;
}

long vci_store_sweep(vci_store_t *st, int64_t now, vci_err_t *err)
{
	struct vci_store_sweep a = { now, 0 };

	if (vci_store_write(st, "sweep", vci_store_sweep_run, &a, err) < 0)
		return -1;
	return a.deleted;
}
