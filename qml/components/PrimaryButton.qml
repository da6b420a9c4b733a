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
        border.width: root.secondary ? 1 : 0
        border.color: root.danger ? Theme.negative : Theme.accent

        // The focus ring (issue 17 items 8 and 12): outside the button, with a gap, so it stands against the page
        // (3:1 or more in both themes) rather than against the accent fill, where it was invisible (1.05:1).
        Rectangle {
            objectName: "focusRing"
            // Also for focus given by the app, not only by Tab: the confirmation dialog's button reached with Tab
            // (a Popup: visualFocus stayed false there) and the result card's Done that Enter presses (item 12).
            // Never after a mouse click.
            visible: root.visualFocus || (root.activeFocus && root.focusReason !== Qt.MouseFocusReason)
            anchors { fill: parent; margins: -(Theme.focusRingGap + Theme.focusRingWidth) }
            radius: parent.radius + Theme.focusRingGap + Theme.focusRingWidth
            color: "transparent"
            border.width: Theme.focusRingWidth
            border.color: Theme.focus
        }
    }
    Keys.onReturnPressed: clicked()
    Keys.onEnterPressed: clicked()
}
