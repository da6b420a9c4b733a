-- Migration 4 of the bank host, SQLite's form of ../0004_cardholder_certificates.sql (docs/bank.md §7.3).

-- Every certificate the cardholder CA issued, for a key pair in a PIV slot of a key this bank issued. Written by
-- issueCardholderCertificate only; read when the bank checks what the cardholder signed.
CREATE TABLE cardholder_certificates (
  serial       TEXT PRIMARY KEY CHECK (length(serial) = 32 AND serial NOT GLOB '*[^0-9A-F]*'),
  asn          TEXT NOT NULL REFERENCES cards(asn),
  slot         TEXT NOT NULL CHECK (slot IN ('9A','9C','9D','9E')),
  public_key   TEXT NOT NULL CHECK (length(public_key) = 130 AND public_key GLOB '04*'
                                      AND public_key NOT GLOB '*[^0-9A-F]*'),
  terminal_id  TEXT NOT NULL,
  not_before   BIGINT NOT NULL,
  not_after    BIGINT NOT NULL CHECK (not_after > not_before),
  sha256       TEXT NOT NULL UNIQUE CHECK (length(sha256) = 64 AND sha256 NOT GLOB '*[^0-9A-F]*'),
  der          TEXT NOT NULL,
  revoked_at   BIGINT,
  created_at   BIGINT NOT NULL
);
CREATE INDEX cardholder_certificates_by_card ON cardholder_certificates (asn, slot, created_at);
