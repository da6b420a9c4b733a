// SPDX-License-Identifier: Apache-2.0
#include "bank/issuance/LateRecovery.h"

#include "bank/issuance/Staff.h"
#include "bank/ledger/Ledger.h"

#include <algorithm>
#include <map>
#include <set>

namespace wallet::bank {

namespace {

QByteArray asnBytes(const std::string& asn)
{
    return QByteArray::fromHex(QByteArray::fromStdString(asn));
}

} // namespace

Result<std::int64_t> LateRecovery::beforePosting(
    PgConnection& db, const CallContext& call, const std::vector<PostedPurchase>& purchases)
{
    if (purchases.empty()) {
        return std::int64_t{0};
    }
    // Array literal of validated ASNs (16 upper-case hex digits): nothing needs quoting.
    std::set<std::string> asns;
    for (const auto& p : purchases) {
        asns.insert(p.asn);
    }
    std::string asnArray = "{";
    for (const auto& a : asns) {
        asnArray += (asnArray.size() > 1 ? "," : "") + a;
    }
    asnArray += "}";
    auto closed = db.exec("SELECT asn, shadow_balance, account_id, COALESCE(replaced_by, '') FROM cards"
                          " WHERE asn = ANY($1::text[]) AND state = 'closed' ORDER BY asn",
        {asnArray});
    if (!closed) {
        return closed.error();
    }
    if (closed->rows() == 0) {
        return std::int64_t{0};
    }
    auto clearing = Ledger::clearingAccount(db);
    if (!clearing) {
        return clearing.error();
    }
    std::int64_t total = 0;
    for (int i = 0; i < closed->rows(); ++i) {
        const std::string asn = closed->text(i, 0);
        const std::string funding = closed->text(i, 2);
        std::vector<PostedPurchase> sales;
        for (const auto& p : purchases) {
            if (p.asn == asn) {
                sales.push_back(p);
            }
        }
        std::sort(sales.begin(), sales.end(), [](const PostedPurchase& a, const PostedPurchase& b) {
            return a.terminalId != b.terminalId ? a.terminalId < b.terminalId : a.tsn < b.tsn;
        });
        auto account = db.exec("SELECT balance FROM accounts WHERE id = $1 FOR UPDATE", {funding});
        if (!account) {
            return account.error();
        }
        if (account->rows() != 1) {
            return core::makeError(core::ErrorCode::NotFound,
                QStringLiteral("the funding account of closed card %1 is missing").arg(QString::fromStdString(asn)));
        }
        auto floatAccount = Ledger::floatAccount(db, asnBytes(asn));
        if (!floatAccount) {
            return floatAccount.error();
        }
        const QString replaced = closed->text(i, 3).empty()
            ? QString()
            : QStringLiteral(" (replaced by %1)").arg(QString::fromStdString(closed->text(i, 3)));
        std::int64_t available = std::max<std::int64_t>(0, account->integer(0, 0));
        // What replacement or closure left on the card (the key showed less than the bank vouched for: offline
        // purchases still to settle) covers a late purchase first; only the part beyond it is brought back.
        std::int64_t shadow = closed->integer(i, 1);
        std::int64_t recovered = 0;
        std::int64_t advanced = 0;
        for (const auto& sale : sales) {
            shadow -= sale.amount;
            const std::int64_t needed = std::min(sale.amount, std::max<std::int64_t>(0, -shadow));
            if (needed == 0) {
                continue;
            }
            const std::int64_t fromAccount = std::min(needed, available);
            const std::string ref = sale.terminalId + ":" + std::to_string(sale.tsn);
            auto move = [&](const std::string& from, std::int64_t amount, const std::string& key) -> Result<void> {
                if (amount <= 0) {
                    return {};
                }
                TransferSpec t;
                t.kind = "recovery";
                t.debitAccount = from;
                t.creditAccount = *floatAccount;
                t.amount = amount;
                t.naturalKey = key;
                t.requestScope = call.terminalId.toStdString();
                t.requestKey = call.requestKey.toStdString();
                auto tr = Ledger::transfer(db, t);
                if (!tr) {
                    return tr.error();
                }
                return {};
            };
            if (auto r = move(funding, fromAccount, "recovery:" + ref); !r) {
                return r.error();
            }
            if (auto r = move(*clearing, needed - fromAccount, "advance:" + ref); !r) {
                return r.error();
            }
            available -= fromAccount;
            shadow += needed;
            recovered += fromAccount;
            advanced += needed - fromAccount;
            if (auto a = Staff::audit(db,
                    {call.terminalId,
                        {},
                        {},
                        QStringLiteral("card.late-purchase"),
                        QString::fromStdString(asn),
                        QString::fromStdString(ref),
                        fromAccount == needed ? QStringLiteral("recovered") : QStringLiteral("receivable"),
                        QStringLiteral("closed card%1: purchase of %2 fen paid to the merchant; %3 fen recovered from"
                                       " the funding account, %4 fen advanced by the bank and owed by the customer")
                            .arg(replaced)
                            .arg(sale.amount)
                            .arg(fromAccount)
                            .arg(needed - fromAccount)});
                !a) {
                return a.error();
            }
        }
        if (recovered + advanced > 0) {
            if (auto u = db.exec("UPDATE cards SET shadow_balance = shadow_balance + $2 + $3, recovered = recovered +"
                                 " $2, advanced = advanced + $3 WHERE asn = $1",
                    {asn, std::to_string(recovered), std::to_string(advanced)});
                !u) {
                return u.error();
            }
        }
        total += recovered + advanced;
    }
    return total;
}

} // namespace wallet::bank
