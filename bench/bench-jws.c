/* bench-jws - sign and verify N compact JWS with libvci's prepared signer
 * and print the rates. Usage: bench-jws ES256|EdDSA [N]. Built on request
 * only (make bench/bench-jws); bench/jws.sh compares with `openssl speed`. */
#include "base/common.h"
#include "crypto/jws.h"

#include <string.h>
#include <time.h>

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	const char *alg = argc > 1 ? argv[1] : "ES256";
	long n = argc > 2 ? atol(argv[2]) : 20000;
	const char *const allowed[] = { alg, NULL };
	EVP_PKEY *pk;
	vci_jws_signer_t *s;
	json_t *hdr;
	vci_err_t err = { 0 };
	char payload[256], **toks;
	double t0, ts, tv;
	long bad = 0;

	if (n <= 0)
		return 2;
	if (!strcmp(alg, "ES256"))
		pk = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	else if (!strcmp(alg, "EdDSA"))
		pk = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	else
		return fprintf(stderr, "bench-jws: ES256 or EdDSA\n"), 2;
	hdr = json_pack("{s:s,s:s}", "typ", "dc+sd-jwt", "kid", "issuer-key-1");
	s = vci_jws_signer_new(pk, alg, hdr, &err);
	toks = calloc((size_t)n, sizeof *toks);
	if (!pk || !s || !toks)
		return fprintf(stderr, "bench-jws: %s\n", err.msg), 1;

	t0 = now();
	for (long i = 0; i < n; i++) {
		int len = snprintf(payload, sizeof payload,
				   "{\"iss\":\"https://issuer.example\",\"iat\":1700000000,"
				   "\"vct\":\"urn:eu.europa.ec.eudi:pid:1\",\"_sd\":[\"%ld\"]}", i);

		toks[i] = vci_jws_signer_sign(s, (const uint8_t *)payload, (size_t)len, NULL, &err);
		if (!toks[i])
			return fprintf(stderr, "bench-jws: %s\n", err.msg), 1;
	}
	ts = now() - t0;

	t0 = now();
	for (long i = 0; i < n; i++) {
		vci_jws_t j;

		if (vci_jws_parse_verify(toks[i], strlen(toks[i]), pk, allowed, &j, &err) < 0)
			bad++;
		else
			vci_jws_free(&j);
	}
	tv = now() - t0;

	printf("%s sign %.0f/s verify %.0f/s (%ld tokens, %ld failed)\n", alg, n / ts, n / tv, n,
	       bad);
	for (long i = 0; i < n; i++)
		free(toks[i]);
	free(toks);
	vci_jws_signer_free(s);
	json_decref(hdr);
	EVP_PKEY_free(pk);
	return bad ? 1 : 0;
}
