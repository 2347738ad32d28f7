/* server.c - a server prepared once from its settings: definitions, key
 * and chain, the metadata documents, the store, the signers, the keys of
 * the sealed values (DPoP nonces, c_nonces, access tokens) and the routes. Everything here happens before the first
 * request; afterwards the server is read-only. */
#include "internal.h"
#include "oid4vci/authz.h"
#include "crypto/keys.h"
#include "oid4vci/issue.h"
#include "oid4vci/metadata.h"
#include "oid4vci/offer.h"
#include "oid4vci/proof.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/rand.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define NONCE_KEY_FILE "dpop-nonce.key"
#define C_NONCE_KEY_FILE "c-nonce.key"
#define TOKEN_KEY_FILE "access-token.key"

vci_serve_t *vci_serve_alloc(vci_err_t *err)
{
	vci_serve_t *s = calloc(1, sizeof *s);

	if (s)
		s->keep = calloc(1, sizeof *s->keep);
	if (!s || !s->keep) {
		free(s);
		return vci_err_oom(err), NULL;
	}
	pthread_mutex_init(&s->keep->log_lock, NULL);
	pthread_mutex_init(&s->keep->catalog_lock, NULL);
	pthread_mutex_init(&s->keep->admin_lock, NULL);
	s->issuer = "";
	s->base_path = "";
	s->dpop = VCI_DPOP_OPTIONAL;
	s->token_ttl = s->nonce_ttl = 300;
	s->tx_attempts = 5;
	s->batch_size = 10;
	return s;
}

void vci_serve_free(vci_serve_t *s)
{
	struct vci_serve_keep *k;

	if (!s)
		return;
	k = s->keep;
	vci_serve_webhooks_stop(s);     /* before the store it reads */
	vci_serve_hook_free(s);
	free(s->deferred_url);
	vci_serve_catalog_close(s);
	vci_serve_status_close(s);
	for (int t = 0; t < 2; t++) {
		for (size_t i = 0; i < k->nroutes[t]; i++)
			free(k->routes[t][i].path);
		free(k->routes[t]);
	}
	free(s->token_url);
	free(s->credential_url);
	free(s->nonce_url);
	free(s->notification_url);
	free(s->par_url);
	free(s->authorize_url);
	vci_nonce_key_free(s->dpop_nonce_key);
	vci_nonce_key_free(s->c_nonce_key);
	vci_nonce_key_free(s->token_key);
	vci_serve_encryption_free(s);
	vci_serve_oidc_free(s);
	vci_store_close(s->store);
	vci_defn_list_free(s->defs, s->ndefs);
	json_decref(s->metadata);
	vci_sdjwt_issuer_free(s->sdjwt);
	vci_mdoc_issuer_free(s->mdoc);
	EVP_PKEY_free(s->key);
	json_decref(s->x5c);
	free(k->issuer);
	free(k->base_path);
	free(k->kid);
	if (k->chain)
		sk_X509_pop_free(k->chain, X509_free);
	json_decref(k->metadata13);
	free(k->signed_metadata);
	json_decref(k->as_metadata);
	json_decref(k->jwt_vc_issuer);
	if (k->log && k->log != stderr)
		fclose(k->log);
	free(k->log_path);
	pthread_mutex_destroy(&k->log_lock);
	pthread_mutex_destroy(&k->catalog_lock);
	pthread_mutex_destroy(&k->admin_lock);
	free(k);
	free(s);
}

/* The issuer identifier and its path P: an https URL (loopback http for
 * tests), no query, no fragment, no trailing '/'. */
static int set_issuer(vci_serve_t *s, const char *issuer, vci_err_t *err)
{
	const char *host, *path;
	size_t n = strlen(issuer);

	if (!vci_offer_issuer_ok(issuer))
		return vci_err_set(err, VCI_EXIT_USAGE, "invalid_option", "--issuer: %s is not an "
				   "https URL without query or fragment (http only for 127.0.0.1 "
				   "or localhost)", issuer);
	host = strstr(issuer, "://") + 3;
	path = strchr(host, '/');
	if (path && issuer[n - 1] == '/')
		return vci_err_set(err, VCI_EXIT_USAGE, "invalid_option", "--issuer: %s ends in "
				   "'/': give the identifier without it", issuer);
	s->keep->issuer = strdup(issuer);
	s->keep->base_path = strdup(path ? path : "");
	if (!s->keep->issuer || !s->keep->base_path)
		return vci_err_oom(err);
	s->issuer = s->keep->issuer;
	s->base_path = s->keep->base_path;
	if (asprintf(&s->token_url, "%s/token", issuer) < 0)
		s->token_url = NULL;
	if (asprintf(&s->credential_url, "%s/credential", issuer) < 0)
		s->credential_url = NULL;
	if (asprintf(&s->nonce_url, "%s/nonce", issuer) < 0)
		s->nonce_url = NULL;
	if (asprintf(&s->notification_url, "%s/notification", issuer) < 0)
		s->notification_url = NULL;
	if (asprintf(&s->deferred_url, "%s/deferred_credential", issuer) < 0)
		s->deferred_url = NULL;
	if (asprintf(&s->par_url, "%s/par", issuer) < 0)
		s->par_url = NULL;
	if (asprintf(&s->authorize_url, "%s/authorize", issuer) < 0)
		s->authorize_url = NULL;
	if (!s->token_url || !s->credential_url || !s->nonce_url || !s->notification_url ||
	    !s->deferred_url || !s->par_url || !s->authorize_url)
		return vci_err_oom(err);
	return 0;
}

/* Every --defn file, one definition or an array each, into s->defs. */
static int load_defs(vci_serve_t *s, const vci_serve_config_t *c, vci_err_t *err)
{
	for (size_t i = 0; i < c->ndefn; i++) {
		vci_defn_t **defs = NULL, **all;
		size_t n = 0;

		if (vci_defn_load(c->defn[i], &defs, &n, err) < 0) {
			if (err->status != VCI_EXIT_IO)
				err->status = VCI_EXIT_INPUT;
			return -1;
		}
		all = realloc(s->defs, (s->ndefs + n) * sizeof *all);
		if (!all) {
			vci_defn_list_free(defs, n);
			return vci_err_oom(err);
		}
		s->defs = all;
		memcpy(s->defs + s->ndefs, defs, n * sizeof *defs);
		s->ndefs += n;
		free(defs);
	}
	for (size_t i = 0; i < s->ndefs; i++)
		for (size_t j = 0; j < i; j++)
			if (!strcmp(s->defs[i]->id, s->defs[j]->id))
				return vci_err_set(err, VCI_EXIT_INPUT, "invalid_definition",
						   "--defn: two definitions have the id \"%s\"",
						   s->defs[i]->id);
	if (!s->ndefs)
		return vci_err_set(err, VCI_EXIT_USAGE, "invalid_option", "--defn FILE is required");
	return 0;
}

/* The signing key, its chain (--cert) or kid (--kid). */
static int load_key(vci_serve_t *s, const vci_serve_config_t *c, vci_err_t *err)
{
	struct vci_serve_keep *k = s->keep;

	s->key = vci_key_load_private(c->key, c->pass, err);
	if (!s->key)
		return vci_err_prefix(err, "--key"), err->status = VCI_EXIT_KEY, -1;
	k->alg = vci_key_default_alg(s->key);
	if (!k->alg)
		return vci_err_set(err, VCI_EXIT_KEY, "invalid_key", "--key: %s: unsupported key "
				   "type (EC P-256/384/521, Ed25519 or RSA >= 2048)", c->key);
	if (c->kid) {
		k->kid = strdup(c->kid);
		if (!k->kid)
			return vci_err_oom(err);
		s->kid = k->kid;
	}
	if (!c->cert)
		return 0;
	k->chain = vci_x509_load_chain(c->cert, err);
	if (!k->chain)
		return vci_err_prefix(err, "--cert"), err->status = VCI_EXIT_KEY, -1;
	/* an expired (or not yet valid) certificate signs nothing */
	if (vci_x509_chain_current(k->chain, vci_time_now(), err) < 0)
		return vci_err_prefix(err, "--cert: %s", c->cert);
	if (sk_X509_num(k->chain) < 1 || !vci_x509_matches_key(sk_X509_value(k->chain, 0), s->key))
		return vci_err_set(err, VCI_EXIT_KEY, "invalid_key", "--cert: %s: the first "
				   "certificate is not for the signing key", c->cert);
	s->cert_not_after = vci_x509_chain_not_after(k->chain);
	s->x5c = vci_x5c_from_chain(k->chain);
	if (!s->x5c)
		return vci_err_set(err, VCI_EXIT_KEY, "invalid_certificate", "--cert: %s: cannot "
				   "encode the chain", c->cert);
	return 0;
}

/* The OAuth Authorization Server metadata (RFC 8414) of the token
 * endpoint, and the JWT VC Issuer metadata with the issuer's key. */
static int as_documents(vci_serve_t *s, vci_err_t *err)
{
	struct vci_serve_keep *k = s->keep;
	json_t *jwk = vci_jwk_from_pkey(s->key, err);

	if (!jwk)
		return -1;
	if (s->kid)
		json_object_set_new(jwk, "kid", json_string(s->kid));
	json_object_set_new(jwk, "use", json_string("sig"));
	json_object_set_new(jwk, "alg", json_string(k->alg));
	if (s->x5c)
		json_object_set(jwk, "x5c", s->x5c);
	k->jwt_vc_issuer = json_pack("{s:s,s:{s:[o]}}", "issuer", s->issuer, "jwks", "keys", jwk);
	k->as_metadata = json_pack(
		"{s:s,s:s,s:[s,s],s:b,s:[s],s:s,s:s,s:b,s:[s],s:[s],s:b,s:[s]}", "issuer",
		s->issuer, "token_endpoint", s->token_url, "grant_types_supported",
		VCI_GRANT_AUTHORIZATION_CODE, VCI_GRANT_PRE_AUTH,
		"pre-authorized_grant_anonymous_access_supported", 1,
		"authorization_details_types_supported", "openid_credential",
		"authorization_endpoint", s->authorize_url,
		"pushed_authorization_request_endpoint", s->par_url,
		"require_pushed_authorization_requests", !s->par_optional,
		"response_types_supported", "code", "code_challenge_methods_supported", "S256",
		"authorization_response_iss_parameter_supported", 1,
		"token_endpoint_auth_methods_supported", s->trust_file ? "attest_jwt_client_auth"
								       : "none");
	if (k->as_metadata && s->trust_file) {
		json_t *algs = json_array();

		for (size_t i = 0; algs && vci_jwt_default_algs[i]; i++)
			json_array_append_new(algs, json_string(vci_jwt_default_algs[i]));
		json_object_set(k->as_metadata, "client_attestation_signing_alg_values_supported",
				algs);
		json_object_set_new(k->as_metadata,
				    "client_attestation_pop_signing_alg_values_supported", algs);
	}
	if (k->as_metadata && s->dpop != VCI_DPOP_OFF)
		json_object_set_new(k->as_metadata, "dpop_signing_alg_values_supported",
				    json_pack("[s,s,s,s,s]", "ES256", "ES384", "ES512", "EdDSA",
					      "PS256"));
	if (!k->jwt_vc_issuer || !k->as_metadata)
		return vci_err_oom(err);
	return 0;
}

/* Credential Issuer Metadata of the --defn definitions, 1.0 and draft 13,
 * signed when there is a chain (application/jwt for 1.0, signed_metadata
 * inside for draft 13); the catalog (catalog.c) makes those it serves the
 * same way. */
static int metadata(vci_serve_t *s, vci_err_t *err)
{
	struct vci_serve_keep *k = s->keep;

	return vci_serve_documents(s, s->defs, s->ndefs, &s->metadata, &k->metadata13,
				   &k->signed_metadata, err);
}

/* The signers: SD-JWT VC and VC JWT always (definitions may come at run
 * time), mso_mdoc when there is a chain (required when a --defn
 * definition is mso_mdoc). */
static int signers(vci_serve_t *s, vci_err_t *err)
{
	int sdjwt = 1, mdoc = s->keep->chain != NULL;

	vci_issue_ctx_init(&s->issue, s->defs, s->ndefs, NULL, VCI_TIME_PRECISION_DEFAULT);
	s->issue.not_after = s->cert_not_after;
	for (size_t i = 0; i < s->ndefs; i++)
		mdoc |= s->defs[i]->format == VCI_FORMAT_MDOC;
	if (sdjwt) {
		vci_sdjwt_issuer_opts_t o = { 0 };

		o.key = s->key;
		o.alg = s->keep->alg;
		o.x5c = s->x5c;
		o.kid = s->kid;
		o.iss = s->issuer;
		o.decoys = -1;
		s->sdjwt = vci_sdjwt_issuer_new(&o, err);
		if (!s->sdjwt || vci_issue_ctx_add(&s->issue, &vci_sdjwt_ops, s->sdjwt) < 0 ||
		    vci_issue_ctx_add(&s->issue, &vci_jwtvc_ops, s->sdjwt) < 0)
			return s->sdjwt ? vci_err_set(err, VCI_EXIT_KEY, "server_error",
						      "signers: cannot prepare") : -1;
	}
	if (mdoc) {
		vci_mdoc_issuer_opts_t o = { 0 };

		if (!s->keep->chain)
			return vci_err_set(err, VCI_EXIT_KEY, "invalid_certificate", "mso_mdoc "
					   "credentials need --cert (the x5chain of the issuer)");
		o.key = s->key;
		o.alg = s->keep->alg;
		o.chain = s->keep->chain;
		s->mdoc = vci_mdoc_issuer_new(&o, err);
		if (!s->mdoc || vci_issue_ctx_add(&s->issue, &vci_mdoc_ops, s->mdoc) < 0)
			return s->mdoc ? vci_err_set(err, VCI_EXIT_KEY, "server_error",
						     "signers: cannot prepare") : -1;
	}
	return 0;
}

/* STATE/file: a nonce key of 32 random bytes made on the first start
 * (mode 0600), so that nonces stay valid across a restart. A state
 * directory that holds a database but has lost the file gets a new key:
 * the nonces of the old one are then refused as invalid, and the wallet
 * fetches a new one. */
static vci_nonce_key_t *nonce_key_file(const char *state, const char *file, vci_err_t *err)
{
	char path[4096];
	uint8_t key[32];
	int fd;

	if (!strncmp(state, "sqlite:", 7)) {
		vci_err_set(err, VCI_EXIT_USAGE, "invalid_option", "--state: give a directory "
			    "(the nonce keys are kept beside the database)");
		return NULL;
	}
	snprintf(path, sizeof path, "%s/%s", state, file);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd >= 0) {
		int ok = RAND_priv_bytes(key, sizeof key) == 1 &&
			 write(fd, key, sizeof key) == (ssize_t)sizeof key && fsync(fd) == 0;

		OPENSSL_cleanse(key, sizeof key);
		close(fd);
		if (!ok) {
			unlink(path);
			vci_err_set(err, VCI_EXIT_IO, "io_error", "state: %s: cannot write", path);
			return NULL;
		}
	} else if (errno != EEXIST) {
		vci_err_set(err, VCI_EXIT_IO, "io_error", "state: %s: %s", path, strerror(errno));
		return NULL;
	}
	return vci_nonce_key_load(path, err);
}

/* The DPoP nonce key (STATE/dpop-nonce.key), the c_nonce key
 * (STATE/c-nonce.key) and the access token key (STATE/access-token.key):
 * three keys, so that no sealed value is ever taken for one of another
 * kind. */
static int nonce_key(vci_serve_t *s, const char *state, vci_err_t *err)
{
	s->dpop_nonce_key = nonce_key_file(state, NONCE_KEY_FILE, err);
	if (!s->dpop_nonce_key)
		return -1;
	s->c_nonce_key = nonce_key_file(state, C_NONCE_KEY_FILE, err);
	if (!s->c_nonce_key)
		return -1;
	s->token_key = nonce_key_file(state, TOKEN_KEY_FILE, err);
	return s->token_key ? 0 : -1;
}

static void settings(vci_serve_t *s, const vci_serve_config_t *c)
{
	s->dpop = c->dpop;
	s->dpop_nonce = c->dpop_nonce;
	s->token_ttl = c->token_ttl;
	s->nonce_ttl = c->nonce_ttl;
	s->tx_attempts = c->tx_attempts;
	s->batch_size = c->batch_size;
	s->trust_file = c->trust;
	s->par_optional = c->par_optional;
	s->profile = c->profile;
}

/* The claims hook, the --webhook subscriptions and the outbox worker. */
static int flow_start(vci_serve_t *s, const vci_serve_config_t *c, vci_err_t *err)
{
	if (c->claims_hook &&
	    vci_serve_hook_new(s, c->claims_hook, c->claims_hook_timeout * 1000, err) < 0)
		return -1;
	if (vci_serve_webhooks_sync(s, c, err) < 0)
		return -1;
	return vci_serve_webhooks_start(s, err);
}

vci_serve_t *vci_serve_new(const vci_serve_config_t *c, vci_err_t *err)
{
	vci_serve_t *s;

	if (vci_serve_config_check(c, err) < 0)
		return NULL;
	s = vci_serve_alloc(err);
	if (!s)
		return NULL;
	settings(s, c);
	if (c->trust && access(c->trust, R_OK) != 0) {
		vci_err_set(err, VCI_EXIT_IO, "io_error", "--trust: %s: %s", c->trust,
			    strerror(errno));
		goto fail;
	}
	if (vci_serve_encryption_open(s, c->state, c->encryption, err) < 0)
		goto fail;
	if (set_issuer(s, c->issuer, err) < 0 ||
	    vci_serve_oidc_open(s, c->oidc_issuer, c->oidc_client, err) < 0 ||
	    load_defs(s, c, err) < 0 ||
	    load_key(s, c, err) < 0 || as_documents(s, err) < 0 || metadata(s, err) < 0 ||
	    vci_serve_profile_check(s, s->metadata, err) < 0 || signers(s, err) < 0)
		goto fail;
	s->store = vci_serve_config_store(c, 1, err);
	if (!s->store || nonce_key(s, c->state, err) < 0 ||
	    vci_serve_status_open(s, c->status_list, c->nstatus_list, err) < 0 ||
	    vci_serve_routes_default(s, err) < 0 || vci_serve_catalog_reload(s, err) < 0)
		goto fail;
	if (flow_start(s, c, err) < 0)
		goto fail;
	return s;
fail:
	vci_serve_free(s);
	return NULL;
}
