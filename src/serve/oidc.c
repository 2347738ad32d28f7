/* oidc.c - the upstream OpenID Provider of the wallet-initiated
 * authorization code flow (--oidc-issuer URL, --oidc-client FILE).
 *
 * At start the provider's discovery document (ISSUER/.well-known/
 * openid-configuration) and JWK Set are fetched with libcurl and checked
 * by libvci (oid4vci/oidc.h); the client file holds this server's client
 * at the provider: {"client_id": ..., "client_secret": ..., "scope"?},
 * readable by its owner only. The callback is P/oidc/callback, which the
 * provider must know as a redirect URI of that client.
 *
 * At the callback (handlers/login.c) the code is redeemed at the
 * provider's token endpoint with the PKCE verifier and client_secret_basic
 * (client_secret_post when the provider names only that), and the ID
 * token verified against the JWK Set; a kid the set lacks fetches the set
 * again (at most once per JWKS_REFETCH seconds), for a provider that
 * rotated its keys. */
#include "serve.h"
#include "base/http.h"
#include "base/url.h"
#include "oid4vci/oidc.h"

#include <pthread.h>
#include <string.h>
#include <sys/stat.h>

#define OIDC_TIMEOUT_MS 10000
#define JWKS_REFETCH 60

struct vci_serve_oidc {
	vci_oidc_provider_t p;
	char *client_id, *client_secret, *scope;
	char *callback_url;
	pthread_mutex_t mu;          /* jwks, jwks_at */
	json_t *jwks;
	int64_t jwks_at;
};

/* GET a provider document: its body, or NULL with err. */
static char *oidc_get(const char *url, const char *what, size_t *len, vci_err_t *err)
{
	long status = 0;
	char *body = NULL;

	if (vci_http_fetch(url, NULL, NULL, NULL, OIDC_TIMEOUT_MS, VCI_OIDC_DOC_MAX, &status,
			   &body, len, err) < 0) {
		vci_err_prefix(err, "--oidc-issuer: %s", what);
		return NULL;
	}
	if (status != 200) {
		free(body);
		vci_err_set(err, VCI_EXIT_IO, "fetch_failed", "--oidc-issuer: %s: HTTP %ld", what,
			    status);
		return NULL;
	}
	return body;
}

static json_t *oidc_jwks_fetch(const struct vci_serve_oidc *o, vci_err_t *err)
{
	size_t len = 0;
	char_auto_t *body = oidc_get(o->p.jwks_uri, "jwks_uri", &len, err);
	json_t *jwks;

	if (!body)
		return NULL;
	jwks = vci_oidc_jwks_parse(body, len, err);
	if (!jwks)
		vci_err_prefix(err, "--oidc-issuer");
	return jwks;
}

/* The client file: client_id, client_secret, scope (optional), owner only. */
static int oidc_client(struct vci_serve_oidc *o, const char *path, vci_err_t *err)
{
	json_auto_t *doc = NULL;
	const char *id, *secret, *scope;
	struct stat st;

	if (stat(path, &st) < 0)
		return vci_err_set(err, VCI_EXIT_IO, "io_error", "--oidc-client: %s: cannot be "
				   "read", path);
	if (st.st_mode & 077)
		return vci_err_set(err, VCI_EXIT_USAGE, "invalid_option", "--oidc-client: %s: "
				   "readable by others (it holds a secret: chmod 600)", path);
	doc = vci_json_load_file(path, err);
	if (!doc)
		return vci_err_prefix(err, "--oidc-client: %s", path);
	id = json_string_value(json_object_get(doc, "client_id"));
	secret = json_string_value(json_object_get(doc, "client_secret"));
	scope = json_string_value(json_object_get(doc, "scope"));
	if (!id || !*id || !secret || !*secret)
		return vci_err_set(err, VCI_EXIT_USAGE, "invalid_option", "--oidc-client: %s: "
				   "expected {\"client_id\": ..., \"client_secret\": ...}", path);
	if (json_object_get(doc, "scope") && (!scope || !strstr(scope, "openid")))
		return vci_err_set(err, VCI_EXIT_USAGE, "invalid_option", "--oidc-client: %s: "
				   "scope: must hold openid", path);
	o->client_id = strdup(id);
	o->client_secret = strdup(secret);
	o->scope = strdup(scope ? scope : "openid");
	if (!o->client_id || !o->client_secret || !o->scope)
		return vci_err_oom(err);
	return 0;
}

static int oidc_discover(struct vci_serve_oidc *o, const char *issuer, vci_err_t *err)
{
	char_auto_t *url = NULL, *body = NULL;
	size_t len = 0, n = strlen(issuer);

	/* OpenID Connect Discovery 1.0 section 4: the issuer, its trailing
	 * slash removed, then /.well-known/openid-configuration */
	if (asprintf(&url, "%.*s/.well-known/openid-configuration",
		     (int)(n && issuer[n - 1] == '/' ? n - 1 : n), issuer) < 0)
		return vci_err_oom(err);
	body = oidc_get(url, "discovery", &len, err);
	if (!body)
		return -1;
	if (vci_oidc_discovery_parse(body, len, issuer, &o->p, err) < 0)
		return vci_err_prefix(err, "--oidc-issuer");
	o->jwks = oidc_jwks_fetch(o, err);
	o->jwks_at = vci_time_now();
	return o->jwks ? 0 : -1;
}

int vci_serve_oidc_open(vci_serve_t *s, const char *issuer, const char *client_file,
			vci_err_t *err)
{
	struct vci_serve_oidc *o;

	if (!issuer && !client_file)
		return 0;
	if (!issuer || !client_file)
		return vci_err_set(err, VCI_EXIT_USAGE, "invalid_option", "--oidc-issuer and "
				   "--oidc-client go together");
	o = calloc(1, sizeof *o);
	if (!o)
		return vci_err_oom(err);
	pthread_mutex_init(&o->mu, NULL);
	s->oidc = o;
	if (asprintf(&o->callback_url, "%s/oidc/callback", s->issuer) < 0) {
		o->callback_url = NULL;
		return vci_err_oom(err);
	}
	if (oidc_client(o, client_file, err) < 0 || oidc_discover(o, issuer, err) < 0)
		return -1;
	return 0;
}

void vci_serve_oidc_free(vci_serve_t *s)
{
	struct vci_serve_oidc *o = s->oidc;

	if (!o)
		return;
	vci_oidc_provider_clear(&o->p);
	free(o->client_id);
	vci_str_wipe(o->client_secret);
	free(o->scope);
	free(o->callback_url);
	json_decref(o->jwks);
	pthread_mutex_destroy(&o->mu);
	free(o);
	s->oidc = NULL;
}

const char *vci_serve_oidc_callback(const vci_serve_t *s)
{
	return s->oidc ? s->oidc->callback_url : NULL;
}

char *vci_serve_oidc_auth_url(const vci_serve_t *s, const char *state, const char *nonce,
			      const char *challenge)
{
	const struct vci_serve_oidc *o = s->oidc;
	const char *names[] = { "response_type", "client_id", "redirect_uri", "scope", "state",
				"nonce", "code_challenge", "code_challenge_method" };
	const char *values[] = { "code", o->client_id, o->callback_url, o->scope, state, nonce,
				 challenge, "S256" };
	char *url = strdup(o->p.authorization_endpoint);

	for (size_t i = 0; url && i < sizeof names / sizeof names[0]; i++) {
		char *n = vci_url_add_param(url, names[i], values[i], strlen(values[i]), NULL, NULL);

		free(url);
		url = n;
	}
	return url;
}

/* The token request form (client_secret_post adds the client). */
static char *oidc_form(const struct vci_serve_oidc *o, const char *code, const char *verifier)
{
	const char *names[] = { "grant_type", "code", "redirect_uri", "code_verifier",
				"client_id", "client_secret" };
	const char *values[] = { "authorization_code", code, o->callback_url, verifier,
				 o->client_id, o->client_secret };
	size_t n = o->p.basic_auth ? 4 : 6;
	char *form = strdup("?"), *next;

	for (size_t i = 0; form && i < n; i++) {
		next = vci_url_add_param(form, names[i], values[i], strlen(values[i]), NULL, NULL);
		vci_str_wipe(form);
		form = next;
	}
	if (form)   /* drop the leading '?' vci_url_add_param joined to */
		memmove(form, form + 2, strlen(form + 2) + 1);
	return form;
}

/* The JWK Set now; refetched first when `stale` and the last fetch is
 * older than JWKS_REFETCH. A new reference. */
static json_t *oidc_jwks(struct vci_serve_oidc *o, int stale, int64_t now)
{
	json_t *fresh = NULL, *j;
	vci_err_t err = { 0 };

	pthread_mutex_lock(&o->mu);
	if (stale && now - o->jwks_at >= JWKS_REFETCH) {
		o->jwks_at = now;
		pthread_mutex_unlock(&o->mu);
		fresh = oidc_jwks_fetch(o, &err);
		if (!fresh)
			fprintf(stderr, "vci-serve: %s\n", err.msg);
		pthread_mutex_lock(&o->mu);
		if (fresh) {
			json_decref(o->jwks);
			o->jwks = fresh;
		}
	}
	j = json_incref(o->jwks);
	pthread_mutex_unlock(&o->mu);
	return j;
}

/* Basic credentials: client_id and secret form-encoded (RFC 6749 2.3.1). */
static int oidc_basic(const struct vci_serve_oidc *o, char **user, char **pass)
{
	*user = vci_url_encode(o->client_id, strlen(o->client_id), NULL, NULL);
	*pass = vci_url_encode(o->client_secret, strlen(o->client_secret), NULL, NULL);
	return *user && *pass ? 0 : -1;
}

json_t *vci_serve_oidc_redeem(vci_serve_t *s, const char *code, const char *verifier,
			      const char *nonce, int64_t now, vci_err_t *err)
{
	struct vci_serve_oidc *o = s->oidc;
	vci_oidc_expect_t x = { o->p.issuer, o->client_id, nonce, now };
	wipe_auto_t *form = oidc_form(o, code, verifier);
	wipe_auto_t *user = NULL, *pass = NULL, *body = NULL;
	json_auto_t *jwks = NULL;
	json_t *claims = NULL;
	long status = 0;
	size_t len = 0;

	if (!form || (o->p.basic_auth && oidc_basic(o, &user, &pass) < 0)) {
		vci_err_oom(err);
		return NULL;
	}
	if (vci_http_fetch(o->p.token_endpoint, form, user, pass, OIDC_TIMEOUT_MS,
			   VCI_OIDC_DOC_MAX, &status, &body, &len, err) < 0) {
		vci_err_prefix(err, "OpenID Provider: token endpoint");
		return NULL;
	}
	if (status != 200) {
		vci_err_set(err, VCI_EXIT_IO, "fetch_failed", "OpenID Provider: token endpoint: "
			    "HTTP %ld", status);
		return NULL;
	}
	for (int attempt = 0; attempt < 2 && !claims; attempt++) {
		json_decref(jwks);
		jwks = oidc_jwks(o, attempt, now);
		vci_err_clear(err);
		claims = vci_oidc_id_token_verify(body, len, jwks, &x, err);
		if (!claims && !strstr(err->msg, "kid:"))
			break;
	}
	return claims;
}
