// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <QAbstractListModel>
#include <QString>
#include <QVector>
#include <QtQml/qqmlregistration.h>

namespace wallet::app {

/// @brief The keys the device manager found, for the "choose a key" page.
class KeyListModel : public QAbstractListModel
{
    Q_OBJECT
    QML_ELEMENT
    QML_UNCREATABLE("Created by the wallet")
    Q_PROPERTY(int count READ rowCount NOTIFY countChanged)

public:
    enum Role { DescriptionRole = Qt::UserRole + 1, SimulatedRole, IdRole, CurrentRole };
    Q_ENUM(Role)

    struct Entry
    {
        QString id; ///< the device manager's handle (path or simulator address)
        QString description; ///< "USB 1209:0001 /dev/hidraw3", "Simulated key 127.0.0.1:21700"
        bool simulated = false;
    };

    explicit KeyListModel(QObject* parent = nullptr);

    [[nodiscard]] int rowCount(const QModelIndex& parent = {}) const override;
    [[nodiscard]] QVariant data(const QModelIndex& index, int role) const override;
    [[nodiscard]] QHash<int, QByteArray> roleNames() const override;

    void setEntries(QVector<Entry> entries);
    void setCurrentId(const QString& id);
    [[nodiscard]] const QVector<Entry>& entries() const { return m_entries; }

signals:
    void countChanged();

private:
    QVector<Entry> m_entries;
    QString m_currentId;
};

} // namespace wallet::app
