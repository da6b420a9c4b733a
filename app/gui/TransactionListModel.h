// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "core/purse/PurseTypes.h"
#include "core/storage/TransactionStore.h"

#include <QAbstractListModel>
#include <QDateTime>
#include <QVector>
#include <QtQml/qqmlregistration.h>

#include <optional>

namespace wallet::app {

/**
 * @brief Transactions for a list view (overview's recent list, the history page). Rows are plain values made on the
 * worker thread; the model only formats them (money through AmountText, dates through the current QLocale).
 */
class TransactionListModel : public QAbstractListModel
{
    Q_OBJECT
    QML_ELEMENT
    QML_UNCREATABLE("Created by the wallet")
    Q_PROPERTY(int count READ rowCount NOTIFY countChanged)

public:
    enum Role {
        KindRole = Qt::UserRole + 1, ///< "load" / "purchase"
        KindTextRole, ///< translated
        IncomingRole, ///< bool: money in
        AmountFenRole, ///< qint64, unsigned magnitude
        AmountTextRole, ///< "¥12.34"
        DateTextRole, ///< local short date and time
        DetailTextRole, ///< merchant or terminal
        AtcRole,
        TacRole, ///< hex, empty when the key made it elsewhere
        BalanceAfterTextRole, ///< empty when unknown
    };
    Q_ENUM(Role)

    struct Row
    {
        core::TransactionType type = core::TransactionType::Purchase;
        std::int64_t amountFen = 0;
        QDateTime when;
        QByteArray terminalId;
        QString merchant;
        std::uint16_t atc = 0;
        QByteArray tac;
        std::optional<std::int64_t> balanceAfterFen;
    };

    explicit TransactionListModel(QObject* parent = nullptr);

    [[nodiscard]] int rowCount(const QModelIndex& parent = {}) const override;
    [[nodiscard]] QVariant data(const QModelIndex& index, int role) const override;
    [[nodiscard]] QHash<int, QByteArray> roleNames() const override;

    void setRows(QVector<Row> rows);
    /// The language changed: every formatted role is re-read.
    void retranslate();
    [[nodiscard]] const QVector<Row>& rows() const { return m_rows; }

    [[nodiscard]] static Row fromStored(const core::StoredTransaction& t);
    [[nodiscard]] static Row fromRecord(const core::TransactionRecord& r);
    [[nodiscard]] static QString kindText(core::TransactionType type);

signals:
    void countChanged();

private:
    QVector<Row> m_rows;
};

} // namespace wallet::app
