/* fuzz-token-form.c - libFuzzer target over the token endpoint's request
 * (OpenID4VCI 1.0 section 6.1): the input is a form body, parsed by
 * vci_token_request_parse and handed to the token endpoint's handler
 * (vci_h_token) of a server set up once in a temporary directory
 * (serve-fixture.h), without a socket. When the input holds a newline,
 * the text before it is the request's DPoP header and the rest the body.
 * An accepted form has the pre-authorized code grant and a non-empty code
 * and keeps no tx_code of zero length, or the authorization code grant
 * with code, code_verifier and redirect_uri; the handler always answers,
 * with a JSON OAuth error (400, or 401 invalid_client; never 5xx) unless
 * it issued a token. */
#include "fuzz-fixture.h"
#include "oid4vci/offer.h"
#include "oid4vci/request.h"

#include <string.h>

static void check_form(const char *s, size_t len)
{
	vci_token_request_t r;
	vci_err_t err = { 0 };

	if (vci_token_request_parse(s, len, &r, &err) != 0)
		return;
	if (!r.code || !r.code[0] || (r.tx_code && !r.tx_code[0]))
		__builtin_trap();
	if (r.auth_code ? strcmp(r.grant_type, "authorization_code") || !r.code_verifier ||
			  !r.redirect_uri
			: strcmp(r.grant_type, VCI_GRANT_PRE_AUTH) != 0)
		__builtin_trap();
	vci_token_request_clear(&r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_text(data, size, 0);
	serve_fixture_t *fx;
	const char *body;
	char *nl;
	vci_req_t req;
	vci_resp_t resp = { 0 };

	if (!s)
		return 0;
	fx = fuzz_server(NULL);
	nl = memchr(s, '\n', size);
	body = nl ? nl + 1 : s;
	check_form(s, size);
	if (nl)
		*nl = '\0';
	fuzz_post(&req, "/token", body, size - (size_t)(body - s),
		  "application/x-www-form-urlencoded", nl ? "DPoP" : NULL, s);
	vci_h_token(fx->s, &req, &resp);
	if (resp.status >= 500 || (resp.status != 200 && resp.status != 400 && resp.status != 401) ||
	    !fuzz_json_string(&resp, resp.status == 200 ? "access_token" : "error"))
		__builtin_trap();
	vci_resp_clear(&resp);
	free(s);
	return 0;
}
