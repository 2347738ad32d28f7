/* test-file.c - base/file.h beyond the plain atomic write: targets that
 * are symbolic links, FIFOs and devices, secret modes, and files staged
 * to be published with an output (committed, dropped, aborted). */
#include "base/file.h"
#include "tap.h"

#include <dirent.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static char dir[] = "/tmp/vci-test-file.XXXXXX";

static const char *tmp(const char *name)
{
	static char buf[4][256];
	static int i;

	i = (i + 1) % 4;
	snprintf(buf[i], sizeof buf[i], "%s/%s", dir, name);
	return buf[i];
}

static int mode_of(const char *p)
{
	struct stat st;

	return lstat(p, &st) == 0 ? (int)(st.st_mode & 07777) : -1;
}

/* Entries of dir/sub whose name starts with prefix. */
static int count(const char *sub, const char *prefix)
{
	DIR *d = opendir(sub ? tmp(sub) : dir);
	struct dirent *e;
	int n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d)))
		if (!strncmp(e->d_name, prefix, strlen(prefix)) && strcmp(e->d_name, ".") &&
		    strcmp(e->d_name, ".."))
			n++;
	closedir(d);
	return n;
}

static void test_targets(void)
{
	vci_err_t err = { 0 };
	vci_out_t *o;
	struct stat st;
	char *s;

	/* a link: the file it points to is replaced, the link stays */
	tap_ok(vci_file_replace(tmp("real"), "old", 3, VCI_FILE_MODE_NEW, 0, &err) == 0, "real file");
	tap_ok(symlink("real", tmp("link")) == 0, "link made");
	o = vci_out_open_mode(tmp("link"), 0600, &err);
	tap_ok(o != NULL, "out: open a link");
	fputs("new", vci_out_file(o));
	tap_ok(vci_out_commit(o, &err) == 0, "out: commit through the link");
	tap_ok(lstat(tmp("link"), &st) == 0 && S_ISLNK(st.st_mode), "the link is still a link");
	s = tap_slurp(tmp("real"), NULL);
	tap_is_str(s, "new", "the file it points to has the output");
	free(s);
	tap_is_int(mode_of(tmp("real")), 0600, "a secret output is 0600");
	tap_is_int(count(NULL, "real.tmp"), 0, "no temporary left");

	/* a dangling link: its target is made */
	tap_ok(symlink("made", tmp("dangling")) == 0, "dangling link made");
	tap_ok(vci_file_replace(tmp("dangling"), "m", 1, VCI_FILE_MODE_NEW, 0, &err) == 0,
	       "replace through a dangling link");
	s = tap_slurp(tmp("made"), NULL);
	tap_is_str(s, "m", "the link's target was created");
	free(s);
	tap_ok(lstat(tmp("dangling"), &st) == 0 && S_ISLNK(st.st_mode), "the dangling link stays");

	/* a FIFO: written into, not replaced */
	tap_ok(mkfifo(tmp("fifo"), 0600) == 0, "FIFO made");
	{
		pid_t pid = fork();
		char buf[16] = "";

		if (pid == 0) {
			vci_err_t e = { 0 };

			_exit(vci_file_replace(tmp("fifo"), "piped", 5, VCI_FILE_MODE_NEW, 0, &e) ? 1 : 0);
		}
		int fd = open(tmp("fifo"), O_RDONLY);
		ssize_t n = fd >= 0 ? read(fd, buf, sizeof buf - 1) : -1;
		int status = 1;

		if (fd >= 0)
			close(fd);
		waitpid(pid, &status, 0);
		tap_ok(n == 5 && !strcmp(buf, "piped") && status == 0, "the FIFO's reader got the bytes");
	}
	tap_ok(lstat(tmp("fifo"), &st) == 0 && S_ISFIFO(st.st_mode), "the FIFO is still a FIFO");

	/* a device through a link: written into */
	tap_ok(symlink("/dev/null", tmp("null")) == 0, "link to /dev/null");
	o = vci_out_open(tmp("null"), &err);
	tap_ok(o != NULL, "out: open a link to a device");
	fputs("gone", vci_out_file(o));
	tap_ok(vci_out_commit(o, &err) == 0, "out: commit into the device");
	tap_ok(stat("/dev/null", &st) == 0 && S_ISCHR(st.st_mode), "/dev/null is still a device");
	tap_ok(lstat(tmp("null"), &st) == 0 && S_ISLNK(st.st_mode), "the link is still a link");

	/* a directory is refused */
	o = vci_out_open(dir, &err);
	tap_ok(!o && err.status == VCI_EXIT_IO, "out: a directory is refused (%s)", err.msg);
}

static void test_stage(void)
{
	vci_err_t err = { 0 };
	vci_stage_t *st;
	vci_out_t *o;
	long h1, h2, h3;
	char *s;

	tap_ok(mkdir(tmp("hosted"), 0755) == 0, "hosted dir");
	st = vci_stage_new(&err);
	o = vci_out_open(tmp("records"), &err);
	h1 = vci_stage_file(st, tmp("hosted/a.json"), "A\n", 2, 0600, &err);
	h2 = vci_stage_file(st, tmp("hosted/b.json"), "B\n", 2, 0600, &err);
	h3 = vci_stage_file(st, tmp("c.png"), "C", 1, 0644, &err);
	tap_ok(st && o && h1 >= 0 && h2 >= 0 && h3 >= 0, "three files staged in two directories");
	tap_is_int(count("hosted", "a.json") + count("hosted", "b.json"), 0,
		   "nothing published before the commit");
	tap_is_int(count("hosted", ".vci-stage."), 1, "one staging directory beside the targets");
	vci_stage_drop(st, h2);
	fputs("out", vci_out_file(o));
	tap_ok(vci_out_commit_staged(o, st, &err) == 0, "output and stage committed");
	s = tap_slurp(tmp("hosted/a.json"), NULL);
	tap_is_str(s, "A\n", "a staged file is published");
	free(s);
	tap_is_int(mode_of(tmp("hosted/a.json")), 0600, "with its mode");
	tap_is_int(mode_of(tmp("c.png")), 0644, "the other directory's too");
	tap_is_int(count("hosted", "b.json"), 0, "a dropped file is not");
	tap_is_int(count("hosted", ".vci-stage."), 0, "no staging directory left");
	tap_is_int(count(NULL, ".vci-stage."), 0, "in either directory");

	st = vci_stage_new(&err);
	o = vci_out_open(tmp("records2"), &err);
	h1 = vci_stage_file(st, tmp("hosted/z.json"), "Z\n", 2, 0600, &err);
	tap_ok(h1 >= 0, "staged again");
	vci_out_abort(o);
	vci_stage_abort(st);
	tap_is_int(count("hosted", "z.json") + count("hosted", ".vci-stage."), 0,
		   "abort: nothing published, nothing left");
	tap_is_int(count(NULL, "records2"), 0, "abort: no output");

	st = vci_stage_new(&err);
	tap_ok(vci_stage_file(st, tmp("no/such/x"), "x", 1, 0600, &err) < 0 &&
	       err.status == VCI_EXIT_IO, "staging into a missing directory: %s", err.msg);
	vci_stage_abort(st);
}

int main(void)
{
	if (!mkdtemp(dir))
		return 99;
	test_targets();
	test_stage();
	{
		char cmd[300];

		snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
		if (system(cmd) != 0)
			tap_diag("could not remove %s", dir);
	}
	return tap_done();
}
