/* store.c - each store operation written once over the driver (driver.h).
 * State changes run on the writer thread (group.c) inside their own
 * savepoint of a shared transaction; reads use a pooled connection.
 * Single use and allocation are single statements (DELETE ... RETURNING,
 * UPDATE ... RETURNING) so they stay correct when several processes share
 * one database. */
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

/* A store opened without its offer key file (vci_store_open_key with
 * NULL on a database server) seals and opens no offer. */
static int vci_store_no_key(vci_err_t *err)
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

/* Offers -----------------------------------------------------------------*/

static const char vci_sql_offer_put[] =
	"INSERT INTO offers (offer_id, code_hash, tx_code_hash, tx_attempts_max, created_at,"
	" expires_at, issuer_state, offer, record, issuer_state_hash, config_id)"
	" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)";

static int vci_store_offer_put_run(vci_store_conn_t *c, void *arg, vci_err_t *err)
{
	const vci_store_offer_t *o = arg;
	uint8_t st_hash[VCI_STORE_HASH];
	int rc, fail = 0;
	char_auto_t *config = vci_store_record_config(o->record, &fail);

	if (fail || (o->issuer_state &&
		     vci_store_hash(o->issuer_state, strlen(o->issuer_state), st_hash) < 0))
		return vci_err_oom(err);
	rc = vci_store_changed(vci_store_do(c, err, vci_sql_offer_put, "thhiiitttht",
					    o->offer_id, o->code_hash, o->tx_code_hash,
					    (int64_t)o->tx_attempts_max, o->created_at,
					    o->expires_at, NULL, o->offer, o->record,
					    o->issuer_state ? st_hash : NULL, config));

	if (rc != 0)
		return rc;
	return vci_store_event(c, "offer.created", NULL, o->offer_id, NULL, o->created_at, err);
}

/* The Credential Offer carries the pre-authorized code: the row holds it
 * sealed (crypto/seal.h) under the offer key, bound to the offer id. */
int vci_store_offer_put(vci_store_t *st, const vci_store_offer_t *o, vci_err_t *err)
{
	vci_store_offer_t row;
	char *sealed;
	int rc;

	if (!vci_store_id_ok(o->offer_id))
		return vci_store_bad(err, "offer_put", "offer_id: empty, too long or not printable");
	if (!o->offer || !o->record)
		return vci_store_bad(err, "offer_put", "no offer or record");
	if (!st->key_path)
		return vci_store_no_key(err), vci_err_prefix(err, "store: offer_put");
	sealed = vci_seal(st->offer_key, o->offer_id, strlen(o->offer_id), o->offer,
			  strlen(o->offer), err);
	if (!sealed) {
		if (err && err->status != VCI_EXIT_INPUT)
			vci_err_set(err, VCI_EXIT_IO, "server_error", "cannot seal the offer");
		return vci_err_prefix(err, "store: offer_put");
	}
	row = *o;
	row.offer = sealed;
	rc = vci_store_write(st, "offer_put", vci_store_offer_put_run, &row, err);
	free(sealed);
	return rc;
}

static const char vci_sql_offer_get[] =
	"SELECT offer FROM offers WHERE offer_id = ?1 AND (expires_at = 0 OR expires_at > ?2)";

/* The offer column: sealed (always, since offers are sealed), or a
 * row written before that, plain JSON ('{'), served as it is. */
static int vci_store_offer_open(vci_store_t *st, const char *offer_id, const char *text,
				char **offer, vci_err_t *err)
{
	uint8_t *plain = NULL;
	size_t len = 0;
	int fail = 0;

	if (text && text[0] == '{') {
		*offer = vci_store_dup(text, err, &fail);
		return fail ? -1 : 0;
	}
	if (!st->key_path)
		return vci_store_no_key(err);
	if (!text || vci_seal_open(st->offer_key, offer_id, strlen(offer_id), text, strlen(text),
				   &plain, &len, NULL) < 0)
		return vci_err_set(err, VCI_EXIT_IO, "server_error",
				   "offer %s: cannot be opened with the key in %s (the row was "
				   "changed, or sealed under another key file)", offer_id,
				   st->key_path);
	*offer = (char *)plain;
	return 0;
}

int vci_store_offer_get(vci_store_t *st, const char *offer_id, int64_t now, char **offer,
			vci_err_t *err)
{
	vci_store_conn_t *c = vci_store_reader(st, err);
	vci_db_stmt_t *s;
	int rc;

	*offer = NULL;
	if (!c)
		return vci_store_read_fail(-1, err, "offer_get");
	rc = vci_store_query(c, &s, err, vci_sql_offer_get, "ti", offer_id, now);
	if (rc == VCI_DB_ROW) {
		rc = vci_store_offer_open(st, offer_id, c->drv->column_text(s, 0), offer, err);
		vci_store_end(c, s);
	} else {
		rc = rc == VCI_DB_DONE ? VCI_STORE_NOTFOUND : -1;
	}
	vci_store_reader_put(st, c);
	return vci_store_read_fail(rc, err, "offer_get");
}

/* Redeem -----------------------------------------------------------------*/

struct vci_store_redeem {
	const uint8_t *code_hash, *tx_hash;
	int64_t now;
	const char *exchange_id;
};

static const char vci_sql_redeem_find[] =
	"SELECT offer_id, tx_code_hash FROM offers WHERE code_hash = ?1 AND state = 'offered'"
	" AND (expires_at = 0 OR expires_at > ?2)";
static const char vci_sql_redeem_wrong[] =
	"UPDATE offers SET tx_attempts = tx_attempts + 1, state = CASE WHEN tx_attempts + 1 >="
	" tx_attempts_max THEN 'dead' ELSE state END WHERE offer_id = ?1 AND state = 'offered'"
	" RETURNING state";
static const char vci_sql_redeem_spend[] =
	"UPDATE offers SET state = 'redeemed', redeemed_at = ?2 WHERE offer_id = ?1"
	" AND state = 'offered' RETURNING offer_id";
static const char vci_sql_exchange_new[] =
	"INSERT INTO exchanges (id, offer_id, state, record, created_at, updated_at)"
	" SELECT ?1, offer_id, 'offer_redeemed', record, ?2, ?2 FROM offers WHERE offer_id = ?3";

/* Count a wrong tx_code: VCI_STORE_TX_WRONG, or VCI_STORE_TX_DEAD when it
 * reached the cap. */
static int vci_store_redeem_wrong(vci_store_conn_t *c, const char *offer_id, vci_err_t *err)
{
	vci_db_stmt_t *s;
	int rc = vci_store_query(c, &s, err, vci_sql_redeem_wrong, "t", offer_id), dead;

	if (rc != VCI_DB_ROW)
		return rc == VCI_DB_DONE ? VCI_STORE_NOTFOUND : -1;
	dead = strcmp(c->drv->column_text(s, 0), "dead") == 0;
	vci_store_end(c, s);
	return dead ? VCI_STORE_TX_DEAD : VCI_STORE_TX_WRONG;
}

static int vci_store_redeem_spend(vci_store_conn_t *c, const struct vci_store_redeem *r,
				  const char *offer_id, vci_err_t *err)
{
	/* no row: the offer was spent meanwhile */
	int rc = vci_store_one_row(c, err, VCI_STORE_NOTFOUND, vci_sql_redeem_spend, "ti",
				   offer_id, r->now);

	if (rc != 0)
		return rc;
	rc = vci_store_do(c, err, vci_sql_exchange_new, "tit", r->exchange_id, r->now, offer_id);
	if (rc != VCI_DB_DONE)
		return -1;
	return vci_store_event(c, "offer.redeemed", r->exchange_id, offer_id, NULL, r->now, err);
}

static int vci_store_redeem_run(vci_store_conn_t *c, void *arg, vci_err_t *err)
{
	const struct vci_store_redeem *r = arg;
	char offer_id[VCI_STORE_ID];
	vci_db_stmt_t *s;
	const void *tx;
	size_t txlen = 0;
	int rc, right, asked;

	rc = vci_store_query(c, &s, err, vci_sql_redeem_find, "hi", r->code_hash, r->now);
	if (rc != VCI_DB_ROW)
		return rc == VCI_DB_DONE ? VCI_STORE_NOTFOUND : -1;
	vci_store_copy(offer_id, sizeof(offer_id), c->drv->column_text(s, 0));
	tx = c->drv->column_null(s, 1) ? NULL : c->drv->column_blob(s, 1, &txlen);
	right = !tx || (r->tx_hash && txlen == VCI_STORE_HASH &&
			CRYPTO_memcmp(tx, r->tx_hash, VCI_STORE_HASH) == 0);
	asked = tx != NULL;
	vci_store_end(c, s); /* tx is the statement's: not read after this */
	if (!asked && r->tx_hash)
		return VCI_STORE_TX_UNEXPECTED;
	if (asked && !r->tx_hash)
		return VCI_STORE_TX_MISSING;
	if (!right)
		return vci_store_redeem_wrong(c, offer_id, err);
	return vci_store_redeem_spend(c, r, offer_id, err);
}

int vci_store_code_redeem(vci_store_t *st, const uint8_t code_hash[VCI_STORE_HASH],
			  const uint8_t *tx_hash, int64_t now, char exchange_id[VCI_STORE_ID],
			  vci_err_t *err)
{
	char id[VCI_STORE_ID];
	struct vci_store_redeem r = { code_hash, tx_hash, now, id };
	int rc;

	if (vci_store_id_new(id, err) < 0)
		return -1;
	rc = vci_store_write(st, "code_redeem", vci_store_redeem_run, &r, err);
	if (rc == 0)
		vci_store_copy(exchange_id, VCI_STORE_ID, id);
	return rc;
}

/* The authorization code flow -------------------------------------------*/

static const char vci_sql_par_put[] =
	"INSERT INTO authz (request_hash, client_id, redirect_uri, code_challenge, dpop_jkt,"
	" issuer_state_hash, configs, created_at, expires_at, client_state)"
	" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)";

static int vci_store_par_put_run(vci_store_conn_t *c, void *arg, vci_err_t *err)
{
	const vci_store_par_t *p = arg;

	return vci_store_changed(vci_store_do(c, err, vci_sql_par_put, "htttthtiit",
					      p->request_hash, p->client_id, p->redirect_uri,
					      p->code_challenge, p->dpop_jkt,
					      p->issuer_state_hash, p->configs, p->created_at,
					      p->expires_at, p->state));
}

int vci_store_par_put(vci_store_t *st, const vci_store_par_t *p, vci_err_t *err)
{
	if (!p->client_id || !p->redirect_uri || !p->code_challenge || !p->dpop_jkt ||
	    !p->configs)
		return vci_store_bad(err, "par_put", "incomplete request");
	return vci_store_write(st, "par_put", vci_store_par_put_run, (void *)p, err);
}

struct vci_store_authorize {
	const uint8_t *request_hash, *code_hash;
	const char *client_id;
	int64_t now, code_expires_at;
	const char *exchange_id;       /* the id a new exchange takes */
	vci_store_authz_t *out;
};

static const char vci_sql_authorize_find[] =
	"UPDATE authz SET state = 'authorized' WHERE request_hash = ?1 AND state = 'pushed'"
	" AND expires_at > ?2 RETURNING client_id, redirect_uri, issuer_state_hash, configs,"
	" client_state";
static const char vci_sql_authorize_offer[] =
	"SELECT offer_id FROM offers WHERE issuer_state_hash = ?1 AND state = 'offered'"
	" AND (expires_at = 0 OR expires_at > ?2)";
static const char vci_sql_authorize_code[] =
	"UPDATE authz SET code_hash = ?2, exchange_id = ?3, expires_at = ?4"
	" WHERE request_hash = ?1";

/* The offer of an issuer_state, spent, and its exchange made. */
static int vci_store_authorize_offer(vci_store_conn_t *c, const struct vci_store_authorize *a,
				     const uint8_t *st_hash, vci_err_t *err)
{
	struct vci_store_redeem r = { NULL, NULL, a->now, a->exchange_id };
	char offer_id[VCI_STORE_ID];
	vci_db_stmt_t *s;
	int rc = vci_store_query(c, &s, err, vci_sql_authorize_offer, "hi", st_hash, a->now);

	if (rc != VCI_DB_ROW)
		return rc == VCI_DB_DONE ? VCI_STORE_NOTFOUND : -1;
	vci_store_copy(offer_id, sizeof(offer_id), c->drv->column_text(s, 0));
	vci_store_end(c, s);
	return vci_store_redeem_spend(c, &r, offer_id, err);
}

static int vci_store_authorize_run(vci_store_conn_t *c, void *arg, vci_err_t *err)
{
	struct vci_store_authorize *a = arg;
	uint8_t st_hash[VCI_STORE_HASH];
	const void *h;
	size_t hlen = 0;
	vci_db_stmt_t *s;
	int rc, same, fail = 0;

	rc = vci_store_query(c, &s, err, vci_sql_authorize_find, "hi", a->request_hash, a->now);
	if (rc != VCI_DB_ROW)
		return rc == VCI_DB_DONE ? VCI_STORE_NOTFOUND : -1;
	same = !strcmp(c->drv->column_text(s, 0), a->client_id);
	vci_store_copy(a->out->redirect_uri, sizeof(a->out->redirect_uri),
		       c->drv->column_text(s, 1));
	h = c->drv->column_null(s, 2) ? NULL : c->drv->column_blob(s, 2, &hlen);
	if (h && hlen == VCI_STORE_HASH)
		memcpy(st_hash, h, VCI_STORE_HASH);
	a->out->configs = vci_store_dup(c->drv->column_text(s, 3), err, &fail);
	if (!c->drv->column_null(s, 4))
		a->out->state = vci_store_dup(c->drv->column_text(s, 4), err, &fail);
	vci_store_end(c, s);
	if (fail)
		return -1;
	if (!same)   /* spent all the same: a request_uri is tried once */
		return VCI_STORE_TX_WRONG;
	if (!h || hlen != VCI_STORE_HASH)
		return VCI_STORE_TX_DEAD;   /* no issuer_state: no exchange to bind */
	rc = vci_store_authorize_offer(c, a, st_hash, err);
	if (rc != 0)
		return rc == VCI_STORE_NOTFOUND ? VCI_STORE_TX_DEAD : rc;
	rc = vci_store_do(c, err, vci_sql_authorize_code, "hhti", a->request_hash, a->code_hash,
			  a->exchange_id, a->code_expires_at);
	return vci_store_changed(rc);
}

int vci_store_authorize(vci_store_t *st, const uint8_t request_hash[VCI_STORE_HASH],
			const char *client_id, const uint8_t code_hash[VCI_STORE_HASH],
			int64_t now, int64_t code_expires_at, vci_store_authz_t *out,
			vci_err_t *err)
{
	char id[VCI_STORE_ID];
	struct vci_store_authorize a = { request_hash, code_hash, client_id, now,
					 code_expires_at, id, out };
	int rc;

	memset(out, 0, sizeof(*out));
	if (vci_store_id_new(id, err) < 0)
		return -1;
	rc = vci_store_write(st, "authorize", vci_store_authorize_run, &a, err);
	if (rc == 0)
		vci_store_copy(out->exchange_id, VCI_STORE_ID, id);
	else if (rc < 0)
		vci_store_authz_clear(out);
	return rc;
}

static const char vci_sql_authz_code_take[] =
	"UPDATE authz SET state = 'redeemed' WHERE code_hash = ?1 AND state = 'authorized'"
	" AND expires_at > ?2 RETURNING client_id, redirect_uri, code_challenge, dpop_jkt,"
	" configs, exchange_id";

static int vci_store_authz_code_run(vci_store_conn_t *c, void *arg, vci_err_t *err)
{
	struct vci_store_authorize *a = arg;
	vci_store_authz_t *o = a->out;
	vci_db_stmt_t *s;
	int rc, fail = 0;

	rc = vci_store_query(c, &s, err, vci_sql_authz_code_take, "hi", a->code_hash, a->now);
	if (rc != VCI_DB_ROW)
		return rc == VCI_DB_DONE ? VCI_STORE_NOTFOUND : -1;
	vci_store_copy(o->client_id, sizeof(o->client_id), c->drv->column_text(s, 0));
	vci_store_copy(o->redirect_uri, sizeof(o->redirect_uri), c->drv->column_text(s, 1));
	vci_store_copy(o->code_challenge, sizeof(o->code_challenge), c->drv->column_text(s, 2));
	vci_store_copy(o->dpop_jkt, sizeof(o->dpop_jkt), c->drv->column_text(s, 3));
	o->configs = vci_store_dup(c->drv->column_text(s, 4), err, &fail);
	vci_store_copy(o->exchange_id, sizeof(o->exchange_id), c->drv->column_text(s, 5));
	vci_store_end(c, s);
	return fail ? -1 : 0;
}

int vci_store_authz_code_take(vci_store_t *st, const uint8_t code_hash[VCI_STORE_HASH],
			      int64_t now, vci_store_authz_t *out, vci_err_t *err)
{
	struct vci_store_authorize a = { NULL, code_hash, NULL, now, 0, NULL, out };
	int rc;

	memset(out, 0, sizeof(*out));
	rc = vci_store_write(st, "authz_code_take", vci_store_authz_code_run, &a, err);
	if (rc != 0)
		vci_store_authz_clear(out);
	return rc;
}

void vci_store_authz_clear(vci_store_authz_t *a)
{
	free(a->configs);
	free(a->state);
	memset(a, 0, sizeof(*a));
}

/* Access tokens ----------------------------------------------------------
 * None here: an access token is sealed (crypto/atoken.h) and carries its
 * exchange, key binding and expiry, so issuing one writes nothing and the
 * endpoints that take one read no row of it (schema version 8 dropped the
 * tokens table of earlier versions). */

/* Single-use values ------------------------------------------------------*/

/* A single-use value: its hash, kept until expires_at. */
struct vci_store_once {
	const uint8_t *hash;
	int64_t expires_at;
};

static const char vci_sql_jti_use[] = "INSERT INTO jtis (hash, expires_at) VALUES (?1, ?2)";
/* A sealed c_nonce spent: a row the first time, none for a replay (no
 * statement fails, so the rest of the operation may stay). */
static const char vci_sql_nonce_spend[] =
	"INSERT INTO spent_nonces (hash, expires_at) VALUES (?1, ?2)"
	" ON CONFLICT (hash) DO NOTHING RETURNING hash";

static int vci_store_jti_use_run(vci_store_conn_t *c, void *arg, vci_err_t *err)
{
	const struct vci_store_once *o = arg;

	return vci_store_changed(vci_store_do(c, err, vci_sql_jti_use, "hi", o->hash,
					      o->expires_at));
}

static int vci_store_nonce_spend_run(vci_store_conn_t *c, void *arg, vci_err_t *err)
{
	const struct vci_store_once *o = arg;

	return vci_store_one_row(c, err, VCI_STORE_EXISTS, vci_sql_nonce_spend, "hi", o->hash,
				 o->expires_at);
}

int vci_store_nonce_spend(vci_store_t *st, const uint8_t hash[VCI_STORE_HASH],
			  int64_t expires_at, vci_err_t *err)
{
	struct vci_store_once o = { hash, expires_at };

	return vci_store_write(st, "nonce_spend", vci_store_nonce_spend_run, &o, err);
}

int vci_store_jti_use(vci_store_t *st, const uint8_t hash[VCI_STORE_HASH], int64_t expires_at,
		      vci_err_t *err)
{
	struct vci_store_once o = { hash, expires_at };

	return vci_store_write(st, "jti_use", vci_store_jti_use_run, &o, err);
}

/* Exchanges --------------------------------------------------------------*/

static const char vci_sql_exchange_get[] =
	"SELECT id, offer_id, state, record, issued, notification_id, description, created_at,"
	" updated_at FROM exchanges WHERE id = ?1";

static int vci_store_exchange_row(const vci_db_driver_t *drv, vci_db_stmt_t *s, void *out,
				  vci_err_t *err)
{
	vci_store_exchange_t *x = out;
	int fail = 0;

	vci_store_copy(x->id, sizeof(x->id), drv->column_text(s, 0));
	vci_store_copy(x->offer_id, sizeof(x->offer_id), drv->column_text(s, 1));
	vci_store_copy(x->state, sizeof(x->state), drv->column_text(s, 2));
	x->record = vci_store_dup(drv->column_text(s, 3), err, &fail);
	x->issued = vci_store_dup(drv->column_text(s, 4), err, &fail);
	vci_store_copy(x->notification_id, sizeof(x->notification_id), drv->column_text(s, 5));
	x->description = vci_store_dup(drv->column_text(s, 6), err, &fail);
	x->created_at = drv->column_int(s, 7);
	x->updated_at = drv->column_int(s, 8);
	return fail ? -1 : 0;
}

int vci_store_exchange_get(vci_store_t *st, const char *id, vci_store_exchange_t *out,
			   vci_err_t *err)
{
	int rc;

	memset(out, 0, sizeof(*out));
	if (!id)
		return VCI_STORE_NOTFOUND;
	rc = vci_store_get(st, "exchange_get", vci_sql_exchange_get, "t", id,
			   vci_store_exchange_row, out, err);
	if (rc < 0)
		vci_store_exchange_clear(out);
	return rc;
}

void vci_store_exchange_clear(vci_store_exchange_t *x)
{
	if (!x)
		return;
	free(x->record);
	free(x->issued);
	free(x->description);
	memset(x, 0, sizeof(*x));
}

static const char vci_sql_exchange_issued[] =
	"UPDATE exchanges SET state = 'credential_issued', issued = ?2, notification_id = ?3,"
	" updated_at = ?4 WHERE id = ?1 RETURNING id";
static const char vci_sql_status_add[] =
	"INSERT INTO status (uri, idx, exchange_id, issued_at) VALUES (?1, ?2, ?3, ?4)";

int vci_store_exchange_issued_run(vci_store_conn_t *c, void *arg, vci_err_t *err)
{
	const struct vci_store_issued *a = arg;
	vci_db_stmt_t *s;
	int rc = vci_store_query(c, &s, err, vci_sql_exchange_issued, "ttti", a->id, a->issued,
				 a->notification_id, a->now);

	if (rc != VCI_DB_ROW)
		return rc == VCI_DB_DONE ? VCI_STORE_NOTFOUND : vci_store_changed(rc);
	vci_store_end(c, s);
	for (size_t i = 0; i < a->n; i++) {
		rc = vci_store_changed(vci_store_do(c, err, vci_sql_status_add, "titi", a->uris[i],
						    (int64_t)a->idx[i], a->id, a->now));
		if (rc != 0)
			return rc;
	}
	return vci_store_event(c, "credential.issued", a->id, NULL, a->issued, a->now, err);
}

int vci_store_exchange_issued(vci_store_t *st, const char *id, const char *issued,
			      const char *notification_id, const char *const *status_uris,
			      const uint64_t *status_idx, size_t nstatus, int64_t now,
			      vci_err_t *err)
{
	struct vci_store_issued a = { id, issued, notification_id, status_uris, status_idx,
				      nstatus, now };

	if (!vci_store_id_ok(id) || !vci_store_id_ok(notification_id))
		return vci_store_bad(err, "exchange_issued", "no id or notification id");
	for (size_t i = 0; i < nstatus; i++)
		if (!status_uris[i] || !*status_uris[i] || status_idx[i] > INT64_MAX)
			return vci_store_bad(err, "exchange_issued", "bad status entry");
	return vci_store_write(st, "exchange_issued", vci_store_exchange_issued_run, &a, err);
}

struct vci_store_notify {
	const char *notification_id, *state, *description;
	int64_t now;
};

static const char vci_sql_exchange_notify[] =
	"UPDATE exchanges SET state = ?2, description = ?3, updated_at = ?4"
	" WHERE notification_id = ?1 RETURNING id, offer_id";

static int vci_store_exchange_notify_run(vci_store_conn_t *c, void *arg, vci_err_t *err)
{
	const struct vci_store_notify *a = arg;
	vci_db_stmt_t *s;
	int rc = vci_store_query(c, &s, err, vci_sql_exchange_notify, "ttti", a->notification_id,
				 a->state, a->description, a->now);
	char id[VCI_STORE_ID], offer_id[VCI_STORE_ID], type[48];
	json_t *data;
	char *text;

	if (rc != VCI_DB_ROW)
		return rc == VCI_DB_DONE ? VCI_STORE_NOTFOUND : -1;
	vci_store_copy(id, sizeof(id), c->drv->column_text(s, 0));
	vci_store_copy(offer_id, sizeof(offer_id), c->drv->column_text(s, 1));
	vci_store_end(c, s);
	/* credential_accepted -> credential.accepted */
	snprintf(type, sizeof(type), "credential.%s",
		 strncmp(a->state, "credential_", 11) ? a->state : a->state + 11);
	data = a->description ? json_pack("{s:s}", "description", a->description) : json_object();
	text = data ? json_dumps(data, JSON_COMPACT) : NULL;
	json_decref(data);
	if (!text)
		return vci_err_oom(err);
	rc = vci_store_event(c, type, id, offer_id, text, a->now, err);
	free(text);
	return rc;
}

int vci_store_exchange_notify(vci_store_t *st, const char *notification_id, const char *state,
			      const char *description, int64_t now, vci_err_t *err)
{
	struct vci_store_notify a = { notification_id, state, description, now };

	if (!notification_id)
		return VCI_STORE_NOTFOUND;
	if (!state || !*state || strlen(state) >= sizeof(((vci_store_exchange_t *)0)->state))
		return vci_store_bad(err, "exchange_notify", "bad state");
	return vci_store_write(st, "exchange_notify", vci_store_exchange_notify_run, &a, err);
}

/* API keys ---------------------------------------------------------------*/

struct vci_store_apikey {
	const char *id, *name;
	const uint8_t *hash;
	int64_t now;
};

static const char vci_sql_apikey_add[] =
	"INSERT INTO apikeys (id, name, hash, created_at) VALUES (?1, ?2, ?3, ?4)";
static const char vci_sql_apikey_list[] =
	"SELECT id, name, created_at, revoked_at FROM apikeys ORDER BY seq";
static const char vci_sql_apikey_revoke[] =
	"UPDATE apikeys SET revoked_at = ?2 WHERE id = ?1 AND revoked_at IS NULL RETURNING id";
static const char vci_sql_apikey_check[] =
	"SELECT id FROM apikeys WHERE hash = ?1 AND revoked_at IS NULL";

static int vci_store_apikey_add_run(vci_store_conn_t *c, void *arg, vci_err_t *err)
{
	const struct vci_store_apikey *a = arg;

	return vci_store_changed(vci_store_do(c, err, vci_sql_apikey_add, "tthi", a->id, a->name,
					      a->hash, a->now));
}

int vci_store_apikey_add(vci_store_t *st, const char *name, const uint8_t hash[VCI_STORE_HASH],
			 int64_t now, char id[VCI_STORE_ID], vci_err_t *err)
{
	char newid[VCI_STORE_ID];
	struct vci_store_apikey a = { newid, name ? name : "", hash, now };
	uint8_t r[8];
	int rc;

	if (RAND_bytes(r, sizeof(r)) != 1)
		return vci_err_ssl(err, VCI_EXIT_IO, "server_error", "store: apikey_add: random id");
	for (size_t i = 0; i < sizeof(r); i++)
		snprintf(newid + 2 * i, 3, "%02x", r[i]);
	rc = vci_store_write(st, "apikey_add", vci_store_apikey_add_run, &a, err);
	if (rc == 0)
		vci_store_copy(id, VCI_STORE_ID, newid);
	return rc;
}

static json_t *vci_store_apikey_json(const vci_db_driver_t *drv, vci_db_stmt_t *s)
{
	json_t *k = json_pack("{s:s, s:s, s:I}", "id", drv->column_text(s, 0), "name",
			      drv->column_text(s, 1), "created_at", (json_int_t)drv->column_int(s, 2));

	if (k && !drv->column_null(s, 3) &&
	    json_object_set_new(k, "revoked_at", json_integer(drv->column_int(s, 3))) < 0) {
		json_decref(k);
		return NULL;
	}
	return k;
}

int vci_store_apikey_list(vci_store_t *st, json_t **out, vci_err_t *err)
{
	return vci_store_list(st, "apikey_list", vci_sql_apikey_list, vci_store_apikey_json, out,
			      err);
}

static int vci_store_apikey_revoke_run(vci_store_conn_t *c, void *arg, vci_err_t *err)
{
	const struct vci_store_apikey *a = arg;

	return vci_store_one_row(c, err, VCI_STORE_NOTFOUND, vci_sql_apikey_revoke, "ti", a->id,
				 a->now);
}

int vci_store_apikey_revoke(vci_store_t *st, const char *id, int64_t now, vci_err_t *err)
{
	struct vci_store_apikey a = { id, NULL, NULL, now };

	if (!id)
		return VCI_STORE_NOTFOUND;
	return vci_store_write(st, "apikey_revoke", vci_store_apikey_revoke_run, &a, err);
}

int vci_store_apikey_check(vci_store_t *st, const uint8_t hash[VCI_STORE_HASH], vci_err_t *err)
{
	return vci_store_get(st, "apikey_check", vci_sql_apikey_check, "h", hash, NULL, NULL,
			     err);
}

/* One write per request ---------------------------------------------------*/

static const char vci_sql_grant_record[] = "SELECT record FROM exchanges WHERE id = ?1";

/* The DPoP jti of a request: 0, VCI_STORE_REPLAY or -1. */
static int vci_store_jti_run(vci_store_conn_t *c, const uint8_t *hash, int64_t expires_at,
			     vci_err_t *err)
{
	struct vci_store_once o = { hash, expires_at };
	int rc;

	if (!hash)
		return 0;
	rc = vci_store_jti_use_run(c, &o, err);
	return rc == VCI_STORE_EXISTS ? VCI_STORE_REPLAY : rc;
}

static int vci_store_grant_run(vci_store_conn_t *c, void *arg, vci_err_t *err)
{
	vci_store_grant_t *g = arg;
	vci_db_stmt_t *s;
	int fail = 0, rc = vci_store_jti_run(c, g->jti_hash, g->jti_expires_at, err);

	if (rc == 0 && g->code_hash) {
		struct vci_store_redeem r = { g->code_hash, g->tx_hash, g->now, g->exchange_id };

		rc = vci_store_redeem_run(c, &r, err);
	}
	if (rc != 0)
		return rc;
	rc = vci_store_query(c, &s, err, vci_sql_grant_record, "t", g->exchange_id);
	if (rc != VCI_DB_ROW)
		return rc == VCI_DB_DONE ? VCI_STORE_NOTFOUND : -1;
	free(g->record);
	g->record = vci_store_dup(c->drv->column_text(s, 0), err, &fail);
	vci_store_end(c, s);
	return fail ? -1 : 0;
}

/* What both forms check first; for a code, the new exchange's id. */
static int vci_store_grant_ready(vci_store_grant_t *g, vci_err_t *err)
{
	g->record = NULL;
	if (g->code_hash)
		return vci_store_id_new(g->exchange_id, err);
	if (!vci_store_id_ok(g->exchange_id))
		return vci_store_bad(err, "token_grant", "no code or exchange id");
	return 0;
}

int vci_store_token_grant(vci_store_t *st, vci_store_grant_t *g, vci_err_t *err)
{
	int rc;

	if (vci_store_grant_ready(g, err) < 0)
		return -1;
	rc = vci_store_write(st, "token_grant", vci_store_grant_run, g, err);
	if (rc != 0) {
		free(g->record);
		g->record = NULL;
	}
	return rc;
}

int vci_store_token_grant_start(vci_store_t *st, vci_store_grant_t *g, vci_store_done_fn done,
				void *arg, vci_err_t *err)
{
	if (vci_store_grant_ready(g, err) < 0)
		return -1;
	return vci_store_write_start(st, "token_grant", vci_store_grant_run, g, 0, done, arg, err);
}

static int vci_store_issue_run(vci_store_conn_t *c, void *arg, vci_err_t *err)
{
	const vci_store_issue_t *a = arg;
	struct vci_store_issued x = { a->exchange_id, a->issued, a->notification_id,
				      a->status_uris, a->status_idx, a->nstatus, a->now };
	int rc = vci_store_jti_run(c, a->jti_hash, a->jti_expires_at, err);

	if (rc != 0)
		return rc;
	if (a->nonce_hash) {
		struct vci_store_once o = { a->nonce_hash, a->nonce_expires_at };

		rc = vci_store_nonce_spend_run(c, &o, err);
		if (rc != 0)
			return rc == VCI_STORE_EXISTS ? VCI_STORE_NONCE : rc;
	}
	return vci_store_exchange_issued_run(c, &x, err);
}

static int vci_store_issue_ok(const vci_store_issue_t *a, vci_err_t *err)
{
	if (!vci_store_id_ok(a->exchange_id) || !vci_store_id_ok(a->notification_id))
		return vci_store_bad(err, "credential_issued", "no id or notification id");
	for (size_t i = 0; i < a->nstatus; i++)
		if (!a->status_uris[i] || !*a->status_uris[i] || a->status_idx[i] > INT64_MAX)
			return vci_store_bad(err, "credential_issued", "bad status entry");
	return 0;
}

int vci_store_credential_issued(vci_store_t *st, const vci_store_issue_t *a, vci_err_t *err)
{
	if (vci_store_issue_ok(a, err) < 0)
		return -1;
	return vci_store_write(st, "credential_issued", vci_store_issue_run, (void *)a, err);
}

int vci_store_credential_issued_start(vci_store_t *st, const vci_store_issue_t *a,
				      vci_store_done_fn done, void *arg, vci_err_t *err)
{
	if (vci_store_issue_ok(a, err) < 0)
		return -1;
	return vci_store_write_start(st, "credential_issued", vci_store_issue_run, (void *)a, 0,
				     done, arg, err);
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
