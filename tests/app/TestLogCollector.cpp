// SPDX-License-Identifier: Apache-2.0
// The exported log is redacted: serials keep their last four digits, long hex runs are cut, nothing else changes.
#include "app/gui/LogCollector.h"

#include <QTemporaryDir>
#include <QtTest>

using wallet::app::LogCollector;

class TestLogCollector : public QObject
{
    Q_OBJECT

private slots:
    void redact_data();
    void redact();
    void capturesQtMessagesAndExports();
    void exportToBadPathFails();
};

void TestLogCollector::redact_data()
{
    QTest::addColumn<QString>("line");
    QTest::addColumn<QString>("expected");
    QTest::newRow("device serial") << QStringLiteral("key 534B000000000001 attached")
                                   << QStringLiteral("key ************0001 attached");
    QTest::newRow("asn 8 digits") << QStringLiteral("asn 12345678") << QStringLiteral("asn ****5678");
    QTest::newRow("apdu data") << QStringLiteral("C-APDU 80 50 00 02 0B 01 00 00 27 10 11 22 33 44 55 66")
                               << QStringLiteral("C-APDU <hex redacted>");
    QTest::newRow("short numbers kept") << QStringLiteral("balance 25050 fen, 3 tries")
                                        << QStringLiteral("balance 25050 fen, 3 tries");
    QTest::newRow("words kept") << QStringLiteral("simulated key on 127.0.0.1 port 47251")
                                << QStringLiteral("simulated key on 127.0.0.1 port 47251");
}

void TestLogCollector::redact()
{
    QFETCH(QString, line);
    QFETCH(QString, expected);
    QCOMPARE(LogCollector::redact(line), expected);
}

void TestLogCollector::capturesQtMessagesAndExports()
{
    QTemporaryDir dir;
    LogCollector log(3);
    log.install();
    qInfo("serial 534B0000000000AB seen");
    qWarning("second");
    qInfo("third");
    qInfo("fourth");
    const QStringList lines = log.lines();
    QCOMPARE(lines.size(), 3); // capacity
    QVERIFY(lines.at(0).endsWith(QStringLiteral("second")));
    QVERIFY(lines.at(2).endsWith(QStringLiteral("fourth")));
    QString error;
    const QString path = dir.filePath(QStringLiteral("log.txt"));
    QVERIFY(log.exportTo(path, &error));
    QFile f(path);
    QVERIFY(f.open(QIODevice::ReadOnly));
    QCOMPARE(f.readAll().count('\n'), 3);

    LogCollector log2;
    log2.install();
    qInfo("serial 534B0000000000AB seen");
    QVERIFY(log2.lines().constLast().contains(QStringLiteral("************00AB")));
    QVERIFY(!log2.lines().constLast().contains(QStringLiteral("534B")));
}

void TestLogCollector::exportToBadPathFails()
{
    LogCollector log;
    log.append(QStringLiteral("x"));
    QString error;
    QVERIFY(!log.exportTo(QStringLiteral("/nonexistent-dir/sub/log.txt"), &error));
    QVERIFY(!error.isEmpty());
}

QTEST_GUILESS_MAIN(TestLogCollector)
#include "TestLogCollector.moc"
