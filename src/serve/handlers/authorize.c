/* authorize.c - GET P/authorize: the authorization endpoint of the
 * issuer-initiated authorization code flow (RFC 6749 section 4.1.1 and
 * 4.1.2, RFC 9126 section 4, RFC 9207, OpenID4VCI 1.0 section 5).
 *
 * Pushed requests are served: client_id and request_uri (parsed by
 * vci_authz_query_parse); other parameters are ignored, the pushed ones
 * are what counts. With --par optional and no --trust, a plain
 * authorization request (RFC 6749 section 4.1.1, the parameters a pushed
 * one has) is taken too, checked by the same parser; HAIP and FAPI 2.0
 * refuse those (--par required, the default). The store spends the request_uri (once, before its
 * expiry, by the client that pushed it) and, when its issuer_state names
 * an offer that is neither expired nor redeemed, redeems that offer into
 * an exchange (the pre-authorized code of the same offer dies with it)
 * and binds a fresh authorization code to it for VCI_CODE_TTL seconds.
 * The issuer_state is taken for what it is, a value a wallet may have
 * been handed by an attacker: it is only ever looked up by its hash,
 * spent once, and binds nothing the offer did not.
 *
 * A pushed request without issuer_state is the wallet-initiated flow
 * (--oidc-issuer): login.c sends the browser to the OpenID Provider.
 *
 * The user was identified when the offer was made, so there is no page:
 * the answer is at once a 302 to the pushed redirect_uri with code, state
 * and iss (RFC 9207). Errors before a redirect_uri is known to belong to
 * the client (unknown, used or expired request_uri, another client_id)
 * are answered here (400, no redirect, RFC 6749 section 4.1.2.1); an
 * issuer_state that names no live offer is redirected as access_denied. */
#include "handlers.h"
#include "oid4vci/authz.h"
#include "oid4vci/request.h"

#include <string.h>

#define VCI_CODE_TTL 60   /* FAPI 2.0: at most 60 s */
#define CODE_BYTES 32

/* A plain authorization request (--par optional, not with --trust: such
 * a request cannot authenticate its client): parsed and checked as a
 * pushed one, stored the same way and named by the request_uri made for
 * it, which the caller spends at once. */
static int authorize_plain(vci_serve_t *s, const vci_req_t *req, char **client_id,
			   char **request_uri, vci_err_t *err)
{
	vci_authz_request_t r;
	json_auto_t *ids = NULL;
	vci_defn_t *const *defs;
	size_t n;
	int rc = -1;

	if (!s->par_optional || s->trust_file)
		return -1;   /* err says request_uri is missing */
	memset(err, 0, sizeof *err);
	if (vci_authz_par_parse(req->query, req->query ? strlen(req->query) : 0, &r, err) < 0)
		return -1;
	defs = vci_serve_defs(s, &n);
	ids = vci_authz_configs(&r, defs, n, err);
	if (ids && vci_h_par_store(s, req, &r, r.dpop_jkt ? r.dpop_jkt : "", ids, request_uri,
				   err) == 0) {
		*client_id = r.client_id;
		r.client_id = NULL;
		rc = 0;
	}
	vci_authz_request_clear(&r);
	return rc;
}

void vci_h_authorize(vci_serve_t *s, const vci_req_t *req, vci_resp_t *resp)
{
	char_auto_t *client_id = NULL;
	wipe_auto_t *request_uri = NULL;
	uint8_t rh[VCI_STORE_HASH], ch[VCI_STORE_HASH];
	wipe_auto_t *code = NULL;
	vci_store_authz_t a = { 0 };
	vci_err_t err = { 0 };
	int rc;

	if (vci_authz_query_parse(req->query, &client_id, &request_uri, &err) < 0 &&
	    (vci_request_query_has(req->query, "request_uri") ||
	     authorize_plain(s, req, &client_id, &request_uri, &err) < 0)) {
		vci_h_fail(resp, err.status == VCI_EXIT_IO ? 0 : 400, &err);
		return;
	}
	if (vci_store_hash(request_uri, strlen(request_uri), rh) < 0) {
		vci_err_set(&err, VCI_EXIT_IO, "server_error", "authorize: out of memory");
		vci_h_fail(resp, 0, &err);
		return;
	}
	if (s->oidc && vci_h_login_start(s, req, client_id, rh, resp) == 0)
		return;
	code = vci_h_secret(CODE_BYTES, ch, &err);
	if (!code) {
		vci_err_set(&err, VCI_EXIT_IO, "server_error", "authorize: out of memory");
		vci_h_fail(resp, 0, &err);
		return;
	}
	rc = vci_store_authorize(s->store, rh, client_id, ch, req->now, req->now + VCI_CODE_TTL,
				 &a, &err);
	switch (rc) {
	case 0:
		vci_h_authz_redirect(s, resp, &a, code, NULL, NULL);
		break;
	case VCI_STORE_TX_DEAD:
		vci_h_authz_redirect(s, resp, &a, NULL, "access_denied",
				     "issuer_state: no offer awaits this authorization (unknown, "
				     "expired or already used)");
		break;
	case VCI_STORE_NOTFOUND:
		vci_err_set(&err, VCI_EXIT_FAIL, "invalid_request",
			    "request_uri: unknown, expired or already used");
		vci_h_fail(resp, 400, &err);
		break;
	case VCI_STORE_TX_WRONG:
		vci_err_set(&err, VCI_EXIT_FAIL, "invalid_request",
			    "client_id: not the client that pushed this request");
		vci_h_fail(resp, 400, &err);
		break;
	default:
		if (rc > 0 || err.status == VCI_EXIT_FAIL)
			vci_err_set(&err, VCI_EXIT_IO, "server_error", "authorize: cannot be stored");
		vci_h_fail(resp, 0, &err);
	}
	vci_store_authz_clear(&a);
}
