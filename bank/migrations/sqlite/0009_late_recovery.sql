-- Migration 9 of the bank host, SQLite's form of ../0009_late_recovery.sql (docs/bank.md §7.3): late purchases of a
-- replaced or closed key are brought back into the card's float share from the customer's funding account
-- (`recovered`) or advanced by the bank (`advanced`), transfer kind 'recovery'. SQLite cannot change a CHECK in
-- place, so transfers is rebuilt with its new kind check (Migrations::apply turns foreign keys off around it and
-- checks them before COMMIT).
ALTER TABLE cards ADD COLUMN recovered BIGINT NOT NULL DEFAULT 0 CHECK (recovered >= 0);
ALTER TABLE cards ADD COLUMN advanced BIGINT NOT NULL DEFAULT 0 CHECK (advanced >= 0);

CREATE TABLE transfers_new (
  id                TEXT PRIMARY KEY,
  kind              TEXT NOT NULL CHECK (kind IN ('deposit','load','load-adjust','load-reversal','purchase',
                                                  'settlement','refund','closure','replacement','payout','recovery')),
  debit_account_id  TEXT NOT NULL REFERENCES accounts(id),
  credit_account_id TEXT NOT NULL REFERENCES accounts(id),
  amount            BIGINT NOT NULL CHECK (amount > 0),
  natural_key       TEXT NOT NULL UNIQUE,
  request_scope     TEXT,
  request_key       TEXT,
  created_at        BIGINT NOT NULL,
  CHECK (debit_account_id <> credit_account_id)
);
INSERT INTO transfers_new SELECT id, kind, debit_account_id, credit_account_id, amount, natural_key, request_scope,
                                 request_key, created_at FROM transfers;
DROP TABLE transfers;
ALTER TABLE transfers_new RENAME TO transfers;
