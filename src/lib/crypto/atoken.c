/* atoken.c - self-verifying access tokens (see atoken.h for the format). */
#include "atoken.h"
#include "base/b64url.h"

#include <string.h>
#include <openssl/crypto.h>

#define ATOKEN_VERSION 0x01
#define MAC_LEN VCI_NONCE_MAC_LEN
#define RAW_MAX (1 + 8 + 1 + VCI_ATOKEN_ID_MAX + 1 + VCI_ATOKEN_JKT_MAX + MAC_LEN)
#define RAW_MIN (1 + 8 + 1 + 1 + 1 + MAC_LEN)

char *vci_atoken_seal(const vci_nonce_key_t *k, const vci_atoken_t *t, vci_err_t *err)
{
	uint8_t raw[RAW_MAX];
	size_t idlen, jktlen, n = 0;
	char *s;

	if (!k) {
		vci_err_set(err, VCI_EXIT_KEY, "invalid_key", "access token: no key");
		return NULL;
	}
	idlen = strnlen(t->exchange_id, sizeof t->exchange_id);
	jktlen = strnlen(t->dpop_jkt, sizeof t->dpop_jkt);
	if (!idlen || idlen > VCI_ATOKEN_ID_MAX || jktlen > VCI_ATOKEN_JKT_MAX ||
	    t->expires_at < 0) {
		vci_err_set(err, VCI_EXIT_USAGE, "invalid_request",
			    "access token: no exchange id, or one too long, a key thumbprint "
			    "too long or a negative expiry");
		return NULL;
	}
	raw[n++] = ATOKEN_VERSION;
	vci_put_be(raw + n, (uint64_t)t->expires_at, 8);
	n += 8;
	raw[n++] = (uint8_t)idlen;
	memcpy(raw + n, t->exchange_id, idlen);
	n += idlen;
	raw[n++] = (uint8_t)jktlen;
	memcpy(raw + n, t->dpop_jkt, jktlen);
	n += jktlen;
	if (vci_nonce_key_mac(k, raw, n, raw + n) < 0) {
		vci_err_ssl(err, VCI_EXIT_KEY, "crypto_error", "access token");
		return NULL;
	}
	s = vci_b64url_encode(raw, n + MAC_LEN);
	if (!s)
		vci_err_oom_at(err, "access token");
	return s;
}

/* The fields of a decoded token whose MAC checked (raw, blen bytes
 * before the MAC) into *out: 0, or -1 when its lengths do not add up. */
static int atoken_fields(const uint8_t *raw, size_t blen, vci_atoken_t *out)
{
	size_t n = 1 + 8, idlen, jktlen;

	idlen = raw[n++];
	if (!idlen || idlen > VCI_ATOKEN_ID_MAX || n + idlen + 1 > blen)
		return -1;
	memcpy(out->exchange_id, raw + n, idlen);
	n += idlen;
	jktlen = raw[n++];
	if (jktlen > VCI_ATOKEN_JKT_MAX || n + jktlen != blen)
		return -1;
	memcpy(out->dpop_jkt, raw + n, jktlen);
	if (memchr(out->exchange_id, 0, idlen) || memchr(out->dpop_jkt, 0, jktlen))
		return -1;
	out->expires_at = (int64_t)vci_get_be(raw + 1, 8);
	return 0;
}

/* The reasons a token is refused (never a byte of it). */
static int atoken_refused(vci_atoken_t *out, uint8_t *raw, const char *why, vci_err_t *err)
{
	free(raw);
	memset(out, 0, sizeof *out);
	return vci_err_set(err, VCI_EXIT_FAIL, "invalid_token", "access token: %s", why);
}

int vci_atoken_open(const vci_nonce_key_t *k, const char *token, size_t len, int64_t now,
		    vci_atoken_t *out, vci_err_t *err)
{
	uint8_t *raw = NULL;
	uint8_t want[MAC_LEN];
	size_t rlen = 0, blen;
	uint64_t exp;

	memset(out, 0, sizeof *out);
	if (!k)
		return vci_err_set(err, VCI_EXIT_KEY, "invalid_key", "access token: no key");
	/* the MAC and the expiry first: nothing of an unchecked token is read */
	if (!token || len > VCI_ATOKEN_MAX ||
	    vci_b64url_decode(token, len, &raw, &rlen, NULL) < 0 || rlen < RAW_MIN ||
	    rlen > RAW_MAX || raw[0] != ATOKEN_VERSION)
		return atoken_refused(out, raw, "not one issued here", err);
	blen = rlen - MAC_LEN;
	if (vci_nonce_key_mac(k, raw, blen, want) < 0) {
		free(raw);
		return vci_err_ssl(err, VCI_EXIT_KEY, "crypto_error", "access token");
	}
	if (CRYPTO_memcmp(want, raw + blen, MAC_LEN) != 0)
		return atoken_refused(out, raw, "forged or sealed with another key", err);
	exp = vci_get_be(raw + 1, 8);
	if (now < 0 || (uint64_t)now >= exp || exp > (uint64_t)INT64_MAX)
		return atoken_refused(out, raw, "expired", err);
	if (atoken_fields(raw, blen, out) < 0)
		return atoken_refused(out, raw, "not one issued here", err);
	free(raw);
	return 0;
}
