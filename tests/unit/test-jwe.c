/* test-jwe.c - JWE (ECDH-ES, A128GCM/A256GCM): the RFC 7518 Appendix C
 * key agreement vector, round trips on every curve and enc, the header
 * we emit, and refusals (parameters we do not support, tampering,
 * another recipient, malformed tokens). */
#include "base/common.h"
#include "base/b64url.h"
#include "crypto/jwe.h"
#include "crypto/keys.h"
#include "tap.h"

#include <string.h>
#include <openssl/evp.h>

/* RFC 7518 Appendix C: Alice's ephemeral key, Bob's static key, apu
 * "Alice", apv "Bob", A128GCM: the derived key. */
#define C_ALICE "{\"kty\":\"EC\",\"crv\":\"P-256\"," \
	"\"x\":\"gI0GAILBdu7T53akrFmMyGcsF3n5dO7MmwNBHKW5SV0\"," \
	"\"y\":\"SLW_xSffzlPWrHEVI30DHM_4egVwt3NQqeUD7nMFpps\"," \
	"\"d\":\"0_NxaRPUMQoAJt50Gz8YiTr8gRTwyEaCumd-MToTmIo\"}"
#define C_BOB "{\"kty\":\"EC\",\"crv\":\"P-256\"," \
	"\"x\":\"weNJy2HscCSM6AEDTDg04biOvhFhyyWvOHQfeF_PxMQ\"," \
	"\"y\":\"e8lnCO-AlStT-NJVX-crhB7QRYhiix03illJOVAOyck\"," \
	"\"d\":\"VEmDZpDXXK8p8N0Cndsxs924q6nS1RXFASRl6BfUqdw\"}"
#define C_KEY "VqqN6vgjbSBcIijNcacQGg"

/* Made by python3-jwcrypto to Bob's key (ECDH-ES, A256GCM). */
#define JWCRYPTO_JWE "eyJhbGciOiJFQ0RILUVTIiwiZW5jIjoiQTI1NkdDTSIsImVwayI6eyJjcnYiOiJQLTI1NiIsImt0eSI6IkVDIiwieCI6IkJKa0gyYjZCQXM3emxTVEF1LVU4VlhNS2lMTVBUOXNpRUhFYnNIbENYQ2MiLCJ5IjoiWUtuNWFGX3pGSEpaQVd6SnM4WU0yLTVfWV85TmtaZTgzbW5ob3RtYTlXcyJ9fQ..FgKvODPkgCklxf5q.OvZAjeHhQuN-L3WzMHURPiQ5sdMYY0eaZRZbEXWBP97P7buo.GlsXPhQmmEc2QLedG5Vb7g"
#define JWCRYPTO_PT "{\"credentials\":[{\"credential\":\"x\"}]}"

static EVP_PKEY *jwk_key(const char *text, int priv)
{
	vci_err_t err = { 0 };
	json_auto_t *j = json_loads(text, 0, NULL);
	EVP_PKEY *pk = j ? vci_jwk_to_pkey(j, priv, &err) : NULL;

	if (!pk)
		tap_diag("key: %s", err.msg);
	return pk;
}

static void test_appendix_c(void)
{
	EVP_PKEY_auto_t *alice = jwk_key(C_ALICE, 1);
	EVP_PKEY_auto_t *bob = jwk_key(C_BOB, 1);
	uint8_t k1[16], k2[16];
	vci_err_t err = { 0 };
	char_auto_t *b64 = NULL;

	tap_ok(vci_jwe_ecdh_es_kdf(alice, bob, "A128GCM", (const uint8_t *)"Alice", 5,
				   (const uint8_t *)"Bob", 3, k1, sizeof k1, &err) == 0,
	       "Appendix C: derive (Alice's ephemeral private, Bob's public)");
	b64 = vci_b64url_encode(k1, sizeof k1);
	tap_is_str(b64, C_KEY, "Appendix C: the derived key");
	tap_ok(vci_jwe_ecdh_es_kdf(bob, alice, "A128GCM", (const uint8_t *)"Alice", 5,
				   (const uint8_t *)"Bob", 3, k2, sizeof k2, &err) == 0 &&
	       !memcmp(k1, k2, sizeof k1), "Appendix C: Bob derives the same key");
	tap_ok(vci_jwe_ecdh_es_kdf(alice, bob, "A256GCM", (const uint8_t *)"Alice", 5,
				   (const uint8_t *)"Bob", 3, k2, sizeof k2, &err) == 0 &&
	       memcmp(k1, k2, sizeof k1), "AlgorithmID enters the KDF");
}

static void test_jwcrypto(void)
{
	EVP_PKEY_auto_t *bob = jwk_key(C_BOB, 1);
	vci_err_t err = { 0 };
	uint8_auto_t *pt = NULL;
	size_t n = 0;

	tap_ok(vci_jwe_decrypt(JWCRYPTO_JWE, strlen(JWCRYPTO_JWE), bob, &pt, &n, NULL, &err) == 0,
	       "a JWE made by jwcrypto decrypts %s", err.msg);
	tap_is_mem(pt, n, JWCRYPTO_PT, strlen(JWCRYPTO_PT), "its plaintext");
}

static EVP_PKEY *gen_ec(const char *curve)
{
	return EVP_PKEY_Q_keygen(NULL, NULL, "EC", curve);
}

static json_t *pub_jwk(EVP_PKEY *pk, const char *alg, const char *kid)
{
	json_t *j = vci_jwk_from_pkey(pk, NULL);

	if (j && alg)
		json_object_set_new(j, "alg", json_string(alg));
	if (j && kid)
		json_object_set_new(j, "kid", json_string(kid));
	return j;
}

static void round_trip(const char *curve, const char *enc)
{
	EVP_PKEY_auto_t *pk = gen_ec(curve);
	json_auto_t *jwk = pub_jwk(pk, "ECDH-ES", "k1");
	json_auto_t *extra = json_pack("{s:s}", "typ", "JWT");
	json_auto_t *h = NULL;
	vci_err_t err = { 0 };
	static const char msg[] = "{\"credentials\":[{\"credential\":\"eyJ...\"}]}";
	char_auto_t *jwe = vci_jwe_encrypt(jwk, enc, NULL, extra, (const uint8_t *)msg,
					   strlen(msg), &err);
	uint8_auto_t *pt = NULL;
	size_t n = 0;

	tap_ok(jwe != NULL, "%s %s: encrypt%s%s", curve, enc, err.msg[0] ? ": " : "", err.msg);
	if (!jwe)
		return;
	tap_ok(vci_jwe_decrypt(jwe, strlen(jwe), pk, &pt, &n, &h, &err) == 0,
	       "%s %s: decrypt %s", curve, enc, err.msg);
	tap_is_mem(pt, n, msg, strlen(msg), "%s %s: the plaintext", curve, enc);
	tap_is_str(json_string_value(json_object_get(h, "alg")), "ECDH-ES", "header alg");
	tap_is_str(json_string_value(json_object_get(h, "enc")), enc, "header enc");
	tap_is_str(json_string_value(json_object_get(h, "kid")), "k1", "header kid copied");
	tap_is_str(json_string_value(json_object_get(h, "typ")), "JWT", "header typ from extra");
	tap_ok(json_is_object(json_object_get(h, "epk")) &&
	       !json_object_get(json_object_get(h, "epk"), "d"), "header epk, public");
	tap_ok(strstr(jwe, "..") != NULL, "no encrypted key (direct agreement)");
}

static void tamper(void)
{
	EVP_PKEY_auto_t *pk = gen_ec("P-256");
	EVP_PKEY_auto_t *other = gen_ec("P-256");
	json_auto_t *jwk = pub_jwk(pk, NULL, NULL);
	vci_err_t err = { 0 };
	char_auto_t *jwe = vci_jwe_encrypt(jwk, "A128GCM", NULL, NULL, (const uint8_t *)"hello",
					   5, &err);
	uint8_t *pt = NULL;
	size_t n = 0, len = jwe ? strlen(jwe) : 0;
	char *last;

	tap_ok(jwe != NULL, "a JWK without alg is taken as ECDH-ES");
	if (!jwe)
		return;
	tap_ok(vci_jwe_decrypt(jwe, len, other, &pt, &n, NULL, &err) < 0 &&
	       !strcmp(err.code, "invalid_encryption_parameters"), "another key: refused");
	last = strrchr(jwe, '.');
	last[1] = last[1] == 'A' ? 'B' : 'A';
	tap_ok(vci_jwe_decrypt(jwe, len, pk, &pt, &n, NULL, &err) < 0, "changed tag: refused");
	last[1] = last[1] == 'A' ? 'B' : 'A';
	jwe[3] = jwe[3] == 'x' ? 'y' : 'x';
	tap_ok(vci_jwe_decrypt(jwe, len, pk, &pt, &n, NULL, &err) < 0,
	       "changed protected header (the AAD): refused");
	tap_ok(vci_jwe_decrypt("a.b.c.d", 7, pk, &pt, &n, NULL, &err) < 0, "four parts: refused");
	tap_ok(vci_jwe_decrypt("a.b.c.d.e.f", 11, pk, &pt, &n, NULL, &err) < 0,
	       "six parts: refused");
	tap_ok(pt == NULL, "no plaintext after a refusal");
}

/* A JWE whose header is `hdr` (JSON), other parts from a real one. */
static void forged_header(EVP_PKEY *pk, const char *hdr, const char *what)
{
	char_auto_t *h64 = vci_b64url_encode((const uint8_t *)hdr, strlen(hdr));
	char buf[512];
	vci_err_t err = { 0 };
	uint8_t *pt = NULL;
	size_t n;

	snprintf(buf, sizeof buf, "%s..AAAAAAAAAAAAAAAA.AAAA.AAAAAAAAAAAAAAAAAAAAAA", h64);
	tap_ok(vci_jwe_decrypt(buf, strlen(buf), pk, &pt, &n, NULL, &err) < 0 &&
	       !strcmp(err.code, "invalid_encryption_parameters"), "header %s: refused (%s)",
	       what, err.msg);
}

static void refusals(void)
{
	EVP_PKEY_auto_t *pk = gen_ec("P-256");
	EVP_PKEY_auto_t *ed = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	json_auto_t *jwk = pub_jwk(pk, "ECDH-ES", NULL);
	json_auto_t *kw = pub_jwk(pk, "ECDH-ES+A128KW", NULL);
	json_auto_t *edj = pub_jwk(ed, NULL, NULL);
	json_auto_t *priv = vci_jwk_from_pkey(pk, NULL);
	json_auto_t *bad_extra = json_pack("{s:s}", "enc", "A256GCM");
	vci_err_t err = { 0 };
	char *j;

	j = vci_jwe_encrypt(jwk, "A128CBC-HS256", NULL, NULL, (const uint8_t *)"x", 1, &err);
	tap_ok(!j && !strcmp(err.code, "invalid_encryption_parameters") &&
	       err.status == VCI_EXIT_FAIL, "enc A128CBC-HS256: refused (%s)", err.msg);
	j = vci_jwe_encrypt(kw, "A128GCM", NULL, NULL, (const uint8_t *)"x", 1, &err);
	tap_ok(!j && strstr(err.msg, "ECDH-ES+A128KW"), "alg ECDH-ES+A128KW: refused (%s)",
	       err.msg);
	j = vci_jwe_encrypt(jwk, "A128GCM", "DEF", NULL, (const uint8_t *)"x", 1, &err);
	tap_ok(!j && strstr(err.msg, "zip"), "zip DEF: refused (%s)", err.msg);
	j = vci_jwe_encrypt(edj, "A128GCM", NULL, NULL, (const uint8_t *)"x", 1, &err);
	tap_ok(!j && !strcmp(err.code, "invalid_encryption_parameters"),
	       "an Ed25519 key: refused (%s)", err.msg);
	j = vci_jwe_encrypt(jwk, "A128GCM", NULL, bad_extra, (const uint8_t *)"x", 1, &err);
	tap_ok(!j, "extra header member enc: refused");
	json_object_set_new(jwk, "use", json_string("sig"));
	j = vci_jwe_encrypt(jwk, "A128GCM", NULL, NULL, (const uint8_t *)"x", 1, &err);
	tap_ok(!j && strstr(err.msg, "use"), "a JWK with use sig: refused (%s)", err.msg);
	json_object_set_new(jwk, "use", json_string("enc"));
	json_object_set_new(jwk, "key_ops", json_pack("[s]", "deriveKey"));
	j = vci_jwe_encrypt(jwk, "A128GCM", NULL, NULL, (const uint8_t *)"x", 1, &err);
	tap_ok(j != NULL, "a JWK with use enc and key_ops: taken");
	free(j);
	json_object_set_new(priv, "d", json_string("AAAA"));
	j = vci_jwe_encrypt(priv, "A128GCM", NULL, NULL, (const uint8_t *)"x", 1, &err);
	tap_ok(!j && strstr(err.msg, "private"), "a JWK with \"d\": refused (%s)", err.msg);
	tap_ok(vci_jwe_enc_supported("A256GCM") && !vci_jwe_enc_supported("A192GCM") &&
	       !vci_jwe_enc_supported(NULL), "vci_jwe_enc_supported");
	forged_header(pk, "{\"alg\":\"RSA-OAEP\",\"enc\":\"A128GCM\"}", "alg RSA-OAEP");
	forged_header(pk, "{\"alg\":\"ECDH-ES\",\"enc\":\"A128CBC-HS256\"}", "enc CBC");
	forged_header(pk, "{\"alg\":\"ECDH-ES\",\"enc\":\"A128GCM\",\"zip\":\"DEF\","
			  "\"epk\":{}}", "zip");
	forged_header(pk, "{\"alg\":\"ECDH-ES\",\"enc\":\"A128GCM\"}", "without epk");
	forged_header(pk, "{\"alg\":\"ECDH-ES\",\"enc\":\"A128GCM\",\"epk\":{\"kty\":\"EC\","
			  "\"crv\":\"P-256\",\"x\":\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\","
			  "\"y\":\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\"}}",
		      "epk off the curve");
	forged_header(pk, "[1]", "not an object");
}

int main(void)
{
	static const char *const curves[] = { "P-256", "P-384", "P-521" };

	test_appendix_c();
	test_jwcrypto();
	for (size_t i = 0; i < 3; i++) {
		round_trip(curves[i], "A128GCM");
		round_trip(curves[i], "A256GCM");
	}
	tamper();
	refusals();
	return tap_done();
}
