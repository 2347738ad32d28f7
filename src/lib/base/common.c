/* common.c - errors, secrets, strict JSON and file helpers. */
#include "common.h"
#include "buf.h"

#include <ctype.h>
#include <errno.h>
#include <string.h>
#include <strings.h>
#include <openssl/err.h>

/* Length of the PIN value starting at v (see vci_redact_pins). */
static size_t pin_value_len(const char *v)
{
	size_t n = 0;

	while (v[n] && !strchr(";&\"", v[n]) && !isspace((unsigned char)v[n]))
		n++;
	if (n && v[n - 1] == ':')
		n--;
	return n;
}

void vci_redact_pins(char *s, size_t cap)
{
	static const char *const attrs[] = { "pin-value=", "pin-source=" };
	size_t i = 0, len;

	if (!s || !cap)
		return;
	len = strlen(s);
	while (i < len) {
		size_t a, alen = 0, vlen, tail;

		for (a = 0; a < 2; a++) {
			alen = strlen(attrs[a]);
			if (!strncasecmp(s + i, attrs[a], alen))
				break;
		}
		if (a == 2) {
			i++;
			continue;
		}
		i += alen;
		vlen = pin_value_len(s + i);
		tail = len - i - vlen; /* bytes after the value, NUL excluded */
		if (i + 3 + tail >= cap) /* no room: cut the message at the mask */
			tail = cap > i + 4 ? cap - i - 4 : 0;
		if (i + 3 >= cap) {
			s[i < cap ? i : cap - 1] = '\0';
			return;
		}
		memmove(s + i + 3, s + i + vlen, tail);
		memcpy(s + i, "***", 3);
		len = i + 3 + tail;
		s[len] = '\0';
		i += 3;
	}
}

VCI_PRINTF(4, 0) static void err_vset(vci_err_t *err, int status, const char *code,
		     const char *fmt, va_list ap)
{
	if (!err)
		return;
	err->status = status;
	snprintf(err->code, sizeof err->code, "%s", code ? code : "error");
	vsnprintf(err->msg, sizeof err->msg, fmt, ap);
	vci_redact_pins(err->msg, sizeof err->msg);
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
	vci_redact_pins(err->msg, sizeof err->msg);
	OPENSSL_cleanse(what, sizeof what);
	OPENSSL_cleanse(old, sizeof old);
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
		vci_redact_pins(err->msg, sizeof err->msg);
	}
	return -1;
}

int vci_err_oom(vci_err_t *err)
{
	return vci_err_set(err, VCI_EXIT_IO, "out_of_memory", "out of memory");
}

int vci_err_oom_at(vci_err_t *err, const char *what)
{
	return vci_err_set(err, VCI_EXIT_IO, "out_of_memory", "%s: out of memory", what);
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
	buf_auto_t b = { 0 };
	char *out = NULL;
	char extra;

	if (!f) {
		vci_err_set(err, VCI_EXIT_INPUT, "unreadable_input", "%s: %s", name, strerror(errno));
		return NULL;
	}
	/* Up to max - 1 bytes are kept (and a NUL): a file of max bytes or
	 * more is too large. */
	vci_buf_init(&b, max);
	for (;;) {
		size_t want = max - 1 - b.len < 65536 ? max - 1 - b.len : 65536;
		size_t r;

		if (!want) {
			if (fread(&extra, 1, 1, f) == 1) {
				vci_err_set(err, VCI_EXIT_INPUT, "input_too_large",
					    "%s: larger than %zu bytes", name, max);
				goto out;
			}
			break;
		}
		if (vci_buf_reserve(&b, want) < 0) {
			vci_err_oom_at(err, name);
			goto out;
		}
		r = fread(b.p + b.len, 1, want, f);
		b.len += r;
		if (r < want)
			break;
	}
	if (ferror(f)) {
		vci_err_set(err, VCI_EXIT_IO, "io_error", "%s: read error", name);
		goto out;
	}
	out = vci_buf_take(&b, len);
	if (!out)
		vci_err_oom_at(err, name);
out:
	if (!use_stdin)
		fclose(f);
	return out;
}

json_t *vci_json_load_file(const char *path, vci_err_t *err)
{
	size_t len;
	char_auto_t *buf = vci_read_file(path, VCI_MAX_DOCUMENT, &len, err);

	if (!buf)
		return NULL;
	return vci_json_parse(buf, len, (!path || !strcmp(path, "-")) ? "stdin" : path, err);
}

char *vci_json_dumps(const json_t *j, size_t flags)
{
	vci_buf_t b;

	if (!j || (!(flags & JSON_ENCODE_ANY) && !json_is_object(j) && !json_is_array(j)))
		return NULL;
	vci_buf_init(&b, 0);
	if (vci_buf_json(&b, j, flags & ~(size_t)JSON_ENCODE_ANY) < 0) {
		vci_buf_free(&b);
		return NULL;
	}
	return vci_buf_take(&b, NULL);
}

char *vci_json_dump(const json_t *j)
{
	return vci_json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_ENCODE_ANY);
}
