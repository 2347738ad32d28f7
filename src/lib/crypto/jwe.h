/* jwe.h - JWE compact serialization (RFC 7516) with direct key agreement
 * ECDH-ES (RFC 7518 section 4.6: ephemeral-static ECDH on P-256, P-384
 * or P-521, the Concat KDF of NIST SP 800-56A over SHA-256) and
 * content encryption A128GCM or A256GCM (section 5.3): what OpenID4VCI
 * 1.0 section 10 asks of an issuer encrypting credential responses.
 *
 * All primitives are OpenSSL's: EVP_PKEY_derive for ECDH, EVP_KDF "SSKDF"
 * (the single-step KDF of SP 800-56C with a hash, which is the Concat KDF
 * of RFC 7518 section 4.6.2) and EVP AES-GCM. Key material is cleansed
 * after use. Every refusal is VCI_EXIT_FAIL (encrypt: the recipient's
 * parameters) or VCI_EXIT_INPUT (decrypt: the token) with code
 * "invalid_encryption_parameters". Thread-safe: no shared state. */
#ifndef VCI_JWE_H
#define VCI_JWE_H

#include "base/common.h"

/* Largest compact JWE vci_jwe_decrypt reads, in bytes. */
#define VCI_JWE_MAX (1u << 20)

/* The key management algorithm implemented ("ECDH-ES") and the content
 * encryption algorithms, NULL-terminated (for metadata:
 * alg_values_supported, enc_values_supported). */
extern const char *const vci_jwe_algs[];
extern const char *const vci_jwe_encs[];

/* 1 if `enc` is one of vci_jwe_encs, else 0. */
int vci_jwe_enc_supported(const char *enc);

/* The ECDH-ES key derivation alone (RFC 7518 section 4.6.2): Z from
 * `priv` and `peer` (same curve; peer checked by OpenSSL), then the Concat
 * KDF with AlgorithmID `alg_id` (the "enc" value for direct agreement),
 * PartyUInfo apu, PartyVInfo apv (either may be NULL with length 0) and
 * keydatalen 8*keylen, written to key[keylen]. 0 or -1 with err. */
int vci_jwe_ecdh_es_kdf(EVP_PKEY *priv, EVP_PKEY *peer, const char *alg_id,
			const uint8_t *apu, size_t apu_len, const uint8_t *apv, size_t apv_len,
			uint8_t *key, size_t keylen, vci_err_t *err);

/* Whether vci_jwe_encrypt can encrypt to `recipient` with enc and zip
 * (the checks it starts with, and the key imported once): 0, or -1 with
 * err (VCI_EXIT_FAIL, "invalid_encryption_parameters", naming what is not
 * supported). */
int vci_jwe_recipient_check(const json_t *recipient, const char *enc, const char *zip,
			    vci_err_t *err);

/* Encrypt `pt` (len bytes) to the public JWK `recipient` (borrowed): its
 * "alg", if present, must be "ECDH-ES"; "enc" one of vci_jwe_encs; `zip`
 * must be NULL (no compression is offered). The protected header is
 * {"alg":"ECDH-ES","enc":enc,"epk":<fresh ephemeral public JWK>} plus
 * "kid" copied from the recipient JWK and "cty"/"typ" from `extra`
 * (borrowed, may be NULL; other members of `extra` are copied too, but
 * alg, enc, epk and zip are refused there). Returns the malloc'd compact
 * JWE (header..iv.ciphertext.tag: no encrypted key with direct agreement),
 * or NULL with err. */
char *vci_jwe_encrypt(const json_t *recipient, const char *enc, const char *zip,
		      const json_t *extra, const uint8_t *pt, size_t len, vci_err_t *err);

/* Decrypt a compact JWE made with ECDH-ES and A128GCM/A256GCM to our
 * private key `key` (EC). Refuses other algorithms, a "zip", a
 * non-empty encrypted key, unknown "crit", an "epk" of another curve or
 * holding private members, and any authentication failure (one message
 * for all of those, so nothing is learned from which). On success *pt is
 * malloc'd (NUL-terminated, not counted in *pt_len) and *header, if
 * non-NULL, the protected header (new reference). 0 or -1 with err. */
int vci_jwe_decrypt(const char *compact, size_t len, EVP_PKEY *key, uint8_t **pt,
		    size_t *pt_len, json_t **header, vci_err_t *err);

#endif
