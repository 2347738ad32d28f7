/* client.c - client authentication by wallet attestation at the PAR and
 * token endpoints (OAuth 2.0 Attestation-Based Client Authentication,
 * draft -07 and -10; OpenID4VCI 1.0 Appendix E; HAIP 1.0 section 4.4.1).
 *
 * The checks are libvci's (vci_proof_verify_wallet_attestation, those
 * `vci-verify-proof wallet-attestation` makes); this file adds what needs
 * the server: the trust anchors of --trust, our issuer as the PoP's aud,
 * the request's time, and single use of the PoP's jti through the store
 * (kept as the hash of a prefix and the jti, as DPoP jti are). */
#include "handlers.h"
#include "oid4vci/proof.h"

#include <string.h>

#define POP_JTI_TTL 600   /* seconds a PoP jti is remembered: > its iat window */

#define client_fail(err, fmt, what) \
	vci_err_set(err, VCI_EXIT_FAIL, "invalid_client", fmt, what)

/* Spend the PoP's jti: a replay is invalid_client. */
static int client_jti(vci_serve_t *s, const vci_req_t *req, const char *jti, vci_err_t *err)
{
	static const char pre[] = "oauth-client-attestation-pop:";
	uint8_t h[VCI_STORE_HASH];
	char_auto_t *buf = NULL;
	int rc;

	if (!jti || !*jti)
		return client_fail(err, "%s: jti: missing", "OAuth-Client-Attestation-PoP");
	if (asprintf(&buf, "%s%s", pre, jti) < 0) {
		buf = NULL;
		return vci_err_oom(err);
	}
	if (vci_store_hash(buf, strlen(buf), h) < 0)
		return vci_err_oom(err);
	rc = vci_store_jti_use(s->store, h, req->now + POP_JTI_TTL, err);
	if (rc == VCI_STORE_EXISTS)
		return client_fail(err, "%s: jti: this proof was used before",
				   "OAuth-Client-Attestation-PoP");
	return rc < 0 ? -1 : 0;
}

int vci_h_client_auth(vci_serve_t *s, const vci_req_t *req, const char *client_id,
		      int required, char sub[256], vci_err_t *err)
{
	const char *att = vci_req_header(req, "OAuth-Client-Attestation");
	const char *pop = vci_req_header(req, "OAuth-Client-Attestation-PoP");
	vci_wallet_policy_t p = { 0 };
	json_auto_t *res = NULL;
	const char *who;

	sub[0] = '\0';
	if (!att && !pop)
		return required ? client_fail(err, "%s: missing: this client must authenticate "
					      "with a wallet attestation",
					      "OAuth-Client-Attestation")
				: 0;
	if (!att || !pop)
		return client_fail(err, "%s: missing", att ? "OAuth-Client-Attestation-PoP"
							  : "OAuth-Client-Attestation");
	if (vci_req_header_count(req, "OAuth-Client-Attestation") > 1 ||
	    vci_req_header_count(req, "OAuth-Client-Attestation-PoP") > 1)
		return client_fail(err, "%s: sent more than once", "OAuth-Client-Attestation");
	if (!s->trust_file)
		return client_fail(err, "%s: no wallet provider is trusted by this server",
				   "OAuth-Client-Attestation");
	p.trust_file = s->trust_file;
	p.aud = s->issuer;
	p.client_id = client_id;
	p.now = (time_t)req->now;
	if (vci_proof_verify_wallet_attestation(att, strlen(att), pop, strlen(pop), &p, &res,
						err) < 0) {
		if (err->status != VCI_EXIT_IO) {
			err->status = VCI_EXIT_FAIL;
			snprintf(err->code, sizeof err->code, "%s", "invalid_client");
		}
		return -1;
	}
	who = json_string_value(json_object_get(res, "sub"));
	if (!who || !*who || strlen(who) >= 256)
		return client_fail(err, "%s: sub: missing or too long", "OAuth-Client-Attestation");
	if (client_jti(s, req, json_string_value(json_object_get(res, "jti")), err) < 0)
		return -1;
	snprintf(sub, 256, "%s", who);
	return 1;
}
