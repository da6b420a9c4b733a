// Staff sign-in: user name and password, checked by the bank host. A timed-out session lands here with why.
import QtQuick
import QtQuick.Controls.Basic
import QtQuick.Layouts

Item {
    id: root
    required property QtObject staff

    ColumnLayout {
        anchors.centerIn: parent
        width: 380
        spacing: 12
        Text {
            objectName: "signInTitle"
            text: qsTr("Branch station: staff sign-in")
            font.pixelSize: 22
            font.bold: true
        }
        Text {
            objectName: "signInMessage"
            visible: root.staff.message.length > 0
            text: root.staff.message
            color: root.staff.timedOut ? "#b00020" : "#37474f"
            wrapMode: Text.WordWrap
            Layout.fillWidth: true
        }
        TextField {
            id: user
            objectName: "usernameField"
            placeholderText: qsTr("User name")
            Layout.fillWidth: true
            focus: true
        }
        TextField {
            id: password
            objectName: "passwordField"
            placeholderText: qsTr("Password")
            echoMode: TextInput.Password
            Layout.fillWidth: true
            onAccepted: signIn.clicked()
        }
        Button {
            id: signIn
            objectName: "signInButton"
            text: root.staff.busy ? qsTr("Signing in…") : qsTr("Sign in")
            enabled: !root.staff.busy
            Layout.fillWidth: true
            onClicked: { root.staff.signIn(user.text, password.text); password.text = "" }
        }
    }
}
