// A labelled text field with the view model's error under it (red), for the customer form.
import QtQuick
import QtQuick.Controls.Basic
import QtQuick.Layouts

ColumnLayout {
    id: root
    property alias label: caption.text
    property alias text: input.text
    property alias placeholder: input.placeholderText
    property string error: ""
    property string fieldName: ""
    property int echoMode: TextInput.Normal
    spacing: 2
    Text { id: caption; font.bold: true }
    TextField {
        id: input
        objectName: root.fieldName
        Layout.fillWidth: true
        echoMode: root.echoMode
        selectByMouse: true
    }
    Text {
        objectName: root.fieldName + "Error"
        visible: root.error.length > 0
        text: root.error
        color: "#b00020"
        wrapMode: Text.WordWrap
        Layout.fillWidth: true
    }
}
