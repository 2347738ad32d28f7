/* store.h - vci-serve's state behind one interface: offers and their
 * pre-authorized codes, tx_code attempts, single-use c_nonces and DPoP
 * jti, exchanges (one per redeemed offer) and the status
 * indices handed out, API keys of the management listener.
 *
 * Each operation is written once in src/store/ over a thin driver (driver.h:
 * open, prepare, bind, step, transactions); a driver knows only its
 * connection and dialect, with its own schema and migration files
 * (sqlite.c + schema.sqlite.sql, pg.c + schema.pg.sql).
 *
 * Secrets never reach the store in the clear: pre-authorized codes,
 * tx_codes, refresh tokens, c_nonces, DPoP jti and API keys are passed as
 * their SHA-256 (vci_store_hash), looked up by hash, and a tx_code hash is
 * compared with CRYPTO_memcmp.
 *
 * Offers at rest: the Credential Offer served by reference carries its
 * pre-authorized code, so the store keeps it sealed (crypto/seal.h:
 * AES-256-GCM, bound to the offer id) under a 32-byte offer key in a file
 * beside the database: DIR/offer.key for a state directory, PATH.key for
 * "sqlite:PATH", made with RAND_priv_bytes (mode 0600) by the first open
 * and refused later when it is not 32 bytes or is open to group or others.
 * A copy of the database without the key file reveals no code; a backup
 * must hold both (a database restored without its key file, while it
 * holds sealed offers, is refused at open: "state: FILE: offer key:
 * missing, ...", VCI_EXIT_KEY, rather than served with a new key that
 * opens none of them; with another key file, it opens but those offers
 * cannot be served: vci_store_offer_get fails).
 * Hosts that share one database (PostgreSQL) must share one key file
 * (vci_store_open_key). Rows written before offers were sealed (plain JSON) are
 * served as they are; every new row is sealed.
 *
 * Durability: every operation that changes state returns only after its
 * change is durable (SQLite: WAL, synchronous=FULL; PostgreSQL: its
 * COMMIT, under the server's synchronous_commit). Writes from concurrent
 * threads are shared into one transaction and one fsync (group commit): a
 * writer thread runs each queued operation in its own SAVEPOINT of one
 * write transaction, commits, then wakes their callers, so each operation
 * still succeeds or fails alone. Alone, a write costs one commit; N
 * concurrent writers share commits (vci_store_stats shows it). Reads run
 * on pooled connections of their own and see every write that has
 * returned. A database server that went away (PostgreSQL restarting)
 * fails the operations in flight (-1, VCI_EXIT_IO: nothing of them kept);
 * the next ones connect again.
 *
 * Thread safety: one vci_store_t is used by any number of threads at once.
 * It does not survive fork() (its writer thread): open it in the process
 * that uses it.
 *
 * Return values: 0 on success; VCI_STORE_NOTFOUND / VCI_STORE_EXISTS (> 0)
 * as each operation states, with err untouched; -1 with err filled
 * (VCI_EXIT_IO, code "server_error") when the database fails (the
 * operation then changed nothing), or (VCI_EXIT_INPUT, code
 * "invalid_request") for an argument the operation refuses (an id empty,
 * not printable ASCII or not shorter than VCI_STORE_ID, a missing
 * offer/record, a bad status entry or state). Error messages never hold a
 * secret or a hash.
 *
 * Every pointer argument is borrowed for the call only. Times are seconds
 * since the epoch, given by the caller (the store never reads the clock
 * for a decision, so tests set it). Expiry: a row "expires at" T is valid
 * while now < T.
 *
 * Open/close: no operation may run on a store during or after
 * vci_store_close (close drains the queued writes first). */
#ifndef VCI_STORE_H
#define VCI_STORE_H

#include "base/common.h"

#include <stdint.h>

enum {
	VCI_STORE_NOTFOUND = 1, /* no such row, used, or expired */
	VCI_STORE_EXISTS = 2,   /* a unique value seen before */
	VCI_STORE_TX_WRONG = 3, /* wrong tx_code: the attempt was counted */
	VCI_STORE_TX_DEAD = 4,  /* wrong tx_code and the cap reached: code dead */
	VCI_STORE_TX_UNEXPECTED = 5, /* a tx_code for an offer without one: nothing changed */
	VCI_STORE_TX_MISSING = 6,    /* no tx_code for an offer with one: not counted */
	VCI_STORE_REPLAY = 7,   /* a DPoP jti seen before: nothing changed */
	VCI_STORE_NONCE = 8,    /* a c_nonce unknown, spent or expired */
};

#define VCI_STORE_HASH 32  /* SHA-256 */
#define VCI_STORE_ID 64    /* room for an id and its NUL */

typedef struct vci_store vci_store_t;

/* A new id for an exchange, notification or other row the store keys:
 * 22 base64url characters, the time in milliseconds then 80 random bits,
 * so ids made close in time sort close (they share index pages). Not a
 * secret: never use one where guessing must be hard beyond its 80 random
 * bits. Thread-safe. -1 with err (VCI_EXIT_IO) if no randomness. */
int vci_store_id_new(char id[VCI_STORE_ID], vci_err_t *err);

/* Open the store, creating and migrating it: `where` is a state
 * directory (the database is DIR/vci.db, the directory made 0700 when
 * missing), "sqlite:PATH", or a PostgreSQL database shared by hosts (in
 * builds with libpq): a libpq URI "postgresql://..." or "postgres://...",
 * or "pg:" and a libpq connection string ("pg:host=/run/pg dbname=vci").
 * Errors: VCI_EXIT_IO ("state: DIR: why", "db: why": a URL is never
 * repeated, it may hold a password), VCI_EXIT_USAGE for a PostgreSQL
 * `where` in a build without the driver or a malformed one,
 * VCI_EXIT_INPUT (code "schema_too_new") for a database of a newer schema
 * than this build knows; VCI_EXIT_KEY (code "invalid_key") for an offer
 * key file of the wrong size or mode, or missing while the database holds
 * offers sealed under it ("state: FILE: offer key: why").
 * Starts the writer thread; several processes may open the same database
 * (SQLite waits up to 10 s for another's lock) and make its key file at
 * once (one of them wins, all use its key). */
vci_store_t *vci_store_open(const char *where, vci_err_t *err);
/* vci_store_open with the offer key file at key_path (made, 0600, when
 * missing) instead of beside the database. Every host sharing a
 * PostgreSQL database must use a copy of the same key file, or the offers
 * one host sealed cannot be served by another. key_path NULL: the
 * default beside an SQLite database; for PostgreSQL no key, and then
 * offer_put and offer_get fail (VCI_EXIT_IO) while the rest works (for
 * the tools that manage API keys, definitions, exchanges). */
vci_store_t *vci_store_open_key(const char *where, const char *key_path, vci_err_t *err);
/* 1 when `where` names a database server (postgresql://, postgres://,
 * pg:) rather than a state directory or "sqlite:PATH". */
int vci_store_is_db(const char *where);
void vci_store_close(vci_store_t *st);

/* SHA-256 of a secret's bytes, the only form the store sees. Returns 0,
 * or -1 only when OpenSSL fails (out of memory): out is then zeroed and
 * must not be used. (Was void: callers ignoring the result still build.) */
int vci_store_hash(const void *secret, size_t len, uint8_t out[VCI_STORE_HASH]);

/* Counters of the writer thread since open: `commits` durable commits
 * made, `writes` state-changing operations they held (writes / commits is
 * the group-commit factor); `queued` the writes waiting now for their
 * commit (in the queue or in the transaction being committed). Thread
 * safe. */
typedef struct vci_store_stats {
	uint64_t commits;
	uint64_t writes;
	uint64_t queued;
} vci_store_stats_t;
void vci_store_stats(vci_store_t *st, vci_store_stats_t *out);

/* Offers ----------------------------------------------------------------
 * An offer as vci-offer makes it (imported) or the management API does. */
typedef struct vci_store_offer {
	const char *offer_id;            /* unique, printable, < VCI_STORE_ID */
	const uint8_t *code_hash;        /* pre-authorized code, or NULL */
	const uint8_t *tx_code_hash;     /* NULL when the offer has no tx_code */
	unsigned tx_attempts_max;        /* wrong tx_codes before the code dies */
	int64_t created_at, expires_at;  /* seconds; expires_at 0: never */
	const char *issuer_state;        /* authorization code grant, or NULL
					    (stored as its SHA-256 only) */
	const char *offer;               /* the Credential Offer, JSON text */
	const char *record;              /* the issuance record, JSON text,
					    without code or tx_code */
} vci_store_offer_t;

/* Add an offer (vci-serve import: a vci-offer record's hashes; POST
 * /offers), its offer sealed. VCI_STORE_EXISTS when its id or code hash
 * is taken. */
int vci_store_offer_put(vci_store_t *st, const vci_store_offer_t *o, vci_err_t *err);

/* The Credential Offer JSON of an offer not yet expired at `now`, for the
 * offer-by-reference endpoint (*offer malloc'd). VCI_STORE_NOTFOUND. A
 * row whose sealed offer does not open (changed in the database, or
 * sealed under another key file) is -1 (VCI_EXIT_IO, "server_error",
 * naming the offer id and the key file). */
int vci_store_offer_get(vci_store_t *st, const char *offer_id, int64_t now, char **offer,
			vci_err_t *err);

/* Redeem a pre-authorized code, atomically: the offer with this code hash,
 * not expired at `now` and not redeemed or dead, is looked up; when it has
 * a tx_code the given tx_hash (NULL when none was sent) is compared in
 * constant time. Wrong: the attempt is counted and VCI_STORE_TX_WRONG
 * returned, or VCI_STORE_TX_DEAD when that made tx_attempts_max (the code
 * is dead from then on). Right: the code is spent (never accepted again),
 * an exchange is created in state "offer_redeemed" with the offer's
 * record, and its id is written to exchange_id. A tx_code sent for an
 * offer without one is VCI_STORE_TX_UNEXPECTED and none sent for an offer
 * with one VCI_STORE_TX_MISSING: neither spends the code or counts an
 * attempt (OID4VCI 1.0 section 6.3: invalid_request). VCI_STORE_NOTFOUND for an
 * unknown, spent, dead or expired code. A tx_hash given for an offer
 * without a tx_code is ignored (the handler decides whether to refuse it).
 * The counted attempt and the spent code are durable on return; a code
 * redeemed at once by several threads or processes has one winner. */
int vci_store_code_redeem(vci_store_t *st, const uint8_t code_hash[VCI_STORE_HASH],
			  const uint8_t *tx_hash, int64_t now, char exchange_id[VCI_STORE_ID],
			  vci_err_t *err);

/* The authorization code flow ------------------------------------------
 * A pushed authorization request (RFC 9126) kept by its request_uri's
 * hash until expires_at, spent once by the authorization endpoint, whose
 * code (kept by its hash) the token endpoint spends once. */
typedef struct vci_store_par {
	const uint8_t *request_hash;     /* SHA-256 of the request_uri */
	const char *client_id, *redirect_uri, *code_challenge;
	const char *dpop_jkt;            /* "" when the request names none */
	const uint8_t *issuer_state_hash;/* SHA-256 of issuer_state, or NULL */
	const char *configs;             /* JSON array of configuration ids */
	int64_t created_at, expires_at;
	const char *state;               /* the client's state, or NULL */
} vci_store_par_t;
/* VCI_STORE_EXISTS when the request hash is taken. */
int vci_store_par_put(vci_store_t *st, const vci_store_par_t *p, vci_err_t *err);

/* What the authorization endpoint and the token endpoint get back. */
typedef struct vci_store_authz {
	char client_id[256];
	char redirect_uri[2049];
	char code_challenge[48];
	char dpop_jkt[48];
	char exchange_id[VCI_STORE_ID];
	char *configs;                   /* JSON text, malloc'd */
	char *state;                     /* the client's state (authorize
					    only), malloc'd, or NULL */
} vci_store_authz_t;
void vci_store_authz_clear(vci_store_authz_t *a);

/* The authorization endpoint, atomically: the pushed request with this
 * hash, not expired at `now` and not used before, is spent (never
 * accepted again, whatever follows). Its client_id must equal client_id
 * (else VCI_STORE_TX_WRONG). It must carry an issuer_state hash naming an
 * offer not expired, not redeemed and not dead (else VCI_STORE_TX_DEAD):
 * that offer is redeemed (its pre-authorized code dies with it), an
 * exchange is made from its record (out->exchange_id), and the code hash
 * is put on the request with expiry code_expires_at. out->redirect_uri,
 * out->configs and out->state are filled whenever the request was found (for the
 * error redirect too; clear out either way). VCI_STORE_NOTFOUND for an
 * unknown, spent or expired request_uri; VCI_STORE_EXISTS for a code hash
 * taken. Durable on return. */
int vci_store_authorize(vci_store_t *st, const uint8_t request_hash[VCI_STORE_HASH],
			const char *client_id, const uint8_t code_hash[VCI_STORE_HASH],
			int64_t now, int64_t code_expires_at, vci_store_authz_t *out,
			vci_err_t *err);

/* The token endpoint, atomically: the authorization code with this hash,
 * not expired at `now` and not redeemed, is spent and its request
 * returned in *out (every member; clear it). VCI_STORE_NOTFOUND for an
 * unknown, spent or expired code. Durable on return. */
int vci_store_authz_code_take(vci_store_t *st, const uint8_t code_hash[VCI_STORE_HASH],
			      int64_t now, vci_store_authz_t *out, vci_err_t *err);

/* Single-use values: c_nonces and DPoP jti ------------------------------*/
/* Spend a sealed c_nonce (crypto/nonce.h; its MAC and expiry checked by
 * the caller): its hash recorded until expires_at, the nonce's own
 * expiry. 0 the first time, VCI_STORE_EXISTS for a nonce spent before
 * (a replay). vci-serve spends a credential request's c_nonce in the
 * write of vci_store_credential_issued, and on its own (this) only before
 * a deferred request or a claims hook. Nonces handed out are not
 * stored: a nonce is sealed (crypto/nonce.h), and only a spent one is
 * recorded here. */
int vci_store_nonce_spend(vci_store_t *st, const uint8_t hash[VCI_STORE_HASH],
			  int64_t expires_at, vci_err_t *err);
/* Record a DPoP proof's jti (hash of htu and jti) until expires_at: 0 the
 * first time, VCI_STORE_EXISTS for a replay (also after expires_at, until
 * vci_store_sweep removes it). */
int vci_store_jti_use(vci_store_t *st, const uint8_t hash[VCI_STORE_HASH], int64_t expires_at,
		      vci_err_t *err);

/* Exchanges: the lifecycle of one redeemed offer ------------------------
 * States: offer_redeemed (token issued), credential_issued,
 * credential_accepted, credential_failure, credential_deleted (from the
 * notification events), and those the management API adds. */
typedef struct vci_store_exchange {
	char id[VCI_STORE_ID];
	char offer_id[VCI_STORE_ID];
	char state[32];
	char *record;                    /* JSON text, malloc'd */
	char *issued;                    /* JSON text of what was issued
					    ({"credentials": n, "status":
					    [{uri, idx}...]}), malloc'd, or NULL */
	char notification_id[VCI_STORE_ID];  /* "" before credential_issued */
	int64_t created_at, updated_at;
	char *description;               /* the last notification's
					    event_description, malloc'd, or NULL */
} vci_store_exchange_t;

/* VCI_STORE_NOTFOUND. Free with vci_store_exchange_clear (also safe on
 * the zeroed *out a failed call leaves). */
int vci_store_exchange_get(vci_store_t *st, const char *id, vci_store_exchange_t *out,
			   vci_err_t *err);
void vci_store_exchange_clear(vci_store_exchange_t *x);

/* Record what the credential endpoint issued for an exchange: state
 * credential_issued, `issued` JSON, a notification id, and each status
 * index (list uri, idx) in the status table, where a (uri, idx) pair can
 * be recorded only once (VCI_STORE_EXISTS if one was: nothing is
 * recorded). Durable before the credential response leaves. Called again
 * for the same exchange (a second credential request with the same
 * token) it replaces state, issued and notification id and adds its
 * status entries. VCI_STORE_NOTFOUND for an unknown exchange,
 * VCI_STORE_EXISTS too for a notification id already used. */
int vci_store_exchange_issued(vci_store_t *st, const char *id, const char *issued,
			      const char *notification_id, const char *const *status_uris,
			      const uint64_t *status_idx, size_t nstatus, int64_t now,
			      vci_err_t *err);

/* Move the exchange holding this notification id to `state`
 * (credential_accepted, credential_failure, credential_deleted), keeping
 * the event's description when given. VCI_STORE_NOTFOUND. */
int vci_store_exchange_notify(vci_store_t *st, const char *notification_id, const char *state,
			      const char *description, int64_t now, vci_err_t *err);

/* API keys of the management listener -----------------------------------*/
/* Store a key's hash under a name (NULL: ""); its id (16 hex digits) to
 * id. VCI_STORE_EXISTS when the hash is stored already. */
int vci_store_apikey_add(vci_store_t *st, const char *name, const uint8_t hash[VCI_STORE_HASH],
			 int64_t now, char id[VCI_STORE_ID], vci_err_t *err);
/* [{"id", "name", "created_at", "revoked_at"?}, ...] in creation order. */
int vci_store_apikey_list(vci_store_t *st, json_t **out, vci_err_t *err);
/* VCI_STORE_NOTFOUND for an unknown or already revoked id. */
int vci_store_apikey_revoke(vci_store_t *st, const char *id, int64_t now, vci_err_t *err);
/* 0 when the hash is a key not revoked, VCI_STORE_NOTFOUND otherwise. */
int vci_store_apikey_check(vci_store_t *st, const uint8_t hash[VCI_STORE_HASH], vci_err_t *err);

/* Definitions of the management API -------------------------------------
 * Credential definitions made at run time (POST /definitions, `vci-serve
 * defn add`), kept as the JSON text of a validated native definition
 * under its credential configuration id. The store does not validate
 * them: the caller does (vci_defn_new).
 * A stored text may hold one more top-level member, VCI_STORE_DEFN_GROUP:
 * {"id": group id, "order": position, "label"?: the group's label}, that
 * keeps the definitions made by one request (system A's entries of one
 * record) together and in order. The readers take it out of the
 * definition: vci_store_defn_list moves it to the row, vci_store_defn_get
 * leaves it out; a replace whose text has none keeps the stored one's. */
#define VCI_STORE_DEFN_GROUP "group"
/* Add (replace 0: VCI_STORE_EXISTS when the id is taken) or replace
 * (replace 1: VCI_STORE_NOTFOUND when there is none) a definition. */
int vci_store_defn_put(vci_store_t *st, const char *id, const char *defn, int replace,
		       int64_t now, vci_err_t *err);
/* Its JSON text (*defn malloc'd). VCI_STORE_NOTFOUND. */
int vci_store_defn_get(vci_store_t *st, const char *id, char **defn, vci_err_t *err);
/* [{"id", "definition": {...}, "created_at", "updated_at", "group"?},
 * ...] by id.
 * A stored text that is not JSON is an error (-1, VCI_EXIT_IO). */
int vci_store_defn_list(vci_store_t *st, json_t **out, vci_err_t *err);
/* VCI_STORE_NOTFOUND. */
int vci_store_defn_delete(vci_store_t *st, const char *id, vci_err_t *err);
/* Several definition writes in one transaction, all or none (a record
 * of several definitions replaced whole): each of puts[0..n) added
 * (replace 0) or replaced (replace 1) as vci_store_defn_put does, in
 * order, then each id of dels[0..ndel) deleted (one not stored is passed
 * over). 0 when all are written. The first put that cannot be made:
 * VCI_STORE_EXISTS or VCI_STORE_NOTFOUND with *failed its index; a
 * refused id or text (VCI_EXIT_INPUT, *failed its index) or a database
 * failure: -1 with err. Whatever fails, nothing of it is written. */
typedef struct vci_store_defn_write {
	const char *id, *defn;
	int replace;
} vci_store_defn_write_t;
int vci_store_defn_write(vci_store_t *st, const vci_store_defn_write_t *puts, size_t n,
			 const char *const *dels, size_t ndel, int64_t now, size_t *failed,
			 vci_err_t *err);

/* Exchanges for the management API --------------------------------------*/
#define VCI_STORE_LIST_MAX 1000  /* most exchanges one page holds */
/* One page of exchanges, oldest first: those in `state` (NULL: all)
 * after `cursor` (NULL: from the start; else a value a previous page gave
 * in *next), at most `limit` (1 to VCI_STORE_LIST_MAX) of them, into *out
 * as [{"id", "offer_id", "state", "created_at", "updated_at"}, ...];
 * *next is a malloc'd cursor for the page after, or NULL when this page
 * is the last. A cursor not made here, or a limit out of bounds, is
 * refused (-1, VCI_EXIT_INPUT, "invalid_request"). */
int vci_store_exchange_list(vci_store_t *st, const char *state, const char *cursor,
			    unsigned limit, json_t **out, char **next, vci_err_t *err);
/* The status list entries recorded for an exchange's credentials, in the
 * order issued: [{"uri", "idx", "issued_at"}, ...] (empty for an exchange
 * with none or unknown). */
int vci_store_exchange_status(vci_store_t *st, const char *id, json_t **out, vci_err_t *err);
/* Delete an exchange with its deferred requests, status entries (the list
 * files keep the entries' values: revoke first when the credentials must
 * stop) and its offer (the record held the claims). Its access tokens,
 * sealed and kept nowhere, are refused from then on by the endpoints,
 * which find no exchange for them. VCI_STORE_NOTFOUND. */
int vci_store_exchange_delete(vci_store_t *st, const char *id, vci_err_t *err);

/* Offers with their exchange (the products' shapes name an exchange by
 * its offer, which exists before a wallet redeems it). One page of offers
 * ordered by creation (offer_id given: that one only), skipping `offset`,
 * at most `limit` (1 to VCI_STORE_LIST_MAX), into *out as
 * [{"offer_id", "offer_state" (offered, redeemed, dead), "created_at",
 * "expires_at", "record": {...}, "exchange"?: {"id", "state",
 * "created_at", "updated_at", "issued", "description"?}}, ...]. Offers the
 * sweep removed (expired unredeemed) are gone from it. */
int vci_store_offer_rows(vci_store_t *st, const char *offer_id, unsigned offset,
			 unsigned limit, json_t **out, vci_err_t *err);
/* What vci_store_offer_page selects; each member NULL: not asked.
 * offer_id: that offer; config_id: offers whose record names this
 * configuration (its credential_configuration_id, or the first of its
 * credential_configuration_ids, as the offer layer writes records);
 * xstates, ostates: ",STATE,STATE," lists: with either given, a redeemed
 * offer is selected when its exchange's state is in xstates, one not
 * redeemed (no exchange) when its offer state (offered, redeemed, dead)
 * is in ostates. */
typedef struct vci_store_offer_filter {
	const char *offer_id, *config_id, *xstates, *ostates;
} vci_store_offer_filter_t;
#define VCI_STORE_OFFSET_MAX (1u << 30)  /* the largest offset a page takes */
/* One page of the offers the filter selects, in the order and shape of
 * vci_store_offer_rows, selected and paged in the query; *total (when
 * not NULL) the number selected in all. A limit out of 1 to
 * VCI_STORE_LIST_MAX or an offset over VCI_STORE_OFFSET_MAX: -1,
 * VCI_EXIT_INPUT, "invalid_request". An offset past the end: []. */
int vci_store_offer_page(vci_store_t *st, const vci_store_offer_filter_t *f, unsigned offset,
			 unsigned limit, json_t **out, unsigned *total, vci_err_t *err);
/* An event without a change of state: "credential.error" (the issuer
 * could not make a credential the wallet asked for: claims hook failure,
 * claims that do not fit, signing or store failure), data a JSON object
 * text ({"description": WHY}, never a secret), written to the outbox of
 * the webhooks subscribed to it. */
int vci_store_exchange_event(vci_store_t *st, const char *exchange_id, const char *type,
			     const char *data, int64_t now, vci_err_t *err);
/* Delete an offer: with its exchange as vci_store_exchange_delete does
 * when it was redeemed, else the offer alone (its code dies).
 * VCI_STORE_NOTFOUND. */
int vci_store_offer_delete(vci_store_t *st, const char *offer_id, vci_err_t *err);

/* Deferred issuance (OpenID4VCI 1.0 section 9) --------------------------
 * A credential request answered with a transaction_id: the id's SHA-256,
 * the exchange, the configuration asked for, the proven holder keys and
 * the status entries handed out at the request (JSON texts), kept until
 * the back office supplies the claims (or denies) and the wallet fetches
 * the credentials at the deferred credential endpoint. States: pending,
 * ready (claims supplied), issued (delivered: the id is spent), denied.
 * The exchange follows: issuance_pending, claims_supplied,
 * credential_issued, issuance_denied. */
typedef struct vci_store_deferred {
	char exchange_id[VCI_STORE_ID];
	char state[16];
	char *config_id, *keys, *status, *claims, *reason;  /* malloc'd or NULL */
	int64_t created_at, updated_at;
} vci_store_deferred_t;

/* Record a deferred request: state pending, the exchange issuance_pending.
 * keys: JSON array text; status: JSON array text or NULL.
 * VCI_STORE_EXISTS for a transaction id hash seen before,
 * VCI_STORE_NOTFOUND for an unknown exchange. */
int vci_store_deferred_put(vci_store_t *st, const uint8_t tx_hash[VCI_STORE_HASH],
			   const char *exchange_id, const char *config_id, const char *keys,
			   const char *status, int64_t now, vci_err_t *err);
/* The request of this transaction id hash (any state). VCI_STORE_NOTFOUND.
 * Free with vci_store_deferred_clear (safe on a zeroed *out). */
int vci_store_deferred_get(vci_store_t *st, const uint8_t tx_hash[VCI_STORE_HASH],
			   vci_store_deferred_t *out, vci_err_t *err);
void vci_store_deferred_clear(vci_store_deferred_t *d);
/* Supply the claims (a JSON object text) of every pending request of the
 * exchange: they become ready, the exchange claims_supplied.
 * VCI_STORE_NOTFOUND when the exchange has no pending request. */
int vci_store_deferred_claims(vci_store_t *st, const char *exchange_id, const char *claims,
			      int64_t now, vci_err_t *err);
/* Deny the pending and ready requests of the exchange (reason may be
 * NULL): the exchange issuance_denied. VCI_STORE_NOTFOUND when there is
 * none. */
int vci_store_deferred_deny(vci_store_t *st, const char *exchange_id, const char *reason,
			    int64_t now, vci_err_t *err);
/* The credentials of a pending or ready request were made: the request is
 * issued (its transaction id spent), and the exchange recorded as
 * vci_store_exchange_issued does, in the same transaction.
 * VCI_STORE_NOTFOUND when the request is not pending or ready (spent,
 * denied, unknown: one winner when two deliveries race),
 * VCI_STORE_EXISTS as vci_store_exchange_issued. */
int vci_store_deferred_issued(vci_store_t *st, const uint8_t tx_hash[VCI_STORE_HASH],
			      const char *issued, const char *notification_id,
			      const char *const *status_uris, const uint64_t *status_idx,
			      size_t nstatus, int64_t now, vci_err_t *err);

/* Webhooks and the event outbox -----------------------------------------
 * Every operation that changes an offer's or an exchange's lifecycle also
 * writes, in its own transaction (so an event exists exactly when its
 * change does), one outbox row per webhook subscribed to the event type:
 *   offer_put            offer.created
 *   code_redeem          offer.redeemed       (the access token follows)
 *   exchange_issued      credential.issued    data: the issued JSON
 *   deferred_issued      credential.issued    data: the issued JSON
 *   exchange_notify      credential.accepted, credential.failure,
 *                        credential.deleted   data: {"description"?}
 *   deferred_put         deferred.pending     data: {credential_configuration_id}
 *   deferred_claims      deferred.ready
 *   deferred_deny        deferred.denied      data: {"reason"?}
 *   sweep                offer.expired        (each unredeemed offer it
 *                                             deletes; data: {expires_at})
 *   exchange_event       credential.error     data: {"description"}
 * A row carries an event id (shared by the rows of one event), the type,
 * exchange and offer ids, data (JSON) and creation time; the server
 * delivers the rows of each webhook in order (vci_store_outbox_due). */
typedef struct vci_store_webhook {
	const char *id;       /* NULL: a new random id ("wh_..."); else put
				 or replace the webhook of this id */
	const char *url;
	const char *events;   /* JSON array text of event types, or "*" */
	const char *secret;   /* the HMAC key: kept as given (it signs) */
	const char *format;   /* "native" (NULL) or "eudi-connector" */
} vci_store_webhook_t;
/* Add or replace a webhook; its id to id. */
int vci_store_webhook_put(vci_store_t *st, const vci_store_webhook_t *w, int64_t now,
			  char id[VCI_STORE_ID], vci_err_t *err);
/* [{"id", "url", "events", "format", "created_at", "pending"}, ...] by
 * creation, never the secret; pending counts undelivered events. */
int vci_store_webhook_list(vci_store_t *st, json_t **out, vci_err_t *err);
/* Delete a webhook and its undelivered events. VCI_STORE_NOTFOUND. */
int vci_store_webhook_delete(vci_store_t *st, const char *id, vci_err_t *err);

/* One event due for delivery to one webhook. */
typedef struct vci_store_delivery {
	int64_t seq;
	char event_id[80], webhook_id[VCI_STORE_ID], type[32];
	char exchange_id[VCI_STORE_ID], offer_id[VCI_STORE_ID];   /* "" when none */
	char format[24];
	char *data, *url, *secret;   /* malloc'd */
	int64_t created_at;
	unsigned attempts;           /* made before */
} vci_store_delivery_t;
/* The oldest undelivered event of each webhook, when its next attempt is
 * due at `now`, at most `max` of them (in seq order) into a malloc'd
 * array *out of *n (free with vci_store_deliveries_free). A webhook whose
 * oldest event is not due yet gives none: its events stay in order. */
int vci_store_outbox_due(vci_store_t *st, int64_t now, size_t max, vci_store_delivery_t **out,
			 size_t *n, vci_err_t *err);
void vci_store_deliveries_free(vci_store_delivery_t *d, size_t n);
/* The outcome of an attempt: delivered (next_at ignored), or failed with
 * the next attempt at next_at (0: no more attempts, the event is given
 * up). error: a short reason kept for listing, or NULL.
 * VCI_STORE_NOTFOUND for an unknown seq. */
int vci_store_outbox_done(vci_store_t *st, int64_t seq, int delivered, int64_t next_at,
			  const char *error, int64_t now, vci_err_t *err);
/* Counts of the outbox: undelivered (due or waiting), delivered, given up. */
int vci_store_outbox_counts(vci_store_t *st, int64_t *pending, int64_t *delivered,
			    int64_t *failed, vci_err_t *err);

/* One write per request ---------------------------------------------------
 * The token and credential endpoints make all their state changes in one
 * operation each (one savepoint of a shared commit, one wait): each has a
 * synchronous form and a _start form.
 *
 * _start queues the operation and returns at once (0), for a server
 * thread that serves other connections while the write waits for its
 * commit: done(arg, ret, err) is then called exactly once, on the
 * store's writer thread, when the change is durable (or failed), with
 * the value the synchronous form returns and err (NULL unless ret is -1,
 * valid during the call only). done must be short and must not call the
 * store (it wakes the request up). The operation's struct and what it
 * points to must stay valid until done is called. -1 with err (done not
 * called) for an argument refused at once, or out of memory. */
typedef void (*vci_store_done_fn)(void *arg, int ret, const vci_err_t *err);

/* The token endpoint: in order, the DPoP proof's jti recorded as
 * vci_store_jti_use does (when jti_hash is given; a replay is
 * VCI_STORE_REPLAY and nothing changes), then the pre-authorized code
 * redeemed as vci_store_code_redeem does (when code_hash is given: its
 * returns, the jti staying recorded; else exchange_id names the
 * exchange, as the authorization code or refresh grant found it), then
 * the exchange's record read. On 0, exchange_id holds the exchange and
 * *record its issuance record (malloc'd: free it; NULL otherwise).
 * VCI_STORE_NOTFOUND also for an unknown exchange_id. The access token
 * (and a draft-13 c_nonce) is sealed by the caller, not stored
 * (crypto/atoken.h): nothing of it is written. */
typedef struct vci_store_grant {
	const uint8_t *jti_hash;         /* DPoP: SHA-256 of htu and jti, or NULL */
	int64_t jti_expires_at;
	const uint8_t *code_hash;        /* pre-authorized code, or NULL */
	const uint8_t *tx_hash;          /* its tx_code, or NULL */
	char exchange_id[VCI_STORE_ID];  /* in (no code_hash) or out */
	int64_t now;
	char *record;                    /* out: malloc'd JSON text */
} vci_store_grant_t;
int vci_store_token_grant(vci_store_t *st, vci_store_grant_t *g, vci_err_t *err);
int vci_store_token_grant_start(vci_store_t *st, vci_store_grant_t *g, vci_store_done_fn done,
				void *arg, vci_err_t *err);

/* The credential endpoint: in order, the DPoP proof's jti (when given;
 * VCI_STORE_REPLAY, nothing changed), the proofs' sealed c_nonce spent as
 * vci_store_nonce_spend does (when given; VCI_STORE_NONCE when it was
 * spent before, the jti staying recorded), then the issuance recorded as
 * vci_store_exchange_issued does (its returns; VCI_STORE_EXISTS rolls
 * back the jti and the nonce too). */
typedef struct vci_store_issue {
	const uint8_t *jti_hash;
	int64_t jti_expires_at;
	const uint8_t *nonce_hash;       /* the c_nonce of the proofs, or NULL */
	int64_t nonce_expires_at;        /* its expiry (vci_nonce_check_life) */
	const char *exchange_id, *issued, *notification_id;
	const char *const *status_uris;
	const uint64_t *status_idx;
	size_t nstatus;
	int64_t now;
} vci_store_issue_t;
int vci_store_credential_issued(vci_store_t *st, const vci_store_issue_t *a, vci_err_t *err);
int vci_store_credential_issued_start(vci_store_t *st, const vci_store_issue_t *a,
				      vci_store_done_fn done, void *arg, vci_err_t *err);

/* Housekeeping: delete spent c_nonces, jti, refresh tokens and unredeemed
 * offers (offered or dead) expired at `now`.
 * Exchanges and status entries are kept.
 * Returns the number of rows deleted, or -1. */
long vci_store_sweep(vci_store_t *st, int64_t now, vci_err_t *err);


/* The wallet-initiated authorization code flow (store/authz.c) ----------
 * The authorization endpoint sends the browser to an upstream OpenID
 * Provider; the login is kept by its state's hash until the provider's
 * callback completes it. */

/* Spend a pushed request that carries no issuer_state (the
 * wallet-initiated flow) and keep its login: atomically, the request with
 * this hash, not expired at `now`, not used before and without
 * issuer_state, is spent (no code yet: the token endpoint takes none from
 * it until vci_store_login_finish), and a login row is put by state_hash
 * holding `secret` (sealed under the store's key, bound to the state
 * hash; at most 4 KiB) until login_expires_at. Its client_id must equal
 * client_id (else VCI_STORE_TX_WRONG, the request spent all the same).
 * out->redirect_uri, ->state and ->configs are filled when found (clear
 * out either way). VCI_STORE_NOTFOUND for an unknown, spent, expired
 * request or one with an issuer_state (nothing changed: the caller tries
 * vci_store_authorize). Durable on return. */
int vci_store_login_start(vci_store_t *st, const uint8_t request_hash[VCI_STORE_HASH],
			  const char *client_id, const uint8_t state_hash[VCI_STORE_HASH],
			  const char *secret, int64_t now, int64_t login_expires_at,
			  vci_store_authz_t *out, vci_err_t *err);
/* Spend the login with this state hash, not expired at `now`: *secret
 * (malloc'd, wipe it) is what login_start was given, request_hash the
 * request it completes, and out->client_id, ->redirect_uri, ->state and
 * ->configs that request's (clear out either way). VCI_STORE_NOTFOUND
 * for an unknown, spent or expired login, or one whose request has gone;
 * -1 (server_error) for a secret that does not open. */
int vci_store_login_take(vci_store_t *st, const uint8_t state_hash[VCI_STORE_HASH],
			 int64_t now, char **secret, uint8_t request_hash[VCI_STORE_HASH],
			 vci_store_authz_t *out, vci_err_t *err);
/* Complete the login's request: atomically, an offer row (id "login-"
 * and the new exchange id, state redeemed, holding `record`) and its
 * exchange (state "offer_redeemed", `record`) are made, and the code hash
 * is put on the request (spent by login_start, without code yet) with
 * expiry code_expires_at. out as for vci_store_authorize (exchange_id,
 * redirect_uri, state, configs, client_id). VCI_STORE_NOTFOUND when the
 * request has gone (swept) or got its code already. Durable on return. */
int vci_store_login_finish(vci_store_t *st, const uint8_t request_hash[VCI_STORE_HASH],
			   const char *record, const uint8_t code_hash[VCI_STORE_HASH],
			   int64_t now, int64_t code_expires_at, vci_store_authz_t *out,
			   vci_err_t *err);

/* The issuance record of the offer whose pre-authorized code has this
 * hash, when it could still be redeemed at `now` (not redeemed, dead or
 * expired): *record malloc'd JSON text, no secret in it. A read: nothing
 * changes, the code stays as it was. VCI_STORE_NOTFOUND. The token
 * endpoint reads it to refuse a request its configurations refuse before
 * the code is spent. */
int vci_store_code_record(vci_store_t *st, const uint8_t code_hash[VCI_STORE_HASH],
			  int64_t now, char **record, vci_err_t *err);

/* Refresh tokens (store/authz.c) ----------------------------------------*/
typedef struct vci_store_refresh {
	uint8_t hash[VCI_STORE_HASH];
	char exchange_id[VCI_STORE_ID];
	char client_id[256];             /* "" when the grant named none */
	char dpop_jkt[48];               /* "" when not DPoP-bound */
	char *configs;                   /* JSON array text, malloc'd */
	int64_t expires_at;              /* the chain's end */
} vci_store_refresh_t;
/* Store a refresh token (its hash). VCI_STORE_EXISTS for a hash taken. */
int vci_store_refresh_put(vci_store_t *st, const vci_store_refresh_t *r, int64_t now,
			  vci_err_t *err);
/* Rotate: atomically, the live token with hash old_hash, not expired at
 * `now`, is spent and its successor new_hash stored with the same
 * exchange, client, DPoP key, configurations and expires_at; *out gets
 * them (out->hash = new_hash; clear with vci_store_refresh_clear). A
 * token bound to a DPoP key other than jkt ("" for none), or kept for a
 * client other than client_id (NULL: none named), is VCI_STORE_TX_WRONG
 * and stays as it was. VCI_STORE_NOTFOUND for an unknown or expired
 * token; VCI_STORE_TX_DEAD for one used before: every token of its
 * exchange is spent then (a replayed refresh token revokes its chain).
 * Durable on return. */
int vci_store_refresh_rotate(vci_store_t *st, const uint8_t old_hash[VCI_STORE_HASH],
			     const uint8_t new_hash[VCI_STORE_HASH], const char *jkt,
			     const char *client_id, int64_t now, vci_store_refresh_t *out,
			     vci_err_t *err);
void vci_store_refresh_clear(vci_store_refresh_t *r);
/* Status lists in the store (status.c) ----------------------------------
 * A list kept in the store instead of a file, so that hosts sharing the
 * store hand out each index once. The statuses are encoded and signed by
 * oid4vci/statuslist.h: vci_store_sl_load hands it the list. A list's
 * name is an id (printable ASCII, < VCI_STORE_ID). */
typedef struct vci_store_sl_def {
	const char *name;
	int method;             /* vci_sl_method_t: 0 Token Status List, 1 W3C */
	unsigned bits;          /* 1, 2, 4 or 8 (W3C: 1) */
	uint64_t size;          /* entries, <= VCI_SL_MAX_ENTRIES */
	const char *uri;        /* the token's `sub` / credential id */
	const char *purpose;    /* W3C statusPurpose, else NULL */
	int64_t ttl;            /* the token's ttl in seconds, 0: none */
} vci_store_sl_def_t;

/* Create a list, all VALID, nothing handed out; the definition is checked
 * as vci_statuslist_new checks it (VCI_EXIT_INPUT). VCI_STORE_EXISTS when
 * the name is taken, unless `replace`: then the old list and all its
 * entries are dropped in the same transaction. */
int vci_store_sl_create(vci_store_t *st, const vci_store_sl_def_t *d, int replace, int64_t now,
			vci_err_t *err);

/* Hand out n distinct random indices of list `name` (uniform over the
 * free ones, RAND_bytes) into out, in one transaction: never an index
 * handed out before or whose status is not VALID, never the same index
 * twice, also with other processes or hosts allocating at once (each
 * index is one INSERT ... ON CONFLICT DO NOTHING RETURNING on the
 * entries' primary key). VCI_STORE_NOTFOUND for no such list; -1 with
 * VCI_EXIT_INPUT code "list_exhausted" when fewer than n are free
 * (nothing is then handed out). */
int vci_store_sl_alloc(vci_store_t *st, const char *name, size_t n, uint64_t *out,
		       vci_err_t *err);

/* Set the status of index idx to value: VCI_STORE_NOTFOUND for no such
 * list; -1 with VCI_EXIT_INPUT for an index out of range or a value >=
 * 2^bits; unless `force`, -1 with VCI_EXIT_FAIL for an index never handed
 * out ("not_allocated") or a change away from INVALID ("status_final"),
 * as the list files refuse them. Bumps the list's serial. */
int vci_store_sl_set(vci_store_t *st, const char *name, uint64_t idx, unsigned value, int force,
		     int64_t now, vci_err_t *err);

/* The whole list as the library's list (statuses and allocation map;
 * *out to vci_statuslist_free), with its ttl and serial (either pointer
 * may be NULL). VCI_STORE_NOTFOUND. */
struct vci_statuslist;
int vci_store_sl_load(vci_store_t *st, const char *name, struct vci_statuslist **out,
		      int64_t *ttl, int64_t *serial, vci_err_t *err);
/* The list's serial alone (cheap: one row), VCI_STORE_NOTFOUND. */
int vci_store_sl_serial(vci_store_t *st, const char *name, int64_t *serial, vci_err_t *err);
/* All lists, by name: a JSON array of {"name", "method" ("tsl"/"w3c"),
 * "bits", "size", "uri", "purpose" (W3C), "ttl", "allocated"}; *out
 * owned by the caller. */
int vci_store_sl_list(vci_store_t *st, json_t **out, vci_err_t *err);

#endif
