/* fuzz-sdjwt.c - libFuzzer target over the SD-JWT parser used by
 * `vci-sign-sdjwt verify`: the input is split and parsed as a compact
 * SD-JWT, its disclosures processed without the signature check (so the
 * digest and disclosure logic is reached), then fully verified with the
 * RFC 9901 example issuer key and with key binding asked for. */
#include "base/common.h"
#include "crypto/keys.h"
#include "oid4vci/sdjwt.h"

#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static EVP_PKEY *key;
	vci_sdjwt_verify_opts_t o = { 0 };
	vci_err_t err = { 0 };
	vci_sdjwt_t sd;
	json_t *claims = NULL;

	if (!key) {
		json_t *jwk = json_pack("{s:s,s:s,s:s,s:s}", "kty", "EC", "crv", "P-256",
					"x", "b28d4MwZMjw8-00CG4xfnn9SLMVMM19SlqZpVb_uNtQ",
					"y", "Xv5zWwuoaTgdS6hV43yI6gBwTnjukmFQQnJ_kCxzqk8");

		key = vci_jwk_to_pkey(jwk, 0, &err);
		json_decref(jwk);
		if (!key)
			__builtin_trap();
	}
	if (vci_sdjwt_parse((const char *)data, size, &sd, &err) == 0) {
		json_t *p = vci_sdjwt_disclose(&sd, &err);

		if (p) {
			if (json_object_get(p, "_sd") || json_object_get(p, "_sd_alg"))
				__builtin_trap(); /* processed payloads carry no digests */
			json_decref(p);
		}
		vci_sdjwt_free(&sd);
	}
	o.key = key;
	o.now = 1748537244;
	if (vci_sdjwt_verify((const char *)data, size, &o, &claims, &err) == 0)
		json_decref(claims);
	o.kb_aud = "https://verifier.example.org";
	o.kb_nonce = "1234567890";
	if (vci_sdjwt_verify((const char *)data, size, &o, &claims, &err) == 0)
		json_decref(claims);
	return 0;
}
