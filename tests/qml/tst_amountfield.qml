// The amount field: validation comes from C++ (Money), shown under the field; QML does no arithmetic.
import QtQuick
import QtTest
import SmartKey.Wallet.Ui

Item {
    id: root
    width: 400; height: 200

    AmountField {
        id: field
        width: 360
        maxFen: 1000000
    }
    SignalSpy { id: accepted; target: field; signalName: "accepted" }

    TestCase {
        name: "AmountField"
        when: windowShown

        function init() {
            field.text = ""
            accepted.clear()
        }

        function test_validation_data() {
            return [
                { tag: "empty", text: "", problem: "", fen: -1 },
                { tag: "plain", text: "12.5", problem: "", fen: 1250 },
                { tag: "grouped", text: "1,000", problem: "", fen: 100000 },
                { tag: "three decimals", text: "1.234", problem: "At most two digits after the decimal point.", fen: -1 },
                { tag: "letters", text: "abc", problem: "Use digits and one decimal point, for example 25.50.", fen: -1 },
                { tag: "zero", text: "0", problem: "The amount must be more than zero.", fen: -1 },
                { tag: "over limit", text: "10000.01", problem: "The amount can be at most ¥10,000.00.", fen: -1 },
            ]
        }

        function test_validation(data) {
            field.text = data.text
            compare(field.problem, data.problem)
            compare(field.fen, data.fen)
            compare(field.acceptable, data.fen > 0)
            const message = findChild(field, "amountProblem")
            compare(message.visible, data.problem.length > 0)
            if (data.problem.length > 0)
                compare(message.text, data.problem)
        }

        function test_typingAndEnter() {
            const input = findChild(field, "amountInput")
            input.forceActiveFocus()
            keyClick(Qt.Key_8); keyClick(Qt.Key_Period); keyClick(Qt.Key_5)
            compare(field.text, "8.5")
            compare(field.fen, 850)
            keyClick(Qt.Key_Return)
            compare(accepted.count, 1)
            field.text = "8.555"
            keyClick(Qt.Key_Return)
            compare(accepted.count, 1, "an invalid amount is not accepted")
        }
    }
}
