/* fuzz-deferred.c - libFuzzer target over the request bodies of deferred
 * issuance and webhooks, without a socket: the first byte picks what the
 * rest is.
 *   'd' the body of POST /deferred_credential, handed to its handler
 *       (vci_h_deferred) with a valid Bearer token of a server set up once
 *       (serve-fixture.h): the answer is a 400 JSON error (no request of
 *       the token is deferred), never 401, 2xx or 5xx
 *   'c' the body of POST /exchanges/{id}/claims (and /deny when the body
 *       starts with a space), dispatched on the management listener with
 *       an API key for an exchange that has no deferred request: 400 or
 *       404, with a JSON error
 *   'w' a POST /webhooks body's url, events and format checked
 *       (vci_serve_webhook_check), and an event's data rendered and
 *       signed as the worker sends it (vci_serve_webhook_render): a body
 *       that is JSON and a signature "t=TS,v1=" + 64 hex digits */
#include "fuzz-fixture.h"

#include <string.h>

#define API_KEY "fuzz-deferred-api-key-0123456789"

static serve_fixture_t *fx;

static void up(void)
{
	uint8_t h[VCI_STORE_HASH];
	char id[VCI_STORE_ID];
	vci_err_t err = { 0 };

	fx = fuzz_server("pid");
	vci_store_hash(API_KEY, strlen(API_KEY), h);
	if (vci_store_apikey_add(fx->s->store, "fuzz", h, fx->now, id, &err) != 0)
		__builtin_trap();
}

static void deferred(const char *s, size_t len)
{
	vci_req_t req;
	vci_resp_t resp = { 0 };

	fuzz_post(&req, "/deferred_credential", s, len, "application/json", "Authorization",
		  fuzz_bearer);
	vci_h_deferred(fx->s, &req, &resp);
	if (resp.status != 400 || !fuzz_json_string(&resp, "error"))
		__builtin_trap();
	vci_resp_clear(&resp);
}

static void claims(const char *s, size_t len)
{
	vci_req_t req;
	vci_resp_t resp = { 0 };
	int deny = len && s[0] == ' ';

	fuzz_post(&req, deny ? "/exchanges/no-such-exchange/deny" :
		  "/exchanges/no-such-exchange/claims", s, len, "application/json", "x-api-key",
		  API_KEY);
	req.admin = 1;
	vci_serve_dispatch(fx->s, &req, &resp);
	if ((resp.status != 400 && resp.status != 404) || !fuzz_json_string(&resp, "error"))
		__builtin_trap();
	vci_resp_clear(&resp);
}

static void webhook(const char *s, size_t len)
{
	json_t *doc = json_loadb(s, len, 0, NULL);
	vci_store_delivery_t d = { 0 };
	vci_err_t err = { 0 };
	char sig[128], *body = NULL;
	const char *format = json_string_value(json_object_get(doc, "format"));

	vci_serve_webhook_check(json_string_value(json_object_get(doc, "url")),
				json_object_get(doc, "events"), format, &err);
	snprintf(d.event_id, sizeof d.event_id, "evt_fuzz");
	snprintf(d.type, sizeof d.type, "%s", len && s[0] & 1 ? "credential.failure" :
		 "offer.created");
	snprintf(d.offer_id, sizeof d.offer_id, "offer-1");
	snprintf(d.format, sizeof d.format, "%s", len && s[0] & 2 ? "eudi-connector" : "native");
	d.data = (char *)s;
	d.secret = (char *)"0123456789abcdef";
	if (vci_serve_webhook_render(&d, 1700000000, &body, sig, &err) == 0 && body) {
		json_t *b = json_loads(body, 0, NULL);

		if (!json_is_object(b) || strncmp(sig, "t=1700000000,v1=", 16) ||
		    strlen(sig) != 16 + 64)
			__builtin_trap();
		json_decref(b);
	}
	free(body);
	json_decref(doc);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const fuzz_case_t cases[] = {
		{ 'd', deferred }, { 'c', claims }, { 'w', webhook },
	};

	if (size >= 1 && !fx)
		up();
	return fuzz_dispatch(cases, sizeof cases / sizeof cases[0], data, size, 0);
}
