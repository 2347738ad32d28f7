/* policy.h - the definition is the policy: the proof algorithms, key
 * attestation requirements (key_binding.proof_algs,
 * key_binding.key_attestation_required with key_storage /
 * user_authentication) and wallet attestation requirement
 * (wallet_attestation_required) a credential definition states, applied
 * to the proofs of one request by one function that vci-verify-proof and
 * vci-serve's credential endpoint both call, and the mark that lets the
 * signing tools tell a record checked against its definition's policy
 * from one that was not. */
#ifndef VCI_POLICY_H
#define VCI_POLICY_H

#include "defn.h"
#include "proof.h"

/* The record member vci_policy_verify_record adds on success:
 * {"credential_configuration_id": ID, "digest": D}, D the base64url
 * SHA-256 of the policy's canonical JSON (vci_policy_digest). */
#define VCI_POLICY_FIELD "proof_policy"

/* Largest number of algorithms a policy keeps (definition and caller
 * lists are cut there). */
#define VCI_POLICY_ALGS_MAX 16

/* The digest of d's policy: base64url (43 characters and NUL) of the
 * SHA-256 of {"credential_configuration_id", "key_binding",
 * "wallet_attestation_required"} of the normalised definition, written
 * compact with sorted keys. A definition whose proof policy changes gets
 * a new digest; claims, display and the rest do not change it. Returns 0,
 * or -1 with err (out of memory). Thread-safe. */
int vci_policy_digest(const vci_defn_t *d, char out[44], vci_err_t *err);

/* Flags of vci_policy_verify_record. */
enum {
	/* The client's wallet attestation was verified where the request
	 * came in (vci-serve: at the token endpoint, which gives a token for
	 * a configuration requiring one only to an attested client); the
	 * record need not carry it. */
	VCI_POLICY_CLIENT_ATTESTED = 1u << 0,
};

/* Verify the proofs of `rec` (as vci_proof_verify_record: "proofs",
 * "proof" or "credential_request") under `base` (aud, nonce, trust,
 * times: the caller's) narrowed by definition d:
 *  - algorithms: d's proof_algs, intersected with base->algs when the
 *    caller set a list (an empty intersection refuses every proof);
 *  - key attestations: required when d states key_attestation_required
 *    (or base requires them), with its key_storage /
 *    user_authentication levels;
 *  - a definition without key binding needs no proof: a record without
 *    one passes, one with proofs has them verified all the same;
 *  - wallet attestation: when d requires one and flags lack
 *    VCI_POLICY_CLIENT_ATTESTED, rec must carry "client_attestation" and
 *    "client_attestation_pop" (the OAuth-Client-Attestation and -PoP
 *    header values), verified under `wallet` (NULL: refused, no attester
 *    trusted); the result lands in rec as "wallet_attestation".
 * On success rec gains what vci_proof_verify_record adds and
 * VCI_POLICY_FIELD. On failure rec is unchanged; errors are those of
 * proof.h (VCI_EXIT_FAIL, "invalid_proof", "invalid_nonce",
 * "invalid_client_attestation"). Thread-safe for distinct records. */
int vci_policy_verify_record(const vci_defn_t *d, const vci_proof_policy_t *base,
			     const vci_wallet_policy_t *wallet, unsigned flags, json_t *rec,
			     vci_err_t *err);

/* The signing tools' gate: 0 when d states no policy (no key binding, no
 * wallet attestation required) or rec carries VCI_POLICY_FIELD for d's
 * id with d's current digest (d->policy_digest, made once with d); else -1 with err (VCI_EXIT_FAIL,
 * "invalid_proof", saying whether the mark is missing, names another
 * configuration or another policy). Thread-safe. */
int vci_policy_record_check(const vci_defn_t *d, const json_t *rec, vci_err_t *err);

#endif
