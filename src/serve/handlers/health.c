/* health.c - GET /health: {"status":"ok"} while the server answers and
 * its store reads (a failing store is 503, so a load balancer stops
 * sending wallets to a server that could not finish their flows). */
#include "serve/serve.h"

static void get_health(vci_serve_t *s, const vci_req_t *req, vci_resp_t *resp)
{
	vci_err_t err = { 0 };
	char *offer = NULL;

	/* a read of an offer that cannot exist ("." is not an offer id) */
	if (s->store && vci_store_offer_get(s->store, ".", req->now, &offer, &err) < 0) {
		vci_resp_json(resp, 503, json_pack("{s:s}", "status", "unavailable"));
		snprintf(resp->error, sizeof resp->error, "%s", err.code);
		return;
	}
	free(offer);
	vci_resp_json(resp, 200, json_pack("{s:s}", "status", "ok"));
	vci_resp_header(resp, "Cache-Control", "no-store");
}

int vci_health_register(vci_serve_t *s, vci_err_t *err)
{
	return vci_serve_route_add(s, 0, "GET", "/health", VCI_ROUTE_EXACT, NULL, get_health,
				   NULL, err);
}
