/* offer.h - OID4VCI 1.0 Credential Offers (section 4.1): build the offer
 * object with fresh grant secrets, encode it as a deep link (by value or
 * by reference), parse such links back, keep offers in a directory to
 * serve them by id, and check a token request's pre-authorized code and
 * transaction code against what the offer record holds.
 *
 * The offer record (see vci-offer(1)) carries the secrets a token endpoint
 * checks: "pre_authorized_code", "tx_code" (only when the offer asks for
 * one) and "expires_at" (NumericDate, integer seconds). */
#ifndef VCI_OFFER_H
#define VCI_OFFER_H

#include "base/common.h"
#include "base/http.h"

#define VCI_GRANT_PRE_AUTH "urn:ietf:params:oauth:grant-type:pre-authorized_code"
#define VCI_GRANT_AUTH_CODE "authorization_code"

#define VCI_OFFER_CODE_BYTES 32      /* pre-authorized code: 256 bits */
#define VCI_OFFER_ID_BYTES 16        /* offer id: 128 bits */
#define VCI_OFFER_ID_MAX 128         /* longest offer id accepted */
#define VCI_OFFER_CONFIG_ID_MAX 255  /* longest credential configuration id */
#define VCI_TX_CODE_MIN 4
#define VCI_TX_CODE_MAX 32
#define VCI_TX_DESCRIPTION_MAX 300   /* characters (OID4VCI 4.1.1) */
#define VCI_OFFER_LINK_MAX (256u << 10) /* longest link parsed */

typedef enum vci_tx_mode {
	VCI_TX_NUMERIC = 0,
	VCI_TX_TEXT,
} vci_tx_mode_t;

typedef struct vci_offer_params {
	const char *issuer;                /* credential_issuer (required) */
	const char *const *config_ids;     /* credential_configuration_ids */
	size_t n_config_ids;
	int no_pre_auth;                   /* leave out the pre-authorized_code grant */
	int tx_code;                       /* the pre-authorized grant needs a tx_code */
	vci_tx_mode_t tx_mode;             /* input_mode */
	unsigned tx_length;                /* length of a generated tx_code */
	const char *tx_value;              /* the tx_code to use (NULL: generate) */
	const char *tx_description;        /* description, or NULL */
	int auth_code;                     /* add the authorization_code grant */
	const char *issuer_state;          /* its issuer_state (NULL: generate) */
	const char *authorization_server;  /* authorization_server in each grant */
	int draft13;                       /* also the pre-1.0 members, see below */
} vci_offer_params_t;

typedef struct vci_offer {
	json_t *offer;              /* the Credential Offer object */
	char *pre_authorized_code;  /* secret (NULL without that grant) */
	char *tx_code;              /* secret (NULL unless asked for) */
	char *issuer_state;         /* NULL without the authorization_code grant */
} vci_offer_t;

/* Check a credential configuration id: 1 to 255 bytes of printable ASCII
 * (no spaces or controls). Returns 1 if good. */
int vci_offer_config_id_ok(const char *id);
/* An offer id: 1 to 128 characters of the base64url alphabet. */
int vci_offer_id_ok(const char *id);
/* A credential issuer identifier (OID4VCI 12.2.1): https (or loopback
 * http for local testing), a host, no query, no fragment. */
int vci_offer_issuer_ok(const char *url);

/* Random secrets from the CSPRNG (RAND_priv_bytes): `nbytes` bytes,
 * base64url encoded. */
char *vci_offer_random(size_t nbytes, vci_err_t *err);
/* A new offer id: VCI_OFFER_ID_BYTES random bytes, base64url, never
 * starting with '-' or '_' (an id is passed to shell commands). malloc'd,
 * or NULL with err. */
char *vci_offer_id_new(vci_err_t *err);
/* A transaction code of `length` characters: digits (numeric) or
 * upper-case letters and digits without look-alikes (text), uniform. */
char *vci_offer_tx_code_new(unsigned length, vci_tx_mode_t mode, vci_err_t *err);
/* Check a given transaction code: VCI_TX_CODE_MIN..MAX characters, digits
 * only for numeric, printable ASCII without spaces for text. Fails with
 * VCI_EXIT_USAGE, code "invalid_tx_code". */
int vci_offer_tx_code_check(const char *v, vci_tx_mode_t mode, vci_err_t *err);
/* Parse "numeric" or "text". */
int vci_offer_tx_mode_parse(const char *s, vci_tx_mode_t *out);

/* Build an offer: the parameters are checked (VCI_EXIT_USAGE, code
 * "invalid_request", for an issuer with a query, an empty or duplicate
 * configuration id, a tx_code without the pre-authorized grant, a
 * description over 300 characters, no grant at all), the secrets drawn
 * and the object built in the order of the spec's examples. With draft13
 * the offer also carries the configuration ids as "credentials" and, with
 * a tx_code, "user_pin_required": true in the pre-authorized grant, which
 * wallets of the drafts before 13 read and later ones ignore. */
int vci_offer_build(const vci_offer_params_t *p, vci_offer_t *o, vci_err_t *err);
/* Free an offer; the secrets are cleansed. */
void vci_offer_clear(vci_offer_t *o);

/* ---- offers from issuance records ---- */

#define VCI_OFFER_MAX_CONFIGS 64

typedef struct vci_offer_defaults {
	vci_offer_params_t params;  /* issuer, grants, transaction code (config ids unused) */
	const char *scheme;         /* link scheme (NULL: openid-credential-offer) */
	json_t *ids;                /* configuration ids for records naming none (array or NULL) */
} vci_offer_defaults_t;

typedef struct vci_offer_request {
	vci_offer_params_t params;  /* ready for vci_offer_build */
	const char *scheme;
	const char *ids[VCI_OFFER_MAX_CONFIGS];
	json_t *id_array;           /* the ids (owned) */
	char *offer_id;             /* the record's offer_id or a random one (owned) */
	json_t *claims;             /* claims mapped from system A's credentials[], or NULL */
} vci_offer_request_t;

/* What an issuance record asks of its offer, on top of `d` (vci-offer(1),
 * "Input shapes"): configuration ids from credential_configuration_ids,
 * credential_configuration_id, system A's credentialDefinitionId and
 * credentials[].credentialConfigurationId, else d->ids, each checked
 * against `known` (an object whose keys are the known ids; NULL accepts
 * any well-formed id; `known_from` names it in messages); a transaction
 * code from system D's tx_code object, a tx_code string or system A's
 * userPin; system A's urlScheme and issuanceMode; the claims of a single
 * credentials[] entry when the record has no claims; the record's
 * offer_id or a fresh one. A record that already carries an offer is
 * refused. Strings in req point into rec and d: keep them alive. Errors
 * (VCI_EXIT_FAIL): "invalid_request", "invalid_tx_code",
 * "unknown_credential_configuration". */
int vci_offer_request_from_record(const json_t *rec, const vci_offer_defaults_t *d,
				  const json_t *known, const char *known_from,
				  vci_offer_request_t *req, vci_err_t *err);
void vci_offer_request_clear(vci_offer_request_t *req);

/* Add an offer to its record (vci-offer(1), "Record fields"): offer_id
 * (unless present), credential_configuration_id (one id, unless present),
 * claims (req->claims), credential_offer, offer_link (the deep link,
 * `link`), credential_offer_uri (only for a link by reference: the https
 * URL of the offer, OID4VCI's meaning of the name),
 * pre_authorized_code, tx_code (replacing a system D tx_code object, or
 * removing it when the offer has none), issuer_state, expires_at; system
 * A's userPin is removed. */
int vci_offer_record_fill(json_t *rec, const vci_offer_request_t *req, const vci_offer_t *o,
			  const char *link, int64_t expires_at, vci_err_t *err);

/* Check a Credential Offer object as a wallet would (OFR-1..4): an
 * issuer, a non-empty array of unique configuration ids (or the pre-13
 * "credentials" array), well-formed grants. VCI_EXIT_INPUT, code
 * "invalid_credential_offer". */
int vci_offer_check(const json_t *offer, vci_err_t *err);

/* Check a link prefix: a URI scheme (RFC 3986: a letter, then letters,
 * digits, '+', '-', '.'), with or without "://", other than http and
 * https; or an https URL without a fragment (a wallet's universal link or
 * credential_offer_endpoint). VCI_EXIT_USAGE, code "invalid_scheme". */
int vci_offer_scheme_check(const char *scheme, vci_err_t *err);

/* The deep link: SCHEME://?credential_offer=... (offer by value; offer_uri
 * NULL) or SCHEME://?credential_offer_uri=... (by reference). An https
 * scheme gets the parameter appended with '?' or '&'. The value is
 * percent-encoded exactly as the OID4VCI 1.0 examples of 4.1.2/4.1.3 are:
 * the offer JSON (compact, member order kept) keeps unreserved characters
 * and ':', '/' and ','; the offer URI keeps letters, digits, '-', '_' and
 * '~' only. */
char *vci_offer_link(const char *scheme, const json_t *offer, const char *offer_uri,
		     vci_err_t *err);

typedef struct vci_offer_parsed {
	char *prefix;      /* the link up to the '?' ("openid-credential-offer://") */
	json_t *offer;     /* by value: the offer object (checked) */
	char *offer_uri;   /* by reference: the URL (https or loopback http) */
} vci_offer_parsed_t;

/* Parse a link as a wallet would: any scheme or https URL, then a query
 * with exactly one of credential_offer and credential_offer_uri (other
 * parameters are ignored, a repeated one is refused); %XX and '+'
 * decoded; the JSON parsed strictly and checked with vci_offer_check.
 * Fails with VCI_EXIT_INPUT, code "invalid_credential_offer". */
int vci_offer_parse_link(const char *link, size_t len, vci_offer_parsed_t *out, vci_err_t *err);
void vci_offer_parsed_clear(vci_offer_parsed_t *p);

/* Offers kept to be served by reference: DIR/ID.json, written atomically
 * (temporary file, fsync, rename), mode 0644. */
int vci_offer_save(const char *dir, const char *offer_id, const json_t *offer, vci_err_t *err);
/* The mode of a file that holds an offer (a hosted offer, or a QR code
 * of its link): an offer with a pre-authorized code is a secret, 0600,
 * or 0640 in a set-group-ID directory (its group, e.g. the web server's,
 * reads it); any other offer 0644. */
int vci_offer_file_mode(const char *dir, const json_t *offer);
/* As vci_offer_save, but staged in `stage` (base/file.h): DIR/ID.json
 * appears only when the stage commits, with the output the offer's
 * record goes to. Mode from vci_offer_file_mode. Returns the stage
 * handle (vci_stage_drop), or -1 with err set. */
struct vci_stage;
long vci_offer_stage(struct vci_stage *stage, const char *dir, const char *offer_id,
		     const json_t *offer, vci_err_t *err);
/* Load DIR/ID.json (VCI_EXIT_INPUT, code "invalid_request" for an id
 * that is not an offer id; "not_found" when there is no such file). */
json_t *vci_offer_load(const char *dir, const char *offer_id, vci_err_t *err);
/* Remove DIR/ID.json (missing is fine). */
int vci_offer_remove(const char *dir, const char *offer_id, vci_err_t *err);

/* A token request's grant checked against an offer record (OID4VCI 6.1,
 * 6.3): code equal to the record's pre_authorized_code, now before its
 * expires_at, tx_code given iff the record has one and then equal to it.
 * Comparisons are constant-time. Errors (VCI_EXIT_FAIL): "invalid_grant"
 * for a wrong or expired code or a wrong tx_code, "invalid_request" for a
 * tx_code missing or not expected. Single use is the caller's store's. */
int vci_offer_check_grant(const json_t *rec, const char *code, const char *tx_code, int64_t now,
			  vci_err_t *err);

/* ---- delivery to a wallet (vci-offer --send, --tx-code-to) ---- */

/* Push an offer to a wallet's credential_offer_endpoint (OID4VCI 1.0
 * section 4.1): GET ENDPOINT?credential_offer_uri=URI when offer_uri is
 * given (by reference), else ?credential_offer=JSON (the offer by value).
 * endpoint must be a network target (vci_url_is_target: https, or http to
 * loopback). o: retries and timeouts (NULL: one attempt, 10 s); r (or
 * NULL) gets the status and attempts. Errors as vci_http_get ("invalid_url",
 * "delivery_failed"), prefixed "offer delivery". Thread-safe. */
int vci_offer_send(const char *endpoint, const json_t *offer, const char *offer_uri,
		   const vci_http_opts_t *o, vci_http_result_t *r, vci_err_t *err);

/* The transaction code on its own channel: GET URL?offer_id=ID&tx_code=CODE
 * (the URL itself never logged by the library). Errors as vci_offer_send,
 * prefixed "tx_code delivery". */
int vci_offer_send_tx_code(const char *url, const char *offer_id, const char *tx_code,
			   const vci_http_opts_t *o, vci_http_result_t *r, vci_err_t *err);

#endif
