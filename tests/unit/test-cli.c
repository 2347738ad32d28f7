/* test-cli.c - atomic output, inputs and the ordered batch runner. */
#include "cli.h"
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
}

/* The batch function: adds "n" = claims.v * 2; fails when v is 13. */
static int twice(void *ctx, json_t *rec, json_t **result, vci_err_t *err)
{
	json_t *c = json_object_get(rec, "claims");
	json_int_t v = json_integer_value(json_object_get(c, "v"));

	(void)ctx;
	if (v == 13)
		return vci_err_set(err, VCI_EXIT_FAIL, "invalid_claims", "claims.v: unlucky");
	*result = json_deep_copy(rec);
	json_object_set_new(*result, "n", json_integer(v * 2));
	return 0;
}

static void test_batch(int jobs)
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
	rc = vci_batch_run(&cli, in, out, twice, NULL, &st, &err);
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
		char *argv[6];
		int argc;
		const char *const *cmds;
		const char *command, *x, *first;
	} t[] = {
		{ { "tool", "verify", "--x", "1", "f", NULL }, 5, cmds, "verify", "1", "f" },
		{ { "tool", "--x", "2", "f", NULL }, 4, cmds, NULL, "2", "f" },
		/* not a command: an operand, and options stop there (POSIX) */
		{ { "tool", "other", "--x", "3", NULL }, 4, cmds, NULL, NULL, "other" },
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

int main(void)
{
	test_command();
	if (!mkdtemp(dir))
		return 99;
	test_uint();
	test_out();
	test_batch(1);
	test_batch(4);
	{
		char cmd[300];

		snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
		if (system(cmd) != 0)
			tap_diag("could not remove %s", dir);
	}
	return tap_done();
}
