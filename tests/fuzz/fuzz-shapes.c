/* fuzz-shapes.c - libFuzzer target over the parsers of the products'
 * management API shapes (oid4vci/shapes.c, serve/manage.c's query
 * values), no socket and no store: the first byte picks the parser, the
 * rest is its input:
 *   'A' system A's create definition body (vci_shape_a_defn_check, then
 *       vci_manage_defn_read as the handler does)
 *   'I' system A's issue body (vci_shape_a_issue_records)
 *   'P' system A's issue deferred credential body
 *       (vci_shape_a_deferred_claims)
 *   'C' system C's POST /issue body (vci_shape_c_issue_record)
 *   'Q' a query string (vci_manage_query_value, vci_manage_query_uint)
 *   'R' a JSON offer row through the response shapes
 *       (vci_shape_a_history, vci_shape_c_exchange, vci_shape_a_defn,
 *       vci_shape_c_record)
 * Results must be consistent: records with a configuration id and claims
 * object, numbers in bounds. */
#include "fuzz-fixture.h"
#include "oid4vci/shapes.h"

#include <string.h>

static json_t *parse(const char *s, size_t n)
{
	vci_err_t err = { 0 };

	return vci_json_parse(s, n, "body", &err);
}

static void a_defn(const char *s, size_t n)
{
	json_t *doc = parse(s, n), *dropped = json_array();
	vci_defn_t **d = NULL;
	vci_err_t err = { 0 };
	size_t nd = 0;

	if (doc && vci_shape_a_defn_check(doc, &err) == 0 &&
	    vci_manage_defn_read(doc, dropped, &d, &nd, &err) == 0)
		vci_defn_list_free(d, nd);
	json_decref(doc);
	json_decref(dropped);
}

static void a_issue(const char *s, size_t n)
{
	json_t *doc = parse(s, n), *log = json_array(), *recs, *r;
	vci_err_t err = { 0 };
	size_t i;

	recs = doc ? vci_shape_a_issue_records(doc, log, &err) : NULL;
	json_array_foreach(recs, i, r)
		if (!json_is_string(json_object_get(r, "credential_configuration_id")) ||
		    !json_is_object(json_object_get(r, "claims")))
			__builtin_trap();
	json_decref(recs);
	json_decref(doc);
	json_decref(log);
}

static void a_claims(const char *s, size_t n)
{
	json_t *doc = parse(s, n), *c;
	vci_err_t err = { 0 };

	c = doc ? vci_shape_a_deferred_claims(doc, &err) : NULL;
	if (c && !json_is_object(c))
		__builtin_trap();
	json_decref(c);
	json_decref(doc);
}

static void c_issue(const char *s, size_t n)
{
	json_t *doc = parse(s, n), *log = json_array(), *r;
	vci_err_t err = { 0 };

	r = doc ? vci_shape_c_issue_record(doc, log, &err) : NULL;
	if (r && !json_is_string(json_object_get(r, "credential_configuration_id")))
		__builtin_trap();
	json_decref(r);
	json_decref(doc);
	json_decref(log);
}

static void query(const char *s, size_t n)
{
	static const char *const names[] = { "status", "state", "offset", "limit" };
	vci_err_t err = { 0 };
	unsigned v = 0;
	char *val = NULL;

	(void)n;
	for (size_t i = 0; i < 2; i++) {
		if (vci_manage_query_value(s, names[i], &val, &err) == 1 && !val)
			__builtin_trap();
		free(val);
		val = NULL;
	}
	for (size_t i = 2; i < 4; i++)
		if (vci_manage_query_uint(s, names[i], 1000, &v, &err) == 1 && v > 1000)
			__builtin_trap();
}

static void row(const char *s, size_t n)
{
	json_t *doc = parse(s, n);

	if (json_is_object(doc)) {
		json_decref(vci_shape_a_history(doc, json_object_get(doc, "entries")));
		json_decref(vci_shape_c_exchange(doc));
		json_decref(vci_shape_a_defn(doc, 0, 0));
		json_decref(vci_shape_c_record(doc, 0, 0));
		(void)vci_shape_c_state(doc);
	}
	json_decref(doc);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const fuzz_case_t cases[] = {
		{ 'A', a_defn }, { 'I', a_issue }, { 'P', a_claims },
		{ 'C', c_issue }, { 'Q', query }, { 'R', row },
	};

	return fuzz_dispatch(cases, sizeof cases / sizeof cases[0], data, size, 65536);
}
