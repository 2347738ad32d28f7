/* issuing.c - the issuing step the credential and deferred credential
 * endpoints share (credential.c, deferred.c): each proven key's record
 * made from the exchange record and the definition, signed, and its
 * credential collected (vci_h_sign_each); the status list references of
 * the entries allocated for them, for the store's write and the answer
 * (vci_h_status_refs); the exchange's notification id
 * (vci_h_notification_id). */
#include "handlers.h"
#include "oid4vci/issue.h"
#include "oid4vci/request.h"

int vci_h_sign_each(vci_serve_t *s, const json_t *xrec, const vci_defn_t *d, const json_t *keys,
		    const json_t *status, int64_t now, json_t **creds, vci_err_t *err)
{
	size_t n = json_array_size(keys) ? json_array_size(keys) : 1;

	*creds = json_array();
	if (!*creds)
		return vci_err_oom(err);
	for (size_t i = 0; i < n; i++) {
		json_auto_t *rec = vci_credential_record_new(xrec, d, json_array_get(keys, i),
							     json_array_get(status, i), n == 1);
		json_t *cred;

		if (!rec)
			return vci_err_oom(err);
		if (vci_issue_record(vci_serve_issue(s), rec, now, 0, err) < 0)
			return 1;
		cred = json_object_get(rec, "credential");
		if (!json_is_string(cred) || json_array_append(*creds, cred) < 0)
			return vci_err_set(err, VCI_EXIT_IO, "server_error",
					   "signed record: no credential");
	}
	return 0;
}

int vci_h_status_refs(const json_t *status, const char **uris, uint64_t *idx, size_t *nst,
		      json_t *st)
{
	const json_t *v;
	size_t i;

	*nst = 0;
	json_array_foreach(status, i, v) {
		const json_t *sl = json_object_get(v, "status_list");
		const json_t *uri = json_object_get(sl, "uri"), *ix = json_object_get(sl, "idx");

		if (!json_is_string(uri) || !json_is_integer(ix))
			continue;
		uris[*nst] = json_string_value(uri);
		idx[(*nst)++] = (uint64_t)json_integer_value(ix);
		if (json_array_append_new(st, json_pack("{s:O, s:O}", "uri", uri, "idx", ix)) < 0)
			return -1;
	}
	return 0;
}

int vci_h_notification_id(const vci_store_exchange_t *x, char nid[VCI_STORE_ID],
			  vci_err_t *err)
{
	if (!x->notification_id[0])
		return vci_store_id_new(nid, err);
	snprintf(nid, VCI_STORE_ID, "%s", x->notification_id);
	return 0;
}
