/* profile.c - `vci-serve --profile haip`: the server's settings and its
 * metadata judged by the library's rule table (oid4vci/profile.h) at
 * start, and definitions added later by the management API judged the
 * same way. The settings the profile turns on by itself (DPoP required,
 * server DPoP nonces) are set by config.c; what remains here is refusing
 * what breaks it, one line per broken rule. */
#include "internal.h"
#include "oid4vci/metadata.h"

#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <stdio.h>

static int self_signed(X509 *x)
{
	return X509_check_issued(x, x) == X509_V_OK;
}

/* What the server knows of itself for the rules. */
static void server_facts(const vci_serve_t *s, vci_profile_server_t *srv)
{
	STACK_OF(X509) *chain = s->keep->chain;

	vci_profile_server_init(srv);
	srv->dpop_required = s->dpop == VCI_DPOP_REQUIRED;
	srv->dpop_nonce = s->dpop_nonce != 0;
	srv->par_required = !s->par_optional;
	srv->pkce_s256_only = 1;           /* oid4vci/authz.h: S256 only, required */
	srv->wallet_attestation = s->trust_file != NULL;
	srv->x5c = chain && sk_X509_num(chain) > 0;
	srv->status_random = 1;            /* vci_statuslist_alloc_file draws at random */
	srv->signing_alg = s->keep->alg;
	if (srv->x5c) {
		srv->x5c_self_signed_leaf = self_signed(sk_X509_value(chain, 0));
		srv->x5c_has_anchor = 0;
		for (int i = 1; i < sk_X509_num(chain); i++)
			if (self_signed(sk_X509_value(chain, i)))
				srv->x5c_has_anchor = 1;
	}
}

/* Print the findings and fail with their count (exit 2 at start). */
static int refuse(const vci_serve_t *s, const json_t *findings, const char *what,
		  vci_err_t *err)
{
	const json_t *v;
	size_t i;

	json_array_foreach(findings, i, v)
		fprintf(stderr, "vci-serve: --profile %s: %s\n", vci_profile_name(s->profile),
			json_string_value(v));
	return vci_err_set(err, VCI_EXIT_USAGE, "invalid_option", "--profile %s: %s breaks %zu "
			   "rule%s (listed above)", vci_profile_name(s->profile), what,
			   json_array_size(findings), json_array_size(findings) == 1 ? "" : "s");
}

int vci_serve_profile_check(vci_serve_t *s, const json_t *md, vci_err_t *err)
{
	vci_profile_server_t srv;
	json_auto_t *findings = json_array();

	if (s->profile == VCI_PROFILE_NONE)
		return 0;
	if (!findings)
		return vci_err_oom(err);
	server_facts(s, &srv);
	if (vci_profile_check(s->profile, md, &srv, findings) == 0)
		return 0;
	return refuse(s, findings, "this configuration", err);
}

int vci_serve_profile_defn(const vci_serve_t *s, const vci_defn_t *d, vci_err_t *err)
{
	vci_metadata_opts_t o = { 0 };
	json_auto_t *md = NULL;
	json_auto_t *findings = NULL;
	json_t *cfg;
	char first[400];

	if (s->profile == VCI_PROFILE_NONE)
		return 0;
	o.signing_alg = s->keep->alg;
	cfg = vci_metadata_config(d, &o);
	md = cfg ? json_pack("{s:{s:o}}", "credential_configurations_supported", d->id, cfg)
		 : NULL;
	findings = json_array();
	if (!md || !findings)
		return vci_err_oom(err);
	if (vci_profile_check(s->profile, md, NULL, findings) == 0)
		return 0;
	snprintf(first, sizeof first, "%s", json_string_value(json_array_get(findings, 0)));
	return vci_err_set(err, VCI_EXIT_FAIL, "invalid_definition", "definition %s: --profile "
			   "%s: %s%s", d->id, vci_profile_name(s->profile), first,
			   json_array_size(findings) > 1 ? " (and more)" : "");
}
