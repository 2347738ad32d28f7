/* fuzz-notification.c - libFuzzer target over the notification endpoint's
 * request (OpenID4VCI 1.0 section 11.1): the input is a JSON body, parsed
 * by vci_notification_request_parse and handed to the notification
 * endpoint's handler (vci_h_notification) with a valid Bearer token of a
 * server set up once in a temporary directory (serve-fixture.h), without
 * a socket. An accepted request has a notification id, one of the three
 * events and a description of the allowed characters; the handler
 * answers 204 only to an accepted request and otherwise a 400 JSON
 * error, never 401 or 5xx. */
#include "fuzz-fixture.h"
#include "oid4vci/request.h"

#include <string.h>

/* 1 when the request parses, after checking what it holds. */
static int check_request(const char *s, size_t len)
{
	vci_notification_request_t r;
	vci_err_t err = { 0 };

	if (vci_notification_request_parse(s, len, &r, &err) != 0)
		return 0;
	if (!r.notification_id || !r.notification_id[0] || !r.event ||
	    strncmp(r.event, "credential_", 11))
		__builtin_trap();
	for (const char *d = r.description; d && *d; d++)
		if (*d < 0x20 || *d > 0x7e || *d == '"' || *d == '\\')
			__builtin_trap();
	vci_notification_request_clear(&r);
	return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_text(data, size, 0);
	serve_fixture_t *fx;
	vci_req_t req;
	vci_resp_t resp = { 0 };
	int parsed;

	if (!s)
		return 0;
	fx = fuzz_server("pid");
	parsed = check_request(s, size);
	fuzz_post(&req, "/notification", s, size, "application/json", "Authorization", fuzz_bearer);
	vci_h_notification(fx->s, &req, &resp);
	if ((resp.status == 204 && !parsed) || (resp.status != 204 && resp.status != 400) ||
	    (resp.status == 400 && !fuzz_json_string(&resp, "error")))
		__builtin_trap();
	vci_resp_clear(&resp);
	free(s);
	return 0;
}
