/* shapes.h - the request and response shapes of the hosted products our
 * users migrate from (../shared/seeds: system A's issue API and history,
 * system C's credentials-supported records and exchanges), translated to
 * and from the toolkit's own records: native definitions (defn.h),
 * offer records (offer.h, vci-offer(1)) and the exchange rows the store
 * keeps. Definitions in those products' shapes are read by
 * vci_defn_import (import.c); this is the rest of the translation.
 *
 * Pure JSON work: no I/O, no clock, no store. Every function is
 * thread-safe and leaves its arguments untouched. Fields of a product
 * that have no meaning here are accepted and reported in `log` (NULL: not
 * reported) as {"dropped": FIELD, "why": WHY} entries, as vci_defn_import
 * reports them. Errors: VCI_EXIT_INPUT, code "invalid_request", message
 * naming the field. */
#ifndef VCI_SHAPES_H
#define VCI_SHAPES_H

#include "base/common.h"

/* ---- system A ---- */

/* A create or replace body of system A's credential definition API
 * checked for the rules its reference states beyond what
 * vci_defn_import reads: `label` a string of 3 or more characters;
 * `credentialDefinitions` a non-empty array of objects; version,
 * trustAnchor, kid and enforceWUA only at the top; an entry's own fields
 * (credentialFormat, vct, doctype, type, claims, credentialDefinition,
 * scope, validationPath) only inside entries; authorizationRequestType
 * the same in every entry. 0 or -1 with err. */
int vci_shape_a_defn_check(const json_t *body, vci_err_t *err);

/* A native definition (normalised, defn.h) in system A's record shape:
 * credentialDefinitionId (= the configuration id), id, label,
 * credentialFormat, vct / doctype / type, claims ({"claims": [{path,
 * mandatory, limitDisclosure}]}; for jwt_vc_json in
 * credentialDefinition, paths under credentialSubject), expirationInDays,
 * supportRevocation, revocationMethod, enforceWUA,
 * credentialBindingMethods, scope, credentialResponseInterval, display
 * (camelCase), createdAt, updatedAt. New reference. NULL on out of
 * memory. */
json_t *vci_shape_a_defn(const json_t *native, int64_t created_at, int64_t updated_at);

/* System A's issue body as native offer records, one per exchange it
 * makes: {credentialDefinitionId, issuanceMode, credential | credentials[],
 * userPin, urlScheme, credentialOfferEndpoint, credentialMetadata, ...}.
 * Each record carries credential_configuration_id, claims (from the
 * format's carrier: credentialSubject for jwt_vc_json, claims for
 * dc+sd-jwt and mso_mdoc), userPin (absent: "authorization_code": true,
 * the authorization code flow), "isPreAuthorised", urlScheme,
 * issuanceMode, "deferred" (issuanceMode Deferred), send_to
 * (credentialOfferEndpoint),
 * credentialMetadata (kept unchanged) and the members not known here
 * under "passthrough" (an object; vci_shape_a_history answers them
 * back). credentials[] makes one record per entry, each naming its
 * configuration by `id` (or credentialConfigurationId), else the
 * body's credentialDefinitionId. Refused: issuanceMode missing or not
 * InTime/Deferred, no configuration id, a userPin not empty and not 4 to
 * 12 characters, claims not an object, an empty credentials[].
 * New reference, or NULL with err. */
json_t *vci_shape_a_issue_records(const json_t *body, json_t *log, vci_err_t *err);

/* The claims of system A's "issue deferred credential" body
 * ({"credential": {...}}: credentialSubject, claims, or the object
 * itself). New reference, or NULL with err. */
json_t *vci_shape_a_deferred_claims(const json_t *body, vci_err_t *err);

/* An offer row (vci_store_offer_rows: offer_id, offer_state, created_at,
 * record, exchange?) as system A's credentialHistory record. `entries`
 * (or NULL): the exchange's status list entries with their current
 * "status" word (valid, invalid, suspended...). Lifecycle status:
 *   offer offered / dead, no exchange      offer_sent
 *   offer_redeemed, issuance_pending,
 *   claims_supplied                        offer_received
 *   credential_issued                      credential_issued
 *   credential_failure                     credential_acked
 *   credential_accepted                    credential_accepted
 *   credential_deleted                     credential_deleted
 *   issuance_denied                        issuance_denied
 * credentialStatus: "ready" once claims are there (InTime, or supplied),
 * "pending" while a deferred request waits; revocationStatus from the
 * entries: Revoked when any is invalid, else Suspended when any is
 * suspended, else Operational ("" when none). New reference; NULL on out
 * of memory. */
json_t *vci_shape_a_history(const json_t *row, const json_t *entries);

/* A lifecycle status of system A as the value vci_shape_a_history gives,
 * for filtering. 1 when `status` is one of its names, else 0. */
int vci_shape_a_status_known(const char *status);

/* revocationStatus (Operational, Revoked, Suspended) -> the status list
 * word (valid, invalid, suspended); NULL when unknown. */
const char *vci_shape_a_revocation_word(const char *revocation_status);

/* ---- system C ---- */

/* A native definition as system C's credentials-supported record:
 * supported_cred_id and identifier (= the configuration id), format,
 * format_data (vct and claims tree with mandatory / value_type for
 * dc+sd-jwt, types / context / credentialSubject for jwt_vc_json,
 * doctype and namespaces for mso_mdoc, display, binding methods),
 * vc_additional_data (sd_list JSON pointers of the "always" disclosable
 * claims, or type / @context), created_at / updated_at (ISO 8601 from the
 * seconds given), display and the two *_supported members null at the top
 * as system C prints them. New reference; NULL on out of memory. */
json_t *vci_shape_c_record(const json_t *native, int64_t created_at, int64_t updated_at);

/* An offer row (as for vci_shape_a_history) as system C's exchange state:
 *   offer offered, no exchange             offer
 *   offer_redeemed ... claims_supplied     offer
 *   credential_issued                      issued
 *   credential_accepted                    accepted
 *   credential_deleted                     deleted
 *   credential_failure, issuance_denied,
 *   offer dead                             failed */
const char *vci_shape_c_state(const json_t *row);

/* An offer row as system C's exchange record: exchange_id (= offer id),
 * supported_cred_id, state, pin (null: the tx_code is never kept),
 * credential_subject (the claims), code / nonce / token null (kept only
 * as hashes), created_at / updated_at ISO 8601. New reference. */
json_t *vci_shape_c_exchange(const json_t *row);

/* System C's POST /issue body ({supported_cred_id, credential_subject,
 * pin?, did?, verification_method?}) as a native offer record
 * (credential_configuration_id, claims, tx_code when a pin is given);
 * did and verification_method are reported in log (the issuer's key is
 * the server's). New reference, or NULL with err. */
json_t *vci_shape_c_issue_record(const json_t *body, json_t *log, vci_err_t *err);

#endif
