/* test-issue.c - times, holder keys, status reference, result fields,
 * and every format through the one issuing path (vci_issue_record). */
#include "oid4vci/issue.h"
#include "base/b64url.h"
#include "crypto/jws.h"
#include "crypto/keys.h"
#include "oid4vci/mdoc.h"
#include "oid4vci/policy.h"
#include "oid4vci/validity.h"
#include "oid4vci/sdjwt.h"
#include "pipe/batch.h"
#include "pipe/cli.h"
#include "tap.h"
#include <string.h>

static json_t *J(const char *s)
{
	json_error_t e;
	json_t *j = json_loads(s, 0, &e);
	if (!j)
		tap_diag("bad test JSON: %s", e.text);
	return j;
}

static void precision(void)
{
	long p = 0;
	vci_err_t err;
	tap_ok(vci_time_precision_parse("day", &p, &err) == 0 && p == 86400, "day");
	tap_ok(vci_time_precision_parse("hour", &p, &err) == 0 && p == 3600, "hour");
	tap_ok(vci_time_precision_parse("minute", &p, &err) == 0 && p == 60, "minute");
	tap_ok(vci_time_precision_parse("second", &p, &err) == 0 && p == 1, "second");
	tap_ok(vci_time_precision_parse("15m", &p, &err) == 0 && p == 900, "15m");
	tap_ok(vci_time_precision_parse("90", &p, &err) == 0 && p == 90, "90");
	tap_ok(vci_time_precision_parse("31d", &p, &err) == 0 && p == 31 * 86400, "31d");
	static const char *const bad[] = { "", "0", "-1", "week", "32d", "1x", "1hh", "h" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int rc = vci_time_precision_parse(bad[i], &p, &err);
		tap_ok(rc < 0 && err.status == VCI_EXIT_USAGE &&
			       !strncmp(err.msg, "time_precision: ", 16),
		       "refused '%s'", bad[i]);
	}
	tap_is_int(vci_time_round(1700000123, 86400), 1699920000, "round to day");
	tap_is_int(vci_time_round(1700000123, 3600), 1699999200, "round to hour");
	tap_is_int(vci_time_round(1700000123, 1), 1700000123, "precision 1 keeps");
}

static void times(void)
{
	int64_t t;
	json_auto_t *a = json_integer(1700000000);
	tap_ok(vci_time_from_json(a, &t) == 0 && t == 1700000000, "integer");
	json_auto_t *b = json_string("2023-11-14T22:13:20Z");
	tap_ok(vci_time_from_json(b, &t) == 0 && t == 1700000000, "date-time Z");
	json_auto_t *c = json_string("2023-11-15T00:13:20.123+02:00");
	tap_ok(vci_time_from_json(c, &t) == 0 && t == 1700000000, "offset and fraction");
	json_auto_t *d = json_string("2024-02-29");
	tap_ok(vci_time_from_json(d, &t) == 0 && t == 1709164800, "full-date");
	static const char *const bad[] = { "2023-02-29", "2023-13-01", "2023-11-14T22:13:20",
					   "2023-11-14 22:13:20Z", "1969-12-31", "x" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		json_auto_t *s = json_string(bad[i]);
		tap_ok(vci_time_from_json(s, &t) < 0, "refused '%s'", bad[i]);
	}
	json_auto_t *n = json_integer(-1);
	tap_ok(vci_time_from_json(n, &t) < 0, "negative refused");
	char buf[21];
	vci_time_format(1700000000, buf);
	tap_is_str(buf, "2023-11-14T22:13:20Z", "format");

	vci_issue_times_t it;
	vci_err_t err;
	json_auto_t *r0 = J("{}");
	tap_ok(vci_issue_times(NULL, r0, 1700000123, 86400, &it, &err) == 0 &&
		       it.iat == 1699920000 && it.exp == 1699920000 + 30 * 86400 && it.nbf == 0,
	       "defaults: rounded iat, 30 days");
	json_auto_t *r1 = J("{\"exp\":\"2024-01-01T00:00:00Z\",\"nbf\":1700000000}");
	tap_ok(vci_issue_times(NULL, r1, 1700000123, 1, &it, &err) == 0 &&
		       it.exp == 1704067200 && it.nbf == 1700000000,
	       "record exp and nbf");
	json_auto_t *r2 = J("{\"exp\":1}");
	tap_ok(vci_issue_times(NULL, r2, 1700000123, 1, &it, &err) < 0 &&
		       strstr(err.msg, "exp:") && !strcmp(err.code, "invalid_request"),
	       "exp in the past refused: %s", err.msg);
	json_auto_t *r3 = J("{\"exp\":true}");
	tap_ok(vci_issue_times(NULL, r3, 1700000123, 1, &it, &err) < 0, "exp of wrong type");
	json_auto_t *r4 = J("{\"exp\":1800000000,\"nbf\":1900000000}");
	tap_ok(vci_issue_times(NULL, r4, 1700000123, 1, &it, &err) < 0 && strstr(err.msg, "nbf:"),
	       "nbf after exp refused");
}

static void holder(void)
{
	const json_t *keys[4];
	size_t n;
	vci_err_t err;
	json_auto_t *r0 = J("{}");
	tap_ok(vci_issue_holder_keys(NULL, r0, keys, 4, &n, &err) == 0 && n == 0, "no key");
	json_auto_t *r1 = J("{\"holder_jwk\":{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"AA\"}}");
	tap_ok(vci_issue_holder_keys(NULL, r1, keys, 4, &n, &err) == 0 && n == 1, "one key");
	json_auto_t *r2 = J("{\"holder_jwks\":[{\"kty\":\"EC\"},{\"kty\":\"EC\"}]}");
	tap_ok(vci_issue_holder_keys(NULL, r2, keys, 4, &n, &err) == 0 && n == 2, "two keys");
	tap_ok(vci_issue_holder_keys(NULL, r2, keys, 1, &n, &err) < 0, "too many keys");
	json_auto_t *r3 = J("{\"holder_jwk\":{\"kty\":\"EC\",\"d\":\"x\"}}");
	tap_ok(vci_issue_holder_keys(NULL, r3, keys, 4, &n, &err) < 0 &&
		       !strcmp(err.code, "invalid_proof") && strstr(err.msg, "'d'"),
	       "private key refused: %s", err.msg);
	json_auto_t *r4 = J("{\"holder_jwk\":{\"kty\":\"EC\"},\"holder_jwks\":[]}");
	tap_ok(vci_issue_holder_keys(NULL, r4, keys, 4, &n, &err) < 0, "both refused");
	json_auto_t *r5 = J("{\"holder_jwks\":[]}");
	tap_ok(vci_issue_holder_keys(NULL, r5, keys, 4, &n, &err) < 0, "empty array refused");
	json_auto_t *r6 = J("{\"holder_jwk\":\"x\"}");
	tap_ok(vci_issue_holder_keys(NULL, r6, keys, 4, &n, &err) < 0, "string refused");
	vci_defn_t d = { .id = "pid", .key_binding = 1 };
	tap_ok(vci_issue_holder_keys(&d, r0, keys, 4, &n, &err) < 0 &&
		       strstr(err.msg, "holder_jwk: missing"),
	       "binding required: %s", err.msg);
}

static void status(void)
{
	const json_t *s;
	vci_err_t err;
	json_auto_t *r0 = J("{}");
	tap_ok(vci_issue_status(NULL, NULL, r0, &s, &err) == 0 && s == NULL, "no status");
	json_auto_t *r1 = J("{\"status\":{\"status_list\":{\"idx\":3,\"uri\":\"https://x.example/sl/1\"}}}");
	tap_ok(vci_issue_status(NULL, NULL, r1, &s, &err) == 0 && s, "status ok");
	json_auto_t *r2 = J("{\"status\":{\"status_list\":{\"idx\":-1,\"uri\":\"https://x.example/\"}}}");
	tap_ok(vci_issue_status(NULL, NULL, r2, &s, &err) < 0 && strstr(err.msg, "idx"), "bad idx");
	json_auto_t *r3 = J("{\"status\":{\"status_list\":{\"idx\":1,\"uri\":\"http://x.example/\"}}}");
	tap_ok(vci_issue_status(NULL, NULL, r3, &s, &err) < 0 && strstr(err.msg, "uri"), "http uri");
	json_auto_t *r4 = J("{\"status\":[]}");
	tap_ok(vci_issue_status(NULL, NULL, r4, &s, &err) < 0, "status not an object");
	vci_defn_t d = { .id = "pid", .status = VCI_STATUS_NONE };
	json_auto_t *r5 = J("{\"credentialStatus\":{\"type\":\"BitstringStatusListEntry\"}}");
	tap_ok(vci_issue_status(&d, "an mso_mdoc credential", r5, &s, &err) < 0 &&
	       strstr(err.msg, "an mso_mdoc credential takes a Token Status List"),
	       "a W3C credentialStatus is refused: %s", err.msg);
	tap_ok(vci_issue_status(&d, "a dc+sd-jwt credential", r0, &s, &err) == 0 && !s,
	       "no status, none asked for");
	d.status = VCI_STATUS_TOKEN;
	tap_ok(vci_issue_status(&d, "a dc+sd-jwt credential", r0, &s, &err) < 0 &&
	       strstr(err.msg, "status: missing: the definition 'pid'"),
	       "a definition with a status list requires it: %s", err.msg);
	tap_ok(vci_issue_status(&d, "a dc+sd-jwt credential", r1, &s, &err) == 0 && s, "and takes it");
}

static void result(void)
{
	json_auto_t *r = J("{\"a\":1}");
	json_t *c1[] = { json_string("X") };
	vci_issue_result(r, "dc+sd-jwt", c1, 1, 0);
	char_auto_t *s1 = json_dumps(r, JSON_COMPACT);
	tap_is_str(s1, "{\"a\":1,\"format\":\"dc+sd-jwt\",\"credential\":\"X\"}", "single");
	json_auto_t *r2 = J("{}");
	json_t *c2[] = { json_string("X"), json_string("Y") };
	vci_issue_result(r2, "mso_mdoc", c2, 2, 1);
	char_auto_t *s2 = json_dumps(r2, JSON_COMPACT);
	tap_is_str(s2,
		   "{\"format\":\"mso_mdoc\",\"credentials\":[{\"credential\":\"X\"},"
		   "{\"credential\":\"Y\"}]}",
		   "batch");
}

static void select_defn(void)
{
	vci_defn_t a = { .id = "pid", .format = VCI_FORMAT_SDJWT };
	vci_defn_t b = { .id = "mdl", .format = VCI_FORMAT_MDOC };
	vci_defn_t c = { .id = "pid2", .format = VCI_FORMAT_SDJWT };
	vci_defn_t *two[] = { &a, &b }, *three[] = { &a, &b, &c };
	unsigned sd = 1u << VCI_FORMAT_SDJWT | 1u << VCI_FORMAT_JWTVC;
	vci_err_t err;
	json_auto_t *r0 = J("{}");
	tap_ok(vci_issue_defn_select(two, 2, sd, NULL, r0, &err) == &a, "only one of the format");
	tap_ok(vci_issue_defn_select(three, 3, sd, NULL, r0, &err) == NULL &&
		       !strcmp(err.code, "invalid_request"),
	       "ambiguous: %s", err.msg);
	tap_ok(vci_issue_defn_select(three, 3, sd, "pid2", r0, &err) == &c, "--config");
	json_auto_t *r1 = J("{\"credential_configuration_id\":\"pid2\"}");
	tap_ok(vci_issue_defn_select(three, 3, sd, NULL, r1, &err) == &c, "record field");
	tap_ok(vci_issue_defn_select(three, 3, sd, "pid", r1, &err) == &a, "--config wins");
	json_auto_t *r2 = J("{\"credential_configuration_id\":\"mdl\"}");
	tap_ok(vci_issue_defn_select(three, 3, sd, NULL, r2, &err) == NULL &&
		       !strcmp(err.code, "unknown_credential_configuration"),
	       "wrong format: %s", err.msg);
	json_auto_t *r3 = J("{\"credential_configuration_id\":\"nope\"}");
	tap_ok(vci_issue_defn_select(three, 3, sd, NULL, r3, &err) == NULL &&
		       strstr(err.msg, "'nope'"),
	       "unknown id: %s", err.msg);
	tap_ok(vci_issue_defn_select(two, 1, 1u << VCI_FORMAT_MDOC, NULL, r0, &err) == NULL,
	       "no definition of the format");
	tap_ok(vci_issue_defn_check(three, 3, sd, NULL, "d.json", &err) == 0, "check: fine");
	tap_ok(vci_issue_defn_check(three, 3, sd, "pid2", "d.json", &err) == 0, "check: --config");
	tap_ok(vci_issue_defn_check(three, 3, sd, "mdl", "d.json", &err) < 0 &&
		       err.status == VCI_EXIT_USAGE && strstr(err.msg, "`config`: 'mdl'"),
	       "check: --config of another format: %s", err.msg);
	tap_ok(vci_issue_defn_check(two, 1, 1u << VCI_FORMAT_MDOC, NULL, "d.json", &err) < 0 &&
		       err.status == VCI_EXIT_INPUT,
	       "check: no definition of the format");
	tap_is_str(err.msg, "d.json: no mso_mdoc definition", "check: message");
	vci_defn_t *m[] = { &b };
	vci_issue_defn_check(m, 1, sd, NULL, "d.json", &err);
	tap_is_str(err.msg, "d.json: no dc+sd-jwt or jwt_vc_json definition", "check: two formats named");
}

static void raw(void)
{
	vci_cli_t cli;
	vci_err_t err;
	vci_buf_t out = { 0 }, msg = { 0 };
	vci_cli_init(&cli, "test-issue");
	json_auto_t *r1 = J("{\"credential\":\"A~\"}");
	json_auto_t *r2 = J("{\"credentials\":[{\"credential\":\"B~\"},{\"credential\":\"C~\"}]}");
	json_auto_t *r3 = J("{\"error\":{\"code\":\"x\",\"message\":\"bad\"},\"line\":3}");
	json_auto_t *r4 = J("{\"error\":{\"code\":\"x\",\"message\":\"worse\"}}");
	tap_ok(vci_cli_write_credentials(&cli, r1, &out, &msg, &err) == 0, "raw: one credential");
	tap_ok(vci_cli_write_credentials(&cli, r2, &out, &msg, &err) == 0, "raw: a batch");
	tap_ok(vci_cli_write_credentials(&cli, r3, &out, &msg, &err) == 0, "raw: an error record");
	tap_ok(vci_cli_write_credentials(&cli, r4, &out, &msg, &err) == 0, "raw: an error record without line");
	tap_is_mem(out.p, out.len, "A~\nB~\nC~\n", 9, "raw: one credential a line, nothing for the errors");
	tap_is_str(msg.p, "test-issue: line 3: bad\ntest-issue: worse\n", "raw: the errors are messages");
	vci_buf_free(&out);
	vci_buf_free(&msg);
}

/* ---- vci_issue_record ---- */

#define NOW 1700000123
#define ST "\"status\":{\"status_list\":{\"idx\":3,\"uri\":\"https://i.example/sl/1\"}}"

static const char pid_json[] =
	"{\"id\":\"pid\",\"format\":\"dc+sd-jwt\",\"vct\":\"urn:x:pid\","
	"\"claims\":[{\"path\":[\"given_name\"],\"mandatory\":true,\"value_type\":\"string\"},"
	"{\"path\":[\"age\"],\"value_type\":\"integer\"}],"
	"\"status\":\"token_status_list\"}";
static const char dip_json[] =
	"{\"id\":\"dip\",\"format\":\"jwt_vc_json\",\"type\":[\"VerifiableCredential\",\"Diploma\"],"
	"\"claims\":[{\"path\":[\"given_name\"],\"mandatory\":true}]}";
static const char mdl_json[] =
	"{\"id\":\"mdl\",\"format\":\"mso_mdoc\",\"doctype\":\"org.iso.18013.5.1.mDL\","
	"\"claims\":[{\"path\":[\"org.iso.18013.5.1\",\"family_name\"],\"mandatory\":true},"
	"{\"path\":[\"org.iso.18013.5.1\",\"age_over_18\"],\"value_type\":\"boolean\"}]}";

typedef struct fixture {
	EVP_PKEY *key, *pub, *holder;
	char *hjwk;             /* the holder's public JWK as text */
	vci_defn_t *defs[3];
	vci_sdjwt_issuer_t *sd;
	vci_mdoc_issuer_t *md;
	vci_issue_ctx_t all;    /* every format */
} fixture_t;

static X509 *self_signed(EVP_PKEY *key)
{
	X509 *x = X509_new();
	X509_NAME *n = X509_NAME_new();

	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 9);
	X509_gmtime_adj(X509_getm_notBefore(x), -86400);
	X509_gmtime_adj(X509_getm_notAfter(x), 86400L * 365);
	X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC, (const unsigned char *)"ds", -1, -1, 0);
	X509_set_subject_name(x, n);
	X509_set_issuer_name(x, n);
	X509_NAME_free(n);
	X509_set_pubkey(x, key);
	X509_sign(x, key, EVP_sha256());
	return x;
}

static int fixture_new(fixture_t *f)
{
	const char *const docs[] = { pid_json, dip_json, mdl_json };
	vci_sdjwt_issuer_opts_t so = { 0 };
	vci_mdoc_issuer_opts_t mo = { 0 };
	STACK_OF(X509) *chain = sk_X509_new_null();
	vci_err_t err = { 0 };
	json_t *hj;

	memset(f, 0, sizeof *f);
	f->key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	f->holder = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	hj = vci_jwk_from_pkey(f->holder, NULL);
	f->hjwk = json_dumps(hj, JSON_COMPACT);
	json_decref(hj);
	hj = vci_jwk_from_pkey(f->key, NULL);
	f->pub = vci_jwk_to_pkey(hj, 0, &err);
	json_decref(hj);
	for (size_t i = 0; i < 3; i++) {
		json_auto_t *doc = J(docs[i]);

		f->defs[i] = vci_defn_new(doc, &err);
		if (!f->defs[i])
			tap_diag("definition %zu: %s", i, err.msg);
	}
	so.key = f->key;
	so.iss = "https://i.example";
	so.kid = "k1";
	so.decoys = 0;
	f->sd = vci_sdjwt_issuer_new(&so, &err);
	sk_X509_push(chain, self_signed(f->key));
	mo.key = f->key;
	mo.chain = chain;
	f->md = vci_mdoc_issuer_new(&mo, &err);
	sk_X509_pop_free(chain, X509_free);
	if (!f->sd || !f->md || !f->pub) {
		tap_diag("fixture: %s", err.msg);
		return -1;
	}
	vci_issue_ctx_init(&f->all, f->defs, 3, NULL, 0);
	return vci_issue_ctx_add(&f->all, &vci_sdjwt_ops, f->sd) |
	       vci_issue_ctx_add(&f->all, &vci_jwtvc_ops, f->sd) |
	       vci_issue_ctx_add(&f->all, &vci_mdoc_ops, f->md);
}

static void fixture_free(fixture_t *f)
{
	vci_sdjwt_issuer_free(f->sd);
	vci_mdoc_issuer_free(f->md);
	for (size_t i = 0; i < 3; i++)
		vci_defn_free(f->defs[i]);
	EVP_PKEY_free(f->key);
	EVP_PKEY_free(f->pub);
	EVP_PKEY_free(f->holder);
	free(f->hjwk);
}

/* A record from a template with the holder JWK for every "%s". */
static json_t *rec_of(const fixture_t *f, const char *tmpl)
{
	char buf[2048];
	size_t n = 0, hl = strlen(f->hjwk);

	for (const char *p = tmpl; *p && n + hl + 1 < sizeof buf; p++) {
		if (p[0] == '%' && p[1] == 's') {
			memcpy(buf + n, f->hjwk, hl);
			n += hl;
			p++;
		} else {
			buf[n++] = *p;
		}
	}
	buf[n] = '\0';
	return J(buf);
}

static const char *str_of(const json_t *rec, const char *k)
{
	return json_string_value(json_object_get(rec, k));
}

static void issue_sdjwt(fixture_t *f)
{
	json_auto_t *r = rec_of(f, "{\"credential_configuration_id\":\"pid\",\"claims\":"
				   "{\"given_name\":\"A\",\"age\":42},\"holder_jwk\":%s," ST "}");
	json_auto_t *claims = NULL;
	vci_sdjwt_verify_opts_t vo = { .key = f->pub, .now = NOW };
	vci_err_t err = { 0 };
	const char *c;

	tap_ok(vci_issue_record(&f->all, r, NOW, 0, &err) == 0, "dc+sd-jwt: signed (%s)", err.msg);
	tap_is_str(str_of(r, "format"), "dc+sd-jwt", "dc+sd-jwt: format");
	c = str_of(r, "credential");
	tap_ok(c && vci_sdjwt_verify(c, strlen(c), &vo, &claims, &err) == 0,
	       "dc+sd-jwt: verifies (%s)", err.msg);
	tap_ok(json_integer_value(json_object_get(claims, "age")) == 42 &&
		       !strcmp(str_of(claims, "given_name"), "A") &&
		       json_integer_value(json_object_get(claims, "iat")) == 1699920000 &&
		       json_object_get(json_object_get(claims, "cnf"), "jwk") &&
		       json_object_get(claims, "status"),
	       "dc+sd-jwt: claims, iat rounded to the day, cnf.jwk, status");
}

/* A certificate that expired while the signer ran: nothing more is
 * signed with it, the record left as it was. */
static void issue_expired(fixture_t *f)
{
	json_auto_t *r = rec_of(f, "{\"credential_configuration_id\":\"pid\",\"claims\":"
				   "{\"given_name\":\"A\",\"age\":42},\"holder_jwk\":%s," ST "}");
	vci_issue_ctx_t ctx = f->all;
	vci_err_t err = { 0 };

	ctx.not_after = NOW + 1;
	tap_ok(vci_issue_record(&ctx, r, NOW, 0, &err) == 0, "certificate: signed before it "
	       "expires (%s)", err.msg);
	json_object_del(r, "credential");
	json_object_del(r, "format");
	tap_ok(vci_issue_record(&ctx, r, NOW + 1, 0, &err) < 0 && err.status == VCI_EXIT_KEY &&
		       !strcmp(err.code, "invalid_certificate") && strstr(err.msg, "expired at") &&
		       !json_object_get(r, "credential"),
	       "certificate: refused once it expired (%s)", err.msg);
}

static void issue_jwtvc(fixture_t *f)
{
	json_auto_t *r = rec_of(f, "{\"credential_configuration_id\":\"dip\",\"claims\":"
				   "{\"given_name\":\"B\"},\"holder_jwk\":%s}");
	json_auto_t *r2 = rec_of(f, "{\"credential_configuration_id\":\"dip\",\"claims\":"
				    "{\"given_name\":\"B\"}," ST "}");
	vci_err_t err = { 0 };
	const char *c;
	vci_jws_t j;

	issue_expired(f);
	tap_ok(vci_issue_record(&f->all, r, NOW, 0, &err) == 0, "jwt_vc_json: signed (%s)", err.msg);
	tap_is_str(str_of(r, "format"), "jwt_vc_json", "jwt_vc_json: format");
	c = str_of(r, "credential");
	tap_ok(c && vci_jws_parse_verify(c, strlen(c), f->pub, NULL, &j, &err) == 0,
	       "jwt_vc_json: verifies (%s)", err.msg);
	if (c && j.payload) {
		tap_is_str(str_of(json_object_get(json_object_get(j.payload, "vc"),
						  "credentialSubject"), "given_name"),
			   "B", "jwt_vc_json: credentialSubject");
		vci_jws_free(&j);
	}
	tap_ok(vci_issue_record(&f->all, r2, NOW, 0, &err) < 0 &&
		       !strcmp(err.code, "invalid_request") && strstr(err.msg, "W3C credentialStatus"),
	       "jwt_vc_json: a Token Status List status is refused (%s)", err.msg);
}

/* The nameSpaces of an mdoc credential (base64url), verified. */
static json_t *mdoc_ns(const char *c)
{
	vci_mdoc_verify_opts_t o = { .at = NOW };
	uint8_t *bin = NULL;
	size_t len = 0;
	vci_err_t err = { 0 };
	json_t *res = NULL, *ns = NULL;

	if (c && vci_b64url_decode(c, strlen(c), &bin, &len, &err) == 0 &&
	    vci_mdoc_verify(bin, len, &o, &res, &err) == 0)
		ns = json_incref(json_object_get(json_array_get(res, 0), "nameSpaces"));
	else
		tap_diag("mdoc: %s", err.msg);
	free(bin);
	json_decref(res);
	return ns;
}

static void issue_mdoc(fixture_t *f)
{
	json_auto_t *r = rec_of(f, "{\"credential_configuration_id\":\"mdl\",\"claims\":"
				   "{\"family_name\":\"C\",\"age_over_18\":true},\"holder_jwk\":%s}");
	json_auto_t *nokey = J("{\"credential_configuration_id\":\"mdl\",\"claims\":"
			       "{\"org.iso.18013.5.1\":{\"family_name\":\"C\"}}}");
	json_auto_t *ns = NULL;
	vci_err_t err = { 0 };

	tap_ok(vci_issue_record(&f->all, r, NOW, 0, &err) == 0, "mso_mdoc: signed (%s)", err.msg);
	tap_is_str(str_of(r, "format"), "mso_mdoc", "mso_mdoc: format");
	ns = mdoc_ns(str_of(r, "credential"));
	tap_ok(json_is_true(json_object_get(json_object_get(ns, "org.iso.18013.5.1"), "age_over_18")),
	       "mso_mdoc: verifies, flat claims under their namespace");
	tap_ok(json_object_get(json_object_get(r, "claims"), "family_name") != NULL,
	       "mso_mdoc: the record's flat claims pass through as they came");
	tap_ok(vci_issue_record(&f->all, nokey, NOW, 0, &err) < 0 &&
		       !strcmp(err.code, "invalid_proof") &&
		       strstr(err.msg, "an mdoc is bound to a device key"),
	       "mso_mdoc: a holder key is required (%s)", err.msg);
}

static void issue_batch(fixture_t *f)
{
	json_auto_t *r = rec_of(f, "{\"credential_configuration_id\":\"pid\",\"claims\":"
				   "{\"given_name\":\"A\"},\"holder_jwks\":[%s,%s,%s]," ST "}");
	json_auto_t *m = rec_of(f, "{\"credential_configuration_id\":\"mdl\",\"claims\":"
				   "{\"org.iso.18013.5.1\":{\"family_name\":\"C\"}},\"holder_jwks\":[%s,%s]}");
	json_auto_t *one = rec_of(f, "{\"credential_configuration_id\":\"mdl\",\"claims\":"
				     "{\"org.iso.18013.5.1\":{\"family_name\":\"C\"}},\"holder_jwks\":[%s]}");
	json_auto_t *bad = rec_of(f, "{\"credential_configuration_id\":\"mdl\",\"claims\":"
				     "{\"org.iso.18013.5.1\":{\"family_name\":\"C\"}},\"holder_jwks\":[%s,"
				     "{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"AA\",\"y\":\"AA\"}]}");
	const json_t *cs;
	vci_err_t err = { 0 };

	tap_ok(vci_issue_record(&f->all, r, NOW, 0, &err) == 0, "batch: three keys (%s)", err.msg);
	cs = json_object_get(r, "credentials");
	tap_ok(json_array_size(cs) == 3 && !json_object_get(r, "credential") &&
		       strcmp(str_of(json_array_get(cs, 0), "credential"),
			      str_of(json_array_get(cs, 2), "credential")),
	       "batch: three distinct credentials in credentials[]");
	tap_ok(vci_issue_record(&f->all, m, NOW, 0, &err) == 0 &&
		       json_array_size(json_object_get(m, "credentials")) == 2,
	       "batch: two mdocs (%s)", err.msg);
	tap_ok(vci_issue_record(&f->all, one, NOW, 0, &err) == 0 &&
		       json_array_size(json_object_get(one, "credentials")) == 1,
	       "batch: holder_jwks of one still gives credentials[]");
	tap_ok(vci_issue_record(&f->all, bad, NOW, 0, &err) < 0 &&
		       !strncmp(err.msg, "holder_jwks[1]: ", 16) && !json_object_get(bad, "format"),
	       "batch: the failing key is named, nothing written (%s)", err.msg);
}

static void issue_select(fixture_t *f)
{
	json_auto_t *none = J("{\"claims\":{\"given_name\":\"A\"}}");
	json_auto_t *nope = J("{\"credential_configuration_id\":\"nope\",\"claims\":{}}");
	json_auto_t *mdl = rec_of(f, "{\"credential_configuration_id\":\"mdl\",\"claims\":"
				     "{\"org.iso.18013.5.1\":{\"family_name\":\"C\"}},\"holder_jwk\":%s}");
	json_auto_t *fixed = rec_of(f, "{\"credential_configuration_id\":\"mdl\",\"claims\":"
				       "{\"given_name\":\"A\"},\"holder_jwk\":%s," ST "}");
	vci_issue_ctx_t sd;
	vci_err_t err = { 0 };

	tap_ok(vci_issue_record(&f->all, none, NOW, 0, &err) < 0 &&
		       !strcmp(err.code, "invalid_request") && strstr(err.msg, "3 definitions"),
	       "select: ambiguous without an id (%s)", err.msg);
	tap_ok(vci_issue_record(&f->all, nope, NOW, 0, &err) < 0 &&
		       !strcmp(err.code, "unknown_credential_configuration") && strstr(err.msg, "'nope'"),
	       "select: unknown id (%s)", err.msg);
	vci_issue_ctx_init(&sd, f->defs, 3, NULL, 3600);
	tap_ok(vci_issue_ctx_add(&sd, &vci_sdjwt_ops, f->sd) == 0 &&
		       vci_issue_ctx_add(&sd, &vci_sdjwt_ops, f->sd) < 0,
	       "ctx: a format is added once");
	tap_ok(vci_issue_record(&sd, mdl, NOW, 0, &err) < 0 &&
		       !strcmp(err.code, "unknown_credential_configuration") &&
		       strstr(err.msg, "'mdl' is a mso_mdoc definition"),
	       "select: a format the context does not sign (%s)", err.msg);
	tap_ok(vci_issue_record(&sd, none, NOW, 0, &err) < 0 && !strcmp(err.code, "invalid_request"),
	       "select: a missing status fails the only definition that fits (%s)", err.msg);
	sd.config = "pid";
	tap_ok(vci_issue_record(&sd, fixed, NOW, 0, &err) == 0 &&
		       !strcmp(str_of(fixed, "format"), "dc+sd-jwt"),
	       "select: the context's fixed id wins over the record's (%s)", err.msg);
}

static void issue_status(fixture_t *f)
{
	json_auto_t *r = rec_of(f, "{\"credential_configuration_id\":\"pid\",\"claims\":"
				   "{\"given_name\":\"A\"},\"holder_jwk\":%s}");
	json_auto_t *before = json_deep_copy(r);
	vci_err_t err = { 0 };

	tap_ok(vci_issue_record(&f->all, r, NOW, 0, &err) < 0 && !strcmp(err.code, "invalid_request") &&
		       strstr(err.msg, "status: missing: the definition 'pid' has a status list"),
	       "status: required by the definition (%s)", err.msg);
	tap_ok(json_equal(r, before), "status: the failed record is unchanged");
}

static void issue_csv(fixture_t *f)
{
	json_auto_t *r = rec_of(f, "{\"credential_configuration_id\":\"pid\",\"claims\":"
				   "{\"given_name\":\"A\",\"age\":\"42\"},\"holder_jwk\":%s," ST "}");
	json_auto_t *r2 = json_deep_copy(r);
	json_auto_t *m = rec_of(f, "{\"credential_configuration_id\":\"mdl\",\"claims\":"
				   "{\"family_name\":\"C\",\"age_over_18\":\"true\"},\"holder_jwk\":%s}");
	json_auto_t *m2 = json_deep_copy(m);
	json_auto_t *ns = NULL;
	vci_err_t err = { 0 };

	tap_ok(vci_issue_record(&f->all, r2, NOW, 0, &err) < 0 && !strcmp(err.code, "invalid_claims") &&
		       strstr(err.msg, "age"),
	       "csv off: a string for an integer is refused (%s)", err.msg);
	tap_ok(vci_issue_record(&f->all, r, NOW, VCI_ISSUE_CSV, &err) == 0 &&
		       json_integer_value(json_object_get(json_object_get(r, "claims"), "age")) == 42,
	       "csv on: the cell is converted in the record (%s)", err.msg);
	tap_ok(vci_issue_record(&f->all, m2, NOW, 0, &err) < 0 && !strcmp(err.code, "invalid_claims"),
	       "csv off: mdoc boolean as a string refused (%s)", err.msg);
	tap_ok(vci_issue_record(&f->all, m, NOW, VCI_ISSUE_CSV, &err) == 0, "csv on: mdoc signed (%s)",
	       err.msg);
	ns = mdoc_ns(str_of(m, "credential"));
	tap_ok(json_is_true(json_object_get(json_object_get(ns, "org.iso.18013.5.1"), "age_over_18")),
	       "csv on: mdoc cell signed as a boolean");
}

static void issue_record(void)
{
	fixture_t f;

	if (fixture_new(&f) < 0) {
		tap_ok(0, "issuing fixture");
		fixture_free(&f);
		return;
	}
	issue_sdjwt(&f);
	issue_jwtvc(&f);
	issue_mdoc(&f);
	issue_batch(&f);
	issue_select(&f);
	issue_status(&f);
	issue_csv(&f);
	fixture_free(&f);
}

/* vci_validity_outlives: the definition's expiry, or the record's exp,
 * against the chain's end; and the policy digest kept with a definition */
static void validity(void)
{
	json_t *doc = J("{\"id\":\"v\",\"format\":\"dc+sd-jwt\",\"vct\":\"urn:v\","
			"\"claims\":[],\"expiry_days\":365,"
			"\"key_binding\":{\"methods\":[\"jwk\"],\"proof_algs\":[\"ES256\"]}}");
	vci_err_t err = { 0 };
	vci_defn_t *d = doc ? vci_defn_new(doc, &err) : NULL;
	vci_validity_finding_t f;
	int64_t now = 1800000000, na30 = now + 30 * 86400;
	char digest[44];
	json_t *rec;

	tap_ok(d != NULL, "validity: definition made (%s)", err.msg);
	if (!d) {
		json_decref(doc);
		return;
	}
	tap_ok(vci_validity_outlives(d, NULL, now, 86400, na30, &f, &err) == 1 &&
	       f.days == 365 && f.not_after == na30 &&
	       f.valid_until == vci_time_round(now, 86400) + 365 * 86400,
	       "365 days outlive a 30-day certificate");
	tap_ok(vci_validity_outlives(d, NULL, now, 86400, now + 400 * 86400, &f, &err) == 0,
	       "a 400-day certificate is not outlived");
	tap_ok(vci_validity_outlives(d, NULL, now, 86400, INT64_MAX, &f, &err) == 0 &&
	       vci_validity_outlives(d, NULL, now, 86400, 0, NULL, &err) == 0,
	       "no chain: nothing found");
	rec = J("{\"exp\":1800086400}");
	tap_ok(vci_validity_outlives(d, rec, now, 86400, na30, &f, &err) == 0,
	       "a record's own exp before the end: not outlived");
	json_decref(rec);
	rec = J("{\"exp\":\"soon\"}");
	tap_ok(vci_validity_outlives(d, rec, now, 86400, na30, &f, &err) == -1 &&
	       !strcmp(err.code, "invalid_request"), "a malformed exp is an error");
	json_decref(rec);
	tap_ok(vci_policy_digest(d, digest, &err) == 0 && !strcmp(digest, d->policy_digest),
	       "vci_defn_new keeps the policy digest with the definition");
	vci_defn_free(d);
	json_decref(doc);
}

int main(void)
{
	raw();
	select_defn();
	precision();
	times();
	holder();
	status();
	result();
	issue_record();
	validity();
	return tap_done();
}
