// SPDX-License-Identifier: Apache-2.0
#include "core/issuance/BranchStation.h"

#include <QRegularExpression>
#include <QUuid>

namespace wallet::core {
namespace {

QString hexUpper(const QByteArray& b)
{
    return QString::fromLatin1(b.toHex().toUpper());
}

QString swHex(std::uint16_t sw)
{
    return QStringLiteral("%1").arg(sw, 4, 16, QLatin1Char('0')).toUpper();
}

/// A ready APDU as bytes: header, then Lc ‖ data ‖ optional Le, or a case-2 Le.
std::optional<CommandApdu> parseCommand(const QByteArray& raw, bool sensitive)
{
    if (raw.size() < 4) {
        return std::nullopt;
    }
    const auto b = [&](int i) { return static_cast<std::uint8_t>(raw.at(i)); };
    if (raw.size() == 4) {
        return CommandApdu(b(0), b(1), b(2), b(3), QByteArray(), std::nullopt, sensitive);
    }
    if (raw.size() == 5) {
        return CommandApdu(b(0), b(1), b(2), b(3), QByteArray(), b(4) == 0 ? 256 : b(4), sensitive);
    }
    const int lc = b(4);
    if (raw.size() == 5 + lc) {
        return CommandApdu(b(0), b(1), b(2), b(3), raw.mid(5, lc), std::nullopt, sensitive);
    }
    if (raw.size() == 5 + lc + 1) {
        return CommandApdu(b(0), b(1), b(2), b(3), raw.mid(5, lc), b(5 + lc) == 0 ? 256 : b(5 + lc), sensitive);
    }
    return std::nullopt;
}

QString pinString(const SecureBytes& digits)
{
    QString s;
    s.reserve(static_cast<qsizetype>(digits.size()));
    for (const auto d : digits) {
        s.append(QLatin1Char(static_cast<char>(d)));
    }
    return s;
}

} // namespace

bool CustomerCheck::prcIdValid(const QString& number)
{
    static const int weights[17] = {7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2};
    static const char checks[] = "10X98765432";
    if (number.size() != 18) {
        return false;
    }
    int sum = 0;
    for (int i = 0; i < 17; ++i) {
        const QChar c = number.at(i);
        if (!c.isDigit() || c.unicode() > 127) {
            return false;
        }
        sum += (c.unicode() - '0') * weights[i];
    }
    return number.at(17).toUpper() == QLatin1Char(checks[sum % 11]);
}

QString CustomerCheck::nameProblem(const QString& name)
{
    const QString t = name.trimmed();
    if (t.isEmpty()) {
        return QStringLiteral("name-empty");
    }
    if (t.toUtf8().size() > 20) {
        return QStringLiteral("name-too-long"); // SFI 0x16 holds 20 bytes of UTF-8
    }
    return {};
}

QString CustomerCheck::idProblem(int idType, const QString& number)
{
    if (number.isEmpty()) {
        return QStringLiteral("id-empty");
    }
    if (idType == 0) {
        return prcIdValid(number) ? QString() : QStringLiteral("id-checksum");
    }
    static const QRegularExpression re(QStringLiteral("^[0-9A-Za-z]{5,32}$"));
    return re.match(number).hasMatch() ? QString() : QStringLiteral("id-format");
}

QString CustomerCheck::phoneProblem(const QString& phone)
{
    static const QRegularExpression re(QStringLiteral("^\\+[1-9][0-9]{6,14}$"));
    return re.match(phone).hasMatch() ? QString() : QStringLiteral("phone-format");
}

BranchStation::BranchStation(BankClient& bank, ApduChannel& key)
    : m_bank(bank)
    , m_key(key)
{ }

Result<QJsonObject> BranchStation::call(const QByteArray& method, const QString& path, const QJsonObject& body)
{
    BankCall c;
    c.method = method;
    c.path = path;
    c.body = body;
    c.requestId = QUuid::createUuid().toString(QUuid::WithoutBraces);
    std::optional<Error> last;
    for (int attempt = 0; attempt < 3; ++attempt) {
        auto a = m_bank.send(c);
        if (!a) {
            last = a.error();
            if (a.error().code != ErrorCode::OutcomeUnknown) {
                return a.error(); // nothing reached the bank
            }
            continue; // the same request id: the bank answers its first answer, never acts twice
        }
        if (!a->ok()) {
            return problemError(*a, QString::fromLatin1(method) + QLatin1Char(' ') + path);
        }
        return a->body;
    }
    return *last;
}

Result<ResponseApdu> BranchStation::sendRaw(const QByteArray& raw)
{
    const auto c = parseCommand(raw, true);
    if (!c) {
        return makeError(ErrorCode::ProtocolError, QStringLiteral("the bank returned a malformed APDU"));
    }
    return m_key.transmit(*c);
}

Result<QByteArray> BranchStation::challenge(int length)
{
    auto r = m_key.transmit(CommandApdu(0x00, 0x84, 0x00, 0x00, QByteArray(), length));
    if (!r) {
        return r.error();
    }
    if (r->sw() != 0x9000 || r->data().size() != length) {
        return makeError(
            ErrorCode::CardError, QStringLiteral("GET CHALLENGE answered %1").arg(swHex(r->sw())), r->sw());
    }
    return r->data();
}

Result<StationKeyState> BranchStation::readKey()
{
    StationKeyState s;
    auto info = m_key.transmit(CommandApdu(0x80, 0xCA, 0x00, 0x01, QByteArray(), 256));
    if (!info) {
        return info.error();
    }
    if (info->sw() != 0x9000) {
        return makeError(ErrorCode::CardError,
            QStringLiteral("GET DATA answered %1: not a SmartKey").arg(swHex(info->sw())),
            info->sw());
    }
    const QByteArray d = info->data();
    for (int i = 0; i + 2 <= d.size();) {
        const auto tag = static_cast<std::uint8_t>(d.at(i));
        const int len = static_cast<std::uint8_t>(d.at(i + 1));
        const QByteArray v = d.mid(i + 2, len);
        if (tag == 0xC1) {
            s.deviceSerial = hexUpper(v);
        } else if (tag == 0xC3 && v.size() == 1) {
            s.lifeCycle = static_cast<std::uint8_t>(v.at(0));
        }
        i += 2 + len;
    }
    if (s.deviceSerial.size() != 16 || s.lifeCycle < 0) {
        return makeError(ErrorCode::ProtocolError, QStringLiteral("GET DATA: no device serial or life cycle"));
    }
    if (s.blank()) {
        return s;
    }
    auto sel = m_key.transmit(CommandApdu(0x00, 0xA4, 0x04, 0x00, QByteArray::fromHex("D15600000145442F4550")));
    if (!sel) {
        return sel.error();
    }
    s.selectSw = sel->sw();
    // SFI 0x15 is readable whether or not the application is blocked: the ASN is at bytes 12..19.
    auto bin = m_key.transmit(CommandApdu(0x00, 0xB0, 0x95, 0x00, QByteArray(), 0x1E));
    if (bin && bin->sw() == 0x9000 && bin->data().size() >= 20) {
        s.asn = hexUpper(bin->data().mid(12, 8));
    }
    return s;
}

Result<QJsonObject> BranchStation::createJob(const QString& deviceSerial,
    const StationCustomer& customer,
    const StationProfile& profile,
    const QString& batchId,
    const QString& replacesAsn,
    const QString& approvalId)
{
    QJsonObject body{{QStringLiteral("deviceSerial"), deviceSerial},
        {QStringLiteral("customer"),
            QJsonObject{{QStringLiteral("name"), customer.name.trimmed()},
                {QStringLiteral("idType"), customer.idType},
                {QStringLiteral("idNumber"), customer.idNumber},
                {QStringLiteral("phone"), customer.phone}}},
        {QStringLiteral("profile"),
            QJsonObject{{QStringLiteral("algorithm"), profile.algorithm},
                {QStringLiteral("maxBalance"), profile.maxBalance},
                {QStringLiteral("noPinLimit"), profile.noPinLimit},
                {QStringLiteral("purchaseNeedsTouch"), profile.purchaseNeedsTouch}}}};
    if (!batchId.isEmpty()) {
        body.insert(QStringLiteral("batchId"), batchId);
    }
    if (!replacesAsn.isEmpty()) {
        body.insert(QStringLiteral("replacesAsn"), replacesAsn);
        body.insert(QStringLiteral("approvalId"), approvalId);
    }
    return call("POST", QStringLiteral("/v1/issuance/jobs"), body);
}

Result<QJsonObject> BranchStation::getJob(const QString& jobId)
{
    return call("GET", QStringLiteral("/v1/issuance/jobs/%1").arg(jobId));
}

Result<QJsonObject> BranchStation::personalise(
    const QString& jobId, const SecureBytes& pinDigits, const std::function<void(int)>& progress)
{
    std::uint16_t previous = 0x9000;
    for (int step = 1; step <= 19; ++step) {
        auto rnd = challenge(8);
        if (!rnd) {
            return rnd.error();
        }
        QJsonObject body{{QStringLiteral("step"), step}, {QStringLiteral("challenge"), hexUpper(*rnd)}};
        if (step > 1) {
            body.insert(QStringLiteral("previousStatusWord"), swHex(previous));
        }
        if (step == 10) {
            body.insert(QStringLiteral("pin"), pinString(pinDigits)); // the customer's, inside TLS only
        }
        auto a = call("POST", QStringLiteral("/v1/issuance/jobs/%1/steps").arg(jobId), body);
        body = QJsonObject(); // drop the PIN copy at once
        if (!a) {
            return a.error();
        }
        auto r = sendRaw(QByteArray::fromHex(a->value(QStringLiteral("apdu")).toString().toLatin1()));
        if (!r) {
            return r.error();
        }
        previous = r->sw();
        if (previous != 0x9000) {
            // Told to the bank with the next step, which fails the job with the key's word (nothing issued).
            auto rnd2 = challenge(8);
            (void)call("POST",
                QStringLiteral("/v1/issuance/jobs/%1/steps").arg(jobId),
                QJsonObject{{QStringLiteral("step"), step < 19 ? step + 1 : 19},
                    {QStringLiteral("challenge"), rnd2 ? hexUpper(*rnd2) : QStringLiteral("0000000000000000")},
                    {QStringLiteral("previousStatusWord"), swHex(previous)}});
            return makeError(ErrorCode::Declined,
                QStringLiteral("the key refused issuance step %1 with %2: its transport key is not the one the bank "
                               "derives for serial (a key of another manufacturer, or a wrong KT); nothing was "
                               "issued")
                    .arg(step)
                    .arg(swHex(previous)),
                previous);
        }
        if (progress) {
            progress(step);
        }
    }
    return completeJob(jobId);
}

Result<QJsonObject> BranchStation::completeJob(const QString& jobId)
{
    (void)m_key.transmit(CommandApdu(0x00, 0xA4, 0x04, 0x00, QByteArray::fromHex("D15600000145442F4550")));
    auto bin = m_key.transmit(CommandApdu(0x00, 0xB0, 0x95, 0x00, QByteArray(), 0x1E));
    if (!bin) {
        return bin.error();
    }
    return call("POST",
        QStringLiteral("/v1/issuance/jobs/%1/completion").arg(jobId),
        QJsonObject{{QStringLiteral("statusWord"), QStringLiteral("9000")},
            {QStringLiteral("lifeCycle"), QStringLiteral("01")},
            {QStringLiteral("sfi15"), hexUpper(bin->data())}});
}

Result<QJsonObject> BranchStation::maintenance(
    const QString& asn, const QString& operation, QJsonObject body, const SecureBytes& pinDigits)
{
    // SELECT first: the secure-messaging commands address the application (a blocked one answers 6A81 to SELECT
    // and still takes APPLICATION UNBLOCK).
    (void)m_key.transmit(CommandApdu(0x00, 0xA4, 0x04, 0x00, QByteArray::fromHex("D15600000145442F4550")));
    if (operation == QLatin1String("card-block")) {
        // Account closure: the balance the key holds, read just before CARD BLOCK ends it for good; the bank pays
        // back at most what it vouches for (docs/branch.md).
        auto balance = m_key.transmit(CommandApdu(0x80, 0x5C, 0x00, 0x02, QByteArray(), 4));
        if (!balance) {
            return balance.error();
        }
        if (balance->sw() != 0x9000 || balance->data().size() != 4) {
            return makeError(ErrorCode::CardError,
                QStringLiteral("GET BALANCE answered %1").arg(swHex(balance->sw())),
                balance->sw());
        }
        const QByteArray b = balance->data();
        const qint64 fen = (qint64(quint8(b[0])) << 24) | (qint64(quint8(b[1])) << 16) | (qint64(quint8(b[2])) << 8)
            | qint64(quint8(b[3]));
        body.insert(QStringLiteral("keyBalance"), fen);
    }
    auto rnd = challenge(4);
    if (!rnd) {
        return rnd.error();
    }
    body.insert(QStringLiteral("challenge"), hexUpper(*rnd));
    if (!pinDigits.empty()) {
        body.insert(QStringLiteral("pin"), pinString(pinDigits));
    }
    auto cmd = call("POST", QStringLiteral("/v1/cards/%1/maintenance/%2").arg(asn, operation), body);
    body = QJsonObject();
    if (!cmd) {
        return cmd.error();
    }
    const QString commandId = cmd->value(QStringLiteral("commandId")).toString();
    auto r = sendRaw(QByteArray::fromHex(cmd->value(QStringLiteral("apdu")).toString().toLatin1()));
    if (!r) {
        // The command may have reached the key: only the key can say whether it ran (its life cycle, GET DATA).
        // Nothing is reported and nothing is paid on a guess (docs/bank.md §9).
        return makeError(ErrorCode::OutcomeUnknown,
            QStringLiteral("the key did not answer %1 (%2): its outcome is unknown and is being checked; the bank "
                           "holds command %3 without an outcome (nothing paid or changed yet). Next step: put the "
                           "key back and let the station read it (`branchctl outcome --command %3 --from-key`): "
                           "only the key's own state decides")
                .arg(operation, r.error().detail, commandId));
    }
    auto outcome = reportOutcome(commandId, swHex(r->sw()));
    if (!outcome) {
        if (outcome.error().code == ErrorCode::OutcomeUnknown || outcome.error().code == ErrorCode::BankUnreachable) {
            return makeError(ErrorCode::OutcomeUnknown,
                QStringLiteral("the key answered %1 to %2, but the bank did not confirm the report of command %3 "
                               "(%4). Next step: report it again with `branchctl outcome --command %3 "
                               "--status-word %1`; the bank records it once")
                    .arg(swHex(r->sw()), operation, commandId, outcome.error().detail),
                r->sw());
        }
        return outcome.error();
    }
    if (r->sw() != 0x9000) {
        return makeError(
            ErrorCode::CardError, QStringLiteral("the key refused %1 with %2").arg(operation, swHex(r->sw())), r->sw());
    }
    return *outcome;
}

Result<QString> BranchStation::approval(const QString& operation,
    const QString& asn,
    const QString& reason,
    const QString& supervisor,
    const SecureBytes& supervisorPassword,
    bool approve)
{
    auto ask = call("POST",
        QStringLiteral("/v1/approvals"),
        QJsonObject{{QStringLiteral("operation"), operation},
            {QStringLiteral("asn"), asn},
            {QStringLiteral("reason"), reason}});
    if (!ask) {
        return ask.error();
    }
    const QString id = ask->value(QStringLiteral("approvalId")).toString();
    auto d = call("POST",
        QStringLiteral("/v1/approvals/%1/decision").arg(id),
        QJsonObject{{QStringLiteral("username"), supervisor},
            {QStringLiteral("password"),
                QString::fromUtf8(reinterpret_cast<const char*>(supervisorPassword.data()),
                    static_cast<qsizetype>(supervisorPassword.size()))},
            {QStringLiteral("decision"), approve ? QStringLiteral("approve") : QStringLiteral("refuse")}});
    if (!d) {
        return d.error();
    }
    if (d->value(QStringLiteral("state")).toString() != QStringLiteral("approved")) {
        return makeError(ErrorCode::Declined,
            QStringLiteral("the supervisor refused the approval (bank: approval-refused, HTTP 200)"));
    }
    return id;
}

Result<QJsonObject> BranchStation::reportOutcome(const QString& commandId, const QString& statusWord)
{
    return call("POST",
        QStringLiteral("/v1/maintenance-commands/%1/outcome").arg(commandId),
        QJsonObject{{QStringLiteral("statusWord"), statusWord}});
}

QString BranchStation::approvalReason(const QString& approvalOperation)
{
    if (approvalOperation == QLatin1String("pin-reload")) {
        return QStringLiteral("PIN reload at the branch; ID checked");
    }
    if (approvalOperation == QLatin1String("account-closure")) {
        return QStringLiteral("Account closed at the branch");
    }
    if (approvalOperation == QLatin1String("card-replacement")) {
        return QStringLiteral("Lost key replaced at the branch; ID checked");
    }
    return QStringLiteral("Permanent block at the branch");
}

Result<QJsonObject> BranchStation::createReplacementJob(const QString& deviceSerial,
    const StationCustomer& customer,
    const StationProfile& profile,
    const QString& lostAsn,
    const QString& approvalId)
{
    return createJob(deviceSerial, customer, profile, {}, lostAsn, approvalId);
}

Result<QJsonObject> BranchStation::closeAccount(const QString& asn, const QString& approvalId)
{
    return maintenance(asn, QStringLiteral("card-block"), QJsonObject{{QStringLiteral("approvalId"), approvalId}});
}

Result<QJsonObject> BranchStation::blockPermanently(const QString& asn, const QString& approvalId)
{
    return maintenance(asn,
        QStringLiteral("application-block"),
        QJsonObject{{QStringLiteral("permanent"), true}, {QStringLiteral("approvalId"), approvalId}});
}

QString bankProblemCode(const Error& e)
{
    static const QRegularExpression re(QStringLiteral("\\(bank: ([a-z0-9-]+), HTTP \\d+\\)"));
    const auto m = re.match(e.detail);
    return m.hasMatch() ? m.captured(1) : QString();
}

Result<QJsonObject> BranchStation::hotlist(const QString& asn, const QString& reason, const QString& note)
{
    return call("POST",
        QStringLiteral("/v1/cards/%1/hotlisting").arg(asn),
        QJsonObject{{QStringLiteral("reason"), reason}, {QStringLiteral("note"), note}});
}

} // namespace wallet::core
