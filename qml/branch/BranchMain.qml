// The branch station's window: the sign-in page until a staff member signs in, then the desk with two tabs,
// "Issue a key" and "Services". The view models come from the composition root (app/branch/BranchRoot).
import QtQuick
import QtQuick.Controls.Basic
import QtQuick.Layouts
import SmartKey.Branch.Ui

ApplicationWindow {
    id: root

    required property QtObject staff
    required property QtObject issue
    required property QtObject service

    width: 1100
    height: 760
    visible: true
    title: qsTr("SmartKey Branch Station")
    color: "#f4f6f8"

    header: ToolBar {
        visible: root.staff.signedIn
        background: Rectangle { color: "#1f4e79" }
        RowLayout {
            anchors.fill: parent
            anchors.leftMargin: 16
            anchors.rightMargin: 16
            Text {
                objectName: "signedInAs"
                color: "white"
                text: qsTr("Signed in: %1 (%2)").arg(root.staff.username)
                      .arg(root.staff.role === "supervisor" ? qsTr("supervisor")
                           : root.staff.role === "auditor" ? qsTr("auditor") : qsTr("teller"))
            }
            Item { Layout.fillWidth: true }
            Button {
                objectName: "signOutButton"
                text: qsTr("Sign out")
                onClicked: root.staff.signOut()
            }
        }
    }

    SignInPage {
        anchors.fill: parent
        visible: !root.staff.signedIn
        staff: root.staff
    }

    ColumnLayout {
        anchors.fill: parent
        visible: root.staff.signedIn
        TabBar {
            id: tabs
            Layout.fillWidth: true
            TabButton { objectName: "issueTab"; text: qsTr("Issue a key") }
            TabButton { objectName: "servicesTab"; text: qsTr("Services") }
        }
        StackLayout {
            Layout.fillWidth: true
            Layout.fillHeight: true
            currentIndex: tabs.currentIndex
            IssuePage { issue: root.issue }
            ServicesPage { service: root.service }
        }
    }
}
