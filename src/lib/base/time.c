/* time.c - the clock, NumericDate parsing and RFC 3339 formatting. */
#include "time.h"

#include <ctype.h>
#include <errno.h>
#include <string.h>
#include <time.h>

int vci_time_precision_parse(const char *s, long *out, vci_err_t *err)
{
	static const struct { const char *name; long secs; } names[] = {
		{ "second", 1 }, { "minute", 60 }, { "hour", 3600 }, { "day", 86400 },
	};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(s, names[i].name) == 0) {
			*out = names[i].secs;
			return 0;
		}
	if (!isdigit((unsigned char)s[0]))
		goto bad;
	errno = 0;
	char *end;
	unsigned long n = strtoul(s, &end, 10);
	if (errno || n == 0 || n > 31ul * 86400)
		goto bad;
	long unit = 1;
	if (*end) {
		switch (*end) {
		case 's': unit = 1; break;
		case 'm': unit = 60; break;
		case 'h': unit = 3600; break;
		case 'd': unit = 86400; break;
		default: goto bad;
		}
		if (end[1])
			goto bad;
	}
	if (n > 31ul * 86400 / (unsigned long)unit)
		goto bad;
	*out = (long)n * unit;
	return 0;
bad:
	return vci_err_set(err, VCI_EXIT_USAGE, "invalid_option",
			   "time_precision: '%s': expected second, minute, hour, day or "
			   "a number of seconds with an optional s/m/h/d suffix, at most 31 days",
			   s);
}

int64_t vci_time_round(int64_t t, long precision)
{
	if (precision <= 1 || t < 0)
		return t;
	return t - t % precision;
}

/* The fixed time vci_time_set_now gave (0: none). Written once before
 * threads start, read by all. */
static int64_t time_fixed;

void vci_time_set_now(int64_t t)
{
	time_fixed = t > 0 ? t : 0;
}

int64_t vci_time_now(void)
{
	int64_t t;

	if (time_fixed)
		return time_fixed;
	if (vci_time_env(&t) > 0)
		return t;
	return (int64_t)time(NULL);
}

int vci_time_env(int64_t *out)
{
	/* VCI_TEST_NOW: the former, undocumented name, still read for one
	 * release */
	static const char *const names[] = { "VCI_NOW", "VCI_TEST_NOW" };

	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		const char *e = getenv(names[i]);

		if (e && *e)
			return vci_time_parse(e, out) < 0 ? -1 : 1;
	}
	return 0;
}

static int digits(const char *s, int n, int *out)
{
	int v = 0;
	for (int i = 0; i < n; i++) {
		if (!isdigit((unsigned char)s[i]))
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return 0;
}

/* Days from 1970-01-01 to y-m-d (proleptic Gregorian). */
static int64_t days_from_civil(int y, int m, int d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	int64_t yoe = y - era * 400;
	int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static int days_in_month(int y, int m)
{
	static const int dm[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		return 29;
	return dm[m - 1];
}

static int parse_rfc3339(const char *s, int64_t *out)
{
	int y, mo, d, h = 0, mi = 0, se = 0;
	size_t len = strlen(s);
	if (len < 10 || digits(s, 4, &y) || s[4] != '-' || digits(s + 5, 2, &mo) ||
	    s[7] != '-' || digits(s + 8, 2, &d))
		return -1;
	if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo))
		return -1;
	int64_t t = days_from_civil(y, mo, d) * 86400;
	if (len == 10) {
		*out = t;
		return 0;
	}
	const char *p = s + 10;
	if ((*p != 'T' && *p != 't') || strlen(p) < 10 || digits(p + 1, 2, &h) || p[3] != ':' ||
	    digits(p + 4, 2, &mi) || p[6] != ':' || digits(p + 7, 2, &se))
		return -1;
	if (h > 23 || mi > 59 || se > 60)
		return -1;
	p += 9;
	if (*p == '.') {
		p++;
		if (!isdigit((unsigned char)*p))
			return -1;
		while (isdigit((unsigned char)*p))
			p++;
	}
	int64_t off = 0;
	if ((*p == 'Z' || *p == 'z') && !p[1]) {
		off = 0;
	} else if ((*p == '+' || *p == '-') && strlen(p) == 6 && p[3] == ':') {
		int oh, om;
		if (digits(p + 1, 2, &oh) || digits(p + 4, 2, &om) || oh > 23 || om > 59)
			return -1;
		off = (oh * 3600 + om * 60) * (*p == '-' ? -1 : 1);
	} else {
		return -1;
	}
	t += h * 3600 + mi * 60 + (se > 59 ? 59 : se) - off;
	if (t < 0)
		return -1;
	*out = t;
	return 0;
}

int vci_time_from_json(const json_t *v, int64_t *out)
{
	if (json_is_integer(v)) {
		if (json_integer_value(v) < 0)
			return -1;
		*out = json_integer_value(v);
		return 0;
	}
	if (json_is_string(v))
		return parse_rfc3339(json_string_value(v), out);
	return -1;
}

int vci_time_parse(const char *s, int64_t *out)
{
	if (!s || !*s)
		return -1;
	if (strspn(s, "0123456789") == strlen(s)) {
		char *end;
		long long v;

		errno = 0;
		v = strtoll(s, &end, 10);
		if (errno || *end || v < 0 || v > 253402300799LL)
			return -1;
		*out = v;
		return 0;
	}
	return parse_rfc3339(s, out);
}

void vci_time_format(int64_t t, char buf[21])
{
	time_t tt = (time_t)t;
	struct tm tm;
	gmtime_r(&tt, &tm);
	strftime(buf, 21, "%Y-%m-%dT%H:%M:%SZ", &tm);
}
