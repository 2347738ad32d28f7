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
#include "base/common.h"
#include "oid4vci/offer.h"
#include "oid4vci/request.h"
#include "../unit/serve-fixture.h"

#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static serve_fixture_t fx;

static void down(void)
{
	serve_fixture_down(&fx);
}

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
	char *s = malloc(size + 1);
	const char *body;
	char *nl;
	vci_req_t req = { 0 };
	vci_resp_t resp = { 0 };
	json_t *j;

	if (!s)
		return 0;
	if (!fx.s) {
		if (!serve_fixture_up(&fx))
			__builtin_trap();
		atexit(down);
	}
	memcpy(s, data, size);
	s[size] = '\0';
	nl = memchr(s, '\n', size);
	body = nl ? nl + 1 : s;
	check_form(s, size);
	req.method = "POST";
	req.path = "/token";
	req.now = fx.now;
	req.body = body;
	req.body_len = size - (size_t)(body - s);
	req.headers[0].name = "Content-Type";
	req.headers[0].value = "application/x-www-form-urlencoded";
	req.nheaders = 1;
	if (nl) {
		*nl = '\0';
		req.headers[1].name = "DPoP";
		req.headers[1].value = s;
		req.nheaders = 2;
	}
	vci_h_token(fx.s, &req, &resp);
	j = json_loadb(resp.body ? resp.body : "", resp.len, 0, NULL);
	if (resp.status >= 500 || (resp.status != 200 && resp.status != 400 && resp.status != 401) ||
	    !json_is_string(json_object_get(j, resp.status == 200 ? "access_token" : "error")))
		__builtin_trap();
	json_decref(j);
	vci_resp_clear(&resp);
	free(s);
	return 0;
}
