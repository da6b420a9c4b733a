// One line of the transaction history: what, when, where, how much. Loads are shown in green with a plus sign,
// purchases in the text colour with a minus sign. The whole row is one accessible item with a spoken summary.
import QtQuick
import QtQuick.Layouts
import SmartKey.Wallet.Ui

Rectangle {
    id: root

    property string kindText
    property bool incoming: false
    property string amountText
    property string dateText
    property string detailText
    property string proofText

    implicitWidth: 480
    implicitHeight: 60
    color: activeFocus ? Theme.accentSoft : "transparent"
    radius: Theme.radius - 4
    // A ring, not only the tint, shows the row the keyboard is on (issue 17 item 12; 3:1 against the page).
    border.width: activeFocus ? Theme.focusRingWidth : 0
    border.color: Theme.focus
    activeFocusOnTab: false
    Accessible.role: Accessible.ListItem
    Accessible.name: root.kindText + ", " + (root.incoming ? "+" : "-") + root.amountText + ", " + root.dateText
                     + (root.detailText.length > 0 ? ", " + root.detailText : "")

    RowLayout {
        anchors.fill: parent
        anchors.leftMargin: Theme.spacing
        anchors.rightMargin: Theme.spacing
        spacing: Theme.spacing

        Rectangle {
            implicitWidth: 36; implicitHeight: 36; radius: 18
            color: root.incoming ? Theme.accentSoft : Theme.surfaceAlt
            Text {
                anchors.centerIn: parent
                text: root.incoming ? "\u2193" : "\u2191"
                color: root.incoming ? Theme.positive : Theme.textMuted
                font.pixelSize: Theme.fontLarge
                font.weight: Font.Bold
            }
        }
        // The texts give way (elided) before the amount does: the amount is always shown whole (issue 17 item 5).
        ColumnLayout {
            Layout.fillWidth: true
            Layout.preferredWidth: 100
            Layout.minimumWidth: 0
            spacing: 2
            Text {
                objectName: "rowKind"
                text: root.kindText + (root.detailText.length > 0 ? " · " + root.detailText : "")
                color: Theme.text
                font.pixelSize: Theme.fontBody
                font.weight: Font.DemiBold
                elide: Text.ElideRight
                Layout.fillWidth: true
            }
            Text {
                objectName: "rowDate"
                text: root.dateText + (root.proofText.length > 0 ? "  ·  TAC " + root.proofText : "")
                color: Theme.textMuted
                font.pixelSize: Theme.fontSmall
                elide: Text.ElideRight
                Layout.fillWidth: true
            }
        }
        Text {
            objectName: "rowAmount"
            text: (root.incoming ? "+" : "\u2212") + root.amountText
            Layout.minimumWidth: implicitWidth
            color: root.incoming ? Theme.positive : Theme.text
            font.pixelSize: Theme.fontLarge
            font.weight: Font.DemiBold
        }
    }
    Rectangle {
        anchors { left: parent.left; right: parent.right; bottom: parent.bottom; leftMargin: 60 }
        height: 1
        color: Theme.border
    }
}
