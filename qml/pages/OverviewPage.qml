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
                Layout.preferredWidth: 100
                title: qsTr("Overview")
                subtitle: qsTr("Your purse, read from the key just now.")
            }
            PrimaryButton {
                objectName: "overviewRefresh"
                Layout.minimumWidth: implicitWidth
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
            implicitHeight: Math.max(196, cardColumn.implicitHeight + 2 * (Theme.spacingLarge + 4))
            radius: 16
            gradient: Gradient {
                orientation: Gradient.Horizontal
                GradientStop { position: 0; color: Theme.cardGradientTop }
                GradientStop { position: 1; color: Theme.cardGradientBottom }
            }
            Accessible.role: Accessible.Grouping
            Accessible.name: qsTr("Balance %1").arg(root.vm.balanceText)

            ColumnLayout {
                id: cardColumn
                anchors { fill: parent; margins: Theme.spacingLarge + 4 }
                spacing: 2
                RowLayout {
                    Layout.fillWidth: true
                    Text {
                        // Always in the user's language (the key's own label, "E-PURSE", stayed English in Chinese
                        // mode, issue 17 item 11); the key's label is the accessible description.
                        text: qsTr("E-purse")
                        font.capitalization: Font.AllUppercase
                        Accessible.description: root.vm.label
                        color: Theme.cardLabel
                        font.pixelSize: Theme.fontSmall
                        font.weight: Font.DemiBold
                        font.letterSpacing: 1.2
                        Layout.fillWidth: true
                    }
                    Text {
                        text: root.app.key.simulated ? qsTr("SIMULATED") : ""
                        color: Theme.cardBadge
                        font.pixelSize: Theme.fontSmall
                        font.weight: Font.Bold
                    }
                }
                Item { Layout.fillHeight: true }
                Text {
                    text: qsTr("Balance")
                    color: Theme.cardTextMuted
                    font.pixelSize: Theme.fontSmall
                }
                Text {
                    objectName: "balance"
                    text: root.vm.balanceText
                    color: Theme.cardText
                    font.pixelSize: Theme.fontDisplay
                    font.weight: Font.DemiBold
                }
                Item { Layout.fillHeight: true }
                // Holder, number and validity wrap onto a second line when the card is narrow (the dates overflowed
                // it at 800×600, issue 17 item 6).
                Flow {
                    objectName: "purseCardDetails"
                    Layout.fillWidth: true
                    spacing: Theme.spacingLarge
                    ColumnLayout {
                        spacing: 0
                        Text { text: qsTr("Cardholder"); color: Theme.cardTextMuted; font.pixelSize: 11 }
                        Text {
                            objectName: "holder"
                            text: root.vm.holderName
                            color: Theme.cardText
                            font.pixelSize: Theme.fontBody
                            font.weight: Font.DemiBold
                        }
                    }
                    ColumnLayout {
                        spacing: 0
                        Text { text: qsTr("Card number"); color: Theme.cardTextMuted; font.pixelSize: 11 }
                        Text {
                            objectName: "maskedSerial"
                            text: root.vm.maskedSerial
                            color: Theme.cardText
                            font.pixelSize: Theme.fontBody
                            font.letterSpacing: 1
                        }
                    }
                    ColumnLayout {
                        spacing: 0
                        Text { text: qsTr("Valid"); color: Theme.cardTextMuted; font.pixelSize: 11 }
                        Text {
                            objectName: "validity"
                            text: root.vm.validityText
                            color: Theme.cardText
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
