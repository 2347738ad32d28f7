/* statuslist.c - Token Status List and W3C Bitstring Status List: the list
 * in memory, its file, allocation, compression and the signed tokens. */
#include "statuslist.h"
#include "base/b64url.h"
#include "base/file.h"
#include "crypto/cose.h"
#include "crypto/jws.h"
#include "crypto/keys.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>
#include <openssl/rand.h>

#define FILE_MAGIC "vci-statuslist 1\n"
#define HEADER_MAX 8192

static int bits_ok(unsigned bits)
{
	return bits == 1 || bits == 2 || bits == 4 || bits == 8;
}

static int purpose_ok(const char *p)
{
	return p && (!strcmp(p, "revocation") || !strcmp(p, "suspension"));
}

void vci_statuslist_free(vci_statuslist_t *sl)
{
	if (!sl)
		return;
	free(sl->uri);
	free(sl->purpose);
	free(sl->lst);
	free(sl->alloc_map);
	free(sl);
}

/* Allocate the structure and its arrays (zeroed). */
static vci_statuslist_t *sl_alloc(vci_sl_method_t method, unsigned bits, uint64_t size,
				  const char *uri, const char *purpose, vci_err_t *err)
{
	vci_statuslist_t *sl;

	if (!bits_ok(bits)) {
		vci_err_set(err, VCI_EXIT_INPUT, "invalid_list", "bits must be 1, 2, 4 or 8, not %u", bits);
		return NULL;
	}
	if (size < 1 || size > VCI_SL_MAX_ENTRIES) {
		vci_err_set(err, VCI_EXIT_INPUT, "invalid_list", "size must be 1 to %u entries", VCI_SL_MAX_ENTRIES);
		return NULL;
	}
	if (!uri || !*uri) {
		vci_err_set(err, VCI_EXIT_INPUT, "invalid_list", "the list needs a uri");
		return NULL;
	}
	if (method == VCI_SL_BITSTRING) {
		if (bits != 1) {
			vci_err_set(err, VCI_EXIT_INPUT, "invalid_list", "a bitstring list has 1 bit per entry");
			return NULL;
		}
		if (size < VCI_SL_BITSTRING_MIN) {
			vci_err_set(err, VCI_EXIT_INPUT, "invalid_list",
				    "a bitstring list needs at least %u entries, not %llu",
				    VCI_SL_BITSTRING_MIN, (unsigned long long)size);
			return NULL;
		}
		if (!purpose_ok(purpose)) {
			vci_err_set(err, VCI_EXIT_INPUT, "invalid_list",
				    "a bitstring list needs purpose revocation or suspension");
			return NULL;
		}
	} else if (method != VCI_SL_TSL || purpose) {
		vci_err_set(err, VCI_EXIT_INPUT, "invalid_list", "a token status list has no purpose");
		return NULL;
	}
	sl = calloc(1, sizeof *sl);
	if (!sl)
		goto oom;
	sl->method = method;
	sl->bits = bits;
	sl->size = size;
	sl->lst_len = (size_t)((size * bits + 7) / 8);
	sl->map_len = (size_t)((size + 7) / 8);
	sl->uri = strdup(uri);
	sl->purpose = purpose ? strdup(purpose) : NULL;
	sl->lst = calloc(1, sl->lst_len);
	sl->alloc_map = calloc(1, sl->map_len);
	if (!sl->uri || (purpose && !sl->purpose) || !sl->lst || !sl->alloc_map)
		goto oom;
	return sl;
oom:
	vci_statuslist_free(sl);
	vci_err_oom(err);
	return NULL;
}

vci_statuslist_t *vci_statuslist_new(vci_sl_method_t method, unsigned bits, uint64_t size,
				     const char *uri, const char *purpose, vci_err_t *err)
{
	return sl_alloc(method, bits, size, uri, purpose, err);
}

unsigned vci_statuslist_value(const uint8_t *lst, unsigned bits, uint64_t idx)
{
	uint64_t bit = idx * bits;

	return (lst[bit / 8] >> (bit % 8)) & ((1u << bits) - 1);
}

void vci_statuslist_put(uint8_t *lst, unsigned bits, uint64_t idx, unsigned value)
{
	uint64_t bit = idx * bits;
	unsigned mask = ((1u << bits) - 1) << (bit % 8);

	lst[bit / 8] = (uint8_t)((lst[bit / 8] & ~mask) | ((value << (bit % 8)) & mask));
}

int vci_statuslist_get(const vci_statuslist_t *sl, uint64_t idx, unsigned *value, vci_err_t *err)
{
	if (idx >= sl->size)
		return vci_err_set(err, VCI_EXIT_INPUT, "index_out_of_range",
				   "index %llu is out of range (the list has %llu entries)",
				   (unsigned long long)idx, (unsigned long long)sl->size);
	*value = vci_statuslist_value(sl->lst, sl->bits, idx);
	return 0;
}

/* Whether value 1 is final on this list (revocation). */
static int one_is_final(const vci_statuslist_t *sl)
{
	return sl->method == VCI_SL_TSL || !strcmp(sl->purpose, "revocation");
}

int vci_statuslist_set(vci_statuslist_t *sl, uint64_t idx, unsigned value, int force,
		       vci_err_t *err)
{
	unsigned cur;

	if (vci_statuslist_get(sl, idx, &cur, err) < 0)
		return -1;
	if (value >= (1u << sl->bits))
		return vci_err_set(err, VCI_EXIT_INPUT, "invalid_status",
				   "status 0x%02x does not fit in %u bit%s", value, sl->bits,
				   sl->bits > 1 ? "s" : "");
	if (cur == VCI_SL_INVALID && value != cur && one_is_final(sl) && !force)
		return vci_err_set(err, VCI_EXIT_FAIL, "status_final",
				   "index %llu is revoked (invalid), which is final",
				   (unsigned long long)idx);
	vci_statuslist_put(sl->lst, sl->bits, idx, value);
	return 0;
}

int vci_statuslist_status_parse(const vci_statuslist_t *sl, const char *word, unsigned *value,
				vci_err_t *err)
{
	unsigned long v;
	char *end;

	if (!word || !*word)
		return vci_err_set(err, VCI_EXIT_INPUT, "invalid_status", "empty status");
	if (!strcasecmp(word, "valid") || !strcasecmp(word, "operational")) {
		v = VCI_SL_VALID;
	} else if (!strcasecmp(word, "invalid") || !strcasecmp(word, "revoked")) {
		if (sl->method == VCI_SL_BITSTRING && strcmp(sl->purpose, "revocation"))
			return vci_err_set(err, VCI_EXIT_INPUT, "invalid_status",
					   "%s: this list's purpose is %s", word, sl->purpose);
		v = VCI_SL_INVALID;
	} else if (!strcasecmp(word, "suspended")) {
		if (sl->method == VCI_SL_BITSTRING) {
			if (strcmp(sl->purpose, "suspension"))
				return vci_err_set(err, VCI_EXIT_INPUT, "invalid_status",
						   "%s: this list's purpose is %s", word, sl->purpose);
			v = 1;
		} else {
			v = VCI_SL_SUSPENDED;
		}
	} else {
		errno = 0;
		if (word[0] == '0' && (word[1] == 'x' || word[1] == 'X'))
			v = word[2] ? strtoul(word + 2, &end, 16) : ULONG_MAX;
		else if (word[0] >= '0' && word[0] <= '9')
			v = strtoul(word, &end, 10);
		else
			return vci_err_set(err, VCI_EXIT_INPUT, "invalid_status",
					   "unknown status '%s' (valid, invalid, suspended or 0xNN)", word);
		if (errno || v == ULONG_MAX || *end || v > 255)
			return vci_err_set(err, VCI_EXIT_INPUT, "invalid_status",
					   "bad status value '%s'", word);
	}
	if (v >= (1u << sl->bits))
		return vci_err_set(err, VCI_EXIT_INPUT, "invalid_status",
				   "status '%s' needs more than the list's %u bit%s", word, sl->bits,
				   sl->bits > 1 ? "s" : "");
	*value = (unsigned)v;
	return 0;
}

const char *vci_statuslist_status_name(vci_sl_method_t method, const char *purpose,
				       unsigned value, char buf[8])
{
	if (value == VCI_SL_VALID)
		return "valid";
	if (method == VCI_SL_BITSTRING && value == 1)
		return purpose && !strcmp(purpose, "suspension") ? "suspended" : "invalid";
	if (value == VCI_SL_INVALID)
		return "invalid";
	if (value == VCI_SL_SUSPENDED)
		return "suspended";
	snprintf(buf, 8, "0x%02x", value & 0xff);
	return buf;
}

/* ---- allocation ---- */

typedef struct rng {
	uint64_t buf[64];
	size_t n;
} rng_t;

static int rng_u64(rng_t *r, uint64_t *out, vci_err_t *err)
{
	if (r->n == 0) {
		if (RAND_bytes((unsigned char *)r->buf, sizeof r->buf) != 1)
			return vci_err_ssl(err, VCI_EXIT_IO, "rand_error", "RAND_bytes failed");
		r->n = sizeof r->buf / sizeof r->buf[0];
	}
	*out = r->buf[--r->n];
	r->buf[r->n] = 0;
	return 0;
}

/* Uniform in [0, n): reject draws below 2^64 mod n. */
static int rng_below(rng_t *r, uint64_t n, uint64_t *out, vci_err_t *err)
{
	uint64_t min = (UINT64_MAX % n + 1) % n, x = 0;

	do {
		if (rng_u64(r, &x, err) < 0)
			return -1;
	} while (x < min);
	*out = x % n;
	return 0;
}

static int map_test(const uint8_t *map, uint64_t i)
{
	return (map[i / 8] >> (i % 8)) & 1;
}

/* The k-th (0-based) index whose map bit is clear. */
static uint64_t map_select_free(const vci_statuslist_t *sl, uint64_t k)
{
	for (size_t b = 0; b < sl->map_len; b++) {
		unsigned valid = (b == sl->map_len - 1 && sl->size % 8) ? (unsigned)(sl->size % 8) : 8;
		unsigned byte = sl->alloc_map[b] | (0xffu << valid);
		unsigned free_n = 8 - (unsigned)__builtin_popcount(byte & 0xff);

		if (k >= free_n) {
			k -= free_n;
			continue;
		}
		for (unsigned i = 0; i < 8; i++)
			if (!((byte >> i) & 1) && k-- == 0)
				return (uint64_t)b * 8 + i;
	}
	return sl->size; /* not reached when k < free count */
}

int vci_statuslist_is_allocated(const vci_statuslist_t *sl, uint64_t idx)
{
	return idx < sl->size && map_test(sl->alloc_map, idx);
}

/* An entry never handed out whose status is not VALID (set with force,
 * or by an older version that did not refuse it) is marked as handed
 * out: a new credential is never born revoked or suspended. */
static void retire_set(vci_statuslist_t *sl)
{
	for (size_t b = 0; b < sl->lst_len; b++) {
		uint64_t first, end;

		if (!sl->lst[b])
			continue;
		first = (uint64_t)b * 8 / sl->bits;
		end = first + 8 / sl->bits;
		for (uint64_t i = first; i < end && i < sl->size; i++)
			if (!map_test(sl->alloc_map, i) && vci_statuslist_value(sl->lst, sl->bits, i)) {
				sl->alloc_map[i / 8] |= (uint8_t)(1u << (i % 8));
				sl->allocated++;
			}
	}
}

int vci_statuslist_alloc(vci_statuslist_t *sl, size_t n, uint64_t *out, vci_err_t *err)
{
	rng_t r = { .n = 0 };
	uint64_t free_n;
	size_t done = 0;

	retire_set(sl);
	free_n = sl->size - sl->allocated;

	if (n > free_n)
		return vci_err_set(err, VCI_EXIT_FAIL, "list_exhausted",
				   "list exhausted: %llu of %llu indices free, %zu needed",
				   (unsigned long long)free_n, (unsigned long long)sl->size, n);
	for (; done < n; done++) {
		uint64_t idx = sl->size;
		int tries;

		/* Rejection sampling over the whole list; when it keeps hitting
		 * used entries (a nearly full list), pick uniformly among the
		 * free ones directly. Both are uniform over the free indices. */
		for (tries = 0; tries < 64; tries++) {
			if (rng_below(&r, sl->size, &idx, err) < 0)
				goto fail;
			if (!map_test(sl->alloc_map, idx))
				break;
		}
		if (tries == 64) {
			uint64_t k;

			if (rng_below(&r, sl->size - sl->allocated, &k, err) < 0)
				goto fail;
			idx = map_select_free(sl, k);
		}
		sl->alloc_map[idx / 8] |= (uint8_t)(1u << (idx % 8));
		sl->allocated++;
		out[done] = idx;
	}
	OPENSSL_cleanse(&r, sizeof r);
	return 0;
fail:
	vci_statuslist_release(sl, out, done);
	OPENSSL_cleanse(&r, sizeof r);
	return -1;
}

void vci_statuslist_release(vci_statuslist_t *sl, const uint64_t *idx, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (idx[i] >= sl->size || !map_test(sl->alloc_map, idx[i]))
			continue;
		sl->alloc_map[idx[i] / 8] &= (uint8_t)~(1u << (idx[i] % 8));
		sl->allocated--;
	}
}

/* ---- list file ---- */

static uint32_t crc_of(const uint8_t *buf, size_t len)
{
	return (uint32_t)crc32_z(crc32_z(0L, Z_NULL, 0), buf, len);
}

int vci_statuslist_serialize(const vci_statuslist_t *sl, uint8_t **out, size_t *len,
			     vci_err_t *err)
{
	json_auto_t *hdr = json_pack("{s:s,s:i,s:I,s:I,s:s}",
				     "method", sl->method == VCI_SL_BITSTRING ? "bitstring" : "tsl",
				     "bits", (int)sl->bits, "size", (json_int_t)sl->size,
				     "allocated", (json_int_t)sl->allocated, "uri", sl->uri);
	char_auto_t *text = NULL;
	size_t hl, ml = sizeof FILE_MAGIC - 1, total, off = 0;
	uint8_t *buf;
	uint32_t crc;

	if (hdr && sl->purpose)
		json_object_set_new(hdr, "purpose", json_string(sl->purpose));
	text = hdr ? vci_json_dumps(hdr, JSON_COMPACT) : NULL;
	if (!text)
		return vci_err_oom(err);
	hl = strlen(text);
	if (hl + ml + 1 > HEADER_MAX)
		return vci_err_set(err, VCI_EXIT_INPUT, "invalid_list", "uri too long");
	total = ml + hl + 1 + sl->lst_len + sl->map_len + 4;
	buf = malloc(total);
	if (!buf)
		return vci_err_oom(err);
	memcpy(buf, FILE_MAGIC, ml);
	off = ml;
	memcpy(buf + off, text, hl);
	off += hl;
	buf[off++] = '\n';
	memcpy(buf + off, sl->lst, sl->lst_len);
	off += sl->lst_len;
	memcpy(buf + off, sl->alloc_map, sl->map_len);
	off += sl->map_len;
	crc = crc_of(buf, off);
	buf[off++] = (uint8_t)(crc >> 24);
	buf[off++] = (uint8_t)(crc >> 16);
	buf[off++] = (uint8_t)(crc >> 8);
	buf[off++] = (uint8_t)crc;
	*out = buf;
	*len = off;
	return 0;
}

static int hdr_uint(const json_t *hdr, const char *name, uint64_t max, uint64_t *out,
		    const char *what, vci_err_t *err)
{
	const json_t *v = json_object_get(hdr, name);

	if (!json_is_integer(v) || json_integer_value(v) < 0 ||
	    (uint64_t)json_integer_value(v) > max)
		return vci_err_set(err, VCI_EXIT_INPUT, "invalid_list",
				   "%s: header \"%s\" missing or out of range", what, name);
	*out = (uint64_t)json_integer_value(v);
	return 0;
}

vci_statuslist_t *vci_statuslist_parse(const uint8_t *buf, size_t len, const char *name,
				       vci_err_t *err)
{
	const char *what = name ? name : "status list";
	size_t ml = sizeof FILE_MAGIC - 1, hend, off, pop = 0;
	json_auto_t *hdr = NULL;
	const char *method, *uri, *purpose = NULL, *key;
	uint64_t bits, size, allocated;
	vci_statuslist_t *sl;
	json_t *v;
	uint32_t crc;

	if (len < ml || memcmp(buf, FILE_MAGIC, ml)) {
		vci_err_set(err, VCI_EXIT_INPUT, "invalid_list", "%s: not a vci-statuslist file", what);
		return NULL;
	}
	for (hend = ml; hend < len && hend < HEADER_MAX && buf[hend] != '\n'; hend++)
		;
	if (hend >= len || buf[hend] != '\n') {
		vci_err_set(err, VCI_EXIT_INPUT, "invalid_list", "%s: header line missing or too long", what);
		return NULL;
	}
	hdr = vci_json_parse((const char *)buf + ml, hend - ml, what, err);
	if (!hdr)
		return NULL;
	if (!json_is_object(hdr)) {
		vci_err_set(err, VCI_EXIT_INPUT, "invalid_list", "%s: header is not an object", what);
		return NULL;
	}
	json_object_foreach(hdr, key, v) {
		if (strcmp(key, "method") && strcmp(key, "bits") && strcmp(key, "size") &&
		    strcmp(key, "allocated") && strcmp(key, "uri") && strcmp(key, "purpose")) {
			vci_err_set(err, VCI_EXIT_INPUT, "invalid_list", "%s: unknown header \"%s\"", what, key);
			return NULL;
		}
	}
	method = json_string_value(json_object_get(hdr, "method"));
	uri = json_string_value(json_object_get(hdr, "uri"));
	if (json_object_get(hdr, "purpose")) {
		purpose = json_string_value(json_object_get(hdr, "purpose"));
		if (!purpose) {
			vci_err_set(err, VCI_EXIT_INPUT, "invalid_list", "%s: bad header \"purpose\"", what);
			return NULL;
		}
	}
	if (!method || (strcmp(method, "tsl") && strcmp(method, "bitstring")) || !uri) {
		vci_err_set(err, VCI_EXIT_INPUT, "invalid_list", "%s: bad header \"method\" or \"uri\"", what);
		return NULL;
	}
	if (hdr_uint(hdr, "bits", 8, &bits, what, err) < 0 ||
	    hdr_uint(hdr, "size", VCI_SL_MAX_ENTRIES, &size, what, err) < 0 ||
	    hdr_uint(hdr, "allocated", size, &allocated, what, err) < 0)
		return NULL;
	sl = sl_alloc(strcmp(method, "tsl") ? VCI_SL_BITSTRING : VCI_SL_TSL, (unsigned)bits, size,
		      uri, purpose, err);
	if (!sl) {
		vci_err_prefix(err, "%s", what);
		return NULL;
	}
	off = hend + 1;
	if (len - off != sl->lst_len + sl->map_len + 4) {
		vci_err_set(err, VCI_EXIT_INPUT, "invalid_list", "%s: truncated or wrong size (%zu bytes of data, %zu expected)",
			    what, len - off, sl->lst_len + sl->map_len + 4);
		goto fail;
	}
	crc = (uint32_t)buf[len - 4] << 24 | (uint32_t)buf[len - 3] << 16 |
	      (uint32_t)buf[len - 2] << 8 | buf[len - 1];
	if (crc != crc_of(buf, len - 4)) {
		vci_err_set(err, VCI_EXIT_INPUT, "invalid_list", "%s: checksum mismatch (corrupt file)", what);
		goto fail;
	}
	memcpy(sl->lst, buf + off, sl->lst_len);
	memcpy(sl->alloc_map, buf + off + sl->lst_len, sl->map_len);
	for (size_t i = 0; i < sl->map_len; i++)
		pop += (size_t)__builtin_popcount(sl->alloc_map[i]);
	if ((size * bits) % 8 && (sl->lst[sl->lst_len - 1] >> ((size * bits) % 8))) {
		vci_err_set(err, VCI_EXIT_INPUT, "invalid_list", "%s: bits set past the last entry", what);
		goto fail;
	}
	if ((size % 8 && (sl->alloc_map[sl->map_len - 1] >> (size % 8))) || pop != allocated) {
		vci_err_set(err, VCI_EXIT_INPUT, "invalid_list", "%s: allocation map does not match its count", what);
		goto fail;
	}
	sl->allocated = allocated;
	return sl;
fail:
	vci_statuslist_free(sl);
	return NULL;
}

int vci_statuslist_lock(const char *path, int exclusive, vci_sl_lock_t *lk, vci_err_t *err)
{
	for (int tries = 0; tries < 1000; tries++) {
		struct stat a, b;
		int fd = open(path, O_RDONLY | O_CLOEXEC);

		if (fd < 0)
			return vci_err_set(err, VCI_EXIT_INPUT, "io_error", "%s: %s", path, strerror(errno));
		while (flock(fd, exclusive ? LOCK_EX : LOCK_SH) < 0) {
			if (errno != EINTR) {
				int e = errno;

				close(fd);
				return vci_err_set(err, VCI_EXIT_IO, "io_error", "%s: lock: %s", path, strerror(e));
			}
		}
		/* The list may have been replaced while we waited: lock the new one. */
		if (fstat(fd, &a) == 0 && stat(path, &b) == 0 && a.st_ino == b.st_ino &&
		    a.st_dev == b.st_dev) {
			lk->fd = fd;
			return 0;
		}
		close(fd);
	}
	return vci_err_set(err, VCI_EXIT_IO, "io_error", "%s: could not lock (file keeps changing)", path);
}

void vci_statuslist_unlock(vci_sl_lock_t *lk)
{
	if (lk->fd >= 0)
		close(lk->fd); /* releases the flock */
	lk->fd = -1;
}

vci_statuslist_t *vci_statuslist_load_locked(const vci_sl_lock_t *lk, const char *path,
					     vci_err_t *err)
{
	struct stat st;
	uint8_auto_t *buf = NULL;
	size_t got = 0, max = HEADER_MAX + (size_t)VCI_SL_MAX_ENTRIES + VCI_SL_MAX_ENTRIES / 8 + 4;

	if (fstat(lk->fd, &st) < 0) {
		vci_err_set(err, VCI_EXIT_INPUT, "io_error", "%s: %s", path, strerror(errno));
		return NULL;
	}
	if (st.st_size < 0 || (uint64_t)st.st_size > max) {
		vci_err_set(err, VCI_EXIT_INPUT, "invalid_list", "%s: not a vci-statuslist file (too large)", path);
		return NULL;
	}
	buf = malloc((size_t)st.st_size + 1);
	if (!buf) {
		vci_err_oom(err);
		return NULL;
	}
	while (got < (size_t)st.st_size) {
		ssize_t n = pread(lk->fd, buf + got, (size_t)st.st_size - got, (off_t)got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			vci_err_set(err, VCI_EXIT_INPUT, "io_error", "%s: %s", path,
				    n < 0 ? strerror(errno) : "file shrank while reading");
			return NULL;
		}
		got += (size_t)n;
	}
	return vci_statuslist_parse(buf, got, path, err);
}

vci_statuslist_t *vci_statuslist_load(const char *path, vci_err_t *err)
{
	vci_sl_lock_t lk = { -1 };
	vci_statuslist_t *sl;

	if (vci_statuslist_lock(path, 0, &lk, err) < 0)
		return NULL;
	sl = vci_statuslist_load_locked(&lk, path, err);
	vci_statuslist_unlock(&lk);
	return sl;
}

/* Write sl to path through the one atomic writer (base/file.h). */
static int write_list(const char *path, const vci_statuslist_t *sl, int mode, unsigned flags,
		      vci_err_t *err)
{
	uint8_auto_t *buf = NULL;
	size_t len;

	if (vci_statuslist_serialize(sl, &buf, &len, err) < 0)
		return -1;
	return vci_file_replace(path, buf, len, mode, flags, err);
}

/* Remove temporaries left beside path by a writer that was killed. Only
 * called under the exclusive lock, when no other writer can be at work. */
static void remove_stale(const char *path)
{
	char_auto_t *dir = strdup(path);
	const char *base;
	char *slash;
	size_t bl;
	DIR *d;
	struct dirent *e;

	if (!dir)
		return;
	slash = strrchr(dir, '/');
	if (slash) {
		*slash = '\0';
		base = path + (slash - dir) + 1;
	} else {
		base = path;
	}
	bl = strlen(base);
	d = opendir(slash ? (*dir ? dir : "/") : ".");
	if (!d)
		return;
	while ((e = readdir(d))) {
		if (strncmp(e->d_name, base, bl) || strncmp(e->d_name + bl, ".tmp.", 5) ||
		    strlen(e->d_name + bl + 5) != 6)
			continue;
		unlinkat(dirfd(d), e->d_name, 0);
	}
	closedir(d);
}

int vci_statuslist_save(const char *path, const vci_statuslist_t *sl, vci_err_t *err)
{
	remove_stale(path);
	return write_list(path, sl, VCI_FILE_MODE_KEEP, 0, err);
}

int vci_statuslist_alloc_file(const char *path, size_t max, uint64_t *out, size_t *got,
			      vci_err_t *err)
{
	vci_sl_lock_t lk = { -1 };
	statuslist_auto_t *sl = NULL;
	size_t n;
	int rc = -1;

	if (vci_statuslist_lock(path, 1, &lk, err) < 0)
		return -1;
	sl = vci_statuslist_load_locked(&lk, path, err);
	if (!sl)
		goto out;
	/* at most a sixteenth of what is free, so that concurrent
	 * reservations cannot starve each other */
	retire_set(sl);
	n = (size_t)((sl->size - sl->allocated) / 16);
	if (n < 1)
		n = sl->size > sl->allocated ? 1 : 0;
	if (n > max)
		n = max;
	if (vci_statuslist_alloc(sl, n ? n : 1, out, err) < 0) {
		vci_err_prefix(err, "%s", path);
		goto out;
	}
	if (vci_statuslist_save(path, sl, err) < 0)
		goto out;
	*got = n;
	rc = 0;
out:
	vci_statuslist_unlock(&lk);
	return rc;
}

int vci_statuslist_release_file(const char *path, const uint64_t *idx, size_t n, vci_err_t *err)
{
	vci_sl_lock_t lk = { -1 };
	statuslist_auto_t *sl = NULL;
	int rc = -1;

	if (n == 0)
		return 0;
	if (vci_statuslist_lock(path, 1, &lk, err) < 0)
		return -1;
	sl = vci_statuslist_load_locked(&lk, path, err);
	if (sl) {
		vci_statuslist_release(sl, idx, n);
		rc = vci_statuslist_save(path, sl, err);
	}
	vci_statuslist_unlock(&lk);
	return rc;
}

int vci_statuslist_create(const char *path, const vci_statuslist_t *sl, int replace,
			  vci_err_t *err)
{
	vci_sl_lock_t lk = { -1 };
	int r;
	struct stat st;

	/* Replacing a list: under its exclusive lock, so that no writer in
	 * the middle of a read-modify-write saves over the new list (or a
	 * reader sees the old list after the new one was written). Only a
	 * regular file is a list to lock: a FIFO or device named as the
	 * output is written into as it is (opening a FIFO to lock it would
	 * wait for a writer). */
	if (replace && stat(path, &st) == 0 && S_ISREG(st.st_mode) &&
	    vci_statuslist_lock(path, 1, &lk, err) < 0)
		return -1;
	if (replace && lk.fd >= 0)
		remove_stale(path);
	r = write_list(path, sl, VCI_FILE_MODE_NEW, replace ? 0 : VCI_FILE_NOCLOBBER, err);
	vci_statuslist_unlock(&lk);
	if (r == 1)
		return vci_err_set(err, VCI_EXIT_IO, "list_exists",
				   "%s: already exists (a new list would hand out its indices again)", path);
	return r;
}

/* ---- compression ---- */

int vci_statuslist_deflate(const uint8_t *raw, size_t len, int gzip, uint8_t **out,
			   size_t *outlen, vci_err_t *err)
{
	z_stream zs;
	uint8_t *buf;
	uLong bound;
	int r;

	memset(&zs, 0, sizeof zs);
	if (deflateInit2(&zs, 9, Z_DEFLATED, gzip ? 31 : 15, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		return vci_err_set(err, VCI_EXIT_IO, "io_error", "deflate: init failed");
	bound = deflateBound(&zs, (uLong)len) + 32;
	buf = malloc(bound);
	if (!buf) {
		deflateEnd(&zs);
		return vci_err_oom(err);
	}
	zs.next_in = (Bytef *)(uintptr_t)raw;
	zs.avail_in = (uInt)len;
	zs.next_out = buf;
	zs.avail_out = (uInt)bound;
	r = deflate(&zs, Z_FINISH);
	*outlen = zs.total_out;
	deflateEnd(&zs);
	if (r != Z_STREAM_END) {
		free(buf);
		return vci_err_set(err, VCI_EXIT_IO, "io_error", "deflate failed (%d)", r);
	}
	*out = buf;
	return 0;
}

int vci_statuslist_inflate(const uint8_t *z, size_t zlen, int gzip, size_t max,
			   uint8_t **out, size_t *outlen, vci_err_t *err)
{
	const char *kind = gzip ? "gzip" : "zlib";
	z_stream zs;
	uint8_t *buf = NULL;
	size_t cap = 0;
	int r = Z_OK;

	if (zlen > UINT_MAX)
		return vci_err_set(err, VCI_EXIT_INPUT, "invalid_list", "compressed list too large");
	memset(&zs, 0, sizeof zs);
	/* 15: zlib container only; 31: gzip only. Raw deflate is refused. */
	if (inflateInit2(&zs, gzip ? 31 : 15) != Z_OK)
		return vci_err_set(err, VCI_EXIT_IO, "io_error", "inflate: init failed");
	zs.next_in = (Bytef *)(uintptr_t)z;
	zs.avail_in = (uInt)zlen;
	while (r != Z_STREAM_END) {
		if (zs.total_out == cap) {
			size_t ncap = cap ? cap * 2 : 4096;
			uint8_t *nb;

			if (cap >= max + 1) {
				free(buf);
				inflateEnd(&zs);
				return vci_err_set(err, VCI_EXIT_INPUT, "invalid_list",
						   "status list inflates to more than %zu bytes", max);
			}
			if (ncap > max + 1)
				ncap = max + 1;
			nb = realloc(buf, ncap ? ncap : 1);
			if (!nb) {
				free(buf);
				inflateEnd(&zs);
				return vci_err_oom(err);
			}
			buf = nb;
			cap = ncap;
			zs.next_out = buf + zs.total_out;
			zs.avail_out = (uInt)(cap - zs.total_out);
		}
		r = inflate(&zs, Z_NO_FLUSH);
		if (r != Z_OK && r != Z_STREAM_END) {
			free(buf);
			inflateEnd(&zs);
			return vci_err_set(err, VCI_EXIT_INPUT, "invalid_list",
					   "status list is not a valid %s stream", kind);
		}
		if (r == Z_OK && zs.avail_in == 0 && zs.avail_out != 0) {
			free(buf);
			inflateEnd(&zs);
			return vci_err_set(err, VCI_EXIT_INPUT, "invalid_list",
					   "status list %s stream is truncated", kind);
		}
	}
	if (zs.avail_in != 0 || zs.total_out > max) {
		free(buf);
		inflateEnd(&zs);
		return vci_err_set(err, VCI_EXIT_INPUT, "invalid_list", "%s after the %s stream",
				   zs.avail_in ? "trailing data" : "too much data", kind);
	}
	*outlen = zs.total_out;
	inflateEnd(&zs);
	*out = buf;
	return 0;
}

json_t *vci_statuslist_to_json(const vci_statuslist_t *sl, vci_err_t *err)
{
	uint8_auto_t *z = NULL;
	char_auto_t *lst = NULL;
	size_t zlen;

	if (vci_statuslist_deflate(sl->lst, sl->lst_len, 0, &z, &zlen, err) < 0)
		return NULL;
	lst = vci_b64url_encode(z, zlen);
	if (!lst) {
		vci_err_oom(err);
		return NULL;
	}
	return json_pack("{s:i,s:s}", "bits", (int)sl->bits, "lst", lst);
}

static uint8_t rev8(uint8_t b)
{
	b = (uint8_t)((b & 0xf0) >> 4 | (b & 0x0f) << 4);
	b = (uint8_t)((b & 0xcc) >> 2 | (b & 0x33) << 2);
	return (uint8_t)((b & 0xaa) >> 1 | (b & 0x55) << 1);
}

char *vci_statuslist_encoded_list(const vci_statuslist_t *sl, vci_err_t *err)
{
	uint8_auto_t *msb = malloc(sl->lst_len ? sl->lst_len : 1);
	uint8_auto_t *z = NULL;
	char_auto_t *b = NULL;
	char *s;
	size_t zlen;

	if (!msb) {
		vci_err_oom(err);
		return NULL;
	}
	/* W3C: index 0 is the most significant bit of byte 0. */
	for (size_t i = 0; i < sl->lst_len; i++)
		msb[i] = rev8(sl->lst[i]);
	if (vci_statuslist_deflate(msb, sl->lst_len, 1, &z, &zlen, err) < 0)
		return NULL;
	b = vci_b64url_encode(z, zlen);
	if (!b || asprintf(&s, "u%s", b) < 0) {
		vci_err_oom(err);
		return NULL;
	}
	return s;
}

/* ---- signing ---- */

char *vci_statuslist_sign_jwt(const vci_statuslist_t *sl, EVP_PKEY *key,
			      const vci_sl_sign_opts_t *o, vci_err_t *err)
{
	json_auto_t *hdr = json_pack("{s:s}", "typ", "statuslist+jwt");
	json_auto_t *claims = json_object();
	json_t *list;

	if (sl->method != VCI_SL_TSL) {
		vci_err_set(err, VCI_EXIT_USAGE, "usage", "a bitstring list is signed as a credential");
		return NULL;
	}
	if (!hdr || !claims)
		goto oom;
	if (o->kid && json_object_set_new(hdr, "kid", json_string(o->kid)) < 0)
		goto oom;
	if (o->x5c && json_object_set(hdr, "x5c", (json_t *)o->x5c) < 0)
		goto oom;
	if (json_object_set_new(claims, "sub", json_string(sl->uri)) < 0 ||
	    (o->iss && json_object_set_new(claims, "iss", json_string(o->iss)) < 0) ||
	    json_object_set_new(claims, "iat", json_integer(o->iat)) < 0 ||
	    (o->exp && json_object_set_new(claims, "exp", json_integer(o->exp)) < 0) ||
	    (o->ttl && json_object_set_new(claims, "ttl", json_integer(o->ttl)) < 0))
		goto oom;
	list = vci_statuslist_to_json(sl, err);
	if (!list)
		return NULL;
	if (json_object_set_new(claims, "status_list", list) < 0)
		goto oom;
	return vci_jws_sign_json(key, o->alg, hdr, claims, err);
oom:
	vci_err_oom(err);
	return NULL;
}

/* x5c (JSON array of base64 DER) -> COSE x5chain: one bstr or an array. */
static cbor_item_t *x5chain_from_x5c(const json_t *x5c, vci_err_t *err)
{
	size_t n = json_array_size(x5c), i;
	cbor_item_t *arr = n > 1 ? cbor_new_definite_array(n) : NULL;
	const json_t *c;

	if (n == 0 || (n > 1 && !arr)) {
		vci_err_set(err, VCI_EXIT_KEY, "invalid_certificate", "empty certificate chain");
		return NULL;
	}
	json_array_foreach(x5c, i, c) {
		uint8_auto_t *der = NULL;
		size_t dl;
		cbor_item_t *b;

		if (vci_b64_decode(json_string_value(c), strlen(json_string_value(c)), &der, &dl, err) < 0)
			goto fail;
		b = cbor_build_bytestring(der, dl);
		if (!b)
			goto fail;
		if (n == 1)
			return b;
		if (!cbor_array_push(arr, b)) {
			cbor_decref(&b);
			goto fail;
		}
		cbor_decref(&b);
	}
	return arr;
fail:
	if (arr)
		cbor_decref(&arr);
	if (!err || !err->msg[0])
		vci_err_oom(err);
	return NULL;
}

int vci_statuslist_sign_cwt(const vci_statuslist_t *sl, EVP_PKEY *key,
			    const vci_sl_sign_opts_t *o, uint8_t **out, size_t *outlen,
			    vci_err_t *err)
{
	cbor_auto_t *prot = cbor_new_definite_map(1);
	cbor_auto_t *unprot = cbor_new_definite_map(2);
	cbor_auto_t *claims = cbor_new_definite_map(6);
	cbor_auto_t *list = cbor_new_definite_map(2);
	uint8_auto_t *z = NULL;
	uint8_auto_t *payload = NULL;
	size_t zlen, plen;

	if (sl->method != VCI_SL_TSL)
		return vci_err_set(err, VCI_EXIT_USAGE, "usage", "a bitstring list is signed as a credential");
	if (!prot || !unprot || !claims || !list)
		goto oom;
	if (vci_statuslist_deflate(sl->lst, sl->lst_len, 0, &z, &zlen, err) < 0)
		return -1;
	if (vci_cbor_map_add_int(prot, VCI_COSE_TYP, cbor_build_string("application/statuslist+cwt")) < 0)
		goto oom;
	if (o->kid && vci_cbor_map_add_int(unprot, VCI_COSE_KID,
					   cbor_build_bytestring((const uint8_t *)o->kid, strlen(o->kid))) < 0)
		goto oom;
	if (o->x5c) {
		cbor_item_t *chain = x5chain_from_x5c(o->x5c, err);

		if (!chain)
			return -1;
		if (vci_cbor_map_add_int(unprot, VCI_COSE_X5CHAIN, chain) < 0)
			goto oom;
	}
	if (vci_cbor_map_add_str(list, "bits", cbor_build_uint8((uint8_t)sl->bits)) < 0 ||
	    vci_cbor_map_add_str(list, "lst", cbor_build_bytestring(z, zlen)) < 0)
		goto oom;
	if (vci_cbor_map_add_int(claims, 2, cbor_build_string(sl->uri)) < 0 ||
	    (o->iss && vci_cbor_map_add_int(claims, 1, cbor_build_string(o->iss)) < 0) ||
	    vci_cbor_map_add_int(claims, 6, vci_cbor_int(o->iat)) < 0 ||
	    (o->exp && vci_cbor_map_add_int(claims, 4, vci_cbor_int(o->exp)) < 0) ||
	    (o->ttl && vci_cbor_map_add_int(claims, 65534, vci_cbor_int(o->ttl)) < 0))
		goto oom;
	if (vci_cbor_map_add_int(claims, 65533, cbor_incref(list)) < 0)
		goto oom;
	if (vci_cbor_serialize(claims, &payload, &plen, err) < 0)
		return -1;
	return vci_cose_sign1(key, o->alg, prot, unprot, payload, plen, NULL, 0, 1, out, outlen, err);
oom:
	return vci_err_oom(err);
}

static void iso_time(int64_t t, char buf[32])
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (!gmtime_r(&tt, &tm) || !strftime(buf, 32, "%Y-%m-%dT%H:%M:%SZ", &tm))
		snprintf(buf, 32, "1970-01-01T00:00:00Z");
}

char *vci_statuslist_sign_bitstring(const vci_statuslist_t *sl, EVP_PKEY *key,
				    const vci_sl_sign_opts_t *o, vci_err_t *err)
{
	json_auto_t *hdr = json_pack("{s:s}", "typ", "vc+jwt");
	json_auto_t *vc = NULL;
	char_auto_t *enc = NULL;
	char_auto_t *subject_id = NULL;
	char from[32], until[32];
	json_t *subject;

	if (sl->method != VCI_SL_BITSTRING) {
		vci_err_set(err, VCI_EXIT_USAGE, "usage", "not a bitstring list");
		return NULL;
	}
	if (!o->iss || !*o->iss) {
		vci_err_set(err, VCI_EXIT_USAGE, "usage", "a BitstringStatusListCredential needs an issuer");
		return NULL;
	}
	enc = vci_statuslist_encoded_list(sl, err);
	if (!enc)
		return NULL;
	if (asprintf(&subject_id, "%s#list", sl->uri) < 0) {
		subject_id = NULL;
		goto oom;
	}
	iso_time(o->iat, from);
	subject = json_pack("{s:s,s:s,s:s,s:s}", "id", subject_id, "type", "BitstringStatusList",
			    "statusPurpose", sl->purpose, "encodedList", enc);
	if (subject && o->ttl)
		json_object_set_new(subject, "ttl", json_integer(o->ttl * 1000));
	vc = json_pack("{s:[s],s:s,s:[s,s],s:s,s:s}",
		       "@context", "https://www.w3.org/ns/credentials/v2",
		       "id", sl->uri, "type", "VerifiableCredential", "BitstringStatusListCredential",
		       "issuer", o->iss, "validFrom", from);
	if (!hdr || !vc || !subject) {
		json_decref(subject);
		goto oom;
	}
	if (o->exp) {
		iso_time(o->exp, until);
		json_object_set_new(vc, "validUntil", json_string(until));
	}
	json_object_set_new(vc, "credentialSubject", subject);
	json_object_set_new(vc, "iat", json_integer(o->iat));
	if (o->exp)
		json_object_set_new(vc, "exp", json_integer(o->exp));
	if (o->kid)
		json_object_set_new(hdr, "kid", json_string(o->kid));
	if (o->x5c)
		json_object_set(hdr, "x5c", (json_t *)o->x5c);
	return vci_jws_sign_json(key, o->alg, hdr, vc, err);
oom:
	vci_err_oom(err);
	return NULL;
}

/* ---- reading tokens ---- */

typedef struct tok_priv {
	vci_jws_t jws;
	int have_jws;
	vci_cose_sign1_t cose;
	int have_cose;
	uint8_t *raw; /* CWT bytes (owned; cose points into its decoded items) */
} tok_priv_t;

void vci_statuslist_token_free(vci_sl_token_t *tok)
{
	tok_priv_t *p;

	if (!tok)
		return;
	p = tok->priv;
	if (p) {
		if (p->have_jws)
			vci_jws_free(&p->jws);
		if (p->have_cose)
			vci_cose_sign1_free(&p->cose);
		free(p->raw);
		free(p);
	}
	free(tok->sub);
	free(tok->kid);
	free(tok->purpose);
	free(tok->lst);
	json_decref(tok->x5c);
	memset(tok, 0, sizeof *tok);
}

VCI_PRINTF(2, 3) static int tok_err(vci_err_t *err, const char *fmt, ...)
{
	char msg[sizeof err->msg];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	return vci_err_set(err, VCI_EXIT_INPUT, "invalid_status_list_token", "%s", msg);
}

static int json_int_claim(const json_t *obj, const char *name, int required, int64_t *out,
			  vci_err_t *err)
{
	const json_t *v = json_object_get(obj, name);

	*out = 0;
	if (!v)
		return required ? tok_err(err, "status list token: \"%s\" missing", name) : 0;
	if (!json_is_integer(v) || json_integer_value(v) < 0)
		return tok_err(err, "status list token: \"%s\" is not a non-negative integer", name);
	*out = json_integer_value(v);
	return 0;
}

static int set_list(vci_sl_token_t *tok, unsigned bits, const uint8_t *z, size_t zlen, int gzip,
		    size_t max, vci_err_t *err)
{
	if (!bits_ok(bits))
		return vci_err_set(err, VCI_EXIT_INPUT, "invalid_status_list_token",
				   "status list token: bits must be 1, 2, 4 or 8, not %u", bits);
	tok->bits = bits;
	return vci_statuslist_inflate(z, zlen, gzip, max, &tok->lst, &tok->lst_len, err);
}

static int parse_jwt_tsl(vci_sl_token_t *tok, const json_t *pl, size_t max, vci_err_t *err)
{
	const json_t *list = json_object_get(pl, "status_list"), *bits;
	const char *sub = json_string_value(json_object_get(pl, "sub"));
	const char *lst;
	uint8_auto_t *z = NULL;
	size_t zlen;

	if (!sub)
		return tok_err(err, "status list token: \"%s\" missing or not a string", "sub");
	if (json_int_claim(pl, "iat", 1, &tok->iat, err) < 0 ||
	    json_int_claim(pl, "exp", 0, &tok->exp, err) < 0 ||
	    json_int_claim(pl, "ttl", 0, &tok->ttl, err) < 0)
		return -1;
	if (json_object_get(pl, "ttl") && tok->ttl == 0)
		return tok_err(err, "status list token: \"%s\" must be positive", "ttl");
	bits = json_object_get(list, "bits");
	lst = json_string_value(json_object_get(list, "lst"));
	if (!json_is_object(list) || !json_is_integer(bits) || !lst)
		return tok_err(err, "status list token: \"%s\" must hold bits and lst", "status_list");
	if (json_integer_value(bits) < 0 || json_integer_value(bits) > 8)
		return tok_err(err, "status list token: %s must be 1, 2, 4 or 8", "bits");
	tok->sub = strdup(sub);
	if (!tok->sub)
		return vci_err_oom(err);
	if (vci_b64url_decode(lst, strlen(lst), &z, &zlen, err) < 0)
		return vci_err_prefix(err, "status_list.lst");
	return set_list(tok, (unsigned)json_integer_value(bits), z, zlen, 0, max, err);
}

static int parse_jwt_bitstring(vci_sl_token_t *tok, const json_t *vc, size_t max, vci_err_t *err)
{
	const json_t *types = json_object_get(vc, "type"), *t;
	const json_t *cs = json_object_get(vc, "credentialSubject");
	const char *id = json_string_value(json_object_get(vc, "id"));
	const char *enc = json_string_value(json_object_get(cs, "encodedList"));
	const char *purpose = json_string_value(json_object_get(cs, "statusPurpose"));
	const char *cstype = json_string_value(json_object_get(cs, "type"));
	uint8_auto_t *z = NULL;
	size_t zlen, i;
	int found = 0;
	int64_t ttl_ms = 0;

	json_array_foreach(types, i, t)
		if (json_is_string(t) && !strcmp(json_string_value(t), "BitstringStatusListCredential"))
			found = 1;
	if (!found)
		return tok_err(err, "credential: type has no %s", "BitstringStatusListCredential");
	if (!json_is_object(cs) || !cstype || strcmp(cstype, "BitstringStatusList"))
		return tok_err(err, "credential: credentialSubject.type must be %s", "BitstringStatusList");
	if (!id || !purpose || !enc || enc[0] != 'u')
		return tok_err(err, "credential: %s",
			       "id, statusPurpose and a multibase base64url encodedList are required");
	if (json_int_claim(vc, "iat", 0, &tok->iat, err) < 0 ||
	    json_int_claim(vc, "exp", 0, &tok->exp, err) < 0 ||
	    json_int_claim(cs, "ttl", 0, &ttl_ms, err) < 0)
		return -1;
	tok->ttl = ttl_ms / 1000;
	tok->sub = strdup(id);
	tok->purpose = strdup(purpose);
	if (!tok->sub || !tok->purpose)
		return vci_err_oom(err);
	if (vci_b64url_decode(enc + 1, strlen(enc + 1), &z, &zlen, err) < 0)
		return vci_err_prefix(err, "credentialSubject.encodedList");
	if (set_list(tok, 1, z, zlen, 1, max, err) < 0)
		return -1;
	if (tok->lst_len < VCI_SL_BITSTRING_MIN / 8)
		return vci_err_set(err, VCI_EXIT_INPUT, "STATUS_LIST_LENGTH_ERROR",
				   "credential: the bitstring has %zu entries, fewer than %u",
				   tok->lst_len * 8, VCI_SL_BITSTRING_MIN);
	for (i = 0; i < tok->lst_len; i++)
		tok->lst[i] = rev8(tok->lst[i]);
	return 0;
}

static int parse_jwt(vci_sl_token_t *tok, tok_priv_t *p, const char *s, size_t len, size_t max,
		     vci_err_t *err)
{
	const char *typ;

	if (vci_jws_parse(s, len, &p->jws, err) < 0)
		return -1;
	p->have_jws = 1;
	typ = json_string_value(json_object_get(p->jws.header, "typ"));
	if (json_object_get(p->jws.header, "kid")) {
		const char *kid = json_string_value(json_object_get(p->jws.header, "kid"));

		tok->kid = kid ? strdup(kid) : NULL;
	}
	if (json_is_array(json_object_get(p->jws.header, "x5c")))
		tok->x5c = json_incref(json_object_get(p->jws.header, "x5c"));
	if (!p->jws.payload)
		return tok_err(err, "status list token: %s", "payload is not a JSON object");
	if (typ && vci_jws_typ_is(typ, "statuslist+jwt")) {
		tok->kind = VCI_SL_TOKEN_JWT;
		return parse_jwt_tsl(tok, p->jws.payload, max, err);
	}
	if (typ && vci_jws_typ_is(typ, "vc+jwt")) {
		tok->kind = VCI_SL_TOKEN_BITSTRING;
		return parse_jwt_bitstring(tok, p->jws.payload, max, err);
	}
	return tok_err(err, "status list token: typ must be statuslist+jwt or vc+jwt, not \"%s\"",
		       typ ? typ : "(none)");
}

static int cbor_uint_claim(const cbor_item_t *map, int64_t key, const char *name, int required,
			   int64_t *out, vci_err_t *err)
{
	const cbor_item_t *v = vci_cbor_map_get_int(map, key);

	*out = 0;
	if (!v)
		return required ? tok_err(err, "status list token: claim %s missing", name) : 0;
	if (!cbor_isa_uint(v) || vci_cbor_get_int(v, out) < 0)
		return tok_err(err, "status list token: claim %s is not an unsigned integer", name);
	return 0;
}

static int parse_cwt(vci_sl_token_t *tok, tok_priv_t *p, const uint8_t *buf, size_t len,
		     size_t max, vci_err_t *err)
{
	const cbor_item_t *typ, *kid, *chain, *sub, *list, *bits, *lst;
	cbor_auto_t *claims = NULL;
	int64_t b;

	if (vci_cose_sign1_parse(buf, len, &p->cose, err) < 0)
		return -1;
	p->have_cose = 1;
	tok->kind = VCI_SL_TOKEN_CWT;
	typ = vci_cbor_map_get_int(p->cose.protected_map, VCI_COSE_TYP);
	if (!typ || !cbor_isa_string(typ) || !cbor_string_is_definite(typ) ||
	    cbor_string_length(typ) != strlen("application/statuslist+cwt") ||
	    memcmp(cbor_string_handle(typ), "application/statuslist+cwt", cbor_string_length(typ)))
		return tok_err(err, "status list token: protected typ (16) must be %s",
			       "application/statuslist+cwt");
	kid = vci_cose_header(&p->cose, VCI_COSE_KID);
	if (kid && cbor_isa_bytestring(kid) && cbor_bytestring_is_definite(kid)) {
		tok->kid = strndup((const char *)cbor_bytestring_handle(kid), cbor_bytestring_length(kid));
		if (tok->kid && strlen(tok->kid) != cbor_bytestring_length(kid)) {
			free(tok->kid);
			tok->kid = NULL;
		}
	}
	chain = vci_cose_header(&p->cose, VCI_COSE_X5CHAIN);
	if (chain) {
		size_t n = cbor_isa_array(chain) ? cbor_array_size(chain) : 1;

		tok->x5c = json_array();
		for (size_t i = 0; tok->x5c && i < n; i++) {
			const cbor_item_t *c = cbor_isa_array(chain) ? cbor_array_get(chain, i) : cbor_incref((cbor_item_t *)chain);
			char *b64 = NULL;

			if (c && cbor_isa_bytestring(c) && cbor_bytestring_is_definite(c))
				b64 = vci_b64_encode(cbor_bytestring_handle(c), cbor_bytestring_length(c));
			if (c) {
				cbor_item_t *cc = (cbor_item_t *)c;

				cbor_decref(&cc);
			}
			if (!b64)
				return tok_err(err, "status list token: %s", "bad x5chain (33)");
			json_array_append_new(tok->x5c, json_string(b64));
			free(b64);
		}
	}
	if (!p->cose.payload)
		return tok_err(err, "status list token: %s", "detached payload");
	claims = vci_cbor_load(p->cose.payload, p->cose.payload_len, VCI_CBOR_MAX_DEPTH, err);
	if (!claims)
		return vci_err_prefix(err, "status list token payload");
	if (!cbor_isa_map(claims))
		return tok_err(err, "status list token: %s", "payload is not a map");
	sub = vci_cbor_map_get_int(claims, 2);
	if (!sub || !cbor_isa_string(sub) || !cbor_string_is_definite(sub))
		return tok_err(err, "status list token: claim %s missing or not a text string", "sub (2)");
	tok->sub = strndup((const char *)cbor_string_handle(sub), cbor_string_length(sub));
	if (!tok->sub)
		return vci_err_oom(err);
	if (strlen(tok->sub) != cbor_string_length(sub))
		return tok_err(err, "status list token: claim %s holds a NUL", "sub (2)");
	if (cbor_uint_claim(claims, 6, "iat (6)", 1, &tok->iat, err) < 0 ||
	    cbor_uint_claim(claims, 4, "exp (4)", 0, &tok->exp, err) < 0 ||
	    cbor_uint_claim(claims, 65534, "ttl (65534)", 0, &tok->ttl, err) < 0)
		return -1;
	if (vci_cbor_map_get_int(claims, 65534) && tok->ttl == 0)
		return tok_err(err, "status list token: claim %s must be positive", "ttl (65534)");
	list = vci_cbor_map_get_int(claims, 65533);
	if (!list || !cbor_isa_map(list))
		return tok_err(err, "status list token: claim %s missing or not a map", "status_list (65533)");
	bits = vci_cbor_map_get_str(list, "bits");
	lst = vci_cbor_map_get_str(list, "lst");
	if (!bits || !cbor_isa_uint(bits) || vci_cbor_get_int(bits, &b) < 0 || b > 8 ||
	    !lst || !cbor_isa_bytestring(lst) || !cbor_bytestring_is_definite(lst))
		return tok_err(err, "status list token: %s", "status_list needs bits (uint) and lst (bstr)");
	return set_list(tok, (unsigned)b, cbor_bytestring_handle(lst), cbor_bytestring_length(lst), 0,
			max, err);
}

int vci_statuslist_token_parse(const uint8_t *buf, size_t len, size_t max_inflate,
			       vci_sl_token_t *tok, vci_err_t *err)
{
	tok_priv_t *p;
	size_t a = 0, b = len, i;
	int hex = 1, r;

	memset(tok, 0, sizeof *tok);
	if (!max_inflate)
		max_inflate = VCI_SL_MAX_INFLATE;
	p = calloc(1, sizeof *p);
	if (!p)
		return vci_err_oom(err);
	tok->priv = p;
	while (a < b && strchr(" \t\r\n", buf[a]) && buf[a])
		a++;
	while (b > a && strchr(" \t\r\n", buf[b - 1]) && buf[b - 1])
		b--;
	if (a == b) {
		r = tok_err(err, "status list token: %s", "empty input");
		goto out;
	}
	if (memchr(buf + a, '.', b - a) && buf[a] == 'e') {
		r = parse_jwt(tok, p, (const char *)buf + a, b - a, max_inflate, err);
		goto out;
	}
	for (i = a; i < b && hex; i++)
		hex = vci_hexval(buf[i]) >= 0;
	if (hex && (b - a) % 2 == 0) {
		p->raw = malloc((b - a) / 2 + 1);
		if (!p->raw) {
			r = vci_err_oom(err);
			goto out;
		}
		for (i = 0; i < (b - a) / 2; i++)
			p->raw[i] = (uint8_t)(vci_hexval(buf[a + 2 * i]) << 4 |
					      vci_hexval(buf[a + 2 * i + 1]));
		r = parse_cwt(tok, p, p->raw, (b - a) / 2, max_inflate, err);
	} else {
		r = parse_cwt(tok, p, buf, len, max_inflate, err);
	}
out:
	if (r < 0)
		vci_statuslist_token_free(tok);
	return r < 0 ? -1 : 0;
}

int vci_statuslist_token_verify(const vci_sl_token_t *tok, EVP_PKEY *key,
				const char *const *allowed, int64_t now, const char *uri,
				vci_err_t *err)
{
	const tok_priv_t *p = tok->priv;
	int r;

	if (!p)
		return vci_err_set(err, VCI_EXIT_INPUT, "invalid_status_list_token", "no token");
	if (p->have_jws)
		r = vci_jws_verify(&p->jws, key, allowed, err);
	else
		r = vci_cose_sign1_verify(&p->cose, key, allowed, NULL, 0, NULL, 0, err);
	if (r < 0)
		return vci_err_prefix(err, "status list token");
	if (now > 0 && tok->exp && tok->exp <= now)
		return vci_err_set(err, VCI_EXIT_FAIL, "expired_status_list_token",
				   "status list token expired at %lld", (long long)tok->exp);
	if (uri && strcmp(uri, tok->sub))
		return vci_err_set(err, VCI_EXIT_FAIL, "invalid_status_list_token",
				   "status list token is for \"%s\", not \"%s\"", tok->sub, uri);
	return 0;
}

int vci_statuslist_token_status(const vci_sl_token_t *tok, uint64_t idx, unsigned *value,
				vci_err_t *err)
{
	if (!tok->bits || idx >= (uint64_t)tok->lst_len * 8 / tok->bits)
		return vci_err_set(err, VCI_EXIT_FAIL, "index_out_of_range",
				   "index %llu is beyond the list (%zu entries): no statement",
				   (unsigned long long)idx, tok->bits ? tok->lst_len * 8 / tok->bits : 0);
	*value = vci_statuslist_value(tok->lst, tok->bits, idx);
	return 0;
}
