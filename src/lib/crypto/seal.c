/* seal.c - AES-256-GCM sealed values (see seal.h for the format). All of
 * the cryptography is OpenSSL's EVP interface. */
#include "seal.h"
#include "base/b64url.h"

#include <string.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

/* Feed the additional data: the version byte, then the caller's aad. */
static int vci_seal_aad(EVP_CIPHER_CTX *ctx, const void *aad, size_t aadlen)
{
	static const unsigned char version = VCI_SEAL_VERSION;
	int n = 0;

	if (EVP_CipherUpdate(ctx, NULL, &n, &version, 1) != 1)
		return -1;
	if (aadlen && EVP_CipherUpdate(ctx, NULL, &n, aad, (int)aadlen) != 1)
		return -1;
	return 0;
}

/* A context for AES-256-GCM with a 96-bit nonce, set up to encrypt or
 * decrypt with key and nonce, the additional data fed. NULL on failure. */
static EVP_CIPHER_CTX *vci_seal_ctx(int enc, const uint8_t *key, const uint8_t *nonce,
				    const void *aad, size_t aadlen)
{
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();

	if (!ctx)
		return NULL;
	if (EVP_CipherInit_ex(ctx, EVP_aes_256_gcm(), NULL, NULL, NULL, enc) != 1 ||
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, VCI_SEAL_NONCE, NULL) != 1 ||
	    EVP_CipherInit_ex(ctx, NULL, NULL, key, nonce, enc) != 1 ||
	    vci_seal_aad(ctx, aad, aadlen) < 0) {
		EVP_CIPHER_CTX_free(ctx); /* cleanses the key schedule */
		return NULL;
	}
	return ctx;
}

/* Encrypt into raw = version || nonce || ciphertext || tag. */
static int vci_seal_raw(const uint8_t *key, const void *aad, size_t aadlen, const void *plain,
			size_t len, uint8_t *raw)
{
	uint8_t *nonce = raw + 1, *ct = raw + 1 + VCI_SEAL_NONCE, *tag = ct + len;
	EVP_CIPHER_CTX *ctx;
	int n = 0, m = 0, ok;

	raw[0] = VCI_SEAL_VERSION;
	if (RAND_bytes(nonce, VCI_SEAL_NONCE) != 1)
		return -1;
	ctx = vci_seal_ctx(1, key, nonce, aad, aadlen);
	if (!ctx)
		return -1;
	ok = (len == 0 || EVP_EncryptUpdate(ctx, ct, &n, plain, (int)len) == 1) &&
	     EVP_EncryptFinal_ex(ctx, ct + n, &m) == 1 && (size_t)(n + m) == len &&
	     EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, VCI_SEAL_TAG, tag) == 1;
	EVP_CIPHER_CTX_free(ctx);
	return ok ? 0 : -1;
}

char *vci_seal(const uint8_t key[VCI_SEAL_KEY], const void *aad, size_t aadlen,
	       const void *plain, size_t len, vci_err_t *err)
{
	uint8_t *raw;
	char *s = NULL;

	if (!key || len > VCI_SEAL_MAX || aadlen > VCI_SEAL_MAX || (len && !plain) ||
	    (aadlen && !aad)) {
		vci_err_set(err, VCI_EXIT_INPUT, "invalid_request",
			    "seal: no key, or plaintext or aad over %u bytes", VCI_SEAL_MAX);
		return NULL;
	}
	raw = malloc(VCI_SEAL_OVERHEAD + len);
	if (!raw) {
		vci_err_oom_at(err, "seal");
		return NULL;
	}
	if (vci_seal_raw(key, aad, aadlen, plain, len, raw) < 0)
		vci_err_ssl(err, VCI_EXIT_KEY, "crypto_error", "seal");
	else if (!(s = vci_b64url_encode(raw, VCI_SEAL_OVERHEAD + len)))
		vci_err_oom_at(err, "seal");
	free(raw); /* version, nonce, ciphertext, tag: nothing secret */
	return s;
}

/* Decrypt and authenticate raw (rlen >= VCI_SEAL_OVERHEAD) into out, which
 * has room for rlen - VCI_SEAL_OVERHEAD bytes. 0, 1 when it does not
 * authenticate, -1 when OpenSSL fails. */
static int vci_seal_unraw(const uint8_t *key, const void *aad, size_t aadlen,
			  const uint8_t *raw, size_t rlen, uint8_t *out)
{
	size_t len = rlen - VCI_SEAL_OVERHEAD;
	const uint8_t *ct = raw + 1 + VCI_SEAL_NONCE;
	uint8_t tag[VCI_SEAL_TAG];
	EVP_CIPHER_CTX *ctx = vci_seal_ctx(0, key, raw + 1, aad, aadlen);
	int n = 0, m = 0, rc;

	if (!ctx)
		return -1;
	memcpy(tag, ct + len, sizeof tag);
	if ((len && EVP_DecryptUpdate(ctx, out, &n, ct, (int)len) != 1) ||
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, VCI_SEAL_TAG, tag) != 1)
		rc = -1;
	else
		rc = EVP_DecryptFinal_ex(ctx, out + n, &m) == 1 && (size_t)(n + m) == len ? 0 : 1;
	EVP_CIPHER_CTX_free(ctx);
	return rc;
}

static int vci_seal_malformed(vci_err_t *err)
{
	return vci_err_set(err, VCI_EXIT_FAIL, "unsealable", "sealed value: malformed");
}

int vci_seal_open(const uint8_t key[VCI_SEAL_KEY], const void *aad, size_t aadlen,
		  const char *sealed, size_t slen, uint8_t **out, size_t *outlen, vci_err_t *err)
{
	uint8_t *raw = NULL, *plain;
	size_t rlen = 0, len;
	int rc;

	*out = NULL;
	*outlen = 0;
	if (!key || (aadlen && !aad) || aadlen > VCI_SEAL_MAX)
		return vci_err_set(err, VCI_EXIT_INPUT, "invalid_request",
				   "seal: no key, or aad over %u bytes", VCI_SEAL_MAX);
	if (!sealed || slen > vci_b64url_len(VCI_SEAL_OVERHEAD + VCI_SEAL_MAX) ||
	    vci_b64url_decode(sealed, slen, &raw, &rlen, NULL) < 0 ||
	    rlen < VCI_SEAL_OVERHEAD || raw[0] != VCI_SEAL_VERSION) {
		free(raw);
		return vci_seal_malformed(err);
	}
	len = rlen - VCI_SEAL_OVERHEAD;
	plain = malloc(len + 1);
	if (!plain) {
		free(raw);
		return vci_err_oom_at(err, "seal");
	}
	rc = vci_seal_unraw(key, aad, aadlen, raw, rlen, plain);
	free(raw);
	if (rc != 0) {
		OPENSSL_clear_free(plain, len + 1); /* unauthenticated bytes */
		if (rc < 0)
			return vci_err_ssl(err, VCI_EXIT_KEY, "crypto_error", "seal");
		return vci_err_set(err, VCI_EXIT_FAIL, "unsealable",
				   "sealed value: authentication failed");
	}
	plain[len] = '\0';
	*out = plain;
	*outlen = len;
	return 0;
}
