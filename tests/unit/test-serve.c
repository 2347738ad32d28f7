/* test-serve.c - vci-serve's request and response helpers, route table,
 * settings, access log and offer import, without a socket. */
#include "tap.h"
#include "serve/serve.h"
#include "oid4vci/offer.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

static void hello(vci_serve_t *s, const vci_req_t *req, vci_resp_t *resp)
{
	(void)s;
	vci_resp_json(resp, 200, json_pack("{s:s,s:s?}", "path", req->path, "arg",
					     (const char *)req->route_arg));
}

static void silent(vci_serve_t *s, const vci_req_t *req, vci_resp_t *resp)
{
	(void)s;
	(void)req;
	(void)resp; /* fills nothing: the router must answer 500 */
}

static void test_req(void)
{
	vci_req_t r = { 0 };
	char ct[32];

	r.headers[0].name = "content-type";
	r.headers[0].value = "  Application/JSON ; charset=utf-8";
	r.headers[1].name = "DPoP";
	r.headers[1].value = "a";
	r.headers[2].name = "dpop";
	r.headers[2].value = "b";
	r.nheaders = 3;
	tap_is_str(vci_req_header(&r, "Content-Type"), r.headers[0].value, "header by any case");
	tap_is_str(vci_req_header(&r, "DPOP"), "a", "first value of a repeated header");
	tap_is_int((long long)vci_req_header_count(&r, "dpop"), 2, "repeated header counted");
	tap_ok(vci_req_header(&r, "Authorization") == NULL, "missing header is NULL");
	tap_is_str(vci_req_content_type(&r, ct, sizeof ct), "application/json",
		   "media type lower-cased, parameters dropped");
	r.nheaders = 0;
	tap_is_str(vci_req_content_type(&r, ct, sizeof ct), "", "no Content-Type: empty");
}

static void test_resp(void)
{
	vci_resp_t r = { 0 };
	vci_err_t err = { 0 };
	json_t *j;

	vci_resp_error(&r, 400, "invalid_grant", "bad \"code\"\n\xc3\xa9");
	j = json_loadb(r.body, r.len, 0, NULL);
	tap_is_int(r.status, 400, "error status");
	tap_is_str(r.content_type, "application/json", "error is JSON");
	tap_is_str(json_string_value(json_object_get(j, "error")), "invalid_grant", "error code");
	tap_is_str(json_string_value(json_object_get(j, "error_description")), "bad ?code????",
		   "description: ASCII without quote, backslash or controls");
	tap_is_str(r.error, "invalid_grant", "error code kept for the log");
	json_decref(j);
	vci_resp_clear(&r);

	vci_err_set(&err, VCI_EXIT_FAIL, "invalid_proof", "proof: bad signature");
	vci_resp_err(&r, 0, &err);
	tap_is_int(r.status, 400, "failure class: 400");
	vci_resp_clear(&r);
	vci_err_set(&err, VCI_EXIT_IO, "io_error", "database: /secret/path locked");
	vci_resp_err(&r, 0, &err);
	tap_is_int(r.status, 503, "I/O class: 503");
	tap_ok(!strstr(r.body, "secret") && strstr(r.body, "server_error"),
	       "a server fault says nothing of the server");
	tap_is_str(r.error, "io_error", "but the log keeps its code");
	vci_resp_clear(&r);
	vci_err_set(&err, VCI_EXIT_KEY, "invalid_key", "key");
	vci_resp_err(&r, 0, &err);
	tap_is_int(r.status, 500, "key class: 500");
	vci_resp_clear(&r);

	tap_is_int(vci_resp_bytes(&r, 200, "application/jwt", "a.b.c", 5), 0, "bytes");
	tap_is_int((long long)r.len, 5, "length");
	tap_is_int(vci_resp_header(&r, "Cache-Control", "no-store"), 0, "header added");
	tap_is_str(r.headers[0].value, "no-store", "header value");
	vci_resp_clear(&r);
	tap_ok(r.body == NULL && r.nheaders == 0 && r.status == 0, "cleared");
}

static vci_resp_t run(vci_serve_t *s, const char *method, const char *path, const char *ctype)
{
	vci_req_t req = { 0 };
	vci_resp_t resp = { 0 };

	req.method = method;
	req.path = path;
	if (ctype) {
		req.headers[0].name = "Content-Type";
		req.headers[0].value = ctype;
		req.nheaders = 1;
	}
	vci_serve_dispatch(s, &req, &resp);
	return resp;
}

static const char *allow(const vci_resp_t *r)
{
	for (size_t i = 0; i < r->nheaders; i++)
		if (!strcmp(r->headers[i].name, "Allow"))
			return r->headers[i].value;
	return NULL;
}

static void test_routes(void)
{
	vci_err_t err = { 0 };
	vci_serve_t *s = vci_serve_alloc(&err);
	vci_resp_t r;

	s->issuer = "https://issuer.example/t";
	s->base_path = "/t";
	tap_is_int(vci_serve_route_add(s, 0, "GET", "/t/hello", VCI_ROUTE_EXACT, NULL, hello,
				       "arg1", &err), 0, "route added");
	vci_serve_route_add(s, 0, "POST", "/t/hello", VCI_ROUTE_EXACT, "application/json", hello,
			    NULL, &err);
	vci_serve_route_add(s, 0, "GET", "/t/files/", VCI_ROUTE_PREFIX, NULL, hello, NULL, &err);
	vci_serve_route_add(s, 0, "GET", "/t/silent", VCI_ROUTE_EXACT, NULL, silent, NULL, &err);
	vci_serve_route_add(s, 1, "POST", "/admin", VCI_ROUTE_EXACT, NULL, hello, NULL, &err);
	tap_is_int(vci_serve_route_add(s, 0, "GET", "/t/hello", VCI_ROUTE_EXACT, NULL, hello,
				       NULL, &err), -1, "a method and path twice refused");

	r = run(s, "GET", "/t/hello", NULL);
	tap_is_int(r.status, 200, "exact route");
	tap_ok(r.body && strstr(r.body, "\"arg\":\"arg1\""), "route argument reaches the handler");
	vci_resp_clear(&r);
	r = run(s, "HEAD", "/t/hello", NULL);
	tap_is_int(r.status, 200, "HEAD is GET");
	vci_resp_clear(&r);
	r = run(s, "DELETE", "/t/hello", NULL);
	tap_is_int(r.status, 405, "wrong method: 405");
	tap_is_str(allow(&r), "GET, HEAD, POST", "Allow lists the path's methods");
	tap_ok(r.body && strstr(r.body, "\"error\""), "405 body is a JSON error");
	vci_resp_clear(&r);
	r = run(s, "POST", "/t/hello", "text/plain");
	tap_is_int(r.status, 415, "wrong content type: 415");
	vci_resp_clear(&r);
	r = run(s, "POST", "/t/hello", NULL);
	tap_is_int(r.status, 415, "no content type: 415");
	vci_resp_clear(&r);
	r = run(s, "POST", "/t/hello", "application/json; charset=UTF-8");
	tap_is_int(r.status, 200, "content type with parameters accepted");
	vci_resp_clear(&r);
	r = run(s, "GET", "/t/files/a/b", NULL);
	tap_is_int(r.status, 200, "prefix route");
	vci_resp_clear(&r);
	r = run(s, "GET", "/t/files/", NULL);
	tap_is_int(r.status, 404, "prefix alone is not a match");
	vci_resp_clear(&r);
	r = run(s, "GET", "/t/hello/", NULL);
	tap_is_int(r.status, 404, "unknown path: 404");
	tap_is_str(r.content_type, "application/json", "404 is JSON");
	vci_resp_clear(&r);
	r = run(s, "GET", "/t/silent", NULL);
	tap_is_int(r.status, 500, "a handler that answers nothing: 500");
	vci_resp_clear(&r);
	r = run(s, "POST", "/admin", NULL);
	tap_is_int(r.status, 404, "management routes are not on the wallet listener");
	vci_resp_clear(&r);
	{
		vci_req_t req = { .method = "POST", .path = "/admin", .admin = 1 };
		vci_resp_t resp = { 0 };

		vci_serve_dispatch(s, &req, &resp);
		tap_is_int(resp.status, 200, "management route on the management listener");
		vci_resp_clear(&resp);
	}
	tap_is_int(vci_health_register(s, &err), 0, "health registered");
	r = run(s, "GET", "/health", NULL);
	tap_is_int(r.status, 200, "health without a store");
	tap_ok(r.body && !strcmp(r.body, "{\"status\":\"ok\"}"), "health body");
	vci_resp_clear(&r);
	vci_serve_free(s);
}

static void test_config(void)
{
	vci_serve_config_t c;
	vci_err_t err = { 0 };
	char path[] = "/tmp/test-serve-cfg-XXXXXX";
	FILE *f;
	int fd;

	vci_serve_config_init(&c);
	tap_is_str(c.listen, "127.0.0.1:8080", "default listen");
	tap_is_int(c.token_ttl, 300, "default token ttl");
	tap_is_int(c.batch_size, 10, "default batch size");
	tap_is_int(vci_serve_config_set(&c, "token-ttl", "0", 0, &err), -1, "ttl 0 refused");
	tap_is_int(err.status, VCI_EXIT_USAGE, "a usage error");
	tap_ok(strstr(err.msg, "--token-ttl") != NULL, "message names the option: %s", err.msg);
	tap_is_int(vci_serve_config_set(&c, "token-ttl", "12x", 0, &err), -1, "not a number");
	tap_is_int(vci_serve_config_set(&c, "dpop", "sometimes", 0, &err), -1, "bad dpop mode");
	tap_is_int(vci_serve_config_set(&c, "listen", "8080", 0, &err), -1, "listen needs ADDR:");
	tap_is_int(vci_serve_config_set(&c, "listen", "[::1]:0", 0, &err), 0, "IPv6 listen");
	tap_is_int(vci_serve_config_set(&c, "bogus", "1", 0, &err), -1, "unknown setting");
	tap_is_int(vci_serve_config_set(&c, "defn", "cmd.json", 0, &err), 0, "defn from cmdline");
	tap_is_int(vci_serve_config_set(&c, "nonce-ttl", "60", 0, &err), 0, "nonce ttl set");

	fd = mkstemp(path);
	f = fdopen(fd, "w");
	fprintf(f, "# settings\n\nissuer = https://issuer.example\n  nonce-ttl=99\n"
		   "defn = file.json\nkey = \"k.pem\"\ndpop-nonce = yes\ndpop = required\n");
	fclose(f);
	tap_is_int(vci_serve_config_file(&c, path, &err), 0, "config file read");
	tap_is_str(c.issuer, "https://issuer.example", "issuer from the file");
	tap_is_str(c.key, "k.pem", "quoted value");
	tap_is_int(c.nonce_ttl, 60, "the command line wins");
	tap_is_int((long long)c.ndefn, 1, "a list the command line gave is kept");
	tap_is_str(c.defn[0], "cmd.json", "and not extended by the file");
	tap_is_int(c.dpop_nonce, 1, "flag from the file");
	tap_is_int(c.dpop, VCI_DPOP_REQUIRED, "dpop from the file");

	f = fopen(path, "w");
	fprintf(f, "issuer = x\nthis line is wrong\n");
	fclose(f);
	tap_is_int(vci_serve_config_file(&c, path, &err), -1, "bad line refused");
	tap_ok(strstr(err.msg, ":2:") != NULL, "message names the line: %s", err.msg);
	f = fopen(path, "w");
	fprintf(f, "config = other\n");
	fclose(f);
	tap_is_int(vci_serve_config_file(&c, path, &err), -1, "a file cannot include another");
	unlink(path);
	tap_is_int(vci_serve_config_file(&c, path, &err), -1, "missing file");
	tap_is_int(err.status, VCI_EXIT_IO, "is an I/O error");
	vci_serve_config_clear(&c);

	vci_serve_config_init(&c);
	tap_is_int(vci_serve_config_check(&c, &err), -1, "issuer required");
	vci_serve_config_clear(&c);
}

static void test_log(void)
{
	vci_err_t err = { 0 };
	vci_serve_t *s = vci_serve_alloc(&err);
	char path[] = "/tmp/test-serve-log-XXXXXX";
	vci_req_t req = { 0 };
	vci_resp_t resp = { 0 };
	char *text;
	int fd = mkstemp(path);

	close(fd);
	s->base_path = "";
	vci_serve_route_add(s, 0, "GET", "/offers/", VCI_ROUTE_PREFIX, NULL, hello, NULL, &err);
	tap_is_int(vci_serve_log_open(s, path, &err), 0, "log opened");
	req.method = "POST";
	req.path = "/token";
	req.query = "access_token=SECRETQUERY";
	req.body = "pre-authorized_code=SECRETCODE&tx_code=493536";
	req.body_len = strlen(req.body);
	req.headers[0].name = "DPoP";
	req.headers[0].value = "SECRETPROOF";
	req.nheaders = 1;
	req.peer = "127.0.0.1";
	vci_resp_error(&resp, 400, "invalid_grant", "code SECRETCODE is wrong");
	vci_serve_log_request(s, &req, &resp, 1.5);
	vci_resp_clear(&resp);
	req.method = "GET";
	req.path = "/offers/SECRETOFFERID";
	vci_resp_json(&resp, 200, json_object());
	vci_serve_log_request(s, &req, &resp, 0.25);
	vci_resp_clear(&resp);
	unlink(path);
	tap_is_int(vci_serve_log_reopen(s, &err), 0, "reopened (SIGHUP)");
	vci_serve_log_request(s, &req, &resp, 0.25);
	text = tap_slurp(path, NULL);
	tap_ok(text != NULL, "reopen made a new file");
	free(text);
	vci_serve_free(s);
	/* the first file was removed: read what the first two lines said from
	 * a fresh server writing to a new file */
	s = vci_serve_alloc(&err);
	s->base_path = "";
	vci_serve_route_add(s, 0, "GET", "/offers/", VCI_ROUTE_PREFIX, NULL, hello, NULL, &err);
	vci_serve_log_open(s, path, &err);
	req.method = "POST";
	req.path = "/token";
	vci_resp_error(&resp, 400, "invalid_grant", "code SECRETCODE is wrong");
	vci_serve_log_request(s, &req, &resp, 1.5);
	vci_resp_clear(&resp);
	req.method = "GET";
	req.path = "/offers/SECRETOFFERID";
	vci_resp_json(&resp, 200, json_object());
	vci_serve_log_request(s, &req, &resp, 0.25);
	vci_resp_clear(&resp);
	vci_serve_free(s);
	text = tap_slurp(path, NULL);
	tap_ok(text && !strstr(text, "SECRET"), "no secret in the log");
	tap_ok(text && strstr(text, "\"error\":\"invalid_grant\""), "error code logged");
	tap_ok(text && strstr(text, "\"path\":\"/offers/*\""), "offer ids are not logged");
	tap_ok(text && strstr(text, "\"status\":400") && strstr(text, "\"method\":\"POST\""),
	       "status and method logged");
	tap_diag("%s", text ? text : "(none)");
	free(text);
	unlink(path);
}

/* An offer record as vci-offer writes it. */
static json_t *offer_record(int tx)
{
	vci_offer_params_t p = { 0 };
	vci_offer_t o = { 0 };
	vci_err_t err = { 0 };
	const char *ids[] = { "pid" };
	json_t *rec;

	p.issuer = "https://issuer.example";
	p.config_ids = ids;
	p.n_config_ids = 1;
	p.tx_code = tx;
	p.tx_length = 6;
	if (vci_offer_build(&p, &o, &err) < 0)
		return NULL;
	rec = json_pack("{s:s,s:O,s:s,s:I,s:{s:s}}", "offer_id", "offer1", "credential_offer",
			o.offer, "pre_authorized_code", o.pre_authorized_code, "expires_at",
			(json_int_t)(vci_time_now() + 600), "claims", "given_name", "Erika");
	if (tx)
		json_object_set_new(rec, "tx_code", json_string(o.tx_code));
	vci_offer_clear(&o);
	return rec;
}

static void test_offer_put(void)
{
	char dir[] = "/tmp/test-serve-state-XXXXXX";
	vci_err_t err = { 0 };
	vci_store_t *st;
	json_t *rec;
	char *offer = NULL, cmd[128];
	int64_t now = vci_time_now();

	if (!mkdtemp(dir) || !(st = vci_store_open(dir, &err))) {
		tap_ok(0, "store opened: %s", err.msg);
		return;
	}
	rec = offer_record(1);
	tap_is_int(vci_serve_offer_put(st, rec, 5, now, &err), 0, "offer stored");
	if (err.msg[0])
		tap_diag("%s", err.msg);
	tap_is_int(vci_serve_offer_put(st, rec, 5, now, &err), VCI_STORE_EXISTS, "twice: exists");
	tap_is_int(vci_store_offer_get(st, "offer1", now, &offer, &err), 0, "offer by reference");
	tap_ok(offer && strstr(offer, "pre-authorized_code"), "the served offer has the code");
	free(offer);
	json_object_del(rec, "tx_code");
	json_object_set_new(rec, "offer_id", json_string("offer2"));
	tap_is_int(vci_serve_offer_put(st, rec, 5, now, &err), -1, "tx_code asked but missing");
	json_object_set_new(rec, "pre_authorized_code", json_string("other"));
	json_object_set_new(rec, "tx_code", json_string("123456"));
	tap_is_int(vci_serve_offer_put(st, rec, 5, now, &err), -1, "code not the offer's");
	tap_is_str(err.code, "invalid_request", "invalid_request");
	json_decref(rec);
	rec = offer_record(0);
	json_object_set_new(rec, "offer_id", json_string("offer3"));
	json_object_set_new(rec, "expires_at", json_integer(now - 1));
	tap_is_int(vci_serve_offer_put(st, rec, 5, now, &err), -1, "expired record refused");
	json_object_set_new(rec, "expires_at", json_integer(now + 60));
	json_object_set_new(rec, "offer_id", json_string("bad id!"));
	tap_is_int(vci_serve_offer_put(st, rec, 5, now, &err), -1, "bad offer id refused");
	json_object_set_new(rec, "offer_id", json_string("offer3"));
	json_object_set_new(rec, "error", json_string("x"));
	tap_is_int(vci_serve_offer_put(st, rec, 5, now, &err), -1, "error record refused");
	json_object_del(rec, "error");
	json_object_del(rec, "credential_offer");
	tap_is_int(vci_serve_offer_put(st, rec, 5, now, &err), -1, "record without an offer");
	json_decref(rec);
	vci_store_close(st);
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	tap_is_int(system(cmd), 0, "state removed");
}

int main(void)
{
	test_req();
	test_resp();
	test_routes();
	test_config();
	test_log();
	test_offer_put();
	return tap_done();
}
