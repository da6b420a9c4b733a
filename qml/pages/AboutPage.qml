// About and diagnostics: versions, the connection, and a log export with serials shortened.
import QtQuick
import QtQuick.Controls.Basic
import QtQuick.Layouts
import SmartKey.Wallet
import SmartKey.Wallet.Ui

Flickable {
    id: root

    required property DiagnosticsViewModel vm

    contentHeight: column.implicitHeight + 2 * Theme.spacingHuge
    clip: true

    ColumnLayout {
        id: column
        width: Math.min(root.width - 2 * Theme.spacingHuge, 760)
        x: Theme.spacingHuge
        y: Theme.spacingHuge
        spacing: Theme.spacingLarge

        PageHeader {
            title: qsTr("About and diagnostics")
            subtitle: qsTr("What support needs to know when something does not work.")
        }

        Card {
            Layout.fillWidth: true
            title: qsTr("Versions")
            InfoRow { label: qsTr("Wallet"); value: root.vm.appVersion; Layout.fillWidth: true }
            InfoRow { label: qsTr("Key firmware"); value: root.vm.firmwareVersion; Layout.fillWidth: true }
            InfoRow { label: qsTr("Qt"); value: root.vm.qtVersion; Layout.fillWidth: true }
            InfoRow {
                label: qsTr("Connection")
                value: root.vm.connection + (root.vm.simulated ? "  (" + qsTr("simulated, insecure") + ")" : "")
                Layout.fillWidth: true
            }
        }

        Card {
            Layout.fillWidth: true
            title: qsTr("Log")
            Text {
                Layout.fillWidth: true
                text: qsTr("The log helps support find a problem. Serial numbers are shortened to their last four "
                           + "digits; PINs and keys are never written to it.")
                color: Theme.textMuted
                font.pixelSize: Theme.fontBody
                wrapMode: Text.WordWrap
            }
            TextField {
                id: logPath
                Layout.fillWidth: true
                text: root.vm.defaultLogPath
                selectByMouse: true
                color: Theme.text
                font.pixelSize: Theme.fontBody
                Accessible.name: qsTr("File to save the log to")
                background: Rectangle {
                    implicitHeight: Theme.controlHeight
                    radius: Theme.radius - 4
                    color: Theme.surfaceAlt
                    border.color: logPath.activeFocus ? Theme.focus : Theme.border
                }
            }
            RowLayout {
                spacing: Theme.spacing
                PrimaryButton {
                    objectName: "exportLog"
                    text: qsTr("Export log")
                    onClicked: root.vm.exportLog(logPath.text)
                }
                Text {
                    text: qsTr("%n line(s) collected", "", root.vm.logLineCount)
                    color: Theme.textMuted
                    font.pixelSize: Theme.fontSmall
                }
            }
            Text {
                objectName: "exportResult"
                Layout.fillWidth: true
                visible: text.length > 0
                text: root.vm.exportResult
                color: Theme.text
                font.pixelSize: Theme.fontBody
                wrapMode: Text.WordWrap
            }
        }
    }
}
