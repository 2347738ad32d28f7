/* fuzz-b64url.c - the strict decoders must never crash, and whatever they
 * accept must be canonical: encoding the result gives the input back. */
#include "base/b64url.h"

#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_canonical(const char *in, size_t n, int padded)
{
	uint8_t *out = NULL;
	size_t outlen = 0;
	char *again;
	int rc = padded ? vci_b64_decode(in, n, &out, &outlen, NULL)
			: vci_b64url_decode(in, n, &out, &outlen, NULL);

	if (rc < 0) {
		if (out)
			__builtin_trap();
		return;
	}
	if (out[outlen] != '\0')
		__builtin_trap();
	again = padded ? vci_b64_encode(out, outlen) : vci_b64url_encode(out, outlen);
	if (!again || strlen(again) != n || memcmp(again, in, n))
		__builtin_trap();
	free(again);
	free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *in = (const char *)data;
	uint8_t *out = NULL;
	size_t outlen = 0;
	char *enc;
	json_t *j;

	check_canonical(in, size, 0);
	check_canonical(in, size, 1);

	/* any bytes encode and decode back */
	enc = vci_b64url_encode(data, size);
	if (!enc || strlen(enc) != vci_b64url_len(size) ||
	    vci_b64url_decode(enc, strlen(enc), &out, &outlen, NULL) < 0 ||
	    outlen != size || (size && memcmp(out, data, size)))
		__builtin_trap();
	free(out);
	free(enc);

	j = vci_b64url_decode_json(in, size, "fuzz", NULL);
	if (j)
		json_decref(j);
	return 0;
}
