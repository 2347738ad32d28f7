/* proof.h - wallet proofs of possession (OpenID4VCI 1.0 Appendix F), key
 * attestations (Appendix D) and wallet attestations (OAuth
 * Attestation-Based Client Authentication). Every refusal is an error
 * with status VCI_EXIT_FAIL and the OID4VCI code "invalid_proof" (or
 * "invalid_nonce" for a wrong, expired or forged c_nonce); wallet
 * attestations use "invalid_client_attestation". */
#ifndef VCI_PROOF_H
#define VCI_PROOF_H

#include "base/common.h"
#include "crypto/jws.h"
#include "crypto/nonce.h"
#include "base/time.h"

/* Largest proof or attestation JWT accepted, in bytes. */
#define VCI_PROOF_MAX VCI_JWT_MAX

typedef struct vci_proof_policy {
	const char *aud;              /* credential issuer identifier (required) */
	const char *client_id;        /* if set, "iss" must equal it */
	const char *const *algs;      /* allow-list; NULL: vci_jwt_default_algs (crypto/jws.h) */
	const char *ca_file;          /* anchors for "x5c" proofs; NULL: x5c refused */
	const char *trust_file;       /* anchors for key attestations; NULL: refused */
	int require_key_attestation;  /* refuse proofs without one */
	long max_age;                 /* seconds an iat may lie in the past (0: 300) */
	long skew;                    /* seconds an iat may lie in the future (0: 60) */
	int64_t now;                  /* 0: vci_time_now() */
	const char *nonce;            /* expected c_nonce, literal */
	const vci_nonce_key_t *nonce_key; /* or: self-verifying nonces with this key */
	const json_t *trust_jwks;     /* attester keys (vci_jwks_load) for key
					 attestations named by "kid"; NULL: refused */
	/* key_attestations_required of the configuration (Appendix D.2):
	 * {"key_storage": [...], "user_authentication": [...]}, either
	 * optional; a key attestation must state at least one of the values
	 * listed for each member present. NULL or {}: any level. */
	const json_t *key_attestation_levels;
} vci_proof_policy_t;

/* One proven key. */
typedef struct vci_proof_key {
	json_t *jwk;          /* the public JWK (kty, crv, x, y / n, e) */
	char jkt[44];         /* its RFC 7638 thumbprint */
	char *did;            /* the DID, when the proof named its key by "kid" */
	json_t *attestation;  /* key attestation facts, or NULL:
				 {"key_storage":[...],"user_authentication":[...]} */
} vci_proof_key_t;
void vci_proof_key_free(vci_proof_key_t *k);

/* Verify one "jwt" proof (Appendix F.1). On success *out is filled. */
int vci_proof_verify_jwt(const char *jwt, size_t len, const vci_proof_policy_t *p,
			 vci_proof_key_t *out, vci_err_t *err);
/* Verify one "attestation" proof (Appendix F.3): a key attestation JWT
 * signed by a --trust anchor whose "nonce" is the c_nonce. *keys
 * receives an array of the attested public JWKs, *info the attestation
 * facts (both new references). */
int vci_proof_verify_attestation(const char *jwt, size_t len, const vci_proof_policy_t *p,
				 json_t **keys, json_t **info, vci_err_t *err);

/* Verify the proofs of the credential request in `rec`: "proofs"
 * ({"jwt":[...]} or {"attestation":[one]}) or draft 13's "proof"
 * ({"proof_type":"jwt","jwt":...}), at the top level or under
 * "credential_request". On success adds to rec "holder_jwk" and
 * "holder_jkt" (one proven key) or "holder_jwks" and "holder_jkts" (more
 * than one; distinct keys, duplicates refused), "holder_did" when a
 * single key was named by a DID, and "key_attestation" when one was
 * verified. rec is unchanged on failure. */
int vci_proof_verify_record(json_t *rec, const vci_proof_policy_t *p, vci_err_t *err);

/* Attester keys. A key attestation or wallet attestation names its
 * signer by "x5c" (a chain to an anchor in the policy's trust_file; what
 * HAIP requires) or by "kid" (a key of the policy's trust_jwks, a JWK Set
 * of trusted attester keys; OID4VCI 1.0 Appendix D.1 and the
 * attestation-based client authentication draft allow it). "trust_chain"
 * (OpenID Federation) is refused, as is an attestation naming no key.
 *
 * Wallet attestation: the attestation JWT (typ
 * oauth-client-attestation+jwt, attester key as above) and its proof of
 * possession (typ oauth-client-attestation-pop+jwt, signed by the
 * attestation's cnf.jwk). */
typedef struct vci_wallet_policy {
	const char *trust_file;       /* x5c anchors for the attester */
	const char *aud;              /* our issuer identifier: the PoP aud (required) */
	const char *challenge;        /* if set, the PoP "challenge" must equal it */
	const char *client_id;        /* if set, the attestation "sub" must equal it */
	const char *const *algs;      /* NULL: vci_jwt_default_algs (crypto/jws.h) */
	long max_age, skew;           /* PoP iat window (0: 300, 60) */
	int64_t now;                  /* 0: vci_time_now() */
	const json_t *trust_jwks;     /* kid-named attester keys; one of the two
					 is required */
} vci_wallet_policy_t;
/* On success *result is {"sub":..., "iss"?:..., "cnf":{"jwk":...},
 * "jkt":..., "jti":..., "wallet_name"?:...} (new reference). */
int vci_proof_verify_wallet_attestation(const char *att, size_t att_len, const char *pop,
					size_t pop_len, const vci_wallet_policy_t *p,
					json_t **result, vci_err_t *err);

#endif
