/* offers.c - an offer record into the store: what `vci-serve import`
 * reads from vci-offer and what POST /offers makes. The store sees the
 * pre-authorized code and the tx_code only as hashes; the record it keeps
 * for the exchange has neither, nor the offer or its link (both hold the
 * code). The served offer (by reference) is the Credential Offer itself,
 * code included: a wallet needs it. */
#include "serve.h"
#include "oid4vci/offer.h"

#include <string.h>

#define bad(err, fmt, what) vci_err_set(err, VCI_EXIT_FAIL, "invalid_request", fmt, what)

/* The pre-authorized code and tx_code the offer's grant asks for, checked
 * against the record's. */
static int check_grant(const json_t *rec, const json_t *offer, vci_err_t *err)
{
	const json_t *g = json_object_get(json_object_get(offer, "grants"), VCI_GRANT_PRE_AUTH);
	const char *code = json_string_value(json_object_get(rec, "pre_authorized_code"));
	const char *in_offer = json_string_value(json_object_get(g, "pre-authorized_code"));
	const json_t *tx = json_object_get(rec, "tx_code");

	if (!g && code)
		return bad(err, "%s: the offer has no pre-authorized_code grant", "pre_authorized_code");
	if (!g)
		return 0;
	if (!code || !in_offer || !vci_ct_equal(code, strlen(code), in_offer, strlen(in_offer)))
		return bad(err, "%s: missing, or not the offer's", "pre_authorized_code");
	if (json_object_get(g, "tx_code") && !json_is_string(tx))
		return bad(err, "%s: the offer asks for one: the record must carry it", "tx_code");
	if (!json_object_get(g, "tx_code") && tx)
		return bad(err, "%s: the offer does not ask for one", "tx_code");
	return 0;
}

/* The record as the exchange keeps it: no code, tx_code, offer or link,
 * but the offer's credential_configuration_ids (the configurations the
 * exchange may be issued) kept as a field of their own. */
static char *record_text(const json_t *rec, const json_t *offer)
{
	const json_t *ids = json_object_get(offer, "credential_configuration_ids");
	static const char *const drop[] = { "pre_authorized_code", "tx_code", "credential_offer",
					    "credential_offer_uri", "offer_link", "qr_png",
					    "qr_svg" };
	json_t *copy = json_deep_copy(rec);
	char *text;

	if (!copy)
		return NULL;
	for (size_t i = 0; i < sizeof drop / sizeof drop[0]; i++)
		json_object_del(copy, drop[i]);
	if (json_is_array(ids) && !json_object_get(copy, "credential_configuration_ids") &&
	    json_object_set(copy, "credential_configuration_ids", (json_t *)ids) < 0) {
		json_decref(copy);
		return NULL;
	}
	text = vci_json_dump(copy);
	json_decref(copy);
	return text;
}

int vci_serve_offer_put(vci_store_t *st, const json_t *rec, unsigned tx_attempts, int64_t now,
			vci_err_t *err)
{
	const char *id = json_string_value(json_object_get(rec, "offer_id"));
	const json_t *offer = json_object_get(rec, "credential_offer");
	const json_t *exp = json_object_get(rec, "expires_at");
	const char *code = json_string_value(json_object_get(rec, "pre_authorized_code"));
	const char *tx = json_string_value(json_object_get(rec, "tx_code"));
	uint8_t code_hash[VCI_STORE_HASH], tx_hash[VCI_STORE_HASH];
	vci_store_offer_t o = { 0 };
	char_auto_t *offer_text = NULL;
	char_auto_t *record = NULL;
	int rc;

	if (!json_is_object(rec) || json_object_get(rec, "error"))
		return bad(err, "%s: an error record, or not an object", "record");
	if (!id || !vci_offer_id_ok(id))
		return bad(err, "%s: missing or not an offer id (base64url, 1 to 128)", "offer_id");
	if (!json_is_object(offer) || vci_offer_check(offer, err) < 0) {
		if (json_is_object(offer))
			return vci_err_prefix(err, "credential_offer"), err->status = VCI_EXIT_FAIL, -1;
		return bad(err, "%s: missing (make the record with vci-offer)", "credential_offer");
	}
	if (exp && (!json_is_integer(exp) || json_integer_value(exp) < 0))
		return bad(err, "%s: expected NumericDate seconds", "expires_at");
	if (exp && json_integer_value(exp) && json_integer_value(exp) <= now)
		return vci_err_set(err, VCI_EXIT_FAIL, "expired_offer", "offer %s expired at %lld",
				   id, (long long)json_integer_value(exp));
	if (check_grant(rec, offer, err) < 0)
		return -1;
	offer_text = vci_json_dump(offer);
	record = record_text(rec, offer);
	if (!offer_text || !record)
		return vci_err_oom(err);
	o.offer_id = id;
	if (code) {
		vci_store_hash(code, strlen(code), code_hash);
		o.code_hash = code_hash;
	}
	if (tx) {
		vci_store_hash(tx, strlen(tx), tx_hash);
		o.tx_code_hash = tx_hash;
	}
	o.tx_attempts_max = tx_attempts;
	o.created_at = now;
	o.expires_at = exp ? (int64_t)json_integer_value(exp) : 0;
	o.issuer_state = json_string_value(json_object_get(rec, "issuer_state"));
	o.offer = offer_text;
	o.record = record;
	rc = vci_store_offer_put(st, &o, err);
	OPENSSL_cleanse(code_hash, sizeof code_hash);
	return rc;
}
