/* vci-defn - credential definitions: create, import, issuer metadata,
 * type metadata, lint, and claims checks. A thin main over libvci. */
#include "pipe/batch.h"
#include "pipe/cli.h"
#include "oid4vci/defn.h"
#include "crypto/jws.h"
#include "crypto/keys.h"
#include "oid4vci/metadata.h"
#include "oid4vci/profile.h"

#include <string.h>

#define USAGE "COMMAND [OPTION]... [FILE]...\n" \
	"\n" \
	"Commands:\n" \
	"  create [DEFN]             validate and normalise a definition (from DEFN\n" \
	"                            and/or the definition options)\n" \
	"  import [FILE]             convert another product's definition shape\n" \
	"  metadata --issuer URL DEFN...\n" \
	"                            print Credential Issuer Metadata\n" \
	"  type-metadata DEFN        print SD-JWT VC Type Metadata\n" \
	"  lint [FILE]...            check definitions or anybody's issuer metadata\n" \
	"  check-claims DEFN [FILE]...\n" \
	"                            validate records' claims against a definition"

enum {
	OPT_ID = VCI_OPT_TOOL_BASE, OPT_FORMAT, OPT_VCT, OPT_DOCTYPE, OPT_TYPE, OPT_CONTEXT,
	OPT_NAME, OPT_LOCALE, OPT_SCOPE, OPT_CLAIM, OPT_EXPIRY, OPT_STATUS, OPT_BINDING,
	OPT_PROOF_ALG, OPT_KEY_ATT, OPT_WALLET_ATT, OPT_DEFERRED, OPT_ALLOW_UNKNOWN,
	OPT_ISSUER, OPT_CRED_EP, OPT_NONCE_EP, OPT_DEFERRED_EP, OPT_NOTIF_EP, OPT_AS,
	OPT_BATCH, OPT_ISSUER_NAME, OPT_KEY, OPT_CERT, OPT_ALG, OPT_SIGN, OPT_DRAFT13,
	OPT_PRETTY, OPT_PROFILE,
};

static const vci_opt_t opts[] = {
	{ "id", OPT_ID, "ID", "create: configuration id; check-claims, type-metadata: the definition "
	  "to use" },
	{ "format", OPT_FORMAT, "FORMAT", "create: dc+sd-jwt, mso_mdoc or jwt_vc_json" },
	{ "vct", OPT_VCT, "VCT", "create: SD-JWT VC type (dc+sd-jwt)" },
	{ "doctype", OPT_DOCTYPE, "DOCTYPE", "create: mdoc document type (mso_mdoc)" },
	{ "type", OPT_TYPE, "TYPE", "create: W3C VC type, repeatable (jwt_vc_json)" },
	{ "context", OPT_CONTEXT, "URI", "create: W3C VC @context entry, repeatable" },
	{ "name", OPT_NAME, "NAME", "create: display name of the credential" },
	{ "locale", OPT_LOCALE, "TAG", "language of --name and --issuer-name (BCP 47)" },
	{ "scope", OPT_SCOPE, "SCOPE", "create: OAuth scope of the configuration" },
	{ "claim", OPT_CLAIM, "SPEC", "create: PATH[:TYPE][:mandatory][:sd=WHEN], repeatable" },
	{ "expiry-days", OPT_EXPIRY, "N", "create: credential lifetime in days (default 30)" },
	{ "status", OPT_STATUS, "METHOD", "create: none, token_status_list, bitstring_status_list" },
	{ "binding", OPT_BINDING, "METHOD", "create: key binding method (jwk, cose_key, did:...), repeatable" },
	{ "proof-alg", OPT_PROOF_ALG, "ALG", "create: proof signing algorithm, repeatable (default ES256)" },
	{ "key-attestation", OPT_KEY_ATT, NULL, "create: wallets must send key attestations" },
	{ "wallet-attestation", OPT_WALLET_ATT, NULL, "create: wallets must send a wallet attestation" },
	{ "deferred-interval", OPT_DEFERRED, "SECONDS", "create: issue deferred, wallets poll this often" },
	{ "allow-unknown-claims", OPT_ALLOW_UNKNOWN, NULL, "create: accept claims the definition does not list" },
	{ "issuer", OPT_ISSUER, "URL", "metadata: the credential issuer identifier (required)" },
	{ "credential-endpoint", OPT_CRED_EP, "URL", "metadata: credential endpoint (default ISSUER/credential)" },
	{ "nonce-endpoint", OPT_NONCE_EP, "URL", "metadata: nonce endpoint" },
	{ "deferred-endpoint", OPT_DEFERRED_EP, "URL", "metadata: deferred credential endpoint" },
	{ "notification-endpoint", OPT_NOTIF_EP, "URL", "metadata: notification endpoint" },
	{ "authorization-server", OPT_AS, "URL", "metadata: authorization server, repeatable" },
	{ "batch-size", OPT_BATCH, "N", "metadata: batch_credential_issuance batch size (2 or more)" },
	{ "issuer-name", OPT_ISSUER_NAME, "NAME", "metadata: display name of the issuer" },
	{ "key", OPT_KEY, "KEY", "metadata: credential signing key (its alg is advertised)" },
	{ "pass", VCI_OPT_PASS, "SPEC", "passphrase of KEY: env:VAR, file:PATH or pass:TEXT" },
	{ "alg", OPT_ALG, "ALG", "metadata: signing algorithm of KEY (default: the key's)" },
	{ "cert", OPT_CERT, "CHAIN", "metadata: certificate chain of KEY (PEM, leaf first)" },
	{ "sign", OPT_SIGN, NULL, "metadata: print signed metadata (a JWT; see --draft13)" },
	{ "draft13", OPT_DRAFT13, NULL, "metadata: the OID4VCI draft 13 shape for older wallets" },
	{ "pretty", OPT_PRETTY, NULL, "indent JSON output" },
	{ "profile", OPT_PROFILE, "NAME", "lint: also check the rules of a profile (haip)" },
	{ 0 },
};

typedef struct tool {
	vci_cli_t cli;
	json_t *set;        /* create: top-level fields from options */
	json_t *claims;     /* create: --claim */
	json_t *types, *contexts, *bindings, *proof_algs;
	const char *name, *locale, *id;
	int key_att, ncreate;
	vci_metadata_opts_t md;
	const char *as[32];
	const char *key, *cert, *alg;
	int sign, pretty;
	vci_profile_t profile;  /* lint --profile */
} tool_t;

static int claim_spec(tool_t *t, const char *spec)
{
	char *dup = strdup(spec), *save = NULL, *tok, *p;
	json_t *c = json_object(), *path = json_array();
	int first = 1, rc = 0;

	if (!dup)
		return VCI_EXIT_IO;
	for (tok = strtok_r(dup, ":", &save); tok; tok = strtok_r(NULL, ":", &save)) {
		if (first) {
			char *s2 = NULL, *comp;

			first = 0;
			for (comp = strtok_r(tok, "/", &s2); comp; comp = strtok_r(NULL, "/", &s2))
				json_array_append_new(path, strcmp(comp, "*") ? json_string(comp) : json_null());
		} else if (!strcmp(tok, "mandatory")) {
			json_object_set_new(c, "mandatory", json_true());
		} else if (!strncmp(tok, "sd=", 3)) {
			json_object_set_new(c, "sd", json_string(tok + 3));
		} else if ((p = strchr(tok, '='))) {
			rc = vci_cli_usage(&t->cli, "--claim: unknown setting '%s'", tok);
			break;
		} else {
			json_object_set_new(c, "value_type", json_string(tok));
		}
	}
	if (!rc && !json_array_size(path))
		rc = vci_cli_usage(&t->cli, "--claim: no claim path in '%s'", spec);
	json_object_set_new(c, "path", path);
	if (!rc)
		json_array_append(t->claims, c);
	json_decref(c);
	free(dup);
	return rc;
}

static int handle(void *ctx, int val, const char *arg)
{
	tool_t *t = ctx;
	unsigned long v;
	int rc;

	if (val >= OPT_ID && val <= OPT_ALLOW_UNKNOWN && val != OPT_LOCALE && val != OPT_ID)
		t->ncreate++;
	switch (val) {
	case OPT_ID:
		t->id = arg;
		break;
	case OPT_FORMAT:
		json_object_set_new(t->set, "format", json_string(arg));
		break;
	case OPT_VCT:
		json_object_set_new(t->set, "vct", json_string(arg));
		break;
	case OPT_DOCTYPE:
		json_object_set_new(t->set, "doctype", json_string(arg));
		break;
	case OPT_TYPE:
		json_array_append_new(t->types, json_string(arg));
		break;
	case OPT_CONTEXT:
		json_array_append_new(t->contexts, json_string(arg));
		break;
	case OPT_NAME:
		t->name = arg;
		break;
	case OPT_LOCALE:
		if (!vci_defn_is_locale(arg))
			return vci_cli_usage(&t->cli, "--locale: '%s' is not a BCP 47 language tag", arg);
		t->locale = arg;
		break;
	case OPT_SCOPE:
		json_object_set_new(t->set, "scope", json_string(arg));
		break;
	case OPT_CLAIM:
		return claim_spec(t, arg);
	case OPT_EXPIRY:
		if ((rc = vci_cli_uint(&t->cli, "expiry-days", arg, 1, 36500, &v)))
			return rc;
		json_object_set_new(t->set, "expiry_days", json_integer((json_int_t)v));
		break;
	case OPT_STATUS:
		json_object_set_new(t->set, "status", json_string(arg));
		break;
	case OPT_BINDING:
		json_array_append_new(t->bindings, json_string(arg));
		break;
	case OPT_PROOF_ALG:
		json_array_append_new(t->proof_algs, json_string(arg));
		break;
	case OPT_KEY_ATT:
		t->key_att = 1;
		break;
	case OPT_WALLET_ATT:
		json_object_set_new(t->set, "wallet_attestation_required", json_true());
		break;
	case OPT_DEFERRED:
		if ((rc = vci_cli_uint(&t->cli, "deferred-interval", arg, 0, 2592000, &v)))
			return rc;
		json_object_set_new(t->set, "deferred_interval", json_integer((json_int_t)v));
		break;
	case OPT_ALLOW_UNKNOWN:
		json_object_set_new(t->set, "allow_unknown_claims", json_true());
		break;
	case OPT_ISSUER:
		t->md.issuer = arg;
		break;
	case OPT_CRED_EP:
		t->md.credential_endpoint = arg;
		break;
	case OPT_NONCE_EP:
		t->md.nonce_endpoint = arg;
		break;
	case OPT_DEFERRED_EP:
		t->md.deferred_endpoint = arg;
		break;
	case OPT_NOTIF_EP:
		t->md.notification_endpoint = arg;
		break;
	case OPT_AS:
		if (t->md.n_authorization_servers >= sizeof t->as / sizeof t->as[0])
			return vci_cli_usage(&t->cli, "--authorization-server: at most 32");
		t->as[t->md.n_authorization_servers++] = arg;
		break;
	case OPT_BATCH:
		if ((rc = vci_cli_uint(&t->cli, "batch-size", arg, 2, 100000, &v)))
			return rc;
		t->md.batch_size = (unsigned)v;
		break;
	case OPT_ISSUER_NAME:
		t->md.issuer_name = arg;
		break;
	case OPT_KEY:
		t->key = arg;
		break;
	case VCI_OPT_PASS:
		t->cli.pass = arg;
		break;
	case OPT_ALG:
		if (!vci_defn_is_jose_alg(arg))
			return vci_cli_usage(&t->cli, "--alg: '%s' is not a JOSE signature algorithm", arg);
		t->alg = arg;
		break;
	case OPT_CERT:
		t->cert = arg;
		break;
	case OPT_SIGN:
		t->sign = 1;
		break;
	case OPT_DRAFT13:
		t->md.draft13 = 1;
		break;
	case OPT_PRETTY:
		t->pretty = 1;
		break;
	case OPT_PROFILE: {
		vci_err_t err = { 0 };

		if (vci_profile_parse(arg, &t->profile, &err) < 0)
			return vci_cli_usage(&t->cli, "%s", err.msg);
		break;
	}
	default:
		return vci_cli_usage(&t->cli, "unexpected option");
	}
	return 0;
}

static int fail(tool_t *t, const vci_err_t *err)
{
	vci_cli_error(&t->cli, err);
	return err->status ? err->status : VCI_EXIT_INPUT;
}

/* Write a JSON value (or, if text is set, that text) and a newline to
 * --output atomically. */
static int emit(tool_t *t, const json_t *j, const char *text)
{
	vci_err_t err = { 0 };
	vci_out_t *o = vci_out_open(t->cli.output, &err);
	char *s = NULL;

	if (!o)
		return fail(t, &err);
	if (!text) {
		s = vci_json_dumps(j, JSON_PRESERVE_ORDER | JSON_ENCODE_ANY |
			       (t->pretty ? JSON_INDENT(2) : JSON_COMPACT));
		text = s;
	}
	if (!text || fprintf(vci_out_file(o), "%s\n", text) < 0) {
		free(s);
		vci_out_abort(o);
		vci_err_set(&err, VCI_EXIT_IO, "io_error", "write error");
		return fail(t, &err);
	}
	free(s);
	if (vci_out_commit(o, &err) < 0)
		return fail(t, &err);
	return VCI_EXIT_OK;
}

static int no_more(tool_t *t, const char *cmd, int argc, int max)
{
	if (argc > max)
		return vci_cli_usage(&t->cli, "%s: too many arguments", cmd);
	return 0;
}

/* ---- create ---- */

/* What lint asks of every definition and create can fill in: the OAuth
 * scope (the id, when it is a scope token) and a display name (the id). */
static void create_defaults(json_t *doc)
{
	const char *id = json_string_value(json_object_get(doc, "id"));

	if (!id)
		return;
	if (!json_object_get(doc, "scope") && vci_defn_is_scope_token(id))
		json_object_set_new(doc, "scope", json_string(id));
	if (!json_object_get(doc, "display"))
		json_object_set_new(doc, "display", json_pack("[{s:s}]", "name", id));
}

/* What lint would still say of the result, as warnings on stderr. */
static void create_lint(tool_t *t, const json_t *norm)
{
	json_auto_t *findings = json_array();
	const json_t *f;
	size_t i;

	if (!findings)
		return;
	vci_defn_lint(norm, findings);
	json_array_foreach(findings, i, f)
		vci_cli_errorf(&t->cli, "create: warning: %s", json_string_value(f));
}

static int cmd_create(tool_t *t, int argc, char **argv)
{
	vci_err_t err = { 0 };
	json_auto_t *doc = NULL;
	json_auto_t *norm = NULL;
	int rc;

	if ((rc = no_more(t, "create", argc, 1)))
		return rc;
	if (argc == 1 || (t->ncreate == 0 && !t->id)) {
		doc = vci_json_load_file(argc == 1 ? argv[0] : NULL, &err);
		if (!doc)
			return fail(t, &err);
		if (!json_is_object(doc)) {
			vci_err_set(&err, VCI_EXIT_INPUT, "invalid_definition",
				    "%s: a definition is a JSON object", argc ? argv[0] : "stdin");
			return fail(t, &err);
		}
	} else {
		doc = json_object();
	}
	if (t->id)
		json_object_set_new(doc, "id", json_string(t->id));
	json_object_update(doc, t->set);
	if (json_array_size(t->types))
		json_object_set(doc, "type", t->types);
	if (json_array_size(t->contexts))
		json_object_set(doc, "@context", t->contexts);
	if (t->name) {
		json_t *d = json_pack("{s:s}", "name", t->name);

		if (t->locale)
			json_object_set_new(d, "locale", json_string(t->locale));
		json_object_set_new(doc, "display", json_pack("[o]", d));
	}
	if (json_array_size(t->claims)) {
		json_t *c = json_object_get(doc, "claims");

		if (json_is_array(c))
			json_array_extend(c, t->claims);
		else
			json_object_set(doc, "claims", t->claims);
	}
	if (json_array_size(t->bindings) || json_array_size(t->proof_algs) || t->key_att) {
		json_t *kb = json_object_get(doc, "key_binding");

		if (!json_is_object(kb)) {
			kb = json_object();
			json_object_set_new(doc, "key_binding", kb);
		}
		if (json_array_size(t->bindings))
			json_object_set(kb, "methods", t->bindings);
		if (json_array_size(t->proof_algs))
			json_object_set(kb, "proof_algs", t->proof_algs);
		if (t->key_att)
			json_object_set_new(kb, "key_attestation_required", json_true());
	}
	create_defaults(doc);
	norm = vci_defn_normalise(doc, &err);
	if (!norm) {
		vci_err_prefix(&err, "create");
		return fail(t, &err);
	}
	create_lint(t, norm);
	return emit(t, norm, NULL);
}

/* ---- import ---- */

static int cmd_import(tool_t *t, int argc, char **argv)
{
	vci_err_t err = { 0 };
	json_auto_t *in = NULL;
	json_auto_t *log = json_array();
	json_auto_t *out = NULL;
	int rc;

	if ((rc = no_more(t, "import", argc, 1)))
		return rc;
	in = vci_json_load_file(argc ? argv[0] : NULL, &err);
	if (!in)
		return fail(t, &err);
	out = vci_defn_import(in, log, &err);
	for (size_t i = 0; i < json_array_size(log); i++) {
		const json_t *e = json_array_get(log, i);

		if (json_object_get(e, "dropped"))
			vci_cli_errorf(&t->cli, "import: dropped field %s (%s)",
				       json_string_value(json_object_get(e, "dropped")),
				       json_string_value(json_object_get(e, "why")));
		else
			vci_cli_errorf(&t->cli, "import: %s: %s",
				       json_string_value(json_object_get(e, "field")),
				       json_string_value(json_object_get(e, "note")));
	}
	if (!out) {
		vci_err_prefix(&err, "import");
		return fail(t, &err);
	}
	return emit(t, json_array_size(out) == 1 ? json_array_get(out, 0) : out, NULL);
}

/* ---- definitions from files ---- */

typedef struct defs {
	vci_defn_t **v;
	size_t n;
} defs_t;

static void defs_free(defs_t *d)
{
	vci_defn_list_free(d->v, d->n);
}

static int load_defs(tool_t *t, int argc, char **argv, defs_t *out)
{
	vci_err_t err = { 0 };

	out->v = NULL;
	out->n = 0;
	for (int i = 0; i < argc; i++) {
		vci_defn_t **v, **all;
		size_t n;

		if (vci_defn_load(argv[i], &v, &n, &err) < 0)
			return fail(t, &err);
		all = realloc(out->v, (out->n + n) * sizeof *all);
		if (!all) {
			vci_defn_list_free(v, n);
			vci_err_oom(&err);
			return fail(t, &err);
		}
		memcpy(all + out->n, v, n * sizeof *v);
		free(v);
		out->v = all;
		out->n += n;
	}
	return 0;
}

/* ---- metadata ---- */

static int cmd_metadata(tool_t *t, int argc, char **argv)
{
	vci_err_t err = { 0 };
	defs_t defs __attribute__((cleanup(defs_free))) = { 0 };
	EVP_PKEY_auto_t *key = NULL;
	json_auto_t *md = NULL;
	STACK_OF(X509) *chain = NULL;
	const char *alg = t->alg;
	char *jwt = NULL;
	int rc;

	if (!t->md.issuer)
		return vci_cli_usage(&t->cli, "metadata: --issuer URL is required");
	if (argc < 1)
		return vci_cli_usage(&t->cli, "metadata: no definition given");
	if (t->sign && (!t->key || !t->cert))
		return vci_cli_usage(&t->cli, "metadata: --sign needs --key and --cert");
	if (t->cert && !t->sign)
		return vci_cli_usage(&t->cli, "metadata: --cert is used only with --sign");
	if (t->alg && !t->key)
		return vci_cli_usage(&t->cli, "metadata: --alg needs --key");
	if ((rc = load_defs(t, argc, argv, &defs)))
		return rc;
	if (t->key) {
		key = vci_key_load_private(t->key, t->cli.pass, &err);
		if (!key)
			return fail(t, &err);
		if (!alg && !(alg = vci_key_default_alg(key))) {
			vci_err_set(&err, VCI_EXIT_KEY, "invalid_key", "%s: unsupported key type", t->key);
			return fail(t, &err);
		}
		if (!vci_key_alg_ok(key, alg)) {
			vci_err_set(&err, VCI_EXIT_KEY, "invalid_key", "%s: cannot sign with %s", t->key, alg);
			return fail(t, &err);
		}
		t->md.signing_alg = alg;
	}
	t->md.authorization_servers = t->as;
	t->md.locale = t->locale;
	md = vci_metadata_build(defs.v, defs.n, &t->md, &err);
	if (!md) {
		if (err.status == VCI_EXIT_USAGE)
			return vci_cli_usage(&t->cli, "%s", err.msg);
		vci_err_prefix(&err, "metadata");
		return fail(t, &err);
	}
	if (!t->sign)
		return emit(t, md, NULL);
	chain = vci_x509_load_chain(t->cert, &err);
	if (!chain)
		return fail(t, &err);
	if (vci_x509_chain_current(chain, vci_time_now(), &err) < 0) {
		sk_X509_pop_free(chain, X509_free);
		vci_err_prefix(&err, "--cert: %s", t->cert);
		return fail(t, &err);
	}
	jwt = vci_metadata_sign(md, key, alg, chain, 0, t->md.draft13, &err);
	sk_X509_pop_free(chain, X509_free);
	if (!jwt) {
		vci_err_prefix(&err, "metadata: --sign");
		return fail(t, &err);
	}
	if (t->md.draft13) {
		json_object_set_new(md, "signed_metadata", json_string(jwt));
		rc = emit(t, md, NULL);
	} else {
		rc = emit(t, NULL, jwt);
	}
	free(jwt);
	return rc;
}

/* ---- type-metadata ---- */

static int cmd_type_metadata(tool_t *t, int argc, char **argv)
{
	vci_err_t err = { 0 };
	defs_t defs __attribute__((cleanup(defs_free))) = { 0 };
	json_auto_t *out = json_array();
	int rc;

	if (argc != 1)
		return vci_cli_usage(&t->cli, "type-metadata: give one definition file");
	if ((rc = load_defs(t, argc, argv, &defs)))
		return rc;
	for (size_t i = 0; i < defs.n; i++) {
		json_t *tm;

		if (t->id && strcmp(t->id, defs.v[i]->id))
			continue;
		if (!(tm = vci_metadata_type(defs.v[i], &err))) {
			vci_err_prefix(&err, "type-metadata");
			return fail(t, &err);
		}
		json_array_append_new(out, tm);
	}
	if (!json_array_size(out)) {
		vci_err_set(&err, VCI_EXIT_INPUT, "invalid_definition", "type-metadata: %s: no definition %s",
			    argv[0], t->id);
		return fail(t, &err);
	}
	return emit(t, json_array_size(out) == 1 ? json_array_get(out, 0) : out, NULL);
}

/* ---- lint ---- */

/* Signed metadata (a JWT): check the header and lint the payload. */
static json_t *lint_jwt(const char *text, size_t len, json_t *findings, vci_err_t *err)
{
	vci_jws_t jws = { 0 };
	json_t *payload;
	const json_t *typ, *sub;

	while (len && (text[len - 1] == '\n' || text[len - 1] == '\r' || text[len - 1] == ' '))
		len--;
	if (vci_jws_parse(text, len, &jws, err) < 0)
		return NULL;
	typ = json_object_get(jws.header, "typ");
	if (!json_is_string(typ) || !vci_jws_typ_is(json_string_value(typ), "openidvci-issuer-metadata+jwt"))
		json_array_append_new(findings, json_string("header.typ: expected openidvci-issuer-metadata+jwt"));
	if (!json_object_get(jws.header, "x5c") && !json_object_get(jws.header, "kid") &&
	    !json_object_get(jws.header, "trust_chain"))
		json_array_append_new(findings, json_string("header: no x5c, kid or trust_chain names the key"));
	payload = jws.payload ? json_incref(jws.payload) : NULL;
	vci_jws_free(&jws);
	if (!payload) {
		vci_err_set(err, VCI_EXIT_INPUT, "invalid_jwt", "the JWT payload is not a JSON object");
		return NULL;
	}
	sub = json_object_get(payload, "sub");
	if (!json_is_string(sub) || !json_equal(sub, json_object_get(payload, "credential_issuer")))
		json_array_append_new(findings, json_string("sub: must equal credential_issuer"));
	if (!json_is_integer(json_object_get(payload, "iat")))
		json_array_append_new(findings, json_string("iat: missing"));
	return payload;
}

/* lint --profile: the profile's rules over issuer metadata, or over the
 * metadata entries of definitions (offline: no server settings). */
static int lint_profile(tool_t *t, const json_t *doc, json_t *findings, vci_err_t *err)
{
	json_auto_t *md = NULL;
	json_auto_t *found = NULL;
	vci_metadata_opts_t o = { 0 };
	const json_t *one;
	size_t i;

	if (t->profile == VCI_PROFILE_NONE)
		return 0;
	if (vci_metadata_detect(doc) == VCI_DOC_METADATA) {
		md = json_incref((json_t *)doc);
	} else if (vci_metadata_detect(doc) == VCI_DOC_DEFINITION) {
		json_t *cfgs = json_object();

		md = json_pack("{s:o}", "credential_configurations_supported", cfgs);
		for (i = 0; md && i < (json_is_array(doc) ? json_array_size(doc) : 1); i++) {
			vci_defn_auto_t *d = NULL;

			one = json_is_array(doc) ? json_array_get(doc, i) : doc;
			d = vci_defn_new(one, NULL);
			if (d)  /* a definition that does not prepare is lint's finding */
				json_object_set_new(cfgs, d->id, vci_metadata_config(d, &o));
		}
	} else {
		return 0;
	}
	found = json_array();
	if (!md || !found)
		return vci_err_oom(err);
	vci_profile_check(t->profile, md, NULL, found);
	json_array_foreach(found, i, one) {
		char line[600];

		snprintf(line, sizeof line, "--profile %s: %s", vci_profile_name(t->profile),
			 json_string_value(one));
		json_array_append_new(findings, json_string(line));
	}
	return 0;
}

static int lint_file(tool_t *t, const char *path, int *found)
{
	vci_err_t err = { 0 };
	const char *name = (!path || !strcmp(path, "-")) ? "stdin" : path;
	size_t len, skip = 0;
	char_auto_t *text = vci_read_file(path, VCI_MAX_DOCUMENT, &len, &err);
	json_auto_t *doc = NULL;
	json_auto_t *findings = json_array();
	long n;

	if (!text)
		return fail(t, &err);
	while (skip < len && strchr(" \t\r\n", text[skip]))
		skip++;
	if (!strncmp(text + skip, "eyJ", 3)) {
		doc = lint_jwt(text + skip, len - skip, findings, &err);
		if (!doc) {
			vci_err_prefix(&err, "lint: %s", name);
			return fail(t, &err);
		}
	} else if (!(doc = vci_json_parse(text, len, name, &err))) {
		return fail(t, &err);
	}
	n = vci_metadata_lint_any(doc, findings, &err);
	if (n < 0 || lint_profile(t, doc, findings, &err) < 0) {
		vci_err_prefix(&err, "lint: %s", name);
		return fail(t, &err);
	}
	for (size_t i = 0; i < json_array_size(findings); i++)
		vci_cli_errorf(&t->cli, "lint: %s: %s", name,
			       json_string_value(json_array_get(findings, i)));
	if (json_array_size(findings))
		*found = 1;
	return 0;
}

static int cmd_lint(tool_t *t, int argc, char **argv)
{
	int found = 0, rc;

	if (argc == 0)
		return lint_file(t, NULL, &found) ? VCI_EXIT_INPUT : (found ? VCI_EXIT_FAIL : 0);
	for (int i = 0; i < argc; i++)
		if ((rc = lint_file(t, argv[i], &found)))
			return rc;
	return found ? VCI_EXIT_FAIL : VCI_EXIT_OK;
}

/* ---- check-claims ---- */

typedef struct check_ctx {
	const vci_defn_t *d;
	unsigned flags;
} check_ctx_t;

static int check_one(void *ctx, json_t *rec, json_t **result, vci_err_t *err)
{
	check_ctx_t *c = ctx;

	if (vci_defn_check_claims(c->d, json_object_get(rec, "claims"), c->flags, err) < 0)
		return -1;
	*result = json_incref(rec);
	return 0;
}

static int cmd_check_claims(tool_t *t, int argc, char **argv)
{
	vci_err_t err = { 0 };
	defs_t defs __attribute__((cleanup(defs_free))) = { 0 };
	check_ctx_t ctx = { 0 };
	vci_inputs_t *in;
	vci_out_t *out;
	int rc;

	if (argc < 1)
		return vci_cli_usage(&t->cli, "check-claims: no definition given");
	if ((rc = load_defs(t, 1, argv, &defs)))
		return rc;
	for (size_t i = 0; i < defs.n; i++)
		if (!t->id || !strcmp(t->id, defs.v[i]->id)) {
			if (ctx.d && !t->id)
				return vci_cli_usage(&t->cli, "check-claims: %s holds several definitions; pick one with --id",
						     argv[0]);
			ctx.d = defs.v[i];
		}
	if (!ctx.d) {
		vci_err_set(&err, VCI_EXIT_INPUT, "invalid_definition", "check-claims: %s: no definition %s",
			    argv[0], t->id);
		return fail(t, &err);
	}
	ctx.flags = t->cli.csv ? VCI_DEFN_COERCE : 0;
	in = vci_inputs_open(&t->cli, argc - 1, argv + 1, &err);
	if (!in) {
		if (err.status == VCI_EXIT_USAGE)
			return vci_cli_usage(&t->cli, "%s", err.msg);
		return fail(t, &err);
	}
	out = vci_out_open(t->cli.output, &err);
	if (!out) {
		vci_inputs_close(in);
		return fail(t, &err);
	}
	rc = vci_batch_run(&t->cli, in, vci_out_file(out), check_one, &ctx, NULL, &err);
	vci_inputs_close(in);
	if (rc != VCI_EXIT_OK && rc != VCI_EXIT_FAIL) {
		vci_out_abort(out);
		return fail(t, &err);
	}
	if (vci_out_commit(out, &err) < 0)
		return fail(t, &err);
	return rc;
}

/* ---- main ---- */

static const struct command {
	const char *name;
	int (*fn)(tool_t *t, int argc, char **argv);
	const char *summary;
} commands[] = {
	{ "create", cmd_create, "validate and normalise a definition" },
	{ "import", cmd_import, "convert another product's definition shape" },
	{ "metadata", cmd_metadata, "print Credential Issuer Metadata" },
	{ "type-metadata", cmd_type_metadata, "print SD-JWT VC Type Metadata" },
	{ "lint", cmd_lint, "check definitions or issuer metadata" },
	{ "check-claims", cmd_check_claims, "validate records' claims against a definition" },
};

int main(int argc, char **argv)
{
	tool_t t = { 0 };
	char **ops = calloc((size_t)argc + 1, sizeof *ops);
	int nops = 0, pos = 0, rc = VCI_EXIT_USAGE;
	const char *names[32] = { NULL };

	vci_cli_init(&t.cli, "vci-defn");
	t.set = json_object();
	t.claims = json_array();
	t.types = json_array();
	t.contexts = json_array();
	t.bindings = json_array();
	t.proof_algs = json_array();
	if (!ops || !t.set || !t.claims || !t.types || !t.contexts || !t.bindings || !t.proof_algs) {
		vci_cli_errorf(&t.cli, "out of memory");
		return VCI_EXIT_IO;
	}
	for (size_t i = 0; i < sizeof commands / sizeof commands[0] && i + 1 < sizeof names / sizeof names[0]; i++)
		names[i] = commands[i].name;
	t.cli.commands = names;
	for (size_t i = 0; argc > 1 && names[i]; i++)
		if (!strcmp(names[i], argv[1]))
			t.cli.command = names[i];   /* vci-defn CMD --help */
	/* options may come before and after the command and its operands */
	while (pos < argc) {
		int k = vci_cli_parse(&t.cli, argc - pos, argv + pos, USAGE, opts, handle, &t);
		int idx = pos + k;

		if (k > 1 && !strcmp(argv[idx - 1], "--")) {
			while (idx < argc)
				ops[nops++] = argv[idx++];
			break;
		}
		if (idx >= argc)
			break;
		ops[nops++] = argv[idx];
		for (size_t i = 0; nops == 1 && names[i]; i++)
			if (!strcmp(names[i], ops[0]))
				t.cli.command = names[i];   /* vci-defn CMD --help */
		pos = idx;
	}
	if (nops == 0) {
		rc = vci_cli_usage(&t.cli, "no command given");
	} else {
		size_t i;

		for (i = 0; i < sizeof commands / sizeof commands[0]; i++)
			if (!strcmp(ops[0], commands[i].name))
				break;
		if (i == sizeof commands / sizeof commands[0])
			rc = vci_cli_usage(&t.cli, "unknown command '%s'", ops[0]);
		else {
			t.cli.command = commands[i].name;
			rc = vci_cli_check_options(&t.cli, opts, commands[i].name);
			if (!rc)
				rc = commands[i].fn(&t, nops - 1, ops + 1);
		}
	}
	json_decref(t.set);
	json_decref(t.claims);
	json_decref(t.types);
	json_decref(t.contexts);
	json_decref(t.bindings);
	json_decref(t.proof_algs);
	free(ops);
	return rc;
}
