/* shapes.c - system A's and system C's request and response shapes to
 * and from the toolkit's records (see shapes.h). */
#include "oid4vci/shapes.h"
#include "oid4vci/defn.h"

#include <string.h>
#include <time.h>

#define bad(err, ...) vci_err_set(err, VCI_EXIT_INPUT, "invalid_request", __VA_ARGS__)

static void shape_dropped(json_t *log, const char *field, const char *why)
{
	if (log)
		json_array_append_new(log, json_pack("{s:s, s:s}", "dropped", field, "why", why));
}

static int in_list(const char *k, const char *const *list)
{
	for (; *list; list++)
		if (!strcmp(k, *list))
			return 1;
	return 0;
}

/* ---- system A: definitions ---- */

static const char *const a_top_only[] = { "version", "trustAnchor", "kid", "enforceWUA", NULL };
static const char *const a_entry_only[] = {
	"credentialFormat", "vct", "doctype", "type", "claims", "credentialDefinition", "scope",
	"validationPath", NULL,
};

int vci_shape_a_defn_check(const json_t *body, vci_err_t *err)
{
	const json_t *label = json_object_get(body, "label");
	const json_t *list = json_object_get(body, "credentialDefinitions");
	const char *art = NULL;
	const json_t *e, *v;
	const char *k;
	size_t i;

	if (!json_is_object(body))
		return bad(err, "body: expected a JSON object");
	if (!json_is_string(label) || json_string_length(label) < 3)
		return bad(err, "label: a string of 3 characters or more is required");
	if (!json_is_array(list) || !json_array_size(list))
		return bad(err, "credentialDefinitions: a non-empty array is required");
	json_object_foreach((json_t *)body, k, v)
		if (in_list(k, a_entry_only))
			return bad(err, "%s: belongs in each entry of credentialDefinitions[]", k);
	json_array_foreach(list, i, e) {
		const char *a;

		if (!json_is_object(e))
			return bad(err, "credentialDefinitions[%zu]: expected an object", i);
		if (!json_is_string(json_object_get(e, "credentialFormat")))
			return bad(err, "credentialDefinitions[%zu].credentialFormat: required", i);
		json_object_foreach((json_t *)e, k, v)
			if (in_list(k, a_top_only))
				return bad(err, "credentialDefinitions[%zu].%s: belongs at the top", i, k);
		a = json_string_value(json_object_get(e, "authorizationRequestType"));
		if (!a)
			a = "authorization_details";
		if (art && strcmp(art, a))
			return bad(err, "credentialDefinitions[%zu].authorizationRequestType: must be "
				   "the same in every entry", i);
		art = a;
		if (!strcmp(a, "scope_based") && !json_is_string(json_object_get(e, "scope")))
			return bad(err, "credentialDefinitions[%zu].scope: required by scope_based", i);
	}
	return 0;
}

/* A native display entry in camelCase. */
static json_t *a_display(const json_t *d)
{
	static const char *const map[][2] = {
		{ "name", "name" }, { "locale", "locale" }, { "description", "description" },
		{ "background_color", "backgroundColor" }, { "text_color", "textColor" },
	};
	json_t *o = json_object();
	const json_t *img;

	for (size_t i = 0; o && i < sizeof map / sizeof map[0]; i++)
		if (json_object_get(d, map[i][0]))
			json_object_set(o, map[i][1], json_object_get(d, map[i][0]));
	if ((img = json_object_get(d, "logo")))
		json_object_set_new(o, "logo", json_pack("{s:O?, s:O?}", "uri",
							  json_object_get(img, "uri"), "altText",
							  json_object_get(img, "alt_text")));
	if ((img = json_object_get(d, "background_image")))
		json_object_set_new(o, "backgroundImage", json_pack("{s:O?}", "uri",
								    json_object_get(img, "uri")));
	return o;
}

static json_t *a_claims(const json_t *native, vci_format_t fmt)
{
	json_t *list = json_array();
	const json_t *c;
	size_t i;

	json_array_foreach(json_object_get(native, "claims"), i, c) {
		json_t *path = json_deep_copy(json_object_get(c, "path"));
		json_t *e;

		if (fmt == VCI_FORMAT_JWTVC && path)
			json_array_insert_new(path, 0, json_string("credentialSubject"));
		e = json_pack("{s:o, s:b}", "path", path ? path : json_array(), "mandatory",
			      json_is_true(json_object_get(c, "mandatory")));
		if (e && fmt == VCI_FORMAT_SDJWT)
			json_object_set_new(e, "limitDisclosure", json_boolean(strcmp(
				json_string_value(json_object_get(c, "sd")) ?
				json_string_value(json_object_get(c, "sd")) : "", "never")));
		if (e && fmt == VCI_FORMAT_MDOC)
			json_object_set_new(e, "limitDisclosure", json_true());
		json_array_append_new(list, e);
	}
	return json_pack("{s:o}", "claims", list);
}

json_t *vci_shape_a_defn(const json_t *native, int64_t created_at, int64_t updated_at)
{
	const char *fs = json_string_value(json_object_get(native, "format"));
	vci_format_t fmt = vci_format_parse(fs, 1);
	const char *st = json_string_value(json_object_get(native, "status"));
	const json_t *disp = json_array_get(json_object_get(native, "display"), 0);
	const json_t *kb = json_object_get(native, "key_binding");
	const json_t *id = json_object_get(native, "id");
	json_t *a, *methods;
	int revocable = st && strcmp(st, "none");

	a = json_pack("{s:O, s:O, s:s, s:s, s:I, s:b, s:s, s:b, s:I, s:I}", "credentialDefinitionId",
		      id, "id", id, "label", json_string_value(json_object_get(native, "name")) ?
		      json_string_value(json_object_get(native, "name")) : json_string_value(id),
		      "credentialFormat", fs ? fs : "", "expirationInDays",
		      json_is_integer(json_object_get(native, "expiry_days")) ?
		      json_integer_value(json_object_get(native, "expiry_days")) : (json_int_t)30,
		      "supportRevocation", revocable, "revocationMethod",
		      !revocable ? "" : !strcmp(st, "bitstring_status_list") ? "status_list_2021" :
		      "status_list", "enforceWUA",
		      json_is_true(json_object_get(native, "wallet_attestation_required")),
		      "createdAt", (json_int_t)created_at, "updatedAt", (json_int_t)updated_at);
	if (!a)
		return NULL;
	if (fmt == VCI_FORMAT_SDJWT)
		json_object_set(a, "vct", json_object_get(native, "vct"));
	if (fmt == VCI_FORMAT_MDOC)
		json_object_set(a, "doctype", json_object_get(native, "doctype"));
	if (fmt == VCI_FORMAT_JWTVC) {
		json_object_set(a, "type", json_object_get(native, "type"));
		json_object_set_new(a, "credentialDefinition", a_claims(native, fmt));
		json_object_set_new(a, "claims", json_object());
	} else {
		json_object_set_new(a, "claims", a_claims(native, fmt));
	}
	methods = json_object_get(kb, "methods");
	json_object_set_new(a, "credentialBindingMethods", methods ? json_deep_copy(methods) :
			    json_array());
	json_object_set_new(a, "authorizationRequestType", json_string(
		json_object_get(native, "scope") ? "scope_based" : "authorization_details"));
	json_object_set_new(a, "scope", json_string(json_string_value(json_object_get(native,
						    "scope")) ? json_string_value(json_object_get(native,
						    "scope")) : ""));
	json_object_set_new(a, "credentialResponseInterval", json_integer(
		json_integer_value(json_object_get(native, "deferred_interval"))));
	json_object_set_new(a, "display", disp ? a_display(disp) : json_object());
	return a;
}

/* ---- system A: issue ---- */

/* The claims of one credential in its format's carrier. */
static int a_carrier(const json_t *c, const char *where, json_t **claims, vci_err_t *err)
{
	const json_t *v = json_object_get(c, "credentialSubject");

	if (!v)
		v = json_object_get(c, "claims");
	*claims = NULL;
	if (!v)
		return 0;
	if (!json_is_object(v))
		return bad(err, "%s: claims: expected an object", where);
	*claims = json_deep_copy(v);
	return *claims ? 0 : vci_err_oom(err);
}

static const char *const a_issue_known[] = {
	"issuanceMode", "credentialDefinitionId", "credential", "credentials", "userPin",
	"urlScheme", "credentialOfferEndpoint", "credentialMetadata", NULL,
};

/* One native record: the shared members of the body, then the entry's. */
static json_t *a_record(const json_t *body, const json_t *cred, const char *where,
			json_t *log, vci_err_t *err)
{
	const json_t *id = json_object_get(cred, "id");
	const json_t *v;
	json_t *rec, *claims = NULL;
	const char *k;

	if (!id)
		id = json_object_get(cred, "credentialConfigurationId");
	if (!id)
		id = json_object_get(body, "credentialDefinitionId");
	if (!json_is_string(id) || !json_string_length(id))
		return bad(err, "%s: credentialDefinitionId: required (or an id per credential)",
			   where), NULL;
	if (a_carrier(cred, where, &claims, err) < 0)
		return NULL;
	rec = json_pack("{s:O, s:O, s:b}", "credential_configuration_id", id, "issuanceMode",
			json_object_get(body, "issuanceMode"), "deferred",
			!strcmp(json_string_value(json_object_get(body, "issuanceMode")), "Deferred"));
	if (!rec) {
		json_decref(claims);
		return vci_err_oom(err), NULL;
	}
	json_object_set_new(rec, "claims", claims ? claims : json_object());
	/* other members pass through: kept apart from the record's own (an
	 * issuance record's "status" or "exp" would act), answered back */
	json_object_foreach((json_t *)body, k, v)
		if (!in_list(k, a_issue_known) && strcmp(k, "claims") && strcmp(k, "id") &&
		    strcmp(k, "credentialSubject") && strcmp(k, "credentialConfigurationId")) {
			json_t *pt = json_object_get(rec, "passthrough");

			if (!pt)
				json_object_set_new(rec, "passthrough", pt = json_object());
			json_object_set(pt, k, (json_t *)v);
		}
	if ((v = json_object_get(body, "userPin")))
		json_object_set(rec, "userPin", (json_t *)v);
	else
		json_object_set_new(rec, "authorization_code", json_true());
	json_object_set_new(rec, "isPreAuthorised", json_boolean(v != NULL));
	if ((v = json_object_get(body, "urlScheme")))
		json_object_set(rec, "urlScheme", (json_t *)v);
	if ((v = json_object_get(body, "credentialOfferEndpoint")))
		json_object_set(rec, "send_to", (json_t *)v);
	if ((v = json_object_get(cred, "credentialMetadata")) ||
	    (v = json_object_get(body, "credentialMetadata")))
		json_object_set(rec, "credentialMetadata", (json_t *)v);
	json_object_foreach((json_t *)cred, k, v)
		if (!in_list(k, (const char *const[]){ "id", "credentialConfigurationId",
						      "credentialSubject", "claims", "type", "vct",
						      "doctype", "credentialMetadata", NULL })) {
			char f[96];

			snprintf(f, sizeof f, "%s.%s", where, k);
			shape_dropped(log, f, "no meaning here");
		}
	return rec;
}

static int a_issue_check(const json_t *body, vci_err_t *err)
{
	const char *mode = json_string_value(json_object_get(body, "issuanceMode"));
	const json_t *pin = json_object_get(body, "userPin");
	const json_t *ep = json_object_get(body, "credentialOfferEndpoint");

	if (!json_is_object(body))
		return bad(err, "body: expected a JSON object");
	if (!mode || (strcmp(mode, "InTime") && strcmp(mode, "Deferred")))
		return bad(err, "issuanceMode: InTime or Deferred is required");
	if (pin && (!json_is_string(pin) || (json_string_length(pin) &&
					     (json_string_length(pin) < 4 ||
					      json_string_length(pin) > 12))))
		return bad(err, "userPin: expected an empty string or 4 to 12 characters");
	if (ep && !json_is_string(ep))
		return bad(err, "credentialOfferEndpoint: expected a URL string");
	if (json_object_get(body, "credential") && json_object_get(body, "credentials"))
		return bad(err, "credential, credentials: give one of them");
	if (json_object_get(body, "credential") && !json_is_object(json_object_get(body,
										    "credential")))
		return bad(err, "credential: expected an object");
	if (json_object_get(body, "credentials") &&
	    (!json_is_array(json_object_get(body, "credentials")) ||
	     !json_array_size(json_object_get(body, "credentials"))))
		return bad(err, "credentials: expected a non-empty array");
	return 0;
}

json_t *vci_shape_a_issue_records(const json_t *body, json_t *log, vci_err_t *err)
{
	const json_t *creds = json_object_get(body, "credentials"), *c;
	json_t *out;
	char where[48];
	size_t i;

	if (a_issue_check(body, err) < 0)
		return NULL;
	out = json_array();
	if (!out)
		return vci_err_oom(err), NULL;
	if (!creds) {
		const json_t *one = json_object_get(body, "credential");
		json_t *r = a_record(body, one ? one : body, "credential", NULL, err);

		if (!r || json_array_append_new(out, r) < 0) {
			json_decref(out);
			return NULL;
		}
		return out;
	}
	json_array_foreach(creds, i, c) {
		json_t *r;

		snprintf(where, sizeof where, "credentials[%zu]", i);
		if (!json_is_object(c)) {
			json_decref(out);
			return bad(err, "%s: expected an object", where), NULL;
		}
		r = a_record(body, c, where, log, err);
		if (!r || json_array_append_new(out, r) < 0) {
			json_decref(out);
			return NULL;
		}
	}
	return out;
}

json_t *vci_shape_a_deferred_claims(const json_t *body, vci_err_t *err)
{
	const json_t *c = json_object_get(body, "credential");
	json_t *claims = NULL;

	if (!json_is_object(body))
		return bad(err, "body: expected a JSON object"), NULL;
	if (!json_is_object(c))
		return bad(err, "credential: an object with the claims is required"), NULL;
	if (a_carrier(c, "credential", &claims, err) < 0)
		return NULL;
	if (!claims)
		claims = json_deep_copy(c);
	if (!claims)
		vci_err_oom(err);
	return claims;
}

/* ---- system A: history ---- */

static const char *row_xstate(const json_t *row)
{
	return json_string_value(json_object_get(json_object_get(row, "exchange"), "state"));
}

static const char *a_status(const json_t *row)
{
	static const char *const map[][2] = {
		{ "offer_redeemed", "offer_received" }, { "issuance_pending", "offer_received" },
		{ "claims_supplied", "offer_received" }, { "credential_issued", "credential_issued" },
		{ "credential_failure", "credential_acked" },
		{ "credential_accepted", "credential_accepted" },
		{ "credential_deleted", "credential_deleted" },
		{ "issuance_denied", "issuance_denied" },
	};
	const char *x = row_xstate(row);

	for (size_t i = 0; x && i < sizeof map / sizeof map[0]; i++)
		if (!strcmp(x, map[i][0]))
			return map[i][1];
	return x ? "offer_received" : "offer_sent";
}

int vci_shape_a_status_known(const char *status)
{
	static const char *const names[] = {
		"offer_sent", "offer_received", "credential_issued", "credential_acked",
		"credential_accepted", "credential_deleted", "issuance_denied", NULL,
	};

	return status && in_list(status, names);
}

static const char *a_revocation(const json_t *entries)
{
	int any = 0, susp = 0;
	const json_t *e;
	size_t i;

	json_array_foreach(entries, i, e) {
		const char *w = json_string_value(json_object_get(e, "status"));

		any = 1;
		if (w && !strcmp(w, "invalid"))
			return "Revoked";
		if (w && !strcmp(w, "suspended"))
			susp = 1;
	}
	return susp ? "Suspended" : any ? "Operational" : "";
}

const char *vci_shape_a_revocation_word(const char *s)
{
	if (!s)
		return NULL;
	if (!strcmp(s, "Operational"))
		return "valid";
	if (!strcmp(s, "Revoked"))
		return "invalid";
	if (!strcmp(s, "Suspended"))
		return "suspended";
	return NULL;
}

json_t *vci_shape_a_history(const json_t *row, const json_t *entries)
{
	const json_t *rec = json_object_get(row, "record");
	const json_t *x = json_object_get(row, "exchange");
	const char *xs = row_xstate(row);
	const char *mode = json_string_value(json_object_get(rec, "issuanceMode"));
	int deferred = json_is_true(json_object_get(rec, "deferred")) ||
		       (mode && !strcmp(mode, "Deferred"));
	int pending = deferred && (!xs || !strcmp(xs, "offer_redeemed") ||
				   !strcmp(xs, "issuance_pending") || !strcmp(xs, "issuance_denied"));
	const json_t *cid = json_object_get(rec, "credential_configuration_id");
	const json_t *upd = x ? json_object_get(x, "updated_at") : json_object_get(row, "created_at");
	const char *k;
	json_t *h, *v;

	if (!cid)
		cid = json_array_get(json_object_get(rec, "credential_configuration_ids"), 0);
	h = json_pack("{s:O, s:O, s:s, s:s, s:s, s:s, s:b, s:b, s:b, s:s, s:b, s:O, s:O}",
		      "credentialExchangeId", json_object_get(row, "offer_id"), "id",
		      json_object_get(row, "offer_id"), "credentialDefinitionId",
		      json_string_value(cid) ? json_string_value(cid) : "", "status", a_status(row),
		      "credentialStatus", pending ? "pending" : "ready", "issuanceMode",
		      deferred ? "Deferred" : "InTime", "isPreAuthorised",
		      !json_is_false(json_object_get(rec, "isPreAuthorised")), "isAccessed", x != NULL,
		      "isTokenAccessed", x != NULL, "revocationStatus", a_revocation(entries),
		      "supportRevocation", json_array_size(entries) > 0, "createdAt",
		      json_object_get(row, "created_at"), "updatedAt", upd);
	if (!h)
		return NULL;
	json_object_set_new(h, "credential", json_is_object(json_object_get(rec, "claims")) ?
			    json_deep_copy(json_object_get(rec, "claims")) : json_object());
	json_object_set_new(h, "credentialMetadata",
			    json_deep_copy(json_object_get(rec, "credentialMetadata")));
	if (!json_object_get(h, "credentialMetadata"))
		json_object_set_new(h, "credentialMetadata", json_null());
	json_object_set_new(h, "credentialOffer", json_string(""));
	json_object_set_new(h, "clientId", json_string(""));
	json_object_set_new(h, "transactionCode", json_string(""));
	json_object_foreach(json_object_get(rec, "passthrough"), k, v)
		if (!json_object_get(h, k))
			json_object_set(h, k, v);
	json_object_set_new(h, "credentialExchangeState",
			    json_string(xs ? xs : json_string_value(json_object_get(row,
										      "offer_state"))));
	return h;
}

/* ---- system C ---- */

static json_t *iso_time(int64_t t)
{
	char buf[32];
	time_t tt = (time_t)t;
	struct tm tm;

	if (!gmtime_r(&tt, &tm) || !strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm))
		return json_null();
	return json_string(buf);
}

/* The claims list as system C's tree: {name: {..., mandatory, value_type}}. */
static json_t *c_tree(const json_t *claims, json_t *sd_list)
{
	json_t *tree = json_object();
	const json_t *c;
	size_t i;

	json_array_foreach(claims, i, c) {
		const json_t *path = json_object_get(c, "path"), *p;
		json_t *node = tree;
		char ptr[512] = "";
		size_t j, n = 0;
		int ok = json_array_size(path) > 0;

		json_array_foreach(path, j, p) {
			const char *k = json_string_value(p);
			json_t *next;

			if (!k) {
				ok = 0;     /* array elements: not in system C's shape */
				break;
			}
			n += (size_t)snprintf(ptr + n, n < sizeof ptr ? sizeof ptr - n : 0, "/%s", k);
			next = json_object_get(node, k);
			if (!json_is_object(next)) {
				next = json_object();
				json_object_set_new(node, k, next);
			}
			node = next;
		}
		if (!ok)
			continue;
		json_object_set_new(node, "mandatory", json_boolean(json_is_true(
			json_object_get(c, "mandatory"))));
		if (json_object_get(c, "value_type"))
			json_object_set(node, "value_type", json_object_get(c, "value_type"));
		if (sd_list && json_string_value(json_object_get(c, "sd")) &&
		    !strcmp(json_string_value(json_object_get(c, "sd")), "always") &&
		    !strchr(ptr + 1, '~') && n < sizeof ptr)
			json_array_append_new(sd_list, json_string(ptr));
	}
	return tree;
}

/* The native display entries in system C's snake_case (the same names). */
static json_t *c_display(const json_t *native)
{
	const json_t *d = json_object_get(native, "display");

	return json_array_size(d) ? json_deep_copy(d) : json_null();
}

json_t *vci_shape_c_record(const json_t *native, int64_t created_at, int64_t updated_at)
{
	const char *fs = json_string_value(json_object_get(native, "format"));
	vci_format_t fmt = vci_format_parse(fs, 1);
	const json_t *methods = json_object_get(json_object_get(native, "key_binding"), "methods");
	const json_t *id = json_object_get(native, "id");
	json_t *r, *fd, *add, *sd = json_array();

	fd = json_pack("{s:o, s:O?}", "display", c_display(native),
		       "cryptographic_binding_methods_supported", methods);
	add = json_object();
	if (!fd || !add || !sd) {
		json_decref(fd);
		json_decref(add);
		json_decref(sd);
		return NULL;
	}
	if (fmt == VCI_FORMAT_JWTVC) {
		json_object_set(fd, "types", json_object_get(native, "type"));
		json_object_set(fd, "context", json_object_get(native, "@context"));
		json_object_set_new(fd, "credentialSubject",
				    c_tree(json_object_get(native, "claims"), NULL));
		json_object_set(add, "type", json_object_get(native, "type"));
		json_object_set(add, "@context", json_object_get(native, "@context"));
	} else if (fmt == VCI_FORMAT_MDOC) {
		json_object_set(fd, "doctype", json_object_get(native, "doctype"));
		json_object_set_new(fd, "claims", c_tree(json_object_get(native, "claims"), NULL));
	} else {
		json_object_set(fd, "vct", json_object_get(native, "vct"));
		json_object_set_new(fd, "claims", c_tree(json_object_get(native, "claims"), sd));
		json_object_set(add, "sd_list", sd);
	}
	json_decref(sd);
	json_object_set_new(fd, "order", json_null());
	r = json_pack("{s:O, s:O, s:s, s:o, s:o, s:o, s:o, s:n, s:n, s:n}", "supported_cred_id", id,
		      "identifier", id, "format", fmt == VCI_FORMAT_SDJWT ? "vc+sd-jwt" : fs ? fs : "",
		      "format_data", fd, "vc_additional_data", add, "created_at",
		      iso_time(created_at), "updated_at", iso_time(updated_at),
		      "cryptographic_binding_methods_supported", "cryptographic_suites_supported",
		      "display");
	return r;
}

const char *vci_shape_c_state(const json_t *row)
{
	static const char *const map[][2] = {
		{ "credential_issued", "issued" }, { "credential_accepted", "accepted" },
		{ "credential_deleted", "deleted" }, { "credential_failure", "failed" },
		{ "issuance_denied", "failed" },
	};
	const char *x = row_xstate(row);
	const char *o = json_string_value(json_object_get(row, "offer_state"));

	for (size_t i = 0; x && i < sizeof map / sizeof map[0]; i++)
		if (!strcmp(x, map[i][0]))
			return map[i][1];
	if (!x && o && !strcmp(o, "dead"))
		return "failed";
	return "offer";
}

json_t *vci_shape_c_exchange(const json_t *row)
{
	const json_t *rec = json_object_get(row, "record");
	const json_t *x = json_object_get(row, "exchange");
	const json_t *cid = json_object_get(rec, "credential_configuration_id");
	const json_t *claims = json_object_get(rec, "claims");
	int64_t upd = (int64_t)json_integer_value(json_object_get(x ? x : row, x ? "updated_at" :
									   "created_at"));

	if (!cid)
		cid = json_array_get(json_object_get(rec, "credential_configuration_ids"), 0);
	return json_pack("{s:O, s:O?, s:s, s:n, s:o, s:n, s:n, s:n, s:o, s:o}", "exchange_id",
			 json_object_get(row, "offer_id"), "supported_cred_id", cid, "state",
			 vci_shape_c_state(row), "pin", "credential_subject",
			 json_is_object(claims) ? json_deep_copy(claims) : json_object(), "code",
			 "nonce", "token", "created_at",
			 iso_time((int64_t)json_integer_value(json_object_get(row, "created_at"))),
			 "updated_at", iso_time(upd));
}

json_t *vci_shape_c_issue_record(const json_t *body, json_t *log, vci_err_t *err)
{
	const json_t *id = json_object_get(body, "supported_cred_id");
	const json_t *cs = json_object_get(body, "credential_subject");
	const json_t *pin = json_object_get(body, "pin");
	json_t *rec;
	const char *k;
	json_t *v;

	if (!json_is_object(body))
		return bad(err, "body: expected a JSON object"), NULL;
	if (!json_is_string(id) || !json_string_length(id))
		return bad(err, "supported_cred_id: required"), NULL;
	if (cs && !json_is_object(cs))
		return bad(err, "credential_subject: expected an object"), NULL;
	if (pin && !json_is_null(pin) && !json_is_string(pin))
		return bad(err, "pin: expected a string"), NULL;
	rec = json_pack("{s:O, s:o}", "credential_configuration_id", id, "claims",
			cs ? json_deep_copy(cs) : json_object());
	if (!rec)
		return vci_err_oom(err), NULL;
	if (json_is_string(pin) && json_string_length(pin))
		json_object_set(rec, "tx_code", (json_t *)pin);
	json_object_foreach((json_t *)body, k, v) {
		if (!strcmp(k, "did") || !strcmp(k, "verification_method"))
			shape_dropped(log, k, "the issuer signs with the server's --key");
		else if (strcmp(k, "supported_cred_id") && strcmp(k, "credential_subject") &&
			 strcmp(k, "pin"))
			shape_dropped(log, k, "no meaning here");
	}
	return rec;
}
