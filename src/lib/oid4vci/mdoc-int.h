/* mdoc-int.h - what mdoc.c (issuing) and mdoc-verify.c (verifying)
 * share and nothing else includes: CBOR tag numbers of ISO/IEC 18013-5
 * and one CBOR accessor. Not part of libvci's interface. */
#ifndef VCI_MDOC_INT_H
#define VCI_MDOC_INT_H

#include "crypto/cose.h"

#define TAG_TDATE 0             /* tdate: RFC 3339 date-time */
#define TAG_ENCODED_CBOR 24     /* bstr .cbor (IssuerSignedItemBytes, MSO) */
#define TAG_FULL_DATE 1004      /* full-date (RFC 8943) */

/* A definite byte string's bytes (borrowed; "" when empty). Returns 0,
 * or -1 when i is not one. */
int vci_mdoc_bstr_of(const cbor_item_t *i, const uint8_t **p, size_t *n);

#endif
