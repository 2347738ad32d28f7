/* test-seal.c - sealed values (crypto/seal.h): round trips, the format,
 * and every way a value must fail to open: any byte changed, another aad,
 * another key, truncated, malformed.
 *
 * With arguments it is the thin driver the independent check
 * (tests/cli/seal-interop.bats, python3-cryptography's AESGCM) runs:
 *   test-seal seal KEYHEX AAD < plaintext      (prints the sealed value)
 *   test-seal open KEYHEX AAD < sealed         (prints the plaintext)
 */
#include "base/b64url.h"
#include "crypto/seal.h"
#include "tap.h"

#include <string.h>
#include <openssl/crypto.h>

static const uint8_t key1[VCI_SEAL_KEY] = "0123456789abcdef0123456789abcdef";

static int opens(const uint8_t *key, const char *aad, const char *sealed, size_t slen,
		 vci_err_t *err)
{
	uint8_t *out = (uint8_t *)"x";
	size_t outlen = 1;
	int rc = vci_seal_open(key, aad, strlen(aad), sealed, slen, &out, &outlen, err);

	if (rc < 0 && (out != NULL || outlen != 0))
		return 2; /* a failure must leave nothing */
	free(out);
	return rc;
}

static void test_round_trip(void)
{
	static const size_t sizes[] = { 0, 1, 15, 16, 17, 31, 32, 33, 1000, 65536 };
	uint8_t *plain = malloc(65536), *out = NULL, *raw = NULL;
	size_t outlen = 0, rlen = 0;
	int all = 1, format = 1;

	for (size_t i = 0; i < 65536; i++)
		plain[i] = (uint8_t)(i * 7 + 3);
	for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
		size_t n = sizes[k];
		char *s = vci_seal(key1, "row-1", 5, n ? plain : NULL, n, NULL);

		all &= s && vci_seal_open(key1, "row-1", 5, s, strlen(s), &out, &outlen, NULL) == 0 &&
		       outlen == n && (n == 0 || memcmp(out, plain, n) == 0) && out[n] == '\0';
		free(out);
		out = NULL;
		format &= s && s[0] == 'A' && s[1] >= 'Q' && s[1] <= 'f' &&
			  strlen(s) == vci_b64url_len(VCI_SEAL_OVERHEAD + n) &&
			  vci_b64url_decode(s, strlen(s), &raw, &rlen, NULL) == 0 &&
			  rlen == VCI_SEAL_OVERHEAD + n && raw[0] == VCI_SEAL_VERSION;
		free(raw);
		raw = NULL;
		free(s);
	}
	tap_ok(all, "round trip for 0 to 65536 bytes");
	tap_ok(format, "format: base64url of version 0x01, nonce, ciphertext, tag (\"A...\")");
	free(plain);
}

static void test_basics(void)
{
	char *a = vci_seal(key1, "id", 2, "secret", 6, NULL);
	char *b = vci_seal(key1, "id", 2, "secret", 6, NULL);
	char *e = vci_seal(key1, NULL, 0, NULL, 0, NULL);
	uint8_t *out = NULL;
	size_t outlen = 9;
	vci_err_t err = { 0 };

	tap_ok(a && b && strcmp(a, b) != 0, "two seals of one plaintext differ (random nonce)");
	tap_ok(a && !strstr(a, "secret"), "the plaintext is not in the sealed value");
	tap_ok(e && vci_seal_open(key1, NULL, 0, e, strlen(e), &out, &outlen, &err) == 0 &&
	       outlen == 0 && out && out[0] == '\0', "empty plaintext, empty aad: round trip");
	free(out);
	tap_is_int(opens(key1, "", a, strlen(a), &err), -1, "an aad given at seal is required");
	tap_is_int(opens(key1, "id", e, strlen(e), &err), -1, "an aad not given at seal is refused");
	tap_ok(vci_seal(key1, "id", 2, "x", (size_t)VCI_SEAL_MAX + 1, &err) == NULL &&
	       err.status == VCI_EXIT_INPUT, "seal: a plaintext over the limit is refused");
	free(a);
	free(b);
	free(e);
}

/* Change each byte of the raw value in turn (one bit, and to each of a few
 * values): nothing opens. */
static void test_tamper(void)
{
	static const char plain[] = "{\"pre-authorized_code\":\"SplxlOBeZQQYbYS6WxSbIA\"}";
	char *s = vci_seal(key1, "offer-7", 7, plain, strlen(plain), NULL), *t;
	uint8_t *raw = NULL;
	size_t rlen = 0;
	int fails = 1, auth = 1, chars = 1;
	vci_err_t err = { 0 };

	tap_ok(s && vci_b64url_decode(s, strlen(s), &raw, &rlen, NULL) == 0, "sealed and decoded");
	for (size_t i = 0; raw && i < rlen; i++) {
		for (unsigned d = 1; d < 256; d = d * 2 + 1) {
			raw[i] ^= (uint8_t)d;
			t = vci_b64url_encode(raw, rlen);
			raw[i] ^= (uint8_t)d;
			err = (vci_err_t){ 0 };
			fails &= t && opens(key1, "offer-7", t, strlen(t), &err) == -1;
			if (i > 0)
				auth &= strcmp(err.msg, "sealed value: authentication failed") == 0 &&
					strcmp(err.code, "unsealable") == 0 &&
					err.status == VCI_EXIT_FAIL;
			free(t);
		}
	}
	tap_ok(fails, "any byte changed (version, nonce, ciphertext, tag): refused");
	tap_ok(auth, "as \"authentication failed\", VCI_EXIT_FAIL, code unsealable");
	for (size_t i = 0; s && s[i]; i++) {
		char c = s[i];

		s[i] = c == 'A' ? 'B' : 'A';
		chars &= opens(key1, "offer-7", s, strlen(s), NULL) == -1;
		s[i] = c;
	}
	tap_ok(chars, "any character of the text changed: refused");
	tap_is_int(opens(key1, "offer-7", s, strlen(s), NULL), 0, "the untouched value opens");
	free(raw);
	free(s);
}

static void test_wrong(void)
{
	uint8_t key2[VCI_SEAL_KEY];
	char *s = vci_seal(key1, "offer-1", 7, "code", 4, NULL);
	vci_err_t err = { 0 };
	int all = 1;

	memcpy(key2, key1, sizeof(key2));
	key2[31] ^= 1;
	tap_is_int(opens(key2, "offer-1", s, strlen(s), &err), -1, "another key: refused");
	tap_is_str(err.msg, "sealed value: authentication failed", "as authentication failed");
	tap_is_int(opens(key1, "offer-2", s, strlen(s), &err), -1, "another aad: refused");
	tap_is_str(err.msg, "sealed value: authentication failed",
		   "told apart from another key by nothing");
	tap_is_int(opens(key1, "offer-10", s, strlen(s), &err), -1, "a longer aad: refused");
	for (size_t n = 0; s && n < strlen(s); n++)
		all &= opens(key1, "offer-1", s, n, &err) == -1;
	tap_ok(all, "every truncation refused");
	OPENSSL_cleanse(key2, sizeof(key2));
	free(s);
}

static void test_malformed(void)
{
	static const char *const bad[] = {
		"", "AQ", "AQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "AQ==", "{\"a\":1}",
		"AQ AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "Ag" "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
		"AQ+AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
	};
	vci_err_t err = { 0 };
	int all = 1;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err = (vci_err_t){ 0 };
		all &= opens(key1, "x", bad[i], strlen(bad[i]), &err) == -1 &&
		       strcmp(err.code, "unsealable") == 0 &&
		       strcmp(err.msg, "sealed value: malformed") == 0;
	}
	tap_ok(all, "malformed values refused as \"malformed\", their text not echoed");
	tap_is_int(opens(key1, "x", "AQ==", 4, &err), -1, "padding refused");
	tap_is_str(err.msg, "sealed value: malformed", "as malformed");
	tap_is_int(opens(key1, "x", NULL, 0, &err), -1, "NULL refused");
}

/* The driver mode ----------------------------------------------------------*/

static char *read_all(FILE *f, size_t *len)
{
	size_t cap = 4096, n = 0;
	char *buf = malloc(cap + 1);

	while (buf) {
		size_t got = fread(buf + n, 1, cap - n, f);

		n += got;
		if (n < cap)
			break;
		cap *= 2;
		char *nb = realloc(buf, cap + 1);

		if (!nb)
			free(buf);
		buf = nb;
	}
	if (buf)
		buf[n] = '\0';
	*len = n;
	return buf;
}

static int driver(int argc, char **argv)
{
	uint8_t *key, *out = NULL;
	size_t klen = 0, len = 0, outlen = 0;
	char *in, *s;
	vci_err_t err = { 0 };
	int rc = 1;

	if (argc != 4 || (strcmp(argv[1], "seal") && strcmp(argv[1], "open"))) {
		fprintf(stderr, "usage: test-seal seal|open KEYHEX AAD < input\n");
		return 2;
	}
	key = tap_unhex(argv[2], &klen);
	in = read_all(stdin, &len);
	if (!key || klen != VCI_SEAL_KEY || !in) {
		fprintf(stderr, "test-seal: a key of 32 bytes in hex is needed\n");
	} else if (!strcmp(argv[1], "seal")) {
		s = vci_seal(key, argv[3], strlen(argv[3]), in, len, &err);
		if (s)
			rc = printf("%s\n", s) < 0;
		free(s);
	} else {
		while (len && (in[len - 1] == '\n' || in[len - 1] == '\r'))
			len--;
		if (vci_seal_open(key, argv[3], strlen(argv[3]), in, len, &out, &outlen, &err) == 0)
			rc = fwrite(out, 1, outlen, stdout) != outlen;
		free(out);
	}
	if (rc && err.msg[0])
		fprintf(stderr, "test-seal: %s\n", err.msg);
	if (key)
		OPENSSL_cleanse(key, klen);
	free(key);
	free(in);
	return rc;
}

int main(int argc, char **argv)
{
	if (argc > 1)
		return driver(argc, argv);
	test_round_trip();
	test_basics();
	test_tamper();
	test_wrong();
	test_malformed();
	return tap_done();
}
