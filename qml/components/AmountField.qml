// Amount entry in yuan. Validation and conversion happen in C++ (the Money singleton, integer fen): QML only shows
// the verdict. `fen` is -1 while the text is not a valid amount.
import QtQuick
import QtQuick.Controls.Basic
import QtQuick.Layouts
import SmartKey.Wallet
import SmartKey.Wallet.Ui

FocusScope {
    id: root

    property alias text: input.text
    property string label: qsTr("Amount (CNY)")
    property double maxFen: 4294967295
    readonly property string problem: input.text.length === 0 ? "" : Money.validate(input.text, root.maxFen)
    readonly property double fen: Money.toFen(input.text, root.maxFen)
    readonly property bool acceptable: root.fen > 0

    signal accepted()

    implicitWidth: 320
    implicitHeight: column.implicitHeight

    ColumnLayout {
        id: column
        anchors.fill: parent
        spacing: 6

        Text {
            text: root.label
            color: Theme.textMuted
            font.pixelSize: Theme.fontSmall
            font.weight: Font.DemiBold
        }
        TextField {
            id: input
            objectName: "amountInput"
            Layout.fillWidth: true
            focus: true
            placeholderText: "0.00"
            inputMethodHints: Qt.ImhFormattedNumbersOnly
            font.pixelSize: Theme.fontTitle
            color: Theme.text
            placeholderTextColor: Theme.textMuted
            leftPadding: 36
            Accessible.name: root.label
            Accessible.description: root.problem
            onAccepted: if (root.acceptable) root.accepted()
            background: Rectangle {
                implicitHeight: 52
                radius: Theme.radius
                color: Theme.surfaceAlt
                border.width: input.activeFocus ? 2 : 1
                border.color: root.problem.length > 0 ? Theme.negative
                                                      : (input.activeFocus ? Theme.focus : Theme.border)
                Text {
                    text: "\u00A5"
                    color: Theme.textMuted
                    font.pixelSize: Theme.fontTitle
                    anchors { left: parent.left; leftMargin: 14; verticalCenter: parent.verticalCenter }
                }
            }
        }
        Text {
            objectName: "amountProblem"
            Layout.fillWidth: true
            visible: root.problem.length > 0
            text: root.problem
            color: Theme.negative
            font.pixelSize: Theme.fontSmall
            wrapMode: Text.WordWrap
            Accessible.role: Accessible.AlertMessage
            Accessible.name: text
        }
    }
}
