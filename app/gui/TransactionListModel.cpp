// SPDX-License-Identifier: Apache-2.0
#include "app/gui/TransactionListModel.h"

#include "app/gui/AmountText.h"

#include <QLocale>

namespace wallet::app {

TransactionListModel::TransactionListModel(QObject* parent)
    : QAbstractListModel(parent)
{ }

int TransactionListModel::rowCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : static_cast<int>(m_rows.size());
}

QString TransactionListModel::kindText(core::TransactionType type)
{
    switch (type) {
    case core::TransactionType::Load:
        return tr("Load");
    case core::TransactionType::Purchase:
        return tr("Payment");
    case core::TransactionType::CompositePurchase:
        return tr("Composite payment");
    }
    return tr("Transaction");
}

QVariant TransactionListModel::data(const QModelIndex& index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid)) {
        return {};
    }
    const Row& r = m_rows.at(index.row());
    switch (role) {
    case Qt::DisplayRole:
    case KindTextRole:
        return kindText(r.type);
    case KindRole:
        return r.type == core::TransactionType::Load ? QStringLiteral("load") : QStringLiteral("purchase");
    case IncomingRole:
        return r.type == core::TransactionType::Load;
    case AmountFenRole:
        return QVariant::fromValue<qint64>(r.amountFen);
    case AmountTextRole:
        return AmountText::format(r.amountFen);
    case DateTextRole:
        return r.when.isValid() ? QLocale().toString(r.when, QLocale::ShortFormat) : QString();
    case DetailTextRole:
        // Loads come from the cardholder's bank (the mirror's note for them is not for display).
        if (r.type == core::TransactionType::Load) {
            return tr("From your bank");
        }
        if (!r.merchant.isEmpty()) {
            return r.merchant;
        }
        return r.terminalId.isEmpty() ? QString()
                                      : tr("Terminal %1").arg(QString::fromLatin1(r.terminalId.toHex().toUpper()));
    case AtcRole:
        return r.atc;
    case TacRole:
        return QString::fromLatin1(r.tac.toHex().toUpper());
    case BalanceAfterTextRole:
        return r.balanceAfterFen ? AmountText::format(*r.balanceAfterFen) : QString();
    default:
        return {};
    }
}

QHash<int, QByteArray> TransactionListModel::roleNames() const
{
    return {{KindRole, "kind"},
        {KindTextRole, "kindText"},
        {IncomingRole, "incoming"},
        {AmountFenRole, "amountFen"},
        {AmountTextRole, "amountText"},
        {DateTextRole, "dateText"},
        {DetailTextRole, "detailText"},
        {AtcRole, "atc"},
        {TacRole, "tac"},
        {BalanceAfterTextRole, "balanceAfterText"}};
}

void TransactionListModel::setRows(QVector<Row> rows)
{
    const bool countChange = rows.size() != m_rows.size();
    beginResetModel();
    m_rows = std::move(rows);
    endResetModel();
    if (countChange) {
        emit countChanged();
    }
}

void TransactionListModel::retranslate()
{
    if (!m_rows.isEmpty()) {
        emit dataChanged(index(0), index(static_cast<int>(m_rows.size()) - 1));
    }
}

TransactionListModel::Row TransactionListModel::fromStored(const core::StoredTransaction& t)
{
    Row r;
    r.type = t.type;
    r.amountFen = t.amount.fen();
    r.when = t.when;
    r.terminalId = t.terminalId;
    r.merchant = t.merchant;
    r.atc = t.atc;
    r.tac = t.tac;
    if (t.balanceAfter) {
        r.balanceAfterFen = t.balanceAfter->fen();
    }
    return r;
}

TransactionListModel::Row TransactionListModel::fromRecord(const core::TransactionRecord& rec)
{
    Row r;
    r.type = rec.type;
    r.amountFen = rec.amount.fen();
    r.when = rec.when;
    r.terminalId = rec.terminalId;
    r.atc = rec.atc;
    return r;
}

} // namespace wallet::app
