/* ecdsa.c - ECDSA signature formats: DER (OpenSSL) <-> fixed-width
 * R||S (JWS, COSE). */
#include "ecdsa.h"

#include <string.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/err.h>

int vci_ecdsa_der_to_raw(const uint8_t *der, size_t der_len, size_t nbytes, uint8_t *raw)
{
	const uint8_t *p = der;
	ECDSA_SIG *sig;
	const BIGNUM *r, *s;
	uint8_t *re = NULL;
	int n, ok = 0;

	if (!der || !raw || nbytes == 0 || nbytes > 66 || der_len > 200)
		return -1;
	sig = d2i_ECDSA_SIG(NULL, &p, (long)der_len);
	if (!sig || p != der + der_len)
		goto out;
	/* strict DER: re-encoding must give the same bytes */
	n = i2d_ECDSA_SIG(sig, &re);
	if (n <= 0 || (size_t)n != der_len || memcmp(re, der, der_len))
		goto out;
	ECDSA_SIG_get0(sig, &r, &s);
	if (BN_is_negative(r) || BN_is_negative(s) ||
	    BN_num_bytes(r) > (int)nbytes || BN_num_bytes(s) > (int)nbytes)
		goto out;
	if (BN_bn2binpad(r, raw, (int)nbytes) != (int)nbytes ||
	    BN_bn2binpad(s, raw + nbytes, (int)nbytes) != (int)nbytes)
		goto out;
	ok = 1;
out:
	OPENSSL_free(re);
	ECDSA_SIG_free(sig);
	ERR_clear_error();
	return ok ? 0 : -1;
}

size_t vci_ecdsa_raw_to_der_to(const uint8_t *raw, size_t raw_len, uint8_t *out)
{
	ECDSA_SIG *sig = NULL;
	BIGNUM *r = NULL, *s = NULL;
	size_t half = raw_len / 2;
	uint8_t *p = out;
	int n = 0;

	if (!raw || raw_len == 0 || raw_len % 2 || half > 66)
		return 0;
	sig = ECDSA_SIG_new();
	r = BN_bin2bn(raw, (int)half, NULL);
	s = BN_bin2bn(raw + half, (int)half, NULL);
	if (!sig || !r || !s || ECDSA_SIG_set0(sig, r, s) != 1) {
		BN_free(r);
		BN_free(s);
		goto out;
	}
	/* R and S below 2^528: the encoding fits, written in one pass */
	n = i2d_ECDSA_SIG(sig, &p);
	if (n <= 0 || n > VCI_ECDSA_DER_MAX)
		n = 0;
out:
	ECDSA_SIG_free(sig);
	if (!n)
		ERR_clear_error();
	return (size_t)n;
}

uint8_t *vci_ecdsa_raw_to_der(const uint8_t *raw, size_t raw_len, size_t *der_len)
{
	uint8_t buf[VCI_ECDSA_DER_MAX], *out;
	size_t n = vci_ecdsa_raw_to_der_to(raw, raw_len, buf);

	if (!n || !(out = malloc(n)))
		return NULL;
	memcpy(out, buf, n);
	if (der_len)
		*der_len = n;
	return out;
}

int vci_ecdsa_own_der_to_raw(const uint8_t *der, size_t der_len, size_t nbytes, uint8_t *raw)
{
	const uint8_t *p = der;
	ECDSA_SIG *sig = d2i_ECDSA_SIG(NULL, &p, (long)der_len);
	const BIGNUM *r, *s;
	int ok = 0;

	if (sig) {
		ECDSA_SIG_get0(sig, &r, &s);
		ok = BN_bn2binpad(r, raw, (int)nbytes) == (int)nbytes &&
		     BN_bn2binpad(s, raw + nbytes, (int)nbytes) == (int)nbytes;
	}
	ECDSA_SIG_free(sig);
	return ok ? 0 : -1;
}
