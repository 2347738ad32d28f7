/* mdoc.h - ISO/IEC 18013-5 mdoc credentials as OID4VCI `mso_mdoc` carries
 * them: the CBOR IssuerSigned (namespaces of tag-24 IssuerSignedItems and
 * an IssuerAuth COSE_Sign1 over the tag-24 MobileSecurityObject), the
 * element encodings of the mDL and EU PID namespaces, the COSE_Key form of
 * a holder JWK, and verification of an IssuerSigned or a DeviceResponse.
 *
 * Everything we encode is deterministic CBOR (RFC 8949 section 4.2.1:
 * shortest heads, definite lengths, map keys sorted bytewise), so the
 * maps read in this order: IssuerSigned {issuerAuth, nameSpaces};
 * IssuerSignedItem {random, digestID, elementValue, elementIdentifier};
 * MSO {status, docType, version, validityInfo, valueDigests,
 * deviceKeyInfo, digestAlgorithm}; COSE_Key {1, -1, -2, -3}. Verification
 * hashes and verifies the bytes received and accepts any key order. */
#ifndef VCI_MDOC_H
#define VCI_MDOC_H

#include "base/common.h"
#include "crypto/cose.h"
#include "defn.h"
#include "issue.h"

#define VCI_MDOC_NS_MDL "org.iso.18013.5.1"
#define VCI_MDOC_DOCTYPE_MDL "org.iso.18013.5.1.mDL"
#define VCI_MDOC_NS_PID "eu.europa.ec.eudi.pid.1"

/* The CBOR type an element value is encoded as. */
typedef enum vci_mdoc_type {
	VCI_MDOC_ANY = 0,     /* as the JSON value is: string tstr, integer int,
				 real float, boolean, null, array, object map */
	VCI_MDOC_TSTR,
	VCI_MDOC_UINT,        /* integer >= 0 */
	VCI_MDOC_INT,
	VCI_MDOC_NUMBER,      /* int if integral, else float */
	VCI_MDOC_BOOL,
	VCI_MDOC_BSTR,        /* from base64 / base64url (padding optional) or
				 a data: URI with ;base64 */
	VCI_MDOC_FULL_DATE,   /* tag 1004 "YYYY-MM-DD" (RFC 8943) */
	VCI_MDOC_TDATE,       /* tag 0 "YYYY-MM-DDTHH:MM:SSZ", UTC, no fraction */
	VCI_MDOC_DATE,        /* full-date or tdate, as the string is written */
	VCI_MDOC_ARRAY,       /* array, elements as ANY */
	VCI_MDOC_MAP,         /* map with text keys, values as ANY */
	VCI_MDOC_TSTR_ARRAY,  /* array of tstr (PID nationality) */
	VCI_MDOC_TSTR_MAP,    /* map of tstr (PID place_of_birth) */
	VCI_MDOC_DRIVING_PRIVILEGES, /* [{vehicle_category_code, issue_date,
				 expiry_date (DATE), codes [{code, sign, value}]}] */
} vci_mdoc_type_t;

const char *vci_mdoc_type_name(vci_mdoc_type_t t);

/* The type of a known data element of org.iso.18013.5.1 or
 * eu.europa.ec.eudi.pid.1 (age_over_NN included); VCI_MDOC_ANY for an
 * element or namespace not in the table. */
vci_mdoc_type_t vci_mdoc_known_type(const char *ns, const char *element);

/* The type of an element: the definition's value type when it names one
 * (string, integer, number, boolean, date, date-time, image/bytes; object
 * and array take the known structure when the table has one), else the
 * known type. */
vci_mdoc_type_t vci_mdoc_element_type(const vci_defn_t *d, const char *ns, const char *element);

/* Encode a JSON value as `type` and append it to b. `what` names the value
 * in errors ("claims.org.iso.18013.5.1.birth_date: expected full-date"):
 * VCI_EXIT_FAIL, code "invalid_claims". A value that cannot be encoded as
 * the type says is an error, never a guess. */
int vci_mdoc_encode_value(vci_buf_t *b, const json_t *v, vci_mdoc_type_t type,
			  const char *what, vci_err_t *err);

/* A public JWK (EC P-256/384/521, OKP Ed25519) as an untagged COSE_Key
 * {1: kty, -1: crv, -2: x, -3: y}, appended to b; the key is checked as
 * vci_jwk_to_pkey does (point on the curve). Errors: VCI_EXIT_FAIL, code
 * "invalid_proof". */
int vci_mdoc_cose_key_from_jwk(vci_buf_t *b, const json_t *jwk, vci_err_t *err);
/* A decoded COSE_Key as a public JWK (members kty, crv, x, y); *pk, if
 * non-NULL, receives the checked key. Errors: VCI_EXIT_INPUT. */
json_t *vci_mdoc_cose_key_to_jwk(const cbor_item_t *key, EVP_PKEY **pk, vci_err_t *err);

/* Digest algorithm names of the MSO: "SHA-256", "SHA-384", "SHA-512". */
const EVP_MD *vci_mdoc_digest_md(const char *name);

/* ---- issuing ---- */

/* A prepared issuer: signing key, algorithm, the x5chain header and the
 * digest algorithm, set up once. Thread-safe: concurrent calls take
 * per-thread signing state from an internal pool. */
typedef struct vci_mdoc_issuer vci_mdoc_issuer_t;

typedef struct vci_mdoc_issuer_opts {
	EVP_PKEY *key;                /* referenced */
	const char *alg;              /* ES256/ES384/ES512/EdDSA; NULL: the key's */
	const STACK_OF(X509) *chain;  /* x5chain, leaf (the key's) first, no root */
	const char *digest_alg;       /* NULL: SHA-256 */
} vci_mdoc_issuer_opts_t;

/* Errors: VCI_EXIT_KEY (key/alg/chain), VCI_EXIT_USAGE (digest name). A
 * chain whose first certificate is not for the key, or that holds a
 * self-signed certificate after the first, is refused. */
vci_mdoc_issuer_t *vci_mdoc_issuer_new(const vci_mdoc_issuer_opts_t *o, vci_err_t *err);
void vci_mdoc_issuer_free(vci_mdoc_issuer_t *is);
const char *vci_mdoc_issuer_alg(const vci_mdoc_issuer_t *is);

/* What one credential holds. claims are namespaced
 * ({NS: {element: value}}); element types come from vci_mdoc_element_type.
 * Items are listed in the claims' order; digestIDs are a random
 * permutation of 0..n-1 per namespace; each item's random is 32 bytes. */
typedef struct vci_mdoc_content {
	const char *doctype;
	const vci_defn_t *defn;       /* element types; may be NULL */
	const json_t *claims;
	const json_t *holder_jwk;     /* the device key (required) */
	int64_t signed_at, valid_from, valid_until;
	const json_t *status;         /* {"status_list": {idx, uri}} or NULL */
} vci_mdoc_content_t;

/* Encode and sign one IssuerSigned; *out malloc'd. */
int vci_mdoc_issue(vci_mdoc_issuer_t *is, const vci_mdoc_content_t *c, uint8_t **out,
		   size_t *outlen, vci_err_t *err);

/* The issuing operations (issue.h) with a vci_mdoc_issuer_t as the
 * signer: the record's claims are checked and namespaced (flat elements
 * go to their namespace in the definition, on a copy; CSV cells are
 * converted in place), validFrom is the record's nbf when it has one,
 * every credential is bound to a holder key (up to 64 per record), the
 * status reference is a Token Status List one, and the credential is
 * base64url of the IssuerSigned; format "mso_mdoc". */
extern const vci_issue_ops_t vci_mdoc_ops;

/* ---- verifying ---- */

typedef struct vci_mdoc_verify_opts {
	const char *ca_file;          /* trust anchors (IACA roots); NULL: chain not checked */
	int64_t at;                   /* judge validity at this time; 0: now */
	const char *doctype;          /* expected docType, or NULL */
} vci_mdoc_verify_opts_t;

/* Decode and verify an IssuerSigned: the IssuerAuth signature with the
 * x5chain leaf (ES256/384/512, EdDSA), the chain up to ca_file when given,
 * every item's digest over its tag-24 bytes, unique digestIDs and
 * element identifiers, MSO version, digest algorithm, doc type,
 * validity at `at`, and the device key. On success *out is
 * {"docType", "digestAlgorithm", "validityInfo": {signed, validFrom,
 * validUntil[, expectedUpdate]}, "deviceKey": JWK, ["status"],
 * "x5chain": [base64 DER], "trusted": bool, "nameSpaces": {NS: {element:
 * value}}} with dates as their strings, byte strings as base64url.
 * Malformed input fails with VCI_EXIT_INPUT (codes "invalid_cbor",
 * "invalid_mdoc"); a well-formed credential that does not verify with
 * VCI_EXIT_FAIL, code "invalid_credential" (or the chain's error). */
int vci_mdoc_verify_issuer_signed(const uint8_t *buf, size_t len,
				  const vci_mdoc_verify_opts_t *o, json_t **out, vci_err_t *err);

/* As above for an already decoded IssuerSigned map (borrowed). */
int vci_mdoc_verify_item(const cbor_item_t *issuer_signed, const vci_mdoc_verify_opts_t *o,
			 json_t **out, vci_err_t *err);

/* An IssuerSigned, a Document ({"docType", "issuerSigned", ...}) or a
 * DeviceResponse ({"version", "documents": [Document...], "status"}):
 * *out is an array with one result per document (a Document's docType
 * must equal the MSO's). With a ca_file, a document signer certificate
 * that has an extended key usage must list mdlDS (1.0.18013.5.1.2). */
int vci_mdoc_verify(const uint8_t *buf, size_t len, const vci_mdoc_verify_opts_t *o,
		    json_t **out, vci_err_t *err);

/* Largest credential verify accepts. */
#define VCI_MDOC_MAX (4u << 20)

#endif
