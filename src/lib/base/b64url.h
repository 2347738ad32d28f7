/* b64url.h - strict base64url (RFC 4648 section 5, no padding) and the
 * standard base64 alphabet with padding that x5c uses. */
#ifndef VCI_B64URL_H
#define VCI_B64URL_H

#include "common.h"

/* Encode: returns a malloc'd NUL-terminated string, no padding. */
char *vci_b64url_encode(const uint8_t *buf, size_t len);
/* Encode into a caller buffer of at least vci_b64url_len(len)+1 bytes;
 * returns the number of characters written (without the NUL). */
size_t vci_b64url_len(size_t len);
size_t vci_b64url_encode_to(char *out, const uint8_t *buf, size_t len);

/* Strict decode: padding, whitespace, characters outside the alphabet,
 * a length of 1 mod 4 and non-zero trailing bits are all rejected.
 * *out is malloc'd (NUL-terminated for convenience, not counted in *outlen).
 * Returns 0, or -1 with err (VCI_EXIT_INPUT, code "invalid_base64url"). */
int vci_b64url_decode(const char *s, size_t slen, uint8_t **out, size_t *outlen,
		      vci_err_t *err);
/* Decode base64url that must hold JSON; parsed with duplicate rejection. */
json_t *vci_b64url_decode_json(const char *s, size_t slen, const char *what,
			       vci_err_t *err);

/* Standard base64 with padding (x5c certificates). Decoding is strict. */
char *vci_b64_encode(const uint8_t *buf, size_t len);
int vci_b64_decode(const char *s, size_t slen, uint8_t **out, size_t *outlen,
		   vci_err_t *err);

#endif
