/* outlive.c - credentials that outlive the signing certificate (see
 * outlive.h). */
#include "outlive.h"
#include "crypto/keys.h"
#include "oid4vci/validity.h"

#include <time.h>

int vci_outlive_init(vci_outlive_t *o, const STACK_OF(X509) *chain, int64_t now,
		     vci_err_t *err)
{
	o->not_after = INT64_MAX;
	atomic_init(&o->n, 0);
	atomic_init(&o->last, 0);
	if (!chain)
		return 0;
	if (vci_x509_chain_current(chain, now, err) < 0)
		return -1;
	o->not_after = vci_x509_chain_not_after(chain);
	return 0;
}

void vci_outlive_note(vci_outlive_t *o, int64_t valid_until)
{
	int64_t last;

	if (valid_until <= o->not_after)
		return;
	atomic_fetch_add(&o->n, 1);
	last = atomic_load(&o->last);
	while (valid_until > last && !atomic_compare_exchange_weak(&o->last, &last, valid_until))
		;
}

void vci_outlive_note_record(vci_outlive_t *o, const vci_defn_t *d, long precision,
			     const json_t *rec, int64_t now)
{
	vci_validity_finding_t f;
	vci_err_t err = { 0 };

	if (o->not_after == INT64_MAX)
		return;
	if (vci_validity_outlives(d, rec, now, precision, o->not_after, &f, &err) == 1)
		vci_outlive_note(o, f.valid_until);
}

static void utc(int64_t t, char out[32])
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (!gmtime_r(&tt, &tm) || !strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm))
		snprintf(out, 32, "%lld", (long long)t);
}

void vci_outlive_warn(const vci_outlive_t *o, const char *prog, const char *what)
{
	size_t n = atomic_load(&o->n);
	char na[32], last[32];

	if (!n)
		return;
	utc(o->not_after, na);
	utc(atomic_load(&o->last), last);
	fprintf(stderr, "%s: warning: %zu %s%s stay%s valid after the certificate expires at %s "
		"(the last until %s)\n", prog, n, what, n == 1 ? "" : "s", n == 1 ? "s" : "", na,
		last);
}
