/* test-serve.c - vci-serve's request and response helpers, route table,
 * settings, access log and offer import, without a socket. */
#include "tap.h"
#include "serve/internal.h"
#include "oid4vci/offer.h"
#include "oid4vci/statuslist.h"

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
	tap_ok(r.nheaders == 1 && !strcmp(r.headers[0].name, "Retry-After") &&
	       !strcmp(r.headers[0].value, VCI_SERVE_RETRY_AFTER),
	       "503: Retry-After (the request may be sent again)");
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

	/* --db and --offer-key */
	vci_serve_config_init(&c);
	tap_is_int(vci_serve_config_set(&c, "db", "postgresql://u:secret@h/db", 0, &err), 0,
		   "--db: a PostgreSQL URL");
	tap_is_int(vci_serve_config_set(&c, "db", "pg:host=/run/pg dbname=vci", 0, &err), 0,
		   "--db: a libpq connection string");
	tap_ok(vci_serve_config_set(&c, "db", "mysql://u:secret@h/db", 0, &err) == -1 &&
	       err.status == VCI_EXIT_USAGE && !strstr(err.msg, "secret"),
	       "--db: another URL refused, not repeated (%s)", err.msg);
	vci_serve_config_clear(&c);
	vci_serve_config_init(&c);
	vci_serve_config_set(&c, "issuer", "https://issuer.example", 0, &err);
	vci_serve_config_set(&c, "defn", "d.json", 0, &err);
	vci_serve_config_set(&c, "key", "k.pem", 0, &err);
	vci_serve_config_set(&c, "kid", "k1", 0, &err);
	vci_serve_config_set(&c, "state", "/tmp/x", 0, &err);
	vci_serve_config_set(&c, "offer-key", "/tmp/x/offer.key", 0, &err);
	tap_ok(vci_serve_config_check(&c, &err) == -1 && strstr(err.msg, "--offer-key is for --db"),
	       "--offer-key without --db refused (%s)", err.msg);
	vci_serve_config_set(&c, "db", "postgresql:///vci", 0, &err);
	tap_is_int(vci_serve_config_check(&c, &err), 0, "--db with --state and --offer-key");
	c.state = NULL;
	tap_ok(vci_serve_config_check(&c, &err) == -1 && strstr(err.msg, "key files"),
	       "--db: run still needs --state for the key files (%s)", err.msg);
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
	text = tap_slurp(path, NULL);
	tap_ok(text && !strstr(text, "SECRET"), "no secret in the log");
	tap_ok(text && strstr(text, "\"error\":\"invalid_grant\""), "error code logged");
	tap_ok(text && strstr(text, "\"path\":\"/offers/*\""), "offer ids are not logged");
	tap_ok(text && strstr(text, "\"status\":400") && strstr(text, "\"method\":\"POST\""),
	       "status and method logged");
	free(text);

	unlink(path); /* as logrotate moves it away */
	tap_is_int(vci_serve_log_reopen(s, &err), 0, "reopened (SIGHUP)");
	vci_resp_json(&resp, 200, json_object());
	vci_serve_log_request(s, &req, &resp, 0.25);
	vci_resp_clear(&resp);
	text = tap_slurp(path, NULL);
	tap_ok(text && strchr(text, '\n') == text + strlen(text) - 1, "a new file, one line");
	free(text);
	vci_serve_free(s);
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

/* A server with pid.json (a token status list) and a list file. */
static vci_serve_t *status_server(const char *list, vci_err_t *err)
{
	vci_serve_t *s = vci_serve_alloc(err);
	const char *spec[] = { list };

	s->issuer = "https://issuer.example/t";
	s->base_path = "/t";
	s->keep->alg = "ES256";
	s->kid = "k1";
	s->key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	if (vci_defn_load(tap_srcpath("examples/definitions/pid.json"), &s->defs, &s->ndefs, err) < 0 ||
	    vci_serve_status_open(s, spec, 1, err) < 0 || vci_status_register(s, err) < 0) {
		vci_serve_free(s);
		return NULL;
	}
	return s;
}

static unsigned token_status(vci_serve_t *s, uint64_t idx)
{
	vci_req_t req = { .method = "GET", .path = "/t/status/1" };
	vci_resp_t resp = { 0 };
	vci_sl_token_t tok = { 0 };
	vci_err_t err = { 0 };
	unsigned v = 99;

	req.now = vci_time_now();
	vci_serve_dispatch(s, &req, &resp);
	if (resp.status == 200 && !strcmp(resp.content_type, "application/statuslist+jwt") &&
	    vci_statuslist_token_parse((const uint8_t *)resp.body, resp.len, 0, &tok, &err) == 0 &&
	    vci_statuslist_token_verify(&tok, s->key, NULL, req.now, "https://issuer.example/t/status/1",
					&err) == 0)
		vci_statuslist_token_status(&tok, idx, &v, &err);
	vci_statuslist_token_free(&tok);
	vci_resp_clear(&resp);
	return v;
}

static void test_status(void)
{
	char dir[] = "/tmp/test-serve-sl-XXXXXX", list[64], cmd[96];
	vci_err_t err = { 0 };
	vci_statuslist_t *sl;
	vci_serve_t *s;
	json_t *st = NULL, *seen = json_object();
	const vci_defn_t *d;
	uint64_t first = 0;
	int distinct = 1, marked = 1;

	mkdtemp(dir);
	snprintf(list, sizeof list, "%s/tsl", dir);
	sl = vci_statuslist_new(VCI_SL_TSL, 2, 1000, "https://issuer.example/t/status/1", NULL, &err);
	vci_statuslist_create(list, sl, 0, &err);
	vci_statuslist_free(sl);
	s = status_server(list, &err);
	tap_ok(s != NULL, "server with a status list: %s", err.msg);
	if (!s)
		return;
	d = vci_serve_defn(s, "pid");
	tap_ok(d && d->status == VCI_STATUS_TOKEN, "pid has a token status list");
	tap_is_int(vci_serve_status_alloc(s, d, 3, &st, &err), 0, "three entries");
	tap_is_int((long long)json_array_size(st), 3, "an array of three");
	tap_is_str(json_string_value(json_object_get(json_object_get(json_array_get(st, 0),
		   "status_list"), "uri")), "https://issuer.example/t/status/1", "the list's uri");
	first = (uint64_t)json_integer_value(json_object_get(json_object_get(json_array_get(st, 0),
										"status_list"), "idx"));
	json_decref(st);
	/* 150 more, one at a time: the pool is refilled from the file */
	for (int i = 0; i < 150; i++) {
		char k[24];

		if (vci_serve_status_alloc(s, d, 1, &st, &err) < 0) {
			tap_diag("%s", err.msg);
			distinct = 0;
			break;
		}
		snprintf(k, sizeof k, "%lld", json_integer_value(json_object_get(json_object_get(
			 json_array_get(st, 0), "status_list"), "idx")));
		distinct &= !json_object_get(seen, k);
		json_object_set_new(seen, k, json_true());
		json_decref(st);
	}
	tap_ok(distinct, "150 indices, all distinct");
	tap_is_int(vci_serve_status_alloc(s, d, 65, &st, &err), -1, "more than a pool at once");
	sl = vci_statuslist_load(list, &err);
	{
		const char *k;
		json_t *v;

		json_object_foreach(seen, k, v) {
			uint64_t i = strtoull(k, NULL, 10);

			marked &= (sl->alloc_map[i / 8] >> (i % 8)) & 1;
		}
	}
	tap_ok(marked, "every index handed out is marked in the file");
	tap_ok(sl->allocated >= 153, "the file counts them (%llu)", (unsigned long long)sl->allocated);
	vci_statuslist_free(sl);

	/* the published token, before and after a change to the file */
	tap_is_int(token_status(s, first), VCI_SL_VALID, "token: valid");
	{
		vci_sl_lock_t lk;

		vci_statuslist_lock(list, 1, &lk, &err);
		sl = vci_statuslist_load_locked(&lk, list, &err);
		vci_statuslist_set(sl, first, VCI_SL_INVALID, 0, &err);
		vci_statuslist_save(list, sl, &err);
		vci_statuslist_unlock(&lk);
		vci_statuslist_free(sl);
	}
	tap_is_int(token_status(s, first), VCI_SL_INVALID, "token follows the file: invalid");
	vci_serve_free(s);

	/* a restart never hands out an index of before */
	s = status_server(list, &err);
	distinct = 1;
	for (int i = 0; s && i < 100; i++) {
		char k[24];

		if (vci_serve_status_alloc(s, vci_serve_defn(s, "pid"), 1, &st, &err) < 0)
			break;
		snprintf(k, sizeof k, "%lld", json_integer_value(json_object_get(json_object_get(
			 json_array_get(st, 0), "status_list"), "idx")));
		distinct &= !json_object_get(seen, k);
		json_decref(st);
	}
	tap_ok(s && distinct, "after a restart: none of the earlier indices");
	vci_serve_free(s);
	json_decref(seen);

	/* a definition with a status list and no list */
	s = vci_serve_alloc(&err);
	vci_defn_load(tap_srcpath("examples/definitions/pid.json"), &s->defs, &s->ndefs, &err);
	tap_is_int(vci_serve_status_open(s, NULL, 0, &err), -1, "a status list is required");
	tap_ok(strstr(err.msg, "--status-list") != NULL, "message says how: %s", err.msg);
	vci_serve_free(s);
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	tap_is_int(system(cmd), 0, "list removed");
}

int main(void)
{
	test_req();
	test_resp();
	test_routes();
	test_config();
	test_log();
	test_offer_put();
	test_status();
	return tap_done();
}
