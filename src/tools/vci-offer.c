/* vci-offer - one OID4VCI Credential Offer per issuance record: the offer
 * object with a fresh pre-authorized code (and transaction code), the deep
 * link by value or by reference, QR codes for the terminal, PNG and SVG,
 * and delivery to a wallet's credential_offer_endpoint. */
#include "pipe/batch.h"
#include "pipe/cli.h"
#include "pipe/libver.h"
#include "oid4vci/defn.h"
#include "base/file.h"
#include "base/http.h"
#include "oid4vci/issue.h"
#include "oid4vci/offer.h"
#include "base/qr.h"
#include "pipe/record.h"
#include "base/buf.h"
#include "base/url.h"

#include <errno.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

enum {
	OPT_ISSUER = VCI_OPT_TOOL_BASE,
	OPT_CONFIG,
	OPT_DEFN,
	OPT_METADATA,
	OPT_TX_CODE,
	OPT_TX_CODE_MODE,
	OPT_TX_CODE_DESCRIPTION,
	OPT_TX_CODE_VALUE,
	OPT_NO_PRE_AUTH,
	OPT_AUTH_CODE,
	OPT_ISSUER_STATE,
	OPT_AS,
	OPT_SCHEME,
	OPT_BY_REFERENCE,
	OPT_OFFER_DIR,
	OPT_DRAFT13,
	OPT_QR,
	OPT_QR_PNG,
	OPT_QR_SVG,
	OPT_QR_ECC,
	OPT_QR_SCALE,
	OPT_SEND,
	OPT_SEND_FIELD,
	OPT_TX_CODE_TO,
	OPT_TIMEOUT,
	OPT_RETRIES,
	OPT_TTL,
};

static const vci_opt_t opts[] = {
	{ "issuer", OPT_ISSUER, "URL", "the credential issuer identifier (required)" },
	{ "config", OPT_CONFIG, "ID[,ID]", "credential configuration ids offered (default for records "
	  "that name none)" },
	{ "defn", OPT_DEFN, "FILE", "known configuration ids: the ids of these definitions; with --csv, "
	  "the cells get their types from them" },
	{ "metadata", OPT_METADATA, "FILE", "known configuration ids: credential_configurations_supported "
	  "of this issuer metadata" },
	{ "tx-code", OPT_TX_CODE, "LENGTH", "require a transaction code of LENGTH (4 to 32) characters" },
	{ "tx-code-mode", OPT_TX_CODE_MODE, "MODE", "numeric (default) or text" },
	{ "tx-code-description", OPT_TX_CODE_DESCRIPTION, "TEXT", "how the holder gets the code (at most "
	  "300 characters)" },
	{ "tx-code-value", OPT_TX_CODE_VALUE, "V", "use this transaction code instead of a random one" },
	{ "no-pre-authorized-code", OPT_NO_PRE_AUTH, NULL, "leave out the pre-authorized code grant" },
	{ "auth-code", OPT_AUTH_CODE, NULL, "add the authorization_code grant" },
	{ "issuer-state", OPT_ISSUER_STATE, "S", "issuer_state of the authorization_code grant "
	  "(default: random)" },
	{ "authorization-server", OPT_AS, "URL", "the authorization server, when it is not the issuer" },
	{ "scheme", OPT_SCHEME, "SCHEME", "link scheme: openid-credential-offer (default), haip-vci, "
	  "haip, another scheme or an https URL" },
	{ "by-reference", OPT_BY_REFERENCE, "BASE_URL", "link with credential_offer_uri=BASE_URL/ID" },
	{ "offer-dir", OPT_OFFER_DIR, "DIR", "with --by-reference: write each offer to DIR/ID.json" },
	{ "draft13", OPT_DRAFT13, NULL, "also the pre-1.0 offer members for older wallets" },
	{ "qr", OPT_QR, NULL, "print each link as a QR code on standard output (records: --output)" },
	{ "qr-png", OPT_QR_PNG, "PATH", "write a PNG QR code; {offer_id} in PATH names one per record" },
	{ "qr-svg", OPT_QR_SVG, "PATH", "write an SVG QR code; {offer_id} in PATH names one per record" },
	{ "qr-ecc", OPT_QR_ECC, "L|M|Q|H", "QR error correction level (default M)" },
	{ "qr-scale", OPT_QR_SCALE, "N", "pixels (PNG) or units (SVG) per module (default 8)" },
	{ "send", OPT_SEND, "URL", "deliver each offer to this credential_offer_endpoint" },
	{ "send-field", OPT_SEND_FIELD, "NAME", "deliver to the endpoint in each record's field NAME" },
	{ "tx-code-to", OPT_TX_CODE_TO, "URL", "deliver each transaction code to URL (out of band); "
	  "{FIELD} in URL is the record's field (claims.phone, or a claim's name)" },
	{ "timeout", OPT_TIMEOUT, "S", "seconds per delivery attempt (default 10)" },
	{ "retries", OPT_RETRIES, "N", "further delivery attempts on 5xx or network errors (default 2)" },
	{ "ttl", OPT_TTL, "S", "seconds an offer stays valid (default 600)" },
	{ 0 },
};

static const char usage[] =
	"--issuer URL [--config ID[,ID]...] [OPTION]... [FILE]...\n"
	"Adds offer_id, credential_offer, offer_link (the deep link),\n"
	"credential_offer_uri (by reference: the offer's https URL),\n"
	"pre_authorized_code, tx_code and expires_at to each issuance record.";

typedef struct args {
	vci_cli_t cli;
	const char *issuer, *config, *defn, *metadata, *tx_desc, *tx_value, *issuer_state, *as;
	const char *scheme, *by_ref, *offer_dir, *qr_png, *qr_svg, *send, *send_field, *tx_to;
	vci_tx_mode_t tx_mode;
	vci_qr_ecc_t ecc;
	unsigned long tx_len, qr_scale, timeout, retries, ttl;
	int have_tx_mode, no_pre_auth, auth_code, draft13, qr;
} args_t;

static int handle(void *ctx, int val, const char *arg)
{
	args_t *a = ctx;

	switch (val) {
	case OPT_ISSUER: a->issuer = arg; break;
	case OPT_CONFIG: a->config = arg; break;
	case OPT_DEFN: a->defn = arg; break;
	case OPT_METADATA: a->metadata = arg; break;
	case OPT_TX_CODE:
		return vci_cli_uint(&a->cli, "tx-code", arg, VCI_TX_CODE_MIN, VCI_TX_CODE_MAX, &a->tx_len);
	case OPT_TX_CODE_MODE:
		if (vci_offer_tx_mode_parse(arg, &a->tx_mode) < 0)
			return vci_cli_usage(&a->cli, "--tx-code-mode: expected numeric or text, got '%s'", arg);
		a->have_tx_mode = 1;
		break;
	case OPT_TX_CODE_DESCRIPTION: a->tx_desc = arg; break;
	case OPT_TX_CODE_VALUE: a->tx_value = arg; break;
	case OPT_NO_PRE_AUTH: a->no_pre_auth = 1; break;
	case OPT_AUTH_CODE: a->auth_code = 1; break;
	case OPT_ISSUER_STATE: a->issuer_state = arg; break;
	case OPT_AS: a->as = arg; break;
	case OPT_SCHEME: a->scheme = arg; break;
	case OPT_BY_REFERENCE: a->by_ref = arg; break;
	case OPT_OFFER_DIR: a->offer_dir = arg; break;
	case OPT_DRAFT13: a->draft13 = 1; break;
	case OPT_QR: a->qr = 1; break;
	case OPT_QR_PNG: a->qr_png = arg; break;
	case OPT_QR_SVG: a->qr_svg = arg; break;
	case OPT_QR_ECC:
		if (vci_qr_ecc_parse(arg, &a->ecc) < 0)
			return vci_cli_usage(&a->cli, "--qr-ecc: expected L, M, Q or H, got '%s'", arg);
		break;
	case OPT_QR_SCALE: return vci_cli_uint(&a->cli, "qr-scale", arg, 1, 64, &a->qr_scale);
	case OPT_SEND: a->send = arg; break;
	case OPT_SEND_FIELD: a->send_field = arg; break;
	case OPT_TX_CODE_TO: a->tx_to = arg; break;
	case OPT_TIMEOUT: return vci_cli_uint(&a->cli, "timeout", arg, 1, 300, &a->timeout);
	case OPT_RETRIES: return vci_cli_uint(&a->cli, "retries", arg, 0, 10, &a->retries);
	case OPT_TTL: return vci_cli_uint(&a->cli, "ttl", arg, 1, 30UL * 86400, &a->ttl);
	default: return VCI_EXIT_USAGE;
	}
	return 0;
}

/* ---- per record ---- */

typedef struct ctx {
	const args_t *a;
	vci_offer_defaults_t defaults; /* command-line parameters, --config ids */
	json_t *known;             /* known ids (object used as a set), or NULL */
	const char *known_from;
	vci_defn_t **defs;         /* --defn with --csv: the cells get their types */
	size_t ndefs;
	vci_http_opts_t http;
	int64_t now;
	atomic_int png_used, svg_used;
	atomic_int warned;
	vci_stage_t *stage;        /* hosted offers and QR images, published with the output */
	int columns;               /* terminal width, 0 if unknown */
} ctx_t;

/* Expand {offer_id} in a path template. */
static char *expand(const char *tmpl, const char *id)
{
	const char *ph = "{offer_id}";
	size_t n = strlen(ph), len = 0;
	char *out, *o;

	for (const char *s = strstr(tmpl, ph); s; s = strstr(s + n, ph))
		len += strlen(id);
	out = malloc(strlen(tmpl) + len + 1);
	if (!out)
		return NULL;
	o = out;
	while (*tmpl) {
		if (!strncmp(tmpl, ph, n)) {
			o = stpcpy(o, id);
			tmpl += n;
		} else {
			*o++ = *tmpl++;
		}
	}
	*o = '\0';
	return out;
}

/* A QR image (PNG or SVG), staged to appear with the output; *handle is
 * its stage handle, *path_out its path. */
static int write_image(ctx_t *c, const vci_qr_t *q, const char *tmpl, int png, atomic_int *used,
		       const char *id, int mode, long *handle, char **path_out, vci_err_t *err)
{
	char_auto_t *path = NULL;
	char *bytes = NULL;
	size_t len = 0;
	FILE *f;
	int rc;

	if (!strstr(tmpl, "{offer_id}") && atomic_fetch_add(used, 1) > 0)
		return vci_err_set(err, VCI_EXIT_FAIL, "invalid_request", "--qr-%s %s: one file for "
				   "several records: put {offer_id} in the name", png ? "png" : "svg", tmpl);
	path = expand(tmpl, id);
	if (!path)
		return vci_err_oom(err);
	f = open_memstream(&bytes, &len);
	if (!f)
		return vci_err_oom(err);
	rc = png ? vci_qr_write_png(q, f, (unsigned)c->a->qr_scale, err)
		 : vci_qr_write_svg(q, f, (unsigned)c->a->qr_scale, err);
	if (fclose(f) != 0 && rc == 0)
		rc = vci_err_oom(err);
	if (rc == 0) {
		*handle = vci_stage_file(c->stage, path, bytes, len, mode, err);
		rc = *handle < 0 ? -1 : 0;
	}
	free(bytes);
	if (rc < 0)
		return -1;
	*path_out = path;
	path = NULL;
	return 0;
}

static json_t *delivery(const vci_http_result_t *r)
{
	return json_pack("{s:I,s:I}", "status", (json_int_t)r->status, "attempts",
			 (json_int_t)r->attempts);
}

/* CSV read with definitions at hand (--csv and --defn): the claims get
 * the types of every offered configuration's definition, and are checked
 * against it, here where the CSV is read; the record carries typed claims
 * from now on and no later stage needs --csv. A row that does not fit is
 * an error record, with no offer. */
static int type_claims(const ctx_t *c, json_t *rec, const vci_offer_request_t *req,
		       vci_err_t *err)
{
	json_t *claims = req->claims ? req->claims : json_object_get(rec, "claims");

	for (size_t i = 0; i < req->params.n_config_ids; i++)
		for (size_t k = 0; k < c->ndefs; k++)
			if (!strcmp(c->defs[k]->id, req->ids[i]) &&
			    vci_defn_check_claims(c->defs[k], claims, VCI_DEFN_COERCE, err) < 0)
				return -1;
	return 0;
}

/* The record's value of a --tx-code-to placeholder: a field (dotted
 * path) of the record, else of its claims; a string or a number. */
static int tx_field(const json_t *rec, const char *name, size_t len, char *buf, size_t size)
{
	const json_t *roots[2] = { rec, json_object_get(rec, "claims") };

	for (size_t r = 0; r < 2; r++) {
		const json_t *v = roots[r];
		const char *p = name, *end = name + len;

		while (v && p < end) {
			const char *dot = memchr(p, '.', (size_t)(end - p));
			size_t w = (size_t)((dot ? dot : end) - p);
			char key[128];

			snprintf(key, sizeof key, "%.*s", (int)w, p);
			v = json_object_get(v, key);
			p += w + (p + w < end);
		}
		if (json_is_string(v) && json_string_length(v) && json_string_length(v) < size) {
			snprintf(buf, size, "%s", json_string_value(v));
			return 0;
		}
		if (json_is_integer(v)) {
			snprintf(buf, size, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
			return 0;
		}
	}
	return -1;
}

/* --tx-code-to with each {FIELD} replaced by the record's value:
 * percent-encoded inside the URL, taken as it is when the placeholder is
 * the whole URL; the result must be a delivery target. NULL with err
 * (a record without the field is an error record, no offer made). */
static char *tx_target(const char *tmpl, const json_t *rec, vci_err_t *err)
{
	vci_buf_t b = { 0 };
	const char *p = tmpl;
	int whole = tmpl[0] == '{' && strchr(tmpl, '}') && !strchr(tmpl, '}')[1];
	char *out;

	while (*p) {
		const char *close = *p == '{' ? strchr(p, '}') : NULL;
		char val[1024];
		char *enc;

		if (!close) {
			vci_buf_addn(&b, p, 1);
			p++;
			continue;
		}
		if (tx_field(rec, p + 1, (size_t)(close - p - 1), val, sizeof val) < 0) {
			vci_buf_free(&b);
			vci_err_set(err, VCI_EXIT_FAIL, "invalid_request", "--tx-code-to: the record "
				    "has no %.*s to deliver the transaction code to",
				    (int)(close - p - 1), p + 1);
			return NULL;
		}
		enc = whole ? strdup(val) : vci_url_encode(val, strlen(val), NULL, NULL);
		if (enc)
			vci_buf_adds(&b, enc);
		free(enc);
		p = close + 1;
	}
	out = vci_buf_take(&b, NULL);
	vci_buf_free(&b);
	if (!out) {
		vci_err_oom(err);
		return NULL;
	}
	if (!vci_url_is_target(out, 1)) {
		vci_err_set(err, VCI_EXIT_FAIL, "invalid_request", "--tx-code-to: not an https URL "
			    "for this record (http only to 127.0.0.1, ::1 or localhost)");
		free(out);
		return NULL;
	}
	return out;
}

/* The label of a terminal QR code: who it is for (the record's id, else
 * its name claims) and the offer id. */
static void qr_label(FILE *f, const json_t *rec, const char *offer_id)
{
	const json_t *cl = json_object_get(rec, "claims");
	const char *id = json_string_value(json_object_get(rec, "id"));
	const char *name = json_string_value(json_object_get(cl, "name"));
	const char *given = json_string_value(json_object_get(cl, "given_name"));
	const char *family = json_string_value(json_object_get(cl, "family_name"));

	if (id)
		fprintf(f, "%s", id);
	if (name || given || family)
		fprintf(f, "%s%s%s%s%s", id ? " " : "", name ? name : given ? given : "",
			!name && given && family ? " " : "", !name && family ? family : "", "");
	fprintf(f, "%soffer %s\n", id || name || given || family ? ", " : "", offer_id);
}

static int offer_one(void *vctx, json_t *rec, json_t **result, vci_err_t *err)
{
	ctx_t *c = vctx;
	const args_t *a = c->a;
	vci_offer_request_t req;
	vci_offer_t o = { 0 };
	vci_qr_t *q = NULL;
	json_auto_t *dl = NULL;
	json_auto_t *txdl = NULL;
	char_auto_t *uri = NULL;
	char_auto_t *png = NULL;
	char_auto_t *svg = NULL;
	wipe_auto_t *link = NULL;
	const char *send = a->send, *offer_id;
	const json_t *v;
	long staged[3] = { -1, -1, -1 }; /* hosted offer, PNG, SVG */
	int rc = -1;

	if (vci_offer_request_from_record(rec, &c->defaults, c->known, c->known_from, &req, err) < 0)
		return -1;
	if (c->ndefs && type_claims(c, rec, &req, err) < 0) {
		vci_offer_request_clear(&req);
		return -1;
	}
	offer_id = req.offer_id;
	if (a->send_field) {
		v = json_object_get(rec, a->send_field);
		send = json_string_value(v);
		if (!send)
			vci_err_set(err, VCI_EXIT_FAIL, "invalid_request",
				    "%s: missing or not a string (--send-field)", a->send_field);
		else if (!vci_url_is_target(send, 1))
			vci_err_set(err, VCI_EXIT_FAIL, "invalid_url", "%s: not an https URL (http only "
				    "to 127.0.0.1, ::1 or localhost)", a->send_field);
		if (!send || !vci_url_is_target(send, 1)) {
			vci_offer_request_clear(&req);
			return -1;
		}
	}

	if (vci_offer_build(&req.params, &o, err) < 0) {
		if (err->status == VCI_EXIT_USAGE)
			err->status = VCI_EXIT_FAIL;
		goto out;
	}
	if (a->by_ref) {
		size_t n = strlen(a->by_ref);

		if (asprintf(&uri, "%.*s/%s", (int)(n && a->by_ref[n - 1] == '/' ? n - 1 : n), a->by_ref,
			     offer_id) < 0)
			uri = NULL;
		if (!uri) {
			vci_err_oom(err);
			goto out;
		}
	}
	link = vci_offer_link(req.scheme, o.offer, uri, err);
	if (!link) {
		if (err->status == VCI_EXIT_USAGE)
			err->status = VCI_EXIT_FAIL;
		goto out;
	}

	/* QR codes */
	if (a->qr || a->qr_png || a->qr_svg) {
		q = vci_qr_encode(link, a->ecc, err);
		if (!q) {
			if (!strcmp(err->code, "qr_too_large") && !a->by_ref)
				vci_err_prefix(err, "use --by-reference for a shorter link");
			err->status = VCI_EXIT_FAIL;
			goto out;
		}
		int mode = vci_offer_file_mode(NULL, o.offer);

		if (a->qr_png && write_image(c, q, a->qr_png, 1, &c->png_used, offer_id, mode,
					     &staged[1], &png, err) < 0)
			goto out;
		if (a->qr_svg && write_image(c, q, a->qr_svg, 0, &c->svg_used, offer_id, mode,
					     &staged[2], &svg, err) < 0)
			goto out;
	}

	/* hosted offer, then delivery: the transaction code first */
	if (a->offer_dir) {
		staged[0] = vci_offer_stage(c->stage, a->offer_dir, offer_id, o.offer, err);
		if (staged[0] < 0)
			goto out;
	}
	if (a->tx_to && o.tx_code) {
		vci_http_result_t r;
		char_auto_t *to = tx_target(a->tx_to, rec, err);

		if (!to)
			goto out;

		if (vci_offer_send_tx_code(to, offer_id, o.tx_code, &c->http, &r, err) < 0)
			goto out;
		txdl = delivery(&r);
	}
	if (send) {
		vci_http_result_t r;

		if (vci_offer_send(send, o.offer, uri, &c->http, &r, err) < 0)
			goto out;
		dl = delivery(&r);
	}

	/* terminal QR code (--qr runs one record at a time, in order) */
	if (a->qr) {
		vci_err_t werr = { 0 };

		if (c->columns && vci_qr_text_width(q) > c->columns && !atomic_exchange(&c->warned, 1))
			fprintf(stderr, "%s: warning: the QR code is %d columns wide, the terminal %d%s\n",
				a->cli.prog, vci_qr_text_width(q), c->columns,
				a->by_ref ? "" : ": --by-reference makes it smaller");
		qr_label(stdout, rec, offer_id);
		if (vci_qr_write_text(q, stdout, &werr) < 0 ||
		    (o.tx_code && !a->tx_to && printf("transaction code to type: %s\n", o.tx_code) < 0) ||
		    fputc('\n', stdout) == EOF || fflush(stdout) != 0) {
			vci_err_set(err, VCI_EXIT_IO, "io_error", "standard output: %s", strerror(errno));
			goto out;
		}
	}

	/* the record: every field set only now that nothing can fail */
	if (vci_offer_record_fill(rec, &req, &o, link, c->now + (int64_t)a->ttl, err) < 0)
		goto out;
	if (dl)
		json_object_set(rec, "delivery", dl);
	if (txdl)
		json_object_set(rec, "tx_code_delivery", txdl);
	if (png)
		json_object_set_new(rec, "qr_png", json_string(png));
	if (svg)
		json_object_set_new(rec, "qr_svg", json_string(svg));
	*result = json_incref(rec);
	rc = 0;
out:
	if (rc < 0)
		for (int i = 0; i < 3; i++)
			vci_stage_drop(c->stage, staged[i]);
	vci_qr_free(q);
	vci_offer_clear(&o);
	vci_offer_request_clear(&req);
	return rc;
}

/* ---- setup ---- */

static int load_known(args_t *a, ctx_t *c, vci_err_t *err)
{
	if (!a->defn && !a->metadata)
		return 0;
	c->known = json_object();
	if (!c->known)
		return vci_err_oom(err);
	c->known_from = a->defn && a->metadata ? "--defn or --metadata" : a->defn ? a->defn : a->metadata;
	if (a->defn) {
		vci_defn_t **defs = NULL;
		size_t n = 0;

		if (vci_defn_load(a->defn, &defs, &n, err) < 0)
			return -1;
		for (size_t i = 0; i < n; i++)
			json_object_set_new(c->known, defs[i]->id, json_true());
		if (a->cli.csv) {
			c->defs = defs;
			c->ndefs = n;
		} else {
			vci_defn_list_free(defs, n);
		}
	}
	if (a->metadata) {
		json_auto_t *md = vci_json_load_file(a->metadata, err);
		const json_t *cfg, *iss, *ases;
		const char *k;
		json_t *v;

		if (!md)
			return -1;
		cfg = json_object_get(md, "credential_configurations_supported");
		if (!json_is_object(cfg))
			return vci_err_set(err, VCI_EXIT_INPUT, "invalid_metadata",
					   "%s: no credential_configurations_supported object", a->metadata);
		iss = json_object_get(md, "credential_issuer");
		if (!json_is_string(iss) || strcmp(json_string_value(iss), a->issuer))
			return vci_err_set(err, VCI_EXIT_INPUT, "invalid_metadata",
					   "%s: credential_issuer is not --issuer %s", a->metadata, a->issuer);
		json_object_foreach((json_t *)cfg, k, v)
			json_object_set_new(c->known, k, json_true());
		ases = json_object_get(md, "authorization_servers");
		if (a->as) {
			size_t i;
			int found = 0;

			json_array_foreach(ases, i, v)
				if (json_is_string(v) && !strcmp(json_string_value(v), a->as))
					found = 1;
			if (!found)
				return vci_err_set(err, VCI_EXIT_USAGE, "invalid_option",
						   "--authorization-server %s: not in %s authorization_servers",
						   a->as, a->metadata);
		}
	}
	return 0;
}

static int split_config(const args_t *a, ctx_t *c)
{
	char *dup, *save = NULL;

	c->defaults.ids = json_array();
	if (!a->config)
		return 0;
	dup = strdup(a->config);
	if (!dup || !c->defaults.ids)
		return vci_cli_errorf(&a->cli, "out of memory"), VCI_EXIT_IO;
	for (char *t = strtok_r(dup, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		if (!vci_offer_config_id_ok(t)) {
			int rc = vci_cli_usage(&a->cli, "--config: \"%s\" is not a credential "
					       "configuration id", t);

			free(dup);
			return rc;
		}
		json_array_append_new(c->defaults.ids, json_string(t));
	}
	free(dup);
	if (!json_array_size(c->defaults.ids))
		return vci_cli_usage(&a->cli, "--config: empty list");
	return 0;
}

static int terminal_columns(void)
{
	struct winsize ws;
	const char *e = getenv("COLUMNS");

	if (isatty(STDOUT_FILENO) && ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col)
		return ws.ws_col;
	return e && atoi(e) > 0 ? atoi(e) : 0;
}

static size_t utf8_chars(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		n += ((unsigned char)*s & 0xc0) != 0x80;
	return n;
}

/* --tx-code-to before any record: the URL with its placeholders filled
 * in is a delivery target (one that is all placeholder is checked per
 * record). */
static int tx_template_ok(const char *t)
{
	char buf[2048];
	size_t n = 0;

	for (const char *p = t; *p && n + 2 < sizeof buf; p++) {
		const char *close = *p == '{' ? strchr(p, '}') : NULL;

		if (close) {
			buf[n++] = 'x';
			p = close;
		} else {
			buf[n++] = *p;
		}
	}
	buf[n] = '\0';
	return vci_url_is_target(buf, 1);
}

static int check_template(args_t *a, const char *opt, const char *t)
{
	const char *rest;

	if (!*t)
		return vci_cli_usage(&a->cli, "%s: empty path", opt);
	for (rest = t; *rest; rest++) {
		if (!strncmp(rest, "{offer_id}", 10)) {
			rest += 9;
			continue;
		}
		if (*rest == '{' || *rest == '}')
			return vci_cli_usage(&a->cli, "%s: %s: only {offer_id} may be in braces", opt, t);
	}
	return 0;
}

/* Whether option `val` was given on the command line. */
static int given(const args_t *a, int val)
{
	for (size_t i = 0; i < a->cli.ngiven; i++)
		if (a->cli.given[i] == val)
			return 1;
	return 0;
}

/* Options that do nothing without another one are refused, not ignored. */
static int check_useless(args_t *a)
{
	if (given(a, OPT_QR_ECC) && !a->qr && !a->qr_png && !a->qr_svg)
		return vci_cli_usage(&a->cli, "--qr-ecc does nothing without --qr, --qr-png or "
				     "--qr-svg");
	if (given(a, OPT_QR_SCALE) && !a->qr_png && !a->qr_svg)
		return vci_cli_usage(&a->cli, "--qr-scale does nothing without --qr-png or --qr-svg");
	if ((given(a, OPT_TIMEOUT) || given(a, OPT_RETRIES)) && !a->send && !a->send_field &&
	    !a->tx_to)
		return vci_cli_usage(&a->cli, "--%s does nothing without --send, --send-field or "
				     "--tx-code-to", given(a, OPT_TIMEOUT) ? "timeout" : "retries");
	return 0;
}

static int check_args(args_t *a)
{
	vci_err_t err = { 0 };
	struct stat st;

	if (!a->issuer)
		return vci_cli_usage(&a->cli, "--issuer URL (the credential issuer identifier) is required");
	if (!vci_offer_issuer_ok(a->issuer))
		return vci_cli_usage(&a->cli, "--issuer: %s is not an https URL without query or fragment",
				     a->issuer);
	if (a->scheme && vci_offer_scheme_check(a->scheme, &err) < 0)
		return vci_cli_usage(&a->cli, "%s", err.msg);
	if (a->by_ref && !vci_url_is_target(a->by_ref, 0))
		return vci_cli_usage(&a->cli, "--by-reference: %s is not an https URL without query or "
				     "fragment", a->by_ref);
	if (a->offer_dir && !a->by_ref)
		return vci_cli_usage(&a->cli, "--offer-dir needs --by-reference");
	if (a->tx_len && a->tx_value)
		return vci_cli_usage(&a->cli, "give --tx-code or --tx-code-value, not both");
	if (check_useless(a))
		return VCI_EXIT_USAGE;
	if ((a->have_tx_mode || a->tx_desc) && !a->tx_len && !a->tx_value)
		return vci_cli_usage(&a->cli, "--tx-code-mode and --tx-code-description need --tx-code "
				     "or --tx-code-value");
	if (a->tx_value && vci_offer_tx_code_check(a->tx_value, a->tx_mode, &err) < 0)
		return vci_cli_usage(&a->cli, "--tx-code-value: %s", err.msg);
	if (a->tx_desc && utf8_chars(a->tx_desc) > VCI_TX_DESCRIPTION_MAX)
		return vci_cli_usage(&a->cli, "--tx-code-description: more than 300 characters");
	if (a->no_pre_auth && (a->tx_len || a->tx_value))
		return vci_cli_usage(&a->cli, "a transaction code needs the pre-authorized code grant");
	if (a->no_pre_auth && !a->auth_code)
		return vci_cli_usage(&a->cli, "--no-pre-authorized-code needs --auth-code: an offer "
				     "needs a grant");
	if (a->issuer_state && !a->auth_code)
		return vci_cli_usage(&a->cli, "--issuer-state needs --auth-code");
	if (a->as && !vci_url_is_target(a->as, 0))
		return vci_cli_usage(&a->cli, "--authorization-server: %s is not an https URL without "
				     "query or fragment", a->as);
	if (a->send && a->send_field)
		return vci_cli_usage(&a->cli, "give --send or --send-field, not both");
	if (a->send && !vci_url_is_target(a->send, 1))
		return vci_cli_usage(&a->cli, "--send: not an https URL (http only to 127.0.0.1, ::1 or "
				     "localhost)");
	if (a->tx_to && a->tx_to[0] != '{' && !tx_template_ok(a->tx_to))
		return vci_cli_usage(&a->cli, "--tx-code-to: not an https URL (http only to 127.0.0.1, "
				     "::1 or localhost)");
	if (a->qr && (!a->cli.output || !strcmp(a->cli.output, "-")))
		return vci_cli_usage(&a->cli, "--qr prints QR codes on standard output: give --output "
				     "FILE for the records");
	if (a->qr_png && check_template(a, "--qr-png", a->qr_png))
		return VCI_EXIT_USAGE;
	if (a->qr_svg && check_template(a, "--qr-svg", a->qr_svg))
		return VCI_EXIT_USAGE;
	if (a->offer_dir && (stat(a->offer_dir, &st) != 0 || !S_ISDIR(st.st_mode))) {
		vci_cli_errorf(&a->cli, "--offer-dir: %s: not a directory", a->offer_dir);
		return VCI_EXIT_IO;
	}
	return 0;
}

/* The libraries it runs with besides OpenSSL and jansson (--version). */
static const vci_cli_lib_t libs[] = { VCI_LIB_CURL, VCI_LIB_QRENCODE, VCI_LIB_ZLIB, VCI_LIB_END };

int main(int argc, char **argv)
{
	args_t a = { 0 };
	ctx_t c = { 0 };
	vci_err_t err = { 0 };
	vci_inputs_t *in;
	vci_out_t *out;
	int optind_, rc;

	vci_cli_init(&a.cli, argv[0]);
	a.cli.libs = libs;
	a.ecc = VCI_QR_ECC_M;
	a.qr_scale = 8;
	a.timeout = 10;
	a.retries = 2;
	a.ttl = 600;
	optind_ = vci_cli_parse(&a.cli, argc, argv, usage, opts, handle, &a);
	if ((rc = check_args(&a)) || (rc = split_config(&a, &c)))
		goto done;
	if (load_known(&a, &c, &err) < 0) {
		rc = vci_cli_fail(&a.cli, &err, VCI_EXIT_IO);
		goto done;
	}
	if (c.known) {
		for (size_t i = 0; i < json_array_size(c.defaults.ids); i++) {
			const char *id = json_string_value(json_array_get(c.defaults.ids, i));

			if (!json_object_get(c.known, id)) {
				vci_cli_errorf(&a.cli, "--config: credential configuration \"%s\": not in %s",
					       id, c.known_from);
				rc = VCI_EXIT_USAGE;
				goto done;
			}
		}
	}
	c.a = &a;
	c.defaults.scheme = a.scheme ? a.scheme : "openid-credential-offer";
	c.defaults.params.issuer = a.issuer;
	c.defaults.params.no_pre_auth = a.no_pre_auth;
	c.defaults.params.tx_code = a.tx_len || a.tx_value;
	c.defaults.params.tx_mode = a.tx_mode;
	c.defaults.params.tx_length = (unsigned)a.tx_len;
	c.defaults.params.tx_value = a.tx_value;
	c.defaults.params.tx_description = a.tx_desc;
	c.defaults.params.auth_code = a.auth_code;
	c.defaults.params.issuer_state = a.issuer_state;
	c.defaults.params.authorization_server = a.as;
	c.defaults.params.draft13 = a.draft13;
	c.http.timeout_ms = (long)a.timeout * 1000;
	c.http.retries = (unsigned)a.retries;
	c.http.backoff_ms = 500;
	c.now = vci_time_now();
	if (a.qr) {
		a.cli.jobs = 1;
		c.columns = terminal_columns();
	}
	in = vci_inputs_open(&a.cli, argc - optind_, argv + optind_, &err);
	if (!in) {
		rc = vci_cli_fail(&a.cli, &err, VCI_EXIT_IO);
		goto done;
	}
	/* the output holds pre-authorized codes and tx_codes: 0600 */
	out = vci_out_open_mode(a.cli.output, 0600, &err);
	c.stage = out ? vci_stage_new(&err) : NULL;
	if (!c.stage) {
		vci_out_abort(out);
		vci_inputs_close(in);
		rc = vci_cli_fail(&a.cli, &err, VCI_EXIT_IO);
		goto done;
	}
	rc = vci_batch_run(&a.cli, in, vci_out_file(out), offer_one, &c, NULL, &err);
	vci_inputs_close(in);
	if (rc != VCI_EXIT_OK && rc != VCI_EXIT_FAIL) {
		vci_out_abort(out);
		vci_stage_abort(c.stage);
		rc = vci_cli_fail(&a.cli, &err, VCI_EXIT_IO);
		goto done;
	}
	/* hosted offers and QR images appear with the output, or not at all */
	if (vci_out_commit_staged(out, c.stage, &err) < 0)
		rc = vci_cli_fail(&a.cli, &err, VCI_EXIT_IO);
done:
	json_decref(c.defaults.ids);
	json_decref(c.known);
	vci_defn_list_free(c.defs, c.ndefs);
	return rc;
}
