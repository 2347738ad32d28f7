/* keys.h - private keys through OSSL_STORE (files, encrypted PEM, any URI
 * a configured provider opens), public keys, X.509 chains and trust. */
#ifndef VCI_KEYS_H
#define VCI_KEYS_H

#include "base/common.h"
#include <openssl/x509.h>

/* Read a passphrase from "env:VAR", "file:PATH" (first line) or
 * "pass:TEXT". The result is malloc'd; wipe it with vci_str_wipe(). */
char *vci_pass_read(const char *spec, vci_err_t *err);

/* Load a private key: a path (PEM or DER, encrypted PEM with `pass`, a
 * "--pass" spec or NULL) or any URI OSSL_STORE understands ("file:",
 * "pkcs11:", ...). Errors are VCI_EXIT_KEY. The passphrase is wiped. */
EVP_PKEY *vci_key_load_private(const char *uri, const char *pass_spec, vci_err_t *err);
/* Load a public key: PEM/DER public key, a certificate (its key), a
 * private key (its public half) or a JWK JSON file. */
EVP_PKEY *vci_key_load_public(const char *path, vci_err_t *err);

/* Key type checks. Returns the JOSE alg the key signs with by default
 * (ES256 for P-256, ES384, ES512 for P-521, EdDSA, PS256 for RSA) or NULL
 * for an unsupported key (RSA < 2048 bits, other curves). */
const char *vci_key_default_alg(EVP_PKEY *pk);
/* Whether `alg` may be used with `pk` (RFC 8725 alg/key binding). */
int vci_key_alg_ok(EVP_PKEY *pk, const char *alg);
/* The COSE algorithm id for a JOSE alg name (ES256 -> -7, ES384 -> -35,
 * ES512 -> -36, EdDSA -> -8, PS256 -> -37, RS256 -> -257), 0 if none. */
int vci_cose_alg_from_jose(const char *alg);

/* X.509: load every certificate of a PEM (or one DER) file, leaf first. */
STACK_OF(X509) *vci_x509_load_chain(const char *path, vci_err_t *err);
/* x5c JSON array (standard base64 DER) from a chain, and back. */
json_t *vci_x5c_from_chain(const STACK_OF(X509) *chain);
STACK_OF(X509) *vci_x5c_parse(const json_t *x5c, vci_err_t *err);
/* Validate chain[0] up to an anchor in ca_file (PEM, one or more) at time
 * `at` (0 = now). Checks validity and digitalSignature key usage on the
 * leaf if present. The anchors of a ca_file are read once per process
 * and kept (up to 8 files), so per-record validation costs no file I/O. */
int vci_x509_verify(const STACK_OF(X509) *chain, const char *ca_file, int64_t at,
		    vci_err_t *err);
/* Whether the certificate's public key equals pk. */
int vci_x509_matches_key(X509 *cert, EVP_PKEY *pk);
/* Whether a signer may sign with its chain at time `now`: every
 * certificate of the chain is within its validity. 0, or -1 with
 * VCI_EXIT_KEY, code "invalid_certificate", message "certificate
 * \"SUBJECT\" expired at TIME" or "... is not valid before TIME" (RFC
 * 3339, UTC). */
int vci_x509_chain_current(const STACK_OF(X509) *chain, int64_t now, vci_err_t *err);
/* The earliest notAfter of the chain, in seconds since the epoch
 * (INT64_MAX for an empty chain): what it signs should not be valid
 * after it. */
int64_t vci_x509_chain_not_after(const STACK_OF(X509) *chain);

/* JWK <-> EVP_PKEY for EC P-256/384/521, OKP Ed25519 and RSA >= 2048.
 * Import checks the point is on the curve; with allow_private 0, a JWK
 * holding private members ("d", RSA primes, "k") is refused. */
EVP_PKEY *vci_jwk_to_pkey(const json_t *jwk, int allow_private, vci_err_t *err);
/* Public keys imported one after another on reused key objects, for
 * verifying many signatures by many keys: an EC JWK's point is set
 * (EVP_PKEY_set1_encoded_public_key) on a key of its curve kept in the
 * set, so no EC group is built or copied per key, which costs several
 * times the decoding and on-curve check of the point. Not thread-safe:
 * one set per thread at a time. */
typedef struct vci_keyslots vci_keyslots_t;
vci_keyslots_t *vci_keyslots_new(void);
void vci_keyslots_free(vci_keyslots_t *ks);
/* As vci_jwk_to_pkey(jwk, 0, err): the same checks and messages. An EC
 * key is the set's key of its curve, referenced (free it as any key),
 * and holds this JWK's point only until the next EC key of that curve is
 * imported into `ks`: finish with it before. Other key types are new
 * keys. */
EVP_PKEY *vci_keyslots_jwk(vci_keyslots_t *ks, const json_t *jwk, vci_err_t *err);
/* Public JWK (members in the order kty, crv, x, y / n, e). */
json_t *vci_jwk_from_pkey(EVP_PKEY *pk, vci_err_t *err);
/* True if the JWK holds any private member. */
int vci_jwk_has_private(const json_t *jwk);
/* A JWK Set (RFC 7517 section 5) of trusted public keys, e.g. attester
 * keys: {"keys":[...]}, each key public, importable, with a string "kid"
 * no other key of the set has. Checked once at load; errors are
 * VCI_EXIT_KEY. The set is read-only afterwards and may be shared
 * between threads. */
json_t *vci_jwks_load(const char *path, vci_err_t *err);
/* The key of a checked set whose "kid" is `kid`, imported. A key whose
 * own "alg" differs from `alg` (if given) is refused. NULL with
 * VCI_EXIT_KEY if there is none. */
EVP_PKEY *vci_jwks_key(const json_t *jwks, const char *kid, const char *alg, vci_err_t *err);
/* RFC 7638 thumbprint (SHA-256, base64url: 43 chars + NUL). */
int vci_jwk_thumbprint(const json_t *jwk, char out[44], vci_err_t *err);

/* A key prepared for repeated signing (JWS and COSE signers): the key
 * (referenced), a digest context and, for a digest-then-sign algorithm
 * (md_name non-NULL), the fetched digest and a sign context set to it.
 * Not thread-safe: one per thread. */
typedef struct vci_sign_ctx {
	EVP_PKEY *key;
	EVP_PKEY_CTX *pctx;   /* md_name given: initialised for EVP_PKEY_sign */
	EVP_MD *md;           /* md_name given: the fetched digest */
	EVP_MD_CTX *mdctx;
} vci_sign_ctx_t;
/* 0, or -1 with the reason on OpenSSL's error queue (c may then be
 * partly set up: vci_sign_ctx_free it). */
int vci_sign_ctx_init(vci_sign_ctx_t *c, EVP_PKEY *key, const char *md_name);
void vci_sign_ctx_free(vci_sign_ctx_t *c);

#endif
