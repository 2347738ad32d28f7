/* policy.c - the definition is the policy (see policy.h). */
#include "policy.h"
#include "base/b64url.h"

#include <string.h>
#include <openssl/evp.h>
#include <openssl/crypto.h>

int vci_policy_digest(const vci_defn_t *d, char out[44], vci_err_t *err)
{
	json_auto_t *o = NULL;
	char *s;
	unsigned char md[32];
	unsigned int mdlen = 0;
	const json_t *kb = json_object_get(d->doc, "key_binding");
	int ok;

	o = json_pack("{s:s,s:O,s:b}", "credential_configuration_id", d->id ? d->id : "",
		      "key_binding", kb ? kb : json_null(), "wallet_attestation_required",
		      d->wallet_attestation_required);
	s = o ? vci_json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	if (!s)
		return vci_err_oom(err);
	ok = EVP_Digest(s, strlen(s), md, &mdlen, EVP_sha256(), NULL);
	free(s);
	if (!ok || mdlen != sizeof md)
		return vci_err_set(err, VCI_EXIT_IO, "server_error", "policy digest: SHA-256 failed");
	vci_b64url_encode_to(out, md, sizeof md);
	out[43] = '\0';
	return 0;
}

/* d's policy digest: the one vci_defn_new made, else computed now. */
static const char *policy_digest_of(const vci_defn_t *d, char buf[44], vci_err_t *err)
{
	if (d->policy_digest[0])
		return d->policy_digest;
	return vci_policy_digest(d, buf, err) < 0 ? NULL : buf;
}

/* A record carries proofs where vci_proof_verify_record looks for them. */
static int policy_has_proofs(const json_t *rec)
{
	const json_t *cr = json_object_get(rec, "credential_request");

	return json_object_get(rec, "proofs") || json_object_get(rec, "proof") ||
	       json_object_get(cr, "proofs") || json_object_get(cr, "proof");
}

static int policy_alg_in(const char *const *list, const char *alg)
{
	for (size_t i = 0; list && list[i]; i++)
		if (!strcmp(list[i], alg))
			return 1;
	return 0;
}

/* p's algorithms: d's proof_algs (kept where the caller's list allows
 * them), else the caller's list; none left refuses the record. */
static int policy_algs(const vci_defn_t *d, const vci_proof_policy_t *base,
		       const char *algs[VCI_POLICY_ALGS_MAX + 1], vci_proof_policy_t *p,
		       vci_err_t *err)
{
	const json_t *v;
	size_t i, n = 0;

	if (!json_array_size(d->proof_algs))
		return 0;
	json_array_foreach(d->proof_algs, i, v)
		if (json_is_string(v) && n < VCI_POLICY_ALGS_MAX &&
		    (!base->algs || policy_alg_in(base->algs, json_string_value(v))))
			algs[n++] = json_string_value(v);
	algs[n] = NULL;
	p->algs = algs;
	if (!n)
		return vci_err_set(err, VCI_EXIT_FAIL, "invalid_proof",
				   "proofs: no algorithm is allowed both by `alg` and by the "
				   "proof_algs of %s", d->id);
	return 0;
}

/* The wallet attestation the record carries, verified. */
static int policy_wallet(const vci_defn_t *d, const vci_wallet_policy_t *wallet, json_t *rec,
			 json_t **res, vci_err_t *err)
{
	const json_t *att = json_object_get(rec, "client_attestation");
	const json_t *pop = json_object_get(rec, "client_attestation_pop");

	if (!json_is_string(att) || !json_is_string(pop))
		return vci_err_set(err, VCI_EXIT_FAIL, "invalid_client_attestation",
				   "client_attestation: missing: %s requires a wallet attestation "
				   "(client_attestation and client_attestation_pop)", d->id);
	if (!wallet)
		return vci_err_set(err, VCI_EXIT_FAIL, "invalid_client_attestation",
				   "client_attestation: %s requires a wallet attestation and no "
				   "wallet provider is trusted (`trust`)", d->id);
	return vci_proof_verify_wallet_attestation(json_string_value(att), json_string_length(att),
						   json_string_value(pop), json_string_length(pop),
						   wallet, res, err);
}

int vci_policy_verify_record(const vci_defn_t *d, const vci_proof_policy_t *base,
			     const vci_wallet_policy_t *wallet, unsigned flags, json_t *rec,
			     vci_err_t *err)
{
	const char *algs[VCI_POLICY_ALGS_MAX + 1] = { 0 };
	vci_proof_policy_t p = *base;
	json_auto_t *work = NULL;
	json_auto_t *wa = NULL;
	json_auto_t *mark = NULL;
	char buf[44];
	const char *digest;

	if (!json_is_object(rec))
		return vci_err_set(err, VCI_EXIT_FAIL, "invalid_proof", "record is not an object");
	if (policy_algs(d, base, algs, &p, err) < 0)
		return -1;
	if (d->key_attestation) {
		p.require_key_attestation = 1;
		p.key_attestation_levels = d->key_attestation;
	}
	if (d->wallet_attestation_required && !(flags & VCI_POLICY_CLIENT_ATTESTED) &&
	    policy_wallet(d, wallet, rec, &wa, err) < 0)
		return -1;
	work = json_deep_copy(rec);
	if (!work)
		return vci_err_oom(err);
	if ((d->key_binding || policy_has_proofs(rec)) &&
	    vci_proof_verify_record(work, &p, err) < 0)
		return -1;
	digest = policy_digest_of(d, buf, err);
	if (!digest)
		return -1;
	mark = json_pack("{s:s,s:s}", "credential_configuration_id", d->id, "digest", digest);
	if (!mark || json_object_set(work, VCI_POLICY_FIELD, mark) < 0 ||
	    (wa && json_object_set(work, "wallet_attestation", wa) < 0) ||
	    json_object_update(rec, work) < 0)
		return vci_err_oom(err);
	return 0;
}

int vci_policy_record_check(const vci_defn_t *d, const json_t *rec, vci_err_t *err)
{
	const json_t *mark = json_object_get(rec, VCI_POLICY_FIELD);
	const char *id = json_string_value(json_object_get(mark, "credential_configuration_id"));
	const char *dg = json_string_value(json_object_get(mark, "digest"));
	char buf[44];
	const char *digest;

	if (!d->key_binding && !d->wallet_attestation_required)
		return 0;
	if (!mark)
		return vci_err_set(err, VCI_EXIT_FAIL, "invalid_proof",
				   VCI_POLICY_FIELD ": missing: the proofs of this record were not "
				   "checked against the policy of %s (vci-verify-proof --defn)",
				   d->id);
	if (!id || !dg)
		return vci_err_set(err, VCI_EXIT_FAIL, "invalid_proof",
				   VCI_POLICY_FIELD ": expected {credential_configuration_id, "
				   "digest}");
	if (strcmp(id, d->id))
		return vci_err_set(err, VCI_EXIT_FAIL, "invalid_proof",
				   VCI_POLICY_FIELD ": checked against %s, signed as %s", id, d->id);
	digest = policy_digest_of(d, buf, err);
	if (!digest)
		return -1;
	if (strlen(dg) != 43 || CRYPTO_memcmp(dg, digest, 43))
		return vci_err_set(err, VCI_EXIT_FAIL, "invalid_proof",
				   VCI_POLICY_FIELD ": checked against another policy of %s than "
				   "its definition states now (proof algorithms or attestations "
				   "changed): verify the proofs again", d->id);
	return 0;
}
