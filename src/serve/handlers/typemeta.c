/* typemeta.c - GET a dc+sd-jwt definition's vct URL: its SD-JWT VC Type
 * Metadata (draft -18 section 4, vci_metadata_type). Served for every vct
 * that is an https URL under the issuer identifier, at the vct's path
 * (so a reverse proxy in front of the issuer forwards it here). */
#include "serve/internal.h"
#include "oid4vci/metadata.h"

#include <string.h>

static void type_doc(const vci_defn_t *d, vci_resp_t *resp)
{
	vci_err_t err = { 0 };
	json_t *tm = vci_metadata_type(d, &err);

	if (!tm) {
		vci_resp_err(resp, 500, &err);
		return;
	}
	if (vci_resp_json(resp, 200, tm) == 0)
		vci_resp_header(resp, "Cache-Control", "max-age=300");
}

static void get_type(vci_serve_t *s, const vci_req_t *req, vci_resp_t *resp)
{
	(void)s;
	type_doc(req->route_arg, resp);
}

/* Whether vct is an https URL under the issuer, served at its path. */
static int vct_here(const vci_serve_t *s, const vci_defn_t *d)
{
	size_t n = strlen(s->issuer);

	return d->format == VCI_FORMAT_SDJWT && d->vct && !strncmp(d->vct, s->issuer, n) &&
	       d->vct[n] == '/' && !strpbrk(d->vct + n, "?#");
}

/* The type metadata of a stored definition's vct at req's path: 1 when
 * resp is filled, 0 when none is there (the server's unrouted hook). */
static int typemeta_stored(vci_serve_t *s, const vci_req_t *req, vci_resp_t *resp)
{
	size_t n, origin = strlen(s->issuer) - strlen(s->base_path);
	vci_defn_t *const *defs = vci_serve_defs(s, &n);

	if (strcmp(req->method, "GET") && strcmp(req->method, "HEAD"))
		return 0;
	for (size_t i = vci_serve_defs_base(s); i < n; i++)
		if (vct_here(s, defs[i]) && !strcmp(defs[i]->vct + origin, req->path)) {
			type_doc(defs[i], resp);
			return 1;
		}
	return 0;
}

int vci_typemeta_register(vci_serve_t *s, vci_err_t *err)
{
	size_t origin = strlen(s->issuer) - strlen(s->base_path);

	s->keep->unrouted = typemeta_stored;
	for (size_t i = 0; i < s->ndefs; i++) {
		const vci_defn_t *d = s->defs[i];
		int known;

		if (!vct_here(s, d))
			continue;
		/* two definitions of one vct: the first one's metadata */
		if (vci_serve_route_find(s, 0, "GET", d->vct + origin, &known))
			continue;
		if (vci_serve_route_add(s, 0, "GET", d->vct + origin, VCI_ROUTE_EXACT, NULL,
					get_type, d, err) < 0)
			return -1;
	}
	return 0;
}
