/* status.c - the status list tokens at their lists' URIs (GET): one
 * route per list of --status-list, answered by statuslists.c, which signs
 * the list again when it changed. */
#include "serve/internal.h"

#include <string.h>

static void get_token(vci_serve_t *s, const vci_req_t *req, vci_resp_t *resp)
{
	vci_serve_status_respond(s, req->route_arg, req->now, resp);
}

int vci_status_register(vci_serve_t *s, vci_err_t *err)
{
	const char *uri;
	const void *e;

	for (size_t i = 0; (e = vci_serve_status_entry(s, i, &uri)); i++) {
		const char *host = strstr(uri, "://"), *path = host ? strchr(host + 3, '/') : NULL;
		int known;

		/* one route per uri (two --status-list of one file or uri: the first) */
		if (!path || vci_serve_route_find(s, 0, "GET", path, &known))
			continue;
		if (vci_serve_route_add(s, 0, "GET", path, VCI_ROUTE_EXACT, NULL, get_token, e,
					err) < 0)
			return -1;
	}
	return 0;
}
