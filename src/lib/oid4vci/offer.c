/* offer.c - Credential Offers: build, link, parse, store, check. */
#include "offer.h"
#include "base/b64url.h"
#include "base/file.h"
#include "defn.h"
#include "base/url.h"

#include <errno.h>
#include <openssl/rand.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

/* Characters kept literally in the two link forms (see offer.h). */
#define KEEP_VALUE ":/,"
#define DROP_URI "."

int vci_offer_config_id_ok(const char *id)
{
	size_t n = 0;

	if (!id)
		return 0;
	for (; id[n]; n++)
		if ((unsigned char)id[n] <= 0x20 || (unsigned char)id[n] >= 0x7f)
			return 0;
	return n >= 1 && n <= VCI_OFFER_CONFIG_ID_MAX;
}

int vci_offer_id_ok(const char *id)
{
	size_t n = 0;

	if (!id)
		return 0;
	for (; id[n]; n++) {
		unsigned char c = (unsigned char)id[n];

		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		      c == '-' || c == '_'))
			return 0;
	}
	return n >= 1 && n <= VCI_OFFER_ID_MAX;
}

int vci_offer_issuer_ok(const char *url)
{
	return vci_url_is_target(url, 0);
}

char *vci_offer_random(size_t nbytes, vci_err_t *err)
{
	uint8_t buf[64];
	char *s;

	if (nbytes > sizeof buf || RAND_priv_bytes(buf, (int)nbytes) != 1) {
		vci_err_ssl(err, VCI_EXIT_IO, "rand_error", "random bytes");
		return NULL;
	}
	s = vci_b64url_encode(buf, nbytes);
	OPENSSL_cleanse(buf, sizeof buf);
	if (!s)
		vci_err_oom(err);
	return s;
}

char *vci_offer_id_new(vci_err_t *err)
{
	char *s = vci_offer_random(VCI_OFFER_ID_BYTES, err);

	/* '-' or '_' first would read as an option or look odd in a shell
	 * command taking the id: re-draw such a first character from
	 * A-P (the id keeps well over 120 random bits). */
	if (s && (s[0] == '-' || s[0] == '_')) {
		uint8_t b;

		if (RAND_bytes(&b, 1) != 1) {
			free(s);
			vci_err_ssl(err, VCI_EXIT_IO, "rand_error", "random bytes");
			return NULL;
		}
		s[0] = (char)('A' + (b & 15));
	}
	return s;
}

char *vci_offer_tx_code_new(unsigned length, vci_tx_mode_t mode, vci_err_t *err)
{
	/* 32 symbols (text) or 10 (numeric); rejection sampling keeps the
	 * choice uniform. */
	static const char text[] = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
	static const char digits[] = "0123456789";
	const char *alpha = mode == VCI_TX_TEXT ? text : digits;
	unsigned n = mode == VCI_TX_TEXT ? 32 : 10, limit = 256 - 256 % n;
	uint8_t buf[64];
	char *s;
	unsigned i = 0;

	if (length < VCI_TX_CODE_MIN || length > VCI_TX_CODE_MAX) {
		vci_err_set(err, VCI_EXIT_USAGE, "invalid_tx_code", "tx_code length %u: expected %d to %d",
			    length, VCI_TX_CODE_MIN, VCI_TX_CODE_MAX);
		return NULL;
	}
	s = malloc(length + 1);
	if (!s) {
		vci_err_oom(err);
		return NULL;
	}
	while (i < length) {
		if (RAND_priv_bytes(buf, sizeof buf) != 1) {
			OPENSSL_cleanse(s, length);
			free(s);
			vci_err_ssl(err, VCI_EXIT_IO, "rand_error", "random bytes");
			return NULL;
		}
		for (size_t j = 0; j < sizeof buf && i < length; j++)
			if (buf[j] < limit)
				s[i++] = alpha[buf[j] % n];
	}
	s[length] = '\0';
	OPENSSL_cleanse(buf, sizeof buf);
	return s;
}

int vci_offer_tx_mode_parse(const char *s, vci_tx_mode_t *out)
{
	if (s && !strcmp(s, "numeric"))
		*out = VCI_TX_NUMERIC;
	else if (s && !strcmp(s, "text"))
		*out = VCI_TX_TEXT;
	else
		return -1;
	return 0;
}

int vci_offer_tx_code_check(const char *v, vci_tx_mode_t mode, vci_err_t *err)
{
	size_t n = v ? strlen(v) : 0;

	if (n < VCI_TX_CODE_MIN || n > VCI_TX_CODE_MAX)
		return vci_err_set(err, VCI_EXIT_USAGE, "invalid_tx_code",
				   "tx_code: %zu characters, expected %d to %d", n, VCI_TX_CODE_MIN,
				   VCI_TX_CODE_MAX);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)v[i];

		if (mode == VCI_TX_NUMERIC && (c < '0' || c > '9'))
			return vci_err_set(err, VCI_EXIT_USAGE, "invalid_tx_code",
					   "tx_code: input_mode numeric allows digits only");
		if (c <= 0x20 || c >= 0x7f)
			return vci_err_set(err, VCI_EXIT_USAGE, "invalid_tx_code",
					   "tx_code: printable ASCII without spaces only");
	}
	return 0;
}

/* Characters (UTF-8 code points) of a string. */
static size_t utf8_chars(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			n++;
	return n;
}

void vci_offer_clear(vci_offer_t *o)
{
	if (!o)
		return;
	if (o->offer) {
		/* The offer holds a copy of the code: wipe it when nobody else
		 * holds the offer. */
		if (o->offer->refcount == 1) {
			json_t *g = json_object_get(json_object_get(o->offer, "grants"), VCI_GRANT_PRE_AUTH);
			json_t *c = json_object_get(g, "pre-authorized_code");

			if (json_is_string(c))
				OPENSSL_cleanse((char *)json_string_value(c), json_string_length(c));
		}
		json_decref(o->offer);
	}
	vci_str_wipe(o->pre_authorized_code);
	vci_str_wipe(o->tx_code);
	free(o->issuer_state);
	memset(o, 0, sizeof *o);
}

#define bad(err, fmt, arg) vci_err_set(err, VCI_EXIT_USAGE, "invalid_request", fmt, arg)

/* The pre-authorized code grant, with fresh secrets in o. */
static json_t *pre_auth_grant(const vci_offer_params_t *p, vci_offer_t *o, vci_err_t *err)
{
	json_auto_t *g = NULL;
	json_auto_t *tx = NULL;

	o->pre_authorized_code = vci_offer_random(VCI_OFFER_CODE_BYTES, err);
	if (!o->pre_authorized_code)
		return NULL;
	g = json_pack("{s:s}", "pre-authorized_code", o->pre_authorized_code);
	if (!g)
		goto oom;
	if (p->tx_code) {
		if (p->tx_value) {
			if (vci_offer_tx_code_check(p->tx_value, p->tx_mode, err) < 0)
				return NULL;
			o->tx_code = strdup(p->tx_value);
		} else {
			o->tx_code = vci_offer_tx_code_new(p->tx_length, p->tx_mode, err);
			if (!o->tx_code)
				return NULL;
		}
		tx = json_pack("{s:s,s:I}", "input_mode", p->tx_mode == VCI_TX_TEXT ? "text" : "numeric",
			       "length", (json_int_t)(o->tx_code ? strlen(o->tx_code) : 0));
		if (!tx || !o->tx_code)
			goto oom;
		if (p->tx_description &&
		    json_object_set_new(tx, "description", json_string(p->tx_description)) < 0)
			goto oom;
		if (json_object_set(g, "tx_code", tx) < 0 ||
		    (p->draft13 && json_object_set_new(g, "user_pin_required", json_true()) < 0))
			goto oom;
	}
	if (p->authorization_server &&
	    json_object_set_new(g, "authorization_server", json_string(p->authorization_server)) < 0)
		goto oom;
	return json_incref(g);
oom:
	vci_err_oom(err);
	return NULL;
}

int vci_offer_build(const vci_offer_params_t *p, vci_offer_t *o, vci_err_t *err)
{
	json_auto_t *offer = NULL;
	json_t *ids, *grants, *g;

	memset(o, 0, sizeof *o);
	if (!vci_offer_issuer_ok(p->issuer))
		return bad(err, "issuer: %s is not an https URL without query or fragment",
			   p->issuer ? p->issuer : "(none)");
	if (!p->n_config_ids)
		return bad(err, "%s", "no credential configuration id");
	if (p->no_pre_auth && !p->auth_code)
		return bad(err, "%s", "an offer needs a grant: pre-authorized code or authorization code");
	if (p->no_pre_auth && p->tx_code)
		return bad(err, "%s", "a tx_code needs the pre-authorized code grant");
	if (p->tx_description && utf8_chars(p->tx_description) > VCI_TX_DESCRIPTION_MAX)
		return bad(err, "%s", "tx_code description: more than 300 characters");
	if (p->authorization_server && !vci_url_is_target(p->authorization_server, 0))
		return bad(err, "authorization_server: %s is not an https URL without query or fragment",
			   p->authorization_server);
	if (p->issuer_state && (!*p->issuer_state || strlen(p->issuer_state) > 1024))
		return bad(err, "%s", "issuer_state: expected 1 to 1024 bytes");

	offer = json_object();
	ids = json_array();
	if (!offer || !ids || json_object_set_new(offer, "credential_issuer", json_string(p->issuer)) ||
	    json_object_set_new(offer, "credential_configuration_ids", ids))
		return vci_err_oom(err);
	for (size_t i = 0; i < p->n_config_ids; i++) {
		const char *id = p->config_ids[i];

		if (!vci_offer_config_id_ok(id))
			return bad(err, "credential configuration id \"%s\": expected 1 to 255 printable "
				   "characters without spaces", id ? id : "");
		for (size_t j = 0; j < i; j++)
			if (!strcmp(p->config_ids[j], id))
				return bad(err, "credential configuration id \"%s\" given twice", id);
		json_array_append_new(ids, json_string(id));
	}
	if (p->draft13)
		json_object_set_new(offer, "credentials", json_deep_copy(ids));
	grants = json_object();
	json_object_set_new(offer, "grants", grants);
	if (p->auth_code) {
		o->issuer_state = p->issuer_state ? strdup(p->issuer_state)
						  : vci_offer_id_new(err);
		if (!o->issuer_state)
			return -1;
		g = json_pack("{s:s}", "issuer_state", o->issuer_state);
		if (g && p->authorization_server)
			json_object_set_new(g, "authorization_server", json_string(p->authorization_server));
		json_object_set_new(grants, VCI_GRANT_AUTH_CODE, g);
	}
	if (!p->no_pre_auth) {
		g = pre_auth_grant(p, o, err);
		if (!g)
			goto fail;
		json_object_set_new(grants, VCI_GRANT_PRE_AUTH, g);
	}
	o->offer = json_incref(offer);
	return 0;
fail:
	vci_offer_clear(o);
	return -1;
}

/* ---- offers from issuance records ---- */

#define rfail(err, code, fmt, arg) vci_err_set(err, VCI_EXIT_FAIL, code, fmt, arg)

static int add_id(json_t *ids, const json_t *v, const json_t *known, const char *known_from,
		  const char *field, vci_err_t *err)
{
	const char *id = json_string_value(v);

	if (!id || !vci_offer_config_id_ok(id))
		return rfail(err, "invalid_request", "%s: expected a credential configuration id "
			     "(1 to 255 printable characters without spaces)", field);
	if (known && !json_object_get(known, id))
		return vci_err_set(err, VCI_EXIT_FAIL, "unknown_credential_configuration",
				   "credential configuration \"%s\": not in %s", id,
				   known_from ? known_from : "the known configurations");
	for (size_t i = 0; i < json_array_size(ids); i++)
		if (json_equal(json_array_get(ids, i), v))
			return 0;
	if (json_array_size(ids) == VCI_OFFER_MAX_CONFIGS)
		return rfail(err, "invalid_request", "%s: more than 64 credential configuration ids", field);
	return json_array_append(ids, (json_t *)v);
}

static int record_ids(const json_t *rec, const vci_offer_defaults_t *d, const json_t *known,
		      const char *known_from, json_t *ids, vci_err_t *err)
{
	const json_t *v;
	size_t i;

	if ((v = json_object_get(rec, "credential_configuration_ids"))) {
		if (!json_is_array(v) || !json_array_size(v))
			return rfail(err, "invalid_request", "%s: expected a non-empty array",
				     "credential_configuration_ids");
		for (i = 0; i < json_array_size(v); i++)
			if (add_id(ids, json_array_get(v, i), known, known_from,
				   "credential_configuration_ids", err) < 0)
				return -1;
	} else if ((v = json_object_get(rec, "credential_configuration_id"))) {
		if (add_id(ids, v, known, known_from, "credential_configuration_id", err) < 0)
			return -1;
	} else {
		const json_t *e;

		if ((v = json_object_get(rec, "credentialDefinitionId")) &&
		    add_id(ids, v, known, known_from, "credentialDefinitionId", err) < 0)
			return -1;
		json_array_foreach(json_object_get(rec, "credentials"), i, e) {
			const json_t *cid = json_object_get(e, "credentialConfigurationId");

			if (cid && add_id(ids, cid, known, known_from,
					  "credentials[].credentialConfigurationId", err) < 0)
				return -1;
		}
	}
	if (json_array_size(ids))
		return 0;
	if (!json_array_size(d->ids))
		return rfail(err, "invalid_request", "%s", "no credential configuration id: give `config` "
			     "or a record field credential_configuration_id");
	for (i = 0; i < json_array_size(d->ids); i++)
		if (add_id(ids, json_array_get(d->ids, i), known, known_from, "`config`", err) < 0)
			return -1;
	return 0;
}

/* system D's tx_code object ({value, length, input_mode, description}),
 * a tx_code string, or system A's userPin (an empty userPin is none) */
static int record_tx(const json_t *rec, vci_offer_params_t *p, vci_err_t *err)
{
	const json_t *tx = json_object_get(rec, "tx_code");
	const json_t *pin = json_object_get(rec, "userPin");
	const char *value = NULL;
	int have_mode = 0;

	if (json_is_object(tx)) {
		const json_t *v = json_object_get(tx, "value"), *l = json_object_get(tx, "length");
		const json_t *m = json_object_get(tx, "input_mode"), *d = json_object_get(tx, "description");

		if (v && !json_is_string(v))
			return rfail(err, "invalid_request", "%s: expected a string", "tx_code.value");
		if (m) {
			if (vci_offer_tx_mode_parse(json_string_value(m), &p->tx_mode) < 0)
				return rfail(err, "invalid_request", "%s: expected numeric or text",
					     "tx_code.input_mode");
			have_mode = 1;
		}
		if (d && !json_is_string(d))
			return rfail(err, "invalid_request", "%s: expected a string", "tx_code.description");
		if (d)
			p->tx_description = json_string_value(d);
		if (l) {
			if (!json_is_integer(l) || json_integer_value(l) < VCI_TX_CODE_MIN ||
			    json_integer_value(l) > VCI_TX_CODE_MAX)
				return rfail(err, "invalid_tx_code", "%s: expected an integer from 4 to 32",
					     "tx_code.length");
			p->tx_length = (unsigned)json_integer_value(l);
		}
		value = json_string_value(v);
		if (value && l && strlen(value) != p->tx_length)
			return rfail(err, "invalid_tx_code", "%s: the value does not have that length",
				     "tx_code.length");
		if (!value && !p->tx_length)
			p->tx_length = 6;
		p->tx_code = 1;
		p->tx_value = value;
	} else if (tx) {
		if (!json_is_string(tx))
			return rfail(err, "invalid_request", "%s: expected an object or a string", "tx_code");
		value = json_string_value(tx);
	} else if (pin) {
		if (!json_is_string(pin))
			return rfail(err, "invalid_request", "%s: expected a string", "userPin");
		if (json_string_length(pin))
			value = json_string_value(pin);
	}
	if (value) {
		p->tx_code = 1;
		p->tx_value = value;
		if (!have_mode) {
			p->tx_mode = VCI_TX_NUMERIC;
			for (const char *s = value; *s; s++)
				if (*s < '0' || *s > '9')
					p->tx_mode = VCI_TX_TEXT;
		}
	}
	return 0;
}

void vci_offer_request_clear(vci_offer_request_t *req)
{
	if (!req)
		return;
	if (req->id_array)
		json_decref(req->id_array);
	if (req->claims)
		json_decref(req->claims);
	free(req->offer_id);
	memset(req, 0, sizeof *req);
}

int vci_offer_request_from_record(const json_t *rec, const vci_offer_defaults_t *d,
				  const json_t *known, const char *known_from,
				  vci_offer_request_t *req, vci_err_t *err)
{
	const json_t *v;

	memset(req, 0, sizeof *req);
	if (!json_is_object(rec))
		return rfail(err, "invalid_request", "%s", "the record is not a JSON object");
	if (json_object_get(rec, "pre_authorized_code") || json_object_get(rec, "credential_offer"))
		return rfail(err, "invalid_request", "%s", "record already has an offer "
			     "(credential_offer or pre_authorized_code)");
	req->params = d->params;
	req->scheme = d->scheme ? d->scheme : "openid-credential-offer";
	req->id_array = json_array();
	if (!req->id_array)
		return vci_err_oom(err);
	if (record_ids(rec, d, known, known_from, req->id_array, err) < 0 ||
	    record_tx(rec, &req->params, err) < 0)
		goto fail;
	for (size_t i = 0; i < json_array_size(req->id_array); i++)
		req->ids[i] = json_string_value(json_array_get(req->id_array, i));
	req->params.config_ids = req->ids;
	req->params.n_config_ids = json_array_size(req->id_array);

	if ((v = json_object_get(rec, "urlScheme"))) {
		const char *s = json_string_value(v);

		if (!s || (strcmp(s, "openid-credential-offer://") && strcmp(s, "haip://"))) {
			rfail(err, "invalid_request", "%s: expected openid-credential-offer:// or haip://",
			      "urlScheme");
			goto fail;
		}
		req->scheme = s;
	}
	if ((v = json_object_get(rec, "issuanceMode")) &&
	    (!json_is_string(v) || (strcmp(json_string_value(v), "InTime") &&
				    strcmp(json_string_value(v), "Deferred")))) {
		rfail(err, "invalid_request", "%s: expected InTime or Deferred", "issuanceMode");
		goto fail;
	}
	if (!json_object_get(rec, "claims")) {
		const json_t *creds = json_object_get(rec, "credentials");
		const json_t *one = json_array_size(creds) == 1 ? json_array_get(creds, 0) : NULL;
		const json_t *cl = json_object_get(one, "claims");

		if (!json_is_object(cl))
			cl = json_object_get(one, "credentialSubject");
		if (json_is_object(cl))
			req->claims = json_deep_copy(cl);
	}
	if ((v = json_object_get(rec, "offer_id"))) {
		if (!vci_offer_id_ok(json_string_value(v))) {
			rfail(err, "invalid_request", "%s: expected 1 to 128 characters of A-Z a-z 0-9 - _",
			      "offer_id");
			goto fail;
		}
		req->offer_id = strdup(json_string_value(v));
		if (!req->offer_id) {
			vci_err_oom(err);
			goto fail;
		}
	} else if (!(req->offer_id = vci_offer_id_new(err))) {
		goto fail;
	}
	return 0;
fail:
	vci_offer_request_clear(req);
	return -1;
}

int vci_offer_record_fill(json_t *rec, const vci_offer_request_t *req, const vci_offer_t *o,
			  const char *link, int64_t expires_at, vci_err_t *err)
{
	int rc = 0;

	if (!json_object_get(rec, "offer_id"))
		rc |= json_object_set_new(rec, "offer_id", json_string(req->offer_id));
	if (req->params.n_config_ids == 1 && !json_object_get(rec, "credential_configuration_id"))
		rc |= json_object_set_new(rec, "credential_configuration_id", json_string(req->ids[0]));
	if (req->claims)
		rc |= json_object_set(rec, "claims", req->claims);
	rc |= json_object_set(rec, "credential_offer", o->offer);
	rc |= json_object_set_new(rec, "offer_link", json_string(link));
	json_object_del(rec, "credential_offer_uri");
	if (strstr(link, "credential_offer_uri=")) {
		vci_offer_parsed_t p = { 0 };
		vci_err_t ignored = { 0 };

		/* by reference: the offer's https URL, as OID4VCI names it */
		if (vci_offer_parse_link(link, strlen(link), &p, &ignored) == 0 && p.offer_uri)
			rc |= json_object_set_new(rec, "credential_offer_uri",
						  json_string(p.offer_uri));
		vci_offer_parsed_clear(&p);
	}
	if (o->pre_authorized_code)
		rc |= json_object_set_new(rec, "pre_authorized_code", json_string(o->pre_authorized_code));
	if (o->tx_code)
		rc |= json_object_set_new(rec, "tx_code", json_string(o->tx_code));
	else
		json_object_del(rec, "tx_code");
	json_object_del(rec, "userPin");
	if (o->issuer_state)
		rc |= json_object_set_new(rec, "issuer_state", json_string(o->issuer_state));
	rc |= json_object_set_new(rec, "expires_at", json_integer((json_int_t)expires_at));
	if (rc)
		return vci_err_oom(err);
	return 0;
}

/* ---- checking an offer ---- */

#define inval(err, fmt, arg) vci_err_set(err, VCI_EXIT_INPUT, "invalid_credential_offer", fmt, arg)

static int check_ids(const json_t *ids, const char *name, int strings_only, vci_err_t *err)
{
	size_t i, j;

	if (!json_is_array(ids) || !json_array_size(ids))
		return inval(err, "%s: expected a non-empty array", name);
	for (i = 0; i < json_array_size(ids); i++) {
		const json_t *a = json_array_get(ids, i);

		if (!json_is_string(a)) {
			if (strings_only || !json_is_object(a))
				return inval(err, "%s: expected strings", name);
			continue;
		}
		if (!json_string_length(a))
			return inval(err, "%s: empty id", name);
		for (j = 0; j < i; j++)
			if (json_equal(a, json_array_get(ids, j)))
				return inval(err, "%s: an id is repeated", name);
	}
	return 0;
}

static int check_as(const json_t *g, const char *grant, vci_err_t *err)
{
	const json_t *as = json_object_get(g, "authorization_server");

	if (as && (!json_is_string(as) || !vci_url_is_target(json_string_value(as), 0)))
		return inval(err, "grants.%s.authorization_server: expected an https URL", grant);
	return 0;
}

int vci_offer_check(const json_t *offer, vci_err_t *err)
{
	const json_t *iss, *ids, *grants, *g;

	if (!json_is_object(offer))
		return inval(err, "%s", "the offer is not a JSON object");
	iss = json_object_get(offer, "credential_issuer");
	if (!json_is_string(iss) || !vci_offer_issuer_ok(json_string_value(iss)))
		return inval(err, "%s", "credential_issuer: expected an https URL without query or fragment");
	ids = json_object_get(offer, "credential_configuration_ids");
	if (ids) {
		if (check_ids(ids, "credential_configuration_ids", 1, err) < 0)
			return -1;
	} else if (json_object_get(offer, "credentials")) {
		if (check_ids(json_object_get(offer, "credentials"), "credentials", 0, err) < 0)
			return -1;
	} else {
		return inval(err, "%s", "credential_configuration_ids: missing");
	}
	grants = json_object_get(offer, "grants");
	if (!grants)
		return 0;
	if (!json_is_object(grants))
		return inval(err, "%s", "grants: expected an object");
	g = json_object_get(grants, VCI_GRANT_AUTH_CODE);
	if (g) {
		const json_t *st = json_object_get(g, "issuer_state");

		if (!json_is_object(g))
			return inval(err, "%s", "grants.authorization_code: expected an object");
		if (st && !json_is_string(st))
			return inval(err, "%s", "grants.authorization_code.issuer_state: expected a string");
		if (check_as(g, VCI_GRANT_AUTH_CODE, err) < 0)
			return -1;
	}
	g = json_object_get(grants, VCI_GRANT_PRE_AUTH);
	if (g) {
		const json_t *code = json_object_get(g, "pre-authorized_code");
		const json_t *tx = json_object_get(g, "tx_code");

		if (!json_is_object(g))
			return inval(err, "%s", "grants." VCI_GRANT_PRE_AUTH ": expected an object");
		if (!json_is_string(code) || !json_string_length(code))
			return inval(err, "%s", "pre-authorized_code: missing or not a string");
		if (tx) {
			const json_t *m = json_object_get(tx, "input_mode");
			const json_t *l = json_object_get(tx, "length");
			const json_t *d = json_object_get(tx, "description");

			if (!json_is_object(tx))
				return inval(err, "%s", "tx_code: expected an object");
			if (m && (!json_is_string(m) || (strcmp(json_string_value(m), "numeric") &&
							 strcmp(json_string_value(m), "text"))))
				return inval(err, "%s", "tx_code.input_mode: expected numeric or text");
			if (l && (!json_is_integer(l) || json_integer_value(l) < 1))
				return inval(err, "%s", "tx_code.length: expected a positive integer");
			if (d && (!json_is_string(d) ||
				  utf8_chars(json_string_value(d)) > VCI_TX_DESCRIPTION_MAX))
				return inval(err, "%s", "tx_code.description: expected at most 300 characters");
		}
		if (check_as(g, VCI_GRANT_PRE_AUTH, err) < 0)
			return -1;
	}
	return 0;
}

/* ---- links ---- */

static int scheme_chars(const char *s, size_t n)
{
	if (!n || !((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z')))
		return 0;
	for (size_t i = 1; i < n; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '+' || c == '-' || c == '.'))
			return 0;
	}
	return 1;
}

int vci_offer_scheme_check(const char *s, vci_err_t *err)
{
	size_t n;

	if (!s || !*s)
		return vci_err_set(err, VCI_EXIT_USAGE, "invalid_scheme", "scheme: empty");
	if (!strncasecmp(s, "https://", 8)) {
		if (!vci_url_is_https(s, 1) || strchr(s, '#'))
			return vci_err_set(err, VCI_EXIT_USAGE, "invalid_scheme",
					   "scheme: %s is not an https URL without a fragment", s);
		return 0;
	}
	n = strlen(s);
	if (n > 3 && !strcmp(s + n - 3, "://"))
		n -= 3;
	if (!scheme_chars(s, n) || n > 64)
		return vci_err_set(err, VCI_EXIT_USAGE, "invalid_scheme",
				   "scheme: \"%s\" is not a URI scheme (a letter, then letters, digits, "
				   "'+', '-' or '.') or an https URL", s);
	if ((n == 4 && !strncasecmp(s, "http", 4)) || (n == 5 && !strncasecmp(s, "https", 5)))
		return vci_err_set(err, VCI_EXIT_USAGE, "invalid_scheme",
				   "scheme: give a wallet's https URL, not the bare scheme \"%.*s\"",
				   (int)n, s);
	return 0;
}

char *vci_offer_link(const char *scheme, const json_t *offer, const char *offer_uri,
		     vci_err_t *err)
{
	char_auto_t *base = NULL;
	char_auto_t *json = NULL;
	char *link;
	size_t n;

	if (vci_offer_scheme_check(scheme, err) < 0)
		return NULL;
	n = strlen(scheme);
	if (!strncasecmp(scheme, "https://", 8))
		base = strdup(scheme);
	else if (asprintf(&base, "%.*s://", (int)(n > 3 && !strcmp(scheme + n - 3, "://") ? n - 3 : n),
			  scheme) < 0)
		base = NULL;
	if (!base)
		goto oom;
	if (offer_uri) {
		link = vci_url_add_param(base, "credential_offer_uri", offer_uri, strlen(offer_uri), NULL,
					 DROP_URI);
	} else {
		json = vci_json_dump(offer);
		if (!json)
			goto oom;
		link = vci_url_add_param(base, "credential_offer", json, strlen(json), KEEP_VALUE, NULL);
		OPENSSL_cleanse(json, strlen(json));
	}
	if (!link)
		goto oom;
	return link;
oom:
	vci_err_oom(err);
	return NULL;
}

void vci_offer_parsed_clear(vci_offer_parsed_t *p)
{
	if (!p)
		return;
	free(p->prefix);
	if (p->offer)
		json_decref(p->offer);
	free(p->offer_uri);
	memset(p, 0, sizeof *p);
}

int vci_offer_parse_link(const char *link, size_t len, vci_offer_parsed_t *out, vci_err_t *err)
{
	const char *q, *end, *p;
	char_auto_t *value = NULL;
	size_t vlen = 0;
	int which = 0; /* 1 by value, 2 by reference */

	memset(out, 0, sizeof *out);
	if (len > VCI_OFFER_LINK_MAX)
		return vci_err_set(err, VCI_EXIT_INPUT, "invalid_credential_offer",
				   "link: longer than %u bytes", VCI_OFFER_LINK_MAX);
	if (memchr(link, '\0', len))
		return vci_err_set(err, VCI_EXIT_INPUT, "invalid_credential_offer", "link: NUL byte");
	q = memchr(link, '?', len);
	if (!q)
		return vci_err_set(err, VCI_EXIT_INPUT, "invalid_credential_offer", "link: no query");
	{
		const char *colon = memchr(link, ':', (size_t)(q - link));

		if (!colon || !scheme_chars(link, (size_t)(colon - link)))
			return vci_err_set(err, VCI_EXIT_INPUT, "invalid_credential_offer",
					   "link: no URI scheme");
	}
	end = memchr(q, '#', len - (size_t)(q - link));
	if (!end)
		end = link + len;
	for (p = q + 1; p < end;) {
		const char *amp = memchr(p, '&', (size_t)(end - p)), *eq;
		size_t plen;
		int w = 0;

		if (!amp)
			amp = end;
		plen = (size_t)(amp - p);
		eq = memchr(p, '=', plen);
		if (eq) {
			char_auto_t *name = NULL;

			if (vci_url_decode(p, (size_t)(eq - p), 1, &name, NULL, err) < 0)
				return vci_err_prefix(err, "link");
			if (!strcmp(name, "credential_offer"))
				w = 1;
			else if (!strcmp(name, "credential_offer_uri"))
				w = 2;
		}
		if (w) {
			if (which == w)
				return vci_err_set(err, VCI_EXIT_INPUT, "invalid_credential_offer",
						   "link: %s given twice", w == 1 ? "credential_offer"
										  : "credential_offer_uri");
			if (which)
				return vci_err_set(err, VCI_EXIT_INPUT, "invalid_credential_offer",
						   "link: both credential_offer and credential_offer_uri");
			which = w;
			if (vci_url_decode(eq + 1, (size_t)(amp - eq - 1), 1, &value, &vlen, err) < 0) {
				snprintf(err->code, sizeof err->code, "invalid_credential_offer");
				return vci_err_prefix(err, "link");
			}
		}
		p = amp + 1;
	}
	if (!which)
		return vci_err_set(err, VCI_EXIT_INPUT, "invalid_credential_offer",
				   "link: neither credential_offer nor credential_offer_uri");
	out->prefix = strndup(link, (size_t)(q - link));
	if (!out->prefix)
		return vci_err_oom(err);
	if (which == 2) {
		if (!vci_url_is_target(value, 1)) {
			vci_offer_parsed_clear(out);
			return vci_err_set(err, VCI_EXIT_INPUT, "invalid_credential_offer",
					   "credential_offer_uri: not an https URL");
		}
		out->offer_uri = value;
		value = NULL;
		return 0;
	}
	out->offer = vci_json_parse(value, vlen, "credential_offer", err);
	if (!out->offer || vci_offer_check(out->offer, err) < 0) {
		snprintf(err->code, sizeof err->code, "invalid_credential_offer");
		err->status = VCI_EXIT_INPUT;
		vci_offer_parsed_clear(out);
		return -1;
	}
	return 0;
}

/* ---- offers kept in a directory ---- */

static char *offer_path(const char *dir, const char *id, vci_err_t *err)
{
	char *path = NULL;

	if (!vci_offer_id_ok(id)) {
		vci_err_set(err, VCI_EXIT_INPUT, "invalid_request", "offer id: not 1 to %d base64url "
			    "characters", VCI_OFFER_ID_MAX);
		return NULL;
	}
	if (asprintf(&path, "%s/%s.json", dir, id) < 0) {
		vci_err_oom(err);
		return NULL;
	}
	return path;
}

int vci_offer_save(const char *dir, const char *offer_id, const json_t *offer, vci_err_t *err)
{
	char_auto_t *path = offer_path(dir, offer_id, err);
	vci_out_t *o;
	FILE *f;

	if (!path)
		return -1;
	o = vci_out_open(path, err);
	if (!o)
		return -1;
	f = vci_out_file(o);
	if (json_dumpf(offer, f, JSON_COMPACT | JSON_PRESERVE_ORDER) < 0 || fputc('\n', f) == EOF) {
		vci_out_abort(o);
		return vci_err_set(err, VCI_EXIT_IO, "io_error", "%s: write failed", path);
	}
	fchmod(fileno(f), 0644);
	return vci_out_commit(o, err);
}

int vci_offer_file_mode(const char *dir, const json_t *offer)
{
	const json_t *g = json_object_get(json_object_get(offer, "grants"),
					  "urn:ietf:params:oauth:grant-type:pre-authorized_code");
	struct stat st;

	if (!g)
		return 0644;
	if (dir && stat(dir, &st) == 0 && S_ISDIR(st.st_mode) && (st.st_mode & S_ISGID))
		return 0640;
	return 0600;
}

long vci_offer_stage(struct vci_stage *stage, const char *dir, const char *offer_id,
		     const json_t *offer, vci_err_t *err)
{
	char_auto_t *path = offer_path(dir, offer_id, err);
	wipe_auto_t *text = NULL;
	long h;

	if (!path)
		return -1;
	text = vci_json_dumps(offer, JSON_COMPACT | JSON_PRESERVE_ORDER);
	if (!text)
		return vci_err_oom(err);
	/* one line, as vci_offer_save writes it */
	{
		size_t n = strlen(text);
		char *line = realloc(text, n + 2);

		if (!line)
			return vci_err_oom(err);
		text = line;
		memcpy(text + n, "\n", 2);
	}
	h = vci_stage_file(stage, path, text, strlen(text), vci_offer_file_mode(dir, offer), err);
	return h;
}

json_t *vci_offer_load(const char *dir, const char *offer_id, vci_err_t *err)
{
	char_auto_t *path = offer_path(dir, offer_id, err);
	json_t *j;

	if (!path)
		return NULL;
	if (access(path, F_OK) != 0) {
		vci_err_set(err, VCI_EXIT_INPUT, "not_found", "offer %s: no such offer", offer_id);
		return NULL;
	}
	j = vci_json_load_file(path, err);
	if (j && vci_offer_check(j, err) < 0) {
		json_decref(j);
		return NULL;
	}
	return j;
}

int vci_offer_remove(const char *dir, const char *offer_id, vci_err_t *err)
{
	char_auto_t *path = offer_path(dir, offer_id, err);

	if (!path)
		return -1;
	if (unlink(path) != 0 && errno != ENOENT)
		return vci_err_set(err, VCI_EXIT_IO, "io_error", "%s: %s", path, strerror(errno));
	return 0;
}

/* ---- the token endpoint's check ---- */

int vci_offer_check_grant(const json_t *rec, const char *code, const char *tx_code, int64_t now,
			  vci_err_t *err)
{
	const json_t *rc = json_object_get(rec, "pre_authorized_code");
	const json_t *rt = json_object_get(rec, "tx_code");
	const json_t *exp = json_object_get(rec, "expires_at");
	int ok;

	if (!json_is_string(rc) || !code)
		return vci_err_set(err, VCI_EXIT_FAIL, "invalid_grant", "pre-authorized code: unknown");
	ok = vci_ct_equal(json_string_value(rc), json_string_length(rc), code, strlen(code));
	if (!ok)
		return vci_err_set(err, VCI_EXIT_FAIL, "invalid_grant", "pre-authorized code: unknown");
	if (!json_is_integer(exp) || now >= (int64_t)json_integer_value(exp))
		return vci_err_set(err, VCI_EXIT_FAIL, "invalid_grant", "pre-authorized code: expired");
	if (rt && !tx_code)
		return vci_err_set(err, VCI_EXIT_FAIL, "invalid_request", "tx_code: required by the offer");
	if (!rt && tx_code)
		return vci_err_set(err, VCI_EXIT_FAIL, "invalid_request", "tx_code: not expected");
	if (rt && (!json_is_string(rt) ||
		   !vci_ct_equal(json_string_value(rt), json_string_length(rt), tx_code, strlen(tx_code))))
		return vci_err_set(err, VCI_EXIT_FAIL, "invalid_grant", "tx_code: wrong");
	return 0;
}

/* ---- delivery to a wallet ---- */

int vci_offer_send(const char *endpoint, const json_t *offer, const char *offer_uri,
		   const vci_http_opts_t *o, vci_http_result_t *r, vci_err_t *err)
{
	vci_http_result_t mine;
	char *u = NULL;
	int rc;

	if (!r)
		r = &mine;
	memset(r, 0, sizeof *r);
	if (offer_uri) {
		u = vci_url_add_param(endpoint, "credential_offer_uri", offer_uri, strlen(offer_uri),
				      NULL, ".");
	} else {
		char *js = offer ? vci_json_dump(offer) : NULL;

		u = js ? vci_url_add_param(endpoint, "credential_offer", js, strlen(js), ":/,",
					   NULL) : NULL;
		vci_str_wipe(js);
	}
	if (!u)
		return vci_err_oom(err);
	rc = vci_http_get(u, o, r, err);
	vci_str_wipe(u);
	if (rc < 0)
		vci_err_prefix(err, "offer delivery");
	return rc;
}

int vci_offer_send_tx_code(const char *url, const char *offer_id, const char *tx_code,
			   const vci_http_opts_t *o, vci_http_result_t *r, vci_err_t *err)
{
	vci_http_result_t mine;
	char *u1 = vci_url_add_param(url, "offer_id", offer_id, strlen(offer_id), NULL, NULL);
	char *u = u1 ? vci_url_add_param(u1, "tx_code", tx_code, strlen(tx_code), NULL, NULL) : NULL;
	int rc;

	free(u1);
	if (!u)
		return vci_err_oom(err);
	rc = vci_http_get(u, o, r ? r : &mine, err);
	vci_str_wipe(u);
	if (rc < 0)
		vci_err_prefix(err, "tx_code delivery");
	return rc;
}
