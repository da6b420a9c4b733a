// SPDX-License-Identifier: Apache-2.0
// Simulated keys have serials of their own (issue 9 item 18): random on a key's first start, kept in its NVM file
// across restarts, new for a new image, and never the one fixed default that made two keys (or a re-issued one)
// share an ASN and a mirror. An image from before serials were stored keeps the old default it was issued with.
#include "device/EmbeddedSimulator.h"

#include <QDir>
#include <QFile>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QtTest>

using wallet::device::EmbeddedSimulator;
using wallet::device::SimulatorOptions;

namespace {

/// Starts a simulator on `dir` (optionally with --serial), returns its serial (empty on failure), stops it.
QString serialOf(const QString& dir, const QString& explicitSerial = {})
{
    SimulatorOptions o;
    o.dataDirectory = dir;
    o.serialHex = explicitSerial;
    EmbeddedSimulator sim(o);
    if (!sim.start().ok()) {
        return {};
    }
    // What the key itself says, not only the READY line.
    auto channel = sim.makeChannel();
    auto info = channel->transmitRaw(QByteArray::fromHex("80CA000100"));
    if (!info || !info->startsWith(QByteArray::fromHex("C108"))) {
        return {};
    }
    const QString fromKey = QString::fromLatin1(info->mid(2, 8).toHex().toUpper());
    return fromKey == sim.serialHex() ? fromKey : QStringLiteral("READY line and key disagree");
}

} // namespace

class TestSimulatorSerial : public QObject
{
    Q_OBJECT

private slots:
    void twoNewKeysDiffer();
    void keptAcrossRestarts();
    void newImageNewSerial();
    void explicitSerialIsStored();
    void oldImageKeepsItsDefault();
};

void TestSimulatorSerial::twoNewKeysDiffer()
{
    QTemporaryDir a;
    QTemporaryDir b;
    const QString first = serialOf(a.path());
    const QString second = serialOf(b.path());
    const QRegularExpression shape(QStringLiteral("^534B[0-9A-F]{12}$")); // "SK" + 6 random bytes
    QVERIFY2(shape.match(first).hasMatch(), qPrintable(first));
    QVERIFY2(shape.match(second).hasMatch(), qPrintable(second));
    QVERIFY2(first != second, qPrintable(first));
    QVERIFY(first != QStringLiteral("534B000000000001"));
}

void TestSimulatorSerial::keptAcrossRestarts()
{
    QTemporaryDir dir;
    const QString first = serialOf(dir.path());
    QVERIFY(!first.isEmpty());
    QCOMPARE(serialOf(dir.path()), first);
    QCOMPARE(serialOf(dir.path()), first);
}

void TestSimulatorSerial::newImageNewSerial()
{
    // A key whose image is thrown away (a re-issued key) is a new key: a new serial, so a new ASN and mirror.
    QTemporaryDir dir;
    const QString first = serialOf(dir.path());
    QVERIFY(QFile::remove(QDir(dir.path()).filePath(QStringLiteral("token.nvm"))));
    const QString second = serialOf(dir.path());
    QVERIFY(!second.isEmpty());
    QVERIFY(second != first);
}

void TestSimulatorSerial::explicitSerialIsStored()
{
    QTemporaryDir dir;
    QCOMPARE(serialOf(dir.path(), QStringLiteral("534B0000000000C3")), QStringLiteral("534B0000000000C3"));
    QCOMPARE(serialOf(dir.path()), QStringLiteral("534B0000000000C3"));
}

void TestSimulatorSerial::oldImageKeepsItsDefault()
{
    // An image file exactly as earlier simulators wrote it (no serial after the image): its token was issued with
    // the fixed default serial, and the mirror and ledgers know it by that one.
    QTemporaryDir dir;
    QFile image(QDir(dir.path()).filePath(QStringLiteral("token.nvm")));
    QVERIFY(image.open(QIODevice::WriteOnly));
    image.write(QByteArray(512 * 64, '\xFF'));
    image.close();
    QCOMPARE(serialOf(dir.path()), QStringLiteral("534B000000000001"));
    QCOMPARE(serialOf(dir.path()), QStringLiteral("534B000000000001"));
}

QTEST_GUILESS_MAIN(TestSimulatorSerial)
#include "TestSimulatorSerial.moc"
