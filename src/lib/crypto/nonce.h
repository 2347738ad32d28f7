/* nonce.h - self-verifying c_nonce values: the issuer needs no database to
 * tell its own live nonces from forged or expired ones.
 *
 * A nonce is the base64url encoding (87 characters) of
 *   version (1 byte, 0x01) || issued-at (8 bytes, big-endian seconds) ||
 *   expiry (8 bytes, big-endian seconds) || 16 random bytes ||
 *   HMAC-SHA256(key, the 33 bytes before it)
 * The key is the content of a key file of at least 32 bytes (for example
 * `openssl rand -out nonce.key 32`). Checking recomputes the MAC, compares
 * it in constant time and checks the expiry. Such a nonce is not single
 * use: a replay within its lifetime needs a store of used values (vci-serve
 * records each c_nonce spent with its expiry, see vci_nonce_check_life). */
#ifndef VCI_NONCE_H
#define VCI_NONCE_H

#include "base/common.h"
#include "base/time.h"

#define VCI_NONCE_KEY_MIN 32
#define VCI_NONCE_LEN 87 /* characters of an encoded nonce */

typedef struct vci_nonce_key vci_nonce_key_t;

/* Load a key file (at least 32 bytes, at most 1 KiB; all bytes are key).
 * Errors are VCI_EXIT_KEY. */
vci_nonce_key_t *vci_nonce_key_load(const char *path, vci_err_t *err);
/* A key from bytes (copied). */
vci_nonce_key_t *vci_nonce_key_new(const uint8_t *key, size_t len, vci_err_t *err);
/* Cleanse and free. */
void vci_nonce_key_free(vci_nonce_key_t *k);

#define VCI_NONCE_MAC_LEN 32
/* HMAC-SHA256 of `len` bytes of `data` under the key, to out: 0, or -1
 * when OpenSSL fails (k NULL included). For other self-verifying values
 * under a key file of their own (crypto/atoken.h); no secret is kept
 * beyond the call. Thread safety: a key may be used by any number of
 * threads at once (it is read only). */
int vci_nonce_key_mac(const vci_nonce_key_t *k, const uint8_t *data, size_t len,
		      uint8_t out[VCI_NONCE_MAC_LEN]);

/* A new nonce valid from `now` for `ttl` seconds (malloc'd string). */
char *vci_nonce_new(const vci_nonce_key_t *k, int64_t now, unsigned long ttl, vci_err_t *err);
/* Check a nonce at time `now`: 0 if it was made with this key and has not
 * expired (*issued receives its issue time if non-NULL); otherwise -1
 * with err (VCI_EXIT_FAIL, code "invalid_nonce"). */
int vci_nonce_check(const vci_nonce_key_t *k, const char *nonce, size_t len, int64_t now,
		    int64_t *issued, vci_err_t *err);
/* vci_nonce_check that also gives the nonce's expiry (*expires, if
 * non-NULL): a store that keeps used nonces to refuse a replay keeps each
 * until then, whatever the lifetime settings are now. */
int vci_nonce_check_life(const vci_nonce_key_t *k, const char *nonce, size_t len, int64_t now,
			 int64_t *issued, int64_t *expires, vci_err_t *err);

#endif
