// A strip across the top of a page: information, warning (the simulated key) or error, with an optional action.
import QtQuick
import QtQuick.Layouts
import SmartKey.Wallet.Ui

Rectangle {
    id: root

    enum Kind { Info, Warning, Error }
    property int kind: StatusBanner.Info
    property string text
    property string actionText
    signal actionTriggered()

    visible: text.length > 0
    implicitHeight: visible ? row.implicitHeight + 2 * Theme.spacing : 0
    radius: Theme.radius - 2
    color: kind === StatusBanner.Error ? Theme.dangerSoft : (kind === StatusBanner.Warning ? Theme.warningSoft
                                                                                            : Theme.accentSoft)
    border.color: kind === StatusBanner.Error ? Theme.negative : (kind === StatusBanner.Warning ? Theme.warning
                                                                                               : Theme.accent)
    Accessible.role: kind === StatusBanner.Error ? Accessible.AlertMessage : Accessible.StaticText
    Accessible.name: text

    RowLayout {
        id: row
        anchors { fill: parent; margins: Theme.spacing }
        spacing: Theme.spacing
        Text {
            text: root.kind === StatusBanner.Info ? "\u24D8" : "\u26A0"
            color: root.border.color
            font.pixelSize: Theme.fontLarge
        }
        Text {
            objectName: "bannerText"
            Layout.fillWidth: true
            text: root.text
            color: Theme.text
            font.pixelSize: Theme.fontBody
            wrapMode: Text.WordWrap
        }
        PrimaryButton {
            visible: root.actionText.length > 0
            text: root.actionText
            secondary: true
            onClicked: root.actionTriggered()
        }
    }
}
