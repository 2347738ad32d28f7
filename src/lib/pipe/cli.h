/* cli.h - the command-line conventions every tool shares: one options
 * table that feeds getopt_long and --help, error printing as
 * "tool: what: why", inputs, atomic --output. The batch runner (--jobs N,
 * progress, output in input order) is batch.h. */
#ifndef VCI_CLI_H
#define VCI_CLI_H

#include "base/common.h"
#include "base/file.h"
#include "record.h"
#include "params.h"
#include <getopt.h>

/* One option: long name, short letter (0 for none), argument name (NULL
 * if it takes none), help text (NULL: a hidden alias, accepted but not
 * listed by --help, for a former spelling). The table ends with a zeroed
 * entry. */
typedef struct vci_opt {
	const char *name;
	int val;          /* short option char, or a value >= 256 */
	const char *arg;  /* argument placeholder, NULL for a flag */
	const char *help;
} vci_opt_t;

/* Options every tool has: --help, --version, --output, --csv, --jobs,
 * --progress, --no-progress. Their values are >= 0x1000. */
enum {
	VCI_OPT_HELP = 'h',
	VCI_OPT_VERSION = 'V',
	VCI_OPT_OUTPUT = 'o',
	VCI_OPT_CSV = 0x1000,
	VCI_OPT_JOBS,
	VCI_OPT_PROGRESS,
	VCI_OPT_NO_PROGRESS,
	VCI_OPT_PASS,
	VCI_OPT_TOOL_BASE = 0x1100, /* tools number their own options from here */
};

/* A library a tool runs with besides OpenSSL and jansson, for --version:
 * its name and a function giving its version as it runs (pipe/libver.h
 * has one for each; a tool names those it calls, so that it links and
 * loads no other). */
typedef struct vci_cli_lib {
	const char *name;
	const char *(*version)(void);
} vci_cli_lib_t;

typedef struct vci_cli {
	const char *prog;       /* e.g. "vci-defn" */
	const char *command;    /* subcommand, or NULL */
	const char *output;     /* --output FILE, NULL = stdout */
	const char *csv;        /* --csv FILE */
	const char *pass;       /* --pass SPEC */
	int jobs;               /* --jobs N (default: cores) */
	int progress;           /* -1 auto (TTY), 0 off, 1 on */
	const char *const *commands; /* a tool's command names (NULL-terminated),
					for COMMAND --help and the options each
					command takes; NULL for a tool without */
	int options_ended;      /* "--" was met: later parses take no option */
	int given[64];          /* the tool options given (their val), to */
	size_t ngiven;          /* refuse those not for the command run */
	const vci_cli_lib_t *libs; /* for --version: the other libraries the
				      tool runs with, ended by a NULL name;
				      NULL for none (set after vci_cli_init) */
} vci_cli_t;

extern const vci_opt_t vci_common_opts[];

/* Set the program name used in messages (basename of argv[0] if NULL). */
void vci_cli_init(vci_cli_t *cli, const char *prog);

/* Parse argv with the tool's table plus the common options. `handle` is
 * called for each tool option (return 0, or an exit status to stop).
 * --help prints usage + both tables to stdout and exits 0; --version
 * prints "prog (vci-tools) VERSION" and, on a second line, the versions
 * of OpenSSL, jansson and cli->libs as they run, and exits 0; a usage error prints
 * "prog: ..." and "Try 'prog --help'." and exits 2. Options and operands
 * may come in any order (getopt_long permutes argv so that the operands
 * follow the options; "--" ends the options). Returns optind, the index
 * of the first operand. */
typedef int (*vci_opt_handler_t)(void *ctx, int val, const char *arg);
int vci_cli_parse(vci_cli_t *cli, int argc, char **argv, const char *usage,
		  const vci_opt_t *opts, vci_opt_handler_t handle, void *ctx);
/* The same for a tool with commands, "tool [COMMAND] [OPTION]... [ARG]...":
 * when argv[1] is one of `commands` (NULL-terminated; NULL accepts any
 * word not starting with '-'), it becomes cli->command and the options
 * after it are parsed; otherwise cli->command stays NULL. Returns the
 * index in argv of the first operand. */
int vci_cli_parse_command(vci_cli_t *cli, int argc, char **argv, const char *const *commands,
			  const char *usage, const vci_opt_t *opts, vci_opt_handler_t handle,
			  void *ctx);
/* A tool's commands and the main that runs them: parse as
 * vci_cli_parse_command, then run the named command with the operands.
 * Without a command word, commands[0] runs if `first_is_default`; else
 * that, and an unknown word, are usage errors naming the commands. With
 * `first_is_default`, a command's name as the first operand after options
 * ("tool --ca X verify") is the command too. */
typedef struct vci_cli_command {
	const char *name;
	int (*fn)(void *ctx, int argc, char **argv);
} vci_cli_command_t;
int vci_cli_run_command(vci_cli_t *cli, int argc, char **argv, const vci_cli_command_t *cmds,
			size_t ncmds, int first_is_default, const char *usage,
			const vci_opt_t *opts, vci_opt_handler_t handle, void *ctx);
/* The options given (cli->given) that are not for command `cmd` of
 * cli->commands, as their help states ("sign: ..." is for sign only;
 * help that does not start with command names is for every command):
 * the first is a usage error "--OPT does nothing for CMD: it is for
 * ...". 0 when all are for it. vci_cli_run_command calls it; a tool
 * that finds its command itself calls it before running it. */
int vci_cli_check_options(const vci_cli_t *cli, const vci_opt_t *opts, const char *cmd);
/* Report err as "prog: message" and return its status (`fallback` when
 * it has none): the end of a tool's failed command. */
int vci_cli_fail(const vci_cli_t *cli, const vci_err_t *err, int fallback);
/* Print help for a usage line and option table (used by vci_cli_parse). */
void vci_cli_help(const vci_cli_t *cli, FILE *f, const char *usage, const vci_opt_t *opts);

/* Messages: "prog: <msg>\n" on stderr. A usage error's message (status
 * VCI_EXIT_USAGE, or any through vci_cli_usage) names the option where
 * the library named the parameter: see vci_cli_message. */
void vci_cli_error(const vci_cli_t *cli, const vci_err_t *err);
void vci_cli_errorf(const vci_cli_t *cli, const char *fmt, ...) VCI_PRINTF(2, 3);
/* Print a usage error and return VCI_EXIT_USAGE. */
int vci_cli_usage(const vci_cli_t *cli, const char *fmt, ...) VCI_PRINTF(2, 3);
/* --now TIME (RFC 3339 or seconds since the epoch): parse arg, fix the
 * process's clock to it (vci_time_set_now) and store it in *out (if
 * non-NULL). Returns 0, or a usage error (VCI_EXIT_USAGE) naming opt.
 * Call it from option handling, before any thread starts. VCI_NOW in
 * the environment sets the same time for every tool; --now wins. */
int vci_cli_now(const vci_cli_t *cli, const char *opt, const char *arg, int64_t *out);
/* Parse a non-negative integer option value within [min, max]. */
int vci_cli_uint(const vci_cli_t *cli, const char *opt, const char *arg,
		 unsigned long min, unsigned long max, unsigned long *out);

/* The records a tool reads: --csv FILE if given, else the file arguments
 * (each "-" or none meaning stdin) one after the other. */
typedef struct vci_inputs vci_inputs_t;
vci_inputs_t *vci_inputs_open(const vci_cli_t *cli, int argc, char **argv, vci_err_t *err);
int vci_inputs_next(vci_inputs_t *in, json_t **rec, vci_err_t *err); /* as vci_reader_next */
/* As vci_reader_next_raw, over the inputs one after the other. */
int vci_inputs_next_raw(vci_inputs_t *in, const char **raw, size_t *len, json_t **rec,
			vci_err_t *err);
int vci_inputs_would_block(const vci_inputs_t *in);
/* Name of the current input in messages ("stdin" for "-"); valid while
 * the arguments are. */
const char *vci_inputs_name(const vci_inputs_t *in);
size_t vci_inputs_line(const vci_inputs_t *in);
/* How much of the inputs has been read, 0 to 1, when every input is a
 * regular file; -1 when that cannot be told (stdin, a pipe). When an
 * input is stdin and both stdin and stderr are terminals,
 * vci_inputs_open says on stderr that it reads from the terminal. */
double vci_inputs_fraction(const vci_inputs_t *in);
/* One progress line on stderr, whole (no carriage return: the stages of
 * a pipeline each write their own lines, named, and none overwrites
 * another's): "prog: N records, N failed, R/s[, P%, ETA M:SS][, done]";
 * the percentage and ETA when the inputs are files. */
void vci_cli_progress(const vci_cli_t *cli, const vci_inputs_t *in, size_t total, size_t failed,
		      double elapsed, int final);
void vci_inputs_close(vci_inputs_t *in);

/* Number of online cores (>= 1). */
int vci_ncores(void);

#endif
