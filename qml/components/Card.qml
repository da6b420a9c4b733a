// A surface with a title: the building block of every page.
import QtQuick
import QtQuick.Layouts
import SmartKey.Wallet.Ui

Rectangle {
    id: root

    property string title
    default property alias content: body.data
    property int padding: Theme.spacingLarge

    color: Theme.surface
    radius: Theme.radius
    border.color: Theme.border
    implicitWidth: body.implicitWidth + 2 * padding
    implicitHeight: body.implicitHeight + 2 * padding + (titleLabel.visible ? titleLabel.height + Theme.spacing : 0)

    Text {
        id: titleLabel
        visible: root.title.length > 0
        text: root.title
        color: Theme.textMuted
        font.pixelSize: Theme.fontSmall
        font.weight: Font.DemiBold
        font.capitalization: Font.AllUppercase
        font.letterSpacing: 0.6
        anchors { left: parent.left; top: parent.top; margins: root.padding }
        Accessible.role: Accessible.Heading
        Accessible.name: text
    }

    ColumnLayout {
        id: body
        spacing: Theme.spacing
        anchors {
            left: parent.left; right: parent.right
            top: titleLabel.visible ? titleLabel.bottom : parent.top
            leftMargin: root.padding; rightMargin: root.padding
            topMargin: titleLabel.visible ? Theme.spacing : root.padding
        }
    }
}
