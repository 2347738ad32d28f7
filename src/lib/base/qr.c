/* qr.c - QR symbols with libqrencode; terminal, PNG and SVG renderings. */
#include "qr.h"

#include <arpa/inet.h>
#include <errno.h>
#include <qrencode.h>
#include <string.h>
#include <strings.h>
#include <zlib.h>

int vci_qr_ecc_parse(const char *s, vci_qr_ecc_t *out)
{
	static const char levels[] = "LMQH";

	if (!s || strlen(s) != 1)
		return -1;
	for (int i = 0; i < 4; i++)
		if ((s[0] & ~0x20) == levels[i]) {
			*out = (vci_qr_ecc_t)i;
			return 0;
		}
	return -1;
}

vci_qr_t *vci_qr_encode(const char *text, vci_qr_ecc_t ecc, vci_err_t *err)
{
	static const QRecLevel lv[] = { QR_ECLEVEL_L, QR_ECLEVEL_M, QR_ECLEVEL_Q, QR_ECLEVEL_H };
	QRcode *c;
	vci_qr_t *q;
	size_t n;

	if (!text || !*text) {
		vci_err_set(err, VCI_EXIT_INPUT, "invalid_request", "QR code: nothing to encode");
		return NULL;
	}
	errno = 0;
	c = QRcode_encodeString(text, 0, lv[ecc & 3], QR_MODE_8, 1);
	if (!c) {
		if (errno == ERANGE || errno == EINVAL)
			vci_err_set(err, VCI_EXIT_INPUT, "qr_too_large",
				    "QR code: %zu bytes do not fit a QR code at error correction level %c",
				    strlen(text), "LMQH"[ecc & 3]);
		else
			vci_err_oom_at(err, "QR code");
		return NULL;
	}
	n = (size_t)c->width * (size_t)c->width;
	q = calloc(1, sizeof *q);
	if (q)
		q->dark = malloc(n);
	if (!q || !q->dark) {
		free(q);
		QRcode_free(c);
		vci_err_oom_at(err, "QR code");
		return NULL;
	}
	q->width = c->width;
	q->version = c->version;
	for (size_t i = 0; i < n; i++)
		q->dark[i] = c->data[i] & 1;
	QRcode_free(c);
	return q;
}

void vci_qr_free(vci_qr_t *q)
{
	if (!q)
		return;
	free(q->dark);
	free(q);
}

/* Module at (x, y) of the symbol with its quiet zone. */
static int dark_at(const vci_qr_t *q, int x, int y)
{
	x -= VCI_QR_QUIET;
	y -= VCI_QR_QUIET;
	if (x < 0 || y < 0 || x >= q->width || y >= q->width)
		return 0;
	return q->dark[(size_t)y * (size_t)q->width + (size_t)x];
}

int vci_qr_text_width(const vci_qr_t *q)
{
	return q->width + 2 * VCI_QR_QUIET;
}

static int io_fail(FILE *f, const char *what, vci_err_t *err)
{
	(void)f;
	return vci_err_set(err, VCI_EXIT_IO, "io_error", "%s: write failed: %s", what, strerror(errno));
}

int vci_qr_write_text(const vci_qr_t *q, FILE *f, vci_err_t *err)
{
	int size = vci_qr_text_width(q);

	for (int y = 0; y < size; y += 2) {
		fputs("\033[30;107m", f);
		for (int x = 0; x < size; x++) {
			int top = dark_at(q, x, y), bottom = y + 1 < size && dark_at(q, x, y + 1);

			fputs(top ? (bottom ? "\u2588" : "\u2580") : (bottom ? "\u2584" : " "), f);
		}
		fputs("\033[0m\n", f);
	}
	if (ferror(f))
		return io_fail(f, "QR code", err);
	return 0;
}

static int png_chunk(FILE *f, const char *type, const uint8_t *data, size_t len)
{
	uint32_t n = htonl((uint32_t)len), crc;

	crc = (uint32_t)crc32(0L, (const Bytef *)type, 4);
	if (len)
		crc = (uint32_t)crc32(crc, data, (uInt)len);
	crc = htonl(crc);
	return fwrite(&n, 4, 1, f) == 1 && fwrite(type, 4, 1, f) == 1 &&
	       (!len || fwrite(data, len, 1, f) == 1) && fwrite(&crc, 4, 1, f) == 1 ? 0 : -1;
}

int vci_qr_write_png(const vci_qr_t *q, FILE *f, unsigned scale, vci_err_t *err)
{
	static const uint8_t sig[8] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n' };
	size_t modules = (size_t)vci_qr_text_width(q), px, stride, rawlen;
	uLongf zlen;
	uint8_t ihdr[13], *raw, *z;
	uint32_t w;
	int rc;

	if (scale < 1 || scale > 64)
		return vci_err_set(err, VCI_EXIT_USAGE, "invalid_option", "PNG scale %u: expected 1 to 64", scale);
	px = modules * scale;
	stride = 1 + (px + 7) / 8;
	rawlen = stride * px;
	raw = calloc(1, rawlen);
	zlen = compressBound((uLong)rawlen);
	z = malloc(zlen);
	if (!raw || !z) {
		free(raw);
		free(z);
		return vci_err_oom_at(err, "PNG");
	}
	/* Filter type 0 per row; bit 1 = white in a 1-bit grey-scale image. */
	for (size_t y = 0; y < px; y++) {
		uint8_t *row = raw + y * stride + 1;

		for (size_t x = 0; x < px; x++)
			if (!dark_at(q, (int)(x / scale), (int)(y / scale)))
				row[x / 8] |= (uint8_t)(0x80 >> (x % 8));
	}
	rc = compress2(z, &zlen, raw, (uLong)rawlen, 9);
	free(raw);
	if (rc != Z_OK) {
		free(z);
		return vci_err_set(err, VCI_EXIT_IO, "io_error", "PNG: zlib compress failed (%d)", rc);
	}
	w = htonl((uint32_t)px);
	memcpy(ihdr, &w, 4);
	memcpy(ihdr + 4, &w, 4);
	ihdr[8] = 1;  /* bit depth */
	ihdr[9] = 0;  /* grey-scale */
	ihdr[10] = 0; /* deflate */
	ihdr[11] = 0; /* adaptive filtering */
	ihdr[12] = 0; /* no interlace */
	rc = fwrite(sig, sizeof sig, 1, f) == 1 && png_chunk(f, "IHDR", ihdr, sizeof ihdr) == 0 &&
	     png_chunk(f, "IDAT", z, zlen) == 0 && png_chunk(f, "IEND", NULL, 0) == 0 ? 0 : -1;
	free(z);
	if (rc < 0 || ferror(f))
		return io_fail(f, "PNG", err);
	return 0;
}

int vci_qr_write_svg(const vci_qr_t *q, FILE *f, unsigned scale, vci_err_t *err)
{
	int size = vci_qr_text_width(q);

	if (scale < 1 || scale > 64)
		return vci_err_set(err, VCI_EXIT_USAGE, "invalid_option", "SVG scale %u: expected 1 to 64", scale);
	fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		"<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"%d\" height=\"%d\" "
		"viewBox=\"0 0 %d %d\" shape-rendering=\"crispEdges\">\n"
		"<rect width=\"%d\" height=\"%d\" fill=\"#ffffff\"/>\n<path fill=\"#000000\" d=\"",
		size * (int)scale, size * (int)scale, size, size, size, size);
	/* One horizontal run of dark modules per subpath. */
	for (int y = 0; y < size; y++)
		for (int x = 0; x < size;) {
			int run = 0;

			while (x + run < size && dark_at(q, x + run, y))
				run++;
			if (run) {
				fprintf(f, "M%d %dh%dv1h-%dz", x, y, run, run);
				x += run;
			} else {
				x++;
			}
		}
	fputs("\"/>\n</svg>\n", f);
	if (ferror(f))
		return io_fail(f, "SVG", err);
	return 0;
}
