/* test-profile.c - the HAIP rule table (oid4vci/profile.h): a compliant
 * issuer has no finding; each case breaks one thing and must get exactly
 * the findings of its rule; offline checks skip the server rules. */
#include "base/common.h"
#include "oid4vci/profile.h"
#include "tap.h"

#include <string.h>

#define GOOD_MD "{\"credential_issuer\":\"https://i.example\"," \
	"\"nonce_endpoint\":\"https://i.example/nonce\"," \
	"\"credential_configurations_supported\":{" \
	"\"pid\":{\"format\":\"dc+sd-jwt\",\"scope\":\"pid\"," \
	"\"credential_signing_alg_values_supported\":[\"ES256\"]," \
	"\"cryptographic_binding_methods_supported\":[\"jwk\"]," \
	"\"proof_types_supported\":{\"jwt\":{\"proof_signing_alg_values_supported\":[\"ES256\"]}}}," \
	"\"mdl\":{\"format\":\"mso_mdoc\",\"scope\":\"mdl\"," \
	"\"credential_signing_alg_values_supported\":[-7]," \
	"\"cryptographic_binding_methods_supported\":[\"cose_key\"]," \
	"\"proof_types_supported\":{\"jwt\":{\"proof_signing_alg_values_supported\":[\"ES256\"]}}}}}"

static void good_server(vci_profile_server_t *s)
{
	vci_profile_server_init(s);
	s->dpop_required = s->dpop_nonce = s->par_required = s->pkce_s256_only = 1;
	s->wallet_attestation = s->x5c = s->status_random = 1;
	s->x5c_self_signed_leaf = s->x5c_has_anchor = 0;
	s->signing_alg = "ES256";
}

/* Apply a JSON merge at a configuration: cfg.member = value (JSON), or
 * remove it when value is NULL. */
static json_t *md_with(const char *cfg, const char *member, const char *value)
{
	json_t *md = json_loads(GOOD_MD, 0, NULL);
	json_t *c = cfg ? json_object_get(json_object_get(md,
			"credential_configurations_supported"), cfg) : md;

	if (value)
		json_object_set_new(c, member, json_loads(value, JSON_DECODE_ANY, NULL));
	else
		json_object_del(c, member);
	return md;
}

/* Exactly `n` findings, each naming `rule`. */
static void expect(const char *what, const json_t *md, const vci_profile_server_t *srv,
		   size_t n, const char *rule)
{
	json_auto_t *f = json_array();
	size_t got = vci_profile_check(VCI_PROFILE_HAIP, md, srv, f);
	int named = 1;

	for (size_t i = 0; i < json_array_size(f); i++)
		if (!rule || strncmp(json_string_value(json_array_get(f, i)), rule, strlen(rule)))
			named = 0;
	tap_ok(got == n && json_array_size(f) == n && (n == 0 || named), "%s: %zu finding(s)%s%s",
	       what, n, n ? " of " : "", n ? rule : "");
	if (got != n || !named)
		for (size_t i = 0; i < json_array_size(f); i++)
			tap_diag("  %s", json_string_value(json_array_get(f, i)));
}

static void server_cases(void)
{
	json_auto_t *md = json_loads(GOOD_MD, 0, NULL);
	vci_profile_server_t s;

	good_server(&s);
	expect("compliant", md, &s, 0, NULL);
	good_server(&s); s.dpop_required = 0;
	expect("DPoP optional", md, &s, 1, "HP-4");
	good_server(&s); s.dpop_nonce = 0;
	expect("no DPoP nonces", md, &s, 1, "HP-4");
	good_server(&s); s.par_required = 0;
	expect("PAR optional", md, &s, 1, "HP-4");
	good_server(&s); s.pkce_s256_only = 0;
	expect("PKCE not enforced", md, &s, 1, "HP-4");
	good_server(&s); s.wallet_attestation = 0;
	expect("no wallet attestation", md, &s, 1, "HA-4");
	good_server(&s); s.x5c = 0;
	expect("kid instead of x5c", md, &s, 1, "HS-7");
	good_server(&s); s.x5c_self_signed_leaf = 1;
	expect("self-signed leaf", md, &s, 1, "HS-7");
	good_server(&s); s.x5c_has_anchor = 1;
	expect("anchor in x5c", md, &s, 1, "HS-7");
	good_server(&s); s.signing_alg = "ES384";
	expect("ES384 issuer key", md, &s, 1, "HC-1");
	good_server(&s); s.status_random = 0;
	expect("sequential status", md, &s, 1, "HS-6");
	expect("offline: server rules skipped", md, NULL, 0, NULL);
	vci_profile_server_init(&s);
	expect("all server facts unknown: skipped", md, &s, 0, NULL);
}

static void metadata_cases(void)
{
	static const struct {
		const char *what, *cfg, *member, *value;
		size_t n;
		const char *rule;
	} cases[] = {
		{ "configuration without scope", "pid", "scope", NULL, 1, "HM-2" },
		{ "binding without nonce_endpoint", NULL, "nonce_endpoint", NULL, 1, "HM-3" },
		{ "proofs without ES256", "pid", "proof_types_supported",
		  "{\"jwt\":{\"proof_signing_alg_values_supported\":[\"EdDSA\"]}}", 1, "HC-1" },
		{ "SD-JWT VC signed without ES256", "pid",
		  "credential_signing_alg_values_supported", "[\"ES384\"]", 1, "HC-1" },
		{ "mdoc signed without -7/-9", "mdl", "credential_signing_alg_values_supported",
		  "[-35]", 1, "HC-1" },
		{ "mdoc with -9 only", "mdl", "credential_signing_alg_values_supported", "[-9]",
		  0, NULL },
		{ "SD-JWT VC bound by DID only", "pid", "cryptographic_binding_methods_supported",
		  "[\"did:key\"]", 1, "HS-3" },
		{ "only jwt_vc_json", NULL, "credential_configurations_supported",
		  "{\"d\":{\"format\":\"jwt_vc_json\",\"scope\":\"d\"}}", 1, "HP-2" },
	};
	vci_profile_server_t s;

	good_server(&s);
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		json_auto_t *md = md_with(cases[i].cfg, cases[i].member, cases[i].value);

		expect(cases[i].what, md, &s, cases[i].n, cases[i].rule);
	}
}

static void misc(void)
{
	vci_profile_t p = VCI_PROFILE_NONE;
	vci_err_t err = { 0 };
	json_auto_t *md = md_with("pid", "scope", NULL);
	json_auto_t *f = json_array();

	tap_ok(vci_profile_parse("haip", &p, &err) == 0 && p == VCI_PROFILE_HAIP, "parse haip");
	tap_ok(vci_profile_parse("fapi", &p, &err) < 0 && err.status == VCI_EXIT_USAGE,
	       "parse an unknown profile: usage error (%s)", err.msg);
	tap_ok(vci_profile_check(VCI_PROFILE_NONE, md, NULL, f) == 0 && !json_array_size(f),
	       "no profile: no rule");
	tap_is_str(vci_profile_name(VCI_PROFILE_HAIP), "haip", "name");
}

int main(void)
{
	server_cases();
	metadata_cases();
	misc();
	return tap_done();
}
