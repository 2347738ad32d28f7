/* vci-serve-manage.c - the native management API from the shell, through
 * the store (no HTTP): `vci-serve defn add|replace|list|get|rm`,
 * `vci-serve exchange list|get|rm` and `vci-serve revoke|suspend|
 * reinstate`. The same functions as the management listener's
 * (serve/manage.c, the store); a running server on the same state serves
 * definitions changed here within seconds (it checks the store). */
#include "vci-serve-manage.h"
#include "oid4vci/statuslist.h"

#include <string.h>

static int print_json(const vci_cli_t *cli, const json_t *j)
{
	char_auto_t *line = j ? vci_json_dump(j) : NULL;

	if (!line || printf("%s\n", line) < 0) {
		vci_cli_errorf(cli, "standard output: write error");
		return VCI_EXIT_IO;
	}
	return VCI_EXIT_OK;
}

static int done(const vci_cli_t *cli, int rc)
{
	if (fflush(stdout) != 0 && rc == VCI_EXIT_OK) {
		vci_cli_errorf(cli, "standard output: write error");
		return VCI_EXIT_IO;
	}
	return rc;
}

static int not_found(const vci_cli_t *cli, const char *what, const char *id)
{
	vci_cli_errorf(cli, "%s: %s: not found", what, id);
	return VCI_EXIT_INPUT;
}

/* ---- defn ---- */

/* The definitions of FILE (or standard input), any shape vci-defn
 * imports; their ids must not be --defn ones (when given). */
static int defn_read(const vci_cli_t *cli, const vci_serve_config_t *cfg, const char *file,
		     vci_defn_t ***defs, size_t *n)
{
	vci_err_t err = { 0 };
	json_auto_t *doc = NULL, *dropped = json_array();
	size_t len, i;
	char_auto_t *text = vci_read_file(file ? file : "-", VCI_SERVE_BODY_MAX * 16, &len, &err);
	json_t *d;

	doc = text ? vci_json_parse(text, len, file ? file : "standard input", &err) : NULL;
	if (!doc || vci_manage_defn_read(doc, dropped, defs, n, &err) < 0)
		return vci_cli_fail(cli, &err, VCI_EXIT_INPUT);
	json_array_foreach(dropped, i, d) {
		const char *f = json_string_value(json_object_get(d, "dropped"));

		if (f)
			vci_cli_errorf(cli, "defn: dropped field %s (%s)", f,
				       json_string_value(json_object_get(d, "why")));
	}
	for (i = 0; i < *n; i++)
		for (size_t k = 0; k < cfg->ndefn; k++) {
			vci_defn_t **cd = NULL;
			size_t nc = 0;
			int clash = 0;

			if (vci_defn_load(cfg->defn[k], &cd, &nc, &err) < 0)
				return vci_defn_list_free(*defs, *n), vci_cli_fail(cli, &err,
										   VCI_EXIT_INPUT);
			for (size_t j = 0; j < nc; j++)
				clash |= !strcmp(cd[j]->id, (*defs)[i]->id);
			vci_defn_list_free(cd, nc);
			if (clash) {
				vci_cli_errorf(cli, "defn: %s: given with --defn: read-only",
					       (*defs)[i]->id);
				vci_defn_list_free(*defs, *n);
				return VCI_EXIT_FAIL;
			}
		}
	return VCI_EXIT_OK;
}

static int defn_put(const vci_cli_t *cli, const vci_serve_config_t *cfg, vci_store_t *st,
		    const char *file, int replace)
{
	vci_err_t err = { 0 };
	vci_defn_t **defs = NULL;
	size_t n = 0;
	int rc = defn_read(cli, cfg, file, &defs, &n);

	if (rc)
		return rc;
	if (replace && n != 1) {
		vci_defn_list_free(defs, n);
		return vci_cli_usage(cli, "defn replace: give one definition");
	}
	for (size_t i = 0; rc == VCI_EXIT_OK && i < n; i++) {
		char_auto_t *text = vci_json_dump(defs[i]->doc);
		int r = text ? vci_store_defn_put(st, defs[i]->id, text, replace, vci_time_now(),
						  &err) : -1;

		if (r < 0)
			rc = vci_cli_fail(cli, &err, VCI_EXIT_IO);
		else if (r == VCI_STORE_EXISTS)
			vci_cli_errorf(cli, "defn add: %s: a definition has this id (defn replace "
				       "changes it)", defs[i]->id), rc = VCI_EXIT_FAIL;
		else if (r == VCI_STORE_NOTFOUND)
			rc = not_found(cli, "defn replace", defs[i]->id);
		else
			rc = print_json(cli, defs[i]->doc);
	}
	vci_defn_list_free(defs, n);
	return done(cli, rc);
}

static int defn_list(const vci_cli_t *cli, vci_store_t *st)
{
	vci_err_t err = { 0 };
	json_auto_t *list = NULL;
	size_t i;
	json_t *d;
	int rc = VCI_EXIT_OK;

	if (vci_store_defn_list(st, &list, &err) < 0)
		return vci_cli_fail(cli, &err, VCI_EXIT_IO);
	json_array_foreach(list, i, d)
		if (rc == VCI_EXIT_OK)
			rc = print_json(cli, d);
	return done(cli, rc);
}

static int defn_get(const vci_cli_t *cli, vci_store_t *st, const char *id)
{
	vci_err_t err = { 0 };
	char_auto_t *text = NULL;
	int r = vci_store_defn_get(st, id, &text, &err);

	if (r < 0)
		return vci_cli_fail(cli, &err, VCI_EXIT_IO);
	if (r)
		return not_found(cli, "defn get", id);
	return done(cli, printf("%s\n", text) < 0 ? VCI_EXIT_IO : VCI_EXIT_OK);
}

static int defn_rm(const vci_cli_t *cli, vci_store_t *st, const char *id)
{
	vci_err_t err = { 0 };
	int r = vci_store_defn_delete(st, id, &err);

	if (r < 0)
		return vci_cli_fail(cli, &err, VCI_EXIT_IO);
	return r ? not_found(cli, "defn rm", id) : VCI_EXIT_OK;
}

int vci_serve_cmd_defn(const vci_cli_t *cli, const vci_serve_config_t *cfg, vci_store_t *st,
		       const char *sub, int argc, char **argv)
{
	if (!strcmp(sub, "add") && argc <= 1)
		return defn_put(cli, cfg, st, argc ? argv[0] : NULL, 0);
	if (!strcmp(sub, "replace") && argc <= 1)
		return defn_put(cli, cfg, st, argc ? argv[0] : NULL, 1);
	if (!strcmp(sub, "list") && argc == 0)
		return defn_list(cli, st);
	if (!strcmp(sub, "get") && argc == 1)
		return defn_get(cli, st, argv[0]);
	if ((!strcmp(sub, "rm") || !strcmp(sub, "delete")) && argc == 1)
		return defn_rm(cli, st, argv[0]);
	return vci_cli_usage(cli, "defn: expected add [FILE], replace [FILE], list, get ID or "
			     "rm ID");
}

/* ---- status list files of --status-list [ID=]FILE ---- */

typedef struct files {
	json_t *by_uri;    /* uri -> file */
} files_t;

static const char *file_of(void *ctx, const char *uri)
{
	return json_string_value(json_object_get(((files_t *)ctx)->by_uri, uri ? uri : ""));
}

static int files_open(const vci_cli_t *cli, const vci_serve_config_t *cfg, vci_store_t *st,
		      files_t *f)
{
	vci_err_t err = { 0 };

	f->by_uri = json_object();
	if (!f->by_uri)
		return vci_cli_errorf(cli, "out of memory"), VCI_EXIT_IO;
	for (size_t i = 0; i < cfg->nstatus_list; i++) {
		const char *spec = cfg->status_list[i], *eq = strchr(spec, '=');
		const char *file = eq ? eq + 1 : spec;
		vci_statuslist_t *sl = NULL;

		/* "db:NAME": the list NAME in the store */
		if (!strncmp(file, "db:", 3)) {
			if (vci_store_sl_load(st, file + 3, &sl, NULL, NULL, &err) > 0)
				vci_err_set(&err, VCI_EXIT_INPUT, "no_status_list", "%s: not in "
					    "the store", file);
		} else {
			sl = vci_statuslist_load(file, &err);
		}
		if (!sl) {
			json_decref(f->by_uri);
			return vci_cli_fail(cli, &err, VCI_EXIT_IO);
		}
		json_object_set_new(f->by_uri, sl->uri, json_string(file));
		vci_statuslist_free(sl);
	}
	return VCI_EXIT_OK;
}

/* ---- exchange ---- */

static int exchange_list(const vci_cli_t *cli, vci_store_t *st, const char *state)
{
	vci_err_t err = { 0 };
	char *cursor = NULL, *next = NULL;
	int rc = VCI_EXIT_OK;

	do {
		json_auto_t *page = NULL;
		size_t i;
		json_t *x;

		if (vci_store_exchange_list(st, state, cursor, VCI_STORE_LIST_MAX, &page, &next,
					    &err) < 0) {
			free(cursor);
			return vci_cli_fail(cli, &err, VCI_EXIT_IO);
		}
		json_array_foreach(page, i, x)
			if (rc == VCI_EXIT_OK)
				rc = print_json(cli, x);
		free(cursor);
		cursor = next;
	} while (cursor && rc == VCI_EXIT_OK);
	free(cursor);
	return done(cli, rc);
}

static int exchange_get(const vci_cli_t *cli, const vci_serve_config_t *cfg, vci_store_t *st,
			const char *id)
{
	vci_store_exchange_t x;
	vci_err_t err = { 0 };
	files_t f = { 0 };
	json_auto_t *v = NULL;
	int r = files_open(cli, cfg, st, &f);

	if (r)
		return r;
	r = vci_store_exchange_get(st, id, &x, &err);
	if (r == 0)
		v = vci_manage_exchange_view(st, &x, file_of, &f, &err);
	vci_store_exchange_clear(&x);
	json_decref(f.by_uri);
	if (r > 0)
		return not_found(cli, "exchange get", id);
	if (r < 0 || !v)
		return vci_cli_fail(cli, &err, VCI_EXIT_IO);
	return done(cli, print_json(cli, v));
}

static int exchange_rm(const vci_cli_t *cli, vci_store_t *st, const char *id)
{
	vci_err_t err = { 0 };
	int r = vci_store_exchange_delete(st, id, &err);

	if (r < 0)
		return vci_cli_fail(cli, &err, VCI_EXIT_IO);
	return r ? not_found(cli, "exchange rm", id) : VCI_EXIT_OK;
}

int vci_serve_cmd_exchange(const vci_cli_t *cli, const vci_serve_config_t *cfg, vci_store_t *st,
			   const char *sub, int argc, char **argv)
{
	if (!strcmp(sub, "list") && argc <= 1)
		return exchange_list(cli, st, argc ? argv[0] : NULL);
	if (!strcmp(sub, "get") && argc == 1)
		return exchange_get(cli, cfg, st, argv[0]);
	if ((!strcmp(sub, "rm") || !strcmp(sub, "delete")) && argc == 1)
		return exchange_rm(cli, st, argv[0]);
	return vci_cli_usage(cli, "exchange: expected list [STATE], get ID or rm ID");
}

/* ---- revoke, suspend, reinstate ---- */

int vci_serve_cmd_status(const vci_cli_t *cli, const vci_serve_config_t *cfg, vci_store_t *st,
			 const char *action, int argc, char **argv)
{
	const char *word = vci_manage_action_word(action);
	vci_manage_only_t only = { 0 };
	vci_err_t err = { 0 };
	files_t f = { 0 };
	json_auto_t *out = NULL;
	char *end;
	int r;

	if (argc < 1 || argc > 2)
		return vci_cli_usage(cli, "%s: expected EXCHANGE_ID [IDX]", action);
	if (argc == 2) {
		only.has_idx = 1;
		only.idx = strtoull(argv[1], &end, 10);
		if (*argv[1] < '0' || *argv[1] > '9' || *end)
			return vci_cli_usage(cli, "%s: bad index '%s'", action, argv[1]);
	}
	if (!cfg->nstatus_list)
		return vci_cli_usage(cli, "%s: give the server's --status-list files (or its "
				     "--config)", action);
	r = files_open(cli, cfg, st, &f);
	if (r)
		return r;
	r = vci_manage_status_set(st, argv[0], word, &only, file_of, &f, &out, &err);
	json_decref(f.by_uri);
	if (r > 0)
		return not_found(cli, action, argv[0]);
	if (r < 0)
		return vci_cli_fail(cli, &err, VCI_EXIT_FAIL);
	{
		size_t i;
		json_t *e;
		int rc = VCI_EXIT_OK;

		json_array_foreach(out, i, e)
			if (rc == VCI_EXIT_OK)
				rc = print_json(cli, e);
		return done(cli, rc);
	}
}
