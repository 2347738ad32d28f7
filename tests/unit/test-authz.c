/* test-authz.c - the authorization code flow: libvci's parsers and checks
 * (oid4vci/authz.h: the pushed authorization request, the authorization
 * request, what scope and authorization_details ask for, PKCE S256 with
 * RFC 7636's Appendix B vector), then POST /par, GET /authorize and the
 * authorization_code grant of POST /token driven through their handler
 * functions, without a socket, over the server of serve-fixture.c. The
 * flow cases are a table: what the PAR, the authorization request and the
 * token request change, and the status and error each step must get. */
#include "base/common.h"
#include "base/b64url.h"
#include "base/http.h"
#include "crypto/jws.h"
#include "crypto/keys.h"
#include "oid4vci/authz.h"
#include "oid4vci/offer.h"
#include "oid4vci/request.h"
#include "serve/serve.h"
#include "serve-fixture.h"
#include "tap.h"

#include <string.h>

#define VERIFIER "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
#define CHALLENGE "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
#define REDIRECT "https://wallet.example/cb"
#define FORM_HEAD "response_type=code&client_id=w1&redirect_uri=https%3A%2F%2Fwallet.example%2Fcb" \
		  "&code_challenge=" CHALLENGE "&code_challenge_method=S256"

/* ---- the library ---- */

static const struct {
	const char *body;
	const char *error;          /* NULL: accepted */
} pars[] = {
	{ FORM_HEAD "&scope=pid", NULL },
	{ FORM_HEAD "&scope=pid&issuer_state=abc&state=s1&x_unknown=1", NULL },
	{ FORM_HEAD "&authorization_details=%5B%7B%22type%22%3A%22openid_credential%22%2C"
		    "%22credential_configuration_id%22%3A%22mdl%22%7D%5D", NULL },
	{ "response_type=token&client_id=w1&redirect_uri=https%3A%2F%2Fw%2Fcb&code_challenge="
	  CHALLENGE "&code_challenge_method=S256&scope=pid", "unsupported_response_type" },
	{ FORM_HEAD "&scope=pid&scope=mdl", "invalid_request" },
	{ "response_type=code&client_id=w1&redirect_uri=https%3A%2F%2Fw%2Fcb&code_challenge="
	  CHALLENGE "&code_challenge_method=plain&scope=pid", "invalid_request" },
	{ "response_type=code&client_id=w1&redirect_uri=https%3A%2F%2Fw%2Fcb&code_challenge="
	  CHALLENGE "&scope=pid", "invalid_request" },
	{ "response_type=code&client_id=w1&redirect_uri=https%3A%2F%2Fw%2Fcb"
	  "&code_challenge_method=S256&scope=pid", "invalid_request" },
	{ "response_type=code&client_id=w1&redirect_uri=https%3A%2F%2Fw%2Fcb%23frag"
	  "&code_challenge=" CHALLENGE "&code_challenge_method=S256&scope=pid", "invalid_request" },
	{ "response_type=code&client_id=w1&redirect_uri=cb&code_challenge=" CHALLENGE
	  "&code_challenge_method=S256&scope=pid", "invalid_request" },
	{ "response_type=code&redirect_uri=https%3A%2F%2Fw%2Fcb&code_challenge=" CHALLENGE
	  "&code_challenge_method=S256&scope=pid", "invalid_request" },
	{ FORM_HEAD, "invalid_request" },
	{ FORM_HEAD "&scope=pid&request_uri=urn%3Aietf%3Aparams%3Aoauth%3Arequest_uri%3Ax",
	  "invalid_request" },
	{ FORM_HEAD "&scope=pid&dpop_jkt=short", "invalid_request" },
	{ "response_type=code&redirect_uri=https%3A%2F%2Fw%2Fcb&code_challenge=" CHALLENGE
	  "&code_challenge_method=S256&scope=pid&client_id="
	  "0123456789012345678901234567890123456789012345678901234567890123456789"
	  "0123456789012345678901234567890123456789012345678901234567890123456789"
	  "0123456789012345678901234567890123456789012345678901234567890123456789"
	  "0123456789012345678901234567890123456789012345678901234567890123456789",
	  "invalid_request" },
	{ "", "invalid_request" },
};

static void test_par_parse(void)
{
	for (size_t i = 0; i < sizeof pars / sizeof pars[0]; i++) {
		vci_authz_request_t r;
		vci_err_t err = { 0 };
		int rc = vci_authz_par_parse(pars[i].body, strlen(pars[i].body), &r, &err);

		if (pars[i].error)
			tap_ok(rc < 0 && !strcmp(err.code, pars[i].error), "PAR %zu refused: %s: %s",
			       i, err.code, err.msg);
		else
			tap_ok(rc == 0 && !strcmp(r.redirect_uri, REDIRECT) &&
			       !strcmp(r.code_challenge, CHALLENGE), "PAR %zu accepted", i);
		if (rc == 0)
			vci_authz_request_clear(&r);
	}
}

static const struct {
	const char *scope, *details;
	const char *want;           /* ids joined by ' ', or the error code */
} asks[] = {
	{ "pid", NULL, "pid" },
	{ "openid unknown pid mdl", NULL, "pid mdl" },
	{ "pid  pid", NULL, "pid" },
	{ "unknown", NULL, "invalid_scope" },
	{ "pi", NULL, "invalid_scope" },
	{ NULL, "[{\"type\":\"openid_credential\",\"credential_configuration_id\":\"diploma\"}]",
	  "diploma" },
	{ "pid", "[{\"type\":\"openid_credential\",\"credential_configuration_id\":\"pid\"}]",
	  "pid" },
	{ NULL, "[{\"type\":\"other\",\"credential_configuration_id\":\"pid\"}]",
	  "invalid_authorization_details" },
	{ NULL, "[{\"type\":\"openid_credential\",\"credential_configuration_id\":\"nope\"}]",
	  "invalid_authorization_details" },
	{ NULL, "{}", "invalid_authorization_details" },
	{ NULL, "[]", "invalid_authorization_details" },
};

static void test_configs(vci_serve_t *s)
{
	size_t n;
	vci_defn_t *const *defs = vci_serve_defs(s, &n);

	for (size_t i = 0; i < sizeof asks / sizeof asks[0]; i++) {
		vci_authz_request_t r = { 0 };
		vci_err_t err = { 0 };
		json_auto_t *ids = NULL;
		char got[128] = "";

		r.scope = (char *)asks[i].scope;
		r.authorization_details = (char *)asks[i].details;
		ids = vci_authz_configs(&r, defs, n, &err);
		if (ids) {
			const json_t *v;
			size_t j;

			json_array_foreach(ids, j, v)
				snprintf(got + strlen(got), sizeof got - strlen(got), "%s%s",
					 j ? " " : "", json_string_value(v));
		} else {
			snprintf(got, sizeof got, "%s", err.code);
		}
		tap_ok(!strcmp(got, asks[i].want), "configs %zu: %s (want %s)", i, got,
		       asks[i].want);
	}
}

static void test_pkce_query(void)
{
	char c[44], *cid = NULL, *ru = NULL;
	vci_err_t err = { 0 };

	tap_ok(vci_authz_pkce_challenge(VERIFIER, c, &err) == 0 && !strcmp(c, CHALLENGE),
	       "PKCE: RFC 7636 Appendix B challenge");
	tap_ok(vci_authz_pkce_check(VERIFIER, CHALLENGE, &err) == 0, "PKCE: the verifier matches");
	tap_ok(vci_authz_pkce_check("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXK", CHALLENGE,
				    &err) < 0 && !strcmp(err.code, "invalid_grant"),
	       "PKCE: another verifier: invalid_grant");
	tap_ok(vci_authz_pkce_check("short", CHALLENGE, &err) < 0 &&
	       !strcmp(err.code, "invalid_grant"), "PKCE: a verifier of 5 characters refused");
	tap_ok(vci_authz_query_parse("client_id=a&request_uri=urn%3Aietf%3Aparams%3Aoauth%3A"
				     "request_uri%3Axyz&scope=ignored", &cid, &ru, &err) == 0 &&
	       !strcmp(cid, "a") && !strcmp(ru, "urn:ietf:params:oauth:request_uri:xyz"),
	       "authorize query: client_id and request_uri");
	free(cid);
	free(ru);
	tap_ok(vci_authz_query_parse("client_id=a&response_type=code&scope=pid", &cid, &ru,
				     &err) < 0 && !strcmp(err.code, "invalid_request") && !cid,
	       "authorize query: no request_uri (plain request) refused");
	tap_ok(vci_authz_query_parse("client_id=a&request_uri=https%3A%2F%2Fx", &cid, &ru,
				     &err) < 0, "authorize query: a request_uri not ours refused");
	tap_ok(vci_authz_query_parse(NULL, &cid, &ru, &err) < 0, "authorize query: none");
}

/* ---- the handlers ---- */

static serve_fixture_t FX;

/* An offer of `config` with the authorization_code grant and this
 * issuer_state, imported as `vci-serve import` does. */
static int offer_auth(const char *config, const char *issuer_state)
{
	const char *ids[1] = { config };
	vci_offer_params_t p = { 0 };
	vci_offer_t o = { 0 };
	json_auto_t *rec = NULL;
	char_auto_t *offer_id = vci_offer_random(16, NULL);
	vci_err_t err = { 0 };
	int rc = -1;

	p.issuer = SERVE_FIXTURE_ISSUER;
	p.config_ids = ids;
	p.n_config_ids = 1;
	p.auth_code = 1;
	p.no_pre_auth = 1;
	p.issuer_state = issuer_state;
	if (vci_offer_build(&p, &o, &err) < 0)
		goto out;
	rec = json_pack("{s:s, s:[s], s:O, s:s, s:o, s:I}", "offer_id", offer_id,
			"credential_configuration_ids", config, "credential_offer", o.offer,
			"issuer_state", issuer_state, "claims", serve_fixture_claims(config),
			"expires_at", (json_int_t)(FX.now + 600));
	rc = rec ? vci_serve_offer_put(FX.s->store, rec, 1, FX.now, &err) : -1;
out:
	if (rc)
		fprintf(stderr, "offer: %s\n", err.msg);
	vci_offer_clear(&o);
	return rc;
}

static void request(vci_handler_fn fn, const char *method, const char *query, const char *body,
		    vci_resp_t *resp)
{
	vci_req_t r = { 0 };

	r.method = method;
	r.path = "/";
	r.query = query;
	r.now = FX.now;
	r.body = body;
	r.body_len = body ? strlen(body) : 0;
	r.peer = "127.0.0.1";
	r.headers[0].name = "Content-Type";
	r.headers[0].value = "application/x-www-form-urlencoded";
	r.nheaders = 1;
	memset(resp, 0, sizeof *resp);
	fn(FX.s, &r, resp);
}

static const char *resp_header(const vci_resp_t *r, const char *name)
{
	for (size_t i = 0; i < r->nheaders; i++)
		if (!strcasecmp(r->headers[i].name, name))
			return r->headers[i].value;
	return NULL;
}

static const char *resp_error(const vci_resp_t *r, char *buf, size_t size)
{
	json_auto_t *j = r->body ? json_loadb(r->body, r->len, 0, NULL) : NULL;

	snprintf(buf, size, "%s", json_string_value(json_object_get(j, "error")) ?: "");
	return buf;
}

/* A query parameter's value in a URL (decoded, malloc'd) or NULL. */
static char *url_param(const char *url, const char *name)
{
	const char *q = strchr(url ? url : "", '?');
	size_t n = strlen(name);

	for (const char *p = q; p && *p; p = strchr(p + 1, '&')) {
		char *out = NULL;
		size_t len, olen;

		if (strncmp(p + 1, name, n) || p[1 + n] != '=')
			continue;
		len = strcspn(p + 2 + n, "&");
		if (vci_url_decode(p + 2 + n, len, 1, &out, &olen, NULL) < 0)
			return NULL;
		return out;
	}
	return NULL;
}

enum {
	F_NO_STATE = 1u << 0,      /* PAR without issuer_state */
	F_BAD_STATE = 1u << 1,     /* PAR with an issuer_state of no offer */
	F_CLIENT2 = 1u << 2,       /* authorize as another client_id */
	F_AUTH_TWICE = 1u << 3,    /* the request_uri used a second time */
	F_VERIFIER = 1u << 4,      /* token: a wrong code_verifier */
	F_REDIRECT = 1u << 5,      /* token: another redirect_uri */
	F_TOKEN_TWICE = 1u << 6,   /* token: the code a second time */
	F_TOKEN_CLIENT2 = 1u << 7, /* token: another client_id */
	F_SCOPE_OTHER = 1u << 8,   /* PAR: scope of a configuration not offered */
	F_STATE_TWICE = 1u << 9,   /* a second PAR + authorize with the same issuer_state */
};

static const struct {
	const char *name;
	unsigned v;
	int par, authz, token;      /* expected statuses */
	const char *error;          /* the error of the failing step, or NULL */
} flows[] = {
	{ "issuer-initiated: PAR 201, 302 with code, token 200", 0, 201, 302, 200, NULL },
	{ "PAR without issuer_state", F_NO_STATE, 400, 0, 0, "invalid_request" },
	{ "issuer_state of no offer: access_denied redirect", F_BAD_STATE, 201, 302, 0,
	  "access_denied" },
	{ "authorize as another client", F_CLIENT2, 201, 400, 0, "invalid_request" },
	{ "request_uri used twice", F_AUTH_TWICE, 201, 400, 0, "invalid_request" },
	{ "PKCE mismatch", F_VERIFIER, 201, 302, 400, "invalid_grant" },
	{ "redirect_uri mismatch", F_REDIRECT, 201, 302, 400, "invalid_grant" },
	{ "code used twice", F_TOKEN_TWICE, 201, 302, 400, "invalid_grant" },
	{ "code redeemed by another client", F_TOKEN_CLIENT2, 201, 302, 400, "invalid_grant" },
	{ "scope of a configuration the offer lacks", F_SCOPE_OTHER, 201, 302, 400,
	  "invalid_grant" },
	{ "issuer_state used twice", F_STATE_TWICE, 201, 302, 200, "access_denied" },
};

static int flow_authorize(unsigned v, const char *request_uri, const char *client,
			  vci_resp_t *resp)
{
	char_auto_t *enc = vci_url_encode(request_uri, strlen(request_uri), NULL, NULL);
	char_auto_t *q = NULL;

	(void)v;
	if (!enc || asprintf(&q, "client_id=%s&request_uri=%s", client, enc) < 0)
		return -1;
	request(vci_h_authorize, "GET", q, NULL, resp);
	return resp->status;
}

static char *flow_par(unsigned v, const char *state, vci_resp_t *resp)
{
	char_auto_t *body = NULL;
	json_auto_t *j = NULL;

	if (asprintf(&body, "%s&scope=%s&state=xyz%s%s", FORM_HEAD, v & F_SCOPE_OTHER ? "mdl" : "pid",
		     v & F_NO_STATE ? "" : "&issuer_state=",
		     v & F_NO_STATE ? "" : (v & F_BAD_STATE ? "nobody" : state)) < 0)
		return NULL;
	request(vci_h_par, "POST", NULL, body, resp);
	j = resp->body ? json_loadb(resp->body, resp->len, 0, NULL) : NULL;
	return json_string_value(json_object_get(j, "request_uri"))
		       ? strdup(json_string_value(json_object_get(j, "request_uri")))
		       : NULL;
}

static int flow_token(unsigned v, const char *code, vci_resp_t *resp)
{
	char_auto_t *enc = vci_url_encode(code, strlen(code), NULL, NULL);
	char_auto_t *body = NULL;

	if (!enc || asprintf(&body, "grant_type=authorization_code&code=%s&code_verifier=%s"
			     "&redirect_uri=%s&client_id=%s", enc,
			     v & F_VERIFIER ? "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXK" : VERIFIER,
			     v & F_REDIRECT ? "https%3A%2F%2Fwallet.example%2Fcb2"
					    : "https%3A%2F%2Fwallet.example%2Fcb",
			     v & F_TOKEN_CLIENT2 ? "w2" : "w1") < 0)
		return -1;
	request(vci_h_token, "POST", NULL, body, resp);
	return resp->status;
}

static void test_flow(size_t i)
{
	unsigned v = flows[i].v;
	char state[32], err[64];
	char_auto_t *ru = NULL, *code = NULL, *iss = NULL, *st = NULL, *aerr = NULL;
	vci_resp_t resp;
	int ok = 1;

	snprintf(state, sizeof state, "state-%zu", i);
	ok = offer_auth("pid", state) == 0;
	ru = flow_par(v, state, &resp);
	ok &= resp.status == flows[i].par;
	if (!flows[i].authz) {
		ok &= !strcmp(resp_error(&resp, err, sizeof err), flows[i].error);
		tap_ok(ok, "%s: PAR %d %s", flows[i].name, resp.status, err);
		vci_resp_clear(&resp);
		return;
	}
	ok &= ru != NULL && resp_header(&resp, "Cache-Control") != NULL;
	vci_resp_clear(&resp);
	flow_authorize(v, ru ? ru : "urn:ietf:params:oauth:request_uri:x",
		       v & F_CLIENT2 ? "w2" : "w1", &resp);
	if (v & F_AUTH_TWICE) {
		ok &= resp.status == 302;
		vci_resp_clear(&resp);
		flow_authorize(v, ru, "w1", &resp);
	}
	ok &= resp.status == flows[i].authz;
	if (resp.status != 302) {
		ok &= !strcmp(resp_error(&resp, err, sizeof err), flows[i].error);
		tap_ok(ok, "%s: authorize %d %s", flows[i].name, resp.status, err);
		vci_resp_clear(&resp);
		return;
	}
	code = url_param(resp_header(&resp, "Location"), "code");
	iss = url_param(resp_header(&resp, "Location"), "iss");
	st = url_param(resp_header(&resp, "Location"), "state");
	aerr = url_param(resp_header(&resp, "Location"), "error");
	ok &= iss && !strcmp(iss, SERVE_FIXTURE_ISSUER) && st && !strcmp(st, "xyz") &&
	      !strncmp(resp_header(&resp, "Location"), REDIRECT "?", strlen(REDIRECT) + 1);
	vci_resp_clear(&resp);
	if (aerr) {
		tap_ok(ok && !code && !strcmp(aerr, flows[i].error), "%s: redirect error=%s",
		       flows[i].name, aerr);
		return;
	}
	ok &= code != NULL && flow_token(v, code ? code : "x", &resp) > 0;
	if (v & F_TOKEN_TWICE) {
		ok &= resp.status == 200;
		vci_resp_clear(&resp);
		flow_token(v, code, &resp);
	}
	ok &= resp.status == flows[i].token;
	resp_error(&resp, err, sizeof err);
	ok &= resp.status == 200 ? strstr(resp.body, "\"authorization_details\"") != NULL
				 : !strcmp(err, flows[i].error);
	vci_resp_clear(&resp);
	if (v & F_STATE_TWICE) {
		free(ru);
		ru = flow_par(0, state, &resp);
		vci_resp_clear(&resp);
		flow_authorize(0, ru ? ru : "x", "w1", &resp);
		free(aerr);
		aerr = url_param(resp_header(&resp, "Location"), "error");
		ok &= resp.status == 302 && aerr && !strcmp(aerr, "access_denied");
		vci_resp_clear(&resp);
	}
	tap_ok(ok, "%s: token %d %s", flows[i].name, flows[i].token, err);
}

/* A plain authorization request: refused while PAR is required (the
 * default), served at once with --par optional. */
static void test_plain(void)
{
	char_auto_t *q = NULL, *code = NULL;
	vci_resp_t resp;
	char err[64];

	if (offer_auth("pid", "plain-state") != 0 ||
	    asprintf(&q, "%s&scope=pid&state=xyz&issuer_state=plain-state", FORM_HEAD) < 0) {
		tap_ok(0, "plain request: setup");
		return;
	}
	request(vci_h_authorize, "GET", q, NULL, &resp);
	tap_ok(resp.status == 400 && !strcmp(resp_error(&resp, err, sizeof err), "invalid_request"),
	       "plain authorization request refused while PAR is required: %d %s", resp.status,
	       err);
	vci_resp_clear(&resp);
	FX.s->par_optional = 1;
	request(vci_h_authorize, "GET", q, NULL, &resp);
	code = url_param(resp_header(&resp, "Location"), "code");
	tap_ok(resp.status == 302 && code, "--par optional: a plain request gets its code");
	vci_resp_clear(&resp);
	if (code) {
		flow_token(0, code, &resp);
		tap_ok(resp.status == 200, "--par optional: the code redeemed: %d", resp.status);
		vci_resp_clear(&resp);
	}
	FX.s->par_optional = 0;
}

int main(void)
{
	test_par_parse();
	test_pkce_query();
	if (!serve_fixture_up(&FX)) {
		tap_ok(0, "fixture");
		serve_fixture_down(&FX);
		return tap_done();
	}
	test_configs(FX.s);
	for (size_t i = 0; i < sizeof flows / sizeof flows[0]; i++)
		test_flow(i);
	test_plain();
	serve_fixture_down(&FX);
	return tap_done();
}
