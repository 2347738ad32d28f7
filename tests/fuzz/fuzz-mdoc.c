/* fuzz-mdoc.c - libFuzzer target over the parser vci-sign-mdoc verify
 * uses: an IssuerSigned or DeviceResponse (bounded CBOR decoding, the
 * COSE_Sign1 parser, x5chain certificates, the tag-24 MSO, validity,
 * device key, items), judged at a time inside the Annex D validity so
 * that the vectors in the corpus get past the signature. The input is
 * also tried as a COSE_Key, and as the nameSpaces of the Annex D
 * IssuerSigned (so item parsing is reached without a signature), and, when
 * it is JSON, as an element value for every element type (what encodes
 * must decode). Whatever verifies must print as JSON. */
#include "base/b64url.h"
#include "base/common.h"
#include "crypto/cose.h"
#include "oid4vci/mdoc.h"

#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* issuerAuth of the Annex D IssuerSigned, once */
static const uint8_t *annexd_auth(size_t *len)
{
	static uint8_t *auth;
	static size_t alen;

	if (!auth) {
		const char *src = getenv("VCI_SRCDIR");
		char path[4096];
		char *txt = NULL;
		size_t n = 0;
		uint8_t *bin = NULL;
		size_t bl = 0;
		cbor_item_t *root;

		/* $VCI_SRCDIR, the source tree, or its parent (from a build directory) */
		for (int i = 0; i < 3 && !txt; i++) {
			snprintf(path, sizeof path, "%s/tests/vectors/iso18013-5-annexD-issuersigned.b64u",
				 i == 0 ? (src ? src : ".") : i == 1 ? "." : "..");
			txt = vci_read_file(path, 1u << 20, &n, NULL);
		}
		while (txt && n && (txt[n - 1] == '\n' || txt[n - 1] == '\r'))
			txt[--n] = '\0';
		if (txt && vci_b64url_decode(txt, n, &bin, &bl, NULL) == 0 &&
		    (root = vci_cbor_load(bin, bl, VCI_CBOR_MAX_DEPTH, NULL))) {
			const cbor_item_t *a = vci_cbor_map_get_str(root, "issuerAuth");

			if (a)
				vci_cbor_serialize(a, &auth, &alen, NULL);
			cbor_decref(&root);
		}
		free(txt);
		free(bin);
		if (!auth) {
			auth = (uint8_t *)"";
			alen = 0;
		}
	}
	*len = alen;
	return auth;
}

static void check_json(json_t *res)
{
	char *s = json_dumps(res, JSON_COMPACT);

	if (!s)
		__builtin_trap(); /* a verified credential must print */
	free(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	vci_mdoc_verify_opts_t o = { .at = 1609459200 };
	vci_err_t err = { 0 };
	json_t *res = NULL;
	cbor_item_t *item;
	size_t alen;
	const uint8_t *auth;

	if (vci_mdoc_verify(data, size, &o, &res, &err) == 0) {
		check_json(res);
		json_decref(res);
	}
	item = vci_cbor_load(data, size, VCI_CBOR_MAX_DEPTH, &err);
	if (item) {
		EVP_PKEY *pk = NULL;
		json_t *jwk = vci_mdoc_cose_key_to_jwk(item, &pk, &err);

		json_decref(jwk);
		EVP_PKEY_free(pk);
		cbor_decref(&item);
	}
	/* JSON input: the element encoders (claims values as records carry them) */
	if (size && size < 65536 && (data[0] == '{' || data[0] == '[' || data[0] == '"')) {
		json_t *j = json_loadb((const char *)data, size, JSON_DECODE_ANY, NULL);

		for (int t = VCI_MDOC_ANY; j && t <= VCI_MDOC_DRIVING_PRIVILEGES; t++) {
			vci_buf_t b = { 0 };

			if (vci_mdoc_encode_value(&b, j, (vci_mdoc_type_t)t, "claims.x", &err) == 0) {
				/* what we encode is well-formed CBOR */
				cbor_item_t *back = vci_cbor_load(b.buf, b.len, VCI_CBOR_MAX_DEPTH, &err);

				if (!back && b.len && err.status == VCI_EXIT_INPUT &&
				    strstr(err.msg, "nesting") == NULL)
					__builtin_trap();
				if (back)
					cbor_decref(&back);
			}
			vci_buf_free(&b);
		}
		json_decref(j);
	}
	auth = annexd_auth(&alen);
	if (alen && size < (1u << 20)) {
		vci_buf_t b = { 0 };

		vci_cbuf_head(&b, 5, 2);
		vci_cbuf_str(&b, "nameSpaces");
		vci_cbuf_raw(&b, data, size);
		vci_cbuf_str(&b, "issuerAuth");
		vci_cbuf_raw(&b, auth, alen);
		res = NULL;
		if (!b.failed && vci_mdoc_verify_issuer_signed(b.buf, b.len, &o, &res, &err) == 0) {
			check_json(res);
			json_decref(res);
		}
		vci_buf_free(&b);
	}
	return 0;
}
