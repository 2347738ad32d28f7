/* b64url.c - base64url without padding (RFC 4648 section 5) and standard
 * base64 with padding (section 4), both decoded strictly. Table-driven:
 * the hot loops do four table look-ups per quantum and one validity test. */
#include "b64url.h"

#include <pthread.h>
#include <string.h>

static const char enc_url[64] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
static const char enc_std[64] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* Decode tables: 0 for a byte outside the alphabet, else 0x40 | value, so
 * that ANDing four entries tests all four characters at once. */
#define V(x) (0x40 | (x))
#define ALNUM \
	['A'] = V(0), ['B'] = V(1), ['C'] = V(2), ['D'] = V(3), ['E'] = V(4), ['F'] = V(5), \
	['G'] = V(6), ['H'] = V(7), ['I'] = V(8), ['J'] = V(9), ['K'] = V(10), ['L'] = V(11), \
	['M'] = V(12), ['N'] = V(13), ['O'] = V(14), ['P'] = V(15), ['Q'] = V(16), ['R'] = V(17), \
	['S'] = V(18), ['T'] = V(19), ['U'] = V(20), ['V'] = V(21), ['W'] = V(22), ['X'] = V(23), \
	['Y'] = V(24), ['Z'] = V(25), ['a'] = V(26), ['b'] = V(27), ['c'] = V(28), ['d'] = V(29), \
	['e'] = V(30), ['f'] = V(31), ['g'] = V(32), ['h'] = V(33), ['i'] = V(34), ['j'] = V(35), \
	['k'] = V(36), ['l'] = V(37), ['m'] = V(38), ['n'] = V(39), ['o'] = V(40), ['p'] = V(41), \
	['q'] = V(42), ['r'] = V(43), ['s'] = V(44), ['t'] = V(45), ['u'] = V(46), ['v'] = V(47), \
	['w'] = V(48), ['x'] = V(49), ['y'] = V(50), ['z'] = V(51), ['0'] = V(52), ['1'] = V(53), \
	['2'] = V(54), ['3'] = V(55), ['4'] = V(56), ['5'] = V(57), ['6'] = V(58), ['7'] = V(59), \
	['8'] = V(60), ['9'] = V(61)

static const uint8_t dec_url[256] = { ALNUM, ['-'] = V(62), ['_'] = V(63) };
static const uint8_t dec_std[256] = { ALNUM, ['+'] = V(62), ['/'] = V(63) };

#undef ALNUM
#undef V

typedef struct codec {
	const char *enc;
	const uint8_t *dec;
	int padded;
	const char *name;   /* for messages */
	const char *code;   /* error code */
} codec_t;

static const codec_t url = { enc_url, dec_url, 0, "base64url", "invalid_base64url" };
static const codec_t std = { enc_std, dec_std, 1, "base64", "invalid_base64" };

size_t vci_b64url_len(size_t len)
{
	return len / 3 * 4 + (len % 3 ? len % 3 + 1 : 0);
}

static size_t encode_to(const codec_t *c, char *out, const uint8_t *buf, size_t len)
{
	const char *e = c->enc;
	size_t i = 0, o = 0;

	for (; len - i >= 3; i += 3) {
		uint32_t v = (uint32_t)buf[i] << 16 | (uint32_t)buf[i + 1] << 8 | buf[i + 2];

		out[o++] = e[v >> 18];
		out[o++] = e[(v >> 12) & 0x3f];
		out[o++] = e[(v >> 6) & 0x3f];
		out[o++] = e[v & 0x3f];
	}
	if (len - i == 1) {
		out[o++] = e[buf[i] >> 2];
		out[o++] = e[(buf[i] & 0x03) << 4];
		if (c->padded) {
			out[o++] = '=';
			out[o++] = '=';
		}
	} else if (len - i == 2) {
		uint32_t v = (uint32_t)buf[i] << 8 | buf[i + 1];

		out[o++] = e[v >> 10];
		out[o++] = e[(v >> 4) & 0x3f];
		out[o++] = e[(v & 0x0f) << 2];
		if (c->padded)
			out[o++] = '=';
	}
	out[o] = '\0';
	return o;
}

/* base64url of every 12-bit value, two characters each: the encoder's
 * hot loop does two look-ups and two 2-byte stores per 3 bytes. */
static char url_pairs[4096][2];
static pthread_once_t url_pairs_once = PTHREAD_ONCE_INIT;

static void url_pairs_make(void)
{
	for (unsigned v = 0; v < 4096; v++) {
		url_pairs[v][0] = enc_url[v >> 6];
		url_pairs[v][1] = enc_url[v & 0x3f];
	}
}

/* An 8-byte load read as a big-endian number. */
static uint64_t be64(uint64_t w)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	return w;
#else
	return __builtin_bswap64(w);
#endif
}

size_t vci_b64url_encode_to(char *out, const uint8_t *buf, size_t len)
{
	size_t i = 0, o = 0;

	pthread_once(&url_pairs_once, url_pairs_make);
	/* 6 bytes (one 8-byte load while 8 are left) to 8 characters, stored
	 * at once */
	for (; len - i >= 8; i += 6, o += 8) {
		uint64_t w;
		char t[8];

		memcpy(&w, buf + i, 8);
		w = be64(w) >> 16;
		memcpy(t, url_pairs[w >> 36], 2);
		memcpy(t + 2, url_pairs[(w >> 24) & 0xfff], 2);
		memcpy(t + 4, url_pairs[(w >> 12) & 0xfff], 2);
		memcpy(t + 6, url_pairs[w & 0xfff], 2);
		memcpy(out + o, t, 8);
	}
	for (; len - i >= 3; i += 3, o += 4) {
		uint32_t v = (uint32_t)buf[i] << 16 | (uint32_t)buf[i + 1] << 8 | buf[i + 2];

		memcpy(out + o, url_pairs[v >> 12], 2);
		memcpy(out + o + 2, url_pairs[v & 0xfff], 2);
	}
	return o + encode_to(&url, out + o, buf + i, len - i);
}

static char *encode(const codec_t *c, const uint8_t *buf, size_t len)
{
	size_t n;
	char *out;

	if (len > (SIZE_MAX - 8) / 4 * 3)
		return NULL;
	n = c->padded ? (len + 2) / 3 * 4 : vci_b64url_len(len);
	out = malloc(n + 1);
	if (out && c == &url)
		vci_b64url_encode_to(out, len ? buf : (const uint8_t *)"", len);
	else if (out)
		encode_to(c, out, len ? buf : (const uint8_t *)"", len);
	return out;
}

char *vci_b64url_encode(const uint8_t *buf, size_t len)
{
	return encode(&url, buf, len);
}

char *vci_b64_encode(const uint8_t *buf, size_t len)
{
	return encode(&std, buf, len);
}

/* Offset of the first character outside the alphabet, or n. */
static size_t find_bad(const codec_t *c, const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n && c->dec[(unsigned char)s[i]]; i++)
		;
	return i;
}

/* Say what is wrong with the first character outside the alphabet. */
static int bad_char(const codec_t *c, const char *s, size_t n, vci_err_t *err)
{
	size_t i = find_bad(c, s, n);
	unsigned char ch = i < n ? (unsigned char)s[i] : 0;

	if (ch == '=')
		return vci_err_set(err, VCI_EXIT_INPUT, c->code, c->padded ?
				   "invalid %s: misplaced padding at offset %zu" :
				   "invalid %s: padding at offset %zu (not allowed)",
				   c->name, i);
	if (ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r' || ch == '\f' || ch == '\v')
		return vci_err_set(err, VCI_EXIT_INPUT, c->code,
				   "invalid %s: whitespace at offset %zu", c->name, i);
	if (ch >= 0x21 && ch < 0x7f)
		return vci_err_set(err, VCI_EXIT_INPUT, c->code,
				   "invalid %s: character '%c' at offset %zu", c->name, ch, i);
	return vci_err_set(err, VCI_EXIT_INPUT, c->code,
			   "invalid %s: byte 0x%02x at offset %zu", c->name, ch, i);
}

static int decode(const codec_t *c, const char *s, size_t slen, uint8_t **out,
		  size_t *outlen, vci_err_t *err)
{
	const uint8_t *t = c->dec;
	const unsigned char *in = (const unsigned char *)s;
	size_t n = slen, rem, full, o = 0, i;
	uint8_t *buf;

	*out = NULL;
	*outlen = 0;
	if (!s && slen)
		return vci_err_set(err, VCI_EXIT_INPUT, c->code, "invalid %s: no input", c->name);
	if (c->padded) {
		if (n && in[n - 1] == '=')
			n--;
		if (n && in[n - 1] == '=')
			n--;
	}
	if (c->padded ? slen % 4 != 0 : slen % 4 == 1) {
		/* a stray character is the likelier mistake: name it first */
		if (find_bad(c, s, n) < n)
			return bad_char(c, s, n, err);
		return vci_err_set(err, VCI_EXIT_INPUT, c->code, c->padded ?
				   "invalid %s: length %zu is not a multiple of 4" :
				   "invalid %s: length %zu is 1 mod 4", c->name, slen);
	}
	rem = n % 4;
	full = n - rem;
	buf = malloc(full / 4 * 3 + (rem ? rem - 1 : 0) + 1);
	if (!buf)
		return vci_err_oom_at(err, c->name);

	for (i = 0; i < full; i += 4) {
		uint8_t a = t[in[i]], b = t[in[i + 1]], d2 = t[in[i + 2]], d3 = t[in[i + 3]];
		uint32_t v;

		if (!(a & b & d2 & d3 & 0x40))
			goto bad;
		v = (uint32_t)(a & 0x3f) << 18 | (uint32_t)(b & 0x3f) << 12 |
		    (uint32_t)(d2 & 0x3f) << 6 | (d3 & 0x3f);
		buf[o++] = (uint8_t)(v >> 16);
		buf[o++] = (uint8_t)(v >> 8);
		buf[o++] = (uint8_t)v;
	}
	if (rem) {
		uint8_t a = t[in[i]], b = t[in[i + 1]];
		uint8_t d2 = rem == 3 ? t[in[i + 2]] : 0x40;

		if (!(a & b & d2 & 0x40))
			goto bad;
		if (rem == 2) {
			if (b & 0x0f)
				goto bits;
			buf[o++] = (uint8_t)((a & 0x3f) << 2 | (b & 0x3f) >> 4);
		} else {
			if (d2 & 0x03)
				goto bits;
			buf[o++] = (uint8_t)((a & 0x3f) << 2 | (b & 0x3f) >> 4);
			buf[o++] = (uint8_t)((b & 0x0f) << 4 | (d2 & 0x3f) >> 2);
		}
	}
	buf[o] = '\0';
	*out = buf;
	*outlen = o;
	return 0;

bits:
	free(buf);
	return vci_err_set(err, VCI_EXIT_INPUT, c->code,
			   "invalid %s: non-zero trailing bits", c->name);
bad:
	free(buf);
	return bad_char(c, s, n, err);
}

int vci_b64url_decode(const char *s, size_t slen, uint8_t **out, size_t *outlen,
		      vci_err_t *err)
{
	return decode(&url, s, slen, out, outlen, err);
}

int vci_b64_decode(const char *s, size_t slen, uint8_t **out, size_t *outlen,
		   vci_err_t *err)
{
	return decode(&std, s, slen, out, outlen, err);
}

json_t *vci_b64url_decode_json(const char *s, size_t slen, const char *what,
			       vci_err_t *err)
{
	uint8_auto_t *buf = NULL;
	size_t len;

	if (!what)
		what = "base64url";
	if (vci_b64url_decode(s, slen, &buf, &len, err) < 0) {
		vci_err_prefix(err, "%s", what);
		return NULL;
	}
	return vci_json_parse((const char *)buf, len, what, err);
}
