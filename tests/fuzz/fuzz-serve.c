/* fuzz-serve.c - libFuzzer target over the server's request path without
 * a socket: the input is split into method, path, query, headers and body
 * (lines up to a blank one, then the body), made into a vci_req_t and run
 * through the route table of a server with test routes and the endpoints
 * that need no keys (health, offer by reference without a store is not
 * routed). Every request must get a status and a well-formed response;
 * error bodies must be JSON. */
#include "serve/serve.h"

#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static vci_serve_t *server;

static void echo(vci_serve_t *s, const vci_req_t *req, vci_resp_t *resp)
{
	char ct[64];
	json_t *j;
	vci_err_t err = { 0 };

	(void)s;
	j = req->body ? vci_json_parse(req->body, req->body_len, "body", &err) : NULL;
	if (!j) {
		vci_resp_err(resp, 0, &err);
		return;
	}
	json_decref(j);
	vci_resp_json(resp, 200, json_pack("{s:s,s:i}", "type",
					     vci_req_content_type(req, ct, sizeof ct),
					     "headers", (int)vci_req_header_count(req, "x-a")));
}

static void setup(void)
{
	vci_err_t err = { 0 };

	server = vci_serve_alloc(&err);
	if (!server)
		__builtin_trap();
	server->issuer = "https://issuer.example/t";
	server->base_path = "/t";
	if (vci_health_register(server, &err) < 0 ||
	    vci_serve_route_add(server, 0, "POST", "/t/echo", VCI_ROUTE_EXACT, "application/json",
				echo, NULL, &err) < 0 ||
	    vci_serve_route_add(server, 0, "GET", "/t/p/", VCI_ROUTE_PREFIX, NULL, echo, NULL,
				&err) < 0)
		__builtin_trap();
}

/* Next line of the input (up to '\n'), NUL-terminated in place. */
static char *line(char **p, char *end)
{
	char *s = *p, *nl;

	if (s >= end)
		return NULL;
	nl = memchr(s, '\n', (size_t)(end - s));
	if (!nl)
		nl = end;
	*nl = '\0';
	*p = nl + 1;
	return s;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = malloc(size + 1), *p = buf, *end = buf + size, *l, *q;
	vci_req_t req = { 0 };
	vci_resp_t resp = { 0 };

	if (!server)
		setup();
	memcpy(buf, data, size);
	buf[size] = '\0';
	req.method = (l = line(&p, end)) ? l : "GET";
	req.path = (l = line(&p, end)) ? l : "/";
	if ((q = strchr(req.path, '?'))) {
		*q = '\0';
		req.query = q + 1;
	}
	while ((l = line(&p, end)) && *l && req.nheaders < VCI_SERVE_HEADERS_MAX) {
		char *colon = strchr(l, ':');

		req.headers[req.nheaders].name = l;
		req.headers[req.nheaders].value = colon ? (*colon = '\0', colon + 1) : "";
		req.nheaders++;
	}
	if (p < end) {
		req.body = p;
		req.body_len = strlen(p);
	}
	req.peer = "127.0.0.1";
	vci_serve_dispatch(server, &req, &resp);
	if (resp.status < 100 || resp.status > 599 || (resp.len && !resp.body))
		__builtin_trap();
	if (resp.status >= 400) {
		json_t *j = json_loadb(resp.body, resp.len, 0, NULL);

		if (!j || !json_is_string(json_object_get(j, "error")))
			__builtin_trap();
		json_decref(j);
	}
	vci_resp_clear(&resp);
	free(buf);
	return 0;
}
