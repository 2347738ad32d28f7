/* cose.h - COSE_Sign1 (RFC 9052) over libcbor: signing with a protected
 * header built from a caller's map, verification with an allow-list, and
 * bounded decoding of untrusted CBOR. Signatures are raw (ECDSA R||S,
 * Ed25519, RSA-PSS), the Sig_structure is
 * ["Signature1", protected, external_aad, payload]. CBOR itself (bounded
 * decoding, encoding into a buffer) is base/cbor.h. */
#ifndef VCI_COSE_H
#define VCI_COSE_H

#include "base/common.h"
#include "base/cbor.h"

/* Header labels and tags. */
enum {
	VCI_COSE_ALG = 1,
	VCI_COSE_KID = 4,
	VCI_COSE_TYP = 16,
	VCI_COSE_X5CHAIN = 33,
	VCI_COSE_TAG_SIGN1 = 18,
	VCI_CWT_TAG = 61,
};

/* COSE alg id <-> JOSE name: -7 ES256 (and -9 ESP256 read as ES256),
 * -35 ES384, -36 ES512, -8 EdDSA, -37 PS256. NULL / 0 if unknown. */
const char *vci_cose_alg_name(int64_t alg);

/* Sign. The protected header is the map {1: alg} followed by the entries
 * of `protected_extra` (may be NULL; borrowed); `unprotected` is a map or
 * NULL (an empty map; borrowed). `alg` NULL means the key's default.
 * Writes COSE_Sign1_Tagged (tag 18) if `tagged`, else the bare array. */
int vci_cose_sign1(EVP_PKEY *key, const char *alg, const cbor_item_t *protected_extra,
		   const cbor_item_t *unprotected, const uint8_t *payload, size_t payload_len,
		   const uint8_t *aad, size_t aad_len, int tagged, uint8_t **out, size_t *outlen,
		   vci_err_t *err);

/* A parsed, not yet verified, COSE_Sign1. */
typedef struct vci_cose_sign1 {
	cbor_item_t *root;          /* the whole decoded message */
	const uint8_t *protected_raw; /* protected header bytes (inside root) */
	size_t protected_len;
	cbor_item_t *protected_map; /* decoded protected header (a map) */
	const cbor_item_t *unprotected; /* unprotected header map (inside root) */
	const uint8_t *payload;     /* NULL if detached */
	size_t payload_len;
	const uint8_t *sig;
	size_t sig_len;
	int64_t alg;                /* protected label 1 */
} vci_cose_sign1_t;

/* Parse COSE_Sign1, tagged (18, optionally inside a CWT tag 61) or not.
 * Bounded as vci_cbor_load. The protected header must be a map holding an
 * integer alg; alg in the unprotected header is refused. */
int vci_cose_sign1_parse(const uint8_t *buf, size_t len, vci_cose_sign1_t *msg, vci_err_t *err);
/* A header parameter from the protected, then the unprotected header. */
const cbor_item_t *vci_cose_header(const vci_cose_sign1_t *msg, int64_t label);
/* Verify with key. `allowed` NULL-terminated JOSE names (NULL: all we
 * implement). `payload` NULL: the attached one. Returns 0 if valid; -1
 * with VCI_EXIT_FAIL, code "invalid_signature" otherwise. */
int vci_cose_sign1_verify(const vci_cose_sign1_t *msg, EVP_PKEY *key, const char *const *allowed,
			  const uint8_t *aad, size_t aad_len, const uint8_t *payload,
			  size_t payload_len, vci_err_t *err);
void vci_cose_sign1_free(vci_cose_sign1_t *msg);

/* A prepared COSE_Sign1 signer: key, alg and both headers encoded once,
 * digest and key contexts kept, so that signing a payload is one hash
 * and one signature. Not thread-safe: use one per thread. */
typedef struct vci_cose_signer vci_cose_signer_t;
/* `alg` NULL: the key's default. Headers as for vci_cose_sign1. */
vci_cose_signer_t *vci_cose_signer_new(EVP_PKEY *key, const char *alg,
				       const cbor_item_t *protected_extra,
				       const cbor_item_t *unprotected, vci_err_t *err);
const char *vci_cose_signer_alg(const vci_cose_signer_t *s);
/* Append the untagged COSE_Sign1 [protected, unprotected, payload,
 * signature] over payload (no external_aad) to out. */
int vci_cose_signer_sign(vci_cose_signer_t *s, const uint8_t *payload, size_t len,
			 vci_buf_t *out, vci_err_t *err);
void vci_cose_signer_free(vci_cose_signer_t *s);

#endif
