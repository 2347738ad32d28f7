/* time.h - the one clock and the one time type: seconds since the epoch
 * as int64_t everywhere, RFC 3339 text in and out, and the rounding that
 * keeps a credential's times from pinning the instant of issuance. All
 * functions are thread-safe. */
#ifndef VCI_TIME_H
#define VCI_TIME_H

#include "common.h"

/* Default --time-precision: one day. */
#define VCI_TIME_PRECISION_DEFAULT 86400L

/* Parse a time precision (the time_precision parameter, --time-precision
 * on the command line): "second", "minute", "hour", "day", or a number of
 * seconds with an optional unit suffix s, m, h, d ("15m"). Range 1
 * second to 31 days. Returns 0, or -1 with err (VCI_EXIT_USAGE, message
 * "time_precision: ..."). */
int vci_time_precision_parse(const char *s, long *out, vci_err_t *err);

/* t rounded down to a multiple of precision (t >= 0). */
int64_t vci_time_round(int64_t t, long precision);

/* Current time in seconds: the time vci_time_set_now fixed, else
 * VCI_NOW in the environment (seconds since the epoch or an RFC 3339
 * date-time; VCI_TEST_NOW, its former name, is read too when VCI_NOW is
 * unset), else the clock. An unreadable VCI_NOW is ignored here; the
 * tools refuse it at start (vci_time_env). */
int64_t vci_time_now(void);

/* Fix the time vci_time_now returns for the rest of the process (t <= 0:
 * the environment and the clock again): --now. Not thread-safe: call it
 * before any thread starts. */
void vci_time_set_now(int64_t t);

/* The time VCI_NOW (or VCI_TEST_NOW) sets: 1 with *out set, 0 when
 * neither is set, -1 when the value is neither seconds since the epoch
 * nor an RFC 3339 date-time. */
int vci_time_env(int64_t *out);

/* Parse a time given as text: seconds since the epoch (digits only, up
 * to year 9999) or RFC 3339 as vci_time_from_json reads it. Returns 0,
 * or -1. */
int vci_time_parse(const char *s, int64_t *out);

/* Parse a NumericDate: a JSON integer >= 0, or a string holding an RFC
 * 3339 date-time ("2026-01-02T03:04:05Z", offsets allowed, fraction
 * dropped) or a full-date ("2026-01-02", midnight UTC). */
int vci_time_from_json(const json_t *v, int64_t *out);

/* Format t as an RFC 3339 date-time in UTC without a fraction
 * ("2026-01-02T03:04:05Z"); buf must hold 21 bytes. */
void vci_time_format(int64_t t, char buf[21]);

#endif
