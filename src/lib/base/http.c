/* http.c - GET and POST with bounded retries, and one request with its
 * answer, over libcurl. */
#include "http.h"

#include <curl/curl.h>
#include <openssl/crypto.h>
#include <pthread.h>
#include <string.h>
#include <strings.h>
#include <time.h>

/* ---- GET ---- */

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_rc = CURLE_FAILED_INIT;

static void curl_init(void)
{
	curl_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

int vci_http_init(vci_err_t *err)
{
	pthread_once(&curl_once, curl_init);
	if (curl_init_rc != CURLE_OK)
		return vci_err_set(err, VCI_EXIT_IO, "server_error", "libcurl: %s",
				   curl_easy_strerror(curl_init_rc));
	return 0;
}

#define BODY_MAX (1u << 20)

static size_t drop_body(char *p, size_t sz, size_t n, void *ud)
{
	size_t *total = ud;

	(void)p;
	if (n && sz > BODY_MAX / n)
		return 0;
	*total += sz * n;
	return *total > BODY_MAX ? 0 : sz * n;
}

/* "host[:port]" of a URL, for messages without the query. */
static void host_of(const char *url, char *buf, size_t size)
{
	const char *h = strstr(url, "://");
	size_t n;

	h = h ? h + 3 : url;
	n = strcspn(h, "/?#");
	/* never user:password@ */
	for (size_t i = n; i > 0; i--)
		if (h[i - 1] == '@') {
			h += i;
			n -= i;
			break;
		}
	snprintf(buf, size, "%.*s", (int)(n < 200 ? n : 200), h);
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) != 0)
		;
}

/* The checks both requests make before a handle: the URL is a network
 * target (its "host[:port]" into host, for messages), libcurl is
 * initialised. A new handle, or NULL with err (code `code` for libcurl's
 * failures). */
static CURL *http_start(const char *url, const char *code, char *host, size_t hsize,
			vci_err_t *err)
{
	CURL *c;

	host_of(url ? url : "", host, hsize);
	if (!vci_url_is_target(url, 1)) {
		vci_err_set(err, VCI_EXIT_USAGE, "invalid_url",
			    "%s: not an https URL (http only to 127.0.0.1, ::1 or localhost)", host);
		return NULL;
	}
	pthread_once(&curl_once, curl_init);
	if (curl_init_rc != CURLE_OK) {
		vci_err_set(err, VCI_EXIT_IO, code, "libcurl: %s", curl_easy_strerror(curl_init_rc));
		return NULL;
	}
	c = curl_easy_init();
	if (!c)
		vci_err_set(err, VCI_EXIT_IO, code, "libcurl: cannot start a request");
	return c;
}

/* The options every request has: no signals, no redirects, http and https
 * only, TLS verified (peer and host), `timeout_ms` for the connection and
 * for the whole (0: 10000), our user agent, the body to wr(ud) and curl's
 * error text to cerr (emptied). A GET until the caller says otherwise. */
static void http_setopts(CURL *c, const char *url, long timeout_ms, curl_write_callback wr,
			 void *ud, char *cerr)
{
	long timeout = timeout_ms > 0 ? timeout_ms : 10000;

	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
#if LIBCURL_VERSION_NUM >= 0x075500
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
#else
	curl_easy_setopt(c, CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, timeout);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, timeout);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "vci-tools");
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, wr);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, ud);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, cerr);
	cerr[0] = '\0';
}

/* Why a transfer failed, for a message: curl's error text, else its code's. */
static const char *http_why(const char *cerr, CURLcode cc)
{
	return cerr[0] ? cerr : curl_easy_strerror(cc);
}

/* libcurl's progress callback: the caller's cancel. */
static int http_cancel(void *arg, curl_off_t a, curl_off_t b, curl_off_t c, curl_off_t d)
{
	const vci_http_opts_t *o = arg;

	(void)a, (void)b, (void)c, (void)d;
	return o->cancel(o->cancel_arg);
}

/* What o adds to http_setopts for one attempt: the POST body, the header
 * list h, the user agent, the cancel callback. */
static void send_setopts(CURL *c, const char *body, const vci_http_opts_t *o,
			 struct curl_slist *h)
{
	if (body) {
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
	}
	if (h)
		curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	if (o->user_agent)
		curl_easy_setopt(c, CURLOPT_USERAGENT, o->user_agent);
	if (o->cancel) {
		curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
		curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, http_cancel);
		curl_easy_setopt(c, CURLOPT_XFERINFODATA, (void *)o);
	}
}

/* o's header lines as libcurl's list: 0 (*h NULL when there are none),
 * or -1 out of memory. */
static int send_headers(const vci_http_opts_t *o, struct curl_slist **h)
{
	*h = NULL;
	for (size_t i = 0; o->headers && o->headers[i]; i++) {
		struct curl_slist *n = curl_slist_append(*h, o->headers[i]);

		if (!n) {
			curl_slist_free_all(*h);
			*h = NULL;
			return -1;
		}
		*h = n;
	}
	return 0;
}

/* Whether an attempt that ended with status and cc is tried again. */
static int send_retryable(long status, CURLcode cc)
{
	return status >= 500 || status == 429 ||
	       (status == 0 && (cc == CURLE_COULDNT_CONNECT || cc == CURLE_OPERATION_TIMEDOUT ||
				cc == CURLE_COULDNT_RESOLVE_HOST || cc == CURLE_RECV_ERROR ||
				cc == CURLE_SEND_ERROR || cc == CURLE_GOT_NOTHING));
}

/* GET url (body NULL) or POST body, as vci_http_get says. */
static int http_send(const char *url, const char *body, const vci_http_opts_t *o,
		     vci_http_result_t *r, vci_err_t *err)
{
	vci_http_opts_t d = { 0 };
	long backoff;
	char host[256], cerr[CURL_ERROR_SIZE] = "";
	struct curl_slist *h;
	CURLcode cc = CURLE_OK;
	CURL *c;

	if (!o)
		o = &d;
	backoff = o->backoff_ms > 0 ? o->backoff_ms : 500;
	r->status = 0;
	r->attempts = 0;
	c = http_start(url, "delivery_failed", host, sizeof host, err);
	if (!c)
		return -1;
	if (send_headers(o, &h) < 0) {
		curl_easy_cleanup(c);
		return vci_err_set(err, VCI_EXIT_IO, "delivery_failed",
				   "libcurl: cannot start a request");
	}
	for (unsigned attempt = 0;; attempt++) {
		size_t total = 0;

		curl_easy_reset(c);
		http_setopts(c, url, o->timeout_ms, drop_body, &total, cerr);
		send_setopts(c, body, o, h);
		r->attempts++;
		r->status = 0;
		cc = curl_easy_perform(c);
		if (cc == CURLE_OK || cc == CURLE_WRITE_ERROR)
			curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
		if (r->status >= 200 && r->status < 300) {
			curl_easy_cleanup(c);
			curl_slist_free_all(h);
			return 0;
		}
		if (!send_retryable(r->status, cc) || attempt >= o->retries)
			break;
		sleep_ms(backoff);
		backoff = backoff > 60000 ? 120000 : backoff * 2;
	}
	curl_easy_cleanup(c);
	curl_slist_free_all(h);
	if (r->status)
		return vci_err_set(err, VCI_EXIT_IO, "delivery_failed", "%s: HTTP %ld after %u attempt%s",
				   host, r->status, r->attempts, r->attempts == 1 ? "" : "s");
	return vci_err_set(err, VCI_EXIT_IO, "delivery_failed", "%s: %s after %u attempt%s", host,
			   http_why(cerr, cc), r->attempts, r->attempts == 1 ? "" : "s");
}

int vci_http_get(const char *url, const vci_http_opts_t *o, vci_http_result_t *r,
		 vci_err_t *err)
{
	return http_send(url, NULL, o, r, err);
}

int vci_http_post(const char *url, const char *body, const vci_http_opts_t *o,
		  vci_http_result_t *r, vci_err_t *err)
{
	return http_send(url, body ? body : "", o, r, err);
}

/* ---- one request with its answer ---- */

struct fetch_body {
	char *p;
	size_t len, max;
	int over;
};

static size_t keep_body(char *p, size_t sz, size_t n, void *ud)
{
	struct fetch_body *b = ud;
	size_t add;
	char *np;

	if (n && sz > b->max / n) {
		b->over = 1;
		return 0;
	}
	add = sz * n;
	if (add > b->max - b->len) {
		b->over = 1;
		return 0;
	}
	np = malloc(b->len + add + 1);
	if (!np)
		return 0;
	if (b->len)
		memcpy(np, b->p, b->len);
	memcpy(np + b->len, p, add);
	if (b->p) {
		OPENSSL_cleanse(b->p, b->len);
		free(b->p);
	}
	b->p = np;
	b->len += add;
	b->p[b->len] = '\0';
	return add;
}

/* What a fetch adds to http_setopts: the Accept header h, the form as a
 * POST body, HTTP Basic authentication. */
static void fetch_setopts(CURL *c, const char *form, const char *user, const char *pass,
			  struct curl_slist *h)
{
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	if (form) {
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, form);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)strlen(form));
	}
	if (user) {
		curl_easy_setopt(c, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
		curl_easy_setopt(c, CURLOPT_USERNAME, user);
		curl_easy_setopt(c, CURLOPT_PASSWORD, pass ? pass : "");
	}
}

int vci_http_fetch(const char *url, const char *form, const char *user, const char *pass,
		   long timeout_ms, size_t max, long *status, char **body, size_t *len,
		   vci_err_t *err)
{
	struct fetch_body b = { NULL, 0, max, 0 };
	char host[256], cerr[CURL_ERROR_SIZE] = "";
	struct curl_slist *h;
	CURLcode cc;
	CURL *c;

	*status = 0;
	*body = NULL;
	*len = 0;
	c = http_start(url, "fetch_failed", host, sizeof host, err);
	if (!c)
		return -1;
	h = curl_slist_append(NULL, "Accept: application/json");
	if (!h) {
		curl_easy_cleanup(c);
		return vci_err_set(err, VCI_EXIT_IO, "fetch_failed", "libcurl: cannot start a request");
	}
	http_setopts(c, url, timeout_ms, keep_body, &b, cerr);
	fetch_setopts(c, form, user, pass, h);
	cc = curl_easy_perform(c);
	if (cc == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, status);
	curl_easy_cleanup(c);
	curl_slist_free_all(h);
	if (cc != CURLE_OK) {
		if (b.p)
			OPENSSL_cleanse(b.p, b.len);
		free(b.p);
		if (b.over)
			return vci_err_set(err, VCI_EXIT_IO, "fetch_failed", "%s: answer larger than "
					   "%zu bytes", host, max);
		return vci_err_set(err, VCI_EXIT_IO, "fetch_failed", "%s: %s", host,
				   http_why(cerr, cc));
	}
	if (!b.p && !(b.p = calloc(1, 1)))
		return vci_err_oom(err);
	*body = b.p;
	*len = b.len;
	return 0;
}
