// SPDX-License-Identifier: Apache-2.0
#include "core/psam/CardPsam.h"

#include "core/apdu/Exchange.h"
#include "core/apdu/SecureMessaging.h"

#include <QLoggingCategory>

#include <algorithm>

namespace wallet::core {
namespace {

Q_LOGGING_CATEGORY(lcCardPsam, "wallet.psam")

const QByteArray kPsamAid = QByteArray::fromHex("D1560000015053414D");
constexpr int kRecordBytes = 40;
constexpr int kStatusBytes = 17;

QByteArray u32(std::uint32_t v)
{
    QByteArray b;
    appendU32(b, v);
    return b;
}

/// GET CHALLENGE 4, then `build(challenge)` and send it.
Result<void> sendWithChallenge(
    ApduChannel& channel, const std::function<Result<CommandApdu>(const QByteArray&)>& build, const QString& context)
{
    auto challenge = exchange(channel, CommandApdu(0x00, 0x84, 0x00, 0x00, {}, 4), QStringLiteral("GET CHALLENGE"), 4);
    if (!challenge) {
        return challenge.error();
    }
    auto command = build(*challenge);
    if (!command) {
        return command.error();
    }
    auto r = exchange(channel, *command, context, 0);
    if (!r) {
        return r.error();
    }
    return {};
}

} // namespace

Result<void> CardPsam::select(ApduChannel& channel)
{
    auto r = exchange(channel, CommandApdu(0x00, 0xA4, 0x04, 0x00, kPsamAid, 0), QStringLiteral("SELECT PSAM"));
    if (!r) {
        return r.error();
    }
    return {};
}

Result<PsamCardStatus> CardPsam::readStatus(ApduChannel& channel)
{
    auto r = exchange(channel,
        CommandApdu(0x80, 0xF2, 0x00, 0x00, {}, kStatusBytes),
        QStringLiteral("PSAM GET STATUS"),
        kStatusBytes);
    if (!r) {
        return r.error();
    }
    PsamCardStatus s;
    s.lifeCycle = static_cast<std::uint8_t>(r->at(0));
    s.terminalId = r->mid(1, 6);
    s.nextTsn = readU32(*r, 7);
    s.capacity = static_cast<std::uint8_t>(r->at(11));
    for (int slot = 0; slot < s.capacity && slot < 40; ++slot) {
        if ((static_cast<std::uint8_t>(r->at(12 + slot / 8)) & (0x80 >> (slot % 8))) != 0) {
            s.usedSlots.push_back(slot + 1);
        }
    }
    return s;
}

Result<std::unique_ptr<CardPsam>> CardPsam::open(ApduChannel& channel)
{
    if (auto s = select(channel); !s) {
        return s.error();
    }
    auto st = readStatus(channel);
    if (!st) {
        return st.error();
    }
    if (st->lifeCycle != 0x01) {
        return makeError(ErrorCode::InvalidState,
            QStringLiteral("the PSAM card in %1 is not personalised (life cycle %2): the bank provisions it first")
                .arg(channel.description())
                .arg(st->lifeCycle));
    }
    return std::unique_ptr<CardPsam>(new CardPsam(channel, st->terminalId));
}

Result<PsamCardStatus> CardPsam::status()
{
    if (auto s = select(m_channel); !s) {
        return s.error();
    }
    return readStatus(m_channel);
}

Result<PurchaseAuthorisation> CardPsam::authorisePurchase(const PurchaseRequest& req)
{
    if (req.asn.size() != 8 || req.random.size() != 4 || req.date.size() != 4 || req.time.size() != 3) {
        return makeError(ErrorCode::InvalidInput, QStringLiteral("PSAM: malformed purchase request"));
    }
    if (auto s = select(m_channel); !s) {
        return s.error();
    }
    // rnd 4 ‖ offline ATC 2 ‖ amount 4 ‖ type 1 ‖ date 4 ‖ time 3 ‖ key index ‖ key version ‖ algID ‖ ASN 8
    QByteArray data = req.random;
    appendU16(data, req.offlineAtc);
    appendU32(data, req.amount.fen());
    data.append(static_cast<char>(TransactionType::Purchase));
    data += req.date + req.time;
    data.append(static_cast<char>(req.keyIndex));
    data.append(static_cast<char>(req.keyVersion));
    data.append(static_cast<char>(req.algorithm));
    data += req.asn;
    auto r = exchange(
        m_channel, CommandApdu(0x80, 0x70, 0x00, 0x00, data, 8), QStringLiteral("PSAM INIT FOR PURCHASE"), 8);
    if (!r) {
        return r.error();
    }
    return PurchaseAuthorisation{readU32(*r, 0), r->mid(4, 4), {}, {}};
}

Result<void> CardPsam::confirmPurchase(std::uint32_t tsn, const QByteArray& mac2, const QByteArray& tac)
{
    if (mac2.size() != 4 || tac.size() != 4) {
        return makeError(ErrorCode::ProtocolError, QStringLiteral("PSAM: MAC2 and TAC have 4 bytes each"));
    }
    if (auto s = select(m_channel); !s) {
        return s.error();
    }
    auto r = exchange(m_channel,
        CommandApdu(0x80, 0x72, 0x00, 0x00, u32(tsn) + mac2 + tac),
        QStringLiteral("PSAM VERIFY MAC2 (TSN %1)").arg(tsn),
        0);
    if (!r) {
        Error e = r.error();
        if (e.statusWord == 0x9302) {
            qCWarning(lcCardPsam) << "MAC2 did not verify, TSN" << tsn;
            e.code = ErrorCode::VerificationFailed;
            e.detail = QStringLiteral("the key's MAC2 did not verify (TSN %1)").arg(tsn);
        }
        return e;
    }
    return {};
}

Result<std::vector<CardPsam::Record>> CardPsam::records()
{
    auto st = status();
    if (!st) {
        return st.error();
    }
    std::vector<Record> out;
    for (const int slot : st->usedSlots) {
        auto r = exchange(m_channel,
            CommandApdu(0x80, 0xB2, static_cast<std::uint8_t>(slot), 0x00, {}, kRecordBytes),
            QStringLiteral("PSAM READ RECORD %1").arg(slot),
            kRecordBytes);
        if (!r) {
            return r.error();
        }
        const auto flags = static_cast<std::uint8_t>(r->at(0));
        Record rec;
        rec.state = flags & 0x03;
        rec.s.algorithm = (flags & 0x80) != 0 ? Algorithm::Sm4 : Algorithm::TripleDes;
        rec.s.tsn = readU32(*r, 1);
        rec.s.asn = r->mid(5, 8);
        rec.s.offlineAtc = static_cast<std::uint16_t>(readU16(*r, 15));
        rec.s.amount = Amount(readU32(*r, 17));
        rec.s.terminalId = st->terminalId;
        rec.s.date = r->mid(25, 4);
        rec.s.time = r->mid(29, 3);
        rec.s.tac = r->mid(32, 4);
        rec.s.mac2 = r->mid(36, 4);
        out.push_back(rec);
    }
    std::sort(out.begin(), out.end(), [](const Record& a, const Record& b) { return a.s.tsn < b.s.tsn; });
    return out;
}

Result<std::vector<UnconfirmedPurchase>> CardPsam::unconfirmed(const QByteArray& asn)
{
    auto recs = records();
    if (!recs) {
        return recs.error();
    }
    std::vector<UnconfirmedPurchase> out;
    for (const Record& r : *recs) {
        if (r.state == 1 && r.s.asn == asn) {
            out.push_back(UnconfirmedPurchase{r.s.tsn, r.s.offlineAtc, r.s.amount});
        }
    }
    return out;
}

Result<std::vector<SettlementRecord>> CardPsam::pendingSettlement()
{
    auto recs = records();
    if (!recs) {
        return recs.error();
    }
    std::vector<SettlementRecord> out;
    for (const Record& r : *recs) {
        if (r.state == 2) {
            out.push_back(r.s);
        }
    }
    return out;
}

Result<void> CardPsam::recordState(std::uint8_t p1, std::uint32_t tsn, const QString& what)
{
    if (auto s = select(m_channel); !s) {
        return s.error();
    }
    auto r = exchange(m_channel, CommandApdu(0x80, 0xF4, p1, 0x00, u32(tsn)), what.arg(tsn), 0);
    if (!r) {
        return r.error();
    }
    return {};
}

Result<void> CardPsam::abandon(std::uint32_t tsn)
{
    auto r = recordState(0x02, tsn, QStringLiteral("PSAM ABANDON (TSN %1)"));
    // As LocalPsam: only an authorised purchase is dropped; a confirmed one (6985) or none (6A83) stays as it is.
    if (!r && (r.error().statusWord == 0x6985 || r.error().statusWord == 0x6A83)) {
        return {};
    }
    return r;
}

Result<void> CardPsam::markSettled(const std::vector<std::uint32_t>& tsns)
{
    for (const auto tsn : tsns) {
        auto r = recordState(0x01, tsn, QStringLiteral("PSAM SETTLED (TSN %1)"));
        // Idempotent: a record already cleared (6A83) was acknowledged before.
        if (!r && r.error().statusWord != 0x6A83) {
            return r;
        }
    }
    return {};
}

Result<void> CardPsam::setAside(std::uint32_t tsn, const QString& reason)
{
    qCWarning(lcCardPsam) << "purchase set aside, TSN" << tsn << reason;
    return recordState(0x03, tsn, QStringLiteral("PSAM SET ASIDE (TSN %1)"));
}

Result<void> CardPsam::personalise(ApduChannel& channel,
    const SecureBytes& transportKey,
    const std::vector<PsamMasterKey>& keys,
    const QByteArray& terminalId,
    std::uint32_t firstTsn)
{
    if (transportKey.size() != 16 || terminalId.size() != 6 || keys.empty()) {
        return makeError(ErrorCode::InvalidInput,
            QStringLiteral("PSAM personalisation: a 16-byte KT, a 6-byte terminal ID and at least one key"));
    }
    if (auto s = select(channel); !s) {
        return s.error();
    }
    for (const PsamMasterKey& k : keys) {
        if (k.key.size() != 16 || k.index == 0) {
            return makeError(ErrorCode::InvalidInput, QStringLiteral("PSAM master key: index 1..255 and 16 bytes"));
        }
        SecureBytes fields{k.index, k.version, static_cast<std::uint8_t>(k.algorithm)};
        fields.insert(fields.end(), k.key.begin(), k.key.end());
        if (auto r = sendWithChallenge(
                channel,
                [&](const QByteArray& ch) { return SecureMessaging::writeKey(transportKey, ch, 0x27, fields); },
                QStringLiteral("PSAM WRITE KEY"));
            !r) {
            return r.error();
        }
    }
    const auto putData = [&](std::uint8_t tag, const QByteArray& value, const QString& what) {
        return sendWithChallenge(
            channel,
            [&](const QByteArray& ch) {
                return SecureMessaging::withMac(0x84, 0xDA, 0x00, tag, value, transportKey, ch);
            },
            what);
    };
    if (auto r = putData(0x01, terminalId, QStringLiteral("PSAM PUT DATA terminal ID")); !r) {
        return r.error();
    }
    if (auto r = putData(0x02, u32(firstTsn), QStringLiteral("PSAM PUT DATA TSN")); !r) {
        return r.error();
    }
    return sendWithChallenge(
        channel,
        [&](const QByteArray& ch) { return SecureMessaging::withMac(0x84, 0xEA, 0x00, 0x00, {}, transportKey, ch); },
        QStringLiteral("PSAM END PERSONALIZATION"));
}

} // namespace wallet::core
