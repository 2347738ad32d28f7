/* test-sdjwt.c - SD-JWT issuance and verification: with salts fixed
 * through the test-only hook, the disclosures and digests of RFC 9901
 * section 5, OID4VCI 1.0 A.3.4 and Token Status List 6.2 are reproduced
 * byte for byte; the verifier accepts the published vectors and refuses
 * tampered ones; random salts, decoys, sorting, plaintext claims. */
#include "base/b64url.h"
#include "crypto/keys.h"
#include "oid4vci/sdjwt.h"
#include "tap.h"

#include <string.h>

/* RFC 9901 A.5 issuer key and the holder key of the examples (sd-jwt.md V). */
static const char issuer_jwk[] =
	"{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"b28d4MwZMjw8-00CG4xfnn9SLMVMM19SlqZpVb_uNtQ\","
	"\"y\":\"Xv5zWwuoaTgdS6hV43yI6gBwTnjukmFQQnJ_kCxzqk8\","
	"\"d\":\"Ur2bNKuBPOrAaxsRnbSH6hIhmNTxSGXshDSUD1a1y7g\"}";
static const char holder_jwk[] =
	"{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"TCAER19Zvu3OHF4j4W4vfSVoHIP1ILilDls7vCeGemc\","
	"\"y\":\"ZxjiWWbZMQGHVWKVQ4hbSIirsVfuecCE6t4jT9F2HZQ\"}";

static const char *const salts_rfc[] = {
	"2GLC42sKQveCfGfryNRN9w", "eluV5Og3gSNII8EYnsxA_A", "6Ij7tM-a5iVPGboS5tmvVA",
	"eI8ZWm9QnKPpNPeNenHdhQ", "Qg_O64zqAxe412a108iroA", "AJx-095VPrpTtN4QMOqROA",
	"Pc33JM2LchcU_lHggv_ufQ", "G02NSrQfjFXQ7Io09syajA", "lklxF5jMYlGTPUovMNIvCA",
	"nPuoQnkRFq3BIeAm7AnXFA",
};

static json_t *J(const char *s)
{
	json_error_t e;
	json_t *j = json_loads(s, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &e);

	if (!j)
		tap_diag("bad test JSON: %s: %s", e.text, s);
	return j;
}

static EVP_PKEY *key_of(const char *jwk, int priv)
{
	json_auto_t *j = J(jwk);
	vci_err_t err = { 0 };
	EVP_PKEY *k = vci_jwk_to_pkey(j, priv, &err);

	if (!k)
		tap_diag("key: %s", err.msg);
	return k;
}

static char *vector(const char *name, size_t *len)
{
	char path[128];
	char *s;

	snprintf(path, sizeof path, "tests/vectors/%s", name);
	s = tap_slurp(tap_srcpath(path), len);
	while (s && *len && (s[*len - 1] == '\n' || s[*len - 1] == '\r'))
		s[--*len] = '\0';
	return s;
}

static vci_defn_t *defn(const char *doc)
{
	json_auto_t *j = J(doc);
	vci_err_t err = { 0 };
	vci_defn_t *d = j ? vci_defn_new(j, &err) : NULL;

	if (!d)
		tap_diag("definition: %s", err.msg);
	return d;
}

static vci_sdjwt_issuer_t *issuer(EVP_PKEY *k, const char *iss, const char *kid, int decoys,
				  const char *sd_alg)
{
	vci_sdjwt_issuer_opts_t o = { .key = k, .iss = iss, .kid = kid, .decoys = decoys,
				      .sd_alg = sd_alg };
	vci_err_t err = { 0 };
	vci_sdjwt_issuer_t *is = vci_sdjwt_issuer_new(&o, &err);

	if (!is)
		tap_diag("issuer: %s", err.msg);
	return is;
}

/* The part after the issuer JWT: "d1~d2~...~". */
static const char *tail(const char *sdjwt)
{
	const char *t = strchr(sdjwt, '~');

	return t ? t + 1 : "";
}

static json_t *payload_of(const char *sdjwt)
{
	vci_sdjwt_t sd;
	vci_err_t err = { 0 };
	json_t *p;

	if (vci_sdjwt_parse(sdjwt, strlen(sdjwt), &sd, &err) < 0) {
		tap_diag("parse: %s", err.msg);
		return NULL;
	}
	p = json_incref(sd.jws.payload);
	vci_sdjwt_free(&sd);
	return p;
}

static int json_eq_str(const json_t *got, const char *want)
{
	json_auto_t *w = J(want);
	int eq = json_equal((json_t *)got, w);

	if (!eq) {
		char *g = json_dumps(got, JSON_COMPACT);

		tap_diag("got  %s", g);
		tap_diag("want %s", want);
		free(g);
	}
	return eq;
}

static void disclosure_encoding(EVP_PKEY *ik)
{
	vci_sdjwt_issuer_t *is = issuer(ik, "https://issuer.example.com", NULL, 0, NULL);
	vci_defn_t *d = defn("{\"id\":\"t\",\"format\":\"dc+sd-jwt\",\"vct\":\"https://example.com/t\","
			     "\"claims\":[{\"path\":[\"family_name\"],\"sd\":\"always\"},"
			     "{\"path\":[\"nationalities\"],\"sd\":\"never\"},"
			     "{\"path\":[\"nationalities\",null],\"sd\":\"always\"}]}");
	static const char *const salts[] = { "_26bc4LT-ac6q2KI6cBW5es", "lklxF5jMYlGTPUovMNIvCA" };
	json_auto_t *claims = J("{\"family_name\":\"M\xc3\xb6" "bius\",\"nationalities\":[\"FR\"]}");
	vci_issue_times_t t = { .iat = 1683000000, .exp = 1883000000 };
	vci_err_t err = { 0 };
	json_auto_t *p = NULL;
	char *s;

	vci_sdjwt_issuer_fix_salts_for_test(is, salts, 2);
	s = vci_sdjwt_issue(is, d, claims, NULL, NULL, &t, NULL, &err);
	tap_ok(s != NULL, "V-1: issued (%s)", s ? "" : err.msg);
	tap_is_str(s ? tail(s) : "",
		   "WyJfMjZiYzRMVC1hYzZxMktJNmNCVzVlcyIsICJmYW1pbHlfbmFtZSIsICJNw7ZiaXVzIl0~"
		   "WyJsa2x4RjVqTVlsR1RQVW92TU5JdkNBIiwgIkZSIl0~",
		   "V-1: object property and array element disclosures, byte for byte");
	p = s ? payload_of(s) : NULL;
	tap_ok(json_eq_str(json_object_get(p, "_sd"), "[\"X9yH0Ajrdm1Oij4tWso9UzzKJvPoDxwmuEcO3XAdRC0\"]"),
	       "V-1: digest of the property disclosure");
	tap_ok(json_eq_str(json_object_get(p, "nationalities"),
			   "[{\"...\":\"w0I8EKcdCtUPkGCNUrfwVp2xEgNjtoIDlOxc9-PlOhs\"}]"),
	       "V-1: array element digest");
	tap_ok(json_eq_str(json_object_get(p, "_sd_alg"), "\"sha-256\""), "V-1: _sd_alg");
	free(s);
	vci_defn_free(d);
	vci_sdjwt_issuer_free(is);
}

static const char rfc_defn[] =
	"{\"id\":\"rfc\",\"format\":\"dc+sd-jwt\",\"vct\":\"https://example.com/rfc\","
	"\"claims\":[{\"path\":[\"sub\"],\"sd\":\"never\"},"
	"{\"path\":[\"given_name\"],\"sd\":\"always\"},{\"path\":[\"family_name\"],\"sd\":\"always\"},"
	"{\"path\":[\"email\"],\"sd\":\"always\"},{\"path\":[\"phone_number\"],\"sd\":\"always\"},"
	"{\"path\":[\"phone_number_verified\"],\"sd\":\"always\"},"
	"{\"path\":[\"address\"],\"sd\":\"always\"},{\"path\":[\"birthdate\"],\"sd\":\"always\"},"
	"{\"path\":[\"updated_at\"],\"sd\":\"always\"},{\"path\":[\"nationalities\"],\"sd\":\"never\"},"
	"{\"path\":[\"nationalities\",null],\"sd\":\"always\"}],\"allow_unknown_claims\":true}";
static const char rfc_claims[] =
	"{\"sub\":\"user_42\",\"given_name\":\"John\",\"family_name\":\"Doe\","
	"\"email\":\"johndoe@example.com\",\"phone_number\":\"+1-202-555-0101\","
	"\"phone_number_verified\":true,\"address\":{\"street_address\":\"123 Main St\","
	"\"locality\":\"Anytown\",\"region\":\"Anystate\",\"country\":\"US\"},"
	"\"birthdate\":\"1940-01-01\",\"updated_at\":1570000000,\"nationalities\":[\"US\",\"DE\"]}";

static void rfc9901_issuance(EVP_PKEY *ik, EVP_PKEY *ipub)
{
	vci_sdjwt_issuer_t *is = issuer(ik, "https://issuer.example.com", NULL, 0, NULL);
	vci_defn_t *d = defn(rfc_defn);
	json_auto_t *claims = J(rfc_claims), *hk = J(holder_jwk), *p = NULL, *vp = NULL;
	json_auto_t *got = NULL;
	vci_issue_times_t t = { .iat = 1683000000, .exp = 1883000000 };
	vci_sdjwt_verify_opts_t vo = { .key = ipub, .now = 1700000000 };
	vci_err_t err = { 0 };
	size_t vlen = 0;
	char *v = vector("rfc9901-5.1-issuance.txt", &vlen);
	char *s;

	vci_sdjwt_issuer_fix_salts_for_test(is, salts_rfc, 10);
	s = vci_sdjwt_issue(is, d, claims, hk, NULL, &t, NULL, &err);
	tap_ok(s != NULL, "RFC 9901 5.1: issued (%s)", s ? "" : err.msg);
	tap_is_str(s ? tail(s) : "", v ? tail(v) : "?",
		   "RFC 9901 5.1: the ten disclosures equal the RFC's byte for byte");
	p = s ? payload_of(s) : NULL;
	vp = v ? payload_of(v) : NULL;
	tap_ok(json_equal(json_object_get(p, "_sd"), json_object_get(vp, "_sd")),
	       "RFC 9901 5.1: the sorted _sd array equals the RFC's");
	tap_ok(json_equal(json_object_get(p, "nationalities"), json_object_get(vp, "nationalities")),
	       "RFC 9901 5.1: array element digests equal the RFC's");
	tap_ok(json_equal(json_object_get(p, "cnf"), json_object_get(vp, "cnf")) &&
		       json_integer_value(json_object_get(p, "iat")) == 1683000000 &&
		       json_integer_value(json_object_get(p, "exp")) == 1883000000 &&
		       !strcmp(json_string_value(json_object_get(p, "sub")), "user_42"),
	       "RFC 9901 5.1: plaintext cnf, iat, exp, sub");
	tap_ok(s && vci_sdjwt_verify(s, strlen(s), &vo, &got, &err) == 0,
	       "our SD-JWT verifies (%s)", got ? "" : err.msg);
	tap_ok(json_eq_str(json_object_get(got, "address"),
			   "{\"street_address\":\"123 Main St\",\"locality\":\"Anytown\","
			   "\"region\":\"Anystate\",\"country\":\"US\"}") &&
		       json_eq_str(json_object_get(got, "nationalities"), "[\"US\",\"DE\"]") &&
		       !json_object_get(got, "_sd") && !json_object_get(got, "_sd_alg"),
	       "processed payload: all claims disclosed, no _sd or _sd_alg");
	free(s);
	free(v);
	vci_defn_free(d);
	vci_sdjwt_issuer_free(is);
}

static void oid4vci_a34(EVP_PKEY *ik, EVP_PKEY *ipub)
{
	vci_sdjwt_issuer_t *is = issuer(ik, "https://example.com/issuer", "doc-signer-05-25-2022", 0,
					NULL);
	vci_defn_t *d = defn(
		"{\"id\":\"identity_credential\",\"format\":\"dc+sd-jwt\","
		"\"vct\":\"https://credentials.example.com/identity_credential\",\"claims\":["
		"{\"path\":[\"given_name\"]},{\"path\":[\"family_name\"]},{\"path\":[\"email\"]},"
		"{\"path\":[\"phone_number\"]},{\"path\":[\"address\"]},{\"path\":[\"birthdate\"]},"
		"{\"path\":[\"is_over_18\"]},{\"path\":[\"is_over_21\"]},{\"path\":[\"is_over_65\"]}]}");
	json_auto_t *claims = J(
		"{\"given_name\":\"John\",\"family_name\":\"Doe\",\"email\":\"johndoe@example.com\","
		"\"phone_number\":\"+1-202-555-0101\",\"address\":{\"street_address\":\"123 Main St\","
		"\"locality\":\"Anytown\",\"region\":\"Anystate\",\"country\":\"US\"},"
		"\"birthdate\":\"1940-01-01\",\"is_over_18\":true,\"is_over_21\":true,\"is_over_65\":true}");
	static const char *const salts[] = {
		"2GLC42sKQveCfGfryNRN9w", "eluV5Og3gSNII8EYnsxA_A", "6Ij7tM-a5iVPGboS5tmvVA",
		"eI8ZWm9QnKPpNPeNenHdhQ", "Qg_O64zqAxe412a108iroA", "AJx-095VPrpTtN4QMOqROA",
		"Pc33JM2LchcU_lHggv_ufQ", "G02NSrQfjFXQ7Io09syajA", "lklxF5jMYlGTPUovMNIvCA",
	};
	json_auto_t *hk = J(holder_jwk), *p = NULL, *vp = NULL, *got = NULL;
	vci_issue_times_t t = { .iat = 1683000000, .exp = 1883000000 };
	vci_sdjwt_verify_opts_t vo = { .key = ipub, .now = 1700000000 };
	vci_err_t err = { 0 };
	size_t vlen = 0;
	char *v = vector("oid4vci-1.0-A.3.4-sd-jwt-vc.txt", &vlen);
	char *s, *hdr;

	vci_sdjwt_issuer_fix_salts_for_test(is, salts, 9);
	s = vci_sdjwt_issue(is, d, claims, hk, NULL, &t, NULL, &err);
	tap_ok(s != NULL, "OID4VCI A.3.4: issued (%s)", s ? "" : err.msg);
	tap_is_str(s ? tail(s) : "", v ? tail(v) : "?",
		   "OID4VCI A.3.4: the nine disclosures equal the example's byte for byte");
	p = s ? payload_of(s) : NULL;
	vp = v ? payload_of(v) : NULL;
	json_object_del(vp, "_sd");
	{
		json_auto_t *full = v ? payload_of(v) : NULL;

		tap_ok(json_equal(json_object_get(p, "_sd"), json_object_get(full, "_sd")),
		       "OID4VCI A.3.4: _sd equals the example's");
		json_object_del(p, "_sd");
		tap_ok(json_equal(p, vp), "OID4VCI A.3.4: the rest of the payload equals the example's");
	}
	hdr = s ? strndup(s, (size_t)(strchr(s, '.') - s)) : NULL;
	{
		json_auto_t *h = hdr ? vci_b64url_decode_json(hdr, strlen(hdr), "h", &err) : NULL;

		tap_ok(json_eq_str(h, "{\"alg\":\"ES256\",\"typ\":\"dc+sd-jwt\","
				      "\"kid\":\"doc-signer-05-25-2022\"}"),
		       "OID4VCI A.3.4: header alg, typ dc+sd-jwt, kid");
	}
	tap_ok(s && vci_sdjwt_verify(s, strlen(s), &vo, &got, &err) == 0 &&
		       json_object_get(got, "is_over_65") == json_true(),
	       "A.3.4 reproduction verifies");
	free(hdr);
	free(s);
	free(v);
	vci_defn_free(d);
	vci_sdjwt_issuer_free(is);
}

static void tsl_recursive(EVP_PKEY *ik)
{
	vci_sdjwt_issuer_t *is = issuer(ik, "https://example.com/issuer", "k", 0, NULL);
	vci_defn_t *d = defn(
		"{\"id\":\"r\",\"format\":\"dc+sd-jwt\",\"vct\":\"https://example.com/r\",\"claims\":["
		"{\"path\":[\"sub\"],\"sd\":\"never\"},{\"path\":[\"address\"],\"sd\":\"always\"},"
		"{\"path\":[\"address\",\"street_address\"],\"sd\":\"always\"},"
		"{\"path\":[\"address\",\"locality\"],\"sd\":\"always\"},"
		"{\"path\":[\"address\",\"region\"],\"sd\":\"always\"},"
		"{\"path\":[\"address\",\"country\"],\"sd\":\"always\"}]}");
	json_auto_t *claims = J("{\"sub\":\"6c5c0a49-b589-431d-bae7-219122a9ec2c\",\"address\":{"
				"\"street_address\":\"Schulstr. 12\",\"locality\":\"Schulpforta\","
				"\"region\":\"Sachsen-Anhalt\",\"country\":\"DE\"}}");
	json_auto_t *st = J("{\"status_list\":{\"idx\":0,\"uri\":\"https://example.com/statuslists/1\"}}");
	json_auto_t *p = NULL, *vp = NULL;
	vci_issue_times_t t = { .iat = 1683000000, .exp = 1883000000 };
	vci_err_t err = { 0 };
	size_t vlen = 0;
	char *v = vector("tsl-6.2-referenced-token-sd-jwt.txt", &vlen);
	char *s;

	vci_sdjwt_issuer_fix_salts_for_test(is, salts_rfc, 5);
	s = vci_sdjwt_issue(is, d, claims, NULL, st, &t, NULL, &err);
	tap_is_str(s ? tail(s) : err.msg, v ? tail(v) : "?",
		   "TSL 6.2: recursive disclosures (address holding four) byte for byte");
	p = s ? payload_of(s) : NULL;
	vp = v ? payload_of(v) : NULL;
	tap_ok(json_equal(json_object_get(p, "_sd"), json_object_get(vp, "_sd")) &&
		       json_equal(json_object_get(p, "status"), json_object_get(vp, "status")),
	       "TSL 6.2: _sd and plaintext status equal the example's");
	free(s);
	free(v);
	vci_defn_free(d);
	vci_sdjwt_issuer_free(is);
}

/* Verify a string; returns 0 or -1 with the message in `msg`. */
static int verify(const char *s, EVP_PKEY *k, const char *aud, const char *nonce, int64_t now,
		  json_t **claims, char *msg)
{
	vci_sdjwt_verify_opts_t o = { .key = k, .kb_aud = aud, .kb_nonce = nonce, .now = now };
	vci_err_t err = { 0 };
	json_t *c = NULL;
	int rc = vci_sdjwt_verify(s, strlen(s), &o, &c, &err);

	snprintf(msg, 512, "%s", rc < 0 ? err.msg : "");
	if (claims)
		*claims = c;
	else if (c)
		json_decref(c);
	return rc;
}

/* Replace the n-th (0-based) '~'-separated component of s with rep. */
static char *replace_part(const char *s, size_t n, const char *rep)
{
	size_t len = strlen(s) + strlen(rep) + 2;
	char *out = calloc(1, len);
	const char *p = s;

	for (size_t i = 0; *p || i <= n; i++) {
		const char *t = strchr(p, '~');
		size_t l = t ? (size_t)(t - p) : strlen(p);

		if (i == n)
			strcat(out, rep);
		else
			memcpy(out + strlen(out), p, l);
		if (!t)
			break;
		strcat(out, "~");
		p = t + 1;
	}
	return out;
}

static void verify_vectors(EVP_PKEY *ik, EVP_PKEY *ipub)
{
	size_t l1 = 0, l2 = 0, l3 = 0, l4 = 0;
	char *iss = vector("rfc9901-5.1-issuance.txt", &l1);
	char *pres = vector("rfc9901-5.2-presentation.txt", &l2);
	char *a34 = vector("oid4vci-1.0-A.3.4-sd-jwt-vc.txt", &l3);
	char *tsl = vector("tsl-6.2-referenced-token-sd-jwt.txt", &l4);
	const char *aud = "https://verifier.example.org", *nonce = "1234567890";
	int64_t kbnow = 1748537244;
	char msg[512], *t;
	json_t *c = NULL;

	tap_ok(verify(iss, ipub, NULL, NULL, 1700000000, &c, msg) == 0, "RFC 9901 5.1 verifies (%s)", msg);
	tap_ok(json_eq_str(json_object_get(c, "nationalities"), "[\"US\",\"DE\"]") &&
		       json_object_get(c, "updated_at") && json_object_get(c, "phone_number_verified"),
	       "5.1: every claim disclosed");
	json_decref(c);
	c = NULL;
	tap_ok(verify(pres, ipub, aud, nonce, kbnow, &c, msg) == 0, "RFC 9901 5.2 with KB-JWT verifies (%s)", msg);
	tap_ok(json_eq_str(c, "{\"iss\":\"https://issuer.example.com\",\"iat\":1683000000,"
			      "\"exp\":1883000000,\"sub\":\"user_42\",\"nationalities\":[\"US\"],"
			      "\"cnf\":{\"jwk\":{\"kty\":\"EC\",\"crv\":\"P-256\","
			      "\"x\":\"TCAER19Zvu3OHF4j4W4vfSVoHIP1ILilDls7vCeGemc\","
			      "\"y\":\"ZxjiWWbZMQGHVWKVQ4hbSIirsVfuecCE6t4jT9F2HZQ\"}},"
			      "\"family_name\":\"Doe\",\"address\":{\"street_address\":\"123 Main St\","
			      "\"locality\":\"Anytown\",\"region\":\"Anystate\",\"country\":\"US\"},"
			      "\"given_name\":\"John\"}"),
	       "5.2: the processed payload of the RFC");
	json_decref(c);
	tap_ok(verify(pres, ipub, aud, "other", kbnow, NULL, msg) < 0 && strstr(msg, "nonce"),
	       "5.2: another nonce refused (%s)", msg);
	tap_ok(verify(pres, ipub, "https://other.example", nonce, kbnow, NULL, msg) < 0 &&
		       strstr(msg, "aud"), "5.2: another audience refused");
	tap_ok(verify(pres, ipub, aud, nonce, kbnow + 3600, NULL, msg) < 0 && strstr(msg, "iat"),
	       "5.2: a stale KB-JWT refused");
	tap_ok(verify(pres, ipub, NULL, NULL, kbnow, NULL, msg) < 0 && strstr(msg, "KB-JWT: present"),
	       "5.2: a KB-JWT nobody asked for is refused");
	tap_ok(verify(iss, ipub, aud, nonce, kbnow, NULL, msg) < 0 && strstr(msg, "KB-JWT: missing"),
	       "5.1 where key binding is required: refused");
	/* reorder the first two disclosures: sd_hash no longer matches */
	{
		char *d1 = strchr(pres, '~') + 1, *d2 = strchr(d1, '~') + 1, *d3 = strchr(d2, '~') + 1;
		char *r = malloc(l2 + 1);
		size_t jl = (size_t)(d1 - pres), n1 = (size_t)(d2 - d1), n2 = (size_t)(d3 - d2);

		memcpy(r, pres, jl);
		memcpy(r + jl, d2, n2);
		memcpy(r + jl + n2, d1, n1);
		strcpy(r + jl + n1 + n2, d3);
		tap_ok(verify(r, ipub, aud, nonce, kbnow, NULL, msg) < 0 && strstr(msg, "sd_hash"),
		       "5.2: reordered disclosures fail sd_hash (%s)", msg);
		free(r);
	}
	t = replace_part(pres, 2, "");
	{
		/* drop a disclosure: "~~" is an empty one; really remove it */
		char *dd = strstr(t, "~~");

		memmove(dd, dd + 1, strlen(dd + 1) + 1);
	}
	tap_ok(verify(t, ipub, aud, nonce, kbnow, NULL, msg) < 0 && strstr(msg, "sd_hash"),
	       "5.2: a dropped disclosure fails sd_hash (%s)", msg);
	free(t);
	/* change a disclosure: its digest is referenced nowhere */
	t = replace_part(iss, 1, "WyIyR0xDNDJzS1F2ZUNmR2ZyeU5STjl3IiwgImdpdmVuX25hbWUiLCAiSmFuZSJd");
	tap_ok(verify(t, ipub, NULL, NULL, 1700000000, NULL, msg) < 0 && strstr(msg, "not referenced"),
	       "a changed disclosure is refused (%s)", msg);
	free(t);
	/* the same disclosure twice */
	{
		const char *d1 = strchr(iss, '~') + 1;
		size_t n1 = (size_t)(strchr(d1, '~') - d1);
		char *r = malloc(l1 + n1 + 2);

		sprintf(r, "%s%.*s~", iss, (int)n1, d1);
		tap_ok(verify(r, ipub, NULL, NULL, 1700000000, NULL, msg) < 0 &&
			       strstr(msg, "presented twice"), "a disclosure presented twice is refused");
		free(r);
	}
	/* flip a signature byte */
	t = strdup(iss);
	{
		char *tl = strchr(t, '~');
		char *sig = tl - 10;

		*sig = *sig == 'A' ? 'B' : 'A';
	}
	tap_ok(verify(t, ipub, NULL, NULL, 1700000000, NULL, msg) < 0 && strstr(msg, "signature"),
	       "a flipped signature byte is refused (%s)", msg);
	free(t);
	tap_ok(verify(iss, ipub, NULL, NULL, 1883000000 + 3600, NULL, msg) < 0 && strstr(msg, "expired"),
	       "an expired SD-JWT is refused");
	/* other vectors */
	tap_ok(verify(a34, ipub, NULL, NULL, 1700000000, &c, msg) == 0 &&
		       json_object_get(c, "is_over_21") == json_true(),
	       "OID4VCI A.3.4 verifies (%s)", msg);
	json_decref(c);
	tap_ok(verify(tsl, ipub, NULL, NULL, 1700000000, &c, msg) == 0 &&
		       json_eq_str(json_object_get(c, "address"),
				   "{\"street_address\":\"Schulstr. 12\",\"locality\":\"Schulpforta\","
				   "\"region\":\"Sachsen-Anhalt\",\"country\":\"DE\"}"),
	       "TSL 6.2 recursive disclosures verify (%s)", msg);
	json_decref(c);
	/* locality without address: unreferenced */
	{
		const char *p = tsl;
		char *jwt = strndup(tsl, (size_t)(strchr(tsl, '~') - tsl));
		char *r;

		for (int i = 0; i < 2; i++)
			p = strchr(p, '~') + 1;
		r = malloc(l4 + 4);
		sprintf(r, "%s~%.*s~", jwt, (int)(strchr(p, '~') - p), p);
		tap_ok(verify(r, ipub, NULL, NULL, 1700000000, NULL, msg) < 0 &&
			       strstr(msg, "not referenced"),
		       "TSL 6.2: locality without address is refused (%s)", msg);
		free(r);
		free(jwt);
	}
	tap_ok(verify(strchr(iss, '~') ? "eyJhbGciOiJFUzI1NiJ9.e30.AAAA" : "", ipub, NULL, NULL, 0,
		      NULL, msg) < 0 && strstr(msg, "no '~'"), "a plain JWT is not an SD-JWT");
	/* a duplicated digest in a payload we sign ourselves */
	{
		vci_err_t err = { 0 };
		json_auto_t *pl = J("{\"_sd\":[\"jsu9yVulwQQlhFlM_3JlzMaSFzglhQG0DpfayQwLUK4\","
				    "\"jsu9yVulwQQlhFlM_3JlzMaSFzglhQG0DpfayQwLUK4\"],\"_sd_alg\":\"sha-256\"}");
		json_auto_t *h = J("{\"typ\":\"example+sd-jwt\"}");
		char *jwt = vci_jws_sign_json(ik, "ES256", h, pl, &err);
		char *r = malloc(strlen(jwt) + 128);

		sprintf(r, "%s~WyIyR0xDNDJzS1F2ZUNmR2ZyeU5STjl3IiwgImdpdmVuX25hbWUiLCAiSm9obiJd~", jwt);
		tap_ok(verify(r, ipub, NULL, NULL, 1700000000, NULL, msg) < 0 &&
			       strstr(msg, "more than once"), "a duplicated digest is refused (%s)", msg);
		free(r);
		free(jwt);
		json_decref(pl);
		pl = J("{\"given_name\":\"x\",\"_sd\":[\"jsu9yVulwQQlhFlM_3JlzMaSFzglhQG0DpfayQwLUK4\"]}");
		jwt = vci_jws_sign_json(ik, "ES256", h, pl, &err);
		r = malloc(strlen(jwt) + 128);
		sprintf(r, "%s~WyIyR0xDNDJzS1F2ZUNmR2ZyeU5STjl3IiwgImdpdmVuX25hbWUiLCAiSm9obiJd~", jwt);
		tap_ok(verify(r, ipub, NULL, NULL, 1700000000, NULL, msg) < 0 &&
			       strstr(msg, "already present"), "a claim disclosed over a plaintext one is refused");
		free(r);
		free(jwt);
		json_decref(pl);
		pl = J("{\"_sd_alg\":\"sha-256-32\"}");
		jwt = vci_jws_sign_json(ik, "ES256", h, pl, &err);
		r = malloc(strlen(jwt) + 2);
		sprintf(r, "%s~", jwt);
		tap_ok(verify(r, ipub, NULL, NULL, 1700000000, NULL, msg) < 0 && strstr(msg, "_sd_alg"),
		       "a truncated _sd_alg is refused");
		free(r);
		free(jwt);
		json_decref(h);
		h = J("{\"typ\":\"JWT\"}");
		json_decref(pl);
		pl = J("{}");
		jwt = vci_jws_sign_json(ik, "ES256", h, pl, &err);
		r = malloc(strlen(jwt) + 2);
		sprintf(r, "%s~", jwt);
		tap_ok(verify(r, ipub, NULL, NULL, 1700000000, NULL, msg) < 0 && strstr(msg, "typ"),
		       "typ JWT is not an SD-JWT type");
		free(r);
		free(jwt);
	}
	free(iss);
	free(pres);
	free(a34);
	free(tsl);
}

static void issuance_properties(EVP_PKEY *ik, EVP_PKEY *ipub)
{
	vci_defn_t *d = defn(rfc_defn);
	json_auto_t *claims = J(rfc_claims);
	vci_issue_times_t t = { .iat = 1683000000, .exp = 1883000000 };
	vci_err_t err = { 0 };
	vci_sdjwt_issuer_t *is = issuer(ik, "https://issuer.example.com", NULL, 3, NULL);
	char *a = vci_sdjwt_issue(is, d, claims, NULL, NULL, &t, NULL, &err);
	char *b = vci_sdjwt_issue(is, d, claims, NULL, NULL, &t, NULL, &err);
	json_auto_t *pa = a ? payload_of(a) : NULL, *pb = b ? payload_of(b) : NULL, *c = NULL;
	const json_t *sd = json_object_get(pa, "_sd");
	char msg[512];
	int sorted = 1;

	tap_ok(a && b && strcmp(tail(a), tail(b)) != 0, "two credentials of the same claims differ");
	tap_is_int((long long)json_array_size(sd), 8 + 3, "--decoys 3: 8 digests and 3 decoys");
	for (size_t i = 1; i < json_array_size(sd); i++)
		if (strcmp(json_string_value(json_array_get(sd, i - 1)),
			   json_string_value(json_array_get(sd, i))) >= 0)
			sorted = 0;
	tap_ok(sorted, "_sd sorted");
	tap_ok(json_object_get(pa, "sub") && !json_object_get(pa, "given_name"),
	       "sd never stays plaintext, sd always does not");
	{
		const char *d1 = strchr(a, '~') + 1;
		uint8_t *raw = NULL;
		size_t rl = 0;
		json_auto_t *arr = NULL;

		vci_b64url_decode(d1, (size_t)(strchr(d1, '~') - d1), &raw, &rl, &err);
		arr = raw ? json_loadb((char *)raw, rl, 0, NULL) : NULL;
		tap_is_int((long long)json_string_length(json_array_get(arr, 0)), 22,
			   "salt: 22 base64url characters (128 bits)");
		free(raw);
	}
	tap_ok(verify(a, ipub, NULL, NULL, 1700000000, &c, msg) == 0 &&
		       json_object_size(c) == 14, "decoys are ignored by the verifier (%s)", msg);
	free(a);
	free(b);
	vci_sdjwt_issuer_free(is);

	/* more digests than the small sort takes: sorted all the same */
	is = issuer(ik, "https://issuer.example.com", NULL, 40, NULL);
	a = vci_sdjwt_issue(is, d, claims, NULL, NULL, &t, NULL, &err);
	json_decref(pa);
	pa = a ? payload_of(a) : NULL;
	sd = json_object_get(pa, "_sd");
	sorted = json_array_size(sd) == 8 + 40;
	for (size_t i = 1; i < json_array_size(sd); i++)
		if (strcmp(json_string_value(json_array_get(sd, i - 1)),
			   json_string_value(json_array_get(sd, i))) >= 0)
			sorted = 0;
	tap_ok(sorted, "--decoys 40: 48 digests, sorted");
	free(a);
	vci_sdjwt_issuer_free(is);

	is = issuer(ik, "https://issuer.example.com", NULL, 0, "sha-384");
	a = vci_sdjwt_issue(is, d, claims, NULL, NULL, &t, NULL, &err);
	json_decref(pa);
	pa = a ? payload_of(a) : NULL;
	tap_ok(json_string_length(json_array_get(json_object_get(pa, "_sd"), 0)) == 64 &&
		       !strcmp(json_string_value(json_object_get(pa, "_sd_alg")), "sha-384"),
	       "sha-384: 64-character digests and _sd_alg");
	json_decref(c);
	c = NULL;
	tap_ok(a && verify(a, ipub, NULL, NULL, 1700000000, &c, msg) == 0, "sha-384 verifies");
	free(a);
	{
		json_auto_t *bad = J("{\"given_name\":\"x\",\"address\":{\"_sd\":[]}}");

		a = vci_sdjwt_issue(is, d, bad, NULL, NULL, &t, NULL, &err);
		tap_ok(!a && strstr(err.msg, "reserved"), "a claim named _sd is refused (%s)", err.msg);
		free(a);
	}
	vci_sdjwt_issuer_free(is);
	{
		vci_sdjwt_issuer_opts_t o = { .key = ik, .sd_alg = "sha-1" };

		tap_ok(!vci_sdjwt_issuer_new(&o, &err) && err.status == VCI_EXIT_USAGE,
		       "unknown --sd-alg refused");
	}
	vci_defn_free(d);
}

static void records(EVP_PKEY *ik, EVP_PKEY *ipub)
{
	vci_sdjwt_issuer_t *is = issuer(ik, "https://issuer.example.com", "k1", -1, NULL);
	vci_defn_t *d = defn(rfc_defn);
	vci_defn_t *vc = defn("{\"id\":\"diploma\",\"format\":\"jwt_vc_json\",\"type\":"
			      "[\"VerifiableCredential\",\"UniversityDegreeCredential\"],"
			      "\"claims\":[{\"path\":[\"given_name\"],\"mandatory\":true}]}");
	vci_err_t err = { 0 };
	json_auto_t *r1 = J("{\"id\":7,\"claims\":{\"given_name\":\"A\"},\"holder_jwks\":["
			    "{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"TCAER19Zvu3OHF4j4W4vfSVoHIP1ILilDls7vCeGemc\","
			    "\"y\":\"ZxjiWWbZMQGHVWKVQ4hbSIirsVfuecCE6t4jT9F2HZQ\"},"
			    "{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"TCAER19Zvu3OHF4j4W4vfSVoHIP1ILilDls7vCeGemc\","
			    "\"y\":\"ZxjiWWbZMQGHVWKVQ4hbSIirsVfuecCE6t4jT9F2HZQ\"}]}");
	json_auto_t *r2 = J("{\"claims\":{\"given_name\":\"A\"},\"exp\":100}");
	json_auto_t *r3 = J("{\"claims\":{\"given_name\":\"A\"},\"holder_jwk\":"
			    "{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"TCAER19Zvu3OHF4j4W4vfSVoHIP1ILilDls7vCeGemc\","
			    "\"y\":\"ZxjiWWbZMQGHVWKVQ4hbSIirsVfuecCE6t4jT9F2HZQ\"}}");
	json_auto_t *p = NULL, *c = NULL;
	const json_t *cs;
	char msg[512];
	vci_issue_ctx_t isd, ivc;

	vci_issue_ctx_init(&isd, &d, 1, NULL, 0);
	vci_issue_ctx_add(&isd, &vci_sdjwt_ops, is);
	vci_issue_ctx_init(&ivc, &vc, 1, NULL, 0);
	vci_issue_ctx_add(&ivc, &vci_jwtvc_ops, is);
	tap_ok(vci_issue_record(&isd, r1, 1700000123, 0, &err) == 0, "record with holder_jwks (%s)",
	       err.msg);
	cs = json_object_get(r1, "credentials");
	tap_ok(json_array_size(cs) == 2 &&
		       !strcmp(json_string_value(json_object_get(r1, "format")), "dc+sd-jwt") &&
		       json_integer_value(json_object_get(r1, "id")) == 7,
	       "two credentials, format, other fields kept");
	p = payload_of(json_string_value(json_object_get(json_array_get(cs, 0), "credential")));
	tap_is_int(json_integer_value(json_object_get(p, "iat")), 1699920000, "iat rounded to the day");
	tap_ok(json_object_get(json_object_get(p, "cnf"), "jwk") != NULL, "cnf.jwk");
	tap_ok(verify(json_string_value(json_object_get(json_array_get(cs, 1), "credential")), ipub,
		      NULL, NULL, 1700000123, &c, msg) == 0, "second credential verifies (%s)", msg);
	tap_ok(vci_issue_record(&isd, r2, 1700000123, 0, &err) < 0 &&
		       !strcmp(err.code, "invalid_request") && strstr(err.msg, "exp"),
	       "exp before iat: the record fails (%s)", err.msg);
	tap_ok(vci_issue_record(&ivc, r3, 1700000123, 0, &err) == 0, "jwt_vc_json record (%s)",
	       err.msg);
	{
		vci_jws_t j;
		const char *s = json_string_value(json_object_get(r3, "credential"));
		const json_t *v;

		tap_ok(s && vci_jws_parse_verify(s, strlen(s), ipub, NULL, &j, &err) == 0,
		       "W3C VC JWT signature verifies");
		v = json_object_get(j.payload, "vc");
		tap_ok(json_eq_str(json_object_get(v, "type"),
				   "[\"VerifiableCredential\",\"UniversityDegreeCredential\"]") &&
			       json_eq_str(json_object_get(json_object_get(v, "credentialSubject"),
							   "given_name"), "\"A\"") &&
			       !strncmp(json_string_value(json_object_get(j.payload, "sub")),
					"did:jwk:", 8) &&
			       !strncmp(json_string_value(json_object_get(j.payload, "jti")),
					"urn:uuid:", 9) &&
			       !strcmp(json_string_value(json_object_get(j.header, "typ")), "JWT"),
		       "vc: type, credentialSubject, sub did:jwk, jti, typ JWT");
		tap_ok(json_equal(json_object_get(json_object_get(v, "credentialSubject"), "id"),
				  json_object_get(j.payload, "sub")),
		       "credentialSubject.id is the holder's did:jwk");
		vci_jws_free(&j);
	}
	vci_defn_free(d);
	vci_defn_free(vc);
	vci_sdjwt_issuer_free(is);
}

int main(void)
{
	EVP_PKEY *ik = key_of(issuer_jwk, 1);
	EVP_PKEY *ipub = NULL;
	json_auto_t *pub = J(issuer_jwk);

	json_object_del(pub, "d");
	{
		vci_err_t err = { 0 };

		ipub = vci_jwk_to_pkey(pub, 0, &err);
	}
	disclosure_encoding(ik);
	rfc9901_issuance(ik, ipub);
	oid4vci_a34(ik, ipub);
	tsl_recursive(ik);
	verify_vectors(ik, ipub);
	issuance_properties(ik, ipub);
	records(ik, ipub);
	EVP_PKEY_free(ik);
	EVP_PKEY_free(ipub);
	return tap_done();
}
