/* atoken.h - self-verifying access tokens: the issuer tells its own live
 * tokens from forged or expired ones, and learns what each grants, with
 * no database row per token.
 *
 * A token is the base64url encoding (no padding) of
 *   version (1 byte, 0x01) || expiry (8 bytes, big-endian seconds) ||
 *   id length (1 byte) || exchange id || jkt length (1 byte, 0 for a
 *   Bearer token) || jkt ||
 *   HMAC-SHA256(key, all the bytes before it)
 * under a key of its own (a vci_nonce_key_t loaded from a file of at
 * least 32 bytes, not the key of any other sealed value, so that no
 * other value is ever taken for a token). Opening recomputes the MAC,
 * compares it in constant time, then checks the expiry. The content is
 * readable by whoever holds the token (signed, not encrypted): it holds
 * no secret, and is not a format for the token's holder to rely on (to
 * the client it is opaque, RFC 6749 section 1.4). A token is valid until
 * it expires: what must end it sooner (its exchange deleted) is checked
 * by the caller against its own state.
 *
 * Thread safety: no state; any number of threads may call these at once,
 * with the same key too. */
#ifndef VCI_ATOKEN_H
#define VCI_ATOKEN_H

#include "base/common.h"
#include "crypto/nonce.h"

#define VCI_ATOKEN_ID_MAX 63    /* bytes of an exchange id */
#define VCI_ATOKEN_JKT_MAX 47   /* bytes of a key thumbprint (RFC 7638: 43) */
/* characters of the longest token */
#define VCI_ATOKEN_MAX ((1 + 8 + 1 + VCI_ATOKEN_ID_MAX + 1 + VCI_ATOKEN_JKT_MAX + \
			 VCI_NONCE_MAC_LEN) * 4 / 3 + 1)

/* What a token grants. */
typedef struct vci_atoken {
	char exchange_id[VCI_ATOKEN_ID_MAX + 1]; /* the exchange it is for */
	char dpop_jkt[VCI_ATOKEN_JKT_MAX + 1];   /* its DPoP key's RFC 7638
						    thumbprint; "" for Bearer */
	int64_t expires_at;                      /* seconds since the epoch */
} vci_atoken_t;

/* A new token for *t under key k (malloc'd string, at most VCI_ATOKEN_MAX
 * characters). Errors: VCI_EXIT_USAGE ("invalid_request") for an empty or
 * too long exchange id, a too long jkt or a negative expiry;
 * VCI_EXIT_KEY ("invalid_key", "crypto_error") for no key or an OpenSSL
 * failure; out of memory. */
char *vci_atoken_seal(const vci_nonce_key_t *k, const vci_atoken_t *t, vci_err_t *err);

/* Open `len` characters of `token` at time `now`: 0 with *out filled
 * when it was sealed with key k and has not expired (now < expires_at);
 * otherwise -1 with *out cleared and err: VCI_EXIT_FAIL, code
 * "invalid_token" (malformed, of another version, forged or sealed under
 * another key, expired; no byte of the token in the message), or
 * VCI_EXIT_KEY ("invalid_key", "crypto_error"). */
int vci_atoken_open(const vci_nonce_key_t *k, const char *token, size_t len, int64_t now,
		    vci_atoken_t *out, vci_err_t *err);

#endif
