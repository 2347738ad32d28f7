/* cbor.c - CBOR over libcbor: bounded decoding of untrusted input, map
 * helpers, and encoding straight into a vci_buf_t (see cbor.h). */
#include "cbor.h"

#include <string.h>

/* ---- bounded decoding ---- */

typedef struct frame {
	uint64_t left;   /* items still expected; UINT64_MAX: indefinite */
	int string_mt;   /* indefinite string: the chunks' major type, else -1 */
} frame_t;

static int scan_err(vci_err_t *err, const char *why, size_t pos)
{
	return vci_err_set(err, VCI_EXIT_INPUT, "invalid_cbor", "CBOR: %s at byte %zu", why, pos);
}

/* Walk the item. With `out`, also copy it there, writing one-byte tag
 * heads 6..20 in their two-byte form (d8 xx): libcbor 0.8 refuses the
 * short form of those tags. *nshort counts them. */
static int scan(const uint8_t *buf, size_t len, size_t max_depth, size_t *nshort, uint8_t *out,
		vci_err_t *err)
{
	frame_t stack[64];
	size_t depth = 0, pos = 0, o = 0;
	int done = 0;

	if (max_depth > 63)
		max_depth = 63;
	if (len == 0)
		return scan_err(err, "empty input", 0);
	while (!done) {
		size_t at = pos;
		uint8_t ib;
		unsigned mt, ai;
		uint64_t val = 0;
		int item_done = 0;

		if (pos >= len)
			return scan_err(err, "truncated input", pos);
		ib = buf[pos++];
		mt = ib >> 5;
		ai = ib & 31;
		if (ai < 24) {
			val = ai;
		} else if (ai <= 27) {
			size_t n = (size_t)1 << (ai - 24);

			if (len - pos < n)
				return scan_err(err, "truncated argument", at);
			for (size_t i = 0; i < n; i++)
				val = val << 8 | buf[pos++];
		} else if (ai != 31) {
			return scan_err(err, "reserved additional information", at);
		}
		/* inside an indefinite string only definite chunks of its type or break */
		if (depth && stack[depth - 1].string_mt >= 0 &&
		    !(ib == 0xff) && ((int)mt != stack[depth - 1].string_mt || ai == 31))
			return scan_err(err, "bad chunk in an indefinite-length string", at);
		switch (mt) {
		case 0:
		case 1:
			if (ai == 31)
				return scan_err(err, "indefinite integer", at);
			item_done = 1;
			break;
		case 2:
		case 3:
			if (ai == 31) {
				if (depth >= max_depth)
					return scan_err(err, "nesting too deep", at);
				stack[depth].left = UINT64_MAX;
				stack[depth++].string_mt = (int)mt;
				break;
			}
			if (val > len - pos)
				return scan_err(err, "string longer than the input", at);
			pos += (size_t)val;
			item_done = 1;
			break;
		case 4:
		case 5:
			if (ai != 31) {
				/* every item takes at least one byte */
				if (val > (len - pos) / (mt == 5 ? 2 : 1))
					return scan_err(err, "container longer than the input", at);
				if (mt == 5)
					val *= 2;
				if (val == 0) {
					item_done = 1;
					break;
				}
			} else {
				val = UINT64_MAX;
			}
			if (depth >= max_depth)
				return scan_err(err, "nesting too deep", at);
			stack[depth].left = val;
			stack[depth++].string_mt = -1;
			break;
		case 6:
			if (ai == 31)
				return scan_err(err, "indefinite tag", at);
			if (depth >= max_depth)
				return scan_err(err, "nesting too deep", at);
			stack[depth].left = 1;
			stack[depth++].string_mt = -1;
			break;
		case 7:
			if (ai == 31) {
				if (!depth || stack[depth - 1].left != UINT64_MAX)
					return scan_err(err, "unexpected break", at);
				depth--;
				item_done = 1;
				break;
			}
			if (ai == 24 && val < 32)
				return scan_err(err, "bad simple value", at);
			item_done = 1;
			break;
		}
		if (mt == 6 && ai >= 6 && ai <= 20) {
			++*nshort;
			if (out) {
				out[o++] = 0xd8;
				out[o++] = (uint8_t)ai;
			}
		} else if (out) {
			memcpy(out + o, buf + at, pos - at);
			o += pos - at;
		}
		while (item_done) {
			if (!depth) {
				done = 1;
				break;
			}
			if (stack[depth - 1].left == UINT64_MAX)
				break;
			if (--stack[depth - 1].left > 0)
				break;
			depth--; /* the container is complete: it is an item of its parent */
		}
	}
	if (pos != len)
		return scan_err(err, "trailing bytes after the item", pos);
	return 0;
}

int vci_cbor_prescan(const uint8_t *buf, size_t len, size_t max_depth, vci_err_t *err)
{
	size_t nshort = 0;

	return scan(buf, len, max_depth, &nshort, NULL, err);
}

cbor_item_t *vci_cbor_load(const uint8_t *buf, size_t len, size_t max_depth, vci_err_t *err)
{
	struct cbor_load_result res;
	cbor_item_t *item;
	uint8_auto_t *copy = NULL;
	size_t nshort = 0;

	if (scan(buf, len, max_depth, &nshort, NULL, err) < 0)
		return NULL;
	if (nshort) {
		copy = malloc(len + nshort);
		if (!copy) {
			vci_err_oom(err);
			return NULL;
		}
		nshort = 0;
		scan(buf, len, max_depth, &nshort, copy, err);
		buf = copy;
		len += nshort;
	}
	item = cbor_load(buf, len, &res);
	if (!item || res.error.code != CBOR_ERR_NONE || res.read != len) {
		if (item)
			cbor_decref(&item);
		vci_err_set(err, VCI_EXIT_INPUT, "invalid_cbor", "CBOR: not well-formed (error %d at byte %zu)",
			    (int)res.error.code, res.error.position);
		return NULL;
	}
	return item;
}

int vci_cbor_serialize(const cbor_item_t *item, uint8_t **out, size_t *len, vci_err_t *err)
{
	unsigned char *buf = NULL;
	size_t cap = 0, n = cbor_serialize_alloc(item, &buf, &cap);

	if (!n) {
		free(buf);
		return vci_err_set(err, VCI_EXIT_IO, "io_error", "CBOR: cannot serialize");
	}
	*out = buf;
	*len = n;
	return 0;
}

int vci_cbor_get_int(const cbor_item_t *item, int64_t *out)
{
	uint64_t v;

	if (!item || (!cbor_isa_uint(item) && !cbor_isa_negint(item)))
		return -1;
	v = cbor_get_int(item);
	if (v > INT64_MAX)
		return -1;
	*out = cbor_isa_uint(item) ? (int64_t)v : -1 - (int64_t)v;
	return 0;
}

cbor_item_t *vci_cbor_map_get_int(const cbor_item_t *map, int64_t key)
{
	struct cbor_pair *pairs;
	size_t n;

	if (!map || !cbor_isa_map(map))
		return NULL;
	pairs = cbor_map_handle(map);
	n = cbor_map_size(map);
	for (size_t i = 0; i < n; i++) {
		int64_t k;

		if (vci_cbor_get_int(pairs[i].key, &k) == 0 && k == key)
			return pairs[i].value;
	}
	return NULL;
}

cbor_item_t *vci_cbor_map_get_str(const cbor_item_t *map, const char *key)
{
	struct cbor_pair *pairs;
	size_t n, kl = strlen(key);

	if (!map || !cbor_isa_map(map))
		return NULL;
	pairs = cbor_map_handle(map);
	n = cbor_map_size(map);
	for (size_t i = 0; i < n; i++) {
		const cbor_item_t *k = pairs[i].key;

		if (cbor_isa_string(k) && cbor_string_is_definite(k) &&
		    cbor_string_length(k) == kl && !memcmp(cbor_string_handle(k), key, kl))
			return pairs[i].value;
	}
	return NULL;
}

cbor_item_t *vci_cbor_int(int64_t v)
{
	uint64_t u = v >= 0 ? (uint64_t)v : (uint64_t)(-1 - v);
	cbor_item_t *item;

	if (u <= UINT8_MAX)
		item = v >= 0 ? cbor_build_uint8((uint8_t)u) : cbor_build_negint8((uint8_t)u);
	else if (u <= UINT16_MAX)
		item = v >= 0 ? cbor_build_uint16((uint16_t)u) : cbor_build_negint16((uint16_t)u);
	else if (u <= UINT32_MAX)
		item = v >= 0 ? cbor_build_uint32((uint32_t)u) : cbor_build_negint32((uint32_t)u);
	else
		item = v >= 0 ? cbor_build_uint64(u) : cbor_build_negint64(u);
	return item;
}

static int map_add(cbor_item_t *map, cbor_item_t *key, cbor_item_t *value)
{
	int ok = key && value &&
		 cbor_map_add(map, (struct cbor_pair){ .key = key, .value = value });

	if (key)
		cbor_decref(&key);
	if (value)
		cbor_decref(&value);
	return ok ? 0 : -1;
}

int vci_cbor_map_add_int(cbor_item_t *map, int64_t key, cbor_item_t *value)
{
	return map_add(map, vci_cbor_int(key), value);
}

int vci_cbor_map_add_str(cbor_item_t *map, const char *key, cbor_item_t *value)
{
	return map_add(map, cbor_build_string(key), value);
}

/* ---- encoding straight to bytes ---- */

size_t vci_cbor_head_len(uint64_t n)
{
	return n < 24 ? 1 : n <= UINT8_MAX ? 2 : n <= UINT16_MAX ? 3 : n <= UINT32_MAX ? 5 : 9;
}

void vci_cbuf_head(vci_buf_t *b, unsigned major, uint64_t arg)
{
	size_t n = vci_cbor_head_len(arg);
	uint8_t *p;

	if (vci_buf_reserve(b, n) < 0)
		return;
	p = b->buf + b->len;
	b->len += n;
	major <<= 5;
	switch (n) {
	case 1: p[0] = (uint8_t)(major | arg); return;
	case 2: p[0] = (uint8_t)(major | 24); break;
	case 3: p[0] = (uint8_t)(major | 25); break;
	case 5: p[0] = (uint8_t)(major | 26); break;
	default: p[0] = (uint8_t)(major | 27); break;
	}
	for (size_t i = n - 1; i >= 1; i--, arg >>= 8)
		p[i] = (uint8_t)arg;
}

void vci_cbuf_int(vci_buf_t *b, int64_t v)
{
	if (v >= 0)
		vci_cbuf_head(b, 0, (uint64_t)v);
	else
		vci_cbuf_head(b, 1, (uint64_t)(-1 - v));
}

void vci_cbuf_bstr(vci_buf_t *b, const void *p, size_t n)
{
	vci_cbuf_head(b, 2, n);
	vci_cbuf_raw(b, p, n);
}

void vci_cbuf_tstr(vci_buf_t *b, const char *s, size_t n)
{
	vci_cbuf_head(b, 3, n);
	vci_cbuf_raw(b, s, n);
}

void vci_cbuf_str(vci_buf_t *b, const char *s)
{
	vci_cbuf_tstr(b, s, strlen(s));
}

void vci_cbuf_bool(vci_buf_t *b, int v)
{
	uint8_t c = v ? 0xf5 : 0xf4;

	vci_cbuf_raw(b, &c, 1);
}

void vci_cbuf_null(vci_buf_t *b)
{
	uint8_t c = 0xf6;

	vci_cbuf_raw(b, &c, 1);
}

/* A float head (fa, fb) and its IEEE 754 bytes, big-endian. */
static void cbuf_ieee(vci_buf_t *b, uint8_t head, uint64_t u, int n)
{
	uint8_t p[9];

	p[0] = head;
	for (int i = n; i >= 1; i--, u >>= 8)
		p[i] = (uint8_t)u;
	vci_cbuf_raw(b, p, (size_t)n + 1);
}

void vci_cbuf_double(vci_buf_t *b, double v)
{
	uint64_t u;

	memcpy(&u, &v, sizeof u);
	cbuf_ieee(b, 0xfb, u, 8);
}

void vci_cbuf_float(vci_buf_t *b, float v)
{
	uint32_t u;

	memcpy(&u, &v, sizeof u);
	cbuf_ieee(b, 0xfa, u, 4);
}
