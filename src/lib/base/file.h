/* file.h - files written atomically and crash-safely: all or nothing.
 *
 * Every writer in libvci goes through one sequence: a temporary file
 * beside the target (NAME.tmp.XXXXXX), the bytes, fsync of the file,
 * rename (or link, when the target must not be clobbered) over the
 * target, fsync of the directory. A crash at any point leaves either
 * the old file or the new one, never a torn one; a failure removes the
 * temporary, and so does SIGINT, SIGTERM or SIGHUP: while a temporary
 * exists, a handler for each of these signals whose disposition was the
 * default (installed on first use) removes every temporary and staging
 * directory of the process, then re-raises the signal.
 *
 * A target that is a symbolic link is written through it: the file it
 * points to is replaced. A target that exists and is not a regular file
 * (a FIFO, a terminal, a device) is opened and written directly: it is
 * never replaced. */
#ifndef VCI_FILE_H
#define VCI_FILE_H

#include "common.h"
#include <stdio.h>

/* Streamed output: vci_out_open makes the temporary (NULL or "-" is
 * stdout, written directly; so is a target that is not a regular file),
 * vci_out_commit publishes it (stdout: a flush), vci_out_abort removes
 * it. The file gets 0666 & ~umask (vci_out_open), or `mode`
 * (vci_out_open_mode: 0600 for output that holds secrets, or
 * VCI_FILE_MODE_NEW). Errors: VCI_EXIT_IO, code "io_error". Not
 * thread-safe (one owner); different outputs may be used by different
 * threads. */
typedef struct vci_out vci_out_t;
vci_out_t *vci_out_open(const char *path, vci_err_t *err);
vci_out_t *vci_out_open_mode(const char *path, int mode, vci_err_t *err);
FILE *vci_out_file(vci_out_t *o);
int vci_out_commit(vci_out_t *o, vci_err_t *err); /* frees o */
void vci_out_abort(vci_out_t *o);                  /* frees o */

/* vci_file_replace flags. */
#define VCI_FILE_NOCLOBBER 1u /* never replace an existing file */
/* vci_file_replace modes: that of the file it replaces, else as NEW;
 * an ordinary new file's, 0666 & ~umask. */
#define VCI_FILE_MODE_KEEP (-1)
#define VCI_FILE_MODE_NEW (-2)

/* Write len bytes of buf to path as above, with permissions `mode` (or
 * VCI_FILE_MODE_KEEP / VCI_FILE_MODE_NEW). Returns 0; 1 with VCI_FILE_NOCLOBBER when path
 * already exists (nothing written, err untouched); -1 with VCI_EXIT_IO,
 * code "io_error", message "PATH: why" on failure. */
int vci_file_replace(const char *path, const void *buf, size_t len, int mode, unsigned flags,
		     vci_err_t *err);

/* Files published together with an output, after it: vci_stage_file
 * writes a whole file now, under a staging directory beside its target
 * (DIR/.vci-stage.XXXXXX, made on first use, one per target directory),
 * and vci_stage_commit renames every staged file over its target, once
 * the output they go with has committed; vci_stage_abort (or a signal,
 * see above) removes them, so none is published without the output.
 * Errors: VCI_EXIT_IO, code "io_error", "PATH: why". Thread-safe: many
 * threads may stage into one stage; commit and abort are called once,
 * when no other call is running, and free the stage. */
typedef struct vci_stage vci_stage_t;
vci_stage_t *vci_stage_new(vci_err_t *err);
/* Stage len bytes of buf for path, with permissions mode (an octal mode
 * or VCI_FILE_MODE_NEW). Returns a handle (>= 0) for vci_stage_drop, or
 * -1 with err set. The target is not looked at until commit; a symbolic
 * link there is replaced, as rename(2) does. */
long vci_stage_file(vci_stage_t *s, const char *path, const void *buf, size_t len, int mode,
		    vci_err_t *err);
/* Remove one staged file (its record failed after it was staged). */
void vci_stage_drop(vci_stage_t *s, long handle);
/* Publish: rename each staged file over its target in the order staged,
 * sync the directories, remove the staging directories. On error the
 * files not yet renamed are removed and -1 returned. NULL: 0. */
int vci_stage_commit(vci_stage_t *s, vci_err_t *err);
void vci_stage_abort(vci_stage_t *s);
/* Commit o, then s if o committed (else abort s), with SIGINT, SIGTERM
 * and SIGHUP blocked in the calling thread meanwhile, so that a signal
 * does not separate the two. Frees both. 0, or -1 with err set. */
int vci_out_commit_staged(vci_out_t *o, vci_stage_t *s, vci_err_t *err);

/* write(2) all of buf, retrying on EINTR. 0, or -1 with errno set. */
int vci_file_write_all(int fd, const void *buf, size_t len);

#endif
