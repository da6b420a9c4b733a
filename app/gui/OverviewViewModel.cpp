// SPDX-License-Identifier: Apache-2.0
#include "app/gui/OverviewViewModel.h"

#include "app/gui/AmountText.h"
#include "app/gui/ErrorText.h"
#include "app/gui/WalletSession.h"

#include <QLocale>

namespace wallet::app {

namespace {
struct Snapshot
{
    core::CardInfo card;
    core::Validity validity;
    std::int64_t balanceFen = -1;
    QVector<TransactionListModel::Row> recent;
};
} // namespace

OverviewViewModel::OverviewViewModel(WalletSession& session, QObject* parent)
    : QObject(parent)
    , m_session(session)
{ }

void OverviewViewModel::refresh()
{
    m_busy = true;
    emit changed();
    m_session.run<Snapshot>(
        this,
        [](core::ApduChannel& channel, PurseContext& ctx) -> core::Result<Snapshot> {
            auto purse = ctx.purse(channel);
            if (!purse) {
                return purse.error();
            }
            core::PurseService& p = **purse;
            Snapshot s;
            s.card = p.card();
            s.validity = p.checkValidity();
            if (!s.validity.ok()) {
                return s;
            }
            auto balance = p.balance();
            if (!balance) {
                return balance.error();
            }
            s.balanceFen = balance->fen();
            // The mirror is the record of what this wallet saw; the key's own log fills it (idempotent).
            if (ctx.mirror()) {
                (void)p.syncMirror();
                core::HistoryQuery q;
                q.tokenSerial = s.card.device.serialHex();
                q.limit = kRecentCount;
                if (auto rows = ctx.mirror()->history(q); rows) {
                    for (const auto& t : *rows) {
                        s.recent.push_back(TransactionListModel::fromStored(t));
                    }
                    return s;
                }
            }
            if (auto records = p.history(); records) {
                for (const auto& r : *records) {
                    if (s.recent.size() >= kRecentCount) {
                        break;
                    }
                    s.recent.push_back(TransactionListModel::fromRecord(r));
                }
            }
            return s;
        },
        [this](core::Result<Snapshot> result) {
            m_busy = false;
            if (!result) {
                m_error = ErrorText::describe(result.error());
                emit changed();
                return;
            }
            m_error.clear();
            m_card = result->card;
            m_validity = result->validity;
            if (result->balanceFen >= 0) {
                m_balanceFen = result->balanceFen;
            }
            m_recent.setRows(result->recent);
            emit changed();
            if (!m_validity.ok()) {
                emit validityProblemFound(m_validity.problem);
            } else {
                emit refreshed();
            }
        });
}

void OverviewViewModel::clear()
{
    m_card = {};
    m_validity = {};
    m_balanceFen = -1;
    m_error.clear();
    m_recent.setRows({});
    emit changed();
}

void OverviewViewModel::setBalance(std::int64_t fen)
{
    m_balanceFen = fen;
    emit changed();
}

QString OverviewViewModel::balanceText() const
{
    return m_balanceFen < 0 ? QStringLiteral("—") : AmountText::format(m_balanceFen);
}

QString OverviewViewModel::holderName() const
{
    if (!m_card.cardholder) {
        return m_card.application.raw.isEmpty() ? QString() : tr("Cardholder");
    }
    const QString name = m_card.cardholder->name.trimmed();
    return name.isEmpty() ? tr("Cardholder") : name;
}

QString OverviewViewModel::mask(const QString& digits)
{
    if (digits.size() <= 4) {
        return digits;
    }
    QString out;
    const qsizetype hidden = digits.size() - 4;
    for (qsizetype i = 0; i < hidden; ++i) {
        if (i > 0 && i % 4 == 0) {
            out += QLatin1Char(' ');
        }
        out += QChar(0x2022);
    }
    return out + QLatin1Char(' ') + digits.right(4);
}

QString OverviewViewModel::maskedSerial() const
{
    const QByteArray serial = m_card.application.applicationSerial;
    return serial.isEmpty() ? QString() : mask(QString::fromLatin1(serial.toHex().toUpper()));
}

QString OverviewViewModel::validityText() const
{
    const auto& a = m_card.application;
    if (!a.startDate.isValid() || !a.expiryDate.isValid()) {
        return {};
    }
    const QLocale locale;
    //: validity period of the purse: from date to date
    return tr("%1 to %2")
        .arg(locale.toString(a.startDate, QLocale::ShortFormat), locale.toString(a.expiryDate, QLocale::ShortFormat));
}

QString OverviewViewModel::problemText() const
{
    switch (m_validity.problem) {
    case core::ValidityProblem::None:
        return {};
    case core::ValidityProblem::NotPersonalised:
        return tr("This key has not been issued yet.");
    case core::ValidityProblem::Blocked:
        return tr("The purse is blocked. Bring the key and your ID to a branch of your bank.");
    case core::ValidityProblem::Terminated:
        return tr("The purse is permanently blocked. Ask your bank for a replacement key.");
    case core::ValidityProblem::NotYetValid:
        return tr("The purse is not valid yet. It can be used from %1.")
            .arg(QLocale().toString(m_card.application.startDate, QLocale::ShortFormat));
    case core::ValidityProblem::Expired:
        return tr("The purse expired on %1. Ask your bank to renew it.")
            .arg(QLocale().toString(m_card.application.expiryDate, QLocale::ShortFormat));
    case core::ValidityProblem::UnknownIssuer:
        return tr("This key was issued by a bank this wallet does not accept.");
    case core::ValidityProblem::NotAnEPurse:
        return tr("This key does not hold an electronic purse.");
    }
    return {};
}

} // namespace wallet::app
