// Language (switched at once, no restart) and theme.
import QtQuick
import QtQuick.Controls.Basic
import QtQuick.Layouts
import SmartKey.Wallet
import SmartKey.Wallet.Ui

Flickable {
    id: root

    required property SettingsViewModel vm

    contentHeight: column.implicitHeight + 2 * Theme.spacingHuge
    clip: true

    ColumnLayout {
        id: column
        width: Math.min(root.width - 2 * Theme.spacingHuge, 760)
        x: Theme.spacingHuge
        y: Theme.spacingHuge
        spacing: Theme.spacingLarge

        PageHeader {
            title: qsTr("Settings")
            subtitle: qsTr("Changes apply at once and are remembered.")
        }

        Card {
            Layout.fillWidth: true
            title: qsTr("Language")
            RowLayout {
                spacing: Theme.spacing
                Repeater {
                    model: root.vm.languages
                    ChoiceChip {
                        required property int index
                        required property string modelData
                        objectName: "language_" + modelData
                        text: root.vm.languageNames[index]
                        selected: root.vm.language === modelData
                        onClicked: root.vm.language = modelData
                    }
                }
            }
        }

        Card {
            Layout.fillWidth: true
            title: qsTr("Appearance")
            RowLayout {
                spacing: Theme.spacing
                ChoiceChip {
                    objectName: "themeLight"
                    text: qsTr("Light")
                    selected: !root.vm.darkTheme
                    onClicked: root.vm.darkTheme = false
                }
                ChoiceChip {
                    objectName: "themeDark"
                    text: qsTr("Dark")
                    selected: root.vm.darkTheme
                    onClicked: root.vm.darkTheme = true
                }
            }
        }
    }

    component ChoiceChip: Button {
        id: chip
        property bool selected: false
        implicitHeight: Theme.controlHeight
        leftPadding: Theme.spacingLarge
        rightPadding: Theme.spacingLarge
        focusPolicy: Qt.StrongFocus
        Accessible.role: Accessible.RadioButton
        Accessible.name: text
        Accessible.checked: selected
        contentItem: Text {
            text: chip.text
            color: chip.selected ? Theme.accentText : Theme.text
            font.pixelSize: Theme.fontBody
            font.weight: chip.selected ? Font.DemiBold : Font.Normal
            horizontalAlignment: Text.AlignHCenter
            verticalAlignment: Text.AlignVCenter
        }
        background: Rectangle {
            radius: height / 2
            color: chip.selected ? Theme.accent : Theme.surfaceAlt
            border.width: 1
            border.color: Theme.border
            // Outside the chip, like the buttons' (issue 17 item 8): a ring on the accent fill was 1.05:1.
            Rectangle {
                objectName: "focusRing"
                visible: chip.visualFocus
                anchors { fill: parent; margins: -(Theme.focusRingGap + Theme.focusRingWidth) }
                radius: height / 2
                color: "transparent"
                border.width: Theme.focusRingWidth
                border.color: Theme.focus
            }
        }
    }
}
