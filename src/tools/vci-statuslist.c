/* vci-statuslist - status lists for revocation and suspension: create a
 * list file, allocate indices to issuance records, set and read statuses,
 * sign the Status List Token (JWT or CWT) or the W3C
 * BitstringStatusListCredential, and check a token as a relying party. */
#include "pipe/batch.h"
#include "pipe/cli.h"
#include "pipe/libver.h"
#include "pipe/outlive.h"
#include "base/time.h"
#include "crypto/keys.h"
#include "pipe/record.h"
#include "oid4vci/statuslist.h"
#include "store/store.h"

#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <time.h>

enum {
	OPT_LIST = 'l',
	OPT_BITS = VCI_OPT_TOOL_BASE,
	OPT_SIZE,
	OPT_URI,
	OPT_METHOD,
	OPT_PURPOSE,
	OPT_FORCE,
	OPT_TO,
	OPT_KEY,
	OPT_CERT,
	OPT_KID,
	OPT_TTL,
	OPT_EXP,
	OPT_IAT,
	OPT_ISS,
	OPT_ALG,
	OPT_CWT,
	OPT_IDX,
	OPT_JWK,
	OPT_CA,
	OPT_DB,
};

static const vci_opt_t opts[] = {
	{ "list", OPT_LIST, "LIST", "the list file (alloc, set, get, sign); with --db the list's name" },
	{ "db", OPT_DB, "WHERE", "the list is in the store: a state directory or sqlite:PATH" },
	{ "bits", OPT_BITS, "N", "new: bits per entry, 1, 2, 4 or 8 (default 1)" },
	{ "size", OPT_SIZE, "N", "new: number of entries (default: 16 KiB of statuses)" },
	{ "uri", OPT_URI, "URL", "new: the list token's URI; check: require it as sub" },
	{ "method", OPT_METHOD, "M", "new: tsl (IETF Token Status List, default) or bitstring (W3C)" },
	{ "purpose", OPT_PURPOSE, "P", "new --method bitstring: revocation (default) or suspension" },
	{ "force", OPT_FORCE, NULL, "new: replace an existing list; set: allow leaving invalid, "
	  "and an index never allocated; export: replace an existing file" },
	{ "to", OPT_TO, "STATUS", "set: the status for every record (issued records)" },
	{ "key", OPT_KEY, "KEY", "sign: private key (file or OSSL_STORE URI)" },
	{ "pass", VCI_OPT_PASS, "SPEC", "sign: passphrase of the key (env:VAR, file:PATH, pass:TEXT)" },
	{ "cert", OPT_CERT, "FILE", "sign: certificate chain for x5c; check: certificate to verify with" },
	{ "kid", OPT_KID, "KID", "sign: key id for the header" },
	{ "ttl", OPT_TTL, "S", "new --db: the list's ttl, which sign uses; sign: seconds a "
	  "consumer may cache the token (default 3600; --db: the list's)" },
	{ "exp", OPT_EXP, "S", "sign: the token expires S seconds after iat (default 86400)" },
	{ "now", OPT_IAT, "TIME", "sign: the token's iat; check: judge expiry at TIME "
	  "(RFC 3339 or epoch seconds)" },
	{ "iat", OPT_IAT, "T", NULL },   /* the former --now of sign, for one release */
	{ "iss", OPT_ISS, "ISS", "sign: iss claim (bitstring: the credential's issuer, required)" },
	{ "alg", OPT_ALG, "ALG", "sign: signature algorithm (default: the key's)" },
	{ "cwt", OPT_CWT, NULL, "sign: a CWT (COSE_Sign1, binary) instead of a JWT" },
	{ "idx", OPT_IDX, "N", "check: the index to read" },
	{ "jwk", OPT_JWK, "FILE", "check: public key (JWK, PEM or certificate) to verify with" },
	{ "ca", OPT_CA, "FILE", "check: trust anchors to validate the token's x5c chain" },
	{ 0 },
};

static const char usage[] =
	"COMMAND [OPTION]... [ARG]...\n"
	"  new    --uri URL --output LIST [--bits N] [--size N] [--method M]\n"
	"  new    --db WHERE --list NAME --uri URL [--bits N] [--size N] [--ttl S]\n"
	"  alloc  --list LIST [FILE]...        add status entries to records\n"
	"  set    --list LIST IDX STATUS       or records {\"idx\":N,\"status\":S},\n"
	"         --list LIST --to STATUS      or issued records (status.status_list.idx)\n"
	"  get    --list LIST IDX...           print statuses\n"
	"  sign   --list LIST --key KEY [--cert CHAIN | --kid KID] [--cwt]\n"
	"  check  --idx N (--cert F | --jwk F | --ca F) < TOKEN\n"
	"  export --db WHERE --list NAME --output LIST   a list file of a store's list\n"
	"  lists  --db WHERE                   the store's lists, one JSON line each\n"
	"With --db WHERE, --list NAME names a list in the store (alloc, set, get, sign).\n"
	"STATUS is valid, invalid, suspended (or operational, revoked) or 0xNN.\n"
	"Options may come before or after the other arguments.";

typedef struct args {
	vci_cli_t cli;
	const char *list, *uri, *method, *purpose, *key, *cert, *kid, *iss, *alg, *jwk, *ca, *to;
	const char *db;
	vci_store_t *st;        /* opened by need_list when --db is given */
	unsigned long bits, size, ttl, exp, iat, idx;
	int have_bits, have_size, have_ttl, have_exp, have_iat, have_idx;
	int force, cwt;
} args_t;

static int handle(void *ctx, int val, const char *arg)
{
	args_t *a = ctx;
	vci_cli_t *cli = &a->cli;

	switch (val) {
	case OPT_LIST: a->list = arg; return 0;
	case OPT_URI: a->uri = arg; return 0;
	case OPT_METHOD: a->method = arg; return 0;
	case OPT_PURPOSE: a->purpose = arg; return 0;
	case OPT_FORCE: a->force = 1; return 0;
	case OPT_TO: a->to = arg; return 0;
	case OPT_KEY: a->key = arg; return 0;
	case VCI_OPT_PASS: cli->pass = arg; return 0;
	case OPT_CERT: a->cert = arg; return 0;
	case OPT_KID: a->kid = arg; return 0;
	case OPT_ISS: a->iss = arg; return 0;
	case OPT_ALG: a->alg = arg; return 0;
	case OPT_CWT: a->cwt = 1; return 0;
	case OPT_JWK: a->jwk = arg; return 0;
	case OPT_CA: a->ca = arg; return 0;
	case OPT_DB: a->db = arg; return 0;
	case OPT_BITS:
		a->have_bits = 1;
		return vci_cli_uint(cli, "bits", arg, 1, 8, &a->bits);
	case OPT_SIZE:
		a->have_size = 1;
		return vci_cli_uint(cli, "size", arg, 1, VCI_SL_MAX_ENTRIES, &a->size);
	case OPT_TTL:
		a->have_ttl = 1;
		return vci_cli_uint(cli, "ttl", arg, 1, 10UL * 365 * 86400, &a->ttl);
	case OPT_EXP:
		a->have_exp = 1;
		return vci_cli_uint(cli, "exp", arg, 1, 100UL * 365 * 86400, &a->exp);
	case OPT_IAT: {
		int64_t t = 0;
		int rc = vci_cli_now(cli, "--now", arg, &t);

		a->have_iat = !rc;
		a->iat = (unsigned long)t;
		return rc;
	}
	case OPT_IDX:
		a->have_idx = 1;
		return vci_cli_uint(cli, "idx", arg, 0, VCI_SL_MAX_ENTRIES - 1, &a->idx);
	default:
		return vci_cli_usage(cli, "unexpected option");
	}
}

/* The store of --db, opened once. */
static int open_store(args_t *a)
{
	vci_err_t err = { 0 };

	if (a->st)
		return 0;
	a->st = vci_store_open(a->db, &err);
	if (!a->st) {
		vci_cli_fail(&a->cli, &err, VCI_EXIT_IO);
		return -1;
	}
	return 0;
}

static int need_list(args_t *a)
{
	if (!a->list)
		return vci_cli_usage(&a->cli, "%s: --list %s is required", a->cli.command,
				     a->db ? "NAME" : "LIST");
	return a->db && open_store(a) < 0 ? VCI_EXIT_IO : 0;
}

/* A store's answer other than 0 as an error: no such list, or err. */
static int store_fail(args_t *a, int rc, vci_err_t *err)
{
	if (rc == VCI_STORE_NOTFOUND)
		vci_err_set(err, VCI_EXIT_INPUT, "no_such_list", "list %s: not in %s", a->list, a->db);
	else if (rc == VCI_STORE_EXISTS)
		vci_err_set(err, VCI_EXIT_IO, "list_exists", "list %s: already in %s (a new list "
			    "would hand out its indices again; --force replaces it)", a->list, a->db);
	return -1;
}

/* The list of --list: its file, or with --db its store row and entries
 * (*ttl then the list's ttl, else untouched). NULL with err. */
static vci_statuslist_t *list_load(args_t *a, int64_t *ttl, vci_err_t *err)
{
	vci_statuslist_t *sl = NULL;
	int rc;

	if (!a->db)
		return vci_statuslist_load(a->list, err);
	rc = vci_store_sl_load(a->st, a->list, &sl, ttl, NULL, err);
	if (rc != 0)
		store_fail(a, rc, err);
	return sl;
}

/* ---- new ---- */

static int new_in_store(args_t *a, const vci_statuslist_t *sl)
{
	vci_err_t err = { 0 };
	vci_store_sl_def_t d = { a->list, sl->method, sl->bits, sl->size, sl->uri, sl->purpose,
				 (int64_t)(a->have_ttl ? a->ttl : 3600) };
	int rc = vci_store_sl_create(a->st, &d, a->force, vci_time_now(), &err);

	if (rc != 0 && (rc < 0 || store_fail(a, rc, &err)))
		return vci_cli_fail(&a->cli, &err, VCI_EXIT_IO);
	return VCI_EXIT_OK;
}

static int cmd_new(void *ctx, int argc, char **argv)
{
	args_t *a = ctx;
	vci_err_t err = { 0 };
	vci_sl_method_t method = VCI_SL_TSL;
	statuslist_auto_t *sl = NULL;
	unsigned bits = a->have_bits ? (unsigned)a->bits : 1;
	uint64_t size;

	(void)argv;
	if (argc)
		return vci_cli_usage(&a->cli, "new: unexpected argument '%s'", argv[0]);
	if (!a->uri)
		return vci_cli_usage(&a->cli, "new: --uri URL is required");
	if (a->db && a->cli.output)
		return vci_cli_usage(&a->cli, "new: --output is for a list file, not --db");
	if (a->db && need_list(a))
		return a->list ? VCI_EXIT_IO : VCI_EXIT_USAGE;
	if (!a->db && (!a->cli.output || !strcmp(a->cli.output, "-")))
		return vci_cli_usage(&a->cli, "new: --output LIST is required");
	if (a->method && !strcmp(a->method, "bitstring"))
		method = VCI_SL_BITSTRING;
	else if (a->method && strcmp(a->method, "tsl"))
		return vci_cli_usage(&a->cli, "--method: expected tsl or bitstring, got '%s'", a->method);
	if (a->purpose && method != VCI_SL_BITSTRING)
		return vci_cli_usage(&a->cli, "--purpose is for --method bitstring");
	size = a->have_size ? a->size : (16384u * 8u) / bits;
	sl = vci_statuslist_new(method, bits, size, a->uri,
				method == VCI_SL_BITSTRING ? (a->purpose ? a->purpose : "revocation") : NULL,
				&err);
	if (!sl)
		return vci_cli_usage(&a->cli, "new: %s", err.msg);
	if (a->db)
		return new_in_store(a, sl);
	if (vci_statuslist_create(a->cli.output, sl, a->force, &err) < 0)
		return vci_cli_fail(&a->cli, &err, VCI_EXIT_IO);
	return VCI_EXIT_OK;
}

/* ---- alloc ---- */

typedef struct pool {
	pthread_mutex_t mu;
	vci_store_t *st;        /* --db: one index from the store per record */
	const char *path;
	char *uri;
	char *purpose;
	vci_sl_method_t method;
	uint64_t *idx;
	size_t n, next, cap, grow;
} pool_t;

static int pool_take(pool_t *p, uint64_t *idx, vci_err_t *err)
{
	int rc = 0;

	if (p->st) {
		rc = vci_store_sl_alloc(p->st, p->path, 1, idx, err);
		if (rc == VCI_STORE_NOTFOUND)
			vci_err_set(err, VCI_EXIT_IO, "no_such_list", "list %s: gone", p->path);
		return rc ? -1 : 0;
	}
	pthread_mutex_lock(&p->mu);
	if (p->next == p->n) {
		size_t got = 0;

		/* Reserve more, durably, before any record shows an index.
		 * Doubling keeps a short batch from reserving much and a long
		 * one from rewriting the file often. */
		p->grow = p->grow ? (p->grow * 2 > p->cap ? p->cap : p->grow * 2) : 1;
		if (vci_statuslist_alloc_file(p->path, p->grow, p->idx, &got, err) < 0)
			rc = -1;
		p->n = rc ? 0 : got;
		p->next = 0;
	}
	if (!rc)
		*idx = p->idx[p->next++];
	pthread_mutex_unlock(&p->mu);
	return rc;
}

static int alloc_one(void *ctx, json_t *rec, json_t **result, vci_err_t *err)
{
	pool_t *p = ctx;
	const char *field = p->method == VCI_SL_BITSTRING ? "credentialStatus" : "status";
	json_t *entry;
	uint64_t idx;

	if (json_object_get(rec, field))
		return vci_err_set(err, VCI_EXIT_FAIL, "invalid_record",
				   "record already has \"%s\"", field);
	if (pool_take(p, &idx, err) < 0)
		return -1;
	if (p->method == VCI_SL_BITSTRING) {
		char id[64];
		char_auto_t *full = NULL;

		snprintf(id, sizeof id, "%llu", (unsigned long long)idx);
		if (asprintf(&full, "%s#%s", p->uri, id) < 0)
			full = NULL;
		entry = full ? json_pack("{s:s,s:s,s:s,s:s,s:s}", "id", full,
					 "type", "BitstringStatusListEntry", "statusPurpose", p->purpose,
					 "statusListIndex", id, "statusListCredential", p->uri) : NULL;
	} else {
		entry = json_pack("{s:{s:I,s:s}}", "status_list", "idx", (json_int_t)idx, "uri", p->uri);
	}
	if (!entry || json_object_set_new(rec, field, entry) < 0)
		return vci_err_oom(err);
	*result = json_incref(rec);
	return 0;
}

static int cmd_alloc(void *ctx, int argc, char **argv)
{
	args_t *a = ctx;
	vci_err_t err = { 0 };
	statuslist_auto_t *sl = NULL;
	pool_t p = { .cap = 65536 };
	vci_inputs_t *in;
	vci_out_t *out;
	int rc;

	if (need_list(a))
		return VCI_EXIT_USAGE;
	sl = list_load(a, NULL, &err);
	if (!sl)
		return vci_cli_fail(&a->cli, &err, VCI_EXIT_IO);
	p.st = a->st;
	p.path = a->list;
	p.uri = sl->uri;
	p.purpose = sl->purpose;
	p.method = sl->method;
	p.idx = calloc(p.cap, sizeof *p.idx);
	if (!p.idx)
		return vci_cli_errorf(&a->cli, "out of memory"), VCI_EXIT_IO;
	pthread_mutex_init(&p.mu, NULL);
	in = vci_inputs_open(&a->cli, argc, argv, &err);
	if (!in) {
		free(p.idx);
		return vci_cli_fail(&a->cli, &err, VCI_EXIT_IO);
	}
	out = vci_out_open(a->cli.output, &err);
	if (!out) {
		vci_inputs_close(in);
		free(p.idx);
		return vci_cli_fail(&a->cli, &err, VCI_EXIT_IO);
	}
	rc = vci_batch_run(&a->cli, in, vci_out_file(out), alloc_one, &p, NULL, &err);
	vci_inputs_close(in);
	/* Give back what was reserved but not handed out. */
	if (!p.st && p.next < p.n) {
		vci_err_t rerr = { 0 };

		if (vci_statuslist_release_file(a->list, p.idx + p.next, p.n - p.next, &rerr) < 0)
			vci_cli_error(&a->cli, &rerr);
	}
	pthread_mutex_destroy(&p.mu);
	free(p.idx);
	if (rc != VCI_EXIT_OK && rc != VCI_EXIT_FAIL) {
		vci_out_abort(out);
		return vci_cli_fail(&a->cli, &err, VCI_EXIT_IO);
	}
	if (vci_out_commit(out, &err) < 0)
		return vci_cli_fail(&a->cli, &err, VCI_EXIT_IO);
	return rc;
}

/* ---- set ---- */

static int parse_idx(const char *s, uint64_t *out)
{
	char *end;
	unsigned long long v;

	if (!s || !*s || *s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end)
		return -1;
	*out = v;
	return 0;
}

/* An index never handed out has no credential: setting it is a typo, or
 * a new credential would be born with that status. Refused unless force. */
static int check_allocated(const vci_statuslist_t *sl, uint64_t idx, int force, vci_err_t *err)
{
	if (force || idx >= sl->size || vci_statuslist_is_allocated(sl, idx))
		return 0;
	return vci_err_set(err, VCI_EXIT_FAIL, "not_allocated",
			   "index %llu was never allocated (no credential has it; --force sets "
			   "it anyway)", (unsigned long long)idx);
}

/* Set one status in the store's list: 0, or -1 with err. */
static int store_set(args_t *a, uint64_t idx, unsigned v, vci_err_t *err)
{
	int rc = vci_store_sl_set(a->st, a->list, idx, v, a->force, vci_time_now(), err);

	return rc == 0 ? 0 : rc < 0 ? -1 : store_fail(a, rc, err);
}

static int cmd_set_one(args_t *a, const char *idx_s, const char *word)
{
	vci_err_t err = { 0 };
	vci_sl_lock_t lk = { -1 };
	statuslist_auto_t *sl = NULL;
	uint64_t idx;
	unsigned v;
	int rc = VCI_EXIT_OK;

	if (parse_idx(idx_s, &idx) < 0)
		return vci_cli_usage(&a->cli, "set: bad index '%s'", idx_s);
	if (a->db) {
		sl = list_load(a, NULL, &err);
		if (!sl || vci_statuslist_status_parse(sl, word, &v, &err) < 0 ||
		    store_set(a, idx, v, &err) < 0)
			return vci_cli_fail(&a->cli, &err, VCI_EXIT_IO);
		return VCI_EXIT_OK;
	}
	if (vci_statuslist_lock(a->list, 1, &lk, &err) < 0)
		return vci_cli_fail(&a->cli, &err, VCI_EXIT_IO);
	sl = vci_statuslist_load_locked(&lk, a->list, &err);
	if (!sl || vci_statuslist_status_parse(sl, word, &v, &err) < 0 ||
	    check_allocated(sl, idx, a->force, &err) < 0 ||
	    vci_statuslist_set(sl, idx, v, a->force, &err) < 0 ||
	    vci_statuslist_save(a->list, sl, &err) < 0)
		rc = vci_cli_fail(&a->cli, &err, VCI_EXIT_IO);
	vci_statuslist_unlock(&lk);
	return rc;
}

/* The index a record names: "idx", or an issued record's status entry
 * (status.status_list.idx, or W3C credentialStatus.statusListIndex),
 * which must be an entry of this list (its uri). */
static int record_idx(const vci_statuslist_t *sl, const json_t *rec, uint64_t *idx, vci_err_t *err)
{
	const json_t *ji = json_object_get(rec, "idx");
	const json_t *e = json_object_get(json_object_get(rec, "status"), "status_list");
	const json_t *w = json_object_get(rec, "credentialStatus");
	const char *uri, *field;
	char *end;

	if (ji) {
		if (!json_is_integer(ji) || json_integer_value(ji) < 0)
			return vci_err_set(err, VCI_EXIT_FAIL, "invalid_record",
					   "idx: expected a non-negative integer");
		*idx = (uint64_t)json_integer_value(ji);
		return 0;
	}
	if (json_is_object(e)) {
		field = "status.status_list";
		ji = json_object_get(e, "idx");
		uri = json_string_value(json_object_get(e, "uri"));
		if (!json_is_integer(ji) || json_integer_value(ji) < 0)
			return vci_err_set(err, VCI_EXIT_FAIL, "invalid_record",
					   "%s.idx: expected a non-negative integer", field);
		*idx = (uint64_t)json_integer_value(ji);
	} else if (json_is_object(w)) {
		const char *s = json_string_value(json_object_get(w, "statusListIndex"));

		field = "credentialStatus";
		uri = json_string_value(json_object_get(w, "statusListCredential"));
		errno = 0;
		if (!s || *s < '0' || *s > '9' ||
		    (*idx = strtoull(s, &end, 10), errno || *end))
			return vci_err_set(err, VCI_EXIT_FAIL, "invalid_record",
					   "%s.statusListIndex: expected a decimal index", field);
	} else {
		return vci_err_set(err, VCI_EXIT_FAIL, "invalid_record",
				   "idx: missing (nor an issued record's status.status_list)");
	}
	if (!uri || strcmp(uri, sl->uri))
		return vci_err_set(err, VCI_EXIT_FAIL, "invalid_record", "%s.%s: %s%s%s is not this "
				   "list (%s)", field, json_is_object(e) ? "uri" : "statusListCredential",
				   uri ? "\"" : "", uri ? uri : "missing", uri ? "\"" : "", sl->uri);
	return 0;
}

/* Apply one record to sl: {"idx": N, "status": S}, or an issued record
 * with the status of --to (`to`, which also overrides S). */
static int record_value(const vci_statuslist_t *sl, const json_t *rec, const char *to,
			uint64_t *pidx, unsigned *pv, vci_err_t *err)
{
	const json_t *js = json_object_get(rec, "status");
	uint64_t idx = 0;
	unsigned v = 0;

	if (record_idx(sl, rec, &idx, err) < 0)
		return -1;
	if (to) {
		if (vci_statuslist_status_parse(sl, to, &v, err) < 0)
			return -1;
	} else if (json_is_integer(js)) {
		if (json_integer_value(js) < 0 || json_integer_value(js) >= (1 << sl->bits))
			return vci_err_set(err, VCI_EXIT_FAIL, "invalid_status", "status: %lld does not fit %u bits",
					   (long long)json_integer_value(js), sl->bits);
		v = (unsigned)json_integer_value(js);
	} else if (json_is_string(js)) {
		if (vci_statuslist_status_parse(sl, json_string_value(js), &v, err) < 0)
			return -1;
	} else if (json_is_object(js) || json_object_get(rec, "credentialStatus")) {
		return vci_err_set(err, VCI_EXIT_FAIL, "invalid_record",
				   "an issued record: give the status to set with --to");
	} else {
		return vci_err_set(err, VCI_EXIT_FAIL, "invalid_record", "status: expected a string or a number");
	}
	*pidx = idx;
	*pv = v;
	return 0;
}

static int set_record(vci_statuslist_t *sl, const json_t *rec, const char *to, int force,
		      vci_err_t *err)
{
	uint64_t idx;
	unsigned v;

	if (record_value(sl, rec, to, &idx, &v, err) < 0 ||
	    check_allocated(sl, idx, force, err) < 0 ||
	    vci_statuslist_set(sl, idx, v, force, err) < 0)
		return -1;
	return 0;
}

/* A chunk of records against the store's list: each record its own
 * durable change (a failing one is an error record, the others stand). */
static int set_chunk_store(args_t *a, json_t **recs, size_t n, vci_err_t *err)
{
	statuslist_auto_t *sl = list_load(a, NULL, err);

	if (!sl)
		return -1;
	for (size_t i = 0; i < n; i++) {
		vci_err_t rerr = { 0 };
		uint64_t idx;
		unsigned v;

		if (vci_record_is_error(recs[i]))
			continue;
		if (record_value(sl, recs[i], a->to, &idx, &v, &rerr) < 0 ||
		    store_set(a, idx, v, &rerr) < 0) {
			json_t *e = vci_record_error_from(recs[i], &rerr, 0);

			json_decref(recs[i]);
			recs[i] = e;
		}
	}
	return 0;
}

#define SET_CHUNK 4096

static int cmd_set_batch(args_t *a, int argc, char **argv)
{
	vci_err_t err = { 0 };
	json_t **recs = calloc(SET_CHUNK, sizeof *recs);
	vci_inputs_t *in = NULL;
	vci_out_t *out = NULL;
	size_t total = 0, failed = 0, passed = 0;
	unsigned char *was_error = calloc(SET_CHUNK, 1);
	int rc = VCI_EXIT_OK, eof = 0;

	if (!recs || !was_error) {
		free(recs);
		free(was_error);
		return vci_cli_errorf(&a->cli, "out of memory"), VCI_EXIT_IO;
	}
	in = vci_inputs_open(&a->cli, argc, argv, &err);
	if (!in || !(out = vci_out_open(a->cli.output, &err))) {
		rc = vci_cli_fail(&a->cli, &err, VCI_EXIT_IO);
		goto done;
	}
	while (!eof && rc == VCI_EXIT_OK) {
		vci_sl_lock_t lk = { -1 };
		statuslist_auto_t *sl = NULL;
		size_t n = 0, i;

		/* read a chunk without holding the lock */
		while (n < SET_CHUNK) {
			json_t *rec = NULL;
			int r = vci_inputs_next(in, &rec, &err);

			if (r == 0) {
				eof = 1;
				break;
			}
			if (r == -2) {
				rc = vci_cli_fail(&a->cli, &err, VCI_EXIT_IO);
				break;
			}
			/* error records (r == -1 and an earlier stage's) pass through */
			was_error[n] = r == 1 && vci_record_is_error(rec);
			recs[n++] = rec;
		}
		if (n == 0)
			break;
		/* apply it in one durable update, then write the records */
		if (a->db) {
			if (set_chunk_store(a, recs, n, &err) < 0)
				rc = vci_cli_fail(&a->cli, &err, VCI_EXIT_IO);
		} else if (vci_statuslist_lock(a->list, 1, &lk, &err) < 0 ||
		    !(sl = vci_statuslist_load_locked(&lk, a->list, &err))) {
			vci_statuslist_unlock(&lk);
			rc = vci_cli_fail(&a->cli, &err, VCI_EXIT_IO);
		} else {
			for (i = 0; i < n; i++) {
				vci_err_t rerr = { 0 };

				if (vci_record_is_error(recs[i]))
					continue;
				if (set_record(sl, recs[i], a->to, a->force, &rerr) < 0) {
					json_t *e = vci_record_error_from(recs[i], &rerr, 0);

					json_decref(recs[i]);
					recs[i] = e;
				}
			}
			if (vci_statuslist_save(a->list, sl, &err) < 0)
				rc = vci_cli_fail(&a->cli, &err, VCI_EXIT_IO);
			vci_statuslist_unlock(&lk);
		}
		for (i = 0; i < n; i++) {
			total++;
			if (was_error[i])
				passed++;
			else if (vci_record_is_error(recs[i]))
				failed++;
			if (rc == VCI_EXIT_OK && vci_record_write(vci_out_file(out), recs[i], &err) < 0)
				rc = vci_cli_fail(&a->cli, &err, VCI_EXIT_IO);
			json_decref(recs[i]);
			recs[i] = NULL;
		}
	}
	if (total > 1 || failed || passed) {
		fprintf(stderr, "%s: %zu records, %zu ok, %zu failed", a->cli.prog, total,
			total - failed - passed, failed);
		if (passed)
			fprintf(stderr, ", %zu error record%s passed through", passed,
				passed == 1 ? "" : "s");
		fputc('\n', stderr);
	}
	if (rc == VCI_EXIT_OK) {
		if (vci_out_commit(out, &err) < 0)
			rc = vci_cli_fail(&a->cli, &err, VCI_EXIT_IO);
		out = NULL;
		if (rc == VCI_EXIT_OK && (failed || passed))
			rc = VCI_EXIT_FAIL;
	}
done:
	if (out)
		vci_out_abort(out);
	vci_inputs_close(in);
	free(recs);
	free(was_error);
	return rc;
}

static int cmd_set(void *ctx, int argc, char **argv)
{
	args_t *a = ctx;
	uint64_t idx;

	if (need_list(a))
		return VCI_EXIT_USAGE;
	if (argc == 2 && parse_idx(argv[0], &idx) == 0) {
		if (a->to)
			return vci_cli_usage(&a->cli, "set: --to is for records, not IDX STATUS");
		return cmd_set_one(a, argv[0], argv[1]);
	}
	if (argc >= 1 && argv[0][0] >= '0' && argv[0][0] <= '9')
		return vci_cli_usage(&a->cli, "set: expected IDX STATUS");
	return cmd_set_batch(a, argc, argv);
}

/* ---- get ---- */

static int cmd_get(void *ctx, int argc, char **argv)
{
	args_t *a = ctx;
	vci_err_t err = { 0 };
	statuslist_auto_t *sl = NULL;
	vci_out_t *out;

	if (need_list(a))
		return VCI_EXIT_USAGE;
	if (argc == 0)
		return vci_cli_usage(&a->cli, "get: expected IDX...");
	sl = list_load(a, NULL, &err);
	if (!sl)
		return vci_cli_fail(&a->cli, &err, VCI_EXIT_IO);
	out = vci_out_open(a->cli.output, &err);
	if (!out)
		return vci_cli_fail(&a->cli, &err, VCI_EXIT_IO);
	for (int i = 0; i < argc; i++) {
		uint64_t idx;
		unsigned v;
		char buf[8];

		if (parse_idx(argv[i], &idx) < 0) {
			vci_out_abort(out);
			return vci_cli_usage(&a->cli, "get: bad index '%s'", argv[i]);
		}
		if (vci_statuslist_get(sl, idx, &v, &err) < 0) {
			vci_out_abort(out);
			return vci_cli_fail(&a->cli, &err, VCI_EXIT_IO);
		}
		fprintf(vci_out_file(out), "%s\n", vci_statuslist_status_name(sl->method, sl->purpose, v, buf));
	}
	if (vci_out_commit(out, &err) < 0)
		return vci_cli_fail(&a->cli, &err, VCI_EXIT_IO);
	return VCI_EXIT_OK;
}

/* ---- sign ---- */

static int cmd_sign(void *ctx, int argc, char **argv)
{
	args_t *a = ctx;
	vci_err_t err = { 0 };
	statuslist_auto_t *sl = NULL;
	EVP_PKEY_auto_t *key = NULL;
	json_auto_t *x5c = NULL;
	char_auto_t *jwt = NULL;
	uint8_auto_t *cwt = NULL;
	size_t clen = 0;
	vci_sl_sign_opts_t o = { 0 };
	vci_outlive_t outlive;
	vci_out_t *out;
	int64_t ttl = 3600;

	vci_outlive_init(&outlive, NULL, 0, NULL);
	if (argc)
		return vci_cli_usage(&a->cli, "sign: unexpected argument '%s'", argv[0]);
	if (need_list(a))
		return VCI_EXIT_USAGE;
	if (!a->key)
		return vci_cli_usage(&a->cli, "sign: --key KEY is required");
	if (!a->cert && !a->kid)
		return vci_cli_usage(&a->cli, "sign: --cert CHAIN or --kid KID is required");
	sl = list_load(a, &ttl, &err);
	if (!sl)
		return vci_cli_fail(&a->cli, &err, VCI_EXIT_IO);
	if (sl->method == VCI_SL_BITSTRING && a->cwt)
		return vci_cli_usage(&a->cli, "sign: --cwt is for Token Status Lists");
	if (sl->method == VCI_SL_BITSTRING && !a->iss)
		return vci_cli_usage(&a->cli, "sign: a bitstring list needs --iss ISSUER");
	key = vci_key_load_private(a->key, a->cli.pass, &err);
	if (!key)
		return vci_cli_fail(&a->cli, &err, VCI_EXIT_IO);
	if (a->cert) {
		STACK_OF(X509) *chain = vci_x509_load_chain(a->cert, &err);

		if (!chain)
			return vci_cli_fail(&a->cli, &err, VCI_EXIT_IO);
		if (vci_outlive_init(&outlive, chain, vci_time_now(), &err) < 0) {
			sk_X509_pop_free(chain, X509_free);
			vci_err_prefix(&err, "--cert: %s", a->cert);
			return vci_cli_fail(&a->cli, &err, VCI_EXIT_KEY);
		}
		if (sk_X509_num(chain) < 1 || !vci_x509_matches_key(sk_X509_value(chain, 0), key)) {
			sk_X509_pop_free(chain, X509_free);
			vci_cli_errorf(&a->cli, "%s: the first certificate is not for the key", a->cert);
			return VCI_EXIT_KEY;
		}
		x5c = vci_x5c_from_chain(chain);
		sk_X509_pop_free(chain, X509_free);
		if (!x5c)
			return vci_cli_errorf(&a->cli, "out of memory"), VCI_EXIT_IO;
	}
	o.alg = a->alg;
	o.kid = a->kid;
	o.iss = a->iss;
	o.x5c = x5c;
	o.iat = a->have_iat ? (int64_t)a->iat : vci_time_now();
	o.exp = o.iat + (int64_t)(a->have_exp ? a->exp : 86400);
	o.ttl = a->have_ttl ? (int64_t)a->ttl : ttl;
	vci_outlive_note(&outlive, o.exp);
	if (sl->method == VCI_SL_BITSTRING)
		jwt = vci_statuslist_sign_bitstring(sl, key, &o, &err);
	else if (a->cwt)
		vci_statuslist_sign_cwt(sl, key, &o, &cwt, &clen, &err);
	else
		jwt = vci_statuslist_sign_jwt(sl, key, &o, &err);
	if (!jwt && !cwt)
		return vci_cli_fail(&a->cli, &err, VCI_EXIT_IO);
	out = vci_out_open(a->cli.output, &err);
	if (!out)
		return vci_cli_fail(&a->cli, &err, VCI_EXIT_IO);
	if (jwt)
		fprintf(vci_out_file(out), "%s\n", jwt);
	else
		fwrite(cwt, 1, clen, vci_out_file(out));
	if (vci_out_commit(out, &err) < 0)
		return vci_cli_fail(&a->cli, &err, VCI_EXIT_IO);
	vci_outlive_warn(&outlive, a->cli.prog, "status list token");
	return VCI_EXIT_OK;
}

/* ---- check ---- */

static EVP_PKEY *key_from_x5c(args_t *a, const json_t *x5c, vci_err_t *err)
{
	STACK_OF(X509) *chain = vci_x5c_parse(x5c, err);
	EVP_PKEY *pk = NULL;

	if (!chain)
		return NULL;
	if (vci_x509_verify(chain, a->ca, 0, err) == 0) {
		pk = X509_get_pubkey(sk_X509_value(chain, 0));
		if (!pk)
			vci_err_set(err, VCI_EXIT_KEY, "invalid_certificate", "x5c: no public key");
	}
	sk_X509_pop_free(chain, X509_free);
	return pk;
}

static int cmd_check(void *ctx, int argc, char **argv)
{
	args_t *a = ctx;
	vci_err_t err = { 0 };
	char_auto_t *buf = NULL;
	EVP_PKEY_auto_t *key = NULL;
	vci_sl_token_t tok;
	size_t len = 0;
	unsigned v;
	char name[8];
	int n = !!a->cert + !!a->jwk + !!a->ca;

	if (argc > 1)
		return vci_cli_usage(&a->cli, "check: unexpected argument '%s'", argv[1]);
	if (!a->have_idx)
		return vci_cli_usage(&a->cli, "check: --idx N is required");
	if (n != 1)
		return vci_cli_usage(&a->cli, "check: give exactly one of --cert, --jwk or --ca");
	if (a->cert || a->jwk) {
		key = vci_key_load_public(a->cert ? a->cert : a->jwk, &err);
		if (!key)
			return vci_cli_fail(&a->cli, &err, VCI_EXIT_IO);
	}
	buf = vci_read_file(argc ? argv[0] : NULL, VCI_MAX_DOCUMENT, &len, &err);
	if (!buf)
		return vci_cli_fail(&a->cli, &err, VCI_EXIT_IO);
	if (vci_statuslist_token_parse((const uint8_t *)buf, len, 0, &tok, &err) < 0)
		return vci_cli_fail(&a->cli, &err, VCI_EXIT_IO);
	if (!key) {
		if (!tok.x5c) {
			vci_statuslist_token_free(&tok);
			vci_cli_errorf(&a->cli, "check: the token has no x5c to validate with --ca");
			return VCI_EXIT_FAIL;
		}
		key = key_from_x5c(a, tok.x5c, &err);
		if (!key) {
			vci_statuslist_token_free(&tok);
			return vci_cli_fail(&a->cli, &err, VCI_EXIT_IO);
		}
	}
	if (vci_statuslist_token_verify(&tok, key, NULL, vci_time_now(), a->uri, &err) < 0 ||
	    vci_statuslist_token_status(&tok, a->idx, &v, &err) < 0) {
		vci_statuslist_token_free(&tok);
		return vci_cli_fail(&a->cli, &err, VCI_EXIT_IO);
	}
	printf("%s\n", vci_statuslist_status_name(tok.kind == VCI_SL_TOKEN_BITSTRING ? VCI_SL_BITSTRING :
						  VCI_SL_TSL, tok.purpose, v, name));
	vci_statuslist_token_free(&tok);
	if (fflush(stdout) != 0)
		return VCI_EXIT_IO;
	return v == VCI_SL_VALID ? VCI_EXIT_OK : VCI_EXIT_FAIL;
}

/* ---- export, lists (--db) ---- */

static int cmd_export(void *ctx, int argc, char **argv)
{
	args_t *a = ctx;
	vci_err_t err = { 0 };
	statuslist_auto_t *sl = NULL;

	if (argc)
		return vci_cli_usage(&a->cli, "export: unexpected argument '%s'", argv[0]);
	if (!a->db)
		return vci_cli_usage(&a->cli, "export: --db WHERE is required");
	if (!a->cli.output || !strcmp(a->cli.output, "-"))
		return vci_cli_usage(&a->cli, "export: --output LIST is required");
	if (need_list(a))
		return a->list ? VCI_EXIT_IO : VCI_EXIT_USAGE;
	sl = list_load(a, NULL, &err);
	if (!sl || vci_statuslist_create(a->cli.output, sl, a->force, &err) < 0)
		return vci_cli_fail(&a->cli, &err, VCI_EXIT_IO);
	return VCI_EXIT_OK;
}

static int cmd_lists(void *ctx, int argc, char **argv)
{
	args_t *a = ctx;
	vci_err_t err = { 0 };
	json_auto_t *all = NULL;
	vci_out_t *out;
	size_t i;
	json_t *l;

	if (argc)
		return vci_cli_usage(&a->cli, "lists: unexpected argument '%s'", argv[0]);
	if (!a->db)
		return vci_cli_usage(&a->cli, "lists: --db WHERE is required");
	if (open_store(a) < 0)
		return VCI_EXIT_IO;
	if (vci_store_sl_list(a->st, &all, &err) < 0)
		return vci_cli_fail(&a->cli, &err, VCI_EXIT_IO);
	out = vci_out_open(a->cli.output, &err);
	if (!out)
		return vci_cli_fail(&a->cli, &err, VCI_EXIT_IO);
	json_array_foreach(all, i, l) {
		if (vci_record_write(vci_out_file(out), l, &err) < 0) {
			vci_out_abort(out);
			return vci_cli_fail(&a->cli, &err, VCI_EXIT_IO);
		}
	}
	if (vci_out_commit(out, &err) < 0)
		return vci_cli_fail(&a->cli, &err, VCI_EXIT_IO);
	return VCI_EXIT_OK;
}

static const vci_cli_command_t commands[] = {
	{ "new", cmd_new }, { "alloc", cmd_alloc }, { "set", cmd_set },
	{ "get", cmd_get }, { "sign", cmd_sign }, { "check", cmd_check },
	{ "export", cmd_export }, { "lists", cmd_lists },
};

/* The libraries it runs with besides OpenSSL and jansson (--version). */
static const vci_cli_lib_t libs[] = { VCI_LIB_CBOR, VCI_LIB_ZLIB, VCI_LIB_STORE,
				       VCI_LIB_END };

int main(int argc, char **argv)
{
	args_t a = { 0 };
	int rc;

	vci_cli_init(&a.cli, argv[0]);
	a.cli.libs = libs;
	/* COMMAND first, then its options */
	rc = vci_cli_run_command(&a.cli, argc, argv, commands,
				 sizeof commands / sizeof commands[0], 0, usage, opts, handle, &a);
	if (a.st)
		vci_store_close(a.st);
	return rc;
}
