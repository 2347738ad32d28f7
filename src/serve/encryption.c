/* encryption.c - credential request and response encryption (OpenID4VCI
 * 1.0 section 10) as --encryption sets it: off (nothing advertised, a
 * request asking for an encrypted response refused), optional (the
 * default: both advertised, neither required) or required (every
 * credential request encrypted, and asking for an encrypted response).
 *
 * The issuer's request encryption key is a P-256 key made on the first
 * start as STATE/request-encryption.pem (mode 0600), so a wallet holding
 * the published key can still encrypt to us after a restart. Its public
 * half is published as credential_request_encryption.jwks with the
 * RFC 7638 thumbprint as "kid". */
#include "internal.h"
#include "crypto/jwe.h"
#include "crypto/keys.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/pem.h>

#define ENC_KEY_FILE "request-encryption.pem"

/* Write a new P-256 private key to path (O_EXCL, 0600, fsync'd). 0, or
 * 1 when the file exists already, or -1 with err. */
static int enc_key_make(const char *path, vci_err_t *err)
{
	EVP_PKEY_auto_t *pk = NULL;
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	FILE *f;
	int ok;

	if (fd < 0 && errno == EEXIST)
		return 1;
	if (fd < 0)
		return vci_err_set(err, VCI_EXIT_IO, "io_error", "state: %s: %s", path,
				   strerror(errno));
	pk = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	f = fdopen(fd, "w");
	if (!f)
		close(fd);
	ok = pk && f && PEM_write_PrivateKey(f, pk, NULL, NULL, 0, NULL, NULL) == 1 &&
	     fflush(f) == 0 && fsync(fileno(f)) == 0;
	if (f)
		ok = fclose(f) == 0 && ok;
	if (!ok) {
		unlink(path);
		return vci_err_ssl(err, VCI_EXIT_IO, "io_error", "state: %s: cannot write", path);
	}
	return 0;
}

int vci_serve_encryption_open(vci_serve_t *s, const char *state, int mode, vci_err_t *err)
{
	char path[4096];
	json_t *jwk;
	char kid[44];

	s->encryption = mode;
	if (mode == VCI_ENCRYPTION_OFF)
		return 0;
	if (!strncmp(state, "sqlite:", 7))
		return vci_err_set(err, VCI_EXIT_USAGE, "invalid_option", "--state: give a "
				   "directory (the request encryption key is kept beside the "
				   "database), or --encryption off");
	if (mkdir(state, 0700) < 0 && errno != EEXIST)
		return vci_err_set(err, VCI_EXIT_IO, "io_error", "state: %s: %s", state,
				   strerror(errno));
	snprintf(path, sizeof path, "%s/%s", state, ENC_KEY_FILE);
	if (enc_key_make(path, err) < 0)
		return -1;
	s->enc_key = vci_key_load_private(path, NULL, err);
	if (!s->enc_key)
		return vci_err_prefix(err, "state: %s", path);
	jwk = vci_jwk_from_pkey(s->enc_key, err);
	if (!jwk || vci_jwk_thumbprint(jwk, kid, err) < 0) {
		json_decref(jwk);
		return -1;
	}
	json_object_set_new(jwk, "kid", json_string(kid));
	json_object_set_new(jwk, "use", json_string("enc"));
	json_object_set_new(jwk, "alg", json_string("ECDH-ES"));
	s->enc_jwks = json_pack("{s:[o]}", "keys", jwk);
	return s->enc_jwks ? 0 : vci_err_oom(err);
}

void vci_serve_encryption_free(vci_serve_t *s)
{
	EVP_PKEY_free(s->enc_key);
	json_decref(s->enc_jwks);
	s->enc_key = NULL;
	s->enc_jwks = NULL;
}

int vci_serve_request_body(const vci_serve_t *s, const vci_req_t *req, char **body,
			   size_t *len, int *encrypted, vci_err_t *err)
{
	static const char code[] = "invalid_encryption_parameters";
	char ctype[64];
	uint8_t *pt = NULL;
	json_auto_t *h = NULL;
	const char *kid;

	*body = NULL;
	*len = 0;
	*encrypted = 0;
	vci_req_content_type(req, ctype, sizeof ctype);
	if (strcmp(ctype, "application/jwt")) {
		if (s->encryption == VCI_ENCRYPTION_REQUIRED && !strcmp(ctype, "application/json"))
			return vci_err_set(err, VCI_EXIT_FAIL, code, "this issuer requires "
					   "encrypted requests (application/jwt, "
					   "credential_request_encryption)");
		return 0;
	}
	if (!s->enc_key)
		return vci_err_set(err, VCI_EXIT_FAIL, code, "Content-Type: this issuer does not "
				   "take encrypted requests");
	if (vci_jwe_decrypt(req->body, req->body_len, s->enc_key, &pt, len, &h, err) < 0) {
		err->status = VCI_EXIT_FAIL;
		return vci_err_prefix(err, "the encrypted request");
	}
	kid = json_string_value(json_object_get(h, "kid"));
	if (kid && strcmp(kid, json_string_value(json_object_get(
					json_array_get(json_object_get(s->enc_jwks, "keys"), 0),
					"kid")))) {
		OPENSSL_clear_free(pt, *len + 1);
		*len = 0;
		return vci_err_set(err, VCI_EXIT_FAIL, code, "the encrypted request: \"kid\" is "
				   "not a key of credential_request_encryption");
	}
	*body = (char *)pt;
	*encrypted = 1;
	return 0;
}
