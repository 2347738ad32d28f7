/* sign.c - the signing tools' step for one record (see sign.h). */
#include "pipe/sign.h"
#include "oid4vci/policy.h"
#include "pipe/record.h"

int vci_sign_one(void *ctx, json_t *rec, json_t **result, vci_err_t *err)
{
	vci_sign_t *s = ctx;
	/* the time of each record: a stream may run for days */
	int64_t now = vci_time_now();
	vci_err_t ignored = { 0 };
	/* selected once for the policy, the signing and the validity */
	const vci_defn_t *d = vci_issue_defn_select(s->issue.defs, s->issue.ndefs,
						    s->issue.formats, s->issue.config, rec,
						    &ignored);

	if ((!s->unchecked && d && vci_policy_record_check(d, rec, err) < 0) ||
	    vci_issue_record_as(&s->issue, d, rec, now, s->flags, err) < 0)
		return -1;
	if (d)
		vci_outlive_note_record(&s->outlive, d, s->issue.precision, rec, now);
	vci_record_drop_secrets(rec);
	*result = json_incref(rec);
	return 0;
}
