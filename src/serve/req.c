/* req.c - the request a handler reads and the response it fills; library
 * errors become HTTP here, in one place. */
#include "serve.h"
#include "base/buf.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

const char *vci_req_header(const vci_req_t *r, const char *name)
{
	for (size_t i = 0; i < r->nheaders; i++)
		if (!strcasecmp(r->headers[i].name, name))
			return r->headers[i].value;
	return NULL;
}

size_t vci_req_header_count(const vci_req_t *r, const char *name)
{
	size_t n = 0;

	for (size_t i = 0; i < r->nheaders; i++)
		n += !strcasecmp(r->headers[i].name, name);
	return n;
}

const char *vci_req_content_type(const vci_req_t *r, char *buf, size_t size)
{
	const char *v = vci_req_header(r, "Content-Type");
	size_t n = 0;

	if (!size)
		return NULL;
	buf[0] = '\0';
	if (!v)
		return buf;
	while (*v == ' ' || *v == '\t')
		v++;
	while (v[n] && v[n] != ';' && v[n] != ' ' && v[n] != '\t' && n + 1 < size) {
		buf[n] = (char)tolower((unsigned char)v[n]);
		n++;
	}
	buf[n] = '\0';
	return buf;
}

void vci_resp_clear(vci_resp_t *r)
{
	free(r->body);
	for (size_t i = 0; i < r->nheaders; i++)
		free(r->headers[i].value);
	memset(r, 0, sizeof *r);
}

/* A response that could not be made: 500 with a fixed body. */
static int resp_oom(vci_resp_t *r)
{
	static const char body[] = "{\"error\":\"server_error\"}";

	free(r->body);
	r->body = strdup(body);
	r->len = r->body ? sizeof body - 1 : 0;
	r->status = 500;
	snprintf(r->content_type, sizeof r->content_type, "application/json");
	snprintf(r->error, sizeof r->error, "server_error");
	return -1;
}

int vci_resp_bytes(vci_resp_t *r, int status, const char *content_type, const void *buf,
		   size_t len)
{
	char *b = malloc(len + 1);

	if (!b)
		return resp_oom(r);
	if (len)
		memcpy(b, buf, len);
	b[len] = '\0';
	free(r->body);
	r->body = b;
	r->len = len;
	r->status = status;
	snprintf(r->content_type, sizeof r->content_type, "%s", content_type ? content_type : "");
	return 0;
}

int vci_resp_json(vci_resp_t *r, int status, json_t *j)
{
	vci_buf_t b = { 0 };
	size_t len = 0;
	char *s;

	/* one pass, no per-character callbacks (jansson's json_dumps) */
	if (j && vci_buf_reserve(&b, 2048) == 0)
		vci_buf_json(&b, j, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(j);
	s = vci_buf_take(&b, &len);
	if (!j || !s) {
		free(s);
		return resp_oom(r);
	}
	free(r->body);
	r->body = s;
	r->len = len;
	r->status = status;
	snprintf(r->content_type, sizeof r->content_type, "application/json");
	return 0;
}

int vci_resp_header(vci_resp_t *r, const char *name, const char *value)
{
	char *v;

	if (r->nheaders >= sizeof r->headers / sizeof r->headers[0] ||
	    strlen(name) >= sizeof r->headers[0].name)
		return resp_oom(r);
	v = strdup(value);
	if (!v)
		return resp_oom(r);
	snprintf(r->headers[r->nheaders].name, sizeof r->headers[0].name, "%s", name);
	r->headers[r->nheaders++].value = v;
	return 0;
}

/* error_description is ASCII without '"' and '\\' (RFC 6749 5.2): others
 * become '?'. */
static json_t *description(const char *desc)
{
	char buf[512];
	size_t n = 0;

	for (; desc && *desc && n + 1 < sizeof buf; desc++) {
		unsigned char c = (unsigned char)*desc;

		if (c == '`')
			continue; /* a parameter the library quoted reads as its name */
		buf[n++] = c >= 0x20 && c <= 0x7e && c != '"' && c != '\\' ? (char)c : '?';
	}
	buf[n] = '\0';
	return json_string(buf);
}

int vci_resp_error(vci_resp_t *r, int status, const char *code, const char *desc)
{
	json_t *j = json_pack("{s:s}", "error", code);

	if (j && desc && *desc)
		json_object_set_new(j, "error_description", description(desc));
	snprintf(r->error, sizeof r->error, "%s", code);
	if (vci_resp_json(r, status, j) < 0)
		return -1;
	snprintf(r->error, sizeof r->error, "%s", code);
	/* 503: the store failed (its database restarting, a full disk); the
	 * request changed nothing and may be sent again */
	if (status == 503 && vci_resp_header(r, "Retry-After", VCI_SERVE_RETRY_AFTER) < 0)
		return -1;
	return 0;
}

int vci_resp_err(vci_resp_t *r, int status, const vci_err_t *err)
{
	const char *code = err->code[0] ? err->code : "server_error";

	if (!status) {
		switch (err->status) {
		case VCI_EXIT_KEY:
			status = 500;
			break;
		case VCI_EXIT_IO:
			status = 503;
			break;
		default:
			status = 400;
		}
	}
	/* a server fault says nothing about the server to the client */
	if (status >= 500) {
		if (vci_resp_error(r, status, "server_error", NULL) < 0)
			return -1;
		snprintf(r->error, sizeof r->error, "%s", code); /* the log keeps the cause */
		return 0;
	}
	return vci_resp_error(r, status, code, err->msg);
}
