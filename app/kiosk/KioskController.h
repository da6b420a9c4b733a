// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "app/gui/KeyWorker.h"
#include "app/kiosk/KioskConfig.h"
#include "core/purse/Clock.h"

#include <QDateTime>
#include <QObject>
#include <QString>
#include <QStringList>
#include <QVariantList>
#include <QtQml/qqmlregistration.h>

#include <botan/secmem.h>

#include <mutex>
#include <optional>

namespace wallet::device {
class DeviceManager;
struct KeyEntry;
} // namespace wallet::device

namespace wallet::kiosk {

/// A clock the tests set (thread-safe: the worker reads it for the card's date and time while the test moves it).
class ManualClock final : public core::Clock
{
public:
    explicit ManualClock(QDateTime t)
        : m_now(std::move(t))
    { }
    void advanceSeconds(qint64 s)
    {
        std::lock_guard lock(m_mutex);
        m_now = m_now.addSecs(s);
    }
    [[nodiscard]] QDateTime now() const override
    {
        std::lock_guard lock(m_mutex);
        return m_now;
    }

private:
    mutable std::mutex m_mutex;
    QDateTime m_now;
};

struct KioskBackend; // lives on the worker thread

/**
 * @brief The kiosk's one view model (docs/kiosk.md): the customer flow, the operator screen, the lock after failed
 * sales, the idle reset and settlement. QML shows `screen` and calls the invokables; every APDU, SQL statement and
 * bank call runs on the KeyWorker thread. PIN digits (customer and operator) live in wiped secure buffers; QML
 * only sees their count. Time comes from the injected Clock; tick() (a 1 s timer in the program, called by tests
 * after moving the clock) applies the idle timeout and ends the lock.
 */
class KioskController : public QObject
{
    Q_OBJECT
    QML_ELEMENT
    QML_UNCREATABLE("made by the kiosk's composition root")

    Q_PROPERTY(QString screen READ screen NOTIFY changed)
    Q_PROPERTY(QString amountText READ amountText NOTIFY changed)
    Q_PROPERTY(bool saleReady READ saleReady NOTIFY changed)
    Q_PROPERTY(int pinLength READ pinLength NOTIFY changed)
    Q_PROPERTY(QString entryText READ entryText NOTIFY changed)
    Q_PROPERTY(QString message READ message NOTIFY changed)
    Q_PROPERTY(int triesLeft READ triesLeft NOTIFY changed)
    Q_PROPERTY(int lockSeconds READ lockSeconds NOTIFY changed)
    Q_PROPERTY(QString balanceText READ balanceText NOTIFY changed)
    Q_PROPERTY(QVariantList receipt READ receipt NOTIFY changed)
    Q_PROPERTY(QString receiptPdf READ receiptPdf NOTIFY changed)
    Q_PROPERTY(QString language READ language NOTIFY changed)
    Q_PROPERTY(QString merchantName READ merchantName CONSTANT)
    Q_PROPERTY(QVariantList priceList READ priceList CONSTANT)
    Q_PROPERTY(int totalSales READ totalSales NOTIFY changed)
    Q_PROPERTY(QString totalAmountText READ totalAmountText NOTIFY changed)
    Q_PROPERTY(int checkingCount READ checkingCount NOTIFY changed)
    Q_PROPERTY(int unsettledCount READ unsettledCount NOTIFY changed)
    Q_PROPERTY(QString settlementText READ settlementText NOTIFY changed)
    Q_PROPERTY(bool busy READ busy NOTIFY changed)
    Q_PROPERTY(bool exitAllowed READ exitAllowed NOTIFY changed)
    Q_PROPERTY(bool keyPresent READ keyPresent NOTIFY changed)
    Q_PROPERTY(bool settling READ settling NOTIFY changed)
    Q_PROPERTY(int nextSettleSeconds READ nextSettleSeconds NOTIFY changed)
    Q_PROPERTY(QVariantList checks READ checks NOTIFY changed)
    Q_PROPERTY(bool samOut READ samOut NOTIFY changed)

public:
    KioskController(KioskConfig config, const core::Clock& clock, app::KeyWorker& worker, QObject* parent = nullptr);
    ~KioskController() override;

    /// Opens the store, PSAM and bank client on the worker. Empty on success, else why (English, for the log).
    [[nodiscard]] QString start();
    /// Wires the device manager: a key that appears is opened, one that goes away ends the sale (or leaves it
    /// checking).
    void watch(device::DeviceManager& devices);

    [[nodiscard]] QString screen() const { return m_screen; }
    [[nodiscard]] QString amountText() const;
    [[nodiscard]] bool saleReady() const { return m_amountFen > 0; }
    [[nodiscard]] int pinLength() const { return static_cast<int>(m_digits.size()); }
    [[nodiscard]] QString entryText() const { return m_entry; }
    /// A message code QML turns into words ("wrongPin", "pinBlocked", "hotlisted", …); empty: none.
    [[nodiscard]] QString message() const { return m_message; }
    [[nodiscard]] int triesLeft() const { return m_triesLeft; }
    [[nodiscard]] int lockSeconds() const;
    [[nodiscard]] QString balanceText() const { return m_balanceText; }
    /// Receipt lines as {label: code, value: text} (QML translates the labels).
    [[nodiscard]] QVariantList receipt() const { return m_receipt; }
    [[nodiscard]] QString receiptPdf() const { return m_receiptPdf; }
    [[nodiscard]] QString language() const { return m_language; }
    [[nodiscard]] QString merchantName() const { return m_config.merchantName; }
    [[nodiscard]] QVariantList priceList() const;
    [[nodiscard]] int totalSales() const { return m_totalSales; }
    [[nodiscard]] QString totalAmountText() const { return m_totalAmount; }
    [[nodiscard]] int checkingCount() const { return m_checking; }
    [[nodiscard]] int unsettledCount() const { return m_unsettled; }
    [[nodiscard]] QString settlementText() const { return m_settlement; }
    [[nodiscard]] bool busy() const { return m_busy; }
    [[nodiscard]] bool exitAllowed() const { return m_exitAllowed; }
    /// A key is attached and was read (its balance is known).
    [[nodiscard]] bool keyPresent() const { return m_keyReady; }
    /// A settlement upload (the operator's or the automatic one) is running on the worker.
    [[nodiscard]] bool settling() const { return m_settling; }
    /// Seconds until the next automatic settlement upload; -1 when there is none (no bank, or autoSettleSeconds 0).
    [[nodiscard]] int nextSettleSeconds() const;
    /// Automatic settlement uploads started so far (tests).
    [[nodiscard]] int autoSettleAttempts() const { return m_autoAttempts; }
    /// The sales that were left "checking", newest first: {amount, key, state: done | not-done | checking}.
    [[nodiscard]] QVariantList checks() const { return m_checks; }
    /// The SAM did not answer when the kiosk started and has not answered since: out of service, nothing is sold
    /// (docs/kiosk.md "Started without its SAM").
    [[nodiscard]] bool samOut() const { return m_samOut; }
    /// The sale shown or being checked (0: none).
    [[nodiscard]] qint64 currentSale() const { return m_saleId; }
    [[nodiscard]] const KioskConfig& config() const { return m_config; }
    /// Keyboard escapes refused so far (Alt+F4, Alt+Tab, Ctrl+Alt+Fn), counted by the composition root's filter.
    [[nodiscard]] int refusedEscapes() const { return m_refusedEscapes; }
    void countRefusedEscape() { ++m_refusedEscapes; }

    Q_INVOKABLE void setLanguage(const QString& language);
    Q_INVOKABLE void digit(int d);
    Q_INVOKABLE void point();
    Q_INVOKABLE void backspace();
    Q_INVOKABLE void clearEntry();
    /// Customer: pay (on the amount screen) / submit the PIN. Operator: submit the PIN / the amount.
    Q_INVOKABLE void submit();
    Q_INVOKABLE void cancel();
    Q_INVOKABLE void openOperator();
    Q_INVOKABLE void choosePrice(int index);
    Q_INVOKABLE void settle();
    Q_INVOKABLE void exitKiosk();
    Q_INVOKABLE void done();
    /// Any touch or key: restarts the idle timeout.
    Q_INVOKABLE void activity();
    /// Applies the idle timeout and the end of the lock against the clock.
    Q_INVOKABLE void tick();

signals:
    void changed();
    void languageRequested(const QString& language);
    void exitRequested();
    /// A sale ended (receipt shown, refused or checking): for tests and the figure.
    void saleFinished(const QString& outcome);

private:
    void setScreen(const QString& s, const QString& message = {});
    void wipeDigits();
    void resetAll();
    void keyAppeared(const QString& id);
    void keyGone(const QString& id);
    void pay();
    void failedSale();
    void refreshTotals();
    void showSale(qint64 saleId);
    void writeReceiptPdf();
    void runSettlement(bool automatic);
    void maybeAutoSettle();
    void checkWithSam();
    void reopenSam();
    /// Where the kiosk rests between customers: out of service while the SAM is out, else locked or welcome.
    [[nodiscard]] QString restScreen() const;

    KioskConfig m_config;
    const core::Clock& m_clock;
    app::KeyWorker& m_worker;
    KioskBackend* m_backend = nullptr; ///< created, used and deleted on the worker thread
    device::DeviceManager* m_devices = nullptr;

    QString m_screen = QStringLiteral("welcome");
    QString m_message;
    QString m_language;
    std::uint32_t m_amountFen = 0;
    QString m_entry; ///< the operator's amount being typed
    Botan::secure_vector<char> m_digits; ///< a PIN being typed (customer or operator)
    int m_triesLeft = -1;
    QString m_balanceText;
    QString m_keyId; ///< the attached key
    quint64 m_keyGeneration = 0;
    bool m_keyReady = false;
    qint64 m_saleId = 0; ///< the sale in progress or being checked
    QVariantList m_receipt;
    QString m_receiptPdf;
    QDateTime m_lastActivity;
    int m_failedInRow = 0;
    int m_lockLevel = 0;
    QDateTime m_lockedUntil;
    int m_totalSales = 0;
    QString m_totalAmount;
    int m_checking = 0;
    int m_unsettled = 0;
    QString m_settlement;
    bool m_busy = false;
    bool m_settling = false;
    QDateTime m_nextSettle; ///< the next automatic upload (invalid: none)
    /// The next time the SAM is asked to check a kept key answer (a SAM pulled mid-sale; invalid: none waits).
    QDateTime m_samRetryAt;
    static constexpr int kSamRetrySeconds = 5;
    /// Started without an answering SAM: the "outOfService" screen; m_samRetryAt then times the next PcscPsam::open.
    bool m_samOut = false;
    int m_settleBackoff = 0; ///< seconds of the current back-off after failed uploads (0: the last one worked)
    int m_autoAttempts = 0;
    QVariantList m_checks;
    bool m_exitAllowed = false;
    int m_refusedEscapes = 0;
};

} // namespace wallet::kiosk
