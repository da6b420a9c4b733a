-- Migration 2 of the bank host, SQLite's form of ../0002_acquirer.sql (docs/bank.md §7.3).

-- A merchant: its payable account, its display name and the CN of the client certificate it calls with (kind
-- `merchant`, docs/bank.md §3). Written by `bankctl merchants add` only.
CREATE TABLE merchants (
  id          TEXT PRIMARY KEY,
  name        TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 64),
  credential  TEXT NOT NULL UNIQUE CHECK (length(credential) = 12 AND credential NOT GLOB '*[^0-9]*'),
  account_id  TEXT NOT NULL UNIQUE REFERENCES accounts(id),
  created_at  BIGINT NOT NULL
);

-- The terminal IDs the acquirer answers for: a merchant's online terminal ID (orders and online purchases; the bank
-- is its PSAM and keeps its TSN sequence) or a kiosk PSAM's terminal ID (settlement batches from that kiosk only).
CREATE TABLE acquirer_terminals (
  terminal_id TEXT PRIMARY KEY CHECK (length(terminal_id) = 12 AND terminal_id NOT GLOB '*[^0-9]*'),
  kind        TEXT NOT NULL CHECK (kind IN ('online','psam')),
  merchant_id TEXT NOT NULL REFERENCES merchants(id),
  kiosk       TEXT CHECK (kiosk IS NULL OR length(kiosk) = 12 AND kiosk NOT GLOB '*[^0-9]*'),
  next_tsn    BIGINT NOT NULL DEFAULT 1 CHECK (next_tsn BETWEEN 0 AND 4294967296),
  created_at  BIGINT NOT NULL,
  CHECK ((kind = 'psam') = (kiosk IS NOT NULL))
);

-- Payment orders (issue 12). `expired` is not stored: an open order past expires_at is expired when read.
CREATE TABLE orders (
  id           TEXT PRIMARY KEY,
  merchant_id  TEXT NOT NULL REFERENCES merchants(id),
  terminal_id  TEXT NOT NULL REFERENCES acquirer_terminals(terminal_id),
  reference    TEXT NOT NULL,
  amount       BIGINT NOT NULL CHECK (amount BETWEEN 1 AND 4294967295),
  description  TEXT,
  return_url   TEXT,
  short_code   TEXT NOT NULL UNIQUE CHECK (length(short_code) = 8 AND short_code NOT GLOB '*[^0-9A-HJKMNP-TV-Z]*'),
  state        TEXT NOT NULL CHECK (state IN ('open','checking','paid','cancelled')),
  purchase_id  TEXT,
  created_at   BIGINT NOT NULL,
  expires_at   BIGINT NOT NULL,
  paid_at      BIGINT,
  updated_at   BIGINT NOT NULL,
  UNIQUE (merchant_id, reference),
  CHECK ((state IN ('checking','paid')) = (purchase_id IS NOT NULL))
);

-- Purchases, online and settled, one row per (terminal ID, TSN): the natural key of §6.1.
CREATE TABLE purchases (
  id                 TEXT PRIMARY KEY,
  source             TEXT NOT NULL CHECK (source IN ('online','settlement')),
  state              TEXT NOT NULL CHECK (state IN ('authorised','completed','abandoned')),
  terminal_id        TEXT NOT NULL,
  tsn                BIGINT NOT NULL CHECK (tsn BETWEEN 0 AND 4294967295),
  asn                TEXT NOT NULL REFERENCES cards(asn),
  key_version        INTEGER NOT NULL,
  offline_atc        INTEGER NOT NULL CHECK (offline_atc BETWEEN 0 AND 65535),
  random             TEXT,
  amount             BIGINT NOT NULL CHECK (amount BETWEEN 1 AND 4294967295),
  balance_before     BIGINT,
  card_date          TEXT NOT NULL,
  card_time          TEXT NOT NULL,
  merchant_id        TEXT NOT NULL REFERENCES merchants(id),
  order_id           TEXT REFERENCES orders(id),
  mac2               TEXT,
  tac                TEXT,
  late_after_abandon BOOLEAN NOT NULL DEFAULT FALSE,
  transfer_id        TEXT REFERENCES transfers(id),
  refund_transfer_id TEXT REFERENCES transfers(id),
  batch_id           TEXT,
  request_scope      TEXT NOT NULL,
  created_at         BIGINT NOT NULL,
  updated_at         BIGINT NOT NULL,
  UNIQUE (terminal_id, tsn),
  CHECK ((state = 'completed') = (transfer_id IS NOT NULL)),
  CHECK (state <> 'completed' OR tac IS NOT NULL)
);
CREATE INDEX purchases_by_order ON purchases (order_id) WHERE order_id IS NOT NULL;
CREATE INDEX purchases_by_asn ON purchases (asn);

-- Settlement batches (§9.4): the batch ID makes a re-upload harmless; the stored result is the answer.
CREATE TABLE settlement_batches (
  id              TEXT PRIMARY KEY,
  kiosk           TEXT NOT NULL,
  terminal_id     TEXT NOT NULL REFERENCES acquirer_terminals(terminal_id),
  content_hash    TEXT NOT NULL,
  record_count    INTEGER NOT NULL,
  accepted        INTEGER NOT NULL,
  duplicates      INTEGER NOT NULL,
  rejected        INTEGER NOT NULL,
  accepted_amount BIGINT NOT NULL,
  result          TEXT NOT NULL,
  received_at     BIGINT NOT NULL
);

-- Records that never reach the ledger: a TAC that does not verify, an unknown key, another terminal's record, or
-- the same (terminal, TSN) with other content. For the operator (`bankctl reports settlement`).
CREATE TABLE settlement_exceptions (
  batch_id   TEXT NOT NULL REFERENCES settlement_batches(id),
  tsn        BIGINT NOT NULL,
  code       TEXT NOT NULL,
  detail     TEXT NOT NULL,
  record     TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  PRIMARY KEY (batch_id, tsn)
);
