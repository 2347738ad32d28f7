/* params.c - library messages rewritten for the command line: a
 * parameter the library names in backquotes becomes the option that
 * sets it. Used by cli.c (messages on stderr) and record.c (error
 * records), so neither takes it from the other. */
#include "params.h"

#include <stdio.h>
#include <string.h>

/* Library messages name parameters ("sd_alg: ..."), as a server's error
 * body or a configuration file's error should; on the command line the
 * parameter is the option that sets it. The options are named alike in
 * every tool, so one table serves them all. */
static const struct cli_param {
	const char *param, *opt;
} cli_params[] = {
	{ "issuer", "--issuer" },
	{ "credential_endpoint", "--credential-endpoint" },
	{ "nonce_endpoint", "--nonce-endpoint" },
	{ "deferred_endpoint", "--deferred-endpoint" },
	{ "notification_endpoint", "--notification-endpoint" },
	{ "authorization_server", "--authorization-server" },
	{ "batch_size", "--batch-size" },
	{ "sd_alg", "--sd-alg" },
	{ "digest_alg", "--digest-alg" },
	{ "time_precision", "--time-precision" },
	{ "scheme", "--scheme" },
	{ "config", "--config" },
	{ "pass", "--pass" },
	{ "trust", "--trust" },
	{ "trust_jwks", "--trust-jwks" },
	{ "ca", "--ca" },
	{ "alg", "--alg" },
	{ "kb_aud", "--kb-aud" },
	{ "kb_nonce", "--kb-nonce" },
};

static const char *cli_option_of(const char *s, size_t len)
{
	for (size_t i = 0; i < sizeof cli_params / sizeof cli_params[0]; i++)
		if (strlen(cli_params[i].param) == len && !strncmp(s, cli_params[i].param, len))
			return cli_params[i].opt;
	return NULL;
}

const char *vci_cli_params(const char *msg, char *buf, size_t size)
{
	const char *p = msg, *q, *o;
	size_t n = 0;

	if (!strchr(msg, '`'))
		return msg;
	while (*p && n + 1 < size) {
		if (*p == '`' && (q = strchr(p + 1, '`')) && (o = cli_option_of(p + 1, q - p - 1))) {
			size_t ol = strlen(o);

			if (n + ol >= size)
				return msg;
			memcpy(buf + n, o, ol);
			n += ol;
			p = q + 1;
			continue;
		}
		buf[n++] = *p++;
	}
	if (*p)
		return msg;
	buf[n] = '\0';
	return buf;
}

const char *vci_cli_message(const char *msg, char *buf, size_t size)
{
	char quoted[2048];
	const char *orig = msg, *seg, *opt = NULL, *at = NULL;
	size_t plen = 0;

	msg = vci_cli_params(msg, quoted, sizeof quoted);
	seg = msg;

	/* the "what: what: " chain: segments without spaces; the innermost
	 * that is a parameter is the one the message is about */
	for (;;) {
		const char *end = strstr(seg, ": ");
		size_t n = end ? (size_t)(end - seg) : 0;
		const char *o;

		if (!end || !n || memchr(seg, ' ', n))
			break;
		if ((o = cli_option_of(seg, n))) {
			opt = o;
			at = seg;
			plen = n;
		}
		seg = end + 2;
	}
	if (!opt || (size_t)snprintf(buf, size, "%.*s%s%s", (int)(at - msg), msg, opt,
				     at + plen) >= size)
		return msg == quoted && snprintf(buf, size, "%s", msg) < (int)size ? buf : orig;
	return buf;
}
