/* buf.c - the one growable buffer (see buf.h). */
#include "buf.h"

#include <stdarg.h>

#define FIXED_MARK VCI_BUF_FIXED_MAX

void vci_buf_init(vci_buf_t *b, size_t max)
{
	memset(b, 0, sizeof *b);
	b->max = max;
}

void vci_buf_fixed(vci_buf_t *b, void *storage, size_t size)
{
	memset(b, 0, sizeof *b);
	b->p = storage;
	b->cap = size;
	b->max = FIXED_MARK;
	if (size)
		b->p[0] = '\0';
}

static int fail(vci_buf_t *b)
{
	b->failed = 1;
	return -1;
}

int vci_buf_grow(vci_buf_t *b, size_t n)
{
	size_t max = b->max ? b->max : VCI_BUF_MAX_DEFAULT;
	size_t cap;
	char *p;

	if (b->failed)
		return -1;
	if (b->p && n < b->cap - b->len)
		return 0;
	if (b->max == FIXED_MARK || n >= max - b->len || b->len > max)
		return fail(b);
	/* len + n + 1 <= max from here on: no overflow. */
	cap = b->cap ? b->cap : 256 < max ? 256 : max;
	while (cap - 1 - b->len < n)
		cap = cap > max / 2 ? max : cap * 2;
	p = realloc(b->p, cap);
	if (!p)
		return fail(b);
	b->p = p;
	b->cap = cap;
	return 0;
}

int vci_buf_addf(vci_buf_t *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (b->failed)
		return -1;
	va_start(ap, fmt);
	n = vsnprintf(b->p ? b->p + b->len : NULL, b->p ? b->cap - b->len : 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return fail(b);
	if (!b->p || (size_t)n >= b->cap - b->len) {
		if (vci_buf_grow(b, (size_t)n) < 0)
			return -1;
		va_start(ap, fmt);
		vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
		va_end(ap);
	}
	b->len += (size_t)n;
	return 0;
}

char *vci_buf_take(vci_buf_t *b, size_t *len)
{
	size_t max = b->max;
	char *p;

	if (b->failed || b->max == FIXED_MARK || vci_buf_reserve(b, 0) < 0) {
		vci_buf_free(b);
		return NULL;
	}
	p = b->p;
	p[b->len] = '\0';
	if (len)
		*len = b->len;
	vci_buf_init(b, max);
	return p;
}

void vci_buf_reset(vci_buf_t *b)
{
	b->len = 0;
	b->failed = 0;
	if (b->p)
		b->p[0] = '\0';
}

void vci_buf_free(vci_buf_t *b)
{
	size_t max = b->max;

	if (max != FIXED_MARK)
		free(b->p);
	vci_buf_init(b, max == FIXED_MARK ? 0 : max);
}

/* ---- JSON text ---- */

static int json_str(vci_buf_t *b, const json_t *v, const char *s, size_t n, size_t flags);

/* json_dumpb of one value into b (the cases vci_buf_json leaves to
 * jansson). */
static int json_jansson(vci_buf_t *b, const json_t *v, size_t flags)
{
	size_t room, n;

	if (b->failed || vci_buf_reserve(b, 64) < 0)
		return -1;
	room = b->cap - b->len - 1;
	n = json_dumpb(v, b->p + b->len, room, flags | JSON_ENCODE_ANY);
	if (!n)
		return b->failed = 1, -1;
	if (n > room) {
		if (vci_buf_reserve(b, n) < 0)
			return -1;
		room = b->cap - b->len - 1;
		if (json_dumpb(v, b->p + b->len, room, flags | JSON_ENCODE_ANY) != n)
			return b->failed = 1, -1;
	}
	b->len += n;
	b->p[b->len] = '\0';
	return 0;
}

/* A string between quotes, copied unless a byte needs an escape (then
 * jansson writes it, so that every escape is exactly its own). */
/* Bytes a JSON string cannot hold as they are (and DEL, which jansson is
 * left to write): in eight bytes at a time. */
#define ONES 0x0101010101010101ull
#define HIGHS 0x8080808080808080ull
#define HAS_ZERO(x) (((x) - ONES) & ~(x) & HIGHS)

static size_t json_plain_prefix(const char *s, size_t n)
{
	size_t i = 0;

	for (; i + 8 <= n; i += 8) {
		uint64_t w;

		memcpy(&w, s + i, 8);
		if ((((w - 0x20 * ONES) & ~w & HIGHS)) || HAS_ZERO(w ^ ('"' * ONES)) ||
		    HAS_ZERO(w ^ ('\\' * ONES)) || HAS_ZERO(w ^ (0x7f * ONES)))
			break;
	}
	return i;
}

int vci_buf_json_str(vci_buf_t *b, const char *s, size_t n)
{
	return json_str(b, NULL, s, n, 0);
}

static int json_str(vci_buf_t *b, const json_t *v, const char *s, size_t n, size_t flags)
{
	for (size_t i = json_plain_prefix(s, n); i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c < 0x20 || c == '"' || c == '\\' || c == 0x7f) {
			json_t *t = v ? NULL : json_stringn_nocheck(s, n);
			int rc;

			if (!v && !t)
				return b->failed = 1, -1;
			rc = json_jansson(b, v ? v : t, flags);
			json_decref(t);
			return rc;
		}
	}
	if (vci_buf_reserve(b, n + 2) < 0)
		return -1;
	b->p[b->len++] = '"';
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len++] = '"';
	b->p[b->len] = '\0';
	return 0;
}

static int json_value(vci_buf_t *b, const json_t *v, size_t flags, int depth)
{
	const int compact = (flags & JSON_COMPACT) != 0;
	const char *sep = compact ? "," : ", ", *colon = compact ? ":" : ": ";
	const size_t seplen = compact ? 1 : 2;
	char t[32];
	int n, first = 1;

	if (depth > VCI_BUF_JSON_DEPTH)
		return b->failed = 1, -1;
	switch (json_typeof(v)) {
	case JSON_OBJECT: {
		const char *k;
		json_t *m;

		vci_buf_addn(b, "{", 1);
		json_object_foreach((json_t *)v, k, m) {
			if (!first)
				vci_buf_addn(b, sep, seplen);
			first = 0;
			json_str(b, NULL, k, strlen(k), flags);
			vci_buf_addn(b, colon, seplen);
			if (json_value(b, m, flags, depth + 1) < 0)
				return -1;
		}
		return vci_buf_addn(b, "}", 1);
	}
	case JSON_ARRAY:
		vci_buf_addn(b, "[", 1);
		for (size_t i = 0; i < json_array_size(v); i++) {
			if (i)
				vci_buf_addn(b, sep, seplen);
			if (json_value(b, json_array_get(v, i), flags, depth + 1) < 0)
				return -1;
		}
		return vci_buf_addn(b, "]", 1);
	case JSON_STRING:
		return json_str(b, v, json_string_value(v), json_string_length(v), flags);
	case JSON_INTEGER:
		n = snprintf(t, sizeof t, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		return vci_buf_addn(b, t, (size_t)n);
	case JSON_TRUE:
		return vci_buf_addn(b, "true", 4);
	case JSON_FALSE:
		return vci_buf_addn(b, "false", 5);
	case JSON_NULL:
		return vci_buf_addn(b, "null", 4);
	default: /* reals: jansson's own formatting */
		return json_jansson(b, v, flags);
	}
}

int vci_buf_json(vci_buf_t *b, const json_t *v, size_t flags)
{
	const size_t own = JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(31);

	if (!v)
		return b->failed = 1, -1;
	if (flags & ~own)
		return json_jansson(b, v, flags);
	if (json_value(b, v, flags, 0) < 0 || b->failed)
		return -1;
	return 0;
}
