/* outlive.h - the signing certificate's validity as the signing tools
 * keep it: a chain that is not valid now refuses to sign (exit 4), and
 * credentials that stay valid after the chain expires are signed, counted
 * and reported in one warning after the summary. */
#ifndef VCI_OUTLIVE_H
#define VCI_OUTLIVE_H

#include "base/common.h"
#include "oid4vci/issue.h"
#include <stdatomic.h>

typedef struct vci_outlive {
	int64_t not_after;        /* the chain's earliest notAfter; INT64_MAX: none */
	atomic_size_t n;          /* credentials valid after it */
	_Atomic int64_t last;     /* the latest validity end among them */
} vci_outlive_t;

/* Check `chain` at `now` (vci_x509_chain_current: VCI_EXIT_KEY, code
 * "invalid_certificate") and set o up for it. chain NULL (a --kid
 * without --cert): nothing to check, o notes nothing. 0 or -1. */
int vci_outlive_init(vci_outlive_t *o, const STACK_OF(X509) *chain, int64_t now,
		     vci_err_t *err);
/* Note one validity end. Thread-safe. */
void vci_outlive_note(vci_outlive_t *o, int64_t valid_until);
/* Note the credential vci_issue_record just signed from rec with
 * definition d at `now`, iat rounded to `precision` (its exp as
 * vci_validity_outlives finds it). Thread-safe. */
void vci_outlive_note_record(vci_outlive_t *o, const vci_defn_t *d, long precision,
			     const json_t *rec, int64_t now);
/* When any was noted: "PROG: warning: N credentials stay valid after the
 * certificate expires at TIME (the last until TIME)" on stderr. */
void vci_outlive_warn(const vci_outlive_t *o, const char *prog, const char *what);

#endif
