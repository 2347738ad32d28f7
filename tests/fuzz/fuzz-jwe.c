/* fuzz-jwe.c - libFuzzer target over vci_jwe_decrypt: the input is a
 * compact JWE, decrypted with a fixed P-256 key (RFC 7518 Appendix C's
 * Bob). Only a token made to that key with a valid tag can decrypt. */
#include "base/common.h"
#include "crypto/jwe.h"
#include "crypto/keys.h"

static EVP_PKEY *fixed_key(void)
{
	static EVP_PKEY *pk;

	if (!pk) {
		json_t *j = json_pack("{s:s,s:s,s:s,s:s,s:s}", "kty", "EC", "crv", "P-256",
				      "x", "weNJy2HscCSM6AEDTDg04biOvhFhyyWvOHQfeF_PxMQ",
				      "y", "e8lnCO-AlStT-NJVX-crhB7QRYhiix03illJOVAOyck",
				      "d", "VEmDZpDXXK8p8N0Cndsxs924q6nS1RXFASRl6BfUqdw");

		pk = vci_jwk_to_pkey(j, 1, NULL);
		json_decref(j);
	}
	return pk;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	vci_err_t err = { 0 };
	uint8_t *pt = NULL;
	size_t n = 0;
	json_t *h = NULL;

	if (vci_jwe_decrypt((const char *)data, size, fixed_key(), &pt, &n, &h, &err) == 0) {
		if (!pt || !h || pt[n] != '\0')
			__builtin_trap();
		json_decref(h);
		free(pt);
	} else if (pt || h) {
		__builtin_trap();
	}
	return 0;
}
