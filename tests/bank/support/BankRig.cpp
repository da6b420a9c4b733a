// SPDX-License-Identifier: Apache-2.0
#include "bank/support/BankRig.h"

#include <httplib.h>

#include <QDeadlineTimer>
#include <QDir>
#include <QFile>
#include <QJsonDocument>
#include <QStandardPaths>
#include <QThread>
#include <QUuid>

#include <csignal>
#include <pwd.h>
#include <unistd.h>

namespace wallet::bank::test {

namespace {

QString pgBin()
{
    for (const char* v : {"15", "16", "17", "14", "13"}) {
        const QString dir = QStringLiteral("/usr/lib/postgresql/%1/bin").arg(QLatin1String(v));
        if (QFile::exists(dir + QStringLiteral("/postgres"))) {
            return dir;
        }
    }
    return {};
}

bool root()
{
    return ::geteuid() == 0;
}

/// Where skey-bank and bankctl were built (tests/bank/CMakeLists.txt; benches elsewhere in the tree use the rig too).
QString buildDir()
{
    return QStringLiteral(SKEY_BANK_BIN_DIR);
}

} // namespace

BankRig::Backend BankRig::backendFromEnvironment()
{
    return qEnvironmentVariable("SKEY_BANK_DB").compare(QLatin1String("sqlite"), Qt::CaseInsensitive) == 0
        ? Backend::Sqlite
        : Backend::PostgreSql;
}

BankRig::BankRig()
    : BankRig(backendFromEnvironment())
{ }

BankRig::BankRig(Backend backend)
    : m_backend(backend)
{ }

QString BankRig::sqlitePath() const
{
    return dataDir() + QStringLiteral("/ledger.sqlite");
}

std::optional<QString> BankRig::missingPart()
{
    const bool sqlite = backendFromEnvironment() == Backend::Sqlite;
    if (!sqlite && pgBin().isEmpty()) {
        return QStringLiteral("PostgreSQL server binaries (/usr/lib/postgresql/*/bin; package postgresql)");
    }
    if (!QFile::exists(QStringLiteral("/usr/lib/softhsm/libsofthsm2.so"))) {
        return QStringLiteral("SoftHSM2 (package softhsm2)");
    }
    if (QStandardPaths::findExecutable(QStringLiteral("openssl")).isEmpty()) {
        return QStringLiteral("the openssl command");
    }
    if (!sqlite && root()
        && (!::getpwnam("postgres") || QStandardPaths::findExecutable(QStringLiteral("setpriv")).isEmpty())) {
        return QStringLiteral("a postgres user and setpriv (PostgreSQL refuses to run as root)");
    }
    return std::nullopt;
}

BankRig::~BankRig()
{
    stopServer();
    m_db.reset();
    if (m_postgres.state() != QProcess::NotRunning) {
        ::kill(static_cast<pid_t>(m_postgres.processId()), SIGINT); // fast shutdown
        if (!m_postgres.waitForFinished(30000)) {
            m_postgres.kill();
            m_postgres.waitForFinished(5000);
        }
    }
}

QString BankRig::run(const QString& program, const QStringList& args, bool asPostgres)
{
    QProcess p;
    p.setProcessChannelMode(QProcess::MergedChannels);
    if (asPostgres && root()) {
        p.start(QStringLiteral("setpriv"),
            QStringList{QStringLiteral("--reuid=postgres"),
                QStringLiteral("--regid=postgres"),
                QStringLiteral("--init-groups"),
                QStringLiteral("--")}
                + QStringList{program} + args);
    } else {
        p.start(program, args);
    }
    if (!p.waitForFinished(120000) || p.exitStatus() != QProcess::NormalExit || p.exitCode() != 0) {
        return program + QStringLiteral(" failed: ") + QString::fromLocal8Bit(p.readAll());
    }
    return {};
}

QString BankRig::dataDir() const
{
    return m_tmp.path() + QStringLiteral("/bank");
}

QString BankRig::tlsPath(const QString& name) const
{
    return dataDir() + QStringLiteral("/tls/") + name;
}

QString BankRig::setUp()
{
    if (!m_tmp.isValid()) {
        return QStringLiteral("no temporary folder");
    }
    if (sqlite()) {
        // The embedded default: bankctl init creates <data>/ledger.sqlite (a path relative to the data folder).
        QString out;
        if (bankctl({QStringLiteral("init"),
                        QStringLiteral("--db"),
                        QStringLiteral("sqlite:ledger.sqlite"),
                        QStringLiteral("--test")},
                &out)
            != 0) {
            return QStringLiteral("bankctl init: ") + out;
        }
        m_conninfo = QStringLiteral("sqlite:") + sqlitePath();
        auto c = Db::connect(m_conninfo.toStdString());
        if (!c) {
            return c.error().detail;
        }
        m_db = std::move(c.value());
        return importVectorsAndTls();
    }
    // The postgres user must reach its folders inside the test's private temporary folder.
    QFile::setPermissions(m_tmp.path(),
        QFileDevice::ReadOwner | QFileDevice::WriteOwner | QFileDevice::ExeOwner | QFileDevice::ExeGroup
            | QFileDevice::ExeOther);
    const QString pgData = m_tmp.path() + QStringLiteral("/pg");
    const QString socket = m_tmp.path() + QStringLiteral("/sock");
    QDir().mkpath(pgData);
    QDir().mkpath(socket);
    if (root()) {
        const passwd* pw = ::getpwnam("postgres");
        if (::chown(pgData.toLocal8Bit().constData(), pw->pw_uid, pw->pw_gid) != 0
            || ::chown(socket.toLocal8Bit().constData(), pw->pw_uid, pw->pw_gid) != 0) {
            return QStringLiteral("cannot hand the PostgreSQL folders to the postgres user");
        }
    }
    const QString bin = pgBin();
    if (QString e = run(bin + QStringLiteral("/initdb"),
            {QStringLiteral("-D"),
                pgData,
                QStringLiteral("-A"),
                QStringLiteral("trust"),
                QStringLiteral("-U"),
                QStringLiteral("bank"),
                QStringLiteral("-E"),
                QStringLiteral("UTF8"),
                QStringLiteral("--no-sync")},
            true);
        !e.isEmpty()) {
        return e;
    }
    const QStringList pgArgs{QStringLiteral("-D"),
        pgData,
        QStringLiteral("-k"),
        socket,
        QStringLiteral("-c"),
        QStringLiteral("listen_addresses="),
        QStringLiteral("-p"),
        QStringLiteral("5432")};
    m_postgres.setProcessChannelMode(QProcess::ForwardedErrorChannel);
    if (root()) {
        m_postgres.start(QStringLiteral("setpriv"),
            QStringList{QStringLiteral("--reuid=postgres"),
                QStringLiteral("--regid=postgres"),
                QStringLiteral("--init-groups"),
                QStringLiteral("--"),
                bin + QStringLiteral("/postgres")}
                + pgArgs);
    } else {
        m_postgres.start(bin + QStringLiteral("/postgres"), pgArgs);
    }
    m_conninfo = QStringLiteral("host=%1 port=5432 user=bank dbname=postgres").arg(socket);
    // Wait until it accepts connections (a readiness wait, not a timing assertion).
    QDeadlineTimer deadline(60000);
    while (!deadline.hasExpired()) {
        auto c = PgConnection::connect(m_conninfo.toStdString());
        if (c) {
            m_db = std::move(c.value());
            break;
        }
        if (m_postgres.state() == QProcess::NotRunning) {
            return QStringLiteral("postgres exited during start-up");
        }
        QThread::msleep(100);
    }
    if (!m_db) {
        return QStringLiteral("PostgreSQL did not accept connections");
    }
    QString out;
    if (bankctl({QStringLiteral("init"), QStringLiteral("--db"), m_conninfo, QStringLiteral("--test")}, &out) != 0) {
        return QStringLiteral("bankctl init: ") + out;
    }
    return importVectorsAndTls();
}

QString BankRig::importVectorsAndTls()
{
    QString out;
    if (bankctl({QStringLiteral("keys"),
                    QStringLiteral("import-test-vectors"),
                    QStringLiteral("--vectors"),
                    qEnvironmentVariable("SKEY_SHARED_DIR") + QStringLiteral("/spec/vectors/pboc.json")},
            &out)
        != 0) {
        return QStringLiteral("bankctl keys import-test-vectors: ") + out;
    }
    return makeTls();
}

QString BankRig::makeTls()
{
    const QString dir = dataDir() + QStringLiteral("/tls");
    QDir().mkpath(dir);
    auto ossl = [&](const QStringList& a) { return run(QStringLiteral("openssl"), a, false); };
    auto p = [&](const char* n) { return dir + QLatin1Char('/') + QLatin1String(n); };
    const QStringList ec{QStringLiteral("-newkey"),
        QStringLiteral("ec"),
        QStringLiteral("-pkeyopt"),
        QStringLiteral("ec_paramgen_curve:P-256"),
        QStringLiteral("-nodes")};
    QFile ext(p("san.ext"));
    if (!ext.open(QIODevice::WriteOnly) || ext.write("subjectAltName=IP:127.0.0.1,DNS:localhost\n") <= 0) {
        return QStringLiteral("cannot write san.ext");
    }
    ext.close();
    for (const QString& e : {
             ossl(QStringList{QStringLiteral("req"), QStringLiteral("-x509")} + ec
                 + QStringList{QStringLiteral("-keyout"),
                     p("ca.key"),
                     QStringLiteral("-out"),
                     p("ca.pem"),
                     QStringLiteral("-days"),
                     QStringLiteral("2"),
                     QStringLiteral("-subj"),
                     QStringLiteral("/CN=SmartKey test bank CA")}),
             ossl(QStringList{QStringLiteral("req")} + ec
                 + QStringList{QStringLiteral("-keyout"),
                     p("server.key"),
                     QStringLiteral("-out"),
                     p("server.csr"),
                     QStringLiteral("-subj"),
                     QStringLiteral("/CN=localhost")}),
             ossl({QStringLiteral("x509"),
                 QStringLiteral("-req"),
                 QStringLiteral("-in"),
                 p("server.csr"),
                 QStringLiteral("-CA"),
                 p("ca.pem"),
                 QStringLiteral("-CAkey"),
                 p("ca.key"),
                 QStringLiteral("-CAcreateserial"),
                 QStringLiteral("-out"),
                 p("server.pem"),
                 QStringLiteral("-days"),
                 QStringLiteral("2"),
                 QStringLiteral("-extfile"),
                 p("san.ext")}),
             ossl(QStringList{QStringLiteral("req")} + ec
                 + QStringList{QStringLiteral("-keyout"),
                     p("client.key"),
                     QStringLiteral("-out"),
                     p("client.csr"),
                     QStringLiteral("-subj"),
                     QStringLiteral("/OU=wallet/CN=112233445566")}),
             ossl({QStringLiteral("x509"),
                 QStringLiteral("-req"),
                 QStringLiteral("-in"),
                 p("client.csr"),
                 QStringLiteral("-CA"),
                 p("ca.pem"),
                 QStringLiteral("-CAkey"),
                 p("ca.key"),
                 QStringLiteral("-CAcreateserial"),
                 QStringLiteral("-out"),
                 p("client.pem"),
                 QStringLiteral("-days"),
                 QStringLiteral("2")}),
         }) {
        if (!e.isEmpty()) {
            return e;
        }
    }
    // The negative cases (§5): a certificate from another CA, another terminal's, and a merchant's; and a branch
    // station's (issuance and maintenance, tests/bank/TestBankIssuance.cpp).
    const QString foreign = ossl(QStringList{QStringLiteral("req"), QStringLiteral("-x509")} + ec
        + QStringList{QStringLiteral("-keyout"),
            p("foreign.key"),
            QStringLiteral("-out"),
            p("foreign.pem"),
            QStringLiteral("-days"),
            QStringLiteral("2"),
            QStringLiteral("-subj"),
            QStringLiteral("/OU=wallet/CN=112233445566")});
    if (!foreign.isEmpty()) {
        return foreign;
    }
    for (const auto& [name, subject] : {std::pair{"other", "/OU=wallet/CN=998877665544"},
             std::pair{"merchant", "/OU=merchant/CN=112233445566"},
             std::pair{"branch", "/OU=branch/CN=223344556677"}}) {
        const QString key = dir + QLatin1Char('/') + QLatin1String(name) + QStringLiteral(".key");
        const QString csr = dir + QLatin1Char('/') + QLatin1String(name) + QStringLiteral(".csr");
        const QString pem = dir + QLatin1Char('/') + QLatin1String(name) + QStringLiteral(".pem");
        for (const QString& e : {ossl(QStringList{QStringLiteral("req")} + ec
                                     + QStringList{QStringLiteral("-keyout"),
                                         key,
                                         QStringLiteral("-out"),
                                         csr,
                                         QStringLiteral("-subj"),
                                         QLatin1String(subject)}),
                 ossl({QStringLiteral("x509"),
                     QStringLiteral("-req"),
                     QStringLiteral("-in"),
                     csr,
                     QStringLiteral("-CA"),
                     p("ca.pem"),
                     QStringLiteral("-CAkey"),
                     p("ca.key"),
                     QStringLiteral("-CAcreateserial"),
                     QStringLiteral("-out"),
                     pem,
                     QStringLiteral("-days"),
                     QStringLiteral("2")})}) {
            if (!e.isEmpty()) {
                return e;
            }
        }
    }
    QFile::setPermissions(p("server.key"), QFileDevice::ReadOwner | QFileDevice::WriteOwner);
    return {};
}

int BankRig::bankctl(const QStringList& args, QString* out, const QByteArray& input)
{
    QProcess p;
    p.setProcessChannelMode(QProcess::MergedChannels);
    p.start(buildDir() + QStringLiteral("/bankctl"), args + QStringList{QStringLiteral("--data"), dataDir()});
    if (!input.isEmpty()) {
        p.write(input);
        p.closeWriteChannel();
    }
    if (!p.waitForFinished(120000)) {
        return -1;
    }
    if (out) {
        *out = QString::fromLocal8Bit(p.readAll());
    }
    return p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1;
}

QString BankRig::makeClientCertificate(const QString& name, const QString& subject)
{
    const QString dir = dataDir() + QStringLiteral("/tls/");
    for (const QStringList& args : {QStringList{QStringLiteral("req"),
                                        QStringLiteral("-newkey"),
                                        QStringLiteral("ec"),
                                        QStringLiteral("-pkeyopt"),
                                        QStringLiteral("ec_paramgen_curve:P-256"),
                                        QStringLiteral("-nodes"),
                                        QStringLiteral("-keyout"),
                                        dir + name + QStringLiteral(".key"),
                                        QStringLiteral("-out"),
                                        dir + name + QStringLiteral(".csr"),
                                        QStringLiteral("-subj"),
                                        subject},
             QStringList{QStringLiteral("x509"),
                 QStringLiteral("-req"),
                 QStringLiteral("-in"),
                 dir + name + QStringLiteral(".csr"),
                 QStringLiteral("-CA"),
                 dir + QStringLiteral("ca.pem"),
                 QStringLiteral("-CAkey"),
                 dir + QStringLiteral("ca.key"),
                 QStringLiteral("-CAcreateserial"),
                 QStringLiteral("-out"),
                 dir + name + QStringLiteral(".pem"),
                 QStringLiteral("-days"),
                 QStringLiteral("2")}}) {
        if (QString e = run(QStringLiteral("openssl"), args, false); !e.isEmpty()) {
            return e;
        }
    }
    return {};
}

QString BankRig::startServer(const QString& fault, const QString& cardClock)
{
    QString why;
    m_cardClock = cardClock; // the merge had lost it on its way to startInstance
    m_port = startInstance(m_server, QStringLiteral("127.0.0.1:0"), fault, &why);
    return m_port > 0 ? QString() : why;
}

int BankRig::startInstance(QProcess& process, const QString& listen, const QString& fault, QString* why)
{
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.remove(QStringLiteral("SKEY_BANK_FAULT"));
    env.remove(QStringLiteral("SKEY_BANK_CARD_CLOCK"));
    if (!m_cardClock.isEmpty()) {
        env.insert(QStringLiteral("SKEY_BANK_CARD_CLOCK"), m_cardClock);
    }
    if (!fault.isEmpty()) {
        env.insert(QStringLiteral("SKEY_BANK_FAULT"), fault);
    }
    process.setProcessEnvironment(env);
    process.setProcessChannelMode(QProcess::ForwardedErrorChannel);
    process.start(buildDir() + QStringLiteral("/skey-bank"),
        {QStringLiteral("--data"), dataDir(), QStringLiteral("--listen"), listen});
    QByteArray line;
    QDeadlineTimer deadline(60000);
    while (!line.contains('\n') && !deadline.hasExpired() && process.state() != QProcess::NotRunning) {
        process.waitForReadyRead(1000);
        line += process.readAllStandardOutput();
    }
    if (!line.startsWith("listening 127.0.0.1:")) {
        *why = QStringLiteral("skey-bank did not start: ") + QString::fromLocal8Bit(line);
        return 0;
    }
    const int port = line.trimmed().mid(int(sizeof("listening 127.0.0.1:") - 1)).toInt();
    if (port <= 0) {
        *why = QStringLiteral("no port in: ") + QString::fromLocal8Bit(line);
    }
    return port;
}

int BankRig::waitServerExit()
{
    if (!m_server.waitForFinished(60000)) {
        return -1;
    }
    return m_server.exitStatus() == QProcess::NormalExit ? m_server.exitCode() : -1;
}

void BankRig::stopServer()
{
    if (m_server.state() != QProcess::NotRunning) {
        m_server.terminate();
        if (!m_server.waitForFinished(30000)) {
            m_server.kill();
            m_server.waitForFinished(5000);
        }
    }
}

void BankRig::killServer()
{
    if (m_server.state() != QProcess::NotRunning) {
        m_server.kill();
        m_server.waitForFinished(10000);
    }
}

QString BankRig::addDemoMerchant()
{
    const QString e = makeClientCertificate(QStringLiteral("shop"), QStringLiteral("/OU=merchant/CN=445566778899"));
    if (!e.isEmpty()) {
        return e;
    }
    QString out;
    if (bankctl({QStringLiteral("merchants"),
                    QStringLiteral("add"),
                    QStringLiteral("--name"),
                    QStringLiteral("Demo Tea House"),
                    QStringLiteral("--credential"),
                    QStringLiteral("445566778899"),
                    QStringLiteral("--terminal"),
                    QStringLiteral("112233445566")},
            &out)
        != 0) {
        return QStringLiteral("bankctl merchants add: ") + out;
    }
    if (bankctl({QStringLiteral("orders"),
                    QStringLiteral("certify"),
                    QStringLiteral("--ca-key"),
                    tlsPath(QStringLiteral("ca.key"))},
            &out)
        != 0) {
        return QStringLiteral("bankctl orders certify: ") + out;
    }
    return {};
}

QString BankRig::registerCard(const QString& asn, const QString& holder, qint64 depositFen, const QString& reference)
{
    QString out;
    if (bankctl({QStringLiteral("cards"),
                    QStringLiteral("register"),
                    QStringLiteral("--asn"),
                    asn,
                    QStringLiteral("--holder"),
                    holder},
            &out)
        != 0) {
        return QStringLiteral("bankctl cards register: ") + out;
    }
    return depositFen > 0 ? deposit(asn, depositFen, reference) : QString();
}

QString BankRig::addStaff(const QString& user, const QString& role, const QString& password)
{
    QString out;
    if (bankctl({QStringLiteral("staff"),
                    QStringLiteral("add"),
                    QStringLiteral("--username"),
                    user,
                    QStringLiteral("--role"),
                    role},
            &out,
            (password + QLatin1Char('\n')).toUtf8())
        != 0) {
        return QStringLiteral("bankctl staff add: ") + out;
    }
    return {};
}

QString BankRig::deposit(const QString& asn, qint64 fen, const QString& reference)
{
    QString out;
    if (bankctl({QStringLiteral("accounts"),
                    QStringLiteral("deposit"),
                    QStringLiteral("--asn"),
                    asn,
                    QStringLiteral("--amount"),
                    QString::number(fen),
                    QStringLiteral("--reference"),
                    reference},
            &out)
        != 0) {
        return QStringLiteral("bankctl accounts deposit: ") + out;
    }
    return {};
}

QString BankRig::writeClientConfig(const QString& path, const QString& certificate, int port) const
{
    const QString key = tlsPath(certificate + QStringLiteral(".key"));
    if (!QFile::setPermissions(key, QFileDevice::ReadOwner | QFileDevice::WriteOwner)) {
        return QStringLiteral("cannot make %1 the owner's only").arg(key);
    }
    QFile config(path);
    if (!config.open(QIODevice::WriteOnly | QIODevice::Truncate)) {
        return QStringLiteral("cannot write ") + path;
    }
    config.write(
        QJsonDocument(QJsonObject{{QStringLiteral("format"), QStringLiteral("smartkey-bank-client/1")},
                          {QStringLiteral("url"), QStringLiteral("https://127.0.0.1:%1").arg(port > 0 ? port : m_port)},
                          {QStringLiteral("caCertificate"), tlsPath(QStringLiteral("ca.pem"))},
                          {QStringLiteral("certificate"), tlsPath(certificate + QStringLiteral(".pem"))},
                          {QStringLiteral("privateKey"), key}})
            .toJson());
    return {};
}

qint64 BankRig::sqlInt(const std::string& sql, const DbParams& params)
{
    auto r = m_db->exec(sql, params);
    if (!r || r->rows() != 1 || r->isNull(0, 0)) {
        return -1;
    }
    return r->integer(0, 0);
}

QString BankRig::sqlText(const std::string& sql, const DbParams& params)
{
    auto r = m_db->exec(sql, params);
    if (!r || r->rows() != 1 || r->isNull(0, 0)) {
        return {};
    }
    return QString::fromStdString(r->text(0, 0));
}

BankRig::ApiAnswer BankRig::api(const char* method,
    const QString& path,
    const QString& certificate,
    const QJsonObject& body,
    const QString& requestId,
    int port) const
{
    httplib::SSLClient c("127.0.0.1",
        port > 0 ? port : m_port,
        tlsPath(certificate + QStringLiteral(".pem")).toStdString(),
        tlsPath(certificate + QStringLiteral(".key")).toStdString());
    c.set_ca_cert_path(tlsPath(QStringLiteral("ca.pem")).toStdString().c_str());
    c.enable_server_certificate_verification(true);
    const std::string id
        = (requestId.isEmpty() ? QUuid::createUuid().toString(QUuid::WithoutBraces) : requestId).toStdString();
    const std::string verb(method);
    const std::string json = QJsonDocument(body).toJson(QJsonDocument::Compact).toStdString();
    const httplib::Headers headers{{"Idempotency-Key", id}};
    httplib::Result res = verb == "POST" ? c.Post(path.toStdString().c_str(), headers, json, "application/json")
        : verb == "PUT"                  ? c.Put(path.toStdString().c_str(), headers, json, "application/json")
                                         : c.Get(path.toStdString().c_str());
    ApiAnswer a;
    if (res) {
        a.status = res->status;
        a.contentType = res->get_header_value("Content-Type");
        a.body = QByteArray::fromStdString(res->body);
        a.json = QJsonDocument::fromJson(a.body).object();
    }
    return a;
}

} // namespace wallet::bank::test
