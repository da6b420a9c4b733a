// SPDX-License-Identifier: Apache-2.0
#include "bank/support/TestCard.h"

namespace wallet::bank::test {

using core::Algorithm;
using core::CardCrypto;

TestCard::TestCard(const QByteArray& mlk, const QByteArray& mtk, const QByteArray& asn)
    : m_dlk(CardCrypto::diversify(Algorithm::TripleDes, core::toSecure(mlk), asn).value())
    , m_dtk(CardCrypto::diversify(Algorithm::TripleDes, core::toSecure(mtk), asn).value())
{ }

TestCard::Initialized TestCard::initializeForLoad(std::uint32_t amount, const QByteArray& terminal6)
{
    Initialized r;
    r.balance = m_balance;
    r.onlineAtc = m_atc;
    r.random = CardCrypto::random(4);
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

} // namespace wallet::bank::test
