-- Migration 6 of the bank host: terminal enrolment (issue 11, docs/bank.md §3 "Who may call"). Timestamps BIGINT
-- microseconds since 1970 UTC, as in migration 1. Plain SQL both engines accept (no regular expressions).

-- One row per terminal the operator created an enrolment code for. A revoked terminal stays (its ID is never
-- reused) and every certificate of it is refused.
CREATE TABLE terminals (
  terminal_id  TEXT PRIMARY KEY CHECK (length(terminal_id) = 12),
  kind         TEXT NOT NULL CHECK (kind IN ('wallet','kiosk','branch','merchant','monitor')),
  label        TEXT NOT NULL,
  enrolled_at  BIGINT,
  revoked_at   BIGINT,
  created_at   BIGINT NOT NULL
);

-- Every client certificate the bank CA issued to a terminal (enrolment, or `bankctl terminal issue` in test
-- folders). skey-bank looks the serial up on every request: unknown for an enrolled terminal, or revoked → 401.
CREATE TABLE terminal_certificates (
  serial       TEXT PRIMARY KEY,
  terminal_id  TEXT NOT NULL REFERENCES terminals(terminal_id),
  not_before   BIGINT NOT NULL,
  not_after    BIGINT NOT NULL,
  revoked_at   BIGINT,
  created_at   BIGINT NOT NULL
);
CREATE INDEX terminal_certificates_by_terminal ON terminal_certificates (terminal_id, created_at);

-- One-time enrolment codes (`bankctl terminal enrol-code`). Only the SHA-256 of the code is stored: the code is
-- 100 random bits, so a plain hash is as good as a slow one and lets the server find it by its primary key.
CREATE TABLE enrolment_codes (
  code_hash           TEXT PRIMARY KEY CHECK (length(code_hash) = 64),
  terminal_id         TEXT NOT NULL REFERENCES terminals(terminal_id),
  expires_at          BIGINT NOT NULL,
  used_at             BIGINT,
  certificate_serial  TEXT,
  created_at          BIGINT NOT NULL
);
CREATE INDEX enrolment_codes_by_terminal ON enrolment_codes (terminal_id, created_at);
