/* record.c - issuance records in and out. See record.h.
 *
 * Line input (NDJSON, and the look at the first line that AUTO needs) goes
 * through one growable buffer that is refilled in blocks, so a line longer
 * than the limit is skipped without being held. Blocks are read with
 * read(2), which returns what a pipe holds instead of waiting for a whole
 * block, so each line is handled as it arrives. A JSON document is read
 * whole (bounded), CSV is streamed by csv.c. */
#include "record.h"
#include "params.h"

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>

#define IN_BLOCK 65536
#define JSON_FLAGS (JSON_REJECT_DUPLICATES | JSON_DECODE_ANY | JSON_ALLOW_NUL)

typedef struct column {
	char *name;     /* as in the header */
	char *path;     /* dotted path from the record's top level */
} column_t;

struct vci_reader {
	FILE *f;
	int own;
	char *name;
	vci_input_kind_t kind;
	size_t max;
	size_t line;            /* where the last record started */
	int fatal;
	vci_err_t fatal_err;

	/* line and document input */
	char *ib;
	size_t icap, ipos, iend;
	int ieof, started;
	size_t next_line;       /* line number of ib[ipos] */

	/* one JSON document */
	json_t *doc;
	size_t idx, doc_line;
	int doc_done;

	/* CSV */
	vci_csv_t *csv;
	column_t *cols;
	size_t ncols;
	int header_done;
};

vci_reader_t *vci_reader_open(FILE *f, const char *name, vci_input_kind_t kind,
			      vci_err_t *err)
{
	vci_reader_t *r;

	if (!f) {
		vci_err_set(err, VCI_EXIT_INPUT, "unreadable_input", "%s: no input stream",
			    name ? name : "input");
		return NULL;
	}
	r = calloc(1, sizeof *r);
	if (r)
		r->name = strdup(name ? name : f == stdin ? "stdin" : "input");
	if (!r || !r->name) {
		if (f != stdin)
			fclose(f);
		free(r);
		vci_err_oom_at(err, name ? name : "input");
		return NULL;
	}
	r->f = f;
	r->own = f != stdin;
	r->kind = kind;
	r->max = VCI_MAX_DOCUMENT;
	r->next_line = 1;
	return r;
}

vci_reader_t *vci_reader_open_path(const char *path, vci_input_kind_t kind,
				   vci_err_t *err)
{
	FILE *f;

	if (!path || !strcmp(path, "-"))
		return vci_reader_open(stdin, "stdin", kind, err);
	f = fopen(path, "rb");
	if (!f) {
		vci_err_set(err, VCI_EXIT_INPUT, "unreadable_input", "%s: %s", path,
			    strerror(errno));
		return NULL;
	}
	return vci_reader_open(f, path, kind, err);
}

void vci_reader_set_limit(vci_reader_t *r, size_t max)
{
	if (r && max)
		r->max = max;
}

int64_t vci_reader_tell(const vci_reader_t *r)
{
	off_t o = r && r->f ? ftello(r->f) : -1;

	return o < 0 ? -1 : (int64_t)o;
}

size_t vci_reader_line(const vci_reader_t *r)
{
	return r ? r->line : 0;
}

void vci_reader_close(vci_reader_t *r)
{
	size_t i;

	if (!r)
		return;
	vci_csv_close(r->csv);
	for (i = 0; i < r->ncols; i++) {
		free(r->cols[i].name);
		free(r->cols[i].path);
	}
	free(r->cols);
	if (r->doc)
		json_decref(r->doc);
	free(r->ib);
	free(r->name);
	if (r->own)
		fclose(r->f);
	free(r);
}

/* ---- line input ---- */

/* Read another block after what is buffered (moving it to the front).
 * Returns bytes read, 0 at end of input, -1 on error. */
static long in_fill(vci_reader_t *r, vci_err_t *err)
{
	size_t n;

	if (r->ieof)
		return 0;
	if (r->ipos) {
		memmove(r->ib, r->ib + r->ipos, r->iend - r->ipos);
		r->iend -= r->ipos;
		r->ipos = 0;
	}
	if (r->icap - r->iend < IN_BLOCK) {
		size_t ncap = r->icap ? r->icap * 2 : 2 * IN_BLOCK;
		char *nb = realloc(r->ib, ncap);

		if (!nb)
			return vci_err_oom_at(err, r->name);
		r->ib = nb;
		r->icap = ncap;
	}
	if (fileno(r->f) < 0) {
		/* a stream without a descriptor (fmemopen) */
		n = fread(r->ib + r->iend, 1, r->icap - r->iend, r->f);
		if (n == 0 && ferror(r->f))
			return vci_err_set(err, VCI_EXIT_IO, "io_error", "%s: read error: %s",
					   r->name, strerror(errno));
	} else {
		ssize_t got;

		do
			got = read(fileno(r->f), r->ib + r->iend, r->icap - r->iend);
		while (got < 0 && errno == EINTR);
		if (got < 0)
			return vci_err_set(err, VCI_EXIT_IO, "io_error", "%s: read error: %s",
					   r->name, strerror(errno));
		n = (size_t)got;
	}
	if (n == 0) {
		r->ieof = 1;
		return 0;
	}
	r->iend += n;
	if (!r->started) {
		/* a UTF-8 byte order mark at the very start is skipped */
		r->started = 1;
		if (r->iend >= 3 && !memcmp(r->ib, "\xef\xbb\xbf", 3))
			r->ipos = 3;
	}
	return (long)n;
}

/* Next line, without its LF. Returns 1 (line in *p, *len, number in *lineno),
 * 0 at end of input, -1 if the line is longer than r->max (it has been
 * skipped), -2 on a read error. */
static int in_line(vci_reader_t *r, const char **p, size_t *len, size_t *lineno,
		   vci_err_t *err)
{
	size_t scanned = 0;

	for (;;) {
		size_t avail = r->iend - r->ipos;
		char *nl = avail > scanned ?
			memchr(r->ib + r->ipos + scanned, '\n', avail - scanned) : NULL;
		long got;

		if (nl || (r->ieof && avail)) {
			*p = r->ib + r->ipos;
			*len = nl ? (size_t)(nl - *p) : avail;
			r->ipos += nl ? *len + 1 : *len;
			*lineno = r->next_line++;
			return *len > r->max ? -1 : 1;
		}
		if (r->ieof)
			return 0;
		scanned = avail;
		if (avail > r->max) {
			/* too long: drop it up to its end */
			*lineno = r->next_line++;
			for (;;) {
				r->ipos = r->iend;
				got = in_fill(r, err);
				if (got < 0)
					return -2;
				if (got == 0)
					return -1;
				nl = memchr(r->ib, '\n', r->iend);
				if (nl) {
					r->ipos = (size_t)(nl - r->ib) + 1;
					return -1;
				}
			}
		}
		if (in_fill(r, err) < 0)
			return -2;
	}
}

static int is_blank(const char *p, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (p[i] != ' ' && p[i] != '\t' && p[i] != '\r')
			return 0;
	return 1;
}

static const char *type_name(const json_t *j)
{
	switch (json_typeof(j)) {
	case JSON_OBJECT: return "an object";
	case JSON_ARRAY: return "an array";
	case JSON_STRING: return "a string";
	case JSON_INTEGER: case JSON_REAL: return "a number";
	case JSON_TRUE: case JSON_FALSE: return "a boolean";
	default: return "null";
	}
}

/* The next non-blank line at or after off in the buffer, reading more
 * as needed: 1 with its start and length, 0 when there is none (or it is
 * longer than the limit), -1 on a read error. Nothing is consumed. */
static int peek_line(vci_reader_t *r, size_t off, size_t *start, size_t *len, vci_err_t *err)
{
	for (;;) {
		size_t avail = r->iend - r->ipos;
		char *base = r->ib + r->ipos;
		char *nl = avail > off ? memchr(base + off, '\n', avail - off) : NULL;

		if (off >= avail && r->ieof)
			return 0;
		if (!nl && !r->ieof) {
			if (avail - off > r->max)
				return 0;
			if (in_fill(r, err) < 0)
				return -1;
			continue;
		}
		*len = nl ? (size_t)(nl - (base + off)) : avail - off;
		if (!is_blank(base + off, *len)) {
			*start = off;
			return 1;
		}
		if (!nl)
			return 0;
		off += *len + 1;
	}
}

/* Does the buffered line parse alone as a JSON object? */
static int line_is_object(vci_reader_t *r, size_t start, size_t len)
{
	json_t *j = json_loadb(r->ib + r->ipos + start, len, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
	int yes = json_is_object(j);

	if (j)
		json_decref(j);
	return yes;
}

/* AUTO: look at the first non-blank line without consuming anything. If it
 * is a whole JSON value on its own (other than an array, which is taken as
 * a one-line document), the input is NDJSON. If it is the start of a value
 * that goes on (a document over several lines), the input is one document
 * - unless the next line is a JSON object on its own: then the first is a
 * truncated NDJSON line. A line that is not JSON at all (a syntax error
 * before its end) is a bad NDJSON line, one error record like any other,
 * unless it opens an array. Duplicates are not checked here: the real
 * parse does that. */
static int detect(vci_reader_t *r, vci_err_t *err)
{
	size_t start, len, start2, len2;
	json_error_t je;
	json_t *j;
	int rc;

	if (!r->ib && in_fill(r, err) < 0)
		return -1;
	rc = peek_line(r, 0, &start, &len, err);
	if (rc < 0)
		return -1;
	if (rc == 0) {
		/* nothing but blank lines is NDJSON; a line over the limit (the
		 * end of input not reached) a document */
		r->kind = r->ieof ? VCI_INPUT_NDJSON : VCI_INPUT_JSON;
		return 0;
	}
	j = json_loadb(r->ib + r->ipos + start, len, JSON_DECODE_ANY | JSON_ALLOW_NUL, &je);
	if (j) {
		r->kind = json_is_array(j) ? VCI_INPUT_JSON : VCI_INPUT_NDJSON;
		json_decref(j);
		return 0;
	}
	for (size_t i = 0; i < len; i++) {
		char ch = r->ib[r->ipos + start + i];

		if (ch == '[') {
			r->kind = VCI_INPUT_JSON;
			return 0;
		}
		if (ch != ' ' && ch != '\t' && ch != '\r')
			break;
	}
	if (json_error_code(&je) != json_error_premature_end_of_input) {
		r->kind = VCI_INPUT_NDJSON;
		return 0;
	}
	rc = peek_line(r, start + len + 1, &start2, &len2, err);
	if (rc < 0)
		return -1;
	r->kind = rc == 1 && line_is_object(r, start2, len2) ? VCI_INPUT_NDJSON : VCI_INPUT_JSON;
	return 0;
}

/* ---- NDJSON ---- */

static int bad_record_named(const char *name, json_t **rec, vci_err_t *err, size_t line,
			    const char *code, const char *fmt, ...) VCI_PRINTF(6, 7);

static int bad_record_named(const char *name, json_t **rec, vci_err_t *err, size_t line,
			    const char *code, const char *fmt, ...)
{
	vci_err_t e = { 0 };
	char msg[sizeof e.msg];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	vci_err_set(&e, VCI_EXIT_INPUT, code, "%s", msg);
	*rec = vci_record_error_from(NULL, &e, line);
	if (err)
		*err = e;
	if (!*rec)
		return vci_err_oom_at(err, name) - 1;
	return -1;
}

#define bad_record(r, ...) bad_record_named((r)->name, __VA_ARGS__)

int vci_reader_parse_line(const char *name, const char *p, size_t len, size_t line,
			  json_t **rec, vci_err_t *err)
{
	json_error_t je;
	json_t *j = json_loadb(p, len, JSON_FLAGS, &je);
	int rc;

	*rec = NULL;
	if (!j)
		return bad_record_named(name, rec, err, line, "invalid_json",
					"%s: line %zu: %s (column %d)", name, line, je.text,
					je.column);
	if (!json_is_object(j)) {
		rc = bad_record_named(name, rec, err, line, "invalid_json",
				      "%s: line %zu: expected a JSON object, got %s", name, line,
				      type_name(j));
		json_decref(j);
		return rc;
	}
	*rec = j;
	return 1;
}

/* The next non-blank line: 1 with its bytes, or what next_ndjson returns
 * for the end, an over-long line and errors. */
static int next_line(vci_reader_t *r, const char **p, size_t *len, json_t **rec,
		     vci_err_t *err)
{
	for (;;) {
		size_t line;
		int rc = in_line(r, p, len, &line, err);

		if (rc == 0 || rc == -2)
			return rc;
		r->line = line;
		if (rc == -1)
			return bad_record(r, rec, err, line, "input_too_large",
					  "%s: line %zu: longer than %zu bytes",
					  r->name, line, r->max);
		if (!is_blank(*p, *len))
			return 1;
	}
}

static int next_ndjson(vci_reader_t *r, json_t **rec, vci_err_t *err)
{
	const char *p;
	size_t len;
	int rc = next_line(r, &p, &len, rec, err);

	return rc == 1 ? vci_reader_parse_line(r->name, p, len, r->line, rec, err) : rc;
}

/* ---- one JSON document ---- */

static int load_doc(vci_reader_t *r, vci_err_t *err)
{
	json_error_t je;
	size_t i, avail;
	long got;

	do {
		if (r->iend - r->ipos > r->max)
			return vci_err_set(err, VCI_EXIT_INPUT, "input_too_large",
					   "%s: larger than %zu bytes", r->name, r->max);
		got = in_fill(r, err);
	} while (got > 0);
	if (got < 0)
		return -1;
	avail = r->iend - r->ipos;
	r->doc_line = r->next_line;
	for (i = 0; i < avail && strchr(" \t\r\n", r->ib[r->ipos + i]) && r->ib[r->ipos + i]; i++)
		if (r->ib[r->ipos + i] == '\n')
			r->doc_line++;
	r->line = r->doc_line;
	if (i == avail) {
		r->doc_done = 1; /* an empty input holds no records */
	} else {
		r->doc = json_loadb(r->ib + r->ipos, avail, JSON_FLAGS, &je);
		if (!r->doc)
			return vci_err_set(err, VCI_EXIT_INPUT, "invalid_json",
					   "%s: line %d: %s (column %d)", r->name,
					   je.line + (int)r->next_line - 1, je.text, je.column);
	}
	free(r->ib);
	r->ib = NULL;
	r->icap = r->ipos = r->iend = 0;
	return 0;
}

static int next_doc(vci_reader_t *r, json_t **rec, vci_err_t *err)
{
	json_t *j;

	if (!r->doc && !r->doc_done && load_doc(r, err) < 0)
		return -2;
	if (r->doc_done)
		return 0;
	r->line = r->doc_line;
	if (!json_is_array(r->doc)) {
		r->doc_done = 1;
		if (!json_is_object(r->doc))
			return bad_record(r, rec, err, r->doc_line, "invalid_json",
					  "%s: expected a JSON object or array, got %s",
					  r->name, type_name(r->doc));
		*rec = json_incref(r->doc);
		return 1;
	}
	if (r->idx >= json_array_size(r->doc)) {
		r->doc_done = 1;
		return 0;
	}
	j = json_array_get(r->doc, r->idx++);
	if (!json_is_object(j))
		return bad_record(r, rec, err, 0, "invalid_json",
				  "%s: element %zu: expected a JSON object, got %s",
				  r->name, r->idx, type_name(j));
	*rec = json_incref(j);
	return 1;
}

/* ---- CSV ---- */

static int header_fail(vci_reader_t *r, vci_err_t *err, size_t line, const char *fmt, ...)
	VCI_PRINTF(4, 5);

static int header_fail(vci_reader_t *r, vci_err_t *err, size_t line, const char *fmt, ...)
{
	char msg[400];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	return vci_err_set(err, VCI_EXIT_INPUT, "invalid_csv", "%s: line %zu: header: %s",
			   r->name, line, msg);
}

/* Is path a equal to, or an ancestor of, path b (or the other way)? */
static int paths_clash(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), n = la < lb ? la : lb;

	if (memcmp(a, b, n))
		return 0;
	return la == lb || (la < lb ? b[la] : a[lb]) == '.';
}

static int read_header(vci_reader_t *r, vci_err_t *err)
{
	char **fields;
	size_t *lens, n, line, i;
	int rc = vci_csv_next(r->csv, &fields, &lens, &n, &line, err);

	if (rc <= 0)
		return rc == 0 ? 0 : -1;
	r->line = line;
	r->cols = calloc(n, sizeof *r->cols);
	if (!r->cols)
		return vci_err_oom_at(err, r->name);
	for (i = 0; i < n; i++) {
		column_t *c = &r->cols[i];
		const char *name = fields[i];
		size_t j;

		if (lens[i] == 0)
			return header_fail(r, err, line, "column %zu: empty name", i + 1);
		if (strlen(name) != lens[i])
			return header_fail(r, err, line, "column %zu: NUL byte in name", i + 1);
		c->name = strdup(name);
		r->ncols = i + 1;
		if (!c->name)
			return vci_err_oom_at(err, r->name);
		if (!strncmp(name, "record.", 7))
			c->path = strdup(name + 7);
		else if (asprintf(&c->path, "claims.%s", name) < 0)
			c->path = NULL;
		if (!c->path)
			return vci_err_oom_at(err, r->name);
		if (!*c->path || name[lens[i] - 1] == '.' || name[0] == '.' || strstr(name, ".."))
			return header_fail(r, err, line, "column %zu: \"%s\": empty name component",
					   i + 1, name);
		for (j = 0; j < i; j++) {
			if (!strcmp(r->cols[j].name, name))
				return header_fail(r, err, line,
						   "column %zu: duplicate name \"%s\" (also column %zu)",
						   i + 1, name, j + 1);
			if (paths_clash(r->cols[j].path, c->path))
				return header_fail(r, err, line,
						   "columns %zu (\"%s\") and %zu (\"%s\") conflict",
						   j + 1, r->cols[j].name, i + 1, name);
		}
		/* keys must be UTF-8: let jansson check the name once */
		{
			json_t *probe = json_stringn(name, lens[i]);

			if (!probe)
				return header_fail(r, err, line, "column %zu: name is not valid UTF-8",
						   i + 1);
			json_decref(probe);
		}
	}
	r->header_done = 1;
	return 1;
}

/* A malformed row's error record carries the row as it was read ("raw",
 * its first VCI_CSV_RAW_MAX bytes, cut back to whole UTF-8 characters;
 * left out when it is not UTF-8). -1 only when out of memory. */
static int add_raw(vci_reader_t *r, json_t *rec)
{
	size_t len;
	int cut;
	const char *raw = vci_csv_raw(r->csv, &len, &cut);
	json_t *s = json_stringn(raw, len);

	for (int k = 0; !s && cut && k < 3 && len > 0; k++)
		s = json_stringn(raw, --len);
	if (!s)
		return 0;
	return json_object_set_new(rec, "raw", s);
}

static int next_csv(vci_reader_t *r, json_t **rec, vci_err_t *err)
{
	json_auto_t *out = NULL;
	char **fields;
	size_t *lens, n, line, i;
	vci_err_t e = { 0 };
	int rc;

	if (!r->csv) {
		r->csv = vci_csv_open(r->f, r->name, NULL);
		if (!r->csv)
			return vci_err_oom_at(err, r->name) - 1;
	}
	if (!r->header_done) {
		rc = read_header(r, err);
		if (rc <= 0)
			return rc == 0 ? 0 : -2;
	}
	rc = vci_csv_next(r->csv, &fields, &lens, &n, &line, &e);
	if (rc == 0)
		return 0;
	if (err)
		*err = e;
	if (rc == -2)
		return -2;
	r->line = line;
	if (rc == -1) {
		*rec = vci_record_error_from(NULL, &e, line);
		return *rec && add_raw(r, *rec) == 0 ? -1 : -2;
	}
	if (n != r->ncols) {
		rc = bad_record(r, rec, err, line, "invalid_csv",
				"%s: line %zu: %zu field%s, the header has %zu",
				r->name, line, n, n == 1 ? "" : "s", r->ncols);
		return rc == -1 && add_raw(r, *rec) < 0 ? -2 : rc;
	}
	out = json_object();
	if (!out)
		return vci_err_oom_at(err, r->name) - 1;
	for (i = 0; i < n; i++) {
		json_t *v;

		if (lens[i] == 0)
			continue;
		v = json_stringn(fields[i], lens[i]);
		if (!v)
			return bad_record(r, rec, err, line, "invalid_csv",
					  "%s: line %zu: field %zu (%s): not valid UTF-8",
					  r->name, line, i + 1, r->cols[i].name);
		if (vci_record_set_path(out, r->cols[i].path, v, &e) < 0)
			return bad_record(r, rec, err, line, "invalid_csv",
					  "%s: line %zu: field %zu (%s): %s",
					  r->name, line, i + 1, r->cols[i].name, e.msg);
	}
	if (!json_object_get(out, "claims") && json_object_set_new(out, "claims", json_object()) < 0)
		return vci_err_oom_at(err, r->name) - 1;
	*rec = out;
	out = NULL;
	return 1;
}

int vci_reader_next(vci_reader_t *r, json_t **rec, vci_err_t *err)
{
	int rc;

	*rec = NULL;
	if (r->fatal) {
		if (err)
			*err = r->fatal_err;
		return -2;
	}
	if (r->kind == VCI_INPUT_AUTO && detect(r, &r->fatal_err) < 0) {
		rc = -2;
	} else {
		switch (r->kind) {
		case VCI_INPUT_NDJSON:
			rc = next_ndjson(r, rec, &r->fatal_err);
			break;
		case VCI_INPUT_CSV:
			rc = next_csv(r, rec, &r->fatal_err);
			break;
		default:
			rc = next_doc(r, rec, &r->fatal_err);
			break;
		}
	}
	if (rc == -2) {
		r->fatal = 1;
		if (*rec) {
			json_decref(*rec);
			*rec = NULL;
		}
	}
	if (err && rc < 0)
		*err = r->fatal_err;
	return rc;
}

int vci_reader_next_raw(vci_reader_t *r, const char **raw, size_t *len, json_t **rec,
			vci_err_t *err)
{
	int rc;

	*raw = NULL;
	*len = 0;
	*rec = NULL;
	if (r->fatal || r->kind != VCI_INPUT_NDJSON) {
		if (!r->fatal && r->kind == VCI_INPUT_AUTO && detect(r, &r->fatal_err) < 0) {
			r->fatal = 1;
			if (err)
				*err = r->fatal_err;
			return -2;
		}
		if (r->fatal || r->kind != VCI_INPUT_NDJSON)
			return vci_reader_next(r, rec, err);
	}
	rc = next_line(r, raw, len, rec, &r->fatal_err);
	if (rc == -2)
		r->fatal = 1;
	if (err && rc < 0)
		*err = r->fatal_err;
	return rc;
}

int vci_reader_would_block(const vci_reader_t *r)
{
	struct pollfd pfd;

	if (r->fatal || r->ieof || r->kind == VCI_INPUT_CSV || fileno(r->f) < 0)
		return 0;
	if (r->iend > r->ipos && memchr(r->ib + r->ipos, '\n', r->iend - r->ipos))
		return 0;
	pfd.fd = fileno(r->f);
	pfd.events = POLLIN;
	return poll(&pfd, 1, 0) == 0;
}

const char *vci_reader_name(const vci_reader_t *r)
{
	return r->name;
}

/* ---- records ---- */

json_t *vci_record_error(const json_t *orig, const char *code, const char *message,
			 size_t line)
{
	json_auto_t *rec = json_object();
	json_t *e;
	const char *k;
	json_t *v;

	if (!rec)
		return NULL;
	if (json_is_object(orig)) {
		json_object_foreach((json_t *)orig, k, v) {
			if (!strcmp(k, "error") || !strcmp(k, "line"))
				continue;
			if (json_object_set_new(rec, k, json_deep_copy(v)) < 0)
				return NULL;
		}
	}
	e = json_pack("{s:s, s:s}", "code", code ? code : "error",
		      "message", message ? message : "");
	if (!e || json_object_set_new(rec, "error", e) < 0)
		return NULL;
	if (line > 0 && json_object_set_new(rec, "line", json_integer((json_int_t)line)) < 0)
		return NULL;
	return json_incref(rec);
}

json_t *vci_record_error_from(const json_t *orig, const vci_err_t *err, size_t line)
{
	char buf[sizeof err->msg + 64];

	return vci_record_error(orig, err && err->code[0] ? err->code : "error",
				err ? vci_cli_params(err->msg, buf, sizeof buf) : "", line);
}

int vci_record_is_error(const json_t *rec)
{
	return json_is_object(rec) && json_is_object(json_object_get(rec, "error"));
}

int vci_record_write(FILE *out, const json_t *rec, vci_err_t *err)
{
	char_auto_t *s = NULL;

	if (!rec)
		return vci_err_set(err, VCI_EXIT_IO, "io_error", "no record to write");
	s = vci_json_dumps(rec, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_ENCODE_ANY);
	if (!s)
		return vci_err_set(err, VCI_EXIT_IO, "io_error", "cannot serialize record");
	if (fputs(s, out) == EOF || putc('\n', out) == EOF)
		return vci_err_set(err, VCI_EXIT_IO, "io_error", "write error: %s",
				   strerror(errno));
	return 0;
}

int vci_record_set_path(json_t *obj, const char *dotted, json_t *value, vci_err_t *err)
{
	json_auto_t *val = value; /* stolen: released on every failure */
	json_t *cur = obj, *chain;
	char_auto_t *copy = NULL;
	char **parts = NULL;
	size_t n = 1, i, k;
	int rc = -1;

	if (!val)
		return vci_err_set(err, VCI_EXIT_IO, "io_error", "%s: no value",
				   dotted ? dotted : "(null)");
	if (!dotted || !json_is_object(obj))
		return vci_err_set(err, VCI_EXIT_INPUT, "invalid_record",
				   "%s: not an object to set into", dotted ? dotted : "(null)");
	copy = strdup(dotted);
	for (const char *p = dotted; *p; p++)
		n += *p == '.';
	parts = copy ? calloc(n, sizeof *parts) : NULL;
	if (!parts)
		return vci_err_oom_at(err, dotted);
	parts[0] = copy;
	for (i = 1, k = 0; copy[k]; k++)
		if (copy[k] == '.') {
			copy[k] = '\0';
			parts[i++] = copy + k + 1;
		}
	for (i = 0; i < n; i++)
		if (!*parts[i]) {
			vci_err_set(err, VCI_EXIT_INPUT, "invalid_record",
				    "%s: empty name component", dotted);
			goto out;
		}

	/* walk down what exists */
	for (i = 0; i + 1 < n; i++) {
		json_t *child = json_object_get(cur, parts[i]);

		if (!child)
			break;
		if (!json_is_object(child)) {
			vci_err_set(err, VCI_EXIT_INPUT, "invalid_record",
				    "%s: \"%s\" is %s, not an object", dotted, parts[i],
				    type_name(child));
			goto out;
		}
		cur = child;
	}
	if (i + 1 == n && json_object_get(cur, parts[i])) {
		vci_err_set(err, VCI_EXIT_INPUT, "invalid_record", "%s: already set", dotted);
		goto out;
	}
	/* build the missing part bottom-up, then attach it in one step */
	chain = json_incref(val);
	for (k = n - 1; k > i; k--) {
		json_t *o = json_object();

		if (!o || json_object_set_new(o, parts[k], chain) < 0) {
			if (o)
				json_decref(o);
			else
				json_decref(chain);
			vci_err_set(err, VCI_EXIT_INPUT, "invalid_record",
				    "%s: name is not valid UTF-8", dotted);
			goto out;
		}
		chain = o;
	}
	if (json_object_set_new(cur, parts[i], chain) < 0) {
		vci_err_set(err, VCI_EXIT_INPUT, "invalid_record",
			    "%s: name is not valid UTF-8", dotted);
		goto out;
	}
	rc = 0;
out:
	free(parts);
	return rc;
}

void vci_record_drop_secrets(json_t *rec)
{
	static const char *const used[] = {
		"pre_authorized_code", "tx_code", "credential_offer", "offer_link",
		"credential_offer_uri", "qr_png", "qr_svg", "issuer_state", "proofs", "proof",
		"credential_request", "client_attestation", "client_attestation_pop",
	};

	const char *k;
	json_t *v;
	void *next;

	/* a record has a few members: look each up among the names, rather
	 * than each name up in the record (a hash and a probe per name) */
	json_object_foreach_safe(rec, next, k, v) {
		for (size_t i = 0; i < sizeof used / sizeof used[0]; i++)
			if (k[0] == used[i][0] && !strcmp(k, used[i])) {
				json_object_del(rec, k);
				break;
			}
	}
}
