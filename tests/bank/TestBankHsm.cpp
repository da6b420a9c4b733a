// SPDX-License-Identifier: Apache-2.0
// The HSM path of docs/bank.md §8.3 reproduces the golden load vectors of ../shared/spec/vectors/pboc.json (flow
// "EP load 10.00 CNY (3DES profile)"): MAC1 3905D068, MAC2 2561CD1B, TAC C40AF0DE, with the master keys imported
// into a fresh SoftHSM2 token in a private SOFTHSM2_CONF folder, and derivation and MACs done in the token.
#include "bank/BankPaths.h"
#include "bank/hsm/Hsm.h"
#include "bank/support/CheckOk.h"

#include "core/apdu/SecureMessaging.h"
#include "core/crypto/CardCrypto.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QTest>

#include <cstdlib>

using namespace wallet;
using wallet::bank::Hsm;

namespace {

QJsonObject loadFlow()
{
    QFile f(qEnvironmentVariable("SKEY_SHARED_DIR") + QStringLiteral("/spec/vectors/pboc.json"));
    if (!f.open(QIODevice::ReadOnly)) {
        return {};
    }
    const auto flows = QJsonDocument::fromJson(f.readAll()).object().value(QStringLiteral("flows")).toArray();
    for (const auto& v : flows) {
        if (v.toObject()
                .value(QStringLiteral("name"))
                .toString()
                .startsWith(QStringLiteral("EP load 10.00 CNY (3DES"))) {
            return v.toObject();
        }
    }
    return {};
}

QByteArray hex(const QString& s)
{
    return QByteArray::fromHex(QString(s).remove(QLatin1Char(' ')).toLatin1());
}

} // namespace

class TestBankHsm : public QObject
{
    Q_OBJECT

private:
    QTemporaryDir m_dir;
    std::unique_ptr<Hsm> m_hsm;
    QJsonObject m_flow;

private slots:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        m_flow = loadFlow();
        QVERIFY2(!m_flow.isEmpty(), "pboc.json flow 'EP load 10.00 CNY (3DES profile)' not found");
        QVERIFY(bank::writeSoftHsmConfig(m_dir.path()));
        qputenv("SOFTHSM2_CONF", (m_dir.path() + QStringLiteral("/softhsm2.conf")).toLocal8Bit());
        auto hsm = Hsm::load(bank::kSoftHsmModule);
        BANK_CHECK_OK(hsm);
        m_hsm = std::move(hsm.value());
        const core::SecureBytes so{'1', '2', '3', '4', '5', '6', '7', '8'};
        const core::SecureBytes user{'8', '7', '6', '5', '4', '3', '2', '1'};
        auto init = m_hsm->initToken("skey-bank-test", so, user);
        BANK_CHECK_OK(init);
        auto login = m_hsm->login("skey-bank-test", user);
        BANK_CHECK_OK(login);
        const auto masters = m_flow.value(QStringLiteral("issuer_master_keys")).toObject();
        QVERIFY(m_hsm->importDes2("mlk.v1", core::toSecure(hex(masters.value(QStringLiteral("MLK")).toString()))).ok());
        QVERIFY(m_hsm->importDes2("mtk.v1", core::toSecure(hex(masters.value(QStringLiteral("MTK")).toString()))).ok());
    }

    void mac1AndMac2ThroughTheToken()
    {
        const QByteArray asn = hex(m_flow.value(QStringLiteral("asn")).toString());
        const QByteArray rnd = hex(m_flow.value(QStringLiteral("card_random")).toString());
        const auto steps = m_flow.value(QStringLiteral("steps")).toArray();
        const QByteArray initCmd = hex(steps.at(0).toObject().value(QStringLiteral("c")).toString());
        const QByteArray initResp = hex(steps.at(0).toObject().value(QStringLiteral("r")).toString());
        const QByteArray creditCmd = hex(steps.at(1).toObject().value(QStringLiteral("c")).toString());
        const QByteArray amount = initCmd.mid(6, 4);
        const QByteArray terminal = initCmd.mid(10, 6);
        const QByteArray balance = initResp.mid(0, 4);
        const QByteArray atc = initResp.mid(4, 2);
        const QByteArray seed = rnd + atc + QByteArray::fromHex("8000");
        // MAC1 (spec §5.2): balance ‖ amount ‖ 02 ‖ terminal.
        auto mac1 = m_hsm->transactionMac("mlk.v1", asn, seed, balance + amount + '\x02' + terminal);
        BANK_CHECK_OK(mac1);
        QCOMPARE(mac1->toHex().toUpper(), initResp.mid(12, 4).toHex().toUpper());
        // MAC2: amount ‖ 02 ‖ terminal ‖ date ‖ time; date and time from the CREDIT FOR LOAD command.
        const QByteArray dateTime = creditCmd.mid(5, 7);
        auto mac2 = m_hsm->transactionMac("mlk.v1", asn, seed, amount + '\x02' + terminal + dateTime);
        BANK_CHECK_OK(mac2);
        QCOMPARE(mac2->toHex().toUpper(), creditCmd.mid(12, 4).toHex().toUpper());
        QCOMPARE(mac2->toHex().toUpper(), QByteArray("2561CD1B"));
    }

    void tacThroughTheToken()
    {
        const QByteArray asn = hex(m_flow.value(QStringLiteral("asn")).toString());
        const auto steps = m_flow.value(QStringLiteral("steps")).toArray();
        const QByteArray initCmd = hex(steps.at(0).toObject().value(QStringLiteral("c")).toString());
        const QByteArray initResp = hex(steps.at(0).toObject().value(QStringLiteral("r")).toString());
        const QByteArray creditCmd = hex(steps.at(1).toObject().value(QStringLiteral("c")).toString());
        const QByteArray tacExpected = hex(steps.at(1).toObject().value(QStringLiteral("r")).toString()).left(4);
        const QByteArray amount = initCmd.mid(6, 4);
        QByteArray balanceAfter;
        core::appendU32(balanceAfter, core::readU32(initResp, 0) + core::readU32(amount, 0));
        // TAC (spec §5.2): balance after ‖ N ‖ amount ‖ 02 ‖ terminal ‖ date ‖ time.
        const QByteArray data
            = balanceAfter + initResp.mid(4, 2) + amount + '\x02' + initCmd.mid(10, 6) + creditCmd.mid(5, 7);
        auto tac = m_hsm->tac("mtk.v1", asn, data);
        BANK_CHECK_OK(tac);
        QCOMPARE(tac->toHex().toUpper(), tacExpected.toHex().toUpper());
    }

    /// The issuance and maintenance operations (docs/bank.md §8.3, §8.6) against core's builders, which the golden
    /// vectors of pboc.json check byte for byte (tests/core): the same keys in clear give the same commands.
    void secureMessagingThroughTheToken()
    {
        // The transport-key vector of docs/firmware.md: development manufacturer key, serial 534B000000000001.
        const core::SecureBytes mk = core::toSecure(QByteArrayLiteral("SKEY-DEV-MFR-KEY"));
        const QByteArray serial = hex(QStringLiteral("534B000000000001"));
        QVERIFY(m_hsm->importDes2("mkt.v1", mk).ok());
        const core::SecureBytes mamk = core::toSecure(hex(QStringLiteral("505152535455565758595A5B5C5D5E5F")));
        QVERIFY(m_hsm->importDes2("mamk.v1", mamk).ok());
        auto kt = core::CardCrypto::diversify(core::Algorithm::TripleDes, mk, serial);
        BANK_CHECK_OK(kt);
        QCOMPARE(QByteArray(reinterpret_cast<const char*>(kt->data()), 16).toHex().toUpper(),
            QByteArray("9976619A86DC8F483718F446D45ADA51"));
        const Hsm::DerivedKey ktRef{"mkt.v1", serial};
        const QByteArray challenge = hex(QStringLiteral("0102030405060708"));

        // Step 1: EXTERNAL AUTHENTICATE's cryptogram.
        auto auth = m_hsm->encryptBlocks(ktRef, challenge);
        BANK_CHECK_OK(auth);
        auto authRef = core::SecureMessaging::externalAuthenticate(*kt, challenge);
        BANK_CHECK_OK(authRef);
        QCOMPARE(auth->toHex().toUpper(), authRef->data().toHex().toUpper());

        // Retail MAC over one block (END PERSONALIZATION), two blocks (PUT DATA AID) and five (SFI 0x15).
        for (const QByteArray& data :
            {QByteArray(), hex(QStringLiteral("D15600000145442F4550")), QByteArray(30, 'x')}) {
            QByteArray header = hex(QStringLiteral("84DA0001"));
            header.append(static_cast<char>(data.size() + 4));
            auto mac = m_hsm->retailMac(ktRef, challenge, header + data);
            BANK_CHECK_OK(mac);
            auto ref = core::SecureMessaging::withMac(0x84, 0xDA, 0x00, 0x01, data, *kt, challenge);
            BANK_CHECK_OK(ref);
            QCOMPARE(mac->toHex().toUpper(), ref->data().right(4).toHex().toUpper());
        }
        // A 4-byte challenge: IV = challenge ‖ 00000000, with a card key (APPLICATION BLOCK, DAMK from MAMK).
        const QByteArray asn = hex(QStringLiteral("0102030405060708"));
        auto damk = core::CardCrypto::diversify(core::Algorithm::TripleDes, mamk, asn);
        BANK_CHECK_OK(damk);
        auto block = m_hsm->retailMac(
            {"mamk.v1", asn}, hex(QStringLiteral("A1B2C3D400000000")), hex(QStringLiteral("841E000004")));
        BANK_CHECK_OK(block);
        auto blockRef = core::SecureMessaging::applicationBlock(
            core::Algorithm::TripleDes, *damk, hex(QStringLiteral("A1B2C3D4")), false);
        BANK_CHECK_OK(blockRef);
        QCOMPARE(block->toHex().toUpper(), blockRef->data().toHex().toUpper());

        // WRITE KEY's ENC (the card key read out for one call, encrypted under KT in the token) and a PIN block.
        auto enc = m_hsm->writeKeyBlock(ktRef, {"mlk.v1", asn}, 1, 1, 0x00);
        BANK_CHECK_OK(enc);
        const auto masters = m_flow.value(QStringLiteral("issuer_master_keys")).toObject();
        auto dlk = core::CardCrypto::diversify(
            core::Algorithm::TripleDes, core::toSecure(hex(masters.value(QStringLiteral("MLK")).toString())), asn);
        BANK_CHECK_OK(dlk);
        // SoftHSM sets the DES parity bit (bit 0) of every byte of a derived key; DES ignores those bits, so the
        // key works on the card exactly as the raw value would, and the block is compared with odd parity applied.
        core::SecureBytes fields{1, 1, 0};
        for (std::uint8_t b : *dlk) {
            std::uint8_t ones = 0;
            for (int bit = 1; bit < 8; ++bit) {
                ones += (b >> bit) & 1;
            }
            fields.push_back(static_cast<std::uint8_t>((b & 0xFE) | ((ones % 2 == 0) ? 1 : 0)));
        }
        auto writeRef = core::SecureMessaging::writeKey(*kt, challenge, 0x26, fields);
        BANK_CHECK_OK(writeRef);
        QCOMPARE(enc->toHex().toUpper(), writeRef->data().left(24).toHex().toUpper());
        auto pin = m_hsm->encryptWithLength(ktRef, core::SecureBytes{0x03, 0x12, 0x34, 0x56});
        BANK_CHECK_OK(pin);
        auto pinRef = core::CardCrypto::tdesEncryptWithLength(*kt, core::SecureBytes{0x03, 0x12, 0x34, 0x56});
        BANK_CHECK_OK(pinRef);
        QCOMPARE(pin->toHex().toUpper(), pinRef->toHex().toUpper());
    }

    /// A PSAM's WRITE KEY block (docs/bank.md §8.6): the same writeKeyBlock with the purchase master itself, wrapped
    /// out of the token (mpk.vN is extractable, sensitive) instead of a derived card key; every other master is not
    /// extractable and is refused.
    void masterWriteKeyBlockThroughTheToken()
    {
        // mkt.v1 from secureMessagingThroughTheToken. A master of odd DES parity, so its bytes are compared as they
        // are.
        const core::SecureBytes mpk = core::toSecure(hex(QStringLiteral("0123456789ABCDEFFEDCBA9876543210")));
        QVERIFY(m_hsm->importDes2("mpk.v1", mpk).ok());
        const QByteArray serial = hex(QStringLiteral("534B000000000001"));
        auto kt = core::CardCrypto::diversify(
            core::Algorithm::TripleDes, core::toSecure(QByteArrayLiteral("SKEY-DEV-MFR-KEY")), serial);
        BANK_CHECK_OK(kt);
        auto enc = m_hsm->writeKeyBlock({"mkt.v1", serial}, Hsm::BlockKey::masterItself("mpk.v1"), 1, 1, 0x00);
        BANK_CHECK_OK(enc);
        core::SecureBytes fields{1, 1, 0};
        fields.insert(fields.end(), mpk.begin(), mpk.end());
        auto ref = core::SecureMessaging::writeKey(*kt, hex(QStringLiteral("0102030405060708")), 0x27, fields);
        BANK_CHECK_OK(ref);
        QCOMPARE(enc->toHex().toUpper(), ref->data().left(24).toHex().toUpper());
        // MLK was made not extractable: it never leaves the token, not even wrapped.
        auto refused = m_hsm->writeKeyBlock({"mkt.v1", serial}, Hsm::BlockKey::masterItself("mlk.v1"), 1, 1, 0x00);
        QVERIFY(!refused.ok());
        QCOMPARE(refused.error().code, core::ErrorCode::InvalidState);
    }

    void masterKeysStayInTheToken()
    {
        // A wrong master label is an error, not a silent default key.
        auto none = m_hsm->transactionMac("mlk.v9", QByteArray(8, '\1'), QByteArray(8, '\2'), "x");
        QVERIFY(!none.ok());
        QVERIFY(m_hsm->generateHmacKey("fingerprint").ok());
        auto a = m_hsm->hmacSha256("fingerprint", "POST /v1/loads {}");
        auto b = m_hsm->hmacSha256("fingerprint", "POST /v1/loads {}");
        auto c = m_hsm->hmacSha256("fingerprint", "POST /v1/loads {\"a\":1}");
        QVERIFY(a.ok() && b.ok() && c.ok());
        QCOMPARE(a->size(), 32);
        QCOMPARE(*a, *b);
        QVERIFY(*a != *c);
    }
};

int main(int argc, char** argv)
{
    // Skipped (ctest SKIP_RETURN_CODE 77), never passed, when SoftHSM2 is not installed.
    if (!QFile::exists(QString::fromLatin1(bank::kSoftHsmModule))) {
        std::fprintf(stderr, "SKIP: %s not found (install softhsm2: scripts/setup-deps.sh)\n", bank::kSoftHsmModule);
        return 77;
    }
    QCoreApplication app(argc, argv);
    TestBankHsm t;
    return QTest::qExec(&t, argc, argv);
}

#include "TestBankHsm.moc"
