/* test-defn.c - definitions: syntax checks, normalisation, claims paths,
 * claims validation and coercion, import of the seed shapes, metadata,
 * type metadata and lint. */
#include "base/url.h"
#include "oid4vci/defn.h"
#include "oid4vci/metadata.h"
#include "tap.h"

#include <string.h>

static json_t *J(const char *text)
{
	json_t *j = json_loads(text, JSON_REJECT_DUPLICATES, NULL);

	if (!j)
		tap_diag("bad test JSON: %s", text);
	return j;
}

static vci_defn_t *D(const char *text)
{
	json_auto_t *j = J(text);
	vci_err_t err = { 0 };
	vci_defn_t *d = vci_defn_new(j, &err);

	if (!d)
		tap_diag("definition: %s", err.msg);
	return d;
}

static void syntax(void)
{
	tap_ok(vci_defn_is_full_date("2024-02-29"), "leap day");
	tap_ok(!vci_defn_is_full_date("2023-02-29"), "no leap day in 2023");
	tap_ok(!vci_defn_is_full_date("31/12/1990"), "not a full-date");
	tap_ok(!vci_defn_is_full_date("1990-12-31T00:00:00Z"), "date-time is not a full-date");
	tap_ok(vci_defn_is_datetime("1990-12-31T23:59:60.5+01:00"), "date-time with fraction and offset");
	tap_ok(vci_defn_is_datetime("2024-01-01t00:00:00z"), "lower-case t and z");
	tap_ok(!vci_defn_is_datetime("2024-01-01 00:00:00Z"), "space is not T");
	tap_ok(!vci_defn_is_datetime("2024-01-01T24:00:00Z"), "hour 24");
	tap_ok(vci_defn_is_base64("aGVsbG8="), "base64 padded");
	tap_ok(vci_defn_is_base64("aGVsbG8"), "base64 unpadded");
	tap_ok(!vci_defn_is_base64("a"), "base64 length 1 mod 4");
	tap_ok(!vci_defn_is_base64("a+b_"), "mixed alphabets");
	tap_ok(vci_defn_is_data_uri("data:image/png;base64,iVBORw0KGgo=", "image/"), "data: image");
	tap_ok(!vci_defn_is_data_uri("data:text/plain;base64,aGk=", "image/"), "data: not image");
	tap_ok(vci_url_is_https("https://issuer.example.com/tenant", 0), "https URL");
	tap_ok(!vci_url_is_https("http://issuer.example.com", 0), "http refused");
	tap_ok(!vci_url_is_https("https://issuer.example.com/?a=b", 0), "query refused");
	tap_ok(vci_url_is_https("https://issuer.example.com/?a=b", 1), "query allowed for endpoints");
	tap_ok(!vci_url_is_https("https://issuer.example.com/#x", 0), "fragment refused");
	tap_ok(!vci_url_is_https("https:///path", 0), "no host");
	tap_ok(vci_defn_is_scope_token("pid_sd-jwt:1"), "scope token");
	tap_ok(!vci_defn_is_scope_token("two words"), "space in scope");
	tap_ok(!vci_defn_is_scope_token("quo\"te"), "quote in scope");
	tap_ok(!vci_defn_is_scope_token(""), "empty scope");
	tap_ok(vci_defn_is_locale("en"), "en");
	tap_ok(vci_defn_is_locale("en-US"), "en-US");
	tap_ok(vci_defn_is_locale("zh-Hant-TW"), "script and region");
	tap_ok(vci_defn_is_locale("de-CH-1901"), "variant");
	tap_ok(vci_defn_is_locale("es-419"), "UN M.49 region");
	tap_ok(vci_defn_is_locale("en-a-bbb-x-private"), "extension and private use");
	tap_ok(vci_defn_is_locale("i-klingon"), "grandfathered");
	tap_ok(!vci_defn_is_locale("en_US"), "underscore");
	tap_ok(!vci_defn_is_locale("en-US-x"), "private use without a subtag");
	tap_ok(!vci_defn_is_locale("en-abcdefghi"), "subtag too long");
	tap_ok(!vci_defn_is_locale("e"), "one letter");
	tap_ok(!vci_defn_is_locale("en-"), "trailing hyphen");
	tap_ok(!vci_defn_is_locale("en-US-US"), "two regions");
	tap_ok(vci_defn_is_jose_alg("ES256") && vci_defn_is_jose_alg("EdDSA"), "JOSE algs");
	tap_ok(!vci_defn_is_jose_alg("HS256") && !vci_defn_is_jose_alg("none"), "MAC and none are not");
	tap_is_int(vci_defn_cose_alg("ES256"), -7, "ES256 is COSE -7");
	tap_is_str(vci_defn_jose_alg(-35), "ES384", "COSE -35 is ES384");
	tap_ok(vci_defn_is_binding_method("did:key") && vci_defn_is_binding_method("cose_key"),
	       "binding methods");
	tap_ok(!vci_defn_is_binding_method("did") && !vci_defn_is_binding_method("x5c"),
	       "did and x5c are not");
}

static void normalise(void)
{
	vci_err_t err = { 0 };
	json_auto_t *in = J("{\"format\":\"dc+sd-jwt\",\"vct\":\"urn:x\",\"id\":\"x\","
			    "\"claims\":[{\"path\":[\"a\"]}],\"display\":{\"name\":\"X\"}}");
	json_auto_t *out = vci_defn_normalise(in, &err);
	char *s = out ? vci_json_dump(out) : NULL;

	tap_is_str(s, "{\"id\":\"x\",\"format\":\"dc+sd-jwt\",\"vct\":\"urn:x\","
		   "\"display\":[{\"name\":\"X\"}],\"claims\":[{\"path\":[\"a\"],\"mandatory\":false,"
		   "\"value_type\":\"any\",\"sd\":\"allowed\"}],\"allow_unknown_claims\":false,"
		   "\"expiry_days\":30,\"status\":\"none\",\"wallet_attestation_required\":false,"
		   "\"deferred_interval\":0}", "normalised: order and defaults");
	free(s);

	static const struct {
		const char *doc, *msg;
	} bad[] = {
		{ "{\"id\":\"x\",\"format\":\"ldp_vc\"}", "format: unknown format \"ldp_vc\"" },
		{ "{\"id\":\"x\",\"format\":\"vc+sd-jwt\",\"vct\":\"v\"}", "format: vc+sd-jwt is the pre-final name" },
		{ "{\"id\":\"x\",\"format\":\"dc+sd-jwt\"}", "vct: missing" },
		{ "{\"id\":\"x\",\"format\":\"mso_mdoc\"}", "doctype: missing" },
		{ "{\"id\":\"x\",\"format\":\"jwt_vc_json\"}", "type: missing" },
		{ "{\"format\":\"dc+sd-jwt\",\"vct\":\"v\"}", "id: missing" },
		{ "{\"id\":\"x\",\"format\":\"dc+sd-jwt\",\"vct\":\"v\",\"colour\":1}", "colour: unknown field" },
		{ "{\"id\":\"x\",\"format\":\"dc+sd-jwt\",\"vct\":\"v\",\"claims\":[{\"path\":[]}]}",
		  "claims[0].path: expected a non-empty array" },
		{ "{\"id\":\"x\",\"format\":\"dc+sd-jwt\",\"vct\":\"v\",\"claims\":[{\"path\":[\"a\",-1]}]}",
		  "claims[0].path: negative array index" },
		{ "{\"id\":\"x\",\"format\":\"dc+sd-jwt\",\"vct\":\"v\",\"claims\":[{\"path\":[\"a\"]},{\"path\":[\"a\"]}]}",
		  "claims[1].path: the same claim is described twice" },
		{ "{\"id\":\"x\",\"format\":\"dc+sd-jwt\",\"vct\":\"v\",\"claims\":[{\"path\":[\"a\",null]},{\"path\":[\"a\",0]}]}",
		  "claims[1].path: null and an index select in the same array" },
		{ "{\"id\":\"x\",\"format\":\"dc+sd-jwt\",\"vct\":\"v\",\"claims\":[{\"path\":[\"a\",\"b\"]},{\"path\":[\"a\",0]}]}",
		  "claims[1].path: the same node is used as an object and as an array" },
		{ "{\"id\":\"x\",\"format\":\"mso_mdoc\",\"doctype\":\"d\",\"claims\":[{\"path\":[\"given_name\"]}]}",
		  "claims[0].path: mso_mdoc paths are [namespace, data element, ...]" },
		{ "{\"id\":\"x\",\"format\":\"dc+sd-jwt\",\"vct\":\"v\",\"claims\":[{\"path\":[\"vct\"]}]}",
		  "claims[0].path: vct is set by the issuer, not a claim" },
		{ "{\"id\":\"x\",\"format\":\"dc+sd-jwt\",\"vct\":\"v\",\"claims\":[{\"path\":[\"a\"],\"value_type\":\"uuid\"}]}",
		  "claims[0].value_type: expected one of" },
		{ "{\"id\":\"x\",\"format\":\"dc+sd-jwt\",\"vct\":\"v\",\"scope\":\"a b\"}", "scope: not a scope token" },
		{ "{\"id\":\"x\",\"format\":\"dc+sd-jwt\",\"vct\":\"v\",\"display\":[{\"name\":\"a\",\"locale\":\"en\"},{\"name\":\"b\",\"locale\":\"EN\"}]}",
		  "display[1].locale: locale EN appears more than once" },
		{ "{\"id\":\"x\",\"format\":\"dc+sd-jwt\",\"vct\":\"v\",\"display\":[{\"name\":\"a\",\"locale\":\"en_GB\"}]}",
		  "display[0].locale: not a BCP 47 language tag" },
		{ "{\"id\":\"x\",\"format\":\"mso_mdoc\",\"doctype\":\"d\",\"key_binding\":{\"methods\":[\"jwk\"]}}",
		  "key_binding.methods[0]: mso_mdoc binds keys with cose_key" },
		{ "{\"id\":\"x\",\"format\":\"dc+sd-jwt\",\"vct\":\"v\",\"key_binding\":{\"methods\":[\"jwk\"],\"proof_algs\":[\"HS256\"]}}",
		  "key_binding.proof_algs[0]: HS256 is not a JOSE signature algorithm" },
		{ "{\"id\":\"x\",\"format\":\"dc+sd-jwt\",\"vct\":\"v\",\"status\":\"bitstring_status_list\"}",
		  "status: bitstring_status_list is for jwt_vc_json" },
		{ "{\"id\":\"x\",\"format\":\"dc+sd-jwt\",\"vct\":\"v\",\"expiry_days\":0}",
		  "expiry_days: expected an integer from 1 to 36500" },
		{ "[1]", "a definition is a JSON object" },
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		json_auto_t *b = J(bad[i].doc);
		json_t *o;

		vci_err_clear(&err);
		o = vci_defn_normalise(b, &err);
		tap_ok(!o && err.status == VCI_EXIT_INPUT && !strncmp(err.msg, bad[i].msg, strlen(bad[i].msg)),
		       "refused: %s (%s)", bad[i].msg, err.msg);
		json_decref(o);
	}
	{
		json_auto_t *b = J("{\"id\":\"x\",\"format\":\"jwt_vc_json\",\"type\":[\"Diploma\"]}");
		json_auto_t *o = vci_defn_normalise(b, &err);
		char *t = o ? vci_json_dump(json_object_get(o, "type")) : NULL;

		tap_is_str(t, "[\"VerifiableCredential\",\"Diploma\"]", "VerifiableCredential put first");
		free(t);
	}
	{
		json_auto_t *b = J("{\"id\":\"x\",\"format\":\"dc+sd-jwt\",\"vct\":\"v\",\"scope\":\"a b\",\"colour\":1}");
		json_auto_t *f = json_array();

		tap_is_int((long long)vci_defn_lint(b, f), 3, "lint finds all problems (scope, field, display)");
	}
}

static int check(const vci_defn_t *d, const char *claims, unsigned flags, char *msg, size_t sz,
		 char **after)
{
	json_auto_t *c = J(claims);
	vci_err_t err = { 0 };
	int rc = vci_defn_check_claims(d, c, flags, &err);

	snprintf(msg, sz, "%s", rc ? err.msg : "");
	if (after)
		*after = vci_json_dump(c);
	return rc;
}

static void claims(void)
{
	vci_defn_auto_t *d = D("{\"id\":\"pid\",\"format\":\"dc+sd-jwt\",\"vct\":\"urn:eudi:pid:1\",\"claims\":["
			       "{\"path\":[\"given_name\"],\"mandatory\":true,\"value_type\":\"string\"},"
			       "{\"path\":[\"birthdate\"],\"mandatory\":true,\"value_type\":\"date\"},"
			       "{\"path\":[\"age\"],\"value_type\":\"integer\"},"
			       "{\"path\":[\"height\"],\"value_type\":\"number\"},"
			       "{\"path\":[\"adult\"],\"value_type\":\"boolean\"},"
			       "{\"path\":[\"seen\"],\"value_type\":\"datetime\"},"
			       "{\"path\":[\"picture\"],\"value_type\":\"image\"},"
			       "{\"path\":[\"nationalities\"],\"value_type\":\"array\"},"
			       "{\"path\":[\"nationalities\",null],\"value_type\":\"string\"},"
			       "{\"path\":[\"address\",\"locality\"],\"mandatory\":true,\"value_type\":\"string\"},"
			       "{\"path\":[\"place_of_birth\"],\"value_type\":\"object\"}]}");
	char msg[600], *after = NULL;

	if (!d) {
		tap_ok(0, "claims definition");
		return;
	}
	tap_is_int(check(d, "{\"given_name\":\"Erika\",\"birthdate\":\"1964-08-12\",\"address\":{\"locality\":\"Berlin\"},"
			 "\"nationalities\":[\"DE\"],\"place_of_birth\":{\"country\":\"DE\"}}", 0, msg, sizeof msg, NULL),
		   0, "valid claims %s", msg);
	check(d, "{\"given_name\":\"Max\",\"birthdate\":\"31/12/1990\",\"address\":{\"locality\":\"B\"}}", 0, msg,
	      sizeof msg, NULL);
	tap_is_str(msg, "claims.birthdate: expected full-date, got \"31/12/1990\"", "bad date message");
	check(d, "{\"given_name\":\"Max\",\"birthdate\":\"1990-12-31\"}", 0, msg, sizeof msg, NULL);
	tap_is_str(msg, "claims.address.locality: missing mandatory claim", "missing nested mandatory");
	check(d, "{\"birthdate\":\"1990-12-31\",\"address\":{\"locality\":\"B\"}}", 0, msg, sizeof msg, NULL);
	tap_is_str(msg, "claims.given_name: missing mandatory claim", "missing mandatory");
	check(d, "{\"given_name\":\"M\",\"birthdate\":\"1990-12-31\",\"address\":{\"locality\":\"B\"},\"shoe\":42}", 0,
	      msg, sizeof msg, NULL);
	tap_is_str(msg, "claims.shoe: not in the definition of pid", "unknown claim refused");
	check(d, "{\"given_name\":\"M\",\"birthdate\":\"1990-12-31\",\"address\":{\"locality\":\"B\",\"zip\":\"1\"}}", 0,
	      msg, sizeof msg, NULL);
	tap_is_str(msg, "claims.address.zip: not in the definition of pid", "unknown nested claim refused");
	check(d, "{\"given_name\":\"M\",\"birthdate\":\"1990-12-31\",\"address\":{\"locality\":\"B\"},"
		 "\"nationalities\":[\"DE\",7]}", 0, msg, sizeof msg, NULL);
	tap_is_str(msg, "claims.nationalities[1]: expected string, got 7", "array element type");
	check(d, "{\"given_name\":\"M\",\"birthdate\":\"1990-12-31\",\"address\":\"Berlin\"}", 0, msg, sizeof msg, NULL);
	tap_is_str(msg, "claims.address: expected an object, got \"Berlin\"", "object expected on the way");
	check(d, "{\"given_name\":\"M\",\"birthdate\":\"1990-12-31\",\"address\":{\"locality\":\"B\"},\"age\":\"42\"}", 0,
	      msg, sizeof msg, NULL);
	tap_is_str(msg, "claims.age: expected integer, got \"42\"", "JSON string is not an integer");
	check(d, "{\"given_name\":\"M\",\"birthdate\":\"1990-12-31\",\"address\":{\"locality\":\"B\"},\"vct\":\"x\"}", 0,
	      msg, sizeof msg, NULL);
	tap_is_str(msg, "claims.vct: set by the issuer, not a claim", "reserved claim");
	check(d, "{\"given_name\":\"M\",\"birthdate\":\"1990-12-31\",\"address\":{\"locality\":\"B\"},"
		 "\"picture\":\"data:text/plain,hi\"}", 0, msg, sizeof msg, NULL);
	tap_ok(strstr(msg, "claims.picture: expected image") != NULL, "image must be an image: %s", msg);
	check(d, "[]", 0, msg, sizeof msg, NULL);
	tap_is_str(msg, "claims: expected an object, got an array", "claims not an object");
	{
		vci_err_t err = { 0 };

		tap_ok(vci_defn_check_claims(d, NULL, 0, &err) < 0 && !strcmp(err.code, "invalid_claims") &&
		       err.status == VCI_EXIT_FAIL, "no claims: invalid_claims, status 1");
	}
	/* CSV coercion */
	tap_is_int(check(d, "{\"given_name\":\"M\",\"birthdate\":\"1990-12-31\",\"address\":{\"locality\":\"B\"},"
			    "\"age\":\"42\",\"height\":\"1.5\",\"adult\":\"TRUE\",\"nationalities\":\"[\\\"DE\\\",\\\"FR\\\"]\","
			    "\"seen\":\"2024-01-01T10:00:00Z\"}", VCI_DEFN_COERCE, msg, sizeof msg, &after),
		   0, "coerced %s", msg);
	tap_is_str(after, "{\"given_name\":\"M\",\"birthdate\":\"1990-12-31\",\"address\":{\"locality\":\"B\"},"
		   "\"age\":42,\"height\":1.5,\"adult\":true,\"nationalities\":[\"DE\",\"FR\"],"
		   "\"seen\":\"2024-01-01T10:00:00Z\"}", "values converted in place");
	free(after);
	check(d, "{\"given_name\":\"M\",\"birthdate\":\"1990-12-31\",\"address\":{\"locality\":\"B\"},\"age\":\"4x\"}",
	      VCI_DEFN_COERCE, msg, sizeof msg, NULL);
	tap_is_str(msg, "claims.age: expected integer, got \"4x\"", "no conversion of 4x");
	check(d, "{\"given_name\":\"M\",\"birthdate\":\"1990-12-31\",\"address\":{\"locality\":\"B\"},\"adult\":\"yes\"}",
	      VCI_DEFN_COERCE, msg, sizeof msg, NULL);
	tap_is_str(msg, "claims.adult: expected boolean, got \"yes\"", "no conversion of yes");
	{
		const char *const p1[] = { "nationalities", "3", NULL };
		const char *const p2[] = { "address", "locality", NULL };
		const char *const p3[] = { "address", NULL };
		const vci_defn_claim_t *c = vci_defn_claim_find(d, p1);

		tap_ok(c && c->type == VCI_VTYPE_STRING, "claim_find through null");
		c = vci_defn_claim_find(d, p2);
		tap_ok(c && c->mandatory, "claim_find nested");
		tap_ok(vci_defn_claim_find(d, p3) == NULL, "a prefix is no claim");
	}
}

static void mdoc_claims(void)
{
	vci_defn_auto_t *d = D("{\"id\":\"mdl\",\"format\":\"mso_mdoc\",\"doctype\":\"org.iso.18013.5.1.mDL\","
			       "\"claims\":[{\"path\":[\"org.iso.18013.5.1\",\"family_name\"],\"mandatory\":true},"
			       "{\"path\":[\"org.iso.18013.5.1\",\"birth_date\"],\"value_type\":\"date\"},"
			       "{\"path\":[\"org.iso.18013.5.1\",\"portrait\"],\"value_type\":\"bytes\"},"
			       "{\"path\":[\"org.iso.18013.5.1.aamva\",\"sex\"],\"value_type\":\"integer\"}]}");
	char msg[600], *after = NULL;

	if (!d) {
		tap_ok(0, "mdoc definition");
		return;
	}
	tap_is_int(check(d, "{\"org.iso.18013.5.1\":{\"family_name\":\"M\",\"portrait\":\"AAEC\"}}", 0, msg,
			 sizeof msg, NULL), 0, "namespaced claims %s", msg);
	check(d, "{\"family_name\":\"M\"}", 0, msg, sizeof msg, NULL);
	tap_is_str(msg, "claims[\"org.iso.18013.5.1\"].family_name: missing mandatory claim",
		   "without coercion the namespace is needed");
	tap_is_int(check(d, "{\"org\":{\"iso\":{\"18013\":{\"5\":{\"1\":{\"family_name\":\"M\",\"aamva\":{\"sex\":\"1\"}},"
			    "\"x\":1}}}},\"birth_date\":\"2000-01-01\"}", VCI_DEFN_COERCE, msg, sizeof msg, &after),
		   -1, "csv namespaces folded; the stray member is reported");
	tap_is_str(msg, "claims.org: not in the definition of mdl", "stray member message");
	free(after);
	tap_is_int(check(d, "{\"org\":{\"iso\":{\"18013\":{\"5\":{\"1\":{\"family_name\":\"M\",\"aamva\":{\"sex\":\"1\"}}}}}},"
			    "\"birth_date\":\"2000-01-01\"}", VCI_DEFN_COERCE, msg, sizeof msg, &after),
		   0, "csv namespaces folded %s", msg);
	tap_is_str(after, "{\"org.iso.18013.5.1.aamva\":{\"sex\":1},"
		   "\"org.iso.18013.5.1\":{\"family_name\":\"M\",\"birth_date\":\"2000-01-01\"}}",
		   "folded and converted");
	free(after);
}

static json_t *import_file(const char *rel, json_t *log, vci_err_t *err)
{
	json_auto_t *in = vci_json_load_file(tap_srcpath(rel), err);

	return in ? vci_defn_import(in, log, err) : NULL;
}

static int logged(const json_t *log, const char *field)
{
	for (size_t i = 0; i < json_array_size(log); i++) {
		const char *f = json_string_value(json_object_get(json_array_get(log, i), "dropped"));

		if (f && !strcmp(f, field))
			return 1;
	}
	return 0;
}

static void imports(void)
{
	vci_err_t err = { 0 };
	json_auto_t *log = json_array();
	json_auto_t *a = import_file("examples/import/system-a-pid.json", log, &err);
	const json_t *sd, *md, *jw;
	char *s;

	tap_ok(a && json_array_size(a) == 3, "system A: three definitions from credentialDefinitions[] %s", err.msg);
	sd = json_array_get(a, 0);
	md = json_array_get(a, 1);
	jw = json_array_get(a, 2);
	tap_is_str(json_string_value(json_object_get(sd, "vct")), "urn:eu.europa.ec.eudi:pid:1", "A: vct");
	tap_is_str(json_string_value(json_object_get(sd, "status")), "token_status_list", "A: revocation");
	tap_ok(json_is_true(json_object_get(sd, "wallet_attestation_required")), "A: enforceWUA inherited");
	tap_is_int(json_integer_value(json_object_get(sd, "expiry_days")), 90, "A: expirationInDays");
	tap_is_int(json_integer_value(json_object_get(sd, "deferred_interval")), 5, "A: credentialResponseInterval");
	s = vci_json_dump(json_array_get(json_object_get(sd, "claims"), 4));
	tap_is_str(s, "{\"path\":[\"issuing_country\"],\"mandatory\":true,\"value_type\":\"any\",\"sd\":\"never\"}",
		   "A: limitDisclosure false is sd never");
	free(s);
	tap_is_str(json_string_value(json_object_get(sd, "scope")), "eu.europa.ec.eudi.pid_vc_sd_jwt", "A: scope");
	tap_ok(!json_object_get(md, "scope"), "A: no scope with authorization_details");
	s = vci_json_dump(json_object_get(json_object_get(md, "key_binding"), "methods"));
	tap_is_str(s, "[\"cose_key\"]", "A: mdoc binds with cose_key");
	free(s);
	tap_is_str(json_string_value(json_object_get(jw, "status")), "bitstring_status_list",
		   "A: status_list_2021 for W3C VC");
	s = vci_json_dump(json_object_get(json_array_get(json_object_get(jw, "claims"), 0), "path"));
	tap_is_str(s, "[\"given_name\"]", "A: credentialSubject prefix taken off");
	free(s);
	tap_ok(logged(log, "trustAnchor"), "A: trustAnchor named as dropped");
	tap_ok(logged(log, "credentialDefinitions[2].credentialBindingMethods[1]"), "A: x5c binding dropped");
	json_array_clear(log);
	{
		json_auto_t *r = import_file("examples/import/system-a-response.json", log, &err);

		tap_ok(r && json_array_size(r) == 2, "system A response: wrapped, top and nested %s", err.msg);
	}
	json_array_clear(log);
	{
		json_auto_t *c = import_file("examples/import/system-c-list.json", log, &err);
		const json_t *id = json_array_get(c, 0), *em = json_array_get(c, 1);

		tap_ok(c && json_array_size(c) == 2, "system C list %s", err.msg);
		tap_is_str(json_string_value(json_object_get(id, "format")), "dc+sd-jwt", "C: vc+sd-jwt mapped");
		s = vci_json_dump(json_array_get(json_object_get(id, "claims"), 2));
		tap_is_str(s, "{\"path\":[\"something_nested\",\"key1\",\"key2\",\"key3\"],\"mandatory\":true,"
			   "\"value_type\":\"string\",\"sd\":\"never\"}", "C: nested claim, not in sd_list");
		free(s);
		s = vci_json_dump(json_array_get(json_object_get(id, "claims"), 3));
		tap_is_str(s, "{\"path\":[\"age_equal_or_over\",\"12\"],\"mandatory\":true,\"value_type\":\"boolean\","
			   "\"sd\":\"always\"}", "C: sd_list pointer");
		free(s);
		s = vci_json_dump(json_object_get(em, "type"));
		tap_is_str(s, "[\"VerifiableCredential\",\"EmailCredential\"]", "C: types");
		free(s);
		s = vci_json_dump(json_object_get(json_object_get(em, "key_binding"), "methods"));
		tap_is_str(s, "[\"did:key\",\"did:jwk\"]", "C: did mapped to methods");
		free(s);
		s = vci_json_dump(json_object_get(em, "signing_algs"));
		tap_is_str(s, "[\"ES256\"]", "C: cryptographic_suites_supported");
		free(s);
		tap_ok(logged(log, "supported_cred_id"), "C: supported_cred_id named as dropped");
	}
	json_array_clear(log);
	{
		json_auto_t *t = import_file("examples/import/type-metadata-identity.json", log, &err);
		const json_t *d = json_array_get(t, 0);

		tap_is_str(json_string_value(json_object_get(d, "id")), "IdentityCredential", "TM: id from vct");
		s = vci_json_dump(json_array_get(json_object_get(d, "claims"), 0));
		tap_is_str(s, "{\"path\":[\"given_name\"],\"mandatory\":false,\"value_type\":\"any\",\"sd\":\"allowed\","
			   "\"display\":[{\"name\":\"Given name\",\"locale\":\"en-US\"}]}", "TM: claim with label");
		free(s);
	}
	{
		json_auto_t *junk = J("{\"hello\":1}");
		json_t *r = vci_defn_import(junk, NULL, &err);

		tap_ok(!r && strstr(err.msg, "not a definition shape"), "unknown shape refused");
	}
}

static void metadata(void)
{
	vci_err_t err = { 0 };
	vci_defn_t **defs = NULL;
	size_t n = 0;
	vci_metadata_opts_t o = { .issuer = "https://issuer.example.com/" };
	json_auto_t *md = NULL;
	json_auto_t *f = json_array();
	char *s;

	tap_ok(vci_defn_load(tap_srcpath("examples/definitions/mdl.json"), &defs, &n, &err) == 0 && n == 1,
	       "load mdl %s", err.msg);
	if (!n)
		return;
	o.signing_alg = "ES256";
	md = vci_metadata_build(defs, n, &o, &err);
	tap_is_str(json_string_value(json_object_get(md, "credential_endpoint")),
		   "https://issuer.example.com/credential", "credential endpoint default");
	s = vci_json_dump(json_object_get(json_object_get(json_object_get(md, "credential_configurations_supported"),
							  "mdl"), "credential_signing_alg_values_supported"));
	tap_is_str(s, "[-7]", "mdoc algs as COSE numbers");
	free(s);
	tap_is_int((long long)vci_metadata_lint(md, f), 0, "own metadata lints clean");
	json_decref(md);
	o.draft13 = 1;
	md = vci_metadata_build(defs, n, &o, &err);
	s = vci_json_dump(json_object_get(json_object_get(json_object_get(md, "credential_configurations_supported"),
							  "mdl"), "credential_signing_alg_values_supported"));
	tap_is_str(s, "[\"ES256\"]", "draft 13: names");
	free(s);
	tap_ok(json_is_object(json_object_get(json_object_get(json_object_get(json_object_get(md,
	       "credential_configurations_supported"), "mdl"), "claims"), "org.iso.18013.5.1")),
	       "draft 13: claims by namespace");
	json_decref(md);
	o.draft13 = 0;
	o.issuer = "https://issuer.example.com/?x";
	md = vci_metadata_build(defs, n, &o, &err);
	tap_ok(!md && err.status == VCI_EXIT_USAGE, "issuer with query refused: %s", err.msg);
	md = NULL;
	{
		json_auto_t *tmp = NULL;

		tap_ok(vci_metadata_type(defs[0], &err) == NULL, "no type metadata for mdoc");
		(void)tmp;
	}
	vci_defn_list_free(defs, n);

	/* lint of hand-written metadata */
	{
		json_auto_t *bad = J("{\"credential_issuer\":\"http://x.example/?q\",\"credential_endpoint\":\"https://x.example/c\","
				     "\"credential_configurations_supported\":{\"pid\":{\"format\":\"vc+sd-jwt\",\"vct\":\"v\","
				     "\"scope\":\"a b\",\"cryptographic_binding_methods_supported\":[\"jwk\"],"
				     "\"credential_signing_alg_values_supported\":[\"HS256\"],"
				     "\"credential_metadata\":{\"display\":[{\"name\":\"a\",\"locale\":\"en\"},{\"name\":\"b\",\"locale\":\"en\"}],"
				     "\"claims\":[{\"path\":[\"a\",null]},{\"path\":[\"a\",1]}]}},"
				     "\"m\":{\"format\":\"mso_mdoc\",\"doctype\":\"d\",\"credential_signing_alg_values_supported\":[\"ES256\"],"
				     "\"proof_types_supported\":{\"jwt\":{\"proof_signing_alg_values_supported\":[\"ES256\"]}}}}}");
		static const char *const want[] = {
			"credential_issuer: not an https URL without query or fragment",
			"credential_configurations_supported.pid.format: vc+sd-jwt is the pre-final name; OID4VCI 1.0 uses dc+sd-jwt",
			"credential_configurations_supported.pid.scope: not a scope token",
			"credential_configurations_supported.pid.credential_signing_alg_values_supported[0]: HS256 is not an asymmetric signature algorithm",
			"credential_configurations_supported.pid.proof_types_supported: missing (required with cryptographic_binding_methods_supported)",
			"credential_configurations_supported.pid.credential_metadata.display[1].locale: locale en appears more than once",
			"credential_configurations_supported.pid.credential_metadata.claims[1].path: null and an index select in the same array",
			"credential_configurations_supported.m.credential_signing_alg_values_supported[0]: mso_mdoc lists COSE algorithm numbers in OID4VCI 1.0 (ES256 is -7)",
			"credential_configurations_supported.m.proof_types_supported: present without cryptographic_binding_methods_supported",
		};
		json_auto_t *got = json_array();
		size_t k = vci_metadata_lint(bad, got);

		tap_is_int((long long)k, (long long)(sizeof want / sizeof want[0]), "lint finding count");
		for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
			tap_is_str(json_string_value(json_array_get(got, i)), want[i], "lint finding %zu", i);
	}
	{
		json_auto_t *x = J("{\"a\":1}");
		json_auto_t *fx = json_array();

		tap_ok(vci_metadata_lint_any(x, fx, &err) < 0, "lint: unknown kind refused");
	}
}

static void type_metadata(void)
{
	vci_err_t err = { 0 };
	vci_defn_t **defs = NULL;
	size_t n = 0;

	if (vci_defn_load(tap_srcpath("examples/definitions/pid.json"), &defs, &n, &err) < 0) {
		tap_ok(0, "load pid %s", err.msg);
		return;
	}
	{
		json_auto_t *tm = vci_metadata_type(defs[0], &err);
		json_auto_t *f = json_array();
		char *s = vci_json_dump(json_array_get(json_object_get(tm, "claims"), 0));

		tap_is_str(json_string_value(json_object_get(tm, "vct")), "urn:eudi:pid:1", "type metadata vct");
		tap_is_str(s, "{\"path\":[\"given_name\"],\"display\":[{\"locale\":\"en-US\",\"label\":\"Given name\"},"
			   "{\"locale\":\"de-DE\",\"label\":\"Vorname\"}],\"mandatory\":true,\"sd\":\"always\"}",
			   "type metadata claim");
		free(s);
		tap_is_int((long long)vci_metadata_lint_type(tm, f), 0, "type metadata lints clean");
	}
	vci_defn_list_free(defs, n);
}

/* vci_defn_find: by configuration id, the first of two alike, none for
 * an unknown or NULL id. */
static void find(void)
{
	static const char *const files[] = { "pid.json", "mdl.json", "pid.json" };
	vci_defn_t *defs[3] = { 0 };
	vci_err_t err = { 0 };
	size_t n = 0;

	for (size_t i = 0; i < 3; i++) {
		char path[64];
		vci_defn_t **one = NULL;
		size_t k = 0;

		snprintf(path, sizeof path, "examples/definitions/%s", files[i]);
		if (vci_defn_load(tap_srcpath(path), &one, &k, &err) == 0 && k == 1) {
			defs[n++] = one[0];
			free(one);
		} else {
			vci_defn_list_free(one, k);
		}
	}
	tap_is_int((long)n, 3, "find: three definitions loaded %s", err.msg);
	if (n == 3) {
		tap_ok(vci_defn_find(defs, n, defs[1]->id) == defs[1], "find: by id (%s)",
		       defs[1]->id);
		tap_ok(vci_defn_find(defs, n, defs[2]->id) == defs[0],
		       "find: the first of two with one id");
		tap_ok(vci_defn_find(defs, n, "no-such-config") == NULL, "find: an unknown id");
		tap_ok(vci_defn_find(defs, n, NULL) == NULL, "find: no id");
		tap_ok(vci_defn_find(defs, 1, defs[1]->id) == NULL, "find: only the first n");
	}
	for (size_t i = 0; i < n; i++)
		vci_defn_free(defs[i]);
}

int main(void)
{
	syntax();
	normalise();
	claims();
	mdoc_claims();
	imports();
	metadata();
	type_metadata();
	find();
	return tap_done();
}
