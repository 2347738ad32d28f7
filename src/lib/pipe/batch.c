/* batch.c - the batch runner every tool's record loop goes through
 * (see batch.h). */
#include "batch.h"
#include "base/arena.h"

#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* Batch runner. The calling thread reads records into a ring of slots
 * and writes the results in input order; `jobs` worker threads, started
 * once, take the slots in turn. An NDJSON line is handed over unparsed, so
 * that parsing, the record function and serializing the result all run on
 * the workers; the calling thread only splits lines and writes text.
 * Memory is bounded by the ring. With one job there is no thread: each
 * record is handled where it is read.
 *
 * Output is flushed when the input has nothing ready (before a read that
 * would wait), when the stream's buffer fills and at the end: a pipeline
 * that feeds records one at a time gets each result at once, and a batch
 * from a file is written in large blocks. */
typedef struct slot {
	char *raw;        /* NDJSON line, parsed by the worker */
	size_t rawlen, rawcap;
	const char *name; /* its input's name, for parse errors */
	json_t *in;       /* input record (NULL for a pre-made error record) */
	json_t *out;      /* result or error record */
	vci_buf_t text;  /* what to write for it */
	vci_buf_t msg;   /* and what to say on stderr */
	int made;         /* text and msg are made */
	int wrc;          /* the writer's status */
	vci_err_t werr;
	size_t line;
	int failed, passed, done;
} slot_t;

typedef struct runner {
	slot_t *slots;
	size_t cap;
	size_t filled;    /* slots handed to the workers (sequence numbers) */
	size_t claimed;   /* slots taken by a worker */
	size_t head;      /* next slot to write */
	size_t want;      /* the calling thread sleeps until this one is done */
	pthread_mutex_t mu;
	pthread_cond_t work, done;
	int stop;
	vci_batch_fn_t fn;
	void *ctx;
	vci_batch_write_fn_t write;
	void *wctx;
	pthread_t *th;
	int nth;
} runner_t;

#define SLOT_KEEP 65536   /* larger buffers are not kept for the next record */

/* Empty a text for reuse (its buffer kept unless large). */
static void text_clear(vci_buf_t *t)
{
	if (t->cap > SLOT_KEEP)
		vci_buf_free(t);
	vci_buf_reset(t);
}

static void slot_reset(slot_t *s)
{
	if (s->in)
		json_decref(s->in);
	if (s->out)
		json_decref(s->out);
	s->in = s->out = NULL;
	if (s->rawcap > SLOT_KEEP) {
		free(s->raw);
		s->raw = NULL;
		s->rawcap = 0;
	}
	text_clear(&s->text);
	text_clear(&s->msg);
	s->rawlen = s->line = 0;
	s->name = NULL;
	s->made = s->wrc = s->failed = s->passed = s->done = 0;
}

static void slot_free(slot_t *s)
{
	slot_reset(s);
	free(s->raw);
	vci_buf_free(&s->text);
	vci_buf_free(&s->msg);
}

/* The default writer: the record as a line of compact JSON, written
 * straight into the buffer in one pass (vci_buf_json: the same text as
 * json_dumpb, without its per-character output callbacks). */
static int dump_line(const json_t *rec, vci_buf_t *t)
{
	if (vci_buf_json(t, rec, JSON_COMPACT | JSON_PRESERVE_ORDER) < 0)
		return -1;
	return vci_buf_addn(t, "\n", 1);
}

/* Everything a record needs before it is written: parse, fn, and the
 * text to write. */
static void process_record(runner_t *r, slot_t *s);

/* A record read as a line of text is parsed, handled and serialized in
 * this thread's jansson arena (base/arena.h), reset when its text is
 * made: one bump allocation per JSON value instead of malloc and free. A
 * record handed over already parsed (s->in) lives on the heap, since its
 * reader may still hold it. */
static void process(runner_t *r, slot_t *s)
{
	int arena = s->raw && s->rawlen && !s->in && !s->out;

	if (arena)
		vci_arena_open();
	process_record(r, s);
	if (arena)
		vci_arena_close();
}

static void process_record(runner_t *r, slot_t *s)
{
	vci_err_t err = { 0 };
	json_t *res = NULL;

	if (s->raw && s->rawlen &&
	    vci_reader_parse_line(s->name, s->raw, s->rawlen, s->line, &s->in, &err) != 1) {
		s->out = s->in;
		s->in = NULL;
		s->failed = 1;
		if (!s->out)
			s->out = vci_record_error_from(NULL, &err, s->line);
		goto text;
	}
	if (!s->in)
		goto text;
	if (vci_record_is_error(s->in)) {
		/* an earlier stage's error record: written as it came, so the
		 * first error and its line reach the end of the pipeline */
		s->out = s->in;
		s->in = NULL;
		s->passed = 1;
		goto text;
	}
	if (r->fn(r->ctx, s->in, &res, &err) == 0 && res) {
		s->out = res;
	} else {
		if (res)
			json_decref(res);
		if (!err.msg[0])
			vci_err_set(&err, VCI_EXIT_FAIL, "error", "record failed");
		s->out = vci_record_error_from(s->in, &err, s->line);
		s->failed = 1;
	}
text:
	/* the text is made here, in parallel, and the records are released
	 * on the thread that made them; the calling thread only writes */
	if (!s->out)
		return;
	if (r->write)
		s->wrc = r->write(r->wctx, s->out, &s->text, &s->msg, &s->werr);
	else if (dump_line(s->out, &s->text) < 0)
		s->wrc = vci_err_set(&s->werr, VCI_EXIT_IO, "io_error", "cannot serialize record"),
		s->wrc = VCI_EXIT_IO;
	if (!s->wrc && (s->text.failed || s->msg.failed))
		s->wrc = vci_err_oom(&s->werr),
		s->wrc = VCI_EXIT_IO;
	s->made = 1;
	json_decref(s->in);
	json_decref(s->out);
	s->in = s->out = NULL;
}

static void *worker(void *arg)
{
	runner_t *r = arg;

	pthread_mutex_lock(&r->mu);
	for (;;) {
		size_t seq;
		slot_t *s;

		while (!r->stop && r->claimed == r->filled)
			pthread_cond_wait(&r->work, &r->mu);
		if (r->claimed == r->filled)
			break;
		seq = r->claimed++;
		s = &r->slots[seq % r->cap];
		pthread_mutex_unlock(&r->mu);
		process(r, s);
		pthread_mutex_lock(&r->mu);
		s->done = 1;
		if (seq == r->want)
			pthread_cond_signal(&r->done);
	}
	pthread_mutex_unlock(&r->mu);
	vci_arena_release();
	return NULL;
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
	int progress;
	double t0, last;
	vci_batch_stats_t st;
	vci_err_t werr;
	int rc, wrc, eof;
} batch_t;

/* Read the next record into s. Returns 1 when s holds one, 0 at the end
 * of input or after a fatal input error (b->rc set). */
static int read_one(batch_t *b, slot_t *s, vci_err_t *err)
{
	const char *raw;
	size_t len;
	json_t *rec = NULL;
	int r;

	if (b->eof || b->rc != VCI_EXIT_OK)
		return 0;
	r = vci_inputs_next_raw(b->in, &raw, &len, &rec, err);
	if (r == 0) {
		b->eof = 1;
		return 0;
	}
	if (r == -2) {
		b->rc = err->status ? err->status : VCI_EXIT_INPUT;
		return 0;
	}
	s->line = vci_inputs_line(b->in);
	if (r == -1) {
		s->out = rec;
		s->failed = 1;
	} else if (raw) {
		if (len + 1 > s->rawcap) {
			char *p = realloc(s->raw, len + 1);

			if (!p) {
				vci_err_oom(err);
				b->rc = VCI_EXIT_IO;
				return 0;
			}
			s->raw = p;
			s->rawcap = len + 1;
		}
		memcpy(s->raw, raw, len);
		s->raw[len] = '\0';
		s->rawlen = len;
		s->name = vci_inputs_name(b->in);
	} else {
		s->in = rec;
	}
	return 1;
}

static void flush_out(batch_t *b)
{
	if (b->wrc == VCI_EXIT_OK && fflush(b->out) != 0) {
		vci_err_set(&b->werr, VCI_EXIT_IO, "io_error", "write: %s", strerror(errno));
		b->wrc = VCI_EXIT_IO;
	}
}

/* Write a processed slot, count it and reset it for the next record. */
static void write_one(batch_t *b, slot_t *s)
{
	b->st.total++;
	if (s->passed)
		b->st.passed++;
	else if (s->failed)
		b->st.failed++;
	else
		b->st.ok++;
	/* records read before a fatal input error are still written */
	if (b->wrc == VCI_EXIT_OK && s->wrc) {
		b->werr = s->werr;
		b->wrc = s->wrc;
	} else if (b->wrc == VCI_EXIT_OK) {
		if (s->msg.len) {
			fflush(b->out); /* messages after the output before them */
			fwrite(s->msg.p, 1, s->msg.len, stderr);
		}
		if (s->text.len && fwrite(s->text.p, 1, s->text.len, b->out) != s->text.len) {
			vci_err_set(&b->werr, VCI_EXIT_IO, "io_error", "write error: %s",
				    strerror(errno));
			b->wrc = VCI_EXIT_IO;
		}
	}
	slot_reset(s);
	if (b->progress) {
		double t = now_s();

		if (t - b->last > 2.0) {   /* whole lines: see vci_cli_progress */
			vci_cli_progress(b->cli, b->in, b->st.total, b->st.failed, t - b->t0, 0);
			b->last = t;
		}
	}
}

/* Write the processed slots at the head, in order. Unless `all`, first
 * wait until half the ring is processed (or all in flight if less), so
 * that the calling thread wakes once for many records, not for each. */
static void write_done(batch_t *b, runner_t *r, int all)
{
	size_t n = 0, inflight = r->filled - r->head;
	size_t batch = all || inflight < r->cap / 2 ? inflight : r->cap / 2;

	if (!inflight)
		return;
	pthread_mutex_lock(&r->mu);
	r->want = r->head + (batch ? batch : 1) - 1;
	while (!r->slots[r->want % r->cap].done)
		pthread_cond_wait(&r->done, &r->mu);
	r->want = SIZE_MAX;
	while (n < inflight && r->slots[(r->head + n) % r->cap].done)
		n++;
	pthread_mutex_unlock(&r->mu);
	for (size_t i = 0; i < n; i++)
		write_one(b, &r->slots[(r->head + i) % r->cap]);
	pthread_mutex_lock(&r->mu);
	r->head += n;
	pthread_mutex_unlock(&r->mu);
}

static void run_inline(batch_t *b, runner_t *r, vci_err_t *err)
{
	slot_t *s = &r->slots[0];

	while (b->wrc == VCI_EXIT_OK) {
		if (vci_inputs_would_block(b->in))
			flush_out(b);
		if (!read_one(b, s, err))
			break;
		process(r, s);
		write_one(b, s);
	}
}

static void run_threads(batch_t *b, runner_t *r, vci_err_t *err)
{
	while (b->wrc == VCI_EXIT_OK) {
		slot_t *s;

		if (r->filled - r->head == r->cap) {
			write_done(b, r, 0);
			continue;
		}
		if (r->filled > r->head && vci_inputs_would_block(b->in)) {
			/* nothing to read yet: write out what is in flight first */
			while (r->head < r->filled && b->wrc == VCI_EXIT_OK)
				write_done(b, r, 1);
			flush_out(b);
			continue;
		}
		s = &r->slots[r->filled % r->cap];
		if (!read_one(b, s, err))
			break;
		pthread_mutex_lock(&r->mu);
		r->filled++;
		pthread_cond_signal(&r->work);
		pthread_mutex_unlock(&r->mu);
	}
	while (r->head < r->filled && b->wrc == VCI_EXIT_OK)
		write_done(b, r, 1);
	/* stop the workers; after a write error, slots not yet taken are
	 * left alone and freed below */
	pthread_mutex_lock(&r->mu);
	r->stop = 1;
	r->filled = r->claimed;
	pthread_cond_broadcast(&r->work);
	pthread_mutex_unlock(&r->mu);
	for (int t = 0; t < r->nth; t++)
		pthread_join(r->th[t], NULL);
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
	batch_t b = { .cli = cli, .in = in, .out = out, .t0 = now_s(), .rc = VCI_EXIT_OK,
		      .wrc = VCI_EXIT_OK };
	runner_t r = { .fn = fn, .ctx = ctx, .write = write, .wctx = wctx, .want = SIZE_MAX };

	b.progress = cli->progress < 0 ? isatty(STDERR_FILENO) : cli->progress;
	b.last = b.t0;   /* the first progress line after 2 s, the last at the end */
	vci_arena_install();
	r.cap = jobs > 1 ? (size_t)jobs * 32 : 1;
	r.slots = calloc(r.cap, sizeof *r.slots);
	r.th = jobs > 1 ? calloc((size_t)jobs, sizeof *r.th) : NULL;
	if (!r.slots || (jobs > 1 && !r.th)) {
		free(r.slots);
		free(r.th);
		return vci_err_oom(err), VCI_EXIT_IO;
	}
	if (jobs > 1) {
		pthread_mutex_init(&r.mu, NULL);
		pthread_cond_init(&r.work, NULL);
		pthread_cond_init(&r.done, NULL);
		for (int t = 0; t < jobs; t++)
			if (pthread_create(&r.th[r.nth], NULL, worker, &r) == 0)
				r.nth++;
	}
	if (r.nth)
		run_threads(&b, &r, err);
	else
		run_inline(&b, &r, err);
	vci_arena_release();
	flush_out(&b);
	if (b.progress)
		vci_cli_progress(cli, in, b.st.total, b.st.failed, now_s() - b.t0, 1);
	for (size_t i = 0; i < r.cap; i++) /* left unwritten after a write error */
		slot_free(&r.slots[i]);
	free(r.slots);
	free(r.th);
	if (jobs > 1) {
		pthread_mutex_destroy(&r.mu);
		pthread_cond_destroy(&r.work);
		pthread_cond_destroy(&r.done);
	}
	if (b.st.total > 1 || b.st.failed || b.st.passed) {
		fprintf(stderr, "%s: %zu records, %zu ok, %zu failed", cli->prog, b.st.total,
			b.st.ok, b.st.failed);
		if (b.st.passed)
			fprintf(stderr, ", %zu error record%s passed through", b.st.passed,
				b.st.passed == 1 ? "" : "s");
		fputc('\n', stderr);
	}
	if (stats)
		*stats = b.st;
	if (b.rc == VCI_EXIT_OK && b.wrc != VCI_EXIT_OK) {
		if (err)
			*err = b.werr;
		b.rc = b.wrc;
	}
	if (b.rc == VCI_EXIT_OK && (b.st.failed || b.st.passed))
		b.rc = VCI_EXIT_FAIL;
	return b.rc;
}

int vci_cli_write_credentials(void *wctx, const json_t *rec, vci_buf_t *out, vci_buf_t *msg,
			vci_err_t *err)
{
	const vci_cli_t *cli = wctx;
	const json_t *e = json_object_get(rec, "error"), *c = json_object_get(rec, "credential");
	const json_t *cs = json_object_get(rec, "credentials");

	if (e) {
		json_int_t line = json_integer_value(json_object_get(rec, "line"));
		const char *m = json_string_value(json_object_get(e, "message"));

		if (line)
			vci_buf_addf(msg, "%s: line %lld: %s\n", cli->prog, (long long)line,
					m ? m : "");
		else
			vci_buf_addf(msg, "%s: %s\n", cli->prog, m ? m : "");
	}
	if (!e && json_is_string(c)) {
		vci_buf_addn(out, json_string_value(c), json_string_length(c));
		vci_buf_addn(out, "\n", 1);
	}
	for (size_t i = 0; !e && i < json_array_size(cs); i++) {
		const json_t *ci = json_object_get(json_array_get(cs, i), "credential");

		if (json_is_string(ci)) {
			vci_buf_addn(out, json_string_value(ci), json_string_length(ci));
			vci_buf_addn(out, "\n", 1);
		}
	}
	if (out->failed || msg->failed)
		return vci_err_oom(err), VCI_EXIT_IO;
	return 0;
}
