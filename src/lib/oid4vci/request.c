/* request.c - the wallet's requests to the token, credential and
 * notification endpoints, parsed; the token and credential responses. */
#include "request.h"
#include "base/b64url.h"
#include "base/http.h"
#include "crypto/jwe.h"
#include "crypto/jws.h"
#include "offer.h"
#include "policy.h"

#include <string.h>

static int oom(vci_err_t *err)
{
	return vci_err_oom(err);
}

/* ---- forms and queries ---- */

/* One name=value pair of a form or query, split at its first '='. */
typedef struct form_pair {
	const char *name, *value;
	size_t nlen, vlen;
} form_pair_t;

/* The next '&'-separated pair from *p (up to end); 0 when none is left.
 * Empty pairs ("a=1&&b=2") are skipped. */
static int form_next(const char **p, const char *end, form_pair_t *fp)
{
	while (*p < end) {
		const char *s = *p, *amp = memchr(s, '&', (size_t)(end - s));
		const char *e = amp ? amp : end;
		const char *eq = memchr(s, '=', (size_t)(e - s));

		*p = amp ? amp + 1 : end;
		if (e == s)
			continue;
		fp->name = s;
		fp->nlen = (size_t)((eq ? eq : e) - s);
		fp->value = eq ? eq + 1 : e;
		fp->vlen = (size_t)(e - fp->value);
		return 1;
	}
	return 0;
}

/* Whether a pair's name, decoded, is `name`. A name that does not decode
 * is no name we know. */
static int form_name_is(const form_pair_t *fp, const char *name)
{
	char *dec = NULL;
	size_t dlen = 0;
	int is;

	if (!memchr(fp->name, '%', fp->nlen) && !memchr(fp->name, '+', fp->nlen))
		return fp->nlen == strlen(name) && !memcmp(fp->name, name, fp->nlen);
	if (vci_url_decode(fp->name, fp->nlen, 1, &dec, &dlen, NULL) < 0)
		return 0;
	is = dlen == strlen(name) && !memcmp(dec, name, dlen);
	free(dec);
	return is;
}

int vci_request_query_has(const char *query, const char *name)
{
	const char *p = query;
	form_pair_t fp;

	if (!query)
		return 0;
	while (form_next(&p, query + strlen(query), &fp))
		if (form_name_is(&fp, name))
			return 1;
	return 0;
}

/* Decode a form value into *slot (wiped first if set twice: refused). */
static int form_take(const form_pair_t *fp, const char *name, char **slot, vci_err_t *err)
{
	size_t dlen;

	if (*slot)
		return vci_err_set(err, VCI_EXIT_FAIL, "invalid_request",
				   "%s: sent more than once", name);
	if (vci_url_decode(fp->value, fp->vlen, 1, slot, &dlen, err) < 0)
		return vci_err_set(err, VCI_EXIT_FAIL, "invalid_request",
				   "%s: malformed %%-escape", name);
	if (!dlen || strlen(*slot) != dlen) {
		/* no value: as if omitted (RFC 6749 section 3.1) */
		vci_str_wipe(*slot);
		*slot = NULL;
	}
	return 0;
}

int vci_form_fields(const char *body, size_t len, const char *const *names, char ***slots,
		    size_t n, vci_err_t *err)
{
	const char *p = body ? body : "";
	const char *end = p + (body ? len : 0);
	form_pair_t fp;
	size_t count = 0;

	while (form_next(&p, end, &fp)) {
		if (++count > VCI_FORM_PARAMS_MAX)
			return vci_err_set(err, VCI_EXIT_FAIL, "invalid_request",
					   "more than %u form parameters", VCI_FORM_PARAMS_MAX);
		for (size_t i = 0; i < n; i++)
			if (form_name_is(&fp, names[i]) &&
			    form_take(&fp, names[i], slots[i], err) < 0)
				return -1;
	}
	return 0;
}

void vci_token_request_clear(vci_token_request_t *r)
{
	free(r->grant_type);
	vci_str_wipe(r->code);
	vci_str_wipe(r->tx_code);
	vci_str_wipe(r->code_verifier);
	vci_str_wipe(r->pre_auth_code);
	vci_str_wipe(r->refresh_token);
	free(r->redirect_uri);
	free(r->client_id);
	memset(r, 0, sizeof *r);
}

/* Which grant the request is, and its required parameters. */
static int token_grant_check(vci_token_request_t *out, vci_err_t *err)
{
	if (!out->grant_type)
		return vci_err_set(err, VCI_EXIT_FAIL, "invalid_request", "grant_type: missing");
	if (!strcmp(out->grant_type, VCI_GRANT_PRE_AUTH)) {
		vci_str_wipe(out->code);
		out->code = out->pre_auth_code;
		out->pre_auth_code = NULL;
		if (!out->code)
			return vci_err_set(err, VCI_EXIT_FAIL, "invalid_request",
					   "pre-authorized_code: missing");
		return 0;
	}
	if (!strcmp(out->grant_type, "refresh_token")) {
		out->refresh = 1;
		if (!out->refresh_token)
			return vci_err_set(err, VCI_EXIT_FAIL, "invalid_request",
					   "refresh_token: missing");
		return 0;
	}
	if (strcmp(out->grant_type, "authorization_code"))
		return vci_err_set(err, VCI_EXIT_FAIL, "unsupported_grant_type",
				   "grant_type: only the pre-authorized code, authorization "
				   "code and refresh token grants are supported");
	out->auth_code = 1;
	if (!out->code)
		return vci_err_set(err, VCI_EXIT_FAIL, "invalid_request", "code: missing");
	if (!out->code_verifier)
		return vci_err_set(err, VCI_EXIT_FAIL, "invalid_request",
				   "code_verifier: missing (PKCE is required)");
	if (!out->redirect_uri)
		return vci_err_set(err, VCI_EXIT_FAIL, "invalid_request", "redirect_uri: missing");
	return 0;
}

int vci_token_request_parse(const char *body, size_t len, vci_token_request_t *out,
			    vci_err_t *err)
{
	static const char *const names[] = { "grant_type", "pre-authorized_code", "tx_code",
					     "code", "code_verifier", "redirect_uri",
					     "client_id", "refresh_token" };
	char **slots[] = { &out->grant_type, &out->pre_auth_code, &out->tx_code, &out->code,
			   &out->code_verifier, &out->redirect_uri, &out->client_id,
			   &out->refresh_token };

	memset(out, 0, sizeof *out);
	if (vci_form_fields(body, len, names, slots, 8, err) < 0 ||
	    token_grant_check(out, err) < 0) {
		vci_token_request_clear(out);
		return -1;
	}
	return 0;
}

/* ---- the token response ---- */

json_t *vci_request_offered_ids(const json_t *rec)
{
	const json_t *offer = json_object_get(rec, "credential_offer");
	const json_t *ids = json_object_get(offer, "credential_configuration_ids");
	json_t *out = json_array();
	const json_t *v;
	size_t i;

	if (!out)
		return NULL;
	if (!json_is_array(ids))
		ids = json_object_get(rec, "credential_configuration_ids");
	if (json_is_array(ids)) {
		json_array_foreach(ids, i, v)
			if (json_is_string(v) && json_array_append((json_t *)out, (json_t *)v) < 0)
				goto fail;
		return out;
	}
	v = json_object_get(rec, "credential_configuration_id");
	if (json_is_string(v) && json_array_append(out, (json_t *)v) < 0)
		goto fail;
	return out;
fail:
	json_decref(out);
	return NULL;
}

json_t *vci_token_response_new(const vci_token_response_t *r)
{
	json_auto_t *details = json_array();
	json_auto_t *o = NULL;
	const json_t *v;
	size_t i;

	if (!details)
		return NULL;
	json_array_foreach(r->ids, i, v) {
		json_t *e = json_pack("{s:s, s:O, s:[O]}", "type", "openid_credential",
				      "credential_configuration_id", v, "credential_identifiers", v);

		if (!e || json_array_append_new(details, e) < 0)
			return NULL;
	}
	o = json_pack("{s:s, s:s, s:I, s:O}", "access_token", r->access_token, "token_type",
		      r->token_type, "expires_in", (json_int_t)r->expires_in,
		      "authorization_details", details);
	if (o && r->refresh_token &&
	    json_object_set_new(o, "refresh_token", json_string(r->refresh_token)) < 0)
		return NULL;
	if (o && r->c_nonce &&
	    (json_object_set_new(o, "c_nonce", json_string(r->c_nonce)) < 0 ||
	     json_object_set_new(o, "c_nonce_expires_in",
				 json_integer(r->c_nonce_expires_in)) < 0))
		return NULL;
	return json_incref(o);
}

/* ---- the credential request ---- */

static int bad_request(vci_err_t *err, const char *msg)
{
	return vci_err_set(err, VCI_EXIT_FAIL, "invalid_credential_request", "%s", msg);
}

/* A member that must be a string when present. */
static int opt_string(const json_t *doc, const char *name, const char **out, vci_err_t *err)
{
	const json_t *v = json_object_get(doc, name);

	*out = NULL;
	if (!v)
		return 0;
	if (!json_is_string(v) || !json_string_length(v))
		return vci_err_set(err, VCI_EXIT_FAIL, "invalid_credential_request",
				   "%s: not a non-empty string", name);
	*out = json_string_value(v);
	return 0;
}

/* r->proofs from "proofs" (1.0) or "proof" (drafts 13-15). */
static int take_proofs(vci_credential_request_t *r, size_t max_proofs, vci_err_t *err)
{
	const json_t *proofs = json_object_get(r->doc, "proofs");
	const json_t *proof = json_object_get(r->doc, "proof");
	const json_t *list = NULL, *type;
	const char *key;
	json_t *v;

	if (proofs) {
		if (!json_is_object(proofs) || json_object_size(proofs) != 1)
			return vci_err_set(err, VCI_EXIT_FAIL, "invalid_proof",
					   "proofs: not an object with exactly one proof type");
		json_object_foreach((json_t *)proofs, key, v)
			list = v;
		if (!json_is_array(list) || !json_array_size(list))
			return vci_err_set(err, VCI_EXIT_FAIL, "invalid_proof",
					   "proofs: the proof type's value is not a non-empty array");
		if (json_array_size(list) > max_proofs)
			return vci_err_set(err, VCI_EXIT_FAIL, "invalid_credential_request",
					   "proofs: %zu proofs, more than the batch size %zu",
					   json_array_size(list), max_proofs);
		r->proofs = json_pack("{s:O}", "proofs", proofs);
	} else if (proof) {
		type = json_object_get(proof, "proof_type");
		if (!json_is_object(proof) || !json_is_string(type) ||
		    !json_object_get(proof, json_string_value(type)))
			return vci_err_set(err, VCI_EXIT_FAIL, "invalid_proof",
					   "proof: not an object with a proof_type and its value");
		r->legacy = 1;
		r->proofs = json_pack("{s:{s:[O]}}", "proofs", json_string_value(type),
				      json_object_get(proof, json_string_value(type)));
	} else {
		return 0;
	}
	if (!r->proofs)
		return oom(err);
	json_object_foreach(json_object_get(r->proofs, "proofs"), key, v) {
		r->proof_type = key;
		r->nproofs = json_array_size(v);
	}
	return 0;
}

/* credential_response_encryption (section 8.2): {jwk, enc, zip?},
 * something we can encrypt to. */
static int take_encryption(vci_credential_request_t *r, vci_err_t *err)
{
	static const char code[] = "invalid_encryption_parameters";
	const json_t *e = json_object_get(r->doc, "credential_response_encryption");
	const json_t *jwk, *enc, *zip;

	if (!e)
		return 0;
	jwk = json_object_get(e, "jwk");
	enc = json_object_get(e, "enc");
	zip = json_object_get(e, "zip");
	if (!json_is_object(e) || !json_is_object(jwk) || !json_is_string(enc) ||
	    (zip && !json_is_string(zip)))
		return vci_err_set(err, VCI_EXIT_FAIL, code, "credential_response_encryption: "
				   "expected an object with \"jwk\" (object), \"enc\" and "
				   "optionally \"zip\" (strings)");
	if (vci_jwe_recipient_check(jwk, json_string_value(enc), json_string_value(zip),
				    err) < 0)
		return vci_err_prefix(err, "credential_response_encryption");
	r->encryption = e;
	return 0;
}

char *vci_credential_response_encrypt(const vci_credential_request_t *r, const json_t *body,
				      vci_err_t *err)
{
	const json_t *e = r->encryption;
	char_auto_t *text = vci_json_dumps(body, JSON_COMPACT);

	if (!e) {
		vci_err_set(err, VCI_EXIT_IO, "server_error", "no encryption was requested");
		return NULL;
	}
	if (!text) {
		oom(err);
		return NULL;
	}
	return vci_jwe_encrypt(json_object_get(e, "jwk"),
			       json_string_value(json_object_get(e, "enc")),
			       json_string_value(json_object_get(e, "zip")), NULL,
			       (const uint8_t *)text, strlen(text), err);
}

void vci_credential_request_clear(vci_credential_request_t *r)
{
	json_decref(r->doc);
	json_decref(r->proofs);
	memset(r, 0, sizeof *r);
}

int vci_credential_request_parse(const char *body, size_t len, size_t max_proofs,
				 vci_credential_request_t *out, vci_err_t *err)
{
	json_error_t je;

	memset(out, 0, sizeof *out);
	out->doc = body ? json_loadb(body, len, JSON_REJECT_DUPLICATES, &je) : NULL;
	if (!out->doc)
		return vci_err_set(err, VCI_EXIT_FAIL, "invalid_credential_request",
				   "body: not JSON (line %d, column %d)", body ? je.line : 0,
				   body ? je.column : 0);
	if (!json_is_object(out->doc)) {
		vci_credential_request_clear(out);
		return bad_request(err, "body: not a JSON object");
	}
	if (opt_string(out->doc, "credential_configuration_id", &out->config_id, err) < 0 ||
	    opt_string(out->doc, "credential_identifier", &out->identifier, err) < 0)
		goto fail;
	if (out->config_id && out->identifier) {
		bad_request(err, "credential_identifier and credential_configuration_id: "
			    "exactly one may be given");
		goto fail;
	}
	if (!out->config_id && !out->identifier) {
		if (opt_string(out->doc, "format", &out->format, err) < 0)
			goto fail;
		if (!out->format) {
			bad_request(err, "credential_configuration_id or credential_identifier: "
				    "missing");
			goto fail;
		}
		out->legacy = 1;
	}
	if (take_encryption(out, err) < 0)
		goto fail;
	if (take_proofs(out, max_proofs ? max_proofs : 1, err) < 0)
		goto fail;
	return 0;
fail:
	vci_credential_request_clear(out);
	return -1;
}

static int ids_have(const json_t *ids, const char *id)
{
	const json_t *v;
	size_t i;

	json_array_foreach(ids, i, v)
		if (!strcmp(json_string_value(v), id))
			return 1;
	return 0;
}

/* Draft 13 credential_definition.type: the same set of types as d's. */
static int types_match(const json_t *want, const json_t *have)
{
	const json_t *v;
	size_t i;

	if (!json_is_array(want) || !json_is_array(have) ||
	    json_array_size(want) != json_array_size(have))
		return 0;
	json_array_foreach(want, i, v)
		if (!json_is_string(v) || !ids_have(have, json_string_value(v)))
			return 0;
	return 1;
}

/* Whether d is what draft 13's format + type parameters ask for; with no
 * type parameter, every definition of the format is (*typed = 0). */
static int d13_matches(const json_t *doc, vci_format_t f, const vci_defn_t *d, int *typed)
{
	const json_t *vct = json_object_get(doc, "vct");
	const json_t *doctype = json_object_get(doc, "doctype");
	const json_t *cd = json_object_get(doc, "credential_definition");

	if (d->format != f)
		return 0;
	switch (f) {
	case VCI_FORMAT_SDJWT:
		*typed = vct != NULL;
		return !vct || (json_is_string(vct) && d->vct && !strcmp(json_string_value(vct), d->vct));
	case VCI_FORMAT_MDOC:
		*typed = doctype != NULL;
		return !doctype || (json_is_string(doctype) && d->doctype &&
				    !strcmp(json_string_value(doctype), d->doctype));
	case VCI_FORMAT_JWTVC:
		*typed = cd != NULL;
		return !cd || types_match(json_object_get(cd, "type"), d->type);
	default:
		return 0;
	}
}

static const vci_defn_t *select_d13(const vci_credential_request_t *r, vci_defn_t *const *defs,
				    size_t n, const json_t *offered, vci_err_t *err)
{
	vci_format_t f = vci_format_parse(r->format, 1);
	const vci_defn_t *found = NULL;
	size_t matches = 0;
	const json_t *v;
	size_t i;
	int typed = 0;

	json_array_foreach(offered, i, v) {
		const vci_defn_t *d = vci_defn_find(defs, n, json_string_value(v));

		if (d && d13_matches(r->doc, f, d, &typed) && found != d) {
			found = d;
			matches++;
		}
	}
	if (!found) {
		vci_err_set(err, VCI_EXIT_FAIL, "unknown_credential_configuration",
			    "format '%.64s': no offered credential configuration of this format "
			    "and type", r->format);
		return NULL;
	}
	if (matches > 1) {
		vci_err_set(err, VCI_EXIT_FAIL, "invalid_credential_request",
			    "format '%.64s': %s several offered configurations", r->format,
			    typed ? "the type names" : "without a type parameter, matches");
		return NULL;
	}
	return found;
}

const vci_defn_t *vci_credential_request_select(const vci_credential_request_t *r,
						vci_defn_t *const *defs, size_t n,
						const json_t *offered, vci_err_t *err)
{
	const vci_defn_t *d;

	if (r->identifier) {
		if (!ids_have(offered, r->identifier) ||
		    !(d = vci_defn_find(defs, n, r->identifier))) {
			vci_err_set(err, VCI_EXIT_FAIL, "unknown_credential_identifier",
				    "credential_identifier: not one the token response named");
			return NULL;
		}
		return d;
	}
	if (r->config_id) {
		d = vci_defn_find(defs, n, r->config_id);
		if (!d || !ids_have(offered, r->config_id)) {
			vci_err_set(err, VCI_EXIT_FAIL, "unknown_credential_configuration",
				    "credential_configuration_id: %s", d ? "not offered with this "
				    "access token" : "no such credential configuration");
			return NULL;
		}
		return d;
	}
	return select_d13(r, defs, n, offered, err);
}

int vci_credential_request_nonce(const vci_credential_request_t *r, char **nonce,
				 vci_err_t *err)
{
	const json_t *first, *n;
	vci_jws_t jws;
	int have;

	*nonce = NULL;
	first = json_array_get(json_object_get(json_object_get(r->proofs, "proofs"),
					       r->proof_type ? r->proof_type : ""), 0);
	if (!first)
		return vci_err_set(err, VCI_EXIT_FAIL, "invalid_proof",
				   "proofs: missing: this credential needs a proof of possession");
	if (!json_is_string(first) ||
	    vci_jws_parse(json_string_value(first), json_string_length(first), &jws, NULL) < 0)
		return vci_err_set(err, VCI_EXIT_FAIL, "invalid_proof",
				   "proofs.%s[0]: not a JWT", r->proof_type);
	n = json_object_get(jws.payload, "nonce");
	have = json_is_string(n);
	if (have)
		*nonce = strndup(json_string_value(n), json_string_length(n));
	vci_jws_free(&jws);
	if (!have)
		return vci_err_set(err, VCI_EXIT_FAIL, "invalid_proof",
				   "proofs.%s[0]: nonce missing: fetch a c_nonce from the "
				   "nonce endpoint", r->proof_type);
	return *nonce ? 0 : oom(err);
}

int vci_credential_request_verify(const vci_credential_request_t *r, const vci_defn_t *d,
				  const vci_proof_policy_t *p, json_t **keys, vci_err_t *err)
{
	json_auto_t *rec = NULL;
	const json_t *one, *many;

	*keys = NULL;
	if (!r->proofs)
		return vci_err_set(err, VCI_EXIT_FAIL, "invalid_proof",
				   "proofs: missing: this credential needs a proof of possession");
	rec = json_deep_copy(r->proofs);
	if (!rec)
		return oom(err);
	if (vci_policy_verify_record(d, p, NULL, VCI_POLICY_CLIENT_ATTESTED, rec, err) < 0)
		return -1;
	one = json_object_get(rec, "holder_jwk");
	many = json_object_get(rec, "holder_jwks");
	*keys = many ? json_incref((json_t *)many) : json_pack("[O]", one);
	return *keys ? 0 : oom(err);
}

json_t *vci_credential_record_new(const json_t *xrec, const vci_defn_t *d,
				  const json_t *holder_jwk, const json_t *status, int single)
{
	static const char *const copied[] = { "claims", "exp", "nbf" };
	json_auto_t *rec = json_object();

	if (!rec || json_object_set_new(rec, "credential_configuration_id", json_string(d->id)) < 0)
		return NULL;
	for (size_t i = 0; i < sizeof copied / sizeof copied[0]; i++) {
		json_t *v = json_object_get(xrec, copied[i]);

		if (i == 0 && json_object_get(json_object_get(xrec, "claims_by_configuration"), d->id))
			v = json_object_get(json_object_get(xrec, "claims_by_configuration"), d->id);

		if (v && json_object_set(rec, copied[i], v) < 0)
			return NULL;
	}
	if (holder_jwk && json_object_set(rec, "holder_jwk", (json_t *)holder_jwk) < 0)
		return NULL;
	if (status) {
		const char *slot = json_object_get(status, "status_list") ? "status"
									    : "credentialStatus";

		if (json_object_set(rec, slot, (json_t *)status) < 0)
			return NULL;
	} else if (single) {
		for (size_t i = 0; i < 2; i++) {
			const char *slot = i ? "credentialStatus" : "status";
			json_t *v = json_object_get(xrec, slot);

			if (v && json_object_set(rec, slot, v) < 0)
				return NULL;
		}
	}
	return json_incref(rec);
}

json_t *vci_credential_response_new(const json_t *creds, const char *notification_id,
				    int legacy, const char *c_nonce, long c_nonce_ttl)
{
	json_auto_t *list = json_array();
	json_auto_t *o = NULL;
	const json_t *v;
	size_t i;

	if (!list)
		return NULL;
	json_array_foreach(creds, i, v)
		if (json_array_append_new(list, json_pack("{s:O}", "credential", v)) < 0)
			return NULL;
	o = json_pack("{s:O, s:s}", "credentials", list, "notification_id", notification_id);
	if (!o)
		return NULL;
	if (legacy && json_array_size(creds) &&
	    json_object_set(o, "credential", json_array_get(creds, 0)) < 0)
		return NULL;
	if (legacy && c_nonce &&
	    (json_object_set_new(o, "c_nonce", json_string(c_nonce)) < 0 ||
	     json_object_set_new(o, "c_nonce_expires_in", json_integer(c_nonce_ttl)) < 0))
		return NULL;
	return json_incref(o);
}

/* ---- the notification request ---- */

void vci_notification_request_clear(vci_notification_request_t *r)
{
	json_decref(r->doc);
	memset(r, 0, sizeof *r);
}

/* event_description's characters (section 11.1): %x20-21 / %x23-5B /
 * %x5D-7E, no '"' or '\\'. */
static int description_ok(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e || *s == '"' || *s == '\\')
			return 0;
	return 1;
}

static int bad_notification(vci_notification_request_t *r, vci_err_t *err, const char *msg)
{
	vci_notification_request_clear(r);
	return vci_err_set(err, VCI_EXIT_FAIL, "invalid_notification_request", "%s", msg);
}

int vci_notification_request_parse(const char *body, size_t len,
				   vci_notification_request_t *out, vci_err_t *err)
{
	static const char *const events[] = { "credential_accepted", "credential_failure",
					      "credential_deleted" };
	const json_t *id, *ev, *desc;

	memset(out, 0, sizeof *out);
	out->doc = body ? json_loadb(body, len, JSON_REJECT_DUPLICATES, NULL) : NULL;
	if (!json_is_object(out->doc))
		return bad_notification(out, err, "body: not a JSON object");
	id = json_object_get(out->doc, "notification_id");
	ev = json_object_get(out->doc, "event");
	desc = json_object_get(out->doc, "event_description");
	if (!json_is_string(id) || !json_string_length(id))
		return bad_notification(out, err, "notification_id: missing or not a string");
	if (!json_is_string(ev))
		return bad_notification(out, err, "event: missing or not a string");
	for (size_t i = 0; i < 3 && !out->event; i++)
		if (!strcmp(json_string_value(ev), events[i]))
			out->event = events[i];
	if (!out->event)
		return bad_notification(out, err, "event: not credential_accepted, "
					"credential_failure or credential_deleted");
	if (desc && (!json_is_string(desc) || strlen(json_string_value(desc)) !=
		     json_string_length(desc) || !description_ok(json_string_value(desc))))
		return bad_notification(out, err, "event_description: not a string of printable "
					"ASCII without double quotes and backslashes");
	out->notification_id = json_string_value(id);
	out->description = desc ? json_string_value(desc) : NULL;
	return 0;
}

/* ---- DPoP ---- */

int vci_request_dpop_verify(const char *jwt, size_t len, const vci_dpop_policy_t *p,
			    const vci_nonce_key_t *nonce_key, vci_dpop_result_t *out,
			    vci_err_t *err)
{
	vci_dpop_policy_t q = *p;
	char_auto_t *nonce = NULL;
	const json_t *n;
	vci_jws_t jws;
	int have;

	memset(out, 0, sizeof *out);
	if (!nonce_key)
		return vci_dpop_verify(jwt, len, p, out, err);
	if (len > VCI_PROOF_MAX || vci_jws_parse(jwt, len, &jws, NULL) < 0)
		return vci_err_set(err, VCI_EXIT_FAIL, "invalid_dpop_proof", "DPoP: not a JWT");
	n = json_object_get(jws.payload, "nonce");
	have = json_is_string(n);
	if (have)
		nonce = strndup(json_string_value(n), json_string_length(n));
	vci_jws_free(&jws);
	if (!have)
		return vci_err_set(err, VCI_EXIT_FAIL, "use_dpop_nonce", "DPoP: nonce missing");
	if (!nonce)
		return oom(err);
	if (vci_nonce_check(nonce_key, nonce, strlen(nonce), p->now ? p->now : time(NULL), NULL,
			    err) < 0)
		return vci_err_set(err, VCI_EXIT_FAIL, "use_dpop_nonce",
				   "DPoP: the nonce is not a live DPoP-Nonce of this server");
	q.nonce = nonce;
	return vci_dpop_verify(jwt, len, &q, out, err);
}

/* The normalised forms of the last few URIs this thread hashed a jti
 * under: a server hashes the jti of every DPoP proof under one of its few
 * endpoint URLs, and normalising one parses it with libcurl. */
#define HTU_SEEN 4
#define HTU_SEEN_LEN 256

static __thread struct htu_seen {
	char uri[HTU_SEEN_LEN], norm[HTU_SEEN_LEN];
} htu_seen[HTU_SEEN];
static __thread unsigned htu_seen_next;

/* htu normalised: the thread's copy (valid until its next call) or *heap
 * (malloc'd); NULL with err if htu is missing or not a URL. */
static const char *htu_norm(const char *htu, char **heap, vci_err_t *err)
{
	size_t len = htu ? strlen(htu) : HTU_SEEN_LEN, nlen;   /* NULL: refused below */
	struct htu_seen *e;

	for (unsigned i = 0; i < HTU_SEEN && len < HTU_SEEN_LEN; i++)
		if (!strcmp(htu_seen[i].uri, htu) && htu_seen[i].norm[0])
			return htu_seen[i].norm;
	*heap = vci_dpop_htu_normalize(htu, err);
	if (!*heap)
		return NULL;
	nlen = strlen(*heap);
	if (len >= HTU_SEEN_LEN || nlen >= HTU_SEEN_LEN)
		return *heap;
	e = &htu_seen[htu_seen_next++ % HTU_SEEN];
	memcpy(e->uri, htu, len + 1);
	memcpy(e->norm, *heap, nlen + 1);
	return *heap;
}

int vci_request_dpop_jti_hash(const char *htu, const char *jti, uint8_t out[32],
			      vci_err_t *err)
{
	char_auto_t *heap = NULL;
	const char *n = htu_norm(htu, &heap, err);
	EVP_MD_CTX *c;
	int ok;

	if (!n)
		return -1;
	c = EVP_MD_CTX_new();
	ok = c && EVP_DigestInit_ex(c, EVP_sha256(), NULL) == 1 &&
	     EVP_DigestUpdate(c, n, strlen(n) + 1) == 1 &&
	     EVP_DigestUpdate(c, jti, strlen(jti)) == 1 && EVP_DigestFinal_ex(c, out, NULL) == 1;
	EVP_MD_CTX_free(c);
	return ok ? 0 : vci_err_ssl(err, VCI_EXIT_IO, "server_error", "SHA-256");
}
