/* vci-serve - the OID4VCI credential issuer and token server over HTTP
 * (run), and what acts on its state from the shell: import offers from
 * vci-offer, manage the management listener's API keys. The server itself
 * is src/serve/; this main parses the command line through the server's
 * own option table (the one the config file goes through) and handles
 * signals. */
#include "pipe/batch.h"
#include "pipe/cli.h"
#include "pipe/libver.h"
#include "oid4vci/offer.h"
#include "oid4vci/validity.h"
#include "serve/serve.h"
#include "vci-serve-manage.h"
#include "vci-serve-flow.h"

#include <microhttpd.h>
#include <signal.h>
#include <string.h>
#include <time.h>

#define DRAIN_MS 10000     /* how long SIGTERM waits for requests in flight */
#define SWEEP_SECS 60      /* expired rows deleted this often */
#define DEFN_SECS 2        /* the store's definitions checked this often */

enum { OPT_NAME = VCI_OPT_TOOL_BASE + 0x80 };

static const char usage[] =
	"[run] --issuer URL --defn FILE... --key KEY (--cert CHAIN | --kid KID) --state DIR\n"
	"                 [--db URL [--offer-key FILE]]\n"
	"                 [--listen ADDR:PORT] [--admin-listen ADDR:PORT] [OPTION]...\n"
	"  or:  vci-serve import --state DIR [FILE]...     offer records from vci-offer\n"
	"  or:  vci-serve apikey add --state DIR [--name NAME]   prints the new key once\n"
	"  or:  vci-serve apikey list --state DIR | apikey revoke --state DIR ID\n"
	"  or:  vci-serve defn add|replace --state DIR [FILE] | defn list|get|rm --state DIR [ID]\n"
	"  or:  vci-serve exchange list --state DIR [STATE] | exchange get|rm --state DIR ID\n"
	"  or:  vci-serve revoke|suspend|reinstate --state DIR --status-list FILE... ID [IDX]\n"
	"  or:  vci-serve deferred claims --state DIR EXCHANGE [FILE] | deferred deny --state DIR "
	"EXCHANGE [REASON]\n"
	"  or:  vci-serve webhook add --state DIR --webhook-secret-file FILE URL [EVENTS [FORMAT]]\n"
	"  or:  vci-serve webhook list --state DIR | webhook delete --state DIR ID\n"
	"  (each subcommand takes --db URL [--offer-key FILE] instead of --state DIR: "
	"the store of several hosts)";

typedef struct args {
	vci_cli_t cli;
	vci_serve_config_t cfg;
	const char *name;
	const vci_opt_t *opts;
} args_t;

static int handle(void *ctx, int val, const char *arg)
{
	args_t *a = ctx;
	vci_err_t err = { 0 };
	int i = val - VCI_OPT_TOOL_BASE;

	if (val == OPT_NAME) {
		a->name = arg;
		return 0;
	}
	if (i < 0 || !vci_serve_opts[i].name)
		return VCI_EXIT_USAGE;
	if (vci_serve_config_set(&a->cfg, vci_serve_opts[i].name, arg, 0, &err) == 0)
		return 0;
	if (err.status == VCI_EXIT_USAGE)
		return vci_cli_usage(&a->cli, "%s", err.msg);
	return vci_cli_fail(&a->cli, &err, VCI_EXIT_IO);
}

/* ---- run ---- */

static void block_signals(sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, SIGTERM);
	sigaddset(set, SIGINT);
	sigaddset(set, SIGHUP);
	/* blocked before the server's threads start, so they inherit it and
	 * only the main thread takes these signals (sigtimedwait below) */
	pthread_sigmask(SIG_BLOCK, set, NULL);
	signal(SIGPIPE, SIG_IGN);
}

/* Wait for SIGTERM or SIGINT; SIGHUP reopens the log; expired rows are
 * swept now and then; definitions changed in the store from a shell
 * (`vci-serve defn`) are served within DEFN_SECS (a change the server
 * cannot serve is reported, and the definitions served stay). */
static void wait_for_stop(args_t *a, vci_serve_t *s, const sigset_t *set)
{
	int64_t swept = vci_time_now();

	for (;;) {
		struct timespec ts = { DEFN_SECS, 0 };
		vci_err_t err = { 0 };
		int sig = sigtimedwait(set, NULL, &ts);

		if (sig == SIGTERM || sig == SIGINT)
			return;
		if (sig == SIGHUP && vci_serve_log_reopen(s, &err) < 0)
			vci_cli_error(&a->cli, &err);
		if (vci_serve_catalog_refresh(s, &err) < 0)
			vci_cli_error(&a->cli, &err);
		if (sig < 0 && vci_time_now() - swept >= a->cfg.sweep_interval) {
			swept = vci_time_now();
			if (vci_store_sweep(s->store, swept, &err) < 0)
				vci_cli_error(&a->cli, &err);
			vci_serve_webhooks_kick(s);   /* offer.expired events */
		}
	}
}

static int is_loopback(const char *addr)
{
	return !strncmp(addr, "127.", 4) || !strncmp(addr, "[::1]:", 6) ||
	       !strncmp(addr, "localhost:", 10);
}

/* One warning per definition served (--defn and the store's) whose
 * credentials, made now, stay valid after the --cert chain expires. */
static void warn_outlive(const args_t *a, const vci_serve_t *s)
{
	size_t n;
	vci_defn_t *const *defs = vci_serve_defs(s, &n);
	long precision = vci_serve_issue(s)->precision;
	int64_t now = vci_time_now();
	vci_validity_finding_t f;
	char expires[21];

	for (size_t i = 0; i < n; i++) {
		vci_err_t err = { 0 };

		if (vci_validity_outlives(defs[i], NULL, now, precision, s->cert_not_after, &f,
					  &err) != 1)
			continue;
		vci_time_format(f.not_after, expires);
		fprintf(stderr, "%s: warning: definition %s: credentials valid %lld days outlive "
			"the certificate (expires %s)\n", a->cli.prog, defs[i]->id,
			(long long)f.days, expires);
	}
}

/* The wallet-facing listener, over TLS with --tls-cert and --tls-key. */
static vci_http_t *start(args_t *a, vci_serve_t *s, vci_err_t *err)
{
	vci_serve_listen_t o = { .listen = a->cfg.listen, .threads = a->cfg.threads };
	char_auto_t *cert = NULL;
	wipe_auto_t *key = NULL;
	size_t len;

	if (a->cfg.tls_cert) {
		cert = vci_read_file(a->cfg.tls_cert, 1u << 20, &len, err);
		key = cert ? vci_read_file(a->cfg.tls_key, 1u << 20, &len, err) : NULL;
		if (!key)
			return vci_err_prefix(err, "--tls-cert, --tls-key"), err->status = VCI_EXIT_KEY,
			       NULL;
		o.tls_cert = cert;
		o.tls_key = key;
	}
	return vci_http_start(s, &o, err);
}

static int cmd_run(void *ctx, int argc, char **argv)
{
	args_t *a = ctx;
	vci_err_t err = { 0 };
	vci_http_t *main_h = NULL, *admin_h = NULL;
	vci_serve_t *s;
	sigset_t set;

	if (argc)
		return vci_cli_usage(&a->cli, "run: unexpected argument '%s'", argv[0]);
	if (a->name)
		return vci_cli_usage(&a->cli, "--name is for apikey add");
	if (vci_serve_config_check(&a->cfg, &err) < 0)
		return vci_cli_usage(&a->cli, "%s", err.msg);
	s = vci_serve_new(&a->cfg, &err);
	if (!s)
		return err.status == VCI_EXIT_USAGE ? vci_cli_usage(&a->cli, "%s", err.msg)
						    : vci_cli_fail(&a->cli, &err, VCI_EXIT_IO);
	if (vci_serve_log_open(s, a->cfg.log, &err) < 0) {
		vci_serve_free(s);
		return vci_cli_fail(&a->cli, &err, VCI_EXIT_IO);
	}
	warn_outlive(a, s);
	block_signals(&set);
	main_h = start(a, s, &err);
	if (main_h && a->cfg.admin_listen) {
		vci_serve_listen_t o = { .listen = a->cfg.admin_listen, .admin = 1, .threads = 1 };

		admin_h = vci_http_start(s, &o, &err);
	}
	if (!main_h || (a->cfg.admin_listen && !admin_h)) {
		vci_http_stop(main_h, 0);
		vci_serve_free(s);
		return err.status == VCI_EXIT_USAGE ? vci_cli_usage(&a->cli, "%s", err.msg)
						    : vci_cli_fail(&a->cli, &err, VCI_EXIT_IO);
	}
	fprintf(stderr, "%s: listening on %s\n", a->cli.prog, vci_http_address(main_h));
	if (admin_h)
		fprintf(stderr, "%s: management listening on %s%s\n", a->cli.prog,
			vci_http_address(admin_h), is_loopback(vci_http_address(admin_h)) ? "" :
			" (warning: not a loopback address)");
	fflush(stderr);
	wait_for_stop(a, s, &set);
	vci_http_stop(admin_h, DRAIN_MS);
	vci_http_stop(main_h, DRAIN_MS);
	vci_serve_free(s);
	return VCI_EXIT_OK;
}

/* ---- import ---- */

typedef struct import_ctx {
	vci_store_t *st;
	unsigned tx_attempts;
} import_ctx_t;

static int import_one(void *vctx, json_t *rec, json_t **result, vci_err_t *err)
{
	import_ctx_t *c = vctx;
	const char *id = json_string_value(json_object_get(rec, "offer_id"));
	int rc = vci_serve_offer_put(c->st, rec, c->tx_attempts, vci_time_now(), err);

	if (rc == VCI_STORE_EXISTS)
		return vci_err_set(err, VCI_EXIT_FAIL, "offer_exists", "offer_id %s: already "
				   "imported (or its code is)", id);
	if (rc < 0)
		return -1;
	*result = json_pack("{s:s,s:b}", "offer_id", id, "imported", 1);
	return *result ? 0 : vci_err_oom(err);
}

/* The store of --state DIR, or of --db URL (import seals offers: it
 * needs the offer key file, --offer-key or offer.key in --state). */
static vci_store_t *open_state(args_t *a, const char *cmd, int *rc)
{
	vci_err_t err = { 0 };
	vci_store_t *st = vci_serve_config_store(&a->cfg, !strcmp(cmd, "import"), &err);

	if (!st)
		*rc = err.status == VCI_EXIT_USAGE ? vci_cli_usage(&a->cli, "%s: %s", cmd, err.msg)
						   : vci_cli_fail(&a->cli, &err, VCI_EXIT_IO);
	return st;
}

static int cmd_import(void *ctx, int argc, char **argv)
{
	args_t *a = ctx;
	vci_err_t err = { 0 };
	import_ctx_t c = { 0 };
	vci_inputs_t *in;
	vci_out_t *out;
	int rc = 0;

	if (a->name)
		return vci_cli_usage(&a->cli, "--name is for apikey add");
	c.st = open_state(a, "import", &rc);
	if (!c.st)
		return rc;
	c.tx_attempts = a->cfg.tx_attempts;
	in = vci_inputs_open(&a->cli, argc, argv, &err);
	out = in ? vci_out_open(a->cli.output, &err) : NULL;
	if (!out) {
		if (in)
			vci_inputs_close(in);
		vci_store_close(c.st);
		return vci_cli_fail(&a->cli, &err, VCI_EXIT_IO);
	}
	rc = vci_batch_run(&a->cli, in, vci_out_file(out), import_one, &c, NULL, &err);
	vci_inputs_close(in);
	vci_store_close(c.st);
	if (rc != VCI_EXIT_OK && rc != VCI_EXIT_FAIL) {
		vci_out_abort(out);
		return vci_cli_fail(&a->cli, &err, VCI_EXIT_IO);
	}
	if (vci_out_commit(out, &err) < 0)
		return vci_cli_fail(&a->cli, &err, VCI_EXIT_IO);
	return rc;
}

/* ---- apikey ---- */

static int apikey_add(args_t *a, vci_store_t *st)
{
	vci_err_t err = { 0 };
	uint8_t hash[VCI_STORE_HASH];
	char id[VCI_STORE_ID];
	wipe_auto_t *key = vci_offer_random(32, &err);
	json_auto_t *j = NULL;
	wipe_auto_t *line = NULL;

	if (!key)
		return vci_cli_fail(&a->cli, &err, VCI_EXIT_IO);
	vci_store_hash(key, strlen(key), hash);
	if (vci_store_apikey_add(st, a->name ? a->name : "", hash, vci_time_now(), id, &err) != 0)
		return vci_cli_fail(&a->cli, &err, VCI_EXIT_IO);
	j = json_pack("{s:s,s:s,s:s}", "id", id, "name", a->name ? a->name : "", "key", key);
	line = j ? vci_json_dump(j) : NULL;
	if (!line || printf("%s\n", line) < 0 || fflush(stdout) != 0)
		return vci_cli_errorf(&a->cli, "standard output: cannot write the key"), VCI_EXIT_IO;
	fprintf(stderr, "%s: keep the key now: only its hash is stored\n", a->cli.prog);
	return VCI_EXIT_OK;
}

static int apikey_list(args_t *a, vci_store_t *st)
{
	vci_err_t err = { 0 };
	json_auto_t *keys = NULL;
	size_t i;
	json_t *k;

	if (vci_store_apikey_list(st, &keys, &err) != 0)
		return vci_cli_fail(&a->cli, &err, VCI_EXIT_IO);
	json_array_foreach(keys, i, k) {
		char *line = vci_json_dump(k);

		if (!line || printf("%s\n", line) < 0) {
			free(line);
			return vci_cli_errorf(&a->cli, "standard output: write error"), VCI_EXIT_IO;
		}
		free(line);
	}
	return fflush(stdout) == 0 ? VCI_EXIT_OK
				   : (vci_cli_errorf(&a->cli, "standard output: write error"),
				      VCI_EXIT_IO);
}

static int apikey_revoke(args_t *a, vci_store_t *st, const char *id)
{
	vci_err_t err = { 0 };
	int rc = vci_store_apikey_revoke(st, id, vci_time_now(), &err);

	if (rc < 0)
		return vci_cli_fail(&a->cli, &err, VCI_EXIT_IO);
	if (rc == VCI_STORE_NOTFOUND) {
		vci_cli_errorf(&a->cli, "apikey revoke: %s: no such key, or already revoked", id);
		return VCI_EXIT_INPUT;
	}
	return VCI_EXIT_OK;
}

static int cmd_apikey(void *ctx, int argc, char **argv)
{
	args_t *a = ctx;
	vci_store_t *st;
	const char *sub = argc ? argv[0] : NULL;
	int rc = 0;

	if (!sub || (strcmp(sub, "add") && strcmp(sub, "list") && strcmp(sub, "revoke")))
		return vci_cli_usage(&a->cli, "apikey: expected add, list or revoke%s%s",
				     sub ? ", got " : "", sub ? sub : "");
	/* the options after "apikey add" (getopt saw the word and stopped) */
	{
		int i = vci_cli_parse(&a->cli, argc, argv, usage, a->opts, handle, a);

		argv[i - 1] = argv[0];
		argv += i - 1;
		argc -= i - 1;
	}
	if ((!strcmp(sub, "revoke") && argc != 2) || (strcmp(sub, "revoke") && argc != 1))
		return vci_cli_usage(&a->cli, "apikey %s: %s", sub, !strcmp(sub, "revoke") ?
				     "give the key's ID" : "unexpected argument");
	if (a->name && strcmp(sub, "add"))
		return vci_cli_usage(&a->cli, "--name is for apikey add");
	st = open_state(a, "apikey", &rc);
	if (!st)
		return rc;
	if (!strcmp(sub, "add"))
		rc = apikey_add(a, st);
	else if (!strcmp(sub, "list"))
		rc = apikey_list(a, st);
	else
		rc = apikey_revoke(a, st, argv[1]);
	vci_store_close(st);
	return rc;
}

/* ---- defn, exchange, revoke, suspend, reinstate (vci-serve-manage.c) ---- */

/* The options after "CMD SUB" (getopt stopped at the word); argv[0] is
 * then the first operand. */
static void sub_options(args_t *a, int *argc, char ***argv)
{
	int i = vci_cli_parse(&a->cli, *argc, *argv, usage, a->opts, handle, a);

	(*argv)[i - 1] = (*argv)[0];
	*argv += i - 1;
	*argc -= i - 1;
}

static int manage(args_t *a, const char *cmd, int argc, char **argv)
{
	const char *sub = argc ? argv[0] : NULL;
	vci_store_t *st;
	int rc = 0, status = !strcmp(cmd, "revoke") || !strcmp(cmd, "suspend") ||
			     !strcmp(cmd, "reinstate");

	if (!status && !sub)
		return vci_cli_usage(&a->cli, "%s: expected a subcommand", cmd);
	if (status) {  /* no subcommand word: operands only */
		int i = vci_cli_parse(&a->cli, argc + 1, argv - 1, usage, a->opts, handle, a);

		argv += i - 1;
		argc -= i - 1;
	} else {
		sub_options(a, &argc, &argv);
		argc--;
		argv++;
	}
	if (a->name)
		return vci_cli_usage(&a->cli, "--name is for apikey add");
	st = open_state(a, cmd, &rc);
	if (!st)
		return rc;
	if (!strcmp(cmd, "defn"))
		rc = vci_serve_cmd_defn(&a->cli, &a->cfg, st, sub, argc, argv);
	else if (!strcmp(cmd, "exchange"))
		rc = vci_serve_cmd_exchange(&a->cli, &a->cfg, st, sub, argc, argv);
	else if (!strcmp(cmd, "deferred"))
		rc = vci_serve_cmd_deferred(&a->cli, &a->cfg, st, sub, argc, argv);
	else if (!strcmp(cmd, "webhook"))
		rc = vci_serve_cmd_webhook(&a->cli, &a->cfg, st, sub, argc, argv);
	else
		rc = vci_serve_cmd_status(&a->cli, &a->cfg, st, cmd, argc, argv);
	vci_store_close(st);
	return rc;
}

static int cmd_defn(void *ctx, int argc, char **argv)
{
	return manage(ctx, "defn", argc, argv);
}

static int cmd_deferred(void *ctx, int argc, char **argv)
{
	return manage(ctx, "deferred", argc, argv);
}

static int cmd_webhook(void *ctx, int argc, char **argv)
{
	return manage(ctx, "webhook", argc, argv);
}

static int cmd_exchange(void *ctx, int argc, char **argv)
{
	return manage(ctx, "exchange", argc, argv);
}

static int cmd_revoke(void *ctx, int argc, char **argv)
{
	return manage(ctx, "revoke", argc, argv);
}

static int cmd_suspend(void *ctx, int argc, char **argv)
{
	return manage(ctx, "suspend", argc, argv);
}

static int cmd_reinstate(void *ctx, int argc, char **argv)
{
	return manage(ctx, "reinstate", argc, argv);
}

/* The command line's table: the server's settings, then --name. */
static vci_opt_t *options(void)
{
	size_t n = 0;
	vci_opt_t *o;

	while (vci_serve_opts[n].name)
		n++;
	o = calloc(n + 2, sizeof *o);
	if (!o)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		o[i].name = vci_serve_opts[i].name;
		o[i].val = VCI_OPT_TOOL_BASE + (int)i;
		o[i].arg = vci_serve_opts[i].arg;
		o[i].help = vci_serve_opts[i].help;
	}
	o[n] = (vci_opt_t){ "name", OPT_NAME, "NAME", "apikey add: a name for the key" };
	return o;
}

/* The libraries it runs with besides OpenSSL and jansson (--version). */
static const char *libver_mhd(void)
{
	return MHD_get_version();
}

static const vci_cli_lib_t libs[] = {
	VCI_LIB_CBOR, VCI_LIB_CURL, VCI_LIB_ZLIB,
	{ "libmicrohttpd", libver_mhd }, VCI_LIB_STORE, VCI_LIB_END,
};

int main(int argc, char **argv)
{
	static const vci_cli_command_t cmds[] = {
		{ "run", cmd_run },
		{ "import", cmd_import },
		{ "apikey", cmd_apikey },
		{ "defn", cmd_defn },
		{ "exchange", cmd_exchange },
		{ "deferred", cmd_deferred },
		{ "webhook", cmd_webhook },
		{ "revoke", cmd_revoke },
		{ "suspend", cmd_suspend },
		{ "reinstate", cmd_reinstate },
	};
	args_t a = { 0 };
	vci_opt_t *opts = options();
	int rc;

	vci_cli_init(&a.cli, argv[0]);
	a.cli.libs = libs;
	vci_serve_config_init(&a.cfg);
	a.opts = opts;
	if (!opts)
		return vci_cli_errorf(&a.cli, "out of memory"), VCI_EXIT_IO;
	rc = vci_cli_run_command(&a.cli, argc, argv, cmds, sizeof cmds / sizeof cmds[0], 1, usage,
				 opts, handle, &a);
	vci_serve_config_clear(&a.cfg);
	free(opts);
	return rc;
}
