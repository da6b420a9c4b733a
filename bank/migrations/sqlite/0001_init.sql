-- Migration 1 of the bank host, SQLite's form of ../0001_init.sql (docs/bank.md §7.3): the same tables, columns,
-- keys and checks. UUIDs and fingerprints are TEXT, a regular expression check is length + GLOB, booleans are 0/1.
CREATE TABLE schema_migrations (
  version    INTEGER PRIMARY KEY,
  checksum   TEXT NOT NULL,
  applied_at BIGINT NOT NULL
);

-- §7.1: double entry. Balances are credit-positive: what the bank owes the holder.
CREATE TABLE accounts (
  id          TEXT PRIMARY KEY,
  kind        TEXT NOT NULL CHECK (kind IN ('customer-funding','purse-float','merchant-payable',
                                            'fees','refunds','clearing')),
  bucket      SMALLINT NOT NULL DEFAULT 0 CHECK (bucket BETWEEN 0 AND 63),
  name        TEXT NOT NULL,
  balance     BIGINT NOT NULL DEFAULT 0,
  min_balance BIGINT,
  version     BIGINT NOT NULL DEFAULT 0,
  created_at  BIGINT NOT NULL,
  CHECK (min_balance IS NULL OR balance >= min_balance),
  CHECK (balance BETWEEN -9007199254740991 AND 9007199254740991)
);
CREATE UNIQUE INDEX accounts_one_float_per_bucket ON accounts (bucket) WHERE kind = 'purse-float';
CREATE UNIQUE INDEX accounts_one_clearing ON accounts (kind) WHERE kind = 'clearing';

CREATE TABLE transfers (
  id                TEXT PRIMARY KEY,
  kind              TEXT NOT NULL CHECK (kind IN ('deposit','load','load-adjust','load-reversal','purchase',
                                                  'settlement','refund','closure')),
  debit_account_id  TEXT NOT NULL REFERENCES accounts(id),
  credit_account_id TEXT NOT NULL REFERENCES accounts(id),
  amount            BIGINT NOT NULL CHECK (amount > 0),
  natural_key       TEXT NOT NULL UNIQUE,
  request_scope     TEXT,
  request_key       TEXT,
  created_at        BIGINT NOT NULL,
  CHECK (debit_account_id <> credit_account_id)
);

CREATE TABLE postings (
  transfer_id   TEXT NOT NULL REFERENCES transfers(id),
  account_id    TEXT NOT NULL REFERENCES accounts(id),
  amount        BIGINT NOT NULL CHECK (amount <> 0),
  balance_after BIGINT NOT NULL,
  seq           BIGINT NOT NULL,
  PRIMARY KEY (account_id, seq)
);
CREATE INDEX postings_by_transfer ON postings (transfer_id);

-- Cards are written by issuance (not built yet: `bankctl cards register` in test folders) and by nothing else.
CREATE TABLE cards (
  asn            TEXT PRIMARY KEY CHECK (length(asn) = 16 AND asn NOT GLOB '*[^0-9A-F]*'),
  account_id     TEXT NOT NULL REFERENCES accounts(id),
  algorithm      TEXT NOT NULL CHECK (algorithm IN ('3des','sm4')),
  key_version    INTEGER NOT NULL CHECK (key_version BETWEEN 0 AND 255),
  state          TEXT NOT NULL DEFAULT 'active' CHECK (state IN ('active','blocked','closed')),
  hotlisted      BOOLEAN NOT NULL DEFAULT FALSE,
  review         BOOLEAN NOT NULL DEFAULT FALSE,
  shadow_balance BIGINT NOT NULL DEFAULT 0 CHECK (shadow_balance >= 0),
  mac2_issued    BIGINT NOT NULL DEFAULT 0,
  created_at     BIGINT NOT NULL
);

-- §9.1: one row per (ASN, online ATC). `attempt` counts authorisations after a cancellation at the same ATC.
CREATE TABLE loads (
  id                   TEXT PRIMARY KEY,
  asn                  TEXT NOT NULL REFERENCES cards(asn),
  online_atc           INTEGER NOT NULL CHECK (online_atc BETWEEN 0 AND 65535),
  attempt              INTEGER NOT NULL DEFAULT 1,
  adjustments          INTEGER NOT NULL DEFAULT 0,
  state                TEXT NOT NULL CHECK (state IN ('authorised','completed','cancelled')),
  proven_by            TEXT CHECK (proven_by IN ('tac','probe','later-atc')),
  amount               BIGINT NOT NULL CHECK (amount BETWEEN 1 AND 4294967295),
  balance_before       BIGINT NOT NULL CHECK (balance_before BETWEEN 0 AND 4294967295),
  terminal_id          TEXT NOT NULL,
  card_date            TEXT NOT NULL,
  card_time            TEXT NOT NULL,
  tac                  TEXT,
  transfer_id          TEXT NOT NULL REFERENCES transfers(id),
  reversal_transfer_id TEXT REFERENCES transfers(id),
  request_scope        TEXT NOT NULL,
  created_at           BIGINT NOT NULL,
  updated_at           BIGINT NOT NULL,
  UNIQUE (asn, online_atc)
);

-- §9.1 probes: the bank-chosen terminal ID; evidence only if no MAC2 was issued for the key after it.
CREATE TABLE probes (
  id               TEXT PRIMARY KEY,
  asn              TEXT NOT NULL REFERENCES cards(asn),
  terminal_id      TEXT NOT NULL,
  key_index        INTEGER NOT NULL,
  amount           BIGINT NOT NULL,
  mac2_issued      BIGINT NOT NULL,
  request_scope    TEXT NOT NULL,
  created_at       BIGINT NOT NULL,
  expires_at       BIGINT NOT NULL,
  used_at          BIGINT
);

-- §6.1: request ids, stored in the same transaction as the effects.
CREATE TABLE idempotency (
  scope       TEXT NOT NULL,
  key         TEXT NOT NULL,
  fingerprint TEXT NOT NULL,
  state       TEXT NOT NULL CHECK (state IN ('running','done')),
  status      INTEGER,
  response    TEXT,
  location    TEXT,
  created_at  BIGINT NOT NULL,
  PRIMARY KEY (scope, key)
);
