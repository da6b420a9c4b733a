-- Migration 8 of the bank host, SQLite's form of ../0008_psam_provisioning.sql: the registry of provisioned kiosk
-- SAMs (issue 12, docs/bank.md §9.6, docs/psam.md). Written by provisionPsam only.
CREATE TABLE psam_provisionings (
  device_serial TEXT PRIMARY KEY CHECK (length(device_serial) = 16 AND device_serial NOT GLOB '*[^0-9A-F]*'),
  terminal_id   TEXT NOT NULL REFERENCES acquirer_terminals(terminal_id),
  kiosk         TEXT NOT NULL CHECK (length(kiosk) = 12 AND kiosk NOT GLOB '*[^0-9]*'),
  key_version   INTEGER NOT NULL CHECK (key_version BETWEEN 1 AND 255),
  first_tsn     BIGINT NOT NULL CHECK (first_tsn BETWEEN 1 AND 4294967294),
  state         TEXT NOT NULL CHECK (state IN ('provisioning','provisioned')),
  next_step     INTEGER NOT NULL CHECK (next_step BETWEEN 1 AND 5),
  created_at    BIGINT NOT NULL,
  provisioned_at BIGINT,
  CHECK ((state = 'provisioned') = (provisioned_at IS NOT NULL))
);
CREATE UNIQUE INDEX psam_provisionings_terminal ON psam_provisionings (terminal_id) WHERE state = 'provisioned';
