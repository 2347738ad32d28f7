/* test-mdoc.c - mdoc: every element type against hand-written CBOR hex,
 * COSE_Key from a JWK (the Annex D device key), the ISO 18013-5 Annex D
 * IssuerSigned and DeviceResponse (all digests recomputed, tampered
 * copies refused), the TSL draft-14 MSO with status, and sign/verify
 * round trips with each algorithm and digest. */
#include "base/b64url.h"
#include "base/common.h"
#include "crypto/cose.h"
#include "crypto/keys.h"
#include "oid4vci/mdoc.h"
#include "tap.h"

#include <string.h>
#include <openssl/x509v3.h>

static char *hex(const uint8_t *b, size_t n)
{
	char *s = malloc(2 * n + 1);

	for (size_t i = 0; i < n; i++)
		sprintf(s + 2 * i, "%02x", b[i]);
	s[2 * n] = '\0';
	return s;
}

/* encode JSON text as type; compare with expected hex (NULL: must fail
 * with a message containing `want_err`). */
static void enc(const char *json, vci_mdoc_type_t t, const char *want_hex, const char *want_err)
{
	json_t *v = json_loads(json, JSON_DECODE_ANY, NULL);
	vci_buf_t b = { 0 };
	vci_err_t err = { 0 };
	int rc = vci_mdoc_encode_value(&b, v, t, "claims.x", &err);

	if (want_hex) {
		char *h = rc == 0 ? hex(b.buf, b.len) : NULL;

		tap_is_str(h ? h : err.msg, want_hex, "%s as %s", json, vci_mdoc_type_name(t));
		free(h);
	} else {
		tap_ok(rc < 0 && strstr(err.msg, want_err) && !strcmp(err.code, "invalid_claims"),
		       "%s as %s refused: %s", json, vci_mdoc_type_name(t), err.msg);
	}
	vci_buf_free(&b);
	json_decref(v);
}

static void test_elements(void)
{
	enc("\"Doe\"", VCI_MDOC_TSTR, "63446f65", NULL);
	enc("\"\"", VCI_MDOC_TSTR, "60", NULL);
	enc("2", VCI_MDOC_UINT, "02", NULL);
	enc("180", VCI_MDOC_UINT, "18b4", NULL);
	enc("70000", VCI_MDOC_UINT, "1a00011170", NULL);
	enc("-5", VCI_MDOC_INT, "24", NULL);
	enc("1.5", VCI_MDOC_NUMBER, "fa3fc00000", NULL);
	enc("0.1", VCI_MDOC_NUMBER, "fb3fb999999999999a", NULL);
	enc("7", VCI_MDOC_NUMBER, "07", NULL);
	enc("true", VCI_MDOC_BOOL, "f5", NULL);
	enc("false", VCI_MDOC_BOOL, "f4", NULL);
	enc("\"AAEC\"", VCI_MDOC_BSTR, "43000102", NULL);
	enc("\"__4\"", VCI_MDOC_BSTR, "42fffe", NULL);       /* base64url */
	enc("\"//4=\"", VCI_MDOC_BSTR, "42fffe", NULL);      /* base64, padded */
	enc("\"data:image/jpeg;base64,/9j/\"", VCI_MDOC_BSTR, "43ffd8ff", NULL);
	enc("\"2019-10-20\"", VCI_MDOC_FULL_DATE, "d903ec6a323031392d31302d3230", NULL);
	enc("\"2020-10-01T13:30:02Z\"", VCI_MDOC_TDATE,
	    "c074323032302d31302d30315431333a33303a30325a", NULL);
	/* an offset is converted to UTC */
	enc("\"2020-10-01T15:30:02+02:00\"", VCI_MDOC_TDATE,
	    "c074323032302d31302d30315431333a33303a30325a", NULL);
	enc("\"2024-10-20\"", VCI_MDOC_DATE, "d903ec6a323032342d31302d3230", NULL);
	enc("\"2024-10-20T00:00:00Z\"", VCI_MDOC_DATE,
	    "c074323032342d31302d32305430303a30303a30305a", NULL);
	enc("[\"DE\",\"FR\"]", VCI_MDOC_TSTR_ARRAY, "82624445624652", NULL);
	enc("{\"locality\":\"Berlin\",\"country\":\"DE\"}", VCI_MDOC_TSTR_MAP,
	    "a267636f756e747279624445686c6f63616c697479664265726c696e", NULL);
	/* Annex D's first driving privilege, keys in deterministic order */
	enc("[{\"vehicle_category_code\":\"A\",\"issue_date\":\"2018-08-09\",\"expiry_date\":\"2024-10-20\"}]",
	    VCI_MDOC_DRIVING_PRIVILEGES,
	    "81a36a69737375655f64617465d903ec6a323031382d30382d30396b6578706972795f64617465d903ec"
	    "6a323032342d31302d32307576656869636c655f63617465676f72795f636f64656141", NULL);
	enc("[{\"vehicle_category_code\":\"B\",\"codes\":[{\"code\":\"78\",\"sign\":\"=\",\"value\":\"x\"}]}]",
	    VCI_MDOC_DRIVING_PRIVILEGES,
	    "81a265636f64657381a364636f6465623738647369676e613d6576616c756561787576656869636c655f"
	    "63617465676f72795f636f64656142", NULL);
	enc("{\"b\":[1,null],\"a\":{\"x\":true}}", VCI_MDOC_ANY, "a26161a16178f5616282" "01f6", NULL);
	enc("[1,\"x\"]", VCI_MDOC_ARRAY, "82016178", NULL);

	enc("\"31/12/1990\"", VCI_MDOC_FULL_DATE, NULL, "expected full-date");
	enc("\"2020-10-01T13:30:02.5Z\"", VCI_MDOC_TDATE, NULL, "expected tdate");
	enc("\"1990-01-01\"", VCI_MDOC_TDATE, NULL, "expected tdate");
	enc("-1", VCI_MDOC_UINT, NULL, "expected uint");
	enc("\"true\"", VCI_MDOC_BOOL, NULL, "expected bool");
	enc("\"!!\"", VCI_MDOC_BSTR, NULL, "expected bstr");
	enc("\"AA-/\"", VCI_MDOC_BSTR, NULL, "expected bstr"); /* mixed alphabets */
	enc("3", VCI_MDOC_TSTR, NULL, "claims.x: expected tstr, got 3");
	enc("[\"DE\",1]", VCI_MDOC_TSTR_ARRAY, NULL, "claims.x[1]: expected tstr");
	enc("{}", VCI_MDOC_TSTR_MAP, NULL, "at least one member");
	enc("[{\"issue_date\":\"09.08.2018\"}]", VCI_MDOC_DRIVING_PRIVILEGES, NULL,
	    "claims.x[0].issue_date: expected full-date or tdate");
	enc("[{\"codes\":[]}]", VCI_MDOC_DRIVING_PRIVILEGES, NULL, "claims.x[0].codes");
}

static void test_known(void)
{
	tap_ok(vci_mdoc_known_type(VCI_MDOC_NS_MDL, "birth_date") == VCI_MDOC_FULL_DATE, "mDL birth_date is full-date");
	tap_ok(vci_mdoc_known_type(VCI_MDOC_NS_MDL, "issue_date") == VCI_MDOC_DATE, "mDL issue_date is full-date or tdate");
	tap_ok(vci_mdoc_known_type(VCI_MDOC_NS_MDL, "portrait") == VCI_MDOC_BSTR, "mDL portrait is bstr");
	tap_ok(vci_mdoc_known_type(VCI_MDOC_NS_MDL, "age_over_21") == VCI_MDOC_BOOL, "mDL age_over_21 is bool");
	tap_ok(vci_mdoc_known_type(VCI_MDOC_NS_MDL, "age_over_2") == VCI_MDOC_ANY, "age_over_2 is not an age element");
	tap_ok(vci_mdoc_known_type(VCI_MDOC_NS_MDL, "driving_privileges") == VCI_MDOC_DRIVING_PRIVILEGES,
	       "mDL driving_privileges");
	tap_ok(vci_mdoc_known_type(VCI_MDOC_NS_MDL, "sex") == VCI_MDOC_UINT, "mDL sex is uint");
	tap_ok(vci_mdoc_known_type(VCI_MDOC_NS_PID, "nationality") == VCI_MDOC_TSTR_ARRAY, "PID nationality");
	tap_ok(vci_mdoc_known_type(VCI_MDOC_NS_PID, "place_of_birth") == VCI_MDOC_TSTR_MAP, "PID place_of_birth");
	tap_ok(vci_mdoc_known_type(VCI_MDOC_NS_PID, "issuance_date") == VCI_MDOC_DATE, "PID issuance_date");
	tap_ok(vci_mdoc_known_type("org.example", "birth_date") == VCI_MDOC_ANY, "unknown namespace: any");
}

/* Annex D device key (mdoc.md section 4). */
#define ANNEXD_X "96313d6c63e24e3372742bfdb1a33ba2c897dcd68ab8c753e4fbd48dca6b7f9a"
#define ANNEXD_Y "1fb3269edd418857de1b39a4e4a44b92fa484caa722c228288f01d0c03a2c3d6"

static json_t *jwk_of_hex(const char *x, const char *y)
{
	size_t xl, yl;
	uint8_t *xb = tap_unhex(x, &xl), *yb = y ? tap_unhex(y, &yl) : NULL;
	char *xs = vci_b64url_encode(xb, xl), *ys = yb ? vci_b64url_encode(yb, yl) : NULL;
	json_t *j = y ? json_pack("{s:s,s:s,s:s,s:s}", "kty", "EC", "crv", "P-256", "x", xs, "y", ys)
		      : json_pack("{s:s,s:s,s:s}", "kty", "OKP", "crv", "Ed25519", "x", xs);

	free(xb);
	free(yb);
	free(xs);
	free(ys);
	return j;
}

static void test_cose_key(void)
{
	json_t *j = jwk_of_hex(ANNEXD_X, ANNEXD_Y);
	vci_buf_t b = { 0 };
	vci_err_t err = { 0 };
	char *h;
	json_t *back;
	cbor_item_t *item;

	tap_ok(vci_mdoc_cose_key_from_jwk(&b, j, &err) == 0, "Annex D JWK converts %s", err.msg);
	h = hex(b.buf, b.len);
	tap_is_str(h, "a401022001215820" ANNEXD_X "225820" ANNEXD_Y, "COSE_Key bytes equal Annex D's");
	free(h);
	item = vci_cbor_load(b.buf, b.len, 8, &err);
	back = vci_mdoc_cose_key_to_jwk(item, NULL, &err);
	tap_ok(back && json_equal(back, j), "and back to the same JWK");
	json_decref(back);
	cbor_decref(&item);
	vci_buf_free(&b);
	json_decref(j);

	j = jwk_of_hex("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a", NULL);
	tap_ok(vci_mdoc_cose_key_from_jwk(&b, j, &err) == 0, "Ed25519 JWK converts");
	h = hex(b.buf, b.len);
	tap_is_str(h, "a30101200621" "5820d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
		   "Ed25519 COSE_Key {1: 1, -1: 6, -2: x}");
	free(h);
	vci_buf_free(&b);
	json_decref(j);

	/* y changed: not on the curve */
	j = jwk_of_hex(ANNEXD_X, "1fb3269edd418857de1b39a4e4a44b92fa484caa722c228288f01d0c03a2c3d7");
	tap_ok(vci_mdoc_cose_key_from_jwk(&b, j, &err) < 0 && strstr(err.msg, "not a point"),
	       "off-curve key refused: %s", err.msg);
	vci_buf_free(&b);
	json_decref(j);
	j = json_pack("{s:s,s:s,s:s}", "kty", "EC", "crv", "P-256", "x", "AAAA");
	tap_ok(vci_mdoc_cose_key_from_jwk(&b, j, &err) < 0 && !strcmp(err.code, "invalid_proof"),
	       "short coordinate refused: %s", err.msg);
	vci_buf_free(&b);
	json_decref(j);
	j = json_pack("{s:s,s:i,s:s}", "kty", "RSA", "e", 3, "n", "AQAB");
	tap_ok(vci_mdoc_cose_key_from_jwk(&b, j, &err) < 0, "RSA refused: %s", err.msg);
	vci_buf_free(&b);
	json_decref(j);
}

static uint8_t *annexd(size_t *len)
{
	size_t n;
	char *s = tap_slurp(tap_srcpath("tests/vectors/iso18013-5-annexD-issuersigned.b64u"), &n);
	uint8_t *b = NULL;

	while (n && (s[n - 1] == '\n' || s[n - 1] == '\r'))
		s[--n] = '\0';
	if (vci_b64url_decode(s, n, &b, len, NULL) < 0)
		b = NULL;
	free(s);
	return b;
}

static uint8_t *hexfile(const char *rel, size_t *len)
{
	size_t n;
	char *s = tap_slurp(tap_srcpath(rel), &n);
	uint8_t *b;

	while (n && (s[n - 1] == '\n' || s[n - 1] == '\r'))
		s[--n] = '\0';
	b = tap_unhex(s, len);
	free(s);
	return b;
}

/* position of a byte sequence given as hex */
static uint8_t *find(uint8_t *b, size_t n, const char *hx)
{
	size_t l;
	uint8_t *needle = tap_unhex(hx, &l), *r = NULL;

	for (size_t i = 0; i + l <= n && !r; i++)
		if (!memcmp(b + i, needle, l))
			r = b + i;
	free(needle);
	return r;
}

static void test_annexd(void)
{
	vci_mdoc_verify_opts_t o = { .at = 1609459200 }; /* 2021-01-01 */
	vci_err_t err = { 0 };
	size_t len = 0;
	uint8_t *b = annexd(&len), *p;
	json_t *res = NULL, *ns;

	tap_is_int((long long)len, 3394, "Annex D IssuerSigned is 3,394 bytes");
	tap_ok(vci_mdoc_verify_issuer_signed(b, len, &o, &res, &err) == 0,
	       "Annex D IssuerSigned verifies at 2021-01-01: %s", err.msg);
	ns = json_object_get(json_object_get(res, "nameSpaces"), VCI_MDOC_NS_MDL);
	tap_is_int((long long)json_object_size(ns), 6, "six elements, all six digests match");
	tap_is_str(json_string_value(json_object_get(ns, "family_name")), "Doe", "family_name Doe");
	tap_is_str(json_string_value(json_object_get(ns, "issue_date")), "2019-10-20", "issue_date as ISO string");
	tap_is_str(json_string_value(json_object_get(json_object_get(res, "deviceKey"), "x")),
		   "ljE9bGPiTjNydCv9saM7osiX3NaKuMdT5PvUjcprf5o", "device key x");
	tap_is_str(json_string_value(json_object_get(json_array_get(
			   json_object_get(ns, "driving_privileges"), 1), "vehicle_category_code")),
		   "B", "driving_privileges[1] B");
	tap_ok(json_is_false(json_object_get(res, "trusted")), "no --ca: not trusted");
	json_decref(res);
	res = NULL;

	o.at = 1640000000; /* 2021-12-20 */
	tap_ok(vci_mdoc_verify_issuer_signed(b, len, &o, &res, &err) < 0 && err.status == VCI_EXIT_FAIL &&
	       strstr(err.msg, "expired"), "refused after validUntil: %s", err.msg);
	o.at = 1500000000;
	tap_ok(vci_mdoc_verify_issuer_signed(b, len, &o, &res, &err) < 0 && strstr(err.msg, "not valid before"),
	       "refused before validFrom: %s", err.msg);
	o.at = 1609459200;
	o.doctype = "eu.europa.ec.eudi.pid.1";
	tap_ok(vci_mdoc_verify_issuer_signed(b, len, &o, &res, &err) < 0 && strstr(err.msg, "docType"),
	       "wrong doc type refused: %s", err.msg);
	o.doctype = NULL;

	/* element value "Doe" -> "Dof" inside item 0 */
	p = find(b, len, "6c656c656d656e7456616c756563446f65");
	tap_ok(p != NULL, "found family_name's value");
	p[16] ^= 3;
	tap_ok(vci_mdoc_verify_issuer_signed(b, len, &o, &res, &err) < 0 && err.status == VCI_EXIT_FAIL &&
	       strstr(err.msg, "family_name: digest does not match"), "changed value refused: %s", err.msg);
	p[16] ^= 3;
	/* a digest in the MSO changed (so the signature breaks too) */
	p = find(b, len, "75167333b47b6c2bfb86eccc1f438cf57af055371ac55e1e359e20f254adcebf");
	tap_ok(p != NULL, "found digest 0 in the MSO");
	p[0] ^= 1;
	tap_ok(vci_mdoc_verify_issuer_signed(b, len, &o, &res, &err) < 0 && err.status == VCI_EXIT_FAIL,
	       "changed digest refused: %s", err.msg);
	p[0] ^= 1;
	/* the last byte of the signature: the issuerAuth array ends before nameSpaces in
	   Annex D? no: nameSpaces come first, issuerAuth last, so flip the last byte */
	b[len - 1] ^= 0x40;
	tap_ok(vci_mdoc_verify_issuer_signed(b, len, &o, &res, &err) < 0 &&
	       strstr(err.msg, "signature does not verify"), "flipped signature byte refused: %s", err.msg);
	b[len - 1] ^= 0x40;
	tap_ok(vci_mdoc_verify_issuer_signed(b, len, &o, &res, &err) == 0, "restored copy verifies");
	json_decref(res);
	res = NULL;
	tap_ok(vci_mdoc_verify_issuer_signed(b, len - 1, &o, &res, &err) < 0 && err.status == VCI_EXIT_INPUT,
	       "truncated: malformed input (%s)", err.msg);
	free(b);

	/* the DeviceResponse: documents[0].issuerSigned, docType checked */
	b = hexfile("tests/vectors/iso18013-5-annexD-device-response.hex", &len);
	tap_ok(vci_mdoc_verify(b, len, &o, &res, &err) == 0 && json_array_size(res) == 1,
	       "Annex D DeviceResponse verifies: %s", err.msg);
	json_decref(res);
	res = NULL;
	/* documents[0] alone: a Document */
	{
		cbor_item_t *root = vci_cbor_load(b, len, 32, &err);
		const cbor_item_t *docs = vci_cbor_map_get_str(root, "documents");
		uint8_t *db = NULL;
		size_t dl = 0;

		tap_ok(docs && vci_cbor_serialize(cbor_array_handle(docs)[0], &db, &dl, &err) == 0,
		       "Document cut from the DeviceResponse");
		tap_ok(vci_mdoc_verify(db, dl, &o, &res, &err) == 0 && json_array_size(res) == 1,
		       "a Document verifies: %s", err.msg);
		json_decref(res);
		res = NULL;
		o.doctype = "eu.europa.ec.eudi.pid.1";
		tap_ok(vci_mdoc_verify(db, dl, &o, &res, &err) < 0 && strstr(err.msg, "Document: docType is"),
		       "a Document of another docType is refused: %s", err.msg);
		o.doctype = NULL;
		free(db);
		cbor_decref(&root);
	}
	p = find(b, len, "67646f6354797065756f72672e69736f2e31383031332e352e312e6d444c");
	tap_ok(p != NULL, "found the Document's docType");
	p[29] = 'X';
	tap_ok(vci_mdoc_verify(b, len, &o, &res, &err) < 0 && strstr(err.msg, "docType"),
	       "a Document docType unlike the MSO's refused: %s", err.msg);
	free(b);
}

static void test_status_vector(void)
{
	size_t len = 0;
	uint8_t *auth = hexfile("tests/vectors/tsl-draft14-mso-with-status-issuerauth.hex", &len);
	vci_buf_t b = { 0 };
	vci_mdoc_verify_opts_t o = { .at = 1735689600 }; /* 2025-01-01 */
	vci_err_t err = { 0 };
	json_t *res = NULL, *sl;

	vci_cbuf_head(&b, 5, 1);
	vci_cbuf_str(&b, "issuerAuth");
	vci_cbuf_raw(&b, auth, len);
	tap_ok(vci_mdoc_verify_issuer_signed(b.buf, b.len, &o, &res, &err) == 0,
	       "TSL draft-14 IssuerAuth (sorted MSO keys) verifies: %s", err.msg);
	sl = json_object_get(json_object_get(res, "status"), "status_list");
	tap_is_int(json_integer_value(json_object_get(sl, "idx")), 412, "status idx 412");
	tap_is_str(json_string_value(json_object_get(sl, "uri")), "https://example.com/statuslists/1",
		   "status uri");
	json_decref(res);
	vci_buf_free(&b);
	free(auth);
}

/* A self-signed certificate for key (and a second one for chains). */
static X509 *mkcert(EVP_PKEY *key, EVP_PKEY *signer, const char *cn)
{
	X509 *x = X509_new();
	X509_NAME *n = X509_NAME_new();

	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 7);
	X509_gmtime_adj(X509_getm_notBefore(x), -86400);
	X509_gmtime_adj(X509_getm_notAfter(x), 86400L * 3650);
	X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0);
	X509_set_subject_name(x, n);
	X509_set_issuer_name(x, n);
	X509_NAME_free(n);
	X509_set_pubkey(x, key);
	X509_sign(x, signer, EVP_PKEY_is_a(signer, "ED25519") ? NULL : EVP_sha256());
	return x;
}

static json_t *claims(void)
{
	return json_loads("{\"" VCI_MDOC_NS_MDL "\":{\"family_name\":\"Mustermann\",\"birth_date\":\"1964-08-12\","
			  "\"portrait\":\"AAEC\",\"age_over_18\":true,\"sex\":2,"
			  "\"driving_privileges\":[{\"vehicle_category_code\":\"B\",\"issue_date\":\"2020-01-01\"}]},"
			  "\"org.example.x\":{\"note\":\"n\"}}", 0, NULL);
}

static void roundtrip(const char *keytype, const char *curve, const char *digest)
{
	EVP_PKEY *k = curve ? EVP_PKEY_Q_keygen(NULL, NULL, keytype, curve)
			    : EVP_PKEY_Q_keygen(NULL, NULL, keytype);
	EVP_PKEY *holder = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	X509 *c = mkcert(k, k, "ds");
	STACK_OF(X509) *chain = sk_X509_new_null();
	vci_mdoc_issuer_opts_t io = { .key = k, .digest_alg = digest };
	vci_mdoc_issuer_t *is;
	vci_err_t err = { 0 };
	json_t *cl = claims(), *hj = vci_jwk_from_pkey(holder, NULL), *res = NULL, *ns;
	json_t *status = json_loads("{\"status_list\":{\"idx\":7,\"uri\":\"https://i.example/s/1\"}}", 0, NULL);
	vci_mdoc_content_t ct = { .doctype = VCI_MDOC_DOCTYPE_MDL, .claims = cl, .holder_jwk = hj,
				  .signed_at = 1767225600, .valid_from = 1767225600,
				  .valid_until = 1798761600, .status = status };
	vci_mdoc_verify_opts_t o = { .at = 1767225601, .doctype = VCI_MDOC_DOCTYPE_MDL };
	uint8_t *out = NULL;
	size_t len = 0;
	cbor_item_t *root;

	sk_X509_push(chain, c);
	io.chain = chain;
	is = vci_mdoc_issuer_new(&io, &err);
	tap_ok(is != NULL, "%s %s issuer (%s): %s", keytype, curve ? curve : "", digest ? digest : "SHA-256",
	       err.msg);
	if (!is)
		goto out;
	tap_ok(vci_mdoc_issue(is, &ct, &out, &len, &err) == 0, "issues: %s", err.msg);
	tap_ok(vci_mdoc_verify_issuer_signed(out, len, &o, &res, &err) == 0, "what we sign verifies: %s",
	       err.msg);
	ns = json_object_get(json_object_get(res, "nameSpaces"), VCI_MDOC_NS_MDL);
	tap_is_str(json_string_value(json_object_get(ns, "birth_date")), "1964-08-12", "birth_date back");
	tap_is_str(json_string_value(json_object_get(ns, "portrait")), "AAEC", "portrait back as base64url");
	tap_is_int(json_integer_value(json_object_get(json_object_get(json_object_get(res, "status"),
								       "status_list"), "idx")), 7, "status idx");
	tap_is_str(json_string_value(json_object_get(json_object_get(res, "validityInfo"), "validUntil")),
		   "2027-01-01T00:00:00Z", "validUntil");
	tap_is_str(json_string_value(json_object_get(res, "digestAlgorithm")), digest ? digest : "SHA-256",
		   "digestAlgorithm");
	/* deterministic layout: IssuerSigned {issuerAuth, nameSpaces} */
	tap_ok(len > 12 && !memcmp(out, "\xa2\x6aissuerAuth\x84", 13), "IssuerSigned starts a2 issuerAuth [4]");
	root = vci_cbor_load(out, len, 32, &err);
	tap_ok(root && cbor_map_size(root) == 2, "decodes as a map of two");
	if (root)
		cbor_decref(&root);
	json_decref(res);
	res = NULL;
	/* a different holder key is what the MSO carries */
	tap_ok(vci_mdoc_verify_issuer_signed(out, len, &o, &res, &err) == 0 &&
	       json_equal(json_object_get(res, "deviceKey"), hj), "deviceKey is the holder's JWK");
	json_decref(res);
	res = NULL;
	out[len - 1] ^= 1; /* inside nameSpaces now: an item's element identifier/value */
	tap_ok(vci_mdoc_verify_issuer_signed(out, len, &o, &res, &err) < 0, "a changed item is refused: %s",
	       err.msg);
	free(out);
	/* every record's randoms differ: two signatures of the same content differ */
	{
		uint8_t *a = NULL, *b2 = NULL;
		size_t al = 0, bl = 0;

		vci_mdoc_issue(is, &ct, &a, &al, &err);
		vci_mdoc_issue(is, &ct, &b2, &bl, &err);
		tap_ok(a && b2 && (al != bl || memcmp(a, b2, al)), "two issuances differ (fresh randoms)");
		free(a);
		free(b2);
	}
	ct.holder_jwk = NULL;
	tap_ok(vci_mdoc_issue(is, &ct, &out, &len, &err) < 0 && !strcmp(err.code, "invalid_proof"),
	       "no device key: refused");
	vci_mdoc_issuer_free(is);
out:
	sk_X509_pop_free(chain, X509_free);
	json_decref(cl);
	json_decref(hj);
	json_decref(status);
	EVP_PKEY_free(k);
	EVP_PKEY_free(holder);
}

static void test_chain_rules(void)
{
	EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	EVP_PKEY *other = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	STACK_OF(X509) *chain = sk_X509_new_null();
	vci_mdoc_issuer_opts_t io = { .key = k, .chain = chain };
	vci_err_t err = { 0 };

	tap_ok(!vci_mdoc_issuer_new(&io, &err) && err.status == VCI_EXIT_KEY, "no certificate: %s", err.msg);
	sk_X509_push(chain, mkcert(other, other, "other"));
	tap_ok(!vci_mdoc_issuer_new(&io, &err) && strstr(err.msg, "not for the signing key"),
	       "certificate of another key: %s", err.msg);
	sk_X509_pop_free(chain, X509_free);
	chain = sk_X509_new_null();
	io.chain = chain;
	sk_X509_push(chain, mkcert(k, other, "ds"));
	sk_X509_push(chain, mkcert(other, other, "root"));
	tap_ok(!vci_mdoc_issuer_new(&io, &err) && strstr(err.msg, "self-signed root"),
	       "a root in the chain is refused: %s", err.msg);
	io.chain = chain;
	sk_X509_pop_free(chain, X509_free);
	chain = sk_X509_new_null();
	sk_X509_push(chain, mkcert(k, k, "ds"));
	io.chain = chain;
	io.digest_alg = "MD5";
	tap_ok(!vci_mdoc_issuer_new(&io, &err) && err.status == VCI_EXIT_USAGE, "MD5 refused: %s", err.msg);
	io.digest_alg = NULL;
	io.alg = "ES384";
	tap_ok(!vci_mdoc_issuer_new(&io, &err) && err.status == VCI_EXIT_KEY, "ES384 with P-256 refused: %s",
	       err.msg);
	sk_X509_pop_free(chain, X509_free);
	EVP_PKEY_free(k);
	EVP_PKEY_free(other);
}

int main(void)
{
	test_elements();
	test_known();
	test_cose_key();
	test_annexd();
	test_status_vector();
	roundtrip("EC", "P-256", NULL);
	roundtrip("EC", "P-384", "SHA-384");
	roundtrip("EC", "P-521", "SHA-512");
	roundtrip("ED25519", NULL, NULL);
	test_chain_rules();
	return tap_done();
}
