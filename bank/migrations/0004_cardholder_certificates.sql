-- Migration 4 of the bank host: the cardholder CA (issue 14, docs/bank.md §13). Timestamps BIGINT microseconds since
-- 1970 UTC, as in migration 1.

-- Every certificate the cardholder CA issued, for a key pair in a PIV slot of a key this bank issued. Written by
-- issueCardholderCertificate only; read when the bank checks what the cardholder signed.
CREATE TABLE cardholder_certificates (
  serial       TEXT PRIMARY KEY CHECK (serial ~ '^[0-9A-F]{32}$'),
  asn          TEXT NOT NULL REFERENCES cards(asn),
  slot         TEXT NOT NULL CHECK (slot IN ('9A','9C','9D','9E')),
  public_key   TEXT NOT NULL CHECK (public_key ~ '^04[0-9A-F]{128}$'),
  terminal_id  TEXT NOT NULL,
  not_before   BIGINT NOT NULL,
  not_after    BIGINT NOT NULL CHECK (not_after > not_before),
  sha256       TEXT NOT NULL UNIQUE CHECK (sha256 ~ '^[0-9A-F]{64}$'),
  der          TEXT NOT NULL,
  revoked_at   BIGINT,
  created_at   BIGINT NOT NULL
);
CREATE INDEX cardholder_certificates_by_card ON cardholder_certificates (asn, slot, created_at);
