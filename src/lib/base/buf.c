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
