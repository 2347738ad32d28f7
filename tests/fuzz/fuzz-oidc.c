/* fuzz-oidc.c - libFuzzer target over the upstream OpenID Provider's
 * documents (oid4vci/oidc.h), through functions, without a socket: the
 * whole input as a discovery document (vci_oidc_discovery_parse, issuer
 * https://op.example), as a JWK Set (vci_oidc_jwks_parse), and as a token
 * endpoint answer whose ID token is verified (vci_oidc_id_token_verify)
 * against a fixed P-256 key (kid "op-1", the one the seed corpus's tokens
 * are signed with), for client "client-1", nonce "nonce-1", at a fixed
 * time. Accepted documents must hold what the header promises: a
 * discovery with the issuer asked for and endpoints that are network
 * targets; a JWK Set with at least one key; ID token claims with that
 * iss, sub and nonce. The claims mapping (vci_oidc_claims_map) is run over
 * accepted claims. */
#include "base/common.h"
#include "base/url.h"
#include "oid4vci/oidc.h"

#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define ISSUER "https://op.example"

static const char jwks_text[] =
	"{\"keys\":[{\"crv\":\"P-256\",\"kid\":\"op-1\",\"kty\":\"EC\","
	"\"x\":\"8YSI6KkMOEIGNb8LFM3VJ4-eJieBUUQBGjgZu1vkhOI\","
	"\"y\":\"pc1UjuilVUFObcaDKKJeuJk_a1VB_ZZ81ZbiCPFuBHM\"}]}";

static void check_discovery(const char *s, size_t len)
{
	vci_oidc_provider_t p;
	vci_err_t err = { 0 };

	if (vci_oidc_discovery_parse(s, len, ISSUER, &p, &err) != 0) {
		if (p.issuer || p.token_endpoint || !err.code[0])
			__builtin_trap();
		return;
	}
	if (strcmp(p.issuer, ISSUER) || !vci_url_is_target(p.authorization_endpoint, 1) ||
	    !vci_url_is_target(p.token_endpoint, 1) || !vci_url_is_target(p.jwks_uri, 1) ||
	    (!p.basic_auth && !p.post_auth))
		__builtin_trap();
	vci_oidc_provider_clear(&p);
}

static void check_jwks(const char *s, size_t len)
{
	vci_err_t err = { 0 };
	json_t *j = vci_oidc_jwks_parse(s, len, &err);

	if (!j) {
		if (!err.code[0])
			__builtin_trap();
		return;
	}
	if (!json_array_size(json_object_get(j, "keys")))
		__builtin_trap();
	json_decref(j);
}

static void check_id_token(const char *s, size_t len, const json_t *jwks)
{
	static const vci_oidc_expect_t x = { ISSUER, "client-1", "nonce-1", 1700000000 };
	json_auto_t *map = json_pack("{s:s,s:s}", "a/b", "given_name", "c", "sub");
	json_auto_t *names = json_pack("[s,s]", "family_name", "email");
	json_auto_t *into = json_object();
	vci_err_t err = { 0 };
	json_t *c = vci_oidc_id_token_verify(s, len, jwks, &x, &err);

	if (!c) {
		if (!err.code[0])
			__builtin_trap();
		return;
	}
	if (strcmp(json_string_value(json_object_get(c, "iss")) ?: "", ISSUER) ||
	    strcmp(json_string_value(json_object_get(c, "nonce")) ?: "", "nonce-1") ||
	    !json_string_value(json_object_get(c, "sub")))
		__builtin_trap();
	if (vci_oidc_claims_map(c, map, NULL, into, &err) != 0 ||
	    !json_equal(json_object_get(into, "c"), json_object_get(c, "sub")) ||
	    vci_oidc_claims_map(c, NULL, names, into, &err) != 0)
		__builtin_trap();
	json_decref(c);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static json_t *jwks;
	const char *s = (const char *)data;

	if (!jwks) {
		vci_err_t err = { 0 };

		jwks = vci_oidc_jwks_parse(jwks_text, strlen(jwks_text), &err);
		if (!jwks)
			__builtin_trap();
	}
	check_discovery(s, size);
	check_jwks(s, size);
	check_id_token(s, size, jwks);
	return 0;
}
