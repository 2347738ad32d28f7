/* test-buf.c - vci_buf_json writes byte for byte what json_dumpb writes
 * (compact and with the default separators), for every kind of value,
 * escapes, UTF-8, reals and nesting; and the per-thread jansson arena
 * (base/arena.h): values made in it are gone at the reset, heap values
 * made before or during it are released with free(). */
#include "base/arena.h"
#include "base/buf.h"
#include "tap.h"

#include <string.h>

static const char *const docs[] = {
	"{}", "[]", "\"\"", "0", "-9223372036854775807", "true", "false", "null",
	"1.5", "1e300", "-0.0", "0.1", "123456789.123456789", "3.0",
	"\"plain ascii ~.-_\"", "\"quote \\\" back \\\\ slash /\"",
	"\"ctl \\u0001 \\b \\f \\n \\r \\t \\u001f del \\u007f\"",
	"\"utf-8 \\u00e9 \\u20ac \\ud83d\\ude00 \\u2028\"", "\"nul \\u0000 in\"",
	"{\"a\":1,\"b\":[1,2,{\"c\":null}],\"\\u00e9\\n\":\"x\",\"z\":{},\"y\":[]}",
	"{\"z\":1,\"a\":2,\"m\":{\"k\":[true,false,1.25,\"s\"]}}",
	"[[[[[[[[[[1]]]]]]]]]]",
	/* long strings: a byte needing an escape in each lane of a word */
	"\"012345678\\\"abcdefghijklmnopqrstuvwxyz\"", "\"0123456789abcde\\u007f\"",
	"\"0123456789abcdef\\u0000xyz\"", "\"0123456789abcdef0123456\\\\x\"",
	"\"\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\n\"",
	"\"eyJhbGciOiJFUzI1NiJ9.eyJpc3MiOiJodHRwczovL2lzc3Vlci5leGFtcGxlIn0.sig~WyJz~\"",
};

static void test_same_as_jansson(void)
{
	const size_t flags[] = { JSON_COMPACT, JSON_COMPACT | JSON_PRESERVE_ORDER, 0,
				 JSON_PRESERVE_ORDER, JSON_COMPACT | JSON_REAL_PRECISION(17),
				 JSON_INDENT(2), JSON_COMPACT | JSON_SORT_KEYS };

	for (size_t i = 0; i < sizeof docs / sizeof *docs; i++) {
		json_t *v = json_loads(docs[i], JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);

		tap_ok(v != NULL, "parse %s", docs[i]);
		for (size_t f = 0; v && f < sizeof flags / sizeof *flags; f++) {
			char want[1024];
			size_t n = json_dumpb(v, want, sizeof want, flags[f] | JSON_ENCODE_ANY);
			vci_buf_t b;

			vci_buf_init(&b, 0);
			tap_is_int(vci_buf_json(&b, v, flags[f]), 0, "%s flags %zx: written", docs[i],
				   flags[f]);
			tap_is_mem(b.p, b.len, want, n, "%s flags %zx: as jansson", docs[i], flags[f]);
			vci_buf_free(&b);
		}
		json_decref(v);
	}
}

static void test_deep(void)
{
	json_t *v = json_array(), *top = v;
	vci_buf_t b;

	for (int i = 0; i < VCI_BUF_JSON_DEPTH + 2; i++) {
		json_t *a = json_array();

		json_array_append_new(v, a);
		v = a;
	}
	vci_buf_init(&b, 0);
	tap_is_int(vci_buf_json(&b, top, JSON_COMPACT), -1, "deeper than the limit: refused");
	tap_ok(b.failed, "and the buffer says so");
	vci_buf_free(&b);
	json_decref(top);
}

static void test_arena(void)
{
	json_t *heap, *rec;
	char *s;

	vci_arena_install();
	heap = json_pack("{s:s}", "defn", "kept");
	vci_arena_open();
	rec = json_pack("{s:s, s:[i,i]}", "a", "made in the arena", "b", 1, 2);
	tap_ok(rec && vci_arena_used() > 0, "a record's values come from the arena");
	json_object_set(rec, "defn", heap);
	s = vci_json_dumps(rec, JSON_COMPACT);
	tap_is_str(s, "{\"a\":\"made in the arena\",\"b\":[1,2],\"defn\":{\"defn\":\"kept\"}}",
		   "vci_json_dumps in the arena: malloc'd text");
	free(s);
	{
		int st = vci_arena_pause();
		json_t *kept = json_string("made paused");

		vci_arena_resume(st);
		json_decref(rec);
		vci_arena_close();
		tap_is_str(json_string_value(kept), "made paused", "paused: on the heap, kept");
		json_decref(kept);
	}
	tap_is_int(heap->refcount, 1, "a heap value held by an arena record: released");
	tap_is_str(json_string_value(json_object_get(heap, "defn")), "kept", "and intact");
	vci_arena_open();
	rec = json_array();
	for (int i = 0; i < 20000; i++) /* past the arena: the rest from malloc */
		json_array_append_new(rec, json_integer(i));
	tap_is_int((long long)json_array_size(rec), 20000, "larger than the arena: malloc");
	json_decref(rec);
	json_decref(heap); /* a heap value freed while an arena is open */
	vci_arena_close();
	vci_arena_release();
}

int main(void)
{
	test_same_as_jansson();
	test_deep();
	test_arena();
	return tap_done();
}
