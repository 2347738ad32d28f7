/* did.h - did:key and did:jwk for P-256 and Ed25519 keys. */
#ifndef VCI_DID_H
#define VCI_DID_H

#include "base/common.h"

/* did:key:z... for a P-256 (compressed point) or Ed25519 public key. */
char *vci_did_key_from_pkey(EVP_PKEY *pk, vci_err_t *err);
/* did:jwk:<base64url of the public JWK>. */
char *vci_did_jwk_from_pkey(EVP_PKEY *pk, vci_err_t *err);
/* Resolve a did:key or did:jwk DID or DID URL to a public key (and its
 * JWK in *jwk if non-NULL). A fragment, if any, must identify the key
 * ("#0" for did:jwk, the multibase value for did:key). Other methods,
 * unknown multicodecs, private JWKs and use:"enc" keys are refused. */
EVP_PKEY *vci_did_resolve(const char *did, json_t **jwk, vci_err_t *err);

#endif
