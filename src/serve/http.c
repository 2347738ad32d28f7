/* http.c - the only file that knows libmicrohttpd: it turns a request
 * into a vci_req_t, runs the route table, and turns the vci_resp_t into a
 * response. The HTTP rules a handler should never see are kept here:
 *  - the response is queued on the second access-handler call of a
 *    request or later, never the first: queued on the first, MHD closes
 *    keep-alive connections and throughput falls several times;
 *  - MHD_OPTION_STRICT_FOR_CLIENT 1; a duplicate Content-Length (even an
 *    equal one), one beside Transfer-Encoding or one that is not a number
 *    is refused here with 400, whatever MHD would make of it;
 *  - bodies over VCI_SERVE_BODY_MAX get 413 and the connection is closed
 *    (a Content-Length over it is answered on the first call, before the
 *    body is sent: the one response queued there; a chunked body is read
 *    and dropped to its end, up to DROP_MAX, as MHD cannot answer in the
 *    middle of a body),
 *    more than VCI_SERVE_HEADERS_MAX headers 431, headers over the
 *    connection memory limit 431 (MHD), idle connections are closed after
 *    CONN_TIMEOUT seconds, connections are limited in all and per IP.
 * The listening socket is made here (bind errors are ours to report, and
 * port 0 tells its port), then handed to MHD. */
#include "internal.h"

#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdatomic.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define CONN_TIMEOUT 15          /* seconds without traffic, headers included */
#define CONN_LIMIT 1024
#define CONN_PER_IP 256          /* a reverse proxy is one IP */
#define CONN_MEMORY (32u << 10)  /* request line and headers of one request */
#define QUERY_MAX 4096
#define DROP_MAX (1u << 20)      /* body of a refused request read to answer it */
#define WAIT_MAX_MS 60000        /* a store write's longest wait at stop */

struct vci_http {
	struct MHD_Daemon *d;
	vci_serve_t *s;
	int admin;
	int fd;
	char address[80];
	atomic_long inflight;
	atomic_long waiting;     /* connections suspended for a store write */
};

/* One request, behind MHD's con_cls from the URI callback to completion. */
typedef struct http_req {
	vci_http_t *h;
	int calls;               /* access-handler calls so far (counted in
				    inflight from the first) */
	int refuse;              /* status decided before the body (400, 413, 431) */
	const char *refuse_why;
	int answered;
	char *body;
	size_t len, cap;
	size_t dropped;          /* body bytes read and dropped */
	char *query;             /* raw query, or NULL */
	struct timespec start;
	int64_t now;
	/* a store write the handler waits for (vci_serve_wait): the
	 * connection is suspended until the writer thread calls wait_done */
	struct MHD_Connection *conn;
	struct vci_wait *wait;
	vci_req_t req;           /* kept for finishing: its headers are MHD's,
				    valid until the request completes */
	char addr[INET6_ADDRSTRLEN];
	atomic_int wait_done;
	int wait_ret;
	vci_err_t wait_err;
} http_req_t;

static double ms_since(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)(t.tv_sec - t0->tv_sec) * 1e3 + (double)(t.tv_nsec - t0->tv_nsec) / 1e6;
}

/* Called by MHD once per request with the raw URI: the request's state
 * starts here, and so does its clock. */
static void *on_uri(void *cls, const char *uri, struct MHD_Connection *c)
{
	vci_http_t *h = cls;
	http_req_t *r = calloc(1, sizeof *r);
	const char *q;

	(void)c;
	if (!r)
		return NULL;
	r->h = h;
	clock_gettime(CLOCK_MONOTONIC, &r->start);
	r->now = vci_time_now();
	q = uri ? strchr(uri, '?') : NULL;
	if (q && strlen(q + 1) <= QUERY_MAX)
		r->query = strdup(q + 1);
	else if (q)
		r->refuse = 414, r->refuse_why = "query too long";
	return r;
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
			 enum MHD_RequestTerminationCode toe)
{
	vci_http_t *h = cls;
	http_req_t *r = *con_cls;

	(void)c;
	(void)toe;
	if (!r)
		return;
	if (r->wait) {
		/* resumed, and the connection ended before it was answered: the
		 * handler's second half still frees what it holds */
		vci_resp_t resp = { 0 };

		atomic_fetch_sub(&h->waiting, 1);
		vci_serve_wait_finish(h->s, &r->req, &resp, r->wait, r->wait_ret,
				      r->wait_ret < 0 ? &r->wait_err : NULL);
		vci_resp_clear(&resp);
	}
	if (r->body)
		OPENSSL_cleanse(r->body, r->len);
	free(r->body);
	free(r->query);
	if (r->calls)
		atomic_fetch_sub(&h->inflight, 1);
	free(r);
	*con_cls = NULL;
}

typedef struct header_scan {
	vci_req_t *req;          /* NULL: only count */
	size_t n, content_length, transfer_encoding;
	int cl_bad;
	unsigned long long cl;
} header_scan_t;

static enum MHD_Result scan_header(void *cls, enum MHD_ValueKind kind, const char *key,
				   const char *value)
{
	header_scan_t *hs = cls;

	(void)kind;
	if (hs->req && hs->req->nheaders < VCI_SERVE_HEADERS_MAX) {
		hs->req->headers[hs->req->nheaders].name = key;
		hs->req->headers[hs->req->nheaders].value = value ? value : "";
		hs->req->nheaders++;
	} else if (hs->req) {
		hs->req->nheaders_dropped++;
	}
	hs->n++;
	if (!strcasecmp(key, "Content-Length")) {
		char *end;

		hs->content_length++;
		errno = 0;
		if (!value || !*value || value[0] < '0' || value[0] > '9')
			hs->cl_bad = 1;
		else
			hs->cl = strtoull(value, &end, 10), hs->cl_bad |= errno || *end;
	}
	if (!strcasecmp(key, "Transfer-Encoding"))
		hs->transfer_encoding++;
	return MHD_YES;
}

/* What the headers alone decide, on the first call. */
static void check_headers(struct MHD_Connection *c, http_req_t *r)
{
	header_scan_t hs = { 0 };

	MHD_get_connection_values(c, MHD_HEADER_KIND, scan_header, &hs);
	if (r->refuse)
		return;
	if (hs.n > VCI_SERVE_HEADERS_MAX)
		r->refuse = 431, r->refuse_why = "too many header fields";
	else if (hs.content_length > 1)
		r->refuse = 400, r->refuse_why = "more than one Content-Length";
	else if (hs.content_length && hs.transfer_encoding)
		r->refuse = 400, r->refuse_why = "Content-Length with Transfer-Encoding";
	else if (hs.content_length && hs.cl_bad)
		r->refuse = 400, r->refuse_why = "bad Content-Length";
	else if (hs.content_length && hs.cl > VCI_SERVE_BODY_MAX)
		r->refuse = 413, r->refuse_why = "request body too large";
}

static const char *peer(struct MHD_Connection *c, char *buf, size_t size)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	const struct sockaddr *sa = ci ? ci->client_addr : NULL;

	buf[0] = '\0';
	if (sa && sa->sa_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, buf, (socklen_t)size);
	else if (sa && sa->sa_family == AF_INET6)
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, buf,
			  (socklen_t)size);
	return buf;
}

static enum MHD_Result queue(struct MHD_Connection *c, vci_resp_t *resp, int close)
{
	struct MHD_Response *mr;
	enum MHD_Result ret;

	mr = MHD_create_response_from_buffer(resp->len, resp->body, MHD_RESPMEM_MUST_FREE);
	if (!mr)
		return MHD_NO;
	resp->body = NULL; /* MHD frees it */
	if (resp->content_type[0])
		MHD_add_response_header(mr, MHD_HTTP_HEADER_CONTENT_TYPE, resp->content_type);
	for (size_t i = 0; i < resp->nheaders; i++)
		MHD_add_response_header(mr, resp->headers[i].name, resp->headers[i].value);
	if (close)
		MHD_add_response_header(mr, MHD_HTTP_HEADER_CONNECTION, "close");
	ret = MHD_queue_response(c, (unsigned)resp->status, mr);
	MHD_destroy_response(mr);
	return ret;
}

/* The writer thread's call when the write of a suspended request is
 * durable (or failed): the request resumes on its worker thread. */
static void wait_done(void *arg, int ret, const vci_err_t *err)
{
	http_req_t *r = arg;

	r->wait_ret = ret;
	if (err)
		r->wait_err = *err;
	atomic_store(&r->wait_done, 1);
	MHD_resume_connection(r->conn);
}

/* Log and queue a finished response. */
static enum MHD_Result respond(struct MHD_Connection *c, http_req_t *r, vci_resp_t *resp,
			       int close)
{
	enum MHD_Result ret;

	r->answered = 1;
	vci_serve_log_request(r->h->s, &r->req, resp, ms_since(&r->start));
	ret = queue(c, resp, close);
	vci_resp_clear(resp);
	return ret;
}

/* The handler waits for a store write: suspend the connection first (so
 * that the writer's resume always finds it suspended), then queue the
 * write. The worker thread serves other connections meanwhile. */
static enum MHD_Result suspend(struct MHD_Connection *c, http_req_t *r, struct vci_wait *w)
{
	vci_err_t err = { 0 };

	r->wait = w;
	r->conn = c;
	atomic_fetch_add(&r->h->waiting, 1);
	MHD_suspend_connection(c);
	if (vci_serve_wait_start(r->h->s, w, wait_done, r, &err) < 0)
		wait_done(r, -1, &err);
	return MHD_YES;
}

/* The second half of a request that waited: its write is done. */
static enum MHD_Result resume(struct MHD_Connection *c, http_req_t *r)
{
	vci_resp_t resp = { 0 };
	struct vci_wait *w = r->wait;

	r->wait = NULL;
	atomic_fetch_sub(&r->h->waiting, 1);
	vci_serve_wait_finish(r->h->s, &r->req, &resp, w, r->wait_ret,
			      r->wait_ret < 0 ? &r->wait_err : NULL);
	return respond(c, r, &resp, 0);
}

/* Answer: build the request, run the route table, log, queue. */
static enum MHD_Result answer(struct MHD_Connection *c, http_req_t *r, const char *url,
			      const char *method)
{
	vci_serve_t *s = r->h->s;
	vci_req_t *req = &r->req;
	vci_resp_t resp = { 0 };
	header_scan_t hs = { 0 };
	int close = 0;

	memset(req, 0, sizeof *req);
	hs.req = req;
	MHD_get_connection_values(c, MHD_HEADER_KIND, scan_header, &hs);
	req->method = method;
	req->path = url;
	req->query = r->query;
	req->body = r->body;
	req->body_len = r->len;
	req->peer = peer(c, r->addr, sizeof r->addr);
	req->now = r->now;
	req->admin = r->h->admin;
	if (r->refuse) {
		vci_resp_error(&resp, r->refuse, "invalid_request", r->refuse_why);
		close = 1;
	} else {
		req->can_wait = 1;
		vci_serve_dispatch(s, req, &resp);
		if (resp.wait) {
			struct vci_wait *w = resp.wait;

			resp.wait = NULL;
			vci_resp_clear(&resp);
			return suspend(c, r, w);
		}
	}
	return respond(c, r, &resp, close);
}

static int append(http_req_t *r, const char *data, size_t n)
{
	if (r->len + n > VCI_SERVE_BODY_MAX)
		return -1;
	if (r->len + n + 1 > r->cap) {
		size_t cap = r->cap ? r->cap : 1024;
		char *b;

		while (cap < r->len + n + 1)
			cap *= 2;
		b = malloc(cap);
		if (!b)
			return -1;
		if (r->len)
			memcpy(b, r->body, r->len);
		if (r->body)
			OPENSSL_cleanse(r->body, r->len);
		free(r->body);
		r->body = b;
		r->cap = cap;
	}
	memcpy(r->body + r->len, data, n);
	r->len += n;
	r->body[r->len] = '\0';
	return 0;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
				  const char *method, const char *version,
				  const char *upload_data, size_t *upload_data_size, void **con_cls)
{
	http_req_t *r = *con_cls;

	(void)cls;
	(void)version;
	if (!r)
		return MHD_NO; /* out of memory in on_uri */
	if (r->wait) {
		*upload_data_size = 0;
		return atomic_load(&r->wait_done) ? resume(c, r) : MHD_YES;
	}
	if (r->answered) {
		*upload_data_size = 0;
		return MHD_YES;
	}
	if (r->calls++ == 0) {
		/* in flight from here (a client still sending its headers
		 * does not hold up a stop) */
		atomic_fetch_add(&r->h->inflight, 1);
		/* first call: headers only; answering here would close keep-alive
		 * connections (except for a body too large, see below) */
		check_headers(c, r);
		if (r->refuse == 413)
			return answer(c, r, url, method);
		return MHD_YES;
	}
	if (*upload_data_size) {
		size_t n = *upload_data_size;

		*upload_data_size = 0;
		if (!r->refuse && append(r, upload_data, n) == 0)
			return MHD_YES;
		/* MHD cannot queue a response while a body comes in: a body
		 * refused or over the cap (chunked) is read and dropped, then
		 * answered at its end; past DROP_MAX the connection is closed
		 * without an answer */
		if (!r->refuse) {
			r->refuse = 413;
			r->refuse_why = "request body too large";
		}
		r->dropped += n;
		return r->dropped > DROP_MAX ? MHD_NO : MHD_YES;
	}
	return answer(c, r, url, method);
}

/* Drop MHD's own messages: clients that misbehave would fill the log. */
static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	(void)cls;
	(void)fmt;
	(void)ap;
}

/* Bind ADDR:PORT (IPv4, [IPv6] or localhost) and listen. */
static int bind_listen(const char *listen_on, vci_http_t *h, vci_err_t *err)
{
	struct sockaddr_storage ss = { 0 };
	socklen_t sl;
	char host[64];
	const char *colon = strrchr(listen_on, ':');
	size_t hl = colon ? (size_t)(colon - listen_on) : 0;
	int port = colon ? atoi(colon + 1) : -1, one = 1, fd;

	if (!colon || hl == 0 || hl >= sizeof host || port < 0 || port > 65535)
		return vci_err_set(err, VCI_EXIT_USAGE, "invalid_option", "listen: %s: expected "
				   "ADDR:PORT", listen_on);
	memcpy(host, listen_on, hl);
	host[hl] = '\0';
	if (!strcmp(host, "localhost"))
		strcpy(host, "127.0.0.1");
	if (host[0] == '[' && host[hl - 1] == ']') {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;

		host[hl - 1] = '\0';
		a->sin6_family = AF_INET6;
		a->sin6_port = htons((uint16_t)port);
		if (inet_pton(AF_INET6, host + 1, &a->sin6_addr) != 1)
			return vci_err_set(err, VCI_EXIT_USAGE, "invalid_option", "listen: %s: not "
					   "an IPv6 address", listen_on);
		sl = sizeof *a;
	} else {
		struct sockaddr_in *a = (struct sockaddr_in *)&ss;

		a->sin_family = AF_INET;
		a->sin_port = htons((uint16_t)port);
		if (inet_pton(AF_INET, host, &a->sin_addr) != 1)
			return vci_err_set(err, VCI_EXIT_USAGE, "invalid_option", "listen: %s: not "
					   "an IPv4 address", listen_on);
		sl = sizeof *a;
	}
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return vci_err_set(err, VCI_EXIT_IO, "io_error", "listen: %s", strerror(errno));
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if (ss.ss_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
	if (bind(fd, (struct sockaddr *)&ss, sl) < 0 || listen(fd, 512) < 0) {
		vci_err_set(err, VCI_EXIT_IO, "io_error", "listen: %s: %s", listen_on,
			    strerror(errno));
		close(fd);
		return -1;
	}
	sl = sizeof ss;
	getsockname(fd, (struct sockaddr *)&ss, &sl);
	if (ss.ss_family == AF_INET6) {
		char a[INET6_ADDRSTRLEN];

		inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&ss)->sin6_addr, a, sizeof a);
		snprintf(h->address, sizeof h->address, "[%s]:%u", a,
			 ntohs(((struct sockaddr_in6 *)&ss)->sin6_port));
	} else {
		char a[INET_ADDRSTRLEN];

		inet_ntop(AF_INET, &((struct sockaddr_in *)&ss)->sin_addr, a, sizeof a);
		snprintf(h->address, sizeof h->address, "%s:%u", a,
			 ntohs(((struct sockaddr_in *)&ss)->sin_port));
	}
	h->fd = fd;
	return 0;
}

vci_http_t *vci_http_start(vci_serve_t *s, const vci_serve_listen_t *o, vci_err_t *err)
{
	unsigned flags = MHD_USE_EPOLL_INTERNAL_THREAD | MHD_USE_ITC | MHD_USE_ERROR_LOG |
			 MHD_ALLOW_SUSPEND_RESUME;
	vci_http_t *h;

	if (o->tls_cert && MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES)
		return vci_err_set(err, VCI_EXIT_USAGE, "invalid_option", "--tls-cert: this "
				   "libmicrohttpd has no TLS: use a reverse proxy"), NULL;
	h = calloc(1, sizeof *h);
	if (!h)
		return vci_err_oom(err), NULL;
	h->s = s;
	h->admin = o->admin;
	h->fd = -1;
	if (bind_listen(o->listen, h, err) < 0) {
		free(h);
		return NULL;
	}
	if (o->tls_cert)
		flags |= MHD_USE_TLS;
	/* without TLS the list ends before the certificate options */
	h->d = MHD_start_daemon(
		flags, 0, NULL, NULL, on_request, h,
		MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,
		MHD_OPTION_LISTEN_SOCKET, (MHD_socket)h->fd,
		MHD_OPTION_THREAD_POOL_SIZE, (unsigned)(o->threads > 1 ? o->threads : 0),
		MHD_OPTION_STRICT_FOR_CLIENT, (int)1,
		MHD_OPTION_CONNECTION_LIMIT, (unsigned)CONN_LIMIT,
		MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)CONN_PER_IP,
		MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)CONN_TIMEOUT,
		MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)CONN_MEMORY,
		MHD_OPTION_URI_LOG_CALLBACK, on_uri, h,
		MHD_OPTION_NOTIFY_COMPLETED, on_completed, h,
		o->tls_cert ? MHD_OPTION_HTTPS_MEM_CERT : MHD_OPTION_END, o->tls_cert,
		MHD_OPTION_HTTPS_MEM_KEY, o->tls_key,
		MHD_OPTION_END);
	if (!h->d) {
		close(h->fd);
		free(h);
		if (o->tls_cert)
			return vci_err_set(err, VCI_EXIT_KEY, "invalid_certificate", "--tls-cert, "
					   "--tls-key: the TLS server did not start (a PEM chain "
					   "and its unencrypted key?)"), NULL;
		return vci_err_set(err, VCI_EXIT_IO, "io_error", "listen: %s: the HTTP server "
				   "did not start", o->listen), NULL;
	}
	return h;
}

const char *vci_http_address(const vci_http_t *h)
{
	return h->address;
}

void vci_http_stop(vci_http_t *h, long wait_ms)
{
	MHD_socket fd;

	if (!h)
		return;
	fd = MHD_quiesce_daemon(h->d);
	if (fd != MHD_INVALID_SOCKET)
		close(fd);
	/* a connection suspended for a store write is always resumed once
	 * the write is done (the store outlives this): stopping MHD with one
	 * suspended is not allowed, so those are waited for past wait_ms */
	for (long waited = 0; (atomic_load(&h->inflight) > 0 && waited < wait_ms) ||
			      (atomic_load(&h->waiting) > 0 && waited < WAIT_MAX_MS);
	     waited += 10) {
		struct timespec ts = { 0, 10 * 1000 * 1000 };

		nanosleep(&ts, NULL);
	}
	MHD_stop_daemon(h->d);
	free(h);
}
