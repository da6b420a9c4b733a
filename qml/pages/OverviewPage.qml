// The overview: the purse as a card (balance, holder, masked number, validity) and the latest transactions.
import QtQuick
import QtQuick.Controls.Basic
import QtQuick.Layouts
import SmartKey.Wallet
import SmartKey.Wallet.Ui

Flickable {
    id: root

    required property OverviewViewModel vm
    required property AppViewModel app

    contentHeight: column.implicitHeight + 2 * Theme.spacingHuge
    clip: true
    boundsBehavior: Flickable.StopAtBounds
    ScrollBar.vertical: ScrollBar {}

    ColumnLayout {
        id: column
        width: Math.min(root.width - 2 * Theme.spacingHuge, 760)
        x: Theme.spacingHuge
        y: Theme.spacingHuge
        spacing: Theme.spacingLarge

        RowLayout {
            Layout.fillWidth: true
            PageHeader {
                Layout.fillWidth: true
                title: qsTr("Overview")
                subtitle: qsTr("Your purse, read from the key just now.")
            }
            PrimaryButton {
                objectName: "overviewRefresh"
                secondary: true
                text: root.vm.busy ? qsTr("Refreshing…") : qsTr("Refresh")
                enabled: !root.vm.busy
                onClicked: root.vm.refresh()
            }
        }

        StatusBanner {
            Layout.fillWidth: true
            kind: StatusBanner.Error
            text: root.vm.problemText.length > 0 ? root.vm.problemText : root.vm.errorText
        }

        // The purse as a card.
        Rectangle {
            objectName: "purseCard"
            Layout.fillWidth: true
            implicitHeight: 196
            radius: 16
            gradient: Gradient {
                orientation: Gradient.Horizontal
                GradientStop { position: 0; color: Theme.cardGradientTop }
                GradientStop { position: 1; color: Theme.cardGradientBottom }
            }
            Accessible.role: Accessible.Grouping
            Accessible.name: qsTr("Balance %1").arg(root.vm.balanceText)

            ColumnLayout {
                anchors { fill: parent; margins: Theme.spacingLarge + 4 }
                spacing: 2
                RowLayout {
                    Layout.fillWidth: true
                    Text {
                        text: root.vm.label.length > 0 ? root.vm.label : qsTr("E-purse")
                        color: "#d6efe9"
                        font.pixelSize: Theme.fontSmall
                        font.weight: Font.DemiBold
                        font.letterSpacing: 1.2
                        Layout.fillWidth: true
                    }
                    Text {
                        text: root.app.key.simulated ? qsTr("SIMULATED") : ""
                        color: "#ffd98a"
                        font.pixelSize: Theme.fontSmall
                        font.weight: Font.Bold
                    }
                }
                Item { Layout.fillHeight: true }
                Text {
                    text: qsTr("Balance")
                    color: "#bfe3dc"
                    font.pixelSize: Theme.fontSmall
                }
                Text {
                    objectName: "balance"
                    text: root.vm.balanceText
                    color: "#ffffff"
                    font.pixelSize: Theme.fontDisplay
                    font.weight: Font.DemiBold
                }
                Item { Layout.fillHeight: true }
                RowLayout {
                    Layout.fillWidth: true
                    spacing: Theme.spacingLarge
                    ColumnLayout {
                        spacing: 0
                        Text { text: qsTr("Cardholder"); color: "#bfe3dc"; font.pixelSize: 11 }
                        Text {
                            objectName: "holder"
                            text: root.vm.holderName
                            color: "#ffffff"
                            font.pixelSize: Theme.fontBody
                            font.weight: Font.DemiBold
                        }
                    }
                    ColumnLayout {
                        spacing: 0
                        Layout.fillWidth: true
                        Text { text: qsTr("Card number"); color: "#bfe3dc"; font.pixelSize: 11 }
                        Text {
                            objectName: "maskedSerial"
                            text: root.vm.maskedSerial
                            color: "#ffffff"
                            font.pixelSize: Theme.fontBody
                            font.letterSpacing: 1
                        }
                    }
                    ColumnLayout {
                        spacing: 0
                        Text { text: qsTr("Valid"); color: "#bfe3dc"; font.pixelSize: 11 }
                        Text {
                            text: root.vm.validityText
                            color: "#ffffff"
                            font.pixelSize: Theme.fontBody
                        }
                    }
                }
            }
        }

        RowLayout {
            spacing: Theme.spacing
            PrimaryButton {
                objectName: "overviewLoad"
                text: qsTr("Load money")
                onClicked: root.app.navigate(AppViewModel.Load)
            }
            PrimaryButton {
                objectName: "overviewPay"
                text: qsTr("Pay")
                secondary: true
                onClicked: root.app.navigate(AppViewModel.Purchase)
            }
        }

        Card {
            objectName: "recentCard"
            Layout.fillWidth: true
            title: qsTr("Recent transactions")
            padding: Theme.spacing

            Text {
                visible: root.vm.recent.count === 0
                text: qsTr("No transactions yet.")
                color: Theme.textMuted
                font.pixelSize: Theme.fontBody
                Layout.margins: Theme.spacing
            }
            // In a Column, not straight in the card's layout: see KeyPage.qml (Qt 6.4, Repeater in a Layout whose
            // model changes).
            Column {
                Layout.fillWidth: true
                Repeater {
                    model: root.vm.recent
                    delegate: TransactionRow {
                        // The model's roles fill the row's own properties.
                        required kindText
                        required incoming
                        required amountText
                        required dateText
                        required detailText
                        width: parent ? parent.width : 0
                    }
                }
            }
            PrimaryButton {
                objectName: "overviewAllTransactions"
                secondary: true
                visible: root.vm.recent.count > 0
                text: qsTr("All transactions")
                onClicked: root.app.navigate(AppViewModel.History)
            }
        }
    }
}
