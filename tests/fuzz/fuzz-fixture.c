/* fuzz-fixture.c - the fuzz targets' shared set-up (fuzz-fixture.h). */
#include "fuzz-fixture.h"

#include <string.h>

char fuzz_bearer[256];

static serve_fixture_t fx;
static char *token;

char *fuzz_text(const uint8_t *data, size_t size, size_t skip)
{
	char *s = malloc(size - skip + 1);

	if (!s)
		return NULL;
	memcpy(s, data + skip, size - skip);
	s[size - skip] = '\0';
	return s;
}

int fuzz_dispatch(const fuzz_case_t *cases, size_t ncases, const uint8_t *data, size_t size,
		  size_t max)
{
	char *s;

	if (size < 1 || (max && size > max))
		return 0;
	for (size_t i = 0; i < ncases; i++) {
		if (cases[i].tag != (char)data[0])
			continue;
		s = fuzz_text(data, size, 1);
		if (s)
			cases[i].run(s, size - 1);
		free(s);
		break;
	}
	return 0;
}

static void fuzz_server_down(void)
{
	free(token);
	serve_fixture_down(&fx);
}

serve_fixture_t *fuzz_server(const char *scopes)
{
	if (fx.s)
		return &fx;
	if (!serve_fixture_up(&fx))
		__builtin_trap();
	atexit(fuzz_server_down);
	if (scopes) {
		token = serve_fixture_token(&fx, scopes);
		if (!token)
			__builtin_trap();
		snprintf(fuzz_bearer, sizeof fuzz_bearer, "Bearer %s", token);
	}
	return &fx;
}

void fuzz_post(vci_req_t *req, const char *path, const char *body, size_t len,
	       const char *content_type, const char *name, const char *value)
{
	memset(req, 0, sizeof(*req));
	req->method = "POST";
	req->path = path;
	req->now = fx.now;
	req->body = body;
	req->body_len = len;
	req->headers[0].name = "Content-Type";
	req->headers[0].value = content_type;
	req->nheaders = 1;
	if (name) {
		req->headers[1].name = name;
		req->headers[1].value = value;
		req->nheaders = 2;
	}
}

int fuzz_json_string(const vci_resp_t *resp, const char *member)
{
	json_t *j = resp->len ? json_loadb(resp->body, resp->len, 0, NULL) : NULL;
	int ok = json_is_string(json_object_get(j, member));

	json_decref(j);
	return ok;
}
