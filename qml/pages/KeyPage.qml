// The key: present or not, allowed or not, which one, what state. Says what to do next in every case.
import QtQuick
import QtQuick.Controls.Basic
import QtQuick.Layouts
import SmartKey.Wallet
import SmartKey.Wallet.Ui

Flickable {
    id: root

    required property KeyViewModel vm
    required property AppViewModel app

    contentHeight: column.implicitHeight + 2 * Theme.spacingHuge
    clip: true
    boundsBehavior: Flickable.StopAtBounds
    ScrollBar.vertical: ScrollBar {}

    readonly property bool problem: root.vm.state === KeyViewModel.NoPermission || root.vm.state === KeyViewModel.Busy
                                    || root.vm.state === KeyViewModel.Blocked || root.vm.state === KeyViewModel.Terminated
                                    || root.vm.state === KeyViewModel.Expired || root.vm.state === KeyViewModel.Failed

    ColumnLayout {
        id: column
        width: Math.min(root.width - 2 * Theme.spacingHuge, 760)
        x: Theme.spacingHuge
        y: Theme.spacingHuge
        spacing: Theme.spacingLarge

        PageHeader {
            title: qsTr("My key")
            subtitle: qsTr("The SmartKey holds your purse. The wallet reads it when it is plugged in.")
        }

        Card {
            Layout.fillWidth: true

            RowLayout {
                spacing: Theme.spacingLarge
                Layout.fillWidth: true

                Rectangle {
                    implicitWidth: 56; implicitHeight: 56; radius: 28
                    color: root.problem ? Theme.dangerSoft : (root.vm.simulated ? Theme.warningSoft : Theme.accentSoft)
                    Text {
                        anchors.centerIn: parent
                        text: root.problem ? "!" : "\u25C8"
                        color: root.problem ? Theme.negative : (root.vm.simulated ? Theme.warning : Theme.accent)
                        font.pixelSize: 26
                        font.weight: Font.Bold
                    }
                    BusyIndicator {
                        anchors.centerIn: parent
                        running: root.vm.busy
                        visible: running
                        width: 60; height: 60
                    }
                }
                ColumnLayout {
                    Layout.fillWidth: true
                    spacing: 4
                    Text {
                        objectName: "keyTitle"
                        text: root.vm.title
                        color: Theme.text
                        font.pixelSize: Theme.fontLarge + 2
                        font.weight: Font.DemiBold
                        Accessible.role: Accessible.Heading
                        Accessible.name: text
                    }
                    Text {
                        objectName: "keyStatusLine"
                        visible: root.vm.serial.length > 0
                        text: root.vm.statusLine
                        color: Theme.textMuted
                        font.pixelSize: Theme.fontBody
                        Layout.fillWidth: true
                        wrapMode: Text.WordWrap
                    }
                }
            }
            Text {
                objectName: "keyMessage"
                Layout.fillWidth: true
                text: root.vm.message
                color: Theme.text
                font.pixelSize: Theme.fontBody
                wrapMode: Text.WordWrap
                lineHeight: 1.2
            }

            // NoPermission: the fix, ready to copy.
            Rectangle {
                visible: root.vm.fixCommand.length > 0
                Layout.fillWidth: true
                implicitHeight: fixText.implicitHeight + 2 * Theme.spacing
                radius: Theme.radius - 4
                color: Theme.surfaceAlt
                border.color: Theme.border
                TextEdit {
                    id: fixText
                    anchors { fill: parent; margins: Theme.spacing }
                    text: root.vm.fixCommand
                    readOnly: true
                    selectByMouse: true
                    wrapMode: TextEdit.WrapAnywhere
                    font.family: "monospace"
                    font.pixelSize: Theme.fontSmall
                    color: Theme.text
                    Accessible.name: qsTr("Command that installs the device rule")
                }
            }

            RowLayout {
                spacing: Theme.spacing
                PrimaryButton {
                    objectName: "keyContinue"
                    visible: root.vm.state === KeyViewModel.Ready
                    text: qsTr("Continue")
                    focus: visible
                    onClicked: root.app.navigate(root.app.unlocked ? AppViewModel.Overview : AppViewModel.Pin)
                }
                PrimaryButton {
                    objectName: "keyIssueDemo"
                    visible: root.vm.canIssueDemo || root.vm.issuing
                    enabled: !root.vm.issuing
                    text: root.vm.issuing ? qsTr("Issuing…") : qsTr("Issue with the demo profile")
                    focus: visible
                    onClicked: root.vm.issueDemo()
                }
                PrimaryButton {
                    objectName: "keyCheckAgain"
                    secondary: true
                    visible: !root.vm.busy && !root.vm.issuing
                    text: qsTr("Check again")
                    onClicked: root.vm.refresh()
                }
            }
        }

        // Change PIN (issue 17 item 3): the current PIN, the new one twice, on the keypad; the key's rules and the
        // tries left are shown. Only while unlocked (the purse is open and the PIN known to work).
        Card {
            objectName: "changePinCard"
            Layout.fillWidth: true
            title: qsTr("PIN")
            visible: root.app.unlocked

            Text {
                Layout.fillWidth: true
                visible: root.app.changePin.step === ChangePinViewModel.Idle
                text: qsTr("The PIN protects payments and loads. Change it here; the key checks the current one.")
                color: Theme.textMuted
                font.pixelSize: Theme.fontBody
                wrapMode: Text.WordWrap
            }
            PrimaryButton {
                objectName: "changePinStart"
                visible: root.app.changePin.step === ChangePinViewModel.Idle
                         || root.app.changePin.step === ChangePinViewModel.Done
                         || root.app.changePin.step === ChangePinViewModel.Failed
                secondary: true
                text: qsTr("Change PIN…")
                onClicked: root.app.changePin.start()
            }
            Text {
                objectName: "changePinResult"
                Layout.fillWidth: true
                visible: text.length > 0 && (root.app.changePin.step === ChangePinViewModel.Done
                                             || root.app.changePin.step === ChangePinViewModel.Failed)
                text: root.app.changePin.resultText
                color: root.app.changePin.step === ChangePinViewModel.Done ? Theme.positive : Theme.negative
                font.pixelSize: Theme.fontBody
                font.weight: Font.DemiBold
                wrapMode: Text.WordWrap
                Accessible.role: Accessible.AlertMessage
                Accessible.name: text
            }
            ColumnLayout {
                Layout.fillWidth: true
                spacing: Theme.spacing
                visible: root.app.changePin.step === ChangePinViewModel.Current
                         || root.app.changePin.step === ChangePinViewModel.New
                         || root.app.changePin.step === ChangePinViewModel.Repeat
                         || root.app.changePin.step === ChangePinViewModel.Working
                Text {
                    objectName: "changePinPrompt"
                    Layout.fillWidth: true
                    text: root.app.changePin.prompt
                    color: Theme.text
                    font.pixelSize: Theme.fontLarge
                    font.weight: Font.DemiBold
                    wrapMode: Text.WordWrap
                }
                Text {
                    objectName: "changePinRules"
                    Layout.fillWidth: true
                    visible: root.app.changePin.step !== ChangePinViewModel.Current
                    text: root.app.changePin.rulesText
                    color: Theme.textMuted
                    font.pixelSize: Theme.fontSmall
                    wrapMode: Text.WordWrap
                }
                StatusBanner {
                    objectName: "changePinError"
                    Layout.fillWidth: true
                    kind: StatusBanner.Warning
                    text: root.app.changePin.pin.errorText
                }
                Text {
                    objectName: "changePinTries"
                    Layout.fillWidth: true
                    visible: text.length > 0 && root.app.changePin.step === ChangePinViewModel.Current
                    text: root.app.changePin.pin.triesLeftText
                    color: root.app.changePin.pin.lastTry ? Theme.negative : Theme.textMuted
                    font.pixelSize: root.app.changePin.pin.lastTry ? Theme.fontBody : Theme.fontSmall
                    wrapMode: Text.WordWrap
                }
                PinPad {
                    objectName: "changePinPad"
                    Layout.fillWidth: true
                    Layout.maximumWidth: 400
                    visible: !root.app.changePin.pin.blocked
                    focus: visible
                    length: root.app.changePin.pin.length
                    minLength: root.app.changePin.pin.minLength
                    maxLength: root.app.changePin.pin.maxLength
                    busy: root.app.changePin.pin.busy || root.app.changePin.step === ChangePinViewModel.Working
                    submitText: root.app.changePin.step === ChangePinViewModel.Repeat ? qsTr("Change PIN")
                                                                                      : qsTr("Next")
                    onDigitPressed: (digit) => root.app.changePin.pin.appendDigit(digit)
                    onBackspacePressed: root.app.changePin.pin.backspace()
                    onClearPressed: root.app.changePin.pin.clear()
                    onSubmitPressed: root.app.changePin.pin.submit()
                }
                PrimaryButton {
                    objectName: "changePinCancel"
                    secondary: true
                    enabled: root.app.changePin.step !== ChangePinViewModel.Working
                    text: qsTr("Cancel")
                    onClicked: root.app.changePin.cancel()
                }
            }
        }

        Card {
            Layout.fillWidth: true
            title: qsTr("Key details")
            visible: root.vm.serial.length > 0
            InfoRow { label: qsTr("Serial number"); value: root.vm.serial; Layout.fillWidth: true }
            InfoRow { label: qsTr("Firmware"); value: root.vm.firmwareVersion; Layout.fillWidth: true }
            InfoRow { label: qsTr("State"); value: root.vm.lifeCycleText; Layout.fillWidth: true }
            InfoRow { label: qsTr("Connection"); value: root.vm.description; Layout.fillWidth: true }
        }

        Card {
            Layout.fillWidth: true
            objectName: "keysFound"
            title: qsTr("Keys found")
            visible: root.vm.keys.count > 1 || root.vm.state === KeyViewModel.Choose

            Text {
                text: qsTr("Several keys are plugged in. The wallet uses the one marked in use.")
                color: Theme.textMuted
                font.pixelSize: Theme.fontBody
                wrapMode: Text.WordWrap
                Layout.fillWidth: true
            }
            // The rows sit in a Column, not straight in the card's layout: on Qt 6.4 a Repeater that is a direct child
            // of a Quick Layout and whose model changes (a key plugged in or out) can make the layout read a freed
            // delegate (QQuickLayout::effectiveSizePolicy_helper, SIGSEGV); gui-key-choice hit it.
            Column {
                Layout.fillWidth: true
                spacing: Theme.spacingSmall
                Repeater {
                    model: root.vm.keys
                    delegate: ItemDelegate {
                        id: keyRow
                        objectName: "keyRow" + index
                        required property int index
                        required property string description
                        required property bool simulated
                        required property bool current
                        width: parent ? parent.width : 0
                        focusPolicy: Qt.StrongFocus
                        Accessible.role: Accessible.RadioButton
                        Accessible.name: description
                        Accessible.checked: current
                        onClicked: root.vm.choose(index)
                        contentItem: RowLayout {
                            spacing: Theme.spacing
                            Text {
                                text: keyRow.current ? "\u25C9" : "\u25CB"
                                color: Theme.accent
                                font.pixelSize: Theme.fontLarge
                            }
                            Text {
                                Layout.fillWidth: true
                                text: keyRow.description + (keyRow.simulated ? "  (" + qsTr("simulated") + ")" : "")
                                color: Theme.text
                                font.pixelSize: Theme.fontBody
                                elide: Text.ElideRight
                            }
                            Text {
                                visible: keyRow.current
                                text: qsTr("in use")
                                color: Theme.accent
                                font.pixelSize: Theme.fontSmall
                                font.weight: Font.DemiBold
                            }
                        }
                        background: Rectangle {
                            radius: Theme.radius - 4
                            color: keyRow.current ? Theme.accentSoft : "transparent"
                            border.width: keyRow.visualFocus ? 2 : 0
                            border.color: Theme.focus
                        }
                    }
                }
            }
        }
    }
}
