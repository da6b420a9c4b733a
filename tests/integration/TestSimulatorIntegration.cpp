// SPDX-License-Identifier: Apache-2.0
// The real stack over loopback: core (PurseService, Personaliser) → device (HidApduChannel, UdpTransport) → UDP →
// skey-sim as a child process (firmware packet layer + card OS). Power cuts through the control port, touch with
// KEEPALIVE / CANCEL, bad input on the raw UDP port.
#include "core/apdu/SecureMessaging.h"
#include "core/issuance/Personaliser.h"
#include "core/issuer/LocalIssuerHost.h"
#include "core/keystore/KeyStore.h"
#include "core/piv/PivClient.h"
#include "core/psam/LocalPsam.h"
#include "core/purse/PurseService.h"
#include "device/EmbeddedSimulator.h"
#include "device/HidFraming.h"
#include "device/UdpTransport.h"

#include <QCryptographicHash>
#include <QTemporaryDir>
#include <QTest>

#include <arpa/inet.h>
#include <atomic>
#include <netinet/in.h>
#include <sys/socket.h>
#include <thread>
#include <unistd.h>

using namespace wallet;
using namespace wallet::core;
using namespace wallet::device;

namespace {

const QByteArray kGetData = QByteArray::fromHex("80CA000100");
const QByteArray kSelectPurse = QByteArray::fromHex("00A404000AD15600000145442F455000");

QString profilePath(const char* name)
{
    return qEnvironmentVariable("SKEY_SOURCE_DIR") + QStringLiteral("/resources/profiles/") + QLatin1String(name);
}

QString errText(const Error& e)
{
    return QStringLiteral("code %1 sw %2: %3")
        .arg(int(e.code))
        .arg(e.statusWord, 4, 16, QLatin1Char('0'))
        .arg(e.detail);
}

#define VERIFY_OK(expr)                                                                                                \
    do {                                                                                                               \
        const auto& verifyResult_ = (expr);                                                                            \
        if (!verifyResult_.ok()) {                                                                                     \
            QFAIL(qPrintable(errText(verifyResult_.error())));                                                         \
        }                                                                                                              \
    } while (false)

/// Wraps a channel during personalisation and turns on the project's "purchase needs touch" policy bit (0x08) in
/// PUT DATA 04, re-MACed with the same challenge: the demo profiles have no field for it.
class TouchPolicyChannel final : public ApduChannel
{
public:
    TouchPolicyChannel(ApduChannel& inner, SecureBytes transportKey)
        : m_inner(inner)
        , m_kt(std::move(transportKey))
    { }
    Result<ResponseApdu> transmit(const CommandApdu& c) override
    {
        if (c.cla() == 0x84 && c.ins() == 0xDA && c.p2() == 0x04 && !c.data().isEmpty()) {
            QByteArray value(1, static_cast<char>(static_cast<std::uint8_t>(c.data()[0]) | 0x08));
            auto re = SecureMessaging::withMac(0x84, 0xDA, 0x00, 0x04, value, m_kt, m_challenge);
            if (!re) {
                return re.error();
            }
            return m_inner.transmit(*re);
        }
        auto r = m_inner.transmit(c);
        if (r && c.ins() == 0x84) {
            m_challenge = r->data();
        }
        return r;
    }
    QString description() const override { return m_inner.description(); }

private:
    ApduChannel& m_inner;
    SecureBytes m_kt;
    QByteArray m_challenge;
};

/// Passes APDUs through; right before the first command with INS `ins` it arms a power cut on the simulator, so the
/// cut lands inside that command (the N-th NVM write it makes).
class CutBeforeChannel final : public ApduChannel
{
public:
    CutBeforeChannel(ApduChannel& inner, quint16 controlPort, std::uint8_t ins, QString cutCommand)
        : m_inner(inner)
        , m_control(controlPort)
        , m_ins(ins)
        , m_cut(std::move(cutCommand))
    { }
    Result<ResponseApdu> transmit(const CommandApdu& c) override
    {
        if (!m_armed && c.ins() == m_ins) {
            m_armed = true;
            if (auto r = m_control.send(m_cut); !r) {
                return r.error();
            }
        }
        auto r = m_inner.transmit(c);
        if (c.ins() == 0x5A && r && r->sw() == 0x9000) {
            ++proves; // GET TRANSACTION PROVE that returned the proof (the recovery also asks when nothing was paid)
        }
        return r;
    }
    QString description() const override { return m_inner.description(); }
    bool armed() const { return m_armed; }
    int proves = 0; ///< GET TRANSACTION PROVE answered 9000

private:
    ApduChannel& m_inner;
    SimulatorControl m_control;
    std::uint8_t m_ins;
    QString m_cut;
    bool m_armed = false;
};

/// A terminal around one skey-sim child process.
struct SimRig
{
    QTemporaryDir dir;
    std::unique_ptr<EmbeddedSimulator> sim;
    std::unique_ptr<HidApduChannel> channel;
    FixedClock clock{QDateTime(QDate(2026, 3, 14), QTime(10, 30, 0))};
    std::unique_ptr<LocalIssuerHost> issuer;
    std::unique_ptr<LocalPsam> psam;
    std::unique_ptr<PurseService> purse;
    QByteArray asn;

    QString start(const QString& profile = {}, int replyTimeoutMs = 1500)
    {
        SimulatorOptions o;
        o.dataDirectory = dir.path();
        o.profilePath = profile;
        o.touchMode = QStringLiteral("manual");
        o.seed = 42;
        sim = std::make_unique<EmbeddedSimulator>(o);
        if (auto s = sim->start(); !s) {
            return s.error().detail;
        }
        HidChannelOptions co;
        co.replyTimeoutMs = replyTimeoutMs;
        channel = sim->makeChannel(co);
        return {};
    }
    QString control(const QString& command)
    {
        auto r = sim->control().send(command);
        return r ? QString() : r.error().detail;
    }
    QString status()
    {
        auto r = sim->control().send(QStringLiteral("status"));
        return r ? r.value() : QString();
    }
    QString openPurse()
    {
        const auto keys = KeyStore::demoKeys();
        auto i = LocalIssuerHost::open(dir.filePath(QStringLiteral("issuer.sqlite")), keys);
        if (!i) {
            return i.error().detail;
        }
        issuer = std::move(*i);
        auto p = LocalPsam::open(
            dir.filePath(QStringLiteral("psam.sqlite")), QByteArray::fromHex("112233445566"), keys.mpk);
        if (!p) {
            return p.error().detail;
        }
        psam = std::move(*p);
        purse = std::make_unique<PurseService>(*channel, *issuer, *psam, clock);
        auto o = purse->open();
        if (!o) {
            return errText(o.error());
        }
        asn = purse->card().application.asn();
        auto reg = issuer->registerCard(asn, Amount(10000000), Amount(0));
        return reg ? QString() : reg.error().detail;
    }
    /// Personalises the blank simulator over HID with the touch policy on.
    QString issueWithTouch()
    {
        auto profile = IssuanceProfile::fromFile(profilePath("demo-3des.json"));
        if (!profile) {
            return profile.error().detail;
        }
        TouchPolicyChannel wrapped(*channel, profile->transportKey);
        auto r = Personaliser(wrapped).personalise(*profile);
        return r ? QString() : errText(r.error());
    }
};

/// Runs `action` on a helper thread once the simulator reports a pending touch; returns that thread.
std::thread whenTouchPending(quint16 controlPort, std::function<void()> action, std::atomic<bool>& sawPending)
{
    return std::thread([controlPort, action = std::move(action), &sawPending] {
        SimulatorControl control(controlPort);
        for (int i = 0; i < 300; ++i) {
            auto s = control.send(QStringLiteral("status"));
            if (s && s.value().contains(QStringLiteral("touch=pending"))) {
                sawPending = true;
                std::this_thread::sleep_for(std::chrono::milliseconds(300)); // let a few KEEPALIVEs go out
                action();
                return;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
    });
}

} // namespace

class TestSimulatorIntegration : public QObject
{
    Q_OBJECT
    int m_debitProved = 0; ///< powerCutMidDebit rows recovered by GET TRANSACTION PROVE
    int m_debitRerun = 0; ///< rows where the unpaid DEBIT was run again

private slots:
    void transportBasics()
    {
        SimRig rig;
        QCOMPARE(rig.start(profilePath("demo-3des.json")), QString());
        auto hello = rig.channel->connect();
        QVERIFY(hello);
        QCOMPARE(hello->protocolVersion, std::uint8_t(2));
        QCOMPARE(hello->capabilities, std::uint8_t(0x07)); // WINK | LOCK | bounded APDUs
        QCOMPARE(hello->maxApdu, std::size_t(261));

        auto info = rig.channel->transmit(CommandApdu(0x80, 0xCA, 0x00, 0x01, {}, 0));
        QVERIFY(info);
        QCOMPARE(info->sw(), std::uint16_t(0x9000));
        // The serial is the simulator's own (random for a new key, issue 9 item 18), as its READY line said.
        QCOMPARE(info->data().mid(0, 10), QByteArray::fromHex("C108" + rig.sim->serialHex().toLatin1()));

        auto select = rig.channel->transmit(
            CommandApdu(0x00, 0xA4, 0x04, 0x00, QByteArray::fromHex("D15600000145442F4550"), 0));
        QVERIFY(select);
        QCOMPARE(select->sw(), std::uint16_t(0x9000));
        QCOMPARE(select->data().at(0), char(0x6F)); // FCI

        QByteArray big(261, Qt::Uninitialized); // the token's one message buffer
        for (int i = 0; i < big.size(); ++i) {
            big[i] = static_cast<char>(i * 31);
        }
        auto echo = rig.channel->ping(big);
        QVERIFY(echo);
        QCOMPARE(echo.value(), big);

        // A large extended APDU (case 3, 6000 data bytes): the channel chains it; the purse refuses the first link
        // (CLA 90: 6E00), which ends the chain and is the answer.
        QByteArray ext = QByteArray::fromHex("80EE000000");
        ext.append(static_cast<char>(6000 >> 8)).append(static_cast<char>(6000 & 0xFF)).append(QByteArray(6000, 'A'));
        auto extAnswer = rig.channel->transmitRaw(ext);
        QVERIFY(extAnswer);
        QCOMPARE(extAnswer->size(), 2);
        QVERIFY(rig.channel->transmitRaw(kGetData)); // and the channel is fine afterwards

        // Reports per purse APDU: one each way.
        const auto sent = rig.channel->reportsSent();
        const auto received = rig.channel->reportsReceived();
        QVERIFY(rig.channel->transmitRaw(QByteArray::fromHex("805C000204"))); // GET BALANCE
        QCOMPARE(rig.channel->reportsSent() - sent, 1u);
        QCOMPARE(rig.channel->reportsReceived() - received, 1u);
        QVERIFY(rig.channel->wink());
    }

    void stateSurvivesRestart()
    {
        SimRig rig;
        QCOMPARE(rig.start(profilePath("demo-3des.json")), QString());
        QCOMPARE(rig.openPurse(), QString());
        const Pin pin = *Pin::fromDigits("123456");
        auto load = rig.purse->load(Amount(2500), &pin);
        VERIFY_OK(load);
        rig.purse.reset();
        rig.channel.reset();
        rig.sim->stop();
        // Same NVM file, profile given again: not re-applied, balance kept.
        QCOMPARE(rig.start(profilePath("demo-3des.json")), QString());
        rig.purse = std::make_unique<PurseService>(*rig.channel, *rig.issuer, *rig.psam, rig.clock);
        QVERIFY(rig.purse->open());
        auto balance = rig.purse->balance();
        QVERIFY(balance);
        QCOMPARE(balance->fen(), 2500u);
    }

    void powerCutMidCommandAndRecovery()
    {
        SimRig rig;
        QCOMPARE(rig.start(profilePath("demo-3des.json"), 1500), QString());
        QVERIFY(rig.channel->transmitRaw(kSelectPurse));
        // VERIFY PIN writes the try counter first: cut power at that write.
        QCOMPARE(rig.control(QStringLiteral("power-cut-at 1 partial")), QString());
        auto lost = rig.channel->transmitRaw(QByteArray::fromHex("0020000003123456"));
        QVERIFY(!lost);
        QCOMPARE(lost.error().code, ErrorCode::Timeout);
        QVERIFY(rig.status().contains(QStringLiteral("powered=0")));
        auto silent = rig.channel->transmitRaw(kGetData); // still off: a clear error, no hang
        QVERIFY(!silent);
        QCOMPARE(rig.control(QStringLiteral("replug")), QString());
        auto back = rig.channel->transmitRaw(kGetData);
        VERIFY_OK(back);
        QCOMPARE(back->right(2), QByteArray::fromHex("9000"));
        // The token is consistent: the cut tore the try-counter write, so the journal kept the old value: VERIFY
        // without data (spec §3, spends no try) reports all 3 tries; no free try was gained either.
        QVERIFY(rig.channel->transmitRaw(kSelectPurse));
        const QByteArray kVerifyState = QByteArray::fromHex("00200000");
        auto tries = rig.channel->transmitRaw(kVerifyState);
        VERIFY_OK(tries);
        QCOMPARE(tries->toHex().toUpper(), QByteArray("63C3"));
        // The right PIN still verifies, and the state says so; after a reselect the tries are all there again.
        auto verify = rig.channel->transmitRaw(QByteArray::fromHex("0020000003123456"));
        VERIFY_OK(verify);
        QCOMPARE(verify->toHex().toUpper(), QByteArray("9000"));
        auto state = rig.channel->transmitRaw(kVerifyState);
        VERIFY_OK(state);
        QCOMPARE(state->toHex().toUpper(), QByteArray("9000"));
        QVERIFY(rig.channel->transmitRaw(kSelectPurse));
        auto after = rig.channel->transmitRaw(kVerifyState);
        VERIFY_OK(after);
        QCOMPARE(after->toHex().toUpper(), QByteArray("63C3"));
    }

    void powerCutMidDebit_data()
    {
        QTest::addColumn<int>("write");
        QTest::addColumn<QString>("model");
        // DEBIT writes at least twice (spec §4 Decision 2026-12): first the MAC try, before MAC1 is compared (a cut
        // there never pays: the DEBIT is re-run), then the transaction in one journal append, possibly after a new
        // page header or garbage collection. A cut before or inside the transaction's append leaves it unpaid (the
        // DEBIT is re-run); a cut right after it ("full") leaves it paid with the answer lost: GET TRANSACTION PROVE.
        // Which write is the append depends on the journal's layout (the third from 2026-12, when a new page's
        // header started to go out with its first entry; the second since personalisation ends by compacting the
        // pages that held the transport key), so each of the first three writes is cut under each model, a cut that
        // never fired counts as one beyond the DEBIT, and powerCutMidDebitCoveredBothOutcomes() checks that both
        // outcomes were reached.
        for (int w = 1; w <= 3; ++w) {
            for (const char* m : {"nothing", "partial", "full"}) {
                QTest::newRow(qPrintable(QStringLiteral("write %1 %2").arg(w).arg(QLatin1String(m)))) << w << m;
            }
        }
        QTest::newRow("write 20 (beyond the DEBIT)") << 20 << "nothing";
    }
    void powerCutMidDebit()
    {
        QFETCH(int, write);
        QFETCH(QString, model);
        SimRig rig;
        QCOMPARE(rig.start(profilePath("demo-3des.json"), 1500), QString());
        QCOMPARE(rig.openPurse(), QString());
        const Pin pin = *Pin::fromDigits("123456");
        auto load = rig.purse->load(Amount(5000), &pin);
        VERIFY_OK(load);
        rig.clock.advanceSeconds(60);

        CutBeforeChannel cutting(
            *rig.channel, rig.sim->controlPort(), 0x54, QStringLiteral("power-cut-at %1 %2").arg(write).arg(model));
        PurseService purse(cutting, *rig.issuer, *rig.psam, rig.clock);
        QVERIFY(purse.open());
        // Power comes back 300 ms after the cut (the user replugs); the service recovers meanwhile.
        std::atomic<bool> done{false};
        const quint16 port = rig.sim->controlPort();
        std::atomic<bool> cutFired{false};
        std::thread replugger([port, &done, &cutFired] {
            SimulatorControl control(port);
            while (!done) {
                auto s = control.send(QStringLiteral("status"));
                if (s && s.value().contains(QStringLiteral("powered=0"))) {
                    cutFired = true;
                    std::this_thread::sleep_for(std::chrono::milliseconds(300));
                    (void)control.send(QStringLiteral("replug"));
                    return;
                }
                std::this_thread::sleep_for(std::chrono::milliseconds(20));
            }
        });
        auto buy = purse.purchase(Amount(1234), &pin);
        done = true;
        replugger.join();
        (void)rig.control(QStringLiteral("replug")); // in case the cut never fired (write beyond the command)
        VERIFY_OK(buy);
        QCOMPARE(buy->balanceAfter.fen(), 5000u - 1234u);
        QCOMPARE(buy->tac.size(), 4);

        // Exactly once: the key's balance and history agree.
        QVERIFY(cutting.armed());
        QVERIFY(rig.purse->open());
        auto balance = rig.purse->balance();
        QVERIFY(balance);
        QCOMPARE(balance->fen(), 5000u - 1234u);
        auto history = rig.purse->history();
        QVERIFY(history);
        int purchases = 0;
        for (const auto& r : *history) {
            purchases += r.type == TransactionType::Purchase ? 1 : 0;
        }
        QCOMPARE(purchases, 1);
        // Paid before the cut ("full" at the transaction's write): the proof comes from GET TRANSACTION PROVE, once.
        // Not paid: the DEBIT is re-run. Beyond the DEBIT: nothing to recover.
        QVERIFY(cutting.proves <= 1);
        // The MAC try and the transaction are two writes at least, so cuts at writes 1 and 2 always land inside the
        // DEBIT; whether write 3 does depends on the journal's layout (a page header or a collection with the append).
        if (write <= 2) {
            QVERIFY2(cutFired, "a cut at the DEBIT's first two NVM writes did not fire");
        }
        if (write == 20 || !cutFired) {
            QVERIFY(!buy->recovered);
            QCOMPARE(cutting.proves, 0);
        } else {
            QVERIFY(buy->recovered);
        }
        m_debitProved += cutting.proves == 1 ? 1 : 0;
        m_debitRerun += buy->recovered && cutting.proves == 0 ? 1 : 0;
        // A cut at the MAC try never pays: the proof can only come from a later write.
        if (write == 1) {
            QCOMPARE(cutting.proves, 0);
        }
    }
    void powerCutMidDebitCoveredBothOutcomes()
    {
        // The rows above reached both recoveries: a paid DEBIT whose answer was lost, and an unpaid one re-run.
        QVERIFY(m_debitProved >= 1);
        QVERIFY(m_debitRerun >= 1);
    }

    void touchKeepAliveAcceptRefuseCancel_data()
    {
        QTest::addColumn<QString>("answer");
        QTest::addColumn<int>("expected"); // ErrorCode, None = success
        QTest::newRow("accept") << "accept" << int(ErrorCode::None);
        // Refused on the key: told by its meaning (issue 9 item 20), not as a generic 6985.
        QTest::newRow("refuse") << "refuse" << int(ErrorCode::TouchRefused);
        QTest::newRow("cancel") << "cancel" << int(ErrorCode::Cancelled);
        // Unplugged and replugged while waiting: the DEBIT is abandoned, the service recovers and pays once.
        QTest::newRow("replug while waiting") << "replug" << int(ErrorCode::None);
    }
    void touchKeepAliveAcceptRefuseCancel()
    {
        QFETCH(QString, answer);
        QFETCH(int, expected);
        SimRig rig;
        QCOMPARE(rig.start(), QString());
        QCOMPARE(rig.issueWithTouch(), QString());
        QCOMPARE(rig.openPurse(), QString());
        const Pin pin = *Pin::fromDigits("123456");
        QVERIFY(rig.purse->load(Amount(5000), &pin));
        std::atomic<int> keepAlives{0};
        rig.channel->setKeepAliveHandler([&](skey::wire::KeepAliveStatus s) {
            if (s == skey::wire::KeepAliveStatus::UserPresenceNeeded) {
                ++keepAlives;
            }
        });
        std::atomic<bool> sawPending{false};
        HidApduChannel* channel = rig.channel.get();
        const quint16 port = rig.sim->controlPort();
        auto helper = whenTouchPending(
            port,
            [&] {
                if (answer == QLatin1String("cancel")) {
                    channel->cancel();
                } else if (answer == QLatin1String("replug")) {
                    SimulatorControl control(port);
                    (void)control.send(QStringLiteral("touch-mode accept")); // the repeated DEBIT needs no hand
                    (void)control.send(QStringLiteral("unplug"));
                    (void)control.send(QStringLiteral("replug"));
                } else {
                    (void)SimulatorControl(port).send(QStringLiteral("touch ") + answer);
                }
            },
            sawPending);
        auto buy = rig.purse->purchase(Amount(100), &pin);
        helper.join();
        QVERIFY(sawPending);
        QVERIFY2(keepAlives >= 2, qPrintable(QString::number(keepAlives)));
        if (expected == int(ErrorCode::None)) {
            VERIFY_OK(buy);
            QCOMPARE(buy->recovered, answer == QLatin1String("replug"));
            QVERIFY(rig.purse->open());
            QCOMPARE(rig.purse->balance()->fen(), 4900u);
        } else {
            QVERIFY(!buy);
            QCOMPARE(int(buy.error().code), expected);
            QCOMPARE(rig.purse->balance()->fen(), 5000u); // nothing paid
        }
    }

    /// Issue 14: a PIV key generated with touch policy "always" (GENERATE tag AB 02) waits for the touch on every
    /// signature through the purse's HID flow: KEEPALIVE "user presence needed" while waiting, the control port's
    /// touch accept / refuse, the host's CANCEL.
    void pivSignatureWaitsForTouch_data()
    {
        QTest::addColumn<QString>("answer");
        QTest::addColumn<int>("sw");
        QTest::newRow("accept") << "accept" << 0x9000;
        QTest::newRow("refuse") << "refuse" << 0x6985;
        QTest::newRow("cancel") << "cancel" << 0x6F00;
    }
    void pivSignatureWaitsForTouch()
    {
        QFETCH(QString, answer);
        QFETCH(int, sw);
        SimRig rig;
        QCOMPARE(rig.start(), QString());
        piv::PivClient c(*rig.channel);
        VERIFY_OK(c.select());
        VERIFY_OK(c.authenticate(toSecure(QByteArray::fromHex("010203040506070801020304050607080102030405060708"))));
        // 9E (PIN policy never): only the touch guards it.
        auto gen = c.transmit(CommandApdu(0x00, 0x47, 0x00, 0x9E, QByteArray::fromHex("AC06800111AB0102"), 256));
        VERIFY_OK(gen);
        QCOMPARE(int(gen->sw()), 0x9000);
        std::atomic<int> keepAlives{0};
        rig.channel->setKeepAliveHandler([&](skey::wire::KeepAliveStatus s) {
            if (s == skey::wire::KeepAliveStatus::UserPresenceNeeded) {
                ++keepAlives;
            }
        });
        std::atomic<bool> sawPending{false};
        HidApduChannel* channel = rig.channel.get();
        const quint16 port = rig.sim->controlPort();
        auto helper = whenTouchPending(
            port,
            [&] {
                if (answer == QLatin1String("cancel")) {
                    channel->cancel();
                } else {
                    (void)SimulatorControl(port).send(QStringLiteral("touch ") + answer);
                }
            },
            sawPending);
        const QByteArray digest = QCryptographicHash::hash("order 1001", QCryptographicHash::Sha256);
        auto signature = c.signRaw(0x9E, 0x11, digest);
        helper.join();
        QVERIFY(sawPending);
        QVERIFY2(keepAlives >= 2, qPrintable(QString::number(keepAlives)));
        if (sw == 0x6F00) {
            // The channel's CANCEL ends the exchange as an error carrying the key's 6F00 (as for the purse's DEBIT).
            QVERIFY(!signature);
            QCOMPARE(int(signature.error().statusWord), 0x6F00);
        } else {
            VERIFY_OK(signature);
            QCOMPARE(int(signature->sw()), sw);
        }
        if (sw == 0x9000) {
            QVERIFY(signature->data().size() >= 8);
        }
        // The key still answers afterwards, and a key without the touch policy signs with no touch at all.
        auto plain = c.transmit(CommandApdu(0x00, 0x47, 0x00, 0x9E, QByteArray::fromHex("AC03800111"), 256));
        VERIFY_OK(plain);
        QCOMPARE(int(plain->sw()), 0x9000);
        auto untouched = c.signRaw(0x9E, 0x11, digest);
        VERIFY_OK(untouched);
        QCOMPARE(int(untouched->sw()), 0x9000);
    }

    void badInputOnTheWire()
    {
        SimRig rig;
        QCOMPARE(rig.start(profilePath("demo-3des.json")), QString());
        QVERIFY(rig.channel->transmitRaw(kSelectPurse));
        const QString before = rig.status();

        // A raw UDP client sends garbage, truncated and oversized datagrams, a bad SEQ, a huge BCNT, and starts a
        // message it never finishes.
        const int fd = ::socket(AF_INET, SOCK_DGRAM, 0);
        sockaddr_in to{};
        to.sin_family = AF_INET;
        to.sin_port = htons(rig.sim->hidPort());
        to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        auto sendRaw = [&](const QByteArray& b) {
            ::sendto(fd, b.constData(), static_cast<size_t>(b.size()), 0, reinterpret_cast<sockaddr*>(&to), sizeof to);
        };
        sendRaw(QByteArray(64, '\xA5'));
        sendRaw(QByteArray(10, '\x01')); // truncated report
        sendRaw(QByteArray(200, '\x02')); // oversized datagram
        sendRaw(QByteArray()); // empty
        sendRaw(QByteArray::fromHex("FFFFFFFF86FFFF") + QByteArray(57, 0)); // INIT with BCNT 65535
        sendRaw(QByteArray::fromHex("1234567801") + QByteArray(59, 0)); // continuation on an unknown CID
        // Half a message from another program on a fresh channel: the key is busy for up to 500 ms.
        HidApduChannel other(std::make_unique<UdpTransport>(rig.sim->hidPort()));
        QVERIFY(other.connect());
        const auto frames = HidFraming::fragment(other.hello().cid, skey::wire::Cmd::Ping, QByteArray(300, 'p'));
        sendRaw(QByteArray(reinterpret_cast<const char*>(frames[0].data()), 64));

        // Our channel waits out the busy key (ChannelBusy retries) and works.
        auto r = rig.channel->transmitRaw(kGetData);
        VERIFY_OK(r);
        QCOMPARE(r->right(2), QByteArray::fromHex("9000"));
        ::close(fd);

        // Token state untouched: no NVM write happened, the selected application is still there.
        const QString after = rig.status();
        auto nvm = [](const QString& s) {
            return s.section(QStringLiteral("nvm-programs="), 1).section(QLatin1Char(' '), 0, 0);
        };
        QCOMPARE(nvm(after), nvm(before));
        QVERIFY(rig.channel->transmitRaw(QByteArray::fromHex("805C000204")));
    }

    void simulatorGoneIsAClearError()
    {
        SimRig rig;
        QCOMPARE(rig.start({}, 300), QString());
        QVERIFY(rig.channel->transmitRaw(kGetData));
        rig.sim->stop();
        auto r = rig.channel->transmitRaw(kGetData);
        QVERIFY(!r);
        QVERIFY2(r.error().code == ErrorCode::NoDevice || r.error().code == ErrorCode::Timeout,
            qPrintable(errText(r.error())));
    }
};

QTEST_GUILESS_MAIN(TestSimulatorIntegration)
#include "TestSimulatorIntegration.moc"
