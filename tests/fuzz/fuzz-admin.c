/* fuzz-admin.c - libFuzzer target over the management API's request
 * parsers (serve/manage.c), no socket and no store: the first byte picks
 * the parser, the rest is its input:
 *   'q' GET /exchanges query string (vci_manage_query_parse)
 *   'a' body of POST /exchanges/{id}/revoke|suspend|reinstate
 *       (vci_manage_action_parse)
 *   'n' POST /offers/bulk body: NDJSON lines (vci_manage_ndjson_next),
 *       each line parsed as JSON
 *   'd' POST /definitions body (vci_manage_defn_read: every shape
 *       vci-defn imports)
 * Results must be consistent: a parsed limit in bounds, lines inside the
 * input, definitions with ids. */
#include "fuzz-fixture.h"

#include <string.h>

static void query(const char *s, size_t n)
{
	vci_manage_query_t q;
	vci_err_t err = { 0 };

	(void)n;
	if (vci_manage_query_parse(s, &q, &err) == 0) {
		if (q.limit < 1 || q.limit > VCI_STORE_LIST_MAX)
			__builtin_trap();
		vci_manage_query_clear(&q);
	}
}

static void action(const char *s, size_t n)
{
	vci_manage_only_t only;
	vci_err_t err = { 0 };

	if (vci_manage_action_parse(s, n, &only, &err) == 0 && !memchr(only.uri, 0, sizeof only.uri))
		__builtin_trap();
}

static void ndjson(const char *s, size_t n)
{
	const char *p = s, *end = s + n, *line;
	size_t len;

	while ((line = vci_manage_ndjson_next(&p, end, &len))) {
		vci_err_t err = { 0 };
		json_t *j;

		if (line < s || line + len > end || !len)
			__builtin_trap();
		j = vci_json_parse(line, len, "record", &err);
		json_decref(j);
	}
}

static void defs(const char *s, size_t n)
{
	vci_err_t err = { 0 };
	json_t *doc = vci_json_parse(s, n, "body", &err), *dropped = json_array();
	vci_defn_t **d = NULL;
	size_t nd = 0;

	if (doc && vci_manage_defn_read(doc, dropped, &d, &nd, &err) == 0) {
		for (size_t i = 0; i < nd; i++)
			if (!d[i]->id || !*d[i]->id)
				__builtin_trap();
		vci_defn_list_free(d, nd);
	}
	json_decref(doc);
	json_decref(dropped);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const fuzz_case_t cases[] = {
		{ 'q', query }, { 'a', action }, { 'n', ndjson }, { 'd', defs },
	};

	return fuzz_dispatch(cases, sizeof cases / sizeof cases[0], data, size, 65536);
}
