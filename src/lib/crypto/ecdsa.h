/* ecdsa.h - ECDSA signature formats: OpenSSL's DER <-> the fixed-width
 * R||S that JWS (RFC 7518) and COSE (RFC 9053) carry. Thread-safe. */
#ifndef VCI_ECDSA_H
#define VCI_ECDSA_H

#include "base/common.h"

/* A received DER signature to R||S of 2*nbytes (nbytes at most 66);
 * strict: the DER must be the canonical encoding. 0, or -1. */
int vci_ecdsa_der_to_raw(const uint8_t *der, size_t der_len, size_t nbytes,
			 uint8_t *raw);
/* R||S (raw_len even, halves at most 66 bytes) to DER: malloc'd, or NULL. */
uint8_t *vci_ecdsa_raw_to_der(const uint8_t *raw, size_t raw_len, size_t *der_len);
/* The same into out, which holds VCI_ECDSA_DER_MAX bytes: the DER's
 * length, or 0. */
#define VCI_ECDSA_DER_MAX (2 * (3 + 67) + 4)
size_t vci_ecdsa_raw_to_der_to(const uint8_t *raw, size_t raw_len, uint8_t *out);
/* R||S of a DER signature OpenSSL just made for us (JWS and COSE signers):
 * no strictness check, the re-encoding vci_ecdsa_der_to_raw does for
 * signatures received. */
int vci_ecdsa_own_der_to_raw(const uint8_t *der, size_t der_len, size_t nbytes, uint8_t *raw);

#endif
