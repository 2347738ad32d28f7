/* seal.h - authenticated encryption of small secrets at rest (AES-256-GCM,
 * OpenSSL EVP), bound to a context string, as one self-describing text.
 *
 * A sealed value is the base64url encoding (RFC 4648 section 5, no
 * padding) of
 *   version (1 byte, 0x01) || nonce (12 random bytes) ||
 *   ciphertext (as long as the plaintext) || GCM tag (16 bytes)
 * encrypted with AES-256-GCM under a 32-byte key, with the additional
 * authenticated data version byte || aad. So its text starts with 'A'
 * (never with '{'), is 4 * (29 + n) / 3 characters long, rounded up, for
 * n bytes of plaintext, and opens only with the same key and the same aad
 * (the caller binds a value to where it is kept, e.g. a row's id, so that
 * values moved between rows do not open). A nonce is random per value:
 * keep well under 2^32 values per key.
 *
 * Thread safety: the functions keep no state; any number of threads may
 * call them at once, with the same key too. */
#ifndef VCI_SEAL_H
#define VCI_SEAL_H

#include "base/common.h"

#define VCI_SEAL_KEY 32         /* AES-256 key bytes */
#define VCI_SEAL_VERSION 0x01
#define VCI_SEAL_NONCE 12
#define VCI_SEAL_TAG 16
#define VCI_SEAL_OVERHEAD (1 + VCI_SEAL_NONCE + VCI_SEAL_TAG) /* bytes before encoding */
#define VCI_SEAL_MAX (16u << 20) /* plaintext bytes at most (16 MiB) */

/* Seal `len` bytes of `plain` (NULL when len is 0) under `key`, bound to
 * `aad` (aadlen bytes; NULL when 0). Returns a malloc'd NUL-terminated
 * string, or NULL with err: VCI_EXIT_INPUT (code "invalid_request") for
 * a plaintext over VCI_SEAL_MAX, VCI_EXIT_KEY (code "crypto_error") when
 * OpenSSL or its random generator fails. The key is borrowed: the copy
 * OpenSSL makes of it (its key schedule) is cleansed before return. */
char *vci_seal(const uint8_t key[VCI_SEAL_KEY], const void *aad, size_t aadlen,
	       const void *plain, size_t len, vci_err_t *err);

/* Open `sealed` (slen characters) made by vci_seal with this key and aad:
 * 0 with *out malloc'd (*outlen bytes, NUL-terminated beyond them) or -1
 * with err, *out NULL and nothing of the plaintext kept. Errors:
 * VCI_EXIT_FAIL, code "unsealable", message "sealed value: malformed" (not
 * base64url, too short or long, an unknown version) or "sealed value:
 * authentication failed" (tampered, another key or another aad: these are
 * never told apart); VCI_EXIT_KEY ("crypto_error") when OpenSSL fails.
 * Neither message holds any byte of the input. */
int vci_seal_open(const uint8_t key[VCI_SEAL_KEY], const void *aad, size_t aadlen,
		  const char *sealed, size_t slen, uint8_t **out, size_t *outlen, vci_err_t *err);

#endif
