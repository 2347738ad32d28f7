/* vci-serve-flow.h - vci-serve's subcommands of deferred issuance and
 * webhooks (vci-serve-flow.c), called by its main as the management
 * subcommands are (vci-serve-manage.h): the store open, `sub` the word
 * after the command, argv the operands. Errors as "vci-serve: what: why";
 * returns the exit status (2 usage, 3 not found or bad input, 5 I/O). */
#ifndef VCI_SERVE_FLOW_H
#define VCI_SERVE_FLOW_H

#include "pipe/cli.h"
#include "serve/serve.h"

/* deferred claims EXCHANGE [FILE] | deferred deny EXCHANGE [REASON] */
int vci_serve_cmd_deferred(const vci_cli_t *cli, const vci_serve_config_t *cfg,
			   vci_store_t *st, const char *sub, int argc, char **argv);
/* webhook add URL [EVENTS [FORMAT]] (--webhook-secret-file) | list |
 * delete ID */
int vci_serve_cmd_webhook(const vci_cli_t *cli, const vci_serve_config_t *cfg, vci_store_t *st,
			  const char *sub, int argc, char **argv);

#endif
