/* jws.h - JWS compact serialization on OpenSSL EVP: ES256/384/512 (raw
 * R||S), EdDSA (Ed25519), RS256, PS256. Verification always takes an
 * allow-list; "none" and HS* are never accepted. */
#ifndef VCI_JWS_H
#define VCI_JWS_H

#include "base/common.h"

/* Sign. `alg` NULL means the key's default. `header` holds extra header
 * members (typ, kid, x5c, ...; borrowed); "alg" is set from `alg`.
 * Returns a malloc'd compact JWS. */
char *vci_jws_sign(EVP_PKEY *key, const char *alg, const json_t *header,
		   const uint8_t *payload, size_t len, vci_err_t *err);
char *vci_jws_sign_json(EVP_PKEY *key, const char *alg, const json_t *header,
			const json_t *payload, vci_err_t *err);

/* A prepared signer: key, alg and the encoded protected header are set up
 * once so that signing many payloads does no per-record key or header
 * work. Not thread-safe: use one signer per thread. `alg` NULL means the
 * key's default; `header` as for vci_jws_sign (copied). The key is
 * referenced, not copied. */
typedef struct vci_jws_signer vci_jws_signer_t;
vci_jws_signer_t *vci_jws_signer_new(EVP_PKEY *key, const char *alg, const json_t *header,
				     vci_err_t *err);
/* The alg the signer uses ("ES256", ...). */
const char *vci_jws_signer_alg(const vci_jws_signer_t *s);
/* Sign one payload; returns a malloc'd compact JWS (*out_len its length,
 * if non-NULL). */
char *vci_jws_signer_sign(vci_jws_signer_t *s, const uint8_t *payload, size_t len,
			  size_t *out_len, vci_err_t *err);
/* As vci_jws_signer_sign, with `room` bytes more allocated after the
 * JWS's terminating NUL: the caller may write up to *out_len + 1 + room
 * bytes into it (a suffix and its NUL) without copying the JWS. */
char *vci_jws_signer_sign_room(vci_jws_signer_t *s, const uint8_t *payload, size_t len,
			       size_t room, size_t *out_len, vci_err_t *err);
void vci_jws_signer_free(vci_jws_signer_t *s);

/* A parsed, not yet verified, JWS. */
typedef struct vci_jws {
	json_t *header;        /* decoded protected header (object) */
	json_t *payload;       /* decoded payload if it is a JSON object, else NULL */
	uint8_t *payload_raw;  /* decoded payload bytes */
	size_t payload_len;
	uint8_t *sig;
	size_t sig_len;
	const char *alg;       /* header "alg" (points into header) */
	char *signing_input;   /* "<b64 header>.<b64 payload>" */
	size_t signing_input_len;
} vci_jws_t;

/* Parse a compact JWS: exactly three parts, strict base64url, a header
 * that is a JSON object without duplicate members and with a string
 * "alg", unknown "crit" refused. Errors are VCI_EXIT_INPUT. */
int vci_jws_parse(const char *compact, size_t len, vci_jws_t *jws, vci_err_t *err);
void vci_jws_free(vci_jws_t *jws);

/* Verify with `key`. `allowed` is a NULL-terminated list of alg names
 * (NULL means all asymmetric algs we implement). Checks alg is allowed,
 * not none/HS*, and fits the key. Returns 0 if the signature is valid,
 * -1 (VCI_EXIT_FAIL, code "invalid_signature") otherwise. */
int vci_jws_verify(const vci_jws_t *jws, EVP_PKEY *key, const char *const *allowed,
		   vci_err_t *err);
/* Verification state reused from one signature to the next: a digest
 * context, and a key context for each of the last few keys (kept by
 * reference until replaced or freed). Verifying many signatures by keys
 * of a vci_keyslots_t, which are the same key objects each time, then
 * sets up no context per signature: a key context is initialised for
 * verifying once per key and alg, and follows a new public point set on
 * its key in place (EVP_PKEY_set1_encoded_public_key, as
 * vci_keyslots_jwk does); a key must not be changed in any other way while
 * `v` refers to it. Not thread-safe: one per thread at a time. */
typedef struct vci_jws_verifier vci_jws_verifier_t;
vci_jws_verifier_t *vci_jws_verifier_new(void);
void vci_jws_verifier_free(vci_jws_verifier_t *v);
/* As vci_jws_verify, with the state of `v` (NULL: none, as
 * vci_jws_verify). */
int vci_jws_verify_with(vci_jws_verifier_t *v, const vci_jws_t *jws, EVP_PKEY *key,
			const char *const *allowed, vci_err_t *err);
/* Verify a compact JWS in one call: parse, then verify with `key` and
 * `allowed`. On success *jws holds the parsed token (free it with
 * vci_jws_free); on failure it is freed. */
int vci_jws_parse_verify(const char *compact, size_t len, EVP_PKEY *key,
			 const char *const *allowed, vci_jws_t *jws, vci_err_t *err);

/* Compare a "typ" value to an expected media type: case-insensitive,
 * an "application/" prefix ignored. */
int vci_jws_typ_is(const char *typ, const char *expected);

/* ---- JWT checks every proof shares (key proofs, DPoP, wallet
 * attestations) ---- */

/* Largest JWT a verifier reads. */
#define VCI_JWT_MAX (64u * 1024u)
/* iat window defaults: how old, how far in the future (seconds). */
#define VCI_JWT_DEFAULT_MAX_AGE 300
#define VCI_JWT_DEFAULT_SKEW 60
/* Algorithms accepted when a policy names none (NULL-terminated), and
 * all those verification implements. */
extern const char *const vci_jwt_default_algs[];
extern const char *const vci_jwt_known_algs[];

/* alg present, not "none", not a MAC, known, and in `allowed` (NULL:
 * vci_jwt_default_algs). Fails with VCI_EXIT_FAIL, `code`, and a message
 * "WHAT: why". */
int vci_jwt_check_alg(const char *alg, const char *const *allowed, const char *what,
		      const char *code, vci_err_t *err);
/* claims.iat an integer no more than max_age (0: the default) seconds
 * before `now` (0: the clock) and no more than skew (0: the default)
 * after it. Errors as for vci_jwt_check_alg. */
int vci_jwt_check_iat(const json_t *claims, int64_t now, long max_age, long skew,
		      const char *what, const char *code, vci_err_t *err);

#endif
