/* fuzz-par.c - libFuzzer target over the pushed authorization request
 * (RFC 9126 section 2.1, OpenID4VCI 1.0 section 5.1) and the
 * authorization request naming one (RFC 9126 section 4). The input is
 * split at its first newline: the text before it is a query string for
 * vci_authz_query_parse and the authorization endpoint's handler
 * (vci_h_authorize), the rest a PAR form body for vci_authz_par_parse, the
 * configurations it asks for (vci_authz_configs) and the PAR handler
 * (vci_h_par), of a server set up once in a temporary directory
 * (serve-fixture.h), without a socket. An accepted PAR has code, a
 * client_id, a redirect_uri, an S256 challenge of 43 characters and scope
 * or authorization_details; an accepted query a client_id and a
 * request_uri of ours. The handlers always answer: PAR 201 with a
 * request_uri or a JSON error (400, 401), authorize a 302 with a Location
 * or a JSON 400, never 5xx. */
#include "fuzz-fixture.h"
#include "oid4vci/authz.h"

#include <string.h>
#include <strings.h>

static serve_fixture_t *fx;

static void check_par(const char *s, size_t len)
{
	vci_authz_request_t r;
	vci_err_t err = { 0 };
	json_t *ids;
	size_t n;
	vci_defn_t *const *defs;

	if (vci_authz_par_parse(s, len, &r, &err) != 0)
		return;
	if (strcmp(r.response_type, "code") || !r.client_id || !r.redirect_uri ||
	    !r.code_challenge || strlen(r.code_challenge) != 43 ||
	    strcmp(r.code_challenge_method, "S256") || (!r.scope && !r.authorization_details) ||
	    r.request_uri)
		__builtin_trap();
	defs = vci_serve_defs(fx->s, &n);
	ids = vci_authz_configs(&r, defs, n, &err);
	if (ids && !json_array_size(ids))
		__builtin_trap();
	json_decref(ids);
	vci_authz_request_clear(&r);
}

static void check_query(const char *q)
{
	char *cid = NULL, *ru = NULL;
	vci_err_t err = { 0 };

	if (vci_authz_query_parse(q, &cid, &ru, &err) != 0) {
		if (cid || ru)
			__builtin_trap();
		return;
	}
	if (!cid || !ru || strncmp(ru, VCI_AUTHZ_REQUEST_URI_PREFIX,
				   strlen(VCI_AUTHZ_REQUEST_URI_PREFIX)))
		__builtin_trap();
	free(cid);
	free(ru);
}

static const char *location(const vci_resp_t *r)
{
	for (size_t i = 0; i < r->nheaders; i++)
		if (!strcasecmp(r->headers[i].name, "Location"))
			return r->headers[i].value;
	return NULL;
}

static void answer_ok(const vci_resp_t *resp, int ok_status, const char *member)
{
	json_t *j = json_loadb(resp->body ? resp->body : "", resp->len, 0, NULL);

	if (resp->status == 302 && ok_status == 302 && location(resp))
		goto out;
	if (resp->status >= 500 || (resp->status != ok_status && resp->status != 400 &&
				    resp->status != 401) ||
	    !json_is_string(json_object_get(j, resp->status == ok_status ? member : "error")))
		__builtin_trap();
out:
	json_decref(j);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_text(data, size, 0);
	const char *body;
	char *nl;
	vci_req_t req = { 0 };
	vci_resp_t resp = { 0 };

	if (!s)
		return 0;
	fx = fuzz_server(NULL);
	nl = memchr(s, '\n', size);
	body = nl ? nl + 1 : s;
	if (nl) {
		*nl = '\0';
		check_query(s);
		req.now = fx->now;
		req.path = "/";
		req.method = "GET";
		req.query = s;
		vci_h_authorize(fx->s, &req, &resp);
		answer_ok(&resp, 302, "");
		vci_resp_clear(&resp);
	}
	check_par(body, size - (size_t)(body - s));
	fuzz_post(&req, "/", body, size - (size_t)(body - s), "application/x-www-form-urlencoded",
		  NULL, NULL);
	vci_h_par(fx->s, &req, &resp);
	answer_ok(&resp, 201, "request_uri");
	vci_resp_clear(&resp);
	free(s);
	return 0;
}
