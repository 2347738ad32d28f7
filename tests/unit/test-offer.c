/* test-offer.c - Credential Offers: the OID4VCI 1.0 section 4.1 link
 * examples reproduced byte for byte and parsed back, link parsing edge
 * cases and refusals, offer building (secrets, tx_code, draft 13), the
 * token endpoint's grant check, the offer directory, URL helpers and QR
 * renderings. */
#include "base/common.h"
#include "base/url.h"
#include "oid4vci/offer.h"
#include "base/qr.h"
#include "tap.h"

#include <string.h>
#include <unistd.h>

#define SPEC_OFFER_QR \
	"{\"credential_issuer\":\"https://credential-issuer.example.com\"," \
	"\"credential_configuration_ids\":[\"org.iso.18013.5.1.mDL\"],\"grants\":" \
	"{\"urn:ietf:params:oauth:grant-type:pre-authorized_code\":{\"pre-authorized_code\":" \
	"\"oaKazRN8I0IbtZ0C7JuMn5\",\"tx_code\":{\"input_mode\":\"text\",\"description\":" \
	"\"Please enter the serial number of your physical drivers license\"}}}}"
#define SPEC_OFFER_GET \
	"{\"credential_issuer\":\"https://credential-issuer.example.com\"," \
	"\"credential_configuration_ids\":[\"UniversityDegree_JWT\",\"org.iso.18013.5.1.mDL\"]," \
	"\"grants\":{\"urn:ietf:params:oauth:grant-type:pre-authorized_code\":" \
	"{\"pre-authorized_code\":\"oaKazRN8I0IbtZ0C7JuMn5\",\"tx_code\":{}}}}"
#define SPEC_URI "https://server.example.com/credential-offer/GkurKxf5T0Y-mnPFCHqWOMiZi4VS138cQO_V7PZHAdM"

static char *vector(const char *name)
{
	char path[256];
	char *s;
	size_t n = 0;

	snprintf(path, sizeof path, "tests/vectors/%s", name);
	s = tap_slurp(tap_srcpath(path), &n);
	while (s && n && (s[n - 1] == '\n' || s[n - 1] == '\r'))
		s[--n] = '\0';
	return s;
}

static int parses(const char *link, vci_offer_parsed_t *p, vci_err_t *err)
{
	vci_err_clear(err);
	return vci_offer_parse_link(link, strlen(link), p, err);
}

static int refused(const char *link, const char *why)
{
	vci_offer_parsed_t p;
	vci_err_t err = { 0 };
	int rc = parses(link, &p, &err);

	vci_offer_parsed_clear(&p);
	if (rc == 0)
		return tap_ok(0, "refused: %s (accepted)", why);
	return tap_ok(!strcmp(err.code, "invalid_credential_offer") && err.status == VCI_EXIT_INPUT,
		      "refused: %s (%s)", why, err.msg);
}

static void spec_vectors(void)
{
	char *by_value = vector("oid4vci-1.0-4.1.2-offer-link-by-value.txt");
	char *get = vector("oid4vci-1.0-4.1.2-offer-get-by-value.txt");
	char *by_ref = vector("oid4vci-1.0-4.1.3-offer-link-by-reference.txt");
	vci_err_t err = { 0 };
	vci_offer_parsed_t p;
	json_t *offer = json_loads(SPEC_OFFER_QR, JSON_PRESERVE_ORDER, NULL);
	json_t *offer2 = json_loads(SPEC_OFFER_GET, JSON_PRESERVE_ORDER, NULL);
	char *link;

	tap_ok(by_value && get && by_ref && offer && offer2, "spec vectors loaded");
	link = vci_offer_link("openid-credential-offer", offer, NULL, &err);
	tap_is_str(link, by_value, "4.1.2 QR example link reproduced byte for byte");
	free(link);
	link = vci_offer_link("openid-credential-offer://", offer, NULL, &err);
	tap_is_str(link, by_value, "the scheme may be given with ://");
	free(link);
	link = vci_offer_link("https://wallet.example.com/credential_offer", offer2, NULL, &err);
	tap_ok(link && get && !strcmp(strchr(link, '?'), strchr(get, '?')),
	       "4.1.2 GET example query reproduced byte for byte");
	free(link);
	link = vci_offer_link("openid-credential-offer", NULL, SPEC_URI, &err);
	tap_is_str(link, by_ref, "4.1.3 by-reference link reproduced byte for byte");
	free(link);

	tap_ok(parses(by_value, &p, &err) == 0, "4.1.2 QR example parses: %s", err.msg);
	tap_is_str(p.prefix, "openid-credential-offer://", "prefix");
	tap_ok(p.offer && json_equal(p.offer, offer), "offer equals the example object");
	tap_ok(!p.offer_uri, "no offer uri");
	vci_offer_parsed_clear(&p);
	tap_ok(parses(strchr(get, ' ') + 1, &p, &err) != 0, "a bare path has no scheme");
	{
		char buf[2048];

		snprintf(buf, sizeof buf, "https://wallet.example.com%s", strchr(get, ' ') + 1);
		tap_ok(parses(buf, &p, &err) == 0, "4.1.2 GET example parses at an https endpoint");
		tap_ok(p.offer && json_equal(p.offer, offer2), "two ids and an empty tx_code");
		vci_offer_parsed_clear(&p);
	}
	tap_ok(parses(by_ref, &p, &err) == 0, "4.1.3 example parses");
	tap_is_str(p.offer_uri, SPEC_URI, "%%2E decoded in credential_offer_uri");
	tap_ok(!p.offer, "no offer object by reference");
	vci_offer_parsed_clear(&p);
	json_decref(offer);
	json_decref(offer2);
	free(by_value);
	free(get);
	free(by_ref);
}

static void parsing(void)
{
	vci_offer_parsed_t p;
	vci_err_t err = { 0 };
	const char *ok_value = "%7B%22credential_issuer%22:%22https://i.example%22,"
			       "%22credential_configuration_ids%22:%5B%22pid%22%5D%7D";
	char buf[1024];

	snprintf(buf, sizeof buf, "haip-vci://?credential_offer_uri=https%%3A%%2F%%2Fi.example%%2Fo%%2F1");
	tap_ok(parses(buf, &p, &err) == 0 && !strcmp(p.prefix, "haip-vci://"), "haip-vci:// by reference");
	vci_offer_parsed_clear(&p);
	snprintf(buf, sizeof buf, "haip://?credential_offer=%s", ok_value);
	tap_ok(parses(buf, &p, &err) == 0 && p.offer, "haip:// by value");
	vci_offer_parsed_clear(&p);
	snprintf(buf, sizeof buf, "eudi-openid4ci://?credential_offer=%s", ok_value);
	tap_ok(parses(buf, &p, &err) == 0, "a custom scheme");
	vci_offer_parsed_clear(&p);
	snprintf(buf, sizeof buf, "https://wallet.example/cb?x=1&credential_offer=%s&y=%%7B#frag", ok_value);
	tap_ok(parses(buf, &p, &err) == 0 && !strcmp(p.prefix, "https://wallet.example/cb"),
	       "https link: other parameters and a fragment ignored");
	vci_offer_parsed_clear(&p);
	tap_ok(parses("openid-credential-offer://?credential_offer=%7B%22credential_issuer%22:"
		      "%22https://i.example%22,%22credential_configuration_ids%22:%5B%22a+b%22%5D%7D",
		      &p, &err) == 0 &&
		       !strcmp(json_string_value(json_array_get(
				       json_object_get(p.offer, "credential_configuration_ids"), 0)), "a b"),
	       "'+' decodes as a space (form encoding)");
	vci_offer_parsed_clear(&p);
	tap_ok(parses("openid-credential-offer://?credential_offer=%7B%22credential_issuer%22:"
		      "%22https://i.example%22,%22credentials%22:%5B%22pid%22%5D%7D", &p, &err) == 0,
	       "a pre-13 offer with credentials");
	vci_offer_parsed_clear(&p);

	refused("openid-credential-offer://", "no query");
	refused("openid-credential-offer://?foo=bar", "neither parameter");
	refused("://?credential_offer_uri=https%3A%2F%2Fi.example", "empty scheme");
	refused("1abc://?credential_offer_uri=https%3A%2F%2Fi.example", "scheme starting with a digit");
	refused("openid-credential-offer://?credential_offer_uri=https%3A%2F%2Fa&credential_offer_uri="
		"https%3A%2F%2Fb", "credential_offer_uri twice");
	snprintf(buf, sizeof buf, "x://?credential_offer=%s&credential_offer_uri=https%%3A%%2F%%2Fa", ok_value);
	refused(buf, "both parameters");
	refused("x://?credential_offer_uri=http%3A%2F%2Fi.example%2Fo", "http offer uri off loopback");
	refused("x://?credential_offer_uri=https%3A%2F%2Fi.example%2Fo%2", "truncated escape");
	refused("x://?credential_offer_uri=https%3A%2F%2Fi.example%2Fo%zz", "malformed escape");
	refused("x://?credential_offer=%7B%22a%22:1%00%7D", "NUL byte");
	refused("x://?credential_offer=%5B%5D", "offer not an object");
	refused("x://?credential_offer=%7B%22credential_issuer%22:%22https://i.example%22,"
		"%22credential_issuer%22:%22https://j.example%22,"
		"%22credential_configuration_ids%22:%5B%22pid%22%5D%7D", "duplicate member");
	refused("x://?credential_offer=%7B%22credential_configuration_ids%22:%5B%22pid%22%5D%7D",
		"no credential_issuer");
	refused("x://?credential_offer=%7B%22credential_issuer%22:%22https://i.example?q=1%22,"
		"%22credential_configuration_ids%22:%5B%22pid%22%5D%7D", "issuer with a query");
	refused("x://?credential_offer=%7B%22credential_issuer%22:%22https://i.example%22,"
		"%22credential_configuration_ids%22:%5B%5D%7D", "empty id array");
	refused("x://?credential_offer=%7B%22credential_issuer%22:%22https://i.example%22,"
		"%22credential_configuration_ids%22:%5B%22a%22,%22a%22%5D%7D", "repeated id");
	refused("x://?credential_offer=%7B%22credential_issuer%22:%22https://i.example%22,"
		"%22credential_configuration_ids%22:%5B%22a%22%5D,%22grants%22:%7B%22urn:ietf:params:"
		"oauth:grant-type:pre-authorized_code%22:%7B%7D%7D%7D", "pre-authorized grant without code");
	refused("x://?credential_offer=%7B%22credential_issuer%22:%22https://i.example%22,"
		"%22credential_configuration_ids%22:%5B%22a%22%5D,%22grants%22:%7B%22urn:ietf:params:"
		"oauth:grant-type:pre-authorized_code%22:%7B%22pre-authorized_code%22:%22c%22,"
		"%22tx_code%22:%7B%22input_mode%22:%22emoji%22%7D%7D%7D%7D", "unknown input_mode");
}

static void building(void)
{
	const char *ids[] = { "pid", "mdl" };
	vci_offer_params_t p = { .issuer = "https://issuer.example.com", .config_ids = ids,
				 .n_config_ids = 2 };
	vci_offer_t o, o2;
	vci_err_t err = { 0 };
	const json_t *g, *tx;
	char *link;
	vci_offer_parsed_t back;
	char desc[700];

	tap_ok(vci_offer_build(&p, &o, &err) == 0, "offer built");
	tap_ok(o.pre_authorized_code && strlen(o.pre_authorized_code) == 43,
	       "pre-authorized code: 256 bits, base64url (43 characters)");
	g = json_object_get(json_object_get(o.offer, "grants"), VCI_GRANT_PRE_AUTH);
	tap_is_str(json_string_value(json_object_get(g, "pre-authorized_code")), o.pre_authorized_code,
		   "the code is in the offer");
	tap_ok(!o.tx_code && !json_object_get(g, "tx_code"), "no tx_code unless asked");
	tap_ok(vci_offer_check(o.offer, &err) == 0, "our offer passes the wallet-side check");
	link = vci_offer_link("openid-credential-offer", o.offer, NULL, &err);
	tap_ok(link && parses(link, &back, &err) == 0 && json_equal(back.offer, o.offer),
	       "link round trip");
	vci_offer_parsed_clear(&back);
	free(link);
	tap_ok(vci_offer_build(&p, &o2, &err) == 0 &&
		       strcmp(o.pre_authorized_code, o2.pre_authorized_code),
	       "a fresh code every time");
	vci_offer_clear(&o);
	vci_offer_clear(&o2);

	p.tx_code = 1;
	p.tx_length = 6;
	p.tx_description = "sent by SMS";
	tap_ok(vci_offer_build(&p, &o, &err) == 0 && o.tx_code && strlen(o.tx_code) == 6 &&
		       strspn(o.tx_code, "0123456789") == 6, "numeric tx_code of 6 digits");
	tx = json_object_get(json_object_get(json_object_get(o.offer, "grants"), VCI_GRANT_PRE_AUTH),
			     "tx_code");
	tap_ok(json_integer_value(json_object_get(tx, "length")) == 6 &&
		       !strcmp(json_string_value(json_object_get(tx, "input_mode")), "numeric") &&
		       !strcmp(json_string_value(json_object_get(tx, "description")), "sent by SMS"),
	       "tx_code object: input_mode, length, description");
	vci_offer_clear(&o);
	p.tx_mode = VCI_TX_TEXT;
	p.tx_length = 32;
	tap_ok(vci_offer_build(&p, &o, &err) == 0 &&
		       strspn(o.tx_code, "ABCDEFGHJKLMNPQRSTUVWXYZ23456789") == 32, "text tx_code");
	vci_offer_clear(&o);
	p.tx_length = 3;
	tap_ok(vci_offer_build(&p, &o, &err) < 0 && !strcmp(err.code, "invalid_tx_code"),
	       "tx_code length 3 refused");
	p.tx_length = 33;
	tap_ok(vci_offer_build(&p, &o, &err) < 0, "tx_code length 33 refused");
	p.tx_value = "12ab";
	p.tx_mode = VCI_TX_NUMERIC;
	tap_ok(vci_offer_build(&p, &o, &err) < 0, "non-digit value refused for numeric");
	p.tx_value = "4711";
	tap_ok(vci_offer_build(&p, &o, &err) == 0 && !strcmp(o.tx_code, "4711"), "given tx_code kept");
	vci_offer_clear(&o);
	memset(desc, 'x', 301);
	desc[301] = '\0';
	p.tx_description = desc;
	tap_ok(vci_offer_build(&p, &o, &err) < 0, "description of 301 characters refused");
	memset(desc, 0, sizeof desc);
	for (int i = 0; i < 300; i++)
		memcpy(desc + strlen(desc), "\xc3\xa9", 3);
	tap_ok(vci_offer_build(&p, &o, &err) == 0, "300 two-byte characters allowed");
	vci_offer_clear(&o);
	p.tx_description = NULL;

	p.draft13 = 1;
	p.auth_code = 1;
	p.issuer_state = "state-1";
	p.authorization_server = "https://as.example.com";
	tap_ok(vci_offer_build(&p, &o, &err) == 0, "draft 13 with both grants");
	tap_ok(json_equal(json_object_get(o.offer, "credentials"),
			  json_object_get(o.offer, "credential_configuration_ids")),
	       "draft13: credentials mirrors the ids");
	g = json_object_get(json_object_get(o.offer, "grants"), VCI_GRANT_PRE_AUTH);
	tap_ok(json_is_true(json_object_get(g, "user_pin_required")), "draft13: user_pin_required");
	tap_is_str(json_string_value(json_object_get(g, "authorization_server")),
		   "https://as.example.com", "authorization_server in the pre-authorized grant");
	g = json_object_get(json_object_get(o.offer, "grants"), "authorization_code");
	tap_is_str(json_string_value(json_object_get(g, "issuer_state")), "state-1", "issuer_state");
	vci_offer_clear(&o);

	p.issuer = "https://issuer.example.com?x=1";
	tap_ok(vci_offer_build(&p, &o, &err) < 0, "issuer with a query refused");
	p.issuer = "https://issuer.example.com#f";
	tap_ok(vci_offer_build(&p, &o, &err) < 0, "issuer with a fragment refused");
	p.issuer = "http://issuer.example.com";
	tap_ok(vci_offer_build(&p, &o, &err) < 0, "http issuer refused");
	p.issuer = "http://127.0.0.1:8080";
	tap_ok(vci_offer_build(&p, &o, &err) == 0, "loopback http issuer allowed");
	vci_offer_clear(&o);
	p.issuer = "https://issuer.example.com";
	ids[1] = "pid";
	tap_ok(vci_offer_build(&p, &o, &err) < 0, "duplicate id refused");
	ids[1] = "has space";
	tap_ok(vci_offer_build(&p, &o, &err) < 0, "id with a space refused");
	ids[1] = "mdl";
	p.no_pre_auth = 1;
	tap_ok(vci_offer_build(&p, &o, &err) < 0, "tx_code without the pre-authorized grant refused");
	p.tx_code = 0;
	tap_ok(vci_offer_build(&p, &o, &err) == 0 && !o.pre_authorized_code, "authorization code only");
	vci_offer_clear(&o);
	p.auth_code = 0;
	tap_ok(vci_offer_build(&p, &o, &err) < 0, "no grant refused");
}

static void grant_check(void)
{
	json_t *rec = json_pack("{s:s,s:s,s:I}", "pre_authorized_code", "code-1", "tx_code", "4711",
				"expires_at", (json_int_t)1000);
	vci_err_t err = { 0 };

	tap_ok(vci_offer_check_grant(rec, "code-1", "4711", 999, &err) == 0, "grant: good code and tx_code");
	tap_ok(vci_offer_check_grant(rec, "code-2", "4711", 999, &err) < 0 &&
		       !strcmp(err.code, "invalid_grant"), "grant: wrong code is invalid_grant");
	tap_ok(vci_offer_check_grant(rec, "code-1", "4711", 1000, &err) < 0 &&
		       !strcmp(err.code, "invalid_grant"), "grant: expired");
	tap_ok(vci_offer_check_grant(rec, "code-1", NULL, 999, &err) < 0 &&
		       !strcmp(err.code, "invalid_request"), "grant: missing tx_code is invalid_request");
	tap_ok(vci_offer_check_grant(rec, "code-1", "4712", 999, &err) < 0 &&
		       !strcmp(err.code, "invalid_grant"), "grant: wrong tx_code is invalid_grant");
	json_object_del(rec, "tx_code");
	tap_ok(vci_offer_check_grant(rec, "code-1", "4711", 999, &err) < 0 &&
		       !strcmp(err.code, "invalid_request"), "grant: unexpected tx_code");
	tap_ok(vci_offer_check_grant(rec, "code-1", NULL, 999, &err) == 0, "grant: no tx_code needed");
	json_decref(rec);
}

static void directory(void)
{
	char dir[] = "/tmp/test-offer-XXXXXX";
	json_t *offer = json_loads(SPEC_OFFER_QR, JSON_PRESERVE_ORDER, NULL), *back;
	vci_err_t err = { 0 };

	tap_ok(mkdtemp(dir) != NULL, "temporary directory");
	tap_ok(vci_offer_save(dir, "abc_DEF-1", offer, &err) == 0, "offer saved");
	back = vci_offer_load(dir, "abc_DEF-1", &err);
	tap_ok(back && json_equal(back, offer), "offer loaded back");
	json_decref(back);
	tap_ok(!vci_offer_load(dir, "../etc", &err) && !strcmp(err.code, "invalid_request"),
	       "path traversal refused");
	tap_ok(!vci_offer_load(dir, "missing", &err) && !strcmp(err.code, "not_found"), "unknown id");
	tap_ok(vci_offer_remove(dir, "abc_DEF-1", &err) == 0 && !vci_offer_load(dir, "abc_DEF-1", &err),
	       "offer removed");
	rmdir(dir);
	json_decref(offer);
}

static void urls(void)
{
	vci_err_t err = { 0 };
	char *e = vci_url_encode("a b/c:d,e.f~g\"{}+&=%", 20, ":/,", NULL), *d = NULL;
	size_t n = 0;

	tap_is_str(e, "a%20b/c:d,e.f~g%22%7B%7D%2B%26%3D%25", "encode keeps unreserved and ':/,'");
	tap_ok(vci_url_decode(e, strlen(e), 0, &d, &n, &err) == 0 && n == 20 &&
		       !memcmp(d, "a b/c:d,e.f~g\"{}+&=%", 20), "decode round trip");
	free(e);
	free(d);
	tap_ok(vci_url_is_loopback_http("http://127.0.0.1:8080/x") && vci_url_is_loopback_http("http://[::1]/") &&
		       vci_url_is_loopback_http("http://localhost"), "loopback http");
	tap_ok(!vci_url_is_loopback_http("http://127.0.0.1.evil.com/") &&
		       !vci_url_is_loopback_http("http://localhost@evil.com/") &&
		       !vci_url_is_loopback_http("http://10.0.0.1/"), "not loopback");
	tap_ok(vci_url_is_target("https://w.example/cb?x=1", 1) && !vci_url_is_target("https://w.example/cb?x=1", 0) &&
		       !vci_url_is_target("https://w.example/#f", 1) && !vci_url_is_target("ftp://w.example/", 1),
	       "network targets");
	tap_ok(vci_offer_scheme_check("haip-vci", &err) == 0 && vci_offer_scheme_check("haip://", &err) == 0 &&
		       vci_offer_scheme_check("https://wallet.example/offer", &err) == 0,
	       "schemes accepted");
	tap_ok(vci_offer_scheme_check("bad scheme", &err) < 0 && vci_offer_scheme_check("a_b", &err) < 0 &&
		       vci_offer_scheme_check("9x", &err) < 0 && vci_offer_scheme_check("http", &err) < 0 &&
		       vci_offer_scheme_check("", &err) < 0, "illegal schemes refused");
}

static void qr(void)
{
	vci_err_t err = { 0 };
	vci_qr_t *q = vci_qr_encode("openid-credential-offer://?credential_offer_uri=x", VCI_QR_ECC_M, &err);
	char *buf = NULL, *big;
	size_t len = 0;
	FILE *f;
	vci_qr_ecc_t e;

	tap_ok(q && q->width >= 21 && q->width == 17 + 4 * q->version, "QR symbol encoded");
	tap_is_int(vci_qr_text_width(q), q->width + 8, "quiet zone of 4 modules each side");
	f = open_memstream(&buf, &len);
	tap_ok(vci_qr_write_png(q, f, 4, &err) == 0, "PNG written");
	fclose(f);
	tap_ok(len > 33 && !memcmp(buf, "\x89PNG\r\n\x1a\n", 8) && !memcmp(buf + 12, "IHDR", 4),
	       "PNG signature and IHDR");
	tap_ok((unsigned char)buf[19] == (unsigned char)((q->width + 8) * 4), "PNG width = modules * scale");
	free(buf);
	f = open_memstream(&buf, &len);
	tap_ok(vci_qr_write_text(q, f, &err) == 0, "text written");
	fclose(f);
	tap_ok(strstr(buf, "\033[30;107m") && strstr(buf, "\xe2\x96\x80"), "ANSI colours and half blocks");
	free(buf);
	f = open_memstream(&buf, &len);
	tap_ok(vci_qr_write_svg(q, f, 8, &err) == 0 && (fflush(f), strstr(buf, "<svg")), "SVG written");
	fclose(f);
	free(buf);
	vci_qr_free(q);
	big = malloc(4000);
	memset(big, 'a', 3999);
	big[3999] = '\0';
	tap_ok(!vci_qr_encode(big, VCI_QR_ECC_H, &err) && !strcmp(err.code, "qr_too_large"),
	       "too large for level H refused");
	free(big);
	tap_ok(vci_qr_ecc_parse("q", &e) == 0 && e == VCI_QR_ECC_Q && vci_qr_ecc_parse("X", &e) < 0,
	       "ECC levels");
}

static void records(void)
{
	vci_offer_defaults_t d = { .params = { .issuer = "https://issuer.example.com" } };
	json_t *known = json_pack("{s:b,s:b}", "pid", 1, "mdl", 1);
	json_t *rec;
	vci_offer_request_t req;
	vci_offer_t o;
	vci_err_t err = { 0 };

	d.ids = json_pack("[s]", "pid");
	rec = json_pack("{s:s,s:s,s:s,s:[{s:s,s:{s:s}}]}", "issuanceMode", "InTime", "urlScheme", "haip://",
			"userPin", "12ab", "credentials", "credentialConfigurationId", "mdl", "claims",
			"given_name", "Erika");
	tap_ok(vci_offer_request_from_record(rec, &d, known, "k", &req, &err) == 0,
	       "system A body: %s", err.msg);
	tap_ok(req.params.n_config_ids == 1 && !strcmp(req.ids[0], "mdl"), "A: configuration from credentials[]");
	tap_ok(req.params.tx_code && !strcmp(req.params.tx_value, "12ab") && req.params.tx_mode == VCI_TX_TEXT,
	       "A: userPin is a text tx_code");
	tap_is_str(req.scheme, "haip://", "A: urlScheme");
	tap_ok(req.claims && !strcmp(json_string_value(json_object_get(req.claims, "given_name")), "Erika"),
	       "A: claims of the single credential");
	tap_ok(req.offer_id && strlen(req.offer_id) == 22, "a fresh offer id");
	tap_ok(vci_offer_build(&req.params, &o, &err) == 0 &&
		       vci_offer_record_fill(rec, &req, &o, "haip://?x", 100, &err) == 0, "offer filled in");
	tap_ok(!json_object_get(rec, "userPin") && !strcmp(json_string_value(json_object_get(rec, "tx_code")), "12ab") &&
		       json_integer_value(json_object_get(rec, "expires_at")) == 100 &&
		       !strcmp(json_string_value(json_object_get(rec, "credential_configuration_id")), "mdl"),
	       "record: tx_code, userPin removed, expires_at, credential_configuration_id");
	tap_ok(vci_offer_check_grant(rec, o.pre_authorized_code, "12ab", 99, &err) == 0,
	       "the filled record passes the token endpoint check");
	vci_offer_clear(&o);
	vci_offer_request_clear(&req);
	tap_ok(vci_offer_request_from_record(rec, &d, known, "k", &req, &err) < 0, "an offered record is refused");
	json_decref(rec);

	rec = json_pack("{s:s,s:{s:i}}", "credential_configuration_id", "pid", "tx_code", "length", 5);
	tap_ok(vci_offer_request_from_record(rec, &d, known, "k", &req, &err) == 0 && req.params.tx_code &&
		       req.params.tx_length == 5 && !req.params.tx_value, "system D body: tx_code length");
	vci_offer_request_clear(&req);
	json_decref(rec);
	rec = json_pack("{s:s}", "credential_configuration_id", "other");
	tap_ok(vci_offer_request_from_record(rec, &d, known, "k", &req, &err) < 0 &&
		       !strcmp(err.code, "unknown_credential_configuration"), "unknown id refused");
	tap_ok(vci_offer_request_from_record(rec, &d, NULL, NULL, &req, &err) == 0, "any id without a known set");
	vci_offer_request_clear(&req);
	json_decref(rec);
	rec = json_object();
	tap_ok(vci_offer_request_from_record(rec, &d, known, "k", &req, &err) == 0 && !strcmp(req.ids[0], "pid"),
	       "default ids");
	vci_offer_request_clear(&req);
	json_decref(rec);
	json_decref(known);
	json_decref(d.ids);
}

int main(void)
{
	spec_vectors();
	parsing();
	building();
	grant_check();
	directory();
	urls();
	qr();
	records();
	return tap_done();
}
