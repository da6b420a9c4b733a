// The purse's balance where money is moved (issue 17 item 4): "Balance on the key  ¥1,250.00", on Load and Pay.
// The value is the balance the overview last read from the key (the view model's balanceText); hidden while unknown.
import QtQuick
import QtQuick.Layouts
import SmartKey.Wallet.Ui

InfoRow {
    id: root
    property string balanceText
    visible: balanceText.length > 0
    label: qsTr("Balance on the key")
    value: balanceText
}
