/* file.h - files written atomically and crash-safely: all or nothing.
 *
 * Every writer in libvci goes through one sequence: a temporary file
 * beside the target (NAME.tmp.XXXXXX), the bytes, fsync of the file,
 * rename (or link, when the target must not be clobbered) over the
 * target, fsync of the directory. A crash at any point leaves either
 * the old file or the new one, never a torn one; a failure removes the
 * temporary. */
#ifndef VCI_FILE_H
#define VCI_FILE_H

#include "common.h"
#include <stdio.h>

/* Streamed output: vci_out_open makes the temporary (NULL or "-" is
 * stdout, written directly), vci_out_commit publishes it (stdout: a
 * flush), vci_out_abort removes it. The file gets 0666 & ~umask. Errors:
 * VCI_EXIT_IO, code "io_error". Not thread-safe (one owner). */
typedef struct vci_out vci_out_t;
vci_out_t *vci_out_open(const char *path, vci_err_t *err);
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

/* write(2) all of buf, retrying on EINTR. 0, or -1 with errno set. */
int vci_file_write_all(int fd, const void *buf, size_t len);

#endif
