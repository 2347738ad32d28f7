/* vci-sign-sdjwt - sign issuance records as SD-JWT VC (dc+sd-jwt) or W3C
 * VC JWT (jwt_vc_json) credentials, and verify SD-JWTs (verify). */
#include "pipe/batch.h"
#include "pipe/cli.h"
#include "pipe/outlive.h"
#include "pipe/sign.h"
#include "base/http.h"
#include "oid4vci/defn.h"
#include "oid4vci/issue.h"
#include "oid4vci/policy.h"
#include "crypto/keys.h"
#include "pipe/record.h"
#include "oid4vci/sdjwt.h"

#include <string.h>

enum {
	OPT_DEFN = VCI_OPT_TOOL_BASE,
	OPT_CONFIG,
	OPT_KEY,
	OPT_CERT,
	OPT_KID,
	OPT_ISSUER,
	OPT_TIME_PRECISION,
	OPT_RAW,
	OPT_UNCHECKED,
	OPT_NOW,
	OPT_FORMAT,
	OPT_LEGACY_TYP,
	OPT_SD_ALG,
	OPT_DECOYS,
	OPT_ALG,
	OPT_JWK,
	OPT_CA,
	OPT_KB_AUD,
	OPT_KB_NONCE,
};

static const vci_opt_t opts[] = {
	{ "defn", OPT_DEFN, "FILE", "sign: credential definitions: one, or an array (required)" },
	{ "config", OPT_CONFIG, "ID", "sign: sign every record with the definition ID (default: the "
	  "record's credential_configuration_id, or the only one that fits)" },
	{ "key", OPT_KEY, "KEY", "sign: issuer signing key: a file or an OSSL_STORE URI (required)" },
	{ "cert", OPT_CERT, "FILE", "certificate chain for the x5c header, leaf first; verify: "
	  "the issuer certificate whose key verifies" },
	{ "kid", OPT_KID, "KID", "sign: kid header (give --cert, --kid or both)" },
	{ "issuer", OPT_ISSUER, "URL", "sign: the credential issuer identifier, the iss claim (required)" },
	{ "time-precision", OPT_TIME_PRECISION, "P", "sign: round iat down to second, minute, hour, day "
	  "or N[smhd] (default day)" },
	{ "raw", OPT_RAW, NULL, "sign: print only the credentials, one per line" },
	{ "now", OPT_NOW, "TIME", "verify: judge exp and nbf at TIME (RFC 3339 or epoch seconds; "
	  "default: $VCI_NOW, else the clock)" },
	{ "unchecked-proofs", OPT_UNCHECKED, NULL, "sign: also records whose holder keys were not "
	  "checked by vci-verify-proof --defn (proven elsewhere)" },
	{ "format", OPT_FORMAT, "FMT", "sign: dc+sd-jwt or jwt_vc_json: sign only with definitions of "
	  "this format (default: either)" },
	{ "legacy-typ", OPT_LEGACY_TYP, NULL, "sign: typ vc+sd-jwt and format vc+sd-jwt (OID4VCI "
	  "draft 13 wallets)" },
	{ "sd-alg", OPT_SD_ALG, "ALG", "sign: disclosure digest: sha-256 (default), sha-384, sha-512" },
	{ "decoys", OPT_DECOYS, "N", "sign: decoy digests per _sd array (default: 1 to 4 at random)" },
	{ "pass", VCI_OPT_PASS, "SPEC", "sign: passphrase of KEY: env:VAR, file:PATH or pass:TEXT" },
	{ "alg", OPT_ALG, "ALG", "JWS alg when the key allows several (RSA: PS256, RS256); "
	  "verify: allowed algs, comma-separated" },
	{ "jwk", OPT_JWK, "FILE", "verify: the issuer's public key (JWK or PEM)" },
	{ "ca", OPT_CA, "FILE", "verify: trust anchors (PEM) the x5c chain must lead to" },
	{ "kb-aud", OPT_KB_AUD, "AUD", "verify: require a KB-JWT with this aud" },
	{ "kb-nonce", OPT_KB_NONCE, "NONCE", "verify: require a KB-JWT with this nonce" },
	{ 0 },
};

static const char usage[] =
	"[sign] --defn FILE --key KEY (--cert FILE | --kid KID) --issuer URL [OPTION]... [FILE]...\n"
	"  verify (--cert FILE | --jwk FILE | --ca FILE) [--kb-aud AUD --kb-nonce N] [FILE]...\n"
	"Options go after COMMAND.";

#define MAX_ALGS 8

typedef struct args {
	vci_cli_t cli;
	const char *defn, *config, *key, *cert, *kid, *issuer, *sd_alg, *alg;
	const char *jwk, *ca, *kb_aud, *kb_nonce;
	const char *algs[MAX_ALGS + 1];
	char alg_buf[128];
	long precision;
	vci_format_t format;
	unsigned long decoys;
	int have_decoys, raw, legacy_typ;
	int unchecked;
	int64_t now;            /* --now, or 0 */
} args_t;

static int handle(void *ctx, int val, const char *arg)
{
	args_t *a = ctx;
	vci_err_t err = { 0 };

	switch (val) {
	case OPT_DEFN: a->defn = arg; break;
	case OPT_CONFIG: a->config = arg; break;
	case OPT_KEY: a->key = arg; break;
	case OPT_CERT: a->cert = arg; break;
	case OPT_KID:
		if (!*arg)
			return vci_cli_usage(&a->cli, "--kid: empty");
		a->kid = arg;
		break;
	case OPT_ISSUER:
		if (!vci_url_is_https(arg, 0))
			return vci_cli_usage(&a->cli, "--issuer: '%s' is not an https URL without "
					     "query or fragment", arg);
		a->issuer = arg;
		break;
	case OPT_TIME_PRECISION:
		if (vci_time_precision_parse(arg, &a->precision, &err) < 0) {
			vci_cli_error(&a->cli, &err);
			return VCI_EXIT_USAGE;
		}
		break;
	case OPT_RAW: a->raw = 1; break;
	case OPT_UNCHECKED: a->unchecked = 1; break;
	case OPT_NOW: return vci_cli_now(&a->cli, "--now", arg, &a->now);
	case OPT_FORMAT:
		a->format = vci_format_parse(arg, 0);
		if (a->format != VCI_FORMAT_SDJWT && a->format != VCI_FORMAT_JWTVC)
			return vci_cli_usage(&a->cli, "--format: '%s': expected dc+sd-jwt or "
					     "jwt_vc_json", arg);
		break;
	case OPT_LEGACY_TYP: a->legacy_typ = 1; break;
	case OPT_SD_ALG:
		if (strcmp(arg, "sha-256") && strcmp(arg, "sha-384") && strcmp(arg, "sha-512"))
			return vci_cli_usage(&a->cli, "--sd-alg: '%s': expected sha-256, sha-384 "
					     "or sha-512", arg);
		a->sd_alg = arg;
		break;
	case OPT_DECOYS:
		a->have_decoys = 1;
		return vci_cli_uint(&a->cli, "decoys", arg, 0, 100, &a->decoys);
	case OPT_ALG: a->alg = arg; break;
	case VCI_OPT_PASS: a->cli.pass = arg; break;
	case OPT_JWK: a->jwk = arg; break;
	case OPT_CA: a->ca = arg; break;
	case OPT_KB_AUD: a->kb_aud = arg; break;
	case OPT_KB_NONCE: a->kb_nonce = arg; break;
	default: return VCI_EXIT_USAGE;
	}
	return 0;
}

/* ---- sign ---- */

static int cmd_sign(void *ctx, int argc, char **argv)
{
	args_t *a = ctx;
	vci_err_t err = { 0 };
	vci_sign_t s = { 0 };
	vci_sdjwt_issuer_opts_t o = { 0 };
	vci_sdjwt_issuer_t *issuer = NULL;
	vci_defn_t **defs = NULL;
	size_t ndefs = 0;
	unsigned formats;
	vci_batch_stats_t stats = { 0 };
	EVP_PKEY_auto_t *key = NULL;
	json_auto_t *x5c = NULL;
	vci_inputs_t *in = NULL;
	vci_out_t *out = NULL;
	int rc;

	if (a->jwk || a->ca || a->kb_aud || a->kb_nonce)
		return vci_cli_usage(&a->cli, "--jwk, --ca, --kb-aud and --kb-nonce are for verify");
	if (a->now)
		return vci_cli_usage(&a->cli, "--now: verify only (VCI_NOW sets the signing time)");
	if (!a->defn)
		return vci_cli_usage(&a->cli, "--defn FILE is required");
	if (!a->key)
		return vci_cli_usage(&a->cli, "--key KEY is required");
	if (!a->issuer)
		return vci_cli_usage(&a->cli, "--issuer URL is required");
	if (!a->cert && !a->kid)
		return vci_cli_usage(&a->cli, "give --cert FILE (x5c) or --kid KID");
	if (a->legacy_typ && a->format == VCI_FORMAT_JWTVC)
		return vci_cli_usage(&a->cli, "--legacy-typ is for dc+sd-jwt");

	formats = a->format ? 1u << a->format : (1u << VCI_FORMAT_SDJWT) | (1u << VCI_FORMAT_JWTVC);
	if (vci_defn_load(a->defn, &defs, &ndefs, &err) < 0)
		return vci_cli_fail(&a->cli, &err, VCI_EXIT_FAIL);
	if (vci_issue_defn_check(defs, ndefs, formats, a->config, a->defn, &err) < 0) {
		rc = err.status == VCI_EXIT_USAGE ? vci_cli_usage(&a->cli, "%s", err.msg)
						  : vci_cli_fail(&a->cli, &err, VCI_EXIT_FAIL);
		goto out;
	}
	key = vci_key_load_private(a->key, a->cli.pass, &err);
	if (!key) {
		rc = vci_cli_fail(&a->cli, &err, VCI_EXIT_FAIL);
		goto out;
	}
	vci_outlive_init(&s.outlive, NULL, 0, NULL);
	if (a->cert) {
		STACK_OF(X509) *chain = vci_x509_load_chain(a->cert, &err);

		if (!chain) {
			err.status = VCI_EXIT_KEY;
			rc = vci_cli_fail(&a->cli, &err, VCI_EXIT_FAIL);
			goto out;
		}
		if (vci_outlive_init(&s.outlive, chain, vci_time_now(), &err) < 0) {
			sk_X509_pop_free(chain, X509_free);
			vci_err_prefix(&err, "--cert: %s", a->cert);
			rc = vci_cli_fail(&a->cli, &err, VCI_EXIT_FAIL);
			goto out;
		}
		if (!vci_x509_matches_key(sk_X509_value(chain, 0), key)) {
			sk_X509_pop_free(chain, X509_free);
			vci_err_set(&err, VCI_EXIT_KEY, "invalid_key",
				    "--cert: %s: the first certificate is not for the signing key",
				    a->cert);
			rc = vci_cli_fail(&a->cli, &err, VCI_EXIT_FAIL);
			goto out;
		}
		x5c = vci_x5c_from_chain(chain);
		sk_X509_pop_free(chain, X509_free);
	}
	o.key = key;
	o.alg = a->alg;
	o.x5c = x5c;
	o.kid = a->kid;
	o.iss = a->issuer;
	o.sd_alg = a->sd_alg;
	o.legacy_typ = a->legacy_typ;
	o.decoys = a->have_decoys ? (int)a->decoys : -1;
	issuer = vci_sdjwt_issuer_new(&o, &err);
	if (!issuer) {
		rc = vci_cli_fail(&a->cli, &err, VCI_EXIT_FAIL);
		goto out;
	}
	vci_issue_ctx_init(&s.issue, defs, ndefs, a->config, a->precision);
	if (s.outlive.not_after != INT64_MAX)
		s.issue.not_after = s.outlive.not_after;
	if (formats & (1u << VCI_FORMAT_SDJWT))
		vci_issue_ctx_add(&s.issue, &vci_sdjwt_ops, issuer);
	if (formats & (1u << VCI_FORMAT_JWTVC))
		vci_issue_ctx_add(&s.issue, &vci_jwtvc_ops, issuer);
	s.flags = a->cli.csv ? VCI_ISSUE_CSV : 0;
	s.unchecked = a->unchecked;
	in = vci_inputs_open(&a->cli, argc, argv, &err);
	if (!in) {
		rc = vci_cli_fail(&a->cli, &err, VCI_EXIT_FAIL);
		goto out;
	}
	out = vci_out_open(a->cli.output, &err);
	if (!out) {
		rc = vci_cli_fail(&a->cli, &err, VCI_EXIT_FAIL);
		goto out;
	}
	rc = vci_batch_run_with(&a->cli, in, vci_out_file(out), vci_sign_one, &s,
				a->raw ? vci_cli_write_credentials : NULL, &a->cli, &stats, &err);
	if (rc != VCI_EXIT_OK && rc != VCI_EXIT_FAIL) {
		vci_out_abort(out);
		rc = vci_cli_fail(&a->cli, &err, VCI_EXIT_FAIL);
	} else if (vci_out_commit(out, &err) < 0) {
		rc = vci_cli_fail(&a->cli, &err, VCI_EXIT_FAIL);
	}
	vci_outlive_warn(&s.outlive, a->cli.prog, "credential");
out:
	vci_inputs_close(in);
	vci_sdjwt_issuer_free(issuer);
	vci_defn_list_free(defs, ndefs);
	return rc;
}

/* ---- verify ---- */

static int parse_algs(args_t *a)
{
	static const char *const known[] = { "ES256", "ES384", "ES512", "EdDSA", "Ed25519",
					     "PS256", "RS256" };
	size_t n = 0;
	char *save = NULL;

	if (!a->alg)
		return 0;
	if (strlen(a->alg) >= sizeof a->alg_buf)
		return vci_cli_usage(&a->cli, "--alg: list too long");
	snprintf(a->alg_buf, sizeof a->alg_buf, "%s", a->alg);
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

/* Verify one credential; write the disclosed claims or an error record. */
/* The record's "id" first, then the other members of obj (the record's
 * id is what ties a verified credential to its row). */
static json_t *with_id(json_t *obj, const json_t *id)
{
	json_t *o;

	if (!id || !obj || json_object_get(obj, "id"))
		return obj;
	o = json_pack("{s:O}", "id", id);
	if (!o || json_object_update(o, obj) < 0) {
		json_decref(o);
		return obj;
	}
	json_decref(obj);
	return o;
}

static int verify_one(args_t *a, const vci_sdjwt_verify_opts_t *o, FILE *out, const char *s,
		      size_t len, const char *name, size_t line, const json_t *id, vci_err_t *werr)
{
	vci_err_t err = { 0 };
	json_t *claims = NULL, *rec;
	int rc;

	if (vci_sdjwt_verify(s, len, o, &claims, &err) == 0) {
		claims = with_id(claims, id);
		rc = vci_record_write(out, claims, werr);
		json_decref(claims);
		return rc < 0 ? -2 : 0;
	}
	if (err.status == VCI_EXIT_USAGE || err.status == VCI_EXIT_KEY || err.status == VCI_EXIT_IO) {
		*werr = err;
		return -2;
	}
	vci_cli_errorf(&a->cli, "%s: line %zu: %s", name, line, err.msg);
	rec = with_id(vci_record_error_from(NULL, &err, line), id);
	rc = rec ? vci_record_write(out, rec, werr) : -1;
	if (rec)
		json_decref(rec);
	return rc < 0 ? -2 : -1;
}

/* One line of input: a signed record (its credential, or each of its
 * credentials) or a credential. Returns 0, or -1 for a fatal error. */
static int verify_line(args_t *a, const vci_sdjwt_verify_opts_t *o, FILE *out, const char *p,
		       size_t len, const char *name, size_t no, size_t *failed, vci_err_t *err)
{
	vci_err_t e = { 0 };
	json_auto_t *rec = NULL;
	const json_t *c, *cs;
	json_t *er;
	size_t k;
	int rc;

	if (*p != '{') {
		rc = verify_one(a, o, out, p, len, name, no, NULL, err);
		*failed += rc == -1;
		return rc == -2 ? -1 : 0;
	}
	rec = vci_json_parse(p, len, "record", &e);
	if (vci_record_is_error(rec)) {
		/* an earlier stage's error record: passed through as it is */
		(*failed)++;
		return vci_record_write(out, rec, err) < 0 ? -1 : 0;
	}
	c = json_object_get(rec, "credential");
	cs = json_object_get(rec, "credentials");
	k = c ? 1 : json_array_size(cs);
	if (rec && !k)
		vci_err_set(&e, VCI_EXIT_FAIL, "invalid_record",
			    "record: no \"credential\" or \"credentials\"");
	if (!rec || !k) {
		er = with_id(vci_record_error_from(NULL, &e, no), json_object_get(rec, "id"));
		vci_cli_errorf(&a->cli, "%s: line %zu: %s", name, no, e.msg);
		(*failed)++;
		rc = er ? vci_record_write(out, er, err) : -1;
		if (er)
			json_decref(er);
		return rc < 0 ? -1 : 0;
	}
	for (size_t i = 0; i < k; i++) {
		const json_t *ci = c ? c : json_object_get(json_array_get(cs, i), "credential");
		const char *str = json_string_value(ci);

		rc = verify_one(a, o, out, str ? str : "", str ? json_string_length(ci) : 0, name, no,
				json_object_get(rec, "id"), err);
		if (rc == -2)
			return -1;
		*failed += rc == -1;
	}
	return 0;
}

/* Every non-blank line of one input, read by the shared record reader
 * (NDJSON lines, unparsed: a line may be a bare credential), counted in
 * *seen. */
static int verify_stream(args_t *a, const vci_sdjwt_verify_opts_t *o, vci_reader_t *r, FILE *out,
			 size_t *failed, size_t *seen, vci_err_t *err)
{
	const char *name = vci_reader_name(r);

	for (;;) {
		const char *p;
		size_t len;
		json_t *bad = NULL;
		int rc = vci_reader_next_raw(r, &p, &len, &bad, err);

		if (bad)
			json_decref(bad); /* only a line over the limit, fatal here */
		if (rc <= 0)
			return rc == 0 ? 0 : -1;
		while (len && strchr(" \t\r\n", p[len - 1]))
			len--;
		while (len && strchr(" \t", *p))
			p++, len--;
		if (!len)
			continue;
		(*seen)++;
		if (verify_line(a, o, out, p, len, name, vci_reader_line(r), failed, err) < 0)
			return -1;
	}
}

static int cmd_verify(void *ctx, int argc, char **argv)
{
	args_t *a = ctx;
	vci_err_t err = { 0 };
	vci_sdjwt_verify_opts_t o = { 0 };
	EVP_PKEY_auto_t *key = NULL;
	vci_out_t *out;
	size_t failed = 0, seen = 0;
	int rc = 0;

	if (a->defn || a->config || a->key || a->kid || a->issuer || a->raw || a->format ||
	    a->legacy_typ || a->sd_alg || a->have_decoys || a->precision || a->cli.csv ||
	    a->unchecked)
		return vci_cli_usage(&a->cli, "verify: takes --cert, --jwk or --ca, --alg, "
				     "--kb-aud, --kb-nonce and --output");
	if (!!a->cert + !!a->jwk + !!a->ca != 1)
		return vci_cli_usage(&a->cli, "verify: give one of --cert FILE, --jwk FILE, --ca FILE");
	if (!a->kb_aud != !a->kb_nonce)
		return vci_cli_usage(&a->cli, "verify: --kb-aud and --kb-nonce go together");
	if ((rc = parse_algs(a)) != 0)
		return rc;
	if (a->cert || a->jwk) {
		key = vci_key_load_public(a->cert ? a->cert : a->jwk, &err);
		if (!key) {
			err.status = VCI_EXIT_KEY;
			return vci_cli_fail(&a->cli, &err, VCI_EXIT_FAIL);
		}
	}
	if (a->ca) {
		/* an unreadable trust anchor file is a key problem, not a bad record */
		STACK_OF(X509) *anchors = vci_x509_load_chain(a->ca, &err);

		if (!anchors) {
			err.status = VCI_EXIT_KEY;
			return vci_cli_fail(&a->cli, &err, VCI_EXIT_FAIL);
		}
		sk_X509_pop_free(anchors, X509_free);
	}
	o.key = key;
	o.ca_file = a->ca;
	o.now = a->now;
	o.algs = a->algs[0] ? a->algs : NULL;
	o.kb_aud = a->kb_aud;
	o.kb_nonce = a->kb_nonce;
	out = vci_out_open(a->cli.output, &err);
	if (!out)
		return vci_cli_fail(&a->cli, &err, VCI_EXIT_FAIL);
	for (int i = 0; i < (argc ? argc : 1) && rc == 0; i++) {
		vci_reader_t *r = vci_reader_open_path(argc ? argv[i] : "-", VCI_INPUT_NDJSON, &err);

		rc = r ? verify_stream(a, &o, r, vci_out_file(out), &failed, &seen, &err) : -1;
		vci_reader_close(r);
	}
	if (rc < 0) {
		vci_out_abort(out);
		return vci_cli_fail(&a->cli, &err, VCI_EXIT_FAIL);
	}
	if (vci_out_commit(out, &err) < 0)
		return vci_cli_fail(&a->cli, &err, VCI_EXIT_FAIL);
	if (!seen) {
		/* nothing verified must not pass a CI step */
		vci_cli_errorf(&a->cli, "verify: no credential in the input");
		return VCI_EXIT_FAIL;
	}
	return failed ? VCI_EXIT_FAIL : VCI_EXIT_OK;
}

static const vci_cli_command_t commands[] = {
	{ "sign", cmd_sign }, /* the default */
	{ "verify", cmd_verify },
};

int main(int argc, char **argv)
{
	args_t a = { 0 };

	vci_cli_init(&a.cli, argv[0]);
	return vci_cli_run_command(&a.cli, argc, argv, commands,
				   sizeof commands / sizeof commands[0], 1, usage, opts, handle, &a);
}
