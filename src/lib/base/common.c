/* common.c - errors, secrets, strict JSON and file helpers. */
#include "common.h"

#include <errno.h>
#include <string.h>
#include <openssl/err.h>

VCI_PRINTF(4, 0) static void err_vset(vci_err_t *err, int status, const char *code,
		     const char *fmt, va_list ap)
{
	if (!err)
		return;
	err->status = status;
	snprintf(err->code, sizeof err->code, "%s", code ? code : "error");
	vsnprintf(err->msg, sizeof err->msg, fmt, ap);
}

int vci_err_set(vci_err_t *err, int status, const char *code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	err_vset(err, status, code, fmt, ap);
	va_end(ap);
	return -1;
}

int vci_err_prefix(vci_err_t *err, const char *fmt, ...)
{
	char what[256], old[sizeof err->msg];
	va_list ap;

	if (!err)
		return -1;
	va_start(ap, fmt);
	vsnprintf(what, sizeof what, fmt, ap);
	va_end(ap);
	memcpy(old, err->msg, sizeof old);
	snprintf(err->msg, sizeof err->msg, "%s: %s", what, old);
	return -1;
}

int vci_err_ssl(vci_err_t *err, int status, const char *code, const char *fmt, ...)
{
	char reason[256] = "";
	unsigned long e = ERR_peek_last_error();
	va_list ap;

	if (e)
		ERR_error_string_n(e, reason, sizeof reason);
	ERR_clear_error();
	va_start(ap, fmt);
	err_vset(err, status, code, fmt, ap);
	va_end(ap);
	if (err && reason[0]) {
		/* keep OpenSSL's reason text only (after the last ':') */
		const char *r = strrchr(reason, ':');
		size_t n = strlen(err->msg);
		snprintf(err->msg + n, sizeof err->msg - n, " (%s)", r ? r + 1 : reason);
	}
	return -1;
}

void vci_err_clear(vci_err_t *err)
{
	if (err)
		memset(err, 0, sizeof *err);
}

void vci_secret_free(vci_secret_t *s)
{
	if (!s || !s->buf)
		return;
	OPENSSL_cleanse(s->buf, s->len);
	free(s->buf);
	s->buf = NULL;
	s->len = 0;
}

void vci_str_wipe(char *s)
{
	if (!s)
		return;
	OPENSSL_cleanse(s, strlen(s));
	free(s);
}

int vci_ct_equal(const void *a, size_t alen, const void *b, size_t blen)
{
	if (alen != blen)
		return 0;
	return CRYPTO_memcmp(a, b, alen) == 0;
}

json_t *vci_json_parse(const char *buf, size_t len, const char *what, vci_err_t *err)
{
	json_error_t je;
	json_t *j = json_loadb(buf, len, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &je);

	if (!j)
		vci_err_set(err, VCI_EXIT_INPUT, "invalid_json", "%s: %s (line %d, column %d)",
			    what, je.text, je.line, je.column);
	return j;
}

char *vci_read_file(const char *path, size_t max, size_t *len, vci_err_t *err)
{
	int use_stdin = !path || strcmp(path, "-") == 0;
	const char *name = use_stdin ? "stdin" : path;
	FILE *f = use_stdin ? stdin : fopen(path, "rb");
	size_t cap = 8192, n = 0;
	char *buf = NULL;

	if (!f) {
		vci_err_set(err, VCI_EXIT_INPUT, "unreadable_input", "%s: %s", name, strerror(errno));
		return NULL;
	}
	buf = malloc(cap + 1);
	while (buf) {
		size_t r = fread(buf + n, 1, cap - n, f);

		n += r;
		if (r == 0)
			break;
		if (n == cap) {
			char *nb;

			if (cap >= max) {
				free(buf);
				buf = NULL;
				vci_err_set(err, VCI_EXIT_INPUT, "input_too_large",
					    "%s: larger than %zu bytes", name, max);
				break;
			}
			cap = cap * 2 > max ? max : cap * 2;
			nb = realloc(buf, cap + 1);
			if (!nb) {
				free(buf);
				buf = NULL;
			}
			buf = nb;
		}
	}
	if (buf && ferror(f)) {
		vci_err_set(err, VCI_EXIT_IO, "io_error", "%s: read error", name);
		free(buf);
		buf = NULL;
	} else if (!buf && err && !err->msg[0]) {
		vci_err_set(err, VCI_EXIT_IO, "io_error", "%s: out of memory", name);
	}
	if (!use_stdin)
		fclose(f);
	if (buf) {
		buf[n] = '\0';
		if (len)
			*len = n;
	}
	return buf;
}

json_t *vci_json_load_file(const char *path, vci_err_t *err)
{
	size_t len;
	char_auto_t *buf = vci_read_file(path, VCI_MAX_DOCUMENT, &len, err);

	if (!buf)
		return NULL;
	return vci_json_parse(buf, len, (!path || !strcmp(path, "-")) ? "stdin" : path, err);
}

char *vci_json_dump(const json_t *j)
{
	return json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_ENCODE_ANY);
}
