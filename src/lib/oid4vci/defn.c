/* defn.c - credential definitions: value types and the predicates their
 * fields are checked with, validation and normalisation of the native
 * document, and the prepared form. Claims are checked in claims.c;
 * other products' shapes are imported in import.c. */
#include "defn-int.h"
#include "policy.h"
#include "base/url.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <string.h>

/* ------------------------------------------------------------------ */
/* Findings: problems are collected (all of them for lint, the first is
 * reported for parse). */

void vci_findings_add(vci_findings_t *f, const char *where, const char *fmt, ...)
{
	char msg[400];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	f->n++;
	if (f->list) {
		json_t *s = where && *where ? json_sprintf("%s: %s", where, msg) : json_string(msg);

		if (s)
			json_array_append_new(f->list, s);
	}
}

const char *vci_findings_at(char *buf, size_t sz, const char *base, const char *fmt, ...)
{
	va_list ap;
	size_t n = 0;

	if (base && *base)
		n = (size_t)snprintf(buf, sz, "%s", base);
	if (n >= sz)
		return buf;
	va_start(ap, fmt);
	vsnprintf(buf + n, sz - n, fmt, ap);
	va_end(ap);
	return buf;
}

/* ------------------------------------------------------------------ */
/* Names. */

const char *vci_format_name(vci_format_t f)
{
	switch (f) {
	case VCI_FORMAT_SDJWT: return "dc+sd-jwt";
	case VCI_FORMAT_MDOC: return "mso_mdoc";
	case VCI_FORMAT_JWTVC: return "jwt_vc_json";
	default: return "none";
	}
}

vci_format_t vci_format_parse(const char *s, int legacy)
{
	if (!s)
		return VCI_FORMAT_NONE;
	if (!strcmp(s, "dc+sd-jwt") || (legacy && !strcmp(s, "vc+sd-jwt")))
		return VCI_FORMAT_SDJWT;
	if (!strcmp(s, "mso_mdoc"))
		return VCI_FORMAT_MDOC;
	if (!strcmp(s, "jwt_vc_json"))
		return VCI_FORMAT_JWTVC;
	return VCI_FORMAT_NONE;
}

static const struct {
	const char *name;
	vci_vtype_t t;
} vtypes[] = {
	{ "any", VCI_VTYPE_ANY }, { "string", VCI_VTYPE_STRING },
	{ "integer", VCI_VTYPE_INTEGER }, { "number", VCI_VTYPE_NUMBER },
	{ "boolean", VCI_VTYPE_BOOLEAN }, { "date", VCI_VTYPE_DATE },
	{ "datetime", VCI_VTYPE_DATETIME }, { "object", VCI_VTYPE_OBJECT },
	{ "array", VCI_VTYPE_ARRAY }, { "image", VCI_VTYPE_IMAGE },
	{ "bytes", VCI_VTYPE_BYTES },
	/* aliases: JSON Schema, CDDL (ISO 18013-5) and other products */
	{ "full-date", VCI_VTYPE_DATE }, { "date-time", VCI_VTYPE_DATETIME },
	{ "tdate", VCI_VTYPE_DATETIME }, { "int", VCI_VTYPE_INTEGER },
	{ "uint", VCI_VTYPE_INTEGER }, { "float", VCI_VTYPE_NUMBER },
	{ "bool", VCI_VTYPE_BOOLEAN }, { "tstr", VCI_VTYPE_STRING },
	{ "text", VCI_VTYPE_STRING }, { "bstr", VCI_VTYPE_BYTES },
	{ "binary", VCI_VTYPE_BYTES }, { "map", VCI_VTYPE_OBJECT },
	{ "list", VCI_VTYPE_ARRAY },
};

const char *vci_vtype_name(vci_vtype_t t)
{
	for (size_t i = 0; i < sizeof vtypes / sizeof vtypes[0]; i++)
		if (vtypes[i].t == t)
			return vtypes[i].name;
	return "any";
}

int vci_defn_vtype_parse(const char *s, vci_vtype_t *t)
{
	for (size_t i = 0; s && i < sizeof vtypes / sizeof vtypes[0]; i++)
		if (!strcmp(s, vtypes[i].name)) {
			*t = vtypes[i].t;
			return 0;
		}
	return -1;
}

const char *vci_defn_vtype_expect(vci_vtype_t t)
{
	switch (t) {
	case VCI_VTYPE_DATE: return "full-date";
	case VCI_VTYPE_DATETIME: return "date-time";
	case VCI_VTYPE_IMAGE: return "image (base64 or data:image/ URI)";
	case VCI_VTYPE_BYTES: return "bytes (base64 or data: URI)";
	default: return vci_vtype_name(t);
	}
}

static const char *const sd_names[] = { "allowed", "always", "never", NULL };
static const char *const status_names[] = { "none", "token_status_list", "bitstring_status_list", NULL };

/* ------------------------------------------------------------------ */
/* Syntax checks. */

static int is_leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int digits(const char *s, int n, int *v)
{
	int x = 0;

	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		x = x * 10 + (s[i] - '0');
	}
	*v = x;
	return 0;
}

/* YYYY-MM-DD at s; returns the number of characters or 0. */
static size_t full_date(const char *s)
{
	static const int mdays[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	int y, m, d;

	if (digits(s, 4, &y) || s[4] != '-' || digits(s + 5, 2, &m) || s[7] != '-' ||
	    digits(s + 8, 2, &d))
		return 0;
	if (m < 1 || m > 12 || d < 1)
		return 0;
	if (d > mdays[m - 1] + (m == 2 && is_leap(y)))
		return 0;
	return 10;
}

int vci_defn_is_full_date(const char *s)
{
	return s && full_date(s) == 10 && s[10] == '\0';
}

int vci_defn_is_datetime(const char *s)
{
	int h, mi, sec, oh, om;
	const char *p;

	if (!s || full_date(s) != 10 || (s[10] != 'T' && s[10] != 't'))
		return 0;
	p = s + 11;
	if (digits(p, 2, &h) || p[2] != ':' || digits(p + 3, 2, &mi) || p[5] != ':' ||
	    digits(p + 6, 2, &sec))
		return 0;
	if (h > 23 || mi > 59 || sec > 60)
		return 0;
	p += 8;
	if (*p == '.') {
		p++;
		if (!isdigit((unsigned char)*p))
			return 0;
		while (isdigit((unsigned char)*p))
			p++;
	}
	if ((*p == 'Z' || *p == 'z') && p[1] == '\0')
		return 1;
	if (*p != '+' && *p != '-')
		return 0;
	p++;
	if (digits(p, 2, &oh) || p[2] != ':' || digits(p + 3, 2, &om) || p[5] != '\0')
		return 0;
	return oh <= 23 && om <= 59;
}

static int b64_chars(const char *s, size_t n)
{
	size_t i, pad = 0;
	int std = 0, url = 0;

	if (n == 0)
		return 0;
	for (i = 0; i < n; i++) {
		char c = s[i];

		if (pad) {
			if (c != '=')
				return 0;
			pad++;
			continue;
		}
		if (isalnum((unsigned char)c))
			continue;
		if (c == '+' || c == '/')
			std = 1;
		else if (c == '-' || c == '_')
			url = 1;
		else if (c == '=' && i > 0)
			pad = 1;
		else
			return 0;
	}
	if (std && url)
		return 0;
	if (pad > 2 || (pad && n % 4))
		return 0;
	return (n - pad) % 4 != 1;
}

int vci_defn_is_base64(const char *s)
{
	return s && b64_chars(s, strlen(s));
}

/* data:[<mediatype>][;base64],<data>; with type_prefix (e.g. "image/")
 * the media type must start with it. */
int vci_defn_is_data_uri(const char *s, const char *type_prefix)
{
	const char *comma, *mt;
	int b64 = 0;

	if (!s || strncasecmp(s, "data:", 5))
		return 0;
	mt = s + 5;
	comma = strchr(mt, ',');
	if (!comma)
		return 0;
	if (type_prefix && strncasecmp(mt, type_prefix, strlen(type_prefix)))
		return 0;
	if (comma - mt >= 7 && !strncasecmp(comma - 7, ";base64", 7))
		b64 = 1;
	for (const char *p = mt; p < comma; p++)
		if ((unsigned char)*p <= 0x20 || (unsigned char)*p >= 0x7f)
			return 0;
	if (b64)
		return b64_chars(comma + 1, strlen(comma + 1));
	return 1;
}

/* RFC 6749 section 3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E ) */
int vci_defn_is_scope_token(const char *s)
{
	if (!s || !*s)
		return 0;
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c < 0x21 || c > 0x7e || c == 0x22 || c == 0x5c)
			return 0;
	}
	return 1;
}

/* BCP 47 (RFC 5646) well-formedness: langtag, private use, and the
 * irregular grandfathered tags. */
static int subtag(const char *s, size_t *len)
{
	size_t n = 0;

	while (isalnum((unsigned char)s[n]))
		n++;
	*len = n;
	return n > 0 && (s[n] == '-' || s[n] == '\0');
}

static int all_alpha(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!isalpha((unsigned char)s[i]))
			return 0;
	return 1;
}

static int all_digit(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!isdigit((unsigned char)s[i]))
			return 0;
	return 1;
}

int vci_defn_is_locale(const char *s)
{
	static const char *const irregular[] = {
		"en-GB-oed", "i-ami", "i-bnn", "i-default", "i-enochian", "i-hak",
		"i-klingon", "i-lux", "i-mingo", "i-navajo", "i-pwn", "i-tao", "i-tay",
		"i-tsu", "sgn-BE-FR", "sgn-BE-NL", "sgn-CH-DE", NULL,
	};
	const char *p = s;
	size_t n;
	int stage = 0, extlangs = 0;

	if (!s || !*s)
		return 0;
	for (int i = 0; irregular[i]; i++)
		if (!strcasecmp(s, irregular[i]))
			return 1;
	if (!subtag(p, &n))
		return 0;
	if ((n == 1 && (*p == 'x' || *p == 'X'))) {
		stage = 9; /* private use only */
	} else {
		if (!all_alpha(p, n) || n < 2 || n > 8)
			return 0;
		stage = n <= 3 ? 1 : 2; /* 1: may take extlang */
	}
	p += n;
	while (*p == '-') {
		p++;
		if (!subtag(p, &n))
			return 0;
		if (stage == 9) {
			if (n > 8)
				return 0;
			stage = 10; /* private use has its subtag */
		} else if (stage == 10) {
			if (n > 8)
				return 0;
		} else if (n == 1) {
			if (*p == 'x' || *p == 'X') {
				stage = 9;
			} else {
				/* extension: singleton then 1+ subtags of 2-8 */
				const char *q = p + 1;
				int k = 0;

				while (*q == '-') {
					size_t m;

					if (!subtag(q + 1, &m) || m == 1)
						break;
					if (m > 8)
						return 0;
					q += 1 + m;
					k++;
				}
				if (!k)
					return 0;
				p = q;
				stage = 8;
				continue;
			}
		} else if (stage == 8) {
			return 0; /* only extensions or private use after an extension */
		} else if (stage == 1 && n == 3 && all_alpha(p, n) && extlangs < 3) {
			extlangs++;
		} else if (stage <= 2 && n == 4 && all_alpha(p, n)) {
			stage = 3; /* script */
		} else if (stage <= 3 && ((n == 2 && all_alpha(p, n)) || (n == 3 && all_digit(p, n)))) {
			stage = 4; /* region */
		} else if ((n >= 5 && n <= 8) || (n == 4 && isdigit((unsigned char)*p))) {
			stage = 5; /* variant */
		} else {
			return 0;
		}
		if (stage < 3 && !(stage == 1 && n == 3))
			stage = 2;
		p += n;
	}
	return *p == '\0' && stage != 9;
}

static const struct {
	const char *jose;
	json_int_t cose;
} algs[] = {
	{ "ES256", -7 }, { "ES384", -35 }, { "ES512", -36 }, { "EdDSA", -8 },
	{ "ESP256", -9 }, { "ESP384", -51 }, { "ESP512", -52 }, { "Ed25519", -19 },
	{ "Ed448", -53 }, { "ES256K", -47 }, { "PS256", -37 }, { "PS384", -38 },
	{ "PS512", -39 }, { "RS256", -257 }, { "RS384", -258 }, { "RS512", -259 },
};

int vci_defn_is_jose_alg(const char *s)
{
	for (size_t i = 0; s && i < sizeof algs / sizeof algs[0]; i++)
		if (!strcmp(s, algs[i].jose))
			return 1;
	return 0;
}

int vci_defn_is_cose_alg(json_int_t a)
{
	for (size_t i = 0; i < sizeof algs / sizeof algs[0]; i++)
		if (algs[i].cose == a)
			return 1;
	return 0;
}

json_int_t vci_defn_cose_alg(const char *jose)
{
	for (size_t i = 0; jose && i < sizeof algs / sizeof algs[0]; i++)
		if (!strcmp(jose, algs[i].jose))
			return algs[i].cose;
	return 0;
}

const char *vci_defn_jose_alg(json_int_t cose)
{
	for (size_t i = 0; i < sizeof algs / sizeof algs[0]; i++)
		if (algs[i].cose == cose)
			return algs[i].jose;
	return NULL;
}

int vci_defn_is_binding_method(const char *s)
{
	if (!s)
		return 0;
	if (!strcmp(s, "jwk") || !strcmp(s, "cose_key"))
		return 1;
	if (!strncmp(s, "did:", 4)) {
		const char *m = s + 4;

		if (!*m)
			return 0;
		for (; *m; m++)
			if (!(islower((unsigned char)*m) || isdigit((unsigned char)*m)))
				return 0;
		return 1;
	}
	return 0;
}

static int is_css_color(const char *s)
{
	size_t n;

	if (!s || !*s)
		return 0;
	if (*s == '#') {
		n = strlen(s + 1);
		if (n != 3 && n != 4 && n != 6 && n != 8)
			return 0;
		for (size_t i = 1; i <= n; i++)
			if (!isxdigit((unsigned char)s[i]))
				return 0;
		return 1;
	}
	if (!strncmp(s, "rgb(", 4) || !strncmp(s, "rgba(", 5) || !strncmp(s, "hsl(", 4))
		return s[strlen(s) - 1] == ')';
	for (const char *p = s; *p; p++)
		if (!isalpha((unsigned char)*p))
			return 0;
	return 1; /* a named colour */
}

static int is_svg_id(const char *s)
{
	if (!s || !(isalpha((unsigned char)*s) || *s == '_'))
		return 0;
	for (s++; *s; s++)
		if (!(isalnum((unsigned char)*s) || *s == '_'))
			return 0;
	return 1;
}

static int is_uri(const char *s)
{
	const char *colon;

	if (!s || !isalpha((unsigned char)*s))
		return 0;
	colon = strchr(s, ':');
	if (!colon || colon == s)
		return 0;
	for (const char *p = s; p < colon; p++)
		if (!(isalnum((unsigned char)*p) || *p == '+' || *p == '-' || *p == '.'))
			return 0;
	for (const char *p = s; *p; p++)
		if ((unsigned char)*p <= 0x20 || (unsigned char)*p >= 0x7f)
			return 0;
	return 1;
}

/* ------------------------------------------------------------------ */
/* The claims tree: one node per path prefix. Used to find conflicting
 * paths (OID4VCI 1.0 Appendix B) and, once prepared, unknown claims. */


static vci_defn_node_t *node_new(void)
{
	vci_defn_node_t *n = calloc(1, sizeof *n);

	if (n)
		n->claim = -1;
	return n;
}

static void node_free(vci_defn_node_t *n)
{
	if (!n)
		return;
	for (size_t i = 0; i < n->nkids; i++)
		node_free(n->kids[i]);
	free(n->kids);
	free(n);
}

static vci_defn_node_t *node_child(vci_defn_node_t *n, const vci_path_elem_t *e, int create)
{
	vci_defn_node_t *c, **k;

	for (size_t i = 0; i < n->nkids; i++) {
		c = n->kids[i];
		if (c->kind != e->kind)
			continue;
		if ((e->kind == VCI_PATH_KEY && !strcmp(c->key, e->key)) ||
		    (e->kind == VCI_PATH_INDEX && c->index == e->index) || e->kind == VCI_PATH_ALL)
			return c;
	}
	if (!create)
		return NULL;
	k = realloc(n->kids, (n->nkids + 1) * sizeof *k);
	if (!k)
		return NULL;
	n->kids = k;
	c = node_new();
	if (!c)
		return NULL;
	c->kind = e->kind;
	c->key = e->key;
	c->index = e->index;
	n->kids[n->nkids++] = c;
	if (e->kind == VCI_PATH_KEY)
		n->has_key = 1;
	else if (e->kind == VCI_PATH_INDEX)
		n->has_index = 1;
	else
		n->has_all = 1;
	return c;
}

/* Convert a JSON path array into elements (keys point into the array).
 * Returns 0 or -1 with a reason. */
static int path_elems(const json_t *path, vci_format_t fmt, vci_path_elem_t **out, size_t *n,
		      const char **why)
{
	size_t len = json_array_size(path);
	vci_path_elem_t *e;

	*out = NULL;
	*n = 0;
	if (!json_is_array(path) || len == 0)
		return *why = "expected a non-empty array", -1;
	e = calloc(len, sizeof *e);
	if (!e)
		return *why = "out of memory", -1;
	for (size_t i = 0; i < len; i++) {
		const json_t *c = json_array_get(path, i);

		if (json_is_string(c)) {
			e[i].kind = VCI_PATH_KEY;
			e[i].key = json_string_value(c);
			if (!*e[i].key) {
				free(e);
				return *why = "empty string component", -1;
			}
		} else if (json_is_null(c)) {
			e[i].kind = VCI_PATH_ALL;
		} else if (json_is_integer(c)) {
			if (json_integer_value(c) < 0) {
				free(e);
				return *why = "negative array index", -1;
			}
			e[i].kind = VCI_PATH_INDEX;
			e[i].index = (size_t)json_integer_value(c);
		} else {
			free(e);
			return *why = "components are strings, null or non-negative integers", -1;
		}
	}
	if (e[0].kind != VCI_PATH_KEY) {
		free(e);
		return *why = "the first component must be a claim name", -1;
	}
	if (fmt == VCI_FORMAT_MDOC && (len < 2 || e[1].kind != VCI_PATH_KEY)) {
		free(e);
		return *why = "mso_mdoc paths are [namespace, data element, ...]", -1;
	}
	*out = e;
	*n = len;
	return 0;
}

/* Insert a path; returns NULL on success or the conflict. */
static const char *tree_insert(vci_defn_node_t *root, const vci_path_elem_t *e, size_t n,
			       long claim)
{
	vci_defn_node_t *cur = root;

	for (size_t i = 0; i < n; i++) {
		cur = node_child(cur, &e[i], 1);
		if (!cur)
			return "out of memory";
	}
	if (cur->claim >= 0)
		return "the same claim is described twice";
	cur->claim = claim;
	/* check the whole tree along the path for mixed uses */
	cur = root;
	for (size_t i = 0; i < n; i++) {
		if (cur->has_key && (cur->has_index || cur->has_all))
			return "the same node is used as an object and as an array";
		if (cur->has_index && cur->has_all)
			return "null and an index select in the same array";
		cur = node_child(cur, &e[i], 0);
	}
	return NULL;
}

/* ------------------------------------------------------------------ */
/* Normalisation of a native definition. */

static const char *const top_fields[] = {
	"id", "format", "vct", "doctype", "type", "@context", "name", "description",
	"scope", "display", "claims", "allow_unknown_claims", "expiry_days", "status",
	"key_binding", "wallet_attestation_required", "deferred_interval", "signing_algs",
	"oidc_claims", "reissuance_days",
	NULL,
};

int vci_defn_in_list(const char *k, const char *const *list)
{
	for (size_t i = 0; list[i]; i++)
		if (k[0] == list[i][0] && !strcmp(k, list[i]))
			return 1;
	return 0;
}

static void unknown_fields(vci_findings_t *f, const json_t *obj, const char *const *known,
			   const char *base)
{
	const char *k;
	json_t *v;
	char w[256];

	json_object_foreach((json_t *)obj, k, v) {
		if (!vci_defn_in_list(k, known))
			vci_findings_add(f, vci_findings_at(w, sizeof w, base, "%s%s", base && *base ? "." : "", k),
			     "unknown field");
	}
}

static json_t *norm_string(vci_findings_t *f, const json_t *v, const char *where, int required)
{
	if (!v) {
		if (required)
			vci_findings_add(f, where, "missing");
		return NULL;
	}
	if (!json_is_string(v) || !*json_string_value(v)) {
		vci_findings_add(f, where, "expected a non-empty string");
		return NULL;
	}
	return json_string(json_string_value(v));
}

static json_t *norm_bool(vci_findings_t *f, const json_t *v, const char *where, int dflt)
{
	if (v && !json_is_boolean(v)) {
		vci_findings_add(f, where, "expected true or false");
		return json_boolean(dflt);
	}
	return json_boolean(v ? json_is_true(v) : dflt);
}

static json_t *norm_uint(vci_findings_t *f, const json_t *v, const char *where, json_int_t dflt,
			 json_int_t min, json_int_t max)
{
	if (!v)
		return json_integer(dflt);
	if (!json_is_integer(v) || json_integer_value(v) < min || json_integer_value(v) > max) {
		vci_findings_add(f, where, "expected an integer from %lld to %lld", (long long)min,
		     (long long)max);
		return json_integer(dflt);
	}
	return json_integer(json_integer_value(v));
}

/* Unique locales in a display array. */
static void check_locales(vci_findings_t *f, const json_t *arr, const char *where, const char *key)
{
	size_t i, j;
	char w[256];

	for (i = 0; i < json_array_size(arr); i++) {
		const char *a = json_string_value(json_object_get(json_array_get(arr, i), key));

		for (j = 0; a && j < i; j++) {
			const char *b = json_string_value(json_object_get(json_array_get(arr, j), key));

			if (b && !strcasecmp(a, b)) {
				vci_findings_add(f, vci_findings_at(w, sizeof w, where, "[%zu].%s", i, key),
				     "locale %s appears more than once", a);
				break;
			}
		}
	}
	/* at most one entry without a locale */
	for (i = 0, j = 0; i < json_array_size(arr); i++)
		if (!json_object_get(json_array_get(arr, i), key) && ++j == 2)
			vci_findings_add(f, vci_findings_at(w, sizeof w, where, "[%zu]", i),
			     "more than one entry without a locale");
}

static json_t *norm_image(vci_findings_t *f, const json_t *v, const char *where, int need_alt)
{
	static const char *const known[] = { "uri", "alt_text", "url", NULL };
	const json_t *uri;
	json_t *o;
	char w[256];

	if (!json_is_object(v)) {
		vci_findings_add(f, where, "expected an object with uri");
		return NULL;
	}
	unknown_fields(f, v, known, where);
	uri = json_object_get(v, "uri");
	if (!uri)
		uri = json_object_get(v, "url");
	if (!json_is_string(uri) || !is_uri(json_string_value(uri))) {
		vci_findings_add(f, vci_findings_at(w, sizeof w, where, ".uri"), "expected a URI");
		return NULL;
	}
	o = json_pack("{s:s}", "uri", json_string_value(uri));
	if (need_alt && json_object_get(v, "alt_text")) {
		json_t *a = norm_string(f, json_object_get(v, "alt_text"),
					vci_findings_at(w, sizeof w, where, ".alt_text"), 0);
		if (a)
			json_object_set_new(o, "alt_text", a);
	}
	return o;
}

/* display: [{name, locale, description, background_color, text_color,
 * logo, background_image}] (a single object is taken as a list of one). */
static json_t *norm_display(vci_findings_t *f, const json_t *v, const char *where)
{
	static const char *const known[] = {
		"name", "locale", "description", "background_color", "text_color", "logo",
		"background_image", NULL,
	};
	json_t *out = json_array();
	json_auto_t *list = NULL;
	size_t i;
	char w[256], base[200];

	if (json_is_object(v))
		list = json_pack("[O]", v);
	else if (json_is_array(v))
		list = json_incref((json_t *)v);
	else {
		vci_findings_add(f, where, "expected an array of display objects");
		return out;
	}
	for (i = 0; i < json_array_size(list); i++) {
		const json_t *d = json_array_get(list, i);
		json_t *o, *s;

		vci_findings_at(base, sizeof base, where, "[%zu]", i);
		if (!json_is_object(d)) {
			vci_findings_add(f, base, "expected an object");
			continue;
		}
		unknown_fields(f, d, known, base);
		o = json_object();
		s = norm_string(f, json_object_get(d, "name"), vci_findings_at(w, sizeof w, base, ".name"), 1);
		if (s)
			json_object_set_new(o, "name", s);
		if (json_object_get(d, "locale")) {
			s = norm_string(f, json_object_get(d, "locale"), vci_findings_at(w, sizeof w, base, ".locale"), 0);
			if (s && !vci_defn_is_locale(json_string_value(s)))
				vci_findings_add(f, w, "not a BCP 47 language tag");
			if (s)
				json_object_set_new(o, "locale", s);
		}
		if (json_object_get(d, "description")) {
			s = norm_string(f, json_object_get(d, "description"),
					vci_findings_at(w, sizeof w, base, ".description"), 0);
			if (s)
				json_object_set_new(o, "description", s);
		}
		for (int c = 0; c < 2; c++) {
			const char *k = c ? "text_color" : "background_color";

			if (!json_object_get(d, k))
				continue;
			s = norm_string(f, json_object_get(d, k), vci_findings_at(w, sizeof w, base, ".%s", k), 0);
			if (s && !is_css_color(json_string_value(s)))
				vci_findings_add(f, w, "not a CSS colour");
			if (s)
				json_object_set_new(o, k, s);
		}
		if (json_object_get(d, "logo")) {
			s = norm_image(f, json_object_get(d, "logo"), vci_findings_at(w, sizeof w, base, ".logo"), 1);
			if (s)
				json_object_set_new(o, "logo", s);
		}
		if (json_object_get(d, "background_image")) {
			s = norm_image(f, json_object_get(d, "background_image"),
				       vci_findings_at(w, sizeof w, base, ".background_image"), 0);
			if (s)
				json_object_set_new(o, "background_image", s);
		}
		json_array_append_new(out, o);
	}
	check_locales(f, out, where, "locale");
	return out;
}

/* Claim display: [{name, locale, description}] ("label" accepted for name). */
static json_t *norm_claim_display(vci_findings_t *f, const json_t *v, const char *where)
{
	static const char *const known[] = { "name", "label", "locale", "lang", "description", NULL };
	json_t *out = json_array();
	char w[256], base[200];

	if (!json_is_array(v)) {
		vci_findings_add(f, where, "expected an array of display objects");
		return out;
	}
	for (size_t i = 0; i < json_array_size(v); i++) {
		const json_t *d = json_array_get(v, i), *x;
		json_t *o, *s;

		vci_findings_at(base, sizeof base, where, "[%zu]", i);
		if (!json_is_object(d)) {
			vci_findings_add(f, base, "expected an object");
			continue;
		}
		unknown_fields(f, d, known, base);
		o = json_object();
		x = json_object_get(d, "name");
		if (!x)
			x = json_object_get(d, "label");
		s = norm_string(f, x, vci_findings_at(w, sizeof w, base, ".name"), 1);
		if (s)
			json_object_set_new(o, "name", s);
		x = json_object_get(d, "locale");
		if (!x)
			x = json_object_get(d, "lang");
		if (x) {
			s = norm_string(f, x, vci_findings_at(w, sizeof w, base, ".locale"), 0);
			if (s && !vci_defn_is_locale(json_string_value(s)))
				vci_findings_add(f, w, "not a BCP 47 language tag");
			if (s)
				json_object_set_new(o, "locale", s);
		}
		if (json_object_get(d, "description")) {
			s = norm_string(f, json_object_get(d, "description"),
					vci_findings_at(w, sizeof w, base, ".description"), 0);
			if (s)
				json_object_set_new(o, "description", s);
		}
		json_array_append_new(out, o);
	}
	check_locales(f, out, where, "locale");
	return out;
}

const char *const vci_defn_sdjwt_reserved[] = {
	"iss", "nbf", "exp", "iat", "cnf", "vct", "vct#integrity", "status", "_sd",
	"_sd_alg", "...", "aka_vcts", NULL,
};

static json_t *norm_claims(vci_findings_t *f, const json_t *v, vci_format_t fmt)
{
	static const char *const known[] = {
		"path", "mandatory", "value_type", "sd", "display", "svg_id", NULL,
	};
	json_t *out = json_array();
	vci_defn_node_t *root = node_new();
	char w[256], base[64];

	if (!json_is_array(v)) {
		vci_findings_add(f, "claims", "expected an array of claim descriptions");
		node_free(root);
		return out;
	}
	for (size_t i = 0; i < json_array_size(v); i++) {
		const json_t *c = json_array_get(v, i), *x;
		vci_path_elem_t *e = NULL;
		size_t ne = 0;
		const char *why;
		json_t *o;
		vci_vtype_t t = VCI_VTYPE_ANY;

		snprintf(base, sizeof base, "claims[%zu]", i);
		if (!json_is_object(c)) {
			vci_findings_add(f, base, "expected an object");
			continue;
		}
		unknown_fields(f, c, known, base);
		o = json_object();
		x = json_object_get(c, "path");
		vci_findings_at(w, sizeof w, base, ".path");
		if (!x) {
			vci_findings_add(f, w, "missing");
		} else if (path_elems(x, fmt, &e, &ne, &why) < 0) {
			vci_findings_add(f, w, "%s", why);
		} else {
			if (fmt == VCI_FORMAT_SDJWT && vci_defn_in_list(e[0].key, vci_defn_sdjwt_reserved))
				vci_findings_add(f, w, "%s is set by the issuer, not a claim", e[0].key);
			if (fmt == VCI_FORMAT_JWTVC && !strcmp(e[0].key, "credentialSubject"))
				vci_findings_add(f, w, "jwt_vc_json paths are relative to credentialSubject");
			if (root && (why = tree_insert(root, e, ne, (long)i)))
				vci_findings_add(f, w, "%s", why);
			json_object_set_new(o, "path", json_deep_copy(x));
		}
		free(e);
		json_object_set_new(o, "mandatory",
				    norm_bool(f, json_object_get(c, "mandatory"),
					      vci_findings_at(w, sizeof w, base, ".mandatory"), 0));
		x = json_object_get(c, "value_type");
		if (x && (!json_is_string(x) || vci_defn_vtype_parse(json_string_value(x), &t) < 0))
			vci_findings_add(f, vci_findings_at(w, sizeof w, base, ".value_type"),
			     "expected one of string, integer, number, boolean, date, datetime, "
			     "object, array, image, bytes, any");
		json_object_set_new(o, "value_type", json_string(vci_vtype_name(t)));
		x = json_object_get(c, "sd");
		if (x) {
			const char *s = json_string_value(x);

			vci_findings_at(w, sizeof w, base, ".sd");
			if (!s || !(vci_defn_in_list(s, (const char *const[]){ "allowed", "always", "never", NULL })))
				vci_findings_add(f, w, "expected always, allowed or never");
			else if (fmt != VCI_FORMAT_SDJWT && strcmp(s, "allowed"))
				vci_findings_add(f, w, "selective disclosure is set only for dc+sd-jwt");
		}
		if (fmt == VCI_FORMAT_SDJWT)
			json_object_set_new(o, "sd", json_string(json_is_string(x) &&
					    vci_defn_in_list(json_string_value(x), sd_names) ?
					    json_string_value(x) : "allowed"));
		x = json_object_get(c, "svg_id");
		if (x) {
			vci_findings_at(w, sizeof w, base, ".svg_id");
			if (!json_is_string(x) || !is_svg_id(json_string_value(x)))
				vci_findings_add(f, w, "expected an identifier [A-Za-z_][A-Za-z0-9_]*");
			else if (fmt != VCI_FORMAT_SDJWT)
				vci_findings_add(f, w, "only for dc+sd-jwt");
			else {
				for (size_t j = 0; j < json_array_size(out); j++)
					if (json_equal(json_object_get(json_array_get(out, j), "svg_id"), x))
						vci_findings_add(f, w, "%s is used twice", json_string_value(x));
				json_object_set_new(o, "svg_id", json_copy((json_t *)x));
			}
		}
		x = json_object_get(c, "display");
		if (x)
			json_object_set_new(o, "display",
					    norm_claim_display(f, x, vci_findings_at(w, sizeof w, base, ".display")));
		json_array_append_new(out, o);
	}
	node_free(root);
	return out;
}

static json_t *norm_strings(vci_findings_t *f, const json_t *v, const char *where, int (*ok)(const char *),
			    const char *what)
{
	json_t *out = json_array();
	char w[256];

	if (!json_is_array(v) || json_array_size(v) == 0) {
		vci_findings_add(f, where, "expected a non-empty array of strings");
		return out;
	}
	for (size_t i = 0; i < json_array_size(v); i++) {
		const json_t *s = json_array_get(v, i);

		vci_findings_at(w, sizeof w, where, "[%zu]", i);
		if (!json_is_string(s)) {
			vci_findings_add(f, w, "expected a string");
			continue;
		}
		if (ok && !ok(json_string_value(s))) {
			vci_findings_add(f, w, "%s is not %s", json_string_value(s), what);
			continue;
		}
		for (size_t j = 0; j < json_array_size(out); j++)
			if (json_equal(json_array_get(out, j), s)) {
				vci_findings_add(f, w, "%s appears more than once", json_string_value(s));
				break;
			}
		json_array_append_new(out, json_copy((json_t *)s));
	}
	return out;
}

static int nonempty(const char *s)
{
	return s && *s;
}

static json_t *norm_key_binding(vci_findings_t *f, const json_t *v, vci_format_t fmt)
{
	static const char *const known[] = { "methods", "proof_algs", "key_attestation_required", NULL };
	json_t *o, *x;
	const json_t *ka;

	if (!json_is_object(v)) {
		vci_findings_add(f, "key_binding", "expected an object {methods, proof_algs, key_attestation_required} or null");
		return NULL;
	}
	unknown_fields(f, v, known, "key_binding");
	o = json_object();
	if (!json_object_get(v, "methods"))
		vci_findings_add(f, "key_binding.methods", "missing");
	else {
		x = norm_strings(f, json_object_get(v, "methods"), "key_binding.methods",
				 vci_defn_is_binding_method, "a binding method (jwk, cose_key, did:METHOD)");
		for (size_t i = 0; i < json_array_size(x); i++) {
			const char *m = json_string_value(json_array_get(x, i));
			char w[64];

			snprintf(w, sizeof w, "key_binding.methods[%zu]", i);
			if (fmt == VCI_FORMAT_MDOC && strcmp(m, "cose_key"))
				vci_findings_add(f, w, "mso_mdoc binds keys with cose_key");
			else if (fmt != VCI_FORMAT_MDOC && !strcmp(m, "cose_key"))
				vci_findings_add(f, w, "cose_key is for mso_mdoc");
		}
		json_object_set_new(o, "methods", x);
	}
	if (json_object_get(v, "proof_algs"))
		x = norm_strings(f, json_object_get(v, "proof_algs"), "key_binding.proof_algs",
				 vci_defn_is_jose_alg, "a JOSE signature algorithm");
	else
		x = json_pack("[s]", "ES256");
	json_object_set_new(o, "proof_algs", x);
	ka = json_object_get(v, "key_attestation_required");
	if (!ka || json_is_false(ka)) {
		json_object_set_new(o, "key_attestation_required", json_false());
	} else if (json_is_true(ka)) {
		json_object_set_new(o, "key_attestation_required", json_object());
	} else if (json_is_object(ka)) {
		static const char *const kk[] = { "key_storage", "user_authentication", NULL };
		json_t *r = json_object();

		unknown_fields(f, ka, kk, "key_binding.key_attestation_required");
		for (int i = 0; kk[i]; i++) {
			char w[96];

			if (!json_object_get(ka, kk[i]))
				continue;
			snprintf(w, sizeof w, "key_binding.key_attestation_required.%s", kk[i]);
			json_object_set_new(r, kk[i], norm_strings(f, json_object_get(ka, kk[i]), w,
								   nonempty, "a level"));
		}
		json_object_set_new(o, "key_attestation_required", r);
	} else {
		vci_findings_add(f, "key_binding.key_attestation_required",
		     "expected true, false or {key_storage, user_authentication}");
	}
	return o;
}

static json_t *norm_signing_algs(vci_findings_t *f, const json_t *v, vci_format_t fmt)
{
	json_t *out = json_array();
	char w[64];

	if (!json_is_array(v) || !json_array_size(v)) {
		vci_findings_add(f, "signing_algs", "expected a non-empty array of algorithm names");
		return out;
	}
	for (size_t i = 0; i < json_array_size(v); i++) {
		const json_t *a = json_array_get(v, i);

		snprintf(w, sizeof w, "signing_algs[%zu]", i);
		if (json_is_integer(a) && fmt == VCI_FORMAT_MDOC &&
		    vci_defn_is_cose_alg(json_integer_value(a)))
			json_array_append_new(out, json_string(vci_defn_jose_alg(json_integer_value(a))));
		else if (json_is_string(a) && vci_defn_is_jose_alg(json_string_value(a)))
			json_array_append_new(out, json_copy((json_t *)a));
		else
			vci_findings_add(f, w, "not a known signature algorithm");
	}
	return out;
}

static int is_vc_base_context(const char *s)
{
	return s && (!strcmp(s, "https://www.w3.org/2018/credentials/v1") ||
		     !strcmp(s, "https://www.w3.org/ns/credentials/v2"));
}

/* oidc_claims (claim path "a/b" -> ID token claim name) and
 * reissuance_days (how long refresh tokens may renew the access), kept
 * only when given. */
static void norm_oidc(vci_findings_t *f, const json_t *doc, json_t *out)
{
	const json_t *v = json_object_get(doc, "oidc_claims"), *x;
	const char *k;

	if (v && !json_is_object(v)) {
		vci_findings_add(f, "oidc_claims", "expected an object (claim path: ID token claim)");
	} else if (v) {
		int ok = 1;

		json_object_foreach((json_t *)v, k, x) {
			if (!*k || k[0] == '/' || k[strlen(k) - 1] == '/' || strstr(k, "//")) {
				vci_findings_add(f, "oidc_claims", "\"%.64s\": not a claim path "
						 "(names joined by /)", k);
				ok = 0;
			} else if (!json_is_string(x) || !*json_string_value(x)) {
				vci_findings_add(f, "oidc_claims", "\"%.64s\": expected the name of "
						 "an ID token claim", k);
				ok = 0;
			}
		}
		if (ok)
			json_object_set_new(out, "oidc_claims", json_deep_copy(v));
	}
	v = json_object_get(doc, "reissuance_days");
	if (v)
		json_object_set_new(out, "reissuance_days",
				    norm_uint(f, v, "reissuance_days", 0, 0, 3650));
}

static json_t *normalise(const json_t *doc, vci_findings_t *f)
{
	json_t *out, *x;
	const json_t *v;
	vci_format_t fmt = VCI_FORMAT_NONE;
	const char *fs;

	if (!json_is_object(doc)) {
		vci_findings_add(f, "", "a definition is a JSON object");
		return NULL;
	}
	out = json_object();
	unknown_fields(f, doc, top_fields, "");
	if ((x = norm_string(f, json_object_get(doc, "id"), "id", 1)))
		json_object_set_new(out, "id", x);
	v = json_object_get(doc, "format");
	fs = json_string_value(v);
	if (!v)
		vci_findings_add(f, "format", "missing");
	else if (fs && !strcmp(fs, "vc+sd-jwt"))
		vci_findings_add(f, "format", "vc+sd-jwt is the pre-final name of dc+sd-jwt");
	else if ((fmt = vci_format_parse(fs, 0)) == VCI_FORMAT_NONE)
		vci_findings_add(f, "format", "unknown format %s%s%s (dc+sd-jwt, mso_mdoc or jwt_vc_json)",
		     fs ? "\"" : "", fs ? fs : "(not a string)", fs ? "\"" : "");
	if (fmt)
		json_object_set_new(out, "format", json_string(vci_format_name(fmt)));

	/* the type of credential, per format */
	v = json_object_get(doc, "vct");
	if (fmt == VCI_FORMAT_SDJWT) {
		if ((x = norm_string(f, v, "vct", 1)))
			json_object_set_new(out, "vct", x);
	} else if (v && fmt) {
		vci_findings_add(f, "vct", "only for dc+sd-jwt");
	}
	v = json_object_get(doc, "doctype");
	if (fmt == VCI_FORMAT_MDOC) {
		if ((x = norm_string(f, v, "doctype", 1)))
			json_object_set_new(out, "doctype", x);
	} else if (v && fmt) {
		vci_findings_add(f, "doctype", "only for mso_mdoc");
	}
	v = json_object_get(doc, "type");
	if (fmt == VCI_FORMAT_JWTVC) {
		const json_t *ctx = json_object_get(doc, "@context");

		if (!v) {
			vci_findings_add(f, "type", "missing");
		} else {
			json_auto_t *tv = json_is_string(v) ? json_pack("[O]", v) : json_incref((json_t *)v);

			x = norm_strings(f, tv, "type", NULL, NULL);
			if (json_array_size(x) && strcmp(json_string_value(json_array_get(x, 0)),
							 "VerifiableCredential")) {
				size_t i;

				for (i = 0; i < json_array_size(x); i++)
					if (!strcmp(json_string_value(json_array_get(x, i)),
						    "VerifiableCredential"))
						break;
				if (i < json_array_size(x))
					json_array_remove(x, i);
				json_array_insert_new(x, 0, json_string("VerifiableCredential"));
			}
			if (json_array_size(x) < 2)
				vci_findings_add(f, "type", "name the credential type after VerifiableCredential");
			json_object_set_new(out, "type", x);
		}
		if (ctx) {
			x = norm_strings(f, ctx, "@context", is_uri, "a URI");
			if (json_array_size(x) && !is_vc_base_context(json_string_value(json_array_get(x, 0))))
				vci_findings_add(f, "@context[0]", "expected the W3C VC base context");
		} else {
			x = json_pack("[s]", "https://www.w3.org/2018/credentials/v1");
		}
		json_object_set_new(out, "@context", x);
	} else if (fmt) {
		if (v)
			vci_findings_add(f, "type", "only for jwt_vc_json");
		if (json_object_get(doc, "@context"))
			vci_findings_add(f, "@context", "only for jwt_vc_json");
	}
	if (json_object_get(doc, "name") &&
	    (x = norm_string(f, json_object_get(doc, "name"), "name", 0)))
		json_object_set_new(out, "name", x);
	if (json_object_get(doc, "description") &&
	    (x = norm_string(f, json_object_get(doc, "description"), "description", 0)))
		json_object_set_new(out, "description", x);
	v = json_object_get(doc, "scope");
	if (v && !json_is_null(v)) {
		if (!json_is_string(v) || !vci_defn_is_scope_token(json_string_value(v)))
			vci_findings_add(f, "scope", "not a scope token");
		else
			json_object_set_new(out, "scope", json_copy((json_t *)v));
	}
	v = json_object_get(doc, "display");
	if (v)
		json_object_set_new(out, "display", norm_display(f, v, "display"));
	v = json_object_get(doc, "claims");
	json_object_set_new(out, "claims", v ? norm_claims(f, v, fmt) : json_array());
	json_object_set_new(out, "allow_unknown_claims",
			    norm_bool(f, json_object_get(doc, "allow_unknown_claims"),
				      "allow_unknown_claims", 0));
	json_object_set_new(out, "expiry_days",
			    norm_uint(f, json_object_get(doc, "expiry_days"), "expiry_days", 30, 1,
				      36500));
	v = json_object_get(doc, "status");
	if (v) {
		const char *s = json_string_value(v);

		if (!s || !vci_defn_in_list(s, status_names))
			vci_findings_add(f, "status", "expected none, token_status_list or bitstring_status_list");
		else if (!strcmp(s, "bitstring_status_list") && fmt && fmt != VCI_FORMAT_JWTVC)
			vci_findings_add(f, "status", "bitstring_status_list is for jwt_vc_json; %s uses token_status_list",
			     vci_format_name(fmt));
	}
	json_object_set_new(out, "status",
			    json_string(json_is_string(v) && vci_defn_in_list(json_string_value(v), status_names) ?
					json_string_value(v) : "none"));
	v = json_object_get(doc, "key_binding");
	if (v && !json_is_null(v) && !json_is_false(v) && (x = norm_key_binding(f, v, fmt)))
		json_object_set_new(out, "key_binding", x);
	json_object_set_new(out, "wallet_attestation_required",
			    norm_bool(f, json_object_get(doc, "wallet_attestation_required"),
				      "wallet_attestation_required", 0));
	json_object_set_new(out, "deferred_interval",
			    norm_uint(f, json_object_get(doc, "deferred_interval"),
				      "deferred_interval", 0, 0, 2592000));
	v = json_object_get(doc, "signing_algs");
	if (v)
		json_object_set_new(out, "signing_algs", norm_signing_algs(f, v, fmt));
	norm_oidc(f, doc, out);
	return out;
}

json_t *vci_defn_normalise(const json_t *doc, vci_err_t *err)
{
	vci_findings_t f = { json_array(), 0 };
	json_t *out = normalise(doc, &f);

	if (f.n) {
		const char *first = json_string_value(json_array_get(f.list, 0));

		vci_err_set(err, VCI_EXIT_INPUT, "invalid_definition", "%s",
			    first ? first : "invalid definition");
		json_decref(out);
		out = NULL;
	}
	json_decref(f.list);
	return out;
}

size_t vci_defn_lint(const json_t *doc, json_t *findings)
{
	vci_findings_t f = { findings, 0 };
	json_t *out = normalise(doc, &f);

	/* beyond validity: what wallets and profiles expect */
	if (out && !json_object_get(doc, "scope"))
		vci_findings_add(&f, "scope", "missing (HAIP requires a scope for every configuration)");
	if (out && !json_array_size(json_object_get(out, "display")))
		vci_findings_add(&f, "display", "missing (wallets show the credential by this name)");
	json_decref(out);
	return f.n;
}

/* ------------------------------------------------------------------ */
/* Prepared definitions. */

void vci_defn_free(vci_defn_t *d)
{
	if (!d)
		return;
	for (size_t i = 0; i < d->nclaims; i++)
		free(d->claims[i].elems);
	free(d->claims);
	node_free(d->tree);
	json_decref(d->doc);
	free(d);
}

static int index_of(const char *s, const char *const *list)
{
	for (int i = 0; s && list[i]; i++)
		if (!strcmp(s, list[i]))
			return i;
	return 0;
}

vci_defn_t *vci_defn_new(const json_t *doc, vci_err_t *err)
{
	json_t *n = vci_defn_normalise(doc, err), *claims, *kb;
	vci_defn_t *d;

	if (!n)
		return NULL;
	d = calloc(1, sizeof *d);
	if (!d || !(d->tree = node_new())) {
		free(d);
		json_decref(n);
		vci_err_oom(err);
		return NULL;
	}
	d->doc = n;
	d->id = json_string_value(json_object_get(n, "id"));
	d->format = vci_format_parse(json_string_value(json_object_get(n, "format")), 0);
	d->vct = json_string_value(json_object_get(n, "vct"));
	d->doctype = json_string_value(json_object_get(n, "doctype"));
	d->type = json_object_get(n, "type");
	d->context = json_object_get(n, "@context");
	d->scope = json_string_value(json_object_get(n, "scope"));
	d->allow_unknown_claims = json_is_true(json_object_get(n, "allow_unknown_claims"));
	d->expiry_days = (unsigned)json_integer_value(json_object_get(n, "expiry_days"));
	d->status = (vci_status_method_t)index_of(json_string_value(json_object_get(n, "status")),
						   status_names);
	d->wallet_attestation_required =
		json_is_true(json_object_get(n, "wallet_attestation_required"));
	d->deferred_interval = (unsigned)json_integer_value(json_object_get(n, "deferred_interval"));
	d->oidc_claims = json_object_get(n, "oidc_claims");
	d->reissuance_days = (unsigned)json_integer_value(json_object_get(n, "reissuance_days"));
	kb = json_object_get(n, "key_binding");
	if (kb) {
		json_t *ka = json_object_get(kb, "key_attestation_required");

		d->key_binding = 1;
		d->binding_methods = json_object_get(kb, "methods");
		d->proof_algs = json_object_get(kb, "proof_algs");
		d->key_attestation = json_is_object(ka) ? ka : NULL;
	}
	if (vci_policy_digest(d, d->policy_digest, err) < 0) {
		vci_defn_free(d);
		return NULL;
	}
	claims = json_object_get(n, "claims");
	d->nclaims = json_array_size(claims);
	d->claims = calloc(d->nclaims ? d->nclaims : 1, sizeof *d->claims);
	if (!d->claims) {
		vci_defn_free(d);
		vci_err_oom(err);
		return NULL;
	}
	for (size_t i = 0; i < d->nclaims; i++) {
		json_t *c = json_array_get(claims, i);
		vci_defn_claim_t *dc = &d->claims[i];
		const char *why = NULL;

		dc->path = json_object_get(c, "path");
		if (path_elems(dc->path, d->format, &dc->elems, &dc->nelems, &why) < 0 ||
		    (why = tree_insert(d->tree, dc->elems, dc->nelems, (long)i))) {
			vci_err_set(err, VCI_EXIT_INPUT, "invalid_definition", "claims[%zu].path: %s",
				    i, why);
			vci_defn_free(d);
			return NULL;
		}
		dc->mandatory = json_is_true(json_object_get(c, "mandatory"));
		vci_defn_vtype_parse(json_string_value(json_object_get(c, "value_type")), &dc->type);
		dc->sd = (vci_sd_t)index_of(json_string_value(json_object_get(c, "sd")), sd_names);
		dc->display = json_object_get(c, "display");
	}
	return d;
}

void vci_defn_list_free(vci_defn_t **defs, size_t n)
{
	for (size_t i = 0; defs && i < n; i++)
		vci_defn_free(defs[i]);
	free(defs);
}

const vci_defn_t *vci_defn_find(vci_defn_t *const *defs, size_t n, const char *id)
{
	for (size_t i = 0; id && defs && i < n; i++)
		if (defs[i]->id && !strcmp(defs[i]->id, id))
			return defs[i];
	return NULL;
}

int vci_defn_load(const char *path, vci_defn_t ***out, size_t *n, vci_err_t *err)
{
	const char *name = (!path || !strcmp(path, "-")) ? "stdin" : path;
	json_auto_t *doc = vci_json_load_file(path, err);
	size_t cnt, i;
	vci_defn_t **defs;

	*out = NULL;
	*n = 0;
	if (!doc)
		return -1;
	if (json_is_object(doc))
		cnt = 1;
	else if (json_is_array(doc) && json_array_size(doc))
		cnt = json_array_size(doc);
	else
		return vci_err_set(err, VCI_EXIT_INPUT, "invalid_definition",
				   "%s: expected a definition (an object) or an array of them", name);
	defs = calloc(cnt, sizeof *defs);
	if (!defs)
		return vci_err_oom(err);
	for (i = 0; i < cnt; i++) {
		const json_t *d = json_is_array(doc) ? json_array_get(doc, i) : doc;

		defs[i] = vci_defn_new(d, err);
		if (!defs[i]) {
			if (json_is_array(doc))
				vci_err_prefix(err, "%s: [%zu]", name, i);
			else
				vci_err_prefix(err, "%s", name);
			vci_defn_list_free(defs, i);
			return -1;
		}
		for (size_t j = 0; j < i; j++)
			if (!strcmp(defs[j]->id, defs[i]->id)) {
				vci_err_set(err, VCI_EXIT_INPUT, "invalid_definition",
					    "%s: [%zu].id: %s is used twice", name, i, defs[i]->id);
				vci_defn_list_free(defs, i + 1);
				return -1;
			}
	}
	*out = defs;
	*n = cnt;
	return 0;
}

size_t vci_defn_lint_paths(const json_t *claims, vci_format_t fmt, const char *where,
			   json_t *findings)
{
	vci_findings_t f = { findings, 0 };
	vci_defn_node_t *root = node_new();
	char w[256];

	if (!json_is_array(claims)) {
		vci_findings_add(&f, where, "expected an array of claim descriptions");
		node_free(root);
		return f.n;
	}
	for (size_t i = 0; i < json_array_size(claims); i++) {
		const json_t *c = json_array_get(claims, i);
		vci_path_elem_t *e = NULL;
		size_t ne;
		const char *why;

		vci_findings_at(w, sizeof w, where, "[%zu].path", i);
		if (!json_is_object(c)) {
			vci_findings_add(&f, vci_findings_at(w, sizeof w, where, "[%zu]", i), "expected an object");
			continue;
		}
		if (!json_object_get(c, "path"))
			vci_findings_add(&f, w, "missing");
		else if (path_elems(json_object_get(c, "path"), fmt, &e, &ne, &why) < 0)
			vci_findings_add(&f, w, "%s", why);
		else if (root && (why = tree_insert(root, e, ne, (long)i)))
			vci_findings_add(&f, w, "%s", why);
		free(e);
	}
	node_free(root);
	return f.n;
}
