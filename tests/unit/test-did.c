/* test-did.c - did:key and did:jwk vectors (jose.md V-6, V-7), round
 * trips, fragments and refusals. */
#include "base/common.h"
#include "crypto/did.h"
#include "crypto/keys.h"
#include "tap.h"

#include <string.h>

#define DIDKEY_ED0 "did:key:z6MkiTBz1ymuepAQ4HEHYSF1H8quG5GLVVQR3djdX3mDooWp"
#define DIDKEY_P256 "did:key:zDnaerDaTF5BXEavCrfRZEk316dpbLsfPDZ3WJ5hRTPFU2169"
#define DIDKEY_HOLDER "did:key:z6MkvrFpBNCoYewiaeBLgjUDvLxUtnK5R6mqh5XPvLsrPsro"
#define DIDJWK_P256 "did:jwk:eyJjcnYiOiJQLTI1NiIsImt0eSI6IkVDIiwieCI6ImFjYklRaXVNczNpOF91c3pFakoydHBUdFJNNEVVM3l6OTFQSDZDZEgyVjAiLCJ5IjoiX0tjeUxqOXZXTXB0bm1LdG00NkdxRHo4d2Y3NEk1TEtncmwyR3pIM25TRSJ9"
#define DIDJWK_X25519 "did:jwk:eyJrdHkiOiJPS1AiLCJjcnYiOiJYMjU1MTkiLCJ1c2UiOiJlbmMiLCJ4IjoiM3A3YmZYdDl3YlRUVzJIQzdPUTFOei1EUThoYmVHZE5yZngtRkctSUswOCJ9"

static const char *member(const json_t *j, const char *k)
{
	return json_string_value(json_object_get(j, k));
}

static void test_did_key(void)
{
	static const uint8_t seed[32] = { 0 };
	EVP_PKEY_auto_t *ed = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, seed, 32);
	vci_err_t err = { 0 };
	char_auto_t *did = vci_did_key_from_pkey(ed, &err);
	json_auto_t *jwk = NULL;
	EVP_PKEY_auto_t *pk = NULL;
	char tp[44] = "";

	tap_is_str(did, DIDKEY_ED0, "V-6: Ed25519 zero seed -> did:key");
	pk = vci_did_resolve(DIDKEY_ED0, &jwk, &err);
	tap_ok(pk && EVP_PKEY_eq(pk, ed) == 1, "V-6: resolves to the same key");
	tap_is_str(member(jwk, "x"), "O2onvM62pC1io6jQKm8Nc2UyFXcd4kOmOsBIoYtZ2ik", "V-6: x");
	tap_ok(jwk && vci_jwk_thumbprint(jwk, tp, &err) == 0, "V-6: thumbprint");
	tap_is_str(tp, "9ZP03Nu8GrXPAUkbKNxHOKBzxPX83SShgFkRNK-f2lw", "V-6: thumbprint value");
	EVP_PKEY_free(pk);
	json_decref(jwk);
	jwk = NULL;

	pk = vci_did_resolve(DIDKEY_P256, &jwk, &err);
	tap_ok(pk != NULL, "V-6: P-256 did:key resolves");
	tap_is_str(member(jwk, "x"), "fyNYMN0976ci7xqiSdag3buk-ZCwgXU4kz9XNkBlNUI", "V-6: P-256 x");
	tap_is_str(member(jwk, "y"), "hW2ojTNfH7Jbi8--CJUo3OCbH3y5n91g-IMA9MLMbTU", "V-6: P-256 y");
	free(did);
	did = pk ? vci_did_key_from_pkey(pk, &err) : NULL;
	tap_is_str(did, DIDKEY_P256, "V-6: P-256 key -> the same did:key (compressed point)");
	EVP_PKEY_free(pk);
	json_decref(jwk);
	jwk = NULL;

	pk = vci_did_resolve(DIDKEY_HOLDER, &jwk, &err);
	tap_is_str(member(jwk, "x"), "858WhTffwt3pzRkcrP8hwEXQ0SCKBNJ1nTg1Xg_gilA",
		   "OID4VCI holder did:key -> Ed25519 x");
	EVP_PKEY_free(pk);
	json_decref(jwk);
	jwk = NULL;

	pk = vci_did_resolve(DIDKEY_ED0 "#z6MkiTBz1ymuepAQ4HEHYSF1H8quG5GLVVQR3djdX3mDooWp", NULL, &err);
	tap_ok(pk != NULL, "did:key URL with its multibase fragment resolves");
	EVP_PKEY_free(pk);
	pk = vci_did_resolve(DIDKEY_ED0 "#key-1", NULL, &err);
	tap_ok(!pk && err.status == VCI_EXIT_KEY, "did:key with another fragment refused: %s", err.msg);
	pk = vci_did_resolve("did:key:z6LSbk7MN8NDFRJBo2wkq5sYG4XonrAvuJVkS4NaaDcbD6Th", NULL, &err);
	tap_ok(!pk && strstr(err.msg, "X25519"), "X25519 did:key refused: %s", err.msg);
	pk = vci_did_resolve("did:key:zQ3shMUiwgYY24hGs5upF8sbE9WHp6T7RyfWKT7KM6wVik73D", NULL, &err);
	tap_ok(!pk && strstr(err.msg, "multicodec"), "secp256k1 did:key refused: %s", err.msg);
	pk = vci_did_resolve("did:key:z2DQUz8yxybcgY49o2TDENNPqPQBbVynuU6CcNCWtSMrwMx", NULL, &err);
	tap_ok(!pk && strstr(err.msg, "length"), "31-byte Ed25519 did:key refused: %s", err.msg);
	pk = vci_did_resolve("did:key:zQhVUSU7KgriYVUvqqCy4dsxtxicgT9vAiMxyyx69tf1MYJMV", NULL, &err);
	tap_ok(!pk, "non-minimal varint refused: %s", err.msg);
	pk = vci_did_resolve("did:key:z6MkiTBz1ymuepAQ4HEHYSF1H8quG5GLVVQR3djdX3mDoo0p", NULL, &err);
	tap_ok(!pk, "base58 with '0' refused: %s", err.msg);
	pk = vci_did_resolve("did:key:u7QE", NULL, &err);
	tap_ok(!pk, "multibase other than z refused: %s", err.msg);
	pk = vci_did_resolve("did:web:example.com", NULL, &err);
	tap_ok(!pk && err.status == VCI_EXIT_KEY, "did:web refused: %s", err.msg);
	{
		EVP_PKEY_auto_t *p384 = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-384");
		char *d = vci_did_key_from_pkey(p384, &err);

		tap_ok(!d, "did:key for P-384 not produced: %s", err.msg);
	}
}

static void test_did_jwk(void)
{
	vci_err_t err = { 0 };
	json_auto_t *jwk = NULL;
	json_auto_t *want = json_loads("{\"crv\":\"P-256\",\"kty\":\"EC\",\"x\":\"acbIQiuMs3i8_uszEjJ2tpTtRM4EU3yz91PH6CdH2V0\",\"y\":\"_KcyLj9vWMptnmKtm46GqDz8wf74I5LKgrl2GzH3nSE\"}", 0, NULL);
	EVP_PKEY_auto_t *pk = vci_did_resolve(DIDJWK_P256, &jwk, &err);
	EVP_PKEY *p2;
	char_auto_t *did = NULL;

	tap_ok(pk != NULL, "V-7: P-256 did:jwk resolves");
	tap_ok(jwk && json_equal(jwk, want), "V-7: JWK as in the spec");
	p2 = vci_did_resolve(DIDJWK_P256 "#0", NULL, &err);
	tap_ok(p2 != NULL, "V-7: did:jwk URL #0 resolves");
	EVP_PKEY_free(p2);
	p2 = vci_did_resolve(DIDJWK_P256 "#1", NULL, &err);
	tap_ok(!p2 && err.status == VCI_EXIT_KEY, "did:jwk #1 refused: %s", err.msg);
	p2 = vci_did_resolve(DIDJWK_X25519, NULL, &err);
	tap_ok(!p2 && err.status == VCI_EXIT_KEY, "V-7: X25519 use:enc did:jwk refused: %s", err.msg);
	p2 = vci_did_resolve("did:jwk:eyJrdHkiOiJFQyJ9=", NULL, &err);
	tap_ok(!p2, "did:jwk with padding refused: %s", err.msg);
	/* private member */
	p2 = vci_did_resolve("did:jwk:eyJrdHkiOiJPS1AiLCJjcnYiOiJFZDI1NTE5IiwiZCI6Im5XR3huZV85V21DNmhFcjBrdXdzeEVSSnhXbDdNbWtaY0R1c0F4eXVmMkEiLCJ4IjoiMTFxWUFZS3hDcmZWU183VHlXUUhPZzdoY3ZQYXBpTWxyd0lhYVBjSFVSbyJ9",
			     NULL, &err);
	tap_ok(!p2 && strstr(err.msg, "private"), "did:jwk with d refused: %s", err.msg);

	did = pk ? vci_did_jwk_from_pkey(pk, &err) : NULL;
	tap_ok(did && !strncmp(did, "did:jwk:eyJrdHkiOiJFQyIs", 24), "did:jwk from a key (kty first)");
	p2 = did ? vci_did_resolve(did, NULL, &err) : NULL;
	tap_ok(p2 && EVP_PKEY_eq(p2, pk) == 1, "did:jwk round trip");
	EVP_PKEY_free(p2);
}

int main(void)
{
	test_did_key();
	test_did_jwk();
	return tap_done();
}
