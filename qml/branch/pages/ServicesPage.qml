// Services for an issued key: its state before and after, PIN unblock and PIN reload (after an ID check the bank
// records: which document, who, when), the permanent block and closing the account (supervisor approval on this
// screen), temporary block, unblock, report lost.
import QtQuick
import QtQuick.Controls.Basic
import QtQuick.Layouts
import SmartKey.Branch.Ui

ScrollView {
    id: root
    required property QtObject service
    contentWidth: availableWidth

    ColumnLayout {
        width: root.availableWidth - 32
        x: 16
        spacing: 10

        RowLayout {
            Layout.topMargin: 12
            Button {
                objectName: "readKeyButton"
                text: qsTr("Read key")
                enabled: !root.service.busy
                onClicked: root.service.readKey()
            }
            Text { text: qsTr("Before:"); font.bold: true }
            Text { objectName: "stateBefore"; text: root.service.stateBefore }
        }
        RowLayout {
            Text { text: qsTr("After:"); font.bold: true }
            Text { objectName: "stateAfter"; text: root.service.stateAfter }
        }
        Text {
            objectName: "serviceMessage"
            text: root.service.message
            wrapMode: Text.WordWrap
            Layout.fillWidth: true
        }

        GroupBox {
            title: qsTr("Services")
            Layout.fillWidth: true
            enabled: root.service.asn.length > 0 && !root.service.busy && root.service.approvalFor.length === 0
                     && !root.service.pinWanted
            GridLayout {
                anchors.fill: parent
                columns: 2
                Switch { id: idChecked; objectName: "idCheckedBox"; text: qsTr("ID document checked") }
                // Which document the teller compared (recorded at the bank; its number is never sent).
                RowLayout {
                    id: idDocument
                    readonly property string kind: docPassport.checked ? "passport" : docOther.checked ? "other"
                                                                                                      : "resident-id"
                    RadioButton { objectName: "idDocResident"; text: qsTr("Resident ID card"); checked: true }
                    RadioButton { id: docPassport; objectName: "idDocPassport"; text: qsTr("Passport") }
                    RadioButton { id: docOther; objectName: "idDocOther"; text: qsTr("Other") }
                }
                Button { objectName: "pinUnblockButton"; text: qsTr("Unblock PIN"); onClicked: root.service.pinUnblock(idChecked.checked, idDocument.kind) }
                Button { objectName: "pinReloadButton"; text: qsTr("Reload PIN"); onClicked: root.service.pinReload(idChecked.checked, idDocument.kind) }
                Button { objectName: "tempBlockButton"; text: qsTr("Block temporarily"); onClicked: root.service.block(false) }
                Button { objectName: "permBlockButton"; text: qsTr("Block permanently"); onClicked: root.service.block(true) }
                Button { objectName: "unblockButton"; text: qsTr("Unblock"); onClicked: root.service.unblock() }
                Button { objectName: "closeAccountButton"; text: qsTr("Close the account"); onClicked: root.service.closeAccount() }
            }
        }

        GroupBox {
            title: qsTr("Report a lost key")
            Layout.fillWidth: true
            RowLayout {
                anchors.fill: parent
                TextField { id: lostAsn; objectName: "lostAsnField"; placeholderText: qsTr("ASN (empty: the key on the desk)"); Layout.fillWidth: true }
                Button { objectName: "reportLostButton"; text: qsTr("Report lost"); enabled: !root.service.busy; onClicked: root.service.reportLost(lostAsn.text) }
            }
        }

        ApprovalPanel {
            objectName: "approvalPanel"
            visible: root.service.approvalFor.length > 0
            service: root.service
            Layout.fillWidth: true
        }

        CustomerPinPad {
            objectName: "servicePinPad"
            visible: root.service.pinWanted
            pin: root.service.pin
            title: qsTr("Customer: enter your PIN")
        }
    }
}
