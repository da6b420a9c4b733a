// Transaction history from the wallet's mirror: filter by type and dates, search, pages, CSV export.
import QtQuick
import QtQuick.Controls.Basic
import QtQuick.Dialogs
import QtQuick.Layouts
import QtQuick.Templates as T
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
                Layout.preferredWidth: 100
                title: qsTr("History")
                subtitle: qsTr("Every load and payment of this key, newest first.")
            }
            PrimaryButton {
                objectName: "historyRefresh"
                Layout.minimumWidth: implicitWidth
                secondary: true
                text: qsTr("Refresh")
                onClicked: root.vm.refresh()
            }
        }

        // Filters: they wrap onto more lines in a narrow window instead of pushing the list out of it (issue 17
        // item 5).
        Flow {
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
            Field {
                id: historyFromField
                objectName: "historyFrom"
                TextMetrics { id: historyFromHint; font: historyFromField.font; text: historyFromField.placeholderText }
                // As the list shows dates, applied while typing like the search (issue 17 item 10).
                placeholderText: qsTr("From, e.g. %1").arg(root.vm.dateExample)
                implicitWidth: Math.max(170, historyFromHint.advanceWidth + leftPadding + rightPadding + 8)
                onTextChanged: root.vm.fromDate = text
            }
            Field {
                id: historyToField
                objectName: "historyTo"
                TextMetrics { id: historyToHint; font: historyToField.font; text: historyToField.placeholderText }
                placeholderText: qsTr("To, e.g. %1").arg(root.vm.dateExample)
                implicitWidth: Math.max(170, historyToHint.advanceWidth + leftPadding + rightPadding + 8)
                onTextChanged: root.vm.toDate = text
            }
            Field {
                id: searchField
                objectName: "historySearch"
                width: Math.max(260, searchHint.advanceWidth + leftPadding + rightPadding + 8)
                TextMetrics { id: searchHint; font: searchField.font; text: searchField.placeholderText }
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
            // The list's frame shows the keyboard focus too (also when no row is there to show it).
            border.width: list.activeFocus ? Theme.focusRingWidth : 1
            border.color: list.activeFocus ? Theme.focus : Theme.border

            ListView {
                id: list
                objectName: "historyList"
                anchors { fill: parent; margins: Theme.spacingSmall }
                clip: true
                model: root.vm.model
                keyNavigationEnabled: true
                activeFocusOnTab: true
                // Tab into the list lands on a row (which draws the focus ring), not on the bare list.
                onActiveFocusChanged: if (activeFocus && currentIndex < 0 && count > 0) currentIndex = 0
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

        Flow {
            Layout.fillWidth: true
            spacing: Theme.spacing
            Row {
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
                    anchors.verticalCenter: parent.verticalCenter
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
            }
            PrimaryButton {
                objectName: "historyExport"
                text: qsTr("Export CSV…")
                onClicked: exportDialog.open()
            }
        }
        // Where the file went, with a way to open its folder (issue 17 item 9).
        RowLayout {
            Layout.fillWidth: true
            visible: exportResult.text.length > 0
            spacing: Theme.spacing
            Text {
                id: exportResult
                objectName: "historyExportResult"
                Layout.fillWidth: true
                text: root.vm.exportResult
                color: Theme.text
                font.pixelSize: Theme.fontSmall
                wrapMode: Text.WrapAtWordBoundaryOrAnywhere
            }
            PrimaryButton {
                objectName: "historyOpenFolder"
                Layout.minimumWidth: implicitWidth
                visible: root.vm.exportFolder.length > 0
                secondary: true
                text: qsTr("Open folder")
                onClicked: root.vm.openExportFolder()
            }
        }
    }

    // Where to save: the desktop's own file dialog where there is one, starting in Documents (issue 17 item 9).
    FileDialog {
        id: exportDialog
        objectName: "historyExportDialog"
        title: qsTr("Export the transactions")
        fileMode: FileDialog.SaveFile
        defaultSuffix: "csv"
        nameFilters: [qsTr("CSV files (*.csv)")]
        currentFolder: root.vm.defaultExportFolderUrl
        selectedFile: root.vm.defaultExportUrl
        onAccepted: root.exportTo(selectedFile)
    }

    /// Exports to `file` (a URL), asking first when it exists: nothing is replaced without a yes.
    function exportTo(file) {
        if (root.vm.fileExists(file)) {
            replaceDialog.file = file
            replaceDialog.open()
        } else {
            root.vm.exportCsv(file, false)
        }
    }

    Popup {
        id: replaceDialog
        objectName: "historyReplaceDialog"
        property url file
        parent: T.Overlay.overlay
        anchors.centerIn: parent
        width: Math.min(parent ? parent.width - 2 * Theme.spacingHuge : 440, 440)
        modal: true
        focus: true
        padding: Theme.spacingLarge
        closePolicy: Popup.CloseOnEscape
        background: Rectangle {
            color: Theme.surface
            radius: Theme.radius
            border.color: Theme.border
        }
        contentItem: ColumnLayout {
            spacing: Theme.spacing
            Text {
                objectName: "historyReplaceText"
                Layout.fillWidth: true
                text: qsTr("%1 already exists. Replace it?").arg(root.vm.nativePath(replaceDialog.file))
                color: Theme.text
                font.pixelSize: Theme.fontBody
                wrapMode: Text.WrapAtWordBoundaryOrAnywhere
                Accessible.role: Accessible.AlertMessage
                Accessible.name: text
            }
            RowLayout {
                spacing: Theme.spacing
                PrimaryButton {
                    objectName: "historyReplace"
                    danger: true
                    text: qsTr("Replace")
                    onClicked: { replaceDialog.close(); root.vm.exportCsv(replaceDialog.file, true) }
                }
                PrimaryButton {
                    objectName: "historyReplaceCancel"
                    secondary: true
                    focus: true
                    text: qsTr("Cancel")
                    onClicked: replaceDialog.close()
                }
            }
        }
    }
}
