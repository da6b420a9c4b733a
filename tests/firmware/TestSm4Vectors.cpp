// SPDX-License-Identifier: Apache-2.0
// The firmware against the SM4 golden vectors of tests/data/sm4/sm4-vectors.json (computed outside the project by
// tests/data/sm4/make_sm4_vectors.py with python3-cryptography; see that script): the SM4 issuance transcript
// (spec §6, keys with algID 04) personalises a blank token, then every SM4 secure-messaging command (§5.3 + §5.4:
// APPLICATION BLOCK/UNBLOCK, UPDATE BINARY, PIN UNBLOCK, EXTERNAL AUTHENTICATE with EAK, and on fresh copies
// APPLICATION BLOCK permanent and CARD BLOCK) is accepted with the status the vector names. The card random is
// forced through the host RNG to the vector's challenge. Each SM4 command is also sent once with one MAC bit
// flipped (another challenge): the token must answer 6988, and the genuine command still works afterwards.
#include "TokenDriver.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QtTest>

using namespace skey;
using namespace skey::test;

namespace {

QJsonObject loadSm4Vectors()
{
    QFile f(qEnvironmentVariable("SKEY_SOURCE_DIR") + QStringLiteral("/tests/data/sm4/sm4-vectors.json"));
    if (!f.open(QIODevice::ReadOnly)) {
        return {};
    }
    return QJsonDocument::fromJson(f.readAll()).object();
}

Bytes hexOf(const QJsonObject& o, const char* field)
{
    return hex(o.value(QLatin1String(field)).toString().toStdString());
}

std::array<std::uint8_t, 8> serialOf(const QJsonObject& v)
{
    const Bytes s = hexOf(v, "device_serial");
    std::array<std::uint8_t, 8> out{};
    std::copy_n(s.begin(), std::min<std::size_t>(8, s.size()), out.begin());
    return out;
}

} // namespace

class TestSm4Vectors : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void personalisation();
    void secureMessaging();
    void endings_data();
    void endings();

private:
    /// GET CHALLENGE answered with `challenge` (forced), then `c`; returns the response.
    Bytes sendStep(host::HostToken& token, const QJsonObject& step);
    /// Runs the steps, QCOMPARE-ing each response with the vector's "sw" (data ‖ SW when longer than 2 bytes).
    void runSteps(host::HostToken& token, const QJsonArray& steps, bool tamperFirst);
    void personalise(host::HostToken& token);

    QJsonObject m_v;
};

void TestSm4Vectors::initTestCase()
{
    m_v = loadSm4Vectors();
    QVERIFY2(!m_v.isEmpty(), "tests/data/sm4/sm4-vectors.json missing or not JSON");
    QCOMPARE(m_v.value(QStringLiteral("personalisation")).toArray().size(), 20);
    QVERIFY(m_v.value(QStringLiteral("secure_messaging")).toArray().size() >= 10);
}

Bytes TestSm4Vectors::sendStep(host::HostToken& token, const QJsonObject& step)
{
    const Bytes challenge = hexOf(step, "challenge");
    if (!challenge.empty()) {
        token.rng().force(challenge);
        const Bytes got = transmit(token, {0x00, 0x84, 0x00, 0x00, static_cast<std::uint8_t>(challenge.size())});
        if (got != cat({challenge, hex("9000")})) {
            qWarning("GET CHALLENGE answered %s", toHex(got).c_str());
            return got;
        }
    }
    return transmit(token, hexOf(step, "c"));
}

void TestSm4Vectors::runSteps(host::HostToken& token, const QJsonArray& steps, bool tamperFirst)
{
    for (const auto& s : steps) {
        const QJsonObject step = s.toObject();
        const QString name = step.value(QStringLiteral("name")).toString();
        if (tamperFirst && step.contains(QStringLiteral("challenge"))
            && (hexOf(step, "c").front() & 0x7F) == 0x04) { // CLA 04/84: secure messaging
            // The same command with one MAC bit flipped and another challenge: refused, nothing written.
            QJsonObject bad = step;
            Bytes c = hexOf(step, "c");
            c.back() ^= 0x01;
            Bytes otherChallenge = hexOf(step, "challenge");
            otherChallenge[0] ^= 0xFF;
            bad.insert(QStringLiteral("c"), QString::fromStdString(toHex(c)));
            bad.insert(QStringLiteral("challenge"), QString::fromStdString(toHex(otherChallenge)));
            const Bytes r = sendStep(token, bad);
            QVERIFY2(swOf(r) == 0x6988,
                qPrintable(name + QStringLiteral(": tampered MAC answered ") + QString::fromStdString(toHex(r))));
        }
        const Bytes r = sendStep(token, step);
        // "sw" is the status word, or data ‖ SW when the vector names the data too (READ BINARY).
        const Bytes want = hexOf(step, "sw");
        const Bytes got = want.size() == 2 && r.size() >= 2 ? Bytes(r.end() - 2, r.end()) : r;
        QVERIFY2(toHex(got) == toHex(want),
            qPrintable(name + QStringLiteral(": got ") + QString::fromStdString(toHex(r)) + QStringLiteral(", vector ")
                + step.value(QStringLiteral("sw")).toString()));
    }
}

void TestSm4Vectors::personalise(host::HostToken& token)
{
    runSteps(token, m_v.value(QStringLiteral("personalisation")).toArray(), false);
    if (QTest::currentTestFailed()) {
        return;
    }
    const Bytes info = transmit(token, hex("80CA000100"));
    QCOMPARE(swOf(info), std::uint16_t(0x9000));
    QCOMPARE(token.os().lifeCycle(), LifeCycle::Personalized);
}

void TestSm4Vectors::personalisation()
{
    host::HostToken token(serialOf(m_v));
    personalise(token);
    if (QTest::currentTestFailed()) {
        return;
    }
    // The personalised token reads back what the vector wrote: SFI 0x15 carries the ASN, and the label is set.
    const Bytes sfi15 = transmit(token, hex("00B0950000"));
    QCOMPARE(swOf(sfi15), std::uint16_t(0x9000));
    QCOMPARE(toHex(Bytes(sfi15.begin() + 12, sfi15.begin() + 20)), toHex(hexOf(m_v, "asn")));
}

void TestSm4Vectors::secureMessaging()
{
    host::HostToken token(serialOf(m_v));
    personalise(token);
    if (QTest::currentTestFailed()) {
        return;
    }
    runSteps(token, m_v.value(QStringLiteral("secure_messaging")).toArray(), true);
}

void TestSm4Vectors::endings_data()
{
    QTest::addColumn<int>("index");
    const QJsonArray endings = loadSm4Vectors().value(QStringLiteral("endings")).toArray();
    for (int i = 0; i < endings.size(); ++i) {
        QTest::addRow(
            "%s", qPrintable(endings.at(i).toArray().at(0).toObject().value(QStringLiteral("name")).toString()))
            << i;
    }
    QCOMPARE(endings.size(), 2);
}

void TestSm4Vectors::endings()
{
    QFETCH(int, index);
    host::HostToken token(serialOf(m_v));
    personalise(token);
    if (QTest::currentTestFailed()) {
        return;
    }
    QCOMPARE(swOf(transmit(token, hex("00A404000AD15600000145442F455000"))), std::uint16_t(0x9000));
    runSteps(token, m_v.value(QStringLiteral("endings")).toArray().at(index).toArray(), true);
}

QTEST_GUILESS_MAIN(TestSm4Vectors)
#include "TestSm4Vectors.moc"
