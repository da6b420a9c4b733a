// The one action that moves the cardholder forward. Accent-filled; `secondary` gives the outlined variant.
import QtQuick
import QtQuick.Controls.Basic
import SmartKey.Wallet.Ui

Button {
    id: root

    property bool secondary: false
    property bool danger: false

    implicitHeight: Theme.controlHeight
    leftPadding: Theme.spacingLarge
    rightPadding: Theme.spacingLarge
    font.pixelSize: Theme.fontBody
    font.weight: Font.DemiBold
    focusPolicy: Qt.StrongFocus
    Accessible.role: Accessible.Button
    Accessible.name: text

    contentItem: Text {
        text: root.text
        font: root.font
        color: root.secondary ? (root.danger ? Theme.negative : Theme.accent) : Theme.accentText
        horizontalAlignment: Text.AlignHCenter
        verticalAlignment: Text.AlignVCenter
        elide: Text.ElideRight
        opacity: root.enabled ? 1 : 0.55
    }
    background: Rectangle {
        radius: Theme.radius - 2
        color: root.secondary ? (root.down ? Theme.surfaceAlt : "transparent")
                              : (root.danger ? Theme.negative : Theme.accent)
        opacity: root.enabled ? (root.down ? 0.85 : 1) : 0.45
        border.width: root.secondary || root.visualFocus ? (root.visualFocus ? 2 : 1) : 0
        border.color: root.visualFocus ? Theme.focus : (root.danger ? Theme.negative : Theme.accent)
    }
    Keys.onReturnPressed: clicked()
    Keys.onEnterPressed: clicked()
}
