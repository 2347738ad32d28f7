/* file.c - files written atomically and crash-safely (see file.h). */
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

static int io_err(vci_err_t *err, const char *path)
{
	return vci_err_set(err, VCI_EXIT_IO, "io_error", "%s: %s", path, strerror(errno));
}

static mode_t default_mode(void)
{
	mode_t um = umask(0);

	umask(um);
	return 0666 & ~um;
}

int vci_file_write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (n == 0)
				errno = EIO;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* The temporary beside path, with mode; *tmp receives its name. */
static int tmp_open(const char *path, mode_t mode, char **tmp, vci_err_t *err)
{
	int fd;

	if (asprintf(tmp, "%s.tmp.XXXXXX", path) < 0) {
		*tmp = NULL;
		return vci_err_oom(err);
	}
	fd = mkstemp(*tmp);
	if (fd < 0 || fchmod(fd, mode) < 0) {
		io_err(err, path);
		if (fd >= 0) {
			close(fd);
			unlink(*tmp);
		}
		free(*tmp);
		*tmp = NULL;
		return -1;
	}
	return fd;
}

static int fsync_dir(const char *path)
{
	char_auto_t *dir = strdup(path);
	char *slash;
	int fd, r;

	if (!dir)
		return -1;
	slash = strrchr(dir, '/');
	if (!slash)
		strcpy(dir, ".");
	else if (slash == dir)
		dir[1] = '\0';
	else
		*slash = '\0';
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	r = fsync(fd);
	close(fd);
	return r;
}

/* Put the written and synced temporary in place of path and sync the
 * directory; the temporary is gone afterwards in every case. */
static int publish(char *tmp, const char *path, unsigned flags, vci_err_t *err)
{
	int r;

	if (flags & VCI_FILE_NOCLOBBER) {
		int e;

		r = link(tmp, path); /* fails if path exists */
		e = errno;
		unlink(tmp);
		errno = e;
		if (r < 0 && e == EEXIST)
			return 1;
	} else {
		r = rename(tmp, path);
		if (r < 0)
			unlink(tmp);
	}
	if (r < 0)
		return io_err(err, path);
	if (fsync_dir(path) < 0)
		return vci_err_set(err, VCI_EXIT_IO, "io_error", "%s: sync directory: %s", path,
				   strerror(errno));
	return 0;
}

int vci_file_replace(const char *path, const void *buf, size_t len, int mode, unsigned flags,
		     vci_err_t *err)
{
	char_auto_t *tmp = NULL;
	struct stat st;
	int fd, rc;

	if (mode == VCI_FILE_MODE_KEEP && stat(path, &st) == 0)
		mode = (int)(st.st_mode & 07777);
	else if (mode < 0)
		mode = (int)default_mode();
	fd = tmp_open(path, (mode_t)mode, &tmp, err);
	if (fd < 0)
		return -1;
	if (vci_file_write_all(fd, buf, len) < 0 || fsync(fd) < 0) {
		rc = io_err(err, path);
		close(fd);
		unlink(tmp);
		return rc;
	}
	if (close(fd) < 0) {
		rc = io_err(err, path);
		unlink(tmp);
		return rc;
	}
	return publish(tmp, path, flags, err);
}

vci_out_t *vci_out_open(const char *path, vci_err_t *err)
{
	vci_out_t *o = calloc(1, sizeof *o);
	int fd;

	if (!o) {
		vci_err_oom(err);
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
	if (!o->path) {
		vci_out_abort(o);
		vci_err_oom(err);
		return NULL;
	}
	/* output files are ordinary files: honour umask */
	fd = tmp_open(path, default_mode(), &o->tmp, err);
	if (fd < 0) {
		vci_out_abort(o);
		return NULL;
	}
	o->f = fdopen(fd, "w");
	if (!o->f) {
		io_err(err, path);
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
		rc = io_err(err, o->path);
	if (fclose(o->f) != 0 && !rc)
		rc = io_err(err, o->path);
	o->f = NULL;
	if (rc)
		unlink(o->tmp);
	else
		rc = publish(o->tmp, o->path, 0, err);
	free(o->buf);
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
