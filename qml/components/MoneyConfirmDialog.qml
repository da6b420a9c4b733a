// The confirmation every load and every payment passes before anything is sent to the key (issue 9 item 13): the
// amount as the wallet understood it (parsed in C++, integer fen), what it is for, and two buttons. Escape or Cancel
// leaves the flow; only the confirm button moves money. One component for both pages, so the object names the tests
// and accessibility tools find are the same: moneyConfirmDialog, moneyConfirmBody, moneyConfirmButton,
// moneyCancelButton.
//
// No default button (issue 17 item 1): when the dialog opens the focus is on its body, which swallows Return and
// Enter, so a second Enter typed in the form (or one queued before the dialog was shown) never confirms. Confirming
// takes a click, or Tab to the button and then Enter or Space.
import QtQuick
import QtQuick.Controls.Basic
import QtQuick.Templates as T
import QtQuick.Layouts
import SmartKey.Wallet.Ui

Popup {
    id: root

    /// Open while the view model is in its Confirm step.
    property bool shown: false
    property string title
    /// The parsed amount, formatted ("¥12.50").
    property string amountText
    /// One sentence saying what happens ("Your bank account is charged and the key credited.").
    property string detail
    /// Extra lines (merchant, order number), each [label, value].
    property var rows: []
    property string confirmText: qsTr("Confirm")

    signal confirmed()
    signal cancelled()

    objectName: "moneyConfirmDialog"
    parent: T.Overlay.overlay
    anchors.centerIn: parent
    width: Math.min(parent ? parent.width - 2 * Theme.spacingHuge : 440, 440)
    modal: true
    focus: true
    padding: Theme.spacingLarge
    closePolicy: Popup.CloseOnEscape

    onShownChanged: shown ? open() : close()
    Component.onCompleted: if (shown) open()
    // Escape: the same as Cancel.
    onClosed: if (root.shown) root.cancelled()

    background: Rectangle {
        color: Theme.surface
        radius: Theme.radius
        border.color: Theme.border
    }

    contentItem: ColumnLayout {
        objectName: "moneyConfirmBody"
        spacing: Theme.spacing
        focus: true
        Keys.onReturnPressed: (event) => event.accepted = true
        Keys.onEnterPressed: (event) => event.accepted = true

        Text {
            objectName: "moneyConfirmTitle"
            Layout.fillWidth: true
            text: root.title
            color: Theme.textMuted
            font.pixelSize: Theme.fontSmall
            font.weight: Font.DemiBold
            font.capitalization: Font.AllUppercase
            wrapMode: Text.WordWrap
            Accessible.role: Accessible.Heading
            Accessible.name: text
        }
        Text {
            objectName: "moneyConfirmAmount"
            Layout.fillWidth: true
            text: root.amountText
            color: Theme.text
            font.pixelSize: Theme.fontDisplay
            font.weight: Font.DemiBold
            Accessible.role: Accessible.StaticText
            Accessible.name: text
        }
        Repeater {
            model: root.rows
            InfoRow {
                required property var modelData
                Layout.fillWidth: true
                visible: modelData[1].length > 0
                label: modelData[0]
                value: modelData[1]
            }
        }
        Text {
            Layout.fillWidth: true
            visible: text.length > 0
            text: root.detail
            color: Theme.textMuted
            font.pixelSize: Theme.fontBody
            wrapMode: Text.WordWrap
        }
        RowLayout {
            spacing: Theme.spacing
            PrimaryButton {
                objectName: "moneyConfirmButton"
                text: root.confirmText
                onClicked: root.confirmed()
            }
            PrimaryButton {
                objectName: "moneyCancelButton"
                secondary: true
                text: qsTr("Cancel")
                onClicked: root.cancelled()
            }
        }
    }
}
