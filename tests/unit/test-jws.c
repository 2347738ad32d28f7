/* test-jws.c - JWS compact sign/verify: RFC 7515 A.3, RFC 8037 A, RFC 9449
 * DPoP proofs, the signed vectors in tests/vectors, and the negative cases
 * (none, HS256, wrong key, DER signatures, tampering, strict parsing). */
#include "base/common.h"
#include "base/b64url.h"
#include "crypto/jws.h"
#include "crypto/ecdsa.h"
#include "crypto/keys.h"
#include "tap.h"

#include <string.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>

/* RFC 7515 A.3 */
#define A3_JWK "{\"kty\":\"EC\",\"crv\":\"P-256\"," \
	"\"x\":\"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU\"," \
	"\"y\":\"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0\"," \
	"\"d\":\"jpsQnnGQmL-YBIffH1136cspYG6-0iY7X1fCE9-E9LI\"}"
#define A3_JWS "eyJhbGciOiJFUzI1NiJ9.eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ.DtEhU3ljbEg8L38VWAfUAqOyKAM6-Xx-F4GawxaepmXFCgfTjDxw5djxLa8ISlSApmWQxfKTUJqPP3-Kg6NU1Q"
#define A3_R "0ed1215379636c483c2f7f155807d402a3b228033af97c7e17819ac3169ea665"
#define A3_S "c50a07d38c3c70e5d8f12daf084a5480a66590c5f293509a8f3f7f8a83a354d5"

/* RFC 8037 A */
#define ED_JWK "{\"kty\":\"OKP\",\"crv\":\"Ed25519\"," \
	"\"d\":\"nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A\"," \
	"\"x\":\"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo\"}"
#define ED_JWS "eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc.hgyY0il_MGCjP0JzlnLWG1PPOt7-09PGcvMg3AIbQR6dWbhijcNR4ki4iylGjg5BhVsPt9g7sVvpAr_MuM0KAg"

/* RFC 9449 */
static const char *const dpop[] = {
	"eyJ0eXAiOiJkcG9wK2p3dCIsImFsZyI6IkVTMjU2IiwiandrIjp7Imt0eSI6IkVDIiwieCI6Imw4dEZyaHgtMzR0VjNoUklDUkRZOXpDa0RscEJoRjQyVVFVZldWQVdCRnMiLCJ5IjoiOVZFNGpmX09rX282NHpiVFRsY3VOSmFqSG10NnY5VERWclUwQ2R2R1JEQSIsImNydiI6IlAtMjU2In19.eyJqdGkiOiItQndDM0VTYzZhY2MybFRjIiwiaHRtIjoiUE9TVCIsImh0dSI6Imh0dHBzOi8vc2VydmVyLmV4YW1wbGUuY29tL3Rva2VuIiwiaWF0IjoxNTYyMjYyNjE2fQ.2-GxA6T8lP4vfrg8v-FdWP0A0zdrj8igiMLvqRMUvwnQg4PtFLbdLXiOSsX0x7NVY-FNyJK70nfbV37xRZT3Lg",
	"eyJ0eXAiOiJkcG9wK2p3dCIsImFsZyI6IkVTMjU2IiwiandrIjp7Imt0eSI6IkVDIiwieCI6Imw4dEZyaHgtMzR0VjNoUklDUkRZOXpDa0RscEJoRjQyVVFVZldWQVdCRnMiLCJ5IjoiOVZFNGpmX09rX282NHpiVFRsY3VOSmFqSG10NnY5VERWclUwQ2R2R1JEQSIsImNydiI6IlAtMjU2In19.eyJqdGkiOiItQndDM0VTYzZhY2MybFRjIiwiaHRtIjoiUE9TVCIsImh0dSI6Imh0dHBzOi8vc2VydmVyLmV4YW1wbGUuY29tL3Rva2VuIiwiaWF0IjoxNTYyMjY1Mjk2fQ.pAqut2IRDm_De6PR93SYmGBPXpwrAk90e8cP2hjiaG5QsGSuKDYW7_X620BxqhvYC8ynrrvZLTk41mSRroapUA",
	"eyJ0eXAiOiJkcG9wK2p3dCIsImFsZyI6IkVTMjU2IiwiandrIjp7Imt0eSI6IkVDIiwieCI6Imw4dEZyaHgtMzR0VjNoUklDUkRZOXpDa0RscEJoRjQyVVFVZldWQVdCRnMiLCJ5IjoiOVZFNGpmX09rX282NHpiVFRsY3VOSmFqSG10NnY5VERWclUwQ2R2R1JEQSIsImNydiI6IlAtMjU2In19.eyJqdGkiOiJlMWozVl9iS2ljOC1MQUVCIiwiaHRtIjoiR0VUIiwiaHR1IjoiaHR0cHM6Ly9yZXNvdXJjZS5leGFtcGxlLm9yZy9wcm90ZWN0ZWRyZXNvdXJjZSIsImlhdCI6MTU2MjI2MjYxOCwiYXRoIjoiZlVIeU8ycjJaM0RaNTNFc05yV0JiMHhXWG9hTnk1OUlpS0NBcWtzbVFFbyJ9.2oW9RP35yRqzhrtNP86L-Ey71EOptxRimPPToA1plemAgR6pxHF8y6-yqyVnmcw6Fy1dqd-jfxSYoMxhAJpLjA",
};

/* RFC 9901 A.5 issuer key (sd-jwt.md section V) */
#define SDJWT_ISSUER "{\"kty\":\"EC\",\"crv\":\"P-256\"," \
	"\"x\":\"b28d4MwZMjw8-00CG4xfnn9SLMVMM19SlqZpVb_uNtQ\"," \
	"\"y\":\"Xv5zWwuoaTgdS6hV43yI6gBwTnjukmFQQnJ_kCxzqk8\"}"
/* Token Status List example key (status-list.md section V) */
#define TSL_KEY "{\"kty\":\"EC\",\"crv\":\"P-256\"," \
	"\"x\":\"I3HWm_0Ds1dPMI-IWmf4mBmH-YaeAVbPVu7vB27CxXo\"," \
	"\"y\":\"6N_d5Elj9bs1htgV3okJKIdbHEpkgTmAluYKJemzn1M\"}"

static const char *const es256[] = { "ES256", NULL };

static EVP_PKEY *jwk_key(const char *text, int priv)
{
	vci_err_t err = { 0 };
	json_auto_t *j = json_loads(text, 0, NULL);
	EVP_PKEY *pk = j ? vci_jwk_to_pkey(j, priv, &err) : NULL;

	if (!pk)
		tap_diag("key: %s", err.msg);
	return pk;
}

static EVP_PKEY *gen(const char *type, const char *arg)
{
	if (!strcmp(type, "EC"))
		return EVP_PKEY_Q_keygen(NULL, NULL, "EC", arg);
	if (!strcmp(type, "RSA"))
		return EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)atoi(arg));
	return EVP_PKEY_Q_keygen(NULL, NULL, type);
}

/* 0 when the compact JWS parses and verifies. */
static int check(const char *jws, EVP_PKEY *pk, const char *const *allowed, vci_err_t *err)
{
	vci_jws_t j;
	int r;

	vci_err_clear(err);
	if (vci_jws_parse(jws, strlen(jws), &j, err) < 0)
		return -2;
	r = vci_jws_verify(&j, pk, allowed, err);
	vci_jws_free(&j);
	return r;
}

static char *b64(const char *s)
{
	return vci_b64url_encode((const uint8_t *)s, strlen(s));
}

/* A token with the given header, payload and signature bytes. */
static char *forge(const char *header, const char *payload, const uint8_t *sig, size_t siglen)
{
	char_auto_t *h = b64(header), *p = b64(payload);
	char_auto_t *s = vci_b64url_encode(sig, siglen);
	char *out = malloc(strlen(h) + strlen(p) + strlen(s) + 3);

	sprintf(out, "%s.%s.%s", h, p, s);
	return out;
}

/* Replace the signature part of a token. */
static char *with_sig(const char *jws, const uint8_t *sig, size_t len)
{
	const char *d = strrchr(jws, '.');
	char_auto_t *s = vci_b64url_encode(sig, len);
	char *out = malloc((size_t)(d - jws) + strlen(s) + 2);

	sprintf(out, "%.*s.%s", (int)(d - jws), jws, s);
	return out;
}

static void test_a3(void)
{
	EVP_PKEY_auto_t *pk = jwk_key(A3_JWK, 1), *p384 = gen("EC", "P-384");
	vci_err_t err = { 0 };
	vci_jws_t j;
	size_t rlen, slen, derlen;
	uint8_auto_t *r = tap_unhex(A3_R, &rlen), *s = tap_unhex(A3_S, &slen);
	uint8_t rs[64], back[64];
	uint8_auto_t *der = NULL;
	char_auto_t *bad = NULL;
	static const char *const ed_only[] = { "EdDSA", NULL };

	tap_ok(pk != NULL, "A.3: JWK with d imports");
	tap_is_int(check(A3_JWS, pk, es256, &err), 0, "A.3: ES256 JWS verifies");
	tap_is_int(check(A3_JWS, pk, NULL, &err), 0, "A.3: verifies with the default allow-list");
	tap_ok(vci_jws_parse(A3_JWS, strlen(A3_JWS), &j, &err) == 0, "A.3: parses");
	tap_is_str(j.alg, "ES256", "A.3: alg");
	tap_ok(j.payload && json_integer_value(json_object_get(j.payload, "exp")) == 1300819380,
	       "A.3: payload JSON decoded (exp)");
	tap_ok(j.payload_len == 70 && memchr(j.payload_raw, '\r', j.payload_len),
	       "A.3: raw payload kept with its CRLF");
	memcpy(rs, r, 32);
	memcpy(rs + 32, s, 32);
	tap_is_mem(j.sig, j.sig_len, rs, 64, "A.3: signature is R||S of the RFC");
	der = vci_ecdsa_raw_to_der(rs, 64, &derlen);
	tap_ok(der && derlen >= 70 && der[0] == 0x30, "R||S -> DER");
	tap_ok(der && vci_ecdsa_der_to_raw(der, derlen, 32, back) == 0 && !memcmp(back, rs, 64),
	       "DER -> R||S gives the RFC's R and S back");
	tap_ok(der && vci_ecdsa_der_to_raw(der, derlen, 31, back) < 0,
	       "DER -> R||S refuses a too small width");
	tap_ok(vci_ecdsa_raw_to_der(rs, 63, &derlen) == NULL, "odd-length R||S refused");
	if (der) {
		uint8_t longer[80];

		memcpy(longer, der, derlen);
		longer[derlen] = 0;
		tap_ok(vci_ecdsa_der_to_raw(longer, derlen + 1, 32, back) < 0,
		       "DER with trailing bytes refused");
		bad = with_sig(A3_JWS, der, derlen);
		tap_ok(check(bad, pk, es256, &err) < 0 && err.status == VCI_EXIT_FAIL &&
		       !strcmp(err.code, "invalid_signature"),
		       "DER signature instead of raw R||S refused: %s", err.msg);
	}
	vci_jws_free(&j);

	free(bad);
	bad = strdup(A3_JWS);
	bad[30] = bad[30] == 'A' ? 'B' : 'A';
	tap_ok(check(bad, pk, es256, &err) == -1, "tampered payload fails: %s", err.msg);
	tap_ok(check(A3_JWS, p384, NULL, &err) == -1 && strstr(err.msg, "does not fit"),
	       "ES256 token with a P-384 key refused: %s", err.msg);
	tap_ok(check(A3_JWS, pk, ed_only, &err) == -1 && strstr(err.msg, "not allowed"),
	       "alg outside the allow-list refused: %s", err.msg);
	free(bad);
	bad = with_sig(A3_JWS, rs, 63);
	tap_ok(check(bad, pk, es256, &err) == -1, "63-byte signature refused");
}

static void test_alg_attacks(void)
{
	EVP_PKEY_auto_t *pk = jwk_key(A3_JWK, 1);
	vci_err_t err = { 0 };
	static const char *const with_none[] = { "none", "ES256", NULL };
	static const char *const with_hs[] = { "HS256", "ES256", NULL };
	char_auto_t *none = forge("{\"alg\":\"none\"}", "{\"a\":1}", NULL, 0);
	char_auto_t *hs = NULL;
	uint8_t mac[32];
	unsigned int maclen = 0;
	char_auto_t *jwk_pub = NULL;
	json_auto_t *jwk = NULL;
	char_auto_t *h = b64("{\"alg\":\"HS256\"}"), *p = b64("{\"a\":1}");
	char *input;

	tap_ok(check(none, pk, NULL, &err) == -1 && strstr(err.msg, "never"),
	       "alg none refused (default list): %s", err.msg);
	tap_ok(check(none, pk, with_none, &err) == -1, "alg none refused even when listed");
	/* HS256 keyed with the public JWK text: the classic confusion */
	jwk = vci_jwk_from_pkey(pk, &err);
	jwk_pub = vci_json_dump(jwk);
	input = malloc(strlen(h) + strlen(p) + 2);
	sprintf(input, "%s.%s", h, p);
	HMAC(EVP_sha256(), jwk_pub, (int)strlen(jwk_pub), (uint8_t *)input, strlen(input), mac,
	     &maclen);
	free(input);
	hs = forge("{\"alg\":\"HS256\"}", "{\"a\":1}", mac, maclen);
	tap_ok(check(hs, pk, with_hs, &err) == -1 && strstr(err.msg, "never"),
	       "HS256 with the EC key refused even when listed: %s", err.msg);
	tap_ok(check(hs, pk, NULL, &err) == -1, "HS256 refused (default list)");
}

static void test_parse(void)
{
	EVP_PKEY_auto_t *pk = jwk_key(A3_JWK, 1);
	vci_err_t err = { 0 };
	uint8_t sig[64] = { 1 };
	static const struct { const char *header, *why; } bad_headers[] = {
		{ "{\"alg\":\"ES256\",\"alg\":\"ES256\"}", "duplicate header member" },
		{ "{\"alg\":\"ES256\",\"crit\":[\"exp\"],\"exp\":1}", "unknown crit" },
		{ "{\"alg\":\"ES256\",\"crit\":[]}", "empty crit" },
		{ "{\"alg\":\"ES256\",\"crit\":\"b64\"}", "crit not an array" },
		{ "{\"alg\":256}", "alg not a string" },
		{ "{\"typ\":\"JWT\"}", "alg missing" },
		{ "[\"alg\",\"ES256\"]", "header not an object" },
		{ "{\"alg\":\"ES256\"", "header not JSON" },
		{ "{\"alg\":\"ES256\"} x", "trailing bytes after header" },
	};
	static const char *const bad_tokens[] = {
		"eyJhbGciOiJFUzI1NiJ9.eyJhIjoxfQ",
		"eyJhbGciOiJFUzI1NiJ9.eyJhIjoxfQ.AAAA.AAAA",
		"eyJhbGciOiJFUzI1NiJ9=.eyJhIjoxfQ.AAAA",
		"eyJhbGciOiJFUzI1NiJ9.eyJhIjoxfQ==.AAAA",
		"eyJhbGciOiJFUzI1NiJ9.eyJhIjoxfQ.AAA=",
		"eyJhbGciOiJFUzI1NiJ9.eyJhIjoxfQ.AA+A",
		"eyJhbGciOiJFUzI1NiJ9.eyJhIjox fQ.AAAA",
		".eyJhIjoxfQ.AAAA",
		"eyJhbGciOiJFUzI1NiJ9.eyJhIjoxfQ.A",
		"",
	};

	for (size_t i = 0; i < sizeof bad_headers / sizeof bad_headers[0]; i++) {
		char_auto_t *t = forge(bad_headers[i].header, "{}", sig, 64);

		tap_is_int(check(t, pk, NULL, &err), -2, "parse refuses %s: %s",
			   bad_headers[i].why, err.msg);
		tap_ok(err.status == VCI_EXIT_INPUT, "%s is an input error", bad_headers[i].why);
	}
	for (size_t i = 0; i < sizeof bad_tokens / sizeof bad_tokens[0]; i++)
		tap_is_int(check(bad_tokens[i], pk, NULL, &err), -2, "parse refuses \"%.30s...\": %s",
			   bad_tokens[i], err.msg);
	{
		vci_jws_t j;
		const char *a3 = A3_JWS;

		tap_ok(vci_jws_parse(a3, strlen(a3) - 10, &j, &err) == 0 && j.sig_len < 64,
		       "parse honours the length argument");
		vci_jws_free(&j);
	}
}

static void test_ed25519(void)
{
	EVP_PKEY_auto_t *pk = jwk_key(ED_JWK, 1);
	vci_err_t err = { 0 };
	const char *msg = "Example of Ed25519 signing";
	char_auto_t *jws = vci_jws_sign(pk, "EdDSA", NULL, (const uint8_t *)msg, strlen(msg), &err);
	char_auto_t *jws2 = NULL;
	static const char *const eddsa[] = { "EdDSA", NULL };
	static const char *const ed25519[] = { "Ed25519", NULL };

	tap_is_str(jws, ED_JWS, "RFC 8037 A.4: byte-exact EdDSA signature");
	tap_is_int(check(ED_JWS, pk, eddsa, &err), 0, "RFC 8037 A.5: verifies");
	tap_is_int(check(ED_JWS, pk, ed25519, &err), -1, "EdDSA token refused when only Ed25519 is listed");
	jws2 = vci_jws_sign(pk, "Ed25519", NULL, (const uint8_t *)msg, strlen(msg), &err);
	tap_ok(jws2 && !strncmp(jws2, "eyJhbGciOiJFZDI1NTE5In0.", 24), "signs with alg Ed25519");
	tap_is_int(check(jws2, pk, ed25519, &err), 0, "alg Ed25519 accepted on verify");
	{
		EVP_PKEY_auto_t *p256 = gen("EC", "P-256");

		tap_ok(check(ED_JWS, p256, NULL, &err) == -1, "EdDSA token with a P-256 key refused");
		tap_ok(vci_jws_sign(p256, "EdDSA", NULL, (const uint8_t *)"x", 1, &err) == NULL &&
		       err.status == VCI_EXIT_KEY, "signing EdDSA with a P-256 key refused: %s", err.msg);
	}
}

static void test_dpop(void)
{
	vci_err_t err = { 0 };
	static const char *const ath_token = "Kz~8mXK1EalYznwH-LC-1fBAo.4Ljp~zsPE_NeO.gxU";
	uint8_t md[32];
	char ath[44];

	for (size_t i = 0; i < 3; i++) {
		vci_jws_t j;
		EVP_PKEY_auto_t *pk = NULL;
		char tp[44] = "";
		const json_t *jwk;

		tap_ok(vci_jws_parse(dpop[i], strlen(dpop[i]), &j, &err) == 0, "DPoP %zu parses", i);
		jwk = json_object_get(j.header, "jwk");
		pk = vci_jwk_to_pkey(jwk, 0, &err);
		tap_ok(pk != NULL, "DPoP %zu: header jwk imports as a public key", i);
		tap_ok(vci_jws_typ_is(json_string_value(json_object_get(j.header, "typ")), "dpop+jwt"),
		       "DPoP %zu: typ", i);
		tap_is_int(vci_jws_verify(&j, pk, es256, &err), 0, "DPoP %zu verifies with its jwk", i);
		tap_ok(vci_jwk_thumbprint(jwk, tp, &err) == 0, "DPoP %zu: thumbprint", i);
		tap_is_str(tp, "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I", "DPoP %zu: jkt", i);
		if (i == 2) {
			EVP_Digest(ath_token, strlen(ath_token), md, NULL, EVP_sha256(), NULL);
			vci_b64url_encode_to(ath, md, 32);
			ath[43] = '\0';
			tap_is_str(json_string_value(json_object_get(j.payload, "ath")), ath,
				   "DPoP resource proof: ath");
		}
		vci_jws_free(&j);
	}
}

static char *vector(const char *name, size_t *len)
{
	char *buf = tap_slurp(tap_srcpath(name), len);

	while (buf && *len && (buf[*len - 1] == '\n' || buf[*len - 1] == '\r'))
		buf[--*len] = '\0';
	if (!buf)
		tap_diag("cannot read %s (set VCI_SRCDIR)", name);
	return buf;
}

static void test_vectors(void)
{
	static const char *const x5c_vectors[] = {
		"tests/vectors/oid4vci-1.0-I.1-signed-metadata.jwt",
		"tests/vectors/oid4vci-1.0-I.2-wallet-attestation.jwt",
	};
	vci_err_t err = { 0 };
	size_t len;

	for (size_t i = 0; i < 2; i++) {
		char_auto_t *buf = vector(x5c_vectors[i], &len);
		vci_jws_t j = { 0 };
		STACK_OF(X509) *chain = NULL;
		EVP_PKEY_auto_t *pk = NULL;

		tap_ok(buf && vci_jws_parse(buf, len, &j, &err) == 0, "%s parses", x5c_vectors[i]);
		chain = vci_x5c_parse(json_object_get(j.header, "x5c"), &err);
		tap_ok(chain != NULL, "x5c parses: %s", chain ? "" : err.msg);
		if (chain)
			pk = X509_get_pubkey(sk_X509_value(chain, 0));
		tap_is_int(pk ? vci_jws_verify(&j, pk, es256, &err) : -1, 0,
			   "verifies with the key of x5c[0]");
		if (buf && pk) {
			buf[len / 2] = buf[len / 2] == 'A' ? 'B' : 'A';
			tap_ok(check(buf, pk, es256, &err) != 0, "tampered copy fails");
		}
		sk_X509_pop_free(chain, X509_free);
		vci_jws_free(&j);
	}
	{
		char_auto_t *buf = vector("tests/vectors/rfc9901-5.1-issuance.txt", &len);
		EVP_PKEY_auto_t *pk = jwk_key(SDJWT_ISSUER, 0), *tsl = jwk_key(TSL_KEY, 0);
		char *tilde = buf ? strchr(buf, '~') : NULL;

		if (tilde)
			*tilde = '\0';
		tap_is_int(tilde ? check(buf, pk, es256, &err) : -1, 0,
			   "RFC 9901 5.1 issuer-signed JWT verifies with the A.5 key");
		tap_is_int(tilde ? check(buf, tsl, es256, &err) : 0, -1,
			   "and not with another P-256 key");
	}
	{
		char_auto_t *buf = vector("tests/vectors/tsl-5.1-status-list-token.jwt", &len);
		EVP_PKEY_auto_t *pk = jwk_key(TSL_KEY, 0);
		vci_jws_t j;

		tap_is_int(buf ? check(buf, pk, es256, &err) : -1, 0,
			   "status list token verifies with the TSL key");
		tap_ok(buf && vci_jws_parse(buf, len, &j, &err) == 0 &&
		       vci_jws_typ_is(json_string_value(json_object_get(j.header, "typ")),
				      "application/statuslist+jwt"), "status list token typ");
		if (buf)
			vci_jws_free(&j);
	}
}

static void roundtrip(const char *alg, EVP_PKEY *pk)
{
	vci_err_t err = { 0 };
	const char *const allowed[] = { alg, NULL };
	json_auto_t *hdr = json_pack("{s:s,s:s}", "typ", "vc+sd-jwt", "kid", "k1");
	json_auto_t *payload = json_pack("{s:s,s:i}", "iss", "https://issuer.example", "iat", 1);
	char_auto_t *jws = vci_jws_sign_json(pk, alg, hdr, payload, &err);
	vci_jws_t j;
	vci_jws_signer_t *s;
	int ok = 1;

	tap_ok(jws != NULL, "%s: signs%s%s", alg, jws ? "" : ": ", jws ? "" : err.msg);
	if (!jws)
		return;
	tap_is_int(check(jws, pk, allowed, &err), 0, "%s: verifies", alg);
	vci_jws_parse(jws, strlen(jws), &j, &err);
	tap_ok(j.header && !strcmp(j.alg, alg) &&
	       !strncmp(json_string_value(json_object_get(j.header, "typ")), "vc+sd-jwt", 9) &&
	       json_object_iter_key(json_object_iter(j.header)) &&
	       !strcmp(json_object_iter_key(json_object_iter(j.header)), "alg"),
	       "%s: header has alg first, then typ and kid", alg);
	if (!strncmp(alg, "ES", 2))
		tap_is_int((long long)j.sig_len, alg[2] == '2' ? 64 : alg[2] == '3' ? 96 : 132,
			   "%s: raw R||S length", alg);
	else if (!strcmp(alg, "EdDSA"))
		tap_is_int((long long)j.sig_len, 64, "%s: 64-byte signature", alg);
	else
		tap_is_int((long long)j.sig_len, EVP_PKEY_get_size(pk), "%s: modulus-size signature", alg);
	vci_jws_free(&j);

	s = vci_jws_signer_new(pk, alg, hdr, &err);
	for (int i = 0; s && i < 20; i++) {
		char buf[32];
		size_t olen = 0;
		char_auto_t *t;

		snprintf(buf, sizeof buf, "record %d", i);
		t = vci_jws_signer_sign(s, (const uint8_t *)buf, strlen(buf), &olen, &err);
		if (!t || olen != strlen(t) || check(t, pk, allowed, &err) != 0)
			ok = 0;
	}
	tap_ok(s && ok, "%s: a prepared signer signs 20 records that verify", alg);
	tap_is_str(vci_jws_signer_alg(s), alg, "%s: signer alg", alg);
	vci_jws_signer_free(s);
}

static void test_roundtrips(void)
{
	EVP_PKEY_auto_t *p256 = gen("EC", "P-256"), *p384 = gen("EC", "P-384"),
			*p521 = gen("EC", "P-521"), *ed = gen("ED25519", NULL),
			*rsa = gen("RSA", "2048"), *rsa1024 = gen("RSA", "1024");
	vci_err_t err = { 0 };
	char_auto_t *t = NULL, *ps = NULL;
	json_auto_t *priv_hdr = json_pack("{s:{s:s,s:s}}", "jwk", "kty", "EC", "d", "AAAA");

	roundtrip("ES256", p256);
	roundtrip("ES384", p384);
	roundtrip("ES512", p521);
	roundtrip("EdDSA", ed);
	roundtrip("RS256", rsa);
	roundtrip("PS256", rsa);

	t = vci_jws_sign(p256, NULL, NULL, (const uint8_t *)"{}", 2, &err);
	tap_ok(t && !strncmp(t, "eyJhbGciOiJFUzI1NiJ9.", 21), "default alg for P-256 is ES256");
	free(t);
	t = vci_jws_sign(rsa, "RS256", NULL, (const uint8_t *)"{}", 2, &err);
	ps = t ? strdup(t) : NULL;
	{
		static const char *const only_ps[] = { "PS256", NULL };

		tap_ok(ps && check(ps, rsa, only_ps, &err) == -1, "RS256 token refused under PS256-only list");
	}
	tap_ok(vci_jws_sign(rsa1024, "RS256", NULL, (const uint8_t *)"{}", 2, &err) == NULL &&
	       err.status == VCI_EXIT_KEY, "RSA 1024 refused for signing: %s", err.msg);
	tap_ok(vci_key_default_alg(rsa1024) == NULL, "RSA 1024 has no default alg");
	tap_ok(vci_jws_sign(p256, "ES384", NULL, (const uint8_t *)"{}", 2, &err) == NULL,
	       "ES384 with a P-256 key refused");
	tap_ok(vci_jws_sign(p256, "HS256", NULL, (const uint8_t *)"{}", 2, &err) == NULL,
	       "HS256 signing refused");
	tap_ok(vci_jws_sign(p256, "none", NULL, (const uint8_t *)"{}", 2, &err) == NULL,
	       "alg none signing refused");
	tap_ok(vci_jws_sign(p256, NULL, priv_hdr, (const uint8_t *)"{}", 2, &err) == NULL,
	       "header jwk with private members refused");
	{
		/* a token signed by RSA-1024 must not verify either */
		EVP_PKEY_CTX *c = EVP_PKEY_CTX_new(rsa1024, NULL);
		char_auto_t *h = b64("{\"alg\":\"RS256\"}"), *p = b64("{}");
		char input[128];
		uint8_t sig[128], md[32];
		size_t siglen = sizeof sig;
		char_auto_t *tok = NULL;

		snprintf(input, sizeof input, "%s.%s", h, p);
		EVP_Digest(input, strlen(input), md, NULL, EVP_sha256(), NULL);
		if (c && EVP_PKEY_sign_init(c) == 1 &&
		    EVP_PKEY_CTX_set_rsa_padding(c, RSA_PKCS1_PADDING) == 1 &&
		    EVP_PKEY_CTX_set_signature_md(c, EVP_sha256()) == 1 &&
		    EVP_PKEY_sign(c, sig, &siglen, md, 32) == 1)
			tok = forge("{\"alg\":\"RS256\"}", "{}", sig, siglen);
		EVP_PKEY_CTX_free(c);
		tap_ok(tok && check(tok, rsa1024, NULL, &err) == -1 && strstr(err.msg, "does not fit"),
		       "RS256 token from an RSA-1024 key refused: %s", err.msg);
	}
	tap_ok(vci_jws_typ_is("application/DC+SD-JWT", "dc+sd-jwt"), "typ: prefix and case ignored");
	tap_ok(!vci_jws_typ_is("dpop+jwt", "JWT"), "typ: different types differ");
	tap_ok(!vci_jws_typ_is(NULL, "JWT"), "typ: missing typ");
}

/* 0 when the compact JWS parses and verifies with verifier v. */
static int check_with(vci_jws_verifier_t *v, const char *jws, EVP_PKEY *pk,
		      const char *const *allowed, vci_err_t *err)
{
	vci_jws_t j;
	int r;

	vci_err_clear(err);
	if (vci_jws_parse(jws, strlen(jws), &j, err) < 0)
		return -2;
	r = vci_jws_verify_with(v, &j, pk, allowed, err);
	vci_jws_free(&j);
	return r;
}

/* A verifier keeps contexts for the last keys: results are those of
 * vci_jws_verify whatever the order of keys, and a reused key object whose
 * point changed (vci_keyslots_jwk) verifies with its new point only. */
static void test_verifier(void)
{
	static const char *const kinds[][2] = {
		{ "EC", "P-256" }, { "EC", "P-384" }, { "EC", "P-521" }, { "ED25519", NULL },
		{ "RSA", "2048" }, { "EC", "P-256" }, { "EC", "P-256" },
	};
	enum { NK = sizeof kinds / sizeof kinds[0] };
	vci_jws_verifier_t *v = vci_jws_verifier_new();
	EVP_PKEY *keys[NK] = { 0 };
	char *toks[NK] = { 0 };
	vci_err_t err = { 0 };
	int good = 1, bad = 1;

	tap_ok(v != NULL, "verifier: made");
	for (int i = 0; i < NK; i++) {
		keys[i] = gen(kinds[i][0], kinds[i][1]);
		toks[i] = keys[i] ? vci_jws_sign(keys[i], NULL, NULL, (const uint8_t *)"{\"n\":1}", 7,
						 &err) : NULL;
		if (!toks[i])
			tap_diag("sign %s: %s", kinds[i][0], err.msg);
	}
	/* every token against every key, three times over (more keys than
	 * the verifier keeps contexts for) */
	for (int round = 0; round < 3; round++)
		for (int i = 0; i < NK; i++)
			for (int k = 0; k < NK; k++) {
				int r = check_with(v, toks[i] ? toks[i] : "", keys[k], NULL, &err);
				int r0 = check(toks[i] ? toks[i] : "", keys[k], NULL, &err);

				if (k == i && r != 0)
					good = 0;
				if (k != i && (r != -1 || r0 != -1))
					bad = 0;
			}
	tap_ok(good, "verifier: each token verifies with its key");
	tap_ok(bad, "verifier: and with no other key");
	tap_ok(check_with(v, A3_JWS, keys[0], es256, &err) == -1 &&
	       !strcmp(err.code, "invalid_signature"), "verifier: wrong key: %s", err.msg);
	tap_ok(check_with(v, toks[1], keys[1], es256, &err) == -1 &&
	       strstr(err.msg, "not allowed"), "verifier: alg outside the allow-list: %s", err.msg);
	tap_ok(check_with(v, toks[0], keys[1], NULL, &err) == -1 && strstr(err.msg, "does not fit"),
	       "verifier: ES256 token with a P-384 key: %s", err.msg);

	/* one key object, its point replaced between tokens */
	{
		vci_keyslots_t *ks = vci_keyslots_new();
		json_auto_t *j5 = vci_jwk_from_pkey(keys[5], &err);
		json_auto_t *j6 = vci_jwk_from_pkey(keys[6], &err);
		EVP_PKEY *a = vci_keyslots_jwk(ks, j5, &err), *b;

		tap_ok(a && check_with(v, toks[5], a, NULL, &err) == 0,
		       "verifier: token verifies with its key on a reused key object");
		EVP_PKEY_free(a);
		b = vci_keyslots_jwk(ks, j6, &err);
		tap_ok(b == a, "verifier: the next key is the same key object");
		tap_ok(b && check_with(v, toks[5], b, NULL, &err) == -1,
		       "verifier: ... which no longer verifies the first key's token");
		tap_ok(b && check_with(v, toks[6], b, NULL, &err) == 0,
		       "verifier: ... but the second key's");
		EVP_PKEY_free(b);
		a = vci_keyslots_jwk(ks, j5, &err);
		tap_ok(a && check_with(v, toks[5], a, NULL, &err) == 0 &&
		       check_with(v, toks[6], a, NULL, &err) == -1,
		       "verifier: and back to the first key");
		EVP_PKEY_free(a);
		vci_keyslots_free(ks);
	}
	for (int i = 0; i < NK; i++) {
		EVP_PKEY_free(keys[i]);
		free(toks[i]);
	}
	vci_jws_verifier_free(v);
	vci_jws_verifier_free(NULL);
}

/* The R||S <-> DER conversions against OpenSSL's own encoder and
 * decoder used directly: widths of the three curves, values with leading
 * zero bytes, with the top bit set (a sign byte), zero, and the longest
 * (P-521, where the SEQUENCE's length takes two bytes). */
static int der_matches_openssl(const uint8_t *rs, size_t half)
{
	uint8_t mine[VCI_ECDSA_DER_MAX], back[2 * 66], *theirs = NULL;
	BIGNUM *r = BN_bin2bn(rs, (int)half, NULL), *s = BN_bin2bn(rs + half, (int)half, NULL);
	ECDSA_SIG *sig = ECDSA_SIG_new();
	size_t n = vci_ecdsa_raw_to_der_to(rs, 2 * half, mine);
	int tn, ok;

	if (!sig || !r || !s || ECDSA_SIG_set0(sig, r, s) != 1) {
		BN_free(r);
		BN_free(s);
		ECDSA_SIG_free(sig);
		return 0;
	}
	tn = i2d_ECDSA_SIG(sig, &theirs);
	ok = tn > 0 && (size_t)tn == n && !memcmp(mine, theirs, n) &&
	     vci_ecdsa_own_der_to_raw(theirs, n, half, back) == 0 &&
	     !memcmp(back, rs, 2 * half) &&
	     vci_ecdsa_der_to_raw(mine, n, half, back) == 0 && !memcmp(back, rs, 2 * half);
	OPENSSL_free(theirs);
	ECDSA_SIG_free(sig);
	return ok;
}

static void test_der(void)
{
	static const size_t widths[] = { 32, 48, 66 };
	uint8_t rs[2 * 66], der[VCI_ECDSA_DER_MAX], back[2 * 66];
	int bad = 0, cases = 0;
	size_t n;

	for (int w = 0; w < 3; w++) {
		size_t h = widths[w];

		for (int i = 0; i < 200; i++) {
			if (RAND_bytes(rs, (int)(2 * h)) != 1)
				bad++;
			if (i % 5 == 1)
				memset(rs, 0, (size_t)(i % 7) + 1); /* leading zeros of R */
			if (i % 5 == 2)
				rs[h] |= 0x80; /* S's top bit set */
			if (i % 5 == 3)
				memset(rs + h, 0, h); /* S zero */
			if (i % 5 == 4) {
				memset(rs, 0xff, 2 * h); /* longest */
				rs[0] = (uint8_t)(h == 66 ? 0x01 : 0xff);
			}
			bad += !der_matches_openssl(rs, h);
			cases++;
		}
	}
	tap_ok(!bad, "R||S <-> DER: %d cases byte for byte as OpenSSL's", cases);

	memset(rs, 0x7f, 64);
	n = vci_ecdsa_raw_to_der_to(rs, 64, der);
	tap_ok(n == 70 && vci_ecdsa_own_der_to_raw(der, n, 32, back) == 0 &&
	       !memcmp(back, rs, 64), "own DER read back");
	tap_ok(vci_ecdsa_own_der_to_raw(der, n - 1, 32, back) < 0, "own DER: short buffer refused");
	tap_ok(vci_ecdsa_own_der_to_raw(der, n, 31, back) < 0, "own DER: too wide an INTEGER refused");
	der[1]++;
	tap_ok(vci_ecdsa_own_der_to_raw(der, n, 32, back) < 0, "own DER: wrong SEQUENCE length refused");
	der[1]--;
	der[3]++;
	tap_ok(vci_ecdsa_own_der_to_raw(der, n, 32, back) < 0, "own DER: wrong INTEGER length refused");
	der[3]--;
	der[2] = 0x03;
	tap_ok(vci_ecdsa_own_der_to_raw(der, n, 32, back) < 0, "own DER: not an INTEGER refused");
	tap_ok(vci_ecdsa_raw_to_der_to(rs, 0, der) == 0 && vci_ecdsa_raw_to_der_to(rs, 134, der) == 0,
	       "R||S of no bytes or halves over 66 refused");
}

int main(void)
{
	test_a3();
	test_alg_attacks();
	test_parse();
	test_ed25519();
	test_dpop();
	test_vectors();
	test_roundtrips();
	test_verifier();
	test_der();
	return tap_done();
}
