-- Migration 5 of the bank host, SQLite's form of ../0005_branch_services.sql (docs/bank.md §7.3): the branch services
-- of issue 13. SQLite cannot change a CHECK in place, so staff, cards and transfers are rebuilt with their new checks
-- (Migrations::apply turns foreign keys off around it and checks them before COMMIT).

-- A role that signs in but services no key (back office); issuance, maintenance, hot-listing and approvals answer it
-- 403 role-forbidden.
CREATE TABLE staff_new (
  id              TEXT PRIMARY KEY,
  username        TEXT NOT NULL UNIQUE CHECK (length(username) BETWEEN 2 AND 32 AND username GLOB '[a-z]*'
                                          AND username NOT GLOB '*[^-a-z0-9._]*'),
  display_name    TEXT NOT NULL,
  role            TEXT NOT NULL CHECK (role IN ('teller','supervisor','auditor')),
  password_hash   TEXT NOT NULL,
  failed_attempts INTEGER NOT NULL DEFAULT 0,
  lock_count      INTEGER NOT NULL DEFAULT 0,
  locked_until    BIGINT,
  active          BOOLEAN NOT NULL DEFAULT TRUE,
  created_at      BIGINT NOT NULL
);
INSERT INTO staff_new SELECT id, username, display_name, role, password_hash, failed_attempts, lock_count,
                             locked_until, active, created_at FROM staff;
DROP TABLE staff;
ALTER TABLE staff_new RENAME TO staff;

-- The device serials the manufacturer shipped to this bank, as lots (first..last, 16 hex digits, so text order is
-- serial order). A blank key outside every lot is refused before anything is written (422 device-unknown).
CREATE TABLE device_lots (
  id           TEXT PRIMARY KEY,
  manufacturer TEXT NOT NULL,
  first_serial TEXT NOT NULL CHECK (length(first_serial) = 16 AND first_serial NOT GLOB '*[^0-9A-F]*'),
  last_serial  TEXT NOT NULL CHECK (length(last_serial) = 16 AND last_serial NOT GLOB '*[^0-9A-F]*'),
  imported_at  BIGINT NOT NULL,
  CHECK (first_serial <= last_serial)
);

-- Replacement and closure move what the bank vouches for off the old card's float share (`released`); a closed
-- card's shadow may go below 0 when an offline purchase made before the hot-list settles late (docs/branch.md).
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
  shadow_balance BIGINT NOT NULL DEFAULT 0,
  mac2_issued    BIGINT NOT NULL DEFAULT 0,
  created_at     BIGINT NOT NULL,
  device_serial  TEXT CHECK (length(device_serial) = 16 AND device_serial NOT GLOB '*[^0-9A-F]*'),
  released       BIGINT NOT NULL DEFAULT 0 CHECK (released >= 0),
  replaced_by    TEXT,
  closed_at      BIGINT,
  CONSTRAINT cards_shadow_balance_check CHECK (shadow_balance >= 0 OR state = 'closed')
);
INSERT INTO cards_new (asn, account_id, algorithm, key_version, state, hotlisted, review, shadow_balance, mac2_issued,
                       created_at, device_serial)
  SELECT asn, account_id, algorithm, key_version, state, hotlisted, review, shadow_balance, mac2_issued, created_at,
         device_serial
  FROM cards;
DROP TABLE cards;
ALTER TABLE cards_new RENAME TO cards;
CREATE UNIQUE INDEX cards_one_per_device ON cards (device_serial) WHERE device_serial IS NOT NULL;

CREATE TABLE transfers_new (
  id                TEXT PRIMARY KEY,
  kind              TEXT NOT NULL CHECK (kind IN ('deposit','load','load-adjust','load-reversal','purchase',
                                                  'settlement','refund','closure','replacement','payout')),
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

-- The ID check before a PIN unblock or reload at a branch: who (staff_id), what document type, when. Never the
-- document's number. Account closure: the balance the key showed before CARD BLOCK, what was paid back.
ALTER TABLE maintenance_commands ADD COLUMN id_document TEXT
  CHECK (id_document IN ('resident-id','passport','other'));
ALTER TABLE maintenance_commands ADD COLUMN id_checked_at BIGINT;
ALTER TABLE maintenance_commands ADD COLUMN key_balance BIGINT CHECK (key_balance >= 0);
ALTER TABLE maintenance_commands ADD COLUMN refunded BIGINT;
-- A replacement job: what it carried from the lost key (set at completion).
ALTER TABLE issuance_jobs ADD COLUMN carried_balance BIGINT;
