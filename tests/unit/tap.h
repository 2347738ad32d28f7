/* tap.h - a tiny TAP producer for the C unit tests. */
#ifndef VCI_TAP_H
#define VCI_TAP_H

#include <stddef.h>
#include <stdint.h>

void tap_plan(int n);                 /* optional; else tap_done() prints it */
int tap_ok(int cond, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int tap_is_str(const char *got, const char *want, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
int tap_is_int(long long got, long long want, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
int tap_is_mem(const void *got, size_t glen, const void *want, size_t wlen,
	       const char *fmt, ...) __attribute__((format(printf, 5, 6)));
void tap_diag(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* A test not run, and why: "ok N # SKIP why" (counted as passed). */
void tap_skip(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int tap_done(void);                   /* prints the plan if not given; returns exit status */

/* Path of a file under the source tree ($VCI_SRCDIR, default "."); static buffer. */
const char *tap_srcpath(const char *rel);
/* Read a whole file (malloc'd, NUL-terminated, trailing newline kept). */
char *tap_slurp(const char *path, size_t *len);
/* Hex string to bytes (malloc'd). */
uint8_t *tap_unhex(const char *hex, size_t *len);

#endif
