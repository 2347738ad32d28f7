/* nonce.c - self-verifying c_nonce values (see nonce.h for the format). */
#include "nonce.h"
#include "base/b64url.h"

#include <string.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#define NONCE_VERSION 0x01
#define BODY_LEN (1 + 8 + 8 + 16)
#define MAC_LEN VCI_NONCE_MAC_LEN
#define RAW_LEN (BODY_LEN + MAC_LEN)
#define KEY_MAX 1024

struct vci_nonce_key {
	vci_secret_t key;
	EVP_MAC *hmac;          /* fetched once: a fetch per MAC costs a lookup */
};

vci_nonce_key_t *vci_nonce_key_new(const uint8_t *key, size_t len, vci_err_t *err)
{
	vci_nonce_key_t *k;

	if (!key || len < VCI_NONCE_KEY_MIN || len > KEY_MAX) {
		vci_err_set(err, VCI_EXIT_KEY, "invalid_key",
			    "nonce key: %zu bytes, expected %d to %d", len, VCI_NONCE_KEY_MIN, KEY_MAX);
		return NULL;
	}
	k = calloc(1, sizeof *k);
	if (k)
		k->key.buf = malloc(len);
	if (!k || !k->key.buf) {
		free(k);
		vci_err_oom_at(err, "nonce key");
		return NULL;
	}
	memcpy(k->key.buf, key, len);
	k->key.len = len;
	k->hmac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	if (!k->hmac) {
		vci_nonce_key_free(k);
		vci_err_ssl(err, VCI_EXIT_KEY, "crypto_error", "nonce key: HMAC");
		return NULL;
	}
	return k;
}

vci_nonce_key_t *vci_nonce_key_load(const char *path, vci_err_t *err)
{
	vci_nonce_key_t *k;
	size_t len = 0;
	char *buf;

	if (!path || !strcmp(path, "-")) {
		vci_err_set(err, VCI_EXIT_KEY, "invalid_key", "nonce key: a key file is required");
		return NULL;
	}
	buf = vci_read_file(path, KEY_MAX + 1, &len, err);
	if (!buf) {
		if (err)
			err->status = VCI_EXIT_KEY;
		return NULL;
	}
	k = vci_nonce_key_new((const uint8_t *)buf, len, err);
	OPENSSL_cleanse(buf, len);
	free(buf);
	if (!k)
		vci_err_prefix(err, "%s", path);
	return k;
}

void vci_nonce_key_free(vci_nonce_key_t *k)
{
	if (!k)
		return;
	vci_secret_free(&k->key);
	EVP_MAC_free(k->hmac);
	free(k);
}

int vci_nonce_key_mac(const vci_nonce_key_t *k, const uint8_t *data, size_t len,
		      uint8_t out[VCI_NONCE_MAC_LEN])
{
	EVP_MAC_CTX *ctx = k && k->hmac ? EVP_MAC_CTX_new(k->hmac) : NULL;
	OSSL_PARAM params[] = {
		OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)"SHA256", 0),
		OSSL_PARAM_construct_end(),
	};
	size_t n = 0;
	int ok = ctx && EVP_MAC_init(ctx, k->key.buf, k->key.len, params) == 1 &&
		 EVP_MAC_update(ctx, data, len) == 1 &&
		 EVP_MAC_final(ctx, out, &n, VCI_NONCE_MAC_LEN) == 1 && n == VCI_NONCE_MAC_LEN;

	/* the context holds the key (its HMAC pads): freed, it is cleansed */
	EVP_MAC_CTX_free(ctx);
	return ok ? 0 : -1;
}

static int mac(const vci_nonce_key_t *k, const uint8_t *body, uint8_t out[MAC_LEN])
{
	return vci_nonce_key_mac(k, body, BODY_LEN, out);
}

char *vci_nonce_new(const vci_nonce_key_t *k, int64_t now, unsigned long ttl, vci_err_t *err)
{
	uint8_t raw[RAW_LEN];
	char *s;

	if (!k) {
		vci_err_set(err, VCI_EXIT_KEY, "invalid_key", "nonce: no key");
		return NULL;
	}
	if (now < 0) {
		vci_err_set(err, VCI_EXIT_USAGE, "invalid_request", "nonce: negative time");
		return NULL;
	}
	raw[0] = NONCE_VERSION;
	vci_put_be(raw + 1, (uint64_t)now, 8);
	vci_put_be(raw + 9, (uint64_t)now + ttl, 8);
	if (RAND_bytes(raw + 17, 16) != 1 || mac(k, raw, raw + BODY_LEN) < 0) {
		vci_err_ssl(err, VCI_EXIT_KEY, "crypto_error", "nonce");
		return NULL;
	}
	s = vci_b64url_encode(raw, sizeof raw);
	if (!s)
		vci_err_oom_at(err, "nonce");
	return s;
}

int vci_nonce_check(const vci_nonce_key_t *k, const char *nonce, size_t len, int64_t now,
		    int64_t *issued, vci_err_t *err)
{
	return vci_nonce_check_life(k, nonce, len, now, issued, NULL, err);
}

int vci_nonce_check_life(const vci_nonce_key_t *k, const char *nonce, size_t len, int64_t now,
			 int64_t *issued, int64_t *expires, vci_err_t *err)
{
	uint8_t *raw = NULL;
	uint8_t want[MAC_LEN];
	size_t rlen = 0;
	uint64_t iat, exp;
	int forged;

	if (!k)
		return vci_err_set(err, VCI_EXIT_KEY, "invalid_key", "nonce: no key");
	if (!nonce || len != VCI_NONCE_LEN ||
	    vci_b64url_decode(nonce, len, &raw, &rlen, NULL) < 0 || rlen != RAW_LEN ||
	    raw[0] != NONCE_VERSION) {
		free(raw);
		return vci_err_set(err, VCI_EXIT_FAIL, "invalid_nonce",
				   "nonce: not a c_nonce issued here");
	}
	if (mac(k, raw, want) < 0) {
		free(raw);
		return vci_err_ssl(err, VCI_EXIT_KEY, "crypto_error", "nonce");
	}
	forged = CRYPTO_memcmp(want, raw + BODY_LEN, MAC_LEN) != 0;
	iat = vci_get_be(raw + 1, 8);
	exp = vci_get_be(raw + 9, 8);
	free(raw);
	if (forged)
		return vci_err_set(err, VCI_EXIT_FAIL, "invalid_nonce",
				   "nonce: forged or made with another key");
	if (now < 0 || (uint64_t)now >= exp)
		return vci_err_set(err, VCI_EXIT_FAIL, "invalid_nonce",
				   "nonce: expired %llu seconds ago",
				   now < 0 ? 0ULL : (unsigned long long)((uint64_t)now - exp));
	if ((uint64_t)now + 300 < iat)
		return vci_err_set(err, VCI_EXIT_FAIL, "invalid_nonce",
				   "nonce: issued in the future");
	if (issued)
		*issued = (int64_t)iat;
	if (expires)
		*expires = exp > (uint64_t)INT64_MAX ? INT64_MAX : (int64_t)exp;
	return 0;
}
