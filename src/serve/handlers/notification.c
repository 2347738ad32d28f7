/* notification.c - POST P/notification: the Notification Endpoint
 * (OpenID4VCI 1.0 section 11). The access token as at the credential
 * endpoint (access.c); the request {notification_id, event,
 * event_description?} parsed by libvci (vci_notification_request_parse,
 * 11.1); the notification id must be the one the credential response of
 * this token's exchange gave (11.3: invalid_notification_id otherwise; a
 * token whose exchange was deleted is invalid_token);
 * the event moves the exchange to the state of the same name
 * (credential_accepted, credential_failure, credential_deleted) with the
 * description kept. 204 on success (11.2); a repeat succeeds again. */
#include "handlers.h"
#include "oid4vci/request.h"

#include <string.h>

/* Record the event for the exchange of the token (-1 with err). */
static int notify(vci_serve_t *s, const vci_req_t *req, const vci_atoken_t *tok,
		  const vci_notification_request_t *nr, vci_err_t *err)
{
	vci_store_exchange_t x = { 0 };
	int rc = vci_store_exchange_get(s->store, tok->exchange_id, &x, err);
	int ours = rc == 0 && x.notification_id[0] &&
		   !strcmp(x.notification_id, nr->notification_id);

	vci_store_exchange_clear(&x);
	if (rc < 0)
		return -1;
	if (rc == VCI_STORE_NOTFOUND)
		return vci_h_token_gone(err);
	if (ours)
		rc = vci_store_exchange_notify(s->store, nr->notification_id, nr->event,
					       nr->description, req->now, err);
	if (rc < 0)
		return -1;
	if (!ours || rc == VCI_STORE_NOTFOUND)
		return vci_err_set(err, VCI_EXIT_FAIL, "invalid_notification_id",
				   "notification_id: not one issued with this access token");
	return 0;
}

void vci_h_notification(vci_serve_t *s, const vci_req_t *req, vci_resp_t *resp)
{
	vci_atoken_t tok;
	vci_notification_request_t nr;
	vci_err_t err = { 0 };

	if (vci_h_access(s, req, s->notification_url, &tok, resp) < 0)
		return;
	if (vci_notification_request_parse(req->body, req->body_len, &nr, &err) < 0) {
		vci_h_fail(resp, 400, &err);
		return;
	}
	if (notify(s, req, &tok, &nr, &err) < 0)
		vci_h_access_fail(s, req, resp, &tok, &err);
	else if (vci_resp_bytes(resp, 204, "", "", 0) == 0 &&
		 vci_resp_header(resp, "Cache-Control", "no-store") == 0 && tok.dpop_jkt[0])
		vci_h_dpop_nonce_header(s, req, resp);
	vci_notification_request_clear(&nr);
}
