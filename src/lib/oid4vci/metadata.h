/* metadata.h - OID4VCI 1.0 Credential Issuer Metadata (and the draft 13
 * shape), signed metadata, SD-JWT VC Type Metadata, and the static checks
 * ("lint") the OpenID conformance suite makes on issuer metadata. */
#ifndef VCI_METADATA_H
#define VCI_METADATA_H

#include "base/common.h"
#include "defn.h"

#include "base/time.h"

typedef struct vci_metadata_opts {
	const char *issuer;                /* credential_issuer (required) */
	const char *credential_endpoint;   /* NULL: ISSUER/credential */
	const char *nonce_endpoint;        /* NULL: none */
	const char *deferred_endpoint;     /* deferred_credential_endpoint */
	const char *notification_endpoint;
	const char *const *authorization_servers;
	size_t n_authorization_servers;
	unsigned batch_size;               /* 0: no batch_credential_issuance */
	const char *issuer_name;           /* issuer display name, or NULL */
	const char *locale;                /* its locale, or NULL */
	const char *signing_alg;           /* JOSE alg of the credential signing
					      key; NULL: the definitions' signing_algs */
	int draft13;                       /* emit the draft 13 shape */
	/* credential_response_encryption (section 10, 12.2.4): 0 none, 1
	 * offered, 2 required; algorithms those of crypto/jwe.h */
	int response_encryption;
	/* credential_request_encryption: the issuer's public encryption keys
	 * ({"keys":[...]}, each with a "kid"), or NULL; and whether an
	 * encrypted request is required */
	const json_t *request_encryption_jwks;
	int request_encryption_required;
} vci_metadata_opts_t;

/* Credential Issuer Metadata for a set of prepared definitions (their ids
 * are the configuration ids, and must be unique). Errors: a bad issuer or
 * endpoint URL (VCI_EXIT_USAGE, code "invalid_option"), a duplicate id
 * (VCI_EXIT_INPUT). */
json_t *vci_metadata_build(vci_defn_t *const *defs, size_t n, const vci_metadata_opts_t *o,
			   vci_err_t *err);
/* One entry of credential_configurations_supported. */
json_t *vci_metadata_config(const vci_defn_t *d, const vci_metadata_opts_t *o);

/* Signed metadata (OID4VCI 1.0 section 12.2.3): a JWS with typ
 * "openidvci-issuer-metadata+jwt", the x5c chain in the header, and the
 * metadata parameters as top-level claims plus sub (the issuer) and iat;
 * with draft13 also iss (the issuer), as draft 13's signed_metadata
 * required. The leaf certificate must hold the key's public half
 * (VCI_EXIT_KEY otherwise). Returns the compact JWS (malloc'd). */
char *vci_metadata_sign(const json_t *md, EVP_PKEY *key, const char *alg,
			const STACK_OF(X509) *chain, int64_t iat, int draft13, vci_err_t *err);

/* SD-JWT VC Type Metadata (draft -18 section 4) for a dc+sd-jwt
 * definition. Display entries without a locale get "und". */
json_t *vci_metadata_type(const vci_defn_t *d, vci_err_t *err);

/* What a JSON document is, for lint. */
typedef enum vci_doc_kind {
	VCI_DOC_UNKNOWN = 0,
	VCI_DOC_DEFINITION,     /* native definition (or an array of them) */
	VCI_DOC_METADATA,       /* Credential Issuer Metadata */
	VCI_DOC_TYPE_METADATA,  /* SD-JWT VC Type Metadata */
} vci_doc_kind_t;
vci_doc_kind_t vci_metadata_detect(const json_t *doc);

/* Static checks on issuer metadata; findings ("PATH: why") are appended
 * to `findings`. Returns their number. */
size_t vci_metadata_lint(const json_t *md, json_t *findings);
/* The same for SD-JWT VC Type Metadata. */
size_t vci_metadata_lint_type(const json_t *tm, json_t *findings);
/* Detect the kind of document and lint it (definitions with
 * vci_defn_lint). Returns the number of findings, or -1 with err when the
 * document is none of the kinds above. */
long vci_metadata_lint_any(const json_t *doc, json_t *findings, vci_err_t *err);

#endif
