/* cli.c - the command-line conventions (see cli.h): options, messages, inputs. */
#include "cli.h"
#include "config.h"
#include "base/time.h"

#include <jansson.h>
#include <openssl/crypto.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

const vci_opt_t vci_common_opts[] = {
	{ "output", VCI_OPT_OUTPUT, "FILE", "write to FILE (atomically: all or nothing) instead of stdout" },
	{ "csv", VCI_OPT_CSV, "FILE", "read records from CSV FILE (header row = claim names)" },
	{ "jobs", VCI_OPT_JOBS, "N", "process records with N threads (default: number of cores)" },
	{ "progress", VCI_OPT_PROGRESS, NULL, "show progress on stderr even when it is not a terminal" },
	{ "no-progress", VCI_OPT_NO_PROGRESS, NULL, "never show progress" },
	{ "help", VCI_OPT_HELP, NULL, "print this help and exit" },
	{ "version", VCI_OPT_VERSION, NULL, "print the version and exit" },
	{ 0 },
};

int vci_ncores(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	return n > 0 ? (int)(n > 256 ? 256 : n) : 1;
}

void vci_cli_init(vci_cli_t *cli, const char *prog)
{
	memset(cli, 0, sizeof *cli);
	if (prog) {
		const char *slash = strrchr(prog, '/');

		prog = slash ? slash + 1 : prog;
	}
	cli->prog = prog && *prog ? prog : "vci";
	cli->jobs = vci_ncores();
	cli->progress = -1;
}

static size_t count_opts(const vci_opt_t *o)
{
	size_t n = 0;

	while (o && o[n].name)
		n++;
	return n;
}

#define HELP_WIDTH 79     /* --help fits an 80-column terminal */
#define HELP_COL 30

/* Print text from column `col`, words wrapped before HELP_WIDTH, each
 * further line indented to `indent`; a newline ends it. */
static void help_wrap(FILE *f, const char *text, int col, int indent)
{
	const char *p = text;

	while (*p) {
		size_t w = strcspn(p, " ");
		int first = p == text;

		if (!first && col + 1 + (int)w > HELP_WIDTH && col > indent) {
			fprintf(f, "\n%*s", indent, "");
			col = indent;
		} else if (!first) {
			fputc(' ', f);
			col++;
		}
		fprintf(f, "%.*s", (int)w, p);
		col += (int)w;
		p += w;
		while (*p == ' ')
			p++;
	}
	fputc('\n', f);
}

/* One segment of an option's help ("sign: ...", "dpop, wallet-attestation:
 * ...", "new --method bitstring: ..."): 1 when it starts with command
 * names and a colon (*names_cmd set when `cmd` is one of them), else 0. */
static int cli_segment_names(const char *seg, const char *const *cmds, const char *cmd,
			     int *names_cmd)
{
	const char *p = seg;
	int hit = 0;

	for (;;) {
		size_t w = strspn(p, "abcdefghijklmnopqrstuvwxyz0123456789-"), k;

		for (k = 0; w && cmds[k]; k++)
			if (strlen(cmds[k]) == w && !strncmp(cmds[k], p, w))
				break;
		if (!w || !cmds[k])
			return 0;
		hit |= cmd && !strcmp(cmds[k], cmd);
		p += w;
		if (!strncmp(p, ", ", 2)) {
			p += 2;
			continue;
		}
		if (*p == ':' || (!strncmp(p, " --", 3) && strchr(p, ':') &&
				  (!strchr(p, ';') || strchr(p, ':') < strchr(p, ';'))))
			break;
		return 0;
	}
	*names_cmd |= hit;
	return 1;
}

/* Whether an option is for command `cmd` of a tool with commands `cmds`:
 * its help starts with the commands it is for ("sign: ..."), and names
 * more after a "; " ("new: ...; check: ..."); help that starts otherwise
 * is for every command. */
static int cli_opt_for(const vci_opt_t *o, const char *const *cmds, const char *cmd)
{
	const char *p = o->help;
	int names = 0;

	if (!cmds || !cmd || !p || !cli_segment_names(p, cmds, cmd, &names))
		return 1;
	while ((p = strstr(p, "; ")) != NULL) {
		p += 2;
		cli_segment_names(p, cmds, cmd, &names);
	}
	return names;
}

static void help_table(FILE *f, const vci_opt_t *o, const char *const *cmds, const char *cmd)
{
	for (; o && o->name; o++) {
		char left[64];
		int n;

		if (!o->help)   /* a hidden alias (a former spelling) */
			continue;
		if (!cli_opt_for(o, cmds, cmd))
			continue;
		if (o->val > 0 && o->val < 128)
			n = snprintf(left, sizeof left, "  -%c, --%s%s%s", o->val, o->name,
				     o->arg ? " " : "", o->arg ? o->arg : "");
		else
			n = snprintf(left, sizeof left, "      --%s%s%s", o->name,
				     o->arg ? " " : "", o->arg ? o->arg : "");
		if (n < HELP_COL)
			fprintf(f, "%-*s", HELP_COL, left);
		else
			fprintf(f, "%s\n%-*s", left, HELP_COL, "");
		help_wrap(f, o->help, HELP_COL, HELP_COL);
	}
}

/* A usage line of the current command: it starts (after spaces, "or:"
 * and the program name) with the command, or with it in brackets. */
static const char *cli_usage_names(const vci_cli_t *cli, const char *line)
{
	const char *p = line + strspn(line, " ");
	size_t cl = strlen(cli->command), pl = strlen(cli->prog);

	if (!strncmp(p, "or:", 3))
		p += 3 + strspn(p + 3, " ");
	if (!strncmp(p, cli->prog, pl) && p[pl] == ' ')
		p += pl + 1;
	if (*p == '[' && !strncmp(p + 1, cli->command, cl) && p[1 + cl] == ']')
		return p;
	if (!strncmp(p, cli->command, cl) && (p[cl] == ' ' || !p[cl]))
		return p;
	return NULL;
}

/* The usage text, each line wrapped; with a command, only its lines. */
static void help_usage(const vci_cli_t *cli, FILE *f, const char *usage)
{
	const char *p = usage;
	int shown = 0;

	while (p && *p) {
		size_t len = strcspn(p, "\n");
		char line[512];
		const char *hit;

		snprintf(line, sizeof line, "%.*s", (int)len, p);
		hit = cli->command ? cli_usage_names(cli, line) : line;
		if (hit && strncmp(line, "Options go", 10)) {
			const char *txt = shown ? line : hit + strspn(hit, " ");
			int col = shown ? 0 : 8 + (int)strlen(cli->prog);

			if (!shown++)
				fprintf(f, "Usage: %s ", cli->prog);
			if (col + (int)strlen(txt) <= HELP_WIDTH)
				fprintf(f, "%s\n", txt);   /* as written, alignment kept */
			else {
				int lead = (int)strspn(txt, " ");

				fprintf(f, "%*s", lead, "");
				help_wrap(f, txt + lead, col + lead, lead + 2);
			}
		}
		p += len + (p[len] == '\n');
	}
	if (!shown)
		fprintf(f, "Usage: %s %s%s[OPTION]... [FILE]...\n", cli->prog,
			cli->command ? cli->command : "", cli->command ? " " : "");
}

void vci_cli_help(const vci_cli_t *cli, FILE *f, const char *usage, const vci_opt_t *opts)
{
	help_usage(cli, f, usage ? usage : "[OPTION]... [FILE]...");
	if (count_opts(opts)) {
		fprintf(f, "\n%s:\n", cli->command ? "Options of this command" : "Options");
		help_table(f, opts, cli->commands, cli->command);
	}
	fprintf(f, "\nCommon options:\n");
	help_table(f, vci_common_opts, NULL, NULL);
	if (cli->commands && !cli->command)
		fprintf(f, "\nEach command has its own help: %s COMMAND --help.\n", cli->prog);
	fprintf(f, "\nWith no FILE, or when FILE is -, read standard input.\n"
		   "Exit status: 0 ok, 1 some records failed, 2 usage, 3 bad input,\n"
		   "4 key or certificate, 5 I/O or network. See vci(7).\n");
}

void vci_cli_error(const vci_cli_t *cli, const vci_err_t *err)
{
	char buf[sizeof err->msg + 64];
	const char *msg = err && err->msg[0] ? err->msg : "unknown error";

	char buf2[sizeof buf];

	msg = vci_cli_params(msg, buf2, sizeof buf2);
	if (err && err->status == VCI_EXIT_USAGE)
		msg = vci_cli_message(msg, buf, sizeof buf);
	fprintf(stderr, "%s: %s\n", cli->prog, msg);
}

int vci_cli_fail(const vci_cli_t *cli, const vci_err_t *err, int fallback)
{
	vci_cli_error(cli, err);
	return err->status ? err->status : fallback;
}

void vci_cli_errorf(const vci_cli_t *cli, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", cli->prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

int vci_cli_usage(const vci_cli_t *cli, const char *fmt, ...)
{
	char msg[2048], buf[2048 + 64];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	fprintf(stderr, "%s: %s", cli->prog, vci_cli_message(msg, buf, sizeof buf));
	fprintf(stderr, "\nTry '%s --help' for more information.\n", cli->prog);
	return VCI_EXIT_USAGE;
}

int vci_cli_uint(const vci_cli_t *cli, const char *opt, const char *arg,
		 unsigned long min, unsigned long max, unsigned long *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	if (!arg || !*arg || *arg == '-' || *arg == '+')
		return vci_cli_usage(cli, "--%s: expected a number, got '%s'", opt, arg ? arg : "");
	v = strtoul(arg, &end, 10);
	if (errno || *end)
		return vci_cli_usage(cli, "--%s: expected a number, got '%s'", opt, arg);
	if (v < min || v > max)
		return vci_cli_usage(cli, "--%s: %lu is out of range (%lu to %lu)", opt, v, min, max);
	*out = v;
	return 0;
}

int vci_cli_parse_command(vci_cli_t *cli, int argc, char **argv, const char *const *commands,
			  const char *usage, const vci_opt_t *opts, vci_opt_handler_t handle,
			  void *ctx)
{
	int skip = 0;

	if (argc > 1 && argv[1][0] != '-') {
		if (!commands)
			skip = 1;
		for (size_t i = 0; commands && commands[i]; i++)
			if (!strcmp(commands[i], argv[1]))
				skip = 1;
	}
	if (skip)
		cli->command = argv[1];
	/* getopt sees the command as the program name */
	return skip + vci_cli_parse(cli, argc - skip, argv + skip, usage, opts, handle, ctx);
}

/* An option given that is not for the command run does nothing: refuse
 * it, naming the commands it is for. */
int vci_cli_check_options(const vci_cli_t *cli, const vci_opt_t *opts, const char *cmd)
{
	for (size_t g = 0; g < cli->ngiven; g++) {
		const vci_opt_t *o = NULL, *name = NULL;
		char fors[256] = "";
		size_t len = 0;

		for (const vci_opt_t *x = opts; x && x->name; x++)
			if (x->val == cli->given[g]) {
				name = name ? name : x;
				if (x->help && !o)
					o = x;
			}
		if (!o || !cli->commands || cli_opt_for(o, cli->commands, cmd))
			continue;
		for (size_t k = 0; cli->commands[k]; k++)
			if (cli_opt_for(o, cli->commands, cli->commands[k]))
				len += (size_t)snprintf(fors + len, len < sizeof fors ? sizeof fors - len : 0,
							"%s%s", len ? ", " : "", cli->commands[k]);
		return vci_cli_usage(cli, "--%s does nothing for %s: it is for %s", o->name, cmd,
				     fors);
	}
	return 0;
}

int vci_cli_run_command(vci_cli_t *cli, int argc, char **argv, const vci_cli_command_t *cmds,
			size_t ncmds, int first_is_default, const char *usage,
			const vci_opt_t *opts, vci_opt_handler_t handle, void *ctx)
{
	const char *names[32] = { NULL };
	char list[256] = "";
	size_t len = 0;
	int i;

	for (size_t k = 0; k < ncmds && k + 1 < sizeof names / sizeof names[0]; k++) {
		names[k] = cmds[k].name;
		len += (size_t)snprintf(list + len, len < sizeof list ? sizeof list - len : 0, "%s%s",
					k ? ", " : "", cmds[k].name);
	}
	cli->commands = names;
	/* with a default, only a command's name is taken as one (the rest
	 * are operands); without, any first word is the command */
	i = vci_cli_parse_command(cli, argc, argv, first_is_default ? names : NULL, usage, opts,
				  handle, ctx);
	if (!cli->command && first_is_default && i < argc && i > 0 && strcmp(argv[i - 1], "--")) {
		/* options came before the command word: "tool --ca X verify" */
		for (size_t k = 0; k < ncmds; k++)
			if (!strcmp(cmds[k].name, argv[i]))
				cli->command = argv[i++];
	}
	if (!cli->command) {
		if (first_is_default) {
			int rc = vci_cli_check_options(cli, opts, cmds[0].name);

			return rc ? rc : cmds[0].fn(ctx, argc - i, argv + i);
		}
		if (i >= argc)
			return vci_cli_usage(cli, "missing COMMAND (%s)", list);
		cli->command = argv[i++];
	}
	for (size_t k = 0; k < ncmds; k++)
		if (!strcmp(cmds[k].name, cli->command)) {
			int rc = vci_cli_check_options(cli, opts, cmds[k].name);

			return rc ? rc : cmds[k].fn(ctx, argc - i, argv + i);
		}
	return vci_cli_usage(cli, "unknown command '%s' (%s)", cli->command, list);
}

/* --version: ours, then the libraries' as they run (a distribution may
 * update them under us): OpenSSL and jansson, which every tool runs
 * with, then those the tool names (cli->libs). No other library is
 * referenced here, so that a tool links only the libraries it calls (a
 * tool that makes no HTTP request does not load libcurl and the
 * libraries behind it). */
static void cli_version(const vci_cli_t *cli)
{
	printf("%s (vci-tools) %s\n", cli->prog, PACKAGE_VERSION);
	printf("OpenSSL %s, jansson %s", OpenSSL_version(OPENSSL_VERSION_STRING),
	       jansson_version_str());
	for (const vci_cli_lib_t *l = cli->libs; l && l->name; l++)
		printf(", %s %s", l->name, l->version());
	putchar('\n');
}

/* VCI_NOW (or its former name VCI_TEST_NOW) that no tool can read is a
 * usage error, not a clock silently left running. */
static void cli_check_env(const vci_cli_t *cli)
{
	int64_t t;

	if (vci_time_env(&t) < 0)
		exit(vci_cli_usage(cli, "VCI_NOW: '%s': expected an RFC 3339 date-time or "
				   "seconds since the epoch",
				   getenv("VCI_NOW") && *getenv("VCI_NOW") ? getenv("VCI_NOW")
									   : getenv("VCI_TEST_NOW")));
}

int vci_cli_parse(vci_cli_t *cli, int argc, char **argv, const char *usage,
		  const vci_opt_t *opts, vci_opt_handler_t handle, void *ctx)
{
	size_t nt = count_opts(opts), nc = count_opts(vci_common_opts), i, n = 0;
	struct option *lo = calloc(nt + nc + 1, sizeof *lo);
	/* no '+': options and operands in any order, as GNU tools take
	 * them (getopt_long moves the operands after the options; "--"
	 * ends the options) */
	char shorts[256] = "";
	size_t sl = 0;
	int c, rc = 0;

	if (!lo) {
		vci_cli_errorf(cli, "out of memory");
		exit(VCI_EXIT_IO);
	}
	if (cli->options_ended) {
		/* an earlier parse met "--": what follows are operands, even
		 * those starting with '-' (a subcommand parsing its options) */
		free(lo);
		return 1;
	}
	for (i = 0; i < nt + nc; i++) {
		const vci_opt_t *o = i < nt ? &opts[i] : &vci_common_opts[i - nt];

		lo[n].name = o->name;
		lo[n].has_arg = o->arg ? required_argument : no_argument;
		lo[n].val = o->val;
		n++;
		if (o->val > 0 && o->val < 128 && sl + 2 < sizeof shorts - 1) {
			shorts[sl++] = (char)o->val;
			if (o->arg)
				shorts[sl++] = ':';
		}
	}
	shorts[sl] = '\0';
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, shorts, lo, NULL)) != -1) {
		unsigned long v;

		switch (c) {
		case VCI_OPT_HELP:
			vci_cli_help(cli, stdout, usage, opts);
			free(lo);
			exit(VCI_EXIT_OK);
		case VCI_OPT_VERSION:
			cli_version(cli);
			free(lo);
			exit(VCI_EXIT_OK);
		case VCI_OPT_OUTPUT:
			cli->output = optarg;
			break;
		case VCI_OPT_CSV:
			cli->csv = optarg;
			break;
		case VCI_OPT_JOBS:
			rc = vci_cli_uint(cli, "jobs", optarg, 1, 256, &v);
			cli->jobs = (int)v;
			break;
		case VCI_OPT_PROGRESS:
			cli->progress = 1;
			break;
		case VCI_OPT_NO_PROGRESS:
			cli->progress = 0;
			break;
		case '?':
			if (optopt && optopt < 128 && optopt != '?')
				rc = vci_cli_usage(cli, "invalid option -- '%c'", optopt);
			else if (optopt)
				rc = vci_cli_usage(cli, "option '%s' needs an argument", argv[optind - 1]);
			else
				rc = vci_cli_usage(cli, "unrecognized option '%s'", argv[optind - 1]);
			break;
		case ':':
			rc = vci_cli_usage(cli, "option '%s' needs an argument", argv[optind - 1]);
			break;
		default:
			rc = handle ? handle(ctx, c, optarg) : vci_cli_usage(cli, "unexpected option");
			if (cli->ngiven < sizeof cli->given / sizeof cli->given[0])
				cli->given[cli->ngiven++] = c;
			break;
		}
		if (rc) {
			free(lo);
			exit(rc);
		}
	}
	free(lo);
	if (optind > 1 && optind <= argc && !strcmp(argv[optind - 1], "--"))
		cli->options_ended = 1;
	cli_check_env(cli);
	return optind;
}

int vci_cli_now(const vci_cli_t *cli, const char *opt, const char *arg, int64_t *out)
{
	int64_t t = 0;

	if (vci_time_parse(arg, &t) < 0 || t == 0)
		return vci_cli_usage(cli, "%s: '%s': expected an RFC 3339 date-time "
				     "(2026-01-02T03:04:05Z) or seconds since the epoch", opt, arg);
	vci_time_set_now(t);
	if (out)
		*out = t;
	return 0;
}

/* Inputs: --csv FILE, or the file arguments one after the other. */
struct vci_inputs {
	char **paths;
	int npaths, next;
	vci_input_kind_t kind;
	vci_reader_t *cur;
	size_t line;
	int64_t total;          /* bytes of all inputs, -1 when one is no file */
	int64_t before;         /* bytes of the inputs already read */
	int64_t cur_size;
};

/* Size of a regular file, else -1 (stdin, pipes, devices). */
static int64_t inputs_size(const char *path)
{
	struct stat st;

	if (!path || !strcmp(path, "-") || stat(path, &st) < 0 || !S_ISREG(st.st_mode))
		return -1;
	return (int64_t)st.st_size;
}

static int inputs_advance(vci_inputs_t *in, vci_err_t *err)
{
	if (in->cur) {
		vci_reader_close(in->cur);
		in->cur = NULL;
		in->before += in->cur_size;
	}
	if (in->next >= in->npaths)
		return 0;
	in->cur_size = inputs_size(in->paths[in->next]);
	in->cur = vci_reader_open_path(in->paths[in->next++], in->kind, err);
	return in->cur ? 1 : -2;
}

vci_inputs_t *vci_inputs_open(const vci_cli_t *cli, int argc, char **argv, vci_err_t *err)
{
	static char *dash[] = { "-" };
	vci_inputs_t *in = calloc(1, sizeof *in);

	if (!in) {
		vci_err_oom(err);
		return NULL;
	}
	if (cli->csv) {
		if (argc > 0) {
			free(in);
			vci_err_set(err, VCI_EXIT_USAGE, "usage", "--csv and input files exclude each other");
			return NULL;
		}
		in->paths = (char **)&cli->csv;
		in->npaths = 1;
		in->kind = VCI_INPUT_CSV;
	} else if (argc > 0) {
		in->paths = argv;
		in->npaths = argc;
	} else {
		in->paths = dash;
		in->npaths = 1;
	}
	for (int i = 0; i < in->npaths && in->total >= 0; i++) {
		int64_t n = inputs_size(in->paths[i]);

		in->total = n < 0 ? -1 : in->total + n;
		if (!strcmp(in->paths[i], "-") && isatty(STDIN_FILENO) && isatty(STDERR_FILENO))
			fprintf(stderr, "%s: reading records from the terminal (end with Ctrl-D)\n",
				cli->prog);
	}
	if (inputs_advance(in, err) < 0) {
		free(in);
		return NULL;
	}
	return in;
}

/* The next record of the inputs, moving to the next input at the end of
 * one: parsed, or (raw not NULL) an NDJSON line left unparsed. */
static int inputs_next(vci_inputs_t *in, const char **raw, size_t *len, json_t **rec,
		       vci_err_t *err)
{
	for (;;) {
		int rc;

		if (raw)
			*raw = NULL;
		*rec = NULL;
		if (!in->cur)
			return 0;
		rc = raw ? vci_reader_next_raw(in->cur, raw, len, rec, err)
			 : vci_reader_next(in->cur, rec, err);
		if (rc != 0) {
			in->line = vci_reader_line(in->cur);
			return rc;
		}
		rc = inputs_advance(in, err);
		if (rc < 0)
			return rc;
	}
}

int vci_inputs_next(vci_inputs_t *in, json_t **rec, vci_err_t *err)
{
	return inputs_next(in, NULL, NULL, rec, err);
}

int vci_inputs_next_raw(vci_inputs_t *in, const char **raw, size_t *len, json_t **rec,
			vci_err_t *err)
{
	return inputs_next(in, raw, len, rec, err);
}

int vci_inputs_would_block(const vci_inputs_t *in)
{
	return in->cur && vci_reader_would_block(in->cur);
}

const char *vci_inputs_name(const vci_inputs_t *in)
{
	/* the argument itself (it outlives every record), as the reader
	 * names it */
	const char *p = in->next > 0 ? in->paths[in->next - 1] : NULL;

	return !p || !strcmp(p, "-") ? "stdin" : p;
}

size_t vci_inputs_line(const vci_inputs_t *in)
{
	return in->line;
}

void vci_inputs_close(vci_inputs_t *in)
{
	if (!in)
		return;
	if (in->cur)
		vci_reader_close(in->cur);
	free(in);
}

double vci_inputs_fraction(const vci_inputs_t *in)
{
	int64_t at;

	if (!in || in->total <= 0)
		return -1;
	at = in->cur ? vci_reader_tell(in->cur) : 0;
	if (at < 0)
		return -1;
	at += in->before;
	return at >= in->total ? 1.0 : (double)at / (double)in->total;
}

void vci_cli_progress(const vci_cli_t *cli, const vci_inputs_t *in, size_t total, size_t failed,
		      double elapsed, int final)
{
	double rate = total / (elapsed > 1e-6 ? elapsed : 1e-6);
	double f = final ? -1 : vci_inputs_fraction(in);

	fprintf(stderr, "%s: %zu records, %zu failed, %.0f/s", cli->prog, total, failed, rate);
	if (f > 0 && f < 1) {
		long eta = (long)(elapsed / f - elapsed + 0.5);

		fprintf(stderr, ", %.0f%%, ETA %ld:%02ld", f * 100, eta / 60, eta % 60);
	}
	fprintf(stderr, "%s\n", final ? ", done" : "");
}
