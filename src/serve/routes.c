/* routes.c - the route table: method and path to handler, as
 * libmicrohttpd's post_example keeps its pages[]. Routes are added at
 * start by each endpoint's register function, called from endpoints.c
 * (paths depend on the issuer's path, the vct URLs and the status list
 * URIs); the table is read-only while requests run. */
#include "internal.h"

#include <string.h>
#include <strings.h>

int vci_serve_route_add(vci_serve_t *s, int admin, const char *method, const char *path,
			vci_route_match_t match, const char *ctype, vci_handler_fn fn,
			const void *arg, vci_err_t *err)
{
	struct vci_serve_keep *k = s->keep;
	int t = admin ? 1 : 0;
	vci_route_t *r;

	if (strlen(method) >= sizeof r->method || path[0] != '/')
		return vci_err_set(err, VCI_EXIT_USAGE, "invalid_option", "route %s %s: bad method "
				   "or path", method, path);
	for (size_t i = 0; i < k->nroutes[t]; i++) {
		r = &k->routes[t][i];
		if (!strcmp(r->method, method) && !strcmp(r->path, path))
			return vci_err_set(err, VCI_EXIT_USAGE, "invalid_option", "%s %s: two "
					   "things would be served there", method, path);
	}
	if (k->nroutes[t] == k->cap[t]) {
		size_t cap = k->cap[t] ? 2 * k->cap[t] : 16;
		vci_route_t *n = realloc(k->routes[t], cap * sizeof *n);

		if (!n)
			return vci_err_oom(err);
		k->routes[t] = n;
		k->cap[t] = cap;
	}
	r = &k->routes[t][k->nroutes[t]];
	memset(r, 0, sizeof *r);
	r->path = strdup(path);
	if (!r->path)
		return vci_err_oom(err);
	snprintf(r->method, sizeof r->method, "%s", method);
	r->match = match;
	r->ctype = ctype;
	r->fn = fn;
	r->arg = arg;
	k->nroutes[t]++;
	return 0;
}

/* A pattern's '*' segments match one non-empty segment each. */
static int pattern_matches(const char *pat, const char *path)
{
	while (*pat && *path) {
		if (pat[0] == '*' && (pat[1] == '/' || !pat[1])) {
			size_t n = strcspn(path, "/");

			if (!n)
				return 0;
			path += n;
			pat++;
		} else if (*pat++ != *path++) {
			return 0;
		}
	}
	return !*pat && !*path;
}

static int path_matches(const vci_route_t *r, const char *path)
{
	if (r->match == VCI_ROUTE_PATTERN)
		return pattern_matches(r->path, path);
	if (r->match == VCI_ROUTE_PREFIX)
		return !strncmp(path, r->path, strlen(r->path)) && path[strlen(r->path)];
	return !strcmp(path, r->path);
}

const vci_route_t *vci_serve_route_find(const vci_serve_t *s, int admin, const char *method,
					const char *path, int *path_known)
{
	const struct vci_serve_keep *k = s->keep;
	int t = admin ? 1 : 0;

	*path_known = 0;
	if (!strcmp(method, "HEAD"))
		method = "GET";
	/* exact and pattern routes first: a prefix route is the fallback */
	for (int prefix = 0; prefix < 2; prefix++) {
		for (size_t i = 0; i < k->nroutes[t]; i++) {
			const vci_route_t *r = &k->routes[t][i];

			if ((r->match == VCI_ROUTE_PREFIX) != prefix || !path_matches(r, path))
				continue;
			if (!strcmp(r->method, method))
				return r;
			*path_known = 1;
		}
	}
	return NULL;
}

/* 405 with the methods the path has. */
static void not_allowed(const vci_serve_t *s, const vci_req_t *req, vci_resp_t *resp)
{
	const struct vci_serve_keep *k = s->keep;
	int t = req->admin ? 1 : 0;
	char allow[64] = "";
	size_t n = 0;

	for (size_t i = 0; i < k->nroutes[t]; i++) {
		const vci_route_t *r = &k->routes[t][i];

		if (!path_matches(r, req->path) || strstr(allow, r->method))
			continue;
		n += (size_t)snprintf(allow + n, n < sizeof allow ? sizeof allow - n : 0, "%s%s",
				      n ? ", " : "", r->method);
		if (!strcmp(r->method, "GET"))
			n += (size_t)snprintf(allow + n, n < sizeof allow ? sizeof allow - n : 0,
					      ", HEAD");
	}
	vci_resp_error(resp, 405, "invalid_request", "method not allowed");
	vci_resp_header(resp, "Allow", allow);
}

static int has_header(const vci_resp_t *resp, const char *name)
{
	for (size_t i = 0; i < resp->nheaders; i++)
		if (!strcasecmp(resp->headers[i].name, name))
			return 1;
	return 0;
}

/* dispatch proper, inside the request's hold on the catalog */
/* A handler's write that waits for its commit (vci_serve_wait). */
struct vci_wait {
	vci_wait_start_fn start;
	vci_wait_finish_fn finish;
	void *ctx;
	const vci_route_t *route;
};

/* What every answer of a route gets once its handler is done. */
static void dispatch_done(const vci_route_t *r, vci_resp_t *resp)
{
	if (!resp->status)
		vci_resp_error(resp, 500, "server_error", NULL);
	if (r && r->no_store && !has_header(resp, "Cache-Control"))
		vci_resp_header(resp, "Cache-Control", "no-store");
}

/* Waiting here for a write (a caller without can_wait). */
struct wait_sync {
	pthread_mutex_t mu;
	pthread_cond_t cond;
	int done, ret;
	vci_err_t err;
};

static void wait_sync_done(void *arg, int ret, const vci_err_t *err)
{
	struct wait_sync *w = arg;

	pthread_mutex_lock(&w->mu);
	w->ret = ret;
	if (err)
		w->err = *err;
	w->done = 1;
	pthread_cond_signal(&w->cond);
	pthread_mutex_unlock(&w->mu);
}

void vci_serve_wait(vci_serve_t *s, const vci_req_t *req, vci_resp_t *resp,
		    vci_wait_start_fn start, vci_wait_finish_fn finish, void *ctx)
{
	struct wait_sync w = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, 0, { 0 } };

	if (req->can_wait) {
		resp->wait = calloc(1, sizeof *resp->wait);
		if (resp->wait) {
			resp->wait->start = start;
			resp->wait->finish = finish;
			resp->wait->ctx = ctx;
			return;
		}
	}
	if (start(s, ctx, wait_sync_done, &w, &w.err) < 0) {
		w.ret = -1;
	} else {
		pthread_mutex_lock(&w.mu);
		while (!w.done)
			pthread_cond_wait(&w.cond, &w.mu);
		pthread_mutex_unlock(&w.mu);
	}
	pthread_mutex_destroy(&w.mu);
	pthread_cond_destroy(&w.cond);
	finish(s, req, resp, ctx, w.ret, w.ret < 0 ? &w.err : NULL);
}

int vci_serve_wait_start(vci_serve_t *s, struct vci_wait *w, vci_store_done_fn done, void *arg,
			 vci_err_t *err)
{
	return w->start(s, w->ctx, done, arg, err);
}

void vci_serve_wait_finish(vci_serve_t *s, const vci_req_t *req, vci_resp_t *resp,
			   struct vci_wait *w, int ret, const vci_err_t *err)
{
	vci_req_t copy = *req;

	vci_serve_catalog_enter(s);
	copy.route_arg = w->route ? w->route->arg : NULL;
	w->finish(s, &copy, resp, w->ctx, ret, err);
	dispatch_done(w->route, resp);
	vci_serve_catalog_leave(s);
	free(w);
}

static void dispatch_held(vci_serve_t *s, const vci_req_t *req, vci_resp_t *resp)
{
	const vci_route_t *r;
	vci_req_t copy;
	char ct[64];
	int known;

	r = vci_serve_route_find(s, req->admin, req->method, req->path, &known);
	if (!r && !known && !req->admin && s->keep->unrouted && s->keep->unrouted(s, req, resp))
		return;
	if (!r) {
		if (known)
			not_allowed(s, req, resp);
		else
			vci_resp_error(resp, 404, "not_found", "no such resource");
		return;
	}
	if (r->ctype && strcmp(vci_req_content_type(req, ct, sizeof ct), r->ctype)) {
		char desc[96];

		snprintf(desc, sizeof desc, "expected Content-Type %s", r->ctype);
		vci_resp_error(resp, 415, "invalid_request", desc);
		return;
	}
	copy = *req;
	copy.route_arg = r->arg;
	r->fn(s, &copy, resp);
	if (resp->wait) {
		resp->wait->route = r;
		return; /* vci_serve_wait_finish completes it */
	}
	dispatch_done(r, resp);
}

/* A request sees one definitions catalog from start to end. */
void vci_serve_dispatch(vci_serve_t *s, const vci_req_t *req, vci_resp_t *resp)
{
	vci_serve_catalog_enter(s);
	dispatch_held(s, req, resp);
	vci_serve_catalog_leave(s);
}
