// SPDX-License-Identifier: Apache-2.0
// The simulator as a card in a PC/SC reader: a private pcscd with vsmartcard vpcd, skey-sim --pcsc, and standard
// clients (opensc-tool) plus the core's purse flows over libpcsclite. Label pcsc. Without pcscd/vpcd/opensc (or with
// a system pcscd holding the socket) it exits 77 = Skipped in ctest; under SKEY_REQUIRE_ALL=1 (CI) that fails.
#include "PcscChannel.h"
#include "PcscRig.h"
#include "support/Skip.h"

#include "core/issuer/LocalIssuerHost.h"
#include "core/keystore/KeyStore.h"
#include "core/psam/LocalPsam.h"
#include "core/purse/PurseService.h"

#include <QProcess>
#include <QRegularExpression>
#include <QStandardPaths>
#include <QTest>

using namespace wallet;
using namespace wallet::core;

namespace {

QString profilePath()
{
    return qEnvironmentVariable("SKEY_SOURCE_DIR") + QStringLiteral("/resources/profiles/demo-3des.json");
}

/// Runs opensc-tool; returns stdout (stderr appended on failure).
QString openscTool(const QStringList& args, int* exitCode = nullptr)
{
    QProcess p;
    // The "default" card driver: since the key also answers the PIV AID, OpenSC would bind its PIV driver, which
    // selects PIV again each time it takes the card lock, i.e. between our purse APDUs (they would then reach PIV).
    p.start(QStringLiteral("opensc-tool"), QStringList{QStringLiteral("-c"), QStringLiteral("default")} + args);
    if (!p.waitForFinished(20000)) {
        p.kill();
        p.waitForFinished();
        return QStringLiteral("<opensc-tool hung>");
    }
    if (exitCode) {
        *exitCode = p.exitCode();
    }
    return QString::fromLocal8Bit(p.readAllStandardOutput() + p.readAllStandardError());
}

/// The "Received (SW1=0x.., SW2=0x..)" answers of `opensc-tool -s ...`, each as data ‖ SW (hex, upper case).
QStringList answers(const QString& output)
{
    QStringList out;
    const QStringList lines = output.split(QLatin1Char('\n'));
    for (int i = 0; i < lines.size(); ++i) {
        static const QRegularExpression sw(
            QStringLiteral("Received \\(SW1=0x([0-9A-Fa-f]{2}), SW2=0x([0-9A-Fa-f]{2})\\)"));
        const auto m = sw.match(lines[i]);
        if (!m.hasMatch()) {
            continue;
        }
        QString data;
        for (int j = i + 1; j < lines.size() && !lines[j].startsWith(QLatin1String("Sending")) && !lines[j].isEmpty();
             ++j) {
            static const QRegularExpression hexPart(QStringLiteral("^((?:[0-9A-Fa-f]{2} ){1,16})"));
            data += hexPart.match(lines[j]).captured(1).remove(QLatin1Char(' ')); // hex columns, not the ASCII
        }
        out << (data + m.captured(1) + m.captured(2)).toUpper();
    }
    return out;
}

const QString kSelect = QStringLiteral("00 A4 04 00 0A D1 56 00 00 01 45 44 2F 45 50 00");
const QString kBalance = QStringLiteral("80 5C 00 02 04");

} // namespace

class TestPcsc : public QObject
{
    Q_OBJECT
private slots:
    void openscToolSeesTheToken()
    {
        PcscRig rig;
        const QString err = rig.start(profilePath());
        if (!rig.skipReason.isEmpty()) {
            SKEY_SKIP(rig.skipReason);
        }
        QVERIFY2(err.isEmpty(), qPrintable(err));
        if (QStandardPaths::findExecutable(QStringLiteral("opensc-tool")).isEmpty()) {
            SKEY_SKIP(QStringLiteral("opensc-tool is not installed (scripts/setup-deps.sh installs opensc)"));
        }
        const QString list = openscTool({QStringLiteral("-l")});
        QVERIFY2(list.contains(QStringLiteral("Virtual PCD 00 00")), qPrintable(list));
        const QString atr
            = openscTool({QStringLiteral("-r"), QStringLiteral("Virtual PCD 00 00"), QStringLiteral("-a")});
        QVERIFY2(atr.contains(QStringLiteral("3b:8a:80:01:53:6d:61:72:74:4b:65:79:45:50:10")), qPrintable(atr));

        int code = -1;
        const QString out = openscTool({QStringLiteral("-r"),
                                           QStringLiteral("Virtual PCD 00 00"),
                                           QStringLiteral("-s"),
                                           kSelect,
                                           QStringLiteral("-s"),
                                           kBalance,
                                           QStringLiteral("-s"),
                                           QStringLiteral("80 CA 00 01 00")},
            &code);
        QCOMPARE(code, 0);
        const QStringList a = answers(out);
        QCOMPARE(a.size(), 3);
        QVERIFY2(a[0].startsWith(QStringLiteral("6F")) && a[0].endsWith(QStringLiteral("9000")), qPrintable(out));
        QCOMPARE(a[1], QStringLiteral("000000009000")); // a fresh purse is empty
        QVERIFY(a[2].startsWith(QStringLiteral("C108") + rig.sim->serialHex()));
        QVERIFY(rig.sim->control().send(QStringLiteral("status")).value().contains(QStringLiteral("pcsc-apdus=")));
    }

    void purchaseOverPcsc()
    {
        PcscRig rig;
        const QString err = rig.start(profilePath());
        if (!rig.skipReason.isEmpty()) {
            SKEY_SKIP(rig.skipReason);
        }
        QVERIFY2(err.isEmpty(), qPrintable(err));
        const auto keys = KeyStore::demoKeys();
        auto issuer = LocalIssuerHost::open(rig.dir.filePath(QStringLiteral("issuer.sqlite")), keys);
        auto psam = LocalPsam::open(
            rig.dir.filePath(QStringLiteral("psam.sqlite")), QByteArray::fromHex("112233445566"), keys.mpk);
        QVERIFY(issuer && psam);
        FixedClock clock(QDateTime(QDate(2026, 3, 14), QTime(10, 30, 0)));
        const Pin pin = *Pin::fromDigits("123456");
        {
            // Load over HID (the wallet), ...
            auto hid = rig.sim->makeChannel();
            PurseService purse(*hid, **issuer, **psam, clock);
            QVERIFY(purse.open());
            QVERIFY((*issuer)->registerCard(purse.card().application.asn(), Amount(10000000), Amount(0)));
            QVERIFY(purse.load(Amount(5000), &pin));
        }
        {
            // ... pay over PC/SC (a shop terminal with a contact reader).
            PcscChannel pcsc;
            const QString o = pcsc.open("Virtual PCD 00 00");
            QVERIFY2(o.isEmpty(), qPrintable(o));
            PurseService purse(pcsc, **issuer, **psam, clock);
            QVERIFY(purse.open());
            clock.advanceSeconds(60);
            auto buy = purse.purchase(Amount(1234), &pin);
            QVERIFY2(buy, qPrintable(buy ? QString() : buy.error().detail));
            QCOMPARE(buy->balanceAfter.fen(), 3766u);
            QVERIFY(!buy->recovered);
        }
        // And a standard client reads the new balance: 3766 fen = 0x00000EB6.
        if (QStandardPaths::findExecutable(QStringLiteral("opensc-tool")).isEmpty()) {
            SKEY_SKIP(QStringLiteral("opensc-tool is not installed (scripts/setup-deps.sh installs opensc)"));
        }
        const QStringList a = answers(openscTool({QStringLiteral("-r"),
            QStringLiteral("Virtual PCD 00 00"),
            QStringLiteral("-s"),
            kSelect,
            QStringLiteral("-s"),
            kBalance}));
        QCOMPARE(a.size(), 2);
        QCOMPARE(a[1], QStringLiteral("00000EB69000"));
    }
};

SKEY_TEST_MAIN(TestPcsc)
#include "TestPcsc.moc"
