/* bench-floor - the work a credential needs besides its signature, timed
 * with the same libraries the tools use, so that a benchmark can print the
 * ceiling of its ratio to `openssl speed`.
 *
 * Usage: bench-floor JSON RANDOM LEN...
 * Times json_loadb of each line of JSON (up to 16: a record as the tools
 * read it, and any JSON inside it they parse too, such as a JWT's header
 * and payload), one RAND_bytes call of RANDOM bytes (salts, decoys, mdoc
 * randoms: at least one CSPRNG call per credential; 0 for none) and one
 * SHA-256 of each LEN bytes (digest fetched once, context reused, as the
 * tools do): the messages a format hashes per credential (for an SD-JWT
 * VC the JWS signing input, every disclosure and decoy; for an mdoc every
 * IssuerSignedItemBytes and the COSE Sig_structure; for a proof its
 * signing input and the RFC 7638 thumbprint input). Prints four numbers,
 * microseconds per record: "parse random SHA parse-heap": the parse as
 * the batch runner does it, in a per-thread jansson arena reset once per
 * record (base/arena.h), then the parse with jansson's default malloc. Built with the tools (not
 * installed); the bench/ scripts call it. */
#include "base/arena.h"

#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

struct job {
	const char *in;
	size_t len;
	const EVP_MD *md;
	EVP_MD_CTX *ctx;
	int bad;
};

static void parse_once(struct job *j)
{
	json_t *v = json_loadb(j->in, j->len, 0, NULL);

	j->bad |= !v;
	json_decref(v);
}

static void parse_arena(struct job *j)
{
	vci_arena_open();
	parse_once(j);
	vci_arena_close();
}

static void sha_once(struct job *j)
{
	unsigned char dg[EVP_MAX_MD_SIZE];
	unsigned int dlen;

	j->bad |= EVP_DigestInit_ex2(j->ctx, j->md, NULL) != 1 ||
		  EVP_DigestUpdate(j->ctx, j->in, j->len) != 1 ||
		  EVP_DigestFinal_ex(j->ctx, dg, &dlen) != 1;
}

static void rand_once(struct job *j)
{
	j->bad |= RAND_bytes((unsigned char *)j->in, (int)j->len) != 1;
}

/* Best of three rounds of n calls, in microseconds per call. */
static double best_of_3(long n, void (*fn)(struct job *), struct job *j)
{
	double best = 1e30;

	for (int r = 0; r < 3; r++) {
		double t0 = now(), t;

		for (long i = 0; i < n; i++)
			fn(j);
		t = (now() - t0) / (double)n * 1e6;
		if (t < best)
			best = t;
	}
	return best;
}

int main(int argc, char **argv)
{
	char *line = NULL, *buf;
	size_t cap = 0;
	ssize_t got;
	FILE *f;
	EVP_MD *md;
	struct job j = { 0 };
	double parse = 0, heap = 0, rnd = 0, sha = 0;
	long nrand;
	int lines = 0;

	if (argc < 4)
		return fprintf(stderr, "usage: bench-floor JSON RANDOM LEN...\n"), 2;
	if (!(f = fopen(argv[1], "r")))
		return fprintf(stderr, "bench-floor: %s: cannot read it\n", argv[1]), 3;
	while ((got = getline(&line, &cap, f)) > 0 && lines < 16) {
		j.in = line;
		j.len = (size_t)got;
		heap += best_of_3(20000, parse_once, &j);
		vci_arena_install();
		parse += best_of_3(20000, parse_arena, &j);
		lines++;
	}
	fclose(f);
	if (!lines || j.bad)
		return fprintf(stderr, "bench-floor: %s: expected lines of JSON\n", argv[1]), 3;

	nrand = atol(argv[2]);
	if (nrand < 0 || nrand > 1 << 16 || !(buf = malloc((size_t)nrand + 1)))
		return fprintf(stderr, "bench-floor: %s: bad length\n", argv[2]), 2;
	j.in = buf;
	j.len = (size_t)nrand;
	if (nrand)
		rnd = best_of_3(20000, rand_once, &j);
	free(buf);

	if (!(md = EVP_MD_fetch(NULL, "SHA256", NULL)) || !(j.ctx = EVP_MD_CTX_new()))
		return fprintf(stderr, "bench-floor: no SHA-256\n"), 4;
	j.md = md;
	for (int a = 3; a < argc; a++) {
		long len = atol(argv[a]);

		if (len < 0 || len > 1 << 20)
			return fprintf(stderr, "bench-floor: %s: bad length\n", argv[a]), 2;
		if (!(buf = calloc(1, (size_t)len + 1)))
			return 5;
		j.in = buf;
		j.len = (size_t)len;
		sha += best_of_3(20000, sha_once, &j);
		free(buf);
	}
	EVP_MD_CTX_free(j.ctx);
	EVP_MD_free(md);
	free(line);
	if (j.bad)
		return fprintf(stderr, "bench-floor: RAND_bytes or SHA-256 failed\n"), 4;
	vci_arena_release();
	printf("%.2f %.2f %.2f %.2f\n", parse, rnd, sha, heap);
	return 0;
}
