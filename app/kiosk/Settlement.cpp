// SPDX-License-Identifier: Apache-2.0
#include "app/kiosk/Settlement.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLoggingCategory>

#include <set>

Q_LOGGING_CATEGORY(lcSettle, "wallet.kiosk.settlement")

namespace wallet::kiosk {

using core::Result;

namespace {

void appendHex(QByteArray& out, const QByteArray& b)
{
    out.append(b.toHex().toUpper());
}

/// The batch body of docs/bank-api.yaml uploadSettlementBatch, written straight as JSON text: every value is a
/// number or upper-case hex the kiosk made itself, so nothing needs escaping. (A QJsonObject per record, then the
/// document, cost about 4 s for 10,000 records on the sanitizer build; this is a few milliseconds.)
QByteArray batchJson(const QByteArray& terminal, const std::vector<core::SettlementRecord>& records)
{
    QByteArray out;
    out.reserve(64 + static_cast<qsizetype>(records.size()) * 190);
    out.append("{\"terminalId\":\"");
    appendHex(out, terminal);
    out.append("\",\"records\":[");
    bool first = true;
    for (const auto& r : records) {
        out.append(first ? "{\"tsn\":" : ",{\"tsn\":");
        first = false;
        out.append(QByteArray::number(static_cast<qulonglong>(r.tsn)));
        out.append(",\"asn\":\"");
        appendHex(out, r.asn);
        out.append(r.algorithm == core::Algorithm::Sm4 ? "\",\"algorithm\":\"sm4\"" : "\",\"algorithm\":\"3des\"");
        out.append(",\"offlineAtc\":");
        out.append(QByteArray::number(r.offlineAtc));
        out.append(",\"amount\":");
        out.append(QByteArray::number(static_cast<qulonglong>(r.amount.fen())));
        out.append(",\"date\":\"");
        appendHex(out, r.date);
        out.append("\",\"time\":\"");
        appendHex(out, r.time);
        out.append("\",\"tac\":\"");
        appendHex(out, r.tac);
        out.append("\",\"mac2\":\"");
        appendHex(out, r.mac2);
        out.append("\"}");
    }
    out.append("]}");
    return out;
}

} // namespace

Result<SettlementOutcome> Settlement::upload(
    SaleStore& store, core::BankClient& bank, core::Psam& psam, const QDateTime& now)
{
    SettlementOutcome out;
    const QByteArray terminal = psam.terminalId();
    for (;;) {
        auto next = store.nextBatch(terminal, kMaxBatch, now);
        if (!next) {
            return next.error();
        }
        if (!next->has_value()) {
            break;
        }
        const SettlementBatch& batch = **next;
        std::vector<std::uint32_t> tsns;
        tsns.reserve(batch.records.size());
        for (const auto& r : batch.records) {
            tsns.push_back(r.tsn);
        }
        core::BankCall call;
        call.method = QByteArrayLiteral("PUT");
        call.path = QStringLiteral("/v1/settlement/batches/") + batch.batchId;
        call.jsonBody = batchJson(terminal, batch.records);
        call.requestId = batch.batchId;
        auto answer = bank.send(call);
        if (!answer) {
            auto totals = store.totals(now.date());
            out.waiting = totals ? totals->unsettled : 0;
            qCInfo(lcSettle) << "settlement batch" << batch.batchId << "not uploaded:" << answer.error().detail;
            core::Error e = answer.error();
            e.code = core::ErrorCode::BankUnreachable;
            return e;
        }
        if (!answer->ok()) {
            return core::problemError(*answer, QStringLiteral("settlement"));
        }
        const QJsonObject& b = answer->body;
        if (auto m = store.markUploaded(batch.batchId, QJsonDocument(b).toJson(QJsonDocument::Compact)); !m) {
            return m.error();
        }
        if (auto s = psam.markSettled(tsns); !s) {
            qCWarning(lcSettle) << "the PSAM did not mark the batch settled:" << s.error().detail;
        }
        ++out.batches;
        out.records += static_cast<int>(batch.records.size());
        out.accepted += b.value(QStringLiteral("accepted")).toInt();
        out.duplicates += b.value(QStringLiteral("duplicates")).toInt();
        out.rejected += static_cast<int>(b.value(QStringLiteral("rejected")).toArray().size());
        qCInfo(lcSettle) << "settlement batch" << batch.batchId << "uploaded:" << batch.records.size() << "records,"
                         << (answer->replayed ? "replayed" : "first answer");
    }
    return out;
}

Result<qint64> Settlement::refreshHotlist(SaleStore& store, core::BankClient& bank)
{
    // The whole list every time (`since` absent: `complete` is true and replaces what the kiosk holds). The delta
    // form needs a query string, which the terminal's BankClient does not send yet.
    core::BankCall call;
    call.path = QStringLiteral("/v1/hotlist");
    auto answer = bank.send(call);
    if (!answer) {
        return answer.error();
    }
    if (!answer->ok()) {
        return core::problemError(*answer, QStringLiteral("hot-list"));
    }
    const QJsonObject& b = answer->body;
    QList<QByteArray> added;
    QList<QByteArray> removed;
    for (const auto& v : b.value(QStringLiteral("added")).toArray()) {
        added << QByteArray::fromHex(v.toObject().value(QStringLiteral("asn")).toString().toLatin1());
    }
    for (const auto& v : b.value(QStringLiteral("removed")).toArray()) {
        removed << QByteArray::fromHex(v.toString().toLatin1());
    }
    const qint64 newVersion = b.value(QStringLiteral("version")).toInteger();
    if (auto a = store.applyHotlist(newVersion, b.value(QStringLiteral("complete")).toBool(), added, removed); !a) {
        return a.error();
    }
    return newVersion;
}

Result<int> Settlement::reconcile(SaleStore& store, core::Psam& psam, const QByteArray& asn, const QDateTime& now)
{
    auto open = store.openSales();
    if (!open) {
        return open.error();
    }
    // A key answer the PSAM could not check (the SAM pulled at VERIFY MAC2): VERIFY MAC2 now. Verified, the PSAM
    // holds the record confirmed and the sale is completed from it below; refused, a person decides (the key's
    // answer stays with the sale, never dropped: the key may have paid).
    for (const Sale& s : *open) {
        if (s.tac.isEmpty() || s.tsn == 0) {
            continue;
        }
        if (auto c = psam.confirmPurchase(s.tsn, s.mac2, s.tac); !c) {
            if (c.error().code == core::ErrorCode::VerificationFailed || c.error().code == core::ErrorCode::BadMac
                || c.error().code == core::ErrorCode::PinBlocked) {
                if (auto m = store.markChecking(
                        s.id, s.tsn, QStringLiteral("the SAM refused the key's answer: ") + c.error().detail);
                    !m) {
                    return m.error();
                }
                continue;
            }
            return c.error(); // the PSAM does not answer yet
        }
    }
    auto pending = psam.pendingSettlement();
    if (!pending) {
        return pending.error();
    }
    auto done = store.doneTsns();
    if (!done) {
        return done.error();
    }
    std::set<std::uint32_t> held(done->begin(), done->end());
    for (const Sale& s : *open) {
        if (s.tsn != 0) {
            held.insert(s.tsn);
        }
    }
    int changed = 0;
    auto confirmedRecord = [&](std::uint32_t tsn) -> const core::SettlementRecord* {
        for (const auto& r : *pending) {
            if (r.tsn == tsn) {
                return &r;
            }
        }
        return nullptr;
    };
    for (const Sale& s : *open) {
        const core::SettlementRecord* rec = nullptr;
        if (s.tsn != 0) {
            rec = confirmedRecord(s.tsn);
        } else {
            // Killed before the TSN was written: a confirmed record of this key and amount that no sale holds.
            for (const auto& r : *pending) {
                if (r.asn == s.asn && r.amount == s.amount && !held.count(r.tsn)) {
                    rec = &r;
                    break;
                }
            }
        }
        if (rec) {
            if (auto c = store.complete(s.id, *rec); !c) {
                return c.error();
            }
            held.insert(rec->tsn);
            ++changed;
            continue;
        }
        if (!asn.isEmpty() && s.asn != asn) {
            continue; // only this sale's own key can prove anything about it
        }
        auto unconfirmed = psam.unconfirmed(s.asn);
        if (!unconfirmed) {
            return unconfirmed.error();
        }
        bool stillOpen = false;
        for (const auto& u : *unconfirmed) {
            if ((s.tsn != 0 && u.tsn == s.tsn) || (s.tsn == 0 && u.amount == s.amount && !held.count(u.tsn))) {
                stillOpen = true;
                if (auto m = store.markChecking(s.id, u.tsn, QStringLiteral("the key has not proven it yet")); !m) {
                    return m.error();
                }
                held.insert(u.tsn);
                break;
            }
        }
        if (stillOpen || asn.isEmpty()) {
            continue; // without the key, a sale not found at the PSAM stays open until the key is back
        }
        if (auto m = store.markNotDone(s.id, QStringLiteral("the key proved it did not pay")); !m) {
            return m.error();
        }
        ++changed;
    }
    // A PSAM record no sale holds (e.g. a sale row lost with a damaged file): never lose what the key paid.
    for (const auto& r : *pending) {
        if (held.count(r.tsn)) {
            continue;
        }
        auto id = store.begin(QString(), r.asn, r.amount, now);
        if (!id) {
            return id.error();
        }
        if (auto c = store.complete(*id, r); !c) {
            return c.error();
        }
        held.insert(r.tsn);
        ++changed;
    }
    return changed;
}

} // namespace wallet::kiosk
