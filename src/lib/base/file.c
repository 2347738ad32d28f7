/* file.c - files written atomically: all or nothing. */
#include "file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct vci_out {
	FILE *f;
	char *path;
	char *tmp;
	char *buf;      /* the stream's buffer */
};

/* Batches write many records: a 64 KiB stream buffer makes one write(2)
 * of many of them (stdio would use 4 KiB). A terminal keeps its line
 * buffering. */
#define OUT_BUF 65536

vci_out_t *vci_out_open(const char *path, vci_err_t *err)
{
	vci_out_t *o = calloc(1, sizeof *o);
	int fd;

	if (!o) {
		vci_err_set(err, VCI_EXIT_IO, "io_error", "out of memory");
		return NULL;
	}
	if (!path || strcmp(path, "-") == 0) {
		static char stdout_buf[OUT_BUF];
		static int stdout_set;

		o->f = stdout;
		if (!stdout_set && !isatty(STDOUT_FILENO))
			setvbuf(stdout, stdout_buf, _IOFBF, sizeof stdout_buf);
		stdout_set = 1;
		return o;
	}
	o->path = strdup(path);
	if (!o->path || asprintf(&o->tmp, "%s.tmp.XXXXXX", path) < 0) {
		o->tmp = NULL;
		vci_out_abort(o);
		vci_err_set(err, VCI_EXIT_IO, "io_error", "out of memory");
		return NULL;
	}
	fd = mkstemp(o->tmp);
	if (fd < 0) {
		vci_err_set(err, VCI_EXIT_IO, "io_error", "%s: %s", path, strerror(errno));
		free(o->tmp);
		o->tmp = NULL;
		vci_out_abort(o);
		return NULL;
	}
	/* mkstemp makes 0600; output files are ordinary files: honour umask. */
	{
		mode_t um = umask(0);

		umask(um);
		(void)fchmod(fd, 0666 & ~um);
	}
	o->f = fdopen(fd, "w");
	if (!o->f) {
		vci_err_set(err, VCI_EXIT_IO, "io_error", "%s: %s", path, strerror(errno));
		close(fd);
		vci_out_abort(o);
		return NULL;
	}
	o->buf = malloc(OUT_BUF);
	if (o->buf)
		setvbuf(o->f, o->buf, _IOFBF, OUT_BUF);
	return o;
}

FILE *vci_out_file(vci_out_t *o)
{
	return o->f;
}

int vci_out_commit(vci_out_t *o, vci_err_t *err)
{
	int rc = 0;

	if (!o)
		return 0;
	if (o->f == stdout) {
		if (fflush(stdout) != 0 || ferror(stdout))
			rc = vci_err_set(err, VCI_EXIT_IO, "io_error", "stdout: %s", strerror(errno));
		free(o);
		return rc;
	}
	if (fflush(o->f) != 0 || ferror(o->f) || fsync(fileno(o->f)) != 0)
		rc = vci_err_set(err, VCI_EXIT_IO, "io_error", "%s: %s", o->path, strerror(errno));
	if (fclose(o->f) != 0 && !rc)
		rc = vci_err_set(err, VCI_EXIT_IO, "io_error", "%s: %s", o->path, strerror(errno));
	o->f = NULL;
	free(o->buf);
	if (!rc && rename(o->tmp, o->path) != 0)
		rc = vci_err_set(err, VCI_EXIT_IO, "io_error", "%s: %s", o->path, strerror(errno));
	if (rc)
		unlink(o->tmp);
	free(o->tmp);
	free(o->path);
	free(o);
	return rc;
}

void vci_out_abort(vci_out_t *o)
{
	if (!o)
		return;
	if (o->f && o->f != stdout)
		fclose(o->f);
	else if (o->f == stdout)
		fflush(stdout);
	free(o->buf);
	if (o->tmp)
		unlink(o->tmp);
	free(o->tmp);
	free(o->path);
	free(o);
}
