// Issue a key: detect the blank key, the customer and the profile, then the customer's PIN on the pad, the
// personalisation's progress and the receipt. Every check and step is in IssueViewModel (`issue`).
import QtQuick
import QtQuick.Controls.Basic
import QtQuick.Layouts
import SmartKey.Branch.Ui

ScrollView {
    id: root
    required property QtObject issue
    readonly property bool busyWithKey: issue.state === "pin" || issue.state === "running"
                                        || issue.state === "approval"
    contentWidth: availableWidth

    ColumnLayout {
        width: root.availableWidth - 32
        x: 16
        spacing: 10

        RowLayout {
            Layout.topMargin: 12
            Button {
                objectName: "detectKeyButton"
                text: qsTr("Detect key")
                enabled: root.issue.state === "idle" || root.issue.state === "blank" || root.issue.state === "failed"
                         || root.issue.state === "done"
                onClicked: { if (root.issue.state !== "idle") root.issue.reset(); root.issue.detectKey() }
            }
            Text {
                objectName: "issueMessage"
                text: root.issue.message
                wrapMode: Text.WordWrap
                Layout.fillWidth: true
                color: root.issue.state === "failed" ? "#b00020" : "#263238"
            }
        }

        // A replacement's supervisor approval, at the top while the form steps aside.
        ApprovalPanel {
            objectName: "issueApprovalPanel"
            visible: root.issue.approvalFor.length > 0
            service: root.issue
            Layout.fillWidth: true
        }

        GroupBox {
            title: qsTr("Customer")
            Layout.fillWidth: true
            enabled: root.issue.state === "blank"
            // While the customer types the PIN and the key is personalised, the form steps aside for the pad.
            visible: !root.busyWithKey
            ColumnLayout {
                anchors.fill: parent
                Field { id: name; fieldName: "nameField"; label: qsTr("Name"); error: root.issue.nameError; Layout.fillWidth: true }
                Text { text: qsTr("ID type"); font.bold: true }
                // Radio buttons, not a ComboBox: the Basic style draws them without images (docs/branch.md).
                RowLayout {
                    id: idType
                    property int currentIndex: resident.checked ? 0 : passport.checked ? 1 : 2
                    RadioButton { id: resident; objectName: "idTypeResident"; text: qsTr("Resident ID card"); checked: true }
                    RadioButton { id: passport; objectName: "idTypePassport"; text: qsTr("Passport") }
                    RadioButton { objectName: "idTypeOther"; text: qsTr("Other") }
                }
                Field { id: idNumber; fieldName: "idNumberField"; label: qsTr("ID number"); error: root.issue.idError; Layout.fillWidth: true }
                Field { id: phone; fieldName: "phoneField"; label: qsTr("Phone"); placeholder: "+8613800138000"; error: root.issue.phoneError; Layout.fillWidth: true }
                // A replacement: the lost key's ASN (a supervisor approves; its balance follows to the account).
                Field { id: replaces; fieldName: "replacesAsnField"; label: qsTr("Replaces a lost key (its ASN; empty for a new customer)"); error: root.issue.replacesError; Layout.fillWidth: true }
            }
        }

        GroupBox {
            title: qsTr("Profile")
            Layout.fillWidth: true
            enabled: root.issue.state === "blank"
            visible: !root.busyWithKey
            GridLayout {
                anchors.fill: parent
                columns: 2
                Text { text: qsTr("Algorithm") }
                RowLayout {
                    RadioButton { id: des; objectName: "alg3des"; text: "3DES"; checked: true }
                    RadioButton { objectName: "algSm4"; text: "SM4" }
                }
                Text { text: qsTr("Maximum balance (¥)") }
                TextField { id: maxBalance; objectName: "maxBalanceField"; text: "1000.00" }
                Text { text: qsTr("No-PIN limit (¥)") }
                TextField { id: noPin; objectName: "noPinField"; text: "0.00" }
                Text { text: qsTr("Touch policy") }
                Switch { id: touch; objectName: "touchBox"; text: qsTr("Purchases need a touch on the key") }
                Text {
                    objectName: "profileError"
                    Layout.columnSpan: 2
                    visible: root.issue.profileError.length > 0
                    text: root.issue.profileError
                    color: "#b00020"
                }
            }
        }

        Button {
            objectName: "issueButton"
            visible: !root.busyWithKey
            text: qsTr("Issue the key")
            enabled: root.issue.state === "blank"
            onClicked: root.issue.submit(name.text, idType.currentIndex, idNumber.text, phone.text,
                                         des.checked ? "3des" : "sm4", maxBalance.text, noPin.text, touch.checked,
                                         replaces.text)
        }


        Text {
            objectName: "issueAsn"
            visible: root.issue.asn.length > 0
            text: qsTr("ASN: %1").arg(root.issue.asn)
            font.bold: true
        }

        CustomerPinPad {
            objectName: "issuePinPad"
            visible: root.issue.state === "pin"
            pin: root.issue.pin
            title: qsTr("Customer: choose a 6-digit PIN")
        }

        ProgressBar {
            objectName: "issueProgress"
            visible: root.issue.state === "running" || root.issue.state === "done"
            from: 0
            to: 19
            value: root.issue.progress
            Layout.fillWidth: true
        }

        Text {
            objectName: "receiptLabel"
            visible: root.issue.receiptPath.length > 0
            text: qsTr("Receipt: %1").arg(root.issue.receiptPath)
        }
    }
}
