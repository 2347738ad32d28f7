/* batch.h - the batch runner: every record of a tool's inputs through
 * one function, on --jobs N threads, results written in input order,
 * progress and a summary on stderr. */
#ifndef VCI_BATCH_H
#define VCI_BATCH_H

#include "base/common.h"
#include "base/buf.h"
#include "cli.h"

/* Batch: apply fn to every record, with cli->jobs threads, writing the
 * results to out in input order. fn returns 0 with *result set (a new
 * reference, usually the record it was given with fields added), or -1
 * with err filled: the runner then writes an error record built from the
 * input record. Bad input records become error records. An input record
 * that is already an error record (an earlier stage's, see
 * vci_record_is_error) is not given to fn: it is written unchanged and
 * counted as passed through. fn must be thread-safe; ctx holds state
 * prepared once (keys, definition). Progress goes to stderr when
 * enabled; a one-line summary at the end ("prog: N records, N ok, N
 * failed", then ", N error records passed through" when there were any)
 * when more than one record, or any failed or passed through. Returns
 * VCI_EXIT_OK, VCI_EXIT_FAIL if any record failed or was passed through
 * as an error record, or another status (err filled) on a fatal error. */
typedef int (*vci_batch_fn_t)(void *ctx, json_t *rec, json_t **result, vci_err_t *err);
typedef struct vci_batch_stats {
	size_t total, ok, failed;
	size_t passed;  /* error records of an earlier stage, written unchanged */
} vci_batch_stats_t;
int vci_batch_run(const vci_cli_t *cli, vci_inputs_t *in, FILE *out,
		  vci_batch_fn_t fn, void *ctx, vci_batch_stats_t *stats, vci_err_t *err);


/* As vci_batch_run, but every output record (result or error record) is
 * turned into text by `write` instead of being written as a line of JSON:
 * e.g. to print only a field of it (--raw). `write` runs on the worker
 * that made the record (any thread, so it must be thread-safe); it
 * appends what goes to the output to `out` and a message for stderr to
 * `msg`, and the calling thread writes both in input order. A non-zero
 * return stops the batch with that status.
 * Output is flushed whenever the input has nothing ready, and at the end. */
typedef int (*vci_batch_write_fn_t)(void *wctx, const json_t *rec, vci_buf_t *out,
				    vci_buf_t *msg, vci_err_t *err);
int vci_batch_run_with(const vci_cli_t *cli, vci_inputs_t *in, FILE *out,
		       vci_batch_fn_t fn, void *ctx, vci_batch_write_fn_t write, void *wctx,
		       vci_batch_stats_t *stats, vci_err_t *err);

/* --raw output of the signing tools, a vci_batch_write_fn_t with wctx the
 * tool's const vci_cli_t *: each credential of a record on a line of its
 * own; a failed record is a line "prog: [line N: ]message" on stderr. */
int vci_cli_write_credentials(void *wctx, const json_t *rec, vci_buf_t *out, vci_buf_t *msg,
			vci_err_t *err);

#endif
