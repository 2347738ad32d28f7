/* fuzz-jws.c - libFuzzer target over vci_jws_parse and vci_jws_verify.
 * The input is a compact JWS; it is verified with a fixed P-256 key and,
 * when its header carries a "jwk", with that key too (the DPoP path),
 * and the JWK is thumbprinted. */
#include "base/common.h"
#include "crypto/jws.h"
#include "crypto/keys.h"

#include <string.h>

static EVP_PKEY *fixed_key(void)
{
	static EVP_PKEY *pk;

	if (!pk) {
		json_t *j = json_pack("{s:s,s:s,s:s,s:s}", "kty", "EC", "crv", "P-256",
				      "x", "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU",
				      "y", "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0");

		pk = vci_jwk_to_pkey(j, 0, NULL);
		json_decref(j);
	}
	return pk;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const allowed[] = { "ES256", "ES384", "ES512", "EdDSA", "Ed25519",
					       "RS256", "PS256", "none", "HS256", NULL };
	vci_err_t err = { 0 };
	vci_jws_t jws;
	const json_t *jwk;

	if (vci_jws_parse((const char *)data, size, &jws, &err) < 0)
		return 0;
	if (vci_jws_verify(&jws, fixed_key(), allowed, &err) == 0 && strcmp(jws.alg, "ES256"))
		__builtin_trap(); /* only a real ES256 signature can pass */
	jwk = json_object_get(jws.header, "jwk");
	if (jwk) {
		EVP_PKEY *pk = vci_jwk_to_pkey(jwk, 0, &err);
		char tp[44];

		if (pk) {
			vci_jws_verify(&jws, pk, NULL, &err);
			EVP_PKEY_free(pk);
		}
		vci_jwk_thumbprint(jwk, tp, &err);
	}
	vci_jws_free(&jws);
	return 0;
}
