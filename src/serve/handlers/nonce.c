/* nonce.c - POST P/nonce: the Nonce Endpoint (OpenID4VCI 1.0 section 7).
 * No access token. The c_nonce is sealed by the server (crypto/nonce.h:
 * issued-at, expiry and 16 random bytes under an HMAC-SHA256 with the key
 * STATE/c-nonce.key), so it is unpredictable (7.2) and the credential
 * endpoint tells a live nonce of ours from a forged or expired one
 * without the store: the nonce endpoint writes nothing. Single use is
 * kept by the credential endpoint, which records each nonce spent, in
 * the write that records the issuance, until the nonce expires. The
 * response is {"c_nonce"} with Cache-Control: no-store (7.2) and, when
 * the server issues DPoP nonces, a DPoP-Nonce header (7.2, RFC 9449
 * section 8), so the wallet needs no extra round trip for it. */
#include "handlers.h"

char *vci_h_c_nonce(vci_serve_t *s, const vci_req_t *req, vci_err_t *err)
{
	return vci_nonce_new(s->c_nonce_key, req->now, (unsigned long)s->nonce_ttl, err);
}

void vci_h_nonce(vci_serve_t *s, const vci_req_t *req, vci_resp_t *resp)
{
	vci_err_t err = { 0 };
	char *n = vci_h_c_nonce(s, req, &err);

	if (!n) {
		if (!err.code[0] || err.status == VCI_EXIT_FAIL)
			vci_err_set(&err, VCI_EXIT_IO, "server_error", "nonce: cannot be made");
		vci_h_fail(resp, 0, &err);
		return;
	}
	if (vci_resp_json(resp, 200, json_pack("{s:s}", "c_nonce", n)) == 0 &&
	    vci_resp_header(resp, "Cache-Control", "no-store") == 0)
		vci_h_dpop_nonce_header(s, req, resp);
	free(n);
}

int vci_h_c_nonce_check(vci_serve_t *s, const vci_req_t *req, const char *nonce,
			uint8_t hash[VCI_STORE_HASH], int64_t *expires, vci_err_t *err)
{
	if (vci_nonce_check_life(s->c_nonce_key, nonce, strlen(nonce), req->now, NULL, expires,
				 err) < 0)
		return -1;
	if (vci_store_hash(nonce, strlen(nonce), hash) < 0)
		return vci_err_oom(err);
	return 0;
}
