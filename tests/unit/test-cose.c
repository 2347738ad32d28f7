/* test-cose.c - COSE_Sign1: the draft's status list CWT and mdoc
 * IssuerAuth vectors, sign/verify round trips for each algorithm,
 * tampering, allow-lists, and the bounded CBOR decoder on hostile input. */
#include "base/common.h"
#include "crypto/cose.h"
#include "crypto/keys.h"
#include "tap.h"

#include <string.h>
#include <openssl/x509.h>

#define TSL_KEY "{\"kty\":\"EC\",\"crv\":\"P-256\"," \
	"\"x\":\"I3HWm_0Ds1dPMI-IWmf4mBmH-YaeAVbPVu7vB27CxXo\"," \
	"\"y\":\"6N_d5Elj9bs1htgV3okJKIdbHEpkgTmAluYKJemzn1M\"}"

static const char *const es256[] = { "ES256", NULL };

static uint8_t *vector(const char *rel, size_t *len)
{
	size_t n;
	char *hex = tap_slurp(tap_srcpath(rel), &n);
	uint8_t *b;

	while (hex && n && (hex[n - 1] == '\n' || hex[n - 1] == '\r'))
		hex[--n] = '\0';
	b = hex ? tap_unhex(hex, len) : NULL;
	free(hex);
	return b;
}

static void test_vectors(void)
{
	vci_err_t err = { 0 };
	json_auto_t *j = json_loads(TSL_KEY, 0, NULL);
	EVP_PKEY *pk = vci_jwk_to_pkey(j, 0, &err);
	size_t len = 0;
	uint8_t *buf = vector("tests/vectors/tsl-5.2-status-list-token-cwt.hex", &len);
	vci_cose_sign1_t m;
	const cbor_item_t *kid, *chain;

	tap_ok(buf && vci_cose_sign1_parse(buf, len, &m, &err) == 0, "5.2 CWT parses %s", err.msg);
	tap_is_int(m.alg, -7, "alg ES256");
	kid = vci_cose_header(&m, VCI_COSE_KID);
	tap_ok(kid && cbor_isa_bytestring(kid) && cbor_bytestring_length(kid) == 2 &&
	       !memcmp(cbor_bytestring_handle(kid), "12", 2), "unprotected kid 12");
	tap_ok(vci_cose_sign1_verify(&m, pk, es256, NULL, 0, NULL, 0, &err) == 0,
	       "5.2 CWT verifies %s", err.msg);
	tap_ok(vci_cose_sign1_verify(&m, pk, (const char *const[]){ "EdDSA", NULL }, NULL, 0, NULL, 0,
				     &err) < 0, "an allow-list without ES256 refuses it");
	tap_ok(vci_cose_sign1_verify(&m, pk, es256, (const uint8_t *)"x", 1, NULL, 0, &err) < 0,
	       "other external_aad does not verify");
	vci_cose_sign1_free(&m);
	buf[len - 5] ^= 1;
	tap_ok(vci_cose_sign1_parse(buf, len, &m, &err) == 0 &&
	       vci_cose_sign1_verify(&m, pk, es256, NULL, 0, NULL, 0, &err) < 0,
	       "changed signature fails");
	vci_cose_sign1_free(&m);
	free(buf);
	EVP_PKEY_free(pk);

	/* draft-14 mdoc IssuerAuth: ES256 with the certificate in x5chain (33) */
	buf = vector("tests/vectors/tsl-draft14-mso-with-status-issuerauth.hex", &len);
	tap_ok(buf && vci_cose_sign1_parse(buf, len, &m, &err) == 0, "IssuerAuth parses %s", err.msg);
	chain = vci_cose_header(&m, VCI_COSE_X5CHAIN);
	if (chain && cbor_isa_array(chain) && cbor_array_size(chain) > 0)
		chain = cbor_array_handle(chain)[0];
	if (tap_ok(chain && cbor_isa_bytestring(chain), "x5chain holds a certificate")) {
		const unsigned char *p = cbor_bytestring_handle(chain);
		X509 *x = d2i_X509(NULL, &p, (long)cbor_bytestring_length(chain));
		EVP_PKEY *k = x ? X509_get_pubkey(x) : NULL;

		tap_ok(k && vci_cose_sign1_verify(&m, k, es256, NULL, 0, NULL, 0, &err) == 0,
		       "IssuerAuth verifies with its x5chain key %s", err.msg);
		EVP_PKEY_free(k);
		X509_free(x);
	}
	vci_cose_sign1_free(&m);
	free(buf);
}

static void roundtrip(const char *name, EVP_PKEY *key, const char *alg)
{
	vci_err_t err = { 0 };
	cbor_auto_t *extra = cbor_new_definite_map(1);
	cbor_auto_t *unprot = cbor_new_definite_map(1);
	uint8_t *out = NULL;
	size_t len = 0;
	vci_cose_sign1_t m;
	static const uint8_t payload[] = "payload bytes";
	const cbor_item_t *typ;

	vci_cbor_map_add_int(extra, VCI_COSE_TYP, cbor_build_string("application/test"));
	vci_cbor_map_add_int(unprot, VCI_COSE_KID, cbor_build_bytestring((const uint8_t *)"k", 1));
	if (!tap_ok(vci_cose_sign1(key, alg, extra, unprot, payload, sizeof payload, NULL, 0, 1, &out,
				   &len, &err) == 0, "%s: sign %s", name, err.msg))
		return;
	tap_ok(vci_cose_sign1_parse(out, len, &m, &err) == 0 &&
	       vci_cose_sign1_verify(&m, key, NULL, NULL, 0, NULL, 0, &err) == 0,
	       "%s: verifies %s", name, err.msg);
	typ = vci_cbor_map_get_int(m.protected_map, VCI_COSE_TYP);
	tap_ok(typ && cbor_isa_string(typ) && m.payload_len == sizeof payload &&
	       !memcmp(m.payload, payload, sizeof payload), "%s: typ and payload read back", name);
	tap_ok(vci_cose_sign1_verify(&m, key, NULL, NULL, 0, (const uint8_t *)"other", 5, &err) < 0,
	       "%s: another payload does not verify", name);
	vci_cose_sign1_free(&m);
	free(out);
}

static void test_roundtrips(void)
{
	EVP_PKEY *p256 = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	EVP_PKEY *p384 = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-384");
	EVP_PKEY *p521 = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-521");
	EVP_PKEY *ed = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	EVP_PKEY *rsa = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	vci_err_t err = { 0 };
	uint8_t *out = NULL;
	size_t len;

	roundtrip("ES256", p256, NULL);
	roundtrip("ES384", p384, NULL);
	roundtrip("ES512", p521, NULL);
	roundtrip("EdDSA", ed, NULL);
	roundtrip("PS256", rsa, "PS256");
	tap_ok(vci_cose_sign1(p256, "ES384", NULL, NULL, (const uint8_t *)"x", 1, NULL, 0, 1, &out,
			      &len, &err) < 0, "ES384 with a P-256 key is refused");
	tap_ok(vci_cose_sign1(p256, NULL, NULL, NULL, (const uint8_t *)"x", 1, NULL, 0, 0, &out,
			      &len, &err) == 0 && out[0] == 0x84, "untagged COSE_Sign1 is a bare array");
	free(out);
	EVP_PKEY_free(p256);
	EVP_PKEY_free(p384);
	EVP_PKEY_free(p521);
	EVP_PKEY_free(ed);
	EVP_PKEY_free(rsa);
}

static void test_prescan(void)
{
	static const struct {
		const char *hex, *what;
		int ok;
	} cases[] = {
		{ "9bffffffffffffffff", "array of 2^64-1 items in 9 bytes", 0 },
		{ "5affffffff", "4 GiB byte string in 5 bytes", 0 },
		{ "bbffffffffffffffff", "map of 2^64-1 pairs", 0 },
		{ "7a00010000616263", "text longer than the input", 0 },
		{ "820102", "array of 2 in 3 bytes", 1 },
		{ "83010203ff", "trailing bytes", 0 },
		{ "9f0102ff", "indefinite array", 1 },
		{ "5f4201024103ff", "indefinite byte string", 1 },
		{ "5f6101ff", "text chunk in a byte string", 0 },
		{ "ff", "break outside an indefinite item", 0 },
		{ "1c", "reserved additional information", 0 },
		{ "d2820102", "tag 18 (short form)", 1 },
		{ "c6c7c8d400", "nested short-form tags 6..20", 1 },
		{ "", "empty", 0 },
		{ "a1", "truncated map", 0 },
		{ "f818", "bad simple value", 0 },
	};
	vci_err_t err = { 0 };
	uint8_t deep[200];

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		size_t len = 0;
		uint8_t *b = tap_unhex(cases[i].hex, &len);
		cbor_item_t *item = vci_cbor_load(b, len, VCI_CBOR_MAX_DEPTH, &err);

		tap_ok(!!item == cases[i].ok, "%s: %s", cases[i].what, cases[i].ok ? "loads" : err.msg);
		if (item)
			cbor_decref(&item);
		free(b);
	}
	memset(deep, 0x81, sizeof deep);
	deep[sizeof deep - 1] = 0;
	tap_ok(vci_cbor_prescan(deep, sizeof deep, VCI_CBOR_MAX_DEPTH, &err) < 0 &&
	       strstr(err.msg, "nesting"), "199 nested arrays refused: %s", err.msg);
	tap_ok(vci_cbor_prescan(deep + sizeof deep - 33, 33, VCI_CBOR_MAX_DEPTH, &err) == 0,
	       "32 nested arrays accepted");
	{
		cbor_item_t *i = vci_cbor_int(-65537);
		int64_t v = 0;

		tap_ok(vci_cbor_get_int(i, &v) == 0 && v == -65537, "negative int round trip");
		cbor_decref(&i);
	}
}

int main(void)
{
	test_vectors();
	test_roundtrips();
	test_prescan();
	return tap_done();
}
