/* http.h - the little HTTP a credential issuer sends, over libcurl: a GET
 * to a wallet's endpoint or a POST to a webhook, with bounded retries,
 * and one request whose answer is read. Only network targets
 * (vci_url_is_target, url.h) are fetched, with TLS verification always
 * on. */
#ifndef VCI_HTTP_H
#define VCI_HTTP_H

#include "common.h"
#include "url.h"

typedef struct vci_http_opts {
	long timeout_ms;    /* per attempt, connection included (0: 10000) */
	unsigned retries;   /* further attempts after a 5xx, a 429, a timeout
			       or a connection error */
	long backoff_ms;    /* wait before the first retry, doubled for each
			       later one (0: 500) */
	/* Optional (zero: none, the defaults): */
	const char *const *headers; /* request header lines "Name: value",
				       NULL-terminated; not copied */
	const char *user_agent;     /* NULL: "vci-tools" */
	int (*cancel)(void *arg);   /* asked now and then during an attempt:
				       non-zero cuts it short, and it fails
				       without a retry */
	void *cancel_arg;
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
/* vci_http_get with a POST of `body` (NUL-terminated, sent as is; its
 * Content-Type is the caller's, in o->headers) instead of the GET. */
int vci_http_post(const char *url, const char *body, const vci_http_opts_t *o,
		  vci_http_result_t *r, vci_err_t *err);
/* libcurl's global set-up, which the functions above make on first use:
 * a program that starts threads may make it first, to fail early. Once
 * per process, thread-safe. 0, or -1 with err (VCI_EXIT_IO,
 * "server_error"). */
int vci_http_init(vci_err_t *err);

/* One request whose answer is read: GET url, or POST `form` (an
 * application/x-www-form-urlencoded body) when form is non-NULL, with
 * "Accept: application/json" and, when user is non-NULL, HTTP Basic
 * authentication as user:pass (RFC 6749 section 2.3.1: both already
 * form-encoded by the caller). One attempt, redirects not followed, TLS
 * verified, at most `max` bytes of body. 0 with *status the HTTP status
 * (any) and *body malloc'd, NUL-terminated (*len bytes; free it, wipe it
 * when it may hold a secret); -1 with err: code "fetch_failed"
 * (VCI_EXIT_IO) naming the host and curl's error or a body over max,
 * "invalid_url" (VCI_EXIT_USAGE) for a URL that is not a network target.
 * Neither the query, the form nor the password is ever in a message.
 * Thread-safe. */
int vci_http_fetch(const char *url, const char *form, const char *user, const char *pass,
		   long timeout_ms, size_t max, long *status, char **body, size_t *len,
		   vci_err_t *err);

#endif
