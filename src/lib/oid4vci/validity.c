/* validity.c - credentials that outlive the signing certificate (see
 * validity.h). */
#include "validity.h"
#include "issue.h"

#include <string.h>

int vci_validity_outlives(const vci_defn_t *d, const json_t *rec, int64_t now, long precision,
			  int64_t not_after, vci_validity_finding_t *f, vci_err_t *err)
{
	vci_issue_times_t t;

	if (not_after <= 0 || not_after == INT64_MAX)
		return 0;
	if (vci_issue_times(d, rec, now, precision, &t, err) < 0)
		return -1;
	if (t.exp <= not_after)
		return 0;
	if (f) {
		memset(f, 0, sizeof(*f));
		f->iat = t.iat;
		f->valid_until = t.exp;
		f->not_after = not_after;
		f->days = (t.exp - t.iat + 86399) / 86400;
	}
	return 1;
}
