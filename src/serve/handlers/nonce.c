/* nonce.c - POST P/nonce: the Nonce Endpoint (OpenID4VCI 1.0 section 7).
 * No access token. The c_nonce is 32 random bytes (7.2: unpredictable),
 * kept by the store only as its hash until nonce_ttl, and spent once by
 * the credential endpoint (vci_store_nonce_take), so a proof can neither
 * be replayed nor be made ahead for a nonce the server never gave. The
 * response is {"c_nonce"} with Cache-Control: no-store (7.2) and, when
 * the server issues DPoP nonces, a DPoP-Nonce header (7.2, RFC 9449
 * section 8), so the wallet needs no extra round trip for it. */
#include "handlers.h"

#define C_NONCE_BYTES 32

/* The c_nonce while its hash is written (vci_serve_wait). */
struct nonce_wait {
	uint8_t h[VCI_STORE_HASH];
	int64_t expires_at;
	char *n;
};

static int nonce_start(vci_serve_t *s, void *ctx, vci_store_done_fn done, void *arg,
		       vci_err_t *err)
{
	struct nonce_wait *w = ctx;

	return vci_store_nonce_put_start(s->store, w->h, w->expires_at, done, arg, err);
}

static void nonce_finish(vci_serve_t *s, const vci_req_t *req, vci_resp_t *resp, void *ctx,
			 int ret, const vci_err_t *err)
{
	struct nonce_wait *w = ctx;
	vci_err_t e = { 0 };

	if (ret != 0) {
		if (!err)
			vci_err_set(&e, VCI_EXIT_IO, "server_error", "nonce: cannot be stored");
		vci_h_fail(resp, 0, err ? err : &e);
	} else if (vci_resp_json(resp, 200, json_pack("{s:s}", "c_nonce", w->n)) == 0 &&
		   vci_resp_header(resp, "Cache-Control", "no-store") == 0) {
		vci_h_dpop_nonce_header(s, req, resp);
	}
	vci_str_wipe(w->n);
	free(w);
}

void vci_h_nonce(vci_serve_t *s, const vci_req_t *req, vci_resp_t *resp)
{
	struct nonce_wait *w = calloc(1, sizeof *w);
	vci_err_t err = { 0 };

	if (!w || !(w->n = vci_h_secret(C_NONCE_BYTES, w->h, &err))) {
		if (!w)
			vci_err_oom(&err);
		free(w);
		vci_h_fail(resp, 0, &err);
		return;
	}
	w->expires_at = req->now + s->nonce_ttl;
	vci_serve_wait(s, req, resp, nonce_start, nonce_finish, w);
}
