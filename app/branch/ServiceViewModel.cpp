// SPDX-License-Identifier: Apache-2.0
#include "app/branch/ServiceViewModel.h"

#include "app/branch/StationContext.h"
#include "core/purse/Amount.h"

namespace wallet::branch {

ServiceViewModel::ServiceViewModel(StationContext& context, QObject* parent)
    : QObject(parent)
    , m_context(context)
{
    connect(&m_pin, &PinEntry::entered, this, [this](const core::SecureBytes& pin) {
        if (!m_pinWanted) {
            return;
        }
        m_pinWanted = false;
        QJsonObject body;
        if (!m_approvalId.isEmpty()) {
            body.insert(QStringLiteral("approvalId"), m_approvalId);
        }
        if (!m_idDocument.isEmpty()) {
            body.insert(QStringLiteral("idCheck"), QJsonObject{{QStringLiteral("document"), m_idDocument}});
        }
        run(m_pending, body, pin);
    });
}

QString ServiceViewModel::describe(const core::StationKeyState& s) const
{
    if (s.blank()) {
        return tr("blank key %1 (not issued)").arg(s.deviceSerial);
    }
    QString app;
    // The life cycle of GET DATA first: a terminated key (CARD BLOCK) answers SELECT 6A81 like a blocked one.
    if (s.lifeCycle == 0x04) {
        app = tr("terminated");
    } else if (s.lifeCycle == 0x03) {
        app = tr("blocked permanently");
    } else {
        switch (s.selectSw) {
        case 0x9000:
            app = tr("active");
            break;
        case 0x6A81:
            app = tr("blocked");
            break;
        default:
            app = tr("terminated (%1)").arg(s.selectSw, 4, 16, QLatin1Char('0'));
        }
    }
    return tr("ASN %1 · application %2").arg(s.asn.isEmpty() ? m_asn : s.asn, app);
}

void ServiceViewModel::readKey()
{
    m_busy = true;
    emit changed();
    m_context.run<core::StationKeyState>(
        this,
        [](core::BranchStation& s) { return s.readKey(); },
        [this](core::Result<core::StationKeyState> r) {
            m_busy = false;
            if (!r) {
                m_message = tr("No key found: %1").arg(r.error().detail);
            } else {
                // A blocked application answers no SFI 0x15: the same key keeps the ASN read before.
                if (!r->asn.isEmpty() || r->deviceSerial != m_serial) {
                    m_asn = r->asn;
                }
                m_serial = r->deviceSerial;
                m_lifeCycle = r->lifeCycle;
                m_before = describe(*r);
                m_after.clear();
                m_message.clear();
            }
            emit changed();
        });
}

void ServiceViewModel::start(const QString& operation)
{
    m_pending = operation;
    m_approvalId.clear();
    m_idDocument.clear();
    if (!m_after.isEmpty()) {
        m_before = m_after; // the state the last service left is the state before this one
    }
    m_after.clear();
    m_message.clear();
}

bool ServiceViewModel::idCheckMissing(bool idChecked, const QString& document)
{
    if (idChecked && !document.isEmpty()) {
        return false;
    }
    m_message = tr("Check the customer's ID document first and tick the box.");
    emit changed();
    return true;
}

void ServiceViewModel::pinUnblock(bool idChecked, const QString& document)
{
    if (m_asn.isEmpty() || m_busy || idCheckMissing(idChecked, document)) {
        return;
    }
    start(QStringLiteral("pin-unblock"));
    m_idDocument = document;
    m_pinWanted = true;
    m_pin.start(false);
    m_message = tr("ID check recorded. The customer enters their current PIN on the pad.");
    emit changed();
}

void ServiceViewModel::pinReload(bool idChecked, const QString& document)
{
    if (m_asn.isEmpty() || m_busy || idCheckMissing(idChecked, document)) {
        return;
    }
    start(QStringLiteral("pin-reload"));
    m_idDocument = document;
    m_approvalFor = QStringLiteral("pin-reload");
    m_message = tr("PIN reload needs a supervisor: they type their credential here.");
    emit changed();
}

void ServiceViewModel::block(bool permanent)
{
    if (m_asn.isEmpty() || m_busy) {
        return;
    }
    start(QStringLiteral("application-block"));
    if (permanent) {
        m_approvalFor = QStringLiteral("application-block-permanent");
        m_message = tr("A permanent block needs a supervisor: they type their credential here.");
        emit changed();
        return;
    }
    run(m_pending, QJsonObject{{QStringLiteral("permanent"), false}}, {});
}

void ServiceViewModel::closeAccount()
{
    if (m_asn.isEmpty() || m_busy) {
        return;
    }
    start(QStringLiteral("card-block"));
    m_approvalFor = QStringLiteral("account-closure");
    m_message = tr("Closing the account ends this key for good and pays back its balance. A supervisor types "
                   "their credential here.");
    emit changed();
}

void ServiceViewModel::unblock()
{
    if (m_asn.isEmpty() || m_busy) {
        return;
    }
    start(QStringLiteral("application-unblock"));
    run(m_pending, {}, {});
}

void ServiceViewModel::reportLost(const QString& asn)
{
    const QString target = asn.trimmed().isEmpty() ? m_asn : asn.trimmed().toUpper();
    if (target.size() != 16 || m_busy) {
        m_message = tr("Enter the lost key's 16-digit ASN.");
        emit changed();
        return;
    }
    start(QStringLiteral("hotlist"));
    m_busy = true;
    emit changed();
    m_context.run<QJsonObject>(
        this,
        [target](core::BranchStation& s) {
            return s.hotlist(target, QStringLiteral("lost"), QStringLiteral("reported at the branch"));
        },
        [this, target](core::Result<QJsonObject> r) {
            m_busy = false;
            if (!r) {
                finish(&r.error(), {});
                return;
            }
            m_after = tr("ASN %1 · hot-listed: loads and online payments refused, kiosks told").arg(target);
            m_message = tr("Reported lost.");
            emit changed();
        });
}

void ServiceViewModel::decide(const QString& supervisor, const QString& password, bool approve)
{
    if (m_approvalFor.isEmpty() || m_busy) {
        return;
    }
    m_busy = true;
    emit changed();
    const QString op = m_approvalFor;
    const QString asn = m_asn;
    const QString user = supervisor.trimmed();
    const core::SecureBytes pw = core::toSecure(password.toUtf8());
    const QString reason = core::BranchStation::approvalReason(op);
    m_context.run<QString>(
        this,
        [op, asn, user, pw, reason, approve](
            core::BranchStation& s) { return s.approval(op, asn, reason, user, pw, approve); },
        [this](core::Result<QString> r) {
            m_busy = false;
            m_approvalFor.clear();
            if (!r) {
                const QString code = problemCodeOf(r.error());
                m_message = code == QLatin1String("approval-refused") ? tr("The supervisor refused. Nothing was done.")
                    : code == QLatin1String("approver-credentials-invalid")
                    ? tr("Approval refused: the supervisor's credential was not accepted. Nothing was done.")
                    : code == QLatin1String("approval-same-person")
                    ? tr("Approval refused: you cannot approve your own operation. Nothing was done.")
                    : code == QLatin1String("role-forbidden")
                    ? tr("Approval refused: only a supervisor may approve. Nothing was done.")
                    : tr("Approval failed: %1. Nothing was done.").arg(r.error().detail);
                m_pending.clear();
                emit changed();
                return;
            }
            m_approvalId = *r;
            if (m_pending == QLatin1String("pin-reload")) {
                m_pinWanted = true;
                m_pin.start(true);
                m_message = tr("Approved. The customer enters the new PIN twice on the pad.");
                emit changed();
                return;
            }
            const QString key = m_asn;
            const QString id = m_approvalId;
            if (m_pending == QLatin1String("card-block")) {
                run([key, id](core::BranchStation& s) { return s.closeAccount(key, id); });
                return;
            }
            m_pending = QStringLiteral("application-block-permanent");
            run([key, id](core::BranchStation& s) { return s.blockPermanently(key, id); });
        });
}

void ServiceViewModel::cancel()
{
    m_approvalFor.clear();
    m_pending.clear();
    m_pinWanted = false;
    m_pin.reset();
    m_message = tr("Cancelled. Nothing was done.");
    emit changed();
}

void ServiceViewModel::run(const QString& operation, QJsonObject body, const core::SecureBytes& pin)
{
    const QString asn = m_asn;
    run([asn, operation, body, pin](core::BranchStation& s) { return s.maintenance(asn, operation, body, pin); });
}

void ServiceViewModel::run(std::function<core::Result<QJsonObject>(core::BranchStation&)> job)
{
    m_busy = true;
    m_message = tr("Working with the bank and the key…");
    emit changed();
    m_context.run<QJsonObject>(this, std::move(job), [this](core::Result<QJsonObject> r) {
        if (!r) {
            m_busy = false;
            finish(&r.error(), {});
            return;
        }
        if (m_pending == QLatin1String("card-block")) {
            const qint64 refunded = r->value(QStringLiteral("refunded")).toInteger();
            readAfter(
                tr("Account closed: the key is terminated. Pay the customer %1.")
                    .arg(core::Amount(static_cast<std::uint32_t>(std::max<qint64>(0, refunded))).toDisplayString()));
            return;
        }
        if (m_pending == QLatin1String("application-block-permanent")) {
            readAfter(tr("Blocked permanently: the key can no longer load or pay, and the bank refuses every "
                         "service for it. Only a replacement key helps the customer now."));
            return;
        }
        readAfter(tr("Done: %1.").arg(m_pending));
    });
}

void ServiceViewModel::readAfter(const QString& done)
{
    m_context.run<core::StationKeyState>(
        this,
        [](core::BranchStation& s) { return s.readKey(); },
        [this, done](core::Result<core::StationKeyState> r) {
            m_busy = false;
            m_after = r ? describe(*r) : tr("unknown (%1)").arg(r.error().detail);
            if (r) {
                m_lifeCycle = r->lifeCycle;
            }
            m_message = done;
            m_pending.clear();
            emit changed();
        });
}

void ServiceViewModel::finish(const core::Error* e, const QString& done)
{
    if (e) {
        const QString code = problemCodeOf(*e);
        if (code == QLatin1String("session-expired") && onSessionExpired) {
            onSessionExpired();
        }
        // A key blocked for good or terminated (as the key itself said when it was last read): the bank's refusal
        // in words the teller can act on.
        // The key went silent after the command reached it: whether it ran is not known, so nothing is called done
        // or refused; the key's own state decides at the next contact (docs/branch.md "Closing an account").
        m_message = e->code == core::ErrorCode::OutcomeUnknown ? tr("Unknown, being checked: %1").arg(e->detail)
            : code == QLatin1String("state-conflict") && m_lifeCycle >= 3
            ? tr("Refused: the bank serves no key that is blocked permanently or terminated. Only a replacement key "
                 "helps the customer. Nothing was changed.")
            : tr("Refused: %1").arg(e->detail);
    } else {
        m_message = done;
    }
    m_pending.clear();
    emit changed();
}

} // namespace wallet::branch
