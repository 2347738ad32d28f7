/* oidc.c - the upstream OpenID Provider's discovery document, JWK Set and
 * ID token (oidc.h). */
#include "oidc.h"
#include "base/time.h"
#include "base/url.h"
#include "crypto/jws.h"
#include "crypto/keys.h"
#include "oid4vci/request.h"

#include <string.h>

#define prov_fail(err, ...) vci_err_set(err, VCI_EXIT_INPUT, "invalid_provider", __VA_ARGS__)
#define idt_fail(err, ...) vci_err_set(err, VCI_EXIT_FAIL, "invalid_id_token", __VA_ARGS__)

/* A string member without an embedded NUL (the parser allows them), or
 * NULL. */
static const char *str_of(const json_t *o, const char *k)
{
	const json_t *v = json_object_get(o, k);
	const char *s = json_string_value(v);

	return s && strlen(s) == json_string_length(v) ? s : NULL;
}

/* A parse error of the provider's documents: "invalid_provider". */
static void as_provider(vci_err_t *err)
{
	err->status = VCI_EXIT_INPUT;
	snprintf(err->code, sizeof err->code, "invalid_provider");
}

void vci_oidc_provider_clear(vci_oidc_provider_t *p)
{
	free(p->issuer);
	free(p->authorization_endpoint);
	free(p->token_endpoint);
	free(p->jwks_uri);
	memset(p, 0, sizeof *p);
}

/* Whether the array `a` (absent: `dflt`) holds the string s. */
static int has_string(const json_t *a, const char *s, int dflt)
{
	const json_t *v;
	size_t i;

	if (!a)
		return dflt;
	json_array_foreach(a, i, v)
		if (json_is_string(v) && json_string_length(v) == strlen(s) &&
		    !memcmp(json_string_value(v), s, strlen(s)))
			return 1;
	return 0;
}

static int endpoint(const json_t *doc, const char *name, char **out, vci_err_t *err)
{
	const char *v = str_of(doc, name);

	if (!v)
		return prov_fail(err, "discovery: %s: missing", name);
	if (!vci_url_is_target(v, 1))
		return prov_fail(err, "discovery: %s: not https (or http on loopback)", name);
	if (!(*out = strdup(v)))
		return vci_err_oom(err);
	return 0;
}

static int discovery_check(const json_t *doc, const char *issuer, vci_oidc_provider_t *p,
			   vci_err_t *err)
{
	const char *iss = str_of(doc, "issuer");
	const json_t *methods = json_object_get(doc, "token_endpoint_auth_methods_supported");
	const json_t *pkce = json_object_get(doc, "code_challenge_methods_supported");

	if (!iss || strcmp(iss, issuer))
		return prov_fail(err, "discovery: issuer: not the issuer asked for");
	if (!(p->issuer = strdup(iss)))
		return vci_err_oom(err);
	if (endpoint(doc, "authorization_endpoint", &p->authorization_endpoint, err) < 0 ||
	    endpoint(doc, "token_endpoint", &p->token_endpoint, err) < 0 ||
	    endpoint(doc, "jwks_uri", &p->jwks_uri, err) < 0)
		return -1;
	if (!json_is_array(json_object_get(doc, "response_types_supported")) ||
	    !has_string(json_object_get(doc, "response_types_supported"), "code", 0))
		return prov_fail(err, "discovery: response_types_supported: no \"code\"");
	if (pkce && (!json_is_array(pkce) || !has_string(pkce, "S256", 0)))
		return prov_fail(err, "discovery: code_challenge_methods_supported: no S256");
	if (methods && !json_is_array(methods))
		return prov_fail(err, "discovery: token_endpoint_auth_methods_supported: "
				 "not an array");
	p->basic_auth = has_string(methods, "client_secret_basic", 1);
	p->post_auth = has_string(methods, "client_secret_post", 0);
	if (!p->basic_auth && !p->post_auth)
		return prov_fail(err, "discovery: token_endpoint_auth_methods_supported: neither "
				 "client_secret_basic nor client_secret_post");
	return 0;
}

int vci_oidc_discovery_parse(const char *text, size_t len, const char *issuer,
			     vci_oidc_provider_t *p, vci_err_t *err)
{
	json_auto_t *doc = NULL;

	memset(p, 0, sizeof *p);
	if (len > VCI_OIDC_DOC_MAX)
		return prov_fail(err, "discovery: larger than %u bytes", VCI_OIDC_DOC_MAX);
	doc = vci_json_parse(text, len, "discovery", err);
	if (!doc) {
		as_provider(err);
		return -1;
	}
	if (!json_is_object(doc))
		return prov_fail(err, "discovery: not a JSON object");
	if (discovery_check(doc, issuer, p, err) < 0) {
		vci_oidc_provider_clear(p);
		return -1;
	}
	return 0;
}

json_t *vci_oidc_jwks_parse(const char *text, size_t len, vci_err_t *err)
{
	json_auto_t *doc = NULL;
	json_auto_t *keys = json_array();
	const json_t *k;
	size_t i;

	if (len > VCI_OIDC_DOC_MAX) {
		prov_fail(err, "jwks: larger than %u bytes", VCI_OIDC_DOC_MAX);
		return NULL;
	}
	if (!keys) {
		vci_err_oom(err);
		return NULL;
	}
	doc = vci_json_parse(text, len, "jwks", err);
	if (!doc) {
		as_provider(err);
		return NULL;
	}
	if (!json_is_array(json_object_get(doc, "keys"))) {
		prov_fail(err, "jwks: \"keys\": not an array");
		return NULL;
	}
	json_array_foreach(json_object_get(doc, "keys"), i, k) {
		const char *use = str_of(k, "use");
		const char *kid = str_of(k, "kid");
		EVP_PKEY *pk;

		if (use && !strcmp(use, "enc"))
			continue;
		if (json_object_get(k, "kid") && !kid) {
			prov_fail(err, "jwks: key %zu: kid: not a string", i);
			return NULL;
		}
		pk = vci_jwk_to_pkey(k, 0, err);
		if (!pk) {
			vci_err_prefix(err, "jwks: key %zu", i);
			as_provider(err);
			return NULL;
		}
		EVP_PKEY_free(pk);
		for (size_t j = 0; kid && j < json_array_size(keys); j++) {
			const char *o = str_of(json_array_get(keys, j), "kid");

			if (o && !strcmp(o, kid)) {
				prov_fail(err, "jwks: kid \"%.64s\" on two keys", kid);
				return NULL;
			}
		}
		if (json_array_append(keys, (json_t *)k) < 0) {
			vci_err_oom(err);
			return NULL;
		}
	}
	if (!json_array_size(keys)) {
		prov_fail(err, "jwks: no signing key");
		return NULL;
	}
	return json_pack("{s:O}", "keys", keys);
}

/* The key of the set that verifies a token with this kid (NULL: the set's
 * only key). */
static EVP_PKEY *idt_key(const json_t *jwks, const char *kid, vci_err_t *err)
{
	const json_t *keys = json_object_get(jwks, "keys");

	if (kid) {
		const json_t *k;
		size_t i;

		json_array_foreach(keys, i, k) {
			const char *o = str_of(k, "kid");

			if (o && !strcmp(o, kid))
				return vci_jwk_to_pkey(k, 0, err);
		}
		idt_fail(err, "ID token: kid: no key of the provider has it");
		return NULL;
	}
	if (json_array_size(keys) != 1) {
		idt_fail(err, "ID token: kid: missing, and the provider has several keys");
		return NULL;
	}
	return vci_jwk_to_pkey(json_array_get(keys, 0), 0, err);
}

static int idt_aud(const json_t *c, const char *client_id, vci_err_t *err)
{
	const json_t *aud = json_object_get(c, "aud");
	const char *azp = str_of(c, "azp");

	if (json_is_string(aud))
		return !str_of(c, "aud") || strcmp(json_string_value(aud), client_id) ?
		       idt_fail(err, "ID token: aud: not our client_id") : 0;
	if (!json_is_array(aud) || !has_string(aud, client_id, 0))
		return idt_fail(err, "ID token: aud: not our client_id");
	if (json_array_size(aud) > 1 && (!azp || strcmp(azp, client_id)))
		return idt_fail(err, "ID token: azp: not our client_id (aud holds several)");
	return 0;
}

static int idt_claims(const json_t *c, const vci_oidc_expect_t *x, vci_err_t *err)
{
	int64_t now = x->now ? x->now : vci_time_now();
	const char *iss = str_of(c, "iss");
	const char *sub = str_of(c, "sub");
	const char *nonce = str_of(c, "nonce");
	const json_t *exp = json_object_get(c, "exp"), *iat = json_object_get(c, "iat");

	if (!iss || strcmp(iss, x->issuer))
		return idt_fail(err, "ID token: iss: not the provider");
	if (idt_aud(c, x->client_id, err) < 0)
		return -1;
	if (!json_is_integer(exp))
		return idt_fail(err, "ID token: exp: missing");
	if (json_integer_value(exp) + VCI_OIDC_SKEW <= now)
		return idt_fail(err, "ID token: exp: expired");
	if (!json_is_integer(iat) || json_integer_value(iat) > now + VCI_OIDC_SKEW)
		return idt_fail(err, "ID token: iat: missing or in the future");
	if (!nonce || !x->nonce ||
	    !vci_ct_equal(nonce, strlen(nonce), x->nonce, strlen(x->nonce)))
		return idt_fail(err, "ID token: nonce: not the one sent");
	if (!sub || !*sub)
		return idt_fail(err, "ID token: sub: missing");
	return 0;
}

json_t *vci_oidc_id_token_verify(const char *body, size_t len, const json_t *jwks,
				 const vci_oidc_expect_t *x, vci_err_t *err)
{
	json_auto_t *doc = NULL;
	const char *idt;
	vci_jws_t jws = { 0 };
	EVP_PKEY *key = NULL;
	json_t *out = NULL;

	if (len > VCI_OIDC_DOC_MAX) {
		prov_fail(err, "token response: larger than %u bytes", VCI_OIDC_DOC_MAX);
		return NULL;
	}
	doc = vci_json_parse(body, len, "token response", err);
	if (!doc) {
		as_provider(err);
		return NULL;
	}
	idt = str_of(doc, "id_token");
	if (!idt) {
		prov_fail(err, "token response: id_token: missing");
		return NULL;
	}
	if (vci_jws_parse(idt, strlen(idt), &jws, err) < 0) {
		vci_err_prefix(err, "ID token");
		err->status = VCI_EXIT_FAIL;
		snprintf(err->code, sizeof err->code, "invalid_id_token");
		return NULL;
	}
	if (!jws.payload)
		idt_fail(err, "ID token: payload: not a JSON object");
	else if (!(key = idt_key(jwks, str_of(jws.header, "kid"), err)))
		;
	else if (vci_jws_verify(&jws, key, NULL, err) < 0)
		idt_fail(err, "ID token: signature: does not verify with the provider's key");
	else if (idt_claims(jws.payload, x, err) == 0)
		out = json_incref(jws.payload);
	if (!out && err->status != VCI_EXIT_FAIL) {
		err->status = VCI_EXIT_FAIL;
		snprintf(err->code, sizeof err->code, "invalid_id_token");
	}
	EVP_PKEY_free(key);
	vci_jws_free(&jws);
	return out;
}

/* Set the claim at `path` ("a/b/c") of `into` to v. */
static int claim_put(json_t *into, const char *path, json_t *v, vci_err_t *err)
{
	char_auto_t *copy = strdup(path);
	char *save = NULL, *part, *next;
	json_t *at = into;

	if (!copy)
		return vci_err_oom(err);
	part = strtok_r(copy, "/", &save);
	if (!part)
		return vci_err_set(err, VCI_EXIT_INPUT, "invalid_definition",
				   "oidc_claims: \"%.64s\": not a claim path", path);
	for (; (next = strtok_r(NULL, "/", &save)); part = next) {
		json_t *child = json_object_get(at, part);

		if (!child) {
			child = json_object();
			if (!child || json_object_set_new(at, part, child) < 0)
				return vci_err_oom(err);
		} else if (!json_is_object(child)) {
			return vci_err_set(err, VCI_EXIT_INPUT, "invalid_definition",
					   "oidc_claims: \"%.64s\": %s is not an object", path, part);
		}
		at = child;
	}
	return json_object_set(at, part, v) < 0 ? vci_err_oom(err) : 0;
}

int vci_oidc_claims_map(const json_t *idt, const json_t *map, const json_t *names,
			json_t *into, vci_err_t *err)
{
	const char *k;
	const json_t *v;
	size_t i;

	if (map) {
		json_object_foreach((json_t *)map, k, v) {
			json_t *c = json_object_get(idt, json_string_value(v) ?
						    json_string_value(v) : "");

			if (c && claim_put(into, k, c, err) < 0)
				return -1;
		}
		return 0;
	}
	json_array_foreach(names, i, v) {
		json_t *c = json_string_value(v) ? json_object_get(idt, json_string_value(v)) : NULL;

		if (c && json_object_set(into, json_string_value(v), c) < 0)
			return vci_err_oom(err);
	}
	return 0;
}

void vci_oidc_callback_clear(vci_oidc_callback_t *cb)
{
	if (!cb)
		return;
	vci_str_wipe(cb->state);
	vci_str_wipe(cb->code);
	free(cb->error);
	memset(cb, 0, sizeof *cb);
}

int vci_oidc_callback_parse(const char *query, size_t len, vci_oidc_callback_t *cb,
			    vci_err_t *err)
{
	static const char *const names[] = { "state", "code", "error" };
	char **slots[] = { &cb->state, &cb->code, &cb->error };

	memset(cb, 0, sizeof *cb);
	if (vci_form_fields(query ? query : "", query ? len : 0, names, slots, 3, err) < 0) {
		vci_oidc_callback_clear(cb);
		return -1;
	}
	if (!cb->state || !*cb->state) {
		vci_oidc_callback_clear(cb);
		return vci_err_set(err, VCI_EXIT_FAIL, "invalid_request", "state: missing");
	}
	if (strlen(cb->state) > VCI_OIDC_STATE_MAX ||
	    (cb->code && strlen(cb->code) > VCI_OIDC_CODE_MAX)) {
		vci_oidc_callback_clear(cb);
		return vci_err_set(err, VCI_EXIT_FAIL, "invalid_request", "state or code: too long");
	}
	for (const char *c = cb->error; c && *c; c++) {
		/* RFC 6749 4.1.2.1: error is %x20-21 / %x23-5B / %x5D-7E */
		if (*c < 0x20 || *c > 0x7e || *c == '"' || *c == '\\') {
			vci_oidc_callback_clear(cb);
			return vci_err_set(err, VCI_EXIT_FAIL, "invalid_request",
					   "error: not an error code");
		}
	}
	return 0;
}

int vci_oidc_login_secret_split(const char *secret, char *verifier, size_t vsize,
				const char **nonce, vci_err_t *err)
{
	const char *sp = strchr(secret, ' ');

	if (!sp || sp == secret || !sp[1] || (size_t)(sp - secret) >= vsize) {
		if (vsize)
			OPENSSL_cleanse(verifier, vsize);
		return vci_err_set(err, VCI_EXIT_IO, "server_error", "login: damaged");
	}
	memcpy(verifier, secret, (size_t)(sp - secret));
	verifier[sp - secret] = '\0';
	*nonce = sp + 1;
	return 0;
}
