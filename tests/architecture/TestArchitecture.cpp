// SPDX-License-Identifier: Apache-2.0
// Keeps the layer picture of docs (CONTRIBUTING.md, "Layers") true: scans every #include and QML import against the
// rules, and the firmware sources for what embedded discipline forbids.
#include <QDirIterator>
#include <QFile>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QTest>

namespace {

struct Rule
{
    const char* name;
    QString root; ///< folder, relative to the repository
    QStringList exceptUnder; ///< sub-folders the rule does not cover
    QRegularExpression forbidden; ///< matched against the included path, or the whole line
    bool wholeLine = false;
};

QString sourceDir()
{
    return qEnvironmentVariable("SKEY_SOURCE_DIR", QStringLiteral(SKEY_SOURCE_DIR_FALLBACK));
}

QStringList violations(const Rule& rule)
{
    static const QRegularExpression include(QStringLiteral("^\\s*#\\s*include\\s*[<\"]([^>\"]+)[>\"]"));
    QStringList found;
    const QString root = sourceDir() + QLatin1Char('/') + rule.root;
    QDirIterator it(root,
        {QStringLiteral("*.h"), QStringLiteral("*.cpp"), QStringLiteral("*.c"), QStringLiteral("*.qml")},
        QDir::Files,
        QDirIterator::Subdirectories);
    while (it.hasNext()) {
        const QString path = it.next();
        const QString rel = path.mid(sourceDir().size() + 1);
        bool skipped = false;
        for (const QString& ex : rule.exceptUnder) {
            skipped = skipped || rel.startsWith(ex);
        }
        if (skipped) {
            continue;
        }
        QFile f(path);
        if (!f.open(QIODevice::ReadOnly)) {
            found << rel + QStringLiteral(": unreadable");
            continue;
        }
        int lineNo = 0;
        while (!f.atEnd()) {
            const QString line = QString::fromUtf8(f.readLine());
            ++lineNo;
            // Include rules look at the included path; whole-line rules (wholeLine) at every line.
            const auto m = include.match(line);
            const bool hit = rule.wholeLine ? rule.forbidden.match(line).hasMatch()
                                            : m.hasMatch() && rule.forbidden.match(m.captured(1)).hasMatch();
            if (hit) {
                found << QStringLiteral("%1:%2: %3").arg(rel).arg(lineNo).arg(line.trimmed());
            }
        }
    }
    return found;
}

} // namespace

class TestArchitecture : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void layerRules_data()
    {
        QTest::addColumn<QString>("root");
        QTest::addColumn<QStringList>("exceptUnder");
        QTest::addColumn<QString>("forbidden");
        QTest::addColumn<bool>("wholeLine");

        // firmware/: nothing outside firmware/ (the host platform may use Botan behind the crypto HAL). The simulator
        // only holds a token: issuing it from a profile is the terminal's job (issue 11, "Shape"), so no core/ either.
        QTest::newRow("firmware includes nothing outside firmware")
            << QStringLiteral("firmware") << QStringList{QStringLiteral("firmware/platform/host")}
            << QStringLiteral(R"(^(Q[A-Za-z]+|Qt[A-Za-z]+/.*|botan/.*|hidapi.*|core/.*|device/.*|app/.*|qml/.*)$)")
            << false;
        QTest::newRow("firmware host platform and simulator: no core, device or app")
            << QStringLiteral("firmware/platform/host") << QStringList{}
            << QStringLiteral(R"(^(hidapi.*|core/.*|device/.*|app/.*|qml/.*)$)") << false;
        QTest::newRow("firmware host platform: no Qt, hidapi, device, app")
            << QStringLiteral("firmware/platform/host") << QStringList{QStringLiteral("firmware/platform/host/sim")}
            << QStringLiteral(R"(^(Q[A-Za-z]+|Qt[A-Za-z]+/.*|hidapi.*|core/.*|device/.*|app/.*|qml/.*)$)") << false;
        // Embedded discipline: the token's own code uses no allocating or exception-based standard headers.
        QTest::newRow("firmware: no heap or iostreams on the token")
            << QStringLiteral("firmware") << QStringList{QStringLiteral("firmware/platform/host")}
            << QStringLiteral(
                   R"(^(vector|string|memory|map|unordered_map|list|deque|functional|iostream|sstream|fstream|stdexcept|thread|mutex|regex)$)")
            << false;
        QTest::newRow("core: Qt Core/Sql/Network and Botan only")
            << QStringLiteral("core") << QStringList{}
            << QStringLiteral(
                   R"(^(QtGui/.*|QtQml/.*|QtQuick/.*|QGuiApplication|QQml.*|QQuick.*|QWidget.*|hidapi.*|PCSC/.*|winscard.*|device/.*|app/.*|qml/.*|skey/.*|hal/.*)$)")
            << false;
        QTest::newRow("device: no GUI, no app")
            << QStringLiteral("device") << QStringList{}
            << QStringLiteral(
                   R"(^(QtGui/.*|QtQml/.*|QtQuick/.*|QGuiApplication|QQml.*|QQuick.*|QWidget.*|app/.*|qml/.*)$)")
            << false;
        // The bank host may use core's codecs and crypto facade; nothing on the terminal side includes bank/ (the
        // wire between them is docs/bank-api.yaml), and the bank has no GUI, device or firmware code.
        QTest::newRow("bank: core only, no GUI, device, app or firmware")
            << QStringLiteral("bank") << QStringList{}
            << QStringLiteral(
                   R"(^(QtGui/.*|QtQml/.*|QtQuick/.*|QGuiApplication|QQml.*|QQuick.*|QWidget.*|hidapi.*|device/.*|app/.*|qml/.*|skey/.*|hal/.*|firmware/.*)$)")
            << false;
        for (const char* terminal : {"core", "device", "app", "firmware"}) {
            QTest::newRow(qPrintable(QStringLiteral("%1 does not include bank/").arg(QLatin1String(terminal))))
                << QString::fromLatin1(terminal) << QStringList{} << QStringLiteral(R"(^bank/.*$)") << false;
        }
        QTest::newRow("app: no context properties, no imperative registration")
            << QStringLiteral("app") << QStringList{} << QStringLiteral(R"(setContextProperty|qmlRegister)") << true;
    }

    void layerRules()
    {
        QFETCH(QString, root);
        QFETCH(QStringList, exceptUnder);
        QFETCH(QString, forbidden);
        QFETCH(bool, wholeLine);
        QVERIFY2(
            QDir(sourceDir() + QLatin1Char('/') + root).exists(), qPrintable(root + QStringLiteral(" is missing")));
        const Rule rule{"", root, exceptUnder, QRegularExpression(forbidden), wholeLine};
        const QStringList bad = violations(rule);
        QVERIFY2(bad.isEmpty(), qPrintable(bad.join(QLatin1Char('\n'))));
    }

    /// The checker itself must be able to fail: a forbidden include in a scratch tree is found.
    void checkerFindsViolations()
    {
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        QDir(dir.path()).mkpath(QStringLiteral("core"));
        QFile f(dir.path() + QStringLiteral("/core/Bad.h"));
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write("#include <QQuickItem>\n#include \"core/Ok.h\"\n");
        f.close();
        qputenv("SKEY_SOURCE_DIR", dir.path().toUtf8());
        const Rule rule{"", QStringLiteral("core"), {}, QRegularExpression(QStringLiteral(R"(^(QQuick.*)$)"))};
        const QStringList bad = violations(rule);
        qunsetenv("SKEY_SOURCE_DIR");
        QCOMPARE(bad.size(), 1);
        QVERIFY(bad.first().contains(QLatin1String("QQuickItem")));
    }
};

QTEST_GUILESS_MAIN(TestArchitecture)
#include "TestArchitecture.moc"
