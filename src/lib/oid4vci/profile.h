/* profile.h - interoperability profiles an issuer claims, as rules over
 * its published Credential Issuer Metadata and its server settings. One
 * table of rules serves `vci-serve --profile` (refused at start, every
 * broken rule named) and `vci-defn lint --profile` (offline: the rules
 * on metadata alone; server rules are skipped when their setting is
 * unknown).
 *
 * HAIP 1.0 (OpenID4VC High Assurance Interoperability Profile, haip.md):
 * rule ids are those of the spec checklist (HM-2, HP-4, ...). */
#ifndef VCI_PROFILE_H
#define VCI_PROFILE_H

#include "base/common.h"

typedef enum vci_profile {
	VCI_PROFILE_NONE = 0,
	VCI_PROFILE_HAIP = 1,
} vci_profile_t;

/* "haip" (or "none"). Error: VCI_EXIT_USAGE "invalid_option". */
int vci_profile_parse(const char *name, vci_profile_t *out, vci_err_t *err);
const char *vci_profile_name(vci_profile_t p);

/* A setting the rules judge: unknown (offline lint: the rule is
 * skipped), off or on. */
#define VCI_PROFILE_UNKNOWN (-1)

/* What a server knows of itself. Initialise with vci_profile_server_init
 * (everything unknown) and fill what applies. */
typedef struct vci_profile_server {
	int dpop_required;        /* Bearer tokens refused */
	int dpop_nonce;           /* server DPoP nonces */
	int par_required;         /* authorization requests only through PAR */
	int pkce_s256_only;       /* PKCE required, S256 the only method */
	int wallet_attestation;   /* client authentication by wallet attestation
				     (wallet provider anchors configured) */
	int x5c;                  /* credentials and metadata signed with an x5c
				     chain (a certificate, not a bare kid) */
	int x5c_self_signed_leaf; /* the chain's first certificate is self-signed */
	int x5c_has_anchor;       /* the chain holds a self-signed certificate
				     (a trust anchor) */
	int status_random;        /* status indices drawn at random */
	const char *signing_alg;  /* JOSE alg of the issuer's signing key, or NULL */
} vci_profile_server_t;

void vci_profile_server_init(vci_profile_server_t *srv);

/* Check profile p against `md` (a 1.0 Credential Issuer Metadata
 * document, or one whose credential_configurations_supported alone is
 * filled, as lint builds it from definitions; may be NULL) and `srv`
 * (NULL: offline, server rules skipped). Each broken rule appends one
 * string per finding to `findings`: "RULE: what (rule)". Returns the
 * number appended. Never fails (out of memory loses findings, not
 * verdicts: the count is still right). Thread-safe. */
size_t vci_profile_check(vci_profile_t p, const json_t *md, const vci_profile_server_t *srv,
			 json_t *findings);

#endif
