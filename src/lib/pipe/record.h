/* record.h - issuance records: one JSON object per credential. Read one
 * JSON document, an NDJSON stream, or CSV rows; write NDJSON. */
#ifndef VCI_RECORD_H
#define VCI_RECORD_H

#include "base/common.h"
#include "csv.h"

typedef enum vci_input_kind {
	VCI_INPUT_AUTO = 0, /* NDJSON if the first non-blank line is a whole
			       JSON value (other than an array), or is not
			       JSON (a bad line, one error record), or is
			       cut short and the next line is an object;
			       else one JSON document (a value over several
			       lines, or an array) */
	VCI_INPUT_JSON,     /* one document; a top-level array yields its elements */
	VCI_INPUT_NDJSON,   /* one JSON object per line; blank lines skipped */
	VCI_INPUT_CSV,      /* RFC 4180 with a header row, see vci(7) */
} vci_input_kind_t;

typedef struct vci_reader vci_reader_t;

/* Takes ownership of f (closed by vci_reader_close unless it is stdin). */
vci_reader_t *vci_reader_open(FILE *f, const char *name, vci_input_kind_t kind,
			      vci_err_t *err);
/* Open a path ("-" or NULL = stdin). */
vci_reader_t *vci_reader_open_path(const char *path, vci_input_kind_t kind,
				   vci_err_t *err);
/* Largest NDJSON line or JSON document in bytes (default VCI_MAX_DOCUMENT).
 * Call before the first vci_reader_next. */
void vci_reader_set_limit(vci_reader_t *r, size_t max);
/* Next record. Returns:
 *   1  *rec is a record (new reference);
 *   0  end of input;
 *  -1  the record was bad: *rec is an error record (new reference) to be
 *      passed on, err says why; reading may go on;
 *  -2  fatal (I/O error, or a JSON document that cannot be split): stop.
 * A record that is not a JSON object is a bad record. CSV rows become
 * {"claims": {...}} (see vci(7) for the `record.` column prefix).
 *
 * Details: a UTF-8 byte order mark at the start of any input is skipped.
 * Every parse rejects duplicate keys. NDJSON lines that are bad give error
 * records {"error":{"code":"invalid_json","message":"NAME: line N: ..."},
 * "line":N}; a line over the limit gives code "input_too_large". In a JSON
 * document, an array element that is not an object gives an error record
 * without "line" (the message names the element, 1-based). CSV: the header
 * is read first; a column "a.b" sets claims.a.b, a column "record.x" sets
 * the record's own x; empty cells are left out; values stay strings;
 * fields are added in column order and "claims" is always present. An
 * empty name, empty name component, duplicate or conflicting names (a and
 * a.b) or a malformed header row are fatal (-2); a row with the wrong
 * number of fields or a malformed row is an error record with "line".
 * After -2, further calls return -2 with the same error. */
int vci_reader_next(vci_reader_t *r, json_t **rec, vci_err_t *err);
/* As vci_reader_next, but an NDJSON line comes back unparsed: 1 with
 * raw and len set (valid until the next call) and *rec NULL, to be parsed
 * with vci_reader_parse_line, possibly on another thread. Other outcomes,
 * and every record of other input kinds, come back as from
 * vci_reader_next (raw NULL). */
int vci_reader_next_raw(vci_reader_t *r, const char **raw, size_t *len, json_t **rec,
			vci_err_t *err);
/* Parse one NDJSON line as vci_reader_next does: 1 and a record, or -1
 * and an error record naming NAME and LINE (-2 out of memory). */
int vci_reader_parse_line(const char *name, const char *p, size_t len, size_t line,
			  json_t **rec, vci_err_t *err);
/* 1 if reading the next NDJSON line would wait for more input (none is
 * buffered and none is ready on the descriptor): the moment to flush
 * what was written for the records so far. */
int vci_reader_would_block(const vci_reader_t *r);
const char *vci_reader_name(const vci_reader_t *r);
/* Line number (1-based) where the last returned record started. */
size_t vci_reader_line(const vci_reader_t *r);
/* Bytes of the input read so far (into the reader's buffer), or -1 when
 * the stream cannot tell (a pipe). For progress only. */
int64_t vci_reader_tell(const vci_reader_t *r);
void vci_reader_close(vci_reader_t *r);

/* Build an error record: a copy of `orig`'s fields (if orig is an object),
 * then "error": {"code", "message"} and "line" (if line > 0). */
json_t *vci_record_error(const json_t *orig, const char *code, const char *message,
			 size_t line);
json_t *vci_record_error_from(const json_t *orig, const vci_err_t *err, size_t line);
/* True if the record is an error record (has an "error" object). */
int vci_record_is_error(const json_t *rec);

/* Drop from a signed record the secrets its issuance has used up: the
 * pre-authorized code and tx_code, the offer that carries the code
 * (credential_offer, offer_link, qr_png, qr_svg, issuer_state), the
 * proof JWTs (proofs, proof, credential_request) and the wallet
 * attestation's JWTs. What they proved stays (holder_jwk,
 * proof_policy, wallet_attestation, ...). */
void vci_record_drop_secrets(json_t *rec);

/* Write one record as a line of compact JSON (field order kept). */
int vci_record_write(FILE *out, const json_t *rec, vci_err_t *err);

/* Set obj[a][b][c] = value for a dotted name "a.b.c", creating objects.
 * Steals value. Fails if a component is empty or an existing non-object
 * is in the way, or the leaf already exists. */
int vci_record_set_path(json_t *obj, const char *dotted, json_t *value, vci_err_t *err);

#endif
