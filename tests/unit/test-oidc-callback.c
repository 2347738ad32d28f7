/* test-oidc-callback.c - the wallet-initiated flow's callback query
 * (vci_oidc_callback_parse) and the login secret split
 * (vci_oidc_login_secret_split): what is accepted, each refusal. */
#include "oid4vci/oidc.h"
#include "tap.h"

#include <string.h>

static void parse_ok(const char *q, const char *state, const char *code, const char *error)
{
	vci_oidc_callback_t cb;
	vci_err_t err = { 0 };

	if (!tap_ok(vci_oidc_callback_parse(q, strlen(q), &cb, &err) == 0, "accepted: %s", q)) {
		tap_diag("%s", err.msg);
		return;
	}
	tap_is_str(cb.state, state, "  state");
	tap_ok(code ? cb.code && !strcmp(cb.code, code) : !cb.code, "  code");
	tap_ok(error ? cb.error && !strcmp(cb.error, error) : !cb.error, "  error");
	vci_oidc_callback_clear(&cb);
}

static void parse_refused(const char *q, size_t len, const char *why)
{
	vci_oidc_callback_t cb;
	vci_err_t err = { 0 };

	tap_ok(vci_oidc_callback_parse(q, len, &cb, &err) < 0 &&
	       !strcmp(err.code, "invalid_request") && !cb.state && !cb.code && !cb.error,
	       "refused (%s): %s", why, err.msg);
}

static void split(const char *secret, size_t vsize, const char *verifier, const char *nonce)
{
	char v[128];
	const char *n = NULL;
	vci_err_t err = { 0 };
	int rc = vci_oidc_login_secret_split(secret, v, vsize, &n, &err);

	if (!verifier) {
		tap_ok(rc < 0 && !strcmp(err.code, "server_error"), "secret refused: \"%s\"",
		       secret);
		return;
	}
	tap_ok(rc == 0 && !strcmp(v, verifier) && n && !strcmp(n, nonce), "secret split: \"%s\"",
	       secret);
}

int main(void)
{
	char big[600];

	parse_ok("state=abc&code=xyz", "abc", "xyz", NULL);
	parse_ok("code=c%2Bd+e&state=s&iss=https%3A%2F%2Fop.example&session_state=1", "s",
		 "c+d e", NULL);
	parse_ok("state=s&error=access_denied&error_description=no", "s", NULL,
		 "access_denied");
	parse_ok("state=s", "s", NULL, NULL);
	parse_ok("state=s&code=", "s", NULL, NULL);
	parse_refused("code=xyz", 8, "no state");
	parse_refused("state=&code=xyz", 15, "empty state");
	parse_refused("", 0, "empty query");
	parse_refused(NULL, 0, "no query");
	parse_refused("state=a&state=a&code=c", 22, "state twice");
	parse_refused("state=a&code=c&code=c", 21, "code twice");
	parse_refused("state=%zz", 9, "bad escape");
	parse_refused("state=a%00b&code=c", 18, "NUL in state");
	parse_refused("state=a&error=x%0Ay", 19, "line break in error");
	parse_refused("state=a&error=%22", 17, "quote in error");
	memset(big, 'a', sizeof big);
	memcpy(big, "state=", 6);
	parse_refused(big, sizeof big, "state too long");

	split("verifier nonce", 128, "verifier", "nonce");
	split("v n m", 128, "v", "n m");
	split("verifier", 128, NULL, NULL);
	split(" nonce", 128, NULL, NULL);
	split("verifier ", 128, NULL, NULL);
	split("verifier nonce", 8, NULL, NULL);
	split("verifier nonce", 9, "verifier", "nonce");
	return tap_done();
}
