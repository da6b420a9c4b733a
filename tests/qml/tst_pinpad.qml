// The PIN pad: shows one dot per digit, reports digits one at a time (mouse and keyboard), never holds the PIN,
// and only offers "submit" between the minimum and maximum length.
import QtQuick
import QtTest
import SmartKey.Wallet.Ui

Item {
    id: root
    width: 400; height: 520

    PinPad {
        id: pad
        anchors.fill: parent
        focus: true
        minLength: 4
        maxLength: 6
        // Plays the view model: counts the digits it receives.
        onDigitPressed: (digit) => { received.push(digit); length = length + 1 }
        onBackspacePressed: if (length > 0) length = length - 1
        onClearPressed: length = 0
        property var received: []
    }
    SignalSpy { id: submitted; target: pad; signalName: "submitPressed" }
    SignalSpy { id: cleared; target: pad; signalName: "clearPressed" }

    TestCase {
        name: "PinPad"
        when: windowShown

        function init() {
            pad.length = 0
            pad.received = []
            pad.busy = false
            submitted.clear()
            cleared.clear()
            pad.forceActiveFocus()
        }

        function findChildByText(item, text) {
            for (let i = 0; i < item.children.length; ++i) {
                const c = item.children[i]
                if (c.text === text && c.clicked !== undefined)
                    return c
                const found = findChildByText(c, text)
                if (found)
                    return found
            }
            return null
        }

        function test_keyboardDigits() {
            keyClick(Qt.Key_1); keyClick(Qt.Key_2); keyClick(Qt.Key_3)
            compare(pad.received, [1, 2, 3])
            compare(pad.length, 3)
            const dots = findChild(pad, "pinDots")
            verify(dots)
            // One dot per digit typed (issue 17 item 7).
            compare(dots.children.length - 1, 3) // Repeater delegates + the Repeater itself
            keyClick(Qt.Key_Return)
            compare(submitted.count, 0, "3 digits are too few to submit")
            keyClick(Qt.Key_4)
            keyClick(Qt.Key_Return)
            compare(submitted.count, 1)
        }

        function test_maxLength() {
            for (let i = 0; i < 9; ++i)
                keyClick(Qt.Key_7)
            compare(pad.length, 6)
            compare(pad.received.length, 6)
        }

        function test_backspaceAndEscape() {
            keyClick(Qt.Key_5); keyClick(Qt.Key_6)
            keyClick(Qt.Key_Backspace)
            compare(pad.length, 1)
            keyClick(Qt.Key_Escape)
            compare(cleared.count, 1)
            compare(pad.length, 0)
        }

        function test_mouseKeys() {
            const seven = findChildByText(pad, "7")
            verify(seven, "key 7")
            mouseClick(seven)
            const zero = findChild(pad, "pad0")
            mouseClick(zero)
            compare(pad.received, [7, 0])
            const submit = findChild(pad, "padSubmit")
            verify(!submit.enabled)
            mouseClick(findChildByText(pad, "1")); mouseClick(findChildByText(pad, "2"))
            verify(submit.enabled)
            mouseClick(submit)
            compare(submitted.count, 1)
        }

        function test_busyIgnoresInput() {
            pad.busy = true
            keyClick(Qt.Key_1)
            compare(pad.received.length, 0)
            const submit = findChild(pad, "padSubmit")
            compare(submit.text, "Checking…")
        }

        function test_dotsShowHowManyNotWhich() {
            keyClick(Qt.Key_8); keyClick(Qt.Key_9)
            const dots = findChild(pad, "pinDots")
            let filled = 0
            for (let i = 0; i < dots.children.length; ++i) {
                const d = dots.children[i]
                if (d.width === 14 && Qt.colorEqual(d.color, Theme.text))
                    ++filled
                verify(d.text === undefined, "a dot never carries text")
            }
            compare(filled, 2)
        }
    }
}
