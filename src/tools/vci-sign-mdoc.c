/* vci-sign-mdoc - ISO/IEC 18013-5 mdoc credentials (OID4VCI mso_mdoc):
 * sign issuance records into base64url IssuerSigned credentials, or
 * verify an IssuerSigned or DeviceResponse. */
#include "base/b64url.h"
#include "pipe/batch.h"
#include "pipe/cli.h"
#include "pipe/libver.h"
#include "pipe/outlive.h"
#include "pipe/sign.h"
#include "oid4vci/issue.h"
#include "oid4vci/policy.h"
#include "crypto/keys.h"
#include "oid4vci/mdoc.h"
#include "pipe/record.h"

#include <ctype.h>
#include <string.h>

enum {
	OPT_DEFN = VCI_OPT_TOOL_BASE,
	OPT_CONFIG,
	OPT_KEY,
	OPT_CERT,
	OPT_ALG,
	OPT_DIGEST_ALG,
	OPT_TIME_PRECISION,
	OPT_RAW,
	OPT_UNCHECKED,
	OPT_CA,
	OPT_AT,
	OPT_DOCTYPE,
};

static const vci_opt_t opts[] = {
	{ "defn", OPT_DEFN, "FILE", "sign: credential definitions (one, or an array); mso_mdoc ones sign" },
	{ "config", OPT_CONFIG, "ID", "sign: sign every record with the definition ID (default: the "
	  "record's credential_configuration_id, or the only mso_mdoc definition)" },
	{ "key", OPT_KEY, "KEY", "sign: document signer private key: a file or an OSSL_STORE URI" },
	{ "pass", VCI_OPT_PASS, "SPEC", "sign: passphrase of KEY: env:VAR, file:PATH or pass:TEXT" },
	{ "cert", OPT_CERT, "CHAIN", "sign: x5chain: PEM certificates, document signer first, no root; "
	  "verify: the document signer certificate the x5chain must start with" },
	{ "alg", OPT_ALG, "ALG", "sign: ES256, ES384, ES512 or EdDSA (default: the key's)" },
	{ "digest-alg", OPT_DIGEST_ALG, "ALG", "sign: valueDigests algorithm: SHA-256 (default), SHA-384, SHA-512" },
	{ "time-precision", OPT_TIME_PRECISION, "P", "sign: round validity times down to second, minute, "
	  "hour, day (default) or N[s|m|h|d]" },
	{ "raw", OPT_RAW, NULL, "sign: write only the credentials, one per line" },
	{ "unchecked-proofs", OPT_UNCHECKED, NULL, "sign: also records whose holder keys were not "
	  "checked by vci-verify-proof --defn (proven elsewhere)" },
	{ "ca", OPT_CA, "FILE", "verify: trust anchors (IACA roots, PEM) for the x5chain" },
	{ "now", OPT_AT, "TIME", "verify: judge validity at TIME (RFC 3339 or epoch seconds; "
	  "default: $VCI_NOW, else the clock)" },
	{ "at", OPT_AT, "TIME", NULL },   /* the former --now, for one release */
	{ "doctype", OPT_DOCTYPE, "DT", "verify: the docType the credential must have" },
	{ 0 },
};

static const char usage[] =
	"[sign] --defn FILE --key KEY --cert CHAIN [OPTION]... [FILE]...\n"
	"  or:  vci-sign-mdoc verify (--ca FILE | --cert FILE) [--now TIME] [--doctype DT] [FILE]\n"
	"Options go after the command.";

typedef struct args {
	vci_cli_t cli;
	const char *defn, *config, *key, *cert, *alg, *digest_alg, *ca, *doctype;
	long precision;
	int64_t at;
	char *pin;              /* verify --cert: the document signer's DER, base64 as x5chain has it */
	STACK_OF(X509) *pin_chain; /* and the certificate */
	int raw;
	int unchecked;
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
	case VCI_OPT_PASS: a->cli.pass = arg; break;
	case OPT_ALG:
		if (strcmp(arg, "ES256") && strcmp(arg, "ES384") && strcmp(arg, "ES512") &&
		    strcmp(arg, "EdDSA"))
			return vci_cli_usage(&a->cli, "--alg: '%s': expected ES256, ES384, ES512 or EdDSA", arg);
		a->alg = arg;
		break;
	case OPT_DIGEST_ALG:
		if (!vci_mdoc_digest_md(arg))
			return vci_cli_usage(&a->cli, "--digest-alg: '%s': expected SHA-256, SHA-384 or SHA-512",
					     arg);
		a->digest_alg = arg;
		break;
	case OPT_TIME_PRECISION:
		if (vci_time_precision_parse(arg, &a->precision, &err) < 0)
			return vci_cli_usage(&a->cli, "%s", err.msg);
		break;
	case OPT_RAW: a->raw = 1; break;
	case OPT_UNCHECKED: a->unchecked = 1; break;
	case OPT_CA: a->ca = arg; break;
	case OPT_AT: return vci_cli_now(&a->cli, "--now", arg, &a->at);
	case OPT_DOCTYPE: a->doctype = arg; break;
	default: return VCI_EXIT_USAGE;
	}
	return 0;
}

/* ---- sign ---- */

static int cmd_sign(void *ctx, int argc, char **argv)
{
	args_t *a = ctx;
	vci_err_t err = { 0 };
	vci_defn_t **defs = NULL;
	size_t ndefs = 0;
	EVP_PKEY_auto_t *key = NULL;
	STACK_OF(X509) *chain = NULL;
	vci_mdoc_issuer_opts_t io = { 0 };
	vci_mdoc_issuer_t *issuer = NULL;
	vci_sign_t s = { 0 };
	vci_batch_stats_t stats = { 0 };
	vci_inputs_t *in;
	vci_out_t *out;
	int rc;

	if (a->ca || a->at || a->doctype)
		return vci_cli_usage(&a->cli, "--ca, --now and --doctype are for verify (VCI_NOW sets the signing time)");
	if (!a->defn || !a->key || !a->cert)
		return vci_cli_usage(&a->cli, "--defn FILE, --key KEY and --cert CHAIN are required");
	if (vci_defn_load(a->defn, &defs, &ndefs, &err) < 0)
		return vci_cli_fail(&a->cli, &err, VCI_EXIT_FAIL);
	if (vci_issue_defn_check(defs, ndefs, 1u << VCI_FORMAT_MDOC, a->config, a->defn, &err) < 0) {
		vci_defn_list_free(defs, ndefs);
		return err.status == VCI_EXIT_USAGE ? vci_cli_usage(&a->cli, "%s", err.msg)
						    : vci_cli_fail(&a->cli, &err, VCI_EXIT_FAIL);
	}
	key = vci_key_load_private(a->key, a->cli.pass, &err);
	if (!key) {
		vci_defn_list_free(defs, ndefs);
		return vci_cli_fail(&a->cli, &err, VCI_EXIT_FAIL);
	}
	chain = vci_x509_load_chain(a->cert, &err);
	if (!chain) {
		vci_defn_list_free(defs, ndefs);
		return vci_cli_fail(&a->cli, &err, VCI_EXIT_FAIL);
	}
	if (vci_outlive_init(&s.outlive, chain, vci_time_now(), &err) < 0) {
		sk_X509_pop_free(chain, X509_free);
		vci_defn_list_free(defs, ndefs);
		vci_err_prefix(&err, "--cert: %s", a->cert);
		return vci_cli_fail(&a->cli, &err, VCI_EXIT_FAIL);
	}
	io.key = key;
	io.alg = a->alg;
	io.chain = chain;
	io.digest_alg = a->digest_alg;
	issuer = vci_mdoc_issuer_new(&io, &err);
	sk_X509_pop_free(chain, X509_free);
	if (!issuer) {
		vci_defn_list_free(defs, ndefs);
		vci_err_prefix(&err, "%s", err.status == VCI_EXIT_KEY ? a->cert : "issuer");
		return vci_cli_fail(&a->cli, &err, VCI_EXIT_FAIL);
	}
	vci_issue_ctx_init(&s.issue, defs, ndefs, a->config, a->precision);
	if (s.outlive.not_after != INT64_MAX)
		s.issue.not_after = s.outlive.not_after;
	vci_issue_ctx_add(&s.issue, &vci_mdoc_ops, issuer);
	s.flags = a->cli.csv ? VCI_ISSUE_CSV : 0;
	s.unchecked = a->unchecked;
	rc = VCI_EXIT_IO;
	in = vci_inputs_open(&a->cli, argc, argv, &err);
	if (!in)
		goto done_err;
	out = vci_out_open(a->cli.output, &err);
	if (!out) {
		vci_inputs_close(in);
		goto done_err;
	}
	rc = vci_batch_run_with(&a->cli, in, vci_out_file(out), vci_sign_one, &s,
				a->raw ? vci_cli_write_credentials : NULL, &a->cli, &stats, &err);
	vci_inputs_close(in);
	if (rc != VCI_EXIT_OK && rc != VCI_EXIT_FAIL) {
		vci_out_abort(out);
		goto done_err;
	}
	if (vci_out_commit(out, &err) < 0)
		goto done_err;
	vci_outlive_warn(&s.outlive, a->cli.prog, "credential");
	vci_mdoc_issuer_free(issuer);
	vci_defn_list_free(defs, ndefs);
	return rc;
done_err:
	vci_mdoc_issuer_free(issuer);
	vci_defn_list_free(defs, ndefs);
	return vci_cli_fail(&a->cli, &err, VCI_EXIT_FAIL);
}

/* ---- verify ---- */

static int is_hex(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!isxdigit((unsigned char)s[i]))
			return 0;
	return n % 2 == 0;
}

static int hexval(int c)
{
	return c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10;
}

/* Write a verified document, the record's "id" (if any) first. */
static int write_with_id(FILE *out, const json_t *d, const json_t *id, vci_err_t *err)
{
	json_auto_t *o = NULL;

	if (!id || json_object_get(d, "id"))
		return vci_record_write(out, d, err);
	o = json_pack("{s:O}", "id", id);
	if (!o || json_object_update(o, (json_t *)d) < 0)
		return vci_err_oom(err);
	return vci_record_write(out, o, err);
}

/* Verify one credential given as text (base64url or hex) or bytes; `id`
 * the record's id, or NULL. */
/* verify --cert: the credential's x5chain starts with the given document
 * signer certificate, which is then what the credential is trusted by. */
static int pinned(const args_t *a, json_t *d, vci_err_t *err)
{
	const char *leaf = json_string_value(json_array_get(json_object_get(d, "x5chain"), 0));

	if (!leaf || strcmp(leaf, a->pin))
		return vci_err_set(err, VCI_EXIT_FAIL, "invalid_credential", "x5chain: the "
				   "document signer is not the certificate of --cert");
	if (vci_x509_chain_current(a->pin_chain, a->at ? a->at : vci_time_now(), err) < 0)
		return vci_err_prefix(err, "--cert: %s", a->cert);
	if (!json_is_true(json_object_get(d, "trusted")))
		json_object_set_new(d, "trusted", json_true());
	return 0;
}

/* Verify one credential given as text (base64url or hex) or bytes. */
static int verify_bytes(const args_t *a, const uint8_t *buf, size_t len, const char *what,
			FILE *out, const json_t *id, vci_err_t *err)
{
	vci_mdoc_verify_opts_t o = { .ca_file = a->ca, .at = a->at, .doctype = a->doctype };
	json_auto_t *res = NULL;
	size_t i;
	json_t *d;

	if (vci_mdoc_verify(buf, len, &o, &res, err) < 0)
		return vci_err_prefix(err, "%s", what);
	json_array_foreach(res, i, d) {
		if (a->pin && pinned(a, d, err) < 0)
			return vci_err_prefix(err, "%s", what);
		if (write_with_id(out, d, id, err) < 0)
			return -1;
	}
	return 0;
}

static int verify_text(const args_t *a, const char *s, size_t n, const char *what, FILE *out,
		       const json_t *id, vci_err_t *err)
{
	uint8_auto_t *bin = NULL;
	size_t blen = 0;

	if (is_hex(s, n)) {
		bin = malloc(n / 2 + 1);
		if (!bin)
			return vci_err_oom(err);
		for (size_t i = 0; i < n / 2; i++)
			bin[i] = (uint8_t)(hexval(s[2 * i]) << 4 | hexval(s[2 * i + 1]));
		blen = n / 2;
	} else if (vci_b64url_decode(s, n, &bin, &blen, err) < 0) {
		return vci_err_prefix(err, "%s", what);
	}
	return verify_bytes(a, bin, blen, what, out, id, err);
}

/* The credential, or each of the credentials, of one signed record. */
static int verify_record(const args_t *a, const json_t *rec, const char *what, FILE *out,
			 vci_err_t *err)
{
	const json_t *one = json_object_get(rec, "credential");
	const json_t *many = json_object_get(rec, "credentials"), *c;
	size_t i, n = 0;
	char w[96];

	if (vci_record_is_error(rec)) {
		/* an earlier stage's error record: it failed there, say so */
		const json_t *e = json_object_get(rec, "error");
		const char *code = json_string_value(json_object_get(e, "code"));
		const char *msg = json_string_value(json_object_get(e, "message"));

		return vci_err_set(err, VCI_EXIT_FAIL, code ? code : "error",
				   "%s: an error record: %s", what, msg ? msg : "");
	}
	if (json_is_string(one)) {
		snprintf(w, sizeof w, "%s: credential", what);
		if (verify_text(a, json_string_value(one), json_string_length(one), w, out,
				json_object_get(rec, "id"), err) < 0)
			return -1;
		n++;
	}
	json_array_foreach(many, i, c) {
		const json_t *s = json_object_get(c, "credential");

		snprintf(w, sizeof w, "%s: credentials[%zu]", what, i);
		if (json_is_string(s)) {
			if (verify_text(a, json_string_value(s), json_string_length(s), w, out,
					json_object_get(rec, "id"), err) < 0)
				return -1;
			n++;
		}
	}
	if (!n)
		return vci_err_set(err, VCI_EXIT_INPUT, "invalid_request",
				   "%s: a record without credential or credentials", what);
	return 0;
}

/* Signed records: one JSON document, or NDJSON (one record per line),
 * the lines read by the shared record reader from the text in memory. */
static int verify_records(const args_t *a, char *text, size_t len, const char *what, FILE *out,
			  vci_err_t *err)
{
	json_auto_t *whole = json_loadb(text, len, JSON_REJECT_DUPLICATES, NULL);
	FILE *f;
	vci_reader_t *r;
	int rc;

	if (whole)
		return verify_record(a, whole, what, out, err);
	f = fmemopen(text, len, "r");
	r = f ? vci_reader_open(f, what, VCI_INPUT_NDJSON, err)
	      : (vci_err_oom(err), NULL);
	if (!r)
		return -1;
	vci_reader_set_limit(r, len);
	for (;;) {
		const char *p;
		size_t n;
		char w[64];
		json_t *bad = NULL;
		json_auto_t *rec = NULL;

		rc = vci_reader_next_raw(r, &p, &n, &bad, err);
		if (bad)
			json_decref(bad);
		if (rc <= 0)
			break;
		snprintf(w, sizeof w, "%s: line %zu", what, vci_reader_line(r));
		while (n && isspace((unsigned char)p[n - 1]))
			n--;
		if (!n)
			continue;
		rec = vci_json_parse(p, n, w, err);
		if (!rec || verify_record(a, rec, w, out, err) < 0) {
			rc = -1;
			break;
		}
	}
	vci_reader_close(r);
	return rc < 0 ? -1 : 0;
}

/* verify --cert: its first certificate (whose validity pinned() checks
 * at the time judged). */
static int pin_load(args_t *a, vci_err_t *err)
{
	STACK_OF(X509) *chain = vci_x509_load_chain(a->cert, err);
	STACK_OF(X509) *leaf = sk_X509_new_null();
	json_auto_t *x5c = NULL;
	int rc = -1;

	if (!chain || !leaf || sk_X509_num(chain) < 1 ||
	    !sk_X509_push(leaf, sk_X509_value(chain, 0))) {
		if (chain && leaf)
			vci_err_oom(err);
		goto out;
	}
	x5c = vci_x5c_from_chain(leaf);
	a->pin = x5c ? strdup(json_string_value(json_array_get(x5c, 0))) : NULL;
	rc = a->pin ? 0 : vci_err_oom(err);
out:
	if (rc < 0) {
		err->status = VCI_EXIT_KEY;
		vci_err_prefix(err, "--cert: %s", a->cert);
	}
	if (rc == 0) {
		X509_up_ref(sk_X509_value(leaf, 0));
		a->pin_chain = leaf;
	} else {
		sk_X509_free(leaf);
	}
	sk_X509_pop_free(chain, X509_free);
	return rc;
}

static int verify_run(args_t *a, int argc, char **argv)
{
	vci_err_t err = { 0 };
	char_auto_t *buf = NULL;
	const char *path = argc ? argv[0] : "-";
	const char *what = argc ? argv[0] : "stdin";
	size_t len = 0, start = 0, total;
	vci_out_t *out;
	int rc;

	if (argc > 1)
		return vci_cli_usage(&a->cli, "verify: one input at a time");
	if (a->defn || a->config || a->key || a->alg || a->digest_alg || a->raw ||
	    a->precision || a->cli.csv || a->unchecked)
		return vci_cli_usage(&a->cli, "verify takes --ca, --cert, --now, --doctype and "
				     "--output only");
	/* a credential signed by anyone must not pass: trust comes from
	 * --ca (the chain) or --cert (the document signer itself) */
	if (!a->ca && !a->cert)
		return vci_cli_usage(&a->cli, "verify: give --ca FILE (trust anchors) or --cert "
				     "FILE (the document signer)");
	if (a->cert && pin_load(a, &err) < 0)
		return vci_cli_fail(&a->cli, &err, VCI_EXIT_FAIL);
	buf = vci_read_file(path, VCI_MDOC_MAX * 2 + 1024, &len, &err);
	if (!buf)
		return vci_cli_fail(&a->cli, &err, VCI_EXIT_FAIL);
	total = len;
	while (start < len && isspace((unsigned char)buf[start]))
		start++;
	while (len > start && isspace((unsigned char)buf[len - 1]))
		len--;
	if (len == start) {
		/* nothing verified must not pass a CI step */
		vci_cli_errorf(&a->cli, "verify: no credential in the input");
		return VCI_EXIT_FAIL;
	}
	out = vci_out_open(a->cli.output, &err);
	if (!out)
		return vci_cli_fail(&a->cli, &err, VCI_EXIT_FAIL);
	if (len > start && buf[start] == '{') {
		/* signed records, one per line (NDJSON) or one document */
		rc = verify_records(a, buf + start, len - start, what, vci_out_file(out), &err);
	} else if (len > start && (isalnum((unsigned char)buf[start]) || buf[start] == '-' ||
				   buf[start] == '_') &&
		   strspn(buf + start, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") ==
			   len - start) {
		rc = verify_text(a, buf + start, len - start, what, vci_out_file(out), NULL,
				 &err);
	} else {
		/* binary CBOR, as read */
		rc = verify_bytes(a, (const uint8_t *)buf, total, what, vci_out_file(out), NULL,
				  &err);
	}
	if (rc < 0) {
		vci_out_abort(out);
		return vci_cli_fail(&a->cli, &err, VCI_EXIT_FAIL);
	}
	return vci_out_commit(out, &err) < 0 ? vci_cli_fail(&a->cli, &err, VCI_EXIT_FAIL) : VCI_EXIT_OK;
}

static int cmd_verify(void *ctx, int argc, char **argv)
{
	args_t *a = ctx;
	int rc = verify_run(a, argc, argv);

	free(a->pin);
	a->pin = NULL;
	sk_X509_pop_free(a->pin_chain, X509_free);
	a->pin_chain = NULL;
	return rc;
}

static const vci_cli_command_t commands[] = {
	{ "sign", cmd_sign }, /* the default */
	{ "verify", cmd_verify },
};

/* The libraries it runs with besides OpenSSL and jansson (--version). */
static const vci_cli_lib_t libs[] = { VCI_LIB_CBOR, VCI_LIB_END };

int main(int argc, char **argv)
{
	args_t a = { 0 };

	vci_cli_init(&a.cli, argv[0]);
	a.cli.libs = libs;
	return vci_cli_run_command(&a.cli, argc, argv, commands,
				   sizeof commands / sizeof commands[0], 1, usage, opts, handle, &a);
}
