// Issue 17 item 8: every text colour against every background it is drawn on, and every focus ring against what
// surrounds it, in both themes, read from the Theme singleton: WCAG 2.1 AA, 4.5:1 for text, 3:1 for focus rings
// (relative luminance and contrast ratio as WCAG defines them).
import QtQuick
import QtTest
import SmartKey.Wallet.Ui

Item {
    width: 100; height: 100

    TestCase {
        name: "ThemeContrast"

        function channel(c) {
            return c <= 0.03928 ? c / 12.92 : Math.pow((c + 0.055) / 1.055, 2.4)
        }
        function luminance(color) {
            return 0.2126 * channel(color.r) + 0.7152 * channel(color.g) + 0.0722 * channel(color.b)
        }
        function ratio(a, b) {
            const la = luminance(a), lb = luminance(b)
            return (Math.max(la, lb) + 0.05) / (Math.min(la, lb) + 0.05)
        }

        // [foreground, background] as the components draw them.
        readonly property var textPairs: [
            ["text", "window"], ["text", "surface"], ["text", "surfaceAlt"], ["text", "accentSoft"],
            ["text", "warningSoft"], ["text", "dangerSoft"],
            ["textMuted", "window"], ["textMuted", "surface"], ["textMuted", "surfaceAlt"],
            ["accentText", "accent"],                       // filled buttons, selected chips, the rail's logo
            ["accent", "surface"], ["accent", "window"],    // outlined buttons
            ["negative", "surface"], ["negative", "surfaceAlt"], ["negative", "dangerSoft"], ["negative", "window"],
            ["positive", "surface"], ["positive", "accentSoft"],
            ["warning", "warningSoft"], ["warning", "window"], // the simulated-key banner
            ["sidebarText", "sidebar"], ["sidebarText", "sidebarActive"],
            ["sidebarTextActive", "sidebar"], ["sidebarTextActive", "sidebarActive"],
            ["cardText", "cardGradientTop"], ["cardText", "cardGradientBottom"],
            ["cardTextMuted", "cardGradientTop"], ["cardTextMuted", "cardGradientBottom"],
            ["cardLabel", "cardGradientTop"], ["cardBadge", "cardGradientTop"]
        ]
        readonly property var focusPairs: [
            ["focus", "window"], ["focus", "surface"], ["focus", "surfaceAlt"], // rings outside buttons, field borders
            ["sidebarFocus", "sidebar"], ["sidebarFocus", "sidebarActive"]     // the rail
        ]

        function check(dark) {
            Theme.dark = dark
            const failures = []
            for (const [fg, bg] of textPairs) {
                const r = ratio(Theme[fg], Theme[bg])
                if (!(r >= 4.5))
                    failures.push(fg + " on " + bg + ": " + r.toFixed(2) + ":1")
            }
            for (const [fg, bg] of focusPairs) {
                const r = ratio(Theme[fg], Theme[bg])
                if (!(r >= 3))
                    failures.push("focus ring " + fg + " on " + bg + ": " + r.toFixed(2) + ":1")
            }
            Theme.dark = false
            return failures
        }

        function test_lightTheme() {
            compare(check(false), [])
        }
        function test_darkTheme() {
            compare(check(true), [])
        }
        function test_theRatioItself() {
            // The reference values: black on white is 21:1, and the dark theme's old white on #4FB3A9 about 2.5:1.
            compare(ratio(Qt.color("#000000"), Qt.color("#ffffff")).toFixed(1), "21.0")
            compare(ratio(Qt.color("#ffffff"), Qt.color("#4fb3a9")).toFixed(1), "2.5")
        }
    }
}
