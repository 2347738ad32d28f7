/* fuzz-credential-request.c - libFuzzer target over the credential
 * endpoint's request (OpenID4VCI 1.0 section 8.2, drafts 13-15 shapes):
 * the input is a JSON body, parsed by vci_credential_request_parse; an
 * accepted request goes through the configuration choice, the nonce of
 * its first proof and the proof check, and then, whole, through the
 * credential endpoint's handler (vci_h_credential) with a valid Bearer
 * token for an offer of every configuration of a server set up once in a
 * temporary directory (serve-fixture.h), without a socket. An accepted
 * request has exactly one way to name its configuration and at most the
 * batch size of proofs; the handler answers 200 with credentials or a
 * 400 JSON error, never 401 or 5xx. */
#include "fuzz-fixture.h"
#include "oid4vci/request.h"

#include <string.h>

static serve_fixture_t *fx;

static void check_request(const char *s, size_t len)
{
	vci_credential_request_t r;
	vci_proof_policy_t p = { 0 };
	json_t *offered = json_pack("[s,s,s,s]", "pid", "mdl", "diploma", "card");
	json_t *keys = NULL;
	char *nonce = NULL;
	vci_err_t err = { 0 };

	if (vci_credential_request_parse(s, len, 3, &r, &err) == 0) {
		if (!!r.config_id + !!r.identifier + !!r.format != 1 || r.nproofs > 3 ||
		    (r.proofs && !r.nproofs))
			__builtin_trap();
		const vci_defn_t *d = vci_credential_request_select(&r, fx->s->defs, fx->s->ndefs,
								    offered, &err);

		if (d && vci_credential_request_nonce(&r, &nonce, &err) == 0) {
			p.aud = SERVE_FIXTURE_ISSUER;
			p.nonce = nonce;
			p.now = (time_t)fx->now;
			if (vci_credential_request_verify(&r, d, &p, &keys, &err) == 0 &&
			    json_array_size(keys) < 1)
				__builtin_trap();
		}
		free(nonce);
		json_decref(keys);
		vci_credential_request_clear(&r);
	}
	json_decref(offered);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_text(data, size, 0);
	vci_req_t req;
	vci_resp_t resp = { 0 };
	json_t *j;

	if (!s)
		return 0;
	fx = fuzz_server("pid mdl diploma card");
	check_request(s, size);
	fuzz_post(&req, "/credential", s, size, "application/json", "Authorization", fuzz_bearer);
	vci_h_credential(fx->s, &req, &resp);
	j = json_loadb(resp.body ? resp.body : "", resp.len, 0, NULL);
	if ((resp.status != 200 && resp.status != 400) ||
	    !json_is_array(json_object_get(j, "credentials")) != (resp.status != 200) ||
	    (resp.status == 400 && !json_is_string(json_object_get(j, "error"))))
		__builtin_trap();
	json_decref(j);
	vci_resp_clear(&resp);
	free(s);
	return 0;
}
