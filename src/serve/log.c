/* log.c - the access log: one JSON line per request. Only what is safe
 * to keep goes in: the path (never the query, which may carry a token),
 * the status, sizes, the time taken (duration_ms) and the error code given to the
 * client. No header, body, code, token, tx_code, nonce or proof. */
#include "internal.h"

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

void vci_serve_log_request(vci_serve_t *s, const vci_req_t *req, const vci_resp_t *resp,
			   double ms)
{
	struct vci_serve_keep *k = s->keep;
	char when[32], path[256];
	struct tm tm;
	time_t now = time(NULL);
	json_t *j;
	char *line;

	if (!k->log)
		return;
	gmtime_r(&now, &tm);
	strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
	log_path(s, req, path, sizeof path);
	j = json_pack("{s:s,s:s?,s:s?,s:s?,s:i,s:I,s:f}", "time", when, "peer", req->peer,
		      "method", req->method, "path", path, "status", resp->status,
		      "bytes", (json_int_t)resp->len, "duration_ms", ms);
	if (!j)
		return;
	if (req->admin)
		json_object_set_new(j, "listener", json_string("admin"));
	if (resp->error[0])
		json_object_set_new(j, "error", json_string(resp->error));
	line = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(4));
	json_decref(j);
	if (!line)
		return;
	pthread_mutex_lock(&k->log_lock);
	fprintf(k->log, "%s\n", line);
	pthread_mutex_unlock(&k->log_lock);
	free(line);
}
