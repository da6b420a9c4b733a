// A label and its value on one line, e.g. "Serial  SK00 •••• 0001".
import QtQuick
import QtQuick.Layouts
import SmartKey.Wallet.Ui

RowLayout {
    id: root
    property string label
    property string value
    property bool emphasised: false
    spacing: Theme.spacing
    Accessible.role: Accessible.StaticText
    Accessible.name: label + ": " + value

    Text {
        text: root.label
        color: Theme.textMuted
        font.pixelSize: Theme.fontBody
        Layout.preferredWidth: 150
        elide: Text.ElideRight
    }
    Text {
        text: root.value
        color: root.emphasised ? Theme.negative : Theme.text
        font.pixelSize: Theme.fontBody
        font.weight: root.emphasised ? Font.DemiBold : Font.Normal
        Layout.fillWidth: true
        wrapMode: Text.WrapAnywhere
    }
}
