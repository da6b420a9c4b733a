-- Migration 5 of the bank host: the branch services of issue 13 that migration 3 left out (docs/branch.md,
-- docs/bank.md §9.5). Amounts BIGINT fen, timestamps BIGINT microseconds since 1970 UTC.

-- A role that signs in but services no key (back office: reads jobs and the audit trail). Issuance, maintenance,
-- hot-listing and approvals answer it 403 role-forbidden.
ALTER TABLE staff DROP CONSTRAINT staff_role_check;
ALTER TABLE staff ADD CONSTRAINT staff_role_check CHECK (role IN ('teller','supervisor','auditor'));

-- The device serials the manufacturer shipped to this bank, as lots (first..last, 16 hex digits, so text order is
-- serial order). A blank key outside every lot is refused before anything is written (422 device-unknown).
CREATE TABLE device_lots (
  id           UUID PRIMARY KEY,
  manufacturer TEXT NOT NULL,
  first_serial TEXT NOT NULL CHECK (first_serial ~ '^[0-9A-F]{16}$'),
  last_serial  TEXT NOT NULL CHECK (last_serial ~ '^[0-9A-F]{16}$'),
  imported_at  BIGINT NOT NULL,
  CHECK (first_serial <= last_serial)
);

-- Replacement and closure move what the bank vouches for off the old card's float share: `released` counts it, so
-- per card shadow = completed loads - completed purchases - released (bankctl audit ledger). A closed or replaced
-- card's shadow may go below 0 when an offline purchase it made before the hot-list settles late (docs/branch.md).
ALTER TABLE cards ADD COLUMN released BIGINT NOT NULL DEFAULT 0 CHECK (released >= 0);
ALTER TABLE cards ADD COLUMN replaced_by TEXT;
ALTER TABLE cards ADD COLUMN closed_at BIGINT;
ALTER TABLE cards DROP CONSTRAINT cards_shadow_balance_check;
ALTER TABLE cards ADD CONSTRAINT cards_shadow_balance_check CHECK (shadow_balance >= 0 OR state = 'closed');
ALTER TABLE transfers DROP CONSTRAINT transfers_kind_check;
ALTER TABLE transfers ADD CONSTRAINT transfers_kind_check CHECK (kind IN ('deposit','load','load-adjust',
  'load-reversal','purchase','settlement','refund','closure','replacement','payout'));

-- The ID check before a PIN unblock or reload at a branch: who (staff_id), what document type, when. Never the
-- document's number.
ALTER TABLE maintenance_commands ADD COLUMN id_document TEXT
  CHECK (id_document IN ('resident-id','passport','other'));
ALTER TABLE maintenance_commands ADD COLUMN id_checked_at BIGINT;
-- Account closure: the balance the key showed before CARD BLOCK (GET BALANCE at the desk), what was paid back.
ALTER TABLE maintenance_commands ADD COLUMN key_balance BIGINT CHECK (key_balance >= 0);
ALTER TABLE maintenance_commands ADD COLUMN refunded BIGINT;
-- A replacement job: what it carried from the lost key (set at completion).
ALTER TABLE issuance_jobs ADD COLUMN carried_balance BIGINT;
