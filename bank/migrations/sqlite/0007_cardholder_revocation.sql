-- Migration 7 of the bank host, SQLite's form of ../0007_cardholder_revocation.sql: cardholder signatures on payment
-- orders and revocation of cardholder certificates (issue 14, docs/bank.md §15). SQLite adds no table constraint
-- to an existing table, so the pairings are CHECKs on the added columns (SQLite lets a column's CHECK name others).

-- The bank's policy per merchant (`bankctl merchants policy`).
ALTER TABLE merchants ADD COLUMN cardholder_signature BOOLEAN NOT NULL DEFAULT FALSE;

-- Revocation: the RFC 5280 §5.3.1 reason, written with revoked_at by `bankctl certificates revoke` only.
ALTER TABLE cardholder_certificates ADD COLUMN revocation_reason TEXT
  CONSTRAINT cardholder_certificates_revocation
  CHECK ((revocation_reason IS NULL OR revocation_reason IN
    ('unspecified','keyCompromise','affiliationChanged','superseded','cessationOfOperation'))
    AND ((revoked_at IS NULL) = (revocation_reason IS NULL)));
CREATE INDEX cardholder_certificates_revoked ON cardholder_certificates (revoked_at) WHERE revoked_at IS NOT NULL;

-- What the cardholder signed for an online purchase (kept as evidence), both NULL for an unsigned purchase.
ALTER TABLE purchases ADD COLUMN cardholder_certificate TEXT
  CHECK (length(cardholder_certificate) = 32 AND cardholder_certificate NOT GLOB '*[^0-9A-F]*');
ALTER TABLE purchases ADD COLUMN cardholder_signature TEXT
  CONSTRAINT purchases_cardholder_signature
  CHECK (length(cardholder_signature) BETWEEN 16 AND 144 AND length(cardholder_signature) % 2 = 0
         AND cardholder_signature NOT GLOB '*[^0-9A-F]*'
         AND ((cardholder_certificate IS NULL) = (cardholder_signature IS NULL)));
