// PIN entry before the purse can be used: masked, with tries left, and what to do when it is blocked.
import QtQuick
import QtQuick.Controls.Basic
import QtQuick.Layouts
import SmartKey.Wallet
import SmartKey.Wallet.Ui

Item {
    id: root

    required property PinViewModel vm
    required property KeyViewModel key

    Card {
        anchors.centerIn: parent
        width: Math.min(parent.width - 2 * Theme.spacingHuge, 400)

        PageHeader {
            title: qsTr("Enter your PIN")
            subtitle: qsTr("The PIN protects your purse. It is checked by the key itself and never stored.")
            Layout.fillWidth: true
        }

        StatusBanner {
            Layout.fillWidth: true
            kind: root.vm.blocked ? StatusBanner.Error : StatusBanner.Warning
            text: root.vm.blocked ? qsTr("The PIN is blocked after too many wrong tries. Take the key and your ID to a "
                                         + "branch of your bank to unblock it.")
                                  : root.vm.errorText
        }

        PinPad {
            id: pad
            objectName: "pinPad"
            Layout.fillWidth: true
            Layout.alignment: Qt.AlignHCenter
            visible: !root.vm.blocked
            focus: true
            length: root.vm.length
            minLength: root.vm.minLength
            maxLength: root.vm.maxLength
            busy: root.vm.busy
            submitText: qsTr("Unlock")
            onDigitPressed: (digit) => root.vm.appendDigit(digit)
            onBackspacePressed: root.vm.backspace()
            onClearPressed: root.vm.clear()
            onSubmitPressed: root.vm.submit()
        }

        Text {
            objectName: "pinTries"
            Layout.fillWidth: true
            horizontalAlignment: Text.AlignHCenter
            visible: text.length > 0 && !root.vm.blocked
            text: root.vm.triesLeftText
            color: root.vm.triesLeft === 1 ? Theme.negative : Theme.textMuted
            font.pixelSize: Theme.fontSmall
        }
    }
}
