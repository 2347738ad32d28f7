/* fuzz-oidc-callback.c - libFuzzer target over what the wallet-initiated
 * flow's callback handler (src/serve/handlers/login.c) parses, through
 * functions, without a socket, a store or a provider: the whole input as
 * the query string of GET P/oidc/callback (vci_oidc_callback_parse), and
 * as a login's sealed "VERIFIER NONCE" secret
 * (vci_oidc_login_secret_split). Accepted queries must hold what the
 * header promises: a non-empty state within VCI_OIDC_STATE_MAX, a code
 * within VCI_OIDC_CODE_MAX, an error of printable ASCII without '"' or
 * backslash; refusals are "invalid_request" with nothing left to free.
 * A split secret gives a non-empty verifier that, with ' ' and the
 * nonce, is the secret again. */
#include "base/common.h"
#include "oid4vci/oidc.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_query(const char *s, size_t len)
{
	vci_oidc_callback_t cb;
	vci_err_t err = { 0 };

	if (vci_oidc_callback_parse(s, len, &cb, &err) != 0) {
		if (cb.state || cb.code || cb.error || strcmp(err.code, "invalid_request"))
			__builtin_trap();
		return;
	}
	if (!cb.state || !*cb.state || strlen(cb.state) > VCI_OIDC_STATE_MAX ||
	    (cb.code && (!*cb.code || strlen(cb.code) > VCI_OIDC_CODE_MAX)))
		__builtin_trap();
	for (const char *c = cb.error; c && *c; c++)
		if (*c < 0x20 || *c > 0x7e || *c == '"' || *c == '\\')
			__builtin_trap();
	vci_oidc_callback_clear(&cb);
	vci_oidc_callback_clear(&cb);   /* cleared members: a second clear is safe */
}

static void check_secret(const char *s)
{
	char verifier[128];
	const char *nonce = NULL;
	vci_err_t err = { 0 };
	size_t vlen;

	if (vci_oidc_login_secret_split(s, verifier, sizeof verifier, &nonce, &err) != 0) {
		if (strcmp(err.code, "server_error"))
			__builtin_trap();
		return;
	}
	vlen = strlen(verifier);
	if (!vlen || vlen >= sizeof verifier || !nonce || !*nonce || nonce != s + vlen + 1 ||
	    memcmp(s, verifier, vlen) || s[vlen] != ' ')
		__builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	/* the query as the handler gets it: up to its first NUL */
	check_query(s, strlen(s));
	/* and with every byte, as a caller with a length may pass it */
	check_query((const char *)data, size);
	check_secret(s);
	free(s);
	return 0;
}
