-- Migration 8 of the bank host: the registry of provisioned kiosk SAMs (issue 12, docs/bank.md §9.6, docs/psam.md).
-- Timestamps BIGINT microseconds since 1970 UTC, as in migration 1.

-- One row per SAM (a blank SmartKey whose PSAM application the bank personalises under its own KT, derived from
-- `mkt.v1` and the device serial). Written by provisionPsam only: 'provisioning' when the kiosk first asks, the
-- next command to hand out in next_step; 'provisioned' once the kiosk reported the SAM's GET STATUS (life cycle 01,
-- this terminal ID). A provisioned SAM is never provisioned again (409 psam-already-provisioned). terminal_id is the
-- kiosk's PSAM terminal ID registered by `bankctl merchants add-psam`; one provisioned SAM per terminal ID.
CREATE TABLE psam_provisionings (
  device_serial TEXT PRIMARY KEY CHECK (device_serial ~ '^[0-9A-F]{16}$'),
  terminal_id   TEXT NOT NULL REFERENCES acquirer_terminals(terminal_id),
  kiosk         TEXT NOT NULL CHECK (kiosk ~ '^[0-9]{12}$'),
  key_version   INTEGER NOT NULL CHECK (key_version BETWEEN 1 AND 255),
  first_tsn     BIGINT NOT NULL CHECK (first_tsn BETWEEN 1 AND 4294967294),
  state         TEXT NOT NULL CHECK (state IN ('provisioning','provisioned')),
  next_step     INTEGER NOT NULL CHECK (next_step BETWEEN 1 AND 5),
  created_at    BIGINT NOT NULL,
  provisioned_at BIGINT,
  CHECK ((state = 'provisioned') = (provisioned_at IS NOT NULL))
);
CREATE UNIQUE INDEX psam_provisionings_terminal ON psam_provisionings (terminal_id) WHERE state = 'provisioned';
