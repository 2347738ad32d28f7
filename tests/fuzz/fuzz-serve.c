/* fuzz-serve.c - libFuzzer target over the server's request path without
 * a socket: the input is split into method, path, query, headers and body
 * (lines up to a blank one, then the body), made into a vci_req_t and run
 * through the route table of a server with test routes and the endpoints
 * that need neither keys nor a store: health, the well-known documents
 * (Accept negotiation included) and type metadata of a definition built
 * in. Every request must get a status and a well-formed response; error
 * bodies must be JSON. */
#include "serve/internal.h"
#include "oid4vci/metadata.h"

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

static const char defn[] =
	"{\"id\":\"pid\",\"format\":\"dc+sd-jwt\",\"vct\":\"https://issuer.example/t/vct/pid\","
	"\"display\":[{\"name\":\"PID\",\"locale\":\"en\"}],"
	"\"claims\":[{\"path\":[\"given_name\"],\"mandatory\":true}]}";

/* The documents server.c would make, without a key. */
static void documents(vci_serve_t *s)
{
	vci_metadata_opts_t o = { .issuer = "https://issuer.example/t" };
	vci_err_t err = { 0 };
	json_t *doc = json_loads(defn, 0, NULL);

	s->defs = calloc(1, sizeof *s->defs);
	s->defs[0] = vci_defn_new(doc, &err);
	json_decref(doc);
	if (!s->defs[0])
		__builtin_trap();
	s->ndefs = 1;
	s->metadata = vci_metadata_build(s->defs, 1, &o, &err);
	o.draft13 = 1;
	s->keep->metadata13 = vci_metadata_build(s->defs, 1, &o, &err);
	s->keep->signed_metadata = strdup("eyJhbGciOiJFUzI1NiJ9.e30.c2ln");
	s->keep->as_metadata = json_pack("{s:s}", "issuer", s->issuer);
	s->keep->jwt_vc_issuer = json_pack("{s:s,s:{s:[]}}", "issuer", s->issuer, "jwks", "keys");
	if (!s->metadata || !s->keep->metadata13)
		__builtin_trap();
}

static void setup(void)
{
	vci_err_t err = { 0 };

	server = vci_serve_alloc(&err);
	if (!server)
		__builtin_trap();
	server->issuer = "https://issuer.example/t";
	server->base_path = "/t";
	documents(server);
	if (vci_health_register(server, &err) < 0 || vci_wellknown_register(server, &err) < 0 ||
	    vci_typemeta_register(server, &err) < 0 ||
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
