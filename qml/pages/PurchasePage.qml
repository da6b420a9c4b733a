// Pay a merchant's order (issue 12): paste the payment link or code (or open a smartkey:// link); the bank's signed
// order is shown (merchant, amount, reference, expiry); a confirmation; the PIN when the key asks; the receipt with
// its TAC. Without a bank host (no bank-client.json) the page says how to configure it. A purchase is started by the
// merchant: there is no field for a merchant's name or an amount.
import QtQuick
import QtQuick.Controls.Basic
import QtQuick.Layouts
import SmartKey.Wallet
import SmartKey.Wallet.Ui

Flickable {
    id: root

    required property PurchaseViewModel vm
    required property AppViewModel app

    contentHeight: column.implicitHeight + 2 * Theme.spacingHuge
    clip: true
    boundsBehavior: Flickable.StopAtBounds
    // Shown again (Ctrl+3, the rail): the cursor goes to the first field (issue 17 item 12).
    onVisibleChanged: if (visible && root.vm.step === PurchaseViewModel.Enter && root.vm.bankConfigured)
                          link.forceActiveFocus()

    // A focus scope, so that the field's text box (not its layout) takes the keyboard focus: Ctrl+3 or the rail
    // puts the cursor in the link field (issue 17 item 12).
    component FormField: FocusScope {
        id: field
        signal accepted()
        property alias text: input.text
        property string label
        property string placeholder
        property int maximumLength: 40
        Layout.fillWidth: true
        implicitWidth: fieldColumn.implicitWidth
        implicitHeight: fieldColumn.implicitHeight
        ColumnLayout {
            id: fieldColumn
            anchors.fill: parent
            spacing: 6
            Text {
                text: field.label
                color: Theme.textMuted
                font.pixelSize: Theme.fontSmall
                font.weight: Font.DemiBold
            }
            TextField {
                id: input
                objectName: field.objectName.length > 0 ? field.objectName + "Input" : ""
                Layout.fillWidth: true
                focus: true
                placeholderText: field.placeholder
                maximumLength: field.maximumLength
                color: Theme.text
                placeholderTextColor: Theme.textMuted
                font.pixelSize: Theme.fontBody
                selectByMouse: true
                onAccepted: field.accepted()
                Accessible.name: field.label
                background: Rectangle {
                    implicitHeight: Theme.controlHeight + 4
                    radius: Theme.radius
                    color: Theme.surfaceAlt
                    border.width: input.activeFocus ? 2 : 1
                    border.color: input.activeFocus ? Theme.focus : Theme.border
                }
            }
        }
    }

    ColumnLayout {
        id: column
        width: Math.min(root.width - 2 * Theme.spacingHuge, 560)
        x: Theme.spacingHuge
        y: Theme.spacingHuge
        spacing: Theme.spacingLarge

        PageHeader {
            Layout.fillWidth: true
            title: qsTr("Pay")
            subtitle: qsTr("Pay a merchant from the purse on your key.")
        }

        // Step 1: the shop's payment link or code.
        Card {
            objectName: "payOrderCard"
            Layout.fillWidth: true
            visible: root.vm.step === PurchaseViewModel.Enter || root.vm.step === PurchaseViewModel.Confirm

            // The balance above the field (issue 17 item 4): an order above it is refused before the confirmation.
            BalanceRow {
                objectName: "payBalance"
                Layout.fillWidth: true
                visible: root.vm.bankConfigured && balanceText.length > 0
                balanceText: root.vm.balanceText
            }
            StatusBanner {
                objectName: "payBankHint"
                Layout.fillWidth: true
                visible: !root.vm.bankConfigured
                kind: StatusBanner.Info
                text: root.vm.bankHint
            }
            FormField {
                id: link
                objectName: "payLink"
                visible: root.vm.bankConfigured
                label: qsTr("Payment link or code from the shop")
                placeholder: qsTr("smartkey://pay/… or K7QM-4XPA")
                maximumLength: 64
                // Only while the link is asked for: the PIN pad takes the focus in its step (as on the load page).
                focus: root.vm.bankConfigured && root.vm.step === PurchaseViewModel.Enter
                onTextChanged: root.vm.link = text
                onAccepted: root.vm.openOrder()
            }
            Connections {
                target: root.vm
                function onChanged() {
                    if (link.text !== root.vm.link) link.text = root.vm.link
                }
            }
            Text {
                objectName: "payLinkProblem"
                Layout.fillWidth: true
                visible: text.length > 0
                text: root.vm.linkProblem
                color: Theme.negative
                font.pixelSize: Theme.fontSmall
                wrapMode: Text.WordWrap
            }
            PrimaryButton {
                objectName: "payOpenOrder"
                visible: root.vm.bankConfigured
                Layout.fillWidth: true
                text: qsTr("Open the order")
                enabled: root.vm.canOpenOrder
                onClicked: root.vm.openOrder()
            }
        }

        // Step 2: confirm what will be paid, before anything is sent to the key (issue 9 item 13).
        MoneyConfirmDialog {
            shown: root.vm.step === PurchaseViewModel.Confirm
            title: qsTr("Confirm the payment")
            amountText: root.vm.amountDisplay
            rows: root.vm.signatureRequired
                  ? [[qsTr("Merchant"), root.vm.orderMerchant], [qsTr("Order number"), root.vm.orderReference],
                     [qsTr("For"), root.vm.orderDescription], [qsTr("Pay before"), root.vm.orderExpiry],
                     [qsTr("Signed by"), qsTr("your key's certificate (slot 9A)")]]
                  : [[qsTr("Merchant"), root.vm.orderMerchant], [qsTr("Order number"), root.vm.orderReference],
                     [qsTr("For"), root.vm.orderDescription], [qsTr("Pay before"), root.vm.orderExpiry]]
            // Issue 14: what the key signs (merchant, amount, order number) when the merchant asks for it.
            detail: root.vm.signatureRequired
                    ? qsTr("%1 is paid from the purse on your key to %2, as your bank signed the order.")
                      .arg(root.vm.amountDisplay).arg(root.vm.orderMerchant) + " " + root.vm.signatureText
                    : qsTr("%1 is paid from the purse on your key to %2, as your bank signed the order.")
                      .arg(root.vm.amountDisplay).arg(root.vm.orderMerchant)
            confirmText: qsTr("Pay %1").arg(root.vm.amountDisplay)
            onConfirmed: root.vm.pay()
            onCancelled: root.vm.cancel()
        }

        // Step 3 (when the key's policy asks): the PIN.
        Card {
            id: payPinCard
            objectName: "payPinCard"
            Layout.fillWidth: true
            // The purse PIN, or (issue 14) the PIV PIN of the key's certificate when the order must be signed.
            readonly property bool piv: root.vm.step === PurchaseViewModel.NeedPivPin
            readonly property PinViewModel pinVm: piv ? root.vm.pivPin : root.vm.pin
            visible: root.vm.step === PurchaseViewModel.NeedPin || piv
            // The PIN is typed at once: the pad takes the keyboard focus when the key asks for it (after an order
            // opened with "Open the order" the keyboard went nowhere; gui-wallet-tour types the PIN on the keyboard).
            onVisibleChanged: if (visible) payPinPad.forceActiveFocus()
            Text {
                objectName: "payPinPrompt"
                Layout.fillWidth: true
                text: payPinCard.piv
                      ? qsTr("Enter the PIN of your key's certificate (PIV PIN) to sign the payment of %1 to %2.")
                        .arg(root.vm.amountDisplay).arg(root.vm.orderMerchant)
                      : qsTr("Enter your PIN to pay %1 to %2.").arg(root.vm.amountDisplay).arg(root.vm.orderMerchant)
                color: Theme.text
                font.pixelSize: Theme.fontLarge
                font.weight: Font.DemiBold
                wrapMode: Text.WordWrap
            }
            StatusBanner {
                objectName: "payPinError"
                Layout.fillWidth: true
                kind: StatusBanner.Warning
                text: payPinCard.pinVm.errorText
            }
            Text {
                objectName: "payPinTries"
                Layout.fillWidth: true
                text: payPinCard.pinVm.triesLeftText
                visible: text.length > 0
                color: payPinCard.pinVm.lastTry || payPinCard.pinVm.blocked ? Theme.negative : Theme.textMuted
                font.pixelSize: payPinCard.pinVm.lastTry ? Theme.fontBody : Theme.fontSmall
                font.weight: payPinCard.pinVm.lastTry ? Font.DemiBold : Font.Normal
                wrapMode: Text.WordWrap
                Accessible.role: payPinCard.pinVm.lastTry ? Accessible.AlertMessage : Accessible.StaticText
                Accessible.name: text
            }
            PinPad {
                id: payPinPad
                objectName: "payPinPad"
                Layout.fillWidth: true
                visible: !payPinCard.pinVm.blocked
                focus: root.vm.step === PurchaseViewModel.NeedPin || payPinCard.piv
                length: payPinCard.pinVm.length
                busy: payPinCard.pinVm.busy
                submitText: payPinCard.piv ? qsTr("Sign and pay") : qsTr("Pay")
                onDigitPressed: (digit) => payPinCard.pinVm.appendDigit(digit)
                onBackspacePressed: payPinCard.pinVm.backspace()
                onClearPressed: payPinCard.pinVm.clear()
                onSubmitPressed: payPinCard.pinVm.submit()
            }
            PrimaryButton {
                objectName: "payCancel"
                secondary: true
                text: qsTr("Cancel")
                onClicked: root.vm.cancel()
            }
        }

        Card {
            objectName: "payWorkingCard"
            Layout.fillWidth: true
            visible: root.vm.step === PurchaseViewModel.Working || root.vm.step === PurchaseViewModel.Fetching
            RowLayout {
                spacing: Theme.spacingLarge
                BusyIndicator { running: parent.visible }
                Text {
                    objectName: "payProgress"
                    Layout.fillWidth: true
                    text: root.vm.progressText
                    color: Theme.text
                    font.pixelSize: Theme.fontBody
                    wrapMode: Text.WordWrap
                }
            }
        }

        Card {
            objectName: "payResultCard"
            Layout.fillWidth: true
            // Enter or Escape closes the result (issue 17 item 12): Done takes the focus when the card appears.
            onVisibleChanged: if (visible && payDone.visible) payDone.forceActiveFocus()
            Keys.onEscapePressed: if (payDone.visible) payDone.clicked()
            visible: root.vm.step === PurchaseViewModel.Done || root.vm.step === PurchaseViewModel.Failed
                     || root.vm.step === PurchaseViewModel.Interrupted
            // The icon beside the title, never over it (issue 17 item 6): the row fills the card and the title wraps.
            RowLayout {
                Layout.fillWidth: true
                spacing: Theme.spacing
                Rectangle {
                    objectName: "resultIcon"
                    Layout.alignment: Qt.AlignTop
                    Layout.minimumWidth: 40
                    implicitWidth: 40; implicitHeight: 40; radius: 20
                    color: root.vm.step === PurchaseViewModel.Done ? Theme.accentSoft : Theme.dangerSoft
                    Text {
                        anchors.centerIn: parent
                        text: root.vm.step === PurchaseViewModel.Done ? "\u2713" : "!"
                        color: root.vm.step === PurchaseViewModel.Done ? Theme.positive : Theme.negative
                        font.pixelSize: 20
                        font.weight: Font.Bold
                    }
                }
                Text {
                    objectName: "payResultTitle"
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
                objectName: "payResultText"
                Layout.fillWidth: true
                text: root.vm.resultText
                color: Theme.text
                font.pixelSize: Theme.fontBody
                wrapMode: Text.WordWrap
            }
            InfoRow {
                objectName: "payReceiptMerchant"
                Layout.fillWidth: true
                visible: root.vm.hasOrder && root.vm.step === PurchaseViewModel.Done
                label: qsTr("Merchant")
                value: root.vm.orderMerchant
            }
            InfoRow {
                objectName: "payReceiptReference"
                Layout.fillWidth: true
                visible: root.vm.hasOrder && root.vm.step === PurchaseViewModel.Done
                label: qsTr("Order number")
                value: root.vm.orderReference
            }
            InfoRow {
                objectName: "payNewBalance"
                Layout.fillWidth: true
                visible: root.vm.newBalanceText.length > 0
                label: qsTr("New balance")
                value: root.vm.newBalanceText
            }
            InfoRow {
                objectName: "payTac"
                Layout.fillWidth: true
                visible: root.vm.tac.length > 0
                label: qsTr("Transaction code (TAC)")
                value: root.vm.tac
            }
            RowLayout {
                spacing: Theme.spacing
                PrimaryButton {
                    id: payDone
                    objectName: "payDone"
                    visible: root.vm.step !== PurchaseViewModel.Interrupted
                    text: qsTr("Done")
                    onClicked: { root.vm.reset(); root.app.navigate(AppViewModel.Overview) }
                }
                PrimaryButton {
                    objectName: "payTryAgain"
                    secondary: true
                    visible: root.vm.step === PurchaseViewModel.Failed
                    text: qsTr("Try again")
                    onClicked: root.vm.cancel()
                }
            }
        }
    }
}
