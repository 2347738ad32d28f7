/* common.h - what every libvci module shares: errors, exit statuses and
 * cleanup-attribute types so that a function may return from anywhere
 * without leaking. */
#ifndef VCI_COMMON_H
#define VCI_COMMON_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

/* Exit statuses: one table, documented in vci(7), the same in every tool. */
enum {
	VCI_EXIT_OK = 0,      /* all good */
	VCI_EXIT_FAIL = 1,    /* some records failed validation or verification */
	VCI_EXIT_USAGE = 2,   /* bad command line */
	VCI_EXIT_INPUT = 3,   /* unreadable or malformed input */
	VCI_EXIT_KEY = 4,     /* key or certificate problem */
	VCI_EXIT_IO = 5,      /* I/O or network */
};

/* An error as library functions report it: they never print or exit.
 * `status` is the VCI_EXIT_* class, `code` a machine-readable code put in
 * error records (an OID4VCI error code where one exists, e.g.
 * "invalid_proof", otherwise ours, e.g. "invalid_csv"), `msg` the
 * human "what: why" text without the program name. */
typedef struct vci_err {
	int status;
	char code[48];
	char msg[512];
} vci_err_t;

#if defined(__GNUC__)
#define VCI_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define VCI_PRINTF(a, b)
#endif

/* Fill *err (if non-NULL). Returns -1 so that `return vci_err_set(...)`
 * reads naturally. */
int vci_err_set(vci_err_t *err, int status, const char *code,
		const char *fmt, ...) VCI_PRINTF(4, 5);
/* Prefix the message already in err with "what: ", keeping status/code. */
int vci_err_prefix(vci_err_t *err, const char *fmt, ...) VCI_PRINTF(2, 3);
/* Append OpenSSL's error queue (first reason) to a message; clears it. */
int vci_err_ssl(vci_err_t *err, int status, const char *code,
		const char *fmt, ...) VCI_PRINTF(4, 5);
void vci_err_clear(vci_err_t *err);
/* Mask, in place, the value of every PKCS#11 URI attribute that carries a
 * PIN ("pin-value=" and "pin-source=", RFC 7512 section 2.3, any case) in
 * the NUL-terminated string s of capacity cap: each value becomes "***".
 * A value ends at ';', '&', '"', white space or the end; a ':' closing it
 * before white space or the end is kept (the "what: why" separator). The
 * error setters above apply it to every message, so a key URI never shows
 * its PIN in an error; call it on any other text that may hold a key URI.
 * Thread-safe. */
void vci_redact_pins(char *s, size_t cap);
/* Out of memory, the one way it is reported: VCI_EXIT_IO, code
 * "out_of_memory", message "out of memory" (vci_err_oom) or "WHAT: out
 * of memory" (vci_err_oom_at). Return -1. */
int vci_err_oom(vci_err_t *err);
int vci_err_oom_at(vci_err_t *err, const char *what);

/* Cleanup-attribute types (latchset/jose style). */
static inline void vci_json_decref_p(json_t **j) { if (*j) json_decref(*j); }
static inline void vci_free_p(void *p) { free(*(void **)p); }
static inline void vci_pkey_free_p(EVP_PKEY **k) { EVP_PKEY_free(*k); }
static inline void vci_x509_free_p(X509 **x) { X509_free(*x); }
static inline void vci_file_close_p(FILE **f) { if (*f) fclose(*f); }

#ifndef json_auto_t /* jansson >= 2.14 has its own */
#define json_auto_t json_t __attribute__((cleanup(vci_json_decref_p)))
#endif
#define char_auto_t char __attribute__((cleanup(vci_free_p)))
#define uint8_auto_t uint8_t __attribute__((cleanup(vci_free_p)))
#define EVP_PKEY_auto_t EVP_PKEY __attribute__((cleanup(vci_pkey_free_p)))
#define X509_auto_t X509 __attribute__((cleanup(vci_x509_free_p)))
#define FILE_auto_t FILE __attribute__((cleanup(vci_file_close_p)))

/* Secrets: a buffer that is cleansed before it is freed. */
typedef struct vci_secret {
	uint8_t *buf;
	size_t len;
} vci_secret_t;
void vci_secret_free(vci_secret_t *s);
static inline void vci_secret_free_p(vci_secret_t *s) { vci_secret_free(s); }
#define secret_auto_t vci_secret_t __attribute__((cleanup(vci_secret_free_p)))
/* Cleanse a NUL-terminated string, then free it. */
void vci_str_wipe(char *s);
static inline void vci_str_wipe_p(char **s) { vci_str_wipe(*s); }
#define wipe_auto_t char __attribute__((cleanup(vci_str_wipe_p)))

/* Constant-time equality of two byte strings (length may leak). */
int vci_ct_equal(const void *a, size_t alen, const void *b, size_t blen);
/* The value of a hex digit (either case), or -1. */
static inline int vci_hexval(int c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'A' && c <= 'F' ? c - 'A' + 10 :
	       c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* An unsigned integer as `n` big-endian bytes at p (its low n bytes), and
 * back: sealed values and ids carry their times this way. n <= 8. */
static inline void vci_put_be(uint8_t *p, uint64_t v, int n)
{
	for (int i = n - 1; i >= 0; i--, v >>= 8)
		p[i] = (uint8_t)v;
}

static inline uint64_t vci_get_be(const uint8_t *p, int n)
{
	uint64_t v = 0;

	for (int i = 0; i < n; i++)
		v = v << 8 | p[i];
	return v;
}

/* Parse JSON text strictly (JSON_REJECT_DUPLICATES, one value, nothing
 * after it). `what` names the input in the error message. */
json_t *vci_json_parse(const char *buf, size_t len, const char *what, vci_err_t *err);
/* Read a whole file (or stdin for NULL / "-") into memory, up to `max`
 * bytes; *len receives the size. The buffer is NUL-terminated. */
char *vci_read_file(const char *path, size_t max, size_t *len, vci_err_t *err);
/* Load a JSON document from a file (NULL / "-" for stdin). */
json_t *vci_json_load_file(const char *path, vci_err_t *err);
/* Serialize compactly with sorted-free, insertion order kept. */
char *vci_json_dump(const json_t *j);
/* json_dumps, but the text is always malloc'd (release it with free()),
 * also while the calling thread has a jansson arena open (base/arena.h).
 * NULL on error or out of memory. */
char *vci_json_dumps(const json_t *j, size_t flags);

#define VCI_MAX_DOCUMENT (64u << 20) /* largest single input document */

#endif
