// A label and its value on one line, e.g. "Serial  SK00 •••• 0001". The label column is 150 px wide so rows line up,
// wider for a longer label (up to 45 % of the row), and a label that still does not fit wraps instead of being cut
// ("Transaction code (T…" on every result card, issue 17 item 6).
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
        id: labelText
        text: root.label
        color: Theme.textMuted
        font.pixelSize: Theme.fontBody
        Layout.preferredWidth: Math.max(150, Math.min(labelMetrics.advanceWidth + 2, root.width * 0.45))
        Layout.alignment: Qt.AlignTop
        wrapMode: Text.WordWrap
        TextMetrics {
            id: labelMetrics
            font: labelText.font
            text: root.label
        }
    }
    Text {
        text: root.value
        color: root.emphasised ? Theme.negative : Theme.text
        font.pixelSize: Theme.fontBody
        font.weight: root.emphasised ? Font.DemiBold : Font.Normal
        Layout.fillWidth: true
        Layout.alignment: Qt.AlignTop
        wrapMode: Text.WrapAnywhere
    }
}
