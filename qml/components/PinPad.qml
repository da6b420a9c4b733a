// PIN entry: masked dots and a 3×4 keypad. The digits never live here: each key press is reported at once
// (digitPressed) and the view model keeps the PIN in a wiped buffer. Typing digits on the keyboard works too.
import QtQuick
import QtQuick.Controls.Basic
import QtQuick.Layouts
import SmartKey.Wallet.Ui

FocusScope {
    id: root

    property int length: 0
    property int minLength: 4
    property int maxLength: 12
    property bool busy: false
    property string submitText: qsTr("Confirm")

    signal digitPressed(int digit)
    signal backspacePressed()
    signal clearPressed()
    signal submitPressed()

    implicitWidth: 280
    implicitHeight: column.implicitHeight
    activeFocusOnTab: true
    Accessible.role: Accessible.EditableText
    Accessible.name: qsTr("PIN, %n digit(s) entered", "", root.length)
    Accessible.passwordEdit: true

    function press(digit) {
        if (!root.busy && root.length < root.maxLength)
            root.digitPressed(digit)
    }

    Keys.onPressed: (event) => {
        if (event.key >= Qt.Key_0 && event.key <= Qt.Key_9) {
            root.press(event.key - Qt.Key_0)
            event.accepted = true
        } else if (event.key === Qt.Key_Backspace) {
            root.backspacePressed()
            event.accepted = true
        } else if (event.key === Qt.Key_Escape) {
            root.clearPressed()
            event.accepted = true
        } else if ((event.key === Qt.Key_Return || event.key === Qt.Key_Enter) && root.length >= root.minLength
                   && !root.busy) {
            root.submitPressed()
            event.accepted = true
        }
    }

    ColumnLayout {
        id: column
        anchors.fill: parent
        spacing: Theme.spacingLarge

        Rectangle {
            Layout.fillWidth: true
            implicitHeight: 52
            radius: Theme.radius
            color: Theme.surfaceAlt
            border.width: root.activeFocus ? 2 : 1
            border.color: root.activeFocus ? Theme.focus : Theme.border

            // As many dots as digits typed (issue 17 item 7): a 6-digit PIN is not shown as 4 circles, and nothing
            // says how long the PIN must be beyond the key's own rule.
            Row {
                id: dots
                objectName: "pinDots"
                anchors.centerIn: parent
                spacing: 10
                Repeater {
                    model: root.length
                    Rectangle {
                        objectName: "pinDot"
                        width: 14; height: 14; radius: 7
                        color: Theme.text
                    }
                }
            }
            Text {
                objectName: "pinDotsHint"
                anchors.centerIn: parent
                visible: root.length === 0
                text: qsTr("Type your PIN")
                color: Theme.textMuted
                font.pixelSize: Theme.fontBody
            }
        }

        GridLayout {
            columns: 3
            rowSpacing: Theme.spacingSmall
            columnSpacing: Theme.spacingSmall
            Layout.fillWidth: true

            Repeater {
                model: [1, 2, 3, 4, 5, 6, 7, 8, 9]
                PadKey {
                    required property int modelData
                    objectName: "pad" + modelData
                    text: String(modelData)
                    onClicked: root.press(modelData)
                }
            }
            PadKey {
                objectName: "padClear"
                text: qsTr("Clear")
                small: true
                Accessible.name: qsTr("Clear the PIN")
                onClicked: root.clearPressed()
            }
            PadKey {
                objectName: "pad0"
                text: "0"
                onClicked: root.press(0)
            }
            PadKey {
                objectName: "padBackspace"
                text: "\u232B"
                Accessible.name: qsTr("Delete the last digit")
                onClicked: root.backspacePressed()
            }
        }

        PrimaryButton {
            objectName: "padSubmit"
            Layout.fillWidth: true
            text: root.busy ? qsTr("Checking…") : root.submitText
            enabled: !root.busy && root.length >= root.minLength
            onClicked: root.submitPressed()
        }
    }

    component PadKey: Button {
        id: key
        property bool small: false
        // Equal columns (issue 17 item 7): the same preferred width for every key, whatever its label, so the
        // layout shares the width out evenly instead of by the labels' widths ("Clear" against "1").
        Layout.fillWidth: true
        Layout.preferredWidth: 1
        Layout.minimumWidth: 0
        implicitHeight: 48
        focusPolicy: Qt.NoFocus // the pad itself holds the focus; digits come from the keyboard too
        enabled: !root.busy
        font.pixelSize: small ? Theme.fontBody : Theme.fontLarge + 2
        Accessible.role: Accessible.Button
        Accessible.name: text
        contentItem: Text {
            text: key.text
            font: key.font
            color: Theme.text
            horizontalAlignment: Text.AlignHCenter
            verticalAlignment: Text.AlignVCenter
        }
        background: Rectangle {
            radius: Theme.radius - 2
            color: key.down ? Theme.accentSoft : Theme.surface
            border.color: Theme.border
        }
    }
}
