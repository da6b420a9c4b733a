// The wallet window: a navigation rail on the left, the simulated-key banner on top, one page at a time.
// Receives the whole application as its required property `app` (set by the composition root).
import QtQuick
import QtQuick.Controls.Basic
import QtQuick.Layouts
import SmartKey.Wallet
import SmartKey.Wallet.Ui

ApplicationWindow {
    id: root

    required property AppViewModel app

    width: 1040
    height: 700
    // Laid out for 640×480 and up (issue 17 item 5): below 900 px the rail shows its glyphs only.
    minimumWidth: 640
    minimumHeight: 480
    readonly property bool compact: width < 900
    visible: true
    title: qsTr("SmartKey Wallet")
    color: Theme.window

    Binding { target: Theme; property: "dark"; value: root.app.settings.darkTheme }

    function go(page) { root.app.navigate(page) }

    component PageLoader: Loader {
        id: pageLoader
        required property int page
        // The page shown now, handed in: an inline component does not reach the file's ids (qmllint, issue 17 item 14).
        required property int shownPage
        readonly property bool current: shownPage === page
        // Created when first shown, then kept. Set from a change handler, not from onLoaded inside the binding of
        // `active`: that was a binding loop warned at run time (issue 17 item 14).
        property bool visited: false
        onCurrentChanged: if (current) visited = true
        Component.onCompleted: if (current) visited = true
        active: visited
        focus: current
    }

    Shortcut { sequence: "Ctrl+1"; onActivated: root.go(AppViewModel.Overview) }
    Shortcut { sequence: "Ctrl+2"; onActivated: root.go(AppViewModel.Load) }
    Shortcut { sequence: "Ctrl+3"; onActivated: root.go(AppViewModel.Purchase) }
    Shortcut { sequence: "Ctrl+4"; onActivated: root.go(AppViewModel.History) }
    Shortcut { sequence: "Ctrl+5"; onActivated: root.go(AppViewModel.Key) }
    Shortcut { sequence: "Ctrl+,"; onActivated: root.go(AppViewModel.Settings) }
    Shortcut { sequence: "F1"; onActivated: root.go(AppViewModel.About) }
    // Quits as closing the window does (the simulated key is shut down the same way), issue 17 item 12.
    Shortcut { objectName: "quitShortcut"; sequence: "Ctrl+Q"; onActivated: root.close() }

    // The key waits for its button (a payment or a signature it must confirm): say so over every page, with Cancel.
    TouchPrompt {
        shown: root.app.key.touchPending
        forPayment: root.app.page !== AppViewModel.Certificates
        onCancelRequested: root.app.key.cancelTouch()
    }

    RowLayout {
        anchors.fill: parent
        spacing: 0

        // Navigation rail.
        Rectangle {
            objectName: "rail"
            Layout.fillHeight: true
            Layout.preferredWidth: root.compact ? 64 : 220
            color: Theme.sidebar

            ColumnLayout {
                anchors { fill: parent; margins: Theme.spacing; topMargin: Theme.spacingLarge }
                spacing: 4

                RowLayout {
                    spacing: Theme.spacing
                    Layout.bottomMargin: Theme.spacingLarge
                    Layout.leftMargin: Theme.spacingSmall
                    Rectangle {
                        implicitWidth: 34; implicitHeight: 34; radius: 9
                        color: Theme.accent
                        Text {
                            anchors.centerIn: parent
                            text: "\u00A5"
                            color: Theme.accentText
                            font.pixelSize: 19
                            font.weight: Font.Bold
                        }
                    }
                    ColumnLayout {
                        spacing: 0
                        visible: !root.compact
                        Text {
                            text: qsTr("SmartKey")
                            color: Theme.sidebarTextActive
                            font.pixelSize: Theme.fontLarge
                            font.weight: Font.DemiBold
                        }
                        Text {
                            text: qsTr("Wallet")
                            color: Theme.sidebarText
                            font.pixelSize: Theme.fontSmall
                        }
                    }
                }

                NavButton {
                    compact: root.compact
                    objectName: "navOverview"; shortcut: "Ctrl+1"
                    text: qsTr("Overview"); glyph: "\u25A3"
                    current: root.app.page === AppViewModel.Overview
                    enabled: root.app.unlocked
                    onClicked: root.go(AppViewModel.Overview)
                }
                NavButton {
                    compact: root.compact
                    objectName: "navLoad"; shortcut: "Ctrl+2"
                    text: qsTr("Load money"); glyph: "\u2193"
                    current: root.app.page === AppViewModel.Load
                    enabled: root.app.unlocked
                    onClicked: root.go(AppViewModel.Load)
                }
                NavButton {
                    compact: root.compact
                    objectName: "navPay"; shortcut: "Ctrl+3"
                    text: qsTr("Pay"); glyph: "\u2191"
                    current: root.app.page === AppViewModel.Purchase
                    enabled: root.app.unlocked
                    onClicked: root.go(AppViewModel.Purchase)
                }
                NavButton {
                    compact: root.compact
                    objectName: "navHistory"; shortcut: "Ctrl+4"
                    text: qsTr("History"); glyph: "\u2261"
                    current: root.app.page === AppViewModel.History
                    enabled: root.app.unlocked
                    onClicked: root.go(AppViewModel.History)
                }
                NavButton {
                    compact: root.compact
                    objectName: "navKey"; shortcut: "Ctrl+5"
                    text: qsTr("My key"); glyph: "\u25C8"
                    current: root.app.page === AppViewModel.Key || root.app.page === AppViewModel.Pin
                    onClicked: root.go(AppViewModel.Key)
                }
                NavButton {
                    compact: root.compact
                    objectName: "navCertificates"; shortcut: "Ctrl+6"
                    text: qsTr("Certificates"); glyph: "\u2709"
                    current: root.app.page === AppViewModel.Certificates
                    onClicked: root.go(AppViewModel.Certificates)
                }
                Item { Layout.fillHeight: true }
                NavButton {
                    compact: root.compact
                    objectName: "navSettings"; shortcut: "Ctrl+,"
                    text: qsTr("Settings"); glyph: "\u2699"
                    current: root.app.page === AppViewModel.Settings
                    onClicked: root.go(AppViewModel.Settings)
                }
                NavButton {
                    compact: root.compact
                    objectName: "navAbout"; shortcut: "F1"
                    text: qsTr("About"); glyph: "\u24D8"
                    current: root.app.page === AppViewModel.About
                    onClicked: root.go(AppViewModel.About)
                }
            }
        }

        ColumnLayout {
            Layout.fillWidth: true
            Layout.fillHeight: true
            spacing: 0

            // The simulated key is never mistaken for money: a permanent banner while it is in use.
            Rectangle {
                objectName: "simulatedBanner"
                Layout.fillWidth: true
                visible: root.app.key.simulated
                // Never cut (issue 17 item 6): the text wraps and the banner grows with it.
                implicitHeight: visible ? bannerText.implicitHeight + 16 : 0
                color: Theme.warningSoft
                Accessible.role: Accessible.AlertMessage
                Accessible.name: bannerText.text
                Text {
                    id: bannerText
                    objectName: "simulatedBannerText"
                    anchors { verticalCenter: parent.verticalCenter; left: parent.left; leftMargin: Theme.spacingLarge
                              right: parent.right; rightMargin: Theme.spacingLarge }
                    text: "\u26A0  " + qsTr("SIMULATED KEY: for testing and demonstrations only, no real money.")
                          + (root.app.bankMode === "local"
                             ? " " + qsTr("Loads go to a LOCAL BANK HOST on this computer (a demo bank in %1).")
                                     .arg(root.app.bankFolder)
                             : root.app.bankMode === "configured" ? " " + qsTr("Loads go to the configured bank host.")
                             : root.app.bankMode === "demo-issuer"
                               ? " " + qsTr("Loads go to the built-in demo issuer (tests only).") : "")
                    color: Theme.warning
                    font.pixelSize: Theme.fontSmall
                    font.weight: Font.DemiBold
                    wrapMode: Text.WordWrap
                }
            }

            StackLayout {
                id: pages
                Layout.fillWidth: true
                Layout.fillHeight: true
                currentIndex: root.app.page

                // Pages are created the first time they are shown (a faster first frame), then kept.
                PageLoader {
                    objectName: "keyLoader"
                    page: AppViewModel.Key
                    shownPage: root.app.page
                    sourceComponent: KeyPage { objectName: "keyPage"; vm: root.app.key; app: root.app }
                }
                PageLoader {
                    objectName: "pinLoader"
                    page: AppViewModel.Pin
                    shownPage: root.app.page
                    sourceComponent: PinPage { objectName: "pinPage"; vm: root.app.pin; key: root.app.key }
                }
                PageLoader {
                    objectName: "overviewLoader"
                    page: AppViewModel.Overview
                    shownPage: root.app.page
                    sourceComponent: OverviewPage { objectName: "overviewPage"; vm: root.app.overview; app: root.app }
                }
                PageLoader {
                    objectName: "loadLoader"
                    page: AppViewModel.Load
                    shownPage: root.app.page
                    sourceComponent: LoadPage { objectName: "loadPage"; vm: root.app.load; app: root.app }
                }
                PageLoader {
                    objectName: "payLoader"
                    page: AppViewModel.Purchase
                    shownPage: root.app.page
                    sourceComponent: PurchasePage { objectName: "payPage"; vm: root.app.purchase; app: root.app }
                }
                PageLoader {
                    objectName: "historyLoader"
                    page: AppViewModel.History
                    shownPage: root.app.page
                    sourceComponent: HistoryPage { objectName: "historyPage"; vm: root.app.history }
                }
                PageLoader {
                    objectName: "settingsLoader"
                    page: AppViewModel.Settings
                    shownPage: root.app.page
                    sourceComponent: SettingsPage { objectName: "settingsPage"; vm: root.app.settings }
                }
                PageLoader {
                    objectName: "aboutLoader"
                    page: AppViewModel.About
                    shownPage: root.app.page
                    sourceComponent: AboutPage { objectName: "aboutPage"; vm: root.app.diagnostics }
                }
                PageLoader {
                    page: AppViewModel.Certificates
                    shownPage: root.app.page
                    sourceComponent: CertificatesPage { objectName: "certificatesPage"; vm: root.app.certificates }
                }
            }
        }
    }
}
