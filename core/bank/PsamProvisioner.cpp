// SPDX-License-Identifier: Apache-2.0
#include "core/bank/PsamProvisioner.h"

#include "core/apdu/Exchange.h"
#include "core/apdu/StatusWord.h"
#include "core/psam/CardPsam.h"
#include "core/purse/DeviceInfo.h"

#include <QUuid>

namespace wallet::core {

namespace {

/// One API call with its own request id, retried with the same id while the outcome is unknown.
Result<BankAnswer> call(BankClient& bank, const QString& path, const QJsonObject& body, const QString& context)
{
    BankCall c;
    c.method = QByteArrayLiteral("POST");
    c.path = path;
    c.body = body;
    c.requestId = QUuid::createUuid().toString(QUuid::WithoutBraces);
    Result<BankAnswer> answer = makeError(ErrorCode::OutcomeUnknown, context);
    for (int attempt = 0; attempt < 3; ++attempt) {
        answer = bank.send(c);
        if (answer || answer.error().code != ErrorCode::OutcomeUnknown) {
            break;
        }
    }
    if (!answer) {
        Error e = answer.error();
        e.detail = context + QStringLiteral(": ") + e.detail;
        return e;
    }
    if (!answer->ok()) {
        return problemError(*answer, context);
    }
    return answer;
}

QString hex(const QByteArray& b)
{
    return QString::fromLatin1(b.toHex().toUpper());
}

} // namespace

Result<PsamProvisioningOutcome> provisionPsam(
    ApduChannel& sam, BankClient& bank, const std::function<void(const QString&)>& progress)
{
    auto say = [&](const QString& line) {
        if (progress) {
            progress(line);
        }
    };
    auto info = readDeviceInfo(sam);
    if (!info) {
        return info.error();
    }
    PsamProvisioningOutcome out;
    out.serial = info->serialHex();
    if (auto s = CardPsam::select(sam); !s) {
        return s.error();
    }
    auto before = CardPsam::readStatus(sam);
    if (!before) {
        return before.error();
    }
    if (before->lifeCycle != 0x00 && before->lifeCycle != 0x01) {
        return makeError(ErrorCode::InvalidState,
            QStringLiteral("the SAM %1 is blocked (PSAM life cycle %2): it cannot be provisioned; set it aside")
                .arg(out.serial)
                .arg(before->lifeCycle));
    }
    say(QStringLiteral("SAM %1 (PSAM life cycle %2): asking the bank").arg(out.serial).arg(before->lifeCycle));
    auto created = call(bank,
        QStringLiteral("/v1/psams"),
        QJsonObject{{QStringLiteral("deviceSerial"), out.serial}},
        QStringLiteral("provisioning SAM %1").arg(out.serial));
    if (!created) {
        return created.error();
    }
    out.terminalId = QByteArray::fromHex(created->body.value(QStringLiteral("terminalId")).toString().toLatin1());
    out.firstTsn = static_cast<std::uint32_t>(created->body.value(QStringLiteral("firstTsn")).toInteger());
    const int total = static_cast<int>(created->body.value(QStringLiteral("totalSteps")).toInteger());
    const QString base = QStringLiteral("/v1/psams/") + out.serial;
    if (before->lifeCycle == 0x00) {
        for (int step = 1; step <= total; ++step) {
            auto challenge
                = exchange(sam, CommandApdu(0x00, 0x84, 0x00, 0x00, {}, 4), QStringLiteral("SAM GET CHALLENGE"), 4);
            if (!challenge) {
                return challenge.error();
            }
            auto command = call(bank,
                base + QStringLiteral("/steps"),
                QJsonObject{{QStringLiteral("step"), step}, {QStringLiteral("challenge"), hex(*challenge)}},
                QStringLiteral("SAM %1 step %2").arg(out.serial).arg(step));
            if (!command) {
                return command.error();
            }
            const QString name = command->body.value(QStringLiteral("name")).toString();
            const QByteArray raw
                = QByteArray::fromHex(command->body.value(QStringLiteral("apdu")).toString().toLatin1());
            if (raw.size() < 5 || raw.size() != 5 + static_cast<std::uint8_t>(raw.at(4))) {
                return makeError(ErrorCode::ProtocolError,
                    QStringLiteral("the bank's command for step %1 is not one case-3 APDU").arg(step));
            }
            // Key material inside (WRITE KEY's ENC): redacted in every dump.
            const CommandApdu apdu(static_cast<std::uint8_t>(raw.at(0)),
                static_cast<std::uint8_t>(raw.at(1)),
                static_cast<std::uint8_t>(raw.at(2)),
                static_cast<std::uint8_t>(raw.at(3)),
                raw.mid(5),
                std::nullopt,
                true);
            auto answer = sam.transmit(apdu);
            if (!answer) {
                Error e = answer.error();
                e.detail = QStringLiteral("SAM %1 step %2 (%3): %4. Nothing is registered at the bank; put the SAM "
                                          "back and run the provisioning again.")
                               .arg(out.serial)
                               .arg(step)
                               .arg(name, e.detail);
                return e;
            }
            if (!answer->isSuccess()) {
                Error e = StatusWord::toError(answer->sw(), QStringLiteral("SAM step %1").arg(step));
                e.detail = QStringLiteral("SAM %1 refused step %2 of %3 (%4) with %5; stopped there. Nothing is "
                                          "registered at the bank. %6")
                               .arg(out.serial)
                               .arg(step)
                               .arg(total)
                               .arg(name)
                               .arg(answer->sw(), 4, 16, QLatin1Char('0'))
                               .arg(answer->sw() == 0x6988
                                       ? QStringLiteral("A wrong MAC: this SAM's transport key is not the one the "
                                                        "bank knows for its serial; set it aside and report it.")
                                       : QStringLiteral("Check the SAM (GET STATUS) and run the provisioning again, "
                                                        "or set it aside."));
                return e;
            }
            ++out.commands;
            say(QStringLiteral("step %1/%2 %3: 9000").arg(step).arg(total).arg(name));
        }
    }
    if (auto s = CardPsam::select(sam); !s) {
        return s.error();
    }
    auto after = exchange(sam, CommandApdu(0x80, 0xF2, 0x00, 0x00, {}, 17), QStringLiteral("SAM GET STATUS"), 17);
    if (!after) {
        return after.error();
    }
    auto done = call(bank,
        base + QStringLiteral("/completion"),
        QJsonObject{{QStringLiteral("status"), hex(*after)}},
        QStringLiteral("registering SAM %1").arg(out.serial));
    if (!done) {
        return done.error();
    }
    say(QStringLiteral("SAM %1 provisioned: terminal ID %2, first TSN %3")
            .arg(out.serial, QString::fromLatin1(out.terminalId.toHex()))
            .arg(out.firstTsn));
    return out;
}

} // namespace wallet::core
