/* defn.h - credential definitions: the native definition document (see
 * vci-defn(1)), its validation and normalisation, import of the definition
 * shapes of other issuer products, and validation of a record's claims
 * against a prepared definition.
 *
 * A definition is prepared once (vci_defn_new) and then used read-only, so
 * one vci_defn_t may be shared by many threads checking records. */
#ifndef VCI_DEFN_H
#define VCI_DEFN_H

#include "base/common.h"

typedef enum vci_format {
	VCI_FORMAT_NONE = 0,
	VCI_FORMAT_SDJWT,   /* dc+sd-jwt */
	VCI_FORMAT_MDOC,    /* mso_mdoc */
	VCI_FORMAT_JWTVC,   /* jwt_vc_json */
} vci_format_t;

typedef enum vci_vtype {
	VCI_VTYPE_ANY = 0,
	VCI_VTYPE_STRING,
	VCI_VTYPE_INTEGER,
	VCI_VTYPE_NUMBER,
	VCI_VTYPE_BOOLEAN,
	VCI_VTYPE_DATE,     /* RFC 3339 full-date, a string */
	VCI_VTYPE_DATETIME, /* RFC 3339 date-time, a string */
	VCI_VTYPE_OBJECT,
	VCI_VTYPE_ARRAY,
	VCI_VTYPE_IMAGE,    /* base64 or a data:image/... URI, a string */
	VCI_VTYPE_BYTES,    /* base64 or a data: URI, a string */
} vci_vtype_t;

typedef enum vci_sd {
	VCI_SD_ALLOWED = 0, /* issuer's choice (SD-JWT VC default) */
	VCI_SD_ALWAYS,
	VCI_SD_NEVER,
} vci_sd_t;

typedef enum vci_status_method {
	VCI_STATUS_NONE = 0,
	VCI_STATUS_TOKEN,     /* IETF Token Status List */
	VCI_STATUS_BITSTRING, /* W3C Bitstring Status List */
} vci_status_method_t;

/* One component of a claims path pointer (OID4VCI 1.0 Appendix C). */
typedef enum vci_path_kind {
	VCI_PATH_KEY = 0,   /* a string: object member */
	VCI_PATH_INDEX,     /* an integer >= 0: array element */
	VCI_PATH_ALL,       /* null: every array element */
} vci_path_kind_t;

typedef struct vci_path_elem {
	vci_path_kind_t kind;
	const char *key;    /* VCI_PATH_KEY (points into the definition) */
	size_t index;       /* VCI_PATH_INDEX */
} vci_path_elem_t;

typedef struct vci_defn_claim {
	const json_t *path;      /* the path array, as in the definition */
	vci_path_elem_t *elems;
	size_t nelems;
	int mandatory;
	vci_vtype_t type;
	vci_sd_t sd;
	const json_t *display;   /* [{name, locale}] or NULL */
} vci_defn_claim_t;

typedef struct vci_defn_node vci_defn_node_t; /* claims tree (private) */

typedef struct vci_defn {
	json_t *doc;             /* the normalised definition (owned) */
	const char *id;
	vci_format_t format;
	const char *vct;         /* dc+sd-jwt */
	const char *doctype;     /* mso_mdoc */
	const json_t *type;      /* jwt_vc_json: type array */
	const json_t *context;   /* jwt_vc_json: @context array */
	const char *scope;       /* or NULL */
	vci_defn_claim_t *claims;
	size_t nclaims;
	int allow_unknown_claims;
	unsigned expiry_days;
	vci_status_method_t status;
	int key_binding;         /* holder key binding required */
	const json_t *binding_methods, *proof_algs; /* arrays, when key_binding */
	const json_t *key_attestation; /* NULL, or {} / {key_storage, user_authentication} */
	int wallet_attestation_required;
	unsigned deferred_interval; /* seconds; 0 = issue at once */
	const json_t *oidc_claims;  /* claim path -> ID token claim, or NULL */
	unsigned reissuance_days;   /* refresh tokens renew access this long;
				       0 = no refresh tokens */
	vci_defn_node_t *tree;
	char policy_digest[44];     /* the digest of its proof policy
				       (vci_policy_digest, policy.h), made once
				       by vci_defn_new; "" in a definition made
				       elsewhere (then computed when needed) */
} vci_defn_t;

/* Format identifiers. vci_format_parse accepts the pre-final "vc+sd-jwt"
 * as dc+sd-jwt only when legacy is set. */
const char *vci_format_name(vci_format_t f);
vci_format_t vci_format_parse(const char *s, int legacy);
const char *vci_vtype_name(vci_vtype_t t);

/* Validate and normalise a native definition document: every field
 * checked, unknown fields refused, defaults filled in, fields in a fixed
 * order. Returns a new document, or NULL with err (VCI_EXIT_INPUT, code
 * "invalid_definition", message "FIELD: why"). */
json_t *vci_defn_normalise(const json_t *doc, vci_err_t *err);

/* Prepare a definition for use: normalise, then build the claims table
 * and tree. */
vci_defn_t *vci_defn_new(const json_t *doc, vci_err_t *err);
void vci_defn_free(vci_defn_t *d);
static inline void vci_defn_free_p(vci_defn_t **d) { vci_defn_free(*d); }
#define vci_defn_auto_t vci_defn_t __attribute__((cleanup(vci_defn_free_p)))

/* Load the definitions of a file (NULL or "-" = stdin): one definition
 * object, or an array of them. *out receives a malloc'd array of *n
 * prepared definitions (free with vci_defn_list_free). Errors name the
 * file, and the element for arrays. */
int vci_defn_load(const char *path, vci_defn_t ***out, size_t *n, vci_err_t *err);
void vci_defn_list_free(vci_defn_t **defs, size_t n);
/* The definition of defs[0..n) whose credential configuration id is id
 * (the first), or NULL: none, or id NULL. */
const vci_defn_t *vci_defn_find(vci_defn_t *const *defs, size_t n, const char *id);

/* Static checks on a native definition: every problem found (not just the
 * first) is appended to `findings` as a string "FIELD: why". Returns the
 * number of findings added. */
size_t vci_defn_lint(const json_t *doc, json_t *findings);

/* Import a definition in a foreign shape, detected automatically:
 *  - system A credential definition (camelCase, credentialFormat,
 *    credentialDefinitions[], limitDisclosure, ...), also wrapped in
 *    {"credentialDefinition": {...}};
 *  - system C credentials-supported record (format_data,
 *    vc_additional_data.sd_list, ...), a single record or an array;
 *  - SD-JWT VC Type Metadata;
 *  - a native definition (normalised).
 * Returns an array of normalised native definitions. Every input field
 * that has no meaning here is appended to `dropped` (if non-NULL) as
 * {"dropped": "FIELD", "why": "..."}; mappings that change a value are
 * noted there too as {"field": "FIELD", "note": "..."}. FIELD is a dotted
 * path in the input ("credentialDefinitions[1].kid"). */
json_t *vci_defn_import(const json_t *in, json_t *dropped, vci_err_t *err);

/* The claims path rules of OID4VCI 1.0 Appendix B and C on a claims
 * description array ([{path, ...}]): well-formed paths (mso_mdoc: at least
 * namespace and data element), no claim twice, no node used as object and
 * array, no null and index in one array. Findings "WHERE[i].path: why"
 * are appended to `findings`; returns their number. */
size_t vci_defn_lint_paths(const json_t *claims, vci_format_t fmt, const char *where,
			   json_t *findings);

/* Claims validation flags. */
enum {
	/* The claims come from CSV cells: convert strings in place to the
	 * definition's value type (integer, number, boolean; JSON text for
	 * object and array), move mdoc data elements whose namespace was
	 * split at its dots, or given without one, under their namespace.
	 * Dates stay strings but are checked. */
	VCI_DEFN_COERCE = 1u << 0,
	/* Only the mdoc part of VCI_DEFN_COERCE: data elements given without
	 * their namespace (flat claims) move under it; values are left as
	 * they are. */
	VCI_DEFN_FOLD = 1u << 1,
};

/* Validate a record's claims object against a prepared definition:
 * mandatory claims present, values of the declared type, and no claim
 * the definition does not describe unless it allows unknown claims.
 * Returns 0, or -1 with err (VCI_EXIT_FAIL, code "invalid_claims",
 * message e.g. `claims.birthdate: expected full-date, got "31/12/1990"`).
 * With VCI_DEFN_COERCE, `claims` may be modified in place. Thread-safe
 * for one definition and distinct claims objects. */
int vci_defn_check_claims(const vci_defn_t *d, json_t *claims, unsigned flags,
			  vci_err_t *err);

/* The claim a concrete path addresses (NULL-terminated components; array
 * indices as decimal strings), or NULL if the definition has none. */
const vci_defn_claim_t *vci_defn_claim_find(const vci_defn_t *d, const char *const *path);

/* Walking the claims tree beside a claims value (the signing tools):
 * the root, the child for an object member or an array element (an
 * element matches its index or a null path component), and the claim a
 * node describes (NULL for a node that is only a path prefix). NULL in,
 * NULL out. */
const vci_defn_node_t *vci_defn_root(const vci_defn_t *d);
const vci_defn_node_t *vci_defn_node_key(const vci_defn_node_t *n, const char *key);
const vci_defn_node_t *vci_defn_node_elem(const vci_defn_node_t *n, size_t idx);
const vci_defn_claim_t *vci_defn_node_claim(const vci_defn_t *d, const vci_defn_node_t *n);
/* Value checks, exposed for the signing tools and tests. */
int vci_defn_is_full_date(const char *s);
int vci_defn_is_datetime(const char *s);
int vci_defn_is_base64(const char *s);      /* standard or url alphabet */
int vci_defn_is_data_uri(const char *s, const char *type_prefix);

/* Syntax checks shared by definitions and metadata lint. */
int vci_defn_is_scope_token(const char *s);
int vci_defn_is_locale(const char *s);      /* BCP 47 language tag, well-formed */
int vci_defn_is_jose_alg(const char *s);    /* registered asymmetric JWS alg */
int vci_defn_is_cose_alg(json_int_t alg);   /* registered COSE signature alg */
int vci_defn_is_binding_method(const char *s);
/* COSE algorithm id of a JOSE alg name (0 if none) and back (NULL). */
json_int_t vci_defn_cose_alg(const char *jose);
const char *vci_defn_jose_alg(json_int_t cose);

/* Findings of a lint: a list of "where: what" strings (list NULL: only
 * counted) and their number. Not thread-safe (one owner). */
typedef struct vci_findings {
	json_t *list;
	size_t n;
} vci_findings_t;
/* Count a finding and append "WHERE: what" (just "what" when where is
 * NULL or empty) to f->list. */
void vci_findings_add(vci_findings_t *f, const char *where, const char *fmt, ...) VCI_PRINTF(3, 4);
/* "BASE" followed by the formatted rest into buf: a path in a finding
 * ("claims[2].path"). Returns buf. */
const char *vci_findings_at(char *buf, size_t sz, const char *base, const char *fmt, ...)
	VCI_PRINTF(4, 5);

#endif
