/* csv.h - a strict RFC 4180 reader: quoted fields, embedded newlines,
 * CRLF or LF line ends, bounded field/record sizes. Our own, because
 * CSV is small and the limits and error messages matter.
 *
 * Beyond RFC 4180:
 *  - a UTF-8 byte order mark (EF BB BF) at the very start is skipped;
 *  - empty lines (nothing, or only CR, before the LF) are skipped, not
 *    returned as a record of one empty field;
 *  - the last record need not end with a line end.
 * Errors (each a -1 from vci_csv_next): a quote inside an unquoted field,
 * anything but a separator or line end after a closing quote, a CR not
 * followed by LF outside quotes, a quoted field still open at end of input,
 * and any limit exceeded. Bytes are not checked for UTF-8 here.
 * The input is read in blocks; only the current record is held. */
#ifndef VCI_CSV_H
#define VCI_CSV_H

#include "base/common.h"

typedef struct vci_csv_limits {
	size_t max_field;   /* bytes in one field (default 1 MiB) */
	size_t max_record;  /* bytes in one record (default 4 MiB) */
	size_t max_fields;  /* fields in one record (default 4096) */
} vci_csv_limits_t;     /* a 0 member means its default; max_record counts
			   field bytes after unquoting */

typedef struct vci_csv vci_csv_t;

/* `name` names the input in messages. `lim` NULL means the defaults.
 * Does not take ownership of f. NULL only when out of memory. */
vci_csv_t *vci_csv_open(FILE *f, const char *name, const vci_csv_limits_t *lim);
/* Read one record. Returns 1 with fields (valid until the next call),
 * 0 at end of input, -1 for a malformed record (err filled, code
 * "invalid_csv", message naming line and column): the reader has skipped
 * to the start of the next record and may be called again; -2 on an I/O
 * error (stop). *line is the physical line the record starts on, or for
 * a malformed record the line its message names: where the bad field's
 * quote opened when the field ran over several lines (the message then
 * says how many lines it spans: an unclosed quote takes the rest of the
 * input, and a closing quote further down the rows up to it). */
int vci_csv_next(vci_csv_t *c, char ***fields, size_t **lens, size_t *nfields,
		 size_t *line, vci_err_t *err);
/* The raw text of the record the last vci_csv_next read (good or not),
 * as it was in the input, line ends included: its first VCI_CSV_RAW_MAX
 * bytes (*cut set when there were more; cut may be NULL). Valid until the
 * next call; not NUL-terminated, not checked for UTF-8. */
#define VCI_CSV_RAW_MAX 4096
const char *vci_csv_raw(const vci_csv_t *c, size_t *len, int *cut);
void vci_csv_close(vci_csv_t *c);

#endif
