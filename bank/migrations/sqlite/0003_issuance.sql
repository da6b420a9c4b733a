-- Migration 3 of the bank host, SQLite's form of ../0003_issuance.sql (docs/bank.md §7.3).

-- The card's life cycle as the bank knows it (spec §6): a permanent block and CARD BLOCK are final. SQLite cannot
-- change a CHECK in place: the table is rebuilt with the new check and the new column (Migrations::apply turns
-- foreign keys off around it and checks them before COMMIT).
CREATE TABLE cards_new (
  asn            TEXT PRIMARY KEY CHECK (length(asn) = 16 AND asn NOT GLOB '*[^0-9A-F]*'),
  account_id     TEXT NOT NULL REFERENCES accounts(id),
  algorithm      TEXT NOT NULL CHECK (algorithm IN ('3des','sm4')),
  key_version    INTEGER NOT NULL CHECK (key_version BETWEEN 0 AND 255),
  state          TEXT NOT NULL DEFAULT 'active'
                 CONSTRAINT cards_state_check
                 CHECK (state IN ('active','blocked','blocked-permanently','terminated','closed')),
  hotlisted      BOOLEAN NOT NULL DEFAULT FALSE,
  review         BOOLEAN NOT NULL DEFAULT FALSE,
  shadow_balance BIGINT NOT NULL DEFAULT 0 CHECK (shadow_balance >= 0),
  mac2_issued    BIGINT NOT NULL DEFAULT 0,
  created_at     BIGINT NOT NULL,
  device_serial  TEXT CHECK (length(device_serial) = 16 AND device_serial NOT GLOB '*[^0-9A-F]*')
);
INSERT INTO cards_new (asn, account_id, algorithm, key_version, state, hotlisted, review, shadow_balance, mac2_issued,
                       created_at)
  SELECT asn, account_id, algorithm, key_version, state, hotlisted, review, shadow_balance, mac2_issued, created_at
  FROM cards;
DROP TABLE cards;
ALTER TABLE cards_new RENAME TO cards;
CREATE UNIQUE INDEX cards_one_per_device ON cards (device_serial) WHERE device_serial IS NOT NULL;

-- ASNs this bank allocates: '8860' ‖ 12 decimal digits of this sequence (docs/bank.md §9.5);
-- SQLite has no sequences: a row per value, AUTOINCREMENT never reuses one (Issuance::allocate).
CREATE TABLE asn_sequence (value INTEGER PRIMARY KEY AUTOINCREMENT);

-- Staff (issue 13): the credential is an Argon2id hash with its own salt and parameters, never the password.
CREATE TABLE staff (
  id              TEXT PRIMARY KEY,
  username        TEXT NOT NULL UNIQUE CHECK (length(username) BETWEEN 2 AND 32 AND username GLOB '[a-z]*'
                                          AND username NOT GLOB '*[^-a-z0-9._]*'),
  display_name    TEXT NOT NULL,
  role            TEXT NOT NULL CHECK (role IN ('teller','supervisor')),
  password_hash   TEXT NOT NULL,
  failed_attempts INTEGER NOT NULL DEFAULT 0,
  lock_count      INTEGER NOT NULL DEFAULT 0,
  locked_until    BIGINT,
  active          BOOLEAN NOT NULL DEFAULT TRUE,
  created_at      BIGINT NOT NULL
);

-- A session is bound to the station (its certificate's terminal ID); only the token's SHA-256 is kept.
CREATE TABLE staff_sessions (
  id           TEXT PRIMARY KEY,
  token_sha256 TEXT NOT NULL UNIQUE,
  staff_id     TEXT NOT NULL REFERENCES staff(id),
  terminal_id  TEXT NOT NULL,
  created_at   BIGINT NOT NULL,
  last_seen_at BIGINT NOT NULL,
  expires_at   BIGINT NOT NULL,
  ended_at     BIGINT
);

-- Dual control (docs/bank.md §3): one operation on one ASN, 5 minutes, used once.
CREATE TABLE approvals (
  id           TEXT PRIMARY KEY,
  operation    TEXT NOT NULL CHECK (operation IN ('pin-reload','card-replacement','account-closure',
                                                  'application-block-permanent','hotlist-removal')),
  asn          TEXT NOT NULL CHECK (length(asn) = 16 AND asn NOT GLOB '*[^0-9A-F]*'),
  reason       TEXT NOT NULL,
  state        TEXT NOT NULL CHECK (state IN ('pending','approved','refused','used','expired')),
  requested_by TEXT NOT NULL REFERENCES staff(id),
  decided_by   TEXT REFERENCES staff(id),
  terminal_id  TEXT NOT NULL,
  created_at   BIGINT NOT NULL,
  expires_at   BIGINT NOT NULL,
  decided_at   BIGINT,
  used_at      BIGINT
);

-- §9.5: one job per device serial (a voided job frees the serial).
CREATE TABLE issuance_jobs (
  id            TEXT PRIMARY KEY,
  device_serial TEXT NOT NULL CHECK (length(device_serial) = 16 AND device_serial NOT GLOB '*[^0-9A-F]*'),
  asn           TEXT NOT NULL UNIQUE CHECK (length(asn) = 16 AND asn NOT GLOB '*[^0-9A-F]*'),
  account_id    TEXT NOT NULL REFERENCES accounts(id),
  state         TEXT NOT NULL CHECK (state IN ('prepared','personalising','completed','failed','voided')),
  next_step     INTEGER NOT NULL DEFAULT 1 CHECK (next_step BETWEEN 1 AND 20),
  failure_step  INTEGER,
  failure_sw    TEXT,
  algorithm     TEXT NOT NULL CHECK (algorithm IN ('3des','sm4')),
  key_version   INTEGER NOT NULL CHECK (key_version BETWEEN 0 AND 255),
  profile       TEXT NOT NULL,          -- the IssuanceProfile JSON (no secret in it)
  customer      TEXT NOT NULL,          -- the Customer JSON (personal data; never in the audit log)
  replaces_asn  TEXT,
  batch_id      TEXT,
  staff_id      TEXT REFERENCES staff(id),
  terminal_id   TEXT NOT NULL,
  created_at    BIGINT NOT NULL,
  updated_at    BIGINT NOT NULL
);
CREATE UNIQUE INDEX issuance_jobs_one_per_device ON issuance_jobs (device_serial) WHERE state <> 'voided';

-- Maintenance commands handed out as ready secure-messaging APDUs, and what the key answered.
CREATE TABLE maintenance_commands (
  id           TEXT PRIMARY KEY,
  asn          TEXT NOT NULL REFERENCES cards(asn),
  operation    TEXT NOT NULL CHECK (operation IN ('pin-unblock','pin-reload','application-block',
                                                  'application-block-permanent','application-unblock',
                                                  'card-block')),
  expected_sw  TEXT NOT NULL,
  outcome      TEXT,
  approval_id  TEXT REFERENCES approvals(id),
  staff_id     TEXT REFERENCES staff(id),
  terminal_id  TEXT NOT NULL,
  created_at   BIGINT NOT NULL,
  reported_at  BIGINT
);
CREATE INDEX maintenance_by_card ON maintenance_commands (asn, operation, created_at);

-- The hot-list, versioned for kiosks' deltas (GET /v1/hotlist?since=N).
CREATE TABLE hotlist (
  version    INTEGER PRIMARY KEY AUTOINCREMENT,
  asn        TEXT NOT NULL REFERENCES cards(asn),
  reason     TEXT NOT NULL CHECK (reason IN ('lost','stolen','damaged','closed','fraud-suspected')),
  since      BIGINT NOT NULL,
  removed_at BIGINT,
  removed_version BIGINT
);
CREATE UNIQUE INDEX hotlist_one_open_entry ON hotlist (asn) WHERE removed_at IS NULL;

-- Every issuance, maintenance and staff action (issue 13): append-only, each row chained to the previous one by
-- SHA-256 (hash = SHA-256(prev_hash ‖ the row's fields)), so an edited or deleted row breaks the chain.
CREATE TABLE audit_log (
  seq           INTEGER PRIMARY KEY AUTOINCREMENT,
  at            BIGINT NOT NULL,
  terminal_id   TEXT,
  staff_id      TEXT,
  supervisor_id TEXT,
  action        TEXT NOT NULL,
  asn           TEXT,
  subject       TEXT,
  outcome       TEXT NOT NULL,
  detail        TEXT,
  prev_hash     TEXT NOT NULL,
  hash          TEXT NOT NULL
);
