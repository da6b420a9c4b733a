-- Migration 9 of the bank host: late purchases of a replaced or closed key (docs/branch.md "Late offline
-- purchases", bank/issuance/LateRecovery.h). A purchase of a closed card proven after the closure (a settled TAC, a
-- late confirmation) is paid to the merchant from the card's float share; before its transfer, in the same
-- transaction, the part the card's remaining shadow does not cover is brought back into that share: from the
-- customer's funding account as far as it holds money (transfer kind 'recovery', natural key
-- 'recovery:<terminal>:<TSN>', counted in `recovered`), the rest advanced by the bank from its clearing account
-- ('advance:<terminal>:<TSN>', `advanced`: the customer's debt, bankctl reports receivables). Per card shadow =
-- completed loads - completed purchases - released + recovered + advanced (bankctl audit ledger).
ALTER TABLE cards ADD COLUMN recovered BIGINT NOT NULL DEFAULT 0 CHECK (recovered >= 0);
ALTER TABLE cards ADD COLUMN advanced BIGINT NOT NULL DEFAULT 0 CHECK (advanced >= 0);
ALTER TABLE transfers DROP CONSTRAINT transfers_kind_check;
ALTER TABLE transfers ADD CONSTRAINT transfers_kind_check CHECK (kind IN ('deposit','load','load-adjust',
  'load-reversal','purchase','settlement','refund','closure','replacement','payout','recovery'));
