/* fuzz-proof.c - libFuzzer target over the proof verifiers. The input is
 * tried as a proof JWT (vci_proof_verify_jwt, with a literal c_nonce and
 * with a nonce key), as a DPoP proof, as a self-verifying nonce, as a
 * DPoP htu, as a key or wallet attestation whose attester is named by kid
 * and, when it is JSON, as an issuance record carrying proofs. */
#include "base/common.h"
#include "oid4vci/dpop.h"
#include "crypto/nonce.h"
#include "oid4vci/proof.h"

#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define JWKS "{\"keys\":[{\"kty\":\"EC\",\"crv\":\"P-256\",\"kid\":\"11\"," \
	"\"x\":\"l8tFrhx-34tV3hRICRDY9zCkDlpBhF42UQUfWVAWBFs\"," \
	"\"y\":\"9VE4jf_Ok_o64zbTTlcuNJajHmt6v9TDVrU0CdvGRDA\"}]}"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t kb[32] = "fuzz-nonce-key-fuzz-nonce-key-01";
	static vci_nonce_key_t *nk;
	static json_t *jwks; /* one attester key, kid "11" as in ABCA V-5 (its
				key unpublished: the RFC 9449 key stands in) */
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
	{	/* htu normalisation is idempotent */
		char *n1 = vci_dpop_htu_normalize(s, &err);
		char *n2 = n1 ? vci_dpop_htu_normalize(n1, &err) : NULL;

		if (n1 && (!n2 || strcmp(n1, n2)))
			__builtin_trap();
		free(n1);
		free(n2);
	}
	{	/* attestations whose attester is named by kid */
		vci_wallet_policy_t w = { 0 };
		json_t *res = NULL, *keys = NULL, *info = NULL;

		if (!jwks)
			jwks = json_loads(JWKS, 0, NULL);
		w.trust_jwks = jwks;
		w.aud = "https://as.example.com";
		w.now = 1772487595;
		if (vci_proof_verify_wallet_attestation(s, size, s, size, &w, &res, &err) == 0)
			__builtin_trap(); /* no attestation is signed by the JWK Set's key */
		json_decref(res);
		p.trust_jwks = jwks;
		p.nonce = NULL;
		if (vci_proof_verify_attestation(s, size, &p, &keys, &info, &err) == 0)
			__builtin_trap();
		json_decref(keys);
		json_decref(info);
		p.trust_jwks = NULL;
	}

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
