// "Touch your key": shown while the key waits for its button (KEEPALIVE with status UP_NEEDED, spec/token-hid.md),
// i.e. while a payment or a signature the key must confirm is pending on it (issue 9 item 20). Cancel asks the key to give up the
// waiting command (HID CANCEL): the key answers that nothing was done. Object names for tests and accessibility:
// touchPrompt, touchCancelButton.
import QtQuick
import QtQuick.Controls.Basic
import QtQuick.Templates as T
import QtQuick.Layouts
import SmartKey.Wallet.Ui

Popup {
    id: root

    property bool shown: false
    // False while the key waits for a signature that is not a payment (a key pair or a certificate request on the
    // Certificates page): the text then names that instead.
    property bool forPayment: true

    signal cancelRequested()

    objectName: "touchPrompt"
    parent: T.Overlay.overlay
    anchors.centerIn: parent
    width: Math.min(parent ? parent.width - 2 * Theme.spacingHuge : 400, 400)
    modal: true
    focus: true
    padding: Theme.spacingLarge
    closePolicy: Popup.NoAutoClose

    onShownChanged: shown ? open() : close()

    background: Rectangle {
        color: Theme.surface
        radius: Theme.radius
        border.color: Theme.accent
        border.width: 2
    }

    contentItem: ColumnLayout {
        spacing: Theme.spacing
        Text {
            Layout.alignment: Qt.AlignHCenter
            text: "\u261D"
            color: Theme.accent
            font.pixelSize: 44
            SequentialAnimation on opacity {
                running: root.opened
                loops: Animation.Infinite
                NumberAnimation { to: 0.35; duration: 600 }
                NumberAnimation { to: 1; duration: 600 }
            }
        }
        Text {
            objectName: "touchPromptTitle"
            Layout.fillWidth: true
            horizontalAlignment: Text.AlignHCenter
            text: qsTr("Touch your key")
            color: Theme.text
            font.pixelSize: Theme.fontTitle
            font.weight: Font.DemiBold
            Accessible.role: Accessible.AlertMessage
            Accessible.name: text
        }
        Text {
            Layout.fillWidth: true
            horizontalAlignment: Text.AlignHCenter
            objectName: "touchPromptText"
            text: root.forPayment
                  ? qsTr("The key is waiting for you to confirm the payment: touch its button now.")
                  : qsTr("The key is waiting for you to allow the use of its private key: touch its button now.")
            color: Theme.textMuted
            font.pixelSize: Theme.fontBody
            wrapMode: Text.WordWrap
        }
        PrimaryButton {
            objectName: "touchCancelButton"
            Layout.alignment: Qt.AlignHCenter
            secondary: true
            text: qsTr("Cancel")
            onClicked: root.cancelRequested()
        }
    }
}
