/* metadata.c - Credential Issuer Metadata, signed metadata, SD-JWT VC Type
 * Metadata, and lint. */
#include "metadata.h"
#include "base/http.h"
#include "base/url.h"
#include "crypto/jwe.h"
#include "crypto/jws.h"
#include "crypto/keys.h"

#include <string.h>

/* ------------------------------------------------------------------ */
/* Building. */

static json_t *claim_display(const json_t *d)
{
	json_t *out = json_array();

	for (size_t i = 0; i < json_array_size(d); i++) {
		const json_t *e = json_array_get(d, i);
		json_t *o = json_object();

		json_object_set(o, "name", json_object_get(e, "name"));
		if (json_object_get(e, "locale"))
			json_object_set(o, "locale", json_object_get(e, "locale"));
		json_array_append_new(out, o);
	}
	return out;
}

static json_t *signing_algs(const vci_defn_t *d, const vci_metadata_opts_t *o)
{
	json_t *out = json_array();
	const json_t *list = json_object_get(d->doc, "signing_algs");
	json_auto_t *one = o->signing_alg ? json_pack("[s]", o->signing_alg) : NULL;

	if (one)
		list = one;
	for (size_t i = 0; i < json_array_size(list); i++) {
		const char *a = json_string_value(json_array_get(list, i));

		if (d->format == VCI_FORMAT_MDOC && !o->draft13 && vci_defn_cose_alg(a))
			json_array_append_new(out, json_integer(vci_defn_cose_alg(a)));
		else
			json_array_append_new(out, json_string(a));
	}
	if (!json_array_size(out)) {
		json_decref(out);
		return NULL;
	}
	return out;
}

/* Draft 13 claims: an object tree, mdoc by namespace; paths stop at the
 * first array step (draft 13 had none). */
static json_t *d13_claims(const vci_defn_t *d)
{
	json_t *tree = json_object();

	for (size_t i = 0; i < d->nclaims; i++) {
		const vci_defn_claim_t *c = &d->claims[i];
		json_t *cur = tree, *leaf;
		size_t n = 0;

		while (n < c->nelems && c->elems[n].kind == VCI_PATH_KEY)
			n++;
		if (n < c->nelems)
			continue;
		for (size_t j = 0; j < n; j++) {
			json_t *next = json_object_get(cur, c->elems[j].key);

			if (!next) {
				next = json_object();
				json_object_set_new(cur, c->elems[j].key, next);
			}
			cur = next;
		}
		leaf = cur;
		if (c->mandatory)
			json_object_set_new(leaf, "mandatory", json_true());
		if (c->type != VCI_VTYPE_ANY)
			json_object_set_new(leaf, "value_type", json_string(vci_vtype_name(c->type)));
		if (json_array_size(c->display))
			json_object_set_new(leaf, "display", claim_display(c->display));
	}
	return tree;
}

json_t *vci_metadata_config(const vci_defn_t *d, const vci_metadata_opts_t *o)
{
	json_t *cfg = json_object(), *x;
	const json_t *display = json_object_get(d->doc, "display");

	if (d->format == VCI_FORMAT_SDJWT && o->draft13)
		json_object_set_new(cfg, "format", json_string("vc+sd-jwt"));
	else
		json_object_set_new(cfg, "format", json_string(vci_format_name(d->format)));
	if (d->scope)
		json_object_set_new(cfg, "scope", json_string(d->scope));
	switch (d->format) {
	case VCI_FORMAT_SDJWT:
		json_object_set_new(cfg, "vct", json_string(d->vct));
		break;
	case VCI_FORMAT_MDOC:
		json_object_set_new(cfg, "doctype", json_string(d->doctype));
		break;
	default:
		x = json_pack("{s:O}", "type", d->type);
		if (o->draft13)
			json_object_set_new(x, "credentialSubject", d13_claims(d));
		json_object_set_new(cfg, "credential_definition", x);
		break;
	}
	if ((x = signing_algs(d, o)))
		json_object_set_new(cfg, "credential_signing_alg_values_supported", x);
	if (d->key_binding) {
		json_t *pt = json_object(), *jwt;

		json_object_set(cfg, "cryptographic_binding_methods_supported",
				(json_t *)d->binding_methods);
		jwt = json_pack("{s:O}", "proof_signing_alg_values_supported", d->proof_algs);
		if (d->key_attestation && !o->draft13)
			json_object_set(jwt, "key_attestations_required", (json_t *)d->key_attestation);
		json_object_set_new(pt, "jwt", jwt);
		if (d->key_attestation && !o->draft13)
			json_object_set_new(pt, "attestation",
					    json_pack("{s:O,s:O}", "proof_signing_alg_values_supported",
						      d->proof_algs, "key_attestations_required",
						      d->key_attestation));
		json_object_set_new(cfg, "proof_types_supported", pt);
	}
	if (o->draft13) {
		if (json_array_size(display))
			json_object_set(cfg, "display", (json_t *)display);
		if (d->format != VCI_FORMAT_JWTVC && d->nclaims)
			json_object_set_new(cfg, "claims", d13_claims(d));
		if (d->format != VCI_FORMAT_MDOC && d->nclaims) {
			json_t *order = json_array();

			for (size_t i = 0; i < d->nclaims; i++) {
				json_t *name = json_string(d->claims[i].elems[0].key);
				size_t j;

				for (j = 0; j < json_array_size(order); j++)
					if (json_equal(json_array_get(order, j), name))
						break;
				if (j == json_array_size(order))
					json_array_append(order, name);
				json_decref(name);
			}
			json_object_set_new(cfg, "order", order);
		}
		return cfg;
	}
	if (json_array_size(display) || d->nclaims) {
		json_t *cm = json_object();

		if (json_array_size(display))
			json_object_set(cm, "display", (json_t *)display);
		if (d->nclaims) {
			json_t *claims = json_array();

			for (size_t i = 0; i < d->nclaims; i++) {
				const vci_defn_claim_t *c = &d->claims[i];
				json_t *path = json_deep_copy(c->path), *e;

				if (d->format == VCI_FORMAT_JWTVC)
					json_array_insert_new(path, 0, json_string("credentialSubject"));
				e = json_pack("{s:o}", "path", path);
				if (c->mandatory)
					json_object_set_new(e, "mandatory", json_true());
				if (json_array_size(c->display))
					json_object_set_new(e, "display", claim_display(c->display));
				json_array_append_new(claims, e);
			}
			json_object_set_new(cm, "claims", claims);
		}
		json_object_set_new(cfg, "credential_metadata", cm);
	}
	return cfg;
}

static int url_opt(const char *name, const char *v, int allow_query, vci_err_t *err)
{
	if (v && !vci_url_is_target(v, allow_query))
		return vci_err_set(err, VCI_EXIT_USAGE, "invalid_option", "%s: %s is not an https URL%s",
				   name, v, allow_query ? "" : " without query or fragment");
	return 0;
}

/* A JSON array of the strings of a NULL-terminated list. */
static json_t *string_array(const char *const *list)
{
	json_t *a = json_array();

	for (size_t i = 0; a && list[i]; i++)
		if (json_array_append_new(a, json_string(list[i])) < 0) {
			json_decref(a);
			return NULL;
		}
	return a;
}

/* credential_response_encryption and credential_request_encryption
 * (section 12.2.4) from what crypto/jwe.h implements. */
static int encryption_metadata(json_t *md, const vci_metadata_opts_t *o)
{
	json_t *e;

	if (o->response_encryption) {
		e = json_pack("{s:o*, s:o*, s:b}", "alg_values_supported",
			      string_array(vci_jwe_algs), "enc_values_supported",
			      string_array(vci_jwe_encs), "encryption_required",
			      o->response_encryption > 1);
		if (!e || json_object_set_new(md, "credential_response_encryption", e) < 0)
			return -1;
	}
	if (o->request_encryption_jwks && !o->draft13) {
		e = json_pack("{s:O, s:o*, s:b}", "jwks", o->request_encryption_jwks,
			      "enc_values_supported", string_array(vci_jwe_encs),
			      "encryption_required", o->request_encryption_required);
		if (!e || json_object_set_new(md, "credential_request_encryption", e) < 0)
			return -1;
	}
	return 0;
}

json_t *vci_metadata_build(vci_defn_t *const *defs, size_t n, const vci_metadata_opts_t *o,
			   vci_err_t *err)
{
	json_auto_t *md = json_object();
	json_t *cfgs;
	char *ce = NULL;

	if (!o->issuer)
		return vci_err_set(err, VCI_EXIT_USAGE, "invalid_option", "issuer: required"), NULL;
	if (url_opt("issuer", o->issuer, 0, err) || url_opt("credential_endpoint",
	    o->credential_endpoint, 1, err) || url_opt("nonce_endpoint", o->nonce_endpoint, 1, err) ||
	    url_opt("deferred_endpoint", o->deferred_endpoint, 1, err) ||
	    url_opt("notification_endpoint", o->notification_endpoint, 1, err))
		return NULL;
	for (size_t i = 0; i < o->n_authorization_servers; i++)
		if (url_opt("authorization_server", o->authorization_servers[i], 0, err))
			return NULL;
	if (o->batch_size == 1)
		return vci_err_set(err, VCI_EXIT_USAGE, "invalid_option",
				   "batch_size: a batch is at least 2"), NULL;
	json_object_set_new(md, "credential_issuer", json_string(o->issuer));
	if (o->n_authorization_servers) {
		json_t *as = json_array();

		for (size_t i = 0; i < o->n_authorization_servers; i++)
			json_array_append_new(as, json_string(o->authorization_servers[i]));
		json_object_set_new(md, "authorization_servers", as);
	}
	if (o->credential_endpoint) {
		json_object_set_new(md, "credential_endpoint", json_string(o->credential_endpoint));
	} else {
		size_t len = strlen(o->issuer);

		while (len && o->issuer[len - 1] == '/')
			len--;
		if (asprintf(&ce, "%.*s/credential", (int)len, o->issuer) < 0)
			return vci_err_oom(err), NULL;
		json_object_set_new(md, "credential_endpoint", json_string(ce));
		free(ce);
	}
	if (o->nonce_endpoint && !o->draft13)
		json_object_set_new(md, "nonce_endpoint", json_string(o->nonce_endpoint));
	if (o->deferred_endpoint)
		json_object_set_new(md, "deferred_credential_endpoint", json_string(o->deferred_endpoint));
	if (o->notification_endpoint)
		json_object_set_new(md, "notification_endpoint", json_string(o->notification_endpoint));
	if (o->batch_size && !o->draft13)
		json_object_set_new(md, "batch_credential_issuance",
				    json_pack("{s:I}", "batch_size", (json_int_t)o->batch_size));
	if (encryption_metadata(md, o) < 0)
		return vci_err_oom(err), NULL;
	if (o->issuer_name) {
		json_t *disp = json_pack("{s:s}", "name", o->issuer_name);

		if (o->locale)
			json_object_set_new(disp, "locale", json_string(o->locale));
		json_object_set_new(md, "display", json_pack("[o]", disp));
	}
	cfgs = json_object();
	json_object_set_new(md, "credential_configurations_supported", cfgs);
	for (size_t i = 0; i < n; i++) {
		if (json_object_get(cfgs, defs[i]->id))
			return vci_err_set(err, VCI_EXIT_INPUT, "invalid_definition",
					   "%s: two definitions have this id", defs[i]->id), NULL;
		json_object_set_new(cfgs, defs[i]->id, vci_metadata_config(defs[i], o));
	}
	return json_incref(md);
}

char *vci_metadata_sign(const json_t *md, EVP_PKEY *key, const char *alg,
			const STACK_OF(X509) *chain, int64_t iat, int draft13, vci_err_t *err)
{
	json_auto_t *payload = json_object();
	json_auto_t *header = NULL;
	const json_t *issuer = json_object_get(md, "credential_issuer");
	const char *k;
	json_t *v;

	if (!json_is_string(issuer))
		return vci_err_set(err, VCI_EXIT_INPUT, "invalid_metadata",
				   "metadata: no credential_issuer"), NULL;
	if (!chain || sk_X509_num(chain) < 1)
		return vci_err_set(err, VCI_EXIT_KEY, "invalid_certificate",
				   "signed metadata needs a certificate chain"), NULL;
	if (!vci_x509_matches_key(sk_X509_value(chain, 0), key))
		return vci_err_set(err, VCI_EXIT_KEY, "invalid_certificate",
				   "the certificate does not belong to the signing key"), NULL;
	if (draft13)
		json_object_set(payload, "iss", (json_t *)issuer);
	json_object_set(payload, "sub", (json_t *)issuer);
	json_object_set_new(payload, "iat", json_integer((json_int_t)(iat ? iat : vci_time_now())));
	json_object_foreach((json_t *)md, k, v) {
		if (strcmp(k, "signed_metadata") && !json_object_get(payload, k))
			json_object_set(payload, k, v);
	}
	header = json_pack("{s:s,s:o}", "typ", "openidvci-issuer-metadata+jwt", "x5c",
			   vci_x5c_from_chain(chain));
	if (!header)
		return vci_err_set(err, VCI_EXIT_KEY, "invalid_certificate",
				   "cannot encode the certificate chain"), NULL;
	return vci_jws_sign_json(key, alg, header, payload, err);
}

json_t *vci_metadata_type(const vci_defn_t *d, vci_err_t *err)
{
	json_t *tm, *x;
	const json_t *display = json_object_get(d->doc, "display");

	if (d->format != VCI_FORMAT_SDJWT)
		return vci_err_set(err, VCI_EXIT_INPUT, "invalid_definition",
				   "%s: type metadata is for dc+sd-jwt, not %s", d->id,
				   vci_format_name(d->format)), NULL;
	tm = json_pack("{s:s}", "vct", d->vct);
	if ((x = json_object_get(d->doc, "name")))
		json_object_set(tm, "name", x);
	if ((x = json_object_get(d->doc, "description")))
		json_object_set(tm, "description", x);
	if (json_array_size(display)) {
		json_t *out = json_array();

		for (size_t i = 0; i < json_array_size(display); i++) {
			const json_t *e = json_array_get(display, i);
			json_t *o = json_object(), *simple = json_object();
			const json_t *loc = json_object_get(e, "locale");

			json_object_set_new(o, "locale", loc ? json_copy((json_t *)loc) : json_string("und"));
			json_object_set(o, "name", json_object_get(e, "name"));
			if ((x = json_object_get(e, "description")))
				json_object_set(o, "description", x);
			if ((x = json_object_get(e, "logo")))
				json_object_set(simple, "logo", x);
			if ((x = json_object_get(e, "background_image")))
				json_object_set(simple, "background_image", x);
			if ((x = json_object_get(e, "background_color")))
				json_object_set(simple, "background_color", x);
			if ((x = json_object_get(e, "text_color")))
				json_object_set(simple, "text_color", x);
			if (json_object_size(simple))
				json_object_set_new(o, "rendering", json_pack("{s:o}", "simple", simple));
			else
				json_decref(simple);
			json_array_append_new(out, o);
		}
		json_object_set_new(tm, "display", out);
	}
	if (d->nclaims) {
		json_t *claims = json_array();
		static const char *const sd[] = { "allowed", "always", "never" };

		for (size_t i = 0; i < d->nclaims; i++) {
			const vci_defn_claim_t *c = &d->claims[i];
			json_t *e = json_pack("{s:O}", "path", c->path);

			if (json_array_size(c->display)) {
				json_t *dl = json_array();

				for (size_t j = 0; j < json_array_size(c->display); j++) {
					const json_t *de = json_array_get(c->display, j);
					const json_t *loc = json_object_get(de, "locale");
					json_t *o = json_object();

					json_object_set_new(o, "locale",
							    loc ? json_copy((json_t *)loc) : json_string("und"));
					json_object_set(o, "label", json_object_get(de, "name"));
					if ((x = json_object_get(de, "description")))
						json_object_set(o, "description", x);
					json_array_append_new(dl, o);
				}
				json_object_set_new(e, "display", dl);
			}
			if (c->mandatory)
				json_object_set_new(e, "mandatory", json_true());
			json_object_set_new(e, "sd", json_string(sd[c->sd]));
			if ((x = json_object_get(json_array_get(json_object_get(d->doc, "claims"), i),
						 "svg_id")))
				json_object_set(e, "svg_id", x);
			json_array_append_new(claims, e);
		}
		json_object_set_new(tm, "claims", claims);
	}
	return tm;
}

/* ------------------------------------------------------------------ */
/* Lint. */

static void lint_url(vci_findings_t *l, const json_t *md, const char *k, int required, int allow_query)
{
	const json_t *v = json_object_get(md, k);

	if (!v) {
		if (required)
			vci_findings_add(l, k, "missing");
		return;
	}
	if (!json_is_string(v))
		vci_findings_add(l, k, "expected a string");
	else if (!vci_url_is_https(json_string_value(v), allow_query))
		vci_findings_add(l, k, "not an https URL%s", allow_query ? "" : " without query or fragment");
}

static void lint_locales(vci_findings_t *l, const json_t *arr, const char *where, const char *key)
{
	char w[512];

	for (size_t i = 0; i < json_array_size(arr); i++) {
		const json_t *loc = json_object_get(json_array_get(arr, i), key);

		if (!loc)
			continue;
		vci_findings_at(w, sizeof w, where, "[%zu].%s", i, key);
		if (!json_is_string(loc) || !vci_defn_is_locale(json_string_value(loc))) {
			vci_findings_add(l, w, "not a BCP 47 language tag");
			continue;
		}
		for (size_t j = 0; j < i; j++) {
			const char *o = json_string_value(json_object_get(json_array_get(arr, j), key));

			if (o && !strcasecmp(o, json_string_value(loc))) {
				vci_findings_add(l, w, "locale %s appears more than once", o);
				break;
			}
		}
	}
}

static void lint_image(vci_findings_t *l, const json_t *img, const char *where)
{
	char w[512];

	if (!img)
		return;
	if (!json_is_object(img))
		vci_findings_add(l, where, "expected an object");
	else if (!json_is_string(json_object_get(img, "uri")))
		vci_findings_add(l, vci_findings_at(w, sizeof w, where, ".uri"), "missing");
}

static void lint_display(vci_findings_t *l, const json_t *d, const char *where, int name_required)
{
	char w[512];

	if (!d)
		return;
	if (!json_is_array(d)) {
		vci_findings_add(l, where, "expected an array");
		return;
	}
	for (size_t i = 0; i < json_array_size(d); i++) {
		const json_t *e = json_array_get(d, i);

		vci_findings_at(w, sizeof w, where, "[%zu]", i);
		if (!json_is_object(e)) {
			vci_findings_add(l, w, "expected an object");
			continue;
		}
		if (name_required && !json_is_string(json_object_get(e, "name")))
			vci_findings_add(l, vci_findings_at(w, sizeof w, where, "[%zu].name", i), "missing");
		lint_image(l, json_object_get(e, "logo"), vci_findings_at(w, sizeof w, where, "[%zu].logo", i));
		lint_image(l, json_object_get(e, "background_image"),
			   vci_findings_at(w, sizeof w, where, "[%zu].background_image", i));
	}
	lint_locales(l, d, where, "locale");
}

static int is_mac_or_none(const char *a)
{
	return a && (!strcmp(a, "none") || !strncmp(a, "HS", 2));
}

static void lint_jose_algs(vci_findings_t *l, const json_t *v, const char *where)
{
	char w[512];

	if (!json_is_array(v) || !json_array_size(v)) {
		vci_findings_add(l, where, "expected a non-empty array");
		return;
	}
	for (size_t i = 0; i < json_array_size(v); i++) {
		const char *a = json_string_value(json_array_get(v, i));

		vci_findings_at(w, sizeof w, where, "[%zu]", i);
		if (!a)
			vci_findings_add(l, w, "expected a JOSE algorithm name");
		else if (is_mac_or_none(a))
			vci_findings_add(l, w, "%s is not an asymmetric signature algorithm", a);
		else if (!vci_defn_is_jose_alg(a))
			vci_findings_add(l, w, "%s is not a registered JOSE signature algorithm", a);
	}
}

static void lint_claims(vci_findings_t *l, const json_t *claims, int mdoc, const char *where)
{
	char w[512];
	json_auto_t *f = json_array();

	l->n += vci_defn_lint_paths(claims, mdoc ? VCI_FORMAT_MDOC : VCI_FORMAT_SDJWT, where, f);
	if (l->list)
		json_array_extend(l->list, f);
	for (size_t i = 0; i < json_array_size(claims); i++) {
		const json_t *c = json_array_get(claims, i), *m = json_object_get(c, "mandatory");

		if (m && !json_is_boolean(m))
			vci_findings_add(l, vci_findings_at(w, sizeof w, where, "[%zu].mandatory", i), "expected true or false");
		lint_display(l, json_object_get(c, "display"), vci_findings_at(w, sizeof w, where, "[%zu].display", i), 0);
	}
}

static const char *const formats[] = {
	"dc+sd-jwt", "mso_mdoc", "jwt_vc_json", "jwt_vc_json-ld", "ldp_vc", NULL,
};

static int in(const char *s, const char *const *list)
{
	for (size_t i = 0; s && list[i]; i++)
		if (!strcmp(s, list[i]))
			return 1;
	return 0;
}

static int is_d13(const json_t *md)
{
	const char *k;
	json_t *c;

	if (json_object_get(md, "signed_metadata") || json_object_get(md, "credentials_supported"))
		return 1;
	json_object_foreach(json_object_get(md, "credential_configurations_supported"), k, c) {
		if (json_is_object(json_object_get(c, "claims")) || json_object_get(c, "order") ||
		    (json_object_get(c, "display") && !json_object_get(c, "credential_metadata")))
			return 1;
	}
	return 0;
}

static void lint_config(vci_findings_t *l, const char *id, const json_t *c, int d13)
{
	char base[300], w[512];
	const json_t *v, *bm, *pt;
	const char *fmt;
	int mdoc;

	snprintf(base, sizeof base, "credential_configurations_supported.%s", id);
	if (!json_is_object(c)) {
		vci_findings_add(l, base, "expected an object");
		return;
	}
	v = json_object_get(c, "format");
	fmt = json_string_value(v);
	mdoc = fmt && !strcmp(fmt, "mso_mdoc");
	if (!v)
		vci_findings_add(l, vci_findings_at(w, sizeof w, base, ".format"), "missing");
	else if (fmt && !strcmp(fmt, "vc+sd-jwt") && !d13)
		vci_findings_add(l, vci_findings_at(w, sizeof w, base, ".format"),
			"vc+sd-jwt is the pre-final name; OID4VCI 1.0 uses dc+sd-jwt");
	else if (!in(fmt, formats) && !(fmt && !strcmp(fmt, "vc+sd-jwt")))
		vci_findings_add(l, vci_findings_at(w, sizeof w, base, ".format"), "unknown format %s", fmt ? fmt : "(not a string)");
	if (fmt && (!strcmp(fmt, "dc+sd-jwt") || !strcmp(fmt, "vc+sd-jwt")) &&
	    !json_is_string(json_object_get(c, "vct")))
		vci_findings_add(l, vci_findings_at(w, sizeof w, base, ".vct"), "missing");
	if (mdoc && !json_is_string(json_object_get(c, "doctype")))
		vci_findings_add(l, vci_findings_at(w, sizeof w, base, ".doctype"), "missing");
	if (fmt && (!strncmp(fmt, "jwt_vc_json", 11) || !strcmp(fmt, "ldp_vc"))) {
		const json_t *cd = json_object_get(c, "credential_definition");
		const json_t *t = json_object_get(cd, "type");

		if (!json_is_object(cd))
			vci_findings_add(l, vci_findings_at(w, sizeof w, base, ".credential_definition"), "missing");
		else if (!json_is_array(t) || !json_array_size(t))
			vci_findings_add(l, vci_findings_at(w, sizeof w, base, ".credential_definition.type"),
				"expected a non-empty array");
		if (json_is_object(cd) && strcmp(fmt, "jwt_vc_json") &&
		    !json_is_array(json_object_get(cd, "@context")))
			vci_findings_add(l, vci_findings_at(w, sizeof w, base, ".credential_definition.@context"), "missing");
	}
	v = json_object_get(c, "scope");
	if (v && (!json_is_string(v) || !vci_defn_is_scope_token(json_string_value(v))))
		vci_findings_add(l, vci_findings_at(w, sizeof w, base, ".scope"), "not a scope token");
	v = json_object_get(c, "credential_signing_alg_values_supported");
	vci_findings_at(w, sizeof w, base, ".credential_signing_alg_values_supported");
	if (v && mdoc && !d13) {
		if (!json_is_array(v) || !json_array_size(v))
			vci_findings_add(l, w, "expected a non-empty array");
		for (size_t i = 0; i < json_array_size(v); i++) {
			const json_t *a = json_array_get(v, i);
			char wi[560];

			snprintf(wi, sizeof wi, "%s[%zu]", w, i);
			if (json_is_string(a))
				vci_findings_add(l, wi, "mso_mdoc lists COSE algorithm numbers in OID4VCI 1.0 (%s is %lld)",
					json_string_value(a), (long long)vci_defn_cose_alg(json_string_value(a)));
			else if (!json_is_integer(a) || !vci_defn_is_cose_alg(json_integer_value(a)))
				vci_findings_add(l, wi, "not a registered COSE signature algorithm");
		}
	} else if (v && fmt && strcmp(fmt, "ldp_vc")) {
		lint_jose_algs(l, v, w);
	}
	bm = json_object_get(c, "cryptographic_binding_methods_supported");
	pt = json_object_get(c, "proof_types_supported");
	if (bm) {
		vci_findings_at(w, sizeof w, base, ".cryptographic_binding_methods_supported");
		if (!json_is_array(bm) || !json_array_size(bm))
			vci_findings_add(l, w, "expected a non-empty array");
		for (size_t i = 0; i < json_array_size(bm); i++) {
			const char *m = json_string_value(json_array_get(bm, i));
			char wi[560];

			snprintf(wi, sizeof wi, "%s[%zu]", w, i);
			if (!vci_defn_is_binding_method(m))
				vci_findings_add(l, wi, "not a binding method (jwk, cose_key, did:METHOD)");
		}
	}
	if (bm && !pt)
		vci_findings_add(l, vci_findings_at(w, sizeof w, base, ".proof_types_supported"),
			"missing (required with cryptographic_binding_methods_supported)");
	if (pt && !bm)
		vci_findings_add(l, vci_findings_at(w, sizeof w, base, ".proof_types_supported"),
			"present without cryptographic_binding_methods_supported");
	if (pt && !json_is_object(pt)) {
		vci_findings_add(l, vci_findings_at(w, sizeof w, base, ".proof_types_supported"), "expected an object");
	} else if (pt) {
		const char *k;
		json_t *p;

		if (!json_object_size(pt))
			vci_findings_add(l, vci_findings_at(w, sizeof w, base, ".proof_types_supported"), "empty");
		json_object_foreach((json_t *)pt, k, p) {
			const json_t *ka = json_object_get(p, "key_attestations_required");

			vci_findings_at(w, sizeof w, base, ".proof_types_supported.%s", k);
			if (!in(k, (const char *const[]){ "jwt", "attestation", "di_vp", NULL }))
				vci_findings_add(l, w, "unknown proof type");
			if (!json_is_object(p)) {
				vci_findings_add(l, w, "expected an object");
				continue;
			}
			vci_findings_at(w, sizeof w, base, ".proof_types_supported.%s.proof_signing_alg_values_supported", k);
			if (!json_object_get(p, "proof_signing_alg_values_supported"))
				vci_findings_add(l, w, "missing");
			else if (strcmp(k, "di_vp"))
				lint_jose_algs(l, json_object_get(p, "proof_signing_alg_values_supported"), w);
			if (ka && !json_is_object(ka))
				vci_findings_add(l, vci_findings_at(w, sizeof w, base,
						".proof_types_supported.%s.key_attestations_required", k),
					"expected an object");
		}
	}
	if (d13) {
		lint_display(l, json_object_get(c, "display"), vci_findings_at(w, sizeof w, base, ".display"), 1);
		return;
	}
	v = json_object_get(c, "credential_metadata");
	if (!v) {
		if (json_object_get(c, "display") || json_object_get(c, "claims"))
			vci_findings_add(l, base, "display and claims belong in credential_metadata in OID4VCI 1.0");
		return;
	}
	if (!json_is_object(v)) {
		vci_findings_add(l, vci_findings_at(w, sizeof w, base, ".credential_metadata"), "expected an object");
		return;
	}
	lint_display(l, json_object_get(v, "display"),
		     vci_findings_at(w, sizeof w, base, ".credential_metadata.display"), 1);
	if (json_object_get(v, "claims"))
		lint_claims(l, json_object_get(v, "claims"), mdoc,
			    vci_findings_at(w, sizeof w, base, ".credential_metadata.claims"));
}

size_t vci_metadata_lint(const json_t *md, json_t *findings)
{
	vci_findings_t l = { findings, 0 };
	const json_t *v;
	int d13;

	if (!json_is_object(md)) {
		vci_findings_add(&l, "metadata", "expected a JSON object");
		return l.n;
	}
	d13 = is_d13(md);
	lint_url(&l, md, "credential_issuer", 1, 0);
	lint_url(&l, md, "credential_endpoint", 1, 1);
	lint_url(&l, md, "nonce_endpoint", 0, 1);
	lint_url(&l, md, "deferred_credential_endpoint", 0, 1);
	lint_url(&l, md, "notification_endpoint", 0, 1);
	v = json_object_get(md, "authorization_servers");
	if (v) {
		if (!json_is_array(v) || !json_array_size(v))
			vci_findings_add(&l, "authorization_servers", "expected a non-empty array");
		for (size_t i = 0; i < json_array_size(v); i++) {
			char w[64];

			snprintf(w, sizeof w, "authorization_servers[%zu]", i);
			if (!vci_url_is_https(json_string_value(json_array_get(v, i)), 0))
				vci_findings_add(&l, w, "not an https URL without query or fragment");
		}
	}
	v = json_object_get(md, "batch_credential_issuance");
	if (v) {
		const json_t *bs = json_object_get(v, "batch_size");

		if (!json_is_integer(bs) || json_integer_value(bs) < 2)
			vci_findings_add(&l, "batch_credential_issuance.batch_size", "expected an integer of 2 or more");
	}
	lint_display(&l, json_object_get(md, "display"), "display", 0);
	v = json_object_get(md, "credential_configurations_supported");
	if (!v) {
		vci_findings_add(&l, "credential_configurations_supported", "missing");
	} else if (!json_is_object(v) || !json_object_size(v)) {
		vci_findings_add(&l, "credential_configurations_supported", "expected a non-empty object");
	} else {
		const char *k;
		json_t *c;

		json_object_foreach((json_t *)v, k, c)
			lint_config(&l, k, c, d13);
	}
	v = json_object_get(md, "signed_metadata");
	if (v && !json_is_string(v))
		vci_findings_add(&l, "signed_metadata", "expected a JWT string");
	return l.n;
}

size_t vci_metadata_lint_type(const json_t *tm, json_t *findings)
{
	vci_findings_t l = { findings, 0 };
	const json_t *v;
	char w[128];

	if (!json_is_string(json_object_get(tm, "vct")))
		vci_findings_add(&l, "vct", "missing");
	v = json_object_get(tm, "display");
	if (v) {
		lint_display(&l, v, "display", 1);
		for (size_t i = 0; i < json_array_size(v); i++)
			if (!json_object_get(json_array_get(v, i), "locale"))
				vci_findings_add(&l, vci_findings_at(w, sizeof w, "display", "[%zu].locale", i), "missing");
	}
	v = json_object_get(tm, "claims");
	if (v) {
		json_auto_t *f = json_array();

		l.n += vci_defn_lint_paths(v, VCI_FORMAT_SDJWT, "claims", f);
		if (l.list)
			json_array_extend(l.list, f);
		for (size_t i = 0; i < json_array_size(v); i++) {
			const json_t *c = json_array_get(v, i), *sd = json_object_get(c, "sd");
			const json_t *d = json_object_get(c, "display");

			if (sd && !in(json_string_value(sd), (const char *const[]){ "always", "allowed", "never", NULL }))
				vci_findings_add(&l, vci_findings_at(w, sizeof w, "claims", "[%zu].sd", i), "expected always, allowed or never");
			for (size_t j = 0; j < json_array_size(d); j++) {
				const json_t *e = json_array_get(d, j);

				if (!json_is_string(json_object_get(e, "locale")))
					vci_findings_add(&l, vci_findings_at(w, sizeof w, "claims", "[%zu].display[%zu].locale", i, j), "missing");
				if (!json_is_string(json_object_get(e, "label")))
					vci_findings_add(&l, vci_findings_at(w, sizeof w, "claims", "[%zu].display[%zu].label", i, j), "missing");
			}
			lint_locales(&l, d, vci_findings_at(w, sizeof w, "claims", "[%zu].display", i), "locale");
		}
	}
	return l.n;
}

vci_doc_kind_t vci_metadata_detect(const json_t *doc)
{
	if (json_is_array(doc) && json_array_size(doc))
		return vci_metadata_detect(json_array_get(doc, 0)) == VCI_DOC_DEFINITION ?
			VCI_DOC_DEFINITION : VCI_DOC_UNKNOWN;
	if (!json_is_object(doc))
		return VCI_DOC_UNKNOWN;
	if (json_object_get(doc, "credential_issuer") ||
	    json_object_get(doc, "credential_configurations_supported"))
		return VCI_DOC_METADATA;
	if (json_object_get(doc, "format"))
		return VCI_DOC_DEFINITION;
	if (json_object_get(doc, "vct"))
		return VCI_DOC_TYPE_METADATA;
	return VCI_DOC_UNKNOWN;
}

long vci_metadata_lint_any(const json_t *doc, json_t *findings, vci_err_t *err)
{
	size_t n = 0;

	switch (vci_metadata_detect(doc)) {
	case VCI_DOC_METADATA:
		return (long)vci_metadata_lint(doc, findings);
	case VCI_DOC_TYPE_METADATA:
		return (long)vci_metadata_lint_type(doc, findings);
	case VCI_DOC_DEFINITION:
		if (json_is_object(doc))
			return (long)vci_defn_lint(doc, findings);
		for (size_t i = 0; i < json_array_size(doc); i++) {
			json_auto_t *f = json_array();
			size_t k = vci_defn_lint(json_array_get(doc, i), f);

			for (size_t j = 0; j < json_array_size(f); j++)
				json_array_append_new(findings, json_sprintf("[%zu].%s", i,
						      json_string_value(json_array_get(f, j))));
			n += k;
		}
		return (long)n;
	default:
		vci_err_set(err, VCI_EXIT_INPUT, "invalid_input",
			    "not a definition, issuer metadata or type metadata");
		return -1;
	}
}
