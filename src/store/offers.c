/* offers.c - offers and their pre-authorized codes: an offer stored
 * (its Credential Offer sealed under the store's key, its configuration
 * id taken from its record), read back by id, and a code redeemed in one
 * write: the tx_code checked without burning the code on a wrong value,
 * the attempts counted, the offer spent and its exchange made. */
#include "store/internal.h"

#include <string.h>

#include <openssl/crypto.h>

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

int vci_store_redeem_spend(vci_store_conn_t *c, const struct vci_store_redeem *r,
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

int vci_store_redeem_run(vci_store_conn_t *c, void *arg, vci_err_t *err)
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
