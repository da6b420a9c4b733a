// The key as a PKI token (issue 14): its PIV slots, and for one slot generate → apply (the bank's CA issues a
// certificate for a request signed on the key) → stored on the key → export → delete.
import QtQuick
import QtQuick.Controls.Basic
import QtQuick.Dialogs
import QtQuick.Layouts
import QtQuick.Templates as T
import SmartKey.Wallet
import SmartKey.Wallet.Ui

Flickable {
    id: root

    required property CertificatesViewModel vm
    readonly property var row: root.vm.slotRows.length > root.vm.slotIndex ? root.vm.slotRows[root.vm.slotIndex] : null

    contentWidth: width
    contentHeight: column.implicitHeight + 2 * Theme.spacingLarge
    clip: true
    boundsBehavior: Flickable.StopAtBounds

    onVisibleChanged: if (visible) root.vm.refresh()
    Component.onCompleted: root.vm.refresh()

    ColumnLayout {
        id: column
        x: Theme.spacingLarge
        y: Theme.spacingLarge
        width: root.width - 2 * Theme.spacingLarge
        spacing: Theme.spacing

        PageHeader {
            objectName: "certificatesHeader"
            Layout.fillWidth: true
            title: qsTr("Certificates")
            subtitle: qsTr("Your key also keeps key pairs and certificates that identify you online. Private keys are "
                           + "made on the key and never leave it.")
        }

        StatusBanner {
            objectName: "certStatus"
            Layout.fillWidth: true
            kind: StatusBanner.Info
            text: root.vm.statusText
        }
        StatusBanner {
            objectName: "certError"
            Layout.fillWidth: true
            kind: StatusBanner.Error
            text: root.vm.errorText
        }

        Flow {
            Layout.fillWidth: true
            spacing: Theme.spacing
            visible: !root.vm.askingPin
            PrimaryButton {
                objectName: "certGenerate"
                text: qsTr("Generate a key pair")
                enabled: !root.vm.busy
                onClicked: root.row && root.row.hasKey ? generateDialog.open() : root.vm.generate()
            }
            PrimaryButton {
                objectName: "certApply"
                text: qsTr("Apply for a certificate")
                enabled: !root.vm.busy && root.row !== null && root.row.hasKey
                onClicked: root.vm.apply()
            }
            PrimaryButton {
                objectName: "certExport"
                secondary: true
                text: qsTr("Export…")
                enabled: !root.vm.busy && root.row !== null && root.row.hasCertificate
                onClicked: exportDialog.open()
            }
            PrimaryButton {
                objectName: "certDelete"
                danger: true
                text: qsTr("Delete the certificate")
                enabled: !root.vm.busy && root.row !== null && root.row.hasCertificate
                onClicked: deleteDialog.open()
            }
        }
        // Issue 14: the slot's touch policy for the next key pair. "Cached" is not offered: the key has no clock, so
        // it would ask every time like "always" (docs/piv.md).
        // A Switch (drawn, as on the branch station): the Basic CheckBox's check mark is an image whose texture Qt 6.4
        // leaves behind at exit under LeakSanitizer.
        Switch {
            id: touchChoice
            objectName: "certTouchAlways"
            Layout.fillWidth: true
            visible: !root.vm.askingPin
            enabled: !root.vm.busy
            checked: root.vm.touchAlways
            onToggled: root.vm.touchAlways = checked
            // The text on the Switch itself: with none, the style centres the indicator over the label.
            text: qsTr("New key pairs ask for a touch of the key for every signature")
            contentItem: Text {
                leftPadding: touchChoice.indicator.width + touchChoice.spacing
                text: touchChoice.text
                color: Theme.text
                font.pixelSize: Theme.fontSmall
                wrapMode: Text.WordWrap
                verticalAlignment: Text.AlignVCenter
            }
        }
        Card {
            objectName: "certPinCard"
            Layout.fillWidth: true
            visible: root.vm.askingPin
            Text {
                Layout.fillWidth: true
                text: qsTr("Enter the PIN of your key's certificates (PIV PIN, 6 to 8 digits) to sign the request.")
                color: Theme.text
                wrapMode: Text.WordWrap
            }
            Text {
                objectName: "certPinError"
                Layout.fillWidth: true
                visible: text.length > 0
                text: root.vm.pin.errorText
                color: Theme.negative
                wrapMode: Text.WordWrap
            }
            PinPad {
                objectName: "certPinPad"
                Layout.alignment: Qt.AlignHCenter
                length: root.vm.pin.length
                minLength: root.vm.pin.minLength
                maxLength: root.vm.pin.maxLength
                busy: root.vm.pin.busy
                submitText: qsTr("Sign")
                onDigitPressed: (digit) => root.vm.pin.appendDigit(digit)
                onBackspacePressed: root.vm.pin.backspace()
                onClearPressed: root.vm.pin.clear()
                onSubmitPressed: root.vm.pin.submit()
            }
            PrimaryButton {
                objectName: "certPinCancel"
                secondary: true
                text: qsTr("Cancel")
                onClicked: root.vm.cancelPin()
            }
        }

        Repeater {
            // While the PIN is asked, only the keypad (the slot list comes back after).
            model: root.vm.askingPin ? [] : root.vm.slotRows
            delegate: Card {
                id: slotCard
                required property var modelData
                required property int index
                objectName: "certSlot" + modelData.slot
                Layout.fillWidth: true

                RowLayout {
                    Layout.fillWidth: true
                    RadioButton {
                        objectName: "certSlotChoose" + slotCard.modelData.slot
                        checked: root.vm.slotIndex === slotCard.index
                        text: qsTr("Slot %1").arg(slotCard.modelData.slot)
                        onClicked: root.vm.slotIndex = slotCard.index
                    }
                    Text {
                        objectName: "certKey"
                        Layout.fillWidth: true
                        text: slotCard.modelData.hasKey ? qsTr("Key pair: %1").arg(slotCard.modelData.keyText)
                                                        : qsTr("No key pair")
                        color: Theme.textMuted
                        font.pixelSize: Theme.fontSmall
                        wrapMode: Text.WordWrap
                    }
                    // The bank's word on the certificate, from its signed revocation list (issue 14).
                    Rectangle {
                        objectName: "certBadge"
                        visible: slotCard.modelData.hasCertificate
                        implicitWidth: badgeText.implicitWidth + 2 * Theme.spacing
                        implicitHeight: badgeText.implicitHeight + 8
                        radius: height / 2
                        color: slotCard.modelData.status === "valid" ? Theme.accentSoft : Theme.dangerSoft
                        Accessible.role: Accessible.StaticText
                        Accessible.name: badgeText.text
                        Text {
                            id: badgeText
                            objectName: "certBadgeText"
                            anchors.centerIn: parent
                            text: slotCard.modelData.statusText || ""
                            color: slotCard.modelData.status === "valid" ? Theme.positive : Theme.negative
                            font.pixelSize: Theme.fontSmall
                            font.weight: Font.DemiBold
                        }
                    }
                }
                Text {
                    objectName: "certTouch"
                    Layout.fillWidth: true
                    visible: slotCard.modelData.hasKey
                    text: slotCard.modelData.touchText || ""
                    color: Theme.textMuted
                    font.pixelSize: Theme.fontSmall
                    wrapMode: Text.WordWrap
                }
                Text {
                    objectName: "certStatusDetail"
                    Layout.fillWidth: true
                    visible: slotCard.modelData.hasCertificate
                    text: slotCard.modelData.statusDetail || ""
                    color: slotCard.modelData.status === "valid" ? Theme.textMuted : Theme.negative
                    font.pixelSize: Theme.fontSmall
                    wrapMode: Text.WordWrap
                }
                InfoRow {
                    objectName: "certSubject"
                    Layout.fillWidth: true
                    visible: slotCard.modelData.hasCertificate
                    label: qsTr("Subject")
                    value: slotCard.modelData.subject || ""
                }
                InfoRow {
                    objectName: "certIssuer"
                    Layout.fillWidth: true
                    visible: slotCard.modelData.hasCertificate
                    label: qsTr("Issuer")
                    value: slotCard.modelData.issuer || ""
                }
                InfoRow {
                    objectName: "certValidity"
                    Layout.fillWidth: true
                    visible: slotCard.modelData.hasCertificate
                    label: qsTr("Valid")
                    value: slotCard.modelData.validity || ""
                }
                Text {
                    objectName: "certFingerprint"
                    Layout.fillWidth: true
                    visible: slotCard.modelData.hasCertificate
                    text: qsTr("SHA-256 fingerprint: %1").arg(slotCard.modelData.fingerprint || "")
                    color: Theme.textMuted
                    font.pixelSize: Theme.fontSmall
                    wrapMode: Text.WrapAnywhere
                }
                Text {
                    objectName: "certNone"
                    visible: !slotCard.modelData.hasCertificate
                    text: qsTr("No certificate")
                    color: Theme.textMuted
                    font.pixelSize: Theme.fontSmall
                }
            }
        }

    }

    FileDialog {
        id: exportDialog
        objectName: "certExportDialog"
        title: qsTr("Export the certificate")
        fileMode: FileDialog.SaveFile
        defaultSuffix: "pem"
        nameFilters: [qsTr("Certificates (*.pem)")]
        onAccepted: {
            if (root.vm.fileExists(selectedFile)) {
                replaceDialog.file = selectedFile
                replaceDialog.open()
            } else {
                root.vm.exportCertificate(selectedFile, false)
            }
        }
    }

    component Confirm: Popup {
        id: confirm
        property alias message: message.text
        property alias confirmText: yes.text
        property string prefix
        signal confirmed()
        parent: T.Overlay.overlay
        anchors.centerIn: parent
        width: Math.min(parent ? parent.width - 2 * Theme.spacingHuge : 440, 440)
        modal: true
        padding: Theme.spacingLarge
        ColumnLayout {
            anchors.fill: parent
            spacing: Theme.spacing
            Text {
                id: message
                Layout.fillWidth: true
                color: Theme.text
                font.pixelSize: Theme.fontBody
                wrapMode: Text.WrapAtWordBoundaryOrAnywhere
                Accessible.role: Accessible.AlertMessage
                Accessible.name: text
            }
            RowLayout {
                PrimaryButton {
                    id: yes
                    objectName: confirm.prefix + "Yes"
                    danger: true
                    onClicked: { confirm.close(); confirm.confirmed() }
                }
                PrimaryButton {
                    objectName: confirm.prefix + "Cancel"
                    secondary: true
                    focus: true
                    text: qsTr("Cancel")
                    onClicked: confirm.close()
                }
            }
        }
    }

    Confirm {
        id: replaceDialog
        objectName: "certReplaceDialog"
        prefix: "certReplace"
        property url file
        message: qsTr("%1 already exists. Replace it?").arg(root.vm.nativePath(replaceDialog.file))
        confirmText: qsTr("Replace")
        onConfirmed: root.vm.exportCertificate(replaceDialog.file, true)
    }
    Confirm {
        id: generateDialog
        objectName: "certGenerateDialog"
        prefix: "certGenerateConfirm"
        message: qsTr("Slot %1 already holds a key pair. A new one replaces it for good, and its certificate is "
                      + "deleted.").arg(root.row ? root.row.slot : "")
        confirmText: qsTr("Replace the key pair")
        onConfirmed: root.vm.generate()
    }
    Confirm {
        id: deleteDialog
        objectName: "certDeleteDialog"
        prefix: "certDeleteConfirm"
        message: qsTr("Delete the certificate in slot %1 from the key? You can apply for a new one later.")
            .arg(root.row ? root.row.slot : "")
        confirmText: qsTr("Delete")
        onConfirmed: root.vm.remove()
    }
}
