/* test-issue.c - times, holder keys, status reference, result fields. */
#include "oid4vci/issue.h"
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
		       err.status == VCI_EXIT_USAGE && strstr(err.msg, "--config: 'mdl'"),
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

int main(void)
{
	raw();
	select_defn();
	precision();
	times();
	holder();
	status();
	result();
	return tap_done();
}
