/* issue.h - what the signing tools (vci-sign-sdjwt, vci-sign-mdoc) share:
 * the credential's times, rounded so they do not pin the instant of
 * issuance; the holder keys and the status reference a record carries;
 * and the fields a signed record gets.
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

#endif
