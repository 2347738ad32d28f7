/* fuzz-fixture.h - what the fuzz targets over vci-serve's requests share:
 * the input as a NUL-terminated string, the server of serve-fixture.h set
 * up once per process (and torn down at exit) with a Bearer token when
 * asked, a handler request built without a socket, and the check that an
 * answer is JSON with a string member. Test code: a failed set-up traps,
 * as a failed check does. Not thread-safe (libFuzzer runs one input at a
 * time). */
#ifndef FUZZ_FIXTURE_H
#define FUZZ_FIXTURE_H

#include "base/common.h"
#include "../unit/serve-fixture.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The input after its first `skip` bytes (skip <= size) as a malloc'd
 * NUL-terminated string of size - skip bytes, or NULL (out of memory). */
char *fuzz_text(const uint8_t *data, size_t size, size_t skip);

/* One kind of input of a target whose first byte picks the kind: run is
 * given the rest as fuzz_text makes it (n bytes). */
typedef struct fuzz_case {
	char tag;
	void (*run)(const char *s, size_t n);
} fuzz_case_t;

/* Run the case of cases[0..ncases) whose tag is the input's first byte,
 * for an input of 1 to max bytes (max 0: any). Returns 0 (libFuzzer's
 * "keep going"). */
int fuzz_dispatch(const fuzz_case_t *cases, size_t ncases, const uint8_t *data, size_t size,
		  size_t max);

/* The server, set up at the first call. scopes non-NULL (ids separated by
 * spaces): also a token for a new offer of them, at the first call only,
 * its "Bearer ..." header value then in fuzz_bearer. */
serve_fixture_t *fuzz_server(const char *scopes);
extern char fuzz_bearer[256];

/* A POST of `body` (len bytes) to path at the fixture's time, with a
 * Content-Type header and, when name is non-NULL, the header name: value
 * (the Bearer token, an API key). req is filled from zero. */
void fuzz_post(vci_req_t *req, const char *path, const char *body, size_t len,
	       const char *content_type, const char *name, const char *value);

/* 1 when resp's body is a JSON object whose `member` is a string. */
int fuzz_json_string(const vci_resp_t *resp, const char *member);

#endif
