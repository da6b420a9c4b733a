// SPDX-License-Identifier: Apache-2.0
#include "bank/support/TestCard.h"

namespace wallet::bank::test {

using core::Algorithm;
using core::CardCrypto;

TestCard::TestCard(const QByteArray& mlk, const QByteArray& mtk, const QByteArray& asn, const QByteArray& mpk)
    : m_dlk(CardCrypto::diversify(Algorithm::TripleDes, core::toSecure(mlk), asn).value())
    , m_dtk(CardCrypto::diversify(Algorithm::TripleDes, core::toSecure(mtk), asn).value())
{
    if (!mpk.isEmpty()) {
        m_dpk = CardCrypto::diversify(Algorithm::TripleDes, core::toSecure(mpk), asn).value();
    }
}

TestCard::Initialized TestCard::initializeForLoad(std::uint32_t amount, const QByteArray& terminal6)
{
    Initialized r;
    r.balance = m_balance;
    r.onlineAtc = m_atc;
    r.random = m_forcedRandom.isEmpty() ? CardCrypto::random(4) : m_forcedRandom;
    m_forcedRandom.clear();
    m_purchaseOpen = false;
    m_sessionKey = CardCrypto::sessionKey(Algorithm::TripleDes, m_dlk, CardCrypto::loadSeed(r.random, m_atc)).value();
    QByteArray in;
    core::appendU32(in, m_balance);
    core::appendU32(in, amount);
    in.append('\x02');
    in.append(terminal6);
    r.mac1 = CardCrypto::desMac(m_sessionKey, in).value();
    m_open = true;
    m_amount = amount;
    m_terminal = terminal6;
    return r;
}

std::optional<QByteArray> TestCard::creditForLoad(
    const QByteArray& date4, const QByteArray& time3, const QByteArray& mac2)
{
    if (!m_open) {
        return std::nullopt;
    }
    QByteArray in;
    core::appendU32(in, m_amount);
    in.append('\x02');
    in.append(m_terminal);
    in.append(date4);
    in.append(time3);
    if (!CardCrypto::macEquals(CardCrypto::desMac(m_sessionKey, in).value(), mac2)) {
        m_open = false; // spec §4: a wrong MAC2 ends the session
        return std::nullopt;
    }
    QByteArray tacIn;
    core::appendU32(tacIn, m_balance + m_amount);
    core::appendU16(tacIn, m_atc);
    core::appendU32(tacIn, m_amount);
    tacIn.append('\x02');
    tacIn.append(m_terminal);
    tacIn.append(date4);
    tacIn.append(time3);
    auto tacKey = CardCrypto::tacKey(Algorithm::TripleDes, m_dtk).value();
    m_lastTac = CardCrypto::desMac(tacKey, tacIn).value();
    m_balance += m_amount;
    ++m_atc;
    m_open = false;
    return m_lastTac;
}

TestCard::PurchaseInitialized TestCard::initializeForPurchase(std::uint32_t amount, const QByteArray& terminal6)
{
    PurchaseInitialized r;
    r.balance = m_balance;
    r.offlineAtc = m_offlineAtc;
    r.random = m_forcedRandom.isEmpty() ? CardCrypto::random(4) : m_forcedRandom;
    m_forcedRandom.clear();
    m_open = false; // a new INITIALIZE ends any load session
    m_purchaseOpen = true;
    m_purchaseRandom = r.random;
    m_amount = amount;
    m_terminal = terminal6;
    return r;
}

std::optional<TestCard::Debit> TestCard::debitForPurchase(
    std::uint32_t tsn, const QByteArray& date4, const QByteArray& time3, const QByteArray& mac1)
{
    if (!m_purchaseOpen || m_amount > m_balance) {
        return std::nullopt;
    }
    m_purchaseOpen = false; // one DEBIT per INITIALIZE, whatever its outcome
    const core::SecureBytes ses = CardCrypto::sessionKey(
        Algorithm::TripleDes, m_dpk, CardCrypto::purchaseSeed(m_purchaseRandom, m_offlineAtc, tsn))
                                      .value();
    QByteArray in;
    core::appendU32(in, m_amount);
    in.append('\x06');
    in.append(m_terminal);
    in.append(date4);
    in.append(time3);
    if (!CardCrypto::macEquals(CardCrypto::desMac(ses, in).value(), mac1)) {
        return std::nullopt;
    }
    QByteArray tacIn;
    core::appendU32(tacIn, m_amount);
    tacIn.append('\x06');
    tacIn.append(m_terminal);
    core::appendU32(tacIn, tsn);
    tacIn.append(date4);
    tacIn.append(time3);
    auto tacKey = CardCrypto::tacKey(Algorithm::TripleDes, m_dtk).value();
    QByteArray amount;
    core::appendU32(amount, m_amount);
    m_lastDebit = Debit{CardCrypto::desMac(tacKey, tacIn).value(), CardCrypto::desMac(ses, amount).value()};
    m_balance -= m_amount;
    ++m_offlineAtc;
    return m_lastDebit;
}

QJsonObject TestCard::offlineSale(
    std::uint32_t amount, std::uint32_t tsn, const QByteArray& psam6, const QString& asnHex)
{
    if (m_dpk.empty()) {
        return {};
    }
    const auto init = initializeForPurchase(amount, psam6);
    const QByteArray date = QByteArray::fromHex("20250102");
    const QByteArray time = QByteArray::fromHex("093000");
    auto ses = CardCrypto::sessionKey(
        Algorithm::TripleDes, m_dpk, CardCrypto::purchaseSeed(init.random, init.offlineAtc, tsn))
                   .value();
    QByteArray in;
    core::appendU32(in, amount);
    in.append('\x06');
    in.append(psam6);
    in.append(date);
    in.append(time);
    auto d = debitForPurchase(tsn, date, time, CardCrypto::desMac(ses, in).value());
    if (!d) {
        return {};
    }
    auto hex = [](const QByteArray& b) { return QString::fromLatin1(b.toHex().toUpper()); };
    return {{QStringLiteral("tsn"), static_cast<qint64>(tsn)},
        {QStringLiteral("asn"), asnHex},
        {QStringLiteral("algorithm"), QStringLiteral("3des")},
        {QStringLiteral("offlineAtc"), init.offlineAtc},
        {QStringLiteral("amount"), static_cast<qint64>(amount)},
        {QStringLiteral("date"), QStringLiteral("20250102")},
        {QStringLiteral("time"), QStringLiteral("093000")},
        {QStringLiteral("tac"), hex(d->tac)},
        {QStringLiteral("mac2"), hex(d->mac2)}};
}

QJsonObject TestCard::authoriseLoadBody(
    const QByteArray& asn, const Initialized& init, std::uint32_t amount, const QByteArray& terminal6)
{
    auto hex = [](const QByteArray& b) { return QString::fromLatin1(b.toHex().toUpper()); };
    return {{QStringLiteral("asn"), hex(asn)},
        {QStringLiteral("algorithm"), QStringLiteral("3des")},
        {QStringLiteral("keyIndex"), 1},
        {QStringLiteral("keyVersion"), 1},
        {QStringLiteral("balanceBefore"), static_cast<qint64>(init.balance)},
        {QStringLiteral("amount"), static_cast<qint64>(amount)},
        {QStringLiteral("onlineAtc"), init.onlineAtc},
        {QStringLiteral("random"), hex(init.random)},
        {QStringLiteral("mac1"), hex(init.mac1)},
        {QStringLiteral("terminalId"), hex(terminal6)}};
}

} // namespace wallet::bank::test
