/* statuslist.h - status lists: the IETF Token Status List (bits packed
 * from the least significant bit, zlib) and the W3C Bitstring Status List
 * (most significant bit first, GZIP). A list lives in a file (format in
 * vci-statuslist(1)) that holds the statuses, the uri and an allocation
 * bitmap; changes to it are locked, fsync'd and renamed into place. */
#ifndef VCI_STATUSLIST_H
#define VCI_STATUSLIST_H

#include "base/common.h"

typedef enum vci_sl_method {
	VCI_SL_TSL = 0,       /* IETF Token Status List */
	VCI_SL_BITSTRING = 1, /* W3C Bitstring Status List v1.0 */
} vci_sl_method_t;

enum {
	VCI_SL_VALID = 0x00,
	VCI_SL_INVALID = 0x01,
	VCI_SL_SUSPENDED = 0x02,
};

#define VCI_SL_MAX_ENTRIES (1u << 30)      /* largest list we create or load */
#define VCI_SL_MAX_INFLATE (128u << 20)    /* largest inflated list read from a token */
#define VCI_SL_BITSTRING_MIN 131072u       /* W3C minimum number of entries */

typedef struct vci_statuslist {
	vci_sl_method_t method;
	unsigned bits;          /* 1, 2, 4 or 8 (W3C: 1) */
	uint64_t size;          /* number of entries */
	uint64_t allocated;     /* entries set in alloc_map */
	char *uri;              /* the list token's URI (`sub`) */
	char *purpose;          /* W3C statusPurpose ("revocation"/"suspension"), else NULL */
	uint8_t *lst;           /* statuses, always in Token Status List packing */
	size_t lst_len;         /* ceil(size * bits / 8) */
	uint8_t *alloc_map;     /* bit i (LSB first) set: index i was handed out */
	size_t map_len;         /* ceil(size / 8) */
} vci_statuslist_t;

/* A list of `size` entries, all VALID, nothing allocated. W3C lists need
 * bits 1, a purpose and at least VCI_SL_BITSTRING_MIN entries. */
vci_statuslist_t *vci_statuslist_new(vci_sl_method_t method, unsigned bits, uint64_t size,
				     const char *uri, const char *purpose, vci_err_t *err);
void vci_statuslist_free(vci_statuslist_t *sl);
static inline void vci_statuslist_free_p(vci_statuslist_t **sl) { vci_statuslist_free(*sl); }
#define statuslist_auto_t vci_statuslist_t __attribute__((cleanup(vci_statuslist_free_p)))

/* Value of entry idx in a packed Token Status List byte array (no bounds
 * check: the caller checks idx * bits < len * 8), and setting it. */
unsigned vci_statuslist_value(const uint8_t *lst, unsigned bits, uint64_t idx);
void vci_statuslist_put(uint8_t *lst, unsigned bits, uint64_t idx, unsigned value);

/* Read and write one entry. Setting refuses values >= 2^bits, and turning
 * an INVALID (revoked) entry into anything else unless `force`. */
int vci_statuslist_get(const vci_statuslist_t *sl, uint64_t idx, unsigned *value, vci_err_t *err);
int vci_statuslist_set(vci_statuslist_t *sl, uint64_t idx, unsigned value, int force,
		       vci_err_t *err);

/* Status words: valid/operational, invalid/revoked, suspended, 0xNN or a
 * decimal number; checked against the list's bits (and W3C purpose). */
int vci_statuslist_status_parse(const vci_statuslist_t *sl, const char *word, unsigned *value,
				vci_err_t *err);
/* The word for a value: "valid", "invalid", "suspended" or "0xNN". For a
 * W3C list value 1 is its purpose's word ("revoked"/"suspended"). */
const char *vci_statuslist_status_name(vci_sl_method_t method, const char *purpose,
				       unsigned value, char buf[8]);

/* Allocate n distinct random indices not handed out before (uniform over
 * the free ones, RAND_bytes with rejection sampling) and mark them. An
 * entry not handed out but whose status is not VALID (set with force) is
 * never handed out: it is marked as handed out first. An exhausted list
 * is an error ("list_exhausted") and allocates nothing. */
int vci_statuslist_alloc(vci_statuslist_t *sl, size_t n, uint64_t *out, vci_err_t *err);
/* 1 if idx was handed out (alloc's bitmap), else 0 (also out of range). */
int vci_statuslist_is_allocated(const vci_statuslist_t *sl, uint64_t idx);
/* Give back indices allocated by vci_statuslist_alloc but never used. */
void vci_statuslist_release(vci_statuslist_t *sl, const uint64_t *idx, size_t n);

/* List file: serialize and parse (see vci-statuslist(1) for the format). */
int vci_statuslist_serialize(const vci_statuslist_t *sl, uint8_t **out, size_t *len,
			     vci_err_t *err);
vci_statuslist_t *vci_statuslist_parse(const uint8_t *buf, size_t len, const char *name,
				       vci_err_t *err);

/* Files. A lock is an flock(2) on the list file itself, re-taken if the
 * file was replaced while waiting. vci_statuslist_load reads under a
 * shared lock; for read-modify-write take the exclusive lock, load with
 * vci_statuslist_load_locked, save, unlock. Saving writes a temporary
 * file beside the list, fsyncs it, renames it over the list and fsyncs
 * the directory; temporaries a killed writer left behind are removed
 * first (save only under the exclusive lock). */
typedef struct vci_sl_lock {
	int fd;
} vci_sl_lock_t;
int vci_statuslist_lock(const char *path, int exclusive, vci_sl_lock_t *lk, vci_err_t *err);
void vci_statuslist_unlock(vci_sl_lock_t *lk);
vci_statuslist_t *vci_statuslist_load_locked(const vci_sl_lock_t *lk, const char *path,
					     vci_err_t *err);
vci_statuslist_t *vci_statuslist_load(const char *path, vci_err_t *err);
int vci_statuslist_save(const char *path, const vci_statuslist_t *sl, vci_err_t *err);
/* In one locked read-modify-write of the file at path: allocate up to
 * `max` indices, and at most a sixteenth of the free ones (at least one;
 * none free is "list_exhausted")
 * into out, *got of them, durable before it returns; and give indices
 * back. Indices handed out are never handed out again, whatever happens
 * to the process afterwards. */
int vci_statuslist_alloc_file(const char *path, size_t max, uint64_t *out, size_t *got,
			      vci_err_t *err);
int vci_statuslist_release_file(const char *path, const uint64_t *idx, size_t n, vci_err_t *err);
/* Create a new list file; an existing file is an error unless `replace`. */
int vci_statuslist_create(const char *path, const vci_statuslist_t *sl, int replace,
			  vci_err_t *err);

/* Compression. zlib (RFC 1950, level 9) for TSL, gzip (RFC 1952) for W3C.
 * Inflating accepts only the named container, stops at `max` bytes and
 * refuses trailing data. */
int vci_statuslist_deflate(const uint8_t *raw, size_t len, int gzip, uint8_t **out,
			   size_t *outlen, vci_err_t *err);
int vci_statuslist_inflate(const uint8_t *z, size_t zlen, int gzip, size_t max,
			   uint8_t **out, size_t *outlen, vci_err_t *err);

/* The StatusList JSON object {"bits": n, "lst": "<base64url zlib>"}. */
json_t *vci_statuslist_to_json(const vci_statuslist_t *sl, vci_err_t *err);
/* W3C encodedList: "u" + base64url(gzip(bitstring, MSB first)). */
char *vci_statuslist_encoded_list(const vci_statuslist_t *sl, vci_err_t *err);

/* Signing. */
typedef struct vci_sl_sign_opts {
	const char *alg;        /* NULL: the key's default */
	const char *kid;        /* header kid, or NULL */
	const char *iss;        /* optional `iss` claim (W3C: the issuer, required) */
	const json_t *x5c;      /* x5c array of base64 DER certificates, or NULL */
	int64_t iat;            /* issued at */
	int64_t exp;            /* expiry (absolute), 0: none */
	int64_t ttl;            /* seconds, 0: none */
} vci_sl_sign_opts_t;

/* Status List Token as a JWT (typ statuslist+jwt). */
char *vci_statuslist_sign_jwt(const vci_statuslist_t *sl, EVP_PKEY *key,
			      const vci_sl_sign_opts_t *o, vci_err_t *err);
/* Status List Token as a CWT: COSE_Sign1 (tag 18), typ (16)
 * "application/statuslist+cwt", claims 2, 6, 4, 65534, 65533. */
int vci_statuslist_sign_cwt(const vci_statuslist_t *sl, EVP_PKEY *key,
			    const vci_sl_sign_opts_t *o, uint8_t **out, size_t *outlen,
			    vci_err_t *err);
/* W3C BitstringStatusListCredential secured as a JWT (typ vc+jwt). */
char *vci_statuslist_sign_bitstring(const vci_statuslist_t *sl, EVP_PKEY *key,
				    const vci_sl_sign_opts_t *o, vci_err_t *err);

/* A status list token read back: JWT, CWT or W3C credential JWT. */
typedef enum vci_sl_token_kind {
	VCI_SL_TOKEN_JWT = 1,
	VCI_SL_TOKEN_CWT,
	VCI_SL_TOKEN_BITSTRING,
} vci_sl_token_kind_t;

typedef struct vci_sl_token {
	vci_sl_token_kind_t kind;
	char *sub;              /* JWT/CWT sub; W3C credential id */
	char *kid;              /* header kid if any */
	json_t *x5c;            /* JWT x5c header / CWT x5chain as an x5c array, or NULL */
	int64_t iat, exp, ttl;  /* 0 if absent (W3C ttl in seconds) */
	unsigned bits;
	char *purpose;          /* W3C statusPurpose */
	uint8_t *lst;           /* inflated statuses (W3C: converted to TSL packing) */
	size_t lst_len;
	void *priv;             /* parsed signature container */
} vci_sl_token_t;

/* Parse a token: a compact JWT (surrounding whitespace allowed), a binary
 * CWT, or a CWT in hex. Nothing is verified yet; the list is inflated (up
 * to `max_inflate` bytes, 0 = VCI_SL_MAX_INFLATE). */
int vci_statuslist_token_parse(const uint8_t *buf, size_t len, size_t max_inflate,
			       vci_sl_token_t *tok, vci_err_t *err);
/* Verify the signature with key under an allow-list of JOSE alg names
 * (NULL = all asymmetric ones); then, if `now` > 0, that exp is after now
 * and, if uri is not NULL, that sub equals it. */
int vci_statuslist_token_verify(const vci_sl_token_t *tok, EVP_PKEY *key,
				const char *const *allowed, int64_t now, const char *uri,
				vci_err_t *err);
/* The status of idx; out of range is an error (no statement). */
int vci_statuslist_token_status(const vci_sl_token_t *tok, uint64_t idx, unsigned *value,
				vci_err_t *err);
void vci_statuslist_token_free(vci_sl_token_t *tok);

#endif
