/* vci-serve-flow.c - the back office's side of deferred issuance and the
 * webhook subscriptions, from the shell through the store: what POST
 * /exchanges/{id}/claims|deny and /webhooks do over HTTP. A running
 * server picks the changes up from the store (a wallet's next poll sees
 * the claims; the outbox worker reads the webhooks at each delivery). */
#include "vci-serve-flow.h"

#include <string.h>

static int deferred_claims(const vci_cli_t *cli, vci_store_t *st, const char *id,
			   const char *file)
{
	vci_err_t err = { 0 };
	char_auto_t *text = NULL;
	json_auto_t *doc = NULL;
	const json_t *claims;
	size_t len;
	int rc;

	text = vci_read_file(file ? file : "-", 1u << 20, &len, &err);
	doc = text ? vci_json_parse(text, len, file ? file : "standard input", &err) : NULL;
	if (!doc)
		return vci_cli_fail(cli, &err, VCI_EXIT_INPUT);
	claims = json_object_get(doc, "claims");
	if (!json_is_object(claims) || json_object_size(doc) != 1)
		claims = doc;   /* the claims themselves, or {"claims": {...}} */
	rc = vci_serve_deferred_decide(st, id, claims, NULL, vci_time_now(), &err);
	if (rc < 0)
		return vci_cli_fail(cli, &err, VCI_EXIT_INPUT);
	if (rc)
		return vci_cli_errorf(cli, "deferred claims: %s: no deferred request of this "
				      "exchange is waiting", id), VCI_EXIT_INPUT;
	return VCI_EXIT_OK;
}

int vci_serve_cmd_deferred(const vci_cli_t *cli, const vci_serve_config_t *cfg,
			   vci_store_t *st, const char *sub, int argc, char **argv)
{
	vci_err_t err = { 0 };
	int rc;

	(void)cfg;
	if (!strcmp(sub, "claims") && (argc == 1 || argc == 2))
		return deferred_claims(cli, st, argv[0], argc == 2 ? argv[1] : NULL);
	if (strcmp(sub, "deny") || argc < 1 || argc > 2)
		return vci_cli_usage(cli, "deferred: claims EXCHANGE [FILE] or deny EXCHANGE "
				     "[REASON]");
	rc = vci_serve_deferred_decide(st, argv[0], NULL, argc == 2 ? argv[1] : NULL,
				       vci_time_now(), &err);
	if (rc < 0)
		return vci_cli_fail(cli, &err, VCI_EXIT_IO);
	if (rc)
		return vci_cli_errorf(cli, "deferred deny: %s: no deferred request of this "
				      "exchange is waiting", argv[0]), VCI_EXIT_INPUT;
	return VCI_EXIT_OK;
}

/* "a,b,c" or "*" as the events JSON. */
static json_t *events_of(const char *list)
{
	json_t *ev;
	char *copy, *save = NULL;

	if (!strcmp(list, "*"))
		return json_string("*");
	ev = json_array();
	copy = strdup(list);
	for (char *w = copy && ev ? strtok_r(copy, ",", &save) : NULL; w;
	     w = strtok_r(NULL, ",", &save))
		json_array_append_new(ev, json_string(w));
	free(copy);
	return ev;
}

static int webhook_add(const vci_cli_t *cli, const vci_serve_config_t *cfg, vci_store_t *st,
		       int argc, char **argv)
{
	vci_err_t err = { 0 };
	json_auto_t *ev = events_of(argc > 1 ? argv[1] : "*");
	char_auto_t *events = NULL;
	wipe_auto_t *secret = NULL;
	vci_store_webhook_t w = { 0 };
	char id[VCI_STORE_ID];
	size_t len = 0;

	w.url = argv[0];
	w.format = argc > 2 ? argv[2] : NULL;
	if (!cfg->webhook_secret_file)
		return vci_cli_usage(cli, "webhook add: --webhook-secret-file FILE is required");
	if (vci_serve_webhook_check(w.url, ev, w.format, &err) < 0)
		return vci_cli_usage(cli, "webhook add: %s", err.msg);
	secret = vci_read_file(cfg->webhook_secret_file, 4096, &len, &err);
	if (!secret)
		return vci_cli_fail(cli, &err, VCI_EXIT_IO);
	while (len && (secret[len - 1] == '\n' || secret[len - 1] == '\r'))
		secret[--len] = 0;
	if (len < 16 || strlen(secret) != len)
		return vci_cli_usage(cli, "webhook add: the secret must be 16 characters or more");
	events = json_is_string(ev) ? strdup("*") : vci_json_dump(ev);
	w.events = events;
	w.secret = secret;
	if (!events || vci_store_webhook_put(st, &w, vci_time_now(), id, &err) < 0)
		return vci_cli_fail(cli, &err, VCI_EXIT_IO);
	if (printf("{\"id\":\"%s\"}\n", id) < 0 || fflush(stdout) != 0)
		return vci_cli_errorf(cli, "standard output: write error"), VCI_EXIT_IO;
	return VCI_EXIT_OK;
}

static int webhook_list(const vci_cli_t *cli, vci_store_t *st)
{
	vci_err_t err = { 0 };
	json_auto_t *list = NULL;
	size_t i;
	json_t *w;

	if (vci_store_webhook_list(st, &list, &err) < 0)
		return vci_cli_fail(cli, &err, VCI_EXIT_IO);
	json_array_foreach(list, i, w) {
		char_auto_t *line = vci_json_dump(w);

		if (!line || printf("%s\n", line) < 0)
			return vci_cli_errorf(cli, "standard output: write error"), VCI_EXIT_IO;
	}
	if (fflush(stdout) != 0)
		return vci_cli_errorf(cli, "standard output: write error"), VCI_EXIT_IO;
	return VCI_EXIT_OK;
}

int vci_serve_cmd_webhook(const vci_cli_t *cli, const vci_serve_config_t *cfg, vci_store_t *st,
			  const char *sub, int argc, char **argv)
{
	vci_err_t err = { 0 };
	int rc;

	if (!strcmp(sub, "add") && argc >= 1 && argc <= 3)
		return webhook_add(cli, cfg, st, argc, argv);
	if (!strcmp(sub, "list") && argc == 0)
		return webhook_list(cli, st);
	if (strcmp(sub, "delete") || argc != 1)
		return vci_cli_usage(cli, "webhook: add URL [EVENTS [FORMAT]], list or delete ID");
	rc = vci_store_webhook_delete(st, argv[0], &err);
	if (rc < 0)
		return vci_cli_fail(cli, &err, VCI_EXIT_IO);
	if (rc)
		return vci_cli_errorf(cli, "webhook delete: %s: no such webhook", argv[0]),
		       VCI_EXIT_INPUT;
	return VCI_EXIT_OK;
}
