/* log.c - the access log: one JSON line per request. Only what is safe
 * to keep goes in: the path (never the query, which may carry a token),
 * the status, sizes, the time taken (duration_ms) and the error code given to the
 * client. No header, body, code, token, tx_code, nonce or proof. */
#include "internal.h"
#include "base/buf.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <time.h>

/* Opened with O_CLOEXEC itself (not by trusting fopen's "e"): the
 * claims hook's child must not inherit the log. */
static FILE *open_log(const char *path, vci_err_t *err)
{
	FILE *f;
	int fd, e;

	if (!path)
		return stderr;
	fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY, 0666);
	f = fd >= 0 ? fdopen(fd, "a") : NULL;
	if (!f) {
		e = errno;
		if (fd >= 0)
			close(fd);
		return vci_err_set(err, VCI_EXIT_IO, "io_error", "--log: %s: %s", path,
				   strerror(e)), NULL;
	}
	setvbuf(f, NULL, _IOLBF, 0);
	return f;
}

int vci_serve_log_open(vci_serve_t *s, const char *path, vci_err_t *err)
{
	struct vci_serve_keep *k = s->keep;
	FILE *f;
	char *p = NULL;

	if (path && strcmp(path, "-")) {
		p = strdup(path);
		if (!p)
			return vci_err_oom(err);
	}
	f = open_log(p, err);
	if (!f) {
		free(p);
		return -1;
	}
	pthread_mutex_lock(&k->log_lock);
	if (k->log && k->log != stderr)
		fclose(k->log);
	free(k->log_path);
	k->log = f;
	k->log_path = p;
	pthread_mutex_unlock(&k->log_lock);
	return 0;
}

int vci_serve_log_reopen(vci_serve_t *s, vci_err_t *err)
{
	struct vci_serve_keep *k = s->keep;
	FILE *f;

	if (!k->log_path)
		return 0;
	f = open_log(k->log_path, err);
	if (!f)
		return -1; /* the old file stays in use */
	pthread_mutex_lock(&k->log_lock);
	if (k->log && k->log != stderr)
		fclose(k->log);
	k->log = f;
	pthread_mutex_unlock(&k->log_lock);
	return 0;
}

/* The path as logged: printable ASCII, at most 200 bytes, and for a
 * prefix route (P/offers/ID: the id fetches an offer and its code) only
 * the route's prefix and "*". */
static void log_path(const vci_serve_t *s, const vci_req_t *req, char *out, size_t size)
{
	const char *p = req->path ? req->path : "";
	const vci_route_t *r;
	size_t n = 0;
	int known;

	r = req->method ? vci_serve_route_find(s, req->admin, req->method, p, &known) : NULL;
	if (r && r->match == VCI_ROUTE_PREFIX) {
		snprintf(out, size, "%s*", r->path);
		return;
	}
	for (; *p && n + 1 < size && n < 200; p++)
		out[n++] = *p > 0x20 && *p < 0x7f ? *p : '?';
	out[n] = '\0';
}

/* The duration as jansson writes a real with JSON_REAL_PRECISION(4):
 * "%.4g", ".0" added to an integral value, the exponent without '+' and
 * leading zeros (12.35, 3.0, 1.235e4). */
static void log_ms(vci_buf_t *b, double ms)
{
	char num[48], out[48], *e;
	size_t n = 0;

	snprintf(num, sizeof num, "%.4g", ms);
	e = strchr(num, 'e');
	for (const char *p = num; *p && (!e || p <= e); p++)
		out[n++] = *p;
	if (!e && !strchr(num, '.')) {
		out[n++] = '.';
		out[n++] = '0';
	}
	if (e) {
		const char *x = e + 1;

		if (*x == '+')
			x++;
		else if (*x == '-')
			out[n++] = *x++;
		while (*x == '0' && x[1])
			x++;
		while (*x)
			out[n++] = *x++;
	}
	vci_buf_addn(b, out, n);
}

static void log_member(vci_buf_t *b, const char *name, const char *value)
{
	vci_buf_addf(b, ",\"%s\":", name);
	vci_buf_json_str(b, value, strlen(value));
}

/* One JSON line, written by hand into one buffer: the members of
 * {time, peer, method, path, status, bytes, duration_ms, listener, error}
 * in that order, as jansson would write them (JSON_COMPACT). */
void vci_serve_log_request(vci_serve_t *s, const vci_req_t *req, const vci_resp_t *resp,
			   double ms)
{
	struct vci_serve_keep *k = s->keep;
	char when[32], path[256], line[1024];
	vci_buf_t b = VCI_BUF_FIXED(line);
	struct tm tm;
	time_t now = time(NULL);

	if (!k->log)
		return;
	gmtime_r(&now, &tm);
	strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
	log_path(s, req, path, sizeof path);
	vci_buf_addf(&b, "{\"time\":\"%s\"", when);
	if (req->peer)
		log_member(&b, "peer", req->peer);
	if (req->method) /* a method of any length comes in: its first 64 bytes */
		vci_buf_adds(&b, ",\"method\":"),
		vci_buf_json_str(&b, req->method, strnlen(req->method, 64));
	log_member(&b, "path", path);
	vci_buf_addf(&b, ",\"status\":%d,\"bytes\":%zu,\"duration_ms\":", resp->status,
		     resp->len);
	log_ms(&b, ms);
	if (req->admin)
		log_member(&b, "listener", "admin");
	if (resp->error[0])
		log_member(&b, "error", resp->error);
	vci_buf_adds(&b, "}\n");
	if (b.failed)
		return;
	pthread_mutex_lock(&k->log_lock);
	fwrite(b.p, 1, b.len, k->log);
	pthread_mutex_unlock(&k->log_lock);
}
