/* issue.h - the one issuing path every signer takes (vci-sign-sdjwt,
 * vci-sign-mdoc, the credential endpoint of vci-serve): the definition a
 * record is signed with, the credential's times, rounded so they do not
 * pin the instant of issuance; the holder keys and the status reference
 * a record carries; the fields a signed record gets; and
 * vci_issue_record, which runs them in order around a format's
 * build-and-sign.
 *
 * Record fields read:
 *   holder_jwk   one public JWK (from vci-verify-proof), or
 *   holder_jwks  an array of them (a batch of proofs): one credential each
 *   status       {"status_list": {"idx": N, "uri": "https://..."}}
 *                (from vci-statuslist alloc), or credentialStatus (W3C)
 *   exp, nbf     NumericDate (integer seconds) or an RFC 3339 date-time
 * Record fields written:
 *   format       the OID4VCI format identifier
 *   credential   the credential, when the record had at most one holder key
 *   credentials  [{"credential": ...}, ...] (the OID4VCI 1.0 Credential
 *                Response shape), one per key, when it had holder_jwks */
#ifndef VCI_ISSUE_H
#define VCI_ISSUE_H

#include "base/common.h"
#include "base/time.h"
#include "defn.h"

/* The definition a record is signed with, from the definitions a tool
 * loaded (--defn FILE: one definition or an array): `config` (--config ID)
 * if given, else the record's "credential_configuration_id" (the OID4VCI
 * Credential Request field, which vci-offer sets), else the only
 * definition whose format is in `formats` (a bit mask of 1u << format).
 * Fails with code "unknown_credential_configuration" when the id names no
 * loaded definition or the definition's format is not in `formats`, and
 * "invalid_request" when nothing decides between several. */
const vci_defn_t *vci_issue_defn_select(vci_defn_t *const *defs, size_t n, unsigned formats,
					const char *config, const json_t *rec, vci_err_t *err);

/* Checks a signing tool makes once, before any record: some loaded
 * definition (from file `path`) has a format in `formats`
 * (VCI_EXIT_INPUT, "PATH: no mso_mdoc definition"), and `config`, when
 * given, names one of them (VCI_EXIT_USAGE, "--config: ..."). */
int vci_issue_defn_check(vci_defn_t *const *defs, size_t n, unsigned formats, const char *config,
			 const char *path, vci_err_t *err);

typedef struct vci_issue_times {
	int64_t iat;   /* now, rounded */
	int64_t nbf;   /* record's nbf, or 0 when it has none */
	int64_t exp;   /* record's exp, or iat + the definition's expiry_days */
} vci_issue_times_t;

/* The times of one credential: iat is `now` rounded down to `precision`;
 * nbf and exp come from the record when it has them (taken as given, not
 * rounded), else exp is iat + expiry_days. Fails (VCI_EXIT_FAIL, code
 * "invalid_request") on a malformed exp/nbf, exp not after iat, or nbf
 * not before exp. */
int vci_issue_times(const vci_defn_t *d, const json_t *rec, int64_t now, long precision,
		    vci_issue_times_t *t, vci_err_t *err);

/* The holder keys of a record: holder_jwk (one) or holder_jwks (an array,
 * at most `max`). *keys receives borrowed references. A record with both
 * fields, an empty or oversized array, or a key that is not a public JWK
 * object (a "d" member, no "kty") fails with code "invalid_proof". A
 * record with none fails the same way when the definition asks for key
 * binding; otherwise *n is 0. */
int vci_issue_holder_keys(const vci_defn_t *d, const json_t *rec, const json_t **keys,
			  size_t max, size_t *n, vci_err_t *err);

/* The record's Token Status List reference, checked: NULL when it has no
 * "status", else the borrowed "status" object, which must be
 * {"status_list": {"idx": integer >= 0, "uri": string}} (other members of
 * status are kept; the uri must be an https URL). With a definition `d`
 * (`what` is being made, e.g. "an mso_mdoc credential"): a W3C
 * "credentialStatus" is refused, and a definition with a status list requires the status.
 * Errors: code "invalid_request", message naming the field. */
int vci_issue_status(const vci_defn_t *d, const char *what, const json_t *rec,
		     const json_t **status, vci_err_t *err);

/* Add format and credential / credentials to rec (steals the strings in
 * creds, which has n >= 1 entries). `batch` chooses "credentials" even
 * for n == 1 (the record carried holder_jwks). */
int vci_issue_result(json_t *rec, const char *format, json_t **creds, size_t n, int batch);

/* ---- the issuing path ----
 *
 * One record in, one record out: vci_issue_record takes an issuance
 * record (the fields listed at the top of this file, plus "claims" and
 * "credential_configuration_id") and signs it in these steps, each of
 * which may fail the record:
 *   1. the definition (vci_issue_defn_select over the context's
 *      definitions, its fixed config id and its formats);
 *   2. the claims, checked against the definition (VCI_ISSUE_CSV: the
 *      claims are CSV cells, converted to the definition's types) and
 *      put in the shape the format signs;
 *   3. the times (vci_issue_times at `now` with the context's precision);
 *   4. the holder keys (vci_issue_holder_keys), at most the format's
 *      max_keys; a format bound to a device key fails a record with none;
 *   5. the status reference (vci_issue_status, or the format's own);
 *   6. one credential per holder key (one without a key when the record
 *      has none and the definition allows it), signed by the format;
 *   7. the result fields (vci_issue_result).
 * Each format brings the steps that differ through a table of operations
 * (vci_issue_ops_t): sdjwt.h exports vci_sdjwt_ops (SD-JWT VC) and
 * vci_jwtvc_ops (W3C VC JWT), mdoc.h vci_mdoc_ops (ISO mdoc). */

/* Most holder keys any format takes per record. */
#define VCI_ISSUE_MAX_KEYS 100

/* What one credential is made of, handed to a format's sign. Everything
 * is borrowed for the call. */
typedef struct vci_issue_cred {
	const vci_defn_t *defn;
	const json_t *claims;         /* as the format's claims op returned them */
	const vci_issue_times_t *times;
	const json_t *holder_jwk;     /* or NULL: an unbound credential */
	const json_t *status;         /* as the status step returned it, or NULL */
} vci_issue_cred_t;

/* One credential format. Every function must be thread-safe for a
 * signer that is (the prepared issuers of sdjwt.h and mdoc.h are). */
typedef struct vci_issue_ops {
	vci_format_t format;
	/* The format's name in messages ("a dc+sd-jwt credential"). */
	const char *what;
	/* Most holder keys per record (<= VCI_ISSUE_MAX_KEYS). */
	size_t max_keys;
	/* Non-NULL: the format binds every credential to a device key, and a
	 * record without one fails with this message (code "invalid_proof"). */
	const char *key_required;
	/* Check the record's "claims" against d (`flags` as for
	 * vci_issue_record) and return the claims to sign: a new reference,
	 * or NULL with err. May convert the record's claims in place when
	 * they are CSV cells. */
	json_t *(*claims)(const vci_defn_t *d, json_t *rec, unsigned flags, vci_err_t *err);
	/* The record's status reference: *status borrowed from rec, or NULL
	 * for none. NULL: vci_issue_status(d, what, ...). */
	int (*status)(const vci_defn_t *d, const json_t *rec, const json_t **status,
		      vci_err_t *err);
	/* The "format" the result record carries. */
	const char *(*format_id)(const void *signer);
	/* Build and sign one credential: a malloc'd string of *len bytes (the
	 * credential as the Credential Response carries it), or NULL with
	 * err. The caller wipes and frees it. */
	char *(*sign)(void *signer, const vci_issue_cred_t *c, size_t *len, vci_err_t *err);
} vci_issue_ops_t;

/* Flags of vci_issue_record. */
enum {
	/* The claims are CSV cells (strings): convert them to the
	 * definition's value types (VCI_DEFN_COERCE). */
	VCI_ISSUE_CSV = 1u << 0,
};

/* An issuing context: prepared once, then read by any number of threads
 * at the same time (nothing in it changes after setup, and each signer
 * is thread-safe). Everything it points to is borrowed and must outlive
 * it. Set up with vci_issue_ctx_init and one vci_issue_ctx_add per format
 * signed; no teardown (the caller frees the definitions and signers). */
typedef struct vci_issue_ctx {
	vci_defn_t *const *defs;      /* the definitions records choose from */
	size_t ndefs;
	const char *config;           /* a fixed credential_configuration_id for
					 every record (--config), or NULL */
	long precision;               /* iat rounding in seconds */
	unsigned formats;             /* 1u << format for each format added */
	struct {
		const vci_issue_ops_t *ops;
		void *signer;
	} fmt[VCI_FORMAT_JWTVC + 1];  /* indexed by vci_format_t */
	int64_t not_after;            /* the signing certificate chain's earliest
					 notAfter (vci_x509_chain_not_after), 0
					 when none: from then on nothing is signed
					 (a server or a stream runs for days) */
} vci_issue_ctx_t;

/* Start a context: definitions, fixed config id (or NULL) and precision
 * (<= 0: VCI_TIME_PRECISION_DEFAULT); no format yet. */
void vci_issue_ctx_init(vci_issue_ctx_t *ctx, vci_defn_t *const *defs, size_t ndefs,
			const char *config, long precision);

/* Sign the format ops->format with `signer` (a vci_sdjwt_issuer_t for
 * vci_sdjwt_ops and vci_jwtvc_ops, a vci_mdoc_issuer_t for vci_mdoc_ops).
 * Returns 0, or -1 for a format outside vci_format_t or already added,
 * or ops->max_keys over VCI_ISSUE_MAX_KEYS. */
int vci_issue_ctx_add(vci_issue_ctx_t *ctx, const vci_issue_ops_t *ops, void *signer);

/* Sign one issuance record in place (the steps above) at time `now`,
 * `flags` VCI_ISSUE_CSV or 0. On success rec has gained "format" and
 * "credential" or "credentials" (vci_issue_result); on failure rec is
 * unchanged except for claims converted from CSV cells. At or after
 * ctx->not_after (when set) every record is refused: VCI_EXIT_KEY, code
 * "invalid_certificate", "certificate: expired at TIME". Thread-safe for
 * distinct records. Errors: VCI_EXIT_FAIL for anything wrong with the
 * record (codes "unknown_credential_configuration", "invalid_request",
 * "invalid_claims", "invalid_proof"; with several holder keys the message
 * starts "holder_jwks[i]: " for the key that failed), VCI_EXIT_KEY when
 * signing fails, VCI_EXIT_IO out of memory. */
int vci_issue_record(const vci_issue_ctx_t *ctx, json_t *rec, int64_t now, unsigned flags,
		     vci_err_t *err);
/* The same with the definition a caller already selected for rec: `d`
 * as vci_issue_defn_select returned it over ctx's definitions, formats
 * and config (so its format was added), or NULL to select it here as
 * vci_issue_record does. Same errors, in the same order. */
int vci_issue_record_as(const vci_issue_ctx_t *ctx, const vci_defn_t *d, json_t *rec,
			int64_t now, unsigned flags, vci_err_t *err);

#endif
