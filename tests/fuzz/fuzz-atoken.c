/* fuzz-atoken.c - opening a sealed access token (crypto/atoken.h) never
 * crashes, leaves nothing behind when it refuses, and what opens seals
 * back to the very same text (the layout has one encoding); and any bytes
 * as an exchange id and thumbprint seal and open back, or are refused.
 * The seed corpus (tests/fuzz/corpus/atoken/) holds tokens sealed under
 * this key ("ok-*", valid at FUZZ_NOW), so mutations start from real ones. */
#include "crypto/atoken.h"

#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_NOW 1750000000

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t kb[32] = "fuzz-atoken-key-fuzz-atoken-key!";
	static vci_nonce_key_t *k;
	vci_atoken_t t, back;
	char *s;
	size_t n;

	if (!k)
		k = vci_nonce_key_new(kb, sizeof kb, NULL);
	if (!k)
		__builtin_trap();
	if (vci_atoken_open(k, (const char *)data, size, FUZZ_NOW, &t, NULL) < 0) {
		if (t.exchange_id[0] || t.dpop_jkt[0] || t.expires_at)
			__builtin_trap();
	} else {
		s = vci_atoken_seal(k, &t, NULL);
		if (!s || strlen(s) != size || memcmp(s, data, size))
			__builtin_trap();
		free(s);
	}

	/* the input as a grant: an id of its first bytes, a thumbprint of the rest */
	memset(&t, 0, sizeof t);
	n = size < VCI_ATOKEN_ID_MAX ? size : VCI_ATOKEN_ID_MAX;
	memcpy(t.exchange_id, data, n);
	if (size > n)
		memcpy(t.dpop_jkt, data + n, size - n < VCI_ATOKEN_JKT_MAX ? size - n
									  : VCI_ATOKEN_JKT_MAX);
	t.expires_at = FUZZ_NOW + 1;
	s = vci_atoken_seal(k, &t, NULL);
	if (!s)
		return 0; /* an empty id */
	if (strlen(s) > VCI_ATOKEN_MAX ||
	    vci_atoken_open(k, s, strlen(s), FUZZ_NOW, &back, NULL) < 0 ||
	    strcmp(back.exchange_id, t.exchange_id) || strcmp(back.dpop_jkt, t.dpop_jkt) ||
	    back.expires_at != t.expires_at)
		__builtin_trap();
	free(s);
	return 0;
}
