/* sign.h - the signing tools' step for one record (vci-sign-sdjwt,
 * vci-sign-mdoc): its definition selected once, its proofs held to the
 * definition's policy, the credential signed through the one issuing
 * path, its validity noted against the certificate, the secrets it no
 * longer needs dropped. */
#ifndef VCI_SIGN_H
#define VCI_SIGN_H

#include "base/common.h"
#include "oid4vci/issue.h"
#include "pipe/outlive.h"

typedef struct vci_sign {
	vci_issue_ctx_t issue;
	unsigned flags;         /* VCI_ISSUE_CSV with --csv */
	vci_outlive_t outlive;  /* credentials valid after --cert expires */
	int unchecked;          /* --unchecked-proofs: no policy check */
} vci_sign_t;

/* A vci_batch worker over a vci_sign_t (ctx, read only but for the
 * outlive counters, which are atomic: safe from several threads). The
 * proofs of a record whose definition states a proof policy must have
 * been checked against it (vci_policy_record_check), unless `unchecked`;
 * a record naming no definition is left to vci_issue_record_as, which
 * says so. The record, signed and without its used secrets, is *result
 * (a new reference). 0, or -1 with err. */
int vci_sign_one(void *ctx, json_t *rec, json_t **result, vci_err_t *err);

#endif
