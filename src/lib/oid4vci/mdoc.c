/* mdoc.c - ISO/IEC 18013-5 IssuerSigned: element encoding, COSE_Key,
 * issuing with a prepared thread-safe issuer, and verification. Encoding
 * writes CBOR bytes directly (vci_buf_t); decoding goes through the
 * bounded vci_cbor_load only. */
#include "mdoc.h"
#include "base/b64url.h"
#include "crypto/keys.h"

#include <pthread.h>
#include <string.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/obj_mac.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

#define TAG_TDATE 0
#define TAG_ENCODED_CBOR 24
#define TAG_FULL_DATE 1004
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
	char *s = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);

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
		return vci_err_set(err, VCI_EXIT_IO, "io_error", "out of memory");
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
		return vci_err_set(err, VCI_EXIT_IO, "io_error", "out of memory");
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

static int bstr_of(const cbor_item_t *i, const uint8_t **p, size_t *n)
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
	    bstr_of(vci_cbor_map_get_int(key, -2), &x, &xl) < 0) {
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
		   bstr_of(vci_cbor_map_get_int(key, -3), &y, &yl) == 0 &&
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
		vci_err_set(err, VCI_EXIT_KEY, "invalid_key", "--alg: %s does not fit the key", alg);
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
	vci_err_set(err, VCI_EXIT_IO, "io_error", "out of memory");
	return NULL;
}

static worker_t *worker_get(vci_mdoc_issuer_t *is, vci_err_t *err)
{
	worker_t *w;

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
		vci_err_set(err, VCI_EXIT_IO, "io_error", "out of memory");
		return NULL;
	}
	w->signer = vci_cose_signer_new(is->key, is->alg, NULL, is->unprotected, err);
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
			vci_err_set(err, VCI_EXIT_IO, "io_error", "out of memory");
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

static int issue(vci_mdoc_issuer_t *is, worker_t *w, const vci_mdoc_content_t *c, uint8_t **out,
		 size_t *outlen, vci_err_t *err)
{
	const char **nss = NULL;
	size_t nns = 0, total = 0, r = 0;
	int rc = -1;
	const json_t *sl = NULL;

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

		sl = json_object_get(c->status, "status_list");
		idx = json_object_get(sl, "idx");
		uri = json_object_get(sl, "uri");
		if (!json_is_integer(idx) || json_integer_value(idx) < 0 || !json_is_string(uri))
			return vci_err_set(err, VCI_EXIT_FAIL, "invalid_request",
					   "status: expected {\"status_list\": {\"idx\": N, \"uri\": URL}}");
	}
	if (sorted_keys(c->claims, &nss, &nns) < 0)
		return vci_err_set(err, VCI_EXIT_IO, "io_error", "out of memory");
	for (size_t i = 0; i < nns; i++) {
		const json_t *els = json_object_get(c->claims, nss[i]);

		if (!json_is_object(els) || !json_object_size(els)) {
			vci_err_set(err, VCI_EXIT_FAIL, "invalid_claims",
				    "claims.%s: expected a namespace object of data elements", nss[i]);
			goto out;
		}
		total += json_object_size(els);
	}
	if (total > MAX_ITEMS) {
		vci_err_set(err, VCI_EXIT_FAIL, "invalid_claims", "claims: %zu data elements, at most %d",
			    total, MAX_ITEMS);
		goto out;
	}
	/* one draw from the CSPRNG for every random and every digestID */
	if (w->rnd_cap < total * (RANDOM_LEN + 4)) {
		free(w->rnd);
		w->rnd_cap = total * (RANDOM_LEN + 4);
		w->rnd = malloc(w->rnd_cap);
		if (!w->rnd) {
			w->rnd_cap = 0;
			vci_err_set(err, VCI_EXIT_IO, "io_error", "out of memory");
			goto out;
		}
	}
	if (RAND_bytes(w->rnd, (int)(total * (RANDOM_LEN + 4))) != 1) {
		vci_err_ssl(err, VCI_EXIT_IO, "io_error", "RAND_bytes failed");
		goto out;
	}
	w->names.len = 0;
	w->digests.len = 0;
	vci_cbuf_head(&w->names, 5, nns);
	vci_cbuf_head(&w->digests, 5, nns);
	for (size_t i = 0; i < nns; i++) {
		const json_t *els = json_object_get(c->claims, nss[i]);
		size_t m = json_object_size(els), j = 0;
		uint32_t perm[MAX_ITEMS];
		uint8_t dig[EVP_MAX_MD_SIZE];
		uint8_t *digs;
		const char *el;
		json_t *v;

		/* digestIDs: a random permutation of 0..m-1 (Fisher-Yates) */
		for (size_t k = 0; k < m; k++)
			perm[k] = (uint32_t)k;
		for (size_t k = m; k > 1; k--) {
			const uint8_t *q = w->rnd + total * RANDOM_LEN + 4 * (r + k - 1);
			uint32_t x = (uint32_t)q[0] << 24 | (uint32_t)q[1] << 16 | (uint32_t)q[2] << 8 | q[3];
			size_t s = (size_t)(((uint64_t)x * k) >> 32);
			uint32_t t = perm[k - 1];

			perm[k - 1] = perm[s];
			perm[s] = t;
		}
		w->digs.len = 0;
		digs = vci_buf_reserve(&w->digs, m * is->digest_len) == 0 ? w->digs.buf : NULL;
		if (!digs) {
			vci_err_set(err, VCI_EXIT_IO, "io_error", "out of memory");
			goto out;
		}
		w->items.len = 0;
		json_object_foreach((json_t *)els, el, v) {
			vci_mdoc_type_t t = vci_mdoc_element_type(c->defn, nss[i], el);
			char what[256];
			size_t nl = strlen(nss[i]), elen = strlen(el);
			uint8_t head[12];
			vci_buf_t h = VCI_BUF_FIXED(head);
			unsigned int dl = 0;

			/* "claims.NS.EL" for error messages, without printf per element */
			if (7 + nl + 1 + elen < sizeof what) {
				memcpy(what, "claims.", 7);
				memcpy(what + 7, nss[i], nl);
				what[7 + nl] = '.';
				memcpy(what + 8 + nl, el, elen + 1);
			} else {
				snprintf(what, sizeof what, "claims.%s.%s", nss[i], el);
			}
			w->item.len = 0;
			RAW(&w->item, "\xa4\x66random\x58\x20");
			vci_cbuf_raw(&w->item, w->rnd + (r + j) * RANDOM_LEN, RANDOM_LEN);
			RAW(&w->item, "\x68" "digestID");
			vci_cbuf_int(&w->item, perm[j]);
			RAW(&w->item, "\x6c" "elementValue");
			if (vci_mdoc_encode_value(&w->item, v, t, what, err) < 0) {
				goto out;
			}
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
			    EVP_DigestFinal_ex(w->md, dig, &dl) != 1) {
				vci_err_ssl(err, VCI_EXIT_IO, "io_error", "digest failed");
				goto out;
			}
			memcpy(digs + (size_t)perm[j] * is->digest_len, dig, is->digest_len);
			j++;
		}
		r += m;
		vci_cbuf_str(&w->names, nss[i]);
		vci_cbuf_head(&w->names, 4, m);
		vci_cbuf_raw(&w->names, w->items.buf, w->items.len);
		vci_cbuf_str(&w->digests, nss[i]);
		vci_cbuf_head(&w->digests, 5, m);
		for (size_t k = 0; k < m; k++) {
			vci_cbuf_int(&w->digests, (int64_t)k);
			vci_cbuf_bstr(&w->digests, digs + k * is->digest_len, is->digest_len);
		}
	}
	/* MobileSecurityObject, keys in deterministic order */
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
	/* MobileSecurityObjectBytes = #6.24(bstr .cbor MSO) is the COSE payload */
	w->payload.len = 0;
	vci_cbuf_head(&w->payload, 6, TAG_ENCODED_CBOR);
	vci_cbuf_bstr(&w->payload, w->mso.buf, w->mso.len);
	w->out.len = 0;
	RAW(&w->out, "\xa2\x6aissuerAuth");
	if (w->payload.failed || w->mso.failed || w->names.failed || w->digests.failed) {
		vci_err_set(err, VCI_EXIT_IO, "io_error", "out of memory");
		goto out;
	}
	if (vci_cose_signer_sign(w->signer, w->payload.buf, w->payload.len, &w->out, err) < 0)
		goto out;
	RAW(&w->out, "\x6anameSpaces");
	vci_cbuf_raw(&w->out, w->names.buf, w->names.len);
	if (w->out.failed || !(*out = malloc(w->out.len))) {
		vci_err_set(err, VCI_EXIT_IO, "io_error", "out of memory");
		goto out;
	}
	memcpy(*out, w->out.buf, w->out.len);
	*outlen = w->out.len;
	rc = 0;
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

#define MAX_HOLDER_KEYS 64

int vci_mdoc_sign_record(vci_mdoc_issuer_t *is, const vci_mdoc_sign_opts_t *o, json_t *rec,
			 vci_err_t *err)
{
	const vci_defn_t *d = vci_issue_defn_select(o->defs, o->ndefs, 1u << VCI_FORMAT_MDOC,
						    o->config, rec, err);
	const json_t *keys[MAX_HOLDER_KEYS], *status = NULL;
	json_t *creds[MAX_HOLDER_KEYS];
	json_auto_t *claims = NULL;
	vci_issue_times_t t;
	vci_mdoc_content_t c = { 0 };
	size_t n = 0, done = 0;
	int rc = -1;

	if (!d)
		return -1;
	json_t *given = json_object_get(rec, "claims");
	json_auto_t *copy = NULL;

	/* flat JSON claims are folded into their namespaces on a copy: the
	 * record passes through as it came (CSV cells are converted in place,
	 * as every tool does with --csv) */
	if (!(o->claims_flags & VCI_DEFN_COERCE) && json_is_object(given) &&
	    !all_namespaced(d, given)) {
		copy = json_deep_copy(given);
		if (!copy)
			return vci_err_set(err, VCI_EXIT_IO, "io_error", "out of memory");
		given = copy;
	}
	if (vci_defn_check_claims(d, given, o->claims_flags | VCI_DEFN_FOLD, err) < 0)
		return -1;
	claims = namespaced(d, given, err);
	if (!claims)
		return err && err->msg[0] ? -1
		       : vci_err_set(err, VCI_EXIT_IO, "io_error", "out of memory");
	if (vci_issue_times(d, rec, o->now, o->precision, &t, err) < 0 ||
	    vci_issue_holder_keys(d, rec, keys, MAX_HOLDER_KEYS, &n, err) < 0)
		return -1;
	if (!n)
		return vci_err_set(err, VCI_EXIT_FAIL, "invalid_proof",
				   "holder_jwk: missing: an mdoc is bound to a device key "
				   "(verify the proof first with vci-verify-proof)");
	if (vci_issue_status(d, "an mso_mdoc credential", rec, &status, err) < 0)
		return -1;
	c.doctype = d->doctype;
	c.defn = d;
	c.claims = claims;
	c.signed_at = t.iat;
	c.valid_from = t.nbf ? t.nbf : t.iat;
	c.valid_until = t.exp;
	c.status = status;
	for (; done < n; done++) {
		uint8_auto_t *cbor = NULL;
		size_t len = 0;
		char *b64;

		c.holder_jwk = keys[done];
		if (vci_mdoc_issue(is, &c, &cbor, &len, err) < 0) {
			if (n > 1)
				vci_err_prefix(err, "holder_jwks[%zu]", done);
			goto out;
		}
		b64 = vci_b64url_encode(cbor, len);
		creds[done] = b64 ? json_string_nocheck(b64) : NULL; /* base64url is ASCII */
		free(b64);
		if (!creds[done]) {
			vci_err_set(err, VCI_EXIT_IO, "io_error", "out of memory");
			goto out;
		}
	}
	if (vci_issue_result(rec, "mso_mdoc", creds, n, json_object_get(rec, "holder_jwks") != NULL) < 0) {
		vci_err_set(err, VCI_EXIT_IO, "io_error", "out of memory");
		return -1;
	}
	return 0;
out:
	for (size_t i = 0; i < done; i++)
		json_decref(creds[i]);
	return rc;
}

/* ---- verifying ---- */

/* Set err, formatting first into a buffer of its own: the arguments may
 * be err->msg itself (a message prefixed to the one a callee left). */
static int mdoc_err(vci_err_t *err, int status, const char *code, const char *fmt, ...)
	VCI_PRINTF(4, 5);
static int mdoc_err(vci_err_t *err, int status, const char *code, const char *fmt, ...)
{
	char msg[400];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	return vci_err_set(err, status, code, "%s", msg);
}

/* A malformed mdoc (exit 3), and one that is well formed but fails a check */
#define bad(err, ...) mdoc_err((err), VCI_EXIT_INPUT, "invalid_mdoc", __VA_ARGS__)
#define fails(err, ...) mdoc_err((err), VCI_EXIT_FAIL, "invalid_credential", __VA_ARGS__)

/* A definite text string as a NUL-terminated copy (no NUL inside). */
static char *tstr_dup(const cbor_item_t *i)
{
	size_t n;
	char *s;

	if (!i || !cbor_isa_string(i) || !cbor_string_is_definite(i))
		return NULL;
	n = cbor_string_length(i);
	if (n && memchr(cbor_string_handle(i), 0, n))
		return NULL;
	s = malloc(n + 1);
	if (!s)
		return NULL;
	if (n)
		memcpy(s, cbor_string_handle(i), n);
	s[n] = '\0';
	return s;
}

static int tstr_is(const cbor_item_t *i, const char *want)
{
	size_t n = strlen(want);

	return i && cbor_isa_string(i) && cbor_string_is_definite(i) && cbor_string_length(i) == n &&
	       (!n || !memcmp(cbor_string_handle(i), want, n));
}

/* An element value as JSON: dates (tags 1004 and 0) as their strings,
 * byte strings as base64url, other tags as {"tag": N, "value": V}. */
static json_t *to_json(const cbor_item_t *i, vci_err_t *err)
{
	switch (cbor_typeof(i)) {
	case CBOR_TYPE_UINT:
	case CBOR_TYPE_NEGINT: {
		int64_t v;

		if (vci_cbor_get_int(i, &v) < 0) {
			bad(err, "integer out of range");
			return NULL;
		}
		return json_integer(v);
	}
	case CBOR_TYPE_BYTESTRING: {
		const uint8_t *p;
		size_t n;
		char *s;
		json_t *j;

		if (bstr_of(i, &p, &n) < 0) {
			bad(err, "indefinite-length byte string");
			return NULL;
		}
		s = vci_b64url_encode(p, n);
		j = s ? json_string(s) : NULL;
		free(s);
		return j;
	}
	case CBOR_TYPE_STRING: {
		json_t *j;

		if (!cbor_string_is_definite(i)) {
			bad(err, "indefinite-length text string");
			return NULL;
		}
		j = json_stringn((const char *)(cbor_string_handle(i) ? cbor_string_handle(i)
							      : (const uint8_t *)""),
				 cbor_string_length(i));
		if (!j)
			bad(err, "text string is not UTF-8");
		return j;
	}
	case CBOR_TYPE_ARRAY: {
		json_t *a = json_array();

		for (size_t k = 0; a && k < cbor_array_size(i); k++) {
			json_t *e = to_json(cbor_array_handle(i)[k], err);

			if (!e || json_array_append_new(a, e) < 0) {
				json_decref(a);
				return NULL;
			}
		}
		return a;
	}
	case CBOR_TYPE_MAP: {
		json_t *o = json_object();
		struct cbor_pair *pr = cbor_map_handle(i);

		for (size_t k = 0; o && k < cbor_map_size(i); k++) {
			char kb[24], *key = NULL;
			const char *ks = NULL;
			int64_t iv;
			json_t *e;

			if (vci_cbor_get_int(pr[k].key, &iv) == 0) {
				snprintf(kb, sizeof kb, "%lld", (long long)iv);
				ks = kb;
			} else if ((key = tstr_dup(pr[k].key))) {
				ks = key;
			}
			if (!ks || json_object_get(o, ks)) {
				free(key);
				json_decref(o);
				bad(err, "map key is not a text string or an integer, or given twice");
				return NULL;
			}
			e = to_json(pr[k].value, err);
			if (!e || json_object_set_new(o, ks, e) < 0) {
				free(key);
				json_decref(o);
				return NULL;
			}
			free(key);
		}
		return o;
	}
	case CBOR_TYPE_TAG: {
		cbor_item_t *in = cbor_tag_item(i);
		uint64_t tag = cbor_tag_value(i);
		json_t *v = to_json(in, err);

		if (v && (tag == TAG_FULL_DATE || tag == TAG_TDATE) && !json_is_string(v)) {
			json_decref(v);
			v = NULL;
			bad(err, "tag %llu must hold a text string", (unsigned long long)tag);
		} else if (v && tag == TAG_FULL_DATE && !vci_defn_is_full_date(json_string_value(v))) {
			json_decref(v);
			v = NULL;
			bad(err, "tag 1004 must hold a full-date");
		} else if (v && tag != TAG_FULL_DATE && tag != TAG_TDATE) {
			v = json_pack("{s:I,s:o}", "tag", (json_int_t)(tag > INT64_MAX ? -1 : (int64_t)tag), "value", v);
		}
		cbor_decref(&in);
		return v;
	}
	case CBOR_TYPE_FLOAT_CTRL:
		if (cbor_float_ctrl_is_ctrl(i)) {
			if (cbor_is_bool(i))
				return json_boolean(cbor_get_bool(i));
			if (cbor_is_null(i) || cbor_is_undef(i))
				return json_null();
			bad(err, "simple value %u", cbor_ctrl_value(i));
			return NULL;
		}
		return json_real(cbor_float_get_float(i));
	}
	bad(err, "unsupported CBOR item");
	return NULL;
}

/* The decoded contents of a tag-24 item: #6.24(bstr .cbor X). */
static cbor_item_t *embedded(const cbor_item_t *i, const char *what, vci_err_t *err)
{
	cbor_item_t *in, *res;
	const uint8_t *p;
	size_t n;

	if (!i || !cbor_isa_tag(i) || cbor_tag_value(i) != TAG_ENCODED_CBOR) {
		bad(err, "%s: expected tag 24 (encoded CBOR)", what);
		return NULL;
	}
	in = cbor_tag_item(i);
	if (bstr_of(in, &p, &n) < 0) {
		cbor_decref(&in);
		bad(err, "%s: tag 24 must hold a byte string", what);
		return NULL;
	}
	res = vci_cbor_load(p, n, VCI_CBOR_MAX_DEPTH, err);
	cbor_decref(&in);
	if (!res)
		vci_err_prefix(err, "%s", what);
	return res;
}

static int tdate_of(const cbor_item_t *m, const char *key, int required, int64_t *t,
		    json_t *vi, vci_err_t *err)
{
	const cbor_item_t *i = vci_cbor_map_get_str(m, key);
	cbor_item_t *in;
	char *s;
	json_t *j;
	int rc;

	if (!i) {
		*t = 0;
		return required ? bad(err, "MSO: validityInfo.%s missing", key) : 0;
	}
	if (!cbor_isa_tag(i) || cbor_tag_value(i) != TAG_TDATE)
		return bad(err, "MSO: validityInfo.%s must be a tdate (tag 0)", key);
	in = cbor_tag_item(i);
	s = tstr_dup(in);
	cbor_decref(&in);
	if (!s || !vci_defn_is_datetime(s)) {
		free(s);
		return bad(err, "MSO: validityInfo.%s is not an RFC 3339 date-time", key);
	}
	j = json_string(s);
	rc = j ? vci_time_from_json(j, t) : -1;
	if (rc == 0)
		json_object_set_new(vi, key, json_string(s));
	json_decref(j);
	free(s);
	return rc < 0 ? bad(err, "MSO: validityInfo.%s is out of range", key) : 0;
}

static STACK_OF(X509) *x5chain_parse(const cbor_item_t *h, json_t *x5c, vci_err_t *err)
{
	STACK_OF(X509) *chain = sk_X509_new_null();
	size_t n = h && cbor_isa_array(h) ? cbor_array_size(h) : 1;

	if (!chain)
		return NULL;
	if (!h || (cbor_isa_array(h) && n == 0)) {
		sk_X509_free(chain);
		bad(err, "IssuerAuth: x5chain (33) missing in the unprotected header");
		return NULL;
	}
	for (size_t k = 0; k < n; k++) {
		const cbor_item_t *c = cbor_isa_array(h) ? cbor_array_handle(h)[k] : h;
		const uint8_t *p, *q;
		size_t len;
		X509 *x;
		char *b64;

		if (bstr_of(c, &p, &len) < 0 || len > LONG_MAX) {
			sk_X509_pop_free(chain, X509_free);
			bad(err, "IssuerAuth: x5chain must be a byte string or an array of them");
			return NULL;
		}
		q = p;
		x = d2i_X509(NULL, &q, (long)len);
		if (!x || q != p + len || !sk_X509_push(chain, x)) {
			X509_free(x);
			sk_X509_pop_free(chain, X509_free);
			bad(err, "IssuerAuth: x5chain certificate %zu is not DER X.509", k + 1);
			return NULL;
		}
		b64 = vci_b64_encode(p, len);
		json_array_append_new(x5c, json_string(b64 ? b64 : ""));
		free(b64);
	}
	return chain;
}

static const char *const mdoc_algs[] = { "ES256", "ES384", "ES512", "EdDSA", NULL };

int vci_mdoc_verify_item(const cbor_item_t *is, const vci_mdoc_verify_opts_t *o, json_t **out,
			 vci_err_t *err)
{
	const cbor_item_t *auth = vci_cbor_map_get_str(is, "issuerAuth");
	const cbor_item_t *nss = vci_cbor_map_get_str(is, "nameSpaces");
	const cbor_item_t *vd, *dki, *vi, *ver, *dalg, *dt, *st;
	vci_cose_sign1_t cose = { 0 };
	STACK_OF(X509) *chain = NULL;
	cbor_item_t *mso = NULL;
	uint8_t *abytes = NULL;
	size_t alen = 0;
	json_t *res = NULL, *x5c = json_array(), *vij = json_object(), *names = json_object();
	json_t *dk = NULL;
	const EVP_MD *md;
	char *doctype = NULL, *dname = NULL;
	int64_t signed_at, from, until, upd, at = o && o->at ? o->at : vci_time_now();
	int rc = -1, trusted = 0;

	*out = NULL;
	if (!x5c || !vij || !names)
		goto oom;
	if (!is || !cbor_isa_map(is)) {
		bad(err, "IssuerSigned: expected a map");
		goto out;
	}
	if (!auth) {
		bad(err, "IssuerSigned: issuerAuth missing");
		goto out;
	}
	/* the COSE_Sign1 as bytes, parsed by the COSE module */
	if (vci_cbor_serialize(auth, &abytes, &alen, err) < 0)
		goto out;
	if (vci_cose_sign1_parse(abytes, alen, &cose, err) < 0) {
		vci_err_prefix(err, "IssuerAuth");
		goto out;
	}
	if (cbor_isa_tag(auth)) {
		bad(err, "IssuerAuth: must be an untagged COSE_Sign1");
		goto out;
	}
	chain = x5chain_parse(vci_cose_header(&cose, VCI_COSE_X5CHAIN), x5c, err);
	if (!chain)
		goto out;
	if (!cose.payload) {
		bad(err, "IssuerAuth: detached payload (the MSO must be attached)");
		goto out;
	}
	if (vci_cose_sign1_verify(&cose, X509_get0_pubkey(sk_X509_value(chain, 0)), mdoc_algs, NULL,
				  0, NULL, 0, err) < 0) {
		fails(err, "IssuerAuth: %s", err->msg);
		goto out;
	}
	if (o && o->ca_file) {
		if (vci_x509_verify(chain, o->ca_file, (time_t)at, err) < 0) {
			char m[sizeof err->msg];

			snprintf(m, sizeof m, "%s", err->msg);
			fails(err, "x5chain: %s", m);
			goto out;
		}
		/* ISO 18013-5 Annex B: a document signer's extended key usage is mdlDS */
		{
			EXTENDED_KEY_USAGE *eku = X509_get_ext_d2i(sk_X509_value(chain, 0),
								   NID_ext_key_usage, NULL, NULL);
			int found = 0;

			for (int k = 0; eku && k < sk_ASN1_OBJECT_num(eku); k++) {
				char oid[64];

				if (OBJ_obj2txt(oid, sizeof oid, sk_ASN1_OBJECT_value(eku, k), 1) > 0 &&
				    !strcmp(oid, "1.0.18013.5.1.2"))
					found = 1;
			}
			if (eku && !found) {
				EXTENDED_KEY_USAGE_free(eku);
				fails(err, "x5chain: the document signer certificate's extended key usage "
				      "does not include mdlDS (1.0.18013.5.1.2)");
				goto out;
			}
			EXTENDED_KEY_USAGE_free(eku);
		}
		trusted = 1;
	}
	{
		cbor_item_t *tagged = vci_cbor_load(cose.payload, cose.payload_len, VCI_CBOR_MAX_DEPTH, err);

		if (!tagged) {
			vci_err_prefix(err, "IssuerAuth payload");
			goto out;
		}
		mso = embedded(tagged, "MobileSecurityObjectBytes", err);
		cbor_decref(&tagged);
		if (!mso)
			goto out;
	}
	if (!cbor_isa_map(mso)) {
		bad(err, "MSO: expected a map");
		goto out;
	}
	ver = vci_cbor_map_get_str(mso, "version");
	dalg = vci_cbor_map_get_str(mso, "digestAlgorithm");
	dt = vci_cbor_map_get_str(mso, "docType");
	vd = vci_cbor_map_get_str(mso, "valueDigests");
	dki = vci_cbor_map_get_str(mso, "deviceKeyInfo");
	vi = vci_cbor_map_get_str(mso, "validityInfo");
	st = vci_cbor_map_get_str(mso, "status");
	if (!tstr_is(ver, "1.0")) {
		bad(err, "MSO: version must be \"1.0\"");
		goto out;
	}
	dname = tstr_dup(dalg);
	if (!dname || !(md = vci_mdoc_digest_md(dname))) {
		bad(err, "MSO: digestAlgorithm must be SHA-256, SHA-384 or SHA-512");
		goto out;
	}
	doctype = tstr_dup(dt);
	if (!doctype || !*doctype) {
		bad(err, "MSO: docType missing or not a text string");
		goto out;
	}
	if (o && o->doctype && strcmp(o->doctype, doctype)) {
		fails(err, "MSO: docType is %s, not %s", doctype, o->doctype);
		goto out;
	}
	if (!vd || !cbor_isa_map(vd) || !vi || !cbor_isa_map(vi) || !dki || !cbor_isa_map(dki)) {
		bad(err, "MSO: valueDigests, validityInfo and deviceKeyInfo must be maps");
		goto out;
	}
	if (tdate_of(vi, "signed", 1, &signed_at, vij, err) < 0 ||
	    tdate_of(vi, "validFrom", 1, &from, vij, err) < 0 ||
	    tdate_of(vi, "validUntil", 1, &until, vij, err) < 0 ||
	    tdate_of(vi, "expectedUpdate", 0, &upd, vij, err) < 0)
		goto out;
	if (until <= from || signed_at > until) {
		fails(err, "MSO: validityInfo: validUntil must be after validFrom and signed");
		goto out;
	}
	if (at < from) {
		fails(err, "MSO: not valid before %s", json_string_value(json_object_get(vij, "validFrom")));
		goto out;
	}
	if (at >= until) {
		fails(err, "MSO: expired at %s", json_string_value(json_object_get(vij, "validUntil")));
		goto out;
	}
	dk = vci_mdoc_cose_key_to_jwk(vci_cbor_map_get_str(dki, "deviceKey"), NULL, err);
	if (!dk) {
		vci_err_prefix(err, "MSO: deviceKeyInfo");
		goto out;
	}
	/* every disclosed item: digest over its tag-24 bytes, as in valueDigests */
	if (nss && !cbor_isa_map(nss)) {
		bad(err, "IssuerSigned: nameSpaces must be a map");
		goto out;
	}
	for (size_t k = 0; nss && k < cbor_map_size(nss); k++) {
		struct cbor_pair pr = cbor_map_handle(nss)[k];
		char *ns = tstr_dup(pr.key);
		const cbor_item_t *digs = ns ? vci_cbor_map_get_str(vd, ns) : NULL;
		json_t *els = json_object();
		uint64_t *seen = NULL;
		size_t nitems;

		if (!ns || !els || json_object_get(names, ns) || !cbor_isa_array(pr.value) ||
		    !cbor_array_size(pr.value)) {
			free(ns);
			json_decref(els);
			bad(err, "nameSpaces: keys must be distinct text strings, values non-empty arrays");
			goto out;
		}
		json_object_set_new(names, ns, els);
		if (!digs || !cbor_isa_map(digs)) {
			fails(err, "nameSpaces.%s: no valueDigests for this namespace", ns);
			free(ns);
			goto out;
		}
		nitems = cbor_array_size(pr.value);
		seen = calloc(nitems, sizeof *seen);
		for (size_t e = 0; seen && e < nitems; e++) {
			const cbor_item_t *it = cbor_array_handle(pr.value)[e];
			cbor_item_t *item = NULL, *in;
			const uint8_t *p, *want;
			size_t n, wl;
			uint8_t head[18], dig[EVP_MAX_MD_SIZE];
			vci_buf_t h = VCI_BUF_FIXED(head);
			unsigned int dl = 0;
			int64_t id;
			char *el = NULL;
			const cbor_item_t *rnd, *did;
			json_t *val;
			int ok;

			if (!cbor_isa_tag(it) || cbor_tag_value(it) != TAG_ENCODED_CBOR) {
				bad(err, "nameSpaces.%s[%zu]: expected tag 24", ns, e);
				break;
			}
			in = cbor_tag_item(it);
			ok = bstr_of(in, &p, &n) == 0;
			cbor_decref(&in);
			if (!ok) {
				bad(err, "nameSpaces.%s[%zu]: tag 24 must hold a byte string", ns, e);
				break;
			}
			/* the received bytes, heads in their shortest form */
			vci_cbuf_head(&h, 6, TAG_ENCODED_CBOR);
			vci_cbuf_head(&h, 2, n);
			{
				EVP_MD_CTX *mc = EVP_MD_CTX_new();

				ok = mc && EVP_DigestInit_ex2(mc, md, NULL) == 1 &&
				     EVP_DigestUpdate(mc, head, h.len) == 1 &&
				     EVP_DigestUpdate(mc, p, n) == 1 &&
				     EVP_DigestFinal_ex(mc, dig, &dl) == 1;
				EVP_MD_CTX_free(mc);
				if (!ok) {
					bad(err, "digest failed");
					break;
				}
			}
			item = vci_cbor_load(p, n, VCI_CBOR_MAX_DEPTH, err);
			if (!item) {
				vci_err_prefix(err, "nameSpaces.%s[%zu]", ns, e);
				break;
			}
			rnd = vci_cbor_map_get_str(item, "random");
			el = tstr_dup(vci_cbor_map_get_str(item, "elementIdentifier"));
			did = vci_cbor_map_get_str(item, "digestID");
			if (!cbor_isa_map(item) || cbor_map_size(item) != 4 || !did || !cbor_isa_uint(did) ||
			    vci_cbor_get_int(did, &id) < 0 ||
			    bstr_of(rnd, &want, &wl) < 0 || !el ||
			    !vci_cbor_map_get_str(item, "elementValue")) {
				bad(err, "nameSpaces.%s[%zu]: an IssuerSignedItem is {digestID: uint, random: "
				    "bstr, elementIdentifier: tstr, elementValue: any}", ns, e);
			} else if (wl < 16) {
				bad(err, "nameSpaces.%s.%s: random is %zu bytes, fewer than 16", ns, el, wl);
			} else if (json_object_get(els, el)) {
				bad(err, "nameSpaces.%s.%s: element given twice", ns, el);
			} else {
				const cbor_item_t *d = vci_cbor_map_get_int(digs, id);
				const uint8_t *dp;
				size_t dn;
				size_t s;

				for (s = 0; s < e && seen[s] != (uint64_t)id; s++)
					;
				if (s < e) {
					bad(err, "nameSpaces.%s.%s: digestID %lld used twice", ns, el, (long long)id);
				} else if (!d || bstr_of(d, &dp, &dn) < 0) {
					fails(err, "nameSpaces.%s.%s: digestID %lld has no digest in the MSO", ns,
					      el, (long long)id);
				} else if (!vci_ct_equal(dp, dn, dig, dl)) {
					fails(err, "nameSpaces.%s.%s: digest does not match the MSO (digestID %lld)",
					      ns, el, (long long)id);
				} else if (!(val = to_json(vci_cbor_map_get_str(item, "elementValue"), err))) {
					vci_err_prefix(err, "nameSpaces.%s.%s", ns, el);
				} else {
					seen[e] = (uint64_t)id;
					json_object_set_new(els, el, val);
					free(el);
					cbor_decref(&item);
					continue;
				}
			}
			free(el);
			cbor_decref(&item);
			break;
		}
		if (!seen || json_object_size(els) != nitems) {
			if (!seen)
				vci_err_set(err, VCI_EXIT_IO, "io_error", "out of memory");
			free(seen);
			free(ns);
			goto out;
		}
		free(seen);
		free(ns);
	}
	res = json_object();
	if (!res)
		goto oom;
	json_object_set_new(res, "docType", json_string(doctype));
	json_object_set_new(res, "digestAlgorithm", json_string(dname));
	json_object_set_new(res, "validityInfo", json_incref(vij));
	json_object_set_new(res, "deviceKey", json_incref(dk));
	if (st) {
		json_t *sj = to_json(st, err);

		if (!sj) {
			json_decref(res);
			res = NULL;
			vci_err_prefix(err, "MSO: status");
			goto out;
		}
		json_object_set_new(res, "status", sj);
	}
	json_object_set_new(res, "x5chain", json_incref(x5c));
	json_object_set_new(res, "trusted", json_boolean(trusted));
	json_object_set_new(res, "nameSpaces", json_incref(names));
	*out = res;
	rc = 0;
	goto out;
oom:
	vci_err_set(err, VCI_EXIT_IO, "io_error", "out of memory");
out:
	vci_cose_sign1_free(&cose);
	if (chain)
		sk_X509_pop_free(chain, X509_free);
	if (mso)
		cbor_decref(&mso);
	free(abytes);
	free(doctype);
	free(dname);
	json_decref(x5c);
	json_decref(vij);
	json_decref(names);
	json_decref(dk);
	return rc;
}

int vci_mdoc_verify_issuer_signed(const uint8_t *buf, size_t len,
				  const vci_mdoc_verify_opts_t *o, json_t **out, vci_err_t *err)
{
	cbor_item_t *root;
	int rc;

	*out = NULL;
	if (len > VCI_MDOC_MAX)
		return vci_err_set(err, VCI_EXIT_INPUT, "input_too_large",
				   "IssuerSigned: %zu bytes, at most %u", len, VCI_MDOC_MAX);
	root = vci_cbor_load(buf, len, VCI_CBOR_MAX_DEPTH, err);
	if (!root)
		return vci_err_prefix(err, "IssuerSigned");
	rc = vci_mdoc_verify_item(root, o, out, err);
	cbor_decref(&root);
	return rc;
}

int vci_mdoc_verify(const uint8_t *buf, size_t len, const vci_mdoc_verify_opts_t *o,
		    json_t **out, vci_err_t *err)
{
	cbor_item_t *root;
	const cbor_item_t *docs;
	json_t *arr = json_array();
	int rc = -1;

	*out = NULL;
	if (!arr)
		return vci_err_set(err, VCI_EXIT_IO, "io_error", "out of memory");
	if (len > VCI_MDOC_MAX) {
		json_decref(arr);
		return vci_err_set(err, VCI_EXIT_INPUT, "input_too_large",
				   "mdoc: %zu bytes, at most %u", len, VCI_MDOC_MAX);
	}
	root = vci_cbor_load(buf, len, VCI_CBOR_MAX_DEPTH, err);
	if (!root) {
		json_decref(arr);
		return vci_err_prefix(err, "mdoc");
	}
	docs = vci_cbor_map_get_str(root, "documents");
	if (!docs && vci_cbor_map_get_str(root, "issuerSigned") && !vci_cbor_map_get_str(root, "issuerAuth")) {
		/* a single Document {docType, issuerSigned[, deviceSigned]} */
		char *dt = tstr_dup(vci_cbor_map_get_str(root, "docType"));
		vci_mdoc_verify_opts_t o2 = { 0 };
		json_t *r = NULL;

		if (o)
			o2 = *o;
		if (!dt) {
			bad(err, "Document: docType missing or not a text string");
		} else if (o && o->doctype && strcmp(o->doctype, dt)) {
			fails(err, "Document: docType is %s, not %s", dt, o->doctype);
		} else {
			o2.doctype = dt;
			rc = vci_mdoc_verify_item(vci_cbor_map_get_str(root, "issuerSigned"), &o2, &r, err);
			if (rc < 0)
				vci_err_prefix(err, "Document");
			else
				json_array_append_new(arr, r);
		}
		free(dt);
	} else if (!docs) {
		json_t *r = NULL;

		rc = vci_mdoc_verify_item(root, o, &r, err);
		if (rc == 0)
			json_array_append_new(arr, r);
	} else if (!cbor_isa_array(docs) || !cbor_array_size(docs)) {
		bad(err, "DeviceResponse: documents must be a non-empty array");
	} else {
		rc = 0;
		for (size_t k = 0; k < cbor_array_size(docs) && rc == 0; k++) {
			const cbor_item_t *d = cbor_array_handle(docs)[k];
			char *dt = tstr_dup(vci_cbor_map_get_str(d, "docType"));
			vci_mdoc_verify_opts_t o2 = { 0 };
			json_t *r = NULL;

			if (o)
				o2 = *o;
			if (!dt || !vci_cbor_map_get_str(d, "issuerSigned")) {
				rc = bad(err, "DeviceResponse: documents[%zu] needs docType and issuerSigned", k);
			} else if (o && o->doctype && strcmp(o->doctype, dt)) {
				rc = fails(err, "documents[%zu]: docType is %s, not %s", k, dt, o->doctype);
			} else {
				o2.doctype = dt;
				rc = vci_mdoc_verify_item(vci_cbor_map_get_str(d, "issuerSigned"), &o2, &r, err);
				if (rc < 0)
					vci_err_prefix(err, "documents[%zu]", k);
				else
					json_array_append_new(arr, r);
			}
			free(dt);
		}
	}
	cbor_decref(&root);
	if (rc < 0) {
		json_decref(arr);
		return -1;
	}
	*out = arr;
	return 0;
}
