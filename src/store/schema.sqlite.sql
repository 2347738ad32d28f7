-- schema.sqlite.sql - the store's SQLite schema as numbered migrations.
-- Each block starts with a line "-- version N" and is applied once, in
-- order, inside one transaction by vci_store_migrate (schema_version
-- records what was applied). Never edit a released block: append a new
-- one. Secrets (codes, tx_codes, tokens, nonces, jti, API keys) are only
-- ever stored as their SHA-256.

-- version 1
-- offers: state is 'offered' (the code may be redeemed), 'redeemed' (spent)
-- or 'dead' (tx_code attempts reached tx_attempts_max).
CREATE TABLE offers (
	offer_id TEXT PRIMARY KEY NOT NULL,
	code_hash BLOB UNIQUE,
	tx_code_hash BLOB,
	tx_attempts INTEGER NOT NULL DEFAULT 0,
	tx_attempts_max INTEGER NOT NULL,
	state TEXT NOT NULL DEFAULT 'offered'
		CHECK (state IN ('offered', 'redeemed', 'dead')),
	created_at INTEGER NOT NULL,
	expires_at INTEGER NOT NULL,          -- 0: never
	redeemed_at INTEGER,
	issuer_state TEXT,
	offer TEXT NOT NULL,
	record TEXT NOT NULL
);
CREATE INDEX offers_expiry ON offers (expires_at) WHERE state <> 'redeemed';

CREATE TABLE exchanges (
	id TEXT PRIMARY KEY NOT NULL,
	offer_id TEXT NOT NULL REFERENCES offers (offer_id),
	state TEXT NOT NULL,
	record TEXT NOT NULL,
	issued TEXT,
	notification_id TEXT UNIQUE,
	description TEXT,
	created_at INTEGER NOT NULL,
	updated_at INTEGER NOT NULL
);
CREATE INDEX exchanges_offer ON exchanges (offer_id);

CREATE TABLE tokens (
	hash BLOB PRIMARY KEY NOT NULL,
	exchange_id TEXT NOT NULL REFERENCES exchanges (id),
	dpop_jkt TEXT NOT NULL,
	expires_at INTEGER NOT NULL
);
CREATE INDEX tokens_expiry ON tokens (expires_at);
CREATE INDEX tokens_exchange ON tokens (exchange_id);

CREATE TABLE nonces (
	hash BLOB PRIMARY KEY NOT NULL,
	expires_at INTEGER NOT NULL
);
CREATE INDEX nonces_expiry ON nonces (expires_at);

CREATE TABLE jtis (
	hash BLOB PRIMARY KEY NOT NULL,
	expires_at INTEGER NOT NULL
);
CREATE INDEX jtis_expiry ON jtis (expires_at);

-- Every status list entry handed out, with the exchange it went to: a
-- (uri, idx) pair is recorded once only.
CREATE TABLE status (
	uri TEXT NOT NULL,
	idx INTEGER NOT NULL,
	exchange_id TEXT NOT NULL REFERENCES exchanges (id),
	issued_at INTEGER NOT NULL,
	UNIQUE (uri, idx)
);
CREATE INDEX status_exchange ON status (exchange_id);

CREATE TABLE apikeys (
	seq INTEGER PRIMARY KEY,              -- creation order
	id TEXT UNIQUE NOT NULL,
	name TEXT NOT NULL,
	hash BLOB UNIQUE NOT NULL,
	created_at INTEGER NOT NULL,
	revoked_at INTEGER
);

-- version 2
-- definitions: credential definitions made by the management API (or
-- `vci-serve defn add`), in the native shape of vci-defn, one per
-- credential configuration id; served beside those of --defn.
CREATE TABLE definitions (
	id TEXT PRIMARY KEY NOT NULL,         -- credential configuration id
	defn TEXT NOT NULL,                   -- the definition, JSON text
	created_at INTEGER NOT NULL,
	updated_at INTEGER NOT NULL
);
-- exchanges listed by state, oldest first, for paging
CREATE INDEX exchanges_state ON exchanges (state, created_at, id);
CREATE INDEX exchanges_created ON exchanges (created_at, id);

-- version 3
-- deferred: credential requests answered with a transaction_id (OpenID4VCI
-- 1.0 section 9), kept by the id's SHA-256 with what issuing needs later:
-- the configuration, the proven holder keys and the status entries handed
-- out at the request. state: 'pending' (waiting for claims), 'ready'
-- (claims supplied), 'issued' (delivered: the id is spent) or 'denied'.
CREATE TABLE deferred (
	tx_hash BLOB PRIMARY KEY NOT NULL,
	exchange_id TEXT NOT NULL REFERENCES exchanges (id),
	config_id TEXT NOT NULL,
	keys TEXT NOT NULL,                   -- JSON array of public JWKs
	status TEXT,                          -- JSON array of status entries, or NULL
	state TEXT NOT NULL DEFAULT 'pending'
		CHECK (state IN ('pending', 'ready', 'issued', 'denied')),
	claims TEXT,                          -- the claims supplied, JSON
	reason TEXT,                          -- why it was denied
	created_at INTEGER NOT NULL,
	updated_at INTEGER NOT NULL
);
CREATE INDEX deferred_exchange ON deferred (exchange_id, state);

-- webhooks: subscriptions to lifecycle events. events is a JSON array of
-- event types, or '*' for all; format 'native' or 'eudi-connector'. The
-- secret signs each delivery (HMAC-SHA256), so it is kept as given.
CREATE TABLE webhooks (
	id TEXT PRIMARY KEY NOT NULL,
	url TEXT NOT NULL,
	events TEXT NOT NULL,
	secret TEXT NOT NULL,
	format TEXT NOT NULL DEFAULT 'native',
	created_at INTEGER NOT NULL
);

-- outbox: one row per event and subscription, written in the transaction
-- of the change it reports, delivered in seq order per webhook.
CREATE TABLE outbox (
	seq INTEGER PRIMARY KEY,
	event_id TEXT NOT NULL,
	webhook_id TEXT NOT NULL,
	type TEXT NOT NULL,
	exchange_id TEXT,
	offer_id TEXT,
	data TEXT NOT NULL,                   -- JSON object
	created_at INTEGER NOT NULL,
	attempts INTEGER NOT NULL DEFAULT 0,
	next_at INTEGER NOT NULL,             -- next delivery attempt
	delivered_at INTEGER,
	failed_at INTEGER,                    -- retries exhausted
	last_error TEXT,
	UNIQUE (event_id, webhook_id)
);
CREATE INDEX outbox_due ON outbox (webhook_id, seq) WHERE delivered_at IS NULL AND failed_at IS NULL;

-- version 4
-- authz: the authorization code flow. A pushed authorization request
-- (RFC 9126) is kept by its request_uri's SHA-256 with what the client
-- bound to it (client_id, redirect_uri, PKCE challenge, DPoP key, the
-- configurations asked, the issuer_state's hash); the authorization
-- endpoint spends it once (state 'pushed' -> 'authorized') and puts the
-- code's hash and its exchange on the row; the token endpoint spends the
-- code once ('authorized' -> 'redeemed').
CREATE TABLE authz (
	request_hash BLOB PRIMARY KEY NOT NULL,
	code_hash BLOB UNIQUE,
	state TEXT NOT NULL DEFAULT 'pushed'
		CHECK (state IN ('pushed', 'authorized', 'redeemed')),
	client_id TEXT NOT NULL,
	redirect_uri TEXT NOT NULL,
	code_challenge TEXT NOT NULL,
	dpop_jkt TEXT NOT NULL,               -- '' when not bound
	issuer_state_hash BLOB,
	client_state TEXT,                    -- the client's state, echoed back
	configs TEXT NOT NULL,                -- JSON array of configuration ids
	exchange_id TEXT,                     -- no reference: an exchange deleted
	                                      -- leaves a dead code behind
	created_at INTEGER NOT NULL,
	expires_at INTEGER NOT NULL           -- of the request_uri, then of the code
);
CREATE INDEX authz_expiry ON authz (expires_at);
-- offers of the authorization code grant, found by their issuer_state's
-- SHA-256 (from version 4 the issuer_state column is left NULL: the
-- issuer_state is a secret of the offer, kept as its hash only)
ALTER TABLE offers ADD COLUMN issuer_state_hash BLOB;
CREATE UNIQUE INDEX offers_issuer_state ON offers (issuer_state_hash)
	WHERE issuer_state_hash IS NOT NULL;

-- version 5
-- logins: the wallet-initiated authorization code flow. The authorization
-- endpoint spends a pushed request without issuer_state (authz state
-- 'authorized', no code yet) and sends the browser to the upstream OpenID
-- Provider; the login is kept by the SHA-256 of the state sent there, with
-- the PKCE verifier and nonce of that request sealed under the offer key
-- (bound to the state hash), until the provider's callback spends it.
CREATE TABLE logins (
	state_hash BLOB PRIMARY KEY NOT NULL,
	request_hash BLOB NOT NULL,           -- the authz row it completes
	secret TEXT NOT NULL,                 -- sealed "verifier nonce"
	expires_at INTEGER NOT NULL
);
CREATE INDEX logins_expiry ON logins (expires_at);
-- refresh_tokens: by their SHA-256, single use: a refresh spends the token
-- ('live' -> 'used') and stores its successor with the same expires_at,
-- so a chain never outlives the lifetime its first token was given. A
-- used token presented again revokes every token of its exchange.
CREATE TABLE refresh_tokens (
	hash BLOB PRIMARY KEY NOT NULL,
	exchange_id TEXT NOT NULL,
	client_id TEXT NOT NULL,              -- '' for the pre-authorized code
	dpop_jkt TEXT NOT NULL,               -- '' when not bound
	configs TEXT NOT NULL,                -- JSON array of configuration ids
	state TEXT NOT NULL DEFAULT 'live' CHECK (state IN ('live', 'used')),
	created_at INTEGER NOT NULL,
	expires_at INTEGER NOT NULL
);
CREATE INDEX refresh_tokens_exchange ON refresh_tokens (exchange_id);
CREATE INDEX refresh_tokens_expiry ON refresh_tokens (expires_at);

-- version 6
-- status lists kept in the store, so that every host sharing it hands out
-- each index once: status_lists holds a list's definition and the
-- settings its token is signed with (method 0 Token Status List, 1 W3C
-- Bitstring Status List; ttl in seconds, 0 none); serial grows at every
-- status change (a server re-signs when it moved). status_entries holds
-- every index handed out (allocated 1) or set before it was handed out
-- (allocated 0: never handed out then); an index without a row is VALID
-- and free. Allocation inserts a random index with ON CONFLICT DO
-- NOTHING, so the primary key keeps it unique across hosts.
CREATE TABLE status_lists (
	name TEXT PRIMARY KEY NOT NULL,
	method INTEGER NOT NULL CHECK (method IN (0, 1)),
	bits INTEGER NOT NULL,
	size INTEGER NOT NULL,
	uri TEXT NOT NULL,
	purpose TEXT,
	ttl INTEGER NOT NULL DEFAULT 0,
	serial INTEGER NOT NULL DEFAULT 0,
	created_at INTEGER NOT NULL,
	updated_at INTEGER NOT NULL
);
CREATE TABLE status_entries (
	list TEXT NOT NULL REFERENCES status_lists (name),
	idx INTEGER NOT NULL,
	status INTEGER NOT NULL DEFAULT 0,
	allocated INTEGER NOT NULL,
	PRIMARY KEY (list, idx)
);

-- version 7
-- spent_nonces: the SHA-256 of every c_nonce a credential request spent,
-- kept until the nonce's own expiry. c_nonces are sealed by the server
-- (HMAC under STATE/c-nonce.key, with their expiry inside), so a nonce
-- handed out is no longer written; only its one use is, in the write that
-- records the issuance: a second insert of the same hash is a replay. The
-- nonces table of version 1 (nonces handed out, not yet spent) is left to
-- the sweep.
CREATE TABLE spent_nonces (
	hash BLOB PRIMARY KEY NOT NULL,
	expires_at INTEGER NOT NULL
);
CREATE INDEX spent_nonces_expiry ON spent_nonces (expires_at);

-- version 8
-- Access tokens are sealed by the server (HMAC under
-- STATE/access-token.key, with their exchange, key binding and expiry
-- inside) and so are c_nonces (version 7): neither is written any more,
-- so the tables that held them go. Tokens made before the upgrade are
-- not accepted after it (vci-serve(8)).
DROP TABLE tokens;
DROP TABLE nonces;

-- version 9
-- config_id: the credential configuration an offer's record names (its
-- credential_configuration_id, or else the first of its
-- credential_configuration_ids), written with the offer, so that lists
-- select offers by it in the query; before, they matched the record's
-- text, where a claim could hold the same words. Offers of earlier
-- versions take it from their record here.
ALTER TABLE offers ADD COLUMN config_id TEXT;
UPDATE offers SET config_id = CASE WHEN json_valid(record) THEN CASE
	WHEN json_type(record, '$.credential_configuration_id') = 'text'
	THEN json_extract(record, '$.credential_configuration_id')
	WHEN json_type(record, '$.credential_configuration_ids[0]') = 'text'
	THEN json_extract(record, '$.credential_configuration_ids[0]') END END;
CREATE INDEX offers_config ON offers (config_id, created_at, offer_id)
	WHERE config_id IS NOT NULL;
