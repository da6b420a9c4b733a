// SPDX-License-Identifier: Apache-2.0
// The kiosk's one window: full screen, frameless. Screens follow vm.screen; texts come from vm as codes and are
// translated here (context KioskMain). No money arithmetic and no parsing: amounts arrive formatted.
import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import SmartKey.Kiosk

ApplicationWindow {
    id: window
    required property KioskController vm
    visible: true
    visibility: Window.FullScreen
    flags: Qt.Window | Qt.FramelessWindowHint
    // The screen's size from the first frame: under cage a first frame drawn at a smaller size stayed on the output
    // after the compositor made the window full screen (kiosk-cage), and an X session without a window manager does
    // not resize a full-screen window at all. 1024x768 only where no screen size is known.
    width: Screen.width > 0 ? Screen.width : 1024
    height: Screen.height > 0 ? Screen.height : 768
    color: "#0f2a33"
    title: qsTr("SmartKey kiosk")

    // A window manager's close (Alt+F4 handled by the WM, a close button) is refused unless the operator left.
    onClosing: function (close) { close.accepted = window.vm.exitAllowed }
    // Full-screen locked mode: a window manager (or a stray shortcut) that makes the window normal, maximised or
    // minimised gets it back full screen at once; only the operator's exit leaves it.
    onVisibilityChanged: function (v) {
        if (!window.vm.exitAllowed && v !== Window.FullScreen && v !== Window.Hidden)
            Qt.callLater(window.showFullScreen)
    }

    readonly property color ink: "#f2f7f8"
    readonly property color accent: "#19a0a8"
    readonly property color warn: "#ffb347"
    readonly property int big: Math.max(28, height / 22)

    function messageText(code) {
        switch (code) {
        case "wrongPin": return window.vm.triesLeft >= 0
            ? qsTr("Wrong PIN. %n tries left on your key.", "", window.vm.triesLeft) : qsTr("Wrong PIN.")
        case "pinBlocked": return qsTr("The PIN of this key is blocked. Please go to your bank branch.")
        case "pinTooShort": return qsTr("The PIN has at least 4 digits.")
        case "insufficient": return qsTr("Not enough money on the key.")
        case "keyRemoved": return qsTr("The key was removed before paying. Nothing was charged.")
        case "notCharged": return qsTr("The key proved the payment did not happen. Nothing was charged.")
        case "hotlisted": return qsTr("This key has been reported lost or blocked by the bank. It cannot pay here. Please contact your bank.")
        case "notIssued": return qsTr("This key has no purse yet. Please go to your bank branch.")
        case "invalidKey": return qsTr("This key cannot pay: it is blocked or expired. Please contact your bank.")
        case "keyUnreadable": return qsTr("The key could not be read. Please take it out and insert it again.")
        case "refused": return qsTr("The key refused the payment. Nothing was charged.")
        case "storage": return qsTr("The kiosk cannot record sales right now. Nothing was charged. Please call staff.")
        case "samUnavailable": return qsTr("The kiosk's security module (SAM) is not answering. Nothing was charged. Please call staff.")
        case "wrongOperatorPin": return qsTr("Wrong operator PIN.")
        case "badAmount": return qsTr("Type an amount such as 12.50.")
        }
        return ""
    }

    // Any touch restarts the idle timeout, without taking the event.
    MouseArea {
        anchors.fill: parent
        z: 100
        propagateComposedEvents: true
        onPressed: function (mouse) { window.vm.activity(); mouse.accepted = false }
    }

    component BigButton: Button {
        id: b
        property bool primary: false
        focusPolicy: Qt.NoFocus // the keyboard stays with the page's key handler
        font.pixelSize: window.big
        implicitHeight: window.big * 2.2
        implicitWidth: Math.max(window.big * 6, contentItem.implicitWidth + 48)
        contentItem: Text {
            text: b.text
            font: b.font
            color: window.ink
            horizontalAlignment: Text.AlignHCenter
            verticalAlignment: Text.AlignVCenter
        }
        background: Rectangle {
            radius: 14
            color: !b.enabled ? "#3a4b50" : b.down ? "#0d6d73" : (b.primary ? window.accent : "#24434c")
            border.color: b.activeFocus ? window.ink : "transparent"
            border.width: 3
        }
    }

    // The customer's choice of language (the welcome and out-of-service screens).
    component LanguageRow: RowLayout {
        spacing: 20
        BigButton {
            objectName: "langZh"
            text: "中文"
            primary: window.vm.language === "zh_CN"
            onClicked: window.vm.setLanguage("zh_CN")
        }
        BigButton {
            objectName: "langEn"
            text: "English"
            primary: window.vm.language === "en"
            onClicked: window.vm.setLanguage("en")
        }
    }

    // A keypad with large targets; `withPoint` adds "." for amounts.
    component KeyPad: GridLayout {
        id: pad
        property bool withPoint: false
        property real keyHeight: window.big * 2.2
        columns: 3
        rowSpacing: 12
        columnSpacing: 12
        Repeater {
            model: ["1", "2", "3", "4", "5", "6", "7", "8", "9"]
            BigButton {
                // Declared, not taken from the delegate's context (qmllint, issue 17 item 14).
                required property string modelData
                objectName: "key" + modelData
                text: modelData
                implicitHeight: pad.keyHeight
                Layout.fillWidth: true
                onClicked: window.vm.digit(Number(modelData))
            }
        }
        BigButton {
            objectName: pad.withPoint ? "keyPoint" : "keyClear"
            text: pad.withPoint ? "." : qsTr("Clear")
            implicitHeight: pad.keyHeight
            Layout.fillWidth: true
            onClicked: pad.withPoint ? window.vm.point() : window.vm.clearEntry()
        }
        BigButton {
            objectName: "key0"
            text: "0"
            implicitHeight: pad.keyHeight
            Layout.fillWidth: true
            onClicked: window.vm.digit(0)
        }
        BigButton {
            objectName: "keyBack"
            text: "⌫"
            Accessible.name: qsTr("Delete")
            implicitHeight: pad.keyHeight
            Layout.fillWidth: true
            onClicked: window.vm.backspace()
        }
    }

    // The keyboard works too (a kiosk with a keypad): digits, Backspace, Enter, Escape.
    Item {
        id: keys
        anchors.fill: parent
        focus: true
        Keys.onPressed: function (event) {
            window.vm.activity()
            if (event.key >= Qt.Key_0 && event.key <= Qt.Key_9) {
                window.vm.digit(event.key - Qt.Key_0)
            } else if (event.key === Qt.Key_Period) {
                window.vm.point()
            } else if (event.key === Qt.Key_Backspace) {
                window.vm.backspace()
            } else if (event.key === Qt.Key_Return || event.key === Qt.Key_Enter) {
                window.vm.submit()
            } else if (event.key === Qt.Key_Escape) {
                window.vm.cancel()
            } else {
                return
            }
            event.accepted = true
        }
    }

    ColumnLayout {
        anchors.fill: parent
        anchors.margins: 40
        spacing: 24

        RowLayout {
            Layout.fillWidth: true
            Text {
                objectName: "merchantName"
                text: window.vm.merchantName
                color: window.ink
                font.pixelSize: window.big
                font.bold: true
                Layout.fillWidth: true
            }
            Text {
                objectName: "saleAmountHeader"
                visible: window.vm.saleReady && window.vm.screen !== "operator"
                text: window.vm.amountText
                color: window.ink
                font.pixelSize: window.big
            }
        }

        // ---- welcome --------------------------------------------------------------------------------------------
        ColumnLayout {
            objectName: "welcomeScreen"
            visible: window.vm.screen === "welcome"
            Layout.fillWidth: true
            Layout.fillHeight: true
            spacing: 30
            Text {
                objectName: "welcomeTitle"
                text: qsTr("Welcome")
                color: window.ink
                font.pixelSize: window.big * 2
                font.bold: true
            }
            Text {
                objectName: "welcomeText"
                text: window.vm.saleReady ? qsTr("Insert your key to pay %1.").arg(window.vm.amountText)
                                          : qsTr("Please ask the cashier to start your purchase.")
                color: window.ink
                font.pixelSize: window.big
                wrapMode: Text.Wrap
                Layout.fillWidth: true
            }
            LanguageRow {}
            Item { Layout.fillHeight: true }
            BigButton {
                objectName: "operatorButton"
                text: qsTr("Staff")
                Layout.alignment: Qt.AlignRight
                onClicked: window.vm.openOperator()
            }
        }

        // ---- out of service: started without an answering SAM; the kiosk tries it again every 5 s -----------------
        ColumnLayout {
            objectName: "outOfServiceScreen"
            visible: window.vm.screen === "outOfService"
            Layout.fillWidth: true
            Layout.fillHeight: true
            spacing: 30
            Text {
                objectName: "outOfServiceTitle"
                text: qsTr("Out of service")
                color: window.warn
                font.pixelSize: window.big * 2
                font.bold: true
            }
            Text {
                objectName: "outOfServiceText"
                text: qsTr("The kiosk's security module (SAM) is not answering. Nothing can be paid now. Please call staff.")
                color: window.ink
                font.pixelSize: window.big
                wrapMode: Text.Wrap
                Layout.fillWidth: true
            }
            LanguageRow {}
            Item { Layout.fillHeight: true }
            BigButton {
                objectName: "operatorButton"
                text: qsTr("Staff")
                Layout.alignment: Qt.AlignRight
                onClicked: window.vm.openOperator()
            }
        }

        // ---- the amount, then the PIN ---------------------------------------------------------------------------
        ColumnLayout {
            objectName: "amountScreen"
            visible: window.vm.screen === "amount"
            Layout.fillWidth: true
            Layout.fillHeight: true
            spacing: 30
            Text {
                text: qsTr("Amount to pay")
                color: window.ink
                font.pixelSize: window.big
            }
            Text {
                objectName: "amountToPay"
                text: window.vm.amountText
                color: window.ink
                font.pixelSize: window.big * 3
                font.bold: true
            }
            Text {
                objectName: "amountBalance"
                text: qsTr("On your key: %1").arg(window.vm.balanceText)
                color: window.ink
                font.pixelSize: window.big
            }
            Item { Layout.fillHeight: true }
            RowLayout {
                spacing: 20
                BigButton { objectName: "amountCancel"; text: qsTr("Cancel"); onClicked: window.vm.cancel() }
                BigButton { objectName: "amountPay"; text: qsTr("Pay"); primary: true; onClicked: window.vm.submit() }
            }
        }

        RowLayout {
            objectName: "pinScreen"
            visible: window.vm.screen === "pin" || window.vm.screen === "operatorPin"
            Layout.fillWidth: true
            Layout.fillHeight: true
            spacing: 40
            ColumnLayout {
                Layout.alignment: Qt.AlignTop
                Layout.fillWidth: true
                spacing: 20
                Text {
                    objectName: "pinTitle"
                    text: window.vm.screen === "operatorPin" ? qsTr("Operator PIN") : qsTr("Enter your PIN")
                    color: window.ink
                    font.pixelSize: window.big * 1.4
                    font.bold: true
                }
                Text {
                    objectName: "pinDots"
                    // One dot per digit: the digits themselves are never shown, nor kept in QML.
                    text: window.vm.pinLength > 0 ? "●".repeat(window.vm.pinLength) : qsTr("Type your PIN")
                    color: window.ink
                    font.pixelSize: window.big * 1.4
                }
                Text {
                    objectName: "pinMessage"
                    visible: text.length > 0
                    text: window.messageText(window.vm.message)
                    color: window.warn
                    font.pixelSize: window.big
                    wrapMode: Text.Wrap
                    Layout.fillWidth: true
                }
            }
            ColumnLayout {
                Layout.alignment: Qt.AlignTop
                spacing: 12
                KeyPad {
                    objectName: "pinPad"
                    Layout.preferredWidth: window.big * 16
                }
                RowLayout {
                    spacing: 12
                    BigButton {
                        objectName: "pinCancel"
                        text: qsTr("Cancel")
                        Layout.fillWidth: true
                        onClicked: window.vm.cancel()
                    }
                    BigButton {
                        objectName: "pinOk"
                        text: qsTr("OK")
                        primary: true
                        Layout.fillWidth: true
                        enabled: window.vm.pinLength >= 4 && !window.vm.busy
                        onClicked: window.vm.submit()
                    }
                }
            }
        }

        // ---- paying, checking, receipt, refusals, lock ----------------------------------------------------------
        ColumnLayout {
            objectName: "workingScreen"
            visible: window.vm.screen === "working"
            Layout.fillWidth: true
            Layout.fillHeight: true
            Text {
                objectName: "workingText"
                text: qsTr("Paying… Touch your key when it blinks, and keep it inserted.")
                color: window.ink
                font.pixelSize: window.big * 1.4
                wrapMode: Text.Wrap
                Layout.fillWidth: true
            }
            BusyIndicator { running: parent.visible }
        }

        ColumnLayout {
            objectName: "checkingScreen"
            visible: window.vm.screen === "checking"
            Layout.fillWidth: true
            Layout.fillHeight: true
            spacing: 24
            Text {
                objectName: "checkingTitle"
                text: qsTr("Checking the payment")
                color: window.warn
                font.pixelSize: window.big * 1.6
                font.bold: true
            }
            Text {
                objectName: "checkingText"
                text: window.vm.message === "samRemoved"
                    ? qsTr("The key answered the payment, but the kiosk's security module (SAM) was removed before it could check that answer. The sale is kept; it is checked when the SAM is back. You will never be charged twice.")
                    : qsTr("The key was removed while paying. Please insert the same key again: the kiosk asks it whether the payment went through. You will never be charged twice.")
                color: window.ink
                font.pixelSize: window.big
                wrapMode: Text.Wrap
                Layout.fillWidth: true
            }
        }

        ColumnLayout {
            objectName: "receiptScreen"
            visible: window.vm.screen === "receipt"
            Layout.fillWidth: true
            Layout.fillHeight: true
            spacing: 12
            Text {
                objectName: "receiptTitle"
                text: qsTr("Paid. Thank you!")
                color: window.ink
                font.pixelSize: window.big * 1.6
                font.bold: true
            }
            Repeater {
                model: window.vm.receipt
                RowLayout {
                    id: receiptLine
                    required property var modelData
                    spacing: 20
                    Text {
                        text: {
                            switch (receiptLine.modelData.label) {
                            case "merchant": return qsTr("Merchant")
                            case "amount": return qsTr("Amount paid")
                            case "balance": return qsTr("Balance on the key")
                            case "date": return qsTr("Date")
                            case "key": return qsTr("Key")
                            case "terminal": return qsTr("Terminal")
                            case "tsn": return qsTr("Transaction number")
                            case "tac": return qsTr("TAC")
                            }
                            return receiptLine.modelData.label
                        }
                        color: window.ink
                        font.pixelSize: window.big * 0.8
                        Layout.preferredWidth: window.big * 10
                    }
                    Text {
                        objectName: "receipt_" + receiptLine.modelData.label
                        text: receiptLine.modelData.value
                        color: window.ink
                        font.pixelSize: window.big * 0.8
                        font.bold: true
                    }
                }
            }
            Text {
                objectName: "receiptPdfText"
                visible: window.vm.receiptPdf.length > 0
                text: qsTr("The receipt was sent to the printer.")
                color: window.ink
                font.pixelSize: window.big * 0.8
            }
            Item { Layout.fillHeight: true }
            BigButton { objectName: "receiptDone"; text: qsTr("Done"); primary: true; onClicked: window.vm.done() }
        }

        ColumnLayout {
            objectName: "failedScreen"
            visible: window.vm.screen === "failed" || window.vm.screen === "refused"
            Layout.fillWidth: true
            Layout.fillHeight: true
            spacing: 24
            Text {
                objectName: "failedTitle"
                text: window.vm.screen === "refused" ? qsTr("This key cannot pay here") : qsTr("Not paid")
                color: window.warn
                font.pixelSize: window.big * 1.6
                font.bold: true
            }
            Text {
                objectName: "failedText"
                text: window.messageText(window.vm.message)
                color: window.ink
                font.pixelSize: window.big
                wrapMode: Text.Wrap
                Layout.fillWidth: true
            }
            Item { Layout.fillHeight: true }
            BigButton { objectName: "failedDone"; text: qsTr("Done"); primary: true; onClicked: window.vm.done() }
        }

        ColumnLayout {
            objectName: "lockedScreen"
            visible: window.vm.screen === "locked"
            Layout.fillWidth: true
            Layout.fillHeight: true
            Text {
                objectName: "lockedText"
                text: qsTr("Too many failed payments. The kiosk is locked for %n seconds.", "", window.vm.lockSeconds)
                color: window.warn
                font.pixelSize: window.big * 1.4
                wrapMode: Text.Wrap
                Layout.fillWidth: true
            }
        }

        // ---- the operator ---------------------------------------------------------------------------------------
        // Sized for 1024x768 and up (gui-kiosk-layout checks that nothing is cut): the keypad on the left, the
        // status and the actions on the right, texts wrapping in the right column's width.
        RowLayout {
            objectName: "operatorScreen"
            visible: window.vm.screen === "operator"
            Layout.fillWidth: true
            Layout.fillHeight: true
            spacing: 32
            ColumnLayout {
                spacing: 10
                Layout.alignment: Qt.AlignTop
                Layout.preferredWidth: window.big * 12
                Layout.maximumWidth: window.big * 12
                Text {
                    text: qsTr("Amount of the next sale")
                    color: window.ink
                    font.pixelSize: window.big * 0.8
                    wrapMode: Text.Wrap
                    Layout.fillWidth: true
                }
                Text {
                    objectName: "operatorEntry"
                    text: window.vm.entryText.length > 0 ? "¥" + window.vm.entryText : "¥0"
                    color: window.ink
                    font.pixelSize: window.big * 1.5
                    font.bold: true
                }
                Text {
                    objectName: "operatorMessage"
                    visible: text.length > 0
                    text: window.messageText(window.vm.message)
                    color: window.warn
                    font.pixelSize: window.big * 0.6
                    wrapMode: Text.Wrap
                    Layout.fillWidth: true
                }
                KeyPad {
                    objectName: "amountPad"
                    withPoint: true
                    keyHeight: window.big * 1.8
                    rowSpacing: 8
                    Layout.fillWidth: true
                }
                BigButton {
                    objectName: "operatorStartSale"
                    text: qsTr("Start sale")
                    primary: true
                    implicitHeight: window.big * 1.8
                    Layout.fillWidth: true
                    onClicked: window.vm.submit()
                }
            }
            ColumnLayout {
                id: operatorRight
                spacing: 8
                Layout.alignment: Qt.AlignTop
                Layout.fillWidth: true
                Layout.preferredWidth: 100 // the rest of the row, whatever the texts' natural widths
                Flow {
                    Layout.fillWidth: true
                    spacing: 8
                    Repeater {
                        model: window.vm.priceList
                        BigButton {
                            required property int index
                            required property var modelData
                            objectName: "price" + index
                            text: modelData.name + "  " + modelData.price
                            font.pixelSize: window.big * 0.6
                            implicitHeight: window.big * 1.5
                            implicitWidth: Math.min(operatorRight.width, contentItem.implicitWidth + 32)
                            onClicked: window.vm.choosePrice(index)
                        }
                    }
                }
                Text {
                    objectName: "operatorSamOut"
                    visible: window.vm.samOut
                    text: qsTr("The security module (SAM) is not answering: no sale and no upload until it is back. The kiosk tries it every 5 seconds.")
                    color: window.warn
                    font.pixelSize: window.big * 0.6
                    wrapMode: Text.Wrap
                    Layout.fillWidth: true
                }
                Text {
                    objectName: "operatorTotals"
                    text: qsTr("Today: %n sale(s), %1", "", window.vm.totalSales).arg(window.vm.totalAmountText)
                    color: window.ink
                    font.pixelSize: window.big * 0.6
                    wrapMode: Text.Wrap
                    Layout.fillWidth: true
                }
                Text {
                    objectName: "operatorWaiting"
                    text: qsTr("Waiting for settlement: %1 · being checked: %2").arg(window.vm.unsettledCount).arg(window.vm.checkingCount)
                    color: window.ink
                    font.pixelSize: window.big * 0.6
                    wrapMode: Text.Wrap
                    Layout.fillWidth: true
                }
                Text {
                    objectName: "settlementStatus"
                    visible: text.length > 0
                    text: {
                        switch (window.vm.settlementText) {
                        case "uploading": return qsTr("Uploading the sales to the bank…")
                        case "uploaded": return qsTr("Settlement uploaded. The bank has every sale.")
                        case "bankDown": return qsTr("The bank cannot be reached. The sales are kept safely and will be uploaded later.")
                        case "noBank": return qsTr("No bank is configured for this kiosk.")
                        case "samOut": return qsTr("The security module (SAM) is not answering: the upload waits until it is back.")
                        case "settlementRefused": return qsTr("The bank refused the settlement. Please call support.")
                        }
                        return ""
                    }
                    color: window.ink
                    font.pixelSize: window.big * 0.6
                    wrapMode: Text.Wrap
                    Layout.fillWidth: true
                }
                Text {
                    objectName: "autoSettleText"
                    visible: window.vm.nextSettleSeconds >= 0 && !window.vm.settling
                    text: qsTr("Next automatic upload in %1 s.").arg(window.vm.nextSettleSeconds)
                    color: window.ink
                    font.pixelSize: window.big * 0.6
                    wrapMode: Text.Wrap
                    Layout.fillWidth: true
                }
                // Sales left "checking" (outcome unknown after DEBIT) and the verdict the key's proof gave.
                Repeater {
                    model: window.vm.checks
                    Text {
                        required property int index
                        required property var modelData
                        objectName: "checkRow" + index
                        text: {
                            var verdict = modelData.state === "done" ? qsTr("paid (proven by the key)")
                                : modelData.state === "not-done" ? qsTr("not paid (proven by the key)")
                                : qsTr("being checked: insert this key")
                            return qsTr("%1, key %2: %3").arg(modelData.amount).arg(modelData.key).arg(verdict)
                        }
                        color: modelData.state === "checking" ? window.warn : window.ink
                        font.pixelSize: window.big * 0.6
                        wrapMode: Text.Wrap
                        Layout.fillWidth: true
                    }
                }
                BigButton {
                    objectName: "operatorSettle"
                    text: qsTr("Upload settlement")
                    enabled: !window.vm.busy && !window.vm.settling
                    font.pixelSize: window.big * 0.7
                    implicitHeight: window.big * 1.5
                    Layout.fillWidth: true
                    onClicked: window.vm.settle()
                }
                RowLayout {
                    spacing: 8
                    Layout.fillWidth: true
                    BigButton {
                        objectName: "operatorBack"
                        text: qsTr("Back")
                        font.pixelSize: window.big * 0.7
                        implicitHeight: window.big * 1.5
                        implicitWidth: 10
                        Layout.fillWidth: true
                        onClicked: window.vm.cancel()
                    }
                    BigButton {
                        objectName: "operatorExit"
                        text: qsTr("Exit kiosk mode")
                        font.pixelSize: window.big * 0.7
                        implicitHeight: window.big * 1.5
                        implicitWidth: 10
                        Layout.fillWidth: true
                        Layout.preferredWidth: 20
                        onClicked: window.vm.exitKiosk()
                    }
                }
            }
        }
    }
}
