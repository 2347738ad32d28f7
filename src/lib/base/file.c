/* file.c - files written atomically and crash-safely (see file.h). */
#include "file.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct vci_out {
	FILE *f;
	char *path;
	char *target;   /* where path's links lead: what the temporary replaces */
	char *tmp;      /* NULL: stdout, or a non-regular target written directly */
	char *buf;      /* the stream's buffer */
	int slot;       /* the temporary's cleanup slot, or -1 */
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

/* ---- cleanup on signals ----
 *
 * The temporaries and staging directories that exist right now, in fixed
 * slots a signal handler can read: a slot's path is written before its
 * state becomes LIVE, and the handler only reads LIVE slots. A path too
 * long for a slot, or a process with more than CLEAN_SLOTS at once, is
 * not cleaned on a signal (it is still removed on every other path). */
#define CLEAN_SLOTS 64

enum { SLOT_FREE, SLOT_BUSY, SLOT_LIVE };

static struct clean_slot {
	atomic_int state;
	int dir;              /* a staging directory: its entries, then itself */
	char path[PATH_MAX];
} clean_slots[CLEAN_SLOTS];

static const int clean_signals[] = { SIGINT, SIGTERM, SIGHUP };
static pthread_once_t clean_once = PTHREAD_ONCE_INIT;

/* Async-signal-safe: open, getdents64, unlinkat, close, rmdir. */
static void clean_dir(const char *path)
{
	char buf[4096];
	ssize_t n;
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		return;
	while ((n = getdents64(fd, buf, sizeof buf)) > 0) {
		for (ssize_t off = 0; off < n;) {
			struct dirent64 *d = (struct dirent64 *)(void *)(buf + off);

			if (strcmp(d->d_name, ".") && strcmp(d->d_name, ".."))
				unlinkat(fd, d->d_name, 0);
			off += d->d_reclen;
		}
	}
	close(fd);
	rmdir(path);
}

static void clean_on_signal(int sig)
{
	int saved = errno;

	for (size_t i = 0; i < CLEAN_SLOTS; i++) {
		struct clean_slot *c = &clean_slots[i];

		if (atomic_load(&c->state) != SLOT_LIVE)
			continue;
		if (c->dir)
			clean_dir(c->path);
		else
			unlink(c->path);
	}
	/* SA_RESETHAND restored the default action; the signal, blocked
	 * while this handler runs, is delivered when it returns. */
	raise(sig);
	errno = saved;
}

/* Handle the signals whose action is the default one: an ignored signal
 * stays ignored, a program's own handler stays in place. */
static void clean_install(void)
{
	struct sigaction sa, old;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = clean_on_signal;
	sa.sa_flags = SA_RESETHAND;
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < sizeof clean_signals / sizeof clean_signals[0]; i++)
		sigaddset(&sa.sa_mask, clean_signals[i]);
	for (size_t i = 0; i < sizeof clean_signals / sizeof clean_signals[0]; i++)
		if (sigaction(clean_signals[i], NULL, &old) == 0 && !(old.sa_flags & SA_SIGINFO) &&
		    old.sa_handler == SIG_DFL)
			sigaction(clean_signals[i], &sa, NULL);
}

/* Register path (a file, or with dir a staging directory) for removal on
 * a signal. Returns its slot, or -1 when it cannot be registered. */
static int clean_add(const char *path, int dir)
{
	size_t len = strlen(path);

	if (len >= PATH_MAX)
		return -1;
	pthread_once(&clean_once, clean_install);
	for (int i = 0; i < CLEAN_SLOTS; i++) {
		struct clean_slot *c = &clean_slots[i];
		int want = SLOT_FREE;

		if (!atomic_compare_exchange_strong(&c->state, &want, SLOT_BUSY))
			continue;
		memcpy(c->path, path, len + 1);
		c->dir = dir;
		atomic_store(&c->state, SLOT_LIVE);
		return i;
	}
	return -1;
}

static void clean_remove(int slot)
{
	if (slot >= 0)
		atomic_store(&clean_slots[slot].state, SLOT_FREE);
}

/* The signals of clean_signals blocked in this thread (old receives the
 * mask to restore), so that a commit of several files is not cut short. */
static void clean_block(sigset_t *old)
{
	sigset_t set;

	sigemptyset(&set);
	for (size_t i = 0; i < sizeof clean_signals / sizeof clean_signals[0]; i++)
		sigaddset(&set, clean_signals[i]);
	pthread_sigmask(SIG_BLOCK, &set, old);
}

/* ---- targets ---- */

/* The file that writing to path means: path itself, or where its chain
 * of symbolic links ends (a link to a missing file: that file). *st is
 * that file's status and *exists whether it exists. An existing target
 * that is not a regular file is named by path itself (so that
 * /dev/stdout and other magic links of /proc open as they are). NULL
 * with err set. */
static char *target_resolve(const char *path, struct stat *st, int *exists, vci_err_t *err)
{
	char *cur;

	if (stat(path, st) == 0) {
		*exists = 1;
		cur = S_ISREG(st->st_mode) ? realpath(path, NULL) : strdup(path);
		if (!cur)
			io_err(err, path);
		return cur;
	}
	if (errno != ENOENT) {
		io_err(err, path);
		return NULL;
	}
	/* missing, or a link (chain) to a missing file: find that file */
	cur = strdup(path);
	if (!cur) {
		vci_err_oom(err);
		return NULL;
	}
	for (int hops = 0; hops < 40; hops++) {
		char link[PATH_MAX];
		ssize_t n;
		char *next, *slash;

		if (lstat(cur, st) < 0) {
			if (errno != ENOENT)
				break;
			*exists = 0;
			return cur;
		}
		if (!S_ISLNK(st->st_mode)) {
			*exists = 1;
			return cur;
		}
		n = readlink(cur, link, sizeof link - 1);
		if (n < 0)
			break;
		link[n] = '\0';
		slash = strrchr(cur, '/');
		if (link[0] == '/' || !slash)
			next = strdup(link);
		else if (asprintf(&next, "%.*s/%s", (int)(slash - cur), cur, link) < 0)
			next = NULL;
		free(cur);
		cur = next;
		if (!cur) {
			vci_err_oom(err);
			return NULL;
		}
		errno = ELOOP;
	}
	io_err(err, path);
	free(cur);
	return NULL;
}

/* Open an existing target that is not a regular file, to write into it
 * directly (a FIFO waits for its reader). A directory is refused. */
static int target_open_direct(const char *path, const char *target, const struct stat *st,
			      vci_err_t *err)
{
	int fd;

	if (S_ISDIR(st->st_mode)) {
		errno = EISDIR;
		return io_err(err, path);
	}
	fd = open(target, O_WRONLY | O_NOCTTY | O_CLOEXEC);
	if (fd < 0)
		return io_err(err, path);
	return fd;
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

/* The temporary beside path, with mode; *tmp receives its name, *slot
 * its cleanup slot (-1 if none). */
static int tmp_open(const char *path, mode_t mode, char **tmp, int *slot, vci_err_t *err)
{
	int fd;

	*slot = -1;
	if (asprintf(tmp, "%s.tmp.XXXXXX", path) < 0) {
		*tmp = NULL;
		return vci_err_oom(err);
	}
	fd = mkstemp(*tmp);
	if (fd >= 0)
		*slot = clean_add(*tmp, 0);
	if (fd < 0 || fchmod(fd, mode) < 0) {
		io_err(err, path);
		if (fd >= 0) {
			close(fd);
			unlink(*tmp);
			clean_remove(*slot);
			*slot = -1;
		}
		free(*tmp);
		*tmp = NULL;
		return -1;
	}
	return fd;
}

/* The directory part of path ("." for none), malloc'd. */
static char *parent_of(const char *path)
{
	char *dir = strdup(path);
	char *slash;

	if (!dir)
		return NULL;
	slash = strrchr(dir, '/');
	if (!slash)
		strcpy(dir, ".");
	else if (slash == dir)
		dir[1] = '\0';
	else
		*slash = '\0';
	return dir;
}

static int fsync_dir(const char *path)
{
	char_auto_t *dir = parent_of(path);
	int fd, r;

	if (!dir)
		return -1;
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	r = fsync(fd);
	close(fd);
	return r;
}

/* Put the written and synced temporary in place of path and sync the
 * directory; the temporary is gone afterwards in every case. */
static int publish(char *tmp, int slot, const char *path, unsigned flags, vci_err_t *err)
{
	int r;

	if (flags & VCI_FILE_NOCLOBBER) {
		int e;

		r = link(tmp, path); /* fails if path exists */
		e = errno;
		unlink(tmp);
		clean_remove(slot);
		errno = e;
		if (r < 0 && e == EEXIST)
			return 1;
	} else {
		r = rename(tmp, path);
		if (r < 0)
			unlink(tmp);
		clean_remove(slot);
	}
	if (r < 0)
		return io_err(err, path);
	if (fsync_dir(path) < 0)
		return vci_err_set(err, VCI_EXIT_IO, "io_error", "%s: sync directory: %s", path,
				   strerror(errno));
	return 0;
}

/* vci_file_replace onto an existing target that is not a regular file. */
static int replace_direct(const char *path, const char *target, const struct stat *st,
			  const void *buf, size_t len, vci_err_t *err)
{
	int fd = target_open_direct(path, target, st, err);

	if (fd < 0)
		return -1;
	if (vci_file_write_all(fd, buf, len) < 0) {
		io_err(err, path);
		close(fd);
		return -1;
	}
	if (close(fd) < 0)
		return io_err(err, path);
	return 0;
}

int vci_file_replace(const char *path, const void *buf, size_t len, int mode, unsigned flags,
		     vci_err_t *err)
{
	char_auto_t *tmp = NULL;
	char_auto_t *target = NULL;
	struct stat st;
	int fd, rc, exists = 0, slot;

	target = target_resolve(path, &st, &exists, err);
	if (!target)
		return -1;
	if (exists && (flags & VCI_FILE_NOCLOBBER))
		return 1;
	if (exists && !S_ISREG(st.st_mode))
		return replace_direct(path, target, &st, buf, len, err);
	if (mode == VCI_FILE_MODE_KEEP && exists)
		mode = (int)(st.st_mode & 07777);
	else if (mode < 0)
		mode = (int)default_mode();
	fd = tmp_open(target, (mode_t)mode, &tmp, &slot, err);
	if (fd < 0)
		return -1;
	if (vci_file_write_all(fd, buf, len) < 0 || fsync(fd) < 0) {
		rc = io_err(err, path);
		close(fd);
		unlink(tmp);
		clean_remove(slot);
		return rc;
	}
	if (close(fd) < 0) {
		rc = io_err(err, path);
		unlink(tmp);
		clean_remove(slot);
		return rc;
	}
	return publish(tmp, slot, target, flags, err);
}

vci_out_t *vci_out_open(const char *path, vci_err_t *err)
{
	return vci_out_open_mode(path, VCI_FILE_MODE_NEW, err);
}

/* Open o->path: a regular (or new) target through a temporary beside the
 * file its links lead to, any other directly. The descriptor, or -1. */
static int out_open_fd(vci_out_t *o, mode_t mode, vci_err_t *err)
{
	char_auto_t *target = NULL;
	struct stat st;
	int exists = 0;

	target = target_resolve(o->path, &st, &exists, err);
	if (!target)
		return -1;
	if (exists && !S_ISREG(st.st_mode))
		return target_open_direct(o->path, target, &st, err);
	/* messages name the path given; the rename goes to the target */
	o->target = target;
	target = NULL;
	return tmp_open(o->target, mode, &o->tmp, &o->slot, err);
}

vci_out_t *vci_out_open_mode(const char *path, int mode, vci_err_t *err)
{
	vci_out_t *o = calloc(1, sizeof *o);
	int fd;

	if (!o) {
		vci_err_oom(err);
		return NULL;
	}
	o->slot = -1;
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
	/* output files are ordinary files: honour umask, unless secret */
	fd = out_open_fd(o, mode < 0 ? default_mode() : (mode_t)mode, err);
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

static void out_free(vci_out_t *o)
{
	free(o->buf);
	free(o->tmp);
	free(o->target);
	free(o->path);
	free(o);
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
	if (fflush(o->f) != 0 || ferror(o->f) || (o->tmp && fsync(fileno(o->f)) != 0))
		rc = io_err(err, o->path);
	if (fclose(o->f) != 0 && !rc)
		rc = io_err(err, o->path);
	o->f = NULL;
	if (o->tmp && rc) {
		unlink(o->tmp);
		clean_remove(o->slot);
	} else if (o->tmp) {
		rc = publish(o->tmp, o->slot, o->target, 0, err);
	}
	out_free(o);
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
	if (o->tmp) {
		unlink(o->tmp);
		clean_remove(o->slot);
	}
	out_free(o);
}

/* ---- files staged with an output ---- */

#define STAGE_DIRS 16

struct stage_file {
	int dir;        /* index in dirs */
	int live;       /* staged and not yet renamed, dropped or removed */
	char *target;
};

struct vci_stage {
	pthread_mutex_t mu;
	struct {
		char *parent;   /* the targets' directory */
		char *path;     /* its staging directory */
		int slot;
	} dirs[STAGE_DIRS];
	size_t ndirs;
	struct stage_file *files;
	size_t n, cap;
};

vci_stage_t *vci_stage_new(vci_err_t *err)
{
	vci_stage_t *s = calloc(1, sizeof *s);

	if (!s) {
		vci_err_oom(err);
		return NULL;
	}
	pthread_mutex_init(&s->mu, NULL);
	return s;
}

/* The staging directory for the parent of path, made on first use.
 * Locked by the caller. Its index, or -1 with err set. */
static int stage_dir(vci_stage_t *s, const char *path, vci_err_t *err)
{
	char_auto_t *parent = parent_of(path);
	char *dpath = NULL;
	size_t i;

	if (!parent)
		return vci_err_oom(err);
	for (i = 0; i < s->ndirs; i++)
		if (!strcmp(s->dirs[i].parent, parent))
			return (int)i;
	if (s->ndirs == STAGE_DIRS)
		return vci_err_set(err, VCI_EXIT_IO, "io_error", "%s: files for more than %d "
				   "directories staged at once", path, STAGE_DIRS);
	if (asprintf(&dpath, "%s/.vci-stage.XXXXXX", parent) < 0)
		return vci_err_oom(err);
	if (!mkdtemp(dpath)) {
		io_err(err, path);
		free(dpath);
		return -1;
	}
	s->dirs[i].parent = parent;
	parent = NULL;
	s->dirs[i].path = dpath;
	s->dirs[i].slot = clean_add(dpath, 1);
	s->ndirs++;
	return (int)i;
}

static char *stage_name(const vci_stage_t *s, const struct stage_file *f, long h)
{
	char *name = NULL;

	if (asprintf(&name, "%s/%ld", s->dirs[f->dir].path, h) < 0)
		return NULL;
	return name;
}

/* A slot in s->files for target in directory dir; locked by the caller. */
static long stage_slot(vci_stage_t *s, int dir, const char *path, vci_err_t *err)
{
	struct stage_file *f;

	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 64;
		struct stage_file *nf = realloc(s->files, cap * sizeof *nf);

		if (!nf)
			return vci_err_oom(err);
		s->files = nf;
		s->cap = cap;
	}
	f = &s->files[s->n];
	f->dir = dir;
	f->live = 0;
	f->target = strdup(path);
	if (!f->target)
		return vci_err_oom(err);
	return (long)s->n++;
}

/* Write the staged file; 0, or -1 with err set (the file removed). */
static int stage_write(const char *name, const char *path, const void *buf, size_t len,
		       mode_t mode, vci_err_t *err)
{
	int fd = open(name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);

	if (fd < 0)
		return io_err(err, path);
	if (fchmod(fd, mode) < 0 || vci_file_write_all(fd, buf, len) < 0 || fsync(fd) < 0) {
		io_err(err, path);
		close(fd);
		unlink(name);
		return -1;
	}
	if (close(fd) < 0) {
		io_err(err, path);
		unlink(name);
		return -1;
	}
	return 0;
}

long vci_stage_file(vci_stage_t *s, const char *path, const void *buf, size_t len, int mode,
		    vci_err_t *err)
{
	char_auto_t *name = NULL;
	long h;
	int dir;

	pthread_mutex_lock(&s->mu);
	dir = stage_dir(s, path, err);
	h = dir < 0 ? -1 : stage_slot(s, dir, path, err);
	if (h >= 0)
		name = stage_name(s, &s->files[h], h);
	pthread_mutex_unlock(&s->mu);
	if (h < 0)
		return -1;
	if (!name)
		return vci_err_oom(err);
	if (stage_write(name, path, buf, len, mode < 0 ? default_mode() : (mode_t)mode, err) < 0)
		return -1;
	pthread_mutex_lock(&s->mu);
	s->files[h].live = 1;
	pthread_mutex_unlock(&s->mu);
	return h;
}

void vci_stage_drop(vci_stage_t *s, long h)
{
	char_auto_t *name = NULL;

	if (!s || h < 0)
		return;
	pthread_mutex_lock(&s->mu);
	if ((size_t)h < s->n && s->files[h].live) {
		s->files[h].live = 0;
		name = stage_name(s, &s->files[h], h);
	}
	pthread_mutex_unlock(&s->mu);
	if (name)
		unlink(name);
}

/* Remove every live staged file, the staging directories, and s. */
static void stage_free(vci_stage_t *s)
{
	for (size_t i = 0; i < s->n; i++) {
		if (s->files[i].live) {
			char_auto_t *name = stage_name(s, &s->files[i], (long)i);

			if (name)
				unlink(name);
		}
		free(s->files[i].target);
	}
	for (size_t i = 0; i < s->ndirs; i++) {
		rmdir(s->dirs[i].path);
		clean_remove(s->dirs[i].slot);
		free(s->dirs[i].path);
		free(s->dirs[i].parent);
	}
	free(s->files);
	pthread_mutex_destroy(&s->mu);
	free(s);
}

int vci_stage_commit(vci_stage_t *s, vci_err_t *err)
{
	int rc = 0;

	if (!s)
		return 0;
	for (size_t i = 0; i < s->n && !rc; i++) {
		char_auto_t *name = NULL;

		if (!s->files[i].live)
			continue;
		name = stage_name(s, &s->files[i], (long)i);
		if (!name)
			rc = vci_err_oom(err);
		else if (rename(name, s->files[i].target) < 0)
			rc = io_err(err, s->files[i].target);
		else
			s->files[i].live = 0;
	}
	for (size_t i = 0; i < s->ndirs && !rc; i++)
		if (fsync_dir(s->dirs[i].path) < 0) /* the staging dir's parent */
			rc = vci_err_set(err, VCI_EXIT_IO, "io_error", "%s: sync directory: %s",
					 s->dirs[i].parent, strerror(errno));
	stage_free(s);
	return rc;
}

void vci_stage_abort(vci_stage_t *s)
{
	if (s)
		stage_free(s);
}

int vci_out_commit_staged(vci_out_t *o, vci_stage_t *s, vci_err_t *err)
{
	sigset_t old;
	int rc;

	clean_block(&old);
	rc = vci_out_commit(o, err);
	if (rc < 0)
		vci_stage_abort(s);
	else
		rc = vci_stage_commit(s, err);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return rc;
}
