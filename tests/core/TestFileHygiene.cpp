// SPDX-License-Identifier: Apache-2.0
// Files that hold money or secrets (issue 9 item 19): the mirror, the issuer ledger, the PSAM, the simulator's NVM
// image and the key store are the owner's only, whatever the umask; a key store that asks for an absurd Argon2 cost
// is refused before any derivation; the wiping helper for PIN bytes held in a QByteArray wipes in place.
#include "HostNvm.h"
#include "core/crypto/Bytes.h"
#include "core/issuer/LocalIssuerHost.h"
#include "core/keystore/KeyStore.h"
#include "core/psam/LocalPsam.h"
#include "core/storage/TransactionStore.h"

#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QtTest>

#include <sys/stat.h>

using namespace wallet::core;

namespace {

/// The permission bits of `path` (-1 when it does not exist).
int modeOf(const QString& path)
{
    struct stat st
    {
    };
    if (::stat(QFile::encodeName(path).constData(), &st) != 0) {
        return -1;
    }
    return static_cast<int>(st.st_mode & 0777);
}

/// Sets a permissive umask for the scope, as a user's shell often has (0022), so a file that relies on the umask
/// comes out 0644.
class Umask
{
public:
    explicit Umask(mode_t mask)
        : m_old(::umask(mask))
    { }
    ~Umask() { ::umask(m_old); }
    Umask(const Umask&) = delete;
    Umask& operator=(const Umask&) = delete;

private:
    mode_t m_old;
};

} // namespace

class TestFileHygiene : public QObject
{
    Q_OBJECT

private slots:
    void moneyFilesAreOwnerOnly_data();
    void moneyFilesAreOwnerOnly();
    void existingFileIsTightened();
    void simulatorNvmIsOwnerOnly();
    void keyStoreCostIsBounded_data();
    void keyStoreCostIsBounded();
    void wipeClearsSharedBytesInPlace();
};

void TestFileHygiene::moneyFilesAreOwnerOnly_data()
{
    QTest::addColumn<QString>("which");
    QTest::newRow("mirror") << QStringLiteral("mirror");
    QTest::newRow("issuer ledger") << QStringLiteral("issuer");
    QTest::newRow("psam") << QStringLiteral("psam");
    QTest::newRow("key store") << QStringLiteral("keys");
}

void TestFileHygiene::moneyFilesAreOwnerOnly()
{
    QFETCH(QString, which);
    const Umask permissive(022);
    QTemporaryDir dir;
    const QString path = dir.filePath(which + QStringLiteral(".db"));
    if (which == QStringLiteral("mirror")) {
        auto store = TransactionStore::open(path);
        QVERIFY2(store.ok(), qPrintable(store.ok() ? QString() : store.error().detail));
    } else if (which == QStringLiteral("issuer")) {
        auto issuer = LocalIssuerHost::open(path, KeyStore::demoKeys());
        QVERIFY2(issuer.ok(), qPrintable(issuer.ok() ? QString() : issuer.error().detail));
    } else if (which == QStringLiteral("psam")) {
        auto psam = LocalPsam::open(path, QByteArray::fromHex("112233445566"), KeyStore::demoKeys().mpk);
        QVERIFY2(psam.ok(), qPrintable(psam.ok() ? QString() : psam.error().detail));
    } else {
        auto keys = KeyStore::openOrCreateDemo(path, toSecure(QByteArrayLiteral("pass")));
        QVERIFY(keys.ok());
    }
    QCOMPARE(modeOf(path), 0600);
    // SQLite's write-ahead log and shared memory file hold the same records: the same mode.
    for (const char* suffix : {"-wal", "-shm"}) {
        const int mode = modeOf(path + QLatin1String(suffix));
        QVERIFY2(mode == -1 || mode == 0600,
            qPrintable(QStringLiteral("%1%2: %3").arg(which).arg(QLatin1String(suffix)).arg(mode, 0, 8)));
    }
}

void TestFileHygiene::existingFileIsTightened()
{
    // A mirror written by an older wallet through a 0022 umask is readable by everybody: opening it fixes that.
    const Umask permissive(022);
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("mirror.sqlite"));
    {
        auto store = TransactionStore::open(path);
        QVERIFY(store.ok());
    }
    QVERIFY(::chmod(QFile::encodeName(path).constData(), 0644) == 0);
    auto again = TransactionStore::open(path);
    QVERIFY(again.ok());
    QCOMPARE(modeOf(path), 0600);
}

void TestFileHygiene::simulatorNvmIsOwnerOnly()
{
    const Umask permissive(022);
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("token.nvm"));
    // A left-over temporary file from a killed simulator, world-readable: the next write must not inherit its mode.
    QFile stale(path + QStringLiteral(".tmp"));
    QVERIFY(stale.open(QIODevice::WriteOnly));
    stale.close();
    QVERIFY(::chmod(QFile::encodeName(stale.fileName()).constData(), 0644) == 0);
    skey::host::HostNvm nvm;
    QVERIFY(!nvm.attachFile(path.toStdString()).has_value());
    QCOMPARE(modeOf(path), 0600);
}

void TestFileHygiene::keyStoreCostIsBounded_data()
{
    QTest::addColumn<QString>("field");
    QTest::addColumn<qint64>("value");
    QTest::newRow("memory 300 MiB") << QStringLiteral("memoryKiB") << qint64(300 * 1024);
    QTest::newRow("memory 4 MiB") << QStringLiteral("memoryKiB") << qint64(4096);
    QTest::newRow("memory negative") << QStringLiteral("memoryKiB") << qint64(-65536);
    QTest::newRow("9 passes") << QStringLiteral("passes") << qint64(9);
    QTest::newRow("0 passes") << QStringLiteral("passes") << qint64(0);
    QTest::newRow("5 lanes") << QStringLiteral("lanes") << qint64(5);
}

void TestFileHygiene::keyStoreCostIsBounded()
{
    QFETCH(QString, field);
    QFETCH(qint64, value);
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("keys.json"));
    const SecureBytes pass = toSecure(QByteArrayLiteral("correct horse"));
    QVERIFY(KeyStore::save(path, pass, KeyStore::demoKeys()).ok());
    QFile f(path);
    QVERIFY(f.open(QIODevice::ReadOnly));
    QJsonObject o = QJsonDocument::fromJson(f.readAll()).object();
    f.close();
    // What a new store is written with, as KeyStore.h documents it.
    QCOMPARE(o.value(QStringLiteral("memoryKiB")).toInteger(), qint64(65536));
    QCOMPARE(o.value(QStringLiteral("passes")).toInteger(), qint64(2));
    QCOMPARE(o.value(QStringLiteral("lanes")).toInteger(), qint64(1));
    o.insert(field, value);
    QVERIFY(f.open(QIODevice::WriteOnly | QIODevice::Truncate));
    f.write(QJsonDocument(o).toJson());
    f.close();
    auto loaded = KeyStore::load(path, pass);
    QVERIFY(!loaded.ok());
    QCOMPARE(loaded.error().code, ErrorCode::StorageError);
    // Refused for its parameters, before deriving anything (not "wrong passphrase" after spending the cost).
    QVERIFY2(loaded.error().detail.contains(QStringLiteral("out of range")), qPrintable(loaded.error().detail));
}

void TestFileHygiene::wipeClearsSharedBytesInPlace()
{
    QByteArray pin = QByteArray::fromHex("123456FF");
    const QByteArray shared = pin; // e.g. the copy inside a CommandApdu
    const char* bytes = pin.constData();
    wipe(pin);
    QVERIFY(pin.isEmpty());
    // The one buffer both shared was zeroed where it lies (detaching first would have copied the PIN).
    QCOMPARE(shared.constData(), bytes);
    QCOMPARE(shared, QByteArray(4, '\0'));
}

QTEST_GUILESS_MAIN(TestFileHygiene)
#include "TestFileHygiene.moc"
