/* url.c - URL helpers: percent-encoding and -decoding, and which URLs
 * are network targets at all (see url.h). */
#include "url.h"

#include <string.h>
#include <strings.h>

static int unreserved(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '.' || c == '_' || c == '~';
}

char *vci_url_encode(const char *s, size_t len, const char *keep, const char *drop)
{
	static const char hex[] = "0123456789ABCDEF";
	char *out, *p;

	if (len > (SIZE_MAX - 1) / 3)
		return NULL;
	out = malloc(len * 3 + 1);
	if (!out)
		return NULL;
	p = out;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c && ((unreserved(c) && !(drop && strchr(drop, c))) || (keep && strchr(keep, c)))) {
			*p++ = (char)c;
		} else {
			*p++ = '%';
			*p++ = hex[c >> 4];
			*p++ = hex[c & 15];
		}
	}
	*p = '\0';
	return out;
}

int vci_url_decode(const char *s, size_t len, int plus_space, char **out, size_t *outlen,
		   vci_err_t *err)
{
	char *o = malloc(len + 1);
	size_t n = 0;

	*out = NULL;
	if (!o)
		return vci_err_oom(err);
	for (size_t i = 0; i < len; i++) {
		char c = s[i];

		if (c == '%') {
			int h, l;

			if (len - i < 3) {
				free(o);
				return vci_err_set(err, VCI_EXIT_INPUT, "invalid_url",
						   "truncated %%-escape at offset %zu", i);
			}
			h = vci_hexval(s[i + 1]);
			l = vci_hexval(s[i + 2]);
			if (h < 0 || l < 0) {
				free(o);
				return vci_err_set(err, VCI_EXIT_INPUT, "invalid_url",
						   "malformed %%-escape at offset %zu", i);
			}
			c = (char)(h << 4 | l);
			if (!c) {
				free(o);
				return vci_err_set(err, VCI_EXIT_INPUT, "invalid_url",
						   "%%00 at offset %zu", i);
			}
			i += 2;
		} else if (c == '+' && plus_space) {
			c = ' ';
		} else if (!c) {
			free(o);
			return vci_err_set(err, VCI_EXIT_INPUT, "invalid_url", "NUL byte at offset %zu", i);
		}
		o[n++] = c;
	}
	o[n] = '\0';
	*out = o;
	if (outlen)
		*outlen = n;
	return 0;
}

static int printable(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s <= 0x20 || (unsigned char)*s >= 0x7f || *s == '\\')
			return 0;
	return 1;
}

int vci_url_is_loopback_http(const char *s)
{
	static const char *const hosts[] = { "127.0.0.1", "[::1]", "localhost" };
	const char *h;

	if (!s || strncasecmp(s, "http://", 7) || !printable(s))
		return 0;
	h = s + 7;
	for (size_t i = 0; i < sizeof hosts / sizeof hosts[0]; i++) {
		size_t n = strlen(hosts[i]);
		const char *p = h + n;

		if (strncasecmp(h, hosts[i], n))
			continue;
		if (*p == ':') {
			const char *d = ++p;

			while (*p >= '0' && *p <= '9')
				p++;
			if (p == d || p - d > 5)
				return 0;
		}
		if (*p == '\0' || *p == '/' || *p == '?' || *p == '#')
			return 1;
	}
	return 0;
}

int vci_url_is_target(const char *s, int allow_query)
{
	if (!s || !printable(s) || strchr(s, '#'))
		return 0;
	if (!allow_query && strchr(s, '?'))
		return 0;
	return vci_url_is_https(s, allow_query) || vci_url_is_loopback_http(s);
}

char *vci_url_add_param(const char *url, const char *name, const char *value, size_t vlen,
			const char *keep, const char *drop)
{
	char *enc = vci_url_encode(value, vlen, keep, drop), *out = NULL;

	if (!enc)
		return NULL;
	if (asprintf(&out, "%s%c%s=%s", url, strchr(url, '?') ? '&' : '?', name, enc) < 0)
		out = NULL;
	OPENSSL_cleanse(enc, strlen(enc));
	free(enc);
	return out;
}

int vci_url_is_https(const char *s, int allow_query)
{
	const char *host, *end;

	if (!s || strncasecmp(s, "https://", 8))
		return 0;
	host = s + 8;
	end = host + strcspn(host, "/?#");
	if (end == host)
		return 0;
	for (const char *p = s; *p; p++)
		if ((unsigned char)*p <= 0x20 || (unsigned char)*p >= 0x7f || *p == '\\')
			return 0;
	for (const char *p = host; p < end; p++)
		if (*p == '@')
			return 0; /* no userinfo */
	if (!allow_query && (strchr(s, '?') || strchr(s, '#')))
		return 0;
	return 1;
}
