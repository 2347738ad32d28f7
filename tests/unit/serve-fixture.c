/* serve-fixture.c - a vci-serve set up in a temporary directory for the
 * handler tests and fuzz targets (see serve-fixture.h). */
#include "serve-fixture.h"
#include "base/http.h"
#include "oid4vci/offer.h"
#include "oid4vci/statuslist.h"

#include <ftw.h>
#include <string.h>
#include <unistd.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

static const char defs_json[] =
	"[{\"id\":\"pid\",\"format\":\"dc+sd-jwt\",\"vct\":\"urn:test:pid\",\"scope\":\"pid\","
	"\"claims\":[{\"path\":[\"given_name\"],\"mandatory\":true,\"value_type\":\"string\"},"
	"{\"path\":[\"family_name\"],\"mandatory\":true,\"value_type\":\"string\"}],"
	"\"status\":\"token_status_list\","
	"\"key_binding\":{\"methods\":[\"jwk\"],\"proof_algs\":[\"ES256\"]}},"
	"{\"id\":\"mdl\",\"format\":\"mso_mdoc\",\"doctype\":\"org.iso.18013.5.1.mDL\",\"scope\":\"mdl\","
	"\"claims\":[{\"path\":[\"org.iso.18013.5.1\",\"family_name\"],\"mandatory\":true,"
	"\"value_type\":\"string\"},{\"path\":[\"org.iso.18013.5.1\",\"given_name\"],"
	"\"mandatory\":true,\"value_type\":\"string\"}],\"status\":\"token_status_list\","
	"\"key_binding\":{\"methods\":[\"cose_key\"],\"proof_algs\":[\"ES256\"]}},"
	"{\"id\":\"diploma\",\"format\":\"jwt_vc_json\",\"type\":[\"VerifiableCredential\","
	"\"UniversityDegreeCredential\"],\"@context\":[\"https://www.w3.org/2018/credentials/v1\"],"
	"\"claims\":[{\"path\":[\"given_name\"],\"mandatory\":true,\"value_type\":\"string\"},"
	"{\"path\":[\"degree\"],\"value_type\":\"string\"}],\"status\":\"bitstring_status_list\","
	"\"key_binding\":{\"methods\":[\"did:jwk\",\"jwk\"],\"proof_algs\":[\"ES256\"]}},"
	"{\"id\":\"card\",\"format\":\"dc+sd-jwt\",\"vct\":\"urn:test:card\","
	"\"claims\":[{\"path\":[\"given_name\"],\"mandatory\":true,\"value_type\":\"string\"},"
	"{\"path\":[\"family_name\"],\"value_type\":\"string\"}]}]";

static const char *path_in(const serve_fixture_t *fx, const char *name)
{
	static char buf[8][128];
	static int i;

	i = (i + 1) % 8;
	snprintf(buf[i], sizeof buf[i], "%s/%s", fx->dir, name);
	return buf[i];
}

static X509 *self_signed(EVP_PKEY *key)
{
	X509 *x = X509_new();
	X509_NAME *n = X509_NAME_new();

	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 42);
	X509_gmtime_adj(X509_getm_notBefore(x), -86400);
	X509_gmtime_adj(X509_getm_notAfter(x), 86400L * 365);
	X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC, (const unsigned char *)"issuer.example",
				   -1, -1, 0);
	X509_set_subject_name(x, n);
	X509_set_issuer_name(x, n);
	X509_NAME_free(n);
	X509_set_pubkey(x, key);
	X509_sign(x, key, EVP_sha256());
	return x;
}

static int write_text(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	int ok = f && fputs(text, f) >= 0;

	if (f && fclose(f) != 0)
		ok = 0;
	return ok;
}

static int write_key_cert(const serve_fixture_t *fx)
{
	FILE *f = fopen(path_in(fx, "key.pem"), "w");
	X509 *cert = self_signed(fx->issuer);
	int ok = f && PEM_write_PrivateKey(f, fx->issuer, NULL, NULL, 0, NULL, NULL);

	if (f)
		fclose(f);
	f = fopen(path_in(fx, "cert.pem"), "w");
	ok = ok && f && PEM_write_X509(f, cert);
	if (f)
		fclose(f);
	X509_free(cert);
	return ok;
}

static int write_lists(const serve_fixture_t *fx, vci_err_t *err)
{
	statuslist_auto_t *tsl = vci_statuslist_new(VCI_SL_TSL, 2, 4096,
						     SERVE_FIXTURE_ISSUER "/status/1", NULL, err);
	statuslist_auto_t *w3c = vci_statuslist_new(VCI_SL_BITSTRING, 1, VCI_SL_BITSTRING_MIN,
						     SERVE_FIXTURE_ISSUER "/status/2",
						     "revocation", err);

	return tsl && w3c && vci_statuslist_create(path_in(fx, "tsl.sl"), tsl, 0, err) == 0 &&
	       vci_statuslist_create(path_in(fx, "w3c.sl"), w3c, 0, err) == 0;
}

static vci_serve_t *make_server(const serve_fixture_t *fx, vci_err_t *err)
{
	/* the first six are files in the directory */
	static const char *const opts[][2] = {
		{ "defn", "defs.json" }, { "key", "key.pem" }, { "cert", "cert.pem" },
		{ "state", "state" }, { "status-list", "tsl.sl" }, { "status-list", "w3c.sl" },
		{ "issuer", SERVE_FIXTURE_ISSUER }, { "batch-size", "3" }, { "tx-attempts", "3" },
	};
	vci_serve_config_t c;
	vci_serve_t *s = NULL;
	int ok = 1;

	vci_serve_config_init(&c);
	for (size_t i = 0; ok && i < sizeof opts / sizeof opts[0]; i++)
		ok = vci_serve_config_set(&c, opts[i][0], i < 6 ? path_in(fx, opts[i][1]) : opts[i][1],
					  0, err) == 0;
	if (ok && vci_serve_config_check(&c, err) == 0)
		s = vci_serve_new(&c, err);
	vci_serve_config_clear(&c);
	return s;
}

int serve_fixture_up(serve_fixture_t *fx)
{
	vci_err_t err = { 0 };

	memset(fx, 0, sizeof *fx);
	snprintf(fx->dir, sizeof fx->dir, "/tmp/vci-serve-fixture-XXXXXX");
	if (!mkdtemp(fx->dir)) {
		fx->dir[0] = '\0';
		return 0;
	}
	fx->now = (int64_t)time(NULL);
	fx->issuer = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	if (!fx->issuer || !write_key_cert(fx) || !write_text(path_in(fx, "defs.json"), defs_json) ||
	    !write_lists(fx, &err) || !(fx->s = make_server(fx, &err))) {
		fprintf(stderr, "serve fixture: %s\n", err.msg[0] ? err.msg : "cannot write files");
		return 0;
	}
	return 1;
}

static int remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

void serve_fixture_down(serve_fixture_t *fx)
{
	vci_serve_free(fx->s);
	EVP_PKEY_free(fx->issuer);
	if (fx->dir[0] && nftw(fx->dir, remove_one, 8, FTW_DEPTH | FTW_PHYS) != 0)
		fprintf(stderr, "serve fixture: %s left behind\n", fx->dir);
	memset(fx, 0, sizeof *fx);
}

json_t *serve_fixture_claims(const char *config)
{
	if (!strcmp(config, "mdl"))
		return json_pack("{s:{s:s, s:s}}", "org.iso.18013.5.1", "family_name", "Mustermann",
				 "given_name", "Erika");
	if (!strcmp(config, "diploma"))
		return json_pack("{s:s, s:s}", "given_name", "Erika", "degree", "BSc");
	return json_pack("{s:s, s:s}", "given_name", "Erika", "family_name", "Mustermann");
}

char *serve_fixture_offer(serve_fixture_t *fx, const char *configs, const char *tx,
			  unsigned tx_attempts)
{
	const char *ids[8];
	char buf[128], *save = NULL, *code = NULL;
	vci_offer_params_t p = { 0 };
	vci_offer_t o = { 0 };
	json_auto_t *rec = NULL;
	json_auto_t *idarr = json_array();
	char_auto_t *offer_id = vci_offer_random(16, NULL);
	vci_err_t err = { 0 };

	snprintf(buf, sizeof buf, "%s", configs);
	for (char *t = strtok_r(buf, " ", &save); t && p.n_config_ids < 8;
	     t = strtok_r(NULL, " ", &save)) {
		ids[p.n_config_ids++] = t;
		json_array_append_new(idarr, json_string(t));
	}
	p.issuer = SERVE_FIXTURE_ISSUER;
	p.config_ids = ids;
	p.tx_code = tx != NULL;
	p.tx_value = tx;
	p.tx_length = 6;
	if (!p.n_config_ids || vci_offer_build(&p, &o, &err) < 0)
		goto out;
	rec = json_pack("{s:s, s:O, s:O, s:s, s:o, s:I}", "offer_id", offer_id,
			"credential_configuration_ids", idarr, "credential_offer", o.offer,
			"pre_authorized_code", o.pre_authorized_code, "claims",
			serve_fixture_claims(ids[0]), "expires_at", (json_int_t)(fx->now + 600));
	if (rec && o.tx_code)
		json_object_set_new(rec, "tx_code", json_string(o.tx_code));
	if (rec && vci_serve_offer_put(fx->s->store, rec, tx_attempts, fx->now, &err) == 0)
		code = strdup(o.pre_authorized_code);
out:
	if (!code)
		fprintf(stderr, "serve fixture: offer: %s\n", err.msg);
	vci_offer_clear(&o);
	return code;
}

char *serve_fixture_token(serve_fixture_t *fx, const char *configs)
{
	char_auto_t *code = serve_fixture_offer(fx, configs, NULL, 1);
	char_auto_t *enc = code ? vci_url_encode(code, strlen(code), NULL, NULL) : NULL;
	char_auto_t *body = NULL;
	vci_req_t r = { 0 };
	vci_resp_t resp = { 0 };
	json_auto_t *j = NULL;
	char *token = NULL;

	if (!enc || asprintf(&body, "grant_type=%s&pre-authorized_code=%s",
			     VCI_GRANT_PRE_AUTH, enc) < 0)
		return NULL;
	r.method = "POST";
	r.path = "/token";
	r.now = fx->now;
	r.body = body;
	r.body_len = strlen(body);
	r.headers[0].name = "Content-Type";
	r.headers[0].value = "application/x-www-form-urlencoded";
	r.nheaders = 1;
	vci_h_token(fx->s, &r, &resp);
	j = resp.status == 200 ? json_loadb(resp.body, resp.len, 0, NULL) : NULL;
	if (json_is_string(json_object_get(j, "access_token")))
		token = strdup(json_string_value(json_object_get(j, "access_token")));
	else
		fprintf(stderr, "serve fixture: token: %d %s\n", resp.status,
			resp.body ? resp.body : "");
	vci_resp_clear(&resp);
	return token;
}
