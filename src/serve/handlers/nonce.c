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

void vci_h_nonce(vci_serve_t *s, const vci_req_t *req, vci_resp_t *resp)
{
	uint8_t h[VCI_STORE_HASH];
	wipe_auto_t *n = NULL;
	vci_err_t err = { 0 };

	n = vci_h_secret(C_NONCE_BYTES, h, &err);
	if (!n || vci_store_nonce_put(s->store, h, req->now + s->nonce_ttl, &err) < 0) {
		vci_h_fail(resp, 0, &err);
		return;
	}
	if (vci_resp_json(resp, 200, json_pack("{s:s}", "c_nonce", n)) == 0 &&
	    vci_resp_header(resp, "Cache-Control", "no-store") == 0)
		vci_h_dpop_nonce_header(s, req, resp);
}
