/* offer.c - GET P/offers/ID: a Credential Offer by reference (OID4VCI
 * 1.0 4.1.3), as the store keeps it, until it expires. The offer carries
 * the pre-authorized code: never cached. */
#include "serve/serve.h"
#include "oid4vci/offer.h"

#include <string.h>

static void get_offer(vci_serve_t *s, const vci_req_t *req, vci_resp_t *resp)
{
	const char *id = req->path + strlen(s->base_path) + strlen("/offers/");
	vci_err_t err = { 0 };
	char *offer = NULL;
	int rc;

	if (!vci_offer_id_ok(id)) {
		vci_resp_error(resp, 404, "not_found", "no such offer");
		return;
	}
	rc = vci_store_offer_get(s->store, id, req->now, &offer, &err);
	if (rc < 0) {
		vci_resp_err(resp, 503, &err);
		return;
	}
	if (rc == VCI_STORE_NOTFOUND) {
		vci_resp_error(resp, 404, "not_found", "no such offer, or it expired");
		return;
	}
	if (vci_resp_bytes(resp, 200, "application/json", offer, strlen(offer)) == 0)
		vci_resp_header(resp, "Cache-Control", "no-store");
	free(offer);
}

int vci_offer_register(vci_serve_t *s, vci_err_t *err)
{
	char path[1024];

	snprintf(path, sizeof path, "%s/offers/", s->base_path);
	return vci_serve_route_add(s, 0, "GET", path, VCI_ROUTE_PREFIX, NULL, get_offer, NULL,
				   err);
}
