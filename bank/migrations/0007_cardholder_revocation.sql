-- Migration 7 of the bank host: cardholder signatures on payment orders and revocation of cardholder certificates
-- (issue 14, docs/bank.md §15). Timestamps BIGINT microseconds since 1970 UTC, as in migration 1.

-- The bank's policy per merchant: its online payments carry the cardholder's PIV slot 9A signature of the order,
-- checked against the cardholder certificate before MAC1. Set by `bankctl merchants policy`.
ALTER TABLE merchants ADD COLUMN cardholder_signature BOOLEAN NOT NULL DEFAULT FALSE;

-- Revocation (revoked_at exists since migration 4): the RFC 5280 §5.3.1 reason, written with revoked_at by
-- `bankctl certificates revoke` only.
ALTER TABLE cardholder_certificates ADD COLUMN revocation_reason TEXT
  CHECK (revocation_reason IS NULL OR revocation_reason IN
    ('unspecified','keyCompromise','affiliationChanged','superseded','cessationOfOperation')),
  ADD CONSTRAINT cardholder_certificates_revocation CHECK ((revoked_at IS NULL) = (revocation_reason IS NULL));
CREATE INDEX cardholder_certificates_revoked ON cardholder_certificates (revoked_at) WHERE revoked_at IS NOT NULL;

-- What the cardholder signed for an online purchase (kept as evidence): the certificate serial and the DER signature
-- of the payment message (docs/bank-api.yaml CardholderSignature), both NULL for an unsigned purchase.
ALTER TABLE purchases ADD COLUMN cardholder_certificate TEXT CHECK (cardholder_certificate ~ '^[0-9A-F]{32}$'),
  ADD COLUMN cardholder_signature TEXT CHECK (cardholder_signature ~ '^([0-9A-F]{2}){8,72}$'),
  ADD CONSTRAINT purchases_cardholder_signature CHECK ((cardholder_certificate IS NULL) = (cardholder_signature IS NULL));
