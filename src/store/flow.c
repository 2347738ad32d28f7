/* flow.c - the store operations of deferred issuance (OpenID4VCI 1.0
 * section 9), webhook subscriptions and the event outbox. Written over
 * the driver as the other store files are: writes through the writer
 * thread (each in its own savepoint of a shared transaction), reads on
 * pooled connections. Their lifecycle changes write outbox rows through
 * vci_store_event (store.c), as every other change does. */
#include "store/internal.h"

#include <string.h>

static void vci_flow_copy(char *dst, size_t size, const char *src)
{
	snprintf(dst, size, "%s", src ? src : "");
}

static char *vci_flow_dup(const char *s, int *fail)
{
	char *d;

	if (!s)
		return NULL;
	d = strdup(s);
	if (!d)
		*fail = 1;
	return d;
}

/* Deferred issuance ------------------------------------------------------*/

struct vci_flow_deferred {
	const uint8_t *tx_hash;
	const char *exchange_id, *config_id, *keys, *status, *text;
	int64_t now;
};

static const char vci_sql_deferred_put[] =
	"INSERT INTO deferred (tx_hash, exchange_id, config_id, keys, status, created_at,"
	" updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6)";
static const char vci_sql_deferred_exchange[] =
	"UPDATE exchanges SET state = ?2, updated_at = ?3 WHERE id = ?1 RETURNING id";

/* The exchange moved to `state` (0, or NOTFOUND). */
static int vci_flow_exchange_state(vci_store_conn_t *c, const char *id, const char *state,
				   int64_t now, vci_err_t *err)
{
	vci_db_stmt_t *s;
	int rc = vci_store_query(c, &s, err, vci_sql_deferred_exchange, "tti", id, state, now);

	if (rc != VCI_DB_ROW)
		return rc == VCI_DB_DONE ? VCI_STORE_NOTFOUND : -1;
	vci_store_end(c, s);
	return 0;
}

static int vci_flow_deferred_put_run(vci_store_conn_t *c, void *arg, vci_err_t *err)
{
	const struct vci_flow_deferred *a = arg;
	json_t *data;
	char *text;
	int rc;

	rc = vci_flow_exchange_state(c, a->exchange_id, "issuance_pending", a->now, err);
	if (rc != 0)
		return rc;
	switch (vci_store_do(c, err, vci_sql_deferred_put, "htttti", a->tx_hash, a->exchange_id,
			     a->config_id, a->keys, a->status, a->now)) {
	case VCI_DB_DONE:
		break;
	case VCI_DB_UNIQUE:
		return VCI_STORE_EXISTS;
	case VCI_DB_FOREIGN:
		return VCI_STORE_NOTFOUND;
	default:
		return -1;
	}
	data = json_pack("{s:s}", "credential_configuration_id", a->config_id);
	text = data ? json_dumps(data, JSON_COMPACT) : NULL;
	json_decref(data);
	if (!text)
		return vci_err_oom(err);
	rc = vci_store_event(c, "deferred.pending", a->exchange_id, NULL, text, a->now, err);
	free(text);
	return rc;
}

int vci_store_deferred_put(vci_store_t *st, const uint8_t tx_hash[VCI_STORE_HASH],
			   const char *exchange_id, const char *config_id, const char *keys,
			   const char *status, int64_t now, vci_err_t *err)
{
	struct vci_flow_deferred a = { tx_hash, exchange_id, config_id, keys, status, NULL, now };

	if (!vci_store_id_ok(exchange_id) || !config_id || !*config_id || !keys)
		return vci_store_bad(err, "deferred_put", "no exchange, configuration or keys");
	return vci_store_write(st, "deferred_put", vci_flow_deferred_put_run, &a, err);
}

static const char vci_sql_deferred_get[] =
	"SELECT exchange_id, state, config_id, keys, status, claims, reason, created_at,"
	" updated_at FROM deferred WHERE tx_hash = ?1";

static int vci_flow_deferred_row(const vci_db_driver_t *drv, vci_db_stmt_t *s, void *out,
				 vci_err_t *err)
{
	vci_store_deferred_t *d = out;
	int fail = 0;

	vci_flow_copy(d->exchange_id, sizeof(d->exchange_id), drv->column_text(s, 0));
	vci_flow_copy(d->state, sizeof(d->state), drv->column_text(s, 1));
	d->config_id = vci_flow_dup(drv->column_text(s, 2), &fail);
	d->keys = vci_flow_dup(drv->column_text(s, 3), &fail);
	d->status = vci_flow_dup(drv->column_text(s, 4), &fail);
	d->claims = vci_flow_dup(drv->column_text(s, 5), &fail);
	d->reason = vci_flow_dup(drv->column_text(s, 6), &fail);
	d->created_at = drv->column_int(s, 7);
	d->updated_at = drv->column_int(s, 8);
	return fail ? vci_err_oom(err) : 0;
}

int vci_store_deferred_get(vci_store_t *st, const uint8_t tx_hash[VCI_STORE_HASH],
			   vci_store_deferred_t *out, vci_err_t *err)
{
	int rc;

	memset(out, 0, sizeof(*out));
	rc = vci_store_get(st, "deferred_get", vci_sql_deferred_get, "h", tx_hash,
			   vci_flow_deferred_row, out, err);
	if (rc < 0)
		vci_store_deferred_clear(out);
	return rc;
}

void vci_store_deferred_clear(vci_store_deferred_t *d)
{
	if (!d)
		return;
	free(d->config_id);
	free(d->keys);
	free(d->status);
	free(d->claims);
	free(d->reason);
	memset(d, 0, sizeof(*d));
}

static const char vci_sql_deferred_claims[] =
	"UPDATE deferred SET state = 'ready', claims = ?2, updated_at = ?3"
	" WHERE exchange_id = ?1 AND state = 'pending'";
static const char vci_sql_deferred_deny[] =
	"UPDATE deferred SET state = 'denied', reason = ?2, updated_at = ?3"
	" WHERE exchange_id = ?1 AND state IN ('pending', 'ready')";

/* Claims (a->text: claims) or denial (a->text: reason) of an exchange's
 * open requests; a->keys names which ("claims" or "deny"). */
static int vci_flow_deferred_decide_run(vci_store_conn_t *c, void *arg, vci_err_t *err)
{
	const struct vci_flow_deferred *a = arg;
	int deny = !strcmp(a->keys, "deny");
	json_t *data = NULL;
	char *text = NULL;
	int rc;

	if (vci_store_do(c, err, deny ? vci_sql_deferred_deny : vci_sql_deferred_claims, "tti",
			 a->exchange_id, a->text, a->now) != VCI_DB_DONE)
		return -1;
	if (c->drv->changes(c->db) == 0)
		return VCI_STORE_NOTFOUND;
	rc = vci_flow_exchange_state(c, a->exchange_id, deny ? "issuance_denied" :
				     "claims_supplied", a->now, err);
	if (rc != 0)
		return rc < 0 ? -1 : VCI_STORE_NOTFOUND;
	if (deny && a->text)
		data = json_pack("{s:s}", "reason", a->text);
	text = data ? json_dumps(data, JSON_COMPACT) : NULL;
	json_decref(data);
	if (deny && a->text && !text)
		return vci_err_oom(err);
	rc = vci_store_event(c, deny ? "deferred.denied" : "deferred.ready", a->exchange_id, NULL,
			     text, a->now, err);
	free(text);
	return rc;
}

int vci_store_deferred_claims(vci_store_t *st, const char *exchange_id, const char *claims,
			      int64_t now, vci_err_t *err)
{
	struct vci_flow_deferred a = { NULL, exchange_id, NULL, "claims", NULL, claims, now };

	if (!vci_store_id_ok(exchange_id))
		return VCI_STORE_NOTFOUND;
	if (!claims || claims[0] != '{')
		return vci_store_bad(err, "deferred_claims", "claims: expected a JSON object");
	return vci_store_write(st, "deferred_claims", vci_flow_deferred_decide_run, &a, err);
}

int vci_store_deferred_deny(vci_store_t *st, const char *exchange_id, const char *reason,
			    int64_t now, vci_err_t *err)
{
	struct vci_flow_deferred a = { NULL, exchange_id, NULL, "deny", NULL, reason, now };

	if (!vci_store_id_ok(exchange_id))
		return VCI_STORE_NOTFOUND;
	return vci_store_write(st, "deferred_deny", vci_flow_deferred_decide_run, &a, err);
}

struct vci_flow_deferred_issued {
	const uint8_t *tx_hash;
	struct vci_store_issued x;
};

static const char vci_sql_deferred_issued[] =
	"UPDATE deferred SET state = 'issued', updated_at = ?2 WHERE tx_hash = ?1"
	" AND state IN ('pending', 'ready') RETURNING exchange_id";

static int vci_flow_deferred_issued_run(vci_store_conn_t *c, void *arg, vci_err_t *err)
{
	struct vci_flow_deferred_issued *a = arg;
	char id[VCI_STORE_ID];
	vci_db_stmt_t *s;
	int rc = vci_store_query(c, &s, err, vci_sql_deferred_issued, "hi", a->tx_hash, a->x.now);

	if (rc != VCI_DB_ROW)
		return rc == VCI_DB_DONE ? VCI_STORE_NOTFOUND : -1;
	vci_flow_copy(id, sizeof(id), c->drv->column_text(s, 0));
	vci_store_end(c, s);
	a->x.id = id;
	rc = vci_store_exchange_issued_run(c, &a->x, err);
	a->x.id = NULL;
	return rc;
}

int vci_store_deferred_issued(vci_store_t *st, const uint8_t tx_hash[VCI_STORE_HASH],
			      const char *issued, const char *notification_id,
			      const char *const *status_uris, const uint64_t *status_idx,
			      size_t nstatus, int64_t now, vci_err_t *err)
{
	struct vci_flow_deferred_issued a = { tx_hash, { NULL, issued, notification_id,
							 status_uris, status_idx, nstatus, now } };

	if (!vci_store_id_ok(notification_id))
		return vci_store_bad(err, "deferred_issued", "no notification id");
	for (size_t i = 0; i < nstatus; i++)
		if (!status_uris[i] || !*status_uris[i] || status_idx[i] > INT64_MAX)
			return vci_store_bad(err, "deferred_issued", "bad status entry");
	return vci_store_write(st, "deferred_issued", vci_flow_deferred_issued_run, &a, err);
}

/* Webhooks ---------------------------------------------------------------*/

static const char vci_sql_webhook_put[] =
	"INSERT INTO webhooks (id, url, events, secret, format, created_at)"
	" VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (id) DO UPDATE SET url = ?2,"
	" events = ?3, secret = ?4, format = ?5";
static const char vci_sql_webhook_list[] =
	"SELECT w.id, w.url, w.events, w.format, w.created_at, (SELECT COUNT(*) FROM outbox o"
	" WHERE o.webhook_id = w.id AND o.delivered_at IS NULL AND o.failed_at IS NULL)"
	" FROM webhooks w ORDER BY w.created_at, w.id";
static const char vci_sql_webhook_delete[] = "DELETE FROM webhooks WHERE id = ?1 RETURNING id";
static const char vci_sql_webhook_outbox_delete[] =
	"DELETE FROM outbox WHERE webhook_id = ?1 AND delivered_at IS NULL AND failed_at IS NULL";

struct vci_flow_webhook {
	const vci_store_webhook_t *w;
	const char *id;
	int64_t now;
};

static int vci_flow_webhook_put_run(vci_store_conn_t *c, void *arg, vci_err_t *err)
{
	const struct vci_flow_webhook *a = arg;
	const vci_store_webhook_t *w = a->w;

	return vci_store_do(c, err, vci_sql_webhook_put, "ttttti", a->id, w->url, w->events,
			    w->secret, w->format ? w->format : "native", a->now) == VCI_DB_DONE
		       ? 0 : -1;
}

int vci_store_webhook_put(vci_store_t *st, const vci_store_webhook_t *w, int64_t now,
			  char id[VCI_STORE_ID], vci_err_t *err)
{
	char newid[VCI_STORE_ID];
	struct vci_flow_webhook a = { w, newid, now };
	int rc;

	if (!w->url || !*w->url || !w->events || !*w->events || !w->secret || !*w->secret)
		return vci_store_bad(err, "webhook_put", "url, events and secret are required");
	if (w->id && !vci_store_id_ok(w->id))
		return vci_store_bad(err, "webhook_put", "id: empty, too long or not printable");
	if (w->id)
		vci_flow_copy(newid, sizeof(newid), w->id);
	else if (vci_store_prefixed_id("wh_", newid, err) < 0)
		return -1;
	rc = vci_store_write(st, "webhook_put", vci_flow_webhook_put_run, &a, err);
	if (rc == 0)
		vci_flow_copy(id, VCI_STORE_ID, newid);
	return rc;
}

static json_t *vci_flow_webhook_json(const vci_db_driver_t *drv, vci_db_stmt_t *s)
{
	const char *events = drv->column_text(s, 2);
	json_t *ev = strcmp(events, "*") ? json_loads(events, 0, NULL) : json_string("*");

	return json_pack("{s:s, s:s, s:o, s:s, s:I, s:I}", "id", drv->column_text(s, 0), "url",
			 drv->column_text(s, 1), "events", ev ? ev : json_null(), "format",
			 drv->column_text(s, 3), "created_at", (json_int_t)drv->column_int(s, 4),
			 "pending", (json_int_t)drv->column_int(s, 5));
}

int vci_store_webhook_list(vci_store_t *st, json_t **out, vci_err_t *err)
{
	return vci_store_list(st, "webhook_list", vci_sql_webhook_list, vci_flow_webhook_json, out,
			      err);
}

static int vci_flow_webhook_delete_run(vci_store_conn_t *c, void *arg, vci_err_t *err)
{
	const char *id = arg;
	vci_db_stmt_t *s;
	int rc = vci_store_query(c, &s, err, vci_sql_webhook_delete, "t", id);

	if (rc != VCI_DB_ROW)
		return rc == VCI_DB_DONE ? VCI_STORE_NOTFOUND : -1;
	vci_store_end(c, s);
	return vci_store_do(c, err, vci_sql_webhook_outbox_delete, "t", id) == VCI_DB_DONE ? 0 : -1;
}

int vci_store_webhook_delete(vci_store_t *st, const char *id, vci_err_t *err)
{
	if (!vci_store_id_ok(id))
		return VCI_STORE_NOTFOUND;
	return vci_store_write(st, "webhook_delete", vci_flow_webhook_delete_run, (void *)id, err);
}

/* The outbox -------------------------------------------------------------*/

static const char vci_sql_outbox_due[] =
	"SELECT o.seq, o.event_id, o.webhook_id, o.type, o.exchange_id, o.offer_id, o.data,"
	" o.created_at, o.attempts, w.url, w.secret, w.format FROM outbox o"
	" JOIN webhooks w ON w.id = o.webhook_id WHERE o.seq IN (SELECT MIN(seq) FROM outbox"
	" WHERE delivered_at IS NULL AND failed_at IS NULL GROUP BY webhook_id)"
	" AND o.next_at <= ?1 ORDER BY o.seq LIMIT ?2";

static int vci_flow_delivery_row(const vci_db_driver_t *drv, vci_db_stmt_t *s,
				 vci_store_delivery_t *d)
{
	int fail = 0;

	d->seq = drv->column_int(s, 0);
	vci_flow_copy(d->event_id, sizeof(d->event_id), drv->column_text(s, 1));
	vci_flow_copy(d->webhook_id, sizeof(d->webhook_id), drv->column_text(s, 2));
	vci_flow_copy(d->type, sizeof(d->type), drv->column_text(s, 3));
	vci_flow_copy(d->exchange_id, sizeof(d->exchange_id), drv->column_text(s, 4));
	vci_flow_copy(d->offer_id, sizeof(d->offer_id), drv->column_text(s, 5));
	d->data = vci_flow_dup(drv->column_text(s, 6), &fail);
	d->created_at = drv->column_int(s, 7);
	d->attempts = (unsigned)drv->column_int(s, 8);
	d->url = vci_flow_dup(drv->column_text(s, 9), &fail);
	d->secret = vci_flow_dup(drv->column_text(s, 10), &fail);
	vci_flow_copy(d->format, sizeof(d->format), drv->column_text(s, 11));
	return fail ? -1 : 0;
}

int vci_store_outbox_due(vci_store_t *st, int64_t now, size_t max, vci_store_delivery_t **out,
			 size_t *n, vci_err_t *err)
{
	vci_store_conn_t *c;
	vci_db_stmt_t *s;
	int rc;

	*out = NULL;
	*n = 0;
	if (!max)
		return 0;
	*out = calloc(max, sizeof(**out));
	c = *out ? vci_store_reader(st, err) : NULL;
	if (!c) {
		rc = *out ? -1 : vci_err_oom(err);
		free(*out);
		*out = NULL;
		return vci_store_read_fail(rc, err, "outbox_due");
	}
	rc = vci_store_query(c, &s, err, vci_sql_outbox_due, "ii", now, (int64_t)max);
	while (rc == VCI_DB_ROW && *n < max) {
		if (vci_flow_delivery_row(c->drv, s, &(*out)[(*n)++]) < 0) {
			vci_store_end(c, s);
			rc = vci_err_oom(err);
			break;
		}
		rc = vci_store_next(c, s, err);
	}
	if (rc == VCI_DB_ROW)
		vci_store_end(c, s);
	vci_store_reader_put(st, c);
	if (rc < 0) {
		vci_store_deliveries_free(*out, *n);
		*out = NULL;
		*n = 0;
		return vci_store_read_fail(-1, err, "outbox_due");
	}
	return 0;
}

void vci_store_deliveries_free(vci_store_delivery_t *d, size_t n)
{
	for (size_t i = 0; d && i < n; i++) {
		free(d[i].data);
		free(d[i].url);
		if (d[i].secret)
			OPENSSL_cleanse(d[i].secret, strlen(d[i].secret));
		free(d[i].secret);
	}
	free(d);
}

static const char vci_sql_outbox_delivered[] =
	"UPDATE outbox SET attempts = attempts + 1, delivered_at = ?2, last_error = ?3"
	" WHERE seq = ?1 RETURNING seq";
static const char vci_sql_outbox_retry[] =
	"UPDATE outbox SET attempts = attempts + 1, next_at = ?2, last_error = ?3"
	" WHERE seq = ?1 RETURNING seq";
static const char vci_sql_outbox_given_up[] =
	"UPDATE outbox SET attempts = attempts + 1, failed_at = ?2, last_error = ?3"
	" WHERE seq = ?1 RETURNING seq";

struct vci_flow_done {
	int64_t seq, t;
	const char *sql, *error;
};

static int vci_flow_outbox_done_run(vci_store_conn_t *c, void *arg, vci_err_t *err)
{
	const struct vci_flow_done *a = arg;
	vci_db_stmt_t *s;
	int rc = vci_store_query(c, &s, err, a->sql, "iit", a->seq, a->t, a->error);

	if (rc != VCI_DB_ROW)
		return rc == VCI_DB_DONE ? VCI_STORE_NOTFOUND : -1;
	vci_store_end(c, s);
	return 0;
}

int vci_store_outbox_done(vci_store_t *st, int64_t seq, int delivered, int64_t next_at,
			  const char *error, int64_t now, vci_err_t *err)
{
	struct vci_flow_done a = { seq, now, vci_sql_outbox_delivered, NULL };

	if (!delivered) {
		a.sql = next_at ? vci_sql_outbox_retry : vci_sql_outbox_given_up;
		a.t = next_at ? next_at : now;
		a.error = error ? error : "";
	}
	return vci_store_write(st, "outbox_done", vci_flow_outbox_done_run, &a, err);
}

static const char vci_sql_outbox_counts[] =
	"SELECT COUNT(*) - COUNT(delivered_at) - COUNT(failed_at), COUNT(delivered_at),"
	" COUNT(failed_at) FROM outbox";

int vci_store_outbox_counts(vci_store_t *st, int64_t *pending, int64_t *delivered,
			    int64_t *failed, vci_err_t *err)
{
	vci_store_conn_t *c = vci_store_reader(st, err);
	vci_db_stmt_t *s;
	int rc;

	if (!c)
		return vci_store_read_fail(-1, err, "outbox_counts");
	rc = vci_store_query(c, &s, err, vci_sql_outbox_counts, "");
	if (rc == VCI_DB_ROW) {
		*pending = c->drv->column_int(s, 0);
		*delivered = c->drv->column_int(s, 1);
		*failed = c->drv->column_int(s, 2);
		vci_store_end(c, s);
		rc = 0;
	} else {
		rc = -1;
	}
	vci_store_reader_put(st, c);
	return vci_store_read_fail(rc, err, "outbox_counts");
}
