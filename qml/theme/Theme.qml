// The wallet's look: a calm palette that works light and dark, one type scale, one spacing scale.
pragma Singleton
import QtQuick

QtObject {
    id: theme

    property bool dark: false

    // Palette (light / dark).
    readonly property color window: dark ? "#11161c" : "#f4f6f8"
    readonly property color surface: dark ? "#1a2129" : "#ffffff"
    readonly property color surfaceAlt: dark ? "#222b35" : "#eef2f5"
    readonly property color border: dark ? "#2e3945" : "#dde3e8"
    readonly property color text: dark ? "#e8edf2" : "#18212b"
    readonly property color textMuted: dark ? "#9aa7b4" : "#5b6875"
    readonly property color accent: dark ? "#4fb3a9" : "#0f7a6e"
    // Text and glyphs on an accent fill (filled buttons, selected chips): dark on the light teal of the dark theme,
    // where white was 2.5:1 (issue 17 item 8; every pair is checked by tests/qml/tst_theme.qml).
    readonly property color accentText: dark ? "#0b1f1c" : "#ffffff"
    readonly property color accentSoft: dark ? "#1d3a37" : "#e2f2ef"
    readonly property color positive: dark ? "#5cc98a" : "#1a7540"
    readonly property color negative: dark ? "#f08a7e" : "#b3362a"
    readonly property color warning: dark ? "#e8b45a" : "#9a6400"
    readonly property color warningSoft: dark ? "#3a2f1a" : "#fff4dc"
    readonly property color dangerSoft: dark ? "#3b2020" : "#fdecea"
    readonly property color sidebar: dark ? "#0d1217" : "#12332f"
    readonly property color sidebarText: dark ? "#c9d3dc" : "#d7ebe7"
    readonly property color sidebarActive: dark ? "#1f2a33" : "#1d4a44"
    readonly property color sidebarTextActive: "#ffffff"
    // The focus ring in the navigation rail: the page's blue is 2.8:1 on the light theme's dark green rail.
    readonly property color sidebarFocus: "#7cc7ff"
    readonly property color cardGradientTop: dark ? "#1d4e48" : "#13665c"
    readonly property color cardGradientBottom: dark ? "#12302c" : "#0b3f39"
    // Texts on the purse card's gradient.
    readonly property color cardText: "#ffffff"
    readonly property color cardTextMuted: "#bfe3dc"
    readonly property color cardLabel: "#d6efe9"
    readonly property color cardBadge: "#ffd98a"
    // Focus rings (3:1 against what surrounds them). Filled buttons draw theirs outside the fill, on the page, since
    // a ring on the accent fill itself was 1.05:1.
    readonly property color focus: dark ? "#7cc7ff" : "#1a6fd1"
    readonly property int focusRingWidth: 2
    readonly property int focusRingGap: 3

    // Type scale (pixel sizes are device-independent: Qt scales them on high-DPI screens).
    readonly property int fontSmall: 12
    readonly property int fontBody: 14
    readonly property int fontLarge: 17
    readonly property int fontTitle: 22
    readonly property int fontDisplay: 36

    // Spacing scale.
    readonly property int spacingSmall: 6
    readonly property int spacing: 12
    readonly property int spacingLarge: 20
    readonly property int spacingHuge: 32
    readonly property int radius: 10
    readonly property int controlHeight: 40
}
