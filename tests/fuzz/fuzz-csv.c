/* fuzz-csv.c - the CSV reader, with tight and default limits, and the
 * record reader over the same bytes as CSV and as auto-detected JSON. */
#include "pipe/csv.h"
#include "pipe/record.h"

#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void read_csv(const uint8_t *data, size_t size, const vci_csv_limits_t *lim)
{
	FILE *f = fmemopen((void *)data, size, "r");
	vci_csv_t *c = f ? vci_csv_open(f, "fuzz.csv", lim) : NULL;
	size_t max_field = lim ? lim->max_field : 1048576;
	size_t max_fields = lim ? lim->max_fields : 4096;

	for (int guard = 0; c && guard < 100000; guard++) {
		char **fields;
		size_t *lens, n, line, total = 0;
		int rc = vci_csv_next(c, &fields, &lens, &n, &line, NULL);

		if (rc == 0 || rc == -2)
			break;
		if (rc < 0)
			continue;
		if (n == 0 || n > max_fields)
			__builtin_trap();
		for (size_t i = 0; i < n; i++) {
			if (lens[i] > max_field || fields[i][lens[i]] != '\0')
				__builtin_trap();
			total += lens[i];
		}
		if (total > size)
			__builtin_trap();
	}
	vci_csv_close(c);
	if (f)
		fclose(f);
}

static void read_records(const uint8_t *data, size_t size, vci_input_kind_t kind)
{
	FILE *f = fmemopen((void *)data, size, "r");
	vci_reader_t *r = f ? vci_reader_open(f, "fuzz", kind, NULL) : NULL;

	for (int guard = 0; r && guard < 100000; guard++) {
		json_t *rec = NULL;
		vci_err_t err;
		int rc = vci_reader_next(r, &rec, &err);
		char *s;

		if (rc == 0 || rc == -2) {
			if (rec)
				__builtin_trap();
			break;
		}
		if (!json_is_object(rec) || (rc == -1 && !vci_record_is_error(rec)))
			__builtin_trap();
		s = vci_json_dump(rec);
		free(s);
		json_decref(rec);
	}
	vci_reader_close(r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const vci_csv_limits_t tight = { 8, 24, 4 };

	if (size == 0)
		return 0;
	read_csv(data, size, NULL);
	read_csv(data, size, &tight);
	read_records(data, size, VCI_INPUT_CSV);
	read_records(data, size, VCI_INPUT_AUTO);
	return 0;
}
