/* qr.h - QR codes for offer links, over libqrencode: the symbol itself,
 * and three renderings: UTF-8 half blocks for a terminal, PNG (written
 * with zlib's compress and crc32) and SVG. Every rendering has a quiet
 * zone of VCI_QR_QUIET light modules around the symbol. */
#ifndef VCI_QR_H
#define VCI_QR_H

#include "common.h"

#define VCI_QR_QUIET 4

typedef enum vci_qr_ecc {
	VCI_QR_ECC_L = 0,
	VCI_QR_ECC_M,
	VCI_QR_ECC_Q,
	VCI_QR_ECC_H,
} vci_qr_ecc_t;

typedef struct vci_qr {
	int width;        /* modules per side, without the quiet zone */
	int version;      /* 1..40 */
	uint8_t *dark;    /* width * width, row-major, 1 = dark module */
} vci_qr_t;

/* Parse "L", "M", "Q" or "H" (case-insensitive). Returns 0 or -1. */
int vci_qr_ecc_parse(const char *s, vci_qr_ecc_t *out);

/* Encode text (exact bytes, case kept) in the smallest version that holds
 * it. Fails with VCI_EXIT_INPUT, code "qr_too_large", when it does not fit
 * a version 40 symbol at that level. */
vci_qr_t *vci_qr_encode(const char *text, vci_qr_ecc_t ecc, vci_err_t *err);
void vci_qr_free(vci_qr_t *q);

/* Columns (= lines * 2, rounded up) of the terminal rendering. */
int vci_qr_text_width(const vci_qr_t *q);

/* Terminal rendering: two module rows per text line with the characters
 * ' ', U+2580, U+2584 and U+2588, drawn black on a white background set
 * with ANSI SGR codes (ESC[30;107m ... ESC[0m on every line), so the code
 * reads the same on dark and light terminal themes. */
int vci_qr_write_text(const vci_qr_t *q, FILE *f, vci_err_t *err);

/* A 1-bit grey-scale PNG, `scale` pixels per module (1..64). */
int vci_qr_write_png(const vci_qr_t *q, FILE *f, unsigned scale, vci_err_t *err);

/* An SVG image, `scale` user units per module (1..64), one path. */
int vci_qr_write_svg(const vci_qr_t *q, FILE *f, unsigned scale, vci_err_t *err);

#endif
