/* http.h - the little HTTP a credential issuer sends, over libcurl: a GET
 * to a wallet's endpoint with bounded retries, plus the URL helpers the
 * offer module shares (percent-encoding and -decoding, which URLs are
 * network targets at all).
 *
 * Network targets are https URLs (TLS verification always on) and, for
 * local testing only, http URLs whose host is the loopback address
 * 127.0.0.1, ::1 or localhost. */
#ifndef VCI_HTTP_H
#define VCI_HTTP_H

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

typedef struct vci_http_opts {
	long timeout_ms;    /* per attempt, connection included (0: 10000) */
	unsigned retries;   /* further attempts after a 5xx, a 429, a timeout
			       or a connection error */
	long backoff_ms;    /* wait before the first retry, doubled for each
			       later one (0: 500) */
} vci_http_opts_t;

typedef struct vci_http_result {
	long status;        /* HTTP status of the last response (0: none) */
	unsigned attempts;  /* requests made */
} vci_http_result_t;

/* GET url. Redirects are not followed; the response body is read and
 * dropped (at most 1 MiB). Success is a 2xx status. Anything else fails
 * with code "delivery_failed" (VCI_EXIT_IO) and a message that names the
 * host, the last status or curl's error, and the attempts made (never the
 * query, which may carry secrets); r is filled either way. A URL that is
 * not a network target fails with VCI_EXIT_USAGE, code "invalid_url".
 * Thread-safe. */
int vci_http_get(const char *url, const vci_http_opts_t *o, vci_http_result_t *r,
		 vci_err_t *err);

/* url with name=value appended as a query parameter ('?' or '&'), the
 * value percent-encoded with `keep` as in vci_url_encode. */
char *vci_url_add_param(const char *url, const char *name, const char *value, size_t vlen,
			const char *keep, const char *drop);

/* An https URL with a host, no userinfo, no whitespace, control or
 * non-ASCII byte or backslash; a query or fragment only with allow_query. */
int vci_url_is_https(const char *s, int allow_query);

#endif
