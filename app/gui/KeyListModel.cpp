// SPDX-License-Identifier: Apache-2.0
#include "app/gui/KeyListModel.h"

namespace wallet::app {

KeyListModel::KeyListModel(QObject* parent)
    : QAbstractListModel(parent)
{ }

int KeyListModel::rowCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : static_cast<int>(m_entries.size());
}

QVariant KeyListModel::data(const QModelIndex& index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid)) {
        return {};
    }
    const Entry& e = m_entries.at(index.row());
    switch (role) {
    case Qt::DisplayRole:
    case DescriptionRole:
        return e.description;
    case SimulatedRole:
        return e.simulated;
    case IdRole:
        return e.id;
    case CurrentRole:
        return e.id == m_currentId;
    default:
        return {};
    }
}

QHash<int, QByteArray> KeyListModel::roleNames() const
{
    return {
        {DescriptionRole, "description"}, {SimulatedRole, "simulated"}, {IdRole, "keyId"}, {CurrentRole, "current"}};
}

void KeyListModel::setEntries(QVector<Entry> entries)
{
    const bool countChange = entries.size() != m_entries.size();
    beginResetModel();
    m_entries = std::move(entries);
    endResetModel();
    if (countChange) {
        emit countChanged();
    }
}

void KeyListModel::setCurrentId(const QString& id)
{
    if (id == m_currentId) {
        return;
    }
    m_currentId = id;
    if (!m_entries.isEmpty()) {
        emit dataChanged(index(0), index(static_cast<int>(m_entries.size()) - 1), {CurrentRole});
    }
}

} // namespace wallet::app
