/* csv.c - a strict, streaming RFC 4180 reader. See csv.h.
 *
 * The input is read in blocks and scanned by a small state machine; each
 * record's field bytes are kept in one buffer (each field followed by a
 * NUL), bounded by the limits, so no input can make us allocate more than
 * about max_record + max_fields bytes. After a malformed record the machine
 * keeps scanning with the same grammar (stray quotes taken literally) but
 * stores nothing, up to the end of that record, so the next call starts
 * cleanly on the following record. */
#include "csv.h"

#include <errno.h>
#include <string.h>

#define CSV_BLOCK 65536

struct vci_csv {
	FILE *f;
	char *name;
	vci_csv_limits_t lim;
	int started, eof;
	unsigned char *buf;
	size_t pos, end;
	size_t line, col;        /* where the next byte is, both 1-based */
	char *data;              /* the record's fields, NUL-separated */
	size_t dlen, dcap;
	size_t *offs, *lens;
	char **fields;
	size_t nf, ocap, lcap, pcap;
	char raw[VCI_CSV_RAW_MAX]; /* the record's first bytes as read */
	size_t rawlen;
	int rawcut;              /* the record had more */
	size_t bad_line;         /* the line a malformed record's message names */
};

/* Keep the first bytes of the record being read, for its error record. */
static void raw_add(vci_csv_t *c, const unsigned char *p, size_t n)
{
	size_t room = sizeof c->raw - c->rawlen;

	if (n > room) {
		n = room;
		c->rawcut = 1;
	}
	memcpy(c->raw + c->rawlen, p, n);
	c->rawlen += n;
}

/* Scanner state within one record. */
enum { S_START, S_UNQUOTED, S_QUOTED, S_QUOTE, S_CR };

typedef struct scan {
	int st;
	int bad;                 /* an error was recorded: store nothing more */
	size_t rec_line;
	size_t field_line;       /* where the current field started */
	size_t field_no;         /* 1-based */
	size_t flen;             /* bytes in the current field */
	size_t rbytes;           /* field bytes in the record */
	size_t qline, qcol;      /* where the open quote was */
	size_t cr_line, cr_col;
	int any;                 /* the record is not an empty line */
} scan_t;

/* Bytes that end a run of ordinary bytes in an unquoted field. */
static const uint8_t special[256] = { [','] = 1, ['"'] = 1, ['\r'] = 1, ['\n'] = 1 };

vci_csv_t *vci_csv_open(FILE *f, const char *name, const vci_csv_limits_t *lim)
{
	vci_csv_t *c;

	if (!f)
		return NULL;
	c = calloc(1, sizeof *c);
	if (!c)
		return NULL;
	c->f = f;
	c->name = strdup(name ? name : "stdin");
	c->buf = malloc(CSV_BLOCK);
	c->lim.max_field = lim && lim->max_field ? lim->max_field : 1048576;
	c->lim.max_record = lim && lim->max_record ? lim->max_record : 4194304;
	c->lim.max_fields = lim && lim->max_fields ? lim->max_fields : 4096;
	c->line = 1;
	c->col = 1;
	if (!c->name || !c->buf) {
		vci_csv_close(c);
		return NULL;
	}
	return c;
}

void vci_csv_close(vci_csv_t *c)
{
	if (!c)
		return;
	free(c->name);
	free(c->buf);
	free(c->data);
	free(c->offs);
	free(c->lens);
	free(c->fields);
	free(c);
}

/* Returns 1 with bytes available, 0 at end of input, -1 on a read error. */
static int fill(vci_csv_t *c, vci_err_t *err)
{
	size_t n;

	if (c->pos < c->end)
		return 1;
	if (c->eof)
		return 0;
	n = fread(c->buf, 1, CSV_BLOCK, c->f);
	c->pos = 0;
	c->end = n;
	if (n > 0)
		return 1;
	if (ferror(c->f))
		return vci_err_set(err, VCI_EXIT_IO, "io_error", "%s: read error: %s",
				   c->name, strerror(errno));
	c->eof = 1;
	return 0;
}

static void fail(vci_csv_t *c, scan_t *s, vci_err_t *err, size_t line, size_t col,
		 const char *fmt, ...) VCI_PRINTF(6, 7);

static void fail(vci_csv_t *c, scan_t *s, vci_err_t *err, size_t line, size_t col,
		 const char *fmt, ...)
{
	char what[256];
	va_list ap;

	if (s->bad)
		return;
	s->bad = 1;
	c->bad_line = line;
	va_start(ap, fmt);
	vsnprintf(what, sizeof what, fmt, ap);
	va_end(ap);
	if (col)
		vci_err_set(err, VCI_EXIT_INPUT, "invalid_csv", "%s: line %zu: %s (column %zu)",
			    c->name, line, what, col);
	else
		vci_err_set(err, VCI_EXIT_INPUT, "invalid_csv", "%s: line %zu: %s",
			    c->name, line, what);
}

static int grow(void *pp, size_t *cap, size_t need, size_t size)
{
	size_t ncap = *cap ? *cap : 16;
	void *np;

	if (need <= *cap)
		return 0;
	while (ncap < need)
		ncap *= 2;
	np = realloc(*(void **)pp, ncap * size);
	if (!np)
		return -1;
	*(void **)pp = np;
	*cap = ncap;
	return 0;
}

/* Append field bytes, enforcing the field and record limits. */
static int put(vci_csv_t *c, scan_t *s, const unsigned char *p, size_t n, vci_err_t *err)
{
	if (s->bad)
		return 0;
	if (n > c->lim.max_field - s->flen) {
		fail(c, s, err, s->field_line, 0, "field %zu longer than %zu bytes",
		     s->field_no, c->lim.max_field);
		return 0;
	}
	if (n > c->lim.max_record - s->rbytes) {
		fail(c, s, err, s->rec_line, 0, "record longer than %zu bytes",
		     c->lim.max_record);
		return 0;
	}
	if (grow(&c->data, &c->dcap, c->dlen + n + 1, 1) < 0)
		return vci_err_oom_at(err, c->name);
	memcpy(c->data + c->dlen, p, n);
	c->dlen += n;
	s->flen += n;
	s->rbytes += n;
	return 0;
}

static int end_field(vci_csv_t *c, scan_t *s, vci_err_t *err)
{
	if (s->bad)
		return 0;
	if (grow(&c->data, &c->dcap, c->dlen + 1, 1) < 0 ||
	    grow(&c->offs, &c->ocap, c->nf + 1, sizeof *c->offs) < 0 ||
	    grow(&c->lens, &c->lcap, c->nf + 1, sizeof *c->lens) < 0 ||
	    grow(&c->fields, &c->pcap, c->nf + 1, sizeof *c->fields) < 0)
		return vci_err_oom_at(err, c->name);
	c->data[c->dlen++] = '\0';
	c->offs[c->nf] = c->dlen - s->flen - 1;
	c->lens[c->nf] = s->flen;
	c->nf++;
	return 0;
}

/* A separator: end the field, start the next one. */
static int next_field(vci_csv_t *c, scan_t *s, vci_err_t *err)
{
	if (end_field(c, s, err) < 0)
		return -1;
	s->field_no++;
	s->field_line = c->line;
	s->flen = 0;
	if (s->field_no > c->lim.max_fields)
		fail(c, s, err, s->rec_line, 0, "more than %zu fields", c->lim.max_fields);
	return 0;
}

static void scan_start(vci_csv_t *c, scan_t *s)
{
	memset(s, 0, sizeof *s);
	s->st = S_START;
	s->rec_line = c->line;
	s->field_line = c->line;
	s->field_no = 1;
	c->nf = 0;
	c->dlen = 0;
	c->rawlen = 0;
	c->rawcut = 0;
}

/* Hand the finished record out: the data buffer is final now. */
static int finish(vci_csv_t *c, scan_t *s, char ***fields, size_t **lens,
		  size_t *nfields)
{
	size_t i;

	if (s->bad)
		return -1;
	for (i = 0; i < c->nf; i++)
		c->fields[i] = c->data + c->offs[i];
	*fields = c->fields;
	*lens = c->lens;
	*nfields = c->nf;
	return 1;
}

int vci_csv_next(vci_csv_t *c, char ***fields, size_t **lens, size_t *nfields,
		 size_t *line, vci_err_t *err)
{
	scan_t s;
	int r;

	*nfields = 0;
	if (!c->started) {
		c->started = 1;
		r = fill(c, err);
		if (r < 0)
			return -2;
		/* A UTF-8 byte order mark at the very start is skipped. */
		if (c->end - c->pos >= 3 && !memcmp(c->buf + c->pos, "\xef\xbb\xbf", 3))
			c->pos += 3;
	}
	scan_start(c, &s);
	for (;;) {
		const unsigned char *p;
		size_t col, ln, n;
		unsigned char ch;

		r = fill(c, err);
		if (r < 0)
			return -2;
		if (r == 0)
			break;
		/* Runs of ordinary bytes first. */
		p = c->buf + c->pos;
		if (s.st == S_UNQUOTED) {
			for (n = 0; c->pos + n < c->end && !special[p[n]]; n++)
				;
			if (n) {
				if (put(c, &s, p, n, err) < 0)
					return -2;
				raw_add(c, p, n);
				c->pos += n;
				c->col += n;
				continue;
			}
		} else if (s.st == S_QUOTED) {
			size_t nl = 0, last = 0;

			for (n = 0; c->pos + n < c->end && p[n] != '"'; n++)
				if (p[n] == '\n') {
					nl++;
					last = n;
				}
			if (n) {
				if (put(c, &s, p, n, err) < 0)
					return -2;
				raw_add(c, p, n);
				c->pos += n;
				if (nl) {
					c->line += nl;
					c->col = n - last;
				} else {
					c->col += n;
				}
				continue;
			}
		}

		ch = c->buf[c->pos++];
		raw_add(c, &ch, 1);
		ln = c->line;
		col = c->col;
		if (ch == '\n') {
			c->line++;
			c->col = 1;
		} else {
			c->col++;
		}
again:
		switch (s.st) {
		case S_START:
			if (ch == '"') {
				s.any = 1;
				s.st = S_QUOTED;
				s.qline = ln;
				s.qcol = col;
			} else if (ch == ',') {
				s.any = 1;
				if (next_field(c, &s, err) < 0)
					return -2;
			} else if (ch == '\n') {
				goto eol;
			} else if (ch == '\r') {
				s.st = S_CR;
				s.cr_line = ln;
				s.cr_col = col;
			} else {
				s.any = 1;
				s.st = S_UNQUOTED;
				if (put(c, &s, &ch, 1, err) < 0)
					return -2;
			}
			break;
		case S_UNQUOTED:
			if (ch == ',') {
				if (next_field(c, &s, err) < 0)
					return -2;
				s.st = S_START;
			} else if (ch == '\n') {
				goto eol;
			} else if (ch == '\r') {
				s.st = S_CR;
				s.cr_line = ln;
				s.cr_col = col;
			} else { /* '"' */
				fail(c, &s, err, ln, col, "field %zu: quote in unquoted field",
				     s.field_no);
			}
			break;
		case S_QUOTED: /* only '"' gets here */
			s.st = S_QUOTE;
			break;
		case S_QUOTE:
			if (ch == '"') {
				if (put(c, &s, &ch, 1, err) < 0)
					return -2;
				s.st = S_QUOTED;
			} else if (ch == ',') {
				if (next_field(c, &s, err) < 0)
					return -2;
				s.st = S_START;
			} else if (ch == '\n') {
				goto eol;
			} else if (ch == '\r') {
				s.st = S_CR;
				s.cr_line = ln;
				s.cr_col = col;
			} else if (s.qline < ln) {
				/* a quote opened lines before: name where */
				fail(c, &s, err, s.qline, 0,
				     "field %zu: quoted field opened at column %zu spans %zu "
				     "lines (%zu to %zu), then an unexpected character after "
				     "its closing quote (line %zu, column %zu)",
				     s.field_no, s.qcol, ln - s.qline + 1, s.qline, ln, ln, col);
				s.st = S_UNQUOTED;
			} else {
				fail(c, &s, err, ln, col,
				     "field %zu: unexpected character after closing quote",
				     s.field_no);
				s.st = S_UNQUOTED;
			}
			break;
		case S_CR:
			if (ch == '\n')
				goto eol;
			fail(c, &s, err, s.cr_line, s.cr_col,
			     "carriage return not followed by line feed");
			s.any = 1;
			s.st = S_UNQUOTED;
			goto again;
		}
		continue;
eol:
		if (!s.any && !s.bad) {
			/* an empty line is not a record */
			scan_start(c, &s);
			continue;
		}
		if (end_field(c, &s, err) < 0)
			return -2;
		*line = s.bad ? c->bad_line : s.rec_line;
		return finish(c, &s, fields, lens, nfields);
	}

	/* End of input. */
	if (s.st == S_QUOTED) {
		size_t last = c->col > 1 ? c->line : c->line - 1;

		if (last > s.qline)
			fail(c, &s, err, s.qline, 0,
			     "field %zu: quoted field opened at column %zu not closed at end "
			     "of input: it spans %zu lines (%zu to %zu)", s.field_no, s.qcol,
			     last - s.qline + 1, s.qline, last);
		else
			fail(c, &s, err, s.qline, s.qcol,
			     "field %zu: quoted field not closed at end of input", s.field_no);
		*line = c->bad_line;
		return -1;
	}
	*line = s.bad ? c->bad_line : s.rec_line;
	if (!s.any && !s.bad)
		return 0;
	if (end_field(c, &s, err) < 0)
		return -2;
	return finish(c, &s, fields, lens, nfields);
}

const char *vci_csv_raw(const vci_csv_t *c, size_t *len, int *cut)
{
	*len = c->rawlen;
	if (cut)
		*cut = c->rawcut;
	return c->raw;
}
