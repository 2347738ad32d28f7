/* fuzz-seal.c - opening a sealed value never crashes, never accepts what
 * the key did not seal, and leaves nothing behind when it refuses; and any
 * bytes seal and open back. The seed corpus (tests/fuzz/corpus/seal/)
 * holds values sealed with this key and aad ("ok-*", made with
 * `test-seal seal KEYHEX fuzz-seal`), so mutations start from real ones. */
#include "crypto/seal.h"

#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* 000102...1f */
static const uint8_t fuzz_key[VCI_SEAL_KEY] = {
	0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a,
	0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x10, 0x11, 0x12, 0x13, 0x14, 0x15,
	0x16, 0x17, 0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f,
};
#define FUZZ_AAD "fuzz-seal"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *out = (uint8_t *)"", *back = NULL;
	size_t outlen = 1, backlen = 0;
	char *s;
	int rc;

	rc = vci_seal_open(fuzz_key, FUZZ_AAD, strlen(FUZZ_AAD), (const char *)data, size, &out,
			   &outlen, NULL);
	if (rc < 0 && (out || outlen))
		__builtin_trap();
	if (rc == 0) {
		if (out[outlen] != '\0')
			__builtin_trap();
		/* what opened must not open under another aad */
		free(back);
		back = NULL;
		if (vci_seal_open(fuzz_key, "other", 5, (const char *)data, size, &back, &backlen,
				  NULL) == 0)
			__builtin_trap();
		free(out);
	}

	s = vci_seal(fuzz_key, FUZZ_AAD, strlen(FUZZ_AAD), data, size, NULL);
	if (!s || vci_seal_open(fuzz_key, FUZZ_AAD, strlen(FUZZ_AAD), s, strlen(s), &back,
				&backlen, NULL) < 0 ||
	    backlen != size || (size && memcmp(back, data, size)))
		__builtin_trap();
	free(back);
	free(s);
	return 0;
}
