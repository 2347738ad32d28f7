/* test-keys.c - key loading (plain, DER, encrypted PEM with env:/file:/pass:
 * passphrases, not-a-key files), JWK import/export and RFC 7638
 * thumbprints, alg/key binding, x5c and chain validation. */
#include "base/common.h"
#include "base/b64url.h"
#include "crypto/keys.h"
#include "tap.h"

#include <string.h>
#include <time.h>
#include <unistd.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#define RFC7638_RSA "{\"kty\":\"RSA\",\"n\":\"0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw\",\"e\":\"AQAB\",\"alg\":\"RS256\",\"kid\":\"2011-04-29\"}"
#define A3_PUB "{\"kty\":\"EC\",\"crv\":\"P-256\"," \
	"\"x\":\"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU\"," \
	"\"y\":\"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0\"}"
#define A3_D "jpsQnnGQmL-YBIffH1136cspYG6-0iY7X1fCE9-E9LI"

static char tmpdir[256];

static const char *tmp(const char *name)
{
	static char buf[512];

	snprintf(buf, sizeof buf, "%s/%s", tmpdir, name);
	return buf;
}

static json_t *J(const char *text)
{
	json_t *j = json_loads(text, 0, NULL);

	if (!j)
		tap_diag("bad JSON in test: %s", text);
	return j;
}

static EVP_PKEY *import(const char *text, int priv, vci_err_t *err)
{
	json_auto_t *j = J(text);

	vci_err_clear(err);
	return j ? vci_jwk_to_pkey(j, priv, err) : NULL;
}

static void thumb(const char *text, const char *want, const char *what)
{
	json_auto_t *j = J(text);
	vci_err_t err = { 0 };
	char tp[44] = "";

	tap_ok(j && vci_jwk_thumbprint(j, tp, &err) == 0, "%s: thumbprint computed", what);
	tap_is_str(tp, want, "%s: RFC 7638 thumbprint", what);
}

static void test_thumbprints(void)
{
	thumb(RFC7638_RSA, "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs", "RFC 7638 3.1 RSA");
	thumb("{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo\"}",
	      "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k", "RFC 8037 A.3 Ed25519");
	thumb("{\"kty\":\"EC\",\"x\":\"l8tFrhx-34tV3hRICRDY9zCkDlpBhF42UQUfWVAWBFs\",\"y\":\"9VE4jf_Ok_o64zbTTlcuNJajHmt6v9TDVrU0CdvGRDA\",\"crv\":\"P-256\",\"kid\":\"x\",\"use\":\"sig\"}",
	      "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I", "RFC 9449 DPoP key (optional members ignored)");
	thumb("{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"b28d4MwZMjw8-00CG4xfnn9SLMVMM19SlqZpVb_uNtQ\",\"y\":\"Xv5zWwuoaTgdS6hV43yI6gBwTnjukmFQQnJ_kCxzqk8\"}",
	      "Q5yTSREAbvZL131ynDBhalXJcF9fL0foJlMN8u6ldiY", "RFC 9901 issuer key");
	thumb("{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"TCAER19Zvu3OHF4j4W4vfSVoHIP1ILilDls7vCeGemc\",\"y\":\"ZxjiWWbZMQGHVWKVQ4hbSIirsVfuecCE6t4jT9F2HZQ\"}",
	      "aISfTcr9M_Zd09AXGAAeFxnLbFY6lBa87UN515wm5d4", "RFC 9901 holder key");
	/* a member that needs escaping takes jansson's path: RFC 7638 section 3.3
	 * canonical JSON, here {"k":"a\"b/\u00e9","kty":"oct"} hashed by Python */
	thumb("{\"kty\":\"oct\",\"k\":\"a\\\"b/\u00e9\"}",
	      "c257ulZzrvRPW9Qr0EqR5zWd9K70i5PsCAQLRpAsWQI", "escaped member");
	/* members longer than the stack buffer of the canonical JSON: a 4096-bit
	 * modulus, and an oct key whose "k" needs escaping */
	{
		EVP_PKEY *rsa = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)4096);
		json_auto_t *j = rsa ? vci_jwk_from_pkey(rsa, NULL) : NULL;
		const char *n = json_string_value(json_object_get(j, "n"));
		const char *e = json_string_value(json_object_get(j, "e"));
		char canon[1024] = "", want[44] = "", tp[44] = "";
		uint8_t md[32];
		unsigned int mdlen = 0;

		if (n && e)
			snprintf(canon, sizeof canon, "{\"e\":\"%s\",\"kty\":\"RSA\",\"n\":\"%s\"}", e, n);
		if (EVP_Digest(canon, strlen(canon), md, &mdlen, EVP_sha256(), NULL) == 1)
			vci_b64url_encode_to(want, md, 32);
		tap_ok(n && strlen(n) > 600 && vci_jwk_thumbprint(j, tp, NULL) == 0 &&
		       !strcmp(tp, want), "RSA 4096 thumbprint (canonical JSON of %zu bytes)",
		       strlen(canon));
		EVP_PKEY_free(rsa);
	}
	{
		char k[700], canon[1024], want[44] = "", tp[44] = "";
		uint8_t md[32];
		unsigned int mdlen = 0;
		json_auto_t *j = NULL;

		for (size_t i = 0; i < sizeof k - 1; i++)
			k[i] = i % 7 ? 'a' + (char)(i % 26) : '"';
		k[sizeof k - 1] = '\0';
		j = json_pack("{s:s,s:s}", "kty", "oct", "k", k);
		/* each '"' escaped as \" */
		{
			size_t o = 0;

			o += (size_t)snprintf(canon, sizeof canon, "{\"k\":\"");
			for (size_t i = 0; k[i]; i++) {
				if (k[i] == '"')
					canon[o++] = '\\';
				canon[o++] = k[i];
			}
			snprintf(canon + o, sizeof canon - o, "\",\"kty\":\"oct\"}");
		}
		if (EVP_Digest(canon, strlen(canon), md, &mdlen, EVP_sha256(), NULL) == 1)
			vci_b64url_encode_to(want, md, 32);
		tap_ok(j && vci_jwk_thumbprint(j, tp, NULL) == 0 && !strcmp(tp, want),
		       "long escaped oct thumbprint");
	}
	{
		json_auto_t *j = J("{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"abc\"}");
		vci_err_t err = { 0 };
		char tp[44];

		tap_ok(vci_jwk_thumbprint(j, tp, &err) < 0 && err.status == VCI_EXIT_KEY,
		       "thumbprint refuses a JWK missing y: %s", err.msg);
	}
}

static void test_jwk(void)
{
	vci_err_t err = { 0 };
	EVP_PKEY_auto_t *pub = import(A3_PUB, 0, &err);
	json_auto_t *exported = NULL;
	char_auto_t *txt = NULL;
	char priv[512], bad[512];

	tap_ok(pub != NULL, "EC P-256 public JWK imports");
	tap_is_str(vci_key_default_alg(pub), "ES256", "P-256 default alg");
	exported = vci_jwk_from_pkey(pub, &err);
	txt = exported ? vci_json_dump(exported) : NULL;
	tap_is_str(txt, "{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU\",\"y\":\"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0\"}",
		   "export gives kty, crv, x, y in order");
	tap_ok(!vci_jwk_has_private(exported), "exported JWK is public");

	snprintf(priv, sizeof priv, "%.*s,\"d\":\"%s\"}", (int)strlen(A3_PUB) - 1, A3_PUB, A3_D);
	tap_ok(import(priv, 0, &err) == NULL && err.status == VCI_EXIT_KEY &&
	       strstr(err.msg, "private"), "JWK with d refused when private is not allowed: %s",
	       err.msg);
	{
		EVP_PKEY_auto_t *k = import(priv, 1, &err);

		tap_ok(k != NULL, "JWK with d imports when allowed");
	}
	/* d of another key: pairwise check */
	snprintf(bad, sizeof bad, "%.*s,\"d\":\"%s\"}", (int)strlen(A3_PUB) - 1, A3_PUB,
		 "nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A");
	tap_ok(import(bad, 1, &err) == NULL && err.status == VCI_EXIT_KEY,
	       "EC d that does not match x,y refused: %s", err.msg);

	/* off-curve point: y + 1 in the last byte */
	tap_ok(import("{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU\",\"y\":\"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a4\"}", 0, &err) == NULL &&
	       err.status == VCI_EXIT_KEY, "off-curve point refused: %s", err.msg);
	/* coordinate not below the field prime: x = 2^256 - 1 */
	tap_ok(import("{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"__________________________________________8\",\"y\":\"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0\"}", 0, &err) == NULL &&
	       err.status == VCI_EXIT_KEY && strstr(err.msg, "not a valid EC key"),
	       "x above the field prime refused: %s", err.msg);
	tap_ok(import("{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU\",\"y\":\"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0\"}", 0, &err) == NULL,
	       "x of the wrong length refused: %s", err.msg);
	tap_ok(import("{\"kty\":\"EC\",\"crv\":\"P-384\",\"x\":\"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU\",\"y\":\"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0\"}", 0, &err) == NULL,
	       "P-256 coordinates under crv P-384 refused");
	tap_ok(import("{\"kty\":\"EC\",\"crv\":\"secp256k1\",\"x\":\"AA\",\"y\":\"AA\"}", 0, &err) == NULL,
	       "secp256k1 refused: %s", err.msg);
	tap_ok(import("{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU=\",\"y\":\"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0\"}", 0, &err) == NULL,
	       "padded base64url in x refused");
	tap_ok(import("{\"kty\":\"oct\",\"k\":\"AAAA\"}", 1, &err) == NULL, "oct key refused");
	tap_ok(import("{\"kty\":\"OKP\",\"crv\":\"X25519\",\"x\":\"3p7bfXt9wbTTW2HC7OQ1Nz-DQ8hbeGdNrfx-FG-IK08\"}", 0, &err) == NULL,
	       "X25519 refused as a signing key: %s", err.msg);
	tap_ok(import("{\"kty\":\"EC\",\"use\":\"enc\",\"crv\":\"P-256\",\"x\":\"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU\",\"y\":\"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0\"}", 0, &err) == NULL,
	       "use enc refused: %s", err.msg);
	tap_ok(import("{\"kty\":\"EC\",\"alg\":\"ES384\",\"crv\":\"P-256\",\"x\":\"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU\",\"y\":\"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0\"}", 0, &err) == NULL,
	       "JWK alg that does not fit the key refused: %s", err.msg);
	tap_ok(import("[1]", 0, &err) == NULL, "non-object refused");
	tap_ok(import("{\"crv\":\"P-256\"}", 0, &err) == NULL, "missing kty refused");

	/* Ed25519 */
	{
		EVP_PKEY_auto_t *ed = import("{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"d\":\"nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A\",\"x\":\"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo\"}", 1, &err);
		json_auto_t *e = ed ? vci_jwk_from_pkey(ed, &err) : NULL;
		char_auto_t *s = e ? vci_json_dump(e) : NULL;

		tap_is_str(s, "{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo\"}",
			   "Ed25519 private JWK imports; public export");
		tap_is_str(ed ? vci_key_default_alg(ed) : NULL, "EdDSA", "Ed25519 default alg");
		tap_ok(import("{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"d\":\"nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A\",\"x\":\"O2onvM62pC1io6jQKm8Nc2UyFXcd4kOmOsBIoYtZ2ik\"}", 1, &err) == NULL,
		       "Ed25519 d not matching x refused: %s", err.msg);
	}
	/* RSA */
	{
		EVP_PKEY_auto_t *rsa = import(RFC7638_RSA, 0, &err);
		EVP_PKEY_auto_t *small = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)1024);
		EVP_PKEY_auto_t *big = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
		json_auto_t *sj = NULL, *bj = NULL, *back = NULL;
		EVP_PKEY_auto_t *bk = NULL;

		tap_ok(rsa != NULL, "RFC 7638 RSA JWK (2048 bits, alg RS256) imports");
		tap_is_str(rsa ? vci_key_default_alg(rsa) : NULL, "PS256", "RSA default alg is PS256");
		tap_ok(vci_jwk_from_pkey(small, &err) == NULL && err.status == VCI_EXIT_KEY,
		       "RSA 1024 export refused: %s", err.msg);
		bj = vci_jwk_from_pkey(big, &err);
		tap_ok(bj && json_object_size(bj) == 3, "RSA 2048 export has kty, n, e");
		bk = bj ? vci_jwk_to_pkey(bj, 0, &err) : NULL;
		tap_ok(bk && EVP_PKEY_eq(bk, big) == 1, "RSA JWK round trip");
		{
			/* build a 1024-bit JWK by hand from the small key */
			BIGNUM *n = NULL, *e = NULL;
			uint8_t nb[128], eb[8];
			char_auto_t *ns = NULL, *es = NULL;
			char buf[512];

			EVP_PKEY_get_bn_param(small, "n", &n);
			EVP_PKEY_get_bn_param(small, "e", &e);
			BN_bn2bin(n, nb);
			ns = vci_b64url_encode(nb, (size_t)BN_num_bytes(n));
			BN_bn2bin(e, eb);
			es = vci_b64url_encode(eb, (size_t)BN_num_bytes(e));
			snprintf(buf, sizeof buf, "{\"kty\":\"RSA\",\"n\":\"%s\",\"e\":\"%s\"}", ns, es);
			BN_free(n);
			BN_free(e);
			tap_ok(import(buf, 0, &err) == NULL && strstr(err.msg, "1024"),
			       "RSA 1024 JWK refused: %s", err.msg);
		}
		(void)sj;
		(void)back;
	}
	/* P-521 and P-384: fixed-width coordinates, leading zeros kept */
	{
		int ok = 1, short_seen = 0;

		for (int i = 0; i < 8; i++) {
			EVP_PKEY_auto_t *k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-521");
			json_auto_t *j = vci_jwk_from_pkey(k, &err);
			BIGNUM *x = NULL;
			EVP_PKEY_auto_t *back = NULL;

			EVP_PKEY_get_bn_param(k, "qx", &x);
			if (x && BN_num_bytes(x) < 66)
				short_seen = 1;
			BN_free(x);
			if (!j || strlen(json_string_value(json_object_get(j, "x"))) != 88 ||
			    strlen(json_string_value(json_object_get(j, "y"))) != 88)
				ok = 0;
			back = j ? vci_jwk_to_pkey(j, 0, &err) : NULL;
			if (!back || EVP_PKEY_eq(back, k) != 1)
				ok = 0;
		}
		tap_ok(ok, "P-521: x and y always 66 bytes and round trip%s",
		       short_seen ? " (a short coordinate was seen)" : "");
	}
	{
		EVP_PKEY_auto_t *k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-384");
		json_auto_t *j = vci_jwk_from_pkey(k, &err);

		tap_ok(j && !strcmp(json_string_value(json_object_get(j, "crv")), "P-384") &&
		       strlen(json_string_value(json_object_get(j, "x"))) == 64, "P-384 export");
		tap_is_str(vci_key_default_alg(k), "ES384", "P-384 default alg");
		tap_ok(vci_key_alg_ok(k, "ES384") && !vci_key_alg_ok(k, "ES256") &&
		       !vci_key_alg_ok(k, "EdDSA"), "alg/key binding for P-384");
	}
	tap_is_int(vci_cose_alg_from_jose("ES256"), -7, "COSE ES256");
	tap_is_int(vci_cose_alg_from_jose("EdDSA"), -8, "COSE EdDSA");
	tap_is_int(vci_cose_alg_from_jose("RS256"), -257, "COSE RS256");
	tap_is_int(vci_cose_alg_from_jose("HS256"), 0, "COSE HS256 none");
}

static int write_key(const char *name, EVP_PKEY *pk, const EVP_CIPHER *enc, const char *pass,
		     int der)
{
	FILE *f = fopen(tmp(name), "wb");
	int ok;

	if (!f)
		return 0;
	if (der)
		ok = i2d_PrivateKey_fp(f, pk) > 0;
	else if (enc)
		ok = PEM_write_PKCS8PrivateKey(f, pk, enc, NULL, 0, NULL, (void *)pass) == 1;
	else
		ok = PEM_write_PrivateKey(f, pk, NULL, NULL, 0, NULL, NULL) == 1;
	fclose(f);
	return ok;
}

static void write_text(const char *name, const char *text)
{
	FILE *f = fopen(tmp(name), "w");

	if (f) {
		fputs(text, f);
		fclose(f);
	}
}

static int load(const char *name, const char *pass, vci_err_t *err)
{
	EVP_PKEY *pk;

	vci_err_clear(err);
	pk = vci_key_load_private(name[0] == '/' || strchr(name, ':') ? name : tmp(name), pass, err);
	EVP_PKEY_free(pk);
	return pk ? 0 : -1;
}

static void test_files(void)
{
	EVP_PKEY_auto_t *p256 = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	EVP_PKEY_auto_t *ed = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	vci_err_t err = { 0 };
	char spec[600], uri[600];

	tap_ok(write_key("p256.pem", p256, NULL, NULL, 0) && write_key("p256.der", p256, NULL, NULL, 1) &&
	       write_key("ed.pem", ed, NULL, NULL, 0) &&
	       write_key("enc.pem", p256, EVP_aes_256_cbc(), "s3cret pass", 0),
	       "key files written");
	write_text("pass.txt", "s3cret pass\nsecond line\n");
	write_text("wrong.txt", "nope\n");
	write_text("notakey.pem", "hello, this is not a key\n");

	tap_is_int(load("p256.pem", NULL, &err), 0, "plain PEM loads");
	tap_is_int(load("p256.der", NULL, &err), 0, "DER loads");
	tap_is_int(load("ed.pem", NULL, &err), 0, "Ed25519 PEM loads");
	snprintf(uri, sizeof uri, "file:%s", tmp("p256.pem"));
	tap_is_int(load(uri, NULL, &err), 0, "file: URI loads");

	tap_is_int(load("enc.pem", "pass:s3cret pass", &err), 0, "encrypted PEM with pass:");
	setenv("VCI_TEST_PASS", "s3cret pass", 1);
	setenv("VCI_TEST_WRONG", "wrong", 1);
	tap_is_int(load("enc.pem", "env:VCI_TEST_PASS", &err), 0, "encrypted PEM with env: (right)");
	tap_ok(load("enc.pem", "env:VCI_TEST_WRONG", &err) < 0 && err.status == VCI_EXIT_KEY &&
	       strstr(err.msg, "bad passphrase"), "env: wrong passphrase: %s", err.msg);
	tap_ok(load("enc.pem", "env:VCI_TEST_UNSET_VAR", &err) < 0 && err.status == VCI_EXIT_KEY,
	       "env: unset variable: %s", err.msg);
	snprintf(spec, sizeof spec, "file:%s", tmp("pass.txt"));
	tap_is_int(load("enc.pem", spec, &err), 0, "encrypted PEM with file: (first line)");
	snprintf(spec, sizeof spec, "file:%s", tmp("wrong.txt"));
	tap_ok(load("enc.pem", spec, &err) < 0 && err.status == VCI_EXIT_KEY &&
	       strstr(err.msg, "enc.pem: bad passphrase"), "file: wrong passphrase: %s", err.msg);
	snprintf(spec, sizeof spec, "file:%s", tmp("missing.txt"));
	tap_ok(load("enc.pem", spec, &err) < 0 && err.status == VCI_EXIT_KEY,
	       "file: missing passphrase file: %s", err.msg);
	tap_ok(load("enc.pem", NULL, &err) < 0 && err.status == VCI_EXIT_KEY &&
	       strstr(err.msg, "passphrase"), "encrypted PEM without passphrase: %s", err.msg);
	tap_ok(load("notakey.pem", NULL, &err) < 0 && err.status == VCI_EXIT_KEY &&
	       strstr(err.msg, "notakey.pem: not a private key"), "not a key: %s", err.msg);
	tap_ok(load("absent.pem", NULL, &err) < 0 && err.status == VCI_EXIT_KEY &&
	       strstr(err.msg, "absent.pem"), "missing file: %s", err.msg);
	tap_ok(load("p256.pem", "bogus:x", &err) < 0, "bad --pass spec refused: %s", err.msg);
	{
		char *p = vci_pass_read(spec[0] ? "pass:abc" : "", &err);

		tap_is_str(p, "abc", "pass: spec");
		vci_str_wipe(p);
		snprintf(spec, sizeof spec, "file:%s", tmp("pass.txt"));
		p = vci_pass_read(spec, &err);
		tap_is_str(p, "s3cret pass", "file: spec reads the first line only");
		vci_str_wipe(p);
	}
	/* public keys */
	{
		FILE *f = fopen(tmp("pub.pem"), "w");
		EVP_PKEY_auto_t *pk = NULL;
		json_auto_t *j = vci_jwk_from_pkey(p256, &err);

		PEM_write_PUBKEY(f, p256);
		fclose(f);
		tap_is_int(load("pub.pem", NULL, &err), -1, "a public key is not a private key");
		tap_ok(strstr(err.msg, "not a private key") != NULL, "message: %s", err.msg);
		pk = vci_key_load_public(tmp("pub.pem"), &err);
		tap_ok(pk && EVP_PKEY_eq(pk, p256) == 1, "public PEM loads as public key");
		EVP_PKEY_free(pk);
		pk = vci_key_load_public(tmp("p256.pem"), &err);
		tap_ok(pk && EVP_PKEY_eq(pk, p256) == 1, "private PEM loads as public key");
		EVP_PKEY_free(pk);
		json_dump_file(j, tmp("pub.jwk"), 0);
		pk = vci_key_load_public(tmp("pub.jwk"), &err);
		tap_ok(pk && EVP_PKEY_eq(pk, p256) == 1, "JWK file loads as public key");
		EVP_PKEY_free(pk);
		pk = vci_key_load_public(tmp("notakey.pem"), &err);
		tap_ok(!pk && err.status == VCI_EXIT_KEY, "not a key (public): %s", err.msg);
	}
}

static void test_x509(void)
{
	vci_err_t err = { 0 };
	size_t len;
	char *buf = tap_slurp(tap_srcpath("tests/vectors/oid4vci-1.0-I.2-wallet-attestation.jwt"), &len);
	char *dot = buf ? strchr(buf, '.') : NULL;
	json_auto_t *hdr = NULL, *again = NULL;
	STACK_OF(X509) *chain = NULL, *loaded = NULL;
	X509 *leaf;
	struct tm tm;
	time_t nb = 0;
	FILE *f;

	if (dot)
		hdr = vci_b64url_decode_json(buf, (size_t)(dot - buf), "header", &err);
	free(buf);
	chain = vci_x5c_parse(json_object_get(hdr, "x5c"), &err);
	tap_ok(chain && sk_X509_num(chain) >= 1, "x5c of the I.2 attestation parses");
	if (!chain)
		return;
	again = vci_x5c_from_chain(chain);
	tap_ok(again && json_equal(again, json_object_get(hdr, "x5c")), "x5c round trip is byte-exact");
	leaf = sk_X509_value(chain, 0);
	f = fopen(tmp("ca.pem"), "w");
	PEM_write_X509(f, leaf);
	fclose(f);
	loaded = vci_x509_load_chain(tmp("ca.pem"), &err);
	tap_ok(loaded && sk_X509_num(loaded) == 1 && X509_cmp(sk_X509_value(loaded, 0), leaf) == 0,
	       "PEM chain loads");
	sk_X509_pop_free(loaded, X509_free);
	if (ASN1_TIME_to_tm(X509_get0_notBefore(leaf), &tm) == 1)
		nb = timegm(&tm);
	tap_is_int(vci_x509_verify(chain, tmp("ca.pem"), nb + 3600, &err), 0,
		   "self-signed chain validates against itself as anchor: %s", err.msg);
	tap_ok(vci_x509_verify(chain, tmp("ca.pem"), nb - 86400, &err) < 0 &&
	       err.status == VCI_EXIT_KEY, "not yet valid: %s", err.msg);
	/* anchors are read once per process: gone from disk, still trusted */
	rename(tmp("ca.pem"), tmp("ca.pem.away"));
	tap_is_int(vci_x509_verify(chain, tmp("ca.pem"), nb + 3600, &err), 0,
		   "trust anchors are kept after the first load: %s", err.msg);
	rename(tmp("ca.pem.away"), tmp("ca.pem"));
	tap_ok(vci_x509_verify(chain, tmp("no-such-ca.pem"), nb + 3600, &err) < 0 &&
	       err.status == VCI_EXIT_KEY && strstr(err.msg, "cannot load trust anchors"),
	       "a missing anchor file is a key error: %s", err.msg);
	{
		EVP_PKEY_auto_t *other = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");

		tap_ok(vci_x509_matches_key(leaf, X509_get0_pubkey(leaf)), "leaf matches its key");
		tap_ok(!vci_x509_matches_key(leaf, other), "leaf does not match another key");
	}
	{
		char *ca = strdup(tmp("ca.pem"));
		STACK_OF(X509) *sig = vci_x509_load_chain(tap_srcpath("tests/vectors/README.md"), &err);

		tap_ok(!sig && err.status == VCI_EXIT_KEY, "a non-certificate file: %s", err.msg);
		/* wrong anchor */
		{
			EVP_PKEY_auto_t *k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
			X509 *x = X509_new();
			X509_NAME *n = X509_NAME_new();

			X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC, (const uint8_t *)"other", -1, -1, 0);
			X509_set_version(x, 2);
			ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
			X509_set_subject_name(x, n);
			X509_set_issuer_name(x, n);
			X509_gmtime_adj(X509_getm_notBefore(x), -86400);
			X509_gmtime_adj(X509_getm_notAfter(x), 86400);
			X509_set_pubkey(x, k);
			X509_sign(x, k, EVP_sha256());
			f = fopen(tmp("other.pem"), "w");
			PEM_write_X509(f, x);
			fclose(f);
			X509_NAME_free(n);
			X509_free(x);
			tap_ok(vci_x509_verify(chain, tmp("other.pem"), nb + 3600, &err) < 0,
			       "wrong trust anchor refused: %s", err.msg);
		}
		free(ca);
	}
	sk_X509_pop_free(chain, X509_free);
}

/* JWK Sets of trusted keys: shape, kid, public keys only. */
static void test_jwks(void)
{
	static const char pub1[] = "\"kty\":\"EC\",\"crv\":\"P-256\","
		"\"x\":\"l8tFrhx-34tV3hRICRDY9zCkDlpBhF42UQUfWVAWBFs\","
		"\"y\":\"9VE4jf_Ok_o64zbTTlcuNJajHmt6v9TDVrU0CdvGRDA\"";
	static const struct { const char *text, *msg, *what; } bad[] = {
		{ "[]", "not a JWK Set", "an array" },
		{ "{\"keys\":[]}", "not a JWK Set", "no keys" },
		{ "{\"keys\":[{@}]}", "\"kid\" missing", "a key without kid" },
		{ "{\"keys\":[{@,\"kid\":\"a\"},{@,\"kid\":\"a\"}]}", "repeats keys[0]",
		  "a repeated kid" },
		{ "{\"keys\":[{@,\"kid\":\"a\",\"d\":\"AAAA\"}]}", "private", "a private key" },
		{ "{\"keys\":[{@,\"kid\":\"a\",\"use\":\"enc\"}]}", "not \"sig\"",
		  "an encryption key" },
	};
	vci_err_t err = { 0 };
	char text[600];

	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		json_t *set;

		size_t o = 0;

		for (const char *c = bad[i].text; *c && o < sizeof text - sizeof pub1; c++) {
			if (*c == '@') {
				memcpy(text + o, pub1, sizeof pub1 - 1);
				o += sizeof pub1 - 1;
			} else {
				text[o++] = *c;
			}
		}
		text[o] = '\0';
		write_text("bad.jwks", text);
		vci_err_clear(&err);
		set = vci_jwks_load(tmp("bad.jwks"), &err);
		tap_ok(!set && err.status == VCI_EXIT_KEY && strstr(err.msg, bad[i].msg),
		       "JWK Set with %s refused: %s", bad[i].what, err.msg);
		json_decref(set);
	}
	snprintf(text, sizeof text,
		 "{\"keys\":[{%s,\"kid\":\"k1\",\"alg\":\"ES256\"},{\"kty\":\"OKP\","
		 "\"crv\":\"Ed25519\",\"x\":\"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo\","
		 "\"kid\":\"k2\"}]}", pub1);
	write_text("good.jwks", text);
	{
		json_auto_t *set = vci_jwks_load(tmp("good.jwks"), &err);
		EVP_PKEY_auto_t *k1 = set ? vci_jwks_key(set, "k1", "ES256", &err) : NULL;
		EVP_PKEY_auto_t *k2 = set ? vci_jwks_key(set, "k2", "EdDSA", &err) : NULL;
		EVP_PKEY_auto_t *k3 = NULL;

		tap_ok(set != NULL, "JWK Set loads: %s", err.msg);
		tap_ok(k1 && EVP_PKEY_is_a(k1, "EC"), "key k1 found");
		tap_ok(k2 && EVP_PKEY_is_a(k2, "ED25519"), "key k2 found");
		k3 = vci_jwks_key(set, "k3", "ES256", &err);
		tap_ok(!k3 && strstr(err.msg, "no trusted key has \"kid\" \"k3\""),
		       "unknown kid: %s", err.msg);
		k3 = vci_jwks_key(set, "k1", "ES384", &err);
		tap_ok(!k3 && strstr(err.msg, "is for alg \"ES256\""), "alg of the key kept: %s",
		       err.msg);
	}
}

/* Reused public keys: the same checks and messages as vci_jwk_to_pkey, one
 * key object per curve whose point is replaced, and a refused point never
 * left on a key. */
static EVP_PKEY *slot_import(vci_keyslots_t *ks, const char *text, vci_err_t *err)
{
	json_auto_t *j = J(text);

	vci_err_clear(err);
	return j ? vci_keyslots_jwk(ks, j, err) : NULL;
}

static void same_refusal(vci_keyslots_t *ks, const char *text, const char *what)
{
	vci_err_t e1 = { 0 }, e2 = { 0 };
	EVP_PKEY *a = import(text, 0, &e1), *b = slot_import(ks, text, &e2);

	tap_ok(!a && !b && e1.status == e2.status && !strcmp(e1.code, e2.code) &&
	       !strcmp(e1.msg, e2.msg), "keyslots: %s refused as by vci_jwk_to_pkey: %s", what,
	       e2.msg);
	EVP_PKEY_free(a);
	EVP_PKEY_free(b);
}

static char *jwk_text(EVP_PKEY *pk)
{
	json_auto_t *j = vci_jwk_from_pkey(pk, NULL);

	return j ? vci_json_dump(j) : NULL;
}

static void test_keyslots(void)
{
	static const char dpop_key[] = "{\"kty\":\"EC\",\"x\":\"l8tFrhx-34tV3hRICRDY9zCkDlpBhF42UQUfWVAWBFs\",\"y\":\"9VE4jf_Ok_o64zbTTlcuNJajHmt6v9TDVrU0CdvGRDA\",\"crv\":\"P-256\"}";
	static const char *const bad[][2] = {
		{ "{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU\",\"y\":\"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a4\"}",
		  "off-curve point" },
		{ "{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"__________________________________________8\",\"y\":\"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0\"}",
		  "x above the field prime" },
		{ "{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU\",\"y\":\"__________________________________________8\"}",
		  "y above the field prime" },
		{ "{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"zc4ncPbEXUGDy-5v20t7WAczNXvp7xO6z248e9FURQ\",\"y\":\"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0\"}",
		  "x of 31 bytes" },
		/* a compressed point (02 || x) where x belongs */
		{ "{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"An_Nzidw9sRdQYPL7m_bS3tYBzM1e-nvE7rPbjx70VRF\",\"y\":\"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0\"}",
		  "x of 33 bytes (compressed form)" },
		{ "{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU\"}",
		  "y missing" },
		{ "{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU\",\"y\":\"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0AA\"}",
		  "y of 1 mod 4 base64url characters" },
		{ "{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEV\",\"y\":\"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0\"}",
		  "x with non-zero trailing bits" },
		{ "{\"kty\":\"EC\",\"crv\":\"P-384\",\"x\":\"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU\",\"y\":\"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0\"}",
		  "P-256 coordinates under crv P-384" },
		{ "{\"kty\":\"EC\",\"crv\":\"secp256k1\",\"x\":\"AA\",\"y\":\"AA\"}", "secp256k1" },
		{ "{\"kty\":\"EC\",\"alg\":\"ES384\",\"crv\":\"P-256\",\"x\":\"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU\",\"y\":\"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0\"}",
		  "alg that does not fit" },
		{ "{\"kty\":\"EC\",\"use\":\"enc\",\"crv\":\"P-256\",\"x\":\"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU\",\"y\":\"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0\"}",
		  "use enc" },
		{ "{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU\",\"y\":\"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0\",\"d\":\"" A3_D "\"}",
		  "private member" },
		{ "{\"kty\":\"OKP\",\"crv\":\"X25519\",\"x\":\"3p7bfXt9wbTTW2HC7OQ1Nz-DQ8hbeGdNrfx-FG-IK08\"}",
		  "X25519" },
		{ "[1]", "not an object" },
	};
	vci_keyslots_t *ks = vci_keyslots_new();
	vci_err_t err = { 0 };
	EVP_PKEY *a3 = import(A3_PUB, 0, &err), *dp = import(dpop_key, 0, &err);
	EVP_PKEY *k1, *k2;

	tap_ok(ks != NULL, "keyslots: a set is made");
	k1 = slot_import(ks, A3_PUB, &err);
	tap_ok(k1 && EVP_PKEY_eq(k1, a3) == 1, "keyslots: P-256 key imports: %s", err.msg);
	tap_is_str(vci_key_default_alg(k1), "ES256", "keyslots: P-256 key is for ES256");
	EVP_PKEY_free(k1);
	k2 = slot_import(ks, dpop_key, &err);
	tap_ok(k2 && k2 == k1, "keyslots: the next P-256 key is the same key object");
	tap_ok(k2 && EVP_PKEY_eq(k2, dp) == 1 && EVP_PKEY_eq(k2, a3) != 1,
	       "keyslots: ... holding the new point");
	EVP_PKEY_free(k2);
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		same_refusal(ks, bad[i][0], bad[i][1]);
		k1 = slot_import(ks, A3_PUB, &err);
		tap_ok(k1 && EVP_PKEY_eq(k1, a3) == 1,
		       "keyslots: after the refusal (%s) a good key imports", bad[i][1]);
		EVP_PKEY_free(k1);
	}
	EVP_PKEY_free(a3);
	EVP_PKEY_free(dp);

	/* the other curves and key types */
	{
		static const char *const types[][2] = {
			{ "EC", "P-384" }, { "EC", "P-521" }, { "ED25519", NULL }, { "RSA", "2048" },
		};

		for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
			for (int round = 0; round < 2; round++) {
				EVP_PKEY *g = !strcmp(types[i][0], "EC") ?
					EVP_PKEY_Q_keygen(NULL, NULL, "EC", types[i][1]) :
					!strcmp(types[i][0], "RSA") ?
					EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048) :
					EVP_PKEY_Q_keygen(NULL, NULL, types[i][0]);
				char_auto_t *txt = g ? jwk_text(g) : NULL;
				EVP_PKEY *k = txt ? slot_import(ks, txt, &err) : NULL;

				tap_ok(k && EVP_PKEY_eq(k, g) == 1,
				       "keyslots: %s %s key imports (key %d): %s", types[i][0],
				       types[i][1] ? types[i][1] : "", round + 1, err.msg);
				EVP_PKEY_free(k);
				EVP_PKEY_free(g);
			}
		}
	}
	vci_keyslots_free(ks);
	vci_keyslots_free(NULL);
}

/* A self-signed P-256 certificate valid from now + from_s to now + to_s. */
static X509 *cert_between(long from_s, long to_s)
{
	EVP_PKEY *k = EVP_EC_gen("P-256");
	X509 *c = X509_new();

	if (!k || !c)
		goto fail;
	X509_set_version(c, 2);
	X509_gmtime_adj(X509_getm_notBefore(c), from_s);
	X509_gmtime_adj(X509_getm_notAfter(c), to_s);
	X509_NAME_add_entry_by_txt(X509_get_subject_name(c), "CN", MBSTRING_ASC,
				   (const unsigned char *)"Validity", -1, -1, 0);
	X509_set_issuer_name(c, X509_get_subject_name(c));
	if (!X509_set_pubkey(c, k) || !X509_sign(c, k, EVP_sha256()))
		goto fail;
	EVP_PKEY_free(k);
	return c;
fail:
	EVP_PKEY_free(k);
	X509_free(c);
	return NULL;
}

/* A signing chain is judged at the time of signing, every certificate. */
static void test_chain_current(void)
{
	STACK_OF(X509) *chain = sk_X509_new_null();
	X509 *now_ok = cert_between(-60, 30 * 86400), *root = cert_between(-60, 10 * 86400);
	int64_t now = (int64_t)time(NULL);
	vci_err_t err = { 0 };

	sk_X509_push(chain, now_ok);
	tap_ok(vci_x509_chain_current(chain, now, &err) == 0, "a current certificate signs");
	tap_ok(vci_x509_chain_current(chain, now + 40 * 86400, &err) < 0 &&
	       err.status == VCI_EXIT_KEY && !strcmp(err.code, "invalid_certificate") &&
	       strstr(err.msg, "certificate \"/CN=Validity\" expired at "),
	       "expired: %s", err.msg);
	tap_ok(vci_x509_chain_current(chain, now - 86400, &err) < 0 &&
	       strstr(err.msg, "is not valid before "), "not yet valid: %s", err.msg);
	tap_ok(vci_x509_chain_not_after(chain) >= now + 30 * 86400 - 5 &&
	       vci_x509_chain_not_after(chain) <= now + 30 * 86400 + 5, "notAfter in seconds");
	sk_X509_push(chain, root);
	tap_ok(vci_x509_chain_not_after(chain) <= now + 10 * 86400 + 5,
	       "the chain's earliest notAfter");
	tap_ok(vci_x509_chain_current(chain, now + 20 * 86400, &err) < 0,
	       "a certificate further up that expired: %s", err.msg);
	sk_X509_pop(chain);
	sk_X509_pop(chain);
	tap_ok(vci_x509_chain_not_after(chain) == INT64_MAX, "an empty chain: no end");
	sk_X509_free(chain);
	X509_free(now_ok);
	X509_free(root);
}

/* A PIN in a key URI never reaches a message (RFC 7512 pin-value and
 * pin-source), whatever the error and however short the buffer. */
static void redact(const char *in, size_t cap, const char *want)
{
	char buf[256];

	snprintf(buf, sizeof buf, "%s", in);
	vci_redact_pins(buf, cap);
	tap_is_str(buf, want, "redacted in %zu bytes: %s", cap, in);
}

static void test_pins(void)
{
	vci_err_t err = { 0 };
	EVP_PKEY *pk;

	redact("pkcs11:token=t;pin-value=1234: cannot open", 256,
	       "pkcs11:token=t;pin-value=***: cannot open");
	redact("pkcs11:token=t;object=k?pin-source=file:/run/pin&module-path=/m.so", 256,
	       "pkcs11:token=t;object=k?pin-source=***&module-path=/m.so");
	redact("PKCS11:Token=t;PIN-VALUE=12:34 (x)", 256, "PKCS11:Token=t;PIN-VALUE=*** (x)");
	redact("a pin-value=1 and pin-value=\"22\" end", 256,
	       "a pin-value=*** and pin-value=***\"22\" end");
	redact("pin-value=1", 256, "pin-value=***");
	redact("key pin-value=1: why", 18, "key pin-value=***");
	redact("key pin-value=1", 16, "key pin-value=");
	redact("no pin here", 256, "no pin here");

	vci_err_set(&err, 4, "invalid_key", "%s: bad", "pkcs11:object=k;pin-value=s3cret");
	tap_ok(!strstr(err.msg, "s3cret"), "vci_err_set masks the PIN: %s", err.msg);
	vci_err_prefix(&err, "--key pkcs11:pin-source=/run/s3cret");
	tap_ok(!strstr(err.msg, "s3cret"), "vci_err_prefix masks the PIN: %s", err.msg);

	/* Whether or not a token, a module or libp11's engine is present,
	 * the PIN of the URI stays out of the message. */
	vci_err_clear(&err);
	pk = vci_key_load_private("pkcs11:token=vci-no-such-token;object=k;pin-value=s3cret",
				  NULL, &err);
	tap_ok(!pk && err.status == VCI_EXIT_KEY, "a key on a missing token: exit 4 (%s)",
	       err.msg);
	tap_ok(!strstr(err.msg, "s3cret"), "its message does not show the PIN");
	EVP_PKEY_free(pk);
	vci_err_clear(&err);
	pk = vci_key_load_private("pkcs11:token=vci-no-such-token;object=k", "pass:s3cret", &err);
	tap_ok(!pk && !strstr(err.msg, "s3cret"), "nor a PIN from `pass`: %s", err.msg);
	EVP_PKEY_free(pk);
}

int main(void)
{
	snprintf(tmpdir, sizeof tmpdir, "%s/vci-test-keys-XXXXXX",
		 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		return 1;
	}
	test_thumbprints();
	test_jwk();
	test_keyslots();
	test_files();
	test_x509();
	test_jwks();
	test_pins();
	test_chain_current();
	{
		char cmd[600];

		snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
		if (system(cmd) != 0)
			tap_diag("could not remove %s", tmpdir);
	}
	return tap_done();
}
