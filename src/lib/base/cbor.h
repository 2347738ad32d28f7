/* cbor.h - CBOR over libcbor: decoding of untrusted input bounded in
 * size and depth before libcbor sees it, map and integer helpers, and
 * vci_cbuf_*: CBOR written straight into a vci_buf_t for hot paths.
 * Thread-safe (no shared state). */
#ifndef VCI_CBOR_H
#define VCI_CBOR_H

#include "common.h"
#include "buf.h"
#include <cbor.h>

#define VCI_CBOR_MAX_DEPTH 32

static inline void vci_cbor_decref_p(cbor_item_t **i) { if (*i) cbor_decref(i); }
#define cbor_auto_t cbor_item_t __attribute__((cleanup(vci_cbor_decref_p)))

/* Check that buf holds exactly one well-formed CBOR data item whose
 * declared lengths fit the input and whose nesting (arrays, maps, tags)
 * is at most max_depth, without allocating. Indefinite lengths are
 * accepted. Errors are VCI_EXIT_INPUT, code "invalid_cbor". */
int vci_cbor_prescan(const uint8_t *buf, size_t len, size_t max_depth, vci_err_t *err);
/* vci_cbor_prescan, then cbor_load. Returns a new item. */
cbor_item_t *vci_cbor_load(const uint8_t *buf, size_t len, size_t max_depth, vci_err_t *err);
/* Serialize an item; *out malloc'd. */
int vci_cbor_serialize(const cbor_item_t *item, uint8_t **out, size_t *len, vci_err_t *err);

/* Map lookups (borrowed results, NULL if absent): an integer key, a text
 * key. Integers compare by value whatever their encoded width. */
cbor_item_t *vci_cbor_map_get_int(const cbor_item_t *map, int64_t key);
cbor_item_t *vci_cbor_map_get_str(const cbor_item_t *map, const char *key);
/* An integer item's value (major types 0 and 1); -1 if not an integer or
 * out of int64_t range. */
int vci_cbor_get_int(const cbor_item_t *item, int64_t *out);
/* Add key -> value to a definite map (value stolen; key an int or text). */
int vci_cbor_map_add_int(cbor_item_t *map, int64_t key, cbor_item_t *value);
int vci_cbor_map_add_str(cbor_item_t *map, const char *key, cbor_item_t *value);
/* New integer item (positive or negative). */
cbor_item_t *vci_cbor_int(int64_t v);

/* ---- encoding straight to bytes ----
 * CBOR written into a vci_buf_t with shortest ("preferred") heads and
 * definite lengths, for encoders on a hot path that would otherwise
 * build and free a libcbor tree per item. An allocation failure (or the
 * buffer's cap) sets `failed` and later calls do nothing; check it once
 * at the end. */
/* Bytes already encoded. */
static inline void vci_cbuf_raw(vci_buf_t *b, const void *p, size_t n)
{
	if (n)
		(void)vci_buf_addn(b, p, n);
}
/* A head: major type 0..7 and its argument. */
void vci_cbuf_head(vci_buf_t *b, unsigned major, uint64_t arg);
void vci_cbuf_int(vci_buf_t *b, int64_t v);
void vci_cbuf_bstr(vci_buf_t *b, const void *p, size_t n);
void vci_cbuf_tstr(vci_buf_t *b, const char *s, size_t n);
void vci_cbuf_str(vci_buf_t *b, const char *s); /* tstr of a C string */
void vci_cbuf_bool(vci_buf_t *b, int v);
void vci_cbuf_null(vci_buf_t *b);
void vci_cbuf_double(vci_buf_t *b, double v);
void vci_cbuf_float(vci_buf_t *b, float v);   /* fa: 4-byte float */
/* Length of the head for a string/container of n. */
size_t vci_cbor_head_len(uint64_t n);

#endif
