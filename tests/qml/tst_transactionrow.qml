// A transaction row: sign and colour by direction, texts as given, one spoken summary.
import QtQuick
import QtTest
import SmartKey.Wallet.Ui

Item {
    id: root
    width: 500; height: 200

    TransactionRow {
        id: row
        width: 480
        kindText: "Payment"
        incoming: false
        amountText: "¥18.80"
        dateText: "3/14/26 9:26 AM"
        detailText: "Campus Canteen"
        proofText: "A1B2C3D4"
    }

    TestCase {
        name: "TransactionRow"
        when: windowShown

        function test_purchase() {
            row.incoming = false
            row.kindText = "Payment"
            row.amountText = "¥18.80"
            row.detailText = "Campus Canteen"
            row.proofText = "A1B2C3D4"
            compare(findChild(row, "rowAmount").text, "\u2212¥18.80")
            compare(findChild(row, "rowKind").text, "Payment · Campus Canteen")
            compare(findChild(row, "rowDate").text, "3/14/26 9:26 AM  ·  TAC A1B2C3D4")
            compare(findChild(row, "rowAmount").color, Theme.text)
            verify(row.Accessible.name.indexOf("Payment") === 0)
            verify(row.Accessible.name.indexOf("-¥18.80") > 0)
        }

        function test_load() {
            row.incoming = true
            row.kindText = "Load"
            row.amountText = "¥250.50"
            row.detailText = ""
            row.proofText = ""
            compare(findChild(row, "rowAmount").text, "+¥250.50")
            compare(findChild(row, "rowAmount").color, Theme.positive)
            compare(findChild(row, "rowKind").text, "Load")
            compare(findChild(row, "rowDate").text, "3/14/26 9:26 AM")
        }

        function test_darkTheme() {
            Theme.dark = true
            row.incoming = false
            compare(findChild(row, "rowAmount").color, Theme.text)
            verify(Qt.colorEqual(Theme.text, "#e8edf2"))
            Theme.dark = false
        }
    }
}
