/* vci-serve-manage.h - vci-serve's management subcommands
 * (vci-serve-manage.c), called by its main once the command line is
 * parsed and the store is open. Each prints its results as JSON lines on
 * standard output, errors as "vci-serve: what: why", and returns the exit
 * status (1 refused, 2 usage, 3 not found or bad input, 5 I/O). */
#ifndef VCI_SERVE_MANAGE_H
#define VCI_SERVE_MANAGE_H

#include "pipe/cli.h"
#include "serve/serve.h"

/* defn add [FILE] | replace [FILE] | list | get ID | rm ID */
int vci_serve_cmd_defn(const vci_cli_t *cli, const vci_serve_config_t *cfg, vci_store_t *st,
		       const char *sub, int argc, char **argv);
/* exchange list [STATE] | get ID | rm ID */
int vci_serve_cmd_exchange(const vci_cli_t *cli, const vci_serve_config_t *cfg, vci_store_t *st,
			   const char *sub, int argc, char **argv);
/* revoke | suspend | reinstate EXCHANGE_ID [IDX], with --status-list */
int vci_serve_cmd_status(const vci_cli_t *cli, const vci_serve_config_t *cfg, vci_store_t *st,
			 const char *action, int argc, char **argv);

#endif
