/* buf.h - the one growable buffer: bytes or text, with a hard cap
 * (curl's dynbuf idea). Every module that builds output of unknown
 * length (CBOR, SD-JWT text, result lines, files read whole) uses it. */
#ifndef VCI_BUF_H
#define VCI_BUF_H

#include "common.h"
#include <string.h>

/* Largest size a buffer may reach when nothing smaller was asked for. */
#define VCI_BUF_MAX_DEFAULT ((size_t)256 << 20)

/* The buffer. `p` (as text) and `buf` (as bytes) are the same memory,
 * NULL until the first byte is added; after vci_buf_addn / vci_buf_addf
 * it is NUL-terminated at `len` (the NUL is not counted). A zeroed
 * vci_buf_t is a valid empty buffer capped at VCI_BUF_MAX_DEFAULT.
 * Once an allocation fails or the cap would be passed, `failed` is set
 * and every later add does nothing and returns -1: a caller may add many
 * pieces and check once at the end. Not thread-safe (one owner). */
typedef struct vci_buf {
	union {
		char *p;
		uint8_t *buf;
	};
	size_t len, cap;
	size_t max;  /* hard cap: len + 1 (the NUL) <= max; 0: VCI_BUF_MAX_DEFAULT */
	int failed;
} vci_buf_t;

/* The cap of a buffer over caller storage: never grown, never freed. */
#define VCI_BUF_FIXED_MAX SIZE_MAX
/* Initializer of such a buffer over an array (one byte is kept for the
 * NUL): vci_buf_t h = VCI_BUF_FIXED(head); */
#define VCI_BUF_FIXED(a) { .buf = (uint8_t *)(a), .cap = sizeof(a), .max = VCI_BUF_FIXED_MAX }

/* An empty buffer that will never hold more than `max` - 1 bytes. */
void vci_buf_init(vci_buf_t *b, size_t max);
/* The same as VCI_BUF_FIXED, for storage of `size` bytes. */
void vci_buf_fixed(vci_buf_t *b, void *storage, size_t size);
/* Room for n more bytes and a NUL: 0, or -1 (failed set). Slow path of
 * vci_buf_reserve. */
int vci_buf_grow(vci_buf_t *b, size_t n);
static inline int vci_buf_reserve(vci_buf_t *b, size_t n)
{
	if (b->p && !b->failed && n < b->cap - b->len)
		return 0;
	return vci_buf_grow(b, n);
}
/* Append n bytes (copied). 0, or -1 (failed set). */
static inline int vci_buf_addn(vci_buf_t *b, const void *s, size_t n)
{
	if (vci_buf_reserve(b, n) < 0)
		return -1;
	if (n)
		memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
	return 0;
}
/* Append a C string. */
static inline int vci_buf_adds(vci_buf_t *b, const char *s)
{
	return vci_buf_addn(b, s, strlen(s));
}
/* Append printf-formatted text. 0, or -1 (failed set). */
int vci_buf_addf(vci_buf_t *b, const char *fmt, ...) VCI_PRINTF(2, 3);
/* Hand the bytes over (caller frees; NUL-terminated, even when empty)
 * and leave b empty with its cap; *len (if non-NULL) receives the
 * length. NULL if the buffer had failed or memory runs out (b is then
 * freed), or for a fixed buffer. */
char *vci_buf_take(vci_buf_t *b, size_t *len);
/* Empty the buffer for reuse, keeping its memory, cap and clearing
 * `failed`. */
void vci_buf_reset(vci_buf_t *b);
/* Free the memory; b is left empty with its cap. */
void vci_buf_free(vci_buf_t *b);
static inline void vci_buf_free_p(vci_buf_t *b) { vci_buf_free(b); }
#define buf_auto_t vci_buf_t __attribute__((cleanup(vci_buf_free_p)))

/* Append the JSON text of v, byte for byte what json_dumpb(v, flags |
 * JSON_ENCODE_ANY) writes, without jansson's per-character output
 * callbacks: objects in insertion order, "," and ":" with JSON_COMPACT,
 * ", " and ": " without; strings copied as they are when nothing in them
 * needs an escape. What this does not write itself (reals, strings with
 * escapes, and any flag other than JSON_COMPACT, JSON_PRESERVE_ORDER and
 * JSON_REAL_PRECISION: indents, sorted keys, ASCII output) is written by
 * json_dumpb. Returns 0, or -1 (and `failed`) if out of memory, past the
 * cap, or for values nested deeper than VCI_BUF_JSON_DEPTH. */
int vci_buf_json(vci_buf_t *b, const json_t *v, size_t flags);
/* The JSON string of the n bytes at s (UTF-8), as vci_buf_json writes a
 * string. Returns 0, or -1 (and `failed`). */
int vci_buf_json_str(vci_buf_t *b, const char *s, size_t n);
#define VCI_BUF_JSON_DEPTH 2048

#endif
