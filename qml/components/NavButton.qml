// One entry of the navigation rail on the left.
import QtQuick
import QtQuick.Controls.Basic
import QtQuick.Layouts
import SmartKey.Wallet.Ui

ItemDelegate {
    id: root

    property string glyph
    property bool current: false
    /// Glyph only (narrow windows); the name is then a tooltip and stays the accessible name.
    property bool compact: false
    /// The keyboard shortcut that opens the page ("Ctrl+3"), shown in the tooltip (issue 17 item 12).
    property string shortcut

    Layout.fillWidth: true
    implicitHeight: 44
    focusPolicy: Qt.StrongFocus
    Accessible.role: Accessible.PageTab
    Accessible.name: text
    Accessible.selected: current

    contentItem: Row {
        spacing: Theme.spacing
        leftPadding: Theme.spacingSmall
        Text {
            text: root.glyph
            width: 20
            horizontalAlignment: Text.AlignHCenter
            color: root.current ? Theme.sidebarTextActive : Theme.sidebarText
            font.pixelSize: Theme.fontLarge
            anchors.verticalCenter: parent.verticalCenter
        }
        Text {
            visible: !root.compact
            text: root.text
            color: root.current ? Theme.sidebarTextActive : Theme.sidebarText
            font.pixelSize: Theme.fontBody
            font.weight: root.current ? Font.DemiBold : Font.Normal
            anchors.verticalCenter: parent.verticalCenter
            opacity: root.enabled ? 1 : 0.5
        }
    }
    Accessible.description: root.shortcut
    ToolTip.visible: root.hovered || root.visualFocus
    ToolTip.text: root.shortcut.length > 0 ? root.text + "  (" + root.shortcut + ")" : root.text
    ToolTip.delay: 300

    background: Rectangle {
        radius: Theme.radius - 2
        color: root.current ? Theme.sidebarActive : (root.hovered ? Qt.rgba(1, 1, 1, 0.05) : "transparent")
        border.width: root.visualFocus ? Theme.focusRingWidth : 0
        border.color: Theme.sidebarFocus
        Rectangle {
            visible: root.current
            width: 3; radius: 1.5
            height: parent.height - 16
            anchors { left: parent.left; verticalCenter: parent.verticalCenter }
            color: Theme.accent
        }
    }
}
