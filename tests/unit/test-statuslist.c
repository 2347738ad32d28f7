/* test-statuslist.c - Token Status List encoding against the draft's
 * vectors (section 4.1 and Appendix C, tests/vectors/tsl-appC-*), the
 * section 5.1/5.2 tokens, the list file, allocation and the W3C
 * Bitstring Status List encoding. */
#include "base/common.h"
#include "base/b64url.h"
#include "crypto/cose.h"
#include "crypto/keys.h"
#include "oid4vci/statuslist.h"
#include "tap.h"

#include <string.h>
#include <unistd.h>
#include <zlib.h>

/* Token Status List example key (status-list.md section V) */
#define TSL_KEY "{\"kty\":\"EC\",\"crv\":\"P-256\"," \
	"\"x\":\"I3HWm_0Ds1dPMI-IWmf4mBmH-YaeAVbPVu7vB27CxXo\"," \
	"\"y\":\"6N_d5Elj9bs1htgV3okJKIdbHEpkgTmAluYKJemzn1M\"}"
#define TSL_D "xzUEdsyLosZF0acZGRAjTKImb0lQvAvssDK5XIZELd0"
#define URI1 "https://example.com/statuslists/1"

static const char *const es256[] = { "ES256", NULL };

static EVP_PKEY *tsl_key(int priv)
{
	json_auto_t *j = json_loads(TSL_KEY, 0, NULL);
	vci_err_t err = { 0 };

	if (priv)
		json_object_set_new(j, "d", json_string(TSL_D));
	return vci_jwk_to_pkey(j, priv, &err);
}

static char *lst_of(const vci_statuslist_t *sl)
{
	vci_err_t err = { 0 };
	json_auto_t *j = vci_statuslist_to_json(sl, &err);

	return j ? strdup(json_string_value(json_object_get(j, "lst"))) : NULL;
}

static char *slurp_trim(const char *rel)
{
	size_t len;
	char *s = tap_slurp(tap_srcpath(rel), &len);

	while (s && len && (s[len - 1] == '\n' || s[len - 1] == '\r'))
		s[--len] = '\0';
	return s;
}

static void test_section_4_1(void)
{
	static const uint64_t v1[] = { 0, 3, 4, 5, 7, 8, 9, 13, 15 };
	static const unsigned v2[] = { 1, 2, 0, 3, 0, 1, 0, 1, 1, 2, 3, 3 };
	vci_err_t err = { 0 };
	statuslist_auto_t *a = vci_statuslist_new(VCI_SL_TSL, 1, 16, URI1, NULL, &err);
	statuslist_auto_t *b = vci_statuslist_new(VCI_SL_TSL, 2, 12, URI1, NULL, &err);
	char_auto_t *la = NULL;
	char_auto_t *lb = NULL;

	for (size_t i = 0; i < sizeof v1 / sizeof v1[0]; i++)
		vci_statuslist_set(a, v1[i], 1, 0, &err);
	tap_is_mem(a->lst, a->lst_len, "\xb9\xa3", 2, "V-1: 1-bit list packs to b9 a3");
	la = lst_of(a);
	tap_is_str(la, "eNrbuRgAAhcBXQ", "V-1: lst with zlib level 9");
	for (size_t i = 0; i < 12; i++)
		vci_statuslist_set(b, i, v2[i], 0, &err);
	tap_is_mem(b->lst, b->lst_len, "\xc9\x44\xf9", 3, "V-2: 2-bit list packs to c9 44 f9");
	lb = lst_of(b);
	tap_is_str(lb, "eNo76fITAAPfAgc", "V-2: lst with zlib level 9");
}

/* Decode an Appendix C lst and return the inflated bytes. */
static uint8_t *appc_raw(unsigned bits, size_t *len, char **lst_out)
{
	char rel[64];
	char *lst;
	uint8_auto_t *z = NULL;
	uint8_t *raw = NULL;
	size_t zlen;
	vci_err_t err = { 0 };

	snprintf(rel, sizeof rel, "tests/vectors/tsl-appC-%ubit-lst.txt", bits);
	lst = slurp_trim(rel);
	if (!lst || vci_b64url_decode(lst, strlen(lst), &z, &zlen, &err) < 0 ||
	    vci_statuslist_inflate(z, zlen, 0, VCI_SL_MAX_INFLATE, &raw, len, &err) < 0) {
		tap_diag("%s: %s", rel, err.msg);
		free(lst);
		return NULL;
	}
	*lst_out = lst;
	return raw;
}

struct entry {
	uint64_t idx;
	unsigned v;
};

static void test_appendix_c(unsigned bits, const struct entry *e, size_t n)
{
	vci_err_t err = { 0 };
	char_auto_t *want = NULL;
	char_auto_t *got = NULL;
	uint8_auto_t *raw = NULL;
	size_t len = 0, nonzero = 0, i;
	statuslist_auto_t *sl = vci_statuslist_new(VCI_SL_TSL, bits, 1u << 20, URI1, NULL, &err);
	int all = 1, seen[256] = { 0 };

	raw = appc_raw(bits, &len, &want);
	if (!tap_ok(raw && len == (size_t)(1u << 20) * bits / 8, "C %u-bit: inflates to 2^20 entries", bits))
		return;
	for (i = 0; i < n; i++)
		if (vci_statuslist_value(raw, bits, e[i].idx) != e[i].v) {
			tap_diag("index %llu: %u, want %u", (unsigned long long)e[i].idx,
				 vci_statuslist_value(raw, bits, e[i].idx), e[i].v);
			all = 0;
		}
	for (i = 0; i < (1u << 20); i++) {
		unsigned v = vci_statuslist_value(raw, bits, i);

		if (v) {
			nonzero++;
			seen[v]++;
			vci_statuslist_set(sl, i, v, 0, &err);
		}
	}
	if (n)
		tap_ok(all && nonzero == n, "C %u-bit: every listed index decodes, nothing else set (%zu)",
		       bits, nonzero);
	else {
		for (i = 1; i < 256; i++)
			all &= seen[i] == 1;
		tap_ok(all && nonzero == 255, "C 8-bit: values 1..255 each once (%zu non-zero)", nonzero);
	}
	got = lst_of(sl);
	tap_is_str(got, want, "C %u-bit: our encoder gives the exact lst", bits);
}

static void test_appendix_c_cbor(unsigned bits)
{
	char rel[64];
	char_auto_t *hex = NULL;
	char_auto_t *lst = NULL;
	uint8_auto_t *want = NULL;
	uint8_auto_t *raw = NULL;
	uint8_auto_t *z = NULL;
	uint8_auto_t *got = NULL;
	size_t wlen, len, zlen, glen = 0;
	vci_err_t err = { 0 };
	cbor_auto_t *map = cbor_new_definite_map(2);
	statuslist_auto_t *sl = vci_statuslist_new(VCI_SL_TSL, bits, 1u << 20, URI1, NULL, &err);

	snprintf(rel, sizeof rel, "tests/vectors/tsl-appC-%ubit-cbor.hex", bits);
	hex = slurp_trim(rel);
	want = hex ? tap_unhex(hex, &wlen) : NULL;
	raw = appc_raw(bits, &len, &lst);
	if (!want || !raw || len != sl->lst_len) {
		tap_ok(0, "C %u-bit CBOR: vectors readable", bits);
		return;
	}
	memcpy(sl->lst, raw, len);
	vci_statuslist_deflate(sl->lst, sl->lst_len, 0, &z, &zlen, &err);
	vci_cbor_map_add_str(map, "bits", cbor_build_uint8((uint8_t)bits));
	vci_cbor_map_add_str(map, "lst", cbor_build_bytestring(z, zlen));
	vci_cbor_serialize(map, &got, &glen, &err);
	tap_is_mem(got, glen, want, wlen, "C %u-bit: CBOR StatusList is byte-exact", bits);
}

static void test_compression(void)
{
	static const uint8_t v1[] = { 0xb9, 0xa3 };
	uint8_t z1[64], gz[64];
	uLongf zl = sizeof z1;
	uint8_t *out = NULL;
	size_t olen = 0, gl;
	vci_err_t err = { 0 };
	z_stream zs;

	compress2(z1, &zl, v1, sizeof v1, 1);
	tap_ok(vci_statuslist_inflate(z1, zl, 0, 1024, &out, &olen, &err) == 0 && olen == 2 &&
	       !memcmp(out, v1, 2), "decode a zlib stream made at level 1");
	free(out);
	out = NULL;
	/* raw deflate: the zlib stream without its 2-byte header and Adler-32 */
	tap_ok(vci_statuslist_inflate(z1 + 2, zl - 6, 0, 1024, &out, &olen, &err) < 0,
	       "raw deflate in lst is refused");
	memset(&zs, 0, sizeof zs);
	deflateInit2(&zs, 9, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY);
	zs.next_in = (Bytef *)v1;
	zs.avail_in = 2;
	zs.next_out = gz;
	zs.avail_out = sizeof gz;
	deflate(&zs, Z_FINISH);
	gl = zs.total_out;
	deflateEnd(&zs);
	tap_ok(vci_statuslist_inflate(gz, gl, 0, 1024, &out, &olen, &err) < 0,
	       "gzip in lst is refused: %s", err.msg);
	tap_ok(vci_statuslist_inflate(z1, zl - 1, 0, 1024, &out, &olen, &err) < 0,
	       "truncated zlib is refused");
	z1[zl] = 0;
	tap_ok(vci_statuslist_inflate(z1, zl + 1, 0, 1024, &out, &olen, &err) < 0,
	       "trailing bytes after zlib are refused");
	tap_ok(vci_statuslist_inflate(z1, zl, 0, 1, &out, &olen, &err) < 0,
	       "inflating past the limit is refused");
	/* a bomb: 64 MiB of zeros compresses to ~64 KiB */
	{
		size_t big = 64u << 20;
		uint8_t *zeros = calloc(1, big);
		uint8_t *zb = NULL;
		size_t zbl = 0;

		vci_statuslist_deflate(zeros, big, 0, &zb, &zbl, &err);
		tap_ok(zb && vci_statuslist_inflate(zb, zbl, 0, 1u << 20, &out, &olen, &err) < 0,
		       "a %zu-byte zlib bomb stops at 1 MiB", zbl);
		free(zeros);
		free(zb);
	}
}

static char *jwt_vector(void)
{
	return slurp_trim("tests/vectors/tsl-5.1-status-list-token.jwt");
}

static void test_tokens(void)
{
	static const uint64_t v1[] = { 0, 3, 4, 5, 7, 8, 9, 13, 15 };
	EVP_PKEY *pub = tsl_key(0), *other = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	vci_err_t err = { 0 };
	vci_sl_token_t tok;
	char_auto_t *jwt = jwt_vector();
	char_auto_t *hex = slurp_trim("tests/vectors/tsl-5.2-status-list-token-cwt.hex");
	unsigned v = 9;
	int all = 1;
	size_t i;

	tap_ok(pub && other, "keys");
	/* 5.1 JWT */
	tap_ok(vci_statuslist_token_parse((const uint8_t *)jwt, strlen(jwt), 0, &tok, &err) == 0,
	       "5.1 JWT parses %s", err.msg);
	tap_ok(tok.kind == VCI_SL_TOKEN_JWT && tok.bits == 1 && tok.iat == 1686920170 &&
	       tok.exp == 2291720170 && tok.ttl == 43200 && !strcmp(tok.sub, URI1) &&
	       tok.kid && !strcmp(tok.kid, "12"), "5.1 JWT claims");
	tap_ok(vci_statuslist_token_verify(&tok, pub, es256, 1700000000, URI1, &err) == 0,
	       "5.1 JWT verifies with the TSL key %s", err.msg);
	tap_ok(vci_statuslist_token_verify(&tok, other, es256, 0, NULL, &err) < 0 &&
	       err.status == VCI_EXIT_FAIL, "5.1 JWT does not verify with another key");
	tap_ok(vci_statuslist_token_verify(&tok, pub, es256, 2291720170, NULL, &err) < 0 &&
	       !strcmp(err.code, "expired_status_list_token"), "5.1 JWT is expired at its exp");
	tap_ok(vci_statuslist_token_verify(&tok, pub, es256, 0, "https://example.com/statuslists/2", &err) < 0,
	       "5.1 JWT: sub mismatch is refused");
	for (i = 0; i < 16; i++) {
		int set = 0;

		for (size_t k = 0; k < sizeof v1 / sizeof v1[0]; k++)
			set |= v1[k] == i;
		if (vci_statuslist_token_status(&tok, i, &v, &err) < 0 || v != (unsigned)set)
			all = 0;
	}
	tap_ok(all, "5.1 JWT: every index reads as V-1");
	tap_ok(vci_statuslist_token_status(&tok, 16, &v, &err) < 0 &&
	       !strcmp(err.code, "index_out_of_range"), "index 16 of 16: no statement");
	vci_statuslist_token_free(&tok);

	/* 5.2 CWT in hex */
	tap_ok(vci_statuslist_token_parse((const uint8_t *)hex, strlen(hex), 0, &tok, &err) == 0,
	       "5.2 CWT parses %s", err.msg);
	tap_ok(tok.kind == VCI_SL_TOKEN_CWT && tok.bits == 1 && tok.iat == 1686920170 &&
	       tok.exp == 2291720170 && tok.ttl == 43200 && tok.sub && !strcmp(tok.sub, URI1) &&
	       tok.kid && !strcmp(tok.kid, "12"), "5.2 CWT claims");
	tap_ok(vci_statuslist_token_verify(&tok, pub, es256, 1700000000, URI1, &err) == 0,
	       "5.2 CWT verifies with the TSL key %s", err.msg);
	tap_ok(vci_statuslist_token_verify(&tok, other, es256, 0, NULL, &err) < 0,
	       "5.2 CWT does not verify with another key");
	tap_ok(vci_statuslist_token_status(&tok, 3, &v, &err) == 0 && v == 1 &&
	       vci_statuslist_token_status(&tok, 1, &v, &err) == 0 && v == 0, "5.2 CWT statuses");
	vci_statuslist_token_free(&tok);
	/* flip one byte of the CWT signature (last hex digit) */
	hex[strlen(hex) - 1] = hex[strlen(hex) - 1] == '0' ? '1' : '0';
	tap_ok(vci_statuslist_token_parse((const uint8_t *)hex, strlen(hex), 0, &tok, &err) == 0 &&
	       vci_statuslist_token_verify(&tok, pub, es256, 0, NULL, &err) < 0,
	       "5.2 CWT with a changed signature fails");
	vci_statuslist_token_free(&tok);
	EVP_PKEY_free(pub);
	EVP_PKEY_free(other);
}

static void test_sign_roundtrip(void)
{
	EVP_PKEY *key = tsl_key(1);
	vci_err_t err = { 0 };
	statuslist_auto_t *sl = vci_statuslist_new(VCI_SL_TSL, 2, 1000, URI1, NULL, &err);
	vci_sl_sign_opts_t o = { .kid = "12", .iat = 1700000000, .exp = 1700086400, .ttl = 3600 };
	char_auto_t *jwt = NULL;
	uint8_auto_t *cwt = NULL;
	size_t clen = 0;
	vci_sl_token_t tok;
	unsigned v = 9;

	vci_statuslist_set(sl, 7, VCI_SL_INVALID, 0, &err);
	vci_statuslist_set(sl, 999, VCI_SL_SUSPENDED, 0, &err);
	jwt = vci_statuslist_sign_jwt(sl, key, &o, &err);
	tap_ok(jwt && vci_statuslist_token_parse((const uint8_t *)jwt, strlen(jwt), 0, &tok, &err) == 0 &&
	       vci_statuslist_token_verify(&tok, key, es256, 1700000001, URI1, &err) == 0 &&
	       vci_statuslist_token_status(&tok, 7, &v, &err) == 0 && v == 1 &&
	       vci_statuslist_token_status(&tok, 999, &v, &err) == 0 && v == 2 &&
	       tok.ttl == 3600 && tok.exp == 1700086400, "signed JWT reads back %s", err.msg);
	vci_statuslist_token_free(&tok);
	tap_ok(vci_statuslist_sign_cwt(sl, key, &o, &cwt, &clen, &err) == 0 && cwt[0] == 0xd2,
	       "signed CWT is COSE_Sign1_Tagged %s", err.msg);
	tap_ok(vci_statuslist_token_parse(cwt, clen, 0, &tok, &err) == 0 &&
	       vci_statuslist_token_verify(&tok, key, es256, 1700000001, URI1, &err) == 0 &&
	       vci_statuslist_token_status(&tok, 7, &v, &err) == 0 && v == 1 &&
	       vci_statuslist_token_status(&tok, 999, &v, &err) == 0 && v == 2 &&
	       tok.ttl == 3600 && !strcmp(tok.kid, "12"), "signed CWT reads back %s", err.msg);
	vci_statuslist_token_free(&tok);
	EVP_PKEY_free(key);
}

static void test_set_get(void)
{
	vci_err_t err = { 0 };
	statuslist_auto_t *sl = vci_statuslist_new(VCI_SL_TSL, 2, 100, URI1, NULL, &err);
	statuslist_auto_t *one = vci_statuslist_new(VCI_SL_TSL, 1, 100, URI1, NULL, &err);
	unsigned v = 9;

	tap_ok(vci_statuslist_new(VCI_SL_TSL, 3, 100, URI1, NULL, &err) == NULL, "bits 3 refused");
	tap_ok(vci_statuslist_new(VCI_SL_TSL, 0, 100, URI1, NULL, &err) == NULL, "bits 0 refused");
	tap_ok(vci_statuslist_new(VCI_SL_TSL, 16, 100, URI1, NULL, &err) == NULL, "bits 16 refused");
	tap_ok(vci_statuslist_status_parse(sl, "suspended", &v, &err) == 0 && v == 2, "suspended = 2");
	tap_ok(vci_statuslist_status_parse(sl, "Revoked", &v, &err) == 0 && v == 1, "revoked = invalid");
	tap_ok(vci_statuslist_status_parse(sl, "operational", &v, &err) == 0 && v == 0, "operational = valid");
	tap_ok(vci_statuslist_status_parse(sl, "0x03", &v, &err) == 0 && v == 3, "0x03");
	tap_ok(vci_statuslist_status_parse(sl, "0x04", &v, &err) < 0, "0x04 does not fit 2 bits");
	tap_ok(vci_statuslist_status_parse(one, "suspended", &v, &err) < 0, "suspended needs 2 bits");
	tap_ok(vci_statuslist_status_parse(sl, "gone", &v, &err) < 0, "unknown word refused");
	tap_ok(vci_statuslist_set(sl, 100, 1, 0, &err) < 0 && !strcmp(err.code, "index_out_of_range"),
	       "set past the end refused");
	vci_statuslist_set(sl, 5, 2, 0, &err);
	tap_ok(vci_statuslist_get(sl, 5, &v, &err) == 0 && v == 2, "get what was set");
	tap_ok(vci_statuslist_set(sl, 5, 0, 0, &err) == 0, "suspended -> valid allowed");
	vci_statuslist_set(sl, 5, 1, 0, &err);
	tap_ok(vci_statuslist_set(sl, 5, 0, 0, &err) < 0 && !strcmp(err.code, "status_final"),
	       "invalid -> valid refused");
	tap_ok(vci_statuslist_set(sl, 5, 0, 1, &err) == 0, "invalid -> valid with force");
}

static void test_file(void)
{
	vci_err_t err = { 0 };
	statuslist_auto_t *sl = vci_statuslist_new(VCI_SL_TSL, 4, 1001, URI1, NULL, &err);
	statuslist_auto_t *back = NULL;
	statuslist_auto_t *bad = NULL;
	uint8_auto_t *buf = NULL;
	uint64_t idx[10];
	size_t len = 0;
	char path[] = "/tmp/test-statuslist-XXXXXX";
	int fd = mkstemp(path);

	vci_statuslist_set(sl, 1000, 15, 0, &err);
	vci_statuslist_alloc(sl, 10, idx, &err);
	tap_ok(vci_statuslist_serialize(sl, &buf, &len, &err) == 0 &&
	       !memcmp(buf, "vci-statuslist 1\n{\"method\":\"tsl\",\"bits\":4,\"size\":1001,", 51),
	       "list file starts with the magic line and the header");
	back = vci_statuslist_parse(buf, len, "t", &err);
	/* 10 handed out, and entry 1000, set before, counted as allocated */
	tap_ok(back && back->allocated == 11 && back->bits == 4 && back->size == 1001 &&
	       !strcmp(back->uri, URI1) && !memcmp(back->lst, sl->lst, sl->lst_len) &&
	       !memcmp(back->alloc_map, sl->alloc_map, sl->map_len), "list file round trip");
	buf[len / 2] ^= 1;
	bad = vci_statuslist_parse(buf, len, "t", &err);
	tap_ok(!bad && strstr(err.msg, "checksum"), "a flipped bit is detected: %s", err.msg);
	buf[len / 2] ^= 1;
	tap_ok(!vci_statuslist_parse(buf, len - 1, "t", &err), "a truncated file is refused");
	close(fd);
	unlink(path);
	tap_ok(vci_statuslist_create(path, sl, 0, &err) == 0, "create %s", err.msg);
	tap_ok(vci_statuslist_create(path, sl, 0, &err) < 0 && !strcmp(err.code, "list_exists"),
	       "create does not clobber a list");
	vci_statuslist_set(sl, 3, 1, 0, &err);
	tap_ok(vci_statuslist_save(path, sl, &err) == 0, "save");
	vci_statuslist_free(back);
	back = vci_statuslist_load(path, &err);
	tap_ok(back && vci_statuslist_value(back->lst, 4, 3) == 1 &&
	       vci_statuslist_value(back->lst, 4, 1000) == 15, "load what was saved");
	unlink(path);
}

static void test_alloc(void)
{
	vci_err_t err = { 0 };
	statuslist_auto_t *sl = vci_statuslist_new(VCI_SL_TSL, 1, 1000, URI1, NULL, &err);
	uint64_t idx[1000], more;
	unsigned char seen[1000] = { 0 };
	int distinct = 1, monotonic = 1;

	tap_ok(vci_statuslist_alloc(sl, 1000, idx, &err) == 0, "allocate a whole list");
	for (size_t i = 0; i < 1000; i++) {
		if (idx[i] >= 1000 || seen[idx[i]]++)
			distinct = 0;
		if (i && idx[i] < idx[i - 1])
			monotonic = 0;
	}
	tap_ok(distinct && sl->allocated == 1000, "every index exactly once");
	tap_ok(!monotonic, "not in order");
	tap_ok(vci_statuslist_alloc(sl, 1, &more, &err) < 0 && !strcmp(err.code, "list_exhausted"),
	       "an exhausted list is an error: %s", err.msg);
	vci_statuslist_release(sl, idx, 2);
	tap_ok(sl->allocated == 998 && vci_statuslist_alloc(sl, 2, idx + 998, &err) == 0 &&
	       ((idx[998] == idx[0] && idx[999] == idx[1]) || (idx[998] == idx[1] && idx[999] == idx[0])),
	       "released indices come back, and only they");
}

/* An entry set before it was handed out (set with force) is never handed
 * out: every bits width, entries at both ends of a byte. */
static void test_alloc_skips_set(void)
{
	for (unsigned bits = 1; bits <= 8; bits *= 2) {
		vci_err_t err = { 0 };
		statuslist_auto_t *sl = vci_statuslist_new(VCI_SL_TSL, bits, 64, URI1, NULL, &err);
		uint64_t idx[64];
		int clean = 1;

		vci_statuslist_set(sl, 0, 1, 0, &err);
		vci_statuslist_set(sl, 7, 1, 0, &err);
		vci_statuslist_set(sl, 63, (1u << bits) - 1, 0, &err);
		tap_ok(!vci_statuslist_is_allocated(sl, 7), "bits %u: a set entry is not allocated", bits);
		tap_ok(vci_statuslist_alloc(sl, 61, idx, &err) == 0, "bits %u: 61 of 64 allocated", bits);
		for (size_t i = 0; i < 61; i++)
			if (idx[i] == 0 || idx[i] == 7 || idx[i] == 63)
				clean = 0;
		tap_ok(clean && vci_statuslist_is_allocated(sl, 7) && sl->allocated == 64,
		       "bits %u: never one already set; those count as allocated", bits);
		tap_ok(vci_statuslist_alloc(sl, 1, idx, &err) < 0 && !strcmp(err.code, "list_exhausted"),
		       "bits %u: then the list is exhausted", bits);
	}
}

static void test_bitstring(void)
{
	vci_err_t err = { 0 };
	statuslist_auto_t *sl = vci_statuslist_new(VCI_SL_BITSTRING, 1, VCI_SL_BITSTRING_MIN, URI1,
						   "revocation", &err);
	char_auto_t *enc = NULL;
	uint8_auto_t *z = NULL;
	uint8_auto_t *raw = NULL;
	size_t zlen = 0, len = 0;
	const char *w3c = "uH4sIAAAAAAAAA-3BMQEAAADCoPVPbQwfoAAAAAAAAAAAAAAAAAAAAIC3AYbSVKsAQAAA";
	int zero = 1;

	tap_ok(!vci_statuslist_new(VCI_SL_BITSTRING, 1, VCI_SL_BITSTRING_MIN - 8, URI1, "revocation", &err),
	       "a bitstring list below 131072 entries is refused");
	vci_statuslist_set(sl, 0, 1, 0, &err);
	enc = vci_statuslist_encoded_list(sl, &err);
	tap_ok(enc && !strncmp(enc, "uH4sI", 5), "encodedList is multibase base64url gzip");
	if (enc && vci_b64url_decode(enc + 1, strlen(enc + 1), &z, &zlen, &err) == 0 &&
	    vci_statuslist_inflate(z, zlen, 1, VCI_SL_MAX_INFLATE, &raw, &len, &err) == 0)
		tap_ok(len == 16384 && raw[0] == 0x80, "index 0 is the most significant bit of byte 0");
	else
		tap_ok(0, "encodedList decodes: %s", err.msg);
	free(z);
	free(raw);
	z = raw = NULL;
	tap_ok(vci_b64url_decode(w3c + 1, strlen(w3c + 1), &z, &zlen, &err) == 0 &&
	       vci_statuslist_inflate(z, zlen, 1, VCI_SL_MAX_INFLATE, &raw, &len, &err) == 0 &&
	       len == 16384, "V-10: the W3C example encodedList inflates to 16384 bytes");
	for (size_t i = 0; raw && i < len; i++)
		zero &= raw[i] == 0;
	tap_ok(raw && zero, "V-10: all zero");
}

int main(void)
{
	static const struct entry c1[] = {
		{ 0, 1 }, { 1993, 1 }, { 25460, 1 }, { 159495, 1 }, { 495669, 1 }, { 554353, 1 },
		{ 645645, 1 }, { 723232, 1 }, { 854545, 1 }, { 934534, 1 }, { 1000345, 1 },
	};
	static const struct entry c2[] = {
		{ 0, 1 }, { 1993, 2 }, { 25460, 1 }, { 159495, 3 }, { 495669, 1 }, { 554353, 1 },
		{ 645645, 2 }, { 723232, 1 }, { 854545, 1 }, { 934534, 2 }, { 1000345, 3 },
	};
	static const struct entry c4[] = {
		{ 0, 1 }, { 1993, 2 }, { 35460, 3 }, { 459495, 4 }, { 595669, 5 }, { 754353, 6 },
		{ 845645, 7 }, { 923232, 8 }, { 924445, 9 }, { 934534, 10 }, { 1004534, 11 },
		{ 1000345, 12 }, { 1030203, 13 }, { 1030204, 14 }, { 1030205, 15 },
	};

	test_section_4_1();
	test_appendix_c(1, c1, sizeof c1 / sizeof c1[0]);
	test_appendix_c(2, c2, sizeof c2 / sizeof c2[0]);
	test_appendix_c(4, c4, sizeof c4 / sizeof c4[0]);
	test_appendix_c(8, NULL, 0);
	for (unsigned b = 1; b <= 8; b *= 2)
		test_appendix_c_cbor(b);
	test_compression();
	test_set_get();
	test_file();
	test_alloc();
	test_alloc_skips_set();
	test_tokens();
	test_sign_roundtrip();
	test_bitstring();
	return tap_done();
}
