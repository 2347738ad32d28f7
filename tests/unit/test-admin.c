/* test-admin.c - the native management API through the route table (no
 * socket) on the serve fixture: a request in flight keeps the definitions
 * catalog it started with while another thread creates and deletes
 * definitions; wallet requests and definition changes run at once from
 * several threads (run it under ASan and TSan); and the parsers of the
 * list query and the action body. */
#include "serve/internal.h"
#include "serve-fixture.h"
#include "tap.h"

#include <pthread.h>
#include <string.h>

static char apikey[64];

static vci_resp_t call(vci_serve_t *s, int admin, const char *method, const char *path,
		       const char *query, const char *body)
{
	vci_req_t r;
	vci_resp_t resp;

	memset(&r, 0, sizeof r);
	memset(&resp, 0, sizeof resp);
	r.method = method;
	r.path = path;
	r.query = query;
	r.body = body;
	r.body_len = body ? strlen(body) : 0;
	r.peer = "127.0.0.1";
	r.now = vci_time_now();
	r.admin = admin;
	r.headers[r.nheaders].name = "x-api-key";
	r.headers[r.nheaders++].value = apikey;
	if (body) {
		r.headers[r.nheaders].name = "Content-Type";
		r.headers[r.nheaders++].value = "application/json";
	}
	vci_serve_dispatch(s, &r, &resp);
	return resp;
}

static int status_of(vci_serve_t *s, int admin, const char *method, const char *path,
		     const char *body)
{
	vci_resp_t r = call(s, admin, method, path, NULL, body);
	int st = r.status;

	vci_resp_clear(&r);
	return st;
}

static int make_key(serve_fixture_t *fx)
{
	uint8_t h[VCI_STORE_HASH];
	char id[VCI_STORE_ID];
	vci_err_t err = { 0 };

	snprintf(apikey, sizeof apikey, "test-admin-key-0123456789");
	vci_store_hash(apikey, strlen(apikey), h);
	return vci_store_apikey_add(fx->s->store, "t", h, fx->now, id, &err) == 0;
}

/* A definition of id `id`: the fixture's card (dc+sd-jwt without key
 * binding or status) under another id and vct. */
static char *defn_text(vci_serve_t *s, const char *id)
{
	const vci_defn_t *card = vci_serve_defn(s, "card");
	json_t *d = card ? json_deep_copy(card->doc) : NULL;
	char vct[128], *text;

	if (!d)
		return NULL;
	snprintf(vct, sizeof vct, "%s/vct/%s", SERVE_FIXTURE_ISSUER, id);
	json_object_set_new(d, "id", json_string(id));
	json_object_set_new(d, "vct", json_string(vct));
	json_object_del(d, "scope");
	text = vci_json_dump(d);
	json_decref(d);
	return text;
}

static size_t ndefs(vci_serve_t *s)
{
	size_t n;

	vci_serve_defs(s, &n);
	return n;
}

struct change {
	vci_serve_t *s;
	const char *method, *path, *body;
	int status;
};

static void *change_main(void *p)
{
	struct change *c = p;

	c->status = status_of(c->s, 1, c->method, c->path, c->body);
	return NULL;
}

static int in_thread(vci_serve_t *s, const char *method, const char *path, const char *body)
{
	struct change c = { s, method, path, body, 0 };
	pthread_t t;

	if (pthread_create(&t, NULL, change_main, &c))
		return -1;
	pthread_join(t, NULL);
	return c.status;
}

/* A request that started before a change keeps its catalog to its end. */
static void test_snapshot(serve_fixture_t *fx)
{
	vci_serve_t *s = fx->s;
	char *extra = defn_text(s, "extra");
	const vci_defn_t *held;
	size_t before = ndefs(s);

	tap_ok(extra != NULL, "a definition to add");
	vci_serve_catalog_enter(s);   /* as dispatch does for a request */
	held = vci_serve_defn(s, "card");
	tap_is_int(in_thread(s, "POST", "/definitions", extra), 201,
		   "POST /definitions from another thread");
	tap_is_int((long)ndefs(s), (long)before, "the request in flight sees its own catalog");
	tap_ok(vci_serve_defn(s, "extra") == NULL, "without the new definition");
	tap_is_int(in_thread(s, "DELETE", "/definitions/extra", NULL), 204,
		   "DELETE /definitions/extra from another thread");
	tap_is_str(held->id, "card", "its definitions stay valid after two changes");
	vci_serve_catalog_leave(s);
	tap_is_int((long)ndefs(s), (long)before, "after it: the current catalog (added, deleted)");
	tap_is_int(status_of(s, 1, "POST", "/definitions", extra), 201, "added again");
	tap_is_int((long)ndefs(s), (long)before + 1, "now served");
	tap_ok(vci_serve_defn(s, "extra") != NULL, "found by id");
	tap_is_int(status_of(s, 0, "GET", "/vct/extra", NULL), 200,
		   "its type metadata at its vct");
	tap_is_int(status_of(s, 1, "DELETE", "/definitions/extra", NULL), 204, "deleted");
	tap_is_int(status_of(s, 0, "GET", "/vct/extra", NULL), 404, "its type metadata gone");
	tap_is_int(status_of(s, 1, "DELETE", "/definitions/card", NULL), 409,
		   "a --defn definition is read-only");
	free(extra);
}

/* Wallet requests read the metadata while definitions come and go. */
struct reader {
	vci_serve_t *s;
	int stop;
	int bad;
	long n;
};

static void *reader_main(void *p)
{
	struct reader *r = p;

	while (!__atomic_load_n(&r->stop, __ATOMIC_ACQUIRE)) {
		vci_resp_t resp = call(r->s, 0, "GET", "/.well-known/openid-credential-issuer",
				       NULL, NULL);
		json_t *md = resp.status == 200 ? json_loadb(resp.body, resp.len, 0, NULL) : NULL;

		if (!json_object_get(json_object_get(md, "credential_configurations_supported"),
				     "card"))
			__atomic_add_fetch(&r->bad, 1, __ATOMIC_RELAXED);
		json_decref(md);
		vci_resp_clear(&resp);
		r->n++;
	}
	return NULL;
}

static void test_concurrent(serve_fixture_t *fx)
{
	struct reader r[3];
	pthread_t t[3];
	char *d = defn_text(fx->s, "churn");
	int fails = 0;

	for (int i = 0; i < 3; i++) {
		memset(&r[i], 0, sizeof r[i]);
		r[i].s = fx->s;
		pthread_create(&t[i], NULL, reader_main, &r[i]);
	}
	for (int i = 0; i < 40; i++) {
		fails += status_of(fx->s, 1, "POST", "/definitions", d) != 201;
		fails += status_of(fx->s, 1, "DELETE", "/definitions/churn", NULL) != 204;
	}
	for (int i = 0; i < 3; i++) {
		__atomic_store_n(&r[i].stop, 1, __ATOMIC_RELEASE);
		pthread_join(t[i], NULL);
		tap_ok(r[i].bad == 0 && r[i].n > 0, "reader %d: %ld metadata documents, all whole",
		       i, r[i].n);
	}
	tap_is_int(fails, 0, "40 creates and deletes while they read");
	free(d);
}

static void test_parsers(void)
{
	vci_manage_query_t q;
	vci_manage_only_t only;
	vci_err_t err = { 0 };
	const char *nd = "{\"a\":1}\n\n  \r\n {\"b\":2} \r\n", *p = nd, *line;
	size_t len;

	tap_is_int(vci_manage_query_parse("state=credential%5Fissued&limit=5&cursor=12.ab&x=1", &q,
					  &err), 0, "query: parsed");
	tap_ok(q.limit == 5 && !strcmp(q.state, "credential_issued") && !strcmp(q.cursor, "12.ab"),
	       "query: decoded, unknown parameters ignored");
	vci_manage_query_clear(&q);
	tap_is_int(vci_manage_query_parse(NULL, &q, &err), 0, "query: none");
	tap_is_int((long)q.limit, VCI_MANAGE_LIMIT, "query: the default limit");
	vci_manage_query_clear(&q);
	tap_is_int(vci_manage_query_parse("limit=1001", &q, &err), -1, "query: limit over 1000");
	tap_is_int(vci_manage_query_parse("limit=0", &q, &err), -1, "query: limit 0");
	tap_is_int(vci_manage_query_parse("limit=-1", &q, &err), -1, "query: limit negative");
	tap_is_int(vci_manage_query_parse("state=a&state=b", &q, &err), -1, "query: twice");
	tap_is_int(vci_manage_query_parse("cursor=%zz", &q, &err), -1, "query: bad escape");
	tap_is_int(err.status, VCI_EXIT_INPUT, "query: errors are input errors");
	tap_is_int(vci_manage_action_parse("", 0, &only, &err), 0, "action: empty body");
	tap_ok(!only.has_idx, "action: every entry");
	tap_is_int(vci_manage_action_parse("{\"idx\":7,\"uri\":\"u\"}", 19, &only, &err), 0,
		   "action: one entry");
	tap_ok(only.has_idx && only.idx == 7 && !strcmp(only.uri, "u"), "action: idx and uri");
	tap_is_int(vci_manage_action_parse("{\"uri\":\"u\"}", 11, &only, &err), -1,
		   "action: uri without idx");
	tap_is_int(vci_manage_action_parse("[1]", 3, &only, &err), -1, "action: not an object");
	line = vci_manage_ndjson_next(&p, nd + strlen(nd), &len);
	tap_ok(line && len == 7 && !strncmp(line, "{\"a\":1}", 7), "ndjson: first line");
	line = vci_manage_ndjson_next(&p, nd + strlen(nd), &len);
	tap_ok(line && len == 7 && !strncmp(line, "{\"b\":2}", 7), "ndjson: blank lines skipped, "
	       "blanks trimmed");
	tap_ok(!vci_manage_ndjson_next(&p, nd + strlen(nd), &len), "ndjson: the end");
	tap_is_str(vci_manage_action_word("revoke"), "invalid", "revoke sets invalid");
	tap_ok(!vci_manage_action_word("frob"), "no other action");
}

int main(void)
{
	serve_fixture_t fx;

	test_parsers();
	if (!serve_fixture_up(&fx)) {
		tap_ok(0, "serve fixture");
		return tap_done();
	}
	tap_ok(make_key(&fx), "an API key");
	test_snapshot(&fx);
	test_concurrent(&fx);
	serve_fixture_down(&fx);
	return tap_done();
}
