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

/* One INTEGER of an unsigned big-endian value: leading zero bytes
 * dropped (one kept for zero), a zero byte put first where the top bit
 * is set, so that the value stays positive: the DER i2d_ECDSA_SIG writes
 * for the same value. len is at most 66, the content at most 67 bytes. */
static size_t der_uint(const uint8_t *v, size_t len, uint8_t *out)
{
	size_t skip = 0, n;

	while (skip + 1 < len && !v[skip])
		skip++;
	n = len - skip;
	out[0] = 0x02;
	out[1] = (uint8_t)(n + (v[skip] >> 7));
	if (v[skip] >> 7)
		out[2] = 0x00;
	memcpy(out + 2 + (v[skip] >> 7), v + skip, n);
	return 2 + out[1];
}

/* Written directly, without BIGNUMs: two INTEGERs in a SEQUENCE, the
 * SEQUENCE's length in one byte below 128 and as 0x81 nn above. */
size_t vci_ecdsa_raw_to_der_to(const uint8_t *raw, size_t raw_len, uint8_t *out)
{
	uint8_t body[2 * (2 + 67)];
	size_t half = raw_len / 2, n, hdr;

	if (!raw || !out || raw_len == 0 || raw_len % 2 || half > 66)
		return 0;
	n = der_uint(raw, half, body);
	n += der_uint(raw + half, half, body + n);
	out[0] = 0x30;
	if (n < 128) {
		out[1] = (uint8_t)n;
		hdr = 2;
	} else {
		out[1] = 0x81;
		out[2] = (uint8_t)n;
		hdr = 3;
	}
	memcpy(out + hdr, body, n);
	return hdr + n;
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

/* One INTEGER at *p (end at end) into nbytes of raw, zero-padded on
 * the left; its sign byte (a leading zero) dropped. 0, or -1. */
static int der_uint_read(const uint8_t **p, const uint8_t *end, size_t nbytes, uint8_t *raw)
{
	const uint8_t *q = *p;
	size_t n;

	if (end - q < 2 || q[0] != 0x02 || q[1] < 1 || q[1] > 127 ||
	    (size_t)(end - q - 2) < q[1])
		return -1;
	n = q[1];
	q += 2;
	*p = q + n;
	if (n > 1 && !q[0]) {
		q++;
		n--;
	}
	if (n > nbytes)
		return -1;
	memset(raw, 0, nbytes - n);
	memcpy(raw + nbytes - n, q, n);
	return 0;
}

/* Read directly, without BIGNUMs: OpenSSL's own DER is a SEQUENCE of two
 * non-negative INTEGERs; the lengths are still checked against the
 * buffer, and anything else is refused. */
int vci_ecdsa_own_der_to_raw(const uint8_t *der, size_t der_len, size_t nbytes, uint8_t *raw)
{
	const uint8_t *p = der, *end = der + der_len;
	size_t n;

	if (!der || !raw || nbytes == 0 || nbytes > 66 || der_len < 2 || der[0] != 0x30)
		return -1;
	if (der[1] < 128) {
		n = der[1];
		p += 2;
	} else if (der[1] == 0x81 && der_len >= 3) {
		n = der[2];
		p += 3;
	} else {
		return -1;
	}
	if ((size_t)(end - p) != n || der_uint_read(&p, end, nbytes, raw) < 0 ||
	    der_uint_read(&p, end, nbytes, raw + nbytes) < 0 || p != end)
		return -1;
	return 0;
}
