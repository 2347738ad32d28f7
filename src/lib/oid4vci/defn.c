/* defn.c - credential definitions: validation and normalisation of the
 * native document, the prepared form, claims validation and import of
 * other products' definition shapes. */
#include "defn.h"
#include "base/url.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <string.h>

/* ------------------------------------------------------------------ */
/* Findings: problems are collected (all of them for lint, the first is
 * reported for parse). */

typedef struct findings {
	json_t *list; /* array of strings */
	size_t n;
} findings_t;

VCI_PRINTF(3, 4) static void find(findings_t *f, const char *where, const char *fmt, ...)
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

/* Paths in messages: "claims[2].path", "display[0].locale". */
static const char *at(char *buf, size_t sz, const char *base, const char *fmt, ...)
	VCI_PRINTF(4, 5);
static const char *at(char *buf, size_t sz, const char *base, const char *fmt, ...)
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

static int vtype_parse(const char *s, vci_vtype_t *t)
{
	for (size_t i = 0; s && i < sizeof vtypes / sizeof vtypes[0]; i++)
		if (!strcmp(s, vtypes[i].name)) {
			*t = vtypes[i].t;
			return 0;
		}
	return -1;
}

/* How a value type is named in messages. */
static const char *vtype_expect(vci_vtype_t t)
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

struct vci_defn_node {
	vci_path_kind_t kind;
	const char *key;
	size_t index;
	vci_defn_node_t **kids;
	size_t nkids;
	long claim;       /* index into the claims table, -1 if only a prefix */
	int has_key, has_index, has_all;
};

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
	NULL,
};

static int in_list(const char *k, const char *const *list)
{
	for (size_t i = 0; list[i]; i++)
		if (!strcmp(k, list[i]))
			return 1;
	return 0;
}

static void unknown_fields(findings_t *f, const json_t *obj, const char *const *known,
			   const char *base)
{
	const char *k;
	json_t *v;
	char w[256];

	json_object_foreach((json_t *)obj, k, v) {
		if (!in_list(k, known))
			find(f, at(w, sizeof w, base, "%s%s", base && *base ? "." : "", k),
			     "unknown field");
	}
}

static json_t *norm_string(findings_t *f, const json_t *v, const char *where, int required)
{
	if (!v) {
		if (required)
			find(f, where, "missing");
		return NULL;
	}
	if (!json_is_string(v) || !*json_string_value(v)) {
		find(f, where, "expected a non-empty string");
		return NULL;
	}
	return json_string(json_string_value(v));
}

static json_t *norm_bool(findings_t *f, const json_t *v, const char *where, int dflt)
{
	if (v && !json_is_boolean(v)) {
		find(f, where, "expected true or false");
		return json_boolean(dflt);
	}
	return json_boolean(v ? json_is_true(v) : dflt);
}

static json_t *norm_uint(findings_t *f, const json_t *v, const char *where, json_int_t dflt,
			 json_int_t min, json_int_t max)
{
	if (!v)
		return json_integer(dflt);
	if (!json_is_integer(v) || json_integer_value(v) < min || json_integer_value(v) > max) {
		find(f, where, "expected an integer from %lld to %lld", (long long)min,
		     (long long)max);
		return json_integer(dflt);
	}
	return json_integer(json_integer_value(v));
}

/* Unique locales in a display array. */
static void check_locales(findings_t *f, const json_t *arr, const char *where, const char *key)
{
	size_t i, j;
	char w[256];

	for (i = 0; i < json_array_size(arr); i++) {
		const char *a = json_string_value(json_object_get(json_array_get(arr, i), key));

		for (j = 0; a && j < i; j++) {
			const char *b = json_string_value(json_object_get(json_array_get(arr, j), key));

			if (b && !strcasecmp(a, b)) {
				find(f, at(w, sizeof w, where, "[%zu].%s", i, key),
				     "locale %s appears more than once", a);
				break;
			}
		}
	}
	/* at most one entry without a locale */
	for (i = 0, j = 0; i < json_array_size(arr); i++)
		if (!json_object_get(json_array_get(arr, i), key) && ++j == 2)
			find(f, at(w, sizeof w, where, "[%zu]", i),
			     "more than one entry without a locale");
}

static json_t *norm_image(findings_t *f, const json_t *v, const char *where, int need_alt)
{
	static const char *const known[] = { "uri", "alt_text", "url", NULL };
	const json_t *uri;
	json_t *o;
	char w[256];

	if (!json_is_object(v)) {
		find(f, where, "expected an object with uri");
		return NULL;
	}
	unknown_fields(f, v, known, where);
	uri = json_object_get(v, "uri");
	if (!uri)
		uri = json_object_get(v, "url");
	if (!json_is_string(uri) || !is_uri(json_string_value(uri))) {
		find(f, at(w, sizeof w, where, ".uri"), "expected a URI");
		return NULL;
	}
	o = json_pack("{s:s}", "uri", json_string_value(uri));
	if (need_alt && json_object_get(v, "alt_text")) {
		json_t *a = norm_string(f, json_object_get(v, "alt_text"),
					at(w, sizeof w, where, ".alt_text"), 0);
		if (a)
			json_object_set_new(o, "alt_text", a);
	}
	return o;
}

/* display: [{name, locale, description, background_color, text_color,
 * logo, background_image}] (a single object is taken as a list of one). */
static json_t *norm_display(findings_t *f, const json_t *v, const char *where)
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
		find(f, where, "expected an array of display objects");
		return out;
	}
	for (i = 0; i < json_array_size(list); i++) {
		const json_t *d = json_array_get(list, i);
		json_t *o, *s;

		at(base, sizeof base, where, "[%zu]", i);
		if (!json_is_object(d)) {
			find(f, base, "expected an object");
			continue;
		}
		unknown_fields(f, d, known, base);
		o = json_object();
		s = norm_string(f, json_object_get(d, "name"), at(w, sizeof w, base, ".name"), 1);
		if (s)
			json_object_set_new(o, "name", s);
		if (json_object_get(d, "locale")) {
			s = norm_string(f, json_object_get(d, "locale"), at(w, sizeof w, base, ".locale"), 0);
			if (s && !vci_defn_is_locale(json_string_value(s)))
				find(f, w, "not a BCP 47 language tag");
			if (s)
				json_object_set_new(o, "locale", s);
		}
		if (json_object_get(d, "description")) {
			s = norm_string(f, json_object_get(d, "description"),
					at(w, sizeof w, base, ".description"), 0);
			if (s)
				json_object_set_new(o, "description", s);
		}
		for (int c = 0; c < 2; c++) {
			const char *k = c ? "text_color" : "background_color";

			if (!json_object_get(d, k))
				continue;
			s = norm_string(f, json_object_get(d, k), at(w, sizeof w, base, ".%s", k), 0);
			if (s && !is_css_color(json_string_value(s)))
				find(f, w, "not a CSS colour");
			if (s)
				json_object_set_new(o, k, s);
		}
		if (json_object_get(d, "logo")) {
			s = norm_image(f, json_object_get(d, "logo"), at(w, sizeof w, base, ".logo"), 1);
			if (s)
				json_object_set_new(o, "logo", s);
		}
		if (json_object_get(d, "background_image")) {
			s = norm_image(f, json_object_get(d, "background_image"),
				       at(w, sizeof w, base, ".background_image"), 0);
			if (s)
				json_object_set_new(o, "background_image", s);
		}
		json_array_append_new(out, o);
	}
	check_locales(f, out, where, "locale");
	return out;
}

/* Claim display: [{name, locale, description}] ("label" accepted for name). */
static json_t *norm_claim_display(findings_t *f, const json_t *v, const char *where)
{
	static const char *const known[] = { "name", "label", "locale", "lang", "description", NULL };
	json_t *out = json_array();
	char w[256], base[200];

	if (!json_is_array(v)) {
		find(f, where, "expected an array of display objects");
		return out;
	}
	for (size_t i = 0; i < json_array_size(v); i++) {
		const json_t *d = json_array_get(v, i), *x;
		json_t *o, *s;

		at(base, sizeof base, where, "[%zu]", i);
		if (!json_is_object(d)) {
			find(f, base, "expected an object");
			continue;
		}
		unknown_fields(f, d, known, base);
		o = json_object();
		x = json_object_get(d, "name");
		if (!x)
			x = json_object_get(d, "label");
		s = norm_string(f, x, at(w, sizeof w, base, ".name"), 1);
		if (s)
			json_object_set_new(o, "name", s);
		x = json_object_get(d, "locale");
		if (!x)
			x = json_object_get(d, "lang");
		if (x) {
			s = norm_string(f, x, at(w, sizeof w, base, ".locale"), 0);
			if (s && !vci_defn_is_locale(json_string_value(s)))
				find(f, w, "not a BCP 47 language tag");
			if (s)
				json_object_set_new(o, "locale", s);
		}
		if (json_object_get(d, "description")) {
			s = norm_string(f, json_object_get(d, "description"),
					at(w, sizeof w, base, ".description"), 0);
			if (s)
				json_object_set_new(o, "description", s);
		}
		json_array_append_new(out, o);
	}
	check_locales(f, out, where, "locale");
	return out;
}

/* Claims that SD-JWT VC reserves: the issuer sets them. */
static const char *const sdjwt_reserved[] = {
	"iss", "nbf", "exp", "iat", "cnf", "vct", "vct#integrity", "status", "_sd",
	"_sd_alg", "...", "aka_vcts", NULL,
};

static json_t *norm_claims(findings_t *f, const json_t *v, vci_format_t fmt)
{
	static const char *const known[] = {
		"path", "mandatory", "value_type", "sd", "display", "svg_id", NULL,
	};
	json_t *out = json_array();
	vci_defn_node_t *root = node_new();
	char w[256], base[64];

	if (!json_is_array(v)) {
		find(f, "claims", "expected an array of claim descriptions");
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
			find(f, base, "expected an object");
			continue;
		}
		unknown_fields(f, c, known, base);
		o = json_object();
		x = json_object_get(c, "path");
		at(w, sizeof w, base, ".path");
		if (!x) {
			find(f, w, "missing");
		} else if (path_elems(x, fmt, &e, &ne, &why) < 0) {
			find(f, w, "%s", why);
		} else {
			if (fmt == VCI_FORMAT_SDJWT && in_list(e[0].key, sdjwt_reserved))
				find(f, w, "%s is set by the issuer, not a claim", e[0].key);
			if (fmt == VCI_FORMAT_JWTVC && !strcmp(e[0].key, "credentialSubject"))
				find(f, w, "jwt_vc_json paths are relative to credentialSubject");
			if (root && (why = tree_insert(root, e, ne, (long)i)))
				find(f, w, "%s", why);
			json_object_set_new(o, "path", json_deep_copy(x));
		}
		free(e);
		json_object_set_new(o, "mandatory",
				    norm_bool(f, json_object_get(c, "mandatory"),
					      at(w, sizeof w, base, ".mandatory"), 0));
		x = json_object_get(c, "value_type");
		if (x && (!json_is_string(x) || vtype_parse(json_string_value(x), &t) < 0))
			find(f, at(w, sizeof w, base, ".value_type"),
			     "expected one of string, integer, number, boolean, date, datetime, "
			     "object, array, image, bytes, any");
		json_object_set_new(o, "value_type", json_string(vci_vtype_name(t)));
		x = json_object_get(c, "sd");
		if (x) {
			const char *s = json_string_value(x);

			at(w, sizeof w, base, ".sd");
			if (!s || !(in_list(s, (const char *const[]){ "allowed", "always", "never", NULL })))
				find(f, w, "expected always, allowed or never");
			else if (fmt != VCI_FORMAT_SDJWT && strcmp(s, "allowed"))
				find(f, w, "selective disclosure is set only for dc+sd-jwt");
		}
		if (fmt == VCI_FORMAT_SDJWT)
			json_object_set_new(o, "sd", json_string(json_is_string(x) &&
					    in_list(json_string_value(x), sd_names) ?
					    json_string_value(x) : "allowed"));
		x = json_object_get(c, "svg_id");
		if (x) {
			at(w, sizeof w, base, ".svg_id");
			if (!json_is_string(x) || !is_svg_id(json_string_value(x)))
				find(f, w, "expected an identifier [A-Za-z_][A-Za-z0-9_]*");
			else if (fmt != VCI_FORMAT_SDJWT)
				find(f, w, "only for dc+sd-jwt");
			else {
				for (size_t j = 0; j < json_array_size(out); j++)
					if (json_equal(json_object_get(json_array_get(out, j), "svg_id"), x))
						find(f, w, "%s is used twice", json_string_value(x));
				json_object_set_new(o, "svg_id", json_copy((json_t *)x));
			}
		}
		x = json_object_get(c, "display");
		if (x)
			json_object_set_new(o, "display",
					    norm_claim_display(f, x, at(w, sizeof w, base, ".display")));
		json_array_append_new(out, o);
	}
	node_free(root);
	return out;
}

static json_t *norm_strings(findings_t *f, const json_t *v, const char *where, int (*ok)(const char *),
			    const char *what)
{
	json_t *out = json_array();
	char w[256];

	if (!json_is_array(v) || json_array_size(v) == 0) {
		find(f, where, "expected a non-empty array of strings");
		return out;
	}
	for (size_t i = 0; i < json_array_size(v); i++) {
		const json_t *s = json_array_get(v, i);

		at(w, sizeof w, where, "[%zu]", i);
		if (!json_is_string(s)) {
			find(f, w, "expected a string");
			continue;
		}
		if (ok && !ok(json_string_value(s))) {
			find(f, w, "%s is not %s", json_string_value(s), what);
			continue;
		}
		for (size_t j = 0; j < json_array_size(out); j++)
			if (json_equal(json_array_get(out, j), s)) {
				find(f, w, "%s appears more than once", json_string_value(s));
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

static json_t *norm_key_binding(findings_t *f, const json_t *v, vci_format_t fmt)
{
	static const char *const known[] = { "methods", "proof_algs", "key_attestation_required", NULL };
	json_t *o, *x;
	const json_t *ka;

	if (!json_is_object(v)) {
		find(f, "key_binding", "expected an object {methods, proof_algs, key_attestation_required} or null");
		return NULL;
	}
	unknown_fields(f, v, known, "key_binding");
	o = json_object();
	if (!json_object_get(v, "methods"))
		find(f, "key_binding.methods", "missing");
	else {
		x = norm_strings(f, json_object_get(v, "methods"), "key_binding.methods",
				 vci_defn_is_binding_method, "a binding method (jwk, cose_key, did:METHOD)");
		for (size_t i = 0; i < json_array_size(x); i++) {
			const char *m = json_string_value(json_array_get(x, i));
			char w[64];

			snprintf(w, sizeof w, "key_binding.methods[%zu]", i);
			if (fmt == VCI_FORMAT_MDOC && strcmp(m, "cose_key"))
				find(f, w, "mso_mdoc binds keys with cose_key");
			else if (fmt != VCI_FORMAT_MDOC && !strcmp(m, "cose_key"))
				find(f, w, "cose_key is for mso_mdoc");
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
		find(f, "key_binding.key_attestation_required",
		     "expected true, false or {key_storage, user_authentication}");
	}
	return o;
}

static json_t *norm_signing_algs(findings_t *f, const json_t *v, vci_format_t fmt)
{
	json_t *out = json_array();
	char w[64];

	if (!json_is_array(v) || !json_array_size(v)) {
		find(f, "signing_algs", "expected a non-empty array of algorithm names");
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
			find(f, w, "not a known signature algorithm");
	}
	return out;
}

static int is_vc_base_context(const char *s)
{
	return s && (!strcmp(s, "https://www.w3.org/2018/credentials/v1") ||
		     !strcmp(s, "https://www.w3.org/ns/credentials/v2"));
}

static json_t *normalise(const json_t *doc, findings_t *f)
{
	json_t *out, *x;
	const json_t *v;
	vci_format_t fmt = VCI_FORMAT_NONE;
	const char *fs;

	if (!json_is_object(doc)) {
		find(f, "", "a definition is a JSON object");
		return NULL;
	}
	out = json_object();
	unknown_fields(f, doc, top_fields, "");
	if ((x = norm_string(f, json_object_get(doc, "id"), "id", 1)))
		json_object_set_new(out, "id", x);
	v = json_object_get(doc, "format");
	fs = json_string_value(v);
	if (!v)
		find(f, "format", "missing");
	else if (fs && !strcmp(fs, "vc+sd-jwt"))
		find(f, "format", "vc+sd-jwt is the pre-final name of dc+sd-jwt");
	else if ((fmt = vci_format_parse(fs, 0)) == VCI_FORMAT_NONE)
		find(f, "format", "unknown format %s%s%s (dc+sd-jwt, mso_mdoc or jwt_vc_json)",
		     fs ? "\"" : "", fs ? fs : "(not a string)", fs ? "\"" : "");
	if (fmt)
		json_object_set_new(out, "format", json_string(vci_format_name(fmt)));

	/* the type of credential, per format */
	v = json_object_get(doc, "vct");
	if (fmt == VCI_FORMAT_SDJWT) {
		if ((x = norm_string(f, v, "vct", 1)))
			json_object_set_new(out, "vct", x);
	} else if (v && fmt) {
		find(f, "vct", "only for dc+sd-jwt");
	}
	v = json_object_get(doc, "doctype");
	if (fmt == VCI_FORMAT_MDOC) {
		if ((x = norm_string(f, v, "doctype", 1)))
			json_object_set_new(out, "doctype", x);
	} else if (v && fmt) {
		find(f, "doctype", "only for mso_mdoc");
	}
	v = json_object_get(doc, "type");
	if (fmt == VCI_FORMAT_JWTVC) {
		const json_t *ctx = json_object_get(doc, "@context");

		if (!v) {
			find(f, "type", "missing");
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
				find(f, "type", "name the credential type after VerifiableCredential");
			json_object_set_new(out, "type", x);
		}
		if (ctx) {
			x = norm_strings(f, ctx, "@context", is_uri, "a URI");
			if (json_array_size(x) && !is_vc_base_context(json_string_value(json_array_get(x, 0))))
				find(f, "@context[0]", "expected the W3C VC base context");
		} else {
			x = json_pack("[s]", "https://www.w3.org/2018/credentials/v1");
		}
		json_object_set_new(out, "@context", x);
	} else if (fmt) {
		if (v)
			find(f, "type", "only for jwt_vc_json");
		if (json_object_get(doc, "@context"))
			find(f, "@context", "only for jwt_vc_json");
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
			find(f, "scope", "not a scope token");
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

		if (!s || !in_list(s, status_names))
			find(f, "status", "expected none, token_status_list or bitstring_status_list");
		else if (!strcmp(s, "bitstring_status_list") && fmt && fmt != VCI_FORMAT_JWTVC)
			find(f, "status", "bitstring_status_list is for jwt_vc_json; %s uses token_status_list",
			     vci_format_name(fmt));
	}
	json_object_set_new(out, "status",
			    json_string(json_is_string(v) && in_list(json_string_value(v), status_names) ?
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
	return out;
}

json_t *vci_defn_normalise(const json_t *doc, vci_err_t *err)
{
	findings_t f = { json_array(), 0 };
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
	findings_t f = { findings, 0 };
	json_t *out = normalise(doc, &f);

	/* beyond validity: what wallets and profiles expect */
	if (out && !json_object_get(doc, "scope"))
		find(&f, "scope", "missing (HAIP requires a scope for every configuration)");
	if (out && !json_array_size(json_object_get(out, "display")))
		find(&f, "display", "missing (wallets show the credential by this name)");
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
		vci_err_set(err, VCI_EXIT_IO, "io_error", "out of memory");
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
	kb = json_object_get(n, "key_binding");
	if (kb) {
		json_t *ka = json_object_get(kb, "key_attestation_required");

		d->key_binding = 1;
		d->binding_methods = json_object_get(kb, "methods");
		d->proof_algs = json_object_get(kb, "proof_algs");
		d->key_attestation = json_is_object(ka) ? ka : NULL;
	}
	claims = json_object_get(n, "claims");
	d->nclaims = json_array_size(claims);
	d->claims = calloc(d->nclaims ? d->nclaims : 1, sizeof *d->claims);
	if (!d->claims) {
		vci_defn_free(d);
		vci_err_set(err, VCI_EXIT_IO, "io_error", "out of memory");
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
		vtype_parse(json_string_value(json_object_get(c, "value_type")), &dc->type);
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
		return vci_err_set(err, VCI_EXIT_IO, "io_error", "out of memory");
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

/* ------------------------------------------------------------------ */
/* Claims validation. */

typedef struct cname {
	char buf[512];
	size_t len;
} cname_t;

static int is_ident(const char *s)
{
	if (!*s || isdigit((unsigned char)*s))
		return 0;
	for (; *s; s++)
		if (!(isalnum((unsigned char)*s) || *s == '_' || *s == '-' || *s == '$' || *s == '@'))
			return 0;
	return 1;
}

/* Append bytes, cut at the buffer's end as snprintf would. */
static void name_put(cname_t *n, const char *s, size_t len)
{
	size_t room = sizeof n->buf - 1 - n->len;

	if (len > room)
		len = room;
	memcpy(n->buf + n->len, s, len);
	n->len += len;
	n->buf[n->len] = '\0';
}

/* Every claim checked extends the name, so no printf here. */
static size_t name_key(cname_t *n, const char *key)
{
	size_t old = n->len;

	if (old >= sizeof n->buf - 1)
		return old;
	if (is_ident(key)) {
		name_put(n, ".", 1);
		name_put(n, key, strlen(key));
	} else {
		name_put(n, "[\"", 2);
		name_put(n, key, strlen(key));
		name_put(n, "\"]", 2);
	}
	return old;
}

static size_t name_index(cname_t *n, size_t i, int all)
{
	size_t old = n->len;
	int w;

	if (old >= sizeof n->buf - 1)
		return old;
	w = all ? snprintf(n->buf + old, sizeof n->buf - old, "[*]")
		: snprintf(n->buf + old, sizeof n->buf - old, "[%zu]", i);
	n->len = w < 0 ? old : (old + (size_t)w >= sizeof n->buf ? sizeof n->buf - 1 : old + (size_t)w);
	return old;
}

static void name_cut(cname_t *n, size_t len)
{
	n->len = len;
	n->buf[len] = '\0';
}

static void name_rest(cname_t *n, const vci_defn_claim_t *c, size_t from)
{
	for (size_t i = from; i < c->nelems; i++) {
		if (c->elems[i].kind == VCI_PATH_KEY)
			name_key(n, c->elems[i].key);
		else
			name_index(n, c->elems[i].index, c->elems[i].kind == VCI_PATH_ALL);
	}
}

/* A value as shown in messages: JSON, cut short. */
static void show(const json_t *v, char *out, size_t sz)
{
	char *s;

	if (json_is_object(v)) {
		snprintf(out, sz, "an object");
		return;
	}
	if (json_is_array(v)) {
		snprintf(out, sz, "an array");
		return;
	}
	s = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
	if (!s) {
		snprintf(out, sz, "a value");
		return;
	}
	if (strlen(s) > 64)
		snprintf(out, sz, "%.60s...", s);
	else
		snprintf(out, sz, "%s", s);
	free(s);
}

typedef struct cctx {
	const vci_defn_t *d;
	unsigned flags;
	vci_err_t *err;
	cname_t name;
} cctx_t;

static int bad(cctx_t *x, const char *fmt, ...) VCI_PRINTF(2, 3);
static int bad(cctx_t *x, const char *fmt, ...)
{
	char msg[400];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	return vci_err_set(x->err, VCI_EXIT_FAIL, "invalid_claims", "%s: %s", x->name.buf, msg);
}

static int expected(cctx_t *x, vci_vtype_t t, const json_t *v)
{
	char got[96];

	show(v, got, sizeof got);
	return bad(x, "expected %s, got %s", vtype_expect(t), got);
}

/* Convert a CSV cell to the claim's type; NULL if it does not convert. */
static json_t *coerce(const char *s, vci_vtype_t t)
{
	char *end;

	switch (t) {
	case VCI_VTYPE_INTEGER: {
		long long v;

		if (!*s || isspace((unsigned char)*s) || *s == '+')
			return NULL;
		errno = 0;
		v = strtoll(s, &end, 10);
		if (errno || *end)
			return NULL;
		return json_integer((json_int_t)v);
	}
	case VCI_VTYPE_NUMBER: {
		double v;

		if (!*s || isspace((unsigned char)*s) || *s == '+')
			return NULL;
		if (!strpbrk(s, ".eE"))
			return coerce(s, VCI_VTYPE_INTEGER);
		errno = 0;
		v = strtod(s, &end);
		if (errno || *end || !isfinite(v) || strpbrk(s, "xXnN"))
			return NULL;
		return json_real(v);
	}
	case VCI_VTYPE_BOOLEAN:
		if (!strcasecmp(s, "true"))
			return json_true();
		if (!strcasecmp(s, "false"))
			return json_false();
		return NULL;
	case VCI_VTYPE_OBJECT:
	case VCI_VTYPE_ARRAY: {
		json_t *j = json_loads(s, JSON_REJECT_DUPLICATES, NULL);

		if (j && ((t == VCI_VTYPE_OBJECT) != !!json_is_object(j) ||
			  (t == VCI_VTYPE_ARRAY) != !!json_is_array(j))) {
			json_decref(j);
			j = NULL;
		}
		return j;
	}
	default:
		return NULL;
	}
}

static int type_ok(const json_t *v, vci_vtype_t t)
{
	const char *s = json_string_value(v);

	switch (t) {
	case VCI_VTYPE_ANY: return 1;
	case VCI_VTYPE_STRING: return s != NULL;
	case VCI_VTYPE_INTEGER: return json_is_integer(v);
	case VCI_VTYPE_NUMBER: return json_is_number(v);
	case VCI_VTYPE_BOOLEAN: return json_is_boolean(v);
	case VCI_VTYPE_DATE: return vci_defn_is_full_date(s);
	case VCI_VTYPE_DATETIME: return vci_defn_is_datetime(s);
	case VCI_VTYPE_OBJECT: return json_is_object(v);
	case VCI_VTYPE_ARRAY: return json_is_array(v);
	case VCI_VTYPE_IMAGE: return s && (vci_defn_is_data_uri(s, "image/") ||
					  (strncasecmp(s, "data:", 5) && vci_defn_is_base64(s)));
	case VCI_VTYPE_BYTES: return s && (vci_defn_is_data_uri(s, NULL) || vci_defn_is_base64(s));
	}
	return 0;
}

static int check_value(cctx_t *x, json_t *container, const char *key, size_t idx, json_t *v,
		       const vci_defn_claim_t *c)
{
	json_t *nv;

	if (type_ok(v, c->type))
		return 0;
	if (!(x->flags & VCI_DEFN_COERCE) || !json_is_string(v) ||
	    !(nv = coerce(json_string_value(v), c->type)))
		return expected(x, c->type, v);
	if (key)
		json_object_set_new(container, key, nv);
	else
		json_array_set_new(container, idx, nv);
	return 0;
}

static int resolve(cctx_t *x, json_t *cur, const vci_defn_claim_t *c, size_t i)
{
	const vci_path_elem_t *e = &c->elems[i];
	int last = i + 1 == c->nelems;
	size_t mark = x->name.len;
	json_t *v;
	char got[96];
	int rc = 0;

	if (e->kind == VCI_PATH_KEY) {
		if (!json_is_object(cur)) {
			show(cur, got, sizeof got);
			return bad(x, "expected an object, got %s", got);
		}
		name_key(&x->name, e->key);
		v = json_object_get(cur, e->key);
		if (!v) {
			if (c->mandatory) {
				name_rest(&x->name, c, i + 1);
				return bad(x, "missing mandatory claim");
			}
		} else {
			rc = last ? check_value(x, cur, e->key, 0, v, c) : resolve(x, v, c, i + 1);
		}
		name_cut(&x->name, mark);
		return rc;
	}
	if (!json_is_array(cur)) {
		show(cur, got, sizeof got);
		return bad(x, "expected an array, got %s", got);
	}
	if (e->kind == VCI_PATH_INDEX) {
		name_index(&x->name, e->index, 0);
		v = json_array_get(cur, e->index);
		if (!v) {
			if (c->mandatory) {
				name_rest(&x->name, c, i + 1);
				return bad(x, "missing mandatory claim");
			}
		} else {
			rc = last ? check_value(x, cur, NULL, e->index, v, c) : resolve(x, v, c, i + 1);
		}
		name_cut(&x->name, mark);
		return rc;
	}
	for (size_t j = 0; rc == 0 && j < json_array_size(cur); j++) {
		name_index(&x->name, j, 0);
		v = json_array_get(cur, j);
		rc = last ? check_value(x, cur, NULL, j, v, c) : resolve(x, v, c, i + 1);
		name_cut(&x->name, mark);
	}
	return rc;
}

static const vci_defn_node_t *kid_key(const vci_defn_node_t *n, const char *key)
{
	for (size_t i = 0; i < n->nkids; i++)
		if (n->kids[i]->kind == VCI_PATH_KEY && !strcmp(n->kids[i]->key, key))
			return n->kids[i];
	return NULL;
}

static const vci_defn_node_t *kid_elem(const vci_defn_node_t *n, size_t idx)
{
	for (size_t i = 0; i < n->nkids; i++)
		if (n->kids[i]->kind == VCI_PATH_ALL ||
		    (n->kids[i]->kind == VCI_PATH_INDEX && n->kids[i]->index == idx))
			return n->kids[i];
	return NULL;
}

/* Every member must be described (a described claim covers its subtree). */
static int unknown(cctx_t *x, const json_t *v, const vci_defn_node_t *n)
{
	size_t mark = x->name.len;
	int rc = 0;

	if (n->claim >= 0)
		return 0;
	if (json_is_object(v)) {
		const char *k;
		json_t *m;

		json_object_foreach((json_t *)v, k, m) {
			const vci_defn_node_t *c = kid_key(n, k);

			name_key(&x->name, k);
			rc = c ? unknown(x, m, c) : bad(x, "not in the definition of %s", x->d->id);
			name_cut(&x->name, mark);
			if (rc)
				return rc;
		}
	} else if (json_is_array(v)) {
		for (size_t j = 0; j < json_array_size(v); j++) {
			const vci_defn_node_t *c = kid_elem(n, j);

			name_index(&x->name, j, 0);
			rc = c ? unknown(x, json_array_get(v, j), c)
			       : bad(x, "not in the definition of %s", x->d->id);
			name_cut(&x->name, mark);
			if (rc)
				return rc;
		}
	}
	return 0;
}

/* CSV column names split mdoc namespaces at their dots
 * ("org.iso.18013.5.1.family_name" became org -> iso -> ... ): put the
 * data elements back under the namespace. */
static void fold_namespace(json_t *claims, const char *ns)
{
	char buf[256], *parts[32], *save = NULL, *p;
	json_t *objs[32];
	size_t n = 0;

	if (!strchr(ns, '.') || strlen(ns) >= sizeof buf)
		return;
	snprintf(buf, sizeof buf, "%s", ns);
	for (p = strtok_r(buf, ".", &save); p && n < 32; p = strtok_r(NULL, ".", &save))
		parts[n++] = p;
	if (n < 2 || p)
		return;
	objs[0] = claims;
	for (size_t i = 0; i < n; i++) {
		json_t *next = json_object_get(objs[i], parts[i]);

		if (!json_is_object(next))
			return;
		if (i + 1 < n)
			objs[i + 1] = next;
		else {
			json_t *dst = json_object_get(claims, ns);

			json_incref(next);
			json_object_del(objs[i], parts[i]);
			if (json_is_object(dst))
				json_object_update_missing(dst, next);
			else
				json_object_set(claims, ns, next);
			json_decref(next);
		}
	}
	/* prune the now empty intermediate objects, deepest first */
	for (size_t i = n - 1; i > 0; i--) {
		json_t *o = json_object_get(objs[i - 1], parts[i - 1]);

		if (json_is_object(o) && json_object_size(o) == 0)
			json_object_del(objs[i - 1], parts[i - 1]);
	}
}

static void fold_mdoc(const vci_defn_t *d, json_t *claims)
{
	const vci_defn_node_t *root = d->tree;
	const char *k;
	json_t *v, *tmp;

	/* longest first: "org.iso.18013.5.1.aamva" before "org.iso.18013.5.1" */
	int done[64] = { 0 };

	for (size_t round = 0; round < root->nkids && round < 64; round++) {
		size_t best = root->nkids, blen = 0;

		for (size_t i = 0; i < root->nkids && i < 64; i++) {
			size_t len = root->kids[i]->kind == VCI_PATH_KEY ? strlen(root->kids[i]->key) : 0;

			if (!done[i] && len > blen) {
				best = i;
				blen = len;
			}
		}
		if (best == root->nkids)
			break;
		done[best] = 1;
		if (!json_object_get(claims, root->kids[best]->key))
			fold_namespace(claims, root->kids[best]->key);
	}
	/* data elements given without their namespace */
	json_object_foreach_safe(claims, tmp, k, v) {
		const vci_defn_node_t *ns = NULL;
		int matches = 0;

		if (kid_key(root, k))
			continue;
		for (size_t i = 0; i < root->nkids; i++)
			if (root->kids[i]->kind == VCI_PATH_KEY && kid_key(root->kids[i], k)) {
				ns = root->kids[i];
				matches++;
			}
		if (matches == 1) {
			json_t *dst = json_object_get(claims, ns->key);

			if (!dst) {
				dst = json_object();
				json_object_set_new(claims, ns->key, dst);
			}
			if (json_is_object(dst) && !json_object_get(dst, k)) {
				json_object_set(dst, k, v);
				json_object_del(claims, k);
			}
		}
	}
}

int vci_defn_check_claims(const vci_defn_t *d, json_t *claims, unsigned flags, vci_err_t *err)
{
	cctx_t x = { .d = d, .flags = flags, .err = err };

	snprintf(x.name.buf, sizeof x.name.buf, "claims");
	x.name.len = 6;
	if (!json_is_object(claims)) {
		char got[96];

		if (!claims)
			return vci_err_set(err, VCI_EXIT_FAIL, "invalid_claims", "claims: missing");
		show(claims, got, sizeof got);
		return bad(&x, "expected an object, got %s", got);
	}
	if (d->format == VCI_FORMAT_MDOC && (flags & (VCI_DEFN_COERCE | VCI_DEFN_FOLD)))
		fold_mdoc(d, claims);
	for (size_t i = 0; i < d->nclaims; i++)
		if (resolve(&x, claims, &d->claims[i], 0) < 0)
			return -1;
	if (d->format == VCI_FORMAT_SDJWT) {
		const char *k;
		json_t *v;

		json_object_foreach(claims, k, v) {
			if (in_list(k, sdjwt_reserved)) {
				name_key(&x.name, k);
				return bad(&x, "set by the issuer, not a claim");
			}
		}
	}
	if (!d->allow_unknown_claims && unknown(&x, claims, d->tree) < 0)
		return -1;
	return 0;
}

const vci_defn_claim_t *vci_defn_claim_find(const vci_defn_t *d, const char *const *path)
{
	const vci_defn_node_t *n = d->tree;

	for (size_t i = 0; n && path[i]; i++) {
		const vci_defn_node_t *c = kid_key(n, path[i]);

		if (!c && *path[i] && strspn(path[i], "0123456789") == strlen(path[i]))
			c = kid_elem(n, (size_t)strtoull(path[i], NULL, 10));
		n = c;
	}
	return n && n->claim >= 0 ? &d->claims[n->claim] : NULL;
}

const vci_defn_node_t *vci_defn_root(const vci_defn_t *d)
{
	return d ? d->tree : NULL;
}

const vci_defn_node_t *vci_defn_node_key(const vci_defn_node_t *n, const char *key)
{
	return n && key ? kid_key(n, key) : NULL;
}

const vci_defn_node_t *vci_defn_node_elem(const vci_defn_node_t *n, size_t idx)
{
	return n ? kid_elem(n, idx) : NULL;
}

const vci_defn_claim_t *vci_defn_node_claim(const vci_defn_t *d, const vci_defn_node_t *n)
{
	return d && n && n->claim >= 0 ? &d->claims[n->claim] : NULL;
}

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
	if (json_is_string(vt) && vtype_parse(json_string_value(vt), &t) == 0) {
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
		if (in_list(k, props))
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
	"namespace", NULL,
};

static const struct {
	const char *field, *why;
} a_dropped[] = {
	{ "validationPath", "claims are validated against the definition's claims" },
	{ "version", "the metadata shape is chosen with --draft13" },
	{ "kid", "the signing key is given to the signing tools" },
	{ "trustAnchor", "no meaning here" },
	{ "enforceCredentialUniqueness", "no meaning here" },
	{ "supportCredentialReissuance", "no meaning here" },
	{ "createdAt", "no meaning here" },
	{ "updatedAt", "no meaning here" },
};

static const json_t *a_get(const json_t *e, const json_t *parent, const char *k)
{
	const json_t *v = get(e, k);

	if (!v && parent && in_list(k, a_inherit))
		v = get(parent, k);
	return v;
}

static json_t *import_a_one(const json_t *e, const json_t *parent, const char *pfx, imp_t *m,
			    vci_err_t *err)
{
	json_t *d = json_object();
	const json_t *v, *cd;
	const char *fs = str(e, "credentialFormat");
	vci_format_t fmt = import_format(fs, m, "credentialFormat");
	const char *ns;
	char f[256];
	const char *k;

	if (!fmt) {
		json_decref(d);
		vci_err_set(err, VCI_EXIT_INPUT, "invalid_definition", "%scredentialFormat: %s",
			    pfx, fs ? "unknown format" : "missing");
		return NULL;
	}
	/* fields with no meaning, and unknown ones */
	json_object_foreach((json_t *)e, k, v) {
		size_t i;

		if (!strcmp(k, "credentialDefinitions"))
			continue;
		for (i = 0; i < sizeof a_dropped / sizeof a_dropped[0]; i++)
			if (!strcmp(k, a_dropped[i].field))
				break;
		if (i < sizeof a_dropped / sizeof a_dropped[0])
			dropped(m, pfx, k, a_dropped[i].why);
		else if (!in_list(k, a_fields))
			dropped(m, pfx, k, "unknown field");
	}
	if ((v = get(e, "credentialDefinitionId")))
		json_object_set(d, "id", (json_t *)v);
	else if ((v = get(e, "scope")) && json_is_string(v))
		json_object_set(d, "id", (json_t *)v);
	json_object_set_new(d, "format", json_string(vci_format_name(fmt)));
	ns = json_string_value(a_get(e, parent, "namespace"));
	cd = get(e, "credentialDefinition");
	switch (fmt) {
	case VCI_FORMAT_SDJWT:
		if ((v = get(e, "vct")))
			json_object_set(d, "vct", (json_t *)v);
		break;
	case VCI_FORMAT_MDOC:
		if ((v = get(e, "doctype")))
			json_object_set(d, "doctype", (json_t *)v);
		if (!ns && json_is_string(v))
			ns = json_string_value(v);
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
	if (!json_object_get(d, "id")) {
		const char *base = json_string_value(json_object_get(d, "vct"));

		if (!base)
			base = json_string_value(json_object_get(d, "doctype"));
		if (!base && json_array_size(json_object_get(d, "type")))
			base = json_string_value(json_array_get(json_object_get(d, "type"),
								 json_array_size(json_object_get(d, "type")) - 1));
		json_object_set_new(d, "id", slug(base ? base : str(e, "label")));
	}
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
	/* claims */
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
	if ((v = a_get(e, parent, "expirationInDays"))) {
		if (json_is_integer(v) && json_integer_value(v) > 0)
			json_object_set(d, "expiry_days", (json_t *)v);
		else
			noted(m, pfx, "expirationInDays", "not a positive number of days: 30");
	}
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
	if ((v = a_get(e, parent, "enforceWUA")) && json_is_boolean(v))
		json_object_set(d, "wallet_attestation_required", (json_t *)v);
	if ((v = a_get(e, parent, "credentialBindingMethods"))) {
		json_t *methods;

		snprintf(f, sizeof f, "%scredentialBindingMethods", pfx);
		methods = import_binding(v, fmt, m, f);
		if (json_array_size(methods))
			json_object_set_new(d, "key_binding",
					    json_pack("{s:o,s:[s]}", "methods", methods, "proof_algs", "ES256"));
		else
			json_decref(methods);
	}
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
			if (!in_list(k, a_fields))
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
		else if (!in_list(k, c_fields))
			dropped(m, "", k, "unknown field");
	}
	json_object_foreach((json_t *)fd, k, v) {
		if (!in_list(k, c_fields) && strcmp(k, "types") && strcmp(k, "context"))
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

size_t vci_defn_lint_paths(const json_t *claims, vci_format_t fmt, const char *where,
			   json_t *findings)
{
	findings_t f = { findings, 0 };
	vci_defn_node_t *root = node_new();
	char w[256];

	if (!json_is_array(claims)) {
		find(&f, where, "expected an array of claim descriptions");
		node_free(root);
		return f.n;
	}
	for (size_t i = 0; i < json_array_size(claims); i++) {
		const json_t *c = json_array_get(claims, i);
		vci_path_elem_t *e = NULL;
		size_t ne;
		const char *why;

		at(w, sizeof w, where, "[%zu].path", i);
		if (!json_is_object(c)) {
			find(&f, at(w, sizeof w, where, "[%zu]", i), "expected an object");
			continue;
		}
		if (!json_object_get(c, "path"))
			find(&f, w, "missing");
		else if (path_elems(json_object_get(c, "path"), fmt, &e, &ne, &why) < 0)
			find(&f, w, "%s", why);
		else if (root && (why = tree_insert(root, e, ne, (long)i)))
			find(&f, w, "%s", why);
		free(e);
	}
	node_free(root);
	return f.n;
}
