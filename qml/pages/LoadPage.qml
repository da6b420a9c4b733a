// Load money onto the key: amount, the bank's authorisation (progress), the PIN if the key asks, the result.
import QtQuick
import QtQuick.Controls.Basic
import QtQuick.Layouts
import SmartKey.Wallet
import SmartKey.Wallet.Ui

Flickable {
    id: root

    required property LoadViewModel vm
    required property AppViewModel app

    contentHeight: column.implicitHeight + 2 * Theme.spacingHuge
    clip: true
    boundsBehavior: Flickable.StopAtBounds

    ColumnLayout {
        id: column
        width: Math.min(root.width - 2 * Theme.spacingHuge, 560)
        x: Theme.spacingHuge
        y: Theme.spacingHuge
        spacing: Theme.spacingLarge

        PageHeader {
            Layout.fillWidth: true
            title: qsTr("Load money")
            subtitle: qsTr("Move money from your bank account onto the key. Your bank authorises every load.")
        }

        // Step 1: the amount.
        Card {
            objectName: "loadEnterCard"
            Layout.fillWidth: true
            // Stays behind the confirmation dialog, so the cardholder sees what was typed next to what was parsed.
            visible: root.vm.step === LoadViewModel.Enter || root.vm.step === LoadViewModel.Confirm

            BalanceRow {
                objectName: "loadBalance"
                Layout.fillWidth: true
                balanceText: root.vm.balanceText
            }
            AmountField {
                id: amount
                objectName: "loadAmount"
                Layout.fillWidth: true
                maxFen: root.vm.maxFen
                focus: root.vm.step === LoadViewModel.Enter
                onTextChanged: root.vm.amountText = text
                onAccepted: root.vm.submit()
                // The view model may clear the amount (reset after a result): follow it.
                Connections {
                    target: root.vm
                    function onChanged() {
                        if (amount.text !== root.vm.amountText)
                            amount.text = root.vm.amountText
                    }
                }
            }
            Flow {
                Layout.fillWidth: true
                spacing: Theme.spacingSmall
                Repeater {
                    model: ["50", "100", "200", "500"]
                    PrimaryButton {
                        required property string modelData
                        // The chip whose amount is in the field is shown selected, filled (issue 17 item 7).
                        readonly property bool selected: amount.fen === Number(modelData) * 100
                        objectName: "loadQuick" + modelData
                        secondary: !selected
                        Accessible.checkable: true
                        Accessible.checked: selected
                        text: "\u00A5" + modelData
                        Accessible.name: qsTr("Load %1 yuan").arg(modelData)
                        onClicked: amount.text = modelData
                    }
                }
            }
            Text {
                Layout.fillWidth: true
                text: qsTr("Up to %1 per load.").arg(root.vm.maxText)
                color: Theme.textMuted
                font.pixelSize: Theme.fontSmall
            }
            PrimaryButton {
                objectName: "loadSubmit"
                Layout.fillWidth: true
                text: qsTr("Load")
                enabled: root.vm.canSubmit
                onClicked: root.vm.submit()
            }
        }

        // Step 1b: the parsed amount confirmed before anything is sent (issue 9 item 13).
        MoneyConfirmDialog {
            shown: root.vm.step === LoadViewModel.Confirm
            title: qsTr("Confirm the load")
            amountText: root.vm.amountDisplay
            detail: qsTr("Your bank account is charged %1 and the key credited with it.").arg(root.vm.amountDisplay)
            confirmText: qsTr("Load %1").arg(root.vm.amountDisplay)
            onConfirmed: root.vm.confirm()
            onCancelled: root.vm.cancel()
        }

        // Step 2 (when the key's policy asks): the PIN.
        Card {
            objectName: "loadPinCard"
            Layout.fillWidth: true
            visible: root.vm.step === LoadViewModel.NeedPin
            Text {
                objectName: "loadPinPrompt"
                Layout.fillWidth: true
                text: qsTr("Enter your PIN to load %1.").arg(root.vm.amountDisplay)
                color: Theme.text
                font.pixelSize: Theme.fontLarge
                font.weight: Font.DemiBold
                wrapMode: Text.WordWrap
            }
            StatusBanner {
                objectName: "loadPinError"
                Layout.fillWidth: true
                kind: StatusBanner.Warning
                text: root.vm.pin.errorText
            }
            Text {
                objectName: "loadPinTries"
                Layout.fillWidth: true
                text: root.vm.pin.triesLeftText
                visible: text.length > 0
                color: root.vm.pin.lastTry || root.vm.pin.blocked ? Theme.negative : Theme.textMuted
                font.pixelSize: root.vm.pin.lastTry ? Theme.fontBody : Theme.fontSmall
                font.weight: root.vm.pin.lastTry ? Font.DemiBold : Font.Normal
                wrapMode: Text.WordWrap
                Accessible.role: root.vm.pin.lastTry ? Accessible.AlertMessage : Accessible.StaticText
                Accessible.name: text
            }
            PinPad {
                objectName: "loadPinPad"
                Layout.fillWidth: true
                visible: !root.vm.pin.blocked
                focus: root.vm.step === LoadViewModel.NeedPin
                length: root.vm.pin.length
                busy: root.vm.pin.busy
                submitText: qsTr("Load")
                onDigitPressed: (digit) => root.vm.pin.appendDigit(digit)
                onBackspacePressed: root.vm.pin.backspace()
                onClearPressed: root.vm.pin.clear()
                onSubmitPressed: root.vm.pin.submit()
            }
            PrimaryButton {
                objectName: "loadCancel"
                secondary: true
                text: qsTr("Cancel")
                onClicked: root.vm.cancel()
            }
        }

        // Step 3: the bank authorises and the key is credited. Not interruptible: money is moving.
        Card {
            objectName: "loadWorkingCard"
            Layout.fillWidth: true
            visible: root.vm.step === LoadViewModel.Working
            RowLayout {
                spacing: Theme.spacingLarge
                BusyIndicator { running: root.vm.step === LoadViewModel.Working }
                Text {
                    objectName: "loadProgress"
                    Layout.fillWidth: true
                    text: root.vm.progressText
                    color: Theme.text
                    font.pixelSize: Theme.fontBody
                    wrapMode: Text.WordWrap
                    Accessible.role: Accessible.StaticText
                    Accessible.name: text
                }
            }
        }

        // Step 4: the outcome.
        Card {
            objectName: "loadResultCard"
            Layout.fillWidth: true
            // Enter or Escape closes the result (issue 17 item 12): Done takes the focus when the card appears.
            onVisibleChanged: if (visible && loadDone.visible) loadDone.forceActiveFocus()
            Keys.onEscapePressed: if (loadDone.visible) loadDone.clicked()
            visible: root.vm.step === LoadViewModel.Done || root.vm.step === LoadViewModel.Failed
                     || root.vm.step === LoadViewModel.Interrupted

            // The icon beside the title, never over it (issue 17 item 6): the row fills the card and the title wraps.
            RowLayout {
                Layout.fillWidth: true
                spacing: Theme.spacing
                Rectangle {
                    objectName: "resultIcon"
                    Layout.alignment: Qt.AlignTop
                    Layout.minimumWidth: 40
                    implicitWidth: 40; implicitHeight: 40; radius: 20
                    color: root.vm.step === LoadViewModel.Done ? Theme.accentSoft : Theme.dangerSoft
                    Text {
                        anchors.centerIn: parent
                        text: root.vm.step === LoadViewModel.Done ? "\u2713" : "!"
                        color: root.vm.step === LoadViewModel.Done ? Theme.positive : Theme.negative
                        font.pixelSize: 20
                        font.weight: Font.Bold
                    }
                }
                Text {
                    objectName: "loadResultTitle"
                    Layout.fillWidth: true
                    text: root.vm.resultTitle
                    color: Theme.text
                    font.pixelSize: Theme.fontTitle
                    font.weight: Font.DemiBold
                    wrapMode: Text.WordWrap
                    Accessible.role: Accessible.AlertMessage
                    Accessible.name: text
                }
            }
            Text {
                objectName: "loadResultText"
                Layout.fillWidth: true
                text: root.vm.resultText
                color: Theme.text
                font.pixelSize: Theme.fontBody
                wrapMode: Text.WordWrap
            }
            InfoRow {
                objectName: "loadNewBalance"
                Layout.fillWidth: true
                visible: root.vm.newBalanceText.length > 0
                label: qsTr("New balance")
                value: root.vm.newBalanceText
            }
            InfoRow {
                objectName: "loadTac"
                Layout.fillWidth: true
                visible: root.vm.tac.length > 0
                label: qsTr("Transaction code (TAC)")
                value: root.vm.tac
            }
            RowLayout {
                spacing: Theme.spacing
                PrimaryButton {
                    id: loadDone
                    objectName: "loadDone"
                    visible: root.vm.step !== LoadViewModel.Interrupted
                    text: qsTr("Done")
                    onClicked: { root.vm.reset(); root.app.navigate(AppViewModel.Overview) }
                }
                PrimaryButton {
                    objectName: "loadTryAgain"
                    secondary: true
                    visible: root.vm.step === LoadViewModel.Failed
                    text: qsTr("Try again")
                    onClicked: root.vm.reset()
                }
            }
        }
    }
}
