/* authz.c - pushed authorization requests, the authorization request
 * naming one, what they ask for, and PKCE (authz.h). */
#include "authz.h"
#include "base/b64url.h"
#include "request.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <string.h>

static int bad(vci_err_t *err, const char *code, const char *msg)
{
	return vci_err_set(err, VCI_EXIT_FAIL, code, "%s", msg);
}

void vci_authz_request_clear(vci_authz_request_t *r)
{
	free(r->response_type);
	free(r->client_id);
	free(r->redirect_uri);
	free(r->code_challenge);
	free(r->code_challenge_method);
	free(r->scope);
	free(r->authorization_details);
	vci_str_wipe(r->issuer_state);
	free(r->state);
	free(r->dpop_jkt);
	free(r->request_uri);
	memset(r, 0, sizeof *r);
}

/* 43 characters of the base64url alphabet: a SHA-256 in base64url. */
static int is_b64url43(const char *s)
{
	size_t n = strlen(s);

	return n == 43 && strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
				    "0123456789-_") == n;
}

/* An absolute URI (RFC 3986 section 4.3: a scheme, no fragment) of
 * printable ASCII. */
static int redirect_ok(const char *u)
{
	size_t scheme = strspn(u, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
				  "0123456789+-.");

	if (!scheme || u[scheme] != ':' || !((u[0] | 0x20) >= 'a' && (u[0] | 0x20) <= 'z'))
		return 0;
	if (strchr(u, '#'))
		return 0;
	for (const char *p = u; *p; p++)
		if ((unsigned char)*p <= 0x20 || (unsigned char)*p >= 0x7f)
			return 0;
	return 1;
}

static int par_check(const vci_authz_request_t *r, vci_err_t *err)
{
	if (!r->response_type)
		return bad(err, "invalid_request", "response_type: missing");
	if (strcmp(r->response_type, "code"))
		return bad(err, "unsupported_response_type", "response_type: only code");
	if (!r->client_id)
		return bad(err, "invalid_request", "client_id: missing");
	if (strlen(r->client_id) > VCI_AUTHZ_CLIENT_ID_MAX)
		return bad(err, "invalid_request", "client_id: longer than 255 bytes");
	if (!r->redirect_uri)
		return bad(err, "invalid_request", "redirect_uri: missing");
	if (!redirect_ok(r->redirect_uri))
		return bad(err, "invalid_request",
			   "redirect_uri: expected an absolute URI without a fragment");
	if (!r->code_challenge)
		return bad(err, "invalid_request", "code_challenge: missing (PKCE is required)");
	if (!r->code_challenge_method || strcmp(r->code_challenge_method, "S256"))
		return bad(err, "invalid_request", "code_challenge_method: only S256");
	if (!is_b64url43(r->code_challenge))
		return bad(err, "invalid_request",
			   "code_challenge: expected 43 base64url characters (S256)");
	if (r->dpop_jkt && !is_b64url43(r->dpop_jkt))
		return bad(err, "invalid_request",
			   "dpop_jkt: expected a JWK SHA-256 thumbprint (43 characters)");
	if (r->request_uri)
		return bad(err, "invalid_request", "request_uri: not allowed in a pushed request");
	if (!r->scope && !r->authorization_details)
		return bad(err, "invalid_request", "scope or authorization_details: missing");
	return 0;
}

int vci_authz_par_parse(const char *body, size_t len, vci_authz_request_t *out,
			vci_err_t *err)
{
	static const char *const names[] = {
		"response_type", "client_id", "redirect_uri", "code_challenge",
		"code_challenge_method", "scope", "authorization_details", "issuer_state",
		"state", "dpop_jkt", "request_uri",
	};
	char **slots[] = {
		&out->response_type, &out->client_id, &out->redirect_uri, &out->code_challenge,
		&out->code_challenge_method, &out->scope, &out->authorization_details,
		&out->issuer_state, &out->state, &out->dpop_jkt, &out->request_uri,
	};
	size_t n = sizeof names / sizeof names[0];

	memset(out, 0, sizeof *out);
	if (vci_form_fields(body, len, names, slots, n, err) < 0)
		goto fail;
	for (size_t i = 0; i < n; i++)
		if (*slots[i] && strlen(*slots[i]) > VCI_AUTHZ_VALUE_MAX) {
			vci_err_set(err, VCI_EXIT_FAIL, "invalid_request", "%s: longer than %u "
				    "bytes", names[i], VCI_AUTHZ_VALUE_MAX);
			goto fail;
		}
	if (par_check(out, err) < 0)
		goto fail;
	return 0;
fail:
	vci_authz_request_clear(out);
	return -1;
}

static int add_id(json_t *ids, const char *id)
{
	const json_t *v;
	size_t i;

	json_array_foreach(ids, i, v)
		if (!strcmp(json_string_value(v), id))
			return 0;
	return json_array_append_new(ids, json_string(id));
}

/* authorization_details entries of type openid_credential (section
 * 5.1.1): each names a known configuration. */
static int details_ids(const char *text, vci_defn_t *const *defs, size_t n, json_t *ids,
		       vci_err_t *err)
{
	json_auto_t *ad = json_loads(text, JSON_REJECT_DUPLICATES, NULL);
	const json_t *e;
	size_t i;

	if (!json_is_array(ad) || !json_array_size(ad))
		return bad(err, "invalid_authorization_details",
			   "authorization_details: expected a non-empty JSON array");
	json_array_foreach(ad, i, e) {
		const char *type = json_string_value(json_object_get(e, "type"));
		const char *id = json_string_value(json_object_get(e, "credential_configuration_id"));

		if (!type || strcmp(type, "openid_credential"))
			return bad(err, "invalid_authorization_details",
				   "authorization_details: type: only openid_credential");
		if (!id)
			return bad(err, "invalid_authorization_details",
				   "authorization_details: credential_configuration_id: missing");
		if (!vci_defn_find(defs, n, id))
			return vci_err_set(err, VCI_EXIT_FAIL, "invalid_authorization_details",
					   "authorization_details: credential_configuration_id "
					   "'%.64s': unknown", id);
		if (add_id(ids, id) < 0)
			return vci_err_oom(err);
	}
	return 0;
}

/* Each scope value alone (section 5.1.2): a configuration's scope names
 * it, another value is ignored. */
static int scope_ids(const char *scope, vci_defn_t *const *defs, size_t n, json_t *ids)
{
	const char *p = scope;

	while (*p) {
		size_t len;

		p += strspn(p, " ");
		len = strcspn(p, " ");
		for (size_t i = 0; len && i < n; i++)
			if (defs[i]->scope && strlen(defs[i]->scope) == len &&
			    !memcmp(defs[i]->scope, p, len) && add_id(ids, defs[i]->id) < 0)
				return -1;
		p += len;
	}
	return 0;
}

json_t *vci_authz_configs(const vci_authz_request_t *r, vci_defn_t *const *defs, size_t n,
			  vci_err_t *err)
{
	json_auto_t *ids = json_array();

	if (!ids) {
		vci_err_oom(err);
		return NULL;
	}
	if (r->authorization_details && details_ids(r->authorization_details, defs, n, ids, err) < 0)
		return NULL;
	if (r->scope && scope_ids(r->scope, defs, n, ids) < 0) {
		vci_err_oom(err);
		return NULL;
	}
	if (!json_array_size(ids)) {
		bad(err, "invalid_scope", "scope: names no credential configuration of this issuer");
		return NULL;
	}
	return json_incref(ids);
}

int vci_authz_query_parse(const char *query, char **client_id, char **request_uri,
			  vci_err_t *err)
{
	static const char *const names[] = { "client_id", "request_uri" };
	char **slots[] = { client_id, request_uri };

	*client_id = *request_uri = NULL;
	if (query && vci_form_fields(query, strlen(query), names, slots, 2, err) < 0)
		goto fail;
	if (!*client_id || !*request_uri) {
		bad(err, "invalid_request", !*client_id ? "client_id: missing"
							: "request_uri: missing (pushed "
							  "authorization requests are required)");
		goto fail;
	}
	if (strncmp(*request_uri, VCI_AUTHZ_REQUEST_URI_PREFIX,
		    strlen(VCI_AUTHZ_REQUEST_URI_PREFIX)) ||
	    strlen(*request_uri) > VCI_AUTHZ_VALUE_MAX) {
		bad(err, "invalid_request", "request_uri: not one this server issued");
		goto fail;
	}
	return 0;
fail:
	free(*client_id);
	free(*request_uri);
	*client_id = *request_uri = NULL;
	return -1;
}

int vci_authz_pkce_challenge(const char *code_verifier, char out[44], vci_err_t *err)
{
	uint8_t md[32];
	unsigned int mdlen = 0;

	if (EVP_Digest(code_verifier, strlen(code_verifier), md, &mdlen, EVP_sha256(), NULL) != 1 ||
	    mdlen != sizeof md)
		return vci_err_set(err, VCI_EXIT_IO, "server_error", "code_verifier: cannot hash");
	vci_b64url_encode_to(out, md, sizeof md);
	out[43] = '\0';
	return 0;
}

int vci_authz_pkce_check(const char *code_verifier, const char *code_challenge,
			 vci_err_t *err)
{
	size_t n = code_verifier ? strlen(code_verifier) : 0;
	char mine[44];

	if (n < 43 || n > 128 ||
	    strspn(code_verifier, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
				  "0123456789-._~") != n)
		return bad(err, "invalid_grant",
			   "code_verifier: expected 43 to 128 characters of [A-Za-z0-9-._~]");
	if (vci_authz_pkce_challenge(code_verifier, mine, err) < 0)
		return -1;
	if (strlen(code_challenge) != 43 || CRYPTO_memcmp(mine, code_challenge, 43))
		return bad(err, "invalid_grant", "code_verifier: does not match the code_challenge");
	return 0;
}
