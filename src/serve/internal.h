/* internal.h - what the server's own files share behind serve.h: the
 * route tables, the prepared documents the well-known endpoints serve and
 * the access log. Not for handlers outside src/serve/. */
#ifndef VCI_SERVE_INTERNAL_H
#define VCI_SERVE_INTERNAL_H

#include "serve.h"

#include <openssl/x509.h>
#include <pthread.h>

typedef struct vci_route {
	char method[8];
	char *path;
	vci_route_match_t match;
	const char *ctype;
	vci_handler_fn fn;
	const void *arg;
	int no_store;            /* Cache-Control: no-store unless the handler set one */
} vci_route_t;

struct vci_serve_keep {
	vci_route_t *routes[2];        /* [0] wallet-facing, [1] management */
	size_t nroutes[2], cap[2];
	char *issuer, *base_path, *kid;   /* storage behind the public members */
	const char *alg;               /* JOSE alg of the issuer key */
	STACK_OF(X509) *chain;         /* --cert, or NULL */
	json_t *metadata13;            /* draft 13 shape (with signed_metadata) */
	char *signed_metadata;         /* 1.0 signed metadata JWS, or NULL */
	json_t *as_metadata;           /* oauth-authorization-server */
	json_t *jwt_vc_issuer;         /* {"issuer", "jwks"} */
	pthread_mutex_t log_lock;
	FILE *log;
	char *log_path;                /* NULL: standard error */
	/* definitions catalog (catalog.c) */
	struct vci_serve_catalog *catalog; /* current; swapped under catalog_lock */
	pthread_mutex_t catalog_lock;  /* held for a pointer copy and a count */
	pthread_mutex_t admin_lock;    /* serialises changes of the definitions */
	uint8_t catalog_refused[VCI_STORE_HASH]; /* digest of the store's definitions a refresh
					  could not serve (reported once), under admin_lock */
	/* what answers a wallet-facing GET no route matched, before the
	 * 404 (1: resp filled): the stored definitions' type metadata
	 * (handlers/typemeta.c sets it), or NULL */
	int (*unrouted)(vci_serve_t *s, const vci_req_t *req, vci_resp_t *resp);
};

/* The route of a request (exact or prefix match on the path), or NULL;
 * *path_known is set when some route has this path with another method. */
const vci_route_t *vci_serve_route_find(const vci_serve_t *s, int admin, const char *method,
					const char *path, int *path_known);

/* The catalog of the request on this thread (vci_serve_catalog_enter)
 * or, outside requests, the current one; NULL before the first. */
const vci_serve_catalog_t *vci_serve_catalog_now(const vci_serve_t *s);
/* Its metadata documents (s->metadata and keep's when there is none). */
void vci_serve_catalog_docs(const vci_serve_t *s, const json_t **md, const json_t **md13,
			    const char **signed_md);
/* Credential Issuer Metadata for defs: 1.0 (*md), draft 13 (*md13, with
 * signed_metadata inside when there is a chain) and the signed 1.0 JWS
 * (*signed_md, or NULL without a chain). All new; -1 with err. */
int vci_serve_documents(vci_serve_t *s, vci_defn_t *const *defs, size_t n, json_t **md,
			json_t **md13, char **signed_md, vci_err_t *err);
/* Dispatch holds the current catalog for the request's time. */
void vci_serve_catalog_enter(vci_serve_t *s);
void vci_serve_catalog_leave(vci_serve_t *s);
void vci_serve_catalog_close(vci_serve_t *s);

#endif
