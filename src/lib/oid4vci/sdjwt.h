/* sdjwt.h - SD-JWT (RFC 9901) and SD-JWT VC issuance and verification,
 * and W3C VC JWT (VCDM 1.1, OID4VCI format jwt_vc_json) issuance.
 *
 * An issuer is prepared once (key, alg, header, digest algorithm) and is
 * then used by any number of threads: vci_issue_record (issue.h) signs
 * one issuance record with it through vci_sdjwt_ops or vci_jwtvc_ops. Selective disclosure follows the definition's claims:
 *   - a claim described with sd "always" or "allowed" becomes a disclosure
 *     (object members go into the object's "_sd" array, array elements
 *     become {"...": digest}); an object or array claim is processed
 *     inside first, so its own disclosure carries the digests of its
 *     disclosable members (recursive disclosures);
 *   - sd "never" stays plaintext;
 *   - a top-level claim the definition does not describe (only possible
 *     when it allows unknown claims) is disclosable; undescribed members
 *     and elements below the top level stay plaintext inside their parent.
 * Claims the issuer sets (iss, iat, nbf, exp, vct, cnf, status, _sd_alg)
 * are always plaintext. Salts are 16 bytes from RAND_bytes (22 base64url
 * characters), fresh for every disclosure; "_sd" arrays are sorted after
 * decoy digests are added. Disclosures are serialized as JSON with ", "
 * and ": " separators and UTF-8 kept as is (the encoding of the RFC's
 * examples). */
#ifndef VCI_SDJWT_H
#define VCI_SDJWT_H

#include "base/common.h"
#include "defn.h"
#include "issue.h"
#include "crypto/jws.h"

/* Most holder keys one record may carry (holder_jwks). */
#define VCI_SDJWT_MAX_KEYS 100
/* Decoys per "_sd" array when none are asked for: a random number from
 * 1 to this. */
#define VCI_SDJWT_DECOYS_MAX 4

typedef struct vci_sdjwt_issuer_opts {
	EVP_PKEY *key;          /* signing key (referenced) */
	const char *alg;        /* JWS alg; NULL: the key's default */
	const json_t *x5c;      /* x5c header (leaf first), or NULL */
	const char *kid;        /* kid header, or NULL */
	const char *iss;        /* the iss claim (the credential issuer URL) */
	const char *sd_alg;     /* "sha-256" (NULL), "sha-384" or "sha-512" */
	int legacy_typ;         /* typ "vc+sd-jwt" instead of "dc+sd-jwt" */
	int decoys;             /* decoy digests per "_sd" array; < 0: random */
} vci_sdjwt_issuer_opts_t;

typedef struct vci_sdjwt_issuer vci_sdjwt_issuer_t;

/* Prepare an issuer. Errors: VCI_EXIT_KEY for a key that cannot sign
 * with alg, VCI_EXIT_USAGE for an unknown sd_alg. */
vci_sdjwt_issuer_t *vci_sdjwt_issuer_new(const vci_sdjwt_issuer_opts_t *o, vci_err_t *err);
void vci_sdjwt_issuer_free(vci_sdjwt_issuer_t *is);

/* The issuing operations (issue.h) with a vci_sdjwt_issuer_t as the
 * signer: SD-JWT VC (dc+sd-jwt, format "vc+sd-jwt" with legacy_typ; the
 * record's "status" is a Token Status List reference) and W3C VC JWT
 * (jwt_vc_json; the record's W3C "credentialStatus" goes into the
 * credential as given, a Token Status List "status" is refused). Up to
 * VCI_SDJWT_MAX_KEYS holder keys per record; without one the credential
 * is unbound (unless the definition asks for key binding). */
extern const vci_issue_ops_t vci_sdjwt_ops;
extern const vci_issue_ops_t vci_jwtvc_ops;

/* One SD-JWT (compact, ending in "~") for already validated claims.
 * holder_jwk and status may be NULL. Returns a malloc'd string. */
char *vci_sdjwt_issue(vci_sdjwt_issuer_t *is, const vci_defn_t *d, const json_t *claims,
		      const json_t *holder_jwk, const json_t *status,
		      const vci_issue_times_t *t, size_t *len, vci_err_t *err);

/* One W3C VC JWT (VCDM 1.1 "vc" claim) for already validated claims;
 * the subject is the holder key as did:jwk; credential_status (a W3C
 * BitstringStatusListEntry) may be NULL. */
char *vci_jwtvc_issue(vci_sdjwt_issuer_t *is, const vci_defn_t *d, const json_t *claims,
		      const json_t *holder_jwk, const json_t *credential_status,
		      const vci_issue_times_t *t, size_t *len, vci_err_t *err);

/* TEST ONLY: make the issuer use these salts, in order, instead of random
 * ones (strings copied; n == 0 goes back to random salts), so that the
 * examples of RFC 9901 and OID4VCI can be reproduced byte for byte. No
 * tool calls this, and nothing on the command line or in the environment
 * reaches it; a fixed salt defeats selective disclosure. Running out of
 * salts is an error. Not thread-safe. */
int vci_sdjwt_issuer_fix_salts_for_test(vci_sdjwt_issuer_t *is, const char *const *salts,
					size_t n);

/* ---- parsing and verification ---- */

/* A compact SD-JWT or SD-JWT+KB split into its parts. */
typedef struct vci_sdjwt {
	char *buf;              /* copy of the input */
	vci_jws_t jws;          /* the issuer-signed JWT, parsed, not verified */
	const char **disc;      /* the disclosures as presented (into buf) */
	size_t *disc_len;
	size_t ndisc;
	const char *kb;         /* the KB-JWT, or NULL */
	size_t kb_len;
	size_t presented_len;   /* bytes up to and including the last '~': what
				   sd_hash covers */
} vci_sdjwt_t;

/* Split and parse (RFC 9901 section 4): the issuer JWT parsed as a JWS,
 * its header typ ending in "+sd-jwt", no empty disclosure, the input
 * ending in "~" or a KB-JWT. Errors are VCI_EXIT_FAIL, code
 * "invalid_sd_jwt". */
int vci_sdjwt_parse(const char *s, size_t len, vci_sdjwt_t *sd, vci_err_t *err);
void vci_sdjwt_free(vci_sdjwt_t *sd);

/* RFC 9901 section 7.1 steps 2d to 5 on a parsed SD-JWT: _sd_alg known,
 * every disclosure well-formed and referenced exactly once, no digest
 * twice, no claim twice, no "_sd" or "..." outside digest carriers. The
 * signature is NOT checked here. Returns the processed payload (the
 * disclosed claims, "_sd" and "_sd_alg" removed). */
json_t *vci_sdjwt_disclose(const vci_sdjwt_t *sd, vci_err_t *err);

typedef struct vci_sdjwt_verify_opts {
	EVP_PKEY *key;          /* the issuer's public key, or NULL with ca_file */
	const char *ca_file;    /* trust anchors: the JWT's x5c chain must lead
				   to one, and its leaf key verifies */
	const char *const *algs;/* allowed algs (NULL: every asymmetric alg) */
	const char *kb_aud;     /* both set: a KB-JWT with this aud and nonce */
	const char *kb_nonce;   /* is required; both NULL: none may be present */
	int64_t now;            /* 0: vci_time_now() */
	long skew;              /* seconds of clock skew allowed (0: 60) */
	long kb_max_age;        /* seconds a KB-JWT's iat may lie in the past
				   (0: 300) */
} vci_sdjwt_verify_opts_t;

/* Verify a compact SD-JWT or SD-JWT+KB (RFC 9901 sections 7.1 and 7.3):
 * issuer signature with an allowed alg, disclosures as for
 * vci_sdjwt_disclose, exp and nbf at `now`, and the KB-JWT (typ kb+jwt,
 * signature by the cnf.jwk key, iat, aud, nonce, sd_hash) when asked for.
 * *claims receives the disclosed claims. Errors: VCI_EXIT_FAIL, codes
 * "invalid_sd_jwt", "invalid_signature", "invalid_kb_jwt"; VCI_EXIT_KEY
 * for an unreadable trust anchor file. */
int vci_sdjwt_verify(const char *s, size_t len, const vci_sdjwt_verify_opts_t *o,
		     json_t **claims, vci_err_t *err);

#endif
