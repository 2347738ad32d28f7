/* test-store-authz.c - the store operations of store/authz.c: logins of
 * the wallet-initiated flow, the offer record read by code hash, refresh
 * tokens (single use, rotation, binding, replay, expiry), on a fresh
 * SQLite store in a scratch directory. */
#include "store/store.h"
#include "tap.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define NOW 1700000000

static void hash_of(const char *s, uint8_t h[VCI_STORE_HASH])
{
	vci_store_hash(s, strlen(s), h);
}

/* A pushed request: issuer_state NULL for the wallet-initiated flow. */
static int par(vci_store_t *st, const char *uri, const char *client, const char *issuer_state)
{
	uint8_t rh[VCI_STORE_HASH], sh[VCI_STORE_HASH];
	vci_store_par_t p = { 0 };
	vci_err_t err = { 0 };

	hash_of(uri, rh);
	if (issuer_state)
		hash_of(issuer_state, sh);
	p.request_hash = rh;
	p.client_id = client;
	p.redirect_uri = "https://wallet.example/cb";
	p.code_challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
	p.dpop_jkt = "";
	p.issuer_state_hash = issuer_state ? sh : NULL;
	p.configs = "[\"pid\"]";
	p.created_at = NOW;
	p.expires_at = NOW + 60;
	p.state = "wallet-state";
	return vci_store_par_put(st, &p, &err);
}

static int login_start(vci_store_t *st, const char *uri, const char *client, const char *state,
		       int64_t now)
{
	uint8_t rh[VCI_STORE_HASH], sh[VCI_STORE_HASH];
	vci_store_authz_t a;
	vci_err_t err = { 0 };
	int rc;

	hash_of(uri, rh);
	hash_of(state, sh);
	rc = vci_store_login_start(st, rh, client, sh, "verifier nonce", now, now + 600, &a, &err);
	if (rc == 0 && (strcmp(a.redirect_uri, "https://wallet.example/cb") || !a.state ||
			strcmp(a.state, "wallet-state")))
		rc = 99;
	vci_store_authz_clear(&a);
	return rc;
}

static void test_logins(vci_store_t *st)
{
	uint8_t sh[VCI_STORE_HASH], rh[VCI_STORE_HASH], ch[VCI_STORE_HASH], want[VCI_STORE_HASH];
	vci_store_authz_t a;
	vci_store_exchange_t x = { 0 };
	vci_err_t err = { 0 };
	char *secret = NULL;

	tap_is_int(par(st, "req-1", "wallet", NULL), 0, "par without issuer_state");
	tap_is_int(par(st, "req-2", "wallet", "some-state"), 0, "par with issuer_state");
	tap_is_int(login_start(st, "req-2", "wallet", "st-2", NOW), VCI_STORE_NOTFOUND,
		   "login_start: a request with issuer_state is not a login");
	tap_is_int(login_start(st, "req-1", "other", "st-1", NOW), VCI_STORE_TX_WRONG,
		   "login_start: another client");
	tap_is_int(par(st, "req-3", "wallet", NULL), 0, "par without issuer_state (2)");
	tap_is_int(login_start(st, "req-3", "wallet", "st-3", NOW + 60), VCI_STORE_NOTFOUND,
		   "login_start: expired request");
	tap_is_int(login_start(st, "req-3", "wallet", "st-3", NOW), 0, "login_start");
	tap_is_int(login_start(st, "req-3", "wallet", "st-3b", NOW), VCI_STORE_NOTFOUND,
		   "login_start: once");
	hash_of("st-3", sh);
	tap_is_int(vci_store_login_take(st, sh, NOW + 600, &secret, rh, &a, &err),
		   VCI_STORE_NOTFOUND, "login_take: expired");
	vci_store_authz_clear(&a);
	tap_is_int(vci_store_login_take(st, sh, NOW + 5, &secret, rh, &a, &err), 0, "login_take");
	tap_is_str(secret, "verifier nonce", "login_take: the sealed secret back");
	hash_of("req-3", want);
	tap_ok(!memcmp(rh, want, VCI_STORE_HASH), "login_take: its request");
	tap_is_str(a.client_id, "wallet", "login_take: the request's client");
	tap_is_str(a.configs, "[\"pid\"]", "login_take: the request's configurations");
	vci_store_authz_clear(&a);
	free(secret);
	tap_is_int(vci_store_login_take(st, sh, NOW + 5, &secret, rh, &a, &err),
		   VCI_STORE_NOTFOUND, "login_take: once");
	vci_store_authz_clear(&a);

	hash_of("our-code", ch);
	tap_is_int(vci_store_login_finish(st, rh, "{\"claims\":{\"a\":1}}", ch, NOW + 6,
					  NOW + 66, &a, &err), 0, "login_finish");
	tap_is_str(a.state, "wallet-state", "login_finish: the wallet's state");
	tap_ok(strlen(a.exchange_id) > 0, "login_finish: an exchange");
	tap_is_int(vci_store_exchange_get(st, a.exchange_id, &x, &err), 0, "the exchange is there");
	tap_is_str(x.record, "{\"claims\":{\"a\":1}}", "its record");
	tap_ok(!strncmp(x.offer_id, "login-", 6), "its offer: login-...");
	vci_store_exchange_clear(&x);
	vci_store_authz_clear(&a);
	tap_is_int(vci_store_login_finish(st, rh, "{}", ch, NOW + 6, NOW + 66, &a, &err),
		   VCI_STORE_NOTFOUND, "login_finish: once");
	vci_store_authz_clear(&a);
	tap_is_int(vci_store_authz_code_take(st, ch, NOW + 7, &a, &err), 0,
		   "the code is taken at the token endpoint");
	tap_is_str(a.code_challenge, "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
		   "with the wallet's PKCE challenge");
	vci_store_authz_clear(&a);
}

static void test_code_record(vci_store_t *st)
{
	uint8_t ch[VCI_STORE_HASH];
	vci_store_offer_t o = { 0 };
	vci_err_t err = { 0 };
	char xid[VCI_STORE_ID], *rec = NULL;

	hash_of("pre-code", ch);
	o.offer_id = "o-1";
	o.code_hash = ch;
	o.created_at = NOW;
	o.expires_at = NOW + 100;
	o.offer = "{}";
	o.record = "{\"credential_configuration_id\":\"pid\"}";
	tap_is_int(vci_store_offer_put(st, &o, &err), 0, "offer_put");
	tap_is_int(vci_store_code_record(st, ch, NOW + 100, &rec, &err), VCI_STORE_NOTFOUND,
		   "code_record: expired");
	tap_is_int(vci_store_code_record(st, ch, NOW, &rec, &err), 0, "code_record");
	tap_is_str(rec, o.record, "code_record: the record");
	free(rec);
	tap_is_int(vci_store_code_record(st, ch, NOW, &rec, &err), 0, "code_record: a read only");
	free(rec);
	tap_is_int(vci_store_code_redeem(st, ch, NULL, NOW, xid, &err), 0,
		   "the code still redeems");
	tap_is_int(vci_store_code_record(st, ch, NOW, &rec, &err), VCI_STORE_NOTFOUND,
		   "code_record: redeemed");
	hash_of("unknown", ch);
	tap_is_int(vci_store_code_record(st, ch, NOW, &rec, &err), VCI_STORE_NOTFOUND,
		   "code_record: unknown");
}

static int rotate(vci_store_t *st, const char *old, const char *next, const char *jkt,
		  const char *client, int64_t now, vci_store_refresh_t *out)
{
	uint8_t oh[VCI_STORE_HASH], nh[VCI_STORE_HASH];
	vci_err_t err = { 0 };
	int rc;

	hash_of(old, oh);
	hash_of(next, nh);
	rc = vci_store_refresh_rotate(st, oh, nh, jkt, client, now, out, &err);
	if (rc < 0)
		tap_diag("rotate: %s", err.msg);
	return rc;
}

static void test_refresh(vci_store_t *st)
{
	uint8_t ch[VCI_STORE_HASH];
	vci_store_offer_t o = { 0 };
	vci_store_refresh_t r = { 0 }, got;
	vci_err_t err = { 0 };
	char xid[VCI_STORE_ID];

	hash_of("pre-code-2", ch);
	o.offer_id = "o-2";
	o.code_hash = ch;
	o.created_at = NOW;
	o.offer = "{}";
	o.record = "{}";
	vci_store_offer_put(st, &o, &err);
	tap_is_int(vci_store_code_redeem(st, ch, NULL, NOW, xid, &err), 0, "an exchange");
	hash_of("rt-1", r.hash);
	snprintf(r.exchange_id, sizeof r.exchange_id, "%s", xid);
	snprintf(r.client_id, sizeof r.client_id, "wallet");
	snprintf(r.dpop_jkt, sizeof r.dpop_jkt, "jkt-A");
	r.configs = "[\"pid\"]";
	r.expires_at = NOW + 1000;
	tap_is_int(vci_store_refresh_put(st, &r, NOW, &err), 0, "refresh_put");
	tap_is_int(vci_store_refresh_put(st, &r, NOW, &err), VCI_STORE_EXISTS,
		   "refresh_put: a hash once");
	tap_is_int(rotate(st, "rt-1", "rt-2", "jkt-B", "wallet", NOW, &got), VCI_STORE_TX_WRONG,
		   "rotate: another DPoP key");
	tap_is_int(rotate(st, "rt-1", "rt-2", "", "wallet", NOW, &got), VCI_STORE_TX_WRONG,
		   "rotate: no DPoP key for a bound token");
	tap_is_int(rotate(st, "rt-1", "rt-2", "jkt-A", "other", NOW, &got), VCI_STORE_TX_WRONG,
		   "rotate: another client");
	tap_is_int(rotate(st, "rt-1", "rt-2", "jkt-A", "wallet", NOW + 1, &got), 0,
		   "rotate: the refusals spent nothing");
	tap_is_str(got.exchange_id, xid, "rotate: the exchange");
	tap_is_str(got.configs, "[\"pid\"]", "rotate: the configurations");
	tap_is_int(got.expires_at, NOW + 1000, "rotate: the chain's end kept");
	vci_store_refresh_clear(&got);
	tap_is_int(rotate(st, "rt-2", "rt-3", "jkt-A", "wallet", NOW + 1000, &got),
		   VCI_STORE_NOTFOUND, "rotate: expired at the chain's end");
	tap_is_int(rotate(st, "rt-1", "rt-x", "jkt-A", "wallet", NOW + 2, &got), VCI_STORE_TX_DEAD,
		   "rotate: a used token revokes the chain");
	tap_is_int(rotate(st, "rt-2", "rt-3", "jkt-A", "wallet", NOW + 3, &got), VCI_STORE_TX_DEAD,
		   "rotate: its successor is revoked");
	tap_is_int(rotate(st, "nothing", "rt-4", "jkt-A", "wallet", NOW, &got), VCI_STORE_NOTFOUND,
		   "rotate: unknown");
}

int main(void)
{
	char dir[512], cmd[600];
	vci_err_t err = { 0 };
	vci_store_t *st;

	snprintf(dir, sizeof dir, "%s/test-store-authz.XXXXXX",
		 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (!mkdtemp(dir)) {
		tap_ok(0, "scratch directory: %s", strerror(errno));
		return tap_done();
	}
	st = vci_store_open(dir, &err);
	tap_ok(st != NULL, "open a store: %s", st ? "ok" : err.msg);
	if (st) {
		test_logins(st);
		test_code_record(st);
		test_refresh(st);
		vci_store_close(st);
	}
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		tap_diag("could not remove %s", dir);
	return tap_done();
}
