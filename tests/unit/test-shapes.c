/* test-shapes.c - the products' shapes (oid4vci/shapes.c): system A's
 * definition rules, issue bodies to offer records, deferred claims, the
 * history record and its state and revocation mappings; system C's
 * record, exchange and issue body. */
#include "tap.h"
#include "oid4vci/shapes.h"

#include <string.h>

static json_t *j(const char *s)
{
	json_t *v = json_loads(s, 0, NULL);

	if (!v)
		tap_diag("bad test JSON: %s", s);
	return v;
}

static const char *str(const json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));

	return s ? s : "(none)";
}

static void a_defn_rules(void)
{
	static const struct {
		const char *body, *why;
		int ok;
	} cases[] = {
		{ "{\"label\":\"PID\",\"credentialDefinitions\":[{\"credentialFormat\":\"dc+sd-jwt\"}]}",
		  "a minimal body", 1 },
		{ "{\"label\":\"ab\",\"credentialDefinitions\":[{\"credentialFormat\":\"dc+sd-jwt\"}]}",
		  "label too short", 0 },
		{ "{\"label\":\"PID\",\"credentialDefinitions\":[]}", "no entry", 0 },
		{ "{\"label\":\"PID\",\"vct\":\"x\",\"credentialDefinitions\":[{\"credentialFormat\":\"dc+sd-jwt\"}]}",
		  "an entry field at the top", 0 },
		{ "{\"label\":\"PID\",\"credentialDefinitions\":[{\"credentialFormat\":\"dc+sd-jwt\",\"kid\":\"k\"}]}",
		  "a top field in an entry", 0 },
		{ "{\"label\":\"PID\",\"credentialDefinitions\":[{\"credentialFormat\":\"dc+sd-jwt\","
		  "\"authorizationRequestType\":\"scope_based\",\"scope\":\"a\"},{\"credentialFormat\":"
		  "\"mso_mdoc\"}]}", "two authorizationRequestTypes", 0 },
		{ "{\"label\":\"PID\",\"credentialDefinitions\":[{\"credentialFormat\":\"dc+sd-jwt\","
		  "\"authorizationRequestType\":\"scope_based\"}]}", "scope_based without scope", 0 },
	};

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		json_t *b = j(cases[i].body);
		vci_err_t err = { 0 };
		int rc = vci_shape_a_defn_check(b, &err);

		tap_ok(cases[i].ok ? rc == 0 : rc < 0 && !strcmp(err.code, "invalid_request"),
		       "system A definition: %s", cases[i].why);
		json_decref(b);
	}
}

static void a_issue(void)
{
	json_t *b = j("{\"issuanceMode\":\"Deferred\",\"credentialDefinitionId\":\"pid\","
		      "\"userPin\":\"\",\"urlScheme\":\"haip://\",\"credentialOfferEndpoint\":"
		      "\"https://wallet.example/offer\",\"individualId\":\"i\",\"credentials\":["
		      "{\"id\":\"pid\",\"claims\":{\"a\":1}},{\"id\":\"vc\",\"credentialSubject\":"
		      "{\"b\":2},\"extra\":1}]}");
	json_t *log = json_array(), *r, *r0, *r1;
	vci_err_t err = { 0 };

	r = vci_shape_a_issue_records(b, log, &err);
	tap_is_int((long long)json_array_size(r), 2, "credentials[]: one record per entry");
	r0 = json_array_get(r, 0);
	r1 = json_array_get(r, 1);
	tap_is_str(str(r0, "credential_configuration_id"), "pid", "entry 0: its id");
	tap_is_str(str(r1, "credential_configuration_id"), "vc", "entry 1: its id");
	tap_ok(json_integer_value(json_object_get(json_object_get(r1, "claims"), "b")) == 2,
	       "jwt_vc_json claims from credentialSubject");
	tap_ok(json_is_true(json_object_get(r0, "deferred")), "Deferred marks the record");
	tap_is_str(str(r0, "send_to"), "https://wallet.example/offer", "credentialOfferEndpoint -> send_to");
	tap_is_str(str(r0, "userPin"), "", "an empty userPin is kept (no tx_code)");
	tap_ok(!json_object_get(r0, "authorization_code"), "a userPin: pre-authorized code");
	tap_is_str(str(json_object_get(r0, "passthrough"), "individualId"), "i",
		   "unknown members pass through apart");
	tap_ok(json_array_size(log) == 1 && !strcmp(str(json_array_get(log, 0), "dropped"),
						    "credentials[1].extra"),
	       "an entry's unknown member is reported");
	json_decref(r);
	json_decref(b);
	json_decref(log);

	b = j("{\"issuanceMode\":\"InTime\",\"credentialDefinitionId\":\"pid\",\"credential\":"
	      "{\"vct\":\"v\",\"claims\":{\"a\":1}}}");
	r = vci_shape_a_issue_records(b, NULL, &err);
	tap_ok(json_is_true(json_object_get(json_array_get(r, 0), "authorization_code")),
	       "no userPin: the authorization code flow");
	tap_ok(json_is_false(json_object_get(json_array_get(r, 0), "isPreAuthorised")),
	       "and the record says so");
	json_decref(r);
	json_decref(b);

	b = j("{\"issuanceMode\":\"Later\",\"credentialDefinitionId\":\"pid\"}");
	tap_ok(!vci_shape_a_issue_records(b, NULL, &err) && strstr(err.msg, "issuanceMode"),
	       "issuanceMode other than InTime/Deferred is refused");
	json_decref(b);
	b = j("{\"issuanceMode\":\"InTime\",\"credentialDefinitionId\":\"pid\",\"userPin\":\"123\"}");
	tap_ok(!vci_shape_a_issue_records(b, NULL, &err) && strstr(err.msg, "userPin"),
	       "a userPin of 3 characters is refused");
	json_decref(b);
	b = j("{\"issuanceMode\":\"InTime\"}");
	tap_ok(!vci_shape_a_issue_records(b, NULL, &err), "no configuration is refused");
	json_decref(b);
}

static void a_history(void)
{
	static const struct {
		const char *xstate, *status;
	} map[] = {
		{ NULL, "offer_sent" }, { "offer_redeemed", "offer_received" },
		{ "issuance_pending", "offer_received" }, { "credential_issued", "credential_issued" },
		{ "credential_failure", "credential_acked" },
		{ "credential_accepted", "credential_accepted" },
		{ "credential_deleted", "credential_deleted" }, { "issuance_denied", "issuance_denied" },
	};
	json_t *entries = j("[{\"status\":\"valid\"},{\"status\":\"suspended\"}]");

	for (size_t i = 0; i < sizeof map / sizeof map[0]; i++) {
		json_t *row = j("{\"offer_id\":\"o1\",\"offer_state\":\"offered\",\"created_at\":5,"
				"\"record\":{\"credential_configuration_id\":\"pid\",\"issuanceMode\":"
				"\"Deferred\",\"claims\":{}}}");
		json_t *h;

		if (map[i].xstate)
			json_object_set_new(row, "exchange", json_pack("{s:s, s:s, s:i}", "id", "x",
								       "state", map[i].xstate,
								       "updated_at", 9));
		h = vci_shape_a_history(row, map[i].xstate ? entries : NULL);
		tap_is_str(str(h, "status"), map[i].status, "history: %s",
			   map[i].xstate ? map[i].xstate : "offer not redeemed");
		if (i == 2)
			tap_is_str(str(h, "credentialStatus"), "pending", "a deferred request waits");
		if (i == 3) {
			tap_is_str(str(h, "revocationStatus"), "Suspended", "a suspended entry");
			tap_ok(json_integer_value(json_object_get(h, "updatedAt")) == 9,
			       "updatedAt from the exchange");
		}
		if (i == 0)
			tap_is_str(str(h, "revocationStatus"), "", "no entries: empty");
		json_decref(h);
		json_decref(row);
	}
	json_decref(entries);
	tap_is_str(vci_shape_a_revocation_word("Revoked"), "invalid", "Revoked -> invalid");
	tap_is_str(vci_shape_a_revocation_word("Operational"), "valid", "Operational -> valid");
	tap_ok(!vci_shape_a_revocation_word("revoked"), "names are case-sensitive");
	tap_ok(vci_shape_a_status_known("credential_acked") && !vci_shape_a_status_known("x"),
	       "lifecycle names");
}

static void a_claims(void)
{
	json_t *b = j("{\"credential\":{\"vct\":\"v\",\"claims\":{\"a\":1}}}"), *c;
	vci_err_t err = { 0 };

	c = vci_shape_a_deferred_claims(b, &err);
	tap_ok(json_integer_value(json_object_get(c, "a")) == 1, "deferred claims from the carrier");
	json_decref(c);
	json_decref(b);
	b = j("{\"claims\":{}}");
	tap_ok(!vci_shape_a_deferred_claims(b, &err), "no credential member is refused");
	json_decref(b);
}

static void c_shapes(void)
{
	json_t *d = j("{\"id\":\"IDCard\",\"format\":\"dc+sd-jwt\",\"vct\":\"V\",\"claims\":["
		      "{\"path\":[\"a\"],\"mandatory\":true,\"value_type\":\"string\",\"sd\":\"always\"},"
		      "{\"path\":[\"b\",\"c\"],\"sd\":\"never\"},{\"path\":[\"n\",null]}]}");
	json_t *r = vci_shape_c_record(d, 0, 86400), *b, *rec, *row, *x, *want;
	json_t *log = json_array();
	vci_err_t err = { 0 };

	tap_is_str(str(r, "format"), "vc+sd-jwt", "system C names dc+sd-jwt vc+sd-jwt");
	tap_is_str(str(r, "updated_at"), "1970-01-02T00:00:00Z", "ISO 8601 times");
	want = json_pack("[s]", "/a");
	tap_ok(json_equal(json_object_get(json_object_get(r, "vc_additional_data"), "sd_list"),
			  want), "sd_list: the always disclosed paths");
	json_decref(want);
	tap_ok(json_is_object(json_object_get(json_object_get(json_object_get(json_object_get(r,
			"format_data"), "claims"), "b"), "c")), "claims as a tree");
	json_decref(r);
	json_decref(d);

	b = j("{\"supported_cred_id\":\"IDCard\",\"credential_subject\":{\"a\":\"x\"},\"pin\":\"1234\","
	      "\"verification_method\":\"did:x#1\"}");
	rec = vci_shape_c_issue_record(b, log, &err);
	tap_is_str(str(rec, "credential_configuration_id"), "IDCard", "issue: the record's id");
	tap_is_str(str(rec, "tx_code"), "1234", "issue: pin -> tx_code");
	tap_ok(json_array_size(log) == 1, "issue: verification_method reported");
	row = json_pack("{s:s, s:s, s:i, s:O, s:{s:s, s:s, s:i}}", "offer_id", "o1", "offer_state",
			"redeemed", "created_at", 0, "record", rec, "exchange", "id", "x", "state",
			"credential_accepted", "updated_at", 1);
	x = vci_shape_c_exchange(row);
	tap_is_str(str(x, "state"), "accepted", "exchange: accepted");
	tap_is_str(str(x, "exchange_id"), "o1", "exchange: the offer id");
	tap_ok(json_is_null(json_object_get(x, "pin")), "exchange: no pin kept");
	json_decref(x);
	json_decref(row);
	json_decref(rec);
	json_decref(b);
	json_decref(log);
	b = j("{\"credential_subject\":{}}");
	tap_ok(!vci_shape_c_issue_record(b, NULL, &err), "issue: no supported_cred_id is refused");
	json_decref(b);
}

int main(void)
{
	a_defn_rules();
	a_issue();
	a_history();
	a_claims();
	c_shapes();
	return tap_done();
}
