/* test-csv.c - the RFC 4180 reader: quoting, line ends, BOM, limits, every
 * error with its message, and resynchronisation after an error. */
#include "pipe/csv.h"
#include "tap.h"

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

/* Read everything; describe each call as "L<line>:[field][field]" or
 * "L<line>:ERR <message>", one per line. */
static char *run_lim(const char *in, size_t len, const vci_csv_limits_t *lim)
{
	FILE *f = file_of(in, len);
	vci_csv_t *c = vci_csv_open(f, "data.csv", lim);
	char *out = NULL;
	size_t outlen = 0;
	FILE *o = open_memstream(&out, &outlen);

	for (int guard = 0; c && guard < 100000; guard++) {
		char **fields;
		size_t *lens, n, line = 0;
		vci_err_t err = { 0 };
		int rc = vci_csv_next(c, &fields, &lens, &n, &line, &err);

		if (rc == 0)
			break;
		fprintf(o, "L%zu:", line);
		if (rc < 0) {
			fprintf(o, "ERR%s %s [%s]\n", rc == -2 ? "2" : "", err.msg, err.code);
			if (rc == -2)
				break;
			continue;
		}
		for (size_t i = 0; i < n; i++) {
			fputc('[', o);
			fwrite(fields[i], 1, lens[i], o);
			fputc(']', o);
			if (fields[i][lens[i]] != '\0')
				fputs("(no NUL)", o);
		}
		fputc('\n', o);
	}
	vci_csv_close(c);
	if (f)
		fclose(f);
	fclose(o);
	return out;
}

static char *run(const char *in)
{
	return run_lim(in, strlen(in), NULL);
}

static void check(const char *in, const char *want, const char *what)
{
	char *got = run(in);

	tap_is_str(got, want, "%s", what);
	free(got);
}

static void check_lim(const char *in, const vci_csv_limits_t *lim, const char *want,
		      const char *what)
{
	char *got = run_lim(in, strlen(in), lim);

	tap_is_str(got, want, "%s", what);
	free(got);
}

static void test_good(void)
{
	check("a,b,c\n1,2,3\n", "L1:[a][b][c]\nL2:[1][2][3]\n", "plain fields");
	check("\"a,b\",\"c\"\"d\",\"\",e\n", "L1:[a,b][c\"d][][e]\n",
	      "quoted fields, \"\" escape, empty quoted field");
	check("\"\"\"\"\n", "L1:[\"]\n", "a field that is one escaped quote");
	check("x,\"l1\nl2\"\ny,z\n", "L1:[x][l1\nl2]\nL3:[y][z]\n",
	      "embedded LF in quotes; next record on line 3");
	check("\"a\r\nb\"\r\nc\r\n", "L1:[a\r\nb]\nL3:[c]\n", "embedded CRLF kept verbatim");
	check("a,b\r\nc,d\r\n", "L1:[a][b]\nL2:[c][d]\n", "CRLF line ends");
	check("a,b\nc,d", "L1:[a][b]\nL2:[c][d]\n", "missing final newline");
	check("a,\"b\"", "L1:[a][b]\n", "missing final newline after a quoted field");
	check("a,\n,\n", "L1:[a][]\nL2:[][]\n", "empty trailing fields");
	check("a\n\n\r\nb\n\n", "L1:[a]\nL4:[b]\n", "empty lines are skipped, lines still counted");
	check("", "", "empty input: no records");
	check("\n\n", "", "only empty lines: no records");
	check("\xef\xbb\xbfid,name\n1,x\n", "L1:[id][name]\nL2:[1][x]\n",
	      "a UTF-8 BOM at the start is skipped");
	check("\xef\xbb\xbf\"q\"\n", "L1:[q]\n", "BOM then a quoted field");
	check("a\n\xef\xbb\xbf" "b\n", "L1:[a]\nL2:[\xef\xbb\xbf" "b]\n",
	      "a BOM elsewhere is data");
	check(" a , b \n", "L1:[ a ][ b ]\n", "spaces are data");
	check("caf\xc3\xa9,\"\xe2\x82\xac\"\n", "L1:[caf\xc3\xa9][\xe2\x82\xac]\n", "UTF-8 passes");
}

static void test_nul(void)
{
	char *got = run_lim("a\0b,c\n", 6, NULL);

	tap_is_mem(got, got ? strlen(got) : 0, "L1:[a", 5, "NUL in a field: content up to it");
	tap_ok(got && !memcmp(got + 6, "b][c]\n", 6), "NUL in a field: length kept");
	free(got);
}

static void test_errors(void)
{
	vci_csv_limits_t lim = { 0 };

	check("a,b\"c,d\ne,f\n",
	      "L1:ERR data.csv: line 1: field 2: quote in unquoted field (column 4) [invalid_csv]\n"
	      "L2:[e][f]\n", "quote in an unquoted field, then resync");
	check("\"ab\"x,c\nd\n",
	      "L1:ERR data.csv: line 1: field 1: unexpected character after closing quote "
	      "(column 5) [invalid_csv]\nL2:[d]\n", "character after a closing quote, then resync");
	check("1,\"ab\" ,\"c\nd\"\n2\n",
	      "L1:ERR data.csv: line 1: field 2: unexpected character after closing quote "
	      "(column 7) [invalid_csv]\nL3:[2]\n",
	      "resync keeps track of a later quoted field with a newline");
	check("a\n\"open,x\ny\n",
	      "L1:[a]\nL2:ERR data.csv: line 2: field 1: quoted field opened at column 1 not "
	      "closed at end of input: it spans 2 lines (2 to 3) [invalid_csv]\n",
	      "unterminated quote at end of input: where it opened, how many lines it took");
	check("a\nb,\"c\nd,e\nf,\"g\"h\ni\n",
	      "L1:[a]\nL2:ERR data.csv: line 2: field 2: quoted field opened at column 3 spans "
	      "3 lines (2 to 4), then an unexpected character after its closing quote (line 4, "
	      "column 4) [invalid_csv]\nL5:[i]\n",
	      "a quote closed lines later, then junk: reported where it opened");
	check("a,\"b\"\"", "L1:ERR data.csv: line 1: field 2: quoted field not closed at end "
	      "of input (column 3) [invalid_csv]\n", "unterminated after an escaped quote");
	check("a\rb\nc\n",
	      "L1:ERR data.csv: line 1: carriage return not followed by line feed (column 2) "
	      "[invalid_csv]\nL2:[c]\n", "bare CR outside quotes");
	check("\"a\"\rb\nc\n",
	      "L1:ERR data.csv: line 1: carriage return not followed by line feed (column 4) "
	      "[invalid_csv]\nL2:[c]\n", "bare CR after a quoted field");

	lim.max_fields = 3;
	check_lim("a,b,c\na,b,c,d\ne\n", &lim,
		  "L1:[a][b][c]\nL2:ERR data.csv: line 2: more than 3 fields [invalid_csv]\n"
		  "L3:[e]\n", "too many fields");
	lim.max_fields = 0;
	lim.max_field = 4;
	check_lim("abcd,x\nabcde,x\nok\n", &lim,
		  "L1:[abcd][x]\nL2:ERR data.csv: line 2: field 1 longer than 4 bytes "
		  "[invalid_csv]\nL3:[ok]\n", "field longer than max_field");
	check_lim("1,\"ab\ncdef\",z\n2\n", &lim,
		  "L1:ERR data.csv: line 1: field 2 longer than 4 bytes [invalid_csv]\nL3:[2]\n",
		  "long quoted field over two lines: skipped to the record's real end");
	check_lim("\"ab\"\"\"\"\"\"\"\n", &lim,
		  "L1:ERR data.csv: line 1: field 1 longer than 4 bytes [invalid_csv]\n",
		  "escaped quotes count towards the field length");
	lim.max_field = 0;
	lim.max_record = 5;
	check_lim("abc,de\nabc,def\nx\n", &lim,
		  "L1:[abc][de]\nL2:ERR data.csv: line 2: record longer than 5 bytes "
		  "[invalid_csv]\nL3:[x]\n", "record longer than max_record");
}

/* A 10 MB field: a clear error, no huge allocation, and the next row. */
static void test_huge(void)
{
	size_t big = 10u << 20, n = 0;
	char *in = malloc(big + 64), *got;

	memcpy(in, "a,b,c\n1,2,", 10);
	n = 10;
	memset(in + n, 'x', big);
	n += big;
	memcpy(in + n, "\n3,4,5\n", 7);
	n += 7;
	got = run_lim(in, n, NULL);
	tap_is_str(got, "L1:[a][b][c]\nL2:ERR data.csv: line 2: field 3 longer than 1048576 "
		   "bytes [invalid_csv]\nL3:[3][4][5]\n", "10 MB unquoted field");
	free(got);

	/* the same inside quotes, with newlines in it */
	in[10] = '"';
	for (size_t i = 1000; i < big; i += 100000)
		in[10 + i] = '\n';
	memcpy(in + 10 + big, "\"\n3,4,5\n", 8);
	n = 10 + big + 8;
	got = run_lim(in, n, NULL);
	tap_ok(got && !strncmp(got, "L1:[a][b][c]\nL2:ERR data.csv: line 2: field 3 longer "
			       "than 1048576 bytes", 70), "10 MB quoted field: error");
	tap_ok(got && strstr(got, "\nL108:[3][4][5]\n"), "10 MB quoted field: next row on its line");
	free(got);
	free(in);
}

/* Many records across block boundaries, with every kind of quoting. */
static void test_blocks(void)
{
	static const char pieces[][4] = { "a", "b", ",", "\"", "\n", "\r\n", " ", "z" };
	char *in = NULL, *want = NULL, *got;
	size_t inlen = 0, wantlen = 0;
	FILE *fi = open_memstream(&in, &inlen), *fw = open_memstream(&want, &wantlen);
	uint32_t seed = 7;
	size_t line = 1;

	for (int rec = 0; rec < 6000; rec++) {
		int nf = 1 + rec % 5;

		fprintf(fw, "L%zu:", line);
		for (int k = 0; k < nf; k++) {
			int quoted, len;
			char field[200];
			size_t fl = 0;

			seed = seed * 1103515245u + 12345u;
			len = (int)(seed >> 16) % 40;
			for (int j = 0; j < len; j++) {
				const char *p;

				seed = seed * 1103515245u + 12345u;
				p = pieces[(seed >> 16) % 8];
				memcpy(field + fl, p, strlen(p));
				fl += strlen(p);
			}
			field[fl] = '\0';
			quoted = fl == 0 ? (int)(seed & 1) : strpbrk(field, ",\"\r\n") != NULL;
			if (!quoted && ((fl && (seed >> 3) & 1) || nf == 1))
				quoted = 1; /* (an empty line would be skipped) */
			fprintf(fw, "[%s]", field);
			if (k)
				fputc(',', fi);
			if (quoted) {
				fputc('"', fi);
				for (size_t j = 0; j < fl; j++) {
					if (field[j] == '"')
						fputc('"', fi);
					if (field[j] == '\n')
						line++;
					fputc(field[j], fi);
				}
				fputc('"', fi);
			} else {
				fputs(field, fi);
			}
		}
		fputs(rec % 3 ? "\n" : "\r\n", fi);
		fputc('\n', fw);
		line++;
	}
	fclose(fi);
	fclose(fw);
	tap_ok(inlen > 3 * 65536, "block test input spans several blocks (%zu bytes)", inlen);
	got = run_lim(in, inlen, NULL);
	tap_ok(got && !strcmp(got, want), "6000 generated records read back exactly");
	if (got && strcmp(got, want)) {
		size_t i = 0;

		while (got[i] && got[i] == want[i])
			i++;
		tap_diag("first difference at %zu: got \"%.40s\" want \"%.40s\"", i, got + i,
			 want + i);
	}
	free(got);
	free(in);
	free(want);
}

int main(void)
{
	test_good();
	test_nul();
	test_errors();
	test_huge();
	test_blocks();
	return tap_done();
}
