/* test-atoken.c - sealed access tokens (crypto/atoken.h): round trips,
 * the layout checked with OpenSSL's one-shot HMAC, every changed
 * character, another key, expiry, wrong lengths, refused fields. */
#include "base/common.h"
#include "base/b64url.h"
#include "crypto/atoken.h"
#include "crypto/nonce.h"
#include "tap.h"

#include <string.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#define NOW 1750000000
#define XID "Zm9vYmFyYmF6cXV4cXV1eA"                      /* 22 characters */
#define JKT "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I" /* 43 characters */

static const uint8_t kb[32] = "0123456789abcdef0123456789abcdef";
static const uint8_t kb2[32] = "fedcba9876543210fedcba9876543210";

static vci_atoken_t grant(const char *xid, const char *jkt, int64_t exp)
{
	vci_atoken_t t = { 0 };

	snprintf(t.exchange_id, sizeof t.exchange_id, "%s", xid);
	snprintf(t.dpop_jkt, sizeof t.dpop_jkt, "%s", jkt);
	t.expires_at = exp;
	return t;
}

/* A token made here from raw bytes, its MAC by OpenSSL's HMAC() under kb
 * (so the library's layout is checked against an independent MAC). */
static char *forge(const uint8_t *body, size_t n, const uint8_t *key)
{
	uint8_t raw[512];
	unsigned int mlen = 0;

	memcpy(raw, body, n);
	HMAC(EVP_sha256(), key, 32, body, n, raw + n, &mlen);
	return vci_b64url_encode(raw, n + mlen);
}

static int opens(const vci_nonce_key_t *k, const char *tok, int64_t now, vci_atoken_t *out,
		 vci_err_t *err)
{
	return vci_atoken_open(k, tok, strlen(tok), now, out, err);
}

static void test_round_trip(const vci_nonce_key_t *k)
{
	vci_atoken_t t = grant(XID, JKT, NOW + 300), got;
	vci_err_t err = { 0 };
	char_auto_t *tok = vci_atoken_seal(k, &t, &err);
	char_auto_t *tok2 = vci_atoken_seal(k, &t, &err);
	char_auto_t *bearer = NULL;

	tap_ok(tok && strlen(tok) <= VCI_ATOKEN_MAX, "sealed: %zu characters",
	       tok ? strlen(tok) : 0);
	tap_ok(tok && strspn(tok, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
			     "0123456789-_") == strlen(tok), "base64url, no padding");
	tap_ok(tok && tok2 && !strcmp(tok, tok2), "the same grant seals the same way");
	tap_is_int(opens(k, tok, NOW, &got, &err), 0, "opens: %s", err.msg);
	tap_is_str(got.exchange_id, XID, "the exchange id");
	tap_is_str(got.dpop_jkt, JKT, "the key thumbprint");
	tap_is_int(got.expires_at, NOW + 300, "the expiry");
	tap_is_int(opens(k, tok, NOW + 299, &got, &err), 0, "valid one second before expiry");
	t = grant(XID, "", NOW + 300);
	bearer = vci_atoken_seal(k, &t, &err);
	tap_ok(bearer && opens(k, bearer, NOW, &got, &err) == 0 && !got.dpop_jkt[0] &&
	       !strcmp(got.exchange_id, XID), "Bearer: no thumbprint");
	tap_ok(bearer && tok && strcmp(bearer, tok), "Bearer and DPoP tokens differ");
}

static void test_layout(const vci_nonce_key_t *k)
{
	vci_atoken_t t = grant(XID, JKT, NOW + 300), got;
	vci_err_t err = { 0 };
	char_auto_t *tok = vci_atoken_seal(k, &t, &err);
	char_auto_t *mine = NULL;
	uint8_t body[256];
	size_t n = 0;

	body[n++] = 0x01;
	for (int i = 7; i >= 0; i--)
		body[n++] = (uint8_t)((uint64_t)(NOW + 300) >> (8 * i));
	body[n++] = (uint8_t)strlen(XID);
	memcpy(body + n, XID, strlen(XID));
	n += strlen(XID);
	body[n++] = (uint8_t)strlen(JKT);
	memcpy(body + n, JKT, strlen(JKT));
	n += strlen(JKT);
	mine = forge(body, n, kb);
	tap_ok(tok && mine && !strcmp(tok, mine),
	       "version || expiry || id || jkt || HMAC-SHA256, as OpenSSL's HMAC() makes it");
	/* the MAC good but the lengths not adding up: never opened */
	body[1 + 8] = (uint8_t)(strlen(XID) + 1);
	free(mine);
	mine = forge(body, n, kb);
	tap_ok(opens(k, mine, NOW, &got, &err) == -1 && !strcmp(err.code, "invalid_token") &&
	       !got.exchange_id[0], "lengths that do not add up: %s", err.msg);
	body[1 + 8] = (uint8_t)strlen(XID);
	body[0] = 0x02;
	free(mine);
	mine = forge(body, n, kb);
	tap_ok(opens(k, mine, NOW, &got, &err) == -1 && !strcmp(err.code, "invalid_token"),
	       "another version: %s", err.msg);
}

static void test_tampered(const vci_nonce_key_t *k)
{
	vci_atoken_t t = grant(XID, JKT, NOW + 300), got;
	vci_err_t err = { 0 };
	char_auto_t *tok = vci_atoken_seal(k, &t, &err);
	size_t len = tok ? strlen(tok) : 0, refused = 0, leaked = 0;

	/* every character changed in turn */
	for (size_t i = 0; i < len; i++) {
		char *c = strdup(tok);

		c[i] = c[i] == 'A' ? 'B' : 'A';
		if (opens(k, c, NOW, &got, &err) == -1 && !strcmp(err.code, "invalid_token") &&
		    !got.exchange_id[0])
			refused++;
		if (strstr(err.msg, c) || strstr(err.msg, XID))
			leaked++;
		free(c);
	}
	tap_ok(len && refused == len, "one changed character, at each of %zu places: %zu refused",
	       len, refused);
	tap_is_int((long long)leaked, 0, "no message holds the token or its exchange");
}

static void test_refused(const vci_nonce_key_t *k, const vci_nonce_key_t *k2)
{
	vci_atoken_t t = grant(XID, JKT, NOW + 300), got;
	vci_err_t err = { 0 };
	char_auto_t *tok = vci_atoken_seal(k, &t, &err);
	char *c;
	char big[VCI_ATOKEN_MAX + 8];

	tap_ok(opens(k2, tok, NOW, &got, &err) == -1 && !strcmp(err.code, "invalid_token") &&
	       strstr(err.msg, "another key"), "another key: %s", err.msg);
	tap_ok(opens(k2, tok, NOW + 1000, &got, &err) == -1 && strstr(err.msg, "another key"),
	       "the MAC is checked before the expiry: %s", err.msg);
	tap_ok(opens(k, tok, NOW + 300, &got, &err) == -1 && !strcmp(err.code, "invalid_token") &&
	       strstr(err.msg, "expired") && !got.exchange_id[0], "expired at its expiry: %s",
	       err.msg);
	tap_ok(opens(k, tok, -1, &got, &err) == -1, "a negative time");
	c = strndup(tok, strlen(tok) - 1);
	tap_ok(opens(k, c, NOW, &got, &err) == -1 && !strcmp(err.code, "invalid_token"),
	       "one character short: %s", err.msg);
	free(c);
	c = strndup(tok, strlen(tok) - 4);
	tap_ok(opens(k, c, NOW, &got, &err) == -1, "three bytes short: %s", err.msg);
	free(c);
	c = malloc(strlen(tok) + 5);
	sprintf(c, "%sAAAA", tok);
	tap_ok(opens(k, c, NOW, &got, &err) == -1 && !strcmp(err.code, "invalid_token"),
	       "three bytes more: %s", err.msg);
	free(c);
	tap_ok(vci_atoken_open(k, "", 0, NOW, &got, &err) == -1, "empty");
	tap_ok(opens(k, "abc", NOW, &got, &err) == -1 && strstr(err.msg, "not one issued here"),
	       "garbage: %s", err.msg);
	memset(big, 'A', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	tap_ok(opens(k, big, NOW, &got, &err) == -1, "over the longest token");
	tap_ok(opens(k, "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.", NOW, &got, &err) == -1,
	       "a JWT is no token of ours");
	tap_ok(vci_atoken_open(NULL, tok, strlen(tok), NOW, &got, &err) == -1 &&
	       !strcmp(err.code, "invalid_key"), "no key");
}

static void test_seal_refusals(const vci_nonce_key_t *k)
{
	char id[VCI_ATOKEN_ID_MAX + 1], jkt[VCI_ATOKEN_JKT_MAX + 1];
	vci_atoken_t t = grant("", JKT, NOW), got;
	vci_err_t err = { 0 };
	char *tok;

	tap_ok(vci_atoken_seal(k, &t, &err) == NULL && !strcmp(err.code, "invalid_request"),
	       "no exchange id: %s", err.msg);
	t = grant(XID, JKT, -1);
	tap_ok(vci_atoken_seal(k, &t, &err) == NULL, "a negative expiry");
	t = grant(XID, JKT, NOW);
	tap_ok(vci_atoken_seal(NULL, &t, &err) == NULL && !strcmp(err.code, "invalid_key"),
	       "no key");
	memset(id, 'x', sizeof id - 1);
	id[sizeof id - 1] = '\0';
	memset(jkt, 'j', sizeof jkt - 1);
	jkt[sizeof jkt - 1] = '\0';
	t = grant(id, jkt, NOW + 1);
	tok = vci_atoken_seal(k, &t, &err);
	tap_ok(tok && strlen(tok) <= VCI_ATOKEN_MAX && opens(k, tok, NOW, &got, &err) == 0 &&
	       !strcmp(got.exchange_id, id) && !strcmp(got.dpop_jkt, jkt),
	       "the longest id and thumbprint: %zu characters", tok ? strlen(tok) : 0);
	free(tok);
}

int main(void)
{
	vci_nonce_key_t *k = vci_nonce_key_new(kb, sizeof kb, NULL);
	vci_nonce_key_t *k2 = vci_nonce_key_new(kb2, sizeof kb2, NULL);

	tap_ok(k && k2, "keys");
	test_round_trip(k);
	test_layout(k);
	test_tampered(k);
	test_refused(k, k2);
	test_seal_refusals(k);
	vci_nonce_key_free(k);
	vci_nonce_key_free(k2);
	return tap_done();
}
