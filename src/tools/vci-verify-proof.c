/* vci-verify-proof - the issuer's gate before binding a credential to a
 * key: verify wallet proofs of possession in issuance records (or one
 * given proof), make and check self-verifying c_nonce values, verify DPoP
 * proofs and wallet attestations. */
#include "pipe/batch.h"
#include "pipe/cli.h"
#include "pipe/libver.h"
#include "oid4vci/dpop.h"
#include "crypto/keys.h"
#include "crypto/nonce.h"
#include "oid4vci/issue.h"
#include "oid4vci/policy.h"
#include "oid4vci/proof.h"
#include "pipe/record.h"

#include <string.h>
#include <time.h>

enum {
	OPT_AUD = VCI_OPT_TOOL_BASE,
	OPT_CLIENT_ID,
	OPT_ALG,
	OPT_CA,
	OPT_TRUST,
	OPT_TRUST_JWKS,
	OPT_REQUIRE_KA,
	OPT_MAX_AGE,
	OPT_SKEW,
	OPT_NOW,
	OPT_NONCE,
	OPT_NONCE_KEY,
	OPT_PROOF,
	OPT_PROOF_FILE,
	OPT_TTL,
	OPT_HTM,
	OPT_HTU,
	OPT_ATH,
	OPT_DPOP_NONCE,
	OPT_JKT,
	OPT_JTI_CACHE,
	OPT_CHALLENGE,
	OPT_ATTESTATION,
	OPT_ATTESTATION_FILE,
	OPT_POP,
	OPT_POP_FILE,
	OPT_KEY_STORAGE,
	OPT_USER_AUTH,
	OPT_DEFN,
	OPT_CONFIG,
};

static const vci_opt_t opts[] = {
	{ "aud", OPT_AUD, "URL", "the credential issuer identifier proofs must name (required); "
	  "wallet-attestation: the PoP audience" },
	{ "defn", OPT_DEFN, "FILE", "verify: apply the proof policy of the record's definition "
	  "(one, or an array)" },
	{ "config", OPT_CONFIG, "ID", "verify: the definition of every record (default: the "
	  "record's credential_configuration_id)" },
	{ "client-id", OPT_CLIENT_ID, "ID", "the proof iss (or attestation sub) must equal ID" },
	{ "alg", OPT_ALG, "ALG[,ALG]", "allowed algorithms (default ES256,ES384,ES512,EdDSA,PS256,RS256)" },
	{ "ca", OPT_CA, "FILE", "trust anchors (PEM) for proofs that carry x5c" },
	{ "trust", OPT_TRUST, "FILE", "trust anchors (PEM) for key and wallet attestations" },
	{ "trust-jwks", OPT_TRUST_JWKS, "FILE", "attester keys (JWK Set) for attestations signed by kid" },
	{ "require-key-attestation", OPT_REQUIRE_KA, NULL, "refuse proofs without a key attestation" },
	{ "max-age", OPT_MAX_AGE, "S", "seconds a proof's iat may lie in the past (default 300)" },
	{ "skew", OPT_SKEW, "S", "seconds a proof's iat may lie in the future (default 60)" },
	{ "now", OPT_NOW, "TIME", "judge times as of TIME: RFC 3339 or epoch seconds (default: "
	  "$VCI_NOW, else the clock)" },
	{ "nonce", OPT_NONCE, "N", "proofs must carry this c_nonce" },
	{ "nonce-key", OPT_NONCE_KEY, "FILE", "nonce: key file; verify: proofs must carry a live "
	  "c_nonce made with it" },
	{ "proof", OPT_PROOF, "JWT", "verify this proof instead of reading records (dpop: the DPoP proof)" },
	{ "proof-file", OPT_PROOF_FILE, "FILE", "as --proof, read from FILE" },
	{ "ttl", OPT_TTL, "S", "nonce: lifetime of the c_nonce (default 300)" },
	{ "htm", OPT_HTM, "METHOD", "dpop: the request's HTTP method" },
	{ "htu", OPT_HTU, "URL", "dpop: the request URI (compared normalised, query and fragment ignored)" },
	{ "ath", OPT_ATH, "TOKEN", "dpop: the access token presented; ath must be its hash" },
	{ "dpop-nonce", OPT_DPOP_NONCE, "N", "dpop: the DPoP-Nonce the server issued" },
	{ "jkt", OPT_JKT, "JKT", "dpop: the thumbprint the access token is bound to (cnf.jkt)" },
	{ "jti-cache", OPT_JTI_CACHE, "FILE", "dpop, wallet-attestation: refuse a jti seen within the window" },
	{ "challenge", OPT_CHALLENGE, "C", "wallet-attestation: the challenge the PoP must carry" },
	{ "attestation", OPT_ATTESTATION, "JWT", "wallet-attestation: the client attestation" },
	{ "attestation-file", OPT_ATTESTATION_FILE, "FILE", "wallet-attestation: read it from FILE" },
	{ "pop", OPT_POP, "JWT", "wallet-attestation: the attestation proof of possession" },
	{ "pop-file", OPT_POP_FILE, "FILE", "wallet-attestation: read it from FILE" },
	{ "key-storage", OPT_KEY_STORAGE, "LEVEL[,LEVEL]", "a key attestation must state one of "
	  "these key_storage levels (implies --require-key-attestation)" },
	{ "user-auth", OPT_USER_AUTH, "LEVEL[,LEVEL]", "a key attestation must state one of "
	  "these user_authentication levels (implies --require-key-attestation)" },
	{ 0 },
};

static const char usage[] =
	"[COMMAND] [OPTION]... [FILE]...\n"
	"  [verify] --aud URL [--nonce N | --nonce-key F] [FILE]...   proofs in records\n"
	"  [verify] --aud URL --proof JWT | --proof-file F            one proof\n"
	"  nonce --nonce-key FILE [--ttl S]                           a new c_nonce\n"
	"  dpop --htm M --htu URL [--ath TOKEN] [--dpop-nonce N] [--jti-cache F] < PROOF\n"
	"  wallet-attestation --trust F | --trust-jwks F --aud URL --attestation JWT --pop JWT\n"
	"Options go after COMMAND.";

#define MAX_ALGS 8

typedef struct args {
	vci_cli_t cli;
	const char *aud, *client_id, *ca, *trust, *trust_jwks, *nonce, *nonce_key, *proof, *proof_file;
	const char *htm, *htu, *ath, *dpop_nonce, *jkt, *jti_cache, *challenge;
	const char *att, *att_file, *pop, *pop_file, *defn, *config;
	const char *algs[MAX_ALGS + 1];
	char alg_buf[128];
	unsigned long max_age, skew, now, ttl;
	int have_ttl, require_ka;
	json_t *levels;   /* {"key_storage": [...], "user_authentication": [...]} or NULL */
} args_t;

/* --key-storage / --user-auth: the levels of a configuration's
 * key_attestations_required (OpenID4VCI 1.0 Appendix D.2), which the
 * library checks as the server does for a definition that names them. */
static int parse_levels(args_t *a, const char *name, const char *member, const char *arg)
{
	json_t *list = json_array();
	char_auto_t *copy = strdup(arg);
	char *save = NULL;

	if (!list || !copy || (!a->levels && !(a->levels = json_object()))) {
		json_decref(list);
		return vci_cli_usage(&a->cli, "%s: out of memory", name);
	}
	for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save))
		json_array_append_new(list, json_string(t));
	if (!json_array_size(list)) {
		json_decref(list);
		return vci_cli_usage(&a->cli, "%s: empty list", name);
	}
	json_object_set_new(a->levels, member, list);
	a->require_ka = 1;
	return 0;
}

static int parse_algs(args_t *a, const char *arg)
{
	static const char *const known[] = { "ES256", "ES384", "ES512", "EdDSA", "Ed25519",
					     "PS256", "RS256" };
	size_t n = 0;
	char *save = NULL;

	if (strlen(arg) >= sizeof a->alg_buf)
		return vci_cli_usage(&a->cli, "--alg: list too long");
	snprintf(a->alg_buf, sizeof a->alg_buf, "%s", arg);
	for (char *t = strtok_r(a->alg_buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		size_t i;

		for (i = 0; i < sizeof known / sizeof known[0]; i++)
			if (!strcmp(known[i], t))
				break;
		if (i == sizeof known / sizeof known[0])
			return vci_cli_usage(&a->cli, "--alg: \"%s\" is not an asymmetric signature "
					     "algorithm we verify", t);
		if (n == MAX_ALGS)
			return vci_cli_usage(&a->cli, "--alg: too many algorithms");
		a->algs[n++] = t;
	}
	if (!n)
		return vci_cli_usage(&a->cli, "--alg: empty list");
	a->algs[n] = NULL;
	return 0;
}

static int handle(void *ctx, int val, const char *arg)
{
	args_t *a = ctx;

	switch (val) {
	case OPT_AUD: a->aud = arg; break;
	case OPT_CLIENT_ID: a->client_id = arg; break;
	case OPT_ALG: return parse_algs(a, arg);
	case OPT_CA: a->ca = arg; break;
	case OPT_TRUST: a->trust = arg; break;
	case OPT_TRUST_JWKS: a->trust_jwks = arg; break;
	case OPT_REQUIRE_KA: a->require_ka = 1; break;
	case OPT_KEY_STORAGE: return parse_levels(a, "--key-storage", "key_storage", arg);
	case OPT_USER_AUTH: return parse_levels(a, "--user-auth", "user_authentication", arg);
	case OPT_MAX_AGE:
		return vci_cli_uint(&a->cli, "--max-age", arg, 1, 86400 * 366, &a->max_age);
	case OPT_SKEW: return vci_cli_uint(&a->cli, "--skew", arg, 1, 86400, &a->skew);
	case OPT_NOW: {
		int64_t t = 0;
		int rc = vci_cli_now(&a->cli, "--now", arg, &t);

		a->now = (unsigned long)t;
		return rc;
	}
	case OPT_NONCE: a->nonce = arg; break;
	case OPT_NONCE_KEY: a->nonce_key = arg; break;
	case OPT_PROOF: a->proof = arg; break;
	case OPT_PROOF_FILE: a->proof_file = arg; break;
	case OPT_TTL:
		a->have_ttl = 1;
		return vci_cli_uint(&a->cli, "--ttl", arg, 1, 86400 * 30, &a->ttl);
	case OPT_HTM: a->htm = arg; break;
	case OPT_HTU: a->htu = arg; break;
	case OPT_ATH: a->ath = arg; break;
	case OPT_DPOP_NONCE: a->dpop_nonce = arg; break;
	case OPT_JKT: a->jkt = arg; break;
	case OPT_JTI_CACHE: a->jti_cache = arg; break;
	case OPT_CHALLENGE: a->challenge = arg; break;
	case OPT_ATTESTATION: a->att = arg; break;
	case OPT_ATTESTATION_FILE: a->att_file = arg; break;
	case OPT_POP: a->pop = arg; break;
	case OPT_POP_FILE: a->pop_file = arg; break;
	case OPT_DEFN: a->defn = arg; break;
	case OPT_CONFIG: a->config = arg; break;
	default: return VCI_EXIT_USAGE;
	}
	return 0;
}

/* A token from an option, a file, or stdin; surrounding whitespace dropped. */
static char *read_token(const char *value, const char *file, const char *what, size_t *len,
			vci_err_t *err)
{
	char *buf;
	size_t n = 0, start = 0;

	if (value) {
		buf = strdup(value);
		n = buf ? strlen(buf) : 0;
	} else {
		buf = vci_read_file(file, VCI_PROOF_MAX + 4096, &n, err);
		if (!buf) {
			vci_err_prefix(err, "%s", what);
			return NULL;
		}
	}
	if (!buf) {
		vci_err_oom_at(err, what);
		return NULL;
	}
	while (n && strchr(" \t\r\n", buf[n - 1]))
		buf[--n] = '\0';
	while (start < n && strchr(" \t\r\n", buf[start]))
		start++;
	memmove(buf, buf + start, n - start + 1);
	*len = n - start;
	return buf;
}

static int64_t now_of(const args_t *a)
{
	return a->now ? (int64_t)a->now : vci_time_now();
}

/* ---- verify ---- */

typedef struct verify_ctx {
	vci_proof_policy_t policy;
	vci_wallet_policy_t wallet;   /* for definitions requiring a wallet attestation */
	int have_wallet;              /* --trust or --trust-jwks given */
	vci_defn_t **defs;            /* --defn, or NULL */
	size_t ndefs;
	const char *config;
} verify_ctx_t;

#define ALL_FORMATS (1u << VCI_FORMAT_SDJWT | 1u << VCI_FORMAT_MDOC | 1u << VCI_FORMAT_JWTVC)

static int verify_one(void *ctx, json_t *rec, json_t **result, vci_err_t *err)
{
	verify_ctx_t *v = ctx;
	const vci_defn_t *d;

	if (!v->defs) {
		if (vci_proof_verify_record(rec, &v->policy, err) < 0)
			return -1;
	} else {
		d = vci_issue_defn_select(v->defs, v->ndefs, ALL_FORMATS, v->config, rec, err);
		if (!d || vci_policy_verify_record(d, &v->policy, v->have_wallet ? &v->wallet : NULL,
						   0, rec, err) < 0)
			return -1;
	}
	*result = json_incref(rec);
	return 0;
}

/* --defn: the definitions, checked once. */
static int verify_defs(args_t *a, verify_ctx_t *v, vci_err_t *err)
{
	if (!a->defn)
		return a->config ? vci_cli_usage(&a->cli, "--config needs --defn") : 0;
	if (vci_defn_load(a->defn, &v->defs, &v->ndefs, err) < 0 ||
	    vci_issue_defn_check(v->defs, v->ndefs, ALL_FORMATS, a->config, a->defn, err) < 0)
		return vci_cli_fail(&a->cli, err, VCI_EXIT_INPUT);
	v->config = a->config;
	v->have_wallet = a->trust || a->trust_jwks;
	v->wallet.trust_file = a->trust;
	v->wallet.aud = a->aud;
	v->wallet.client_id = a->client_id;
	v->wallet.algs = a->algs[0] ? a->algs : NULL;
	v->wallet.max_age = (long)a->max_age;
	v->wallet.skew = (long)a->skew;
	v->wallet.now = (int64_t)a->now;
	return 0;
}


/* --proof / --proof-file: one proof, as a record of its own. */
static int verify_proof_arg(args_t *a, verify_ctx_t *v, vci_err_t *err)
{
	json_auto_t *rec = NULL;
	char_auto_t *tok = NULL;
	vci_out_t *out;
	json_t *res = NULL;
	size_t len = 0;

	tok = read_token(a->proof, a->proof_file, "--proof-file", &len, err);
	if (!tok)
		return vci_cli_fail(&a->cli, err, VCI_EXIT_FAIL);
	rec = json_pack("{s:{s:[s#]}}", "proofs", "jwt", tok, (int)len);
	if (!rec)
		return vci_cli_fail(&a->cli, err, VCI_EXIT_FAIL);
	if (a->config)
		json_object_set_new(rec, "credential_configuration_id", json_string(a->config));
	if (verify_one(v, rec, &res, err) < 0)
		return vci_cli_fail(&a->cli, err, VCI_EXIT_FAIL);
	json_decref(res);
	json_object_del(rec, "proofs");
	out = vci_out_open(a->cli.output, err);
	if (!out)
		return vci_cli_fail(&a->cli, err, VCI_EXIT_FAIL);
	if (vci_record_write(vci_out_file(out), rec, err) < 0) {
		vci_out_abort(out);
		return vci_cli_fail(&a->cli, err, VCI_EXIT_FAIL);
	}
	return vci_out_commit(out, err) < 0 ? vci_cli_fail(&a->cli, err, VCI_EXIT_FAIL) : VCI_EXIT_OK;
}

/* Records from files or stdin. */
static int verify_records(args_t *a, verify_ctx_t *v, int argc, char **argv, vci_err_t *err)
{
	vci_batch_stats_t stats = { 0 };
	vci_inputs_t *in = vci_inputs_open(&a->cli, argc, argv, err);
	vci_out_t *out;
	int rc;

	if (!in)
		return vci_cli_fail(&a->cli, err, VCI_EXIT_FAIL);
	out = vci_out_open(a->cli.output, err);
	if (!out) {
		vci_inputs_close(in);
		return vci_cli_fail(&a->cli, err, VCI_EXIT_FAIL);
	}
	rc = vci_batch_run(&a->cli, in, vci_out_file(out), verify_one, v, &stats, err);
	vci_inputs_close(in);
	if (rc != VCI_EXIT_OK && rc != VCI_EXIT_FAIL) {
		vci_out_abort(out);
		return vci_cli_fail(&a->cli, err, VCI_EXIT_FAIL);
	}
	if (vci_out_commit(out, err) < 0)
		return vci_cli_fail(&a->cli, err, VCI_EXIT_FAIL);
	return rc;
}

static int cmd_verify(void *ctx, int argc, char **argv)
{
	args_t *a = ctx;
	vci_err_t err = { 0 };
	verify_ctx_t v = { 0 };
	vci_nonce_key_t *nk = NULL;
	json_auto_t *jwks = NULL;
	int rc;

	if (!a->aud)
		return vci_cli_usage(&a->cli, "--aud URL (the credential issuer identifier) is required");
	if (a->nonce && a->nonce_key)
		return vci_cli_usage(&a->cli, "give --nonce or --nonce-key, not both");
	if (a->proof && a->proof_file)
		return vci_cli_usage(&a->cli, "give --proof or --proof-file, not both");
	if ((a->proof || a->proof_file) && (argc || a->cli.csv))
		return vci_cli_usage(&a->cli, "--proof takes no record input");
	if (a->trust_jwks && !(jwks = vci_jwks_load(a->trust_jwks, &err)))
		return vci_cli_fail(&a->cli, &err, VCI_EXIT_FAIL);
	rc = verify_defs(a, &v, &err);
	if (rc)
		return rc;
	if (a->nonce_key && !(nk = vci_nonce_key_load(a->nonce_key, &err))) {
		vci_defn_list_free(v.defs, v.ndefs);
		return vci_cli_fail(&a->cli, &err, VCI_EXIT_FAIL);
	}
	v.wallet.trust_jwks = jwks;
	v.policy.aud = a->aud;
	v.policy.trust_jwks = jwks;
	v.policy.client_id = a->client_id;
	v.policy.algs = a->algs[0] ? a->algs : NULL;
	v.policy.ca_file = a->ca;
	v.policy.trust_file = a->trust;
	v.policy.require_key_attestation = a->require_ka;
	v.policy.key_attestation_levels = a->levels;
	v.policy.max_age = (long)a->max_age;
	v.policy.skew = (long)a->skew;
	v.policy.now = (int64_t)a->now;
	v.policy.nonce = a->nonce;
	v.policy.nonce_key = nk;
	if (a->proof || a->proof_file)
		rc = verify_proof_arg(a, &v, &err);
	else
		rc = verify_records(a, &v, argc, argv, &err);
	vci_nonce_key_free(nk);
	vci_defn_list_free(v.defs, v.ndefs);
	return rc;
}

/* ---- nonce ---- */

static int cmd_nonce(void *ctx, int argc, char **argv)
{
	args_t *a = ctx;
	vci_err_t err = { 0 };
	vci_nonce_key_t *nk;
	char_auto_t *n = NULL;
	json_auto_t *j = NULL;
	unsigned long ttl = a->have_ttl ? a->ttl : 300;

	if (argc)
		return vci_cli_usage(&a->cli, "nonce: unexpected argument '%s'", argv[0]);
	if (!a->nonce_key)
		return vci_cli_usage(&a->cli, "nonce: --nonce-key FILE is required");
	nk = vci_nonce_key_load(a->nonce_key, &err);
	if (!nk)
		return vci_cli_fail(&a->cli, &err, VCI_EXIT_FAIL);
	n = vci_nonce_new(nk, now_of(a), ttl, &err);
	vci_nonce_key_free(nk);
	if (!n)
		return vci_cli_fail(&a->cli, &err, VCI_EXIT_FAIL);
	j = json_pack("{s:s,s:I}", "c_nonce", n, "c_nonce_expires_in", (json_int_t)ttl);
	if (!j || vci_record_write(stdout, j, &err) < 0 || fflush(stdout) != 0)
		return VCI_EXIT_IO;
	return VCI_EXIT_OK;
}

/* ---- dpop ---- */

static int cmd_dpop(void *ctx, int argc, char **argv)
{
	args_t *a = ctx;
	vci_err_t err = { 0 };
	vci_dpop_policy_t p = { 0 };
	vci_dpop_result_t r;
	char_auto_t *tok = NULL;
	json_auto_t *j = NULL;
	size_t len = 0;

	if (argc > 1 || (argc == 1 && (a->proof || a->proof_file)))
		return vci_cli_usage(&a->cli, "dpop: unexpected argument '%s'", argv[argc - 1]);
	if (!a->htm || !a->htu)
		return vci_cli_usage(&a->cli, "dpop: --htm METHOD and --htu URL are required");
	if (a->proof && a->proof_file)
		return vci_cli_usage(&a->cli, "dpop: give --proof or --proof-file, not both");
	{
		char *n = vci_dpop_htu_normalize(a->htu, &err);

		if (!n)
			return vci_cli_usage(&a->cli, "dpop: --htu: %s", err.msg);
		free(n);
	}
	tok = read_token(a->proof, a->proof_file ? a->proof_file : argc ? argv[0] : NULL,
			 "DPoP proof", &len, &err);
	if (!tok)
		return vci_cli_fail(&a->cli, &err, VCI_EXIT_FAIL);
	p.htm = a->htm;
	p.htu = a->htu;
	p.access_token = a->ath;
	p.nonce = a->dpop_nonce;
	p.jkt = a->jkt;
	p.algs = a->algs[0] ? a->algs : NULL;
	p.max_age = (long)a->max_age;
	p.skew = (long)a->skew;
	p.now = (int64_t)a->now;
	if (vci_dpop_verify(tok, len, &p, &r, &err) < 0)
		return vci_cli_fail(&a->cli, &err, VCI_EXIT_FAIL);
	if (a->jti_cache) {
		long window = (long)(a->max_age ? a->max_age : 300) + (long)(a->skew ? a->skew : 60);
		int64_t now = now_of(a);
		int64_t base = (int64_t)r.iat > now ? (int64_t)r.iat : now;

		if (vci_jti_cache_add(a->jti_cache, a->htu, r.jti, now, base + window, &err) < 0) {
			vci_dpop_result_free(&r);
			return vci_cli_fail(&a->cli, &err, VCI_EXIT_FAIL);
		}
	}
	j = json_pack("{s:s,s:s}", "jkt", r.jkt, "jti", r.jti);
	vci_dpop_result_free(&r);
	if (!j || vci_record_write(stdout, j, &err) < 0 || fflush(stdout) != 0)
		return VCI_EXIT_IO;
	return VCI_EXIT_OK;
}

/* ---- wallet-attestation ---- */

static int cmd_wallet(void *ctx, int argc, char **argv)
{
	args_t *a = ctx;
	vci_err_t err = { 0 };
	vci_wallet_policy_t p = { 0 };
	char_auto_t *att = NULL;
	char_auto_t *pop = NULL;
	json_auto_t *res = NULL;
	json_auto_t *jwks = NULL;
	size_t alen = 0, plen = 0;

	if (argc)
		return vci_cli_usage(&a->cli, "wallet-attestation: unexpected argument '%s'", argv[0]);
	if ((!a->trust && !a->trust_jwks) || !a->aud)
		return vci_cli_usage(&a->cli, "wallet-attestation: --trust FILE (or --trust-jwks FILE) "
				     "and --aud URL are required");
	if (!!a->att + !!a->att_file != 1 || !!a->pop + !!a->pop_file != 1)
		return vci_cli_usage(&a->cli, "wallet-attestation: give the attestation "
				     "(--attestation or --attestation-file) and the PoP "
				     "(--pop or --pop-file)");
	if (a->att_file && a->pop_file && !strcmp(a->att_file, "-") && !strcmp(a->pop_file, "-"))
		return vci_cli_usage(&a->cli, "wallet-attestation: only one input can be stdin");
	if (a->trust_jwks && !(jwks = vci_jwks_load(a->trust_jwks, &err)))
		return vci_cli_fail(&a->cli, &err, VCI_EXIT_FAIL);
	att = read_token(a->att, a->att_file, "attestation", &alen, &err);
	if (!att)
		return vci_cli_fail(&a->cli, &err, VCI_EXIT_FAIL);
	pop = read_token(a->pop, a->pop_file, "PoP", &plen, &err);
	if (!pop)
		return vci_cli_fail(&a->cli, &err, VCI_EXIT_FAIL);
	p.trust_file = a->trust;
	p.trust_jwks = jwks;
	p.aud = a->aud;
	p.challenge = a->challenge;
	p.client_id = a->client_id;
	p.algs = a->algs[0] ? a->algs : NULL;
	p.max_age = (long)a->max_age;
	p.skew = (long)a->skew;
	p.now = (int64_t)a->now;
	if (vci_proof_verify_wallet_attestation(att, alen, pop, plen, &p, &res, &err) < 0)
		return vci_cli_fail(&a->cli, &err, VCI_EXIT_FAIL);
	if (a->jti_cache) {
		int64_t now = now_of(a);
		long window = (long)(a->max_age ? a->max_age : 300) + (long)(a->skew ? a->skew : 60);

		if (vci_jti_cache_add(a->jti_cache, a->aud,
				      json_string_value(json_object_get(res, "jti")), now,
				      now + window, &err) < 0) {
			if (!strcmp(err.code, "invalid_dpop_proof")) {
				snprintf(err.code, sizeof err.code, "invalid_client_attestation");
				snprintf(err.msg, sizeof err.msg,
					 "wallet attestation PoP: \"jti\" already used (replay)");
			}
			return vci_cli_fail(&a->cli, &err, VCI_EXIT_FAIL);
		}
	}
	if (vci_record_write(stdout, res, &err) < 0 || fflush(stdout) != 0)
		return VCI_EXIT_IO;
	return VCI_EXIT_OK;
}

static const vci_cli_command_t commands[] = {
	{ "verify", cmd_verify }, /* the default */
	{ "nonce", cmd_nonce },
	{ "dpop", cmd_dpop },
	{ "wallet-attestation", cmd_wallet },
};

/* The libraries it runs with besides OpenSSL and jansson (--version). */
static const vci_cli_lib_t libs[] = { VCI_LIB_CURL, VCI_LIB_END };

int main(int argc, char **argv)
{
	args_t a = { 0 };
	int rc;

	vci_cli_init(&a.cli, argv[0]);
	a.cli.libs = libs;
	rc = vci_cli_run_command(&a.cli, argc, argv, commands, sizeof commands / sizeof commands[0],
				 1, usage, opts, handle, &a);
	json_decref(a.levels);
	return rc;
}
