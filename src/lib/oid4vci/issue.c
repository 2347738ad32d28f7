/* issue.c - the issuing path: definition selection, credential times,
 * holder keys, status reference and result fields, and vci_issue_record,
 * which runs them around a format's build-and-sign. */
#include "issue.h"
#include "base/http.h"
#include "base/time.h"
#include <ctype.h>
#include <errno.h>
#include <string.h>
#include <time.h>

const vci_defn_t *vci_issue_defn_select(vci_defn_t *const *defs, size_t n, unsigned formats,
					const char *config, const json_t *rec, vci_err_t *err)
{
	const char *id = config;
	const char *from = "`config`";
	if (!id) {
		const json_t *v = json_object_get(rec, "credential_configuration_id");
		if (v && !json_is_string(v)) {
			vci_err_set(err, VCI_EXIT_FAIL, "invalid_request",
				    "credential_configuration_id: expected a string");
			return NULL;
		}
		id = json_string_value(v);
		from = "credential_configuration_id";
	}
	if (id) {
		for (size_t i = 0; i < n; i++) {
			if (!defs[i]->id || strcmp(defs[i]->id, id) != 0)
				continue;
			if (!(formats & (1u << defs[i]->format))) {
				vci_err_set(err, VCI_EXIT_FAIL, "unknown_credential_configuration",
					    "%s: '%s' is a %s definition, not one this tool signs",
					    from, id, vci_format_name(defs[i]->format));
				return NULL;
			}
			return defs[i];
		}
		vci_err_set(err, VCI_EXIT_FAIL, "unknown_credential_configuration",
			    "%s: '%s' is not among the loaded definitions", from, id);
		return NULL;
	}
	const vci_defn_t *found = NULL;
	size_t count = 0;
	for (size_t i = 0; i < n; i++)
		if (formats & (1u << defs[i]->format)) {
			found = defs[i];
			count++;
		}
	if (count == 1)
		return found;
	vci_err_set(err, VCI_EXIT_FAIL, count ? "invalid_request" : "unknown_credential_configuration",
		    count ? "credential_configuration_id: missing, and %zu definitions could sign "
			    "this record (give `config` ID)"
			  : "no loaded definition has a format this tool signs",
		    count);
	return NULL;
}

int vci_issue_defn_check(vci_defn_t *const *defs, size_t n, unsigned formats, const char *config,
			 const char *path, vci_err_t *err)
{
	char names[96] = "";
	size_t fit = 0;

	for (size_t i = 0; i < n; i++)
		fit += (formats >> defs[i]->format) & 1;
	if (!fit) {
		for (unsigned f = VCI_FORMAT_SDJWT; f <= VCI_FORMAT_JWTVC; f++)
			if (formats & (1u << f)) {
				if (names[0])
					strncat(names, " or ", sizeof names - strlen(names) - 1);
				strncat(names, vci_format_name((vci_format_t)f),
					sizeof names - strlen(names) - 1);
			}
		return vci_err_set(err, VCI_EXIT_INPUT, "invalid_definition", "%s: no %s definition",
				   path ? path : "-", names);
	}
	if (config && !vci_issue_defn_select(defs, n, formats, config, NULL, err)) {
		err->status = VCI_EXIT_USAGE;
		return -1;
	}
	return 0;
}

int vci_issue_times(const vci_defn_t *d, const json_t *rec, int64_t now, long precision,
		    vci_issue_times_t *t, vci_err_t *err)
{
	memset(t, 0, sizeof(*t));
	t->iat = vci_time_round(now, precision);
	const json_t *v = json_object_get(rec, "nbf");
	if (v && !json_is_null(v) && vci_time_from_json(v, &t->nbf) < 0)
		return vci_err_set(err, VCI_EXIT_FAIL, "invalid_request",
				   "nbf: expected a NumericDate or an RFC 3339 date-time");
	v = json_object_get(rec, "exp");
	if (v && !json_is_null(v)) {
		if (vci_time_from_json(v, &t->exp) < 0)
			return vci_err_set(err, VCI_EXIT_FAIL, "invalid_request",
					   "exp: expected a NumericDate or an RFC 3339 date-time");
	} else {
		t->exp = t->iat + (int64_t)(d ? d->expiry_days : 30) * 86400;
	}
	if (t->exp <= t->iat)
		return vci_err_set(err, VCI_EXIT_FAIL, "invalid_request",
				   "exp: %lld is not after the issuance time %lld",
				   (long long)t->exp, (long long)t->iat);
	if (t->nbf && t->nbf >= t->exp)
		return vci_err_set(err, VCI_EXIT_FAIL, "invalid_request",
				   "nbf: %lld is not before exp %lld", (long long)t->nbf,
				   (long long)t->exp);
	return 0;
}

static int check_public_jwk(const json_t *k, const char *what, vci_err_t *err)
{
	if (!json_is_object(k))
		return vci_err_set(err, VCI_EXIT_FAIL, "invalid_proof", "%s: not a JWK object", what);
	if (!json_is_string(json_object_get(k, "kty")))
		return vci_err_set(err, VCI_EXIT_FAIL, "invalid_proof", "%s: no kty", what);
	static const char *const priv[] = { "d", "p", "q", "dp", "dq", "qi", "k" };
	for (size_t i = 0; i < sizeof(priv) / sizeof(priv[0]); i++)
		if (json_object_get(k, priv[i]))
			return vci_err_set(err, VCI_EXIT_FAIL, "invalid_proof",
					   "%s: has private member '%s'", what, priv[i]);
	return 0;
}

int vci_issue_holder_keys(const vci_defn_t *d, const json_t *rec, const json_t **keys,
			  size_t max, size_t *n, vci_err_t *err)
{
	const json_t *one = json_object_get(rec, "holder_jwk");
	const json_t *many = json_object_get(rec, "holder_jwks");
	*n = 0;
	if (one && many)
		return vci_err_set(err, VCI_EXIT_FAIL, "invalid_proof",
				   "holder_jwk, holder_jwks: a record carries one or the other");
	if (one) {
		if (check_public_jwk(one, "holder_jwk", err) < 0)
			return -1;
		keys[0] = one;
		*n = 1;
		return 0;
	}
	if (many) {
		if (!json_is_array(many) || json_array_size(many) == 0)
			return vci_err_set(err, VCI_EXIT_FAIL, "invalid_proof",
					   "holder_jwks: expected a non-empty array of JWKs");
		if (json_array_size(many) > max)
			return vci_err_set(err, VCI_EXIT_FAIL, "invalid_proof",
					   "holder_jwks: %zu keys, at most %zu per record",
					   json_array_size(many), max);
		for (size_t i = 0; i < json_array_size(many); i++) {
			char what[32];
			snprintf(what, sizeof(what), "holder_jwks[%zu]", i);
			if (check_public_jwk(json_array_get(many, i), what, err) < 0)
				return -1;
			keys[i] = json_array_get(many, i);
		}
		*n = json_array_size(many);
		return 0;
	}
	if (d && d->key_binding)
		return vci_err_set(err, VCI_EXIT_FAIL, "invalid_proof",
				   "holder_jwk: missing: the definition '%s' binds credentials to "
				   "a holder key (verify the proof first with vci-verify-proof)",
				   d->id ? d->id : "");
	return 0;
}

int vci_issue_status(const vci_defn_t *d, const char *what, const json_t *rec,
		     const json_t **status, vci_err_t *err)
{
	*status = NULL;
	if (d && json_object_get(rec, "credentialStatus"))
		return vci_err_set(err, VCI_EXIT_FAIL, "invalid_request",
				   "credentialStatus: %s takes a Token Status List "
				   "\"status\"", what);
	const json_t *s = json_object_get(rec, "status");
	if (!s || json_is_null(s)) {
		if (d && d->status != VCI_STATUS_NONE)
			return vci_err_set(err, VCI_EXIT_FAIL, "invalid_request",
					   "status: missing: the definition '%s' has a status list "
					   "(allocate with vci-statuslist alloc)", d->id ? d->id : "");
		return 0;
	}
	const json_t *sl = json_object_get(s, "status_list");
	if (!json_is_object(s) || !json_is_object(sl))
		return vci_err_set(err, VCI_EXIT_FAIL, "invalid_request",
				   "status: expected {\"status_list\": {\"idx\": N, \"uri\": URL}}");
	const json_t *idx = json_object_get(sl, "idx");
	const json_t *uri = json_object_get(sl, "uri");
	if (!json_is_integer(idx) || json_integer_value(idx) < 0)
		return vci_err_set(err, VCI_EXIT_FAIL, "invalid_request",
				   "status.status_list.idx: expected an integer >= 0");
	if (!json_is_string(uri) || !vci_url_is_target(json_string_value(uri), 1))
		return vci_err_set(err, VCI_EXIT_FAIL, "invalid_request",
				   "status.status_list.uri: expected an https URL");
	*status = s;
	return 0;
}

int vci_issue_result(json_t *rec, const char *format, json_t **creds, size_t n, int batch)
{
	int rc = json_object_set_new(rec, "format", json_string(format));
	if (!batch && n == 1) {
		rc |= json_object_set_new(rec, "credential", creds[0]);
		return rc ? -1 : 0;
	}
	json_t *arr = json_array();
	for (size_t i = 0; i < n; i++)
		rc |= json_array_append_new(arr, json_pack("{s:o}", "credential", creds[i]));
	rc |= json_object_set_new(rec, "credentials", arr);
	return rc ? -1 : 0;
}

/* ---- the issuing path ---- */

void vci_issue_ctx_init(vci_issue_ctx_t *ctx, vci_defn_t *const *defs, size_t ndefs,
			const char *config, long precision)
{
	memset(ctx, 0, sizeof *ctx);
	ctx->defs = defs;
	ctx->ndefs = ndefs;
	ctx->config = config;
	ctx->precision = precision > 0 ? precision : VCI_TIME_PRECISION_DEFAULT;
}

int vci_issue_ctx_add(vci_issue_ctx_t *ctx, const vci_issue_ops_t *ops, void *signer)
{
	size_t f = (size_t)ops->format;

	if (f == VCI_FORMAT_NONE || f >= sizeof ctx->fmt / sizeof ctx->fmt[0] || ctx->fmt[f].ops ||
	    ops->max_keys > VCI_ISSUE_MAX_KEYS)
		return -1;
	ctx->fmt[f].ops = ops;
	ctx->fmt[f].signer = signer;
	ctx->formats |= 1u << f;
	return 0;
}

/* Steps 3 to 5: times, holder keys, status. */
static int issue_inputs(const vci_issue_ops_t *ops, const vci_defn_t *d, const json_t *rec,
			int64_t now, long precision, vci_issue_times_t *t, const json_t **keys,
			size_t *n, const json_t **status, vci_err_t *err)
{
	if (vci_issue_times(d, rec, now, precision, t, err) < 0 ||
	    vci_issue_holder_keys(d, rec, keys, ops->max_keys, n, err) < 0)
		return -1;
	if (!*n && ops->key_required)
		return vci_err_set(err, VCI_EXIT_FAIL, "invalid_proof", "%s", ops->key_required);
	if (ops->status)
		return ops->status(d, rec, status, err);
	return vci_issue_status(d, ops->what, rec, status, err);
}

/* Step 6: one credential per holder key (one unbound without keys) into
 * creds; returns how many, or -1 with err (none left behind). */
static int issue_sign_each(const vci_issue_ops_t *ops, void *signer, vci_issue_cred_t *c,
			   const json_t *const *keys, size_t n, json_t **creds, vci_err_t *err)
{
	size_t made;

	for (made = 0; made < (n ? n : 1); made++) {
		size_t len = 0;
		char *s;

		c->holder_jwk = n ? keys[made] : NULL;
		s = ops->sign(signer, c, &len, err);
		if (s) {
			creds[made] = json_stringn_nocheck(s, len);
			OPENSSL_cleanse(s, len);
			free(s);
			if (!creds[made])
				vci_err_oom(err);
		}
		if (!s || !creds[made]) {
			if (n > 1)
				vci_err_prefix(err, "holder_jwks[%zu]", made);
			while (made)
				json_decref(creds[--made]);
			return -1;
		}
	}
	return (int)made;
}

int vci_issue_record(const vci_issue_ctx_t *ctx, json_t *rec, int64_t now, unsigned flags,
		     vci_err_t *err)
{
	return vci_issue_record_as(ctx, NULL, rec, now, flags, err);
}

int vci_issue_record_as(const vci_issue_ctx_t *ctx, const vci_defn_t *d, json_t *rec,
			int64_t now, unsigned flags, vci_err_t *err)
{
	const json_t *keys[VCI_ISSUE_MAX_KEYS], *status = NULL;
	json_t *creds[VCI_ISSUE_MAX_KEYS];
	const vci_issue_ops_t *ops;
	vci_issue_times_t t;
	json_t *claims;
	size_t n = 0;
	int made;

	if (ctx->not_after && now >= ctx->not_after) {
		char when[32];

		vci_time_format(ctx->not_after, when);
		return vci_err_set(err, VCI_EXIT_KEY, "invalid_certificate", "certificate: expired "
				   "at %s: nothing is signed with it", when);
	}
	if (!d)
		d = vci_issue_defn_select(ctx->defs, ctx->ndefs, ctx->formats, ctx->config, rec,
					  err);
	if (!d)
		return -1;
	ops = ctx->fmt[d->format].ops; /* present: formats holds only added ones */
	claims = ops->claims(d, rec, flags, err);
	if (!claims)
		return -1;
	if (issue_inputs(ops, d, rec, now, ctx->precision, &t, keys, &n, &status, err) < 0) {
		json_decref(claims);
		return -1;
	}
	made = issue_sign_each(ops, ctx->fmt[d->format].signer,
			       &(vci_issue_cred_t){ .defn = d, .claims = claims, .times = &t,
						    .status = status },
			       keys, n, creds, err);
	json_decref(claims);
	if (made < 0)
		return -1;
	if (vci_issue_result(rec, ops->format_id(ctx->fmt[d->format].signer), creds, (size_t)made,
			     json_object_get(rec, "holder_jwks") != NULL) < 0)
		return vci_err_oom(err);
	return 0;
}
