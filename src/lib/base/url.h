/* url.h - the URL helpers every layer shares: percent-encoding and
 * -decoding, query parameters, and the predicates that say which URLs
 * are acceptable at all.
 *
 * Network targets are https URLs and, for local testing only, http URLs
 * whose host is the loopback address 127.0.0.1, ::1 or localhost. All
 * functions are thread-safe. */
#ifndef VCI_URL_H
#define VCI_URL_H

#include "common.h"

/* Percent-encode len bytes of s for a URL query value: RFC 3986
 * unreserved characters (ALPHA DIGIT - . _ ~) other than those in `drop`
 * stay, and so do the characters in `keep`; everything else becomes %XX
 * (upper-case hex). Returns a malloc'd string (NULL when out of memory). */
char *vci_url_encode(const char *s, size_t len, const char *keep, const char *drop);
/* Decode %XX escapes (and '+' as a space when plus_space is set, as in
 * application/x-www-form-urlencoded). A '%' without two hex digits and a
 * decoded NUL byte are refused (VCI_EXIT_INPUT, code "invalid_url").
 * *out is malloc'd and NUL-terminated. */
int vci_url_decode(const char *s, size_t len, int plus_space, char **out, size_t *outlen,
		   vci_err_t *err);
/* http://127.0.0.1, http://[::1] or http://localhost, with an optional
 * port and path. */
int vci_url_is_loopback_http(const char *s);
/* A network target: an https URL, or a loopback http URL (see above);
 * printable ASCII only. allow_query: a query is allowed (never a
 * fragment). */
int vci_url_is_target(const char *s, int allow_query);

/* url with name=value appended as a query parameter ('?' or '&'), the
 * value percent-encoded with `keep` as in vci_url_encode. */
char *vci_url_add_param(const char *url, const char *name, const char *value, size_t vlen,
			const char *keep, const char *drop);

/* An https URL with a host, no userinfo, no whitespace, control or
 * non-ASCII byte or backslash; a query or fragment only with allow_query. */
int vci_url_is_https(const char *s, int allow_query);

#endif
