/* fuzz-statuslist.c - libFuzzer target over the status list parsers: the
 * token reader (JWT, binary or hex CWT, W3C credential JWT, with the zlib
 * and gzip inflaters and the bounded CBOR decoder under it) and the list
 * file reader. A list file is parsed as given and again with its CRC
 * fixed up, so that the fuzzer reaches the checks behind the checksum;
 * whatever parses must serialize and parse back to the same list. */
#include "base/common.h"
#include "crypto/cose.h"
#include "crypto/keys.h"
#include "oid4vci/statuslist.h"

#include <string.h>
#include <zlib.h>

static EVP_PKEY *tsl_key(void)
{
	static EVP_PKEY *pk;

	if (!pk) {
		json_t *j = json_pack("{s:s,s:s,s:s,s:s}", "kty", "EC", "crv", "P-256",
				      "x", "I3HWm_0Ds1dPMI-IWmf4mBmH-YaeAVbPVu7vB27CxXo",
				      "y", "6N_d5Elj9bs1htgV3okJKIdbHEpkgTmAluYKJemzn1M");

		pk = vci_jwk_to_pkey(j, 0, NULL);
		json_decref(j);
	}
	return pk;
}

static void list_file(const uint8_t *data, size_t size)
{
	vci_err_t err = { 0 };
	vci_statuslist_t *sl = vci_statuslist_parse(data, size, "fuzz", &err);
	uint8_t *buf = NULL;
	size_t len = 0;

	if (!sl)
		return;
	if (vci_statuslist_serialize(sl, &buf, &len, &err) == 0) {
		vci_statuslist_t *back = vci_statuslist_parse(buf, len, "fuzz", &err);
		uint64_t idx;
		unsigned v;

		if (!back || back->size != sl->size || back->allocated != sl->allocated ||
		    memcmp(back->lst, sl->lst, sl->lst_len) ||
		    memcmp(back->alloc_map, sl->alloc_map, sl->map_len))
			__builtin_trap(); /* a list that parses must round-trip */
		if (vci_statuslist_alloc(back, 1, &idx, &err) == 0 &&
		    (idx >= back->size || vci_statuslist_get(back, idx, &v, &err) < 0))
			__builtin_trap();
		vci_statuslist_free(back);
	}
	free(buf);
	vci_statuslist_free(sl);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const es256[] = { "ES256", NULL };
	vci_err_t err = { 0 };
	vci_sl_token_t tok;

	if (vci_statuslist_token_parse(data, size, 1u << 20, &tok, &err) == 0) {
		unsigned v;

		vci_statuslist_token_verify(&tok, tsl_key(), es256, 0, NULL, &err);
		vci_statuslist_token_status(&tok, 0, &v, &err);
		vci_statuslist_token_status(&tok, 12345, &v, &err);
		vci_statuslist_token_free(&tok);
	}
	list_file(data, size);
	if (size >= 4 && size <= (4u << 20)) {
		uint8_t *copy = malloc(size);
		uint32_t crc;

		if (copy) {
			memcpy(copy, data, size);
			crc = (uint32_t)crc32_z(crc32_z(0L, Z_NULL, 0), copy, size - 4);
			copy[size - 4] = (uint8_t)(crc >> 24);
			copy[size - 3] = (uint8_t)(crc >> 16);
			copy[size - 2] = (uint8_t)(crc >> 8);
			copy[size - 1] = (uint8_t)crc;
			list_file(copy, size);
			free(copy);
		}
	}
	{
		cbor_item_t *item = vci_cbor_load(data, size, VCI_CBOR_MAX_DEPTH, &err);

		if (item)
			cbor_decref(&item);
	}
	return 0;
}
