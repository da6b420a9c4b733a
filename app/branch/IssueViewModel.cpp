// SPDX-License-Identifier: Apache-2.0
#include "app/branch/IssueViewModel.h"

#include "app/branch/Receipt.h"
#include "app/branch/StationContext.h"
#include "core/purse/Amount.h"

#include <QDir>
#include <QPointer>
#include <QRegularExpression>

#include <algorithm>

namespace wallet::branch {
namespace {

QString problemText(const QString& code)
{
    if (code == QLatin1String("name-empty")) {
        return IssueViewModel::tr("Enter the customer's name.");
    }
    if (code == QLatin1String("name-too-long")) {
        return IssueViewModel::tr("The name is too long for the key (20 bytes).");
    }
    if (code == QLatin1String("id-empty")) {
        return IssueViewModel::tr("Enter the ID number.");
    }
    if (code == QLatin1String("id-checksum")) {
        return IssueViewModel::tr("Not a valid resident ID number: check the 18 characters (the last is a check "
                                  "character).");
    }
    if (code == QLatin1String("id-format")) {
        return IssueViewModel::tr("An ID number has 5 to 32 letters and digits.");
    }
    if (code == QLatin1String("phone-format")) {
        return IssueViewModel::tr("Enter the phone number with its country code, e.g. +8613800138000.");
    }
    return {};
}

} // namespace

IssueViewModel::IssueViewModel(StationContext& context, const core::Clock& clock, QObject* parent)
    : QObject(parent)
    , m_context(context)
    , m_clock(clock)
{
    connect(&m_pin, &PinEntry::entered, this, &IssueViewModel::personalise);
}

void IssueViewModel::reset()
{
    m_state = QStringLiteral("idle");
    m_serial.clear();
    m_asn.clear();
    m_jobId.clear();
    m_progress = 0;
    m_message.clear();
    m_nameError.clear();
    m_idError.clear();
    m_phoneError.clear();
    m_profileError.clear();
    m_receiptPath.clear();
    m_replacesError.clear();
    m_replacesAsn.clear();
    m_approvalFor.clear();
    m_approvalBusy = false;
    m_pin.reset();
    emit changed();
}

void IssueViewModel::fail(const core::Error& e)
{
    if (problemCodeOf(e) == QLatin1String("session-expired") && onSessionExpired) {
        onSessionExpired();
    }
    m_state = QStringLiteral("failed");
    const QString code = problemCodeOf(e);
    if (code == QLatin1String("device-already-issued")) {
        m_message = tr("This key was issued already: it cannot be issued again. Nothing was changed.");
    } else if (code == QLatin1String("role-forbidden")) {
        m_message = tr("Your role may not issue keys. Nothing was changed.");
    } else if (code == QLatin1String("device-unknown")) {
        m_message = tr("The manufacturer did not ship this key to the bank: do not issue it, set it aside. Nothing "
                       "was written.");
    } else if (code == QLatin1String("customer-mismatch")) {
        m_message = tr("This customer's ID does not match the lost key's account. Nothing was changed.");
    } else if (code == QLatin1String("replacement-pending")) {
        m_message = tr("Another key is already replacing that lost key. Nothing was changed.");
    } else if (e.code == core::ErrorCode::Declined && e.statusWord != 0) {
        m_message = tr("The key refused the bank's transport key: it is not a key of our manufacturer (or its "
                       "transport key is wrong). Nothing was issued.");
    } else {
        m_message = tr("Issuance failed: %1").arg(e.detail);
    }
    m_pin.reset();
    emit changed();
}

void IssueViewModel::detectKey()
{
    m_state = QStringLiteral("detecting");
    m_message.clear();
    emit changed();
    m_context.run<core::StationKeyState>(
        this,
        [](core::BranchStation& s) { return s.readKey(); },
        [this](core::Result<core::StationKeyState> r) {
            if (!r) {
                m_state = QStringLiteral("idle");
                m_message = tr("No key found: %1").arg(r.error().detail);
                emit changed();
                return;
            }
            m_serial = r->deviceSerial;
            if (!r->blank()) {
                m_state = QStringLiteral("idle");
                m_message = tr("The key %1 is already issued (ASN %2). Use Services for it.").arg(m_serial, r->asn);
            } else {
                m_state = QStringLiteral("blank");
                m_message = tr("Blank key %1 detected.").arg(m_serial);
            }
            emit changed();
        });
}

void IssueViewModel::submit(const QString& name,
    int idType,
    const QString& idNumber,
    const QString& phone,
    const QString& algorithm,
    const QString& maxBalance,
    const QString& noPinLimit,
    bool touch,
    const QString& replacesAsn)
{
    if (m_state != QLatin1String("blank")) {
        return;
    }
    static const QRegularExpression asnForm(QStringLiteral("^[0-9A-F]{16}$"));
    const QString replaces = replacesAsn.trimmed().toUpper();
    m_replacesError = replaces.isEmpty() || asnForm.match(replaces).hasMatch()
        ? QString()
        : tr("A lost key's ASN has 16 digits (0-9, A-F).");
    m_nameError = problemText(core::CustomerCheck::nameProblem(name));
    m_idError = problemText(core::CustomerCheck::idProblem(idType, idNumber.trimmed()));
    m_phoneError = problemText(core::CustomerCheck::phoneProblem(phone.trimmed()));
    const auto max = core::Amount::parse(maxBalance);
    const auto limit = core::Amount::parse(noPinLimit);
    m_profileError.clear();
    if (!max || max->isZero()) {
        m_profileError = tr("Enter the maximum balance in yuan, e.g. 1000.00.");
    } else if (!limit || *limit > *max) {
        m_profileError = tr("The no-PIN limit is an amount in yuan no higher than the maximum balance.");
    }
    if (!m_nameError.isEmpty() || !m_idError.isEmpty() || !m_phoneError.isEmpty() || !m_profileError.isEmpty()
        || !m_replacesError.isEmpty()) {
        m_message = tr("Check the fields marked in red.");
        emit changed();
        return;
    }
    m_customer = core::StationCustomer{name.trimmed(), idType, idNumber.trimmed().toUpper(), phone.trimmed()};
    m_profile = core::StationProfile{algorithm == QLatin1String("sm4") ? QStringLiteral("sm4") : QStringLiteral("3des"),
        static_cast<qint64>(max->fen()),
        static_cast<qint64>(limit->fen()),
        touch};
    m_replacesAsn = replaces;
    if (!m_replacesAsn.isEmpty()) {
        // Dual control: a replacement carries the lost key's money, so a supervisor approves it first.
        m_state = QStringLiteral("approval");
        m_approvalFor = QStringLiteral("card-replacement");
        m_message = tr("Replacing lost key %1 needs a supervisor: they type their credential here.").arg(m_replacesAsn);
        emit changed();
        return;
    }
    createJob({});
}

void IssueViewModel::decide(const QString& supervisor, const QString& password, bool approve)
{
    if (m_approvalFor.isEmpty() || m_approvalBusy) {
        return;
    }
    m_approvalBusy = true;
    emit changed();
    const QString op = m_approvalFor;
    const QString asn = m_replacesAsn;
    const QString user = supervisor.trimmed();
    const core::SecureBytes pw = core::toSecure(password.toUtf8());
    m_context.run<QString>(
        this,
        [op, asn, user, pw, approve](core::BranchStation& s) {
            return s.approval(op, asn, core::BranchStation::approvalReason(op), user, pw, approve);
        },
        [this](core::Result<QString> r) {
            m_approvalBusy = false;
            m_approvalFor.clear();
            if (!r) {
                const QString code = problemCodeOf(r.error());
                m_state = QStringLiteral("blank");
                m_message = code == QLatin1String("approval-refused") || r.error().code == core::ErrorCode::Declined
                    ? tr("The supervisor refused. Nothing was done.")
                    : tr("Approval refused: %1. Nothing was done.").arg(r.error().detail);
                emit changed();
                return;
            }
            createJob(*r);
        });
}

void IssueViewModel::cancel()
{
    m_approvalFor.clear();
    if (m_state == QLatin1String("approval")) {
        m_state = QStringLiteral("blank");
    }
    m_message = tr("Cancelled. Nothing was done.");
    emit changed();
}

void IssueViewModel::createJob(const QString& approvalId)
{
    m_state = QStringLiteral("creating");
    m_message = tr("Asking the bank for an account…");
    emit changed();
    const QString serial = m_serial;
    const auto customer = m_customer;
    const auto profile = m_profile;
    const QString replaces = m_replacesAsn;
    m_context.run<QJsonObject>(
        this,
        [serial, customer, profile, replaces, approvalId](core::BranchStation& s) {
            return replaces.isEmpty() ? s.createJob(serial, customer, profile)
                                      : s.createReplacementJob(serial, customer, profile, replaces, approvalId);
        },
        [this](core::Result<QJsonObject> r) {
            if (!r) {
                fail(r.error());
                return;
            }
            m_jobId = r->value(QStringLiteral("jobId")).toString();
            m_asn = r->value(QStringLiteral("asn")).toString();
            m_state = QStringLiteral("pin");
            m_message = tr("Account %1 allocated. Turn the pad to the customer: they set their PIN.").arg(m_asn);
            m_pin.start(true);
            emit changed();
        });
}

void IssueViewModel::personalise(const core::SecureBytes& pin)
{
    if (m_state != QLatin1String("pin")) {
        return;
    }
    m_state = QStringLiteral("running");
    m_progress = 0;
    m_message = tr("Personalising the key…");
    emit changed();
    const QString jobId = m_jobId;
    QPointer<IssueViewModel> self(this);
    m_context.run<QJsonObject>(
        this,
        [jobId, pin, self](core::BranchStation& s) {
            return s.personalise(jobId, pin, [self](int step) {
                app::KeyWorker::deliver(self.data(), [self, step] {
                    self->m_progress = step;
                    emit self->changed();
                });
            });
        },
        [this](core::Result<QJsonObject> r) {
            if (!r) {
                fail(r.error());
                return;
            }
            m_progress = 19;
            ReceiptData d;
            d.title = tr("SmartKey issued");
            d.asn = m_asn;
            d.customerName = m_customer.name;
            d.idNumberMasked = maskId(m_customer.idNumber);
            d.phoneMasked = maskPhone(m_customer.phone);
            d.profile = QStringLiteral("%1, max %2, no-PIN %3%4")
                            .arg(m_profile.algorithm.toUpper(),
                                core::Amount(static_cast<std::uint32_t>(m_profile.maxBalance)).toDisplayString(),
                                core::Amount(static_cast<std::uint32_t>(m_profile.noPinLimit)).toDisplayString(),
                                m_profile.purchaseNeedsTouch ? QStringLiteral(", touch") : QString());
            d.teller = m_teller;
            d.when = m_clock.now();
            const QString path
                = QDir(m_context.dataDir()).filePath(QStringLiteral("receipts/receipt-%1.pdf").arg(m_asn));
            const QString err = writeReceipt(path, d);
            m_receiptPath = err.isEmpty() ? path : QString();
            m_state = QStringLiteral("done");
            m_message = err.isEmpty() ? tr("Key issued: ASN %1. Receipt saved.").arg(m_asn)
                                      : tr("Key issued: ASN %1, but the receipt failed: %2").arg(m_asn, err);
            if (r->contains(QStringLiteral("replacesAsn"))) {
                const qint64 carried = r->value(QStringLiteral("carriedBalance")).toInteger();
                m_message += QLatin1Char(' ')
                    + tr("It replaces ASN %1: %2 moved to the customer's account, ready to load onto the new key.")
                          .arg(r->value(QStringLiteral("replacesAsn")).toString(),
                              core::Amount(static_cast<std::uint32_t>(std::max<qint64>(0, carried))).toDisplayString());
            }
            emit changed();
        });
}

} // namespace wallet::branch
