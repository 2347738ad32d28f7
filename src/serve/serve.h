/* serve.h - what vci-serve's parts share: the server (its settings and
 * prepared state), the request a handler sees and the response it fills.
 *
 * Only http.c knows libmicrohttpd. A handler takes a vci_req_t and fills a
 * vci_resp_t, so it is tested and fuzzed without a socket. Handlers live
 * one endpoint per file in handlers/ (handlers/token.c is POST /token);
 * routes.c is the table from method and path to handler. Protocol logic
 * stays in libvci: a handler parses the request, calls the library and the
 * store, and turns the result or the vci_err_t into HTTP (vci_resp_err).
 *
 * Thread safety: handlers run on the server's worker threads at once; the
 * server is read-only after start except where a member says otherwise. */
#ifndef VCI_SERVE_H
#define VCI_SERVE_H

#include "base/common.h"
#include "crypto/nonce.h"
#include "oid4vci/defn.h"
#include "oid4vci/mdoc.h"
#include "oid4vci/sdjwt.h"
#include "store/store.h"

#include <jansson.h>
#include <openssl/evp.h>

#include <pthread.h>
#include <stdint.h>

#define VCI_SERVE_BODY_MAX (64u << 10)   /* request body cap: 413 above it */
#define VCI_SERVE_HEADERS_MAX 16

typedef enum vci_dpop_mode {
	VCI_DPOP_OPTIONAL = 0,  /* DPoP-bound token when a proof comes, else Bearer */
	VCI_DPOP_REQUIRED = 1,  /* Bearer refused */
	VCI_DPOP_OFF = 2,       /* DPoP proofs ignored: Bearer only */
} vci_dpop_mode_t;

typedef struct vci_serve vci_serve_t;

/* One request, as a handler sees it. Strings are NUL-terminated and valid
 * for the handler's call. */
typedef struct vci_req {
	const char *method;      /* "GET", "POST", ... */
	const char *path;        /* decoded path, no query */
	const char *query;       /* raw query string after '?', or NULL */
	const char *body;        /* NUL-terminated copy of the body, or NULL */
	size_t body_len;
	const char *peer;        /* client address, for the log */
	int64_t now;             /* vci_time_now() when the request arrived */
	/* Request headers (names compared case-insensitively by
	 * vci_req_header). A header sent more than once appears more than
	 * once. */
	struct {
		const char *name, *value;
	} headers[VCI_SERVE_HEADERS_MAX];
	size_t nheaders;
	size_t nheaders_dropped; /* beyond VCI_SERVE_HEADERS_MAX */
} vci_req_t;

/* The first value of a header, or NULL; vci_req_header_count counts them. */
const char *vci_req_header(const vci_req_t *r, const char *name);
size_t vci_req_header_count(const vci_req_t *r, const char *name);
/* The media type of Content-Type, lower-cased, without parameters, in buf. */
const char *vci_req_content_type(const vci_req_t *r, char *buf, size_t size);

/* The response a handler fills. */
typedef struct vci_resp {
	int status;                     /* 0 until set */
	char content_type[64];
	char *body;                     /* malloc'd; freed by vci_resp_clear */
	size_t len;
	struct {
		char name[40];
		char *value;            /* malloc'd */
	} headers[8];
	size_t nheaders;
	/* For the access log: the error code given to the client, if any. */
	char error[48];
} vci_resp_t;

void vci_resp_clear(vci_resp_t *r);
/* A JSON body (steals j; compact, sorted keys not required), with
 * Content-Type application/json. Returns 0 or -1 (out of memory: 500). */
int vci_resp_json(vci_resp_t *r, int status, json_t *j);
/* A body of bytes (copied) with a content type. */
int vci_resp_bytes(vci_resp_t *r, int status, const char *content_type, const void *buf,
		   size_t len);
/* Add a response header (value copied). */
int vci_resp_header(vci_resp_t *r, const char *name, const char *value);
/* An OAuth / OID4VCI error body {"error": code, "error_description": desc}
 * with its status. */
int vci_resp_error(vci_resp_t *r, int status, const char *code, const char *desc);
/* A library error as HTTP: err->code is the OAuth "error" and err->msg its
 * description; the status is `status` when non-zero, else from the exit
 * class (input/usage/fail 400, key 500, I/O 503). Codes that are not
 * OAuth/OID4VCI codes for the endpoint are mapped by the caller first. */
int vci_resp_err(vci_resp_t *r, int status, const vci_err_t *err);

typedef void (*vci_handler_fn)(vci_serve_t *s, const vci_req_t *req, vci_resp_t *resp);

struct vci_serve_status;   /* status list pools (private to status.c) */
struct vci_serve_keep;     /* what the server owns behind the public members */

/* The server: settings and state prepared once by vci_serve_new, read-only
 * while requests run (the store and the status pools lock themselves). */
struct vci_serve {
	const char *issuer;           /* credential issuer identifier */
	const char *base_path;        /* P: the issuer URL's path, "" or "/tenant" */
	char *token_url, *credential_url, *nonce_url, *notification_url;
	vci_dpop_mode_t dpop;
	int dpop_nonce;               /* server-issued DPoP nonces (--dpop-nonce) */
	vci_nonce_key_t *dpop_nonce_key;
	long token_ttl, nonce_ttl;    /* seconds */
	unsigned tx_attempts, batch_size;
	vci_store_t *store;
	vci_defn_t **defs;
	size_t ndefs;
	json_t *metadata;             /* the unsigned Credential Issuer Metadata */
	vci_sdjwt_issuer_t *sdjwt;    /* signers, prepared once */
	vci_mdoc_issuer_t *mdoc;
	EVP_PKEY *key;                /* the issuer's signing key */
	json_t *x5c;                  /* its certificate chain, or NULL (--kid) */
	const char *kid;              /* or NULL (--cert) */

	struct vci_serve_status *status;
	struct vci_serve_keep *keep;
};

/* The definition whose credential configuration id is config_id, or NULL. */
const vci_defn_t *vci_serve_defn(vci_serve_t *s, const char *config_id);

/* n status entries for credentials of definition d: *status is a new array
 * of n objects {"status_list": {"idx": N, "uri": U}}, or NULL when d has no
 * status list (returns 0 either way). Indices are random free entries of the
 * list file (vci_statuslist_alloc_file), taken a small pool ahead so one
 * file write serves many credentials; an index is never handed out twice,
 * even across a crash (the file is written before any index of the pool
 * leaves). Thread-safe. Returns -1 with err on failure (I/O, list full). */
int vci_serve_status_alloc(vci_serve_t *s, const vci_defn_t *d, size_t n, json_t **status,
			   vci_err_t *err);

/* The protocol endpoints (handlers/token.c, nonce.c, credential.c,
 * notification.c). */
void vci_h_token(vci_serve_t *s, const vci_req_t *req, vci_resp_t *resp);
void vci_h_nonce(vci_serve_t *s, const vci_req_t *req, vci_resp_t *resp);
void vci_h_credential(vci_serve_t *s, const vci_req_t *req, vci_resp_t *resp);
void vci_h_notification(vci_serve_t *s, const vci_req_t *req, vci_resp_t *resp);

#endif
