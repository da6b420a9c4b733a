// Transaction history from the wallet's mirror: filter by type and dates, search, pages, CSV export.
import QtQuick
import QtQuick.Controls.Basic
import QtQuick.Layouts
import SmartKey.Wallet
import SmartKey.Wallet.Ui

Item {
    id: root

    required property HistoryViewModel vm

    component Field: TextField {
        id: f
        color: Theme.text
        placeholderTextColor: Theme.textMuted
        font.pixelSize: Theme.fontBody
        selectByMouse: true
        Accessible.name: placeholderText
        background: Rectangle {
            implicitHeight: Theme.controlHeight
            implicitWidth: 140
            radius: Theme.radius - 2
            color: Theme.surface
            border.width: f.activeFocus ? 2 : 1
            border.color: f.activeFocus ? Theme.focus : Theme.border
        }
    }

    ColumnLayout {
        anchors { fill: parent; margins: Theme.spacingHuge }
        spacing: Theme.spacing

        RowLayout {
            Layout.fillWidth: true
            PageHeader {
                Layout.fillWidth: true
                title: qsTr("History")
                subtitle: qsTr("Every load and payment of this key, newest first.")
            }
            PrimaryButton {
                objectName: "historyRefresh"
                secondary: true
                text: qsTr("Refresh")
                onClicked: root.vm.refresh()
            }
        }

        // Filters.
        RowLayout {
            Layout.fillWidth: true
            spacing: Theme.spacingSmall
            Repeater {
                model: [qsTr("All"), qsTr("Loads"), qsTr("Payments")]
                Button {
                    id: seg
                    required property int index
                    required property string modelData
                    objectName: "historyFilter" + index
                    text: modelData
                    focusPolicy: Qt.StrongFocus
                    Accessible.role: Accessible.RadioButton
                    Accessible.name: modelData
                    Accessible.checked: root.vm.typeFilter === index
                    onClicked: root.vm.typeFilter = index
                    contentItem: Text {
                        text: seg.text
                        color: root.vm.typeFilter === seg.index ? Theme.accentText : Theme.text
                        font.pixelSize: Theme.fontBody
                        horizontalAlignment: Text.AlignHCenter
                        verticalAlignment: Text.AlignVCenter
                    }
                    background: Rectangle {
                        implicitHeight: Theme.controlHeight
                        implicitWidth: 84
                        radius: height / 2
                        color: root.vm.typeFilter === seg.index ? Theme.accent : Theme.surface
                        border.width: seg.visualFocus ? 2 : 1
                        border.color: seg.visualFocus ? Theme.focus : Theme.border
                    }
                }
            }
            Item { implicitWidth: Theme.spacing }
            Field {
                objectName: "historyFrom"
                placeholderText: qsTr("From YYYY-MM-DD")
                implicitWidth: 170
                onEditingFinished: root.vm.fromDate = text
            }
            Field {
                objectName: "historyTo"
                placeholderText: qsTr("To YYYY-MM-DD")
                implicitWidth: 170
                onEditingFinished: root.vm.toDate = text
            }
            Field {
                objectName: "historySearch"
                Layout.fillWidth: true
                placeholderText: qsTr("Search merchant, terminal, amount")
                onTextChanged: root.vm.search = text
            }
        }
        Text {
            objectName: "historyProblem"
            visible: text.length > 0
            text: root.vm.filterProblem.length > 0 ? root.vm.filterProblem : root.vm.errorText
            color: Theme.negative
            font.pixelSize: Theme.fontSmall
            Layout.fillWidth: true
            wrapMode: Text.WordWrap
        }

        Rectangle {
            Layout.fillWidth: true
            Layout.fillHeight: true
            color: Theme.surface
            radius: Theme.radius
            border.color: Theme.border

            ListView {
                id: list
                objectName: "historyList"
                anchors { fill: parent; margins: Theme.spacingSmall }
                clip: true
                model: root.vm.model
                keyNavigationEnabled: true
                activeFocusOnTab: true
                Accessible.role: Accessible.List
                Accessible.name: qsTr("Transactions")
                ScrollBar.vertical: ScrollBar {}
                delegate: TransactionRow {
                    required kindText
                    required incoming
                    required amountText
                    required dateText
                    required detailText
                    required property string tac
                    proofText: tac
                    width: ListView.view.width
                    focus: ListView.isCurrentItem
                }
                Text {
                    objectName: "historyEmpty"
                    anchors.centerIn: parent
                    visible: list.count === 0 && !root.vm.busy
                    text: qsTr("No transactions match.")
                    color: Theme.textMuted
                    font.pixelSize: Theme.fontBody
                }
                BusyIndicator {
                    anchors.centerIn: parent
                    running: root.vm.busy
                    visible: running
                }
            }
        }

        RowLayout {
            Layout.fillWidth: true
            spacing: Theme.spacing
            PrimaryButton {
                objectName: "historyPrevious"
                secondary: true
                text: qsTr("Previous")
                enabled: root.vm.page > 0
                onClicked: root.vm.previousPage()
            }
            Text {
                objectName: "historyPageText"
                text: root.vm.pageText
                color: Theme.textMuted
                font.pixelSize: Theme.fontSmall
            }
            PrimaryButton {
                objectName: "historyNext"
                secondary: true
                text: qsTr("Next")
                enabled: root.vm.page + 1 < root.vm.pageCount
                onClicked: root.vm.nextPage()
            }
            Item { Layout.fillWidth: true }
            Field {
                id: exportPath
                objectName: "historyExportPath"
                Layout.preferredWidth: 280
                text: root.vm.defaultExportPath
                placeholderText: qsTr("CSV file")
            }
            PrimaryButton {
                objectName: "historyExport"
                text: qsTr("Export CSV")
                onClicked: root.vm.exportCsv(exportPath.text)
            }
        }
        Text {
            objectName: "historyExportResult"
            visible: text.length > 0
            text: root.vm.exportResult
            color: Theme.text
            font.pixelSize: Theme.fontSmall
            Layout.fillWidth: true
            wrapMode: Text.WordWrap
        }
    }
}
