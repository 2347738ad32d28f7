/* import.c - definitions in other products' shapes (systems A and C,
 * SD-JWT VC Type Metadata) turned into native definitions, with a log of
 * what could not be carried over. */
#include "defn-int.h"

#include <ctype.h>
#include <errno.h>
#include <string.h>

/* ------------------------------------------------------------------ */
/* Import of other products' definition shapes. */

typedef struct imp {
	json_t *log;  /* dropped fields and notes, or NULL */
} imp_t;

static void dropped(imp_t *m, const char *pfx, const char *field, const char *why)
{
	char f[256];

	if (!m->log)
		return;
	snprintf(f, sizeof f, "%s%s", pfx, field);
	json_array_append_new(m->log, json_pack("{s:s,s:s}", "dropped", f, "why", why));
}

VCI_PRINTF(4, 5) static void noted(imp_t *m, const char *pfx, const char *field, const char *fmt, ...)
{
	char f[256], msg[300];
	va_list ap;

	if (!m->log)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	snprintf(f, sizeof f, "%s%s", pfx, field);
	json_array_append_new(m->log, json_pack("{s:s,s:s}", "field", f, "note", msg));
}

/* An id from a type name: the last segment, [A-Za-z0-9_.-] kept. */
static json_t *slug(const char *s)
{
	char buf[128];
	const char *p = s ? s : "";
	size_t n = 0, len = strlen(p);

	while (len && (p[len - 1] == '/' || p[len - 1] == ':'))
		len--;
	for (size_t i = len; i > 0; i--)
		if (p[i - 1] == '/' || p[i - 1] == ':' || p[i - 1] == '#') {
			p += i;
			len -= i;
			break;
		}
	for (size_t i = 0; i < len && n < sizeof buf - 1; i++)
		buf[n++] = (isalnum((unsigned char)p[i]) || strchr("_.-", p[i])) ? p[i] : '_';
	buf[n] = '\0';
	return json_string(n ? buf : "credential");
}

static const char *str(const json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

/* Present and not null. */
static const json_t *get(const json_t *o, const char *k)
{
	const json_t *v = json_object_get(o, k);

	return json_is_null(v) ? NULL : v;
}

/* A display object in camelCase or snake_case -> native display entry. */
static json_t *import_display_one(const json_t *d, imp_t *m, const char *pfx)
{
	static const struct {
		const char *from, *to;
	} map[] = {
		{ "name", "name" }, { "locale", "locale" }, { "lang", "locale" },
		{ "description", "description" }, { "backgroundColor", "background_color" },
		{ "background_color", "background_color" }, { "textColor", "text_color" },
		{ "text_color", "text_color" },
	};
	json_t *o = json_object();
	const char *k;
	json_t *v;

	json_object_foreach((json_t *)d, k, v) {
		size_t i;

		if (json_is_null(v))
			continue;
		for (i = 0; i < sizeof map / sizeof map[0]; i++)
			if (!strcmp(k, map[i].from)) {
				json_object_set(o, map[i].to, v);
				break;
			}
		if (i < sizeof map / sizeof map[0])
			continue;
		if (!strcmp(k, "logo") || !strcmp(k, "backgroundImage") ||
		    !strcmp(k, "background_image")) {
			const json_t *uri = get(v, "uri") ? get(v, "uri") : get(v, "url");
			const json_t *alt = get(v, "alt_text") ? get(v, "alt_text") : get(v, "altText");
			json_t *img;

			if (!uri) {
				dropped(m, pfx, k, "no uri");
				continue;
			}
			img = json_pack("{s:O}", "uri", uri);
			if (alt && strcmp(k, "logo") == 0)
				json_object_set(img, "alt_text", (json_t *)alt);
			json_object_set_new(o, strcmp(k, "logo") ? "background_image" : "logo", img);
		} else if (!strcmp(k, "rendering") && json_is_object(v)) {
			const json_t *simple = get(v, "simple");
			const char *rk;
			json_t *rv;

			json_object_foreach((json_t *)v, rk, rv) {
				if (strcmp(rk, "simple")) {
					char f[64];

					snprintf(f, sizeof f, "%s.%s", k, rk);
					dropped(m, pfx, f, "SVG templates are not kept");
				}
			}
			json_object_foreach((json_t *)simple, rk, rv) {
				if (!strcmp(rk, "background_color") || !strcmp(rk, "text_color"))
					json_object_set(o, rk, rv);
				else if ((!strcmp(rk, "logo") || !strcmp(rk, "background_image")) &&
					 get(rv, "uri")) {
					json_t *img = json_pack("{s:O}", "uri", get(rv, "uri"));

					if (!strcmp(rk, "logo") && get(rv, "alt_text"))
						json_object_set(img, "alt_text", (json_t *)get(rv, "alt_text"));
					json_object_set_new(o, rk, img);
				} else {
					char f[96];

					snprintf(f, sizeof f, "%s.simple.%s", k, rk);
					dropped(m, pfx, f, "no meaning here");
				}
			}
		} else {
			dropped(m, pfx, k, "no meaning here");
		}
	}
	return o;
}

static json_t *import_display(const json_t *d, imp_t *m, const char *pfx)
{
	json_t *out = json_array();
	char p[256];

	if (json_is_object(d)) {
		json_array_append_new(out, import_display_one(d, m, pfx));
	} else if (json_is_array(d)) {
		for (size_t i = 0; i < json_array_size(d); i++) {
			snprintf(p, sizeof p, "%s[%zu].", pfx, i);
			if (json_is_object(json_array_get(d, i)))
				json_array_append_new(out, import_display_one(json_array_get(d, i), m, p));
		}
	}
	return out;
}

static json_t *import_claim_display(const json_t *d)
{
	json_t *out = json_array();

	for (size_t i = 0; i < json_array_size(d); i++) {
		const json_t *e = json_array_get(d, i);
		json_t *o = json_object();
		const json_t *x;

		if ((x = get(e, "name")) || (x = get(e, "label")))
			json_object_set(o, "name", (json_t *)x);
		if ((x = get(e, "locale")) || (x = get(e, "lang")))
			json_object_set(o, "locale", (json_t *)x);
		if ((x = get(e, "description")))
			json_object_set(o, "description", (json_t *)x);
		json_array_append_new(out, o);
	}
	return out;
}

static void import_value_type(json_t *claim, const json_t *vt, imp_t *m, const char *pfx)
{
	vci_vtype_t t;

	if (!vt)
		return;
	if (json_is_string(vt) && vci_defn_vtype_parse(json_string_value(vt), &t) == 0) {
		json_object_set_new(claim, "value_type", json_string(vci_vtype_name(t)));
		return;
	}
	noted(m, pfx, "value_type", "unknown value type, any value accepted");
}

/* A claim description object with our own or other products' members. */
static int claim_props(const json_t *v)
{
	static const char *const props[] = {
		"mandatory", "value_type", "valueType", "display", "limitDisclosure", "sd", "svg_id",
		NULL,
	};
	const char *k;
	json_t *x;

	if (!json_is_object(v) || json_object_size(v) == 0)
		return 1;
	json_object_foreach((json_t *)v, k, x) {
		if (vci_defn_in_list(k, props))
			return 1;
	}
	return 0;
}

/* Nested claims object (system C): a node with claim members is a claim,
 * any other object is a level of nesting. */
static void import_claim_tree(const json_t *tree, json_t *prefix, json_t *out, imp_t *m,
			      const char *pfx)
{
	const char *k;
	json_t *v;
	char p[256];

	json_object_foreach((json_t *)tree, k, v) {
		json_auto_t *path = json_deep_copy(prefix);

		json_array_append_new(path, json_string(k));
		snprintf(p, sizeof p, "%s%s.", pfx, k);
		if (json_is_object(v) && claim_props(v)) {
			json_t *c = json_pack("{s:O}", "path", path);
			const char *ck;
			json_t *cv;

			json_object_foreach(v, ck, cv) {
				if (json_is_null(cv))
					continue;
				if (!strcmp(ck, "mandatory") && json_is_boolean(cv))
					json_object_set(c, "mandatory", cv);
				else if (!strcmp(ck, "value_type") || !strcmp(ck, "valueType"))
					import_value_type(c, cv, m, p);
				else if (!strcmp(ck, "display") && json_is_array(cv))
					json_object_set_new(c, "display", import_claim_display(cv));
				else if (!strcmp(ck, "sd") && json_is_string(cv))
					json_object_set(c, "sd", cv);
				else if (!strcmp(ck, "limitDisclosure") && json_is_boolean(cv))
					json_object_set_new(c, "sd", json_string(json_is_true(cv) ? "always" : "never"));
				else if (!strcmp(ck, "svg_id"))
					json_object_set(c, "svg_id", cv);
				else
					dropped(m, p, ck, "no meaning here");
			}
			json_array_append_new(out, c);
		} else if (json_is_object(v)) {
			import_claim_tree(v, path, out, m, p);
		} else {
			char f[256];

			snprintf(f, sizeof f, "%s%s", pfx, k);
			dropped(m, "", f, "not a claim description");
		}
	}
}

static json_t *path_from(const json_t *p)
{
	if (json_is_string(p))
		return json_pack("[O]", p);
	return json_deep_copy(p);
}

/* Claims array ({path, mandatory, limitDisclosure, ...}) of system A or a
 * type metadata document. */
static json_t *import_claim_list(const json_t *list, vci_format_t fmt, const char *ns, imp_t *m,
				 const char *pfx)
{
	json_t *out = json_array();
	char p[256];

	for (size_t i = 0; i < json_array_size(list); i++) {
		const json_t *e = json_array_get(list, i);
		json_t *c, *path;
		const char *k;
		json_t *v;

		snprintf(p, sizeof p, "%s[%zu].", pfx, i);
		if (!json_is_object(e) || !get(e, "path")) {
			dropped(m, "", p, "a claim without a path");
			continue;
		}
		path = path_from(get(e, "path"));
		/* W3C VC paths are relative to credentialSubject here */
		if (fmt == VCI_FORMAT_JWTVC) {
			if (json_array_size(path) && !strcmp(json_string_value(json_array_get(path, 0)) ?
							    json_string_value(json_array_get(path, 0)) : "", "vc"))
				json_array_remove(path, 0);
			if (json_array_size(path) > 1 &&
			    !strcmp(json_string_value(json_array_get(path, 0)) ?
				    json_string_value(json_array_get(path, 0)) : "", "credentialSubject"))
				json_array_remove(path, 0);
		}
		if (fmt == VCI_FORMAT_MDOC && ns && json_array_size(path) == 1)
			json_array_insert_new(path, 0, json_string(ns));
		c = json_pack("{s:o}", "path", path);
		json_object_foreach((json_t *)e, k, v) {
			if (!strcmp(k, "path") || json_is_null(v))
				continue;
			if (!strcmp(k, "mandatory") && json_is_boolean(v))
				json_object_set(c, "mandatory", v);
			else if (!strcmp(k, "limitDisclosure") && json_is_boolean(v)) {
				if (fmt == VCI_FORMAT_SDJWT)
					json_object_set_new(c, "sd", json_string(json_is_true(v) ? "always" : "never"));
				else
					dropped(m, p, k, fmt == VCI_FORMAT_MDOC ?
						"every mdoc data element is disclosed on its own" :
						"jwt_vc_json has no selective disclosure");
			} else if (!strcmp(k, "sd") && json_is_string(v)) {
				if (fmt == VCI_FORMAT_SDJWT)
					json_object_set(c, "sd", v);
				else
					dropped(m, p, k, "selective disclosure is only for dc+sd-jwt");
			} else if (!strcmp(k, "display") && json_is_array(v))
				json_object_set_new(c, "display", import_claim_display(v));
			else if (!strcmp(k, "value_type") || !strcmp(k, "valueType"))
				import_value_type(c, v, m, p);
			else if (!strcmp(k, "svg_id") && fmt == VCI_FORMAT_SDJWT)
				json_object_set(c, "svg_id", v);
			else
				dropped(m, p, k, "no meaning here");
		}
		json_array_append_new(out, c);
	}
	return out;
}

/* Binding methods of other products -> OID4VCI 1.0 values. */
static json_t *import_binding(const json_t *list, vci_format_t fmt, imp_t *m, const char *field)
{
	json_t *out = json_array();

	for (size_t i = 0; i < json_array_size(list); i++) {
		const char *s = json_string_value(json_array_get(list, i));
		const char *add[2] = { NULL, NULL };

		if (!s)
			continue;
		if (fmt == VCI_FORMAT_MDOC && (!strcmp(s, "jwk") || !strcmp(s, "cose_key"))) {
			add[0] = "cose_key";
			if (strcmp(s, "cose_key"))
				noted(m, "", field, "mso_mdoc binds keys with cose_key, not %s", s);
		} else if (!strcmp(s, "did")) {
			add[0] = "did:key";
			add[1] = "did:jwk";
			noted(m, "", field, "did names no DID method: did:key and did:jwk");
		} else if (vci_defn_is_binding_method(s) && strcmp(s, "cose_key")) {
			add[0] = s;
		} else {
			char f[128];

			snprintf(f, sizeof f, "%s[%zu]", field, i);
			dropped(m, "", f, "not an OID4VCI binding method");
		}
		for (int a = 0; a < 2 && add[a]; a++) {
			json_t *v = json_string(add[a]);
			size_t j;

			for (j = 0; j < json_array_size(out); j++)
				if (json_equal(json_array_get(out, j), v))
					break;
			if (j == json_array_size(out))
				json_array_append(out, v);
			json_decref(v);
		}
	}
	return out;
}

static vci_format_t import_format(const char *s, imp_t *m, const char *field)
{
	vci_format_t f = vci_format_parse(s, 1);

	if (f == VCI_FORMAT_SDJWT && !strcmp(s, "vc+sd-jwt"))
		noted(m, "", field, "vc+sd-jwt is the pre-final name of dc+sd-jwt");
	return f;
}

/* ---- system A: camelCase credential definitions ---- */

static const char *const a_fields[] = {
	"label", "type", "credentialDefinition", "expirationInDays", "display",
	"credentialFormat", "vct", "doctype", "claims", "supportRevocation", "enforceWUA",
	"validationPath", "version", "kid", "trustAnchor", "revocationMethod",
	"enforceCredentialUniqueness", "supportCredentialReissuance", "credentialDefinitions",
	"namespace", "credentialDefinitionId", "createdAt", "updatedAt",
	"credentialBindingMethods", "authorizationRequestType", "scope",
	"credentialResponseInterval", NULL,
};

/* Fields an element of credentialDefinitions[] takes from the parent. */
static const char *const a_inherit[] = {
	"expirationInDays", "supportRevocation", "revocationMethod", "enforceWUA", "display",
	"credentialBindingMethods", "authorizationRequestType", "credentialResponseInterval",
	"namespace", "supportCredentialReissuance", NULL,
};

static const struct {
	const char *field, *why;
} a_dropped[] = {
	{ "validationPath", "claims are validated against the definition's claims" },
	{ "version", "the metadata shape is chosen with --draft13" },
	{ "kid", "the signing key is given to the signing tools" },
	{ "trustAnchor", "no meaning here" },
	{ "enforceCredentialUniqueness", "no meaning here" },
	{ "createdAt", "no meaning here" },
	{ "updatedAt", "no meaning here" },
};

static const json_t *a_get(const json_t *e, const json_t *parent, const char *k)
{
	const json_t *v = get(e, k);

	if (!v && parent && vci_defn_in_list(k, a_inherit))
		v = get(parent, k);
	return v;
}

/* Fields of an entry that have no meaning here, and unknown ones. */
static void a_drop_fields(const json_t *e, imp_t *m, const char *pfx)
{
	const json_t *v;
	const char *k;

	json_object_foreach((json_t *)e, k, v) {
		size_t i;

		if (!strcmp(k, "credentialDefinitions"))
			continue;
		for (i = 0; i < sizeof a_dropped / sizeof a_dropped[0]; i++)
			if (!strcmp(k, a_dropped[i].field))
				break;
		if (i < sizeof a_dropped / sizeof a_dropped[0])
			dropped(m, pfx, k, a_dropped[i].why);
		else if (!vci_defn_in_list(k, a_fields))
			dropped(m, pfx, k, "unknown field");
	}
}

/* What the format names the credential by (vct, doctype, type and
 * @context); *ns becomes the doctype when no namespace was given. */
static void a_kind(json_t *d, const json_t *e, const json_t *cd, vci_format_t fmt,
		   const char **ns, imp_t *m, const char *pfx)
{
	const json_t *v;

	switch (fmt) {
	case VCI_FORMAT_SDJWT:
		if ((v = get(e, "vct")))
			json_object_set(d, "vct", (json_t *)v);
		break;
	case VCI_FORMAT_MDOC:
		if ((v = get(e, "doctype")))
			json_object_set(d, "doctype", (json_t *)v);
		if (!*ns && json_is_string(v))
			*ns = json_string_value(v);
		break;
	default:
		if ((v = get(e, "type")) || (v = get(cd, "type")))
			json_object_set(d, "type", (json_t *)v);
		if ((v = get(cd, "@context")))
			json_object_set(d, "@context", (json_t *)v);
		break;
	}
	if (fmt != VCI_FORMAT_SDJWT && get(e, "vct"))
		dropped(m, pfx, "vct", "only for dc+sd-jwt");
	if (fmt != VCI_FORMAT_MDOC && get(e, "doctype"))
		dropped(m, pfx, "doctype", "only for mso_mdoc");
	if (fmt != VCI_FORMAT_MDOC && get(e, "namespace"))
		dropped(m, pfx, "namespace", "only for mso_mdoc");
	if (fmt != VCI_FORMAT_JWTVC && get(e, "type"))
		dropped(m, pfx, "type", "only for jwt_vc_json");
}

/* An id made from what names the credential, else from its label. */
static void a_default_id(json_t *d, const json_t *e)
{
	const char *base = json_string_value(json_object_get(d, "vct"));

	if (!base)
		base = json_string_value(json_object_get(d, "doctype"));
	if (!base && json_array_size(json_object_get(d, "type")))
		base = json_string_value(json_array_get(json_object_get(d, "type"),
							 json_array_size(json_object_get(d, "type")) - 1));
	json_object_set_new(d, "id", slug(base ? base : str(e, "label")));
}

/* The claims: a list, or a tree (in credentialDefinition for a JWT VC). */
static void a_claims(json_t *d, const json_t *e, const json_t *cd, vci_format_t fmt,
		     const char *ns, imp_t *m, const char *pfx)
{
	const json_t *v;
	const char *k;
	char f[256];

	v = get(e, "claims");
	if (fmt == VCI_FORMAT_JWTVC && (!v || (json_is_object(v) && !json_object_size(v))))
		v = get(cd, "claims") ? get(cd, "claims") : get(cd, "credentialSubject");
	if (json_is_object(v) && json_is_array(get(v, "claims")))
		v = get(v, "claims");
	snprintf(f, sizeof f, "%sclaims", pfx);
	if (json_is_array(v)) {
		json_object_set_new(d, "claims", import_claim_list(v, fmt, ns, m, f));
	} else if (json_is_object(v)) {
		json_t *list = json_array();
		json_auto_t *root = json_array();

		import_claim_tree(v, root, list, m, f);
		json_object_set_new(d, "claims", list);
	}
	/* a JWT VC credentialDefinition may carry members beyond these */
	if (cd) {
		json_object_foreach((json_t *)cd, k, v) {
			if (strcmp(k, "type") && strcmp(k, "@context") && strcmp(k, "claims") &&
			    strcmp(k, "credentialSubject")) {
				snprintf(f, sizeof f, "credentialDefinition.%s", k);
				dropped(m, pfx, f, "no meaning here");
			}
		}
	}
}

/* supportRevocation and revocationMethod: the status mechanism. */
static void a_status(json_t *d, const json_t *e, const json_t *parent, vci_format_t fmt,
		     imp_t *m, const char *pfx)
{
	const json_t *v;

	v = a_get(e, parent, "supportRevocation");
	if (json_is_true(v)) {
		const char *rm = json_string_value(a_get(e, parent, "revocationMethod"));
		const char *st = "token_status_list";

		if (rm && !strcmp(rm, "status_list_2021")) {
			if (fmt == VCI_FORMAT_JWTVC)
				st = "bitstring_status_list";
			else
				noted(m, pfx, "revocationMethod",
				      "status_list_2021 is for W3C VCs: token_status_list");
		} else if (rm && !strcmp(rm, "swiss_token_status_list_v1")) {
			noted(m, pfx, "revocationMethod",
			      "swiss_token_status_list_v1 is a profile of token_status_list");
		} else if (rm && strcmp(rm, "status_list")) {
			noted(m, pfx, "revocationMethod", "unknown method %s: token_status_list", rm);
		}
		json_object_set_new(d, "status", json_string(st));
	} else {
		json_object_set_new(d, "status", json_string("none"));
		if (get(e, "revocationMethod"))
			dropped(m, pfx, "revocationMethod", "supportRevocation is not true");
	}
}

/* credentialBindingMethods: key binding with ES256 proofs. */
static void a_binding(json_t *d, const json_t *v, vci_format_t fmt, imp_t *m, const char *pfx)
{
	json_t *methods;
	char f[256];

	snprintf(f, sizeof f, "%scredentialBindingMethods", pfx);
	methods = import_binding(v, fmt, m, f);
	if (json_array_size(methods))
		json_object_set_new(d, "key_binding",
				    json_pack("{s:o,s:[s]}", "methods", methods, "proof_algs", "ES256"));
	else
		json_decref(methods);
}

/* supportCredentialReissuance: refresh tokens that renew the access as
 * long as a credential of the definition is valid (reissuance_days =
 * expiry_days). */
static void a_reissuance(json_t *d, const json_t *e, const json_t *parent, imp_t *m,
			 const char *pfx)
{
	const json_t *v = a_get(e, parent, "supportCredentialReissuance");
	const json_t *days = json_object_get(d, "expiry_days");

	if (!v)
		return;
	if (!json_is_boolean(v)) {
		dropped(m, pfx, "supportCredentialReissuance", "not a boolean");
		return;
	}
	if (!json_is_true(v))
		return;
	json_object_set_new(d, "reissuance_days", json_integer(days ? json_integer_value(days)
								    : 30));
	noted(m, pfx, "supportCredentialReissuance", "refresh tokens for reissuance_days = "
	      "expiry_days");
}

static json_t *import_a_one(const json_t *e, const json_t *parent, const char *pfx, imp_t *m,
			    vci_err_t *err)
{
	json_t *d = json_object();
	const json_t *v, *cd;
	const char *fs = str(e, "credentialFormat");
	vci_format_t fmt = import_format(fs, m, "credentialFormat");
	const char *ns;

	if (!fmt) {
		json_decref(d);
		vci_err_set(err, VCI_EXIT_INPUT, "invalid_definition", "%scredentialFormat: %s",
			    pfx, fs ? "unknown format" : "missing");
		return NULL;
	}
	a_drop_fields(e, m, pfx);
	if ((v = get(e, "credentialDefinitionId")))
		json_object_set(d, "id", (json_t *)v);
	else if ((v = get(e, "scope")) && json_is_string(v))
		json_object_set(d, "id", (json_t *)v);
	json_object_set_new(d, "format", json_string(vci_format_name(fmt)));
	ns = json_string_value(a_get(e, parent, "namespace"));
	cd = get(e, "credentialDefinition");
	a_kind(d, e, cd, fmt, &ns, m, pfx);
	if (!json_object_get(d, "id"))
		a_default_id(d, e);
	if ((v = get(e, "label")))
		json_object_set(d, "name", (json_t *)v);
	/* scope, unless the wallet is to ask with authorization_details */
	v = get(e, "scope");
	if (v) {
		const char *art = json_string_value(a_get(e, parent, "authorizationRequestType"));

		if (art && !strcmp(art, "authorization_details"))
			dropped(m, pfx, "scope", "authorizationRequestType is authorization_details");
		else
			json_object_set(d, "scope", (json_t *)v);
	}
	if ((v = a_get(e, parent, "display")))
		json_object_set_new(d, "display", import_display(v, m, "display."));
	a_claims(d, e, cd, fmt, ns, m, pfx);
	if ((v = a_get(e, parent, "expirationInDays"))) {
		if (json_is_integer(v) && json_integer_value(v) > 0)
			json_object_set(d, "expiry_days", (json_t *)v);
		else
			noted(m, pfx, "expirationInDays", "not a positive number of days: 30");
	}
	a_status(d, e, parent, fmt, m, pfx);
	if ((v = a_get(e, parent, "enforceWUA")) && json_is_boolean(v))
		json_object_set(d, "wallet_attestation_required", (json_t *)v);
	if ((v = a_get(e, parent, "credentialBindingMethods")))
		a_binding(d, v, fmt, m, pfx);
	a_reissuance(d, e, parent, m, pfx);
	if ((v = a_get(e, parent, "credentialResponseInterval"))) {
		if (json_is_integer(v) && json_integer_value(v) >= 0)
			json_object_set(d, "deferred_interval", (json_t *)v);
		else
			dropped(m, pfx, "credentialResponseInterval", "not a number of seconds");
	}
	if ((v = get(e, "authorizationRequestType")) && !json_is_string(v))
		dropped(m, pfx, "authorizationRequestType", "not a string");
	return d;
}

static int import_a(const json_t *a, json_t *out, imp_t *m, vci_err_t *err)
{
	const json_t *list = get(a, "credentialDefinitions");
	json_t *d;
	char pfx[64];

	if (get(a, "credentialFormat")) {
		if (!(d = import_a_one(a, NULL, "", m, err)))
			return -1;
		json_array_append_new(out, d);
	} else {
		/* only the shared fields: report those with no meaning */
		const char *k;
		json_t *v;

		json_object_foreach((json_t *)a, k, v) {
			size_t i;

			for (i = 0; i < sizeof a_dropped / sizeof a_dropped[0]; i++)
				if (!strcmp(k, a_dropped[i].field))
					dropped(m, "", k, a_dropped[i].why);
			if (!vci_defn_in_list(k, a_fields))
				dropped(m, "", k, "unknown field");
			else if (!strcmp(k, "label") || !strcmp(k, "scope") ||
				 !strcmp(k, "credentialDefinitionId"))
				dropped(m, "", k, "each of credentialDefinitions[] has its own");
		}
	}
	for (size_t i = 0; i < json_array_size(list); i++) {
		snprintf(pfx, sizeof pfx, "credentialDefinitions[%zu].", i);
		if (!(d = import_a_one(json_array_get(list, i), a, pfx, m, err)))
			return -1;
		json_array_append_new(out, d);
	}
	if (!json_array_size(out))
		return vci_err_set(err, VCI_EXIT_INPUT, "invalid_definition",
				   "credentialFormat: missing (and no credentialDefinitions)");
	return 0;
}

/* ---- system C: credentials-supported records ---- */

static const char *const c_fields[] = {
	"supported_cred_id", "wallet_id", "created_at", "updated_at", "identifier", "id",
	"format", "format_data", "vc_additional_data", "cryptographic_binding_methods_supported",
	"cryptographic_suites_supported", "display", "vct", "claims", "sd_list", "order",
	"@context", "type", "credentialSubject", NULL,
};

static const json_t *c_get(const json_t *r, const char *k)
{
	const json_t *v = get(get(r, "format_data"), k);

	if (!v)
		v = get(r, k);
	return v;
}

/* "/a/b~1c" -> ["a", "b/c"] */
static json_t *pointer_path(const char *p)
{
	json_t *out = json_array();

	if (!p || *p != '/') {
		json_decref(out);
		return NULL;
	}
	while (*p == '/') {
		const char *end = strchr(p + 1, '/');
		size_t n = end ? (size_t)(end - p - 1) : strlen(p + 1);
		char *s = malloc(n + 1), *w = s;

		if (!s)
			break;
		for (size_t i = 0; i < n; i++) {
			char c = p[1 + i];

			if (c == '~' && i + 1 < n && (p[2 + i] == '0' || p[2 + i] == '1')) {
				*w++ = p[2 + i] == '0' ? '~' : '/';
				i++;
			} else {
				*w++ = c;
			}
		}
		*w = '\0';
		json_array_append_new(out, json_string(s));
		free(s);
		p += n + 1;
	}
	return out;
}

static void reorder(json_t *claims, const json_t *order)
{
	json_auto_t *front = json_array();
	size_t i, j;

	for (i = 0; i < json_array_size(order); i++) {
		const char *name = json_string_value(json_array_get(order, i));

		for (j = 0; name && j < json_array_size(claims);) {
			json_t *c = json_array_get(claims, j);
			const char *first = json_string_value(json_array_get(json_object_get(c, "path"), 0));

			if (first && !strcmp(first, name)) {
				json_array_append(front, c);
				json_array_remove(claims, j);
			} else {
				j++;
			}
		}
	}
	for (i = json_array_size(front); i > 0; i--)
		json_array_insert(claims, 0, json_array_get(front, i - 1));
}

static json_t *import_c(const json_t *r, imp_t *m, vci_err_t *err)
{
	json_t *d = json_object(), *claims = json_array();
	const json_t *v, *fd = get(r, "format_data"), *vad = get(r, "vc_additional_data");
	const char *fs = str(r, "format");
	vci_format_t fmt = import_format(fs, m, "format");
	const char *k;

	if (!fmt) {
		json_decref(d);
		json_decref(claims);
		vci_err_set(err, VCI_EXIT_INPUT, "invalid_definition", "format: %s",
			    fs ? "unknown format" : "missing");
		return NULL;
	}
	json_object_foreach((json_t *)r, k, v) {
		if (!strcmp(k, "supported_cred_id") || !strcmp(k, "wallet_id") ||
		    !strcmp(k, "created_at") || !strcmp(k, "updated_at"))
			dropped(m, "", k, "no meaning here");
		else if (!vci_defn_in_list(k, c_fields))
			dropped(m, "", k, "unknown field");
	}
	json_object_foreach((json_t *)fd, k, v) {
		if (!vci_defn_in_list(k, c_fields) && strcmp(k, "types") && strcmp(k, "context"))
			dropped(m, "format_data.", k, "unknown field");
	}
	if ((v = get(r, "identifier")) || (v = get(r, "id")))
		json_object_set(d, "id", (json_t *)v);
	json_object_set_new(d, "format", json_string(vci_format_name(fmt)));
	if (fmt == VCI_FORMAT_SDJWT && (v = c_get(r, "vct")))
		json_object_set(d, "vct", (json_t *)v);
	if (fmt == VCI_FORMAT_MDOC && (v = c_get(r, "doctype")))
		json_object_set(d, "doctype", (json_t *)v);
	if (fmt == VCI_FORMAT_JWTVC) {
		if ((v = c_get(r, "types")) || (v = c_get(r, "type")) || (v = get(vad, "type")))
			json_object_set(d, "type", (json_t *)v);
		if ((v = c_get(r, "context")) || (v = c_get(r, "@context")) || (v = get(vad, "@context")))
			json_object_set(d, "@context", (json_t *)v);
	}
	if (!json_object_get(d, "id"))
		json_object_set_new(d, "id", slug(str(d, "vct") ? str(d, "vct") : str(d, "doctype")));
	if ((v = c_get(r, "display")))
		json_object_set_new(d, "display", import_display(v, m, "display"));
	if ((v = c_get(r, "claims")) && json_is_object(v)) {
		json_auto_t *root = json_array();

		import_claim_tree(v, root, claims, m, "claims.");
	} else if (json_is_array(v)) {
		json_auto_t *list = import_claim_list(v, fmt, NULL, m, "claims");

		json_array_extend(claims, list);
	}
	if ((v = c_get(r, "credentialSubject")) && json_is_object(v)) {
		json_auto_t *root = json_array();

		import_claim_tree(v, root, claims, m, "credentialSubject.");
	}
	/* sd_list: JSON pointers to the selectively disclosable claims */
	v = get(vad, "sd_list") ? get(vad, "sd_list") : c_get(r, "sd_list");
	if (v && fmt != VCI_FORMAT_SDJWT) {
		dropped(m, "", "sd_list", "selective disclosure is only for dc+sd-jwt");
	} else if (v) {
		for (size_t i = 0; i < json_array_size(claims); i++)
			json_object_set_new(json_array_get(claims, i), "sd", json_string("never"));
		for (size_t i = 0; i < json_array_size(v); i++) {
			json_auto_t *p = pointer_path(json_string_value(json_array_get(v, i)));
			size_t j;

			if (!p) {
				char f[64];

				snprintf(f, sizeof f, "sd_list[%zu]", i);
				dropped(m, "", f, "not a JSON pointer");
				continue;
			}
			for (j = 0; j < json_array_size(claims); j++)
				if (json_equal(json_object_get(json_array_get(claims, j), "path"), p))
					break;
			if (j == json_array_size(claims))
				json_array_append_new(claims, json_pack("{s:O}", "path", p));
			json_object_set_new(json_array_get(claims, j), "sd", json_string("always"));
		}
	}
	json_object_foreach((json_t *)vad, k, v) {
		if (strcmp(k, "sd_list") && strcmp(k, "type") && strcmp(k, "@context"))
			dropped(m, "vc_additional_data.", k, "no meaning here");
	}
	if ((v = c_get(r, "order")) && json_is_array(v))
		reorder(claims, v);
	json_object_set_new(d, "claims", claims);
	if ((v = c_get(r, "cryptographic_binding_methods_supported"))) {
		json_t *methods = import_binding(v, fmt, m, "cryptographic_binding_methods_supported");

		if (json_array_size(methods))
			json_object_set_new(d, "key_binding",
					    json_pack("{s:o,s:[s]}", "methods", methods, "proof_algs", "ES256"));
		else
			json_decref(methods);
	}
	if ((v = c_get(r, "cryptographic_suites_supported"))) {
		json_t *sigalgs = json_array();

		for (size_t i = 0; i < json_array_size(v); i++) {
			const char *a = json_string_value(json_array_get(v, i));
			char f[96];

			if (a && vci_defn_is_jose_alg(a)) {
				json_array_append_new(sigalgs, json_string(a));
			} else {
				snprintf(f, sizeof f, "cryptographic_suites_supported[%zu]", i);
				dropped(m, "", f, "not a JOSE signature algorithm");
			}
		}
		if (json_array_size(sigalgs))
			json_object_set_new(d, "signing_algs", sigalgs);
		else
			json_decref(sigalgs);
	}
	return d;
}

/* ---- SD-JWT VC Type Metadata ---- */

static json_t *import_tm(const json_t *t, imp_t *m)
{
	json_t *d = json_object();
	const json_t *v;
	const char *k;

	json_object_foreach((json_t *)t, k, v) {
		if (!strcmp(k, "extends") || !strcmp(k, "extends#integrity"))
			dropped(m, "", k, "parent types are not fetched; merge them first");
		else if (!strcmp(k, "vct#integrity") || !strcmp(k, "schema") ||
			 !strcmp(k, "schema_uri") || !strcmp(k, "schema_uri#integrity"))
			dropped(m, "", k, "no meaning here");
		else if (strcmp(k, "vct") && strcmp(k, "name") && strcmp(k, "description") &&
			 strcmp(k, "display") && strcmp(k, "claims"))
			dropped(m, "", k, "unknown field");
	}
	json_object_set_new(d, "id", slug(str(t, "vct")));
	json_object_set_new(d, "format", json_string("dc+sd-jwt"));
	json_object_set(d, "vct", json_object_get(t, "vct"));
	if ((v = get(t, "name")))
		json_object_set(d, "name", (json_t *)v);
	if ((v = get(t, "description")))
		json_object_set(d, "description", (json_t *)v);
	if ((v = get(t, "display")))
		json_object_set_new(d, "display", import_display(v, m, "display"));
	if ((v = get(t, "claims")))
		json_object_set_new(d, "claims", import_claim_list(v, VCI_FORMAT_SDJWT, NULL, m, "claims"));
	return d;
}

static int is_a(const json_t *o)
{
	return get(o, "credentialFormat") || get(o, "credentialDefinitions") ||
	       get(o, "credentialDefinitionId") || get(o, "expirationInDays") ||
	       get(o, "enforceWUA") || get(o, "supportRevocation");
}

static int is_c(const json_t *o)
{
	return get(o, "format_data") || get(o, "vc_additional_data") || get(o, "supported_cred_id") ||
	       get(o, "sd_list") || get(o, "cryptographic_suites_supported") ||
	       get(o, "credentialSubject") || get(o, "identifier") ||
	       (get(o, "format") && !strcmp(str(o, "format") ? str(o, "format") : "", "vc+sd-jwt"));
}

static int is_tm(const json_t *o)
{
	return json_is_string(json_object_get(o, "vct")) && !json_object_get(o, "format");
}

static int import_one(const json_t *in, json_t *out, imp_t *m, vci_err_t *err)
{
	const json_t *w = json_object_get(in, "credentialDefinition");
	json_t *d;

	if (!json_is_object(in))
		return vci_err_set(err, VCI_EXIT_INPUT, "invalid_definition",
				   "expected a definition object");
	if (json_object_size(in) == 1 && json_is_object(w) && is_a(w))
		in = w;
	if (is_a(in))
		return import_a(in, out, m, err);
	if (is_c(in)) {
		if (!(d = import_c(in, m, err)))
			return -1;
	} else if (is_tm(in)) {
		d = import_tm(in, m);
	} else if (json_is_string(json_object_get(in, "format"))) {
		d = json_deep_copy(in); /* native */
	} else {
		return vci_err_set(err, VCI_EXIT_INPUT, "invalid_definition",
				   "not a definition shape vci-defn knows (system A, system C, "
				   "SD-JWT VC Type Metadata or native)");
	}
	json_array_append_new(out, d);
	return 0;
}

json_t *vci_defn_import(const json_t *in, json_t *log, vci_err_t *err)
{
	imp_t m = { log };
	json_auto_t *raw = json_array();
	json_t *out;

	if (json_is_array(in)) {
		if (!json_array_size(in)) {
			vci_err_set(err, VCI_EXIT_INPUT, "invalid_definition", "an empty array");
			return NULL;
		}
		for (size_t i = 0; i < json_array_size(in); i++)
			if (import_one(json_array_get(in, i), raw, &m, err) < 0) {
				vci_err_prefix(err, "[%zu]", i);
				return NULL;
			}
	} else if (import_one(in, raw, &m, err) < 0) {
		return NULL;
	}
	out = json_array();
	for (size_t i = 0; i < json_array_size(raw); i++) {
		json_t *d = json_array_get(raw, i);
		json_t *n;
		const char *id = str(d, "id");

		/* ids are unique within one import */
		for (int k = 2; id && k < 100; k++) {
			size_t j;

			for (j = 0; j < json_array_size(out); j++)
				if (!strcmp(str(json_array_get(out, j), "id"), str(d, "id")))
					break;
			if (j == json_array_size(out))
				break;
			json_object_set_new(d, "id", json_sprintf("%s-%d", id, k));
		}
		n = vci_defn_normalise(d, err);
		if (!n) {
			vci_err_prefix(err, "%s", str(d, "id") ? str(d, "id") : "definition");
			json_decref(out);
			return NULL;
		}
		json_array_append_new(out, n);
	}
	return out;
}

