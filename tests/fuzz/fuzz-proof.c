/* fuzz-proof.c - libFuzzer target over the proof verifiers. The input is
 * tried as a proof JWT (vci_proof_verify_jwt, with a literal c_nonce and
 * with a nonce key), as a DPoP proof, as a self-verifying nonce and, when
 * it is JSON, as an issuance record carrying proofs. */
#include "common.h"
#include "dpop.h"
#include "nonce.h"
#include "proof.h"

#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t kb[32] = "fuzz-nonce-key-fuzz-nonce-key-01";
	static vci_nonce_key_t *nk;
	char *s = malloc(size + 1);
	vci_proof_policy_t p = { 0 };
	vci_dpop_policy_t d = { 0 };
	vci_proof_key_t k;
	vci_dpop_result_t r;
	vci_err_t err = { 0 };
	json_t *rec;

	if (!s)
		return 0;
	if (!nk)
		nk = vci_nonce_key_new(kb, sizeof kb, NULL);
	memcpy(s, data, size);
	s[size] = '\0';

	p.aud = "https://credential-issuer.example.com";
	p.now = 1701960444;
	p.nonce = "LarRGSbmUPYtRYO6BQ4yn8";
	if (vci_proof_verify_jwt(s, size, &p, &k, &err) == 0) {
		if (strlen(k.jkt) != 43)
			__builtin_trap();
		vci_proof_key_free(&k);
	}
	p.nonce = NULL;
	p.nonce_key = nk;
	p.require_key_attestation = 1;
	if (vci_proof_verify_jwt(s, size, &p, &k, &err) == 0)
		__builtin_trap(); /* no attestation can verify without --trust */

	d.htm = "POST";
	d.htu = "https://server.example.com/token";
	d.now = 1562262616;
	if (vci_dpop_verify(s, size, &d, &r, &err) == 0)
		vci_dpop_result_free(&r);
	vci_nonce_check(nk, s, size, 1701960444, NULL, &err);

	rec = json_loadb(s, size, JSON_REJECT_DUPLICATES, NULL);
	if (json_is_object(rec)) {
		p.nonce_key = NULL;
		p.require_key_attestation = 0;
		if (vci_proof_verify_record(rec, &p, &err) == 0 &&
		    !json_object_get(rec, "holder_jkt") && !json_object_get(rec, "holder_jkts"))
			__builtin_trap();
	}
	json_decref(rec);
	free(s);
	return 0;
}
