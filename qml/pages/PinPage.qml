// PIN entry before the purse can be used: masked, with tries left, and what to do when it is blocked.
import QtQuick
import QtQuick.Controls.Basic
import QtQuick.Layouts
import SmartKey.Wallet
import SmartKey.Wallet.Ui

// A Flickable: in a window too low for the card (640×480) the card starts at the top and scrolls, instead of being
// centred over the simulated-key banner above the page (issue 17 item 6).
Flickable {
    id: root

    required property PinViewModel vm
    required property KeyViewModel key

    contentWidth: width
    contentHeight: Math.max(height, card.implicitHeight + 2 * Theme.spacingLarge)
    clip: true
    boundsBehavior: Flickable.StopAtBounds

    Card {
        id: card
        objectName: "pinCard"
        x: (root.width - width) / 2
        y: Math.max(Theme.spacingLarge, (root.height - height) / 2)
        width: Math.min(root.width - 2 * Theme.spacingLarge, 400)
        height: implicitHeight

        PageHeader {
            objectName: "pinHeader"
            // Blocked (or no try left): not "Enter your PIN" but what happened, with no keypad (issue 17 item 2).
            title: root.vm.blocked ? qsTr("The PIN is blocked") : qsTr("Enter your PIN")
            subtitle: root.vm.blocked ? qsTr("The key refuses every PIN until your bank unblocks it.")
                                      : qsTr("The PIN protects your purse. It is checked by the key itself and never stored.")
            Layout.fillWidth: true
        }

        StatusBanner {
            objectName: "pinError"
            Layout.fillWidth: true
            kind: root.vm.blocked ? StatusBanner.Error : StatusBanner.Warning
            text: root.vm.blocked ? qsTr("The PIN is blocked after too many wrong tries. Take the key and your ID to a "
                                         + "branch of your bank to unblock it.")
                                  : root.vm.errorText
        }

        Text {
            objectName: "pinTries"
            Layout.fillWidth: true
            horizontalAlignment: Text.AlignHCenter
            visible: text.length > 0 && !root.vm.blocked
            text: root.vm.triesLeftText
            color: root.vm.lastTry ? Theme.negative : Theme.textMuted
            font.pixelSize: root.vm.lastTry ? Theme.fontBody : Theme.fontSmall
            font.weight: root.vm.lastTry ? Font.DemiBold : Font.Normal
            wrapMode: Text.WordWrap
            Accessible.role: root.vm.lastTry ? Accessible.AlertMessage : Accessible.StaticText
            Accessible.name: text
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

    }
}
