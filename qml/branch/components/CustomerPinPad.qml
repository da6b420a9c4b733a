// The customer's PIN pad. It shows dots for the digits typed, never the digits: the teller cannot read the PIN.
// The digits go one press at a time to the view model's PinEntry (`pin`), which keeps them in a wiped buffer.
import QtQuick
import QtQuick.Controls.Basic
import QtQuick.Layouts

Rectangle {
    id: root
    required property QtObject pin
    property string title: ""
    implicitWidth: 320
    implicitHeight: column.implicitHeight + 32
    radius: 8
    color: "#263238"

    ColumnLayout {
        id: column
        anchors.fill: parent
        anchors.margins: 16
        spacing: 10
        Text {
            color: "white"
            font.bold: true
            text: root.pin.confirming ? qsTr("Customer: enter the same PIN again") : root.title
            wrapMode: Text.WordWrap
            Layout.fillWidth: true
        }
        Text {
            objectName: "pinDots"
            color: "white"
            font.pixelSize: 28
            text: "●".repeat(root.pin.length) + "○".repeat(6 - root.pin.length)
        }
        Text {
            objectName: "pinMessage"
            visible: root.pin.message.length > 0
            color: "#ffcc80"
            text: root.pin.message
            wrapMode: Text.WordWrap
            Layout.fillWidth: true
        }
        GridLayout {
            columns: 3
            Repeater {
                model: [1, 2, 3, 4, 5, 6, 7, 8, 9]
                Button {
                    required property int modelData
                    objectName: "pinKey" + modelData
                    text: modelData
                    Layout.preferredWidth: 80
                    Layout.preferredHeight: 48
                    onClicked: root.pin.digit(modelData)
                }
            }
            Button {
                objectName: "pinBack"
                text: qsTr("⌫")
                Layout.preferredWidth: 80
                Layout.preferredHeight: 48
                onClicked: root.pin.backspace()
            }
            Button {
                objectName: "pinKey0"
                text: "0"
                Layout.preferredWidth: 80
                Layout.preferredHeight: 48
                onClicked: root.pin.digit(0)
            }
            Button {
                objectName: "pinOk"
                text: qsTr("OK")
                Layout.preferredWidth: 80
                Layout.preferredHeight: 48
                onClicked: root.pin.enter()
            }
        }
    }
    // The physical keypad as well: digits, Backspace, Enter.
    focus: visible
    Keys.onPressed: (event) => {
        if (event.key >= Qt.Key_0 && event.key <= Qt.Key_9) {
            root.pin.digit(event.key - Qt.Key_0)
            event.accepted = true
        } else if (event.key === Qt.Key_Backspace) {
            root.pin.backspace()
            event.accepted = true
        } else if (event.key === Qt.Key_Return || event.key === Qt.Key_Enter) {
            root.pin.enter()
            event.accepted = true
        }
    }
}
