// Dual control on the same screen: the supervisor types their own user name and password and approves or
// refuses the operation named by `operation`. Nothing is done before the bank accepts the approval.
import QtQuick
import QtQuick.Controls.Basic
import QtQuick.Layouts

Rectangle {
    id: root
    required property QtObject service
    readonly property string operation: service.approvalFor
    implicitHeight: column.implicitHeight + 32
    radius: 8
    color: "#fff8e1"
    border.color: "#ffa000"

    function operationText(op) {
        if (op === "pin-reload") return qsTr("PIN reload")
        if (op === "application-block-permanent") return qsTr("permanent block")
        if (op === "card-replacement") return qsTr("replacing a lost key")
        if (op === "account-closure") return qsTr("closing the account")
        return op
    }

    ColumnLayout {
        id: column
        anchors.fill: parent
        anchors.margins: 16
        Text {
            objectName: "approvalTitle"
            font.bold: true
            text: qsTr("Supervisor approval needed: %1").arg(root.operationText(root.operation))
        }
        TextField {
            id: user
            objectName: "supervisorUser"
            placeholderText: qsTr("Supervisor user name")
            Layout.fillWidth: true
        }
        TextField {
            id: password
            objectName: "supervisorPassword"
            placeholderText: qsTr("Supervisor password")
            echoMode: TextInput.Password
            Layout.fillWidth: true
        }
        RowLayout {
            Button {
                objectName: "approveButton"
                text: qsTr("Approve")
                enabled: !root.service.busy
                onClicked: { root.service.decide(user.text, password.text, true); password.text = "" }
            }
            Button {
                objectName: "refuseButton"
                text: qsTr("Refuse")
                enabled: !root.service.busy
                onClicked: { root.service.decide(user.text, password.text, false); password.text = "" }
            }
            Button {
                objectName: "approvalCancel"
                text: qsTr("Cancel")
                onClicked: { root.service.cancel(); password.text = "" }
            }
        }
    }
}
