/* test-proof.c - proofs of possession (OID4VCI 1.0 Appendix F.1 vector and
 * every refusal), self-verifying nonces, batches, draft-13 "proof". */
#include "base/common.h"
#include "base/b64url.h"
#include "crypto/did.h"
#include "crypto/jws.h"
#include "crypto/keys.h"
#include "crypto/nonce.h"
#include "oid4vci/proof.h"
#include "tap.h"

#include <pthread.h>
#include <string.h>
#include <unistd.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

/* OID4VCI 1.0 Appendix F.1 (oid4vci.md section V) */
#define F1_PROOF "eyJ0eXAiOiJvcGVuaWQ0dmNpLXByb29mK2p3dCIsImFsZyI6IkVTMjU2IiwiandrIjp7Imt0eSI6IkVDIiwiY3J2IjoiUC0yNTYiLCJ4IjoiblVXQW9BdjNYWml0aDhFN2kxOU9kYXhPTFlGT3dNLVoyRXVNMDJUaXJUNCIsInkiOiJIc2tIVThCalVpMVU5WHFpN1N3bWo4Z3dBS18weGtjRGpFV183MVNvc0VZIn19.eyJhdWQiOiJodHRwczovL2NyZWRlbnRpYWwtaXNzdWVyLmV4YW1wbGUuY29tIiwiaWF0IjoxNzAxOTYwNDQ0LCJub25jZSI6IkxhclJHU2JtVVBZdFJZTzZCUTR5bjgifQ.-a3EDsxClUB4O3LeDD5DVGEnNMT01FCQW4P6-2-BNBqc_Zxf0Qw4CWayLEpqkAomlkLb9zioZoipdP-jvh1WlA"
#define F1_AUD "https://credential-issuer.example.com"
#define F1_NONCE "LarRGSbmUPYtRYO6BQ4yn8"
#define F1_IAT 1701960444
#define F1_JKT "nsnRYXLu2y5KUIxcX-zph8ZtLWiJfLKxVDVYUWPwhcc"

#define AUD "https://issuer.example.com"
#define NOW 1750000000

static EVP_PKEY *holder;      /* P-256 */
static json_t *holder_jwk;    /* its public JWK */

static char *b64(const char *s)
{
	return vci_b64url_encode((const uint8_t *)s, strlen(s));
}

static char *join(const char *h, const char *p, const char *s)
{
	char *out = malloc(strlen(h) + strlen(p) + strlen(s) + 3);

	sprintf(out, "%s.%s.%s", h, p, s);
	return out;
}

/* A proof signed by pk with the given header members and claims (JSON text). */
static char *sign(EVP_PKEY *pk, const char *alg, const char *header, const char *claims)
{
	json_auto_t *h = json_loads(header, 0, NULL);
	json_auto_t *c = json_loads(claims, 0, NULL);
	vci_err_t err = { 0 };
	char *t;

	if (!h || !c) {
		tap_diag("bad test JSON: %s / %s", header, claims);
		return strdup("x");
	}
	t = vci_jws_sign_json(pk, alg, h, c, &err);
	if (!t) {
		tap_diag("sign: %s", err.msg);
		return strdup("x");
	}
	return t;
}

/* Header text with our holder's public JWK. */
static char *jwk_header(const char *extra)
{
	char_auto_t *j = json_dumps(holder_jwk, JSON_COMPACT);
	char *out = malloc(strlen(j) + strlen(extra) + 80);

	sprintf(out, "{\"typ\":\"openid4vci-proof+jwt\",\"jwk\":%s%s}", j, extra);
	return out;
}

static char *claims(const char *extra)
{
	char *out = malloc(strlen(extra) + 80);

	sprintf(out, "{\"aud\":\"%s\",\"iat\":%d%s}", AUD, NOW, extra);
	return out;
}

static vci_proof_policy_t policy(void)
{
	vci_proof_policy_t p = { 0 };

	p.aud = AUD;
	p.now = NOW;
	return p;
}

/* Verify; returns 0 or -1; err filled. */
static int verify(const char *jwt, const vci_proof_policy_t *p, vci_err_t *err,
		  vci_proof_key_t *out)
{
	vci_proof_key_t k;
	int r;

	vci_err_clear(err);
	r = vci_proof_verify_jwt(jwt, strlen(jwt), p, &k, err);
	if (r == 0 && out)
		*out = k;
	else if (r == 0)
		vci_proof_key_free(&k);
	return r;
}

#define REFUSED(jwt, p, want_code, want_msg, name) do { \
	vci_err_t e_ = { 0 }; \
	int r_ = verify(jwt, p, &e_, NULL); \
	tap_ok(r_ == -1 && !strcmp(e_.code, want_code) && strstr(e_.msg, want_msg) && \
	       e_.status == VCI_EXIT_FAIL, "%s: %s [%s]", name, e_.msg, e_.code); \
} while (0)

static void test_f1_vector(void)
{
	vci_proof_policy_t p = { 0 };
	vci_proof_key_t k;
	vci_err_t err = { 0 };

	p.aud = F1_AUD;
	p.nonce = F1_NONCE;
	p.now = F1_IAT;
	tap_ok(verify(F1_PROOF, &p, &err, &k) == 0, "F.1 proof verifies: %s", err.msg);
	tap_is_str(k.jkt, F1_JKT, "F.1 holder_jkt");
	tap_is_str(json_string_value(json_object_get(k.jwk, "x")),
		   "nUWAoAv3XZith8E7i19OdaxOLYFOwM-Z2EuM02TirT4", "F.1 holder_jwk x");
	vci_proof_key_free(&k);
	p.aud = "https://other.example.com";
	REFUSED(F1_PROOF, &p, "invalid_proof", "\"aud\" is", "F.1 other aud");
	p.aud = F1_AUD;
	p.nonce = "other";
	REFUSED(F1_PROOF, &p, "invalid_nonce", "not the c_nonce", "F.1 other nonce");
	p.nonce = F1_NONCE;
	p.now = F1_IAT + 86400;
	REFUSED(F1_PROOF, &p, "invalid_proof", "seconds old", "F.1 clock far past");
	p.now = F1_IAT - 3600;
	REFUSED(F1_PROOF, &p, "invalid_proof", "in the future", "F.1 clock before iat");
	p.now = F1_IAT;
	{
		/* typ changed: header re-encoded, signature no longer matches */
		char_auto_t *h = b64("{\"typ\":\"JWT\",\"alg\":\"ES256\",\"jwk\":{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"nUWAoAv3XZith8E7i19OdaxOLYFOwM-Z2EuM02TirT4\",\"y\":\"HskHU8BjUi1U9Xqi7Swmj8gwAK_0xkcDjEW_71SosEY\"}}");
		const char *d = strchr(F1_PROOF, '.');
		char *t = malloc(strlen(h) + strlen(d) + 1);

		sprintf(t, "%s%s", h, d);
		REFUSED(t, &p, "invalid_proof", "\"typ\" is \"JWT\"", "F.1 typ changed");
		free(t);
	}
	p.algs = (const char *const[]){ "EdDSA", NULL };
	REFUSED(F1_PROOF, &p, "invalid_proof", "not allowed", "F.1 ES256 outside --alg");
}

static void test_refusals(void)
{
	vci_proof_policy_t p = policy();
	vci_err_t err = { 0 };
	char_auto_t *hdr = jwk_header("");
	char_auto_t *cl = claims("");
	char_auto_t *good = sign(holder, "ES256", hdr, cl);
	char_auto_t *pay = b64(cl);
	vci_proof_key_t k;

	tap_ok(verify(good, &p, &err, &k) == 0, "fresh ES256 jwk proof verifies: %s", err.msg);
	vci_proof_key_free(&k);

	{	/* alg none */
		char_auto_t *h = NULL, *t = NULL;
		char_auto_t *hj = jwk_header(",\"alg\":\"none\"");

		h = b64(hj);
		t = join(h, pay, "");
		REFUSED(t, &p, "invalid_proof", "\"none\" is refused", "alg none");
	}
	{	/* HS256 with the public key as the secret */
		char_auto_t *hj = jwk_header(",\"alg\":\"HS256\"");
		char_auto_t *h = b64(hj);
		char_auto_t *si = NULL, *t = NULL, *secret = json_dumps(holder_jwk, JSON_COMPACT);
		char *in = malloc(strlen(h) + strlen(pay) + 2);
		uint8_t mac[32];
		unsigned ml = 0;

		sprintf(in, "%s.%s", h, pay);
		HMAC(EVP_sha256(), secret, (int)strlen(secret), (uint8_t *)in, strlen(in), mac, &ml);
		si = vci_b64url_encode(mac, ml);
		t = join(h, pay, si);
		REFUSED(t, &p, "invalid_proof", "is a MAC", "HS256 keyed with the public JWK");
		free(in);
	}
	{	/* unknown alg */
		char_auto_t *hj = jwk_header(",\"alg\":\"ES256K\"");
		char_auto_t *h = b64(hj);
		char_auto_t *t = join(h, pay, "AAAA");

		REFUSED(t, &p, "invalid_proof", "unknown alg \"ES256K\"", "unknown alg");
	}
	{	/* typ missing / wrong */
		char_auto_t *j = json_dumps(holder_jwk, JSON_COMPACT);
		char h1[512], h2[512];
		char_auto_t *t1 = NULL, *t2 = NULL;

		snprintf(h1, sizeof h1, "{\"jwk\":%s}", j);
		snprintf(h2, sizeof h2, "{\"typ\":\"dpop+jwt\",\"jwk\":%s}", j);
		t1 = sign(holder, "ES256", h1, cl);
		t2 = sign(holder, "ES256", h2, cl);
		REFUSED(t1, &p, "invalid_proof", "\"typ\" missing", "typ missing");
		REFUSED(t2, &p, "invalid_proof", "\"typ\" is \"dpop+jwt\"", "typ wrong");
	}
	{	/* both jwk and kid; neither */
		char_auto_t *h1 = jwk_header(",\"kid\":\"did:example:1\"");
		char_auto_t *t1 = sign(holder, "ES256", h1, cl);
		char_auto_t *t2 = sign(holder, "ES256", "{\"typ\":\"openid4vci-proof+jwt\"}", cl);

		REFUSED(t1, &p, "invalid_proof", "mutually exclusive", "jwk and kid");
		REFUSED(t2, &p, "invalid_proof", "no key", "neither jwk nor kid");
	}
	{	/* jwk with a private part */
		json_auto_t *priv = vci_jwk_from_pkey(holder, NULL);
		char_auto_t *j = NULL;
		char h[600];
		char_auto_t *t = NULL;

		json_object_set_new(priv, "d", json_string("jpsQnnGQmL-YBIffH1136cspYG6-0iY7X1fCE9-E9LI"));
		j = json_dumps(priv, JSON_COMPACT);
		snprintf(h, sizeof h, "{\"typ\":\"openid4vci-proof+jwt\",\"alg\":\"ES256\",\"jwk\":%s}", j);
		{
			char_auto_t *hb = b64(h);

			t = join(hb, pay, strrchr(good, '.') + 1);
		}
		REFUSED(t, &p, "invalid_proof", "private key", "jwk with d");
	}
	{	/* point not on the curve */
		const char *h = "{\"typ\":\"openid4vci-proof+jwt\",\"jwk\":{\"kty\":\"EC\",\"crv\":\"P-256\","
			"\"x\":\"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU\","
			"\"y\":\"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a1\"}}";
		char_auto_t *t = sign(holder, "ES256", h, cl);
		vci_err_t e = { 0 };

		tap_ok(verify(t, &p, &e, NULL) == -1 && !strcmp(e.code, "invalid_proof") &&
		       !strncmp(e.msg, "proof: jwk", 10), "point not on the curve: %s", e.msg);
	}
	{	/* RSA under 2048 bits */
		EVP_PKEY_auto_t *small = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)1024);
		BIGNUM *n = NULL, *e = NULL;
		uint8_t nb[128], eb[3];
		char_auto_t *ns = NULL, *es = NULL;
		char h[700];
		char_auto_t *hb = NULL, *t = NULL;
		vci_err_t er = { 0 };

		EVP_PKEY_get_bn_param(small, "n", &n);
		EVP_PKEY_get_bn_param(small, "e", &e);
		BN_bn2binpad(n, nb, sizeof nb);
		BN_bn2binpad(e, eb, sizeof eb);
		ns = vci_b64url_encode(nb, sizeof nb);
		es = vci_b64url_encode(eb, sizeof eb);
		BN_free(n);
		BN_free(e);
		snprintf(h, sizeof h, "{\"typ\":\"openid4vci-proof+jwt\",\"alg\":\"RS256\","
			 "\"jwk\":{\"kty\":\"RSA\",\"n\":\"%s\",\"e\":\"%s\"}}", ns, es);
		hb = b64(h);
		t = join(hb, pay, "AAAA");
		tap_ok(verify(t, &p, &er, NULL) == -1 && !strcmp(er.code, "invalid_proof") &&
		       strstr(er.msg, "2048"), "RSA-1024 jwk: %s", er.msg);
	}
	{	/* signature of the wrong length, not matching */
		const char *d = strrchr(good, '.');
		char *t1 = malloc(strlen(good) + 8), *t2 = strdup(good);

		sprintf(t1, "%.*s.AAAA", (int)(d - good), good);
		REFUSED(t1, &p, "invalid_proof", "R||S", "signature wrong length");
		t2[strlen(t2) - 2] = t2[strlen(t2) - 2] == 'A' ? 'B' : 'A';
		REFUSED(t2, &p, "invalid_proof", "verification failed", "signature not matching");
		free(t1);
		free(t2);
	}
	{	/* aud */
		char_auto_t *t1 = sign(holder, "ES256", hdr, "{\"iat\":1750000000}");
		char_auto_t *t2 = sign(holder, "ES256", hdr,
				       "{\"aud\":\"https://evil.example\",\"iat\":1750000000}");
		char_auto_t *t3 = sign(holder, "ES256", hdr,
				       "{\"aud\":[\"https://a.example\"],\"iat\":1750000000}");
		char_auto_t *t4 = sign(holder, "ES256", hdr,
				       "{\"aud\":[\"https://a.example\",\"" AUD "\"],\"iat\":1750000000}");

		REFUSED(t1, &p, "invalid_proof", "\"aud\" missing", "aud missing");
		REFUSED(t2, &p, "invalid_proof", "\"aud\" is \"https://evil.example\"", "aud wrong");
		REFUSED(t3, &p, "invalid_proof", "does not contain", "aud array without the issuer");
		tap_ok(verify(t4, &p, &err, NULL) == 0, "aud array with the issuer: %s", err.msg);
	}
	{	/* iat */
		char_auto_t *t1 = sign(holder, "ES256", hdr, "{\"aud\":\"" AUD "\"}");
		char_auto_t *t2 = sign(holder, "ES256", hdr, "{\"aud\":\"" AUD "\",\"iat\":1750000100}");
		char_auto_t *t3 = sign(holder, "ES256", hdr, "{\"aud\":\"" AUD "\",\"iat\":1749999000}");
		char_auto_t *t4 = sign(holder, "ES256", hdr, "{\"aud\":\"" AUD "\",\"iat\":\"1750000000\"}");
		char_auto_t *t5 = sign(holder, "ES256", hdr, "{\"aud\":\"" AUD "\",\"iat\":1750000030}");
		vci_proof_policy_t q = p;

		REFUSED(t1, &p, "invalid_proof", "\"iat\" missing", "iat missing");
		REFUSED(t2, &p, "invalid_proof", "100 seconds in the future", "iat in the future");
		REFUSED(t3, &p, "invalid_proof", "1000 seconds old", "iat too old");
		REFUSED(t4, &p, "invalid_proof", "must be an integer", "iat a string");
		tap_ok(verify(t5, &p, &err, NULL) == 0, "iat 30 s ahead within skew: %s", err.msg);
		q.max_age = 2000;
		tap_ok(verify(t3, &q, &err, NULL) == 0, "max_age 2000 accepts 1000 s: %s", err.msg);
		q.skew = 10;
		REFUSED(t5, &q, "invalid_proof", "in the future", "skew 10 refuses 30 s ahead");
	}
	{	/* iss vs client_id */
		char_auto_t *t1 = sign(holder, "ES256", hdr, "{\"aud\":\"" AUD "\",\"iat\":1750000000,\"iss\":\"wallet-1\"}");
		vci_proof_policy_t q = p;

		q.client_id = "wallet-1";
		tap_ok(verify(t1, &q, &err, NULL) == 0, "iss equals client_id: %s", err.msg);
		REFUSED(good, &q, "invalid_proof", "\"iss\" missing", "iss missing with client_id");
		q.client_id = "wallet-2";
		REFUSED(t1, &q, "invalid_proof", "not the client_id", "iss differs");
	}
	{	/* malformed compact serialization */
		char *t1 = strdup(good), *t3 = malloc(strlen(good) + 8), *t4 = strdup(good);
		char *t5 = NULL;
		char_auto_t *hj = jwk_header(",\"alg\":\"ES256\"");
		char_auto_t *h = b64(hj), *arr = b64("[1,2]");
		char *big;
		size_t bl = 1u << 20;

		*strrchr(t1, '.') = '\0';
		REFUSED(t1, &p, "invalid_proof", "three", "two segments");
		sprintf(t3, "%s.AAAA", good);
		REFUSED(t3, &p, "invalid_proof", "three", "four segments");
		t4[3] = '*';
		REFUSED(t4, &p, "invalid_proof", "proof", "non-base64url header");
		t5 = join(h, arr, "AAAA");
		REFUSED(t5, &p, "invalid_proof", "not a JSON object", "payload an array");
		big = malloc(bl + 16);
		memset(big, 'e', bl);
		strcpy(big + bl, ".e30.AAAA");
		REFUSED(big, &p, "invalid_proof", "more than the", "megabyte header");
		REFUSED("", &p, "invalid_proof", "empty", "empty proof");
		free(big);
		free(t1);
		free(t3);
		free(t4);
		free(t5);
	}
}

static void test_kid(void)
{
	vci_proof_policy_t p = policy();
	vci_err_t err = { 0 };
	EVP_PKEY_auto_t *ed = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	char_auto_t *dk = vci_did_key_from_pkey(ed, NULL);
	char_auto_t *dj = vci_did_jwk_from_pkey(holder, NULL);
	char_auto_t *cl = claims("");
	char h[1024];
	char_auto_t *t1 = NULL, *t2 = NULL, *t3 = NULL, *t4 = NULL;
	vci_proof_key_t k;

	snprintf(h, sizeof h, "{\"typ\":\"openid4vci-proof+jwt\",\"kid\":\"%s#%s\"}", dk, dk + 8);
	t1 = sign(ed, "EdDSA", h, cl);
	tap_ok(verify(t1, &p, &err, &k) == 0, "did:key Ed25519 kid: %s", err.msg);
	tap_is_str(k.did, dk, "holder DID without fragment");
	tap_is_str(json_string_value(json_object_get(k.jwk, "crv")), "Ed25519", "did:key jwk");
	vci_proof_key_free(&k);
	snprintf(h, sizeof h, "{\"typ\":\"openid4vci-proof+jwt\",\"kid\":\"%s#0\"}", dj);
	t2 = sign(holder, "ES256", h, cl);
	tap_ok(verify(t2, &p, &err, NULL) == 0, "did:jwk kid: %s", err.msg);
	t3 = sign(holder, "ES256", "{\"typ\":\"openid4vci-proof+jwt\",\"kid\":\"did:web:example.com#k\"}", cl);
	REFUSED(t3, &p, "invalid_proof", "DID method \"web\" is not supported", "did:web refused");
	t4 = sign(holder, "ES256", "{\"typ\":\"openid4vci-proof+jwt\",\"kid\":\"key-1\"}", cl);
	REFUSED(t4, &p, "invalid_proof", "must be a DID URL", "plain kid refused");
	/* did:key of another key: signature does not match */
	snprintf(h, sizeof h, "{\"typ\":\"openid4vci-proof+jwt\",\"kid\":\"%s\"}", dk);
	free(t4);
	t4 = sign(holder, "ES256", h, cl);
	REFUSED(t4, &p, "invalid_proof", "proof", "kid names another key");
	{
		char_auto_t *t5 = sign(holder, "ES256", "{\"typ\":\"openid4vci-proof+jwt\",\"x5c\":[\"AAAA\"]}", cl);

		REFUSED(t5, &p, "invalid_proof", "no trust anchors (`ca`)", "x5c without --ca");
	}
}

static void test_nonce(void)
{
	static const uint8_t kb[32] = "0123456789abcdef0123456789abcdef";
	static const uint8_t kb2[32] = "fedcba9876543210fedcba9876543210";
	vci_nonce_key_t *k = vci_nonce_key_new(kb, sizeof kb, NULL);
	vci_nonce_key_t *k2 = vci_nonce_key_new(kb2, sizeof kb2, NULL);
	vci_err_t err = { 0 };
	char_auto_t *n = vci_nonce_new(k, NOW, 300, &err);
	char_auto_t *n2 = vci_nonce_new(k, NOW, 300, &err);
	char *tam;
	time_t issued = 0;
	vci_proof_policy_t p = policy();
	char c[256];
	char_auto_t *hdr = jwk_header("");
	char_auto_t *t1 = NULL, *t2 = NULL, *t3 = NULL;

	tap_ok(n && strlen(n) == VCI_NONCE_LEN, "nonce has %d characters", VCI_NONCE_LEN);
	tap_ok(n && n2 && strcmp(n, n2), "two nonces differ");
	tap_ok(vci_nonce_check(k, n, strlen(n), NOW + 10, &issued, &err) == 0 && issued == NOW,
	       "nonce checks, issued-at recovered: %s", err.msg);
	tap_ok(vci_nonce_check(k, n, strlen(n), NOW + 300, NULL, &err) == -1 &&
	       !strcmp(err.code, "invalid_nonce") && strstr(err.msg, "expired"),
	       "expired at ttl: %s", err.msg);
	tap_ok(vci_nonce_check(k2, n, strlen(n), NOW, NULL, &err) == -1 &&
	       strstr(err.msg, "forged"), "other key: %s", err.msg);
	{
		int64_t iss = 0, exp = 0;

		tap_ok(vci_nonce_check_life(k, n, strlen(n), NOW + 299, &iss, &exp, &err) == 0 &&
		       iss == NOW && exp == NOW + 300,
		       "check_life: valid until its own expiry, which it gives");
		tap_ok(vci_nonce_check_life(k, n, strlen(n), NOW + 300, NULL, &exp, &err) == -1 &&
		       !strcmp(err.code, "invalid_nonce"), "check_life: refused at expiry: %s",
		       err.msg);
	}
	tam = strdup(n);
	tam[20] = tam[20] == 'A' ? 'B' : 'A';
	tap_ok(vci_nonce_check(k, tam, strlen(tam), NOW, NULL, &err) == -1 &&
	       !strcmp(err.code, "invalid_nonce"), "tampered: %s", err.msg);
	free(tam);
	tap_ok(vci_nonce_check(k, "abc", 3, NOW, NULL, &err) == -1 &&
	       strstr(err.msg, "not a c_nonce"), "garbage: %s", err.msg);
	tap_ok(vci_nonce_key_new(kb, 16, &err) == NULL && strstr(err.msg, "16 bytes"),
	       "short key refused: %s", err.msg);

	p.nonce_key = k;
	snprintf(c, sizeof c, ",\"nonce\":\"%s\"", n);
	{
		char_auto_t *cl = claims(c);
		char_auto_t *cl0 = claims("");
		char_auto_t *cl2 = NULL;

		t1 = sign(holder, "ES256", hdr, cl);
		t2 = sign(holder, "ES256", hdr, cl0);
		/* one character in the middle changed, whatever it was (the
		 * last one may carry only unused bits) */
		snprintf(c, sizeof c, ",\"nonce\":\"%.40s%c%s\"", n, n[40] == 'A' ? 'g' : 'A',
			 n + 41);
		cl2 = claims(c);
		t3 = sign(holder, "ES256", hdr, cl2);
	}
	tap_ok(verify(t1, &p, &err, NULL) == 0, "proof with a live nonce: %s", err.msg);
	REFUSED(t2, &p, "invalid_proof", "\"nonce\" missing", "nonce missing");
	REFUSED(t3, &p, "invalid_nonce", "nonce", "nonce forged");
	p.now = NOW + 301;
	p.max_age = 600;
	REFUSED(t1, &p, "invalid_nonce", "expired", "nonce expired");
	p = policy();
	p.nonce = "abc";
	REFUSED(t1, &p, "invalid_nonce", "not the c_nonce", "literal nonce wrong");
	vci_nonce_key_free(k);
	vci_nonce_key_free(k2);
}

static void test_record(void)
{
	vci_proof_policy_t p = policy();
	vci_err_t err = { 0 };
	EVP_PKEY_auto_t *k2 = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	json_auto_t *jwk2 = vci_jwk_from_pkey(k2, NULL);
	char_auto_t *j2 = json_dumps(jwk2, JSON_COMPACT);
	char_auto_t *hdr = jwk_header("");
	char_auto_t *cl = claims("");
	char h2[512];
	char_auto_t *a = sign(holder, "ES256", hdr, cl), *b = NULL;
	json_auto_t *r1 = NULL, *r2 = NULL, *r3 = NULL, *r4 = NULL, *r5 = NULL;

	snprintf(h2, sizeof h2, "{\"typ\":\"openid4vci-proof+jwt\",\"jwk\":%s}", j2);
	b = sign(k2, "ES256", h2, cl);
	r1 = json_pack("{s:s,s:{s:[s]}}", "id", "r1", "proofs", "jwt", a);
	tap_ok(vci_proof_verify_record(r1, &p, &err) == 0, "record with one proof: %s", err.msg);
	tap_ok(json_is_object(json_object_get(r1, "holder_jwk")) &&
	       json_is_string(json_object_get(r1, "holder_jkt")) &&
	       !json_object_get(r1, "holder_jwks"), "holder_jwk and holder_jkt added");
	r2 = json_pack("{s:{s:[s,s]}}", "proofs", "jwt", a, b);
	tap_ok(vci_proof_verify_record(r2, &p, &err) == 0 &&
	       json_array_size(json_object_get(r2, "holder_jwks")) == 2 &&
	       json_array_size(json_object_get(r2, "holder_jkts")) == 2,
	       "batch of two: holder_jwks, holder_jkts: %s", err.msg);
	r3 = json_pack("{s:{s:[s,s]}}", "proofs", "jwt", a, a);
	tap_ok(vci_proof_verify_record(r3, &p, &err) == -1 && strstr(err.msg, "same key") &&
	       !json_object_get(r3, "holder_jwks"), "duplicate key refused: %s", err.msg);
	r4 = json_pack("{s:{s:{s:s,s:s}}}", "credential_request", "proof", "proof_type", "jwt",
		       "jwt", a);
	tap_ok(vci_proof_verify_record(r4, &p, &err) == 0 &&
	       json_object_get(r4, "holder_jkt"), "draft-13 proof under credential_request: %s",
	       err.msg);
	r5 = json_pack("{s:s}", "id", "x");
	tap_ok(vci_proof_verify_record(r5, &p, &err) == -1 && strstr(err.msg, "no proof") &&
	       json_object_size(r5) == 1, "record without proof: %s", err.msg);
	json_decref(r5);
	r5 = json_pack("{s:{s:[s]}}", "proofs", "di_vp", "x");
	tap_ok(vci_proof_verify_record(r5, &p, &err) == -1 && strstr(err.msg, "not supported"),
	       "di_vp refused: %s", err.msg);
	json_decref(r5);
	r5 = json_pack("{s:{s:[s],s:[s]}}", "proofs", "jwt", a, "attestation", a);
	tap_ok(vci_proof_verify_record(r5, &p, &err) == -1 && strstr(err.msg, "exactly one"),
	       "two proof types refused: %s", err.msg);
	json_decref(r5);
	r5 = json_pack("{s:{s:[s]}}", "proofs", "jwt", "a.b");
	tap_ok(vci_proof_verify_record(r5, &p, &err) == -1 && strstr(err.msg, "proofs.jwt[0]") &&
	       !strcmp(err.code, "invalid_proof"), "message names the proof: %s", err.msg);
	p.require_key_attestation = 1;
	tap_ok(vci_proof_verify_record(r1, &p, &err) == -1 && strstr(err.msg, "key_attestation"),
	       "--require-key-attestation refuses a plain proof: %s", err.msg);
}

/* ABCA draft-10 Client Attestation PoP example (jose.md V-5): the PoP
 * verifies with the attestation's cnf key and carries the aud and
 * challenge of the example. The attester's own key is not published, so
 * only the PoP signature can be checked. */
static const char abca_att[] =
	"eyJ0eXAiOiJvYXV0aC1jbGllbnQtYXR0ZXN0YXRpb24rand0IiwiYWxnIjoiRVMyNTYiLCJraWQiOiIxMSJ9."
	"eyJzdWIiOiJodHRwczovL2NsaWVudC5leGFtcGxlLmNvbSIsImlhdCI6MTc3MjQ4NzU5NSwiZXhwIjoyNTI5ODY2Mzk0"
	"LCJjbmYiOnsiandrIjp7Imt0eSI6IkVDIiwidXNlIjoic2lnIiwiY3J2IjoiUC0yNTYiLCJ4IjoiVmNLVk5CWjRJYUJB"
	"WVczanhNNHczVEpGVkE3bXllVUdReUd0LWdfeXZwUSIsInkiOiJmLUUtaFlFM1RBV0t3aFZ2OXBlajlOQUJzOVNYOVhz"
	"Tk84MHg1N2pGVHlVIn19fQ."
	"_TS4d-LAnRlwdN97wiVnl4z7C9gvm45IWr-BvGTzeZaHtZtgNZ88gvzroU3LElUPbgF4kWi_DFORnKzsx5yu6A";
static const char abca_pop[] =
	"eyJ0eXAiOiJvYXV0aC1jbGllbnQtYXR0ZXN0YXRpb24tcG9wK2p3dCIsImFsZyI6IkVTMjU2In0."
	"eyJhdWQiOiJodHRwczovL2FzLmV4YW1wbGUuY29tIiwianRpIjoiZDI1ZDAwYWItNTUyYi00NmZjLWFlMTktOThmNDQw"
	"ZjI1MDY0IiwiaWF0IjoxNzcyNDg3NTk1LCJjaGFsbGVuZ2UiOiI1YzFhOWUxMC0yOWZmLTRjMmItYWU3My01N2MwOTU3"
	"YzA5YzQifQ."
	"M4Uc4rWVAqaLlmDDUXQKkKPbAQKj0JrTizLgWhZndmbkvM3VL8y-w_QJr7Z0HZlH94E64cLa8L5fSjJItYv0jg";

static void test_abca_pop_vector(void)
{
	static const char *const es256[] = { "ES256", NULL };
	vci_err_t err = { 0 };
	vci_jws_t att = { 0 }, pop = { 0 };
	EVP_PKEY *cnf = NULL;
	json_t *jwk;
	char tampered[sizeof abca_pop];

	tap_ok(vci_jws_parse(abca_att, strlen(abca_att), &att, &err) == 0,
	       "ABCA V-5: attestation parses: %s", err.msg);
	jwk = json_object_get(json_object_get(att.payload, "cnf"), "jwk");
	cnf = vci_jwk_to_pkey(jwk, 0, &err);
	tap_ok(cnf != NULL, "ABCA V-5: cnf.jwk imports: %s", err.msg);
	tap_ok(vci_jws_parse(abca_pop, strlen(abca_pop), &pop, &err) == 0 &&
	       vci_jws_typ_is(json_string_value(json_object_get(pop.header, "typ")),
			      "oauth-client-attestation-pop+jwt"),
	       "ABCA V-5: PoP parses with its typ");
	tap_ok(cnf && vci_jws_verify(&pop, cnf, es256, &err) == 0,
	       "ABCA V-5: PoP signature verifies with the cnf key: %s", err.msg);
	tap_is_str(json_string_value(json_object_get(pop.payload, "aud")),
		   "https://as.example.com", "ABCA V-5: PoP aud");
	tap_is_str(json_string_value(json_object_get(pop.payload, "challenge")),
		   "5c1a9e10-29ff-4c2b-ae73-57c0957c09c4", "ABCA V-5: PoP challenge");
	vci_jws_free(&pop);
	/* one signature byte changed: refused */
	memcpy(tampered, abca_pop, sizeof abca_pop);
	{
		char *c = &tampered[strlen(tampered) - 5];

		*c = *c == 'A' ? 'B' : 'A';
	}
	tap_ok(vci_jws_parse(tampered, strlen(tampered), &pop, &err) == 0 &&
	       vci_jws_verify(&pop, cnf, es256, &err) < 0,
	       "ABCA V-5: a changed PoP signature is refused");
	vci_jws_free(&pop);
	vci_jws_free(&att);
	EVP_PKEY_free(cnf);
}

/* Attesters named by "kid": a JWK Set of trusted attester keys (OID4VCI
 * 1.0 Appendix D.1, attestation-based client authentication); "trust_chain"
 * and attestations naming no key are refused. */
static char *attestation_kid(EVP_PKEY *signer, const char *alg, const char *hdr_extra,
			     long exp)
{
	char_auto_t *hj = json_dumps(holder_jwk, JSON_COMPACT);
	char hdr[200], cl[600];

	snprintf(hdr, sizeof hdr, "{\"typ\":\"key-attestation+jwt\"%s}", hdr_extra);
	snprintf(cl, sizeof cl, "{\"iat\":%d,\"exp\":%ld,\"attested_keys\":[%s],"
		 "\"key_storage\":[\"iso_18045_high\"]}", NOW, exp, hj);
	return sign(signer, alg, hdr, cl);
}

static void test_attester_kid(void)
{
	EVP_PKEY_auto_t *att = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	EVP_PKEY_auto_t *rsa = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	json_auto_t *aj = vci_jwk_from_pkey(att, NULL);
	json_auto_t *rj = vci_jwk_from_pkey(rsa, NULL);
	json_auto_t *set = NULL;
	json_auto_t *jwks = NULL;
	char path[] = "/tmp/test-proof-jwks-XXXXXX";
	vci_proof_policy_t p = policy();
	vci_err_t err = { 0 };
	vci_proof_key_t k;
	int fd = mkstemp(path);

	json_object_set_new(aj, "kid", json_string("att-1"));
	json_object_set_new(aj, "alg", json_string("ES256"));
	json_object_set_new(rj, "kid", json_string("att-rsa"));
	json_object_set_new(rj, "alg", json_string("PS256"));
	set = json_pack("{s:[O,O]}", "keys", aj, rj);
	tap_ok(fd >= 0 && set && json_dumpfd(set, fd, 0) == 0, "attester JWK Set written");
	if (fd >= 0)
		close(fd);
	jwks = vci_jwks_load(path, &err);
	unlink(path);
	tap_ok(jwks != NULL, "attester JWK Set loads: %s", err.msg);

	{	/* key attestation inside a jwt proof, attester named by kid */
		char_auto_t *ka = attestation_kid(att, "ES256", ",\"kid\":\"att-1\"", NOW + 600);
		char_auto_t *extra = malloc(strlen(ka) + 40);
		char_auto_t *h = NULL, *cl = claims(""), *t = NULL;

		sprintf(extra, ",\"key_attestation\":\"%s\"", ka);
		h = jwk_header(extra);
		t = sign(holder, "ES256", h, cl);
		REFUSED(t, &p, "invalid_proof", "no attester keys (`trust_jwks`)",
			"kid-named key attestation without attester keys");
		p.trust_jwks = jwks;
		tap_ok(verify(t, &p, &err, &k) == 0 && k.attestation &&
		       json_object_get(k.attestation, "key_storage"),
		       "kid-named key attestation verifies against the JWK Set: %s", err.msg);
		vci_proof_key_free(&k);
	}
	{	/* the attestation proof type */
		char_auto_t *ka = attestation_kid(att, "ES256", ",\"kid\":\"att-1\"", NOW + 600);
		json_t *keys = NULL, *info = NULL;

		tap_ok(vci_proof_verify_attestation(ka, strlen(ka), &p, &keys, &info, &err) == 0 &&
		       json_array_size(keys) == 1, "attestation proof type by kid: %s", err.msg);
		json_decref(keys);
		json_decref(info);
	}
	{	/* the levels a configuration's key_attestations_required names
		 * (Appendix D.2): the attestation states key_storage
		 * iso_18045_high and no user_authentication */
		static const struct { const char *levels, *what; int ok; } lv[] = {
			{ "{}", "no level named", 1 },
			{ "{\"key_storage\":[\"iso_18045_moderate\",\"iso_18045_high\"]}",
			  "key_storage among those accepted", 1 },
			{ "{\"key_storage\":[]}", "an empty list", 1 },
			{ "{\"key_storage\":[\"iso_18045_moderate\"]}",
			  "key_storage not accepted", 0 },
			{ "{\"user_authentication\":[\"iso_18045_high\"]}",
			  "user_authentication not stated", 0 },
		};
		char_auto_t *ka = attestation_kid(att, "ES256", ",\"kid\":\"att-1\"", NOW + 600);
		char_auto_t *extra = malloc(strlen(ka) + 40);
		char_auto_t *h = NULL, *cl = claims(""), *t = NULL;

		sprintf(extra, ",\"key_attestation\":\"%s\"", ka);
		h = jwk_header(extra);
		t = sign(holder, "ES256", h, cl);
		for (size_t i = 0; i < sizeof lv / sizeof lv[0]; i++) {
			json_auto_t *req = json_loads(lv[i].levels, 0, NULL);
			json_t *keys = NULL, *info = NULL;
			int a, b;

			p.key_attestation_levels = req;
			vci_err_clear(&err);
			a = vci_proof_verify_attestation(ka, strlen(ka), &p, &keys, &info, &err);
			tap_ok(lv[i].ok ? a == 0 : a < 0 && !strcmp(err.code, "invalid_proof") &&
			       strstr(err.msg, "states none of the levels"),
			       "levels, attestation proof: %s: %s", lv[i].what,
			       lv[i].ok ? "accepted" : err.msg);
			json_decref(keys);
			json_decref(info);
			b = verify(t, &p, &err, &k);
			tap_ok(lv[i].ok ? b == 0 : b < 0, "levels, jwt proof header: %s", lv[i].what);
			if (b == 0)
				vci_proof_key_free(&k);
		}
		p.key_attestation_levels = NULL;
	}
	{	/* refusals */
		static const struct { const char *hdr, *alg, *msg, *what; } bad[] = {
			{ ",\"kid\":\"att-9\"", "ES256", "no trusted key has \"kid\" \"att-9\"",
			  "unknown kid" },
			{ ",\"kid\":\"att-rsa\"", "ES256", "is for alg \"PS256\", not \"ES256\"",
			  "kid of another attester's key" },
			{ ",\"kid\":\"att-1\",\"trust_chain\":[\"e30.e30.AA\"]", "ES256",
			  "\"trust_chain\" (OpenID Federation) is not supported", "trust_chain" },
			{ "", "ES256", "attester's key is not named", "no x5c or kid" },
			{ ",\"kid\":7", "ES256", "\"kid\" is not a string", "kid not a string" },
		};

		for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
			char_auto_t *ka = attestation_kid(att, bad[i].alg, bad[i].hdr, NOW + 600);
			json_t *keys = NULL, *info = NULL;

			vci_err_clear(&err);
			tap_ok(vci_proof_verify_attestation(ka, strlen(ka), &p, &keys, &info, &err) < 0 &&
			       !strcmp(err.code, "invalid_proof") && strstr(err.msg, bad[i].msg),
			       "attester key: %s refused: %s", bad[i].what, err.msg);
			json_decref(keys);
			json_decref(info);
		}
		{	/* a key whose JWK names another alg */
			char_auto_t *ka = attestation_kid(rsa, "RS256", ",\"kid\":\"att-rsa\"",
							  NOW + 600);
			json_t *keys = NULL, *info = NULL;

			tap_ok(vci_proof_verify_attestation(ka, strlen(ka), &p, &keys, &info, &err) < 0 &&
			       strstr(err.msg, "is for alg \"PS256\", not \"RS256\""),
			       "attester key: alg other than the key's refused: %s", err.msg);
			json_decref(keys);
			json_decref(info);
		}
		{	/* signed by another key than the one its kid names */
			EVP_PKEY_auto_t *other = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
			char_auto_t *ka = attestation_kid(other, "ES256", ",\"kid\":\"att-1\"",
							  NOW + 600);
			json_t *keys = NULL, *info = NULL;

			tap_ok(vci_proof_verify_attestation(ka, strlen(ka), &p, &keys, &info, &err) < 0 &&
			       strstr(err.msg, "signature"),
			       "attester key: forged under a trusted kid refused: %s", err.msg);
			json_decref(keys);
			json_decref(info);
		}
	}
	{	/* wallet attestation by kid */
		vci_wallet_policy_t w = { 0 };
		char_auto_t *hj = json_dumps(holder_jwk, JSON_COMPACT);
		char cl[400];
		char_auto_t *a = NULL, *pop = NULL;
		json_t *res = NULL;

		snprintf(cl, sizeof cl, "{\"sub\":\"wallet-1\",\"iat\":%d,\"exp\":%d,"
			 "\"cnf\":{\"jwk\":%s}}", NOW, NOW + 600, hj);
		a = sign(att, "ES256", "{\"typ\":\"oauth-client-attestation+jwt\",\"kid\":\"att-1\"}",
			 cl);
		pop = sign(holder, "ES256", "{\"typ\":\"oauth-client-attestation-pop+jwt\"}",
			   "{\"aud\":\"" AUD "\",\"jti\":\"j-1\",\"iat\":1750000000}");
		w.aud = AUD;
		w.now = NOW;
		tap_ok(vci_proof_verify_wallet_attestation(a, strlen(a), pop, strlen(pop), &w, &res,
							   &err) < 0 &&
		       strstr(err.msg, "`trust_jwks`") &&
		       !strcmp(err.code, "invalid_client_attestation"),
		       "wallet attestation by kid without attester keys refused: %s", err.msg);
		w.trust_jwks = jwks;
		tap_ok(vci_proof_verify_wallet_attestation(a, strlen(a), pop, strlen(pop), &w, &res,
							   &err) == 0 &&
		       !strcmp(json_string_value(json_object_get(res, "sub")), "wallet-1"),
		       "wallet attestation by kid verifies: %s", err.msg);
		json_decref(res);
		res = NULL;
		/* ABCA V-5 names its attester "kid" 11 */
		w.aud = "https://as.example.com";
		w.now = 1772487595;
		tap_ok(vci_proof_verify_wallet_attestation(abca_att, strlen(abca_att), abca_pop,
							   strlen(abca_pop), &w, &res, &err) < 0 &&
		       strstr(err.msg, "no trusted key has \"kid\" \"11\""),
		       "ABCA V-5: attester kid 11 looked up in the JWK Set: %s", err.msg);
		json_decref(res);
	}
}

/* A proof signed by pk with its public JWK in the header, written as
 * `jwk_text` (NULL: as vci_jwk_from_pkey writes it). */
static char *proof_by(EVP_PKEY *pk, const char *jwk_text)
{
	json_auto_t *j = vci_jwk_from_pkey(pk, NULL);
	char_auto_t *jt = j ? json_dumps(j, JSON_COMPACT) : NULL;
	char_auto_t *c = claims("");
	char h[1024];

	snprintf(h, sizeof h, "{\"typ\":\"openid4vci-proof+jwt\",\"jwk\":%s}",
		 jwk_text ? jwk_text : jt ? jt : "null");
	return sign(pk, NULL, h, c);
}

/* The holder key a proof gives: the public members of the header key in
 * the order kty, crv, x, y, however it was written; keys of any curve
 * one after another (header keys are set on reused key objects). */
static void test_holder_keys(void)
{
	vci_proof_policy_t p = policy();
	vci_err_t err = { 0 };
	json_auto_t *hj = vci_jwk_from_pkey(holder, NULL);
	char_auto_t *want = json_dumps(hj, JSON_COMPACT);
	const char *x = json_string_value(json_object_get(hj, "x"));
	const char *y = json_string_value(json_object_get(hj, "y"));
	char alt[3][512];
	const char *what[3] = { "as exported", "with kid, use and alg", "crv first" };

	snprintf(alt[0], sizeof alt[0], "%s", want);
	snprintf(alt[1], sizeof alt[1],
		 "{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"%s\",\"y\":\"%s\",\"kid\":\"k1\","
		 "\"use\":\"sig\",\"alg\":\"ES256\"}", x, y);
	snprintf(alt[2], sizeof alt[2],
		 "{\"crv\":\"P-256\",\"kty\":\"EC\",\"x\":\"%s\",\"y\":\"%s\"}", x, y);
	for (int i = 0; i < 3; i++) {
		char_auto_t *t = proof_by(holder, alt[i]);
		vci_proof_key_t k = { 0 };
		char_auto_t *got = NULL;

		tap_ok(verify(t, &p, &err, &k) == 0, "header jwk %s: verifies: %s", what[i],
		       err.msg);
		got = k.jwk ? json_dumps(k.jwk, JSON_COMPACT) : NULL;
		tap_is_str(got, want, "header jwk %s: holder key kty, crv, x, y", what[i]);
		vci_proof_key_free(&k);
	}
	{
		static const char *const curves[] = { "P-256", "P-384", "P-521", "P-256", "P-384" };
		EVP_PKEY *keys[5] = { 0 }, *ed = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
		char *toks[5] = { 0 };
		int ok = 1, refused = 1;

		for (int i = 0; i < 5; i++) {
			keys[i] = EVP_PKEY_Q_keygen(NULL, NULL, "EC", curves[i]);
			toks[i] = proof_by(keys[i], NULL);
		}
		for (int round = 0; round < 2; round++)
			for (int i = 0; i < 5; i++) {
				vci_proof_key_t k = { 0 };
				json_auto_t *j = vci_jwk_from_pkey(keys[i], NULL);
				char jkt[44] = "";

				vci_jwk_thumbprint(j, jkt, NULL);
				if (verify(toks[i], &p, &err, &k) < 0 || strcmp(k.jkt, jkt) ||
				    !json_equal(k.jwk, j))
					ok = 0;
				vci_proof_key_free(&k);
			}
		tap_ok(ok, "keys of P-256, P-384, P-521 one after another: each proof gives its key");
		/* a header key that is not the signer's, right after the signer's own */
		for (int i = 0; i < 5; i++) {
			json_auto_t *j = vci_jwk_from_pkey(keys[(i + 3) % 5], NULL);
			char_auto_t *jt = json_dumps(j, JSON_COMPACT);
			char_auto_t *t = proof_by(keys[i], jt);

			if (verify(toks[(i + 3) % 5], &p, &err, NULL) < 0)
				refused = 0;
			if (verify(t, &p, &err, NULL) == 0 ||
			    (!strstr(err.msg, "signature verification failed") &&
			     !strstr(err.msg, "does not fit")))
				refused = 0;
		}
		tap_ok(refused, "a proof whose header key is another key is refused");
		/* signed by the key of the proof just verified, under a new
		 * header key of the same curve: the reused key object and its
		 * verification context must check against the new point */
		refused = 1;
		for (int i = 0; i < 5; i++) {
			int o = i < 2 ? i + 3 : i == 2 ? 2 : i - 3; /* same curve */
			json_auto_t *j = vci_jwk_from_pkey(keys[o], NULL);
			char_auto_t *jt = json_dumps(j, JSON_COMPACT);
			char_auto_t *t = proof_by(keys[i], jt);

			if (o == i)
				continue;
			for (int twice = 0; twice < 2; twice++) {
				if (verify(toks[i], &p, &err, NULL) < 0 ||
				    verify(t, &p, &err, NULL) == 0 ||
				    !strstr(err.msg, "signature verification failed"))
					refused = 0;
			}
		}
		tap_ok(refused, "signed by the previous proof's key under another header key: refused");
		{
			char_auto_t *t = proof_by(ed, NULL);
			vci_proof_key_t k = { 0 };
			json_auto_t *j = vci_jwk_from_pkey(ed, NULL);

			tap_ok(verify(t, &p, &err, &k) == 0 && json_equal(k.jwk, j),
			       "Ed25519 header key: %s", err.msg);
			vci_proof_key_free(&k);
		}
		for (int i = 0; i < 5; i++) {
			EVP_PKEY_free(keys[i]);
			free(toks[i]);
		}
		EVP_PKEY_free(ed);
	}
	{
		/* an off-curve header key, then the good one */
		char bad[512];
		char_auto_t *t = NULL, *good = proof_by(holder, NULL);
		size_t n;

		snprintf(bad, sizeof bad, "{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"%s\",\"y\":\"%s\"}",
			 x, y);
		n = strlen(bad);
		/* y's last character changed: another point, off the curve */
		bad[n - 3] = bad[n - 3] == 'A' ? 'E' : 'A';
		t = proof_by(holder, bad);
		REFUSED(t, &p, "invalid_proof", "not a valid EC key", "off-curve header key");
		tap_ok(verify(good, &p, &err, NULL) == 0, "the good key after it verifies: %s",
		       err.msg);
	}
}

/* Proofs verified on several threads at once share the pool of reused
 * keys and contexts: each thread verifies proofs by keys of all curves,
 * and proofs whose header key is not the signer's. */
#define MT_KEYS 6
#define MT_THREADS 4
static char *mt_good[MT_KEYS], *mt_bad[MT_KEYS], mt_jkt[MT_KEYS][44];

static void *mt_run(void *arg)
{
	vci_proof_policy_t p = policy();
	intptr_t fails = 0;

	(void)arg;
	for (int round = 0; round < 20; round++)
		for (int i = 0; i < MT_KEYS; i++) {
			vci_proof_key_t k = { 0 };
			vci_err_t err = { 0 };

			if (vci_proof_verify_jwt(mt_good[i], strlen(mt_good[i]), &p, &k, &err) < 0 ||
			    strcmp(k.jkt, mt_jkt[i]))
				fails++;
			vci_proof_key_free(&k);
			if (vci_proof_verify_jwt(mt_bad[i], strlen(mt_bad[i]), &p, &k, &err) == 0) {
				fails++;
				vci_proof_key_free(&k);
			}
		}
	return (void *)fails;
}

static void test_threads(void)
{
	static const char *const curves[MT_KEYS] = { "P-256", "P-384", "P-521", "P-256",
						     "P-384", "P-521" };
	EVP_PKEY *keys[MT_KEYS];
	pthread_t th[MT_THREADS];
	intptr_t fails = 0;
	int started = 0;

	for (int i = 0; i < MT_KEYS; i++)
		keys[i] = EVP_PKEY_Q_keygen(NULL, NULL, "EC", curves[i]);
	for (int i = 0; i < MT_KEYS; i++) {
		/* bad: signed by key i, header key of the same curve (i + 3) */
		json_auto_t *j = vci_jwk_from_pkey(keys[i], NULL);
		json_auto_t *other = vci_jwk_from_pkey(keys[(i + 3) % MT_KEYS], NULL);
		char_auto_t *ot = json_dumps(other, JSON_COMPACT);

		vci_jwk_thumbprint(j, mt_jkt[i], NULL);
		mt_good[i] = proof_by(keys[i], NULL);
		mt_bad[i] = proof_by(keys[i], ot);
	}
	for (int t = 0; t < MT_THREADS; t++)
		if (pthread_create(&th[t], NULL, mt_run, NULL) == 0)
			started++;
	for (int t = 0; t < started; t++) {
		void *r = NULL;

		pthread_join(th[t], &r);
		fails += (intptr_t)r;
	}
	tap_ok(started == MT_THREADS && fails == 0,
	       "%d threads at once: every proof gives its key, every other-key proof refused "
	       "(%ld wrong)", started, (long)fails);
	for (int i = 0; i < MT_KEYS; i++) {
		EVP_PKEY_free(keys[i]);
		free(mt_good[i]);
		free(mt_bad[i]);
	}
}

int main(void)
{
	holder = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	holder_jwk = vci_jwk_from_pkey(holder, NULL);
	test_f1_vector();
	test_refusals();
	test_kid();
	test_nonce();
	test_record();
	test_holder_keys();
	test_threads();
	test_abca_pop_vector();
	test_attester_kid();
	json_decref(holder_jwk);
	EVP_PKEY_free(holder);
	return tap_done();
}
