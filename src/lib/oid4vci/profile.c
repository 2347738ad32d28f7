/* profile.c - the rules of interoperability profiles (HAIP 1.0), one
 * table: each rule has its spec id, a sentence, and a check over the
 * metadata and the server settings. Adding a rule is adding a row. */
#include "profile.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

typedef struct rule rule_t;
typedef struct rule_ctx {
	const json_t *md;                 /* metadata, or NULL */
	const json_t *configs;            /* its credential_configurations_supported */
	const vci_profile_server_t *srv;  /* or NULL */
	json_t *findings;
	size_t n;
} rule_ctx_t;

struct rule {
	const char *id;
	const char *text;
	void (*check)(rule_ctx_t *c, const rule_t *r);
};

static void finding(rule_ctx_t *c, const rule_t *r, const char *fmt, ...)
	VCI_PRINTF(3, 4);
static void finding(rule_ctx_t *c, const rule_t *r, const char *fmt, ...)
{
	char what[400], line[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof what, fmt, ap);
	va_end(ap);
	snprintf(line, sizeof line, "%s: %s (%s)", r->id, what, r->text);
	json_array_append_new(c->findings, json_string(line));
	c->n++;
}

/* A server setting is known and off. */
static int srv_off(const rule_ctx_t *c, int v)
{
	return c->srv && v == 0;
}

/* ---- server rules ---- */

static void r_dpop(rule_ctx_t *c, const rule_t *r)
{
	if (srv_off(c, c->srv ? c->srv->dpop_required : -1))
		finding(c, r, "--dpop is not required: Bearer tokens would be accepted");
}

static void r_dpop_nonce(rule_ctx_t *c, const rule_t *r)
{
	if (srv_off(c, c->srv ? c->srv->dpop_nonce : -1))
		finding(c, r, "--dpop-nonce is off: the server must issue DPoP nonces");
}

static void r_par(rule_ctx_t *c, const rule_t *r)
{
	if (srv_off(c, c->srv ? c->srv->par_required : -1))
		finding(c, r, "--par optional: authorization requests must come through PAR");
}

static void r_pkce(rule_ctx_t *c, const rule_t *r)
{
	if (srv_off(c, c->srv ? c->srv->pkce_s256_only : -1))
		finding(c, r, "PKCE with S256 only is not enforced");
}

static void r_wallet_att(rule_ctx_t *c, const rule_t *r)
{
	if (srv_off(c, c->srv ? c->srv->wallet_attestation : -1))
		finding(c, r, "no wallet provider is trusted: give --trust with their anchors so "
			"that PAR and token requests authenticate by wallet attestation");
}

static void r_x5c(rule_ctx_t *c, const rule_t *r)
{
	if (srv_off(c, c->srv ? c->srv->x5c : -1))
		finding(c, r, "the issuer key has no certificate chain (--kid): give --cert so "
			"credentials and signed metadata carry x5c");
	if (c->srv && c->srv->x5c_self_signed_leaf == 1)
		finding(c, r, "the --cert leaf is self-signed");
	if (c->srv && c->srv->x5c_has_anchor == 1)
		finding(c, r, "the --cert chain includes its trust anchor (a self-signed "
			"certificate): leave the root out");
}

static void r_es256_key(rule_ctx_t *c, const rule_t *r)
{
	if (c->srv && c->srv->signing_alg && strcmp(c->srv->signing_alg, "ES256"))
		finding(c, r, "the issuer key signs with %s, not ES256 (P-256)",
			c->srv->signing_alg);
}

static void r_status(rule_ctx_t *c, const rule_t *r)
{
	if (srv_off(c, c->srv ? c->srv->status_random : -1))
		finding(c, r, "status indices are not drawn at random");
}

/* ---- metadata rules ---- */

static void r_scope(rule_ctx_t *c, const rule_t *r)
{
	const char *id;
	const json_t *cfg;

	json_object_foreach((json_t *)c->configs, id, cfg)
		if (!json_is_string(json_object_get(cfg, "scope")))
			finding(c, r, "configuration %s has no scope", id);
}

static void r_nonce_endpoint(rule_ctx_t *c, const rule_t *r)
{
	const char *id;
	const json_t *cfg;

	if (!json_object_get(c->md, "credential_issuer") ||
	    json_object_get(c->md, "nonce_endpoint"))
		return;
	json_object_foreach((json_t *)c->configs, id, cfg)
		if (json_object_get(cfg, "cryptographic_binding_methods_supported")) {
			finding(c, r, "configuration %s binds keys but there is no nonce_endpoint", id);
			return;
		}
}

static int has_string(const json_t *a, const char *s)
{
	const json_t *v;
	size_t i;

	json_array_foreach(a, i, v)
		if (json_is_string(v) && !strcmp(json_string_value(v), s))
			return 1;
	return 0;
}

static int has_int(const json_t *a, json_int_t n)
{
	const json_t *v;
	size_t i;

	json_array_foreach(a, i, v)
		if (json_is_integer(v) && json_integer_value(v) == n)
			return 1;
	return 0;
}

static void r_es256_algs(rule_ctx_t *c, const rule_t *r)
{
	const char *id, *pt;
	const json_t *cfg, *p, *algs;

	json_object_foreach((json_t *)c->configs, id, cfg) {
		const char *fmt = json_string_value(json_object_get(cfg, "format"));

		algs = json_object_get(cfg, "credential_signing_alg_values_supported");
		if (algs && fmt && !strcmp(fmt, "mso_mdoc") && !has_int(algs, -7) &&
		    !has_int(algs, -9))
			finding(c, r, "configuration %s: credential_signing_alg_values_supported "
				"lacks -7 / -9 (ES256)", id);
		else if (algs && (!fmt || strcmp(fmt, "mso_mdoc")) && !has_string(algs, "ES256"))
			finding(c, r, "configuration %s: credential_signing_alg_values_supported "
				"lacks ES256", id);
		json_object_foreach((json_t *)json_object_get(cfg, "proof_types_supported"), pt, p)
			if (!has_string(json_object_get(p, "proof_signing_alg_values_supported"),
					"ES256"))
				finding(c, r, "configuration %s: proof type %s does not accept "
					"ES256", id, pt);
	}
}

static void r_format(rule_ctx_t *c, const rule_t *r)
{
	const char *id;
	const json_t *cfg;

	if (!json_object_get(c->md, "credential_issuer"))
		return; /* a whole issuer's rule, not one definition's */
	json_object_foreach((json_t *)c->configs, id, cfg) {
		const char *fmt = json_string_value(json_object_get(cfg, "format"));

		if (fmt && (!strcmp(fmt, "dc+sd-jwt") || !strcmp(fmt, "mso_mdoc")))
			return;
	}
	if (json_object_size(c->configs))
		finding(c, r, "no configuration is dc+sd-jwt or mso_mdoc");
}

static void r_cnf_jwk(rule_ctx_t *c, const rule_t *r)
{
	const char *id;
	const json_t *cfg;

	json_object_foreach((json_t *)c->configs, id, cfg) {
		const char *fmt = json_string_value(json_object_get(cfg, "format"));
		const json_t *m = json_object_get(cfg, "cryptographic_binding_methods_supported");

		if (m && fmt && !strcmp(fmt, "dc+sd-jwt") && !has_string(m, "jwk"))
			finding(c, r, "configuration %s binds keys without \"jwk\" among "
				"cryptographic_binding_methods_supported", id);
	}
}

static const rule_t haip_rules[] = {
	{ "HP-4", "DPoP is required (RFC 9449)", r_dpop },
	{ "HP-4", "the server sends DPoP nonces", r_dpop_nonce },
	{ "HP-4", "PAR is required for the authorization endpoint (RFC 9126)", r_par },
	{ "HP-4", "PKCE with S256 only (RFC 7636)", r_pkce },
	{ "HA-4", "clients authenticate by wallet attestation at PAR and token", r_wallet_att },
	{ "HS-7", "credentials and metadata are signed with an x5c chain, without its trust "
		  "anchor, whose leaf is not self-signed", r_x5c },
	{ "HC-1", "the issuer signs with ES256", r_es256_key },
	{ "HS-6", "each credential gets a random status index", r_status },
	{ "HM-2", "every credential configuration has a scope", r_scope },
	{ "HM-3", "a nonce_endpoint when keys are bound", r_nonce_endpoint },
	{ "HC-1", "ES256 accepted for proofs and used for credentials", r_es256_algs },
	{ "HP-2", "an SD-JWT VC or mdoc configuration", r_format },
	{ "HS-3", "SD-JWT VC key binding by cnf.jwk", r_cnf_jwk },
};

#define HAIP_NRULES (sizeof haip_rules / sizeof haip_rules[0])

int vci_profile_parse(const char *name, vci_profile_t *out, vci_err_t *err)
{
	if (name && !strcmp(name, "haip")) {
		*out = VCI_PROFILE_HAIP;
		return 0;
	}
	if (name && !strcmp(name, "none")) {
		*out = VCI_PROFILE_NONE;
		return 0;
	}
	return vci_err_set(err, VCI_EXIT_USAGE, "invalid_option",
			   "--profile: '%s' is not a profile (haip or none)", name ? name : "");
}

const char *vci_profile_name(vci_profile_t p)
{
	return p == VCI_PROFILE_HAIP ? "haip" : "none";
}

void vci_profile_server_init(vci_profile_server_t *srv)
{
	srv->dpop_required = srv->dpop_nonce = srv->par_required = VCI_PROFILE_UNKNOWN;
	srv->pkce_s256_only = srv->wallet_attestation = srv->x5c = VCI_PROFILE_UNKNOWN;
	srv->x5c_self_signed_leaf = srv->x5c_has_anchor = VCI_PROFILE_UNKNOWN;
	srv->status_random = VCI_PROFILE_UNKNOWN;
	srv->signing_alg = NULL;
}

size_t vci_profile_check(vci_profile_t p, const json_t *md, const vci_profile_server_t *srv,
			 json_t *findings)
{
	rule_ctx_t c = { 0 };

	if (p != VCI_PROFILE_HAIP)
		return 0;
	c.md = md;
	c.configs = json_object_get(md, "credential_configurations_supported");
	c.srv = srv;
	c.findings = findings;
	for (size_t i = 0; i < HAIP_NRULES; i++)
		haip_rules[i].check(&c, &haip_rules[i]);
	return c.n;
}
