/* test-record.c - reading NDJSON, JSON documents and CSV into records,
 * error records, dotted paths, and writing NDJSON. */
#include "pipe/record.h"
#include "tap.h"

#include <errno.h>
#include <string.h>

static FILE *file_of(const char *in, size_t len)
{
	FILE *f = tmpfile();

	if (f && len && fwrite(in, 1, len, f) != len) {
		fclose(f);
		return NULL;
	}
	if (f)
		rewind(f);
	return f;
}

/* Read everything; one line per call: "<rc> L<line> <record or message>". */
static char *run_full(const char *in, size_t len, vci_input_kind_t kind, const char *name,
		      size_t limit)
{
	vci_err_t err = { 0 };
	vci_reader_t *r = vci_reader_open(file_of(in, len), name, kind, &err);
	char *out = NULL;
	size_t outlen = 0;
	FILE *o = open_memstream(&out, &outlen);

	if (!r)
		fprintf(o, "open: %s\n", err.msg);
	if (r && limit)
		vci_reader_set_limit(r, limit);
	for (int guard = 0; r && guard < 1000; guard++) {
		json_t *rec = NULL;
		int rc;

		vci_err_clear(&err);
		rc = vci_reader_next(r, &rec, &err);
		if (rc == 0)
			break;
		fprintf(o, "%d L%zu ", rc, vci_reader_line(r));
		if (rc == -2) {
			fprintf(o, "%s [%s]\n", err.msg, err.code);
			if (rec)
				fputs("(record on -2)\n", o);
			/* stays fatal */
			rc = vci_reader_next(r, &rec, &err);
			if (rc != -2)
				fputs("(not fatal again)\n", o);
			break;
		}
		if (!rec) {
			fputs("(no record)\n", o);
			continue;
		}
		if (rc == -1 && !vci_record_is_error(rec))
			fputs("(not an error record) ", o);
		if (rc == -1 && strcmp(err.msg, json_string_value(json_object_get(
				json_object_get(rec, "error"), "message"))))
			fputs("(err differs from the record) ", o);
		vci_record_write(o, rec, NULL);
		json_decref(rec);
	}
	vci_reader_close(r);
	fclose(o);
	return out;
}

static void check(const char *in, vci_input_kind_t kind, const char *want, const char *what)
{
	char *got = run_full(in, strlen(in), kind, kind == VCI_INPUT_CSV ? "data.csv" : "stdin", 0);

	tap_is_str(got, want, "%s", what);
	free(got);
}

/* As check, but the want text may contain '*' matching anything up to the
 * next literal character (for messages from the JSON parser). */
static int glob(const char *g, const char *s)
{
	if (!*g)
		return !*s;
	if (*g == '*') {
		for (; *s; s++)
			if (glob(g + 1, s))
				return 1;
		return glob(g + 1, s);
	}
	return *s == *g && glob(g + 1, s + 1);
}

static void check_glob(const char *in, vci_input_kind_t kind, const char *want,
		       const char *what)
{
	char *got = run_full(in, strlen(in), kind, "stdin", 0);

	if (!tap_ok(got && glob(want, got), "%s", what))
		tap_diag("got: %s", got);
	free(got);
}

static void test_ndjson(void)
{
	check("{\"a\":1}\n{\"b\":{\"z\":1,\"y\":2}}\n", VCI_INPUT_AUTO,
	      "1 L1 {\"a\":1}\n1 L2 {\"b\":{\"z\":1,\"y\":2}}\n",
	      "ndjson: two records, key order kept");
	check_glob("{\"a\":1}\n{bad\n{\"c\":3}\n", VCI_INPUT_AUTO,
		   "1 L1 {\"a\":1}\n"
		   "-1 L2 {\"error\":{\"code\":\"invalid_json\",\"message\":\"stdin: line 2: * (column *)\"},\"line\":2}\n"
		   "1 L3 {\"c\":3}\n",
		   "ndjson: a bad line in the middle is an error record, the rest follow");
	check("\n{\"a\":1}\n  \n\r\n{\"b\":2}\r\n", VCI_INPUT_AUTO,
	      "1 L2 {\"a\":1}\n1 L5 {\"b\":2}\n", "ndjson: blank lines skipped, CRLF, line numbers");
	check_glob("{\"a\":1,\"a\":2}\n{\"b\":{\"x\":1,\"x\":1}}\n{\"ok\":true}\n", VCI_INPUT_AUTO,
		   "-1 L1 {\"error\":{\"code\":\"invalid_json\",\"message\":\"stdin: line 1: duplicate object key*\"},\"line\":1}\n"
		   "-1 L2 {\"error\":{\"code\":\"invalid_json\",\"message\":\"stdin: line 2: duplicate object key*\"},\"line\":2}\n"
		   "1 L3 {\"ok\":true}\n", "ndjson: duplicate keys rejected, also nested");
	check("{\"a\":1}\n[1]\n\"s\"\n42\nnull\n{\"b\":2}\n", VCI_INPUT_AUTO,
	      "1 L1 {\"a\":1}\n"
	      "-1 L2 {\"error\":{\"code\":\"invalid_json\",\"message\":\"stdin: line 2: expected a JSON object, got an array\"},\"line\":2}\n"
	      "-1 L3 {\"error\":{\"code\":\"invalid_json\",\"message\":\"stdin: line 3: expected a JSON object, got a string\"},\"line\":3}\n"
	      "-1 L4 {\"error\":{\"code\":\"invalid_json\",\"message\":\"stdin: line 4: expected a JSON object, got a number\"},\"line\":4}\n"
	      "-1 L5 {\"error\":{\"code\":\"invalid_json\",\"message\":\"stdin: line 5: expected a JSON object, got null\"},\"line\":5}\n"
	      "1 L6 {\"b\":2}\n", "ndjson: values that are not objects");
	check("\"first\"\n{\"b\":2}\n", VCI_INPUT_AUTO,
	      "-1 L1 {\"error\":{\"code\":\"invalid_json\",\"message\":\"stdin: line 1: expected a JSON object, got a string\"},\"line\":1}\n"
	      "1 L2 {\"b\":2}\n", "auto: a scalar first line still means NDJSON");
	check("[{\"a\":1}]\n[{\"b\":2}]\n", VCI_INPUT_NDJSON,
	      "-1 L1 {\"error\":{\"code\":\"invalid_json\",\"message\":\"stdin: line 1: expected a JSON object, got an array\"},\"line\":1}\n"
	      "-1 L2 {\"error\":{\"code\":\"invalid_json\",\"message\":\"stdin: line 2: expected a JSON object, got an array\"},\"line\":2}\n",
	      "explicit ndjson: array lines are bad records");
	check("{\"a\":1}", VCI_INPUT_AUTO, "1 L1 {\"a\":1}\n", "ndjson: no final newline");
	check("\xef\xbb\xbf{\"a\":1}\n", VCI_INPUT_AUTO, "1 L1 {\"a\":1}\n", "ndjson: BOM skipped");
	check("", VCI_INPUT_AUTO, "", "auto: empty input has no records");
	check("\n \n", VCI_INPUT_AUTO, "", "auto: blank input has no records");
	check("{\"x\":\"\\u00e9\",\"unknown\":{\"deep\":[1,2.5,null]},\"claims\":{}}\n",
	      VCI_INPUT_AUTO,
	      "1 L1 {\"x\":\"\xc3\xa9\",\"unknown\":{\"deep\":[1,2.5,null]},\"claims\":{}}\n",
	      "ndjson: unknown fields pass through untouched");
}

static void test_limits(void)
{
	const char *in;
	char *big_in, *got;
	size_t n = 0, big = 150000;

	in = "{\"a\":1}\n{\"long\":\"xxxxxxxxxxxxxxxxxxxxxxxxxx\"}\n{\"b\":2}\n";
	got = run_full(in, strlen(in), VCI_INPUT_AUTO, "stdin", 20);
	tap_is_str(got, "1 L1 {\"a\":1}\n"
		   "-1 L2 {\"error\":{\"code\":\"input_too_large\",\"message\":\"stdin: line 2: longer than 20 bytes\"},\"line\":2}\n"
		   "1 L3 {\"b\":2}\n", "ndjson: a line over the limit is an error record");
	free(got);

	/* a long line that crosses several buffer refills */
	big_in = malloc(big + 64);
	n += (size_t)sprintf(big_in, "{\"a\":1}\n{\"s\":\"");
	memset(big_in + n, 'y', big);
	n += big;
	n += (size_t)sprintf(big_in + n, "\"}\n{\"b\":2}\n");
	got = run_full(big_in, n, VCI_INPUT_NDJSON, "stdin", 70000);
	tap_is_str(got, "1 L1 {\"a\":1}\n"
		   "-1 L2 {\"error\":{\"code\":\"input_too_large\",\"message\":\"stdin: line 2: longer than 70000 bytes\"},\"line\":2}\n"
		   "1 L3 {\"b\":2}\n", "ndjson: a 150 kB line over a 70 kB limit is skipped");
	free(got);
	got = run_full(big_in, n, VCI_INPUT_AUTO, "stdin", 0);
	tap_ok(got && !strncmp(got, "1 L1 {\"a\":1}\n1 L2 {\"s\":\"yyyy", 28) &&
	       strstr(got, "\"}\n1 L3 {\"b\":2}\n"), "ndjson: the same line within the default limit");
	free(got);
	free(big_in);

	got = run_full("{\n \"a\": \"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\"\n}\n", 45,
		       VCI_INPUT_AUTO, "stdin", 30);
	tap_is_str(got, "-2 L0 stdin: larger than 30 bytes [input_too_large]\n",
		   "document: larger than the limit is fatal");
	free(got);
}

static void test_document(void)
{
	check("{\n  \"b\": 1,\n  \"a\": [1, 2],\n  \"c\": {\"z\": null}\n}\n", VCI_INPUT_AUTO,
	      "1 L1 {\"b\":1,\"a\":[1,2],\"c\":{\"z\":null}}\n",
	      "auto: one pretty-printed document, key order kept");
	check("\n\n{\n\"a\":1}\n", VCI_INPUT_AUTO, "1 L3 {\"a\":1}\n",
	      "document: its line is where it starts");
	check("[\n {\"a\":1},\n 2,\n {\"b\":2}\n]\n", VCI_INPUT_AUTO,
	      "1 L1 {\"a\":1}\n"
	      "-1 L1 {\"error\":{\"code\":\"invalid_json\",\"message\":\"stdin: element 2: expected a JSON object, got a number\"}}\n"
	      "1 L1 {\"b\":2}\n", "auto: a top-level array yields its elements");
	check("[{\"a\":1},{\"b\":2}]\n", VCI_INPUT_AUTO, "1 L1 {\"a\":1}\n1 L1 {\"b\":2}\n",
	      "auto: a one-line array is a document too");
	check("[]", VCI_INPUT_JSON, "", "document: an empty array has no records");
	check("{\"a\":1}\n", VCI_INPUT_JSON, "1 L1 {\"a\":1}\n", "explicit json");
	check("42\n", VCI_INPUT_JSON,
	      "-1 L1 {\"error\":{\"code\":\"invalid_json\",\"message\":\"stdin: expected a JSON object or array, got a number\"},\"line\":1}\n",
	      "document: a scalar is a bad record");
	check_glob("{\n \"a\": 1,\n \"a\": 2\n}\n", VCI_INPUT_AUTO,
		   "-2 L1 stdin: line 3: duplicate object key* [invalid_json]\n",
		   "document: duplicate keys are fatal, with the line");
	check_glob("{\n \"a\": 1,\n}\n", VCI_INPUT_AUTO,
		   "-2 L1 stdin: line 3: * (column *) [invalid_json]\n",
		   "document: a syntax error is fatal, with the line");
	check_glob("{\"a\":1}\n{\"b\":2}\n", VCI_INPUT_JSON,
		   "-2 L1 stdin: line 2: * [invalid_json]\n",
		   "explicit json: two documents cannot be split");
}

static void test_csv(void)
{
	check("given_name,address.locality,address.country,record.id,record.exp\n"
	      "Alice,Paris,FR,42,1700000000\n", VCI_INPUT_CSV,
	      "1 L2 {\"claims\":{\"given_name\":\"Alice\",\"address\":{\"locality\":\"Paris\",\"country\":\"FR\"}},\"id\":\"42\",\"exp\":\"1700000000\"}\n",
	      "csv: dotted names nest, record. goes to the top level, values stay strings");
	check("record.id,family_name\nx1,Doe\n", VCI_INPUT_CSV,
	      "1 L2 {\"id\":\"x1\",\"claims\":{\"family_name\":\"Doe\"}}\n",
	      "csv: fields in column order");
	check("a,b,c.d\n,x,\n,,\n", VCI_INPUT_CSV,
	      "1 L2 {\"claims\":{\"b\":\"x\"}}\n1 L3 {\"claims\":{}}\n",
	      "csv: empty cells are omitted, claims always present");
	check("record.id\n7\n", VCI_INPUT_CSV, "1 L2 {\"id\":\"7\",\"claims\":{}}\n",
	      "csv: only record columns");
	check("\xef\xbb\xbfname,note\r\n\"Doe, J\",\"two\r\nlines \"\"q\"\"\"\r\n", VCI_INPUT_CSV,
	      "1 L2 {\"claims\":{\"name\":\"Doe, J\",\"note\":\"two\\r\\nlines \\\"q\\\"\"}}\n",
	      "csv: BOM, quoting, embedded CRLF");
	check("a,b\n1,2\n3\n4,5,6\n7,8\n", VCI_INPUT_CSV,
	      "1 L2 {\"claims\":{\"a\":\"1\",\"b\":\"2\"}}\n"
	      "-1 L3 {\"error\":{\"code\":\"invalid_csv\",\"message\":\"data.csv: line 3: 1 field, the header has 2\"},\"line\":3,\"raw\":\"3\\n\"}\n"
	      "-1 L4 {\"error\":{\"code\":\"invalid_csv\",\"message\":\"data.csv: line 4: 3 fields, the header has 2\"},\"line\":4,\"raw\":\"4,5,6\\n\"}\n"
	      "1 L5 {\"claims\":{\"a\":\"7\",\"b\":\"8\"}}\n",
	      "csv: wrong field counts are error records; reading goes on");
	check("a,b\n1,x\"y\n\"3\n\",4\n", VCI_INPUT_CSV,
	      "-1 L2 {\"error\":{\"code\":\"invalid_csv\",\"message\":\"data.csv: line 2: field 2: quote in unquoted field (column 4)\"},\"line\":2,\"raw\":\"1,x\\\"y\\n\"}\n"
	      "1 L3 {\"claims\":{\"a\":\"3\\n\",\"b\":\"4\"}}\n",
	      "csv: a malformed row is an error record; the next row follows");
	check("a\n\xff\xfe\nok\n", VCI_INPUT_CSV,
	      "-1 L2 {\"error\":{\"code\":\"invalid_csv\",\"message\":\"data.csv: line 2: field 1 (a): not valid UTF-8\"},\"line\":2}\n"
	      "1 L3 {\"claims\":{\"a\":\"ok\"}}\n", "csv: invalid UTF-8 in a cell");
	check("", VCI_INPUT_CSV, "", "csv: empty input, no records");
	check("a,b\n", VCI_INPUT_CSV, "", "csv: header only, no records");
}

static void test_csv_header(void)
{
	static const struct { const char *in, *want; } bad[] = {
		{ "a,,b\n1,2,3\n", "data.csv: line 1: header: column 2: empty name" },
		{ "a,b,a\n", "data.csv: line 1: header: column 3: duplicate name \"a\" (also column 1)" },
		{ "a,a.b\n", "data.csv: line 1: header: columns 1 (\"a\") and 2 (\"a.b\") conflict" },
		{ "x.y.z,x.y\n", "data.csv: line 1: header: columns 1 (\"x.y.z\") and 2 (\"x.y\") conflict" },
		{ "record.x,record.x.y\n", "data.csv: line 1: header: columns 1 (\"record.x\") and 2 (\"record.x.y\") conflict" },
		{ "a,record.claims\n", "data.csv: line 1: header: columns 1 (\"a\") and 2 (\"record.claims\") conflict" },
		{ "a,record.claims.a\n", "data.csv: line 1: header: columns 1 (\"a\") and 2 (\"record.claims.a\") conflict" },
		{ "a.,b\n", "data.csv: line 1: header: column 1: \"a.\": empty name component" },
		{ "b,.a\n", "data.csv: line 1: header: column 2: \".a\": empty name component" },
		{ "a..b\n", "data.csv: line 1: header: column 1: \"a..b\": empty name component" },
		{ "record.\n", "data.csv: line 1: header: column 1: \"record.\": empty name component" },
		{ "\n\na,\"b\"c\n", "data.csv: line 3: field 2: unexpected character after closing quote (column 6)" },
	};

	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		char *got = run_full(bad[i].in, strlen(bad[i].in), VCI_INPUT_CSV, "data.csv", 0);
		char want[600];

		snprintf(want, sizeof want, "-2 L%d %s [invalid_csv]\n", i == 11 ? 0 : 1,
			 bad[i].want);
		tap_is_str(got, want, "csv header error %zu is fatal", i);
		free(got);
	}
	check("a,ab,a-b,a_b.c\n1,2,3,4\n", VCI_INPUT_CSV,
	      "1 L2 {\"claims\":{\"a\":\"1\",\"ab\":\"2\",\"a-b\":\"3\",\"a_b\":{\"c\":\"4\"}}}\n",
	      "csv: names sharing a prefix but not a path are fine");
}

static void test_error_record(void)
{
	json_auto_t *orig = json_pack("{s:s, s:{s:s}, s:s, s:i, s:i}", "id", "r1", "claims",
				      "given_name", "A", "error", "old", "line", 9, "z", 1);
	json_auto_t *e = vci_record_error(orig, "invalid_claim", "claims.x: missing", 4);
	json_auto_t *e2 = vci_record_error(NULL, "c", "m", 0);
	vci_err_t err = { 0 };
	json_auto_t *e3 = NULL;
	char *s;

	s = vci_json_dump(e);
	tap_is_str(s, "{\"id\":\"r1\",\"claims\":{\"given_name\":\"A\"},\"z\":1,"
		   "\"error\":{\"code\":\"invalid_claim\",\"message\":\"claims.x: missing\"},\"line\":4}",
		   "error record: original fields in order, then error and line");
	free(s);
	json_object_set_new(json_object_get(orig, "claims"), "given_name", json_string("B"));
	tap_is_str(json_string_value(json_object_get(json_object_get(e, "claims"), "given_name")),
		   "A", "error record: a copy, not shared with the original");
	s = vci_json_dump(e2);
	tap_is_str(s, "{\"error\":{\"code\":\"c\",\"message\":\"m\"}}",
		   "error record without original or line");
	free(s);
	vci_err_set(&err, VCI_EXIT_FAIL, "invalid_proof", "proof: bad nonce");
	e3 = vci_record_error_from(orig, &err, 0);
	tap_is_str(json_string_value(json_object_get(json_object_get(e3, "error"), "code")),
		   "invalid_proof", "error_from: code");
	tap_is_str(json_string_value(json_object_get(json_object_get(e3, "error"), "message")),
		   "proof: bad nonce", "error_from: message");
	tap_ok(vci_record_is_error(e) && vci_record_is_error(e3), "is_error: error records");
	tap_ok(!vci_record_is_error(orig), "is_error: a string \"error\" is not an error record");
	tap_ok(!vci_record_is_error(NULL) && !vci_record_is_error(json_object_get(orig, "z")),
	       "is_error: NULL and non-objects");
}

static void set_case(json_t *obj, const char *path, json_t *v, int want_rc,
		     const char *want, const char *want_msg)
{
	vci_err_t err = { 0 };
	int rc = vci_record_set_path(obj, path, v, &err);
	char *s = vci_json_dump(obj);

	tap_is_int(rc, want_rc, "set_path \"%s\": status", path);
	tap_is_str(s, want, "set_path \"%s\": object", path);
	if (want_msg)
		tap_is_str(err.msg, want_msg, "set_path \"%s\": message", path);
	free(s);
}

static void test_set_path(void)
{
	json_auto_t *o = json_object();
	json_auto_t *arr = json_array();
	vci_err_t err = { 0 };

	set_case(o, "a.b.c", json_integer(1), 0, "{\"a\":{\"b\":{\"c\":1}}}", NULL);
	set_case(o, "a.b.d", json_string("x"), 0, "{\"a\":{\"b\":{\"c\":1,\"d\":\"x\"}}}", NULL);
	set_case(o, "top", json_true(), 0, "{\"a\":{\"b\":{\"c\":1,\"d\":\"x\"}},\"top\":true}", NULL);
	set_case(o, "a.b.c", json_integer(2), -1, "{\"a\":{\"b\":{\"c\":1,\"d\":\"x\"}},\"top\":true}",
		 "a.b.c: already set");
	set_case(o, "a.b", json_integer(2), -1, "{\"a\":{\"b\":{\"c\":1,\"d\":\"x\"}},\"top\":true}",
		 "a.b: already set");
	set_case(o, "a.b.c.e", json_integer(2), -1,
		 "{\"a\":{\"b\":{\"c\":1,\"d\":\"x\"}},\"top\":true}",
		 "a.b.c.e: \"c\" is a number, not an object");
	set_case(o, "top.x.y", json_integer(2), -1,
		 "{\"a\":{\"b\":{\"c\":1,\"d\":\"x\"}},\"top\":true}",
		 "top.x.y: \"top\" is a boolean, not an object");
	set_case(o, "a..b", json_integer(2), -1, "{\"a\":{\"b\":{\"c\":1,\"d\":\"x\"}},\"top\":true}",
		 "a..b: empty name component");
	set_case(o, "", json_integer(2), -1, "{\"a\":{\"b\":{\"c\":1,\"d\":\"x\"}},\"top\":true}",
		 ": empty name component");
	set_case(o, ".a", json_integer(2), -1, "{\"a\":{\"b\":{\"c\":1,\"d\":\"x\"}},\"top\":true}",
		 ".a: empty name component");
	set_case(o, "n.\xff.m", json_integer(2), -1,
		 "{\"a\":{\"b\":{\"c\":1,\"d\":\"x\"}},\"top\":true}",
		 "n.\xff.m: name is not valid UTF-8");
	set_case(o, "a.new.deep.er", json_null(), 0,
		 "{\"a\":{\"b\":{\"c\":1,\"d\":\"x\"},\"new\":{\"deep\":{\"er\":null}}},\"top\":true}", NULL);
	tap_is_int(vci_record_set_path(arr, "a", json_integer(1), &err), -1,
		   "set_path into an array fails");
	tap_is_int(vci_record_set_path(o, "q", NULL, &err), -1, "set_path with no value fails");
}

static void test_roundtrip(void)
{
	static const char *recs[] = {
		"{\"z\":1,\"a\":2,\"m\":{\"y\":[1,{\"b\":null,\"a\":true}],\"x\":\"\\u0000nul\"}}",
		"{\"claims\":{\"given_name\":\"\xc3\x89lodie\",\"n\":1.5},\"id\":\"7\",\"extra\":\"kept\"}",
		"{\"error\":{\"code\":\"invalid_json\",\"message\":\"m\"},\"line\":3}",
		"{}",
	};
	size_t n = sizeof recs / sizeof *recs, len = 0, i;
	char *buf = NULL, *got;
	FILE *o = open_memstream(&buf, &len);
	vci_err_t err = { 0 };
	int ok = 1;

	for (i = 0; i < n; i++) {
		json_auto_t *j = json_loads(recs[i], JSON_ALLOW_NUL, NULL);

		if (!j || vci_record_write(o, j, &err) < 0)
			ok = 0;
	}
	fclose(o);
	tap_ok(ok, "write: every record written");
	tap_ok(buf && len && buf[len - 1] == '\n' && !strchr(buf, ' '),
	       "write: compact, one line each");
	got = run_full(buf, len, VCI_INPUT_AUTO, "stdin", 0);
	{
		char want[1024] = "";

		for (i = 0; i < n; i++) {
			json_auto_t *j = json_loads(recs[i], JSON_ALLOW_NUL, NULL);
			char *s = vci_json_dump(j);

			snprintf(want + strlen(want), sizeof want - strlen(want), "%d L%zu %s\n",
				 1, i + 1, s);
			free(s);
		}
		tap_is_str(got, want, "write then read: the same records, same order");
	}
	free(got);
	free(buf);

	{
		FILE *f = fopen("/dev/full", "w");

		if (f) {
			json_auto_t *j = json_pack("{s:s}", "a", "b");
			int rc;

			setvbuf(f, NULL, _IONBF, 0);
			rc = vci_record_write(f, j, &err);
			tap_ok(rc == -1 && err.status == VCI_EXIT_IO &&
			       strstr(err.msg, "write error"), "write: an I/O error is reported");
			fclose(f);
		}
	}
}

static void test_open(void)
{
	vci_err_t err = { 0 };
	vci_reader_t *r = vci_reader_open_path("/nonexistent/in.ndjson", VCI_INPUT_AUTO, &err);
	char want[300];

	snprintf(want, sizeof want, "/nonexistent/in.ndjson: %s", strerror(ENOENT));
	tap_ok(r == NULL, "open_path: a missing file fails");
	tap_is_str(err.msg, want, "open_path: message names the file and the reason");
	tap_ok(err.status == VCI_EXIT_INPUT, "open_path: input status");
}

int main(void)
{
	test_ndjson();
	test_limits();
	test_document();
	test_csv();
	test_csv_header();
	test_error_record();
	test_set_path();
	test_roundtrip();
	test_open();
	return tap_done();
}
