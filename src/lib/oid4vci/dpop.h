/* dpop.h - DPoP proofs (RFC 9449) and a replay cache for their jti. */
#ifndef VCI_DPOP_H
#define VCI_DPOP_H

#include "base/common.h"
#include "base/time.h"

typedef struct vci_dpop_policy {
	const char *htm;              /* HTTP method (required) */
	const char *htu;              /* request URI (required); compared normalised,
					 or as bytes when equal (it is taken
					 to be a URL) */
	const char *access_token;     /* if set, "ath" must be its SHA-256 */
	const char *nonce;            /* if set, the DPoP-Nonce the server issued */
	const char *jkt;              /* if set, the key thumbprint the token is bound to */
	const char *const *algs;      /* NULL: ES256, ES384, ES512, EdDSA, PS256, RS256 */
	long max_age, skew;           /* iat window (0: 300, 60) */
	int64_t now;                  /* 0: vci_time_now() */
} vci_dpop_policy_t;

typedef struct vci_dpop_result {
	char jkt[44];                 /* RFC 7638 thumbprint of the proof key */
	char *jti;                    /* the proof's jti (malloc'd) */
	long long iat;
} vci_dpop_result_t;
void vci_dpop_result_free(vci_dpop_result_t *r);

/* Verify a DPoP proof JWT. Errors: VCI_EXIT_FAIL with code
 * "invalid_dpop_proof" ("use_dpop_nonce" for a missing or wrong nonce). */
int vci_dpop_verify(const char *jwt, size_t len, const vci_dpop_policy_t *p,
		    vci_dpop_result_t *out, vci_err_t *err);

/* The form in which "htu" is compared (RFC 9449 section 4.3 step 9,
 * RFC 3986 section 6.2.2 and 6.2.3): query and fragment removed, scheme
 * and host in lower case, the scheme's default port removed,
 * percent-encoded unreserved characters decoded and other escapes in
 * upper case, dot segments removed, an empty path made "/". Parsing and
 * most of the normalisation are libcurl's URL API (CURLU). Returns a
 * malloc'd string, or NULL (code "invalid_dpop_proof") for something
 * that is not an absolute URL. */
char *vci_dpop_htu_normalize(const char *uri, vci_err_t *err);
/* Whether two URIs have the same normalised form (0 if either is not an
 * absolute URL). */
int vci_dpop_htu_equal(const char *a, const char *b);

/* base64url(SHA-256(token)) into out (44 bytes). */
int vci_dpop_ath(const char *token, char out[44]);

/* Replay cache: a text file of "EXPIRY HASH" lines, HASH the base64url
 * SHA-256 of htu (normalised as above when it is a URL), a NUL and jti.
 * The file is locked (flock) while it is read and appended to; each new
 * entry is appended and fsync'd, and the file is rewritten (temporary
 * file, fsync, rename) when most entries have expired. A torn last line
 * is ignored. Returns 0 and records the entry (valid until `expires`) if
 * it was not there, or -1 with code "invalid_dpop_proof" for a replay
 * (VCI_EXIT_IO on I/O errors). */
int vci_jti_cache_add(const char *path, const char *htu, const char *jti, int64_t now,
		      int64_t expires, vci_err_t *err);

#endif
