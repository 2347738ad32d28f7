/* endpoints.c - every route of vci-serve: the protocol endpoints under
 * the issuer's path, then each handler file's own register function
 * (handlers/), in the order their routes must be found. The route table
 * and the dispatch are routes.c's. */
#include "serve/internal.h"

#include <stdio.h>

/* The protocol endpoints under the issuer's path P: their answers carry
 * codes, tokens and nonces, never cached (Cache-Control: no-store unless
 * the handler says otherwise). */
static int protocol_routes(vci_serve_t *s, vci_err_t *err)
{
	static const struct {
		const char *name, *ctype;
		vci_handler_fn fn;
	} post[] = {
		{ "/token", "application/x-www-form-urlencoded", vci_h_token },
		{ "/nonce", NULL, vci_h_nonce },
		{ "/credential", NULL, vci_h_credential },
		{ "/notification", "application/json", vci_h_notification },
		{ "/deferred_credential", NULL, vci_h_deferred },
		{ "/par", "application/x-www-form-urlencoded", vci_h_par },
	};
	char path[512];

	for (size_t i = 0; i < sizeof post / sizeof post[0]; i++) {
		snprintf(path, sizeof path, "%s%s", s->base_path, post[i].name);
		if (vci_serve_route_add(s, 0, "POST", path, VCI_ROUTE_EXACT, post[i].ctype,
					post[i].fn, NULL, err) < 0)
			return -1;
		s->keep->routes[0][s->keep->nroutes[0] - 1].no_store = 1;
	}
	snprintf(path, sizeof path, "%s/authorize", s->base_path);
	if (vci_serve_route_add(s, 0, "GET", path, VCI_ROUTE_EXACT, NULL, vci_h_authorize, NULL,
				err) < 0)
		return -1;
	s->keep->routes[0][s->keep->nroutes[0] - 1].no_store = 1;
	if (!s->oidc)
		return 0;
	snprintf(path, sizeof path, "%s/oidc/callback", s->base_path);
	if (vci_serve_route_add(s, 0, "GET", path, VCI_ROUTE_EXACT, NULL, vci_h_oidc_callback,
				NULL, err) < 0)
		return -1;
	s->keep->routes[0][s->keep->nroutes[0] - 1].no_store = 1;
	return 0;
}

int vci_serve_routes_default(vci_serve_t *s, vci_err_t *err)
{
	if (vci_health_register(s, err) < 0 || vci_wellknown_register(s, err) < 0 ||
	    protocol_routes(s, err) < 0 || vci_offer_register(s, err) < 0 ||
	    vci_typemeta_register(s, err) < 0 || vci_status_register(s, err) < 0 ||
	    vci_admin_offers_register(s, err) < 0)
		return -1;
	if (vci_admin_defs_register(s, err) < 0 || vci_admin_exchanges_register(s, err) < 0 ||
	    vci_admin_bulk_register(s, err) < 0)
		return -1;
	if (vci_admin_flow_register(s, err) < 0)
		return -1;
	if (vci_seed_a_register(s, err) < 0 || vci_seed_c_register(s, err) < 0)
		return -1;
	return 0;
}
