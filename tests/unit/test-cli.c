/* test-cli.c - atomic output, inputs and the ordered batch runner. */
#include "pipe/batch.h"
#include "pipe/cli.h"
#include "tap.h"

#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char dir[] = "/tmp/vci-test-cli.XXXXXX";

static const char *tmp(const char *name)
{
	static char buf[4][256];
	static int i;

	i = (i + 1) % 4;
	snprintf(buf[i], sizeof buf[i], "%s/%s", dir, name);
	return buf[i];
}

static int exists(const char *p)
{
	struct stat st;

	return stat(p, &st) == 0;
}

/* The one-shot writer: modes and no-clobber. */
static void test_replace(void)
{
	vci_err_t err = { 0 };
	struct stat st;
	char *s;

	tap_ok(vci_file_replace(tmp("r"), "one", 3, 0600, 0, &err) == 0 &&
	       stat(tmp("r"), &st) == 0 && (st.st_mode & 0777) == 0600, "replace: writes with a mode");
	tap_ok(vci_file_replace(tmp("r"), "two", 3, VCI_FILE_MODE_KEEP, 0, &err) == 0 &&
	       stat(tmp("r"), &st) == 0 && (st.st_mode & 0777) == 0600, "replace: keeps the mode");
	tap_ok(vci_file_replace(tmp("r"), "three", 5, VCI_FILE_MODE_NEW, VCI_FILE_NOCLOBBER,
				&err) == 1, "replace: no-clobber refuses an existing file");
	s = tap_slurp(tmp("r"), NULL);
	tap_is_str(s, "two", "replace: the refused write changed nothing");
	free(s);
	tap_ok(vci_file_replace(tmp("no/such/r"), "x", 1, VCI_FILE_MODE_NEW, 0, &err) < 0 &&
	       err.status == VCI_EXIT_IO && strstr(err.msg, "no/such/r"), "replace: I/O error names the file");
	unlink(tmp("r"));
}

static void test_out(void)
{
	vci_err_t err = { 0 };
	vci_out_t *o;
	char *s;

	o = vci_out_open(tmp("a.json"), &err);
	tap_ok(o != NULL, "out: open");
	fputs("{\"a\":1}\n", vci_out_file(o));
	tap_ok(!exists(tmp("a.json")), "out: nothing at the path before commit");
	tap_ok(vci_out_commit(o, &err) == 0, "out: commit");
	s = tap_slurp(tmp("a.json"), NULL);
	tap_is_str(s, "{\"a\":1}\n", "out: committed content");
	free(s);

	o = vci_out_open(tmp("a.json"), &err);
	fputs("partial", vci_out_file(o));
	vci_out_abort(o);
	s = tap_slurp(tmp("a.json"), NULL);
	tap_is_str(s, "{\"a\":1}\n", "out: abort leaves the old file untouched");
	free(s);

	o = vci_out_open(tmp("b.json"), &err);
	vci_out_abort(o);
	tap_ok(!exists(tmp("b.json")), "out: abort leaves no file");

	o = vci_out_open(tmp("no/such/dir/c.json"), &err);
	tap_ok(o == NULL && err.status == VCI_EXIT_IO && strstr(err.msg, "c.json"),
	       "out: unwritable directory is an I/O error naming the file (%s)", err.msg);
	test_replace();
}

/* The batch function: adds "n" = claims.v * 2; fails when v is 13. With
 * a non-NULL ctx, records take uneven time (0 to 600 us), so that later
 * records often finish first. */
static int twice(void *ctx, json_t *rec, json_t **result, vci_err_t *err)
{
	json_t *c = json_object_get(rec, "claims");
	json_int_t v = json_integer_value(json_object_get(c, "v"));

	if (ctx)
		usleep((useconds_t)(v * 7919 % 7) * 100);
	if (v == 13)
		return vci_err_set(err, VCI_EXIT_FAIL, "invalid_claims", "claims.v: unlucky");
	*result = json_deep_copy(rec);
	json_object_set_new(*result, "n", json_integer(v * 2));
	return 0;
}

static void test_batch(int jobs, int uneven)
{
	vci_cli_t cli;
	vci_err_t err = { 0 };
	vci_batch_stats_t st;
	vci_inputs_t *in;
	char *argv[] = { (char *)tmp("in.ndjson") };
	FILE *f, *out;
	char line[512];
	int rc, i, ordered = 1, lines = 0;

	f = fopen(tmp("in.ndjson"), "w");
	for (i = 0; i < 1000; i++) {
		if (i == 500)
			fputs("{not json\n", f);
		fprintf(f, "{\"id\":%d,\"claims\":{\"v\":%d},\"keep\":\"x\"}\n", i, i);
	}
	fclose(f);

	vci_cli_init(&cli, "test-cli");
	cli.jobs = jobs;
	cli.progress = 0;
	in = vci_inputs_open(&cli, 1, argv, &err);
	tap_ok(in != NULL, "batch(%d): inputs open", jobs);
	out = fopen(tmp("out.ndjson"), "w+");
	rc = vci_batch_run(&cli, in, out, twice, uneven ? &cli : NULL, &st, &err);
	vci_inputs_close(in);
	tap_is_int(rc, VCI_EXIT_FAIL, "batch(%d): exit 1 when some records failed", jobs);
	tap_is_int((long long)st.total, 1001, "batch(%d): 1001 records", jobs);
	tap_is_int((long long)st.failed, 2, "batch(%d): 2 failed (bad JSON, v=13)", jobs);

	rewind(out);
	i = 0;
	while (fgets(line, sizeof line, out)) {
		json_error_t je;
		json_t *r = json_loads(line, 0, &je);

		lines++;
		if (lines == 501) {
			ordered &= json_object_get(r, "error") != NULL &&
				   json_integer_value(json_object_get(r, "line")) == 501;
		} else {
			json_int_t id = json_integer_value(json_object_get(r, "id"));

			ordered &= id == i;
			if (i == 13)
				ordered &= json_object_get(r, "error") != NULL &&
					   strcmp(json_string_value(json_object_get(
						  json_object_get(r, "error"), "code")), "invalid_claims") == 0 &&
					   json_object_get(r, "keep") != NULL;
			else
				ordered &= json_integer_value(json_object_get(r, "n")) == 2 * i &&
					   json_object_get(r, "keep") != NULL;
			i++;
		}
		json_decref(r);
	}
	fclose(out);
	tap_is_int(lines, 1001, "batch(%d): one output line per record", jobs);
	tap_ok(ordered, "batch(%d): input order kept, fields passed through, error records in place", jobs);
}

/* Records read before a fatal input error (here: the second input
 * cannot be opened) are processed and written; then the error's status. */
static void test_fatal(int jobs)
{
	vci_cli_t cli;
	vci_err_t err = { 0 };
	vci_inputs_t *in;
	char *argv[] = { (char *)tmp("f1.ndjson"), (char *)tmp("missing.ndjson") };
	FILE *f = fopen(tmp("f1.ndjson"), "w"), *out;
	char *s;
	int rc;

	for (int i = 0; i < 100; i++)
		fprintf(f, "{\"id\":%d,\"claims\":{\"v\":%d}}\n", i, i + 100);
	fclose(f);
	vci_cli_init(&cli, "test-cli");
	cli.jobs = jobs;
	cli.progress = 0;
	in = vci_inputs_open(&cli, 2, argv, &err);
	out = fopen(tmp("fout.ndjson"), "w");
	rc = vci_batch_run(&cli, in, out, twice, NULL, NULL, &err);
	vci_inputs_close(in);
	fclose(out);
	tap_is_int(rc, VCI_EXIT_INPUT, "fatal(%d): an unreadable second input is exit 3", jobs);
	tap_ok(strstr(err.msg, "missing.ndjson") != NULL, "fatal(%d): the error names it: %s", jobs,
	       err.msg);
	s = tap_slurp(tmp("fout.ndjson"), NULL);
	tap_ok(s && strstr(s, "{\"id\":0,") == s && strstr(s, "{\"id\":99,\"claims\":{\"v\":199},\"n\":398}\n"),
	       "fatal(%d): the records of the first input are all written, in order", jobs);
	free(s);
}

/* A write error (a full device) stops the batch with exit 5. */
static void test_write_error(int jobs)
{
	vci_cli_t cli;
	vci_err_t err = { 0 };
	vci_inputs_t *in;
	char *argv[] = { (char *)tmp("in.ndjson") };
	FILE *out = fopen("/dev/full", "w");
	int rc;

	if (!out) {
		tap_ok(1, "write error(%d): # SKIP no /dev/full", jobs);
		return;
	}
	vci_cli_init(&cli, "test-cli");
	cli.jobs = jobs;
	cli.progress = 0;
	in = vci_inputs_open(&cli, 1, argv, &err);
	rc = vci_batch_run(&cli, in, out, twice, NULL, NULL, &err);
	vci_inputs_close(in);
	fclose(out);
	tap_is_int(rc, VCI_EXIT_IO, "write error(%d): exit 5", jobs);
	tap_ok(strstr(err.msg, "No space") != NULL, "write error(%d): says why: %s", jobs, err.msg);
}

/* A custom writer: the id of each record on a line, a message for each
 * failed one; both in input order. */
static int write_id(void *wctx, const json_t *rec, vci_buf_t *out, vci_buf_t *msg,
		    vci_err_t *err)
{
	(void)wctx;
	(void)err;
	if (json_object_get(rec, "error"))
		return vci_buf_addf(msg, "failed at line %lld\n",
				       (long long)json_integer_value(json_object_get(rec, "line")));
	return vci_buf_addf(out, "%lld\n",
			       (long long)json_integer_value(json_object_get(rec, "id")));
}

static void test_writer(int jobs)
{
	vci_cli_t cli;
	vci_err_t err = { 0 };
	vci_inputs_t *in;
	char *argv[] = { (char *)tmp("in.ndjson") };
	FILE *out = fopen(tmp("wout.txt"), "w");
	char *s, *m, want[8192];
	size_t o = 0;
	int rc, saved = dup(STDERR_FILENO);
	FILE *e = fopen(tmp("werr.txt"), "w");

	fflush(stderr);
	dup2(fileno(e), STDERR_FILENO);
	vci_cli_init(&cli, "test-cli");
	cli.jobs = jobs;
	cli.progress = 0;
	in = vci_inputs_open(&cli, 1, argv, &err);
	rc = vci_batch_run_with(&cli, in, out, twice, &cli, write_id, NULL, NULL, &err);
	vci_inputs_close(in);
	fclose(out);
	fflush(stderr);
	dup2(saved, STDERR_FILENO);
	close(saved);
	fclose(e);
	tap_is_int(rc, VCI_EXIT_FAIL, "writer(%d): exit 1 when some records failed", jobs);
	for (int i = 0; i < 1000; i++)
		if (i != 13)
			o += (size_t)snprintf(want + o, sizeof want - o, "%d\n", i);
	s = tap_slurp(tmp("wout.txt"), NULL);
	tap_is_str(s, want, "writer(%d): what it made, in input order", jobs);
	m = tap_slurp(tmp("werr.txt"), NULL);
	tap_ok(m && strstr(m, "failed at line 14\nfailed at line 501\n"),
	       "writer(%d): its messages on stderr, in input order", jobs);
	free(s);
	free(m);
}

/* The buffer's cap, fixed storage and take. */
static void test_buf_cap(void)
{
	vci_buf_t b;
	uint8_t small[4];
	vci_buf_t f = VCI_BUF_FIXED(small);
	size_t n = 0;
	char *p = NULL;

	vci_buf_init(&b, 8);
	tap_ok(vci_buf_adds(&b, "1234567") == 0 && b.len == 7, "buf: fills up to its cap");
	tap_ok(vci_buf_addn(&b, "8", 1) < 0 && b.failed && b.len == 7, "buf: refuses past its cap");
	tap_ok(vci_buf_adds(&b, "") < 0, "buf: stays failed");
	tap_ok(vci_buf_take(&b, &n) == NULL && b.p == NULL, "buf: take of a failed buffer");
	tap_ok(vci_buf_addf(&b, "%d", 42) == 0 && (p = vci_buf_take(&b, &n)) && n == 2 &&
	       !strcmp(p, "42") && b.p == NULL && b.max == 8, "buf: take hands over, keeps the cap");
	free(p);
	vci_buf_reset(&b);
	tap_ok(vci_buf_addn(&f, "abc", 3) == 0 && f.buf == small && !strcmp((char *)small, "abc"),
	       "buf: fixed storage");
	tap_ok(vci_buf_addn(&f, "d", 1) < 0 && f.buf == small, "buf: fixed storage never grows");
}

/* Parameters named by the library read as options on the command line. */
static void test_message(void)
{
	char buf[256];

	tap_is_str(vci_cli_message("sd_alg: 'x': expected sha-256", buf, sizeof buf),
		   "--sd-alg: 'x': expected sha-256", "message: a parameter becomes its option");
	tap_is_str(vci_cli_message("issuer: digest_alg: 'MD5': expected", buf, sizeof buf),
		   "issuer: --digest-alg: 'MD5': expected", "message: the innermost parameter");
	tap_is_str(vci_cli_message("issuer: http://x is not an https URL", buf, sizeof buf),
		   "--issuer: http://x is not an https URL", "message: a lone parameter");
	tap_is_str(vci_cli_message("claims.sd_alg: not a parameter here", buf, sizeof buf),
		   "claims.sd_alg: not a parameter here", "message: other names stay");
	tap_is_str(vci_cli_message("a b: sd_alg: prose first", buf, sizeof buf),
		   "a b: sd_alg: prose first", "message: only the leading what-chain");
	/* parameters the library quotes anywhere in a message */
	tap_is_str(vci_cli_params("key.pem: encrypted key needs a passphrase (`pass`)", buf,
				  sizeof buf),
		   "key.pem: encrypted key needs a passphrase (--pass)", "params: quoted, mid-sentence");
	tap_is_str(vci_cli_params("no attester keys (`trust_jwks`) or `ca`; `nope` stays", buf,
				  sizeof buf),
		   "no attester keys (--trust-jwks) or --ca; `nope` stays",
		   "params: several; an unknown one kept as written");
	tap_is_str(vci_cli_message("`config`: 'x' is not among the loaded definitions", buf,
				   sizeof buf),
		   "--config: 'x' is not among the loaded definitions", "message: a quoted leading parameter");
	tap_is_str(vci_cli_params("plain", buf, sizeof buf), "plain", "params: none");
	tap_is_str(vci_cli_message("sd_alg: x", buf, 4), "sd_alg: x", "message: too long for buf");
}

/* Out of memory is reported one way. */
static void test_oom(void)
{
	vci_err_t err = { 0 };

	tap_ok(vci_err_oom(&err) == -1 && err.status == VCI_EXIT_IO &&
	       !strcmp(err.code, "out_of_memory") && !strcmp(err.msg, "out of memory"), "oom: status, code, message");
	tap_ok(vci_err_oom_at(&err, "stdin") == -1 && !strcmp(err.msg, "stdin: out of memory") &&
	       !strcmp(err.code, "out_of_memory"), "oom: naming what");
	tap_ok(vci_err_oom(NULL) == -1, "oom: without an error to fill");
}

static void test_text(void)
{
	vci_buf_t t = { 0 };
	char big[1000];

	memset(big, 'x', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	tap_ok(vci_buf_addn(&t, "ab", 2) == 0 && t.len == 2 && !strcmp(t.p, "ab"), "text: put");
	tap_ok(vci_buf_addf(&t, "%d-%s", 7, big) == 0 && t.len == 2 + 2 + 999 &&
	       !strncmp(t.p, "ab7-xxx", 7) && t.p[t.len] == '\0', "text: printf longer than a small buffer");
	tap_ok(vci_buf_addn(&t, "", 0) == 0 && t.len == 1003, "text: put nothing");
	vci_buf_free(&t);
	tap_ok(t.p == NULL && t.len == 0, "text: free");

	test_buf_cap();
	test_oom();
	test_message();
}

static int ran_a(void *ctx, int argc, char **argv)
{
	(void)argv;
	*(int *)ctx = 100 + argc;
	return 0;
}

static int ran_b(void *ctx, int argc, char **argv)
{
	(void)argv;
	*(int *)ctx = 200 + argc;
	return 0;
}

static void test_run_command(void)
{
	static const vci_cli_command_t cmds[] = { { "a", ran_a }, { "b", ran_b } };
	char *v1[] = { "t", "b", "x", "y", NULL }, *v2[] = { "t", "x", NULL };
	char *v3[] = { "t", NULL }, *v4[] = { "t", "zz", NULL };
	vci_cli_t cli;
	int ran = 0, rc;

	vci_cli_init(&cli, "t");
	rc = vci_cli_run_command(&cli, 4, v1, cmds, 2, 1, "t", NULL, NULL, &ran);
	tap_ok(rc == 0 && ran == 202, "run command: a named command gets its operands");
	vci_cli_init(&cli, "t");
	rc = vci_cli_run_command(&cli, 2, v2, cmds, 2, 1, "t", NULL, NULL, &ran);
	tap_ok(rc == 0 && ran == 101, "run command: another word is an operand of the default");
	{
		char *v5[] = { "t", "--jobs", "1", "b", "x", NULL };

		vci_cli_init(&cli, "t");
		rc = vci_cli_run_command(&cli, 5, v5, cmds, 2, 1, "t", NULL, NULL, &ran);
		tap_ok(rc == 0 && ran == 201, "run command: the command word after options");
	}
	vci_cli_init(&cli, "t");
	ran = 0;
	rc = vci_cli_run_command(&cli, 1, v3, cmds, 2, 0, "t", NULL, NULL, &ran);
	tap_ok(rc == VCI_EXIT_USAGE && ran == 0, "run command: none and no default is a usage error");
	vci_cli_init(&cli, "t");
	rc = vci_cli_run_command(&cli, 2, v4, cmds, 2, 0, "t", NULL, NULL, &ran);
	tap_ok(rc == VCI_EXIT_USAGE && ran == 0, "run command: an unknown one is a usage error");
}

static void test_uint(void)
{
	vci_cli_t cli;
	unsigned long v = 0;
	FILE *saved = stderr;

	vci_cli_init(&cli, "/usr/bin/vci-test");
	tap_is_str(cli.prog, "vci-test", "init: program name is the basename");
	stderr = fopen("/dev/null", "w");
	tap_ok(vci_cli_uint(&cli, "jobs", "4", 1, 8, &v) == 0 && v == 4, "uint: 4 in range");
	tap_is_int(vci_cli_uint(&cli, "jobs", "9", 1, 8, &v), VCI_EXIT_USAGE, "uint: out of range");
	tap_is_int(vci_cli_uint(&cli, "jobs", "-1", 1, 8, &v), VCI_EXIT_USAGE, "uint: negative");
	tap_is_int(vci_cli_uint(&cli, "jobs", "3x", 1, 8, &v), VCI_EXIT_USAGE, "uint: trailing junk");
	tap_is_int(vci_cli_uint(&cli, "jobs", "", 1, 8, &v), VCI_EXIT_USAGE, "uint: empty");
	fclose(stderr);
	stderr = saved;
}

static int take_x(void *ctx, int val, const char *arg)
{
	if (val != 0x1100)
		return VCI_EXIT_USAGE;
	*(const char **)ctx = arg;
	return 0;
}

static void test_command(void)
{
	static const vci_opt_t opts[] = { { "x", 0x1100, "X", "an option" }, { 0 } };
	static const char *const cmds[] = { "sign", "verify", NULL };
	struct {
		char *argv[7];
		int argc;
		const char *const *cmds;
		const char *command, *x, *first;
	} t[] = {
		{ { "tool", "verify", "--x", "1", "f", NULL }, 5, cmds, "verify", "1", "f" },
		{ { "tool", "--x", "2", "f", NULL }, 4, cmds, NULL, "2", "f" },
		/* not a command: an operand, and options after it are still
		 * options (GNU getopt_long's permutation) */
		{ { "tool", "other", "--x", "3", NULL }, 4, cmds, NULL, "3", "other" },
		{ { "tool", "--x", "5", "--", "--x", NULL }, 5, cmds, NULL, "5", "--x" },
		{ { "tool", "other", "--x", "4", "g", NULL }, 5, NULL, "other", "4", "g" },
		{ { "tool", "sign", NULL }, 2, cmds, "sign", NULL, NULL },
	};
	for (size_t k = 0; k < sizeof t / sizeof t[0]; k++) {
		vci_cli_t cli;
		const char *x = NULL;
		int i;

		vci_cli_init(&cli, "tool");
		i = vci_cli_parse_command(&cli, t[k].argc, t[k].argv, t[k].cmds, "usage", opts,
					  take_x, &x);
		tap_is_str(cli.command ? cli.command : "(none)",
			   t[k].command ? t[k].command : "(none)", "command %zu", k);
		tap_is_str(x ? x : "(none)", t[k].x ? t[k].x : "(none)", "option after it %zu", k);
		tap_is_str(i < t[k].argc ? t[k].argv[i] : "(none)",
			   t[k].first ? t[k].first : "(none)", "first operand %zu", k);
	}
}

/* How much of the file inputs is read: the percentage and ETA of
 * progress lines. */
static void test_fraction(void)
{
	vci_cli_t cli;
	vci_err_t err = { 0 };
	char *argv[2];
	vci_inputs_t *in;
	json_t *rec = NULL;
	FILE *f = fopen(tmp("frac.ndjson"), "w");
	double first, last = -2;
	int n = 0, rc;

	for (int i = 0; f && i < 20000; i++)
		fprintf(f, "{\"id\":%d,\"claims\":{\"v\":\"%064d\"}}\n", i, i);
	if (f)
		fclose(f);
	vci_cli_init(&cli, "t");
	argv[0] = strdup(tmp("frac.ndjson"));
	argv[1] = strdup(tmp("frac.ndjson"));
	in = vci_inputs_open(&cli, 2, argv, &err);
	tap_ok(in != NULL, "fraction: inputs open");
	rc = vci_inputs_next(in, &rec, &err);
	json_decref(rec);
	first = vci_inputs_fraction(in);
	tap_ok(rc == 1 && first > 0 && first < 0.5, "fraction: after the first record of two "
	       "files: %.3f", first);
	while ((rc = vci_inputs_next(in, &rec, &err)) == 1) {
		json_decref(rec);
		if (++n == 20000)
			last = vci_inputs_fraction(in);   /* the first file read */
	}
	tap_ok(last >= 0.45 && last <= 0.55, "fraction: half way at the end of the first file: %.3f",
	       last);
	tap_ok(vci_inputs_fraction(in) == 1.0 || vci_inputs_fraction(in) == -1,
	       "fraction: all read at the end");
	vci_inputs_close(in);
	in = vci_inputs_open(&cli, 0, NULL, &err);
	tap_ok(in && vci_inputs_fraction(in) == -1, "fraction: stdin cannot tell");
	vci_inputs_close(in);
	free(argv[0]);
	free(argv[1]);
}

int main(void)
{
	test_command();
	test_run_command();
	if (!mkdtemp(dir))
		return 99;
	test_uint();
	test_out();
	test_batch(1, 0);
	test_batch(4, 0);
	test_batch(3, 1);
	test_fatal(1);
	test_fatal(2);
	test_write_error(1);
	test_write_error(2);
	test_writer(1);
	test_writer(3);
	test_text();
	test_fraction();
	{
		char cmd[300];

		snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
		if (system(cmd) != 0)
			tap_diag("could not remove %s", dir);
	}
	return tap_done();
}
