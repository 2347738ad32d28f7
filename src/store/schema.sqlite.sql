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
