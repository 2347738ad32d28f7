/* authz.c - the store operations of the authorization code flow: pushed
 * requests (PAR), their authorization and code, logins at an upstream
 * OpenID Provider, refresh tokens, and the read of an offer's record by
 * its pre-authorized code (store.h).
 * Secrets are kept as their SHA-256 only, except a login's PKCE verifier
 * and nonce, which the server must send on: those are sealed under the
 * store's key, bound to the login's state hash. */
#include "store/internal.h"
#include "base/b64url.h"

#include <string.h>

#include <openssl/rand.h>

#define LOGIN_SECRET_MAX 4096

/* The aad a login's secret is sealed with: "login:" and the state hash. */
static void login_aad(const uint8_t state_hash[VCI_STORE_HASH], uint8_t aad[6 + VCI_STORE_HASH])
{
	memcpy(aad, "login:", 6);
	memcpy(aad + 6, state_hash, VCI_STORE_HASH);
}

/* Login start ------------------------------------------------------------*/

struct login_start {
	const uint8_t *request_hash, *state_hash;
	const char *client_id, *sealed;
	int64_t now, expires_at;
	vci_store_authz_t *out;
};

static const char sql_login_spend[] =
	"UPDATE authz SET state = 'authorized' WHERE request_hash = ?1 AND state = 'pushed'"
	" AND expires_at > ?2 AND issuer_state_hash IS NULL"
	" RETURNING client_id, redirect_uri, configs, client_state";
static const char sql_login_put[] =
	"INSERT INTO logins (state_hash, request_hash, secret, expires_at) VALUES (?1, ?2, ?3, ?4)";

static int login_start_run(vci_store_conn_t *c, void *arg, vci_err_t *err)
{
	struct login_start *a = arg;
	vci_db_stmt_t *s;
	int rc, same;

	rc = vci_store_query(c, &s, err, sql_login_spend, "hi", a->request_hash, a->now);
	if (rc != VCI_DB_ROW)
		return rc == VCI_DB_DONE ? VCI_STORE_NOTFOUND : -1;
	same = !strcmp(c->drv->column_text(s, 0), a->client_id);
	vci_store_copy(a->out->client_id, sizeof a->out->client_id, c->drv->column_text(s, 0));
	vci_store_copy(a->out->redirect_uri, sizeof a->out->redirect_uri,
		       c->drv->column_text(s, 1));
	a->out->configs = strdup(c->drv->column_text(s, 2) ? c->drv->column_text(s, 2) : "[]");
	if (!c->drv->column_null(s, 3))
		a->out->state = strdup(c->drv->column_text(s, 3));
	rc = !a->out->configs || (!c->drv->column_null(s, 3) && !a->out->state);
	vci_store_end(c, s);
	if (rc)
		return vci_err_oom(err);
	if (!same)   /* spent all the same: a request_uri is tried once */
		return VCI_STORE_TX_WRONG;
	return vci_store_changed(vci_store_do(c, err, sql_login_put, "hhti", a->state_hash,
					  a->request_hash, a->sealed, a->expires_at));
}

int vci_store_login_start(vci_store_t *st, const uint8_t request_hash[VCI_STORE_HASH],
			  const char *client_id, const uint8_t state_hash[VCI_STORE_HASH],
			  const char *secret, int64_t now, int64_t login_expires_at,
			  vci_store_authz_t *out, vci_err_t *err)
{
	uint8_t aad[6 + VCI_STORE_HASH];
	struct login_start a = { request_hash, state_hash, client_id, NULL, now,
				 login_expires_at, out };
	char *sealed;
	int rc;

	memset(out, 0, sizeof *out);
	if (!client_id || !secret || strlen(secret) > LOGIN_SECRET_MAX)
		return vci_store_bad(err, "login_start", "incomplete login");
	login_aad(state_hash, aad);
	sealed = vci_seal(st->offer_key, aad, sizeof aad, secret, strlen(secret), err);
	if (!sealed)
		return vci_err_prefix(err, "store: login_start");
	a.sealed = sealed;
	rc = vci_store_write(st, "login_start", login_start_run, &a, err);
	free(sealed);
	if (rc < 0)
		vci_store_authz_clear(out);
	return rc;
}

/* Login take -------------------------------------------------------------*/

struct login_take {
	const uint8_t *state_hash;
	int64_t now;
	char *sealed;
	uint8_t *request_hash;
	vci_store_authz_t *out;
};

static const char sql_login_take[] =
	"DELETE FROM logins WHERE state_hash = ?1 AND expires_at > ?2"
	" RETURNING request_hash, secret";
static const char sql_login_request[] =
	"SELECT client_id, redirect_uri, configs, client_state FROM authz WHERE request_hash = ?1"
	" AND state = 'authorized' AND code_hash IS NULL";

/* The request a login completes: what the redirect back needs. */
static int login_request(vci_store_conn_t *c, const uint8_t *rh, vci_store_authz_t *o,
			 vci_err_t *err)
{
	vci_db_stmt_t *s;
	int rc = vci_store_query(c, &s, err, sql_login_request, "h", rh), fail;

	if (rc != VCI_DB_ROW)
		return rc == VCI_DB_DONE ? VCI_STORE_NOTFOUND : -1;
	vci_store_copy(o->client_id, sizeof o->client_id, c->drv->column_text(s, 0));
	vci_store_copy(o->redirect_uri, sizeof o->redirect_uri, c->drv->column_text(s, 1));
	o->configs = strdup(c->drv->column_text(s, 2) ? c->drv->column_text(s, 2) : "[]");
	if (!c->drv->column_null(s, 3))
		o->state = strdup(c->drv->column_text(s, 3));
	fail = !o->configs || (!c->drv->column_null(s, 3) && !o->state);
	vci_store_end(c, s);
	return fail ? vci_err_oom(err) : 0;
}

static int login_take_run(vci_store_conn_t *c, void *arg, vci_err_t *err)
{
	struct login_take *a = arg;
	vci_db_stmt_t *s;
	const void *rh;
	size_t n = 0;
	int rc;

	rc = vci_store_query(c, &s, err, sql_login_take, "hi", a->state_hash, a->now);
	if (rc != VCI_DB_ROW)
		return rc == VCI_DB_DONE ? VCI_STORE_NOTFOUND : -1;
	rh = c->drv->column_blob(s, 0, &n);
	if (rh && n == VCI_STORE_HASH)
		memcpy(a->request_hash, rh, VCI_STORE_HASH);
	a->sealed = strdup(c->drv->column_text(s, 1) ? c->drv->column_text(s, 1) : "");
	vci_store_end(c, s);
	if (!a->sealed)
		return vci_err_oom(err);
	if (n != VCI_STORE_HASH)
		return vci_err_set(err, VCI_EXIT_IO, "server_error", "login: request hash damaged");
	return login_request(c, a->request_hash, a->out, err);
}

int vci_store_login_take(vci_store_t *st, const uint8_t state_hash[VCI_STORE_HASH],
			 int64_t now, char **secret, uint8_t request_hash[VCI_STORE_HASH],
			 vci_store_authz_t *out, vci_err_t *err)
{
	uint8_t aad[6 + VCI_STORE_HASH], *plain = NULL;
	struct login_take a = { state_hash, now, NULL, request_hash, out };
	size_t len = 0;
	int rc;

	*secret = NULL;
	memset(out, 0, sizeof *out);
	rc = vci_store_write(st, "login_take", login_take_run, &a, err);
	if (rc != 0) {
		free(a.sealed);
		return rc;
	}
	login_aad(state_hash, aad);
	rc = vci_seal_open(st->offer_key, aad, sizeof aad, a.sealed, strlen(a.sealed), &plain,
			   &len, NULL);
	free(a.sealed);
	if (rc < 0)
		return vci_err_set(err, VCI_EXIT_IO, "server_error", "store: login_take: the login "
				   "cannot be opened with the key in %s", st->key_path);
	*secret = (char *)plain;
	return 0;
}

/* Login finish -----------------------------------------------------------*/

struct login_finish {
	const uint8_t *request_hash, *code_hash;
	const char *record, *offer_id, *sealed_offer, *exchange_id;
	int64_t now, code_expires_at;
	vci_store_authz_t *out;
};

static const char sql_login_code[] =
	"UPDATE authz SET code_hash = ?2, exchange_id = ?3, expires_at = ?4"
	" WHERE request_hash = ?1 AND state = 'authorized' AND code_hash IS NULL"
	" AND issuer_state_hash IS NULL RETURNING client_id, redirect_uri, configs, client_state";
static const char sql_login_offer[] =
	"INSERT INTO offers (offer_id, tx_attempts_max, state, created_at, expires_at,"
	" redeemed_at, offer, record, config_id)"
	" VALUES (?1, 0, 'redeemed', ?2, ?2, ?2, ?3, ?4, ?5)";
static const char sql_login_exchange[] =
	"INSERT INTO exchanges (id, offer_id, state, record, created_at, updated_at)"
	" VALUES (?1, ?2, 'offer_redeemed', ?3, ?4, ?4)";

static int login_finish_run(vci_store_conn_t *c, void *arg, vci_err_t *err)
{
	struct login_finish *a = arg;
	vci_store_authz_t *o = a->out;
	vci_db_stmt_t *s;
	char_auto_t *config = NULL;
	int rc, fail;

	rc = vci_store_query(c, &s, err, sql_login_code, "hhti", a->request_hash, a->code_hash,
			     a->exchange_id, a->code_expires_at);
	if (rc != VCI_DB_ROW)
		return rc == VCI_DB_DONE ? VCI_STORE_NOTFOUND : vci_store_changed(rc);
	vci_store_copy(o->client_id, sizeof o->client_id, c->drv->column_text(s, 0));
	vci_store_copy(o->redirect_uri, sizeof o->redirect_uri, c->drv->column_text(s, 1));
	o->configs = strdup(c->drv->column_text(s, 2) ? c->drv->column_text(s, 2) : "[]");
	if (!c->drv->column_null(s, 3))
		o->state = strdup(c->drv->column_text(s, 3));
	fail = !o->configs || (!c->drv->column_null(s, 3) && !o->state);
	vci_store_end(c, s);
	if (fail)
		return vci_err_oom(err);
	config = vci_store_record_config(a->record, &fail);
	if (fail)
		return vci_err_oom(err);
	rc = vci_store_changed(vci_store_do(c, err, sql_login_offer, "tittt", a->offer_id, a->now,
					a->sealed_offer, a->record, config));
	if (rc != 0)
		return rc;
	rc = vci_store_changed(vci_store_do(c, err, sql_login_exchange, "ttti", a->exchange_id,
					a->offer_id, a->record, a->now));
	if (rc != 0)
		return rc;
	return vci_store_event(c, "offer.redeemed", a->exchange_id, a->offer_id, NULL, a->now, err);
}

int vci_store_login_finish(vci_store_t *st, const uint8_t request_hash[VCI_STORE_HASH],
			   const char *record, const uint8_t code_hash[VCI_STORE_HASH],
			   int64_t now, int64_t code_expires_at, vci_store_authz_t *out,
			   vci_err_t *err)
{
	uint8_t r[16];
	char id[VCI_STORE_ID], offer_id[VCI_STORE_ID];
	struct login_finish a = { request_hash, code_hash, record, offer_id, NULL, id, now,
				  code_expires_at, out };
	char *sealed;
	int rc;

	memset(out, 0, sizeof *out);
	if (!record)
		return vci_store_bad(err, "login_finish", "no record");
	if (RAND_bytes(r, sizeof r) != 1)
		return vci_err_ssl(err, VCI_EXIT_IO, "server_error", "store: login_finish: random id");
	vci_b64url_encode_to(id, r, sizeof r);
	snprintf(offer_id, sizeof offer_id, "login-%s", id);
	/* the offer column is sealed as every offer's is: this one is the
	 * empty offer of a flow the wallet started */
	sealed = vci_seal(st->offer_key, offer_id, strlen(offer_id), "{}", 2, err);
	if (!sealed)
		return vci_err_prefix(err, "store: login_finish");
	a.sealed_offer = sealed;
	rc = vci_store_write(st, "login_finish", login_finish_run, &a, err);
	free(sealed);
	if (rc == 0)
		vci_store_copy(out->exchange_id, sizeof out->exchange_id, id);
	else
		vci_store_authz_clear(out);
	return rc;
}

/* The record of an offer by its code ------------------------------------*/

static const char sql_code_record[] =
	"SELECT record FROM offers WHERE code_hash = ?1 AND state = 'offered'"
	" AND (expires_at = 0 OR expires_at > ?2)";

int vci_store_code_record(vci_store_t *st, const uint8_t code_hash[VCI_STORE_HASH],
			  int64_t now, char **record, vci_err_t *err)
{
	vci_store_conn_t *c = vci_store_reader(st, err);
	vci_db_stmt_t *s;
	int rc;

	*record = NULL;
	if (!c)
		return vci_store_read_fail(-1, err, "code_record");
	rc = vci_store_query(c, &s, err, sql_code_record, "hi", code_hash, now);
	if (rc == VCI_DB_ROW) {
		const char *t = c->drv->column_text(s, 0);

		*record = strdup(t ? t : "{}");
		rc = *record ? 0 : vci_err_oom(err);
		vci_store_end(c, s);
	} else {
		rc = rc == VCI_DB_DONE ? VCI_STORE_NOTFOUND : -1;
	}
	vci_store_reader_put(st, c);
	return vci_store_read_fail(rc, err, "code_record");
}

/* Refresh tokens ---------------------------------------------------------*/

static const char sql_refresh_put[] =
	"INSERT INTO refresh_tokens (hash, exchange_id, client_id, dpop_jkt, configs,"
	" created_at, expires_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)";

struct refresh_put {
	const vci_store_refresh_t *r;
	int64_t now;
};

static int refresh_put_run(vci_store_conn_t *c, void *arg, vci_err_t *err)
{
	const struct refresh_put *a = arg;
	const vci_store_refresh_t *r = a->r;

	return vci_store_changed(vci_store_do(c, err, sql_refresh_put, "httttii", r->hash,
					  r->exchange_id, r->client_id, r->dpop_jkt,
					  r->configs ? r->configs : "[]", a->now, r->expires_at));
}

int vci_store_refresh_put(vci_store_t *st, const vci_store_refresh_t *r, int64_t now,
			  vci_err_t *err)
{
	struct refresh_put a = { r, now };

	if (!vci_store_id_ok(r->exchange_id))
		return vci_store_bad(err, "refresh_put", "exchange id");
	return vci_store_write(st, "refresh_put", refresh_put_run, &a, err);
}

struct refresh_rotate {
	const uint8_t *old_hash, *new_hash;
	const char *jkt, *client_id;
	int64_t now;
	vci_store_refresh_t *out;
};

static const char sql_refresh_find[] =
	"SELECT exchange_id, client_id, dpop_jkt, configs, expires_at FROM refresh_tokens"
	" WHERE hash = ?1 AND state = 'live' AND expires_at > ?2";
static const char sql_refresh_spend[] =
	"UPDATE refresh_tokens SET state = 'used' WHERE hash = ?1 AND state = 'live'"
	" RETURNING hash";
static const char sql_refresh_replay[] =
	"UPDATE refresh_tokens SET state = 'used' WHERE exchange_id IN"
	" (SELECT exchange_id FROM refresh_tokens WHERE hash = ?1 AND state = 'used')"
	" RETURNING hash";

/* A token not live: revoke its chain when it was used before. */
static int refresh_replayed(vci_store_conn_t *c, const uint8_t *hash, vci_err_t *err)
{
	vci_db_stmt_t *s;
	int rc = vci_store_query(c, &s, err, sql_refresh_replay, "h", hash), any = 0;

	while (rc == VCI_DB_ROW) {
		any = 1;
		rc = vci_store_next(c, s, err);
	}
	if (rc != VCI_DB_DONE)
		return -1;
	return any ? VCI_STORE_TX_DEAD : VCI_STORE_NOTFOUND;
}

static int refresh_rotate_run(vci_store_conn_t *c, void *arg, vci_err_t *err)
{
	struct refresh_rotate *a = arg;
	vci_store_refresh_t *o = a->out;
	vci_db_stmt_t *s;
	int rc;

	rc = vci_store_query(c, &s, err, sql_refresh_find, "hi", a->old_hash, a->now);
	if (rc == VCI_DB_DONE)
		return refresh_replayed(c, a->old_hash, err);
	if (rc != VCI_DB_ROW)
		return -1;
	vci_store_copy(o->exchange_id, sizeof o->exchange_id, c->drv->column_text(s, 0));
	vci_store_copy(o->client_id, sizeof o->client_id, c->drv->column_text(s, 1));
	vci_store_copy(o->dpop_jkt, sizeof o->dpop_jkt, c->drv->column_text(s, 2));
	free(o->configs);
	o->configs = strdup(c->drv->column_text(s, 3) ? c->drv->column_text(s, 3) : "[]");
	o->expires_at = c->drv->column_int(s, 4);
	vci_store_end(c, s);
	if (!o->configs)
		return vci_err_oom(err);
	if (strcmp(o->dpop_jkt, a->jkt ? a->jkt : "") ||
	    (o->client_id[0] && (!a->client_id || strcmp(o->client_id, a->client_id))))
		return VCI_STORE_TX_WRONG;   /* not spent: its holder may still use it */
	rc = vci_store_query(c, &s, err, sql_refresh_spend, "h", a->old_hash);
	if (rc != VCI_DB_ROW)
		return rc == VCI_DB_DONE ? VCI_STORE_NOTFOUND : -1;
	vci_store_end(c, s);
	memcpy(o->hash, a->new_hash, VCI_STORE_HASH);
	return vci_store_changed(vci_store_do(c, err, sql_refresh_put, "httttii", o->hash,
					  o->exchange_id, o->client_id, o->dpop_jkt, o->configs,
					  a->now, o->expires_at));
}

int vci_store_refresh_rotate(vci_store_t *st, const uint8_t old_hash[VCI_STORE_HASH],
			     const uint8_t new_hash[VCI_STORE_HASH], const char *jkt,
			     const char *client_id, int64_t now, vci_store_refresh_t *out,
			     vci_err_t *err)
{
	struct refresh_rotate a = { old_hash, new_hash, jkt, client_id, now, out };
	int rc;

	memset(out, 0, sizeof *out);
	rc = vci_store_write(st, "refresh_rotate", refresh_rotate_run, &a, err);
	if (rc != 0)
		vci_store_refresh_clear(out);
	return rc;
}

void vci_store_refresh_clear(vci_store_refresh_t *r)
{
	free(r->configs);
	memset(r, 0, sizeof *r);
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
