/* wellknown.c - GET the issuer's well-known documents:
 *   /.well-known/openid-credential-issuer + P   Credential Issuer Metadata
 *     (OID4VCI 1.0 12.2.2, path insertion); signed metadata (12.2.3) as
 *     application/jwt when the client's Accept prefers it and there is a
 *     certificate chain;
 *   P + /.well-known/openid-credential-issuer   the draft 13 shape, where
 *     draft 13 wallets look for an issuer with a path (suffix);
 *   /.well-known/oauth-authorization-server + P  RFC 8414 metadata of the
 *     token endpoint;
 *   /.well-known/jwt-vc-issuer + P              {"issuer", "jwks"} for
 *     SD-JWT VC key resolution.
 * The documents are made at start (server.c) and again by the definitions
 * catalog when the management API changes the definitions (catalog.c). */
#include "serve/internal.h"

#include <string.h>
#include <strings.h>

enum { DOC_METADATA, DOC_METADATA13, DOC_AS, DOC_JWT_VC_ISSUER };

static const int docs[] = { DOC_METADATA, DOC_METADATA13, DOC_AS, DOC_JWT_VC_ISSUER };

/* Whether Accept names application/jwt before any JSON type (or alone). */
static int wants_jwt(const vci_req_t *req)
{
	const char *a = vci_req_header(req, "Accept");

	while (a && *a) {
		size_t n;

		while (*a == ' ' || *a == ',' || *a == '\t')
			a++;
		n = strcspn(a, ";,");
		while (n && (a[n - 1] == ' ' || a[n - 1] == '\t'))
			n--;
		if (n == 15 && !strncasecmp(a, "application/jwt", 15))
			return 1;
		if ((n == 16 && !strncasecmp(a, "application/json", 16)) ||
		    (n == 3 && !strncmp(a, "*/*", 3)))
			return 0;
		a = strchr(a, ',');
	}
	return 0;
}

static void json_doc(vci_resp_t *resp, const json_t *doc)
{
	if (vci_resp_json(resp, 200, json_incref((json_t *)doc)) == 0)
		vci_resp_header(resp, "Cache-Control", "max-age=300");
}

/* The authorization server metadata with what the definitions served now
 * (the catalog) say: scopes_supported (RFC 8414 section 2: each
 * configuration's scope, once), and refresh_token among the grant types
 * when a definition allows re-issuance. A new reference, or NULL. */
static json_t *as_doc(vci_serve_t *s)
{
	json_t *doc = json_deep_copy(s->keep->as_metadata);
	json_t *scopes = json_array(), *grants = json_object_get(doc, "grant_types_supported");
	vci_defn_t *const *defs;
	size_t n, i, j;
	int refresh = 0;

	defs = vci_serve_defs(s, &n);
	for (i = 0; doc && scopes && i < n; i++) {
		refresh |= defs[i]->reissuance_days > 0;
		if (!defs[i]->scope)
			continue;
		for (j = 0; j < json_array_size(scopes); j++)
			if (!strcmp(json_string_value(json_array_get(scopes, j)), defs[i]->scope))
				break;
		if (j == json_array_size(scopes))
			json_array_append_new(scopes, json_string(defs[i]->scope));
	}
	if (doc && scopes && json_array_size(scopes))
		json_object_set(doc, "scopes_supported", scopes);
	if (doc && refresh && json_is_array(grants))
		json_array_append_new(grants, json_string("refresh_token"));
	json_decref(scopes);
	return doc;
}

static void get_doc(vci_serve_t *s, const vci_req_t *req, vci_resp_t *resp)
{
	const struct vci_serve_keep *k = s->keep;
	const json_t *md, *md13;
	const char *signed_md;

	vci_serve_catalog_docs(s, &md, &md13, &signed_md);  /* the request's catalog */
	switch (*(const int *)req->route_arg) {
	case DOC_METADATA:
		if (signed_md && wants_jwt(req)) {
			if (vci_resp_bytes(resp, 200, "application/jwt", signed_md,
					   strlen(signed_md)) == 0)
				vci_resp_header(resp, "Cache-Control", "max-age=300");
			return;
		}
		json_doc(resp, md);
		return;
	case DOC_METADATA13:
		json_doc(resp, md13);
		return;
	case DOC_AS: {
		json_t *as = as_doc(s);

		if (as)
			json_doc(resp, as);
		else
			vci_resp_error(resp, 500, "server_error", "out of memory");
		json_decref(as);
		return;
	}
	default:
		json_doc(resp, k->jwt_vc_issuer);
	}
}

int vci_wellknown_register(vci_serve_t *s, vci_err_t *err)
{
	char path[1024];

	snprintf(path, sizeof path, "/.well-known/openid-credential-issuer%s", s->base_path);
	if (vci_serve_route_add(s, 0, "GET", path, VCI_ROUTE_EXACT, NULL, get_doc,
				&docs[DOC_METADATA], err) < 0)
		return -1;
	if (s->base_path[0]) {
		snprintf(path, sizeof path, "%s/.well-known/openid-credential-issuer", s->base_path);
		if (vci_serve_route_add(s, 0, "GET", path, VCI_ROUTE_EXACT, NULL, get_doc,
					&docs[DOC_METADATA13], err) < 0)
			return -1;
	}
	snprintf(path, sizeof path, "/.well-known/oauth-authorization-server%s", s->base_path);
	if (vci_serve_route_add(s, 0, "GET", path, VCI_ROUTE_EXACT, NULL, get_doc, &docs[DOC_AS],
				err) < 0)
		return -1;
	snprintf(path, sizeof path, "/.well-known/jwt-vc-issuer%s", s->base_path);
	return vci_serve_route_add(s, 0, "GET", path, VCI_ROUTE_EXACT, NULL, get_doc,
				   &docs[DOC_JWT_VC_ISSUER], err);
}
