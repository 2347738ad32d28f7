/* test-b64url.c - base64url and base64: RFC 4648 vectors, every rejection
 * class, and round trips checked against OpenSSL's encoder. */
#include "base/b64url.h"
#include "tap.h"

#include <string.h>
#include <openssl/evp.h>

static const struct { const char *in, *url, *std; } rfc4648[] = {
	/* RFC 4648 section 10; base64url drops the padding */
	{ "", "", "" },
	{ "f", "Zg", "Zg==" },
	{ "fo", "Zm8", "Zm8=" },
	{ "foo", "Zm9v", "Zm9v" },
	{ "foob", "Zm9vYg", "Zm9vYg==" },
	{ "fooba", "Zm9vYmE", "Zm9vYmE=" },
	{ "foobar", "Zm9vYmFy", "Zm9vYmFy" },
	/* the two characters where the alphabets differ */
	{ "\xfb\xef\xff", "--__", "++//" },
	{ "\xfb\xff", "-_8", "+/8=" },
	{ "\xff", "_w", "/w==" },
};

static void test_vectors(void)
{
	for (size_t i = 0; i < sizeof rfc4648 / sizeof *rfc4648; i++) {
		const char *in = rfc4648[i].in;
		size_t len = strlen(in), outlen = 99;
		vci_err_t err = { 0 };
		uint8_t *out = NULL;
		char *s, buf[32];

		s = vci_b64url_encode((const uint8_t *)in, len);
		tap_is_str(s, rfc4648[i].url, "b64url encode \"%s\"", rfc4648[i].url);
		free(s);
		tap_is_int((long long)vci_b64url_encode_to(buf, (const uint8_t *)in, len),
			   (long long)strlen(rfc4648[i].url), "b64url encode_to length %s",
			   rfc4648[i].url);
		tap_is_str(buf, rfc4648[i].url, "b64url encode_to \"%s\"", rfc4648[i].url);
		tap_is_int((long long)vci_b64url_len(len), (long long)strlen(rfc4648[i].url),
			   "b64url_len(%zu)", len);
		tap_ok(vci_b64url_decode(rfc4648[i].url, strlen(rfc4648[i].url), &out,
					 &outlen, &err) == 0, "b64url decode \"%s\"", rfc4648[i].url);
		tap_is_mem(out, outlen, in, len, "b64url decode \"%s\" content", rfc4648[i].url);
		tap_ok(out && out[outlen] == '\0', "b64url decode \"%s\" NUL-terminated",
		       rfc4648[i].url);
		free(out);

		s = vci_b64_encode((const uint8_t *)in, len);
		tap_is_str(s, rfc4648[i].std, "b64 encode \"%s\"", rfc4648[i].std);
		free(s);
		out = NULL;
		tap_ok(vci_b64_decode(rfc4648[i].std, strlen(rfc4648[i].std), &out, &outlen,
				      &err) == 0, "b64 decode \"%s\"", rfc4648[i].std);
		tap_is_mem(out, outlen, in, len, "b64 decode \"%s\" content", rfc4648[i].std);
		free(out);
	}
}

/* Each rejection with the message it must give. */
static const struct { const char *in; size_t len; const char *msg; } url_bad[] = {
	{ "Zg==", 4, "invalid base64url: padding at offset 2 (not allowed)" },
	{ "Zm8=", 4, "invalid base64url: padding at offset 3 (not allowed)" },
	{ "Zm9v\n", 5, "invalid base64url: whitespace at offset 4" },
	{ "Zm 9v", 5, "invalid base64url: whitespace at offset 2" },
	{ "Zm9v\tZg", 7, "invalid base64url: whitespace at offset 4" },
	{ "Zm9v+/8", 7, "invalid base64url: character '+' at offset 4" },
	{ "Zm9v/w", 6, "invalid base64url: character '/' at offset 4" },
	{ "Zm.v", 4, "invalid base64url: character '.' at offset 2" },
	{ "Zm9\0", 4, "invalid base64url: byte 0x00 at offset 3" },
	{ "Zm\xc3\xa9", 4, "invalid base64url: byte 0xc3 at offset 2" },
	{ "Zm9vY", 5, "invalid base64url: length 5 is 1 mod 4" },
	{ "Z", 1, "invalid base64url: length 1 is 1 mod 4" },
	{ "Zh", 2, "invalid base64url: non-zero trailing bits" },
	{ "Zm9", 3, "invalid base64url: non-zero trailing bits" },
	{ "Zm9vYh", 6, "invalid base64url: non-zero trailing bits" },
	{ "_x", 2, "invalid base64url: non-zero trailing bits" },
};

static const struct { const char *in; const char *msg; } std_bad[] = {
	{ "Zg", "invalid base64: length 2 is not a multiple of 4" },
	{ "Zg=", "invalid base64: length 3 is not a multiple of 4" },
	{ "Zm9vYg", "invalid base64: length 6 is not a multiple of 4" },
	{ "Z===", "invalid base64: misplaced padding at offset 1" },
	{ "====", "invalid base64: misplaced padding at offset 0" },
	{ "Zg=a", "invalid base64: misplaced padding at offset 2" },
	{ "Zg==Zm8=", "invalid base64: misplaced padding at offset 2" },
	{ "Zm9v -_", "invalid base64: whitespace at offset 4" },
	{ "Zm9vY", "invalid base64: length 5 is not a multiple of 4" },
	{ "Zm9 ", "invalid base64: whitespace at offset 3" },
	{ "Zm\r\n", "invalid base64: whitespace at offset 2" },
	{ "-_8=", "invalid base64: character '-' at offset 0" },
	{ "Zm_v", "invalid base64: character '_' at offset 2" },
	{ "Zh==", "invalid base64: non-zero trailing bits" },
	{ "Zm9=", "invalid base64: non-zero trailing bits" },
};

static void test_rejects(void)
{
	for (size_t i = 0; i < sizeof url_bad / sizeof *url_bad; i++) {
		vci_err_t err = { 0 };
		uint8_t *out = (uint8_t *)"x";
		size_t outlen = 7;

		tap_is_int(vci_b64url_decode(url_bad[i].in, url_bad[i].len, &out, &outlen, &err),
			   -1, "b64url rejects case %zu", i);
		tap_is_str(err.msg, url_bad[i].msg, "b64url case %zu message", i);
		tap_ok(!strcmp(err.code, "invalid_base64url") && err.status == VCI_EXIT_INPUT &&
		       out == NULL && outlen == 0, "b64url case %zu code, status, outputs", i);
	}
	for (size_t i = 0; i < sizeof std_bad / sizeof *std_bad; i++) {
		vci_err_t err = { 0 };
		uint8_t *out = NULL;
		size_t outlen;

		tap_is_int(vci_b64_decode(std_bad[i].in, strlen(std_bad[i].in), &out, &outlen,
					  &err), -1, "b64 rejects case %zu", i);
		tap_is_str(err.msg, std_bad[i].msg, "b64 case %zu message", i);
		tap_is_str(err.code, "invalid_base64", "b64 case %zu code", i);
	}
}

/* Random buffers of every length 0..300, both codecs, against OpenSSL. */
static void test_roundtrip(void)
{
	uint8_t buf[301];
	uint32_t seed = 12345;
	int enc_ok = 1, dec_ok = 1, std_ok = 1, len_ok = 1;

	for (size_t len = 0; len <= 300; len++) {
		unsigned char ref[512];
		char want[512], *s, *t;
		uint8_t *out = NULL;
		size_t outlen = 0, j, k;
		vci_err_t err = { 0 };

		for (j = 0; j < len; j++) {
			seed = seed * 1103515245u + 12345u;
			buf[j] = (uint8_t)(seed >> 16);
		}
		EVP_EncodeBlock(ref, buf, (int)len);
		for (j = k = 0; ref[j]; j++)
			if (ref[j] != '=')
				want[k++] = ref[j] == '+' ? '-' : ref[j] == '/' ? '_' : (char)ref[j];
		want[k] = '\0';

		s = vci_b64url_encode(buf, len);
		if (!s || strcmp(s, want)) {
			if (enc_ok)
				tap_diag("b64url length %zu: got %s want %s", len, s, want);
			enc_ok = 0;
		}
		if (vci_b64url_len(len) != k)
			len_ok = 0;
		if (!s || vci_b64url_decode(s, strlen(s), &out, &outlen, &err) ||
		    outlen != len || (len && memcmp(out, buf, len))) {
			if (dec_ok)
				tap_diag("b64url length %zu: %s", len, err.msg);
			dec_ok = 0;
		}
		free(out);
		out = NULL;
		free(s);

		t = vci_b64_encode(buf, len);
		if (!t || strcmp(t, (char *)ref) ||
		    vci_b64_decode(t, strlen(t), &out, &outlen, &err) ||
		    outlen != len || (len && memcmp(out, buf, len))) {
			if (std_ok)
				tap_diag("b64 length %zu: %s", len, err.msg);
			std_ok = 0;
		}
		free(out);
		free(t);
	}
	tap_ok(enc_ok, "b64url encode matches OpenSSL for lengths 0..300");
	tap_ok(len_ok, "b64url_len right for lengths 0..300");
	tap_ok(dec_ok, "b64url decode(encode(x)) == x for lengths 0..300");
	tap_ok(std_ok, "b64 matches OpenSSL and round-trips for lengths 0..300");
}

/* Every 2- and 3-character tail decodes iff its unused bits are zero. */
static void test_tails(void)
{
	static const char alpha[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	int ok = 1;

	for (int a = 0; a < 64; a++)
		for (int b = 0; b < 64; b++) {
			char s[3] = { alpha[a], alpha[b], 0 };
			uint8_t *out = NULL;
			size_t n;
			int rc = vci_b64url_decode(s, 2, &out, &n, NULL);

			if ((rc == 0) != ((b & 0x0f) == 0) ||
			    (rc == 0 && (n != 1 || out[0] != (uint8_t)(a << 2 | b >> 4))))
				ok = 0;
			free(out);
		}
	tap_ok(ok, "b64url: 2-character tails accepted exactly when the low 4 bits are zero");
}

static void test_json(void)
{
	vci_err_t err = { 0 };
	json_t *j;
	char *s;

	j = vci_b64url_decode_json("eyJhbGciOiJFUzI1NiJ9", 20, "header", &err);
	s = j ? vci_json_dump(j) : NULL;
	tap_is_str(s, "{\"alg\":\"ES256\"}", "decode_json: JWS header");
	free(s);
	json_decref(j);

	/* {"a":1,"a":2} */
	s = vci_b64url_encode((const uint8_t *)"{\"a\":1,\"a\":2}", 13);
	j = vci_b64url_decode_json(s, strlen(s), "header", &err);
	tap_ok(j == NULL && strstr(err.msg, "header: ") == err.msg &&
	       strstr(err.msg, "duplicate"), "decode_json rejects duplicate keys: %s", err.msg);
	free(s);

	j = vci_b64url_decode_json("eyJhIn0=", 8, "payload", &err);
	tap_is_str(err.msg, "payload: invalid base64url: padding at offset 7 (not allowed)",
		   "decode_json names the input on a base64url error");
	tap_ok(j == NULL && !strcmp(err.code, "invalid_base64url"), "decode_json code");
}

int main(void)
{
	test_vectors();
	test_rejects();
	test_roundtrip();
	test_tails();
	test_json();
	return tap_done();
}
