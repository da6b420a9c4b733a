// The title of a page and one line that says what the page is for.
import QtQuick
import QtQuick.Layouts
import SmartKey.Wallet.Ui

ColumnLayout {
    id: root
    property string title
    property string subtitle
    spacing: 4
    Text {
        text: root.title
        color: Theme.text
        font.pixelSize: Theme.fontTitle
        font.weight: Font.DemiBold
        Accessible.role: Accessible.Heading
        Accessible.name: text
    }
    Text {
        visible: root.subtitle.length > 0
        text: root.subtitle
        color: Theme.textMuted
        font.pixelSize: Theme.fontBody
        wrapMode: Text.WordWrap
        Layout.fillWidth: true
    }
}
