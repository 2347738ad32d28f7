/* fuzz-defn.c - definitions from arbitrary JSON: import (every shape),
 * normalisation, preparation, lint, metadata and type metadata, and the
 * claims check with and without coercion. The first byte selects how the
 * rest is used; invariants trap. */
#include "oid4vci/defn.h"
#include "oid4vci/metadata.h"

#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A fixed definition to check fuzzed claims against. */
static const char pid_defn[] =
	"{\"id\":\"pid\",\"format\":\"dc+sd-jwt\",\"vct\":\"urn:eudi:pid:1\",\"claims\":["
	"{\"path\":[\"given_name\"],\"mandatory\":true,\"value_type\":\"string\"},"
	"{\"path\":[\"birthdate\"],\"value_type\":\"date\"},"
	"{\"path\":[\"age\"],\"value_type\":\"integer\"},"
	"{\"path\":[\"height\"],\"value_type\":\"number\"},"
	"{\"path\":[\"adult\"],\"value_type\":\"boolean\"},"
	"{\"path\":[\"seen\"],\"value_type\":\"datetime\"},"
	"{\"path\":[\"picture\"],\"value_type\":\"image\"},"
	"{\"path\":[\"tags\",null],\"value_type\":\"string\"},"
	"{\"path\":[\"list\",1],\"value_type\":\"array\"},"
	"{\"path\":[\"address\",\"locality\"],\"value_type\":\"string\"},"
	"{\"path\":[\"extra\"],\"value_type\":\"object\"}]}";
static const char mdl_defn[] =
	"{\"id\":\"mdl\",\"format\":\"mso_mdoc\",\"doctype\":\"org.iso.18013.5.1.mDL\",\"claims\":["
	"{\"path\":[\"org.iso.18013.5.1\",\"family_name\"],\"mandatory\":true},"
	"{\"path\":[\"org.iso.18013.5.1\",\"portrait\"],\"value_type\":\"bytes\"},"
	"{\"path\":[\"org.iso.18013.5.1.aamva\",\"sex\"],\"value_type\":\"integer\"}]}";

static vci_defn_t *prepared(const char *text)
{
	json_t *j = json_loads(text, 0, NULL);
	vci_defn_t *d = j ? vci_defn_new(j, NULL) : NULL;

	json_decref(j);
	if (!d)
		__builtin_trap();
	return d;
}

static void use_definition(const json_t *doc)
{
	vci_err_t err = { 0 };
	vci_defn_t *d = vci_defn_new(doc, &err);
	json_t *f = json_array(), *md, *tm;
	vci_metadata_opts_t o = { .issuer = "https://issuer.example.com", .signing_alg = "ES256",
				  .batch_size = 2 };
	size_t nlint = vci_defn_lint(doc, f);

	/* a definition that prepares has no validity findings; one that does
	 * not has at least one */
	if (!d && nlint == 0)
		__builtin_trap();
	json_decref(f);
	if (!d)
		return;
	md = vci_metadata_build(&d, 1, &o, &err);
	if (!md)
		__builtin_trap();
	/* our own metadata lints clean */
	if (vci_metadata_lint(md, NULL) != 0)
		__builtin_trap();
	json_decref(md);
	o.draft13 = 1;
	md = vci_metadata_build(&d, 1, &o, &err);
	json_decref(md);
	tm = vci_metadata_type(d, &err);
	if (tm && vci_metadata_lint_type(tm, NULL) != 0)
		__builtin_trap();
	json_decref(tm);
	vci_defn_free(d);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static vci_defn_t *pid, *mdl;
	json_t *j, *out, *log;
	uint8_t mode;

	if (size < 1)
		return 0;
	if (!pid) {
		pid = prepared(pid_defn);
		mdl = prepared(mdl_defn);
	}
	mode = data[0];
	j = json_loadb((const char *)data + 1, size - 1, JSON_REJECT_DUPLICATES, NULL);
	if (!j)
		return 0;
	switch (mode % 4) {
	case 0: /* import, then everything on each result */
		log = json_array();
		out = vci_defn_import(j, log, NULL);
		for (size_t i = 0; i < json_array_size(out); i++) {
			vci_defn_t *d = vci_defn_new(json_array_get(out, i), NULL);

			/* import output is normalised: it must prepare */
			if (!d)
				__builtin_trap();
			vci_defn_free(d);
			use_definition(json_array_get(out, i));
		}
		json_decref(out);
		json_decref(log);
		break;
	case 1:
		use_definition(j);
		break;
	case 2: /* claims against fixed definitions */
		vci_defn_check_claims(pid, j, 0, NULL);
		vci_defn_check_claims(mdl, j, 0, NULL);
		vci_defn_check_claims(pid, j, VCI_DEFN_COERCE, NULL);
		vci_defn_check_claims(mdl, j, VCI_DEFN_COERCE, NULL);
		break;
	default: { /* lint anything */
		json_t *f = json_array();

		vci_metadata_lint_any(j, f, NULL);
		json_decref(f);
		break;
	}
	}
	json_decref(j);
	return 0;
}
