/* serve.h - what vci-serve's parts share: the server (its settings and
 * prepared state), the request a handler sees and the response it fills.
 *
 * Only http.c knows libmicrohttpd. A handler takes a vci_req_t and fills a
 * vci_resp_t, so it is tested and fuzzed without a socket. Handlers live
 * one endpoint per file in handlers/ (handlers/token.c is POST /token);
 * routes.c is the table from method and path to handler, and endpoints.c
 * fills it at start (each handler file registers its own). Protocol logic
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
#include "oid4vci/issue.h"
#include "oid4vci/mdoc.h"
#include "oid4vci/profile.h"
#include "oid4vci/sdjwt.h"
#include "store/store.h"

#include <jansson.h>
#include <openssl/evp.h>

#include <pthread.h>
#include <stdint.h>

#define VCI_SERVE_BODY_MAX (64u << 10)   /* request body cap: 413 above it */
#define VCI_SERVE_HEADERS_MAX 32         /* more request headers: 431 */

typedef enum vci_dpop_mode {
	VCI_DPOP_OPTIONAL = 0,  /* DPoP-bound token when a proof comes, else Bearer */
	VCI_DPOP_REQUIRED = 1,  /* Bearer refused */
	VCI_DPOP_OFF = 2,       /* DPoP proofs ignored: Bearer only */
} vci_dpop_mode_t;

/* --encryption (OpenID4VCI 1.0 section 10). */
typedef enum vci_encryption_mode {
	VCI_ENCRYPTION_OPTIONAL = 0,  /* advertised, used when the wallet asks */
	VCI_ENCRYPTION_REQUIRED = 1,  /* encrypted requests and responses only */
	VCI_ENCRYPTION_OFF = 2,       /* not advertised; requests for it refused */
} vci_encryption_mode_t;

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
	size_t nheaders_dropped; /* beyond VCI_SERVE_HEADERS_MAX (http.c
				    refuses such requests with 431) */
	const void *route_arg;   /* the matched route's argument (routes.c) */
	int admin;               /* arrived on the management listener */
	int can_wait;            /* the caller finishes vci_serve_wait's
				    writes later (http.c); 0: at once */
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
	struct vci_wait *wait;          /* a write to finish (vci_serve_wait) */
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
 * with its status; a 503 carries Retry-After: VCI_SERVE_RETRY_AFTER
 * (seconds). */
#define VCI_SERVE_RETRY_AFTER "2"
int vci_resp_error(vci_resp_t *r, int status, const char *code, const char *desc);
/* A library error as HTTP: err->code is the OAuth "error" and err->msg its
 * description; the status is `status` when non-zero, else from the exit
 * class (input/usage/fail 400, key 500, I/O 503). Codes that are not
 * OAuth/OID4VCI codes for the endpoint are mapped by the caller first. */
int vci_resp_err(vci_resp_t *r, int status, const vci_err_t *err);

typedef void (*vci_handler_fn)(vci_serve_t *s, const vci_req_t *req, vci_resp_t *resp);

/* A handler whose last step is a store write (store.h's _start forms)
 * ends with vci_serve_wait: `start` queues the write, passing it done and
 * arg (0, or -1 with err: then finish runs at once with ret -1 and err);
 * `finish` fills the response from the write's ret and err (NULL unless
 * ret is -1), with the same s and req, and frees ctx. When req->can_wait
 * (http.c), the worker thread serves other connections meanwhile: the
 * write is queued once the connection is suspended and finish runs on
 * that thread after the commit, under the request's catalog (resp->wait
 * set here, resp->status left 0). Otherwise it waits here and finish
 * runs before vci_serve_wait returns. */
typedef int (*vci_wait_start_fn)(vci_serve_t *s, void *ctx, vci_store_done_fn done, void *arg,
				 vci_err_t *err);
typedef void (*vci_wait_finish_fn)(vci_serve_t *s, const vci_req_t *req, vci_resp_t *resp,
				   void *ctx, int ret, const vci_err_t *err);
void vci_serve_wait(vci_serve_t *s, const vci_req_t *req, vci_resp_t *resp,
		    vci_wait_start_fn start, vci_wait_finish_fn finish, void *ctx);
/* For http.c: queue the write of resp->wait (after suspending the
 * connection), and finish it into resp once done was called. */
int vci_serve_wait_start(vci_serve_t *s, struct vci_wait *w, vci_store_done_fn done, void *arg,
			 vci_err_t *err);
void vci_serve_wait_finish(vci_serve_t *s, const vci_req_t *req, vci_resp_t *resp,
			   struct vci_wait *w, int ret, const vci_err_t *err);

struct vci_serve_status;   /* status list pools (private to statuslists.c) */
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
	vci_nonce_key_t *c_nonce_key;  /* seals c_nonces (STATE/c-nonce.key) */
	vci_nonce_key_t *token_key;    /* seals access tokens (STATE/access-token.key) */
	long token_ttl, nonce_ttl;    /* seconds */
	unsigned tx_attempts, batch_size;
	vci_store_t *store;
	vci_defn_t **defs;
	size_t ndefs;
	json_t *metadata;             /* the unsigned Credential Issuer Metadata */
	vci_sdjwt_issuer_t *sdjwt;    /* signers, prepared once */
	vci_mdoc_issuer_t *mdoc;
	vci_issue_ctx_t issue;        /* the one issuing path over those signers */
	EVP_PKEY *key;                /* the issuer's signing key */
	json_t *x5c;                  /* its certificate chain, or NULL (--kid) */
	int64_t cert_not_after;       /* the chain's earliest notAfter, 0 (--kid):
					 nothing is signed from then on */
	const char *kid;              /* or NULL (--cert) */

	struct vci_serve_status *status;
	struct vci_serve_keep *keep;

	/* deferred issuance, claims hook, webhooks (hook.c, webhooks.c) */
	char *deferred_url;                /* P/deferred_credential */
	struct vci_serve_hook *hook;       /* --claims-hook, or NULL */
	struct vci_serve_webhooks *webhooks; /* the delivery worker, or NULL */

	/* credential request/response encryption (encryption.c) */
	int encryption;                    /* vci_encryption_mode_t */
	EVP_PKEY *enc_key;                 /* request encryption key, or NULL */
	json_t *enc_jwks;                  /* its public JWK Set, or NULL */
	vci_profile_t profile;             /* --profile (profile.c) */

	/* authorization code flow (handlers/par.c, authorize.c, client.c) */
	char *par_url, *authorize_url;     /* P/par, P/authorize */
	const char *trust_file;            /* --trust: wallet providers, or NULL */
	int par_optional;                  /* --par optional */

	/* the wallet-initiated flow (oidc.c, handlers/login.c) */
	struct vci_serve_oidc *oidc;       /* --oidc-issuer, or NULL */
};

/* ---- encryption (encryption.c) ----
 * Set s->encryption to mode and, unless it is off, load (or make on the
 * first start) the request encryption key STATE/request-encryption.pem
 * and its JWK Set. Before the metadata is built. -1 with err. */
int vci_serve_encryption_open(vci_serve_t *s, const char *state, int mode, vci_err_t *err);
void vci_serve_encryption_free(vci_serve_t *s);
/* The JSON body of a request that may come encrypted (Content-Type
 * application/jwt: a JWE to our request encryption key, section 10).
 * Encrypted: *body is the decrypted JSON (malloc'd, *len bytes) and
 * *encrypted 1. Not encrypted: *body NULL, the caller reads req->body.
 * Errors "invalid_encryption_parameters" (VCI_EXIT_FAIL): an encrypted
 * request when encryption is off or it does not decrypt, a plain
 * application/json one when encryption is required. */
int vci_serve_request_body(const vci_serve_t *s, const vci_req_t *req, char **body,
			   size_t *len, int *encrypted, vci_err_t *err);

/* ---- profiles (profile.c) ----
 * --profile haip: the server's settings and metadata md (1.0) against
 * the rules of oid4vci/profile.h. Each broken rule is printed on standard
 * error ("vci-serve: --profile haip: RULE: ...") and the call fails with
 * VCI_EXIT_USAGE. 0 without a profile. */
int vci_serve_profile_check(vci_serve_t *s, const json_t *md, vci_err_t *err);
/* The metadata rules for one definition (served from the store or added
 * by the management API): -1 with err (VCI_EXIT_FAIL,
 * "invalid_definition", the first broken rule) when it breaks one. */
int vci_serve_profile_defn(const vci_serve_t *s, const vci_defn_t *d, vci_err_t *err);

/* The definition whose credential configuration id is config_id, or NULL. */
const vci_defn_t *vci_serve_defn(vci_serve_t *s, const char *config_id);

/* n status entries for credentials of definition d: *status is a new array
 * of n objects {"status_list": {"idx": N, "uri": U}} (the record's
 * "status"; for a W3C Bitstring list, BitstringStatusListEntry objects, the
 * record's "credentialStatus"), or NULL when d has no status list (returns
 * 0 either way). At most 64 at once. Indices are random free entries of the
 * list file (vci_statuslist_alloc_file), taken a small pool ahead so one
 * file write serves many credentials; an index is never handed out twice,
 * even across a crash (the file is written before any index of the pool
 * leaves). Thread-safe. Returns -1 with err on failure (I/O, list full). */
int vci_serve_status_alloc(vci_serve_t *s, const vci_defn_t *d, size_t n, json_t **status,
			   vci_err_t *err);

/* ---- definitions catalog (catalog.c) ----
 * The definitions served are the --defn ones (s->defs, fixed, read-only
 * to the management API) and those kept in the store (POST /definitions,
 * `vci-serve defn add`), published with the metadata made from them as
 * one immutable catalog. A request sees one catalog from start to end
 * (dispatch holds a reference); a change builds a new one and swaps it
 * in, the old one freed when its last request ends. Thread-safe. */
typedef struct vci_serve_catalog vci_serve_catalog_t;
/* The definitions the calling request sees (*n of them; the first
 * vci_serve_defs_base are the --defn ones), and the issuing context over
 * them. Valid for the request's time. */
vci_defn_t *const *vci_serve_defs(const vci_serve_t *s, size_t *n);
size_t vci_serve_defs_base(const vci_serve_t *s);
const vci_issue_ctx_t *vci_serve_issue(const vci_serve_t *s);
/* A reference on the current catalog (NULL before the first), and its
 * release. */
vci_serve_catalog_t *vci_serve_catalog_hold(vci_serve_t *s);
void vci_serve_catalog_drop(vci_serve_catalog_t *c);
/* Build a catalog from s->defs and the store's definitions and publish
 * it: always (reload), or only when the store's definitions changed since
 * the current one (refresh: returns 1 when it published, 0 when nothing
 * changed), as `vci-serve defn` from a shell changes them. A stored
 * definition the server cannot serve fails it (the current catalog
 * stays). -1 with err. */
int vci_serve_catalog_reload(vci_serve_t *s, vci_err_t *err);
int vci_serve_catalog_refresh(vci_serve_t *s, vci_err_t *err);
/* The lock management calls take around a change of the store's
 * definitions and its publish (vci_serve_catalog_publish_locked), so
 * changes publish in order; never taken by wallet requests. */
void vci_serve_admin_lock(vci_serve_t *s);
void vci_serve_admin_unlock(vci_serve_t *s);
int vci_serve_catalog_publish_locked(vci_serve_t *s, vci_err_t *err);
/* Under the admin lock: publish what a shell changed meanwhile, and let
 * the calling request see the current catalog from now on. */
int vci_serve_catalog_sync_locked(vci_serve_t *s, vci_err_t *err);
/* POST /offers's offer from a record {credential_configuration_id(s),
 * claims, tx_code?, ...}: built, stored, and out filled with offer_id,
 * credential_offer_uri and the drawn tx_code. -1 with err ("offer_exists"
 * for an id taken). */
int vci_admin_offer_make(vci_serve_t *s, json_t *rec, int64_t now, json_t *out, vci_err_t *err);
/* Store prepared definitions (replace: the id of the one replaced, else
 * NULL) and publish them, under the admin lock, as POST and PUT
 * /definitions do; delete a stored one ("read_only" for a --defn one,
 * "not_found"). 0, or -1 / VCI_STORE_* with err as the store says.
 * group (borrowed; NULL: none): {"id", "label"?} stored with each of
 * defs as its VCI_STORE_DEFN_GROUP member, "order" its index in defs;
 * a replace without a group keeps the replaced one's. */
int vci_admin_defs_store(vci_serve_t *s, vci_defn_t **defs, size_t n, const char *replace,
			 const json_t *group, int64_t now, vci_err_t *err);
/* The same for a record of several definitions: defs take the place of
 * the stored definitions whose ids are in `replaced` (borrowed JSON array
 * of strings; NULL: none). An entry of defs whose id is in it replaces
 * that one, any other is added (an id served already: "definition_exists"),
 * and a replaced id no entry keeps is deleted. Every check is made before
 * the first write, and the writes are one store transaction
 * (vci_store_defn_write): when one fails, the stored definitions are
 * left as they were. */
int vci_admin_defs_replace(vci_serve_t *s, vci_defn_t **defs, size_t n, const json_t *replaced,
			   const json_t *group, int64_t now, vci_err_t *err);
int vci_admin_defs_delete(vci_serve_t *s, const char *id, vci_err_t *err);
/* The claims of an exchange's waiting deferred request, checked against
 * its definitions, as POST /exchanges/{id}/claims supplies them:
 * 0, VCI_STORE_NOTFOUND (nothing waits), or -1 with err. */
int vci_admin_claims_supply(vci_serve_t *s, const char *exchange_id, json_t *claims,
			    int64_t now, vci_err_t *err);
/* The routes of the products' shapes: system A (handlers/seed_a.c) and
 * system C (handlers/seed_c.c) on the management listener. */
int vci_seed_a_register(vci_serve_t *s, vci_err_t *err);
int vci_seed_c_register(vci_serve_t *s, vci_err_t *err);
/* The management routes of handlers/admin_defs.c, admin_exchanges.c and
 * admin_bulk.c. */
int vci_admin_defs_register(vci_serve_t *s, vci_err_t *err);
int vci_admin_exchanges_register(vci_serve_t *s, vci_err_t *err);
int vci_admin_bulk_register(vci_serve_t *s, vci_err_t *err);
/* 0 when the server can serve d among `others` (n of them; d may be one):
 * no other has its id ("definition_exists"), a signer for its format, a
 * status list for it ("invalid_definition"); VCI_EXIT_FAIL. */
int vci_serve_defn_fits(vci_serve_t *s, const vci_defn_t *d, vci_defn_t *const *others,
			size_t n, vci_err_t *err);
/* Whether a --status-list serves d's status (statuslists.c), and the
 * file of the list published at uri (NULL: none). */
int vci_serve_status_covers(vci_serve_t *s, const vci_defn_t *d);
const char *vci_serve_status_file(vci_serve_t *s, const char *uri);

/* ---- management (manage.c): what the native management API and the
 * `vci-serve` subcommands share ---- */

/* Definitions in any shape `vci-defn import` reads (native, system A,
 * credentials-supported records, SD-JWT VC Type Metadata; one or an
 * array), each validated and prepared (vci_defn_new): *out a malloc'd
 * array of *n (free with vci_defn_list_free). Fields without meaning here
 * go to `dropped` as vci_defn_import notes them. Errors: VCI_EXIT_INPUT,
 * "invalid_definition". */
int vci_manage_defn_read(const json_t *doc, json_t *dropped, vci_defn_t ***out, size_t *n,
			 vci_err_t *err);

#define VCI_MANAGE_LIMIT 100   /* exchanges per page unless limit says */
/* GET /exchanges?state=S&limit=N&cursor=C (each at most once, limit 1 to
 * VCI_STORE_LIST_MAX, unknown parameters ignored). Errors VCI_EXIT_INPUT,
 * "invalid_request". Clear with vci_manage_query_clear. */
typedef struct vci_manage_query {
	char *state, *cursor;     /* malloc'd, decoded, or NULL */
	unsigned limit;
	int limit_given;
} vci_manage_query_t;
int vci_manage_query_parse(const char *query, vci_manage_query_t *q, vci_err_t *err);
void vci_manage_query_clear(vci_manage_query_t *q);

/* Which of an exchange's status entries an action is for: all, or the
 * one with idx (and uri, when the exchange has entries in several lists).
 * The body of POST /exchanges/{id}/revoke|suspend|reinstate: empty, or
 * {"idx": N, "uri"?: U}. Errors VCI_EXIT_INPUT, "invalid_request". */
typedef struct vci_manage_only {
	int has_idx;
	uint64_t idx;
	char uri[512];            /* "" for any list */
} vci_manage_only_t;
int vci_manage_action_parse(const char *body, size_t len, vci_manage_only_t *only,
			    vci_err_t *err);
/* The status word of an action: revoke "invalid", suspend "suspended",
 * reinstate "valid"; NULL for another word. */
const char *vci_manage_action_word(const char *action);

/* The next non-blank line of an NDJSON text from *p to end (blanks
 * around it trimmed, *len its length), *p moved past it; NULL at the end. */
const char *vci_manage_ndjson_next(const char **p, const char *end, size_t *len);

/* The list file published at a status list uri, or NULL (the server's
 * --status-list files, or those given to a subcommand). */
typedef const char *(*vci_manage_file_fn)(void *ctx, const char *uri);

/* The status list entries of an exchange's credentials with their
 * current value ("status": valid, invalid, suspended ...) from the list
 * files; a new array, or NULL with err. */
json_t *vci_manage_entries(vci_store_t *st, const char *exchange_id,
			   vci_manage_file_fn file_of, void *ctx, vci_err_t *err);
/* One parameter of a query string (application/x-www-form-urlencoded,
 * percent-decoded into *val, malloc'd): 1 found, 0 absent, -1 with err
 * (VCI_EXIT_INPUT, "invalid_request": given twice, bad encoding, a NUL).
 * vci_manage_query_uint: the same for a decimal number 0 to max. */
int vci_manage_query_value(const char *query, const char *name, char **val, vci_err_t *err);
int vci_manage_query_uint(const char *query, const char *name, unsigned max, unsigned *out,
			  vci_err_t *err);
/* An exchange as the API shows it: {id, offer_id, state, record, issued,
 * notification_id?, description?, created_at, updated_at,
 * status_list_entries: [{uri, idx, issued_at, status?}]}, the status read
 * from the list file when file_of knows it. NULL with err. */
json_t *vci_manage_exchange_view(vci_store_t *st, const vci_store_exchange_t *x,
				 vci_manage_file_fn file_of, void *ctx, vci_err_t *err);
/* Set the status list entries of exchange id's credentials (all, or
 * `only`) to `word` in their list files, each in one locked
 * read-modify-write of the file as `vci-statuslist set` does (the server
 * re-signs the published token when the file changes). *out: the entries
 * changed, [{uri, idx, status}]. Returns 0, VCI_STORE_NOTFOUND (no such
 * exchange) or -1 with err: "no_status_entry" (VCI_EXIT_FAIL: none
 * issued, or none matches `only`), "status_final" (a revoked entry is
 * not reinstated), "invalid_status" (the list cannot hold the word),
 * "no_status_list" (no file for an entry's uri), I/O. Entries before a
 * failing one stay changed. */
int vci_manage_status_set(vci_store_t *st, const char *id, const char *word,
			  const vci_manage_only_t *only, vci_manage_file_fn file_of, void *ctx,
			  json_t **out, vci_err_t *err);
/* The offers the filter f selects (vci_store_offer_page), rows [offset,
 * offset + limit) (limit 0: all from offset on), read from the store a
 * page at a time (at most VCI_STORE_LIST_MAX rows a read, none past
 * VCI_STORE_OFFSET_MAX) and each handed in order to take(ctx, row, err):
 * row is the page's (take may keep a reference); take returns 0 to go
 * on, -1 with err to stop. Returns 0, or -1 with err (the store's, or
 * take's). */
typedef int (*vci_manage_row_fn)(void *ctx, json_t *row, vci_err_t *err);
int vci_manage_offer_scan(vci_store_t *st, const vci_store_offer_filter_t *f, unsigned offset,
			  unsigned limit, vci_manage_row_fn take, void *ctx, vci_err_t *err);

/* ---- settings (config.c): one option table for the command line and
 * the config file ---- */

#define VCI_SERVE_DEFN_MAX 64
#define VCI_SERVE_STATUS_MAX 32
#define VCI_SERVE_WEBHOOK_MAX 8

typedef struct vci_serve_config {
	const char *issuer, *key, *cert, *kid, *pass, *state;
	const char *db;              /* --db: a PostgreSQL store shared by hosts, or NULL */
	const char *offer_key;       /* --offer-key FILE (with --db), or NULL */
	const char *listen;          /* ADDR:PORT, default 127.0.0.1:8080 */
	const char *admin_listen;    /* NULL: no management listener */
	const char *log;             /* NULL or "-": standard error */
	const char *tls_cert, *tls_key; /* native TLS of --listen (files), or NULL */
	const char *defn[VCI_SERVE_DEFN_MAX];
	size_t ndefn;
	const char *status_list[VCI_SERVE_STATUS_MAX]; /* "[CONFIG_ID=]FILE" */
	size_t nstatus_list;
	vci_dpop_mode_t dpop;
	int dpop_nonce;
	long token_ttl, nonce_ttl;
	unsigned tx_attempts, batch_size, threads;
	/* deferred issuance, claims hook, webhooks */
	const char *claims_hook;     /* --claims-hook CMD, or NULL */
	long claims_hook_timeout;    /* seconds (default 5) */
	const char *webhook[VCI_SERVE_WEBHOOK_MAX];   /* --webhook URL */
	size_t nwebhook;
	const char *webhook_secret_file;
	long sweep_interval;         /* seconds between sweeps (default 60) */
	vci_encryption_mode_t encryption; /* --encryption (default optional) */
	vci_profile_t profile;       /* --profile: haip turns on DPoP required and
					server nonces unless given otherwise */
	/* authorization code flow */
	const char *trust;           /* --trust FILE: wallet provider anchors, or NULL */
	int par_optional;            /* --par optional */
	/* the wallet-initiated flow (oidc.c) */
	const char *oidc_issuer;     /* --oidc-issuer URL, or NULL */
	const char *oidc_client;     /* --oidc-client FILE */
	/* private: which options the command line gave (the config file does
	 * not override them), and the strings read from config files */
	unsigned char given[64];
	char **owned;
	size_t nowned;
} vci_serve_config_t;

/* One setting: its long option name (also the config file's name), the
 * argument placeholder (NULL for a flag) and the help text. */
typedef struct vci_serve_opt {
	const char *name;
	const char *arg;
	const char *help;
} vci_serve_opt_t;
extern const vci_serve_opt_t vci_serve_opts[]; /* ends with a zeroed entry */

/* The defaults: listen 127.0.0.1:8080, dpop optional, token and nonce ttl
 * 300 s, 5 tx_code attempts, batch size 10, 4 threads. */
void vci_serve_config_init(vci_serve_config_t *c);
void vci_serve_config_clear(vci_serve_config_t *c);
/* Set option `name` (as in vci_serve_opts) to value (NULL for a flag; in
 * a config file a flag's value is true/false, yes/no, on/off or 1/0).
 * from_file: a setting the command line already gave is kept. Errors:
 * VCI_EXIT_USAGE, code "invalid_option", message "--NAME: why". */
int vci_serve_config_set(vci_serve_config_t *c, const char *name, const char *value,
			 int from_file, vci_err_t *err);
/* Read "name = value" lines ('#' comments, blank lines; a value may be
 * quoted with "...") through vci_serve_config_set. Errors name the file
 * and line: VCI_EXIT_IO when unreadable, VCI_EXIT_USAGE for a bad line. */
int vci_serve_config_file(vci_serve_config_t *c, const char *path, vci_err_t *err);
/* The settings `run` needs are there and agree (VCI_EXIT_USAGE). */
int vci_serve_config_check(const vci_serve_config_t *c, vci_err_t *err);
/* Open the store the settings name: --db URL (PostgreSQL, shared by
 * hosts) with the offer key file --offer-key, or offer.key in --state DIR
 * (made 0700 when missing), or else the SQLite store in --state DIR.
 * need_key: with --db, a missing key file setting is a usage error (else
 * the store opens without one and refuses to seal or serve offers).
 * Errors: VCI_EXIT_USAGE without --state or --db, those of
 * vci_store_open_key. */
vci_store_t *vci_serve_config_store(const vci_serve_config_t *c, int need_key, vci_err_t *err);

/* ---- the server (server.c) ---- */

/* Prepare a server from settings: definitions (vci_defn_load), key
 * (--pass), x5c chain (--cert) or kid, metadata, the store (created and
 * migrated), signers, the DPoP nonce, c_nonce and access token keys
 * (STATE/dpop-nonce.key, STATE/c-nonce.key, STATE/access-token.key, made
 * on first start), status lists, routes. Errors keep their exit class:
 * definitions 3, key and certificate 4, state and files 5, settings 2. */
vci_serve_t *vci_serve_new(const vci_serve_config_t *c, vci_err_t *err);
/* An empty server (issuer "", no store): for tests of the route table
 * and of handlers without the whole setup. */
vci_serve_t *vci_serve_alloc(vci_err_t *err);
void vci_serve_free(vci_serve_t *s);

/* ---- routes (routes.c) ---- */

typedef enum vci_route_match {
	VCI_ROUTE_EXACT = 0,
	VCI_ROUTE_PREFIX,    /* path starts with the route's, which ends in '/' */
	VCI_ROUTE_PATTERN,   /* a segment "*" matches any one non-empty segment
				(/exchanges/ID/claims); tried before prefix routes */
} vci_route_match_t;

/* Add a route to the wallet-facing table (admin 0) or the management
 * listener's (admin 1). ctype: the media type a POST body must have
 * (415 otherwise), or NULL for any. arg reaches the handler as
 * req->route_arg. A method and path given twice is refused
 * (VCI_EXIT_USAGE, "invalid_option": two things would be served there). */
int vci_serve_route_add(vci_serve_t *s, int admin, const char *method, const char *path,
			vci_route_match_t match, const char *ctype, vci_handler_fn fn,
			const void *arg, vci_err_t *err);
/* Every route of the server: the endpoints' register functions below
 * (endpoints.c). */
int vci_serve_routes_default(vci_serve_t *s, vci_err_t *err);
/* Answer a request: the handler of its method and path fills resp; an
 * unknown path is 404, a known path with another method 405 with Allow,
 * a POST body of another media type 415, all as JSON errors. HEAD is GET
 * without the body. Never fails: resp always has a status. */
void vci_serve_dispatch(vci_serve_t *s, const vci_req_t *req, vci_resp_t *resp);

/* The endpoints' register functions (one file each in handlers/). */
int vci_wellknown_register(vci_serve_t *s, vci_err_t *err);
int vci_typemeta_register(vci_serve_t *s, vci_err_t *err);
int vci_offer_register(vci_serve_t *s, vci_err_t *err);
int vci_status_register(vci_serve_t *s, vci_err_t *err);
int vci_health_register(vci_serve_t *s, vci_err_t *err);
int vci_admin_offers_register(vci_serve_t *s, vci_err_t *err);

/* ---- status lists (statuslists.c) ---- */

/* Open the lists of --status-list [CONFIG_ID=]FILE: each file is a list
 * vci-statuslist made; CONFIG_ID names the definition whose credentials
 * take their status from it (without it: every definition with a status
 * list of the file's method). FILE "db:NAME" is the list NAME in the
 * server's store (vci_store_sl_*), allocated from there and its token
 * signed again when its serial moves. Published at the path of the list's
 * uri. */
int vci_serve_status_open(vci_serve_t *s, const char *const *specs, size_t n, vci_err_t *err);
void vci_serve_status_close(vci_serve_t *s);
/* The i-th open list: an opaque entry for vci_serve_status_respond, with
 * its uri in *uri; NULL past the last. */
const void *vci_serve_status_entry(const vci_serve_t *s, size_t i, const char **uri);
/* Answer a GET of an entry's token: the list signed again first when it
 * changed (its file's stat, or the store's serial) or its token is half
 * way to expiry; 200 with the token (application/statuslist+jwt, or
 * application/vc+jwt for a Bitstring list) and Cache-Control max-age of
 * the list's ttl, or 503 with the error. Thread-safe (one lock per list). */
void vci_serve_status_respond(vci_serve_t *s, const void *entry, int64_t now, vci_resp_t *resp);

/* ---- offers (offers.c): imported or made by the management API ---- */

/* Put an offer record (vci-offer's output shape: offer_id,
 * credential_offer, pre_authorized_code, tx_code?, issuer_state?,
 * expires_at, claims, ...) into the store: the code and tx_code as their
 * hashes, the record without secrets, link or offer. Returns 0,
 * VCI_STORE_EXISTS for an offer id or code seen before, or -1 with err
 * (VCI_EXIT_FAIL, "invalid_request", for a record without what an offer
 * needs). */
int vci_serve_offer_put(vci_store_t *st, const json_t *rec, unsigned tx_attempts, int64_t now,
			vci_err_t *err);

/* ---- access log (log.c) ---- */

/* One JSON line per request: time, peer, method, path, status, bytes,
 * duration_ms, error (the code given to the client), listener ("admin"). Never a query, header or body: no code,
 * token, tx_code, nonce or proof reaches it. path NULL or "-": standard
 * error. Thread-safe; vci_serve_log_reopen (SIGHUP) reopens the file. */
int vci_serve_log_open(vci_serve_t *s, const char *path, vci_err_t *err);
int vci_serve_log_reopen(vci_serve_t *s, vci_err_t *err);
void vci_serve_log_request(vci_serve_t *s, const vci_req_t *req, const vci_resp_t *resp,
			   double ms);

/* ---- HTTP (http.c: the only file that knows libmicrohttpd) ---- */

typedef struct vci_http vci_http_t;
typedef struct vci_serve_listen {
	const char *listen;     /* ADDR:PORT (IPv4 or [IPv6]; port 0: a free one) */
	int admin;              /* serve the management routes, not the wallet's */
	unsigned threads;       /* worker threads */
	const char *tls_cert;   /* native TLS: certificate chain (PEM text), or NULL */
	const char *tls_key;    /* and its unencrypted private key (PEM text) */
} vci_serve_listen_t;
/* Listen and serve. Errors: VCI_EXIT_IO (address in use, ...),
 * VCI_EXIT_USAGE (a bad address; TLS asked of a libmicrohttpd without
 * it), VCI_EXIT_KEY (a certificate or key GnuTLS refuses). */
vci_http_t *vci_http_start(vci_serve_t *s, const vci_serve_listen_t *o, vci_err_t *err);
/* The bound address, "ADDR:PORT". */
const char *vci_http_address(const vci_http_t *h);
/* Stop accepting, let requests in flight finish (up to `wait_ms`), stop
 * the threads and free h. */
void vci_http_stop(vci_http_t *h, long wait_ms);

/* The protocol endpoints (handlers/token.c, nonce.c, credential.c,
 * notification.c). */
void vci_h_token(vci_serve_t *s, const vci_req_t *req, vci_resp_t *resp);
void vci_h_nonce(vci_serve_t *s, const vci_req_t *req, vci_resp_t *resp);
void vci_h_credential(vci_serve_t *s, const vci_req_t *req, vci_resp_t *resp);
void vci_h_notification(vci_serve_t *s, const vci_req_t *req, vci_resp_t *resp);
/* The authorization code flow (handlers/par.c, authorize.c). */
void vci_h_par(vci_serve_t *s, const vci_req_t *req, vci_resp_t *resp);
void vci_h_authorize(vci_serve_t *s, const vci_req_t *req, vci_resp_t *resp);
void vci_h_oidc_callback(vci_serve_t *s, const vci_req_t *req, vci_resp_t *resp);


/* ---- management listener authentication (handlers/admin_offers.c) ---- */

/* 0 when the request holds a valid API key (Authorization: Bearer KEY,
 * Authorization: ApiKey KEY or x-api-key: KEY; looked up by hash); else
 * resp is filled (400 two credentials, 401 none or unknown, 503 store)
 * and -1 returned. */
int vci_admin_authenticate(vci_serve_t *s, const vci_req_t *req, vci_resp_t *resp);

/* ---- deferred issuance (handlers/deferred.c) ---- */

#define VCI_DEFERRED_INTERVAL 5   /* seconds, when the definition names none */

/* Whether a credential of definition d for the exchange record xrec is
 * deferred: the record's "deferred": true or "issuanceMode": "Deferred",
 * or d->deferred_interval; *interval the seconds a wallet waits between
 * polls. */
int vci_serve_deferred_wanted(const json_t *xrec, const vci_defn_t *d, unsigned *interval);
/* Answer a credential request with 202 {transaction_id, interval}: status
 * entries allocated for the proven keys (NULL: one credential without
 * binding) and the request kept in the store (vci_store_deferred_put,
 * the transaction id as its hash). `enc`: the request's
 * credential_response_encryption ({jwk, enc, zip?}, checked), or NULL:
 * the 202 is then a JWE to that key (application/jwt). */
void vci_serve_deferred_start(vci_serve_t *s, const vci_req_t *req,
			      const vci_store_exchange_t *x, const vci_defn_t *d,
			      const json_t *keys, const json_t *enc, vci_resp_t *resp);
/* POST P/deferred_credential (section 9): the access token as at the
 * credential endpoint; 202 issuance pending, 200 the credentials once the
 * claims are there (supplied, or from the claims hook), 400
 * invalid_transaction_id (unknown, another token's, delivered) or
 * credential_request_denied. */
void vci_h_deferred(vci_serve_t *s, const vci_req_t *req, vci_resp_t *resp);
/* The management calls: POST /exchanges/{id}/claims (a JSON object of
 * claims, or {"claims": {...}}) and POST /exchanges/{id}/deny
 * ({"reason"?}), and the webhooks: POST /webhooks {url, events, secret,
 * format?}, GET /webhooks, DELETE /webhooks/{id} (handlers/admin_flow.c). */
int vci_admin_flow_register(vci_serve_t *s, vci_err_t *err);
/* The claims of a deferred request supplied (claims: JSON object) or
 * denied (claims NULL, reason optional), as the shell and the HTTP API
 * do it: 0, VCI_STORE_NOTFOUND (no open request of the exchange), -1
 * with err. */
int vci_serve_deferred_decide(vci_store_t *st, const char *exchange_id, const json_t *claims,
			      const char *reason, int64_t now, vci_err_t *err);

/* ---- the claims hook (hook.c) ---- */

#define VCI_HOOK_PENDING 75  /* hook exit status: no claims yet (EX_TEMPFAIL) */

/* Prepare --claims-hook CMD: split into words at spaces and tabs (no
 * shell, no quoting; at most 32 words), run within timeout_ms (0: 5000).
 * VCI_EXIT_USAGE for an empty or too long command. */
int vci_serve_hook_new(vci_serve_t *s, const char *cmd, long timeout_ms, vci_err_t *err);
void vci_serve_hook_free(vci_serve_t *s);
/* Run the hook with `input` (JSON) on its standard input: 0 with *claims
 * the JSON object it printed (64 KiB at most), VCI_HOOK_PENDING when it
 * exited with that status (deferred: not yet), -1 with err (server_error:
 * could not start, timeout, output too large or not an object, a signal,
 * another exit status), the child killed and reaped in every case.
 * Thread-safe; blocks the caller at most the timeout. */
int vci_serve_hook_run(vci_serve_t *s, const json_t *input, json_t **claims, vci_err_t *err);
/* The claims of an issuance from the hook, when there is one: the hook's
 * input made from the exchange x (record, configuration, holder key
 * thumbprints; no secret), its claims put into xrec's "claims". 0 (also
 * without a hook), VCI_HOOK_PENDING, or -1 with err (handlers/deferred.c). */
int vci_serve_hook_claims(vci_serve_t *s, const vci_store_exchange_t *x, json_t *xrec,
			  const vci_defn_t *d, const json_t *keys, int deferred, vci_err_t *err);

/* ---- webhooks (webhooks.c) ---- */

#define VCI_WEBHOOK_RETRIES 10   /* attempts before an event is given up */
#define VCI_WEBHOOK_BACKOFF_MAX 300  /* seconds between attempts at most */

/* The --webhook URLs (all events, the --webhook-secret-file secret) put
 * into the store under ids "cli-" + a hash of the URL, and those of an
 * earlier start that are no longer given removed. */
int vci_serve_webhooks_sync(vci_serve_t *s, const vci_serve_config_t *c, vci_err_t *err);
/* Start and stop the worker that delivers the outbox: each webhook's
 * events in order, POST with the signature headers, a failed attempt
 * retried after 1, 2, 4 ... (at most VCI_WEBHOOK_BACKOFF_MAX) seconds, up to
 * VCI_WEBHOOK_RETRIES attempts. Stop waits for the attempt in flight
 * (cut short). */
int vci_serve_webhooks_start(vci_serve_t *s, vci_err_t *err);
void vci_serve_webhooks_stop(vci_serve_t *s);
/* Wake the worker (an event was written). Thread-safe; no-op when it is
 * not running. */
void vci_serve_webhooks_kick(vci_serve_t *s);
/* The issuer failed to make a credential the wallet asked for (why:
 * its error, no secret in it): a "credential.error" event for the
 * exchange, FAILED with errorDetails "issuer service error: ..." in the
 * EUDI connector's format. A store failure is logged, never returned. */
void vci_serve_issue_failed(vci_serve_t *s, const char *exchange_id, const vci_err_t *why,
			    int64_t now);
/* A subscription's check: url a network target (https, or http to
 * loopback), events "*" or a non-empty array of known event types, format
 * "native" or "eudi-connector". VCI_EXIT_USAGE, "invalid_request". */
int vci_serve_webhook_check(const char *url, const json_t *events, const char *format,
			    vci_err_t *err);
/* The body and signature of one delivery: *body the JSON text (native:
 * {id, type, created_at, exchange_id, offer_id, data}; eudi-connector:
 * {eventId, status, offerId, errorDetails?}), NULL when the format has no
 * name for the event (nothing is sent); sig "t=TS,v1=HEX" with HEX the
 * HMAC-SHA256 of secret over TS "." body. */
int vci_serve_webhook_render(const vci_store_delivery_t *d, int64_t ts, char **body,
			     char sig[128], vci_err_t *err);


/* ---- the wallet-initiated flow's OpenID Provider (oidc.c) ---- */

/* --oidc-issuer URL with --oidc-client FILE (both or neither: 0 without
 * them): the client file read (owner-only, {client_id, client_secret,
 * scope?}), the provider's discovery document and JWK Set fetched and
 * checked. After set_issuer. -1 with err (VCI_EXIT_USAGE for the options,
 * VCI_EXIT_IO when the provider cannot be reached, VCI_EXIT_INPUT for
 * documents it refuses). */
int vci_serve_oidc_open(vci_serve_t *s, const char *issuer, const char *client_file,
			vci_err_t *err);
void vci_serve_oidc_free(vci_serve_t *s);
/* P/oidc/callback as a URL (the redirect URI at the provider), or NULL
 * without --oidc-issuer. */
const char *vci_serve_oidc_callback(const vci_serve_t *s);
/* The provider's authorization request URL for this login: code flow,
 * our client_id and callback, the scope, state, nonce and the PKCE S256
 * challenge (malloc'd; NULL when out of memory). */
char *vci_serve_oidc_auth_url(const vci_serve_t *s, const char *state, const char *nonce,
			      const char *challenge);
/* Redeem the provider's code with the PKCE verifier at its token endpoint
 * (blocks at most 10 s) and verify the ID token (iss, aud, exp, iat,
 * nonce, signature by the provider's JWK Set, fetched again once for an
 * unknown kid). The verified claims (a new reference), or NULL with err
 * ("fetch_failed" VCI_EXIT_IO, "invalid_provider", "invalid_id_token").
 * Thread-safe. */
json_t *vci_serve_oidc_redeem(vci_serve_t *s, const char *code, const char *verifier,
			      const char *nonce, int64_t now, vci_err_t *err);

#endif
