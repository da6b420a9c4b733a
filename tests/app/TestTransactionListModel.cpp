// SPDX-License-Identifier: Apache-2.0
// The list models behind the overview, the history and the key chooser, checked by QAbstractItemModelTester.
#include "app/gui/KeyListModel.h"
#include "app/gui/TransactionListModel.h"

#include <QAbstractItemModelTester>
#include <QSignalSpy>
#include <QtTest>

using wallet::app::KeyListModel;
using wallet::app::TransactionListModel;

class TestTransactionListModel : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase() { QLocale::setDefault(QLocale(QLocale::English, QLocale::UnitedStates)); }
    void rolesAndFormatting();
    void fromRecordAndStored();
    void resetKeepsTesterHappy();
    void keyList();
};

namespace {
TransactionListModel::Row row(wallet::core::TransactionType type, qint64 fen, const QString& merchant = {})
{
    TransactionListModel::Row r;
    r.type = type;
    r.amountFen = fen;
    r.when = QDateTime(QDate(2026, 3, 14), QTime(9, 26, 53));
    r.terminalId = QByteArray::fromHex("112233445566");
    r.merchant = merchant;
    r.atc = 7;
    r.tac = QByteArray::fromHex("A1B2C3D4");
    r.balanceAfterFen = 100000;
    return r;
}
} // namespace

void TestTransactionListModel::rolesAndFormatting()
{
    TransactionListModel model;
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    QSignalSpy count(&model, &TransactionListModel::countChanged);
    model.setRows({row(wallet::core::TransactionType::Purchase, 1880, QStringLiteral("Canteen")),
        row(wallet::core::TransactionType::Load, 25050)});
    QCOMPARE(count.count(), 1);
    QCOMPARE(model.rowCount(), 2);
    const QModelIndex pay = model.index(0);
    QCOMPARE(model.data(pay, TransactionListModel::KindRole).toString(), QStringLiteral("purchase"));
    QCOMPARE(model.data(pay, TransactionListModel::KindTextRole).toString(), QStringLiteral("Payment"));
    QCOMPARE(model.data(pay, TransactionListModel::IncomingRole).toBool(), false);
    QCOMPARE(model.data(pay, TransactionListModel::AmountFenRole).toLongLong(), 1880);
    QCOMPARE(model.data(pay, TransactionListModel::AmountTextRole).toString(), QStringLiteral("\u00A518.80"));
    QCOMPARE(model.data(pay, TransactionListModel::DetailTextRole).toString(), QStringLiteral("Canteen"));
    QCOMPARE(model.data(pay, TransactionListModel::TacRole).toString(), QStringLiteral("A1B2C3D4"));
    QCOMPARE(model.data(pay, TransactionListModel::BalanceAfterTextRole).toString(), QStringLiteral("\u00A51,000.00"));
    QCOMPARE(model.data(pay, TransactionListModel::AtcRole).toInt(), 7);
    QVERIFY(model.data(pay, TransactionListModel::DateTextRole).toString().contains(QStringLiteral("3/14/26")));
    const QModelIndex load = model.index(1);
    QCOMPARE(model.data(load, TransactionListModel::IncomingRole).toBool(), true);
    QCOMPARE(model.data(load, TransactionListModel::DetailTextRole).toString(), QStringLiteral("From your bank"));
    QVERIFY(!model.data(model.index(5), TransactionListModel::KindRole).isValid());
    QVERIFY(model.roleNames().values().contains("amountText"));
}

void TestTransactionListModel::fromRecordAndStored()
{
    wallet::core::TransactionRecord rec;
    rec.atc = 3;
    rec.amount = wallet::core::Amount(500);
    rec.type = wallet::core::TransactionType::Purchase;
    rec.terminalId = QByteArray::fromHex("000000000001");
    const auto a = TransactionListModel::fromRecord(rec);
    QCOMPARE(a.amountFen, 500);
    QCOMPARE(a.atc, 3);
    QVERIFY(!a.balanceAfterFen);

    wallet::core::StoredTransaction st;
    st.type = wallet::core::TransactionType::Load;
    st.amount = wallet::core::Amount(900);
    st.balanceAfter = wallet::core::Amount(1900);
    st.merchant = QStringLiteral("x");
    const auto b = TransactionListModel::fromStored(st);
    QCOMPARE(b.amountFen, 900);
    QCOMPARE(*b.balanceAfterFen, 1900);
    TransactionListModel model;
    model.setRows({a, b});
    QCOMPARE(model.data(model.index(0), TransactionListModel::DetailTextRole).toString(),
        QStringLiteral("Terminal 000000000001"));
}

void TestTransactionListModel::resetKeepsTesterHappy()
{
    TransactionListModel model;
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    QVector<TransactionListModel::Row> rows;
    for (int i = 0; i < 50; ++i) {
        rows.push_back(
            row(i % 2 ? wallet::core::TransactionType::Load : wallet::core::TransactionType::Purchase, i + 1));
    }
    model.setRows(rows);
    QCOMPARE(model.rowCount(), 50);
    QSignalSpy changed(&model, &QAbstractItemModel::dataChanged);
    model.retranslate();
    QCOMPARE(changed.count(), 1);
    model.setRows({});
    QCOMPARE(model.rowCount(), 0);
    model.retranslate(); // nothing to announce
    QCOMPARE(changed.count(), 1);
}

void TestTransactionListModel::keyList()
{
    KeyListModel model;
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    model.setEntries({{QStringLiteral("usb:1"), QStringLiteral("USB 1209:0001"), false},
        {QStringLiteral("sim:5"), QStringLiteral("Simulated key 127.0.0.1:5"), true}});
    QCOMPARE(model.rowCount(), 2);
    QCOMPARE(model.data(model.index(1), KeyListModel::SimulatedRole).toBool(), true);
    QCOMPARE(model.data(model.index(0), KeyListModel::CurrentRole).toBool(), false);
    QSignalSpy changed(&model, &QAbstractItemModel::dataChanged);
    model.setCurrentId(QStringLiteral("usb:1"));
    QCOMPARE(changed.count(), 1);
    QCOMPARE(model.data(model.index(0), KeyListModel::CurrentRole).toBool(), true);
    QCOMPARE(model.data(model.index(1), KeyListModel::IdRole).toString(), QStringLiteral("sim:5"));
    model.setEntries({});
    QCOMPARE(model.rowCount(), 0);
}

QTEST_GUILESS_MAIN(TestTransactionListModel)
#include "TestTransactionListModel.moc"
