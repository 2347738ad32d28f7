/* cli.c - command-line conventions shared by every tool. */
#include "cli.h"
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
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

static void help_table(FILE *f, const vci_opt_t *o)
{
	for (; o && o->name; o++) {
		char left[64];
		int n;

		if (o->val > 0 && o->val < 128)
			n = snprintf(left, sizeof left, "  -%c, --%s%s%s", o->val, o->name,
				     o->arg ? " " : "", o->arg ? o->arg : "");
		else
			n = snprintf(left, sizeof left, "      --%s%s%s", o->name,
				     o->arg ? " " : "", o->arg ? o->arg : "");
		if (n < 30)
			fprintf(f, "%-30s%s\n", left, o->help);
		else
			fprintf(f, "%s\n%-30s%s\n", left, "", o->help);
	}
}

void vci_cli_help(const vci_cli_t *cli, FILE *f, const char *usage, const vci_opt_t *opts)
{
	fprintf(f, "Usage: %s %s\n", cli->prog, usage ? usage : "[OPTION]... [FILE]...");
	if (count_opts(opts)) {
		fprintf(f, "\nOptions:\n");
		help_table(f, opts);
	}
	fprintf(f, "\nCommon options:\n");
	help_table(f, vci_common_opts);
	fprintf(f, "\nWith no FILE, or when FILE is -, read standard input.\n"
		   "Exit status: 0 ok, 1 some records failed, 2 usage, 3 bad input,\n"
		   "4 key or certificate, 5 I/O or network. See vci(7).\n");
}

void vci_cli_error(const vci_cli_t *cli, const vci_err_t *err)
{
	fprintf(stderr, "%s: %s\n", cli->prog, err && err->msg[0] ? err->msg : "unknown error");
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
	va_list ap;

	fprintf(stderr, "%s: ", cli->prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
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

int vci_cli_parse(vci_cli_t *cli, int argc, char **argv, const char *usage,
		  const vci_opt_t *opts, vci_opt_handler_t handle, void *ctx)
{
	size_t nt = count_opts(opts), nc = count_opts(vci_common_opts), i, n = 0;
	struct option *lo = calloc(nt + nc + 1, sizeof *lo);
	char shorts[256] = "+";
	size_t sl = 1;
	int c, rc = 0;

	if (!lo) {
		vci_cli_errorf(cli, "out of memory");
		exit(VCI_EXIT_IO);
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
			printf("%s (vci-tools) %s\n", cli->prog, PACKAGE_VERSION);
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
			break;
		}
		if (rc) {
			free(lo);
			exit(rc);
		}
	}
	free(lo);
	return optind;
}

/* Atomic output. */
struct vci_out {
	FILE *f;
	char *path;
	char *tmp;
};

vci_out_t *vci_out_open(const char *path, vci_err_t *err)
{
	vci_out_t *o = calloc(1, sizeof *o);
	int fd;

	if (!o) {
		vci_err_set(err, VCI_EXIT_IO, "io_error", "out of memory");
		return NULL;
	}
	if (!path || strcmp(path, "-") == 0) {
		o->f = stdout;
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
	if (o->tmp)
		unlink(o->tmp);
	free(o->tmp);
	free(o->path);
	free(o);
}

/* Inputs: --csv FILE, or the file arguments one after the other. */
struct vci_inputs {
	char **paths;
	int npaths, next;
	vci_input_kind_t kind;
	vci_reader_t *cur;
	size_t line;
};

static int inputs_advance(vci_inputs_t *in, vci_err_t *err)
{
	if (in->cur) {
		vci_reader_close(in->cur);
		in->cur = NULL;
	}
	if (in->next >= in->npaths)
		return 0;
	in->cur = vci_reader_open_path(in->paths[in->next++], in->kind, err);
	return in->cur ? 1 : -2;
}

vci_inputs_t *vci_inputs_open(const vci_cli_t *cli, int argc, char **argv, vci_err_t *err)
{
	static char *dash[] = { "-" };
	vci_inputs_t *in = calloc(1, sizeof *in);

	if (!in) {
		vci_err_set(err, VCI_EXIT_IO, "io_error", "out of memory");
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
	if (inputs_advance(in, err) < 0) {
		free(in);
		return NULL;
	}
	return in;
}

int vci_inputs_next(vci_inputs_t *in, json_t **rec, vci_err_t *err)
{
	for (;;) {
		int rc;

		if (!in->cur)
			return 0;
		rc = vci_reader_next(in->cur, rec, err);
		if (rc != 0) {
			in->line = vci_reader_line(in->cur);
			return rc;
		}
		rc = inputs_advance(in, err);
		if (rc < 0)
			return rc;
	}
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

/* Batch runner. Records are read in windows; a window is processed by
 * the worker threads (each takes the next unclaimed slot), then written in
 * input order. Memory is bounded by the window, order is kept, and a slow
 * record only holds back its own window. With more than one job there are
 * two windows: while the workers process one, the calling thread writes
 * the window before it and reads the window after it, so reading and
 * writing do not leave the workers idle. */
typedef struct slot {
	json_t *in;      /* input record (NULL for a pre-made error record) */
	json_t *out;     /* result or error record */
	char *text;      /* out serialized by the worker (default writer) */
	size_t tlen;
	size_t line;
	int failed;
} slot_t;

typedef struct pool {
	slot_t *slots;
	size_t n;
	size_t next;     /* next slot to claim */
	pthread_mutex_t mu;
	vci_batch_fn_t fn;
	void *ctx;
	int dump;        /* serialize results in the workers */
	pthread_t *th;
	int started;     /* threads running on this window */
} pool_t;

static void run_slot(pool_t *p, slot_t *s)
{
	vci_err_t err = { 0 };
	json_t *res = NULL;

	if (!s->in)
		goto dump;
	if (p->fn(p->ctx, s->in, &res, &err) == 0 && res) {
		s->out = res;
	} else {
		if (res)
			json_decref(res);
		if (!err.msg[0])
			vci_err_set(&err, VCI_EXIT_FAIL, "error", "record failed");
		s->out = vci_record_error_from(s->in, &err, s->line);
		s->failed = 1;
	}
dump:
	/* The default writer's work done here, in parallel: serialize, and
	 * release the records (drain writes the text in order). */
	if (p->dump && s->out) {
		s->text = json_dumps(s->out, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_ENCODE_ANY);
		if (s->text) {
			s->tlen = strlen(s->text);
			json_decref(s->in);
			json_decref(s->out);
			s->in = s->out = NULL;
		}
	}
}

static void *worker(void *arg)
{
	pool_t *p = arg;

	for (;;) {
		size_t i;

		pthread_mutex_lock(&p->mu);
		i = p->next < p->n ? p->next++ : p->n;
		pthread_mutex_unlock(&p->mu);
		if (i >= p->n)
			break;
		run_slot(p, &p->slots[i]);
	}
	return NULL;
}

/* Start processing a window: threads when there are jobs and records to
 * share, else nothing (pool_finish runs it in the calling thread). */
static void pool_start(pool_t *p, int jobs)
{
	p->next = 0;
	p->started = 0;
	if (jobs < 2 || p->n < 2)
		return;
	pthread_mutex_init(&p->mu, NULL);
	for (int t = 0; t < jobs && (size_t)t < p->n; t++)
		if (pthread_create(&p->th[t], NULL, worker, p) == 0)
			p->started++;
	if (!p->started)
		pthread_mutex_destroy(&p->mu);
}

/* Wait for a window to be processed (processing it here if no thread
 * was started). */
static void pool_finish(pool_t *p)
{
	if (!p->started) {
		for (size_t i = 0; i < p->n; i++)
			run_slot(p, &p->slots[i]);
		return;
	}
	for (int t = 0; t < p->started; t++)
		pthread_join(p->th[t], NULL);
	pthread_mutex_destroy(&p->mu);
	p->started = 0;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

typedef struct batch {
	const vci_cli_t *cli;
	vci_inputs_t *in;
	FILE *out;
	vci_batch_write_fn_t write;
	void *wctx;
	size_t cap;
	int progress;
	double t0, last;
	vci_batch_stats_t st;
	vci_err_t werr;
	int rc, wrc, eof;
} batch_t;

/* Read up to cap records into a window; sets b->eof or b->rc. */
static void fill(batch_t *b, pool_t *p, vci_err_t *err)
{
	p->n = 0;
	while (p->n < b->cap && !b->eof && b->rc == VCI_EXIT_OK) {
		json_t *rec = NULL;
		int r = vci_inputs_next(b->in, &rec, err);
		slot_t *s = &p->slots[p->n];

		if (r == 0) {
			b->eof = 1;
			break;
		}
		if (r == -2) {
			b->rc = err->status ? err->status : VCI_EXIT_INPUT;
			break;
		}
		memset(s, 0, sizeof *s);
		s->line = vci_inputs_line(b->in);
		if (r == -1) {
			s->out = rec;
			s->failed = 1;
		} else {
			s->in = rec;
		}
		p->n++;
	}
}

/* Write a processed window in order, count it and free its records. */
static void drain(batch_t *b, pool_t *p)
{
	for (size_t i = 0; i < p->n; i++) {
		slot_t *s = &p->slots[i];

		b->st.total++;
		if (s->failed)
			b->st.failed++;
		else
			b->st.ok++;
		/* records read before a fatal input error are still written */
		if (b->wrc == VCI_EXIT_OK && s->text &&
		    (fwrite(s->text, 1, s->tlen, b->out) != s->tlen || putc('\n', b->out) == EOF)) {
			vci_err_set(&b->werr, VCI_EXIT_IO, "io_error", "write error: %s",
				    strerror(errno));
			b->wrc = VCI_EXIT_IO;
		} else if (b->wrc == VCI_EXIT_OK && !s->text && s->out &&
			   (b->write ? b->write(b->wctx, b->out, s->out, &b->werr)
				     : vci_record_write(b->out, s->out, &b->werr)) != 0) {
			b->wrc = b->werr.status ? b->werr.status : VCI_EXIT_IO;
		}
		free(s->text);
		json_decref(s->in);
		json_decref(s->out);
		memset(s, 0, sizeof *s);
	}
	p->n = 0;
	if (b->wrc == VCI_EXIT_OK && fflush(b->out) != 0) {
		vci_err_set(&b->werr, VCI_EXIT_IO, "io_error", "write: %s", strerror(errno));
		b->wrc = VCI_EXIT_IO;
	}
	if (b->progress) {
		double t = now_s();

		if (t - b->last > 0.2 || b->eof) {
			fprintf(stderr, "\r%s: %zu records, %zu failed, %.0f/s ", b->cli->prog,
				b->st.total, b->st.failed,
				b->st.total / (t - b->t0 > 1e-6 ? t - b->t0 : 1e-6));
			b->last = t;
		}
	}
}

int vci_batch_run(const vci_cli_t *cli, vci_inputs_t *in, FILE *out,
		  vci_batch_fn_t fn, void *ctx, vci_batch_stats_t *stats, vci_err_t *err)
{
	return vci_batch_run_with(cli, in, out, fn, ctx, NULL, NULL, stats, err);
}

int vci_batch_run_with(const vci_cli_t *cli, vci_inputs_t *in, FILE *out,
		       vci_batch_fn_t fn, void *ctx, vci_batch_write_fn_t write, void *wctx,
		       vci_batch_stats_t *stats, vci_err_t *err)
{
	int jobs = cli->jobs > 0 ? cli->jobs : 1;
	size_t cap = jobs > 1 ? (size_t)jobs * 64 : 1;
	int nwin = jobs > 1 ? 2 : 1;
	batch_t b = { .cli = cli, .in = in, .out = out, .write = write, .wctx = wctx, .cap = cap, .t0 = now_s(),
		      .rc = VCI_EXIT_OK, .wrc = VCI_EXIT_OK };
	pool_t win[2] = { { .fn = fn, .ctx = ctx, .dump = !write },
			  { .fn = fn, .ctx = ctx, .dump = !write } };
	pool_t *cur, *prev;
	int ok = 1;

	b.progress = cli->progress < 0 ? isatty(STDERR_FILENO) : cli->progress;
	for (int w = 0; w < nwin; w++) {
		win[w].slots = calloc(cap, sizeof *win[w].slots);
		win[w].th = jobs > 1 ? calloc((size_t)jobs, sizeof *win[w].th) : NULL;
		if (!win[w].slots || (jobs > 1 && !win[w].th))
			ok = 0;
	}
	if (!ok) {
		for (int w = 0; w < nwin; w++) {
			free(win[w].slots);
			free(win[w].th);
		}
		return vci_err_set(err, VCI_EXIT_IO, "io_error", "out of memory"), VCI_EXIT_IO;
	}
	cur = &win[0];
	prev = nwin > 1 ? &win[1] : NULL;
	fill(&b, cur, err);
	while (cur->n) {
		pool_start(cur, jobs);
		if (prev) {
			/* while the workers run: write the window before, read the next */
			drain(&b, prev);
			if (b.wrc == VCI_EXIT_OK)
				fill(&b, prev, err);
			pool_finish(cur);
			pool_t *t = prev;
			prev = cur;
			cur = t;
			if (b.wrc != VCI_EXIT_OK)
				break;
		} else {
			pool_finish(cur);
			drain(&b, cur);
			if (b.wrc != VCI_EXIT_OK)
				break;
			fill(&b, cur, err);
		}
	}
	if (prev)
		drain(&b, prev);
	if (b.progress)
		fputc('\n', stderr);
	for (int w = 0; w < nwin; w++) {
		for (size_t i = 0; i < win[w].n; i++) { /* left unwritten after a write error */
			free(win[w].slots[i].text);
			json_decref(win[w].slots[i].in);
			json_decref(win[w].slots[i].out);
		}
		free(win[w].slots);
		free(win[w].th);
	}
	if (b.st.total > 1 || b.st.failed)
		fprintf(stderr, "%s: %zu records, %zu ok, %zu failed\n", cli->prog,
			b.st.total, b.st.ok, b.st.failed);
	if (stats)
		*stats = b.st;
	if (b.rc == VCI_EXIT_OK && b.wrc != VCI_EXIT_OK) {
		if (err)
			*err = b.werr;
		b.rc = b.wrc;
	}
	if (b.rc == VCI_EXIT_OK && b.st.failed)
		b.rc = VCI_EXIT_FAIL;
	return b.rc;
}
