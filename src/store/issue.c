/* issue.c - what a flow writes as it goes: its single-use values (DPoP
 * jti, spent c_nonces), its exchange's lifecycle (credential issued with
 * its status entries, notifications), and the one write each request of
 * the pre-authorized code flow makes (the token grant, the credential
 * issued), gathered into the writer thread's shared commits (group.c).
 * Access tokens are not here: one is sealed (crypto/atoken.h) and carries
 * its exchange, key binding and expiry, so issuing one writes nothing and
 * the endpoints that take one read no row of it (schema version 8 dropped
 * the tokens table of earlier versions). */
#include "store/internal.h"

#include <string.h>

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
