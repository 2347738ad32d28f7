/* validity.h - credentials that outlive the certificate that signs them:
 * a credential stays valid until its exp (vci_issue_times), and once the
 * signing certificate chain has expired a verifier can no longer build a
 * valid path to it. The signing tools count such credentials per record
 * (pipe/outlive.h) and vci-serve warns at start-up per definition; both
 * ask this function. Nothing here prints. */
#ifndef VCI_VALIDITY_H
#define VCI_VALIDITY_H

#include "base/common.h"
#include "defn.h"

/* What vci_validity_outlives found. */
typedef struct vci_validity_finding {
	int64_t iat;          /* the credential's issuance time (rounded) */
	int64_t valid_until;  /* its exp: after not_after */
	int64_t not_after;    /* the chain's earliest notAfter, as given */
	int64_t days;         /* valid_until - iat in whole days, rounded up */
} vci_validity_finding_t;

/* Whether a credential made from definition `d` for record `rec` (NULL:
 * the definition alone, exp = iat + expiry_days) at `now`, iat rounded to
 * `precision` seconds, stays valid after `not_after` (the chain's earliest
 * notAfter, vci_x509_chain_not_after; INT64_MAX or <= 0: no chain, nothing
 * to find). Returns 1 and fills *f when it does, 0 when it does not, -1
 * with err when the record's exp or nbf is malformed (vci_issue_times:
 * VCI_EXIT_FAIL, "invalid_request"). d and rec are only read; f may be
 * NULL. Thread-safe. */
int vci_validity_outlives(const vci_defn_t *d, const json_t *rec, int64_t now, long precision,
			  int64_t not_after, vci_validity_finding_t *f, vci_err_t *err);

#endif
