/* mdoc.c - ISO/IEC 18013-5 IssuerSigned: element types and encoding,
 * COSE_Key, and issuing with a prepared thread-safe issuer (verifying is
 * in mdoc-verify.c). Encoding writes CBOR bytes directly (vci_buf_t). */
#include "mdoc.h"
#include "mdoc-int.h"
#include "base/arena.h"
#include "crypto/rand.h"
#include "base/b64url.h"
#include "crypto/keys.h"

#include <pthread.h>
#include <string.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/obj_mac.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

#define RANDOM_LEN 32
#define MAX_ITEMS 4096
#define MAX_DEPTH 16
/* Append a string literal's bytes. */
#define RAW(b, lit) vci_cbuf_raw((b), (lit), sizeof(lit) - 1)

/* ---- element types ---- */

const char *vci_mdoc_type_name(vci_mdoc_type_t t)
{
	static const char *const names[] = {
		[VCI_MDOC_ANY] = "any",
		[VCI_MDOC_TSTR] = "tstr",
		[VCI_MDOC_UINT] = "uint",
		[VCI_MDOC_INT] = "int",
		[VCI_MDOC_NUMBER] = "number",
		[VCI_MDOC_BOOL] = "bool",
		[VCI_MDOC_BSTR] = "bstr",
		[VCI_MDOC_FULL_DATE] = "full-date",
		[VCI_MDOC_TDATE] = "tdate",
		[VCI_MDOC_DATE] = "full-date or tdate",
		[VCI_MDOC_ARRAY] = "array",
		[VCI_MDOC_MAP] = "map",
		[VCI_MDOC_TSTR_ARRAY] = "array of tstr",
		[VCI_MDOC_TSTR_MAP] = "map of tstr",
		[VCI_MDOC_DRIVING_PRIVILEGES] = "driving_privileges",
	};

	return (size_t)t < sizeof names / sizeof names[0] ? names[t] : "?";
}

struct known {
	const char *name;
	vci_mdoc_type_t type;
};

/* ISO/IEC 18013-5 section 7.2.1 (mDL data elements). */
static const struct known mdl_elements[] = {
	{ "family_name", VCI_MDOC_TSTR },
	{ "given_name", VCI_MDOC_TSTR },
	{ "birth_date", VCI_MDOC_FULL_DATE },
	{ "issue_date", VCI_MDOC_DATE },
	{ "expiry_date", VCI_MDOC_DATE },
	{ "issuing_country", VCI_MDOC_TSTR },
	{ "issuing_authority", VCI_MDOC_TSTR },
	{ "document_number", VCI_MDOC_TSTR },
	{ "portrait", VCI_MDOC_BSTR },
	{ "driving_privileges", VCI_MDOC_DRIVING_PRIVILEGES },
	{ "un_distinguishing_sign", VCI_MDOC_TSTR },
	{ "administrative_number", VCI_MDOC_TSTR },
	{ "sex", VCI_MDOC_UINT },
	{ "height", VCI_MDOC_UINT },
	{ "weight", VCI_MDOC_UINT },
	{ "eye_colour", VCI_MDOC_TSTR },
	{ "hair_colour", VCI_MDOC_TSTR },
	{ "birth_place", VCI_MDOC_TSTR },
	{ "resident_address", VCI_MDOC_TSTR },
	{ "portrait_capture_date", VCI_MDOC_TDATE },
	{ "age_in_years", VCI_MDOC_UINT },
	{ "age_birth_year", VCI_MDOC_UINT },
	{ "issuing_jurisdiction", VCI_MDOC_TSTR },
	{ "nationality", VCI_MDOC_TSTR },
	{ "resident_city", VCI_MDOC_TSTR },
	{ "resident_state", VCI_MDOC_TSTR },
	{ "resident_postal_code", VCI_MDOC_TSTR },
	{ "resident_country", VCI_MDOC_TSTR },
	{ "family_name_national_character", VCI_MDOC_TSTR },
	{ "given_name_national_character", VCI_MDOC_TSTR },
	{ "signature_usual_mark", VCI_MDOC_BSTR },
	{ NULL, VCI_MDOC_ANY },
};

/* EU PID Rulebook (Annex 3.01) section 3. */
static const struct known pid_elements[] = {
	{ "family_name", VCI_MDOC_TSTR },
	{ "given_name", VCI_MDOC_TSTR },
	{ "birth_date", VCI_MDOC_FULL_DATE },
	{ "place_of_birth", VCI_MDOC_TSTR_MAP },
	{ "nationality", VCI_MDOC_TSTR_ARRAY },
	{ "resident_address", VCI_MDOC_TSTR },
	{ "resident_country", VCI_MDOC_TSTR },
	{ "resident_state", VCI_MDOC_TSTR },
	{ "resident_city", VCI_MDOC_TSTR },
	{ "resident_postal_code", VCI_MDOC_TSTR },
	{ "resident_street", VCI_MDOC_TSTR },
	{ "resident_house_number", VCI_MDOC_TSTR },
	{ "personal_administrative_number", VCI_MDOC_TSTR },
	{ "portrait", VCI_MDOC_BSTR },
	{ "family_name_birth", VCI_MDOC_TSTR },
	{ "given_name_birth", VCI_MDOC_TSTR },
	{ "sex", VCI_MDOC_UINT },
	{ "email_address", VCI_MDOC_TSTR },
	{ "mobile_phone_number", VCI_MDOC_TSTR },
	{ "expiry_date", VCI_MDOC_DATE },
	{ "issuance_date", VCI_MDOC_DATE },
	{ "issuing_authority", VCI_MDOC_TSTR },
	{ "issuing_country", VCI_MDOC_TSTR },
	{ "document_number", VCI_MDOC_TSTR },
	{ "issuing_jurisdiction", VCI_MDOC_TSTR },
	{ "trust_anchor", VCI_MDOC_TSTR },
	{ "attestation_legal_category", VCI_MDOC_TSTR },
	{ NULL, VCI_MDOC_ANY },
};

static int is_age_over(const char *e)
{
	size_t n = strlen(e);

	return n == 11 && !strncmp(e, "age_over_", 9) && e[9] >= '0' && e[9] <= '9' &&
	       e[10] >= '0' && e[10] <= '9';
}

vci_mdoc_type_t vci_mdoc_known_type(const char *ns, const char *element)
{
	const struct known *t;

	if (!ns || !element)
		return VCI_MDOC_ANY;
	if (!strcmp(ns, VCI_MDOC_NS_MDL)) {
		if (is_age_over(element))
			return VCI_MDOC_BOOL;
		if (!strncmp(element, "biometric_template_", 19))
			return VCI_MDOC_BSTR;
		t = mdl_elements;
	} else if (!strcmp(ns, VCI_MDOC_NS_PID)) {
		t = pid_elements;
	} else {
		return VCI_MDOC_ANY;
	}
	for (; t->name; t++)
		if (!strcmp(t->name, element))
			return t->type;
	return VCI_MDOC_ANY;
}

vci_mdoc_type_t vci_mdoc_element_type(const vci_defn_t *d, const char *ns, const char *element)
{
	for (size_t i = 0; d && i < d->nclaims; i++) {
		const vci_defn_claim_t *c = &d->claims[i];
		vci_mdoc_type_t known;

		if (c->nelems != 2 || c->elems[0].kind != VCI_PATH_KEY ||
		    c->elems[1].kind != VCI_PATH_KEY || strcmp(c->elems[1].key, element) ||
		    strcmp(c->elems[0].key, ns))
			continue;
		switch (c->type) {
		case VCI_VTYPE_STRING: return VCI_MDOC_TSTR;
		case VCI_VTYPE_NUMBER: return VCI_MDOC_NUMBER;
		case VCI_VTYPE_BOOLEAN: return VCI_MDOC_BOOL;
		case VCI_VTYPE_DATE: return VCI_MDOC_FULL_DATE;
		case VCI_VTYPE_DATETIME: return VCI_MDOC_TDATE;
		case VCI_VTYPE_IMAGE:
		case VCI_VTYPE_BYTES: return VCI_MDOC_BSTR;
		default: break;
		}
		known = vci_mdoc_known_type(ns, element);
		switch (c->type) {
		case VCI_VTYPE_INTEGER: return known == VCI_MDOC_UINT ? VCI_MDOC_UINT : VCI_MDOC_INT;
		case VCI_VTYPE_OBJECT: return known == VCI_MDOC_TSTR_MAP ? known : VCI_MDOC_MAP;
		case VCI_VTYPE_ARRAY:
			return known == VCI_MDOC_DRIVING_PRIVILEGES || known == VCI_MDOC_TSTR_ARRAY
				       ? known : VCI_MDOC_ARRAY;
		default: return known;
		}
	}
	return vci_mdoc_known_type(ns, element);
}

/* ---- element encoding ---- */

typedef struct path {
	char buf[256];
	size_t len;
} path_t;

static size_t path_push(path_t *p, const char *fmt, ...) VCI_PRINTF(2, 3);
static size_t path_push(path_t *p, const char *fmt, ...)
{
	size_t old = p->len;
	va_list ap;
	int n;

	if (p->len < sizeof p->buf) {
		va_start(ap, fmt);
		n = vsnprintf(p->buf + p->len, sizeof p->buf - p->len, fmt, ap);
		va_end(ap);
		if (n > 0)
			p->len = p->len + (size_t)n < sizeof p->buf ? p->len + (size_t)n : sizeof p->buf - 1;
	}
	return old;
}

static void path_pop(path_t *p, size_t old)
{
	p->len = old;
	p->buf[old] = '\0';
}

static int type_err(const path_t *p, vci_mdoc_type_t t, const json_t *v, const char *why,
		    vci_err_t *err)
{
	char got[48];
	char *s = vci_json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);

	if (s && strlen(s) > 40)
		snprintf(got, sizeof got, "%.36s...", s);
	else
		snprintf(got, sizeof got, "%s", s ? s : "?");
	if (s && json_is_string(v) && strlen(s) > 40)
		snprintf(got, sizeof got, "%.35s...\"", s);
	free(s);
	return vci_err_set(err, VCI_EXIT_FAIL, "invalid_claims", "%s: expected %s%s%s, got %s", p->buf,
			   vci_mdoc_type_name(t), why ? " " : "", why ? why : "", got);
}

/* base64 (standard or url alphabet, padding optional) or a data: URI. */
static int bytes_decode(const char *s, uint8_t **out, size_t *outlen)
{
	size_t n;
	int url = 0, std = 0, rc;
	char *copy;

	if (!strncmp(s, "data:", 5)) {
		const char *c = strchr(s, ',');

		if (!c || c - s < 12 || strncmp(c - 7, ";base64", 7))
			return -1;
		s = c + 1;
	}
	n = strlen(s);
	while (n && s[n - 1] == '=' && strlen(s) - n < 2)
		n--;
	copy = malloc(n + 1);
	if (!copy)
		return -1;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];

		if (c == '+' || c == '/') {
			std = 1;
			c = c == '+' ? '-' : '_';
		} else if (c == '-' || c == '_') {
			url = 1;
		}
		copy[i] = c;
	}
	copy[n] = '\0';
	/* padding, where given, must be right */
	rc = (url && std) || (n != strlen(s) && (n + strlen(s) - n) % 4) ? -1
	     : vci_b64url_decode(copy, n, out, outlen, NULL);
	free(copy);
	return rc;
}

static int tdate_normalise(const char *s, char buf[21])
{
	json_t *j;
	int64_t t;
	int rc;

	if (!vci_defn_is_datetime(s) || strchr(s, '.'))
		return -1;
	j = json_string(s);
	rc = j ? vci_time_from_json(j, &t) : -1;
	json_decref(j);
	if (rc < 0)
		return -1;
	vci_time_format(t, buf);
	return 0;
}

static int key_cmp(const void *a, const void *b)
{
	const char *x = *(const char *const *)a, *y = *(const char *const *)b;
	size_t lx = strlen(x), ly = strlen(y);

	return lx != ly ? (lx < ly ? -1 : 1) : memcmp(x, y, lx);
}

/* The keys of an object in deterministic CBOR order (by length, then
 * bytewise). *keys malloc'd. */
static int sorted_keys(const json_t *o, const char ***keys, size_t *n)
{
	const char *k;
	json_t *v;
	size_t i = 0;

	*n = json_object_size(o);
	*keys = malloc((*n ? *n : 1) * sizeof **keys);
	if (!*keys)
		return -1;
	json_object_foreach((json_t *)o, k, v)
		(*keys)[i++] = k;
	qsort(*keys, *n, sizeof **keys, key_cmp);
	return 0;
}

static int encode(vci_buf_t *b, const json_t *v, vci_mdoc_type_t t, path_t *p, int depth,
		  vci_err_t *err);

static int encode_map(vci_buf_t *b, const json_t *v, vci_mdoc_type_t t, path_t *p, int depth,
		      vci_err_t *err)
{
	const char **keys;
	size_t n;
	int rc = 0;

	if (!json_is_object(v))
		return type_err(p, t, v, NULL, err);
	if (sorted_keys(v, &keys, &n) < 0)
		return vci_err_oom(err);
	vci_cbuf_head(b, 5, n);
	for (size_t i = 0; i < n && rc == 0; i++) {
		vci_mdoc_type_t vt = VCI_MDOC_ANY;
		int codes = 0;
		size_t old = path_push(p, ".%s", keys[i]);

		if (t == VCI_MDOC_TSTR_MAP)
			vt = VCI_MDOC_TSTR;
		else if (t == VCI_MDOC_DRIVING_PRIVILEGES) {
			/* one privilege: {vehicle_category_code, issue_date, expiry_date, codes} */
			if (!strcmp(keys[i], "vehicle_category_code"))
				vt = VCI_MDOC_TSTR;
			else if (!strcmp(keys[i], "issue_date") || !strcmp(keys[i], "expiry_date"))
				vt = VCI_MDOC_DATE;
			else if (!strcmp(keys[i], "codes"))
				codes = 1; /* an array of {code, sign, value} maps */
		}
		vci_cbuf_str(b, keys[i]);
		if (codes) {
			const json_t *cv = json_object_get(v, keys[i]);
			size_t j;
			json_t *c;

			if (!json_is_array(cv) || !json_array_size(cv)) {
				rc = type_err(p, VCI_MDOC_ARRAY, cv, "of {code, sign, value}", err);
				break;
			}
			vci_cbuf_head(b, 4, json_array_size(cv));
			json_array_foreach(cv, j, c) {
				size_t o2 = path_push(p, "[%zu]", j);

				rc = encode_map(b, c, VCI_MDOC_TSTR_MAP, p, depth + 1, err);
				path_pop(p, o2);
				if (rc)
					break;
			}
		} else {
			rc = encode(b, json_object_get(v, keys[i]), vt, p, depth + 1, err);
		}
		path_pop(p, old);
	}
	free(keys);
	return rc;
}

static int encode(vci_buf_t *b, const json_t *v, vci_mdoc_type_t t, path_t *p, int depth,
		  vci_err_t *err)
{
	if (depth > MAX_DEPTH)
		return vci_err_set(err, VCI_EXIT_FAIL, "invalid_claims", "%s: nested too deep", p->buf);
	switch (t) {
	case VCI_MDOC_ANY:
		switch (json_typeof(v)) {
		case JSON_STRING:
			vci_cbuf_tstr(b, json_string_value(v), json_string_length(v));
			return 0;
		case JSON_INTEGER:
			vci_cbuf_int(b, json_integer_value(v));
			return 0;
		case JSON_REAL:
			return encode(b, v, VCI_MDOC_NUMBER, p, depth, err);
		case JSON_TRUE:
		case JSON_FALSE:
			vci_cbuf_bool(b, json_is_true(v));
			return 0;
		case JSON_NULL:
			vci_cbuf_null(b);
			return 0;
		case JSON_ARRAY:
			return encode(b, v, VCI_MDOC_ARRAY, p, depth, err);
		case JSON_OBJECT:
			return encode_map(b, v, VCI_MDOC_MAP, p, depth, err);
		}
		break;
	case VCI_MDOC_TSTR:
		if (!json_is_string(v))
			return type_err(p, t, v, NULL, err);
		vci_cbuf_tstr(b, json_string_value(v), json_string_length(v));
		return 0;
	case VCI_MDOC_UINT:
	case VCI_MDOC_INT:
		if (!json_is_integer(v) || (t == VCI_MDOC_UINT && json_integer_value(v) < 0))
			return type_err(p, t, v, NULL, err);
		vci_cbuf_int(b, json_integer_value(v));
		return 0;
	case VCI_MDOC_NUMBER:
		if (json_is_integer(v)) {
			vci_cbuf_int(b, json_integer_value(v));
			return 0;
		}
		if (!json_is_real(v))
			return type_err(p, t, v, NULL, err);
		{
			double d = json_real_value(v);
			float f = (float)d;

			if ((double)f == d)
				vci_cbuf_float(b, f);
			else
				vci_cbuf_double(b, d);
		}
		return 0;
	case VCI_MDOC_BOOL:
		if (!json_is_boolean(v))
			return type_err(p, t, v, NULL, err);
		vci_cbuf_bool(b, json_is_true(v));
		return 0;
	case VCI_MDOC_BSTR: {
		uint8_t *bytes = NULL;
		size_t n = 0;

		if (!json_is_string(v) || bytes_decode(json_string_value(v), &bytes, &n) < 0)
			return type_err(p, t, v, "(base64, base64url or a data: URI)", err);
		vci_cbuf_bstr(b, bytes, n);
		free(bytes);
		return 0;
	}
	case VCI_MDOC_FULL_DATE:
	case VCI_MDOC_TDATE:
	case VCI_MDOC_DATE: {
		const char *s = json_string_value(v);
		char buf[21];

		if (s && t != VCI_MDOC_TDATE && vci_defn_is_full_date(s)) {
			vci_cbuf_head(b, 6, TAG_FULL_DATE);
			vci_cbuf_tstr(b, s, 10);
			return 0;
		}
		if (s && t != VCI_MDOC_FULL_DATE && tdate_normalise(s, buf) == 0) {
			vci_cbuf_head(b, 6, TAG_TDATE);
			vci_cbuf_tstr(b, buf, 20);
			return 0;
		}
		return type_err(p, t, v,
				t == VCI_MDOC_FULL_DATE ? "(YYYY-MM-DD)"
				: t == VCI_MDOC_TDATE ? "(an RFC 3339 date-time from 1970 on, no fraction)"
				: "(YYYY-MM-DD or an RFC 3339 date-time without fraction)", err);
	}
	case VCI_MDOC_ARRAY:
	case VCI_MDOC_TSTR_ARRAY:
	case VCI_MDOC_DRIVING_PRIVILEGES: {
		size_t i;
		json_t *e;

		if (!json_is_array(v))
			return type_err(p, t, v, NULL, err);
		vci_cbuf_head(b, 4, json_array_size(v));
		json_array_foreach(v, i, e) {
			size_t old = path_push(p, "[%zu]", i);
			int rc = t == VCI_MDOC_DRIVING_PRIVILEGES
					 ? encode_map(b, e, t, p, depth + 1, err)
					 : encode(b, e, t == VCI_MDOC_TSTR_ARRAY ? VCI_MDOC_TSTR : VCI_MDOC_ANY,
						  p, depth + 1, err);

			path_pop(p, old);
			if (rc)
				return rc;
		}
		return 0;
	}
	case VCI_MDOC_MAP:
	case VCI_MDOC_TSTR_MAP:
		if (t == VCI_MDOC_TSTR_MAP && json_is_object(v) && !json_object_size(v))
			return type_err(p, t, v, "with at least one member", err);
		return encode_map(b, v, t, p, depth, err);
	}
	return type_err(p, t, v, NULL, err);
}

int vci_mdoc_encode_value(vci_buf_t *b, const json_t *v, vci_mdoc_type_t type,
			  const char *what, vci_err_t *err)
{
	path_t p;

	snprintf(p.buf, sizeof p.buf, "%s", what ? what : "value");
	p.len = strlen(p.buf);
	if (!v)
		return vci_err_set(err, VCI_EXIT_FAIL, "invalid_claims", "%s: missing", p.buf);
	if (encode(b, v, type, &p, 0, err) < 0)
		return -1;
	if (b->failed)
		return vci_err_oom(err);
	return 0;
}

/* ---- COSE_Key ---- */

static const struct curve {
	const char *crv;
	int cose_crv;
	int nid;
	size_t len;
} curves[] = {
	{ "P-256", 1, NID_X9_62_prime256v1, 32 },
	{ "P-384", 2, NID_secp384r1, 48 },
	{ "P-521", 3, NID_secp521r1, 66 },
};

static EC_GROUP *groups[3];
static pthread_once_t groups_once = PTHREAD_ONCE_INIT;

static void groups_init(void)
{
	for (size_t i = 0; i < 3; i++)
		groups[i] = EC_GROUP_new_by_curve_name(curves[i].nid);
}

/* Whether (x, y) is a point on the curve (not infinity). */
static int on_curve(size_t ci, const uint8_t *x, const uint8_t *y, BN_CTX *bn)
{
	uint8_t oct[1 + 2 * 66];
	size_t n = curves[ci].len;
	EC_POINT *pt;
	int ok;

	pthread_once(&groups_once, groups_init);
	if (!groups[ci] || !(pt = EC_POINT_new(groups[ci])))
		return 0;
	oct[0] = 4;
	memcpy(oct + 1, x, n);
	memcpy(oct + 1 + n, y, n);
	ok = EC_POINT_oct2point(groups[ci], pt, oct, 1 + 2 * n, bn) == 1 &&
	     !EC_POINT_is_at_infinity(groups[ci], pt);
	EC_POINT_free(pt);
	return ok;
}

static int jwk_coord(const json_t *jwk, const char *name, size_t want, uint8_t *out,
		     vci_err_t *err)
{
	const char *s = json_string_value(json_object_get(jwk, name));
	uint8_t *b = NULL;
	size_t n = 0;

	if (!s || vci_b64url_decode(s, strlen(s), &b, &n, NULL) < 0 || n != want) {
		free(b);
		return vci_err_set(err, VCI_EXIT_FAIL, "invalid_proof",
				   "holder_jwk: \"%s\" must be %zu bytes in base64url", name, want);
	}
	memcpy(out, b, n);
	free(b);
	return 0;
}

static int cose_key_from_jwk(vci_buf_t *b, const json_t *jwk, BN_CTX *bn, vci_err_t *err)
{
	const char *kty = json_string_value(json_object_get(jwk, "kty"));
	const char *crv = json_string_value(json_object_get(jwk, "crv"));
	uint8_t x[66], y[66];

	if (!json_is_object(jwk) || !kty || !crv)
		return vci_err_set(err, VCI_EXIT_FAIL, "invalid_proof",
				   "holder_jwk: expected an EC or OKP JWK with kty and crv");
	if (vci_jwk_has_private(jwk))
		return vci_err_set(err, VCI_EXIT_FAIL, "invalid_proof", "holder_jwk: holds private members");
	if (!strcmp(kty, "OKP") && !strcmp(crv, "Ed25519")) {
		if (jwk_coord(jwk, "x", 32, x, err) < 0)
			return -1;
		RAW(b, "\xa3\x01\x01\x20\x06\x21\x58\x20");
		vci_cbuf_raw(b, x, 32);
		return 0;
	}
	if (!strcmp(kty, "EC")) {
		for (size_t i = 0; i < 3; i++) {
			size_t n = curves[i].len;

			if (strcmp(crv, curves[i].crv))
				continue;
			if (jwk_coord(jwk, "x", n, x, err) < 0 || jwk_coord(jwk, "y", n, y, err) < 0)
				return -1;
			if (!on_curve(i, x, y, bn))
				return vci_err_set(err, VCI_EXIT_FAIL, "invalid_proof",
						   "holder_jwk: not a point on %s", crv);
			vci_cbuf_head(b, 5, 4);
			RAW(b, "\x01\x02\x20");
			vci_cbuf_int(b, curves[i].cose_crv);
			vci_cbuf_int(b, -2);
			vci_cbuf_bstr(b, x, n);
			vci_cbuf_int(b, -3);
			vci_cbuf_bstr(b, y, n);
			return 0;
		}
	}
	return vci_err_set(err, VCI_EXIT_FAIL, "invalid_proof",
			   "holder_jwk: %s %s cannot be an mdoc device key (EC P-256/P-384/P-521, "
			   "OKP Ed25519)", kty, crv);
}

int vci_mdoc_cose_key_from_jwk(vci_buf_t *b, const json_t *jwk, vci_err_t *err)
{
	return cose_key_from_jwk(b, jwk, NULL, err);
}

int vci_mdoc_bstr_of(const cbor_item_t *i, const uint8_t **p, size_t *n)
{
	if (!i || !cbor_isa_bytestring(i) || !cbor_bytestring_is_definite(i))
		return -1;
	*p = cbor_bytestring_handle(i);
	*n = cbor_bytestring_length(i);
	if (!*p)
		*p = (const uint8_t *)"";
	return 0;
}

json_t *vci_mdoc_cose_key_to_jwk(const cbor_item_t *key, EVP_PKEY **pk, vci_err_t *err)
{
	int64_t kty, crv;
	const uint8_t *x = NULL, *y = NULL;
	size_t xl = 0, yl = 0;
	char *xs = NULL, *ys = NULL;
	json_t *jwk = NULL;

	if (pk)
		*pk = NULL;
	if (!key || !cbor_isa_map(key) || vci_cbor_get_int(vci_cbor_map_get_int(key, 1), &kty) < 0 ||
	    vci_cbor_get_int(vci_cbor_map_get_int(key, -1), &crv) < 0 ||
	    vci_mdoc_bstr_of(vci_cbor_map_get_int(key, -2), &x, &xl) < 0) {
		vci_err_set(err, VCI_EXIT_INPUT, "invalid_mdoc",
			    "deviceKey: expected a COSE_Key with kty (1), crv (-1) and x (-2)");
		return NULL;
	}
	if (vci_cbor_map_get_int(key, -4)) {
		vci_err_set(err, VCI_EXIT_INPUT, "invalid_mdoc", "deviceKey: holds a private key (-4)");
		return NULL;
	}
	xs = vci_b64url_encode(x, xl);
	if (kty == 1 && crv == 6 && xl == 32) {
		jwk = json_pack("{s:s,s:s,s:s}", "kty", "OKP", "crv", "Ed25519", "x", xs);
	} else if (kty == 2 && crv >= 1 && crv <= 3 &&
		   vci_mdoc_bstr_of(vci_cbor_map_get_int(key, -3), &y, &yl) == 0 &&
		   xl == curves[crv - 1].len && yl == xl) {
		ys = vci_b64url_encode(y, yl);
		jwk = json_pack("{s:s,s:s,s:s,s:s}", "kty", "EC", "crv", curves[crv - 1].crv, "x", xs,
				"y", ys);
	} else {
		free(xs);
		vci_err_set(err, VCI_EXIT_INPUT, "invalid_mdoc",
			    "deviceKey: unsupported COSE_Key (EC2 P-256/384/521 with x and y, "
			    "OKP Ed25519)");
		return NULL;
	}
	free(xs);
	free(ys);
	if (jwk) {
		EVP_PKEY *k = vci_jwk_to_pkey(jwk, 0, err);

		if (!k) {
			json_decref(jwk);
			vci_err_prefix(err, "deviceKey");
			err->status = VCI_EXIT_INPUT;
			return NULL;
		}
		if (pk)
			*pk = k;
		else
			EVP_PKEY_free(k);
	}
	return jwk;
}

const EVP_MD *vci_mdoc_digest_md(const char *name)
{
	if (!name)
		return NULL;
	if (!strcmp(name, "SHA-256"))
		return EVP_sha256();
	if (!strcmp(name, "SHA-384"))
		return EVP_sha384();
	if (!strcmp(name, "SHA-512"))
		return EVP_sha512();
	return NULL;
}

/* ---- issuing ---- */

typedef struct worker {
	struct worker *next;
	vci_cose_signer_t *signer;
	EVP_MD_CTX *md;
	BN_CTX *bn;             /* for the device key's curve check */
	vci_buf_t item, items, names, digests, mso, payload, out, devkey, digs;
	uint8_t *rnd;
	size_t rnd_cap;
} worker_t;

struct vci_mdoc_issuer {
	EVP_PKEY *key;
	char alg[8];
	cbor_item_t *unprotected;
	EVP_MD *md;
	const char *digest_name;
	size_t digest_len;
	pthread_mutex_t mu;
	worker_t *free_list;
	worker_t *all;       /* every worker, for freeing (linked by next_all) */
	worker_t **all_v;
	size_t nall, all_cap;
};

static void worker_free(worker_t *w)
{
	if (!w)
		return;
	vci_cose_signer_free(w->signer);
	EVP_MD_CTX_free(w->md);
	BN_CTX_free(w->bn);
	vci_buf_free(&w->item);
	vci_buf_free(&w->items);
	vci_buf_free(&w->names);
	vci_buf_free(&w->digests);
	vci_buf_free(&w->mso);
	vci_buf_free(&w->payload);
	vci_buf_free(&w->out);
	vci_buf_free(&w->devkey);
	vci_buf_free(&w->digs);
	if (w->rnd)
		OPENSSL_cleanse(w->rnd, w->rnd_cap);
	free(w->rnd);
	free(w);
}

void vci_mdoc_issuer_free(vci_mdoc_issuer_t *is)
{
	if (!is)
		return;
	for (size_t i = 0; i < is->nall; i++)
		worker_free(is->all_v[i]);
	free(is->all_v);
	if (is->unprotected)
		cbor_decref(&is->unprotected);
	EVP_MD_free(is->md);
	EVP_PKEY_free(is->key);
	pthread_mutex_destroy(&is->mu);
	free(is);
}

const char *vci_mdoc_issuer_alg(const vci_mdoc_issuer_t *is)
{
	return is->alg;
}

static int self_signed(X509 *c)
{
	return X509_check_issued(c, c) == X509_V_OK;
}

vci_mdoc_issuer_t *vci_mdoc_issuer_new(const vci_mdoc_issuer_opts_t *o, vci_err_t *err)
{
	const char *dname = o->digest_alg ? o->digest_alg : "SHA-256";
	const EVP_MD *md = vci_mdoc_digest_md(dname);
	const char *alg = o->alg ? o->alg : o->key ? vci_key_default_alg(o->key) : NULL;
	int n = o->chain ? sk_X509_num(o->chain) : 0;
	vci_mdoc_issuer_t *is;
	cbor_item_t *x5 = NULL;
	vci_cose_signer_t *probe;

	if (!md) {
		vci_err_set(err, VCI_EXIT_USAGE, "invalid_option",
			    "digest_alg: '%s': expected SHA-256, SHA-384 or SHA-512", dname);
		return NULL;
	}
	if (!o->key || !alg || (strcmp(alg, "ES256") && strcmp(alg, "ES384") && strcmp(alg, "ES512") &&
				strcmp(alg, "EdDSA"))) {
		vci_err_set(err, VCI_EXIT_KEY, "invalid_key",
			    "key: an mdoc is signed with ES256, ES384, ES512 or EdDSA, not %s",
			    alg ? alg : "this key type");
		return NULL;
	}
	if (!vci_key_alg_ok(o->key, alg)) {
		vci_err_set(err, VCI_EXIT_KEY, "invalid_key", "`alg`: %s does not fit the key", alg);
		return NULL;
	}
	if (n < 1) {
		vci_err_set(err, VCI_EXIT_KEY, "invalid_certificate",
			    "x5chain: the document signer certificate is required");
		return NULL;
	}
	if (!vci_x509_matches_key(sk_X509_value(o->chain, 0), o->key)) {
		vci_err_set(err, VCI_EXIT_KEY, "invalid_certificate",
			    "x5chain: the first certificate is not for the signing key");
		return NULL;
	}
	for (int i = 1; i < n; i++)
		if (self_signed(sk_X509_value(o->chain, i))) {
			vci_err_set(err, VCI_EXIT_KEY, "invalid_certificate",
				    "x5chain: certificate %d is a self-signed root; leave the IACA "
				    "root out of the chain (verifiers hold it)", i + 1);
			return NULL;
		}
	is = calloc(1, sizeof *is);
	if (!is)
		goto oom;
	pthread_mutex_init(&is->mu, NULL);
	EVP_PKEY_up_ref(o->key);
	is->key = o->key;
	snprintf(is->alg, sizeof is->alg, "%s", alg);
	is->digest_name = dname;
	is->md = EVP_MD_fetch(NULL, EVP_MD_get0_name(md), NULL);
	is->digest_len = (size_t)EVP_MD_get_size(md);
	is->unprotected = cbor_new_definite_map(1);
	if (n > 1)
		x5 = cbor_new_definite_array((size_t)n);
	if (!is->md || !is->unprotected || (n > 1 && !x5))
		goto oom_free;
	for (int i = 0; i < n; i++) {
		unsigned char *der = NULL;
		int dl = i2d_X509(sk_X509_value(o->chain, i), &der);
		cbor_item_t *c;

		if (dl <= 0)
			goto oom_free;
		c = cbor_build_bytestring(der, (size_t)dl);
		OPENSSL_free(der);
		if (!c)
			goto oom_free;
		if (n == 1) {
			x5 = c;
		} else {
			int ok = cbor_array_push(x5, c);

			cbor_decref(&c);
			if (!ok)
				goto oom_free;
		}
	}
	if (vci_cbor_map_add_int(is->unprotected, VCI_COSE_X5CHAIN, x5) < 0) {
		x5 = NULL;
		goto oom_free;
	}
	x5 = NULL;
	/* set up one signer now, so that key problems show before any record */
	probe = vci_cose_signer_new(is->key, is->alg, NULL, is->unprotected, err);
	if (!probe) {
		vci_mdoc_issuer_free(is);
		return NULL;
	}
	vci_cose_signer_free(probe);
	return is;
oom_free:
	if (x5)
		cbor_decref(&x5);
	vci_mdoc_issuer_free(is);
oom:
	vci_err_oom(err);
	return NULL;
}

static worker_t *worker_get(vci_mdoc_issuer_t *is, vci_err_t *err)
{
	worker_t *w;
	int arena;

	pthread_mutex_lock(&is->mu);
	w = is->free_list;
	if (w)
		is->free_list = w->next;
	pthread_mutex_unlock(&is->mu);
	if (w)
		return w;
	w = calloc(1, sizeof *w);
	if (!w || !(w->md = EVP_MD_CTX_new()) || !(w->bn = BN_CTX_new())) {
		if (w)
			EVP_MD_CTX_free(w->md);
		free(w);
		vci_err_oom(err);
		return NULL;
	}
	arena = vci_arena_pause(); /* kept for later records: made on the heap */
	w->signer = vci_cose_signer_new(is->key, is->alg, NULL, is->unprotected, err);
	vci_arena_resume(arena);
	if (!w->signer) {
		worker_free(w);
		return NULL;
	}
	pthread_mutex_lock(&is->mu);
	if (is->nall == is->all_cap) {
		size_t cap = is->all_cap ? 2 * is->all_cap : 8;
		worker_t **v = realloc(is->all_v, cap * sizeof *v);

		if (!v) {
			pthread_mutex_unlock(&is->mu);
			worker_free(w);
			vci_err_oom(err);
			return NULL;
		}
		is->all_v = v;
		is->all_cap = cap;
	}
	is->all_v[is->nall++] = w;
	pthread_mutex_unlock(&is->mu);
	return w;
}

static void worker_put(vci_mdoc_issuer_t *is, worker_t *w)
{
	/* randoms of items are not kept around */
	if (w->rnd)
		OPENSSL_cleanse(w->rnd, w->rnd_cap);
	pthread_mutex_lock(&is->mu);
	w->next = is->free_list;
	is->free_list = w;
	pthread_mutex_unlock(&is->mu);
}

static void tdate(vci_buf_t *b, int64_t t)
{
	/* the last one formatted, per thread: signed and validFrom are usually equal */
	static __thread int64_t last = -1;
	static __thread char buf[21];

	if (t != last) {
		vci_time_format(t, buf);
		last = t;
	}
	vci_cbuf_head(b, 6, TAG_TDATE);
	vci_cbuf_tstr(b, buf, 20);
}

/* What every credential needs before encoding: a docType, namespaced
 * claims, a device key (as COSE_Key into w->devkey), a validity period
 * and a well-formed status reference (*sl: its status_list, or NULL). */
static int content_check(const vci_mdoc_content_t *c, worker_t *w, const json_t **sl,
			 vci_err_t *err)
{
	*sl = NULL;
	if (!c->doctype || !*c->doctype)
		return vci_err_set(err, VCI_EXIT_FAIL, "invalid_request", "docType: missing");
	if (!json_is_object(c->claims) || !json_object_size(c->claims))
		return vci_err_set(err, VCI_EXIT_FAIL, "invalid_claims",
				   "claims: expected {namespace: {element: value}}");
	if (!c->holder_jwk)
		return vci_err_set(err, VCI_EXIT_FAIL, "invalid_proof",
				   "holder_jwk: missing: an mdoc is bound to a device key");
	if (c->valid_until <= c->valid_from || c->valid_from < 0 || c->signed_at < 0)
		return vci_err_set(err, VCI_EXIT_FAIL, "invalid_request",
				   "validityInfo: validUntil must be after validFrom");
	w->devkey.len = 0;
	if (cose_key_from_jwk(&w->devkey, c->holder_jwk, w->bn, err) < 0)
		return -1;
	if (c->status) {
		const json_t *idx, *uri;

		*sl = json_object_get(c->status, "status_list");
		idx = json_object_get(*sl, "idx");
		uri = json_object_get(*sl, "uri");
		if (!json_is_integer(idx) || json_integer_value(idx) < 0 || !json_is_string(uri))
			return vci_err_set(err, VCI_EXIT_FAIL, "invalid_request",
					   "status: expected {\"status_list\": {\"idx\": N, \"uri\": URL}}");
	}
	return 0;
}

/* The number of data elements over the namespaces nss (each an object
 * with at least one), at most MAX_ITEMS. */
static int count_items(const json_t *claims, const char **nss, size_t nns, size_t *total,
		       vci_err_t *err)
{
	*total = 0;
	for (size_t i = 0; i < nns; i++) {
		const json_t *els = json_object_get(claims, nss[i]);

		if (!json_is_object(els) || !json_object_size(els))
			return vci_err_set(err, VCI_EXIT_FAIL, "invalid_claims",
					   "claims.%s: expected a namespace object of data elements",
					   nss[i]);
		*total += json_object_size(els);
	}
	if (*total > MAX_ITEMS)
		return vci_err_set(err, VCI_EXIT_FAIL, "invalid_claims",
				   "claims: %zu data elements, at most %d", *total, MAX_ITEMS);
	return 0;
}

/* One take from the thread's CSPRNG buffer (crypto/rand.h) for every
 * item's random and every digestID:
 * total * RANDOM_LEN bytes of randoms, then 4 bytes per item. */
static int draw_random(worker_t *w, size_t total, vci_err_t *err)
{
	if (w->rnd_cap < total * (RANDOM_LEN + 4)) {
		free(w->rnd);
		w->rnd_cap = total * (RANDOM_LEN + 4);
		w->rnd = malloc(w->rnd_cap);
		if (!w->rnd) {
			w->rnd_cap = 0;
			return vci_err_oom(err);
		}
	}
	if (vci_rand_bytes(w->rnd, total * (RANDOM_LEN + 4)) < 0)
		return vci_err_ssl(err, VCI_EXIT_IO, "io_error", "RAND_bytes failed");
	return 0;
}

/* digestIDs: a random permutation of 0..m-1 (Fisher-Yates), drawing 4
 * bytes per step from q (q[4 * (k - 1)] for step k). */
static void permute(uint32_t *perm, size_t m, const uint8_t *q0)
{
	for (size_t k = 0; k < m; k++)
		perm[k] = (uint32_t)k;
	for (size_t k = m; k > 1; k--) {
		const uint8_t *q = q0 + 4 * (k - 1);
		uint32_t x = (uint32_t)q[0] << 24 | (uint32_t)q[1] << 16 | (uint32_t)q[2] << 8 | q[3];
		size_t s = (size_t)(((uint64_t)x * k) >> 32);
		uint32_t t = perm[k - 1];

		perm[k - 1] = perm[s];
		perm[s] = t;
	}
}

/* One IssuerSignedItemBytes appended to w->items, and its digest into
 * digs at its digestID. */
static int encode_item(vci_mdoc_issuer_t *is, worker_t *w, const vci_mdoc_content_t *c,
		       const char *ns, const char *el, const json_t *v, const uint8_t *rnd,
		       uint32_t id, uint8_t *digs, vci_err_t *err)
{
	vci_mdoc_type_t t = vci_mdoc_element_type(c->defn, ns, el);
	char what[256];
	size_t nl = strlen(ns), elen = strlen(el);
	uint8_t head[12], dig[EVP_MAX_MD_SIZE];
	vci_buf_t h = VCI_BUF_FIXED(head);
	unsigned int dl = 0;

	/* "claims.NS.EL" for error messages, without printf per element */
	if (7 + nl + 1 + elen < sizeof what) {
		memcpy(what, "claims.", 7);
		memcpy(what + 7, ns, nl);
		what[7 + nl] = '.';
		memcpy(what + 8 + nl, el, elen + 1);
	} else {
		snprintf(what, sizeof what, "claims.%s.%s", ns, el);
	}
	w->item.len = 0;
	RAW(&w->item, "\xa4\x66random\x58\x20");
	vci_cbuf_raw(&w->item, rnd, RANDOM_LEN);
	RAW(&w->item, "\x68" "digestID");
	vci_cbuf_int(&w->item, id);
	RAW(&w->item, "\x6c" "elementValue");
	if (vci_mdoc_encode_value(&w->item, v, t, what, err) < 0)
		return -1;
	RAW(&w->item, "\x71" "elementIdentifier");
	vci_cbuf_str(&w->item, el);
	/* IssuerSignedItemBytes = #6.24(bstr .cbor item); the digest is over it all */
	vci_cbuf_head(&h, 6, TAG_ENCODED_CBOR);
	vci_cbuf_head(&h, 2, w->item.len);
	vci_cbuf_raw(&w->items, head, h.len);
	vci_cbuf_raw(&w->items, w->item.buf, w->item.len);
	if (w->item.failed || EVP_DigestInit_ex2(w->md, is->md, NULL) != 1 ||
	    EVP_DigestUpdate(w->md, head, h.len) != 1 ||
	    EVP_DigestUpdate(w->md, w->item.buf, w->item.len) != 1 ||
	    EVP_DigestFinal_ex(w->md, dig, &dl) != 1)
		return vci_err_ssl(err, VCI_EXIT_IO, "io_error", "digest failed");
	memcpy(digs + (size_t)id * is->digest_len, dig, is->digest_len);
	return 0;
}

/* One namespace: its items into w->names, its digests into w->digests.
 * r is the index of its first item in the random draw of `total`. */
static int encode_namespace(vci_mdoc_issuer_t *is, worker_t *w, const vci_mdoc_content_t *c,
			    const char *ns, size_t total, size_t r, vci_err_t *err)
{
	const json_t *els = json_object_get(c->claims, ns);
	size_t m = json_object_size(els), j = 0;
	uint32_t perm[MAX_ITEMS];
	uint8_t *digs;
	const char *el;
	json_t *v;

	permute(perm, m, w->rnd + total * RANDOM_LEN + 4 * r);
	w->digs.len = 0;
	digs = vci_buf_reserve(&w->digs, m * is->digest_len) == 0 ? w->digs.buf : NULL;
	if (!digs)
		return vci_err_oom(err);
	w->items.len = 0;
	json_object_foreach((json_t *)els, el, v) {
		if (encode_item(is, w, c, ns, el, v, w->rnd + (r + j) * RANDOM_LEN, perm[j], digs,
				err) < 0)
			return -1;
		j++;
	}
	vci_cbuf_str(&w->names, ns);
	vci_cbuf_head(&w->names, 4, m);
	vci_cbuf_raw(&w->names, w->items.buf, w->items.len);
	vci_cbuf_str(&w->digests, ns);
	vci_cbuf_head(&w->digests, 5, m);
	for (size_t k = 0; k < m; k++) {
		vci_cbuf_int(&w->digests, (int64_t)k);
		vci_cbuf_bstr(&w->digests, digs + k * is->digest_len, is->digest_len);
	}
	return 0;
}

/* The MobileSecurityObject into w->mso, keys in deterministic order, and
 * MobileSecurityObjectBytes = #6.24(bstr .cbor MSO), the COSE payload,
 * into w->payload. */
static void encode_mso(vci_mdoc_issuer_t *is, worker_t *w, const vci_mdoc_content_t *c,
		       const json_t *sl)
{
	w->mso.len = 0;
	vci_cbuf_head(&w->mso, 5, sl ? 7 : 6);
	if (sl) {
		const char *uri = json_string_value(json_object_get(sl, "uri"));

		vci_cbuf_str(&w->mso, "status");
		RAW(&w->mso, "\xa1\x6bstatus_list\xa2\x63idx");
		vci_cbuf_int(&w->mso, json_integer_value(json_object_get(sl, "idx")));
		RAW(&w->mso, "\x63uri");
		vci_cbuf_str(&w->mso, uri);
	}
	vci_cbuf_str(&w->mso, "docType");
	vci_cbuf_str(&w->mso, c->doctype);
	RAW(&w->mso, "\x67version\x63" "1.0");
	RAW(&w->mso, "\x6cvalidityInfo\xa3\x66signed");
	tdate(&w->mso, c->signed_at);
	RAW(&w->mso, "\x69validFrom");
	tdate(&w->mso, c->valid_from);
	RAW(&w->mso, "\x6avalidUntil");
	tdate(&w->mso, c->valid_until);
	RAW(&w->mso, "\x6cvalueDigests");
	vci_cbuf_raw(&w->mso, w->digests.buf, w->digests.len);
	RAW(&w->mso, "\x6d" "deviceKeyInfo\xa1\x69" "deviceKey");
	vci_cbuf_raw(&w->mso, w->devkey.buf, w->devkey.len);
	RAW(&w->mso, "\x6f" "digestAlgorithm");
	vci_cbuf_str(&w->mso, is->digest_name);
	w->payload.len = 0;
	vci_cbuf_head(&w->payload, 6, TAG_ENCODED_CBOR);
	vci_cbuf_bstr(&w->payload, w->mso.buf, w->mso.len);
}

/* IssuerSigned {issuerAuth: COSE_Sign1 over the payload, nameSpaces},
 * copied out. */
static int sign_issuer_signed(worker_t *w, uint8_t **out, size_t *outlen, vci_err_t *err)
{
	w->out.len = 0;
	RAW(&w->out, "\xa2\x6aissuerAuth");
	if (w->payload.failed || w->mso.failed || w->names.failed || w->digests.failed)
		return vci_err_oom(err);
	if (vci_cose_signer_sign(w->signer, w->payload.buf, w->payload.len, &w->out, err) < 0)
		return -1;
	RAW(&w->out, "\x6anameSpaces");
	vci_cbuf_raw(&w->out, w->names.buf, w->names.len);
	if (w->out.failed || !(*out = malloc(w->out.len)))
		return vci_err_oom(err);
	memcpy(*out, w->out.buf, w->out.len);
	*outlen = w->out.len;
	return 0;
}

static int issue(vci_mdoc_issuer_t *is, worker_t *w, const vci_mdoc_content_t *c, uint8_t **out,
		 size_t *outlen, vci_err_t *err)
{
	const char **nss = NULL;
	size_t nns = 0, total = 0, r = 0;
	int rc = -1;
	const json_t *sl = NULL;

	if (content_check(c, w, &sl, err) < 0)
		return -1;
	if (sorted_keys(c->claims, &nss, &nns) < 0)
		return vci_err_oom(err);
	if (count_items(c->claims, nss, nns, &total, err) < 0 || draw_random(w, total, err) < 0)
		goto out;
	w->names.len = 0;
	w->digests.len = 0;
	vci_cbuf_head(&w->names, 5, nns);
	vci_cbuf_head(&w->digests, 5, nns);
	for (size_t i = 0; i < nns; i++) {
		if (encode_namespace(is, w, c, nss[i], total, r, err) < 0)
			goto out;
		r += json_object_size(json_object_get(c->claims, nss[i]));
	}
	encode_mso(is, w, c, sl);
	rc = sign_issuer_signed(w, out, outlen, err);
out:
	free(nss);
	return rc;
}

int vci_mdoc_issue(vci_mdoc_issuer_t *is, const vci_mdoc_content_t *c, uint8_t **out,
		   size_t *outlen, vci_err_t *err)
{
	worker_t *w = worker_get(is, err);
	int rc;

	if (!w)
		return -1;
	rc = issue(is, w, c, out, outlen, err);
	worker_put(is, w);
	return rc;
}

/* Namespace the record's claims: keys that are namespaces of the
 * definition stay, flat elements the definition does not know go to its
 * only namespace; a new object with borrowed values. */
/* Whether every key of claims is a namespace of the definition holding an
 * object. */
static int all_namespaced(const vci_defn_t *d, const json_t *claims)
{
	const char *k;
	json_t *v;

	if (!json_is_object(claims) || !json_object_size(claims))
		return 0;
	json_object_foreach((json_t *)claims, k, v) {
		int is_ns = 0;

		for (size_t i = 0; i < d->nclaims && !is_ns; i++)
			is_ns = d->claims[i].nelems >= 1 && d->claims[i].elems[0].key &&
				!strcmp(d->claims[i].elems[0].key, k);
		if (!is_ns || !json_is_object(v))
			return 0;
	}
	return 1;
}

static json_t *namespaced(const vci_defn_t *d, const json_t *claims, vci_err_t *err)
{
	const char *only = NULL, *k;
	json_t *v, *out = json_object();
	int several = 0;

	if (!out)
		return NULL;
	/* the usual case: every key is a namespace of the definition */
	if (all_namespaced(d, claims)) {
		json_decref(out);
		return json_incref((json_t *)claims);
	}
	for (size_t i = 0; i < d->nclaims; i++) {
		const char *ns = d->claims[i].nelems >= 1 ? d->claims[i].elems[0].key : NULL;

		if (!ns)
			continue;
		if (!only)
			only = ns;
		else if (strcmp(only, ns))
			several = 1;
	}
	json_object_foreach((json_t *)claims, k, v) {
		int is_ns = 0;

		for (size_t i = 0; i < d->nclaims && !is_ns; i++)
			is_ns = d->claims[i].nelems >= 1 && d->claims[i].elems[0].key &&
				!strcmp(d->claims[i].elems[0].key, k);
		if (is_ns || (json_is_object(v) && strchr(k, '.'))) {
			json_t *dst = json_object_get(out, k);

			if (!json_is_object(v)) {
				json_decref(out);
				vci_err_set(err, VCI_EXIT_FAIL, "invalid_claims",
					    "claims.%s: a namespace holds an object of data elements", k);
				return NULL;
			}
			if (!dst) {
				json_object_set(out, k, v);
			} else {
				json_t *copy = json_copy(dst);

				json_object_update_missing(copy, v);
				json_object_set_new(out, k, copy);
			}
			continue;
		}
		if (!only || several) {
			json_decref(out);
			vci_err_set(err, VCI_EXIT_FAIL, "invalid_claims",
				    "claims.%s: not a data element of the definition, and no single "
				    "namespace to put it in (give {namespace: {%s: ...}})", k, k);
			return NULL;
		}
		{
			json_t *dst = json_object_get(out, only);

			if (!dst) {
				json_object_set_new(out, only, json_object());
				dst = json_object_get(out, only);
			} else if (json_object_get(out, only) == json_object_get(claims, only)) {
				dst = json_copy(dst);
				json_object_set_new(out, only, dst);
			}
			if (json_object_get(dst, k)) {
				json_decref(out);
				vci_err_set(err, VCI_EXIT_FAIL, "invalid_claims",
					    "claims.%s: given twice, flat and under %s", k, only);
				return NULL;
			}
			json_object_set(dst, k, v);
		}
	}
	return out;
}

/* ---- the format's operations (issue.h) ---- */

#define MAX_HOLDER_KEYS 64

/* The record's claims checked and namespaced. Flat JSON claims are folded
 * into their namespaces on a copy: the record passes through as it came
 * (CSV cells are converted in place, as every tool does with --csv). */
static json_t *mdoc_claims(const vci_defn_t *d, json_t *rec, unsigned flags, vci_err_t *err)
{
	unsigned check = flags & VCI_ISSUE_CSV ? VCI_DEFN_COERCE : 0;
	json_t *given = json_object_get(rec, "claims"), *claims;
	json_auto_t *copy = NULL;

	if (!check && json_is_object(given) && !all_namespaced(d, given)) {
		copy = json_deep_copy(given);
		if (!copy) {
			vci_err_oom(err);
			return NULL;
		}
		given = copy;
	}
	if (vci_defn_check_claims(d, given, check | VCI_DEFN_FOLD, err) < 0)
		return NULL;
	claims = namespaced(d, given, err);
	if (!claims && !(err && err->msg[0]))
		vci_err_oom(err);
	return claims;
}

static const char *mdoc_format_id(const void *signer)
{
	(void)signer;
	return "mso_mdoc";
}

/* One IssuerSigned as base64url. */
static char *mdoc_sign(void *signer, const vci_issue_cred_t *c, size_t *len, vci_err_t *err)
{
	const vci_issue_times_t *t = c->times;
	vci_mdoc_content_t mc = {
		.doctype = c->defn->doctype,
		.defn = c->defn,
		.claims = c->claims,
		.holder_jwk = c->holder_jwk,
		.signed_at = t->iat,
		.valid_from = t->nbf ? t->nbf : t->iat,
		.valid_until = t->exp,
		.status = c->status,
	};
	uint8_auto_t *cbor = NULL;
	size_t n = 0;
	char *b64;

	if (vci_mdoc_issue(signer, &mc, &cbor, &n, err) < 0)
		return NULL;
	b64 = vci_b64url_encode(cbor, n);
	if (!b64) {
		vci_err_oom(err);
		return NULL;
	}
	*len = strlen(b64);
	return b64;
}

const vci_issue_ops_t vci_mdoc_ops = {
	.format = VCI_FORMAT_MDOC,
	.what = "an mso_mdoc credential",
	.max_keys = MAX_HOLDER_KEYS,
	.key_required = "holder_jwk: missing: an mdoc is bound to a device key "
			"(verify the proof first with vci-verify-proof)",
	.claims = mdoc_claims,
	.format_id = mdoc_format_id,
	.sign = mdoc_sign,
};
