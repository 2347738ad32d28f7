/* keys.c - private keys through OSSL_STORE or, for "pkcs11:" URIs, libp11's
 * engine; public keys, X.509 chains and trust, JWK import/export and RFC
 * 7638 thumbprints. */
#include "keys.h"
#include "base/b64url.h"
#include "base/time.h"

#include <ctype.h>
#include <errno.h>
#include <string.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/obj_mac.h>
#include <openssl/objects.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <openssl/store.h>
#include <openssl/ui.h>
#include <openssl/x509v3.h>
#include <pthread.h>
#include <strings.h>
#include <time.h>

/* Debian ships PKCS#11 for OpenSSL 3 as libp11's engine
 * (libengine-pkcs11-openssl), not as a provider: the ENGINE API,
 * deprecated in OpenSSL 3 but present, is used in this file alone, in
 * the section "PKCS#11 keys" below, whose deprecation warnings are
 * silenced there. Without it "pkcs11:" URIs go to OSSL_STORE (for a
 * configured provider). */
#if !defined(OPENSSL_NO_ENGINE) && !defined(OPENSSL_NO_DEPRECATED_3_0)
#define VCI_HAVE_ENGINE 1
#include <openssl/engine.h>
#endif

#define VCI_MAX_PASS 1024

static void set_status(vci_err_t *err, int status)
{
	if (err)
		err->status = status;
}

/* ---- passphrases ---- */

char *vci_pass_read(const char *spec, vci_err_t *err)
{
	char *out = NULL;

	if (!spec)
		return NULL;
	if (!strncmp(spec, "pass:", 5)) {
		out = strdup(spec + 5);
	} else if (!strncmp(spec, "env:", 4)) {
		const char *v = getenv(spec + 4);

		if (!v) {
			vci_err_set(err, VCI_EXIT_KEY, "bad_passphrase",
				    "passphrase: environment variable %s is not set", spec + 4);
			return NULL;
		}
		out = strdup(v);
	} else if (!strncmp(spec, "file:", 5)) {
		FILE *f = fopen(spec + 5, "r");
		char buf[VCI_MAX_PASS + 2];
		size_t n;

		if (!f) {
			vci_err_set(err, VCI_EXIT_KEY, "bad_passphrase", "%s: %s", spec + 5,
				    strerror(errno));
			return NULL;
		}
		if (!fgets(buf, sizeof buf, f))
			buf[0] = '\0';
		fclose(f);
		n = strcspn(buf, "\r\n");
		if (n > VCI_MAX_PASS) {
			OPENSSL_cleanse(buf, sizeof buf);
			vci_err_set(err, VCI_EXIT_KEY, "bad_passphrase",
				    "%s: passphrase longer than %d bytes", spec + 5, VCI_MAX_PASS);
			return NULL;
		}
		buf[n] = '\0';
		out = strdup(buf);
		OPENSSL_cleanse(buf, sizeof buf);
	} else {
		vci_err_set(err, VCI_EXIT_USAGE, "bad_passphrase",
			    "passphrase: expected env:VAR, file:PATH or pass:TEXT");
		return NULL;
	}
	if (!out)
		vci_err_oom_at(err, "passphrase");
	return out;
}

/* ---- loading keys ---- */

struct pass_cb {
	const char *pass; /* NULL: none given */
	int asked;
};

static int pass_cb(char *buf, int size, int rwflag, void *u)
{
	struct pass_cb *pc = u;
	size_t n;

	(void)rwflag;
	if (!pc)
		return -1;
	pc->asked++;
	if (!pc->pass)
		return -1;
	n = strlen(pc->pass);
	if (n > (size_t)size)
		return -1;
	memcpy(buf, pc->pass, n);
	return (int)n;
}

/* A path or URI for messages: the same text, whose PIN attributes the
 * error setters mask (vci_redact_pins). */
static const char *key_name(const char *uri)
{
	return uri;
}

static int is_pkcs11(const char *uri)
{
	return !strncasecmp(uri, "pkcs11:", 7);
}

static EVP_PKEY *store_load(const char *uri, const char *pass, int want_private,
			    vci_err_t *err);

/* ---- PKCS#11 keys ---- */

#ifdef VCI_HAVE_ENGINE
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"

/* One engine instance per PKCS#11 module: libp11 keeps the module, its
 * sessions and the login in the instance, so each is made apart from
 * OpenSSL's engine list (LIST_ADD 0) and kept for the life of the
 * process, as the keys loaded through it use it for every signature. */
#define VCI_P11_MODULES 4

static struct p11_engine {
	char *module; /* NULL: libp11's default (PKCS11_MODULE_PATH, p11-kit) */
	ENGINE *e;
} p11_engines[VCI_P11_MODULES];
static pthread_mutex_t p11_lock = PTHREAD_MUTEX_INITIALIZER;

static int same_module(const char *a, const char *b)
{
	return (!a && !b) || (a && b && !strcmp(a, b));
}

/* A new, initialised instance of libp11's engine for `module`; *absent
 * is set when the engine itself cannot be loaded. */
static ENGINE *p11_engine_new(const char *module, int *absent, vci_err_t *err)
{
	const char *dir = getenv("OPENSSL_ENGINES");
	ENGINE *e;

	if (!dir)
		dir = OPENSSL_info(OPENSSL_INFO_ENGINES_DIR);
	e = ENGINE_by_id("dynamic");
	if (!e || !ENGINE_ctrl_cmd_string(e, "ID", "pkcs11", 0) ||
	    !ENGINE_ctrl_cmd_string(e, "DIR_LOAD", "2", 0) ||
	    !(dir && ENGINE_ctrl_cmd_string(e, "DIR_ADD", dir, 0)) ||
	    !ENGINE_ctrl_cmd_string(e, "LIST_ADD", "0", 0) ||
	    !ENGINE_ctrl_cmd_string(e, "LOAD", NULL, 0)) {
		ENGINE_free(e);
		ERR_clear_error();
		*absent = 1;
		vci_err_set(err, VCI_EXIT_KEY, "invalid_key", "PKCS#11: libp11's OpenSSL "
			    "engine (pkcs11.so in %s; Debian: libengine-pkcs11-openssl) cannot "
			    "be loaded", dir ? dir : "the engines directory");
		return NULL;
	}
	/* libp11 writes its diagnostics, the URI with its PIN among them,
	 * to stderr unless told to be quiet. */
	ENGINE_ctrl_cmd_string(e, "QUIET", NULL, 1);
	if ((module && !ENGINE_ctrl_cmd_string(e, "MODULE_PATH", module, 0)) ||
	    !ENGINE_init(e)) {
		vci_err_ssl(err, VCI_EXIT_KEY, "invalid_key", "PKCS#11: cannot start libp11's "
			    "engine%s%s", module ? " with module " : "", module ? module : "");
		ENGINE_free(e);
		return NULL;
	}
	ENGINE_free(e); /* the functional reference of ENGINE_init stays */
	return e;
}

/* The engine instance for `module`, made on first use. Locked. */
static ENGINE *p11_engine(const char *module, int *absent, vci_err_t *err)
{
	ENGINE *e = NULL;
	size_t i;

	pthread_mutex_lock(&p11_lock);
	for (i = 0; i < VCI_P11_MODULES && p11_engines[i].e; i++)
		if (same_module(p11_engines[i].module, module)) {
			e = p11_engines[i].e;
			goto out;
		}
	if (i == VCI_P11_MODULES) {
		vci_err_set(err, VCI_EXIT_KEY, "invalid_key", "PKCS#11: more than %d modules "
			    "in one process", VCI_P11_MODULES);
		goto out;
	}
	p11_engines[i].module = module ? strdup(module) : NULL;
	if (module && !p11_engines[i].module) {
		vci_err_oom(err);
		goto out;
	}
	e = p11_engine_new(module, absent, err);
	p11_engines[i].e = e;
	if (!e) {
		free(p11_engines[i].module);
		p11_engines[i].module = NULL;
	}
out:
	pthread_mutex_unlock(&p11_lock);
	return e;
}

/* Percent-decode n bytes of s (RFC 3986) into a new string. */
static char *pct_decode(const char *s, size_t n)
{
	char *out = malloc(n + 1), *o = out;

	if (!out)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '%' && i + 2 < n && isxdigit((unsigned char)s[i + 1]) &&
		    isxdigit((unsigned char)s[i + 2])) {
			char hex[3] = { s[i + 1], s[i + 2], 0 };

			*o++ = (char)strtol(hex, NULL, 16);
			i += 2;
		} else {
			*o++ = s[i];
		}
	}
	*o = '\0';
	return out;
}

/* A pkcs11: URI taken apart: the attributes libp11 reads itself, and
 * those read here. */
struct p11_uri {
	char *id;         /* the URI without module-path and pin-source */
	char *module;     /* module-path, decoded, or NULL */
	char *pin_source; /* pin-source, decoded, or NULL */
};

static void p11_uri_free(struct p11_uri *u)
{
	if (u->id)
		OPENSSL_cleanse(u->id, strlen(u->id));
	free(u->id);
	free(u->module);
	free(u->pin_source);
}

/* Split "module-path" (RFC 7512 section 2.3), which libp11 does not know,
 * and "pin-source", which it reads with the line's newline, off the URI.
 * Attributes are separated by ';' in the path and '&' in the query, as
 * libp11 takes them. 0, or -1 with err set. */
static int p11_split(const char *uri, struct p11_uri *u, vci_err_t *err)
{
	const char *p = uri + 7;
	int in_query = 0, npath = 0, nquery = 0;
	char *o;

	memset(u, 0, sizeof *u);
	u->id = o = malloc(strlen(uri) + 1);
	if (!o)
		return vci_err_oom(err);
	memcpy(o, "pkcs11:", 7);
	o += 7;
	while (*p) {
		size_t n = strcspn(p, ";?&");
		char **take = NULL;
		size_t skip = 0;

		if (n > 12 && !strncmp(p, "module-path=", 12))
			take = &u->module, skip = 12;
		else if (n > 11 && !strncmp(p, "pin-source=", 11))
			take = &u->pin_source, skip = 11;
		if (take) {
			free(*take);
			*take = pct_decode(p + skip, n - skip);
			if (!*take)
				return vci_err_oom(err);
		} else if (n) {
			if (in_query)
				*o++ = nquery++ ? '&' : '?';
			else if (npath++)
				*o++ = ';';
			memcpy(o, p, n);
			o += n;
		}
		if (p[n] == '?')
			in_query = 1;
		p += n + (p[n] != '\0');
	}
	*o = '\0';
	return 0;
}

/* The PIN of a pin-source: a file ("file:PATH" or PATH), its first line. */
static char *p11_pin_source(const char *src, vci_err_t *err)
{
	char_auto_t *spec = NULL;

	if (!strncasecmp(src, "file:", 5))
		src += 5;
	if (*src == '|') {
		vci_err_set(err, VCI_EXIT_KEY, "invalid_key",
			    "PKCS#11: pin-source: only a file is supported");
		return NULL;
	}
	if (asprintf(&spec, "file:%s", src) < 0) {
		spec = NULL;
		vci_err_oom(err);
		return NULL;
	}
	return vci_pass_read(spec, err);
}

/* A key on a PKCS#11 token through libp11's engine. The PIN is the URI's
 * own (pin-value, or pin-source read here), else `pin` (from `pass`),
 * given through the engine's user interface when the token asks. */
static EVP_PKEY *p11_load(const char *uri, const char *pin, int want_private, vci_err_t *err)
{
	struct pass_cb pc = { pin, 0 };
	struct p11_uri u;
	wipe_auto_t *src_pin = NULL;
	UI_METHOD *ui = NULL;
	EVP_PKEY *pk = NULL;
	int absent = 0;
	ENGINE *e;

	if (p11_split(uri, &u, err) < 0)
		goto out;
	if (u.pin_source) {
		src_pin = p11_pin_source(u.pin_source, err);
		if (!src_pin)
			goto out;
		pc.pass = src_pin;
	}
	e = p11_engine(u.module, &absent, err);
	if (!e) {
		/* No engine: a PKCS#11 provider configured for OSSL_STORE
		 * may know the scheme; if not, the engine's message stands. */
		vci_err_t serr = { 0 };

		if (absent)
			pk = store_load(uri, pin, want_private, &serr);
		OPENSSL_cleanse(&serr, sizeof serr);
		goto out;
	}
	ui = UI_UTIL_wrap_read_pem_callback(pass_cb, 0);
	if (!ui) {
		vci_err_ssl(err, VCI_EXIT_KEY, "invalid_key", "%s: cannot set up the PIN prompt",
			    key_name(uri));
		goto out;
	}
	ERR_clear_error();
	pk = want_private ? ENGINE_load_private_key(e, u.id, ui, &pc) :
			    ENGINE_load_public_key(e, u.id, ui, &pc);
	if (!pk && pc.asked && !pc.pass)
		vci_err_set(err, VCI_EXIT_KEY, "invalid_key", "%s: the token needs a PIN (`pass`, "
			    "or pin-value in the URI)", key_name(uri));
	else if (!pk)
		vci_err_ssl(err, VCI_EXIT_KEY, "invalid_key", "%s: no %s key on the token, or "
			    "the PIN is wrong", key_name(uri), want_private ? "private" : "public");
out:
	ERR_clear_error();
	UI_destroy_method(ui);
	p11_uri_free(&u);
	return pk;
}

#pragma GCC diagnostic pop
#else /* !VCI_HAVE_ENGINE */
static EVP_PKEY *p11_load(const char *uri, const char *pin, int want_private, vci_err_t *err)
{
	(void)uri, (void)pin, (void)want_private;
	vci_err_set(err, VCI_EXIT_KEY, "invalid_key",
		    "PKCS#11: this OpenSSL has no engine support");
	return NULL;
}
#endif

static EVP_PKEY *store_load(const char *uri, const char *pass, int want_private,
			    vci_err_t *err)
{
	struct pass_cb pc = { pass, 0 };
	UI_METHOD *ui = NULL;
	OSSL_STORE_CTX *st = NULL;
	EVP_PKEY *pk = NULL;
	X509 *cert = NULL;
	int saw_any = 0, errors = 0;

	ui = UI_UTIL_wrap_read_pem_callback(pass_cb, 0);
	if (!ui) {
		vci_err_ssl(err, VCI_EXIT_KEY, "invalid_key", "%s: cannot set up passphrase prompt",
			    key_name(uri));
		return NULL;
	}
	st = OSSL_STORE_open_ex(uri, NULL, NULL, ui, &pc, NULL, NULL, NULL);
	if (!st) {
		vci_err_ssl(err, VCI_EXIT_KEY, "invalid_key", "%s: cannot open", key_name(uri));
		goto out;
	}
	while (!pk && !OSSL_STORE_eof(st)) {
		OSSL_STORE_INFO *info = OSSL_STORE_load(st);
		int type;

		if (!info) {
			if ((OSSL_STORE_error(st) && pc.asked) || ++errors > 64)
				break;
			continue;
		}
		saw_any = 1;
		type = OSSL_STORE_INFO_get_type(info);
		if (type == OSSL_STORE_INFO_PKEY) {
			pk = OSSL_STORE_INFO_get1_PKEY(info);
		} else if (!want_private && type == OSSL_STORE_INFO_PUBKEY) {
			pk = OSSL_STORE_INFO_get1_PUBKEY(info);
		} else if (!want_private && type == OSSL_STORE_INFO_CERT && !cert) {
			cert = OSSL_STORE_INFO_get1_CERT(info);
		}
		OSSL_STORE_INFO_free(info);
	}
	if (!pk && cert) {
		pk = X509_get_pubkey(cert);
		if (!pk)
			vci_err_ssl(err, VCI_EXIT_KEY, "invalid_key",
				    "%s: unsupported certificate key", key_name(uri));
		goto out;
	}
	if (!pk) {
		if (pc.asked && !pass)
			vci_err_set(err, VCI_EXIT_KEY, "invalid_key",
				    "%s: encrypted key needs a passphrase (`pass`)", key_name(uri));
		else if (pc.asked)
			vci_err_set(err, VCI_EXIT_KEY, "invalid_key", "%s: bad passphrase",
				    key_name(uri));
		else if (want_private)
			vci_err_set(err, VCI_EXIT_KEY, "invalid_key", "%s: not a private key%s",
				    key_name(uri), saw_any ? "" : " (no key found)");
		else
			vci_err_set(err, VCI_EXIT_KEY, "invalid_key",
				    "%s: no public key or certificate found", key_name(uri));
	}
out:
	ERR_clear_error();
	X509_free(cert);
	if (st)
		OSSL_STORE_close(st);
	UI_destroy_method(ui);
	return pk;
}

EVP_PKEY *vci_key_load_private(const char *uri, const char *pass_spec, vci_err_t *err)
{
	wipe_auto_t *pass = NULL;
	EVP_PKEY *pk;

	if (!uri || !*uri) {
		vci_err_set(err, VCI_EXIT_KEY, "invalid_key", "no key given");
		return NULL;
	}
	if (pass_spec) {
		pass = vci_pass_read(pass_spec, err);
		if (!pass)
			return NULL;
	}
	pk = is_pkcs11(uri) ? p11_load(uri, pass, 1, err) : store_load(uri, pass, 1, err);
	if (pk && !vci_key_default_alg(pk)) {
		vci_err_set(err, VCI_EXIT_KEY, "invalid_key",
			    "%s: unsupported key type (EC P-256/P-384/P-521, Ed25519 or RSA >= 2048)",
			    key_name(uri));
		EVP_PKEY_free(pk);
		pk = NULL;
	}
	return pk;
}

EVP_PKEY *vci_key_load_public(const char *path, vci_err_t *err)
{
	char_auto_t *buf = NULL;
	size_t len, i;

	if (!path || !*path) {
		vci_err_set(err, VCI_EXIT_KEY, "invalid_key", "no key given");
		return NULL;
	}
	if (is_pkcs11(path))
		return p11_load(path, NULL, 0, err);
	/* A JWK file starts with '{'. */
	buf = vci_read_file(path, 1u << 20, &len, NULL);
	for (i = 0; buf && i < len && isspace((unsigned char)buf[i]); i++)
		;
	if (buf && i < len && buf[i] == '{') {
		json_auto_t *jwk = vci_json_parse(buf, len, path, err);
		EVP_PKEY *pk;

		if (!jwk) {
			set_status(err, VCI_EXIT_KEY);
			return NULL;
		}
		pk = vci_jwk_to_pkey(jwk, 1, err);
		OPENSSL_cleanse(buf, len);
		if (!pk)
			vci_err_prefix(err, "%s", path);
		return pk;
	}
	if (buf)
		OPENSSL_cleanse(buf, len);
	return store_load(path, NULL, 0, err);
}

/* ---- key kinds ---- */

/* 256, 384, 521 for the NIST curves, 0 otherwise. */
static int ec_bits(EVP_PKEY *pk)
{
	char name[64];
	size_t n = 0;
	int nid;

	if (EVP_PKEY_get_base_id(pk) != EVP_PKEY_EC)
		return 0;
	if (!EVP_PKEY_get_group_name(pk, name, sizeof name, &n))
		return 0;
	nid = OBJ_sn2nid(name);
	if (nid == NID_undef)
		nid = EC_curve_nist2nid(name);
	switch (nid) {
	case NID_X9_62_prime256v1: return 256;
	case NID_secp384r1: return 384;
	case NID_secp521r1: return 521;
	default: return 0;
	}
}

static int rsa_ok(EVP_PKEY *pk)
{
	return EVP_PKEY_get_base_id(pk) == EVP_PKEY_RSA && EVP_PKEY_get_bits(pk) >= 2048;
}

const char *vci_key_default_alg(EVP_PKEY *pk)
{
	if (!pk)
		return NULL;
	switch (EVP_PKEY_get_base_id(pk)) {
	case EVP_PKEY_EC:
		switch (ec_bits(pk)) {
		case 256: return "ES256";
		case 384: return "ES384";
		case 521: return "ES512";
		default: return NULL;
		}
	case EVP_PKEY_ED25519:
		return "EdDSA";
	case EVP_PKEY_RSA:
		return rsa_ok(pk) ? "PS256" : NULL;
	default:
		return NULL;
	}
}

int vci_key_alg_ok(EVP_PKEY *pk, const char *alg)
{
	if (!pk || !alg)
		return 0;
	if (!strcmp(alg, "ES256"))
		return ec_bits(pk) == 256;
	if (!strcmp(alg, "ES384"))
		return ec_bits(pk) == 384;
	if (!strcmp(alg, "ES512"))
		return ec_bits(pk) == 521;
	if (!strcmp(alg, "EdDSA") || !strcmp(alg, "Ed25519"))
		return EVP_PKEY_get_base_id(pk) == EVP_PKEY_ED25519;
	if (!strcmp(alg, "RS256") || !strcmp(alg, "PS256"))
		return rsa_ok(pk);
	return 0;
}

int vci_cose_alg_from_jose(const char *alg)
{
	static const struct { const char *jose; int cose; } map[] = {
		{ "ES256", -7 }, { "ES384", -35 }, { "ES512", -36 }, { "EdDSA", -8 },
		{ "PS256", -37 }, { "RS256", -257 },
	};

	for (size_t i = 0; alg && i < sizeof map / sizeof map[0]; i++)
		if (!strcmp(alg, map[i].jose))
			return map[i].cose;
	return 0;
}

/* ---- X.509 ---- */

STACK_OF(X509) *vci_x509_load_chain(const char *path, vci_err_t *err)
{
	STACK_OF(X509) *sk = sk_X509_new_null();
	BIO *bio = NULL;
	X509 *x;

	if (!sk) {
		vci_err_oom_at(err, path);
		return NULL;
	}
	bio = BIO_new_file(path, "rb");
	if (!bio) {
		vci_err_set(err, VCI_EXIT_KEY, "invalid_certificate", "%s: %s", path,
			    strerror(errno ? errno : ENOENT));
		goto fail;
	}
	while ((x = PEM_read_bio_X509(bio, NULL, NULL, NULL))) {
		if (!sk_X509_push(sk, x)) {
			X509_free(x);
			vci_err_oom_at(err, path);
			goto fail;
		}
	}
	ERR_clear_error();
	if (sk_X509_num(sk) == 0) {
		if (BIO_reset(bio) < 0 || !(x = d2i_X509_bio(bio, NULL))) {
			vci_err_set(err, VCI_EXIT_KEY, "invalid_certificate",
				    "%s: no certificate found", path);
			goto fail;
		}
		if (!sk_X509_push(sk, x)) {
			X509_free(x);
			goto fail;
		}
	}
	BIO_free(bio);
	return sk;
fail:
	ERR_clear_error();
	BIO_free(bio);
	sk_X509_pop_free(sk, X509_free);
	return NULL;
}

json_t *vci_x5c_from_chain(const STACK_OF(X509) *chain)
{
	json_auto_t *arr = json_array();

	if (!arr || !chain)
		return NULL;
	for (int i = 0; i < sk_X509_num(chain); i++) {
		X509 *x = sk_X509_value(chain, i);
		int n = i2d_X509(x, NULL);
		uint8_auto_t *der = NULL;
		char *b64;
		uint8_t *p;

		if (n <= 0 || !(der = malloc((size_t)n)))
			return NULL;
		p = der;
		if (i2d_X509(x, &p) != n)
			return NULL;
		b64 = vci_b64_encode(der, (size_t)n);
		if (!b64 || json_array_append_new(arr, json_string(b64)) < 0) {
			free(b64);
			return NULL;
		}
		free(b64);
	}
	return json_incref(arr);
}

STACK_OF(X509) *vci_x5c_parse(const json_t *x5c, vci_err_t *err)
{
	STACK_OF(X509) *sk;
	size_t i;
	json_t *v;

	if (!json_is_array(x5c) || json_array_size(x5c) == 0) {
		vci_err_set(err, VCI_EXIT_KEY, "invalid_certificate",
			    "x5c: expected a non-empty array of base64 certificates");
		return NULL;
	}
	sk = sk_X509_new_null();
	if (!sk)
		return NULL;
	json_array_foreach(x5c, i, v) {
		uint8_auto_t *der = NULL;
		const uint8_t *p;
		size_t len;
		X509 *x;

		if (!json_is_string(v)) {
			vci_err_set(err, VCI_EXIT_KEY, "invalid_certificate",
				    "x5c[%zu]: not a string", i);
			goto fail;
		}
		if (vci_b64_decode(json_string_value(v), json_string_length(v), &der, &len,
				   err) < 0) {
			vci_err_prefix(err, "x5c[%zu]", i);
			set_status(err, VCI_EXIT_KEY);
			goto fail;
		}
		p = der;
		x = d2i_X509(NULL, &p, (long)len);
		if (!x || p != der + len) {
			X509_free(x);
			vci_err_set(err, VCI_EXIT_KEY, "invalid_certificate",
				    "x5c[%zu]: not a DER certificate", i);
			goto fail;
		}
		if (!sk_X509_push(sk, x)) {
			X509_free(x);
			goto fail;
		}
	}
	return sk;
fail:
	ERR_clear_error();
	sk_X509_pop_free(sk, X509_free);
	return NULL;
}

/* Trust anchors are read once per process per file and shared: a batch
 * that validates an x5c chain per record must not re-read and re-parse
 * the CA file each time. An X509_STORE is safe to share between threads
 * once loaded; each validation has its own X509_STORE_CTX. */
#define ANCHOR_CACHE 8
static struct {
	char *path;
	X509_STORE *store;
} anchors[ANCHOR_CACHE];
static pthread_mutex_t anchors_mu = PTHREAD_MUTEX_INITIALIZER;

static X509_STORE *anchors_get(const char *ca_file, vci_err_t *err)
{
	X509_STORE *store = NULL;
	int i;

	pthread_mutex_lock(&anchors_mu);
	for (i = 0; i < ANCHOR_CACHE && anchors[i].path; i++) {
		if (!strcmp(anchors[i].path, ca_file)) {
			store = anchors[i].store;
			X509_STORE_up_ref(store);
			goto out;
		}
	}
	store = X509_STORE_new();
	if (!store) {
		vci_err_oom(err);
		goto out;
	}
	if (X509_STORE_load_file(store, ca_file) != 1) {
		vci_err_ssl(err, VCI_EXIT_KEY, "invalid_certificate",
			    "%s: cannot load trust anchors", ca_file);
		X509_STORE_free(store);
		store = NULL;
		goto out;
	}
	if (i < ANCHOR_CACHE && (anchors[i].path = strdup(ca_file)) != NULL) {
		anchors[i].store = store;
		X509_STORE_up_ref(store);
	}
out:
	pthread_mutex_unlock(&anchors_mu);
	return store;
}

int vci_x509_verify(const STACK_OF(X509) *chain, const char *ca_file, int64_t at,
		    vci_err_t *err)
{
	X509_STORE *store = NULL;
	X509_STORE_CTX *ctx = NULL;
	STACK_OF(X509) *untrusted = NULL;
	X509 *leaf;
	int rc = -1;

	if (!chain || sk_X509_num(chain) < 1)
		return vci_err_set(err, VCI_EXIT_KEY, "invalid_certificate", "empty certificate chain");
	leaf = sk_X509_value(chain, 0);
	store = anchors_get(ca_file, err);
	if (!store)
		return -1;
	ctx = X509_STORE_CTX_new();
	untrusted = sk_X509_dup(chain);
	if (!ctx || !untrusted) {
		vci_err_oom(err);
		goto out;
	}
	if (X509_STORE_CTX_init(ctx, store, leaf, untrusted) != 1) {
		vci_err_ssl(err, VCI_EXIT_KEY, "invalid_certificate", "cannot set up validation");
		goto out;
	}
	X509_VERIFY_PARAM_set_time(X509_STORE_CTX_get0_param(ctx),
				   (time_t)(at ? at : vci_time_now()));
	if (X509_verify_cert(ctx) != 1) {
		int e = X509_STORE_CTX_get_error(ctx);

		vci_err_set(err, VCI_EXIT_KEY, "invalid_certificate",
			    "certificate chain: %s (depth %d)", X509_verify_cert_error_string(e),
			    X509_STORE_CTX_get_error_depth(ctx));
		goto out;
	}
	if ((X509_get_extension_flags(leaf) & EXFLAG_KUSAGE) &&
	    !(X509_get_key_usage(leaf) & KU_DIGITAL_SIGNATURE)) {
		vci_err_set(err, VCI_EXIT_KEY, "invalid_certificate",
			    "certificate: key usage does not include digitalSignature");
		goto out;
	}
	rc = 0;
out:
	ERR_clear_error();
	sk_X509_free(untrusted);
	X509_STORE_CTX_free(ctx);
	X509_STORE_free(store);
	return rc;
}

int vci_x509_matches_key(X509 *cert, EVP_PKEY *pk)
{
	EVP_PKEY *cpk = cert ? X509_get0_pubkey(cert) : NULL;
	int r;

	if (!cpk || !pk)
		return 0;
	r = EVP_PKEY_eq(cpk, pk);
	ERR_clear_error();
	return r == 1;
}

/* Seconds since the epoch of an ASN1_TIME, or 0 if it does not convert. */
static int64_t asn1_seconds(const ASN1_TIME *t)
{
	struct tm tm;

	if (!t || !ASN1_TIME_to_tm(t, &tm))
		return 0;
	return (int64_t)timegm(&tm);
}

static void rfc3339(int64_t t, char out[32])
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (!gmtime_r(&tt, &tm) || !strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm))
		snprintf(out, 32, "%lld", (long long)t);
}

int vci_x509_chain_current(const STACK_OF(X509) *chain, int64_t now, vci_err_t *err)
{
	for (int i = 0; i < sk_X509_num(chain); i++) {
		X509 *c = sk_X509_value(chain, i);
		int64_t nb = asn1_seconds(X509_get0_notBefore(c));
		int64_t na = asn1_seconds(X509_get0_notAfter(c));
		char subject[128] = "", when[32];

		if (now >= nb && now <= na)
			continue;
		X509_NAME_oneline(X509_get_subject_name(c), subject, sizeof subject);
		rfc3339(now < nb ? nb : na, when);
		return vci_err_set(err, VCI_EXIT_KEY, "invalid_certificate",
				   now < nb ? "certificate \"%s\" is not valid before %s" :
					      "certificate \"%s\" expired at %s", subject, when);
	}
	return 0;
}

int64_t vci_x509_chain_not_after(const STACK_OF(X509) *chain)
{
	int64_t min = INT64_MAX;

	for (int i = 0; i < sk_X509_num(chain); i++) {
		int64_t na = asn1_seconds(X509_get0_notAfter(sk_X509_value(chain, i)));

		if (na && na < min)
			min = na;
	}
	return min;
}

/* ---- JWK ---- */

static const char *const private_members[] = { "d", "p", "q", "dp", "dq", "qi", "oth", "k" };

int vci_jwk_has_private(const json_t *jwk)
{
	const size_t n = sizeof private_members / sizeof private_members[0];
	const char *k;
	json_t *v;

	if (json_object_size(jwk) >= n) {
		for (size_t i = 0; i < n; i++)
			if (json_object_get(jwk, private_members[i]))
				return 1;
		return 0;
	}
	/* a public key has fewer members than there are private names: look
	 * each member up among the names (no hashing) */
	json_object_foreach((json_t *)jwk, k, v)
		for (size_t i = 0; i < n; i++)
			if (k[0] == private_members[i][0] && !strcmp(k, private_members[i]))
				return 1;
	return 0;
}

/* Decode a base64url string member. `exact` > 0 requires that length. The
 * buffer is cleansed and freed by the caller (secret). */
static int jwk_bytes(const json_t *jwk, const char *name, size_t exact, vci_secret_t *out,
		     vci_err_t *err)
{
	const json_t *v = json_object_get(jwk, name);

	if (!json_is_string(v))
		return vci_err_set(err, VCI_EXIT_KEY, "invalid_key",
				   "JWK: \"%s\" missing or not a string", name);
	if (vci_b64url_decode(json_string_value(v), json_string_length(v), &out->buf, &out->len,
			      err) < 0) {
		set_status(err, VCI_EXIT_KEY);
		return vci_err_prefix(err, "JWK \"%s\"", name);
	}
	if (exact && out->len != exact)
		return vci_err_set(err, VCI_EXIT_KEY, "invalid_key",
				   "JWK: \"%s\" is %zu bytes, expected %zu", name, out->len, exact);
	if (out->len == 0)
		return vci_err_set(err, VCI_EXIT_KEY, "invalid_key", "JWK: \"%s\" is empty", name);
	return 0;
}

static const char *jwk_str(const json_t *jwk, const char *name)
{
	return json_string_value(json_object_get(jwk, name));
}

static EVP_PKEY *fromdata(const char *type, OSSL_PARAM_BLD *bld, int selection,
			  vci_err_t *err)
{
	OSSL_PARAM *params = OSSL_PARAM_BLD_to_param(bld);
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, type, NULL);
	EVP_PKEY *pk = NULL;

	if (!params || !ctx || EVP_PKEY_fromdata_init(ctx) != 1 ||
	    EVP_PKEY_fromdata(ctx, &pk, selection, params) != 1) {
		vci_err_ssl(err, VCI_EXIT_KEY, "invalid_key", "JWK: not a valid %s key", type);
		pk = NULL;
	}
	OSSL_PARAM_free(params);
	EVP_PKEY_CTX_free(ctx);
	return pk;
}

/* Public (and, with a private key, pairwise) consistency check. */
static int key_check(EVP_PKEY *pk, int priv, vci_err_t *err)
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_pkey(NULL, pk, NULL);
	int ok;

	if (!ctx)
		return vci_err_oom_at(err, "JWK");
	/* For the NIST curves (cofactor 1) the quick check, point on the
	 * curve and not at infinity, is the whole check: the full one also
	 * multiplies by the order, which costs more than an ECDSA verify. */
	ok = (EVP_PKEY_is_a(pk, "EC") ? EVP_PKEY_public_check_quick(ctx)
				      : EVP_PKEY_public_check(ctx)) == 1;
	if (!ok) {
		EVP_PKEY_CTX_free(ctx);
		return vci_err_ssl(err, VCI_EXIT_KEY, "invalid_key",
				   "JWK: public key check failed (point not on the curve?)");
	}
	if (priv && EVP_PKEY_pairwise_check(ctx) != 1) {
		EVP_PKEY_CTX_free(ctx);
		return vci_err_ssl(err, VCI_EXIT_KEY, "invalid_key",
				   "JWK: private key does not match the public key");
	}
	EVP_PKEY_CTX_free(ctx);
	return 0;
}

/* Domain parameters of the three curves, made once per process: a public
 * key is then its curve's parameters plus the encoded point, which costs
 * a quarter of building the key from named parameters (EVP_PKEY_fromdata
 * builds the curve each time). */
static const char *const ec_groups[] = { "prime256v1", "secp384r1", "secp521r1" };
static EVP_PKEY *ec_params[3];
static pthread_once_t ec_params_once = PTHREAD_ONCE_INIT;

static void ec_params_init(void)
{
	for (int i = 0; i < 3; i++) {
		EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
		OSSL_PARAM p[] = {
			OSSL_PARAM_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME,
					       (char *)ec_groups[i], 0),
			OSSL_PARAM_END,
		};

		if (ctx && EVP_PKEY_paramgen_init(ctx) == 1 &&
		    EVP_PKEY_CTX_set_params(ctx, p) == 1)
			(void)EVP_PKEY_paramgen(ctx, &ec_params[i]);
		EVP_PKEY_CTX_free(ctx);
	}
	ERR_clear_error();
}

static EVP_PKEY *ec_public(int curve, const uint8_t *point, size_t len, vci_err_t *err)
{
	EVP_PKEY *pk;

	if (pthread_once(&ec_params_once, ec_params_init) != 0 || !ec_params[curve]) {
		vci_err_ssl(err, VCI_EXIT_KEY, "invalid_key", "JWK: curve %s not available",
			    ec_groups[curve]);
		return NULL;
	}
	pk = EVP_PKEY_new();
	if (!pk || EVP_PKEY_copy_parameters(pk, ec_params[curve]) != 1 ||
	    EVP_PKEY_set1_encoded_public_key(pk, point, len) != 1) {
		EVP_PKEY_free(pk);
		vci_err_ssl(err, VCI_EXIT_KEY, "invalid_key",
			    "JWK: not a valid EC key (point not on the curve?)");
		return NULL;
	}
	return pk;
}

/* ---- reused public keys ---- */

struct vci_keyslots {
	EVP_PKEY *ec[3]; /* one key per curve; its point is replaced */
};

vci_keyslots_t *vci_keyslots_new(void)
{
	return calloc(1, sizeof(vci_keyslots_t));
}

void vci_keyslots_free(vci_keyslots_t *ks)
{
	if (!ks)
		return;
	for (int i = 0; i < 3; i++)
		EVP_PKEY_free(ks->ec[i]);
	free(ks);
}

/* The slot key of a curve with a new point, referenced. Setting the
 * encoded point decodes it as ec_public does (same checks, same
 * refusal), without building or copying the curve. A point that is
 * refused may be left half set: the slot key is then dropped, so that a
 * key object never holds a point that was not accepted. */
static EVP_PKEY *ec_public_slot(vci_keyslots_t *ks, int curve, const uint8_t *point,
				size_t len, vci_err_t *err)
{
	EVP_PKEY *pk = ks->ec[curve];

	if (!pk) {
		pk = ec_public(curve, point, len, err);
		if (!pk)
			return NULL;
		ks->ec[curve] = pk;
	} else if (EVP_PKEY_set1_encoded_public_key(pk, point, len) != 1) {
		EVP_PKEY_free(pk);
		ks->ec[curve] = NULL;
		vci_err_ssl(err, VCI_EXIT_KEY, "invalid_key",
			    "JWK: not a valid EC key (point not on the curve?)");
		return NULL;
	}
	if (EVP_PKEY_up_ref(pk) != 1) {
		vci_err_set(err, VCI_EXIT_KEY, "invalid_key", "JWK: cannot reference the key");
		return NULL;
	}
	return pk;
}

static EVP_PKEY *jwk_ec(const json_t *jwk, int priv, vci_keyslots_t *ks, vci_err_t *err)
{
	const char *crv = jwk_str(jwk, "crv"), *group;
	secret_auto_t x = { 0 }, y = { 0 }, d = { 0 };
	uint8_t point[1 + 2 * 66];
	OSSL_PARAM_BLD *bld = NULL;
	BIGNUM *bn = NULL;
	EVP_PKEY *pk = NULL;
	size_t n;

	if (!crv)
		goto badcrv;
	if (!strcmp(crv, "P-256")) {
		n = 32;
		group = "prime256v1";
	} else if (!strcmp(crv, "P-384")) {
		n = 48;
		group = "secp384r1";
	} else if (!strcmp(crv, "P-521")) {
		n = 66;
		group = "secp521r1";
	} else {
		goto badcrv;
	}
	if (jwk_bytes(jwk, "x", n, &x, err) < 0 || jwk_bytes(jwk, "y", n, &y, err) < 0)
		return NULL;
	point[0] = 0x04;
	memcpy(point + 1, x.buf, n);
	memcpy(point + 1 + n, y.buf, n);
	if (!priv) {
		/* Decoding the uncompressed point (EC_POINT_oct2point) refuses
		 * coordinates not below the field prime and a point not on the
		 * curve; with cofactor 1 and a 0x04 encoding (never the point at
		 * infinity) that is the whole public-key check, so the separate
		 * quick check, which repeats it, is not run again. */
		int curve = n == 32 ? 0 : n == 48 ? 1 : 2;

		return ks ? ec_public_slot(ks, curve, point, 1 + 2 * n, err)
			  : ec_public(curve, point, 1 + 2 * n, err);
	}
	bld = OSSL_PARAM_BLD_new();
	if (!bld ||
	    !OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, group, 0) ||
	    !OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, point, 1 + 2 * n)) {
		vci_err_oom_at(err, "JWK");
		goto out;
	}
	if (priv) {
		if (jwk_bytes(jwk, "d", n, &d, err) < 0)
			goto out;
		bn = BN_secure_new();
		if (!bn || !BN_bin2bn(d.buf, (int)d.len, bn) ||
		    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PRIV_KEY, bn)) {
			vci_err_oom_at(err, "JWK");
			goto out;
		}
	}
	pk = fromdata("EC", bld, priv ? EVP_PKEY_KEYPAIR : EVP_PKEY_PUBLIC_KEY, err);
	if (pk && key_check(pk, priv, err) < 0) {
		EVP_PKEY_free(pk);
		pk = NULL;
	}
out:
	BN_clear_free(bn);
	OSSL_PARAM_BLD_free(bld);
	return pk;
badcrv:
	vci_err_set(err, VCI_EXIT_KEY, "invalid_key",
		    "JWK: EC \"crv\" must be P-256, P-384 or P-521");
	return NULL;
}

static EVP_PKEY *jwk_okp(const json_t *jwk, int priv, vci_err_t *err)
{
	const char *crv = jwk_str(jwk, "crv");
	secret_auto_t x = { 0 }, d = { 0 };
	uint8_t pub[32];
	size_t publen = sizeof pub;
	EVP_PKEY *pk;

	if (!crv || strcmp(crv, "Ed25519")) {
		vci_err_set(err, VCI_EXIT_KEY, "invalid_key",
			    "JWK: OKP \"crv\" %s%s%s is not a signature curve (Ed25519)",
			    crv ? "\"" : "", crv ? crv : "missing", crv ? "\"" : "");
		return NULL;
	}
	if (jwk_bytes(jwk, "x", 32, &x, err) < 0)
		return NULL;
	if (!priv) {
		pk = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, x.buf, x.len);
		if (!pk)
			vci_err_ssl(err, VCI_EXIT_KEY, "invalid_key", "JWK: bad Ed25519 key");
		return pk;
	}
	if (jwk_bytes(jwk, "d", 32, &d, err) < 0)
		return NULL;
	pk = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, d.buf, d.len);
	if (!pk) {
		vci_err_ssl(err, VCI_EXIT_KEY, "invalid_key", "JWK: bad Ed25519 private key");
		return NULL;
	}
	if (EVP_PKEY_get_raw_public_key(pk, pub, &publen) != 1 ||
	    !vci_ct_equal(pub, publen, x.buf, x.len)) {
		EVP_PKEY_free(pk);
		vci_err_set(err, VCI_EXIT_KEY, "invalid_key",
			    "JWK: private key does not match the public key");
		return NULL;
	}
	return pk;
}

static EVP_PKEY *jwk_rsa(const json_t *jwk, int priv, vci_err_t *err)
{
	static const struct { const char *jwk, *param; } privs[] = {
		{ "d", OSSL_PKEY_PARAM_RSA_D },
		{ "p", OSSL_PKEY_PARAM_RSA_FACTOR1 },
		{ "q", OSSL_PKEY_PARAM_RSA_FACTOR2 },
		{ "dp", OSSL_PKEY_PARAM_RSA_EXPONENT1 },
		{ "dq", OSSL_PKEY_PARAM_RSA_EXPONENT2 },
		{ "qi", OSSL_PKEY_PARAM_RSA_COEFFICIENT1 },
	};
	BIGNUM *bns[2 + 6] = { 0 };
	OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
	EVP_PKEY *pk = NULL;
	size_t i, nb = 0;

	if (!bld) {
		vci_err_oom_at(err, "JWK");
		return NULL;
	}
	for (i = 0; i < 2; i++) {
		secret_auto_t b = { 0 };
		const char *name = i ? "e" : "n";

		if (jwk_bytes(jwk, name, 0, &b, err) < 0)
			goto out;
		bns[nb] = BN_bin2bn(b.buf, (int)b.len, NULL);
		if (!bns[nb] || !OSSL_PARAM_BLD_push_BN(bld, i ? OSSL_PKEY_PARAM_RSA_E :
							OSSL_PKEY_PARAM_RSA_N, bns[nb])) {
			vci_err_oom_at(err, "JWK");
			goto out;
		}
		nb++;
	}
	if (BN_num_bits(bns[0]) < 2048) {
		vci_err_set(err, VCI_EXIT_KEY, "invalid_key",
			    "JWK: RSA key of %d bits refused (minimum 2048)", BN_num_bits(bns[0]));
		goto out;
	}
	if (priv) {
		if (json_object_get(jwk, "oth")) {
			vci_err_set(err, VCI_EXIT_KEY, "invalid_key",
				    "JWK: multi-prime RSA keys are not supported");
			goto out;
		}
		for (i = 0; i < sizeof privs / sizeof privs[0]; i++) {
			secret_auto_t b = { 0 };

			if (i > 0 && !json_object_get(jwk, privs[i].jwk))
				break; /* only d: OpenSSL can still use it */
			if (jwk_bytes(jwk, privs[i].jwk, 0, &b, err) < 0)
				goto out;
			bns[nb] = BN_secure_new();
			if (!bns[nb] || !BN_bin2bn(b.buf, (int)b.len, bns[nb]) ||
			    !OSSL_PARAM_BLD_push_BN(bld, privs[i].param, bns[nb])) {
				nb++;
				vci_err_oom_at(err, "JWK");
				goto out;
			}
			nb++;
		}
	}
	pk = fromdata("RSA", bld, priv ? EVP_PKEY_KEYPAIR : EVP_PKEY_PUBLIC_KEY, err);
out:
	for (i = 0; i < nb; i++)
		BN_clear_free(bns[i]);
	OSSL_PARAM_BLD_free(bld);
	return pk;
}

static EVP_PKEY *jwk_to_pkey(const json_t *jwk, int allow_private, vci_keyslots_t *ks,
			     vci_err_t *err)
{
	const char *kty = jwk_str(jwk, "kty"), *use = jwk_str(jwk, "use"), *alg;
	int priv;
	EVP_PKEY *pk;

	if (!json_is_object(jwk)) {
		vci_err_set(err, VCI_EXIT_KEY, "invalid_key", "JWK: not a JSON object");
		return NULL;
	}
	if (!kty) {
		vci_err_set(err, VCI_EXIT_KEY, "invalid_key", "JWK: \"kty\" missing or not a string");
		return NULL;
	}
	priv = vci_jwk_has_private(jwk);
	if (priv && !allow_private) {
		vci_err_set(err, VCI_EXIT_KEY, "invalid_key",
			    "JWK: holds private members where a public key is required");
		return NULL;
	}
	if (json_object_get(jwk, "use") && (!use || strcmp(use, "sig"))) {
		vci_err_set(err, VCI_EXIT_KEY, "invalid_key",
			    "JWK: \"use\" is not \"sig\": not a signature key");
		return NULL;
	}
	if (!strcmp(kty, "EC")) {
		pk = jwk_ec(jwk, priv, ks, err);
	} else if (!strcmp(kty, "OKP")) {
		pk = jwk_okp(jwk, priv, err);
	} else if (!strcmp(kty, "RSA")) {
		pk = jwk_rsa(jwk, priv, err);
	} else {
		vci_err_set(err, VCI_EXIT_KEY, "invalid_key",
			    "JWK: key type \"%s\" is not supported (EC, OKP, RSA)", kty);
		return NULL;
	}
	ERR_clear_error();
	if (!pk)
		return NULL;
	alg = jwk_str(jwk, "alg");
	if (json_object_get(jwk, "alg") && !vci_key_alg_ok(pk, alg)) {
		vci_err_set(err, VCI_EXIT_KEY, "invalid_key",
			    "JWK: \"alg\" does not fit the key");
		EVP_PKEY_free(pk);
		return NULL;
	}
	return pk;
}

EVP_PKEY *vci_jwk_to_pkey(const json_t *jwk, int allow_private, vci_err_t *err)
{
	return jwk_to_pkey(jwk, allow_private, NULL, err);
}

EVP_PKEY *vci_keyslots_jwk(vci_keyslots_t *ks, const json_t *jwk, vci_err_t *err)
{
	return jwk_to_pkey(jwk, 0, ks, err);
}

static int set_b64(json_t *obj, const char *name, const uint8_t *buf, size_t len)
{
	char *s = vci_b64url_encode(buf, len);
	int r;

	if (!s)
		return -1;
	r = json_object_set_new(obj, name, json_string(s));
	free(s);
	return r;
}

static int set_bn(json_t *obj, const char *name, EVP_PKEY *pk, const char *param, int pad)
{
	BIGNUM *bn = NULL;
	uint8_t *buf = NULL;
	int n, r = -1;

	if (EVP_PKEY_get_bn_param(pk, param, &bn) != 1)
		return -1;
	n = pad ? pad : BN_num_bytes(bn);
	if (n <= 0)
		n = 1;
	buf = malloc((size_t)n);
	if (buf && BN_bn2binpad(bn, buf, n) == n)
		r = set_b64(obj, name, buf, (size_t)n);
	free(buf);
	BN_free(bn);
	return r;
}

/* A provider's copy of the public half of a key OpenSSL 3 reads no
 * parameter of (a legacy key, e.g. one held by libp11's engine), or NULL. */
static EVP_PKEY *public_native(EVP_PKEY *pk)
{
	unsigned char *der = NULL;
	const unsigned char *p;
	EVP_PKEY *out = NULL;
	int n = i2d_PUBKEY(pk, &der);

	if (n > 0) {
		p = der;
		out = d2i_PUBKEY(NULL, &p, n);
	}
	OPENSSL_free(der);
	return out;
}

json_t *vci_jwk_from_pkey(EVP_PKEY *pk, vci_err_t *err)
{
	json_auto_t *jwk = json_object();
	EVP_PKEY_auto_t *native = NULL;
	int r = -1;

	if (pk && !EVP_PKEY_get0_provider(pk)) {
		native = public_native(pk);
		if (native)
			pk = native;
	}

	if (!jwk || !pk) {
		vci_err_set(err, VCI_EXIT_KEY, "invalid_key", "JWK: no key");
		return NULL;
	}
	switch (EVP_PKEY_get_base_id(pk)) {
	case EVP_PKEY_EC: {
		int bits = ec_bits(pk), n = (bits + 7) / 8;

		if (!bits)
			break;
		r = json_object_set_new(jwk, "kty", json_string("EC"));
		r |= json_object_set_new(jwk, "crv", json_string(bits == 256 ? "P-256" :
								  bits == 384 ? "P-384" : "P-521"));
		r |= set_bn(jwk, "x", pk, OSSL_PKEY_PARAM_EC_PUB_X, n);
		r |= set_bn(jwk, "y", pk, OSSL_PKEY_PARAM_EC_PUB_Y, n);
		break;
	}
	case EVP_PKEY_ED25519: {
		uint8_t pub[32];
		size_t len = sizeof pub;

		if (EVP_PKEY_get_raw_public_key(pk, pub, &len) != 1 || len != 32)
			break;
		r = json_object_set_new(jwk, "kty", json_string("OKP"));
		r |= json_object_set_new(jwk, "crv", json_string("Ed25519"));
		r |= set_b64(jwk, "x", pub, len);
		break;
	}
	case EVP_PKEY_RSA:
		if (!rsa_ok(pk)) {
			vci_err_set(err, VCI_EXIT_KEY, "invalid_key",
				    "JWK: RSA key of %d bits refused (minimum 2048)",
				    EVP_PKEY_get_bits(pk));
			return NULL;
		}
		r = json_object_set_new(jwk, "kty", json_string("RSA"));
		r |= set_bn(jwk, "n", pk, OSSL_PKEY_PARAM_RSA_N, 0);
		r |= set_bn(jwk, "e", pk, OSSL_PKEY_PARAM_RSA_E, 0);
		break;
	default:
		break;
	}
	ERR_clear_error();
	if (r != 0) {
		vci_err_set(err, VCI_EXIT_KEY, "invalid_key",
			    "JWK: unsupported key (EC P-256/P-384/P-521, Ed25519 or RSA >= 2048)");
		return NULL;
	}
	return json_incref(jwk);
}

/* ---- JWK Sets ---- */

json_t *vci_jwks_load(const char *path, vci_err_t *err)
{
	json_auto_t *set = vci_json_load_file(path, err);
	const json_t *keys, *k;
	size_t i;

	if (!set) {
		set_status(err, VCI_EXIT_KEY);
		return NULL;
	}
	keys = json_object_get(set, "keys");
	if (!json_is_object(set) || !json_is_array(keys) || !json_array_size(keys)) {
		vci_err_set(err, VCI_EXIT_KEY, "invalid_key",
			    "%s: not a JWK Set: expected {\"keys\":[...]} with at least one key", path);
		return NULL;
	}
	json_array_foreach(keys, i, k) {
		const char *kid = jwk_str(k, "kid");
		EVP_PKEY *pk;

		if (!kid || !*kid) {
			vci_err_set(err, VCI_EXIT_KEY, "invalid_key",
				    "%s: keys[%zu]: \"kid\" missing or not a string", path, i);
			return NULL;
		}
		for (size_t j = 0; j < i; j++)
			if (!strcmp(kid, jwk_str(json_array_get(keys, j), "kid"))) {
				vci_err_set(err, VCI_EXIT_KEY, "invalid_key",
					    "%s: keys[%zu]: \"kid\" \"%s\" repeats keys[%zu]",
					    path, i, kid, j);
				return NULL;
			}
		pk = vci_jwk_to_pkey(k, 0, err);
		if (!pk) {
			set_status(err, VCI_EXIT_KEY);
			vci_err_prefix(err, "%s: keys[%zu]", path, i);
			return NULL;
		}
		EVP_PKEY_free(pk);
	}
	return json_incref(set);
}

EVP_PKEY *vci_jwks_key(const json_t *jwks, const char *kid, const char *alg, vci_err_t *err)
{
	const json_t *k;
	size_t i;

	json_array_foreach(json_object_get(jwks, "keys"), i, k) {
		const char *kalg = jwk_str(k, "alg");

		if (!kid || strcmp(kid, jwk_str(k, "kid") ? jwk_str(k, "kid") : ""))
			continue;
		if (alg && kalg && strcmp(alg, kalg)) {
			vci_err_set(err, VCI_EXIT_KEY, "invalid_key",
				    "key \"%s\" is for alg \"%s\", not \"%s\"", kid, kalg, alg);
			return NULL;
		}
		return vci_jwk_to_pkey(k, 0, err);
	}
	vci_err_set(err, VCI_EXIT_KEY, "invalid_key", "no trusted key has \"kid\" \"%.64s\"",
		    kid ? kid : "");
	return NULL;
}

/* Whether a string is base64url text (nothing to escape in JSON). */
static int plain_b64url(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= 'a' && s[i] <= 'z') ||
		      (s[i] >= '0' && s[i] <= '9') || s[i] == '-' || s[i] == '_'))
			return 0;
	return 1;
}

/* SHA-256 fetched once per process (EVP_sha256() fetches it again at
 * every digest). */
static EVP_MD *sha256;
static pthread_once_t sha256_once = PTHREAD_ONCE_INIT;

static void sha256_init(void)
{
	sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
	ERR_clear_error();
}

/* The canonical JSON (RFC 7638 section 3.3) is built in a stack buffer
 * (a heap one if a member is long): key members are base64url, nothing to
 * escape, and are quoted as they are; anything else is escaped by
 * jansson. The buffer is cleansed: an "oct" key's "k" is a secret. */
int vci_jwk_thumbprint(const json_t *jwk, char out[44], vci_err_t *err)
{
	static const char *const ec[] = { "crv", "kty", "x", "y", NULL };
	static const char *const okp[] = { "crv", "kty", "x", NULL };
	static const char *const rsa[] = { "e", "kty", "n", NULL };
	static const char *const oct[] = { "k", "kty", NULL };
	const char *kty = jwk_str(jwk, "kty");
	const char *const *req;
	char stack[512], *canon = stack;
	size_t len = 0, cap = sizeof stack;
	uint8_t md[32];
	unsigned int mdlen = 0;
	int rc = -1;

	if (!kty)
		return vci_err_set(err, VCI_EXIT_KEY, "invalid_key", "JWK: \"kty\" missing");
	if (!strcmp(kty, "EC"))
		req = ec;
	else if (!strcmp(kty, "OKP"))
		req = okp;
	else if (!strcmp(kty, "RSA"))
		req = rsa;
	else if (!strcmp(kty, "oct"))
		req = oct;
	else
		return vci_err_set(err, VCI_EXIT_KEY, "invalid_key",
				   "JWK: key type \"%s\" has no thumbprint definition", kty);
	for (size_t i = 0; req[i]; i++) {
		const json_t *v = json_object_get(jwk, req[i]);
		const char *val;
		char *esc = NULL;
		size_t vlen, nlen = strlen(req[i]), need;

		if (!json_is_string(v)) {
			vci_err_set(err, VCI_EXIT_KEY, "invalid_key",
				    "JWK: \"%s\" missing or not a string", req[i]);
			goto out;
		}
		val = json_string_value(v);
		vlen = json_string_length(v);
		if (!plain_b64url(val, vlen)) {
			esc = vci_json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
			if (!esc)
				goto oom;
			val = esc;
			vlen = strlen(esc);
		}
		/* ,"name":"value" and the closing brace */
		need = len + nlen + vlen + 8;
		if (need > cap) {
			char *nc = need < SIZE_MAX / 2 ? malloc(need * 2) : NULL;

			if (!nc) {
				vci_str_wipe(esc);
				goto oom;
			}
			memcpy(nc, canon, len);
			OPENSSL_cleanse(canon, len);
			if (canon != stack)
				free(canon);
			canon = nc;
			cap = need * 2;
		}
		canon[len++] = i ? ',' : '{';
		canon[len++] = '"';
		memcpy(canon + len, req[i], nlen);
		len += nlen;
		canon[len++] = '"';
		canon[len++] = ':';
		if (!esc)
			canon[len++] = '"';
		memcpy(canon + len, val, vlen);
		len += vlen;
		if (!esc)
			canon[len++] = '"';
		vci_str_wipe(esc);
	}
	canon[len++] = '}';
	if (pthread_once(&sha256_once, sha256_init) != 0 || !sha256 ||
	    EVP_Digest(canon, len, md, &mdlen, sha256, NULL) != 1 || mdlen != 32) {
		vci_err_ssl(err, VCI_EXIT_KEY, "invalid_key", "JWK thumbprint: digest failed");
		goto out;
	}
	vci_b64url_encode_to(out, md, 32);
	out[43] = '\0';
	rc = 0;
	goto out;
oom:
	vci_err_oom_at(err, "JWK thumbprint");
out:
	OPENSSL_cleanse(canon, len);
	if (canon != stack)
		free(canon);
	return rc;
}

/* ---- signing contexts ---- */

int vci_sign_ctx_init(vci_sign_ctx_t *c, EVP_PKEY *key, const char *md_name)
{
	memset(c, 0, sizeof *c);
	if (EVP_PKEY_up_ref(key) != 1)
		return -1;
	c->key = key;
	c->mdctx = EVP_MD_CTX_new();
	if (!c->mdctx)
		return -1;
	if (!md_name)
		return 0;
	c->md = EVP_MD_fetch(NULL, md_name, NULL);
	c->pctx = EVP_PKEY_CTX_new_from_pkey(NULL, key, NULL);
	if (!c->md || !c->pctx || EVP_PKEY_sign_init(c->pctx) != 1 ||
	    EVP_PKEY_CTX_set_signature_md(c->pctx, c->md) != 1)
		return -1;
	return 0;
}

void vci_sign_ctx_free(vci_sign_ctx_t *c)
{
	EVP_PKEY_CTX_free(c->pctx);
	EVP_MD_CTX_free(c->mdctx);
	EVP_MD_free(c->md);
	EVP_PKEY_free(c->key);
	memset(c, 0, sizeof *c);
}
