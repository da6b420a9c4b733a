// SPDX-License-Identifier: Apache-2.0
#include "app/gui/CompositionRoot.h"

#include "app/gui/ErrorText.h"
#include "app/gui/UiSnapshot.h"
#include "core/issuance/IssuanceProfile.h"
#include "device/DeviceManager.h"
#include "device/EmbeddedSimulator.h"

#include <QCommandLineParser>
#include <QCryptographicHash>
#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QGuiApplication>
#include <QLocalServer>
#include <QLocalSocket>
#include <QLoggingCategory>
#include <QQuickStyle>
#include <QSocketNotifier>
#include <QStandardPaths>
#include <QTimer>

#include <cstdio>
#include <memory>
#include <utility>

#if defined(Q_OS_UNIX)
#include <csignal>
#include <unistd.h>
#endif

Q_LOGGING_CATEGORY(lcApp, "wallet.app")

namespace wallet::app {

CompositionRoot::CompositionRoot(Options options, QObject* parent)
    : QObject(parent)
    , m_options(std::move(options))
{
    if (m_options.dataDir.isEmpty()) {
        m_options.dataDir = QStandardPaths::writableLocation(QStandardPaths::AppDataLocation);
    }
    QDir().mkpath(m_options.dataDir);
    m_log.install();
    m_settings = std::make_unique<QSettings>(
        QDir(m_options.dataDir).filePath(QStringLiteral("settings.ini")), QSettings::IniFormat);
    if (!m_options.language.isEmpty()) {
        m_settings->setValue(QStringLiteral("ui/language"), m_options.language);
    }
    if (m_options.darkThemeSet) {
        m_settings->setValue(QStringLiteral("ui/dark"), m_options.darkTheme);
    }

    m_worker = std::make_unique<KeyWorker>();
    m_session = std::make_unique<WalletSession>(*m_worker, m_options.dataDir);
    m_engine = std::make_unique<QQmlApplicationEngine>();
    m_engine->addImportPath(QStringLiteral("qrc:/qt/qml"));

    m_key = new KeyViewModel(*m_session, this);
    m_pin = new PinViewModel(this);
    m_settingsVm = new SettingsViewModel(
        m_settings.get(), [this] { m_engine->retranslate(); }, this);
    m_diagnostics = new DiagnosticsViewModel(*m_session, *m_key, m_log, m_options.dataDir, this);

    m_overview = new OverviewViewModel(*m_session, this);
    m_load = new LoadViewModel(*m_session, this);
    m_purchase = new PurchaseViewModel(*m_session, this);
    m_purchase->setDataDir(m_options.dataDir);
    m_history = new HistoryViewModel(*m_session, m_options.dataDir, this);
    m_changePin = new ChangePinViewModel(*m_session, this);
    auto* certificates = new CertificatesViewModel(*m_session, this);

    AppViewModel::Parts parts;
    parts.key = m_key;
    parts.pin = m_pin;
    parts.overview = m_overview;
    parts.load = m_load;
    parts.purchase = m_purchase;
    parts.history = m_history;
    parts.settings = m_settingsVm;
    parts.diagnostics = m_diagnostics;
    parts.changePin = m_changePin;
    parts.certificates = certificates;
    switch (core::TerminalRoles::bankMode(m_options.dataDir)) {
    case core::TerminalRoles::BankMode::LocalBankHost:
        parts.bankMode = QStringLiteral("local");
        parts.bankFolder = QDir::toNativeSeparators(QDir(m_options.dataDir).filePath(QStringLiteral("bank")));
        break;
    case core::TerminalRoles::BankMode::Configured:
        parts.bankMode = QStringLiteral("configured");
        break;
    case core::TerminalRoles::BankMode::DemoIssuerForTests:
        parts.bankMode = QStringLiteral("demo-issuer");
        break;
    }
    m_app = new AppViewModel(parts, this);
    m_idle = new IdleLock(m_options.idleLock, this);

    wire();
    startDevices();
}

void CompositionRoot::wire()
{
    m_pin->setSubmitHandler([this](Botan::secure_vector<char> digits) { unlock(std::move(digits)); });

    // A key that is ready asks for the PIN; anything else locks the purse pages.
    connect(m_key, &KeyViewModel::infoRead, this, [this] {
        if (m_key->state() != KeyViewModel::State::Ready) {
            lock();
            return;
        }
        if (!m_app->unlocked()
            && (m_app->page() == AppViewModel::Page::Key || m_app->page() == AppViewModel::Page::Pin)) {
            // Before asking for the PIN: is the purse usable at all (dates, blocked), and how many tries are left
            // (VERIFY without data spends no try, spec §3)?
            struct Check
            {
                core::Validity validity;
                core::PinStatus pin;
            };
            const quint64 generation = m_session->generation();
            m_session->run<Check>(
                m_pin,
                [](core::ApduChannel& channel, PurseContext& ctx) -> core::Result<Check> {
                    auto purse = ctx.purse(channel);
                    if (!purse) {
                        return purse.error();
                    }
                    Check check;
                    check.validity = (*purse)->checkValidity();
                    if (!check.validity.ok()) {
                        return check;
                    }
                    auto pin = (*purse)->pinStatus();
                    if (!pin) {
                        return pin.error();
                    }
                    check.pin = *pin;
                    return check;
                },
                [this, generation](core::Result<Check> check) {
                    if (generation != m_session->generation() || m_app->unlocked()) {
                        return;
                    }
                    if (check && !check->validity.ok()) {
                        emit m_overview->validityProblemFound(check->validity.problem);
                        return;
                    }
                    m_pin->reset();
                    if (check) {
                        m_pin->setTriesLeft(check->pin.triesLeft);
                        m_pin->setBlocked(check->pin.blocked);
                    }
                    m_app->setPage(AppViewModel::Page::Pin);
                });
        }
    });
    connect(m_session.get(), &WalletSession::presenceChanged, this, [this] {
        if (m_session->presence() != WalletSession::Presence::Present) {
            lock();
        }
    });
    connect(m_overview, &OverviewViewModel::validityProblemFound, this, [this](core::ValidityProblem problem) {
        switch (problem) {
        case core::ValidityProblem::Blocked:
            m_key->setPurseState(KeyViewModel::State::Blocked);
            break;
        case core::ValidityProblem::Terminated:
            m_key->setPurseState(KeyViewModel::State::Terminated);
            break;
        case core::ValidityProblem::NotPersonalised:
            m_key->setPurseState(KeyViewModel::State::Blank);
            break;
        default:
            m_key->setPurseState(KeyViewModel::State::Expired);
            break;
        }
        lock();
    });
    // The balance on Load and Pay (issue 17 item 4) is the one the overview last read from the key.
    connect(m_overview, &OverviewViewModel::changed, this, [this] {
        m_load->setBalanceFen(m_overview->balanceFen());
        m_purchase->setBalanceFen(m_overview->balanceFen());
    });
    connect(m_load, &LoadViewModel::completed, this, [this](qint64 balance) {
        m_overview->setBalance(balance);
        m_overview->refresh();
    });
    connect(m_purchase, &PurchaseViewModel::completed, this, [this](qint64 balance) {
        m_overview->setBalance(balance);
        m_overview->refresh();
    });
    connect(m_app, &AppViewModel::pageChanged, this, [this] {
        if (m_app->page() == AppViewModel::Page::History) {
            m_history->refresh();
        }
    });
    connect(m_key, &KeyViewModel::issueRequested, this, &CompositionRoot::issueDemo);

    // Idle lock: counting while unlocked; an operation's end counts as activity (issue 9 item 14).
    connect(m_app, &AppViewModel::unlockedChanged, this, [this] {
        m_idle->setArmed(m_app->unlocked());
        if (m_app->unlocked() && !m_pendingLink.isEmpty()) {
            openPaymentLink(std::exchange(m_pendingLink, QString()));
        }
    });
    connect(m_load, &LoadViewModel::changed, m_idle, &IdleLock::activity);
    connect(m_purchase, &PurchaseViewModel::changed, m_idle, &IdleLock::activity);
    connect(m_idle, &IdleLock::expired, this, &CompositionRoot::lockWhenIdle);

    // Texts made in C++ follow a language switch: every view model re-announces its properties.
    connect(m_settingsVm, &SettingsViewModel::languageChanged, this, [this] {
        emit m_key->changed();
        emit m_pin->stateChanged();
        emit m_overview->changed();
        m_load->retranslate();
        emit m_load->pin()->stateChanged();
        m_purchase->retranslate();
        emit m_purchase->pin()->stateChanged();
        m_history->retranslate();
        emit m_history->filterChanged();
        emit m_diagnostics->changed();
        emit m_changePin->changed();
        emit m_changePin->pin()->stateChanged();
        m_overview->recent()->retranslate();
        m_history->model()->retranslate();
    });
}

void CompositionRoot::lock()
{
    m_changePin->cancel();
    m_app->setUnlocked(false);
    m_overview->clear();
    switch (m_app->page()) {
    case AppViewModel::Page::Overview:
    case AppViewModel::Page::Load:
    case AppViewModel::Page::Purchase:
    case AppViewModel::Page::History:
    case AppViewModel::Page::Pin:
        // A load or payment in flight or interrupted stays on screen: its outcome, and the check made when the key
        // is back, are reported there.
        if ((m_app->page() == AppViewModel::Page::Load
                && (m_load->step() == LoadViewModel::Step::Interrupted
                    || m_load->step() == LoadViewModel::Step::Working))
            || (m_app->page() == AppViewModel::Page::Purchase
                && (m_purchase->step() == PurchaseViewModel::Step::Interrupted
                    || m_purchase->step() == PurchaseViewModel::Step::Working))) {
            break;
        }
        m_app->setPage(AppViewModel::Page::Key);
        break;
    default:
        break;
    }
}

void CompositionRoot::lockWhenIdle()
{
    // Money on the move is never interrupted: wait for the next quiet period.
    if (m_load->step() == LoadViewModel::Step::Working || m_purchase->step() == PurchaseViewModel::Step::Working) {
        m_idle->setArmed(m_app->unlocked());
        return;
    }
    qCInfo(lcApp) << "locked after" << m_idle->timeout().count() << "ms without input";
    // A form left half filled (amount, merchant) or a result on screen is cleared: the next person at the computer
    // sees nothing of it.
    if (m_load->step() != LoadViewModel::Step::Interrupted) {
        m_load->reset();
    }
    if (m_purchase->step() != PurchaseViewModel::Step::Interrupted) {
        m_purchase->reset();
    }
    lock();
    if (m_session->presence() == WalletSession::Presence::Present && m_key->state() == KeyViewModel::State::Ready
        && m_app->page() == AppViewModel::Page::Key) {
        m_pin->reset();
        m_app->setPage(AppViewModel::Page::Pin);
    }
}

void CompositionRoot::unlock(Botan::secure_vector<char> digits)
{
    auto shared = std::make_shared<Botan::secure_vector<char>>(std::move(digits));
    m_session->run<QString>(
        m_pin,
        [shared](core::ApduChannel& channel, PurseContext& ctx) -> core::Result<QString> {
            auto pin = core::Pin::fromDigits(std::string_view(shared->data(), shared->size()));
            Botan::secure_scrub_memory(shared->data(), shared->size());
            if (!pin) {
                return pin.error();
            }
            auto purse = ctx.purse(channel);
            if (!purse) {
                return purse.error();
            }
            if (auto verified = (*purse)->verifyPin(*pin); !verified) {
                return verified.error();
            }
            return (*purse)->card().device.serialHex();
        },
        [this](core::Result<QString> serial) {
            m_pin->setBusy(false);
            if (!serial) {
                const core::Error& e = serial.error();
                if (e.code == core::ErrorCode::WrongPin) {
                    m_pin->setTriesLeft(e.triesLeft);
                } else if (e.code == core::ErrorCode::PinBlocked) {
                    m_pin->setTriesLeft(0);
                    m_pin->setBlocked(true);
                }
                m_pin->setErrorText(ErrorText::describe(e));
                return;
            }
            m_pin->reset();
            m_history->setTokenSerial(*serial);
            m_app->setUnlocked(true);
            m_app->setPage(AppViewModel::Page::Overview);
            m_overview->refresh();
            emit m_pin->accepted();
        });
}

void CompositionRoot::issueDemo()
{
    m_session->run<bool>(
        m_key,
        [](core::ApduChannel& channel, PurseContext& ctx) -> core::Result<bool> {
            auto profile = core::IssuanceProfile::fromFile(QStringLiteral(":/profiles/demo-3des.json"));
            if (!profile) {
                return profile.error();
            }
            // By default the wallet's own local bank host issues it (docs/bank.md §12 "Self-service demo issuance").
            if (auto issued = ctx.issueKey(channel, *profile); !issued) {
                return issued.error();
            }
            return true;
        },
        [this](core::Result<bool> done) {
            m_key->setIssuing(false, done ? QString() : ErrorText::describe(done.error()));
            if (done) {
                m_key->refresh();
            }
        });
}

CompositionRoot::~CompositionRoot()
{
    // Window first (it binds to the view models), then stop watching, then let the key I/O finish (the simulator is
    // stopped on the thread it lives on) before the session goes.
    m_engine.reset();
    m_devices->stop();
    m_session->detach(WalletSession::Presence::NoKey);
    // Jobs run in order: a start still under way finishes first, then this stops the key it started (also when its
    // delivery to this thread never ran because the event loop had already ended).
    m_simulator = nullptr;
    m_worker->post([this] { m_simulatorOwned.reset(); });
    m_worker->drain();
}

void CompositionRoot::startDevices()
{
    m_devices = std::make_unique<device::DeviceManager>();
    m_devices->setUsbEnabled(m_options.usb);
    connect(
        m_devices.get(), &device::DeviceManager::keyAdded, this, &CompositionRoot::onKeysChanged, Qt::QueuedConnection);
    connect(m_devices.get(),
        &device::DeviceManager::keyRemoved,
        this,
        &CompositionRoot::onKeysChanged,
        Qt::QueuedConnection);
    connect(m_devices.get(),
        &device::DeviceManager::keyChanged,
        this,
        &CompositionRoot::onKeysChanged,
        Qt::QueuedConnection);
    connect(m_devices.get(),
        &device::DeviceManager::stateChanged,
        this,
        &CompositionRoot::onKeysChanged,
        Qt::QueuedConnection);
    connect(m_key, &KeyViewModel::keyChosen, this, [this](const QString& id) {
        m_chosenId = id;
        m_returnId.clear(); // the user's choice wins over taking the previous key back
        onKeysChanged();
    });
    connect(m_session.get(), &WalletSession::keyLost, this, [this] {
        // An operation saw the key vanish: look again now instead of at the next poll.
        m_devices->rescan();
    });
    m_devices->start();

    if (!m_options.embeddedSimulator) {
        return;
    }
    // The simulated key is a child process; starting it waits for its READY line, so it happens on the worker
    // thread and the window appears at once.
    device::SimulatorOptions simOptions;
    simOptions.dataDirectory = QDir(m_options.dataDir).filePath(QStringLiteral("simulated-key"));
    simOptions.profilePath = m_options.simulatorProfile;
    simOptions.touchMode = m_options.simulatorTouchMode;
    if (m_options.simulatorTouchTimeoutMs > 0) {
        simOptions.extraArguments << QStringLiteral("--touch-timeout")
                                  << QString::number(m_options.simulatorTouchTimeoutMs);
    }
    if (core::TerminalRoles::localBankIssuesKeys(m_options.dataDir)) {
        // Issued by the wallet's local bank host: a blank key's KT derived from the development manufacturer key and
        // its serial, as the bank derives it (docs/firmware.md "Transport keys"), not the demo profile's.
        simOptions.transportKeyHex.clear();
        simOptions.developmentLotSerial = true; // a serial of that manufacturer's lot
    }
    QDir().mkpath(simOptions.dataDirectory);
    m_worker->post([this, simOptions] {
        auto* sim = new device::EmbeddedSimulator(simOptions);
        const auto started = sim->start();
        const quint16 port = started.ok() ? sim->hidPort() : 0;
        const QString error = started.ok() ? QString() : started.error().detail;
        if (!started.ok()) {
            delete sim;
            sim = nullptr;
        }
        m_simulatorOwned.reset(sim);
        KeyWorker::deliver(this, [this, sim, port, error] {
            if (!sim) {
                qCWarning(lcApp) << "the simulated key did not start:" << error;
                emit simulatorFailed(error);
                return;
            }
            m_simulator = sim;
            qCInfo(lcApp) << "simulated key on 127.0.0.1 port" << port;
            m_devices->addSimulator(port);
            m_devices->rescan();
        });
    });
}

void CompositionRoot::onKeysChanged()
{
    const QList<device::KeyEntry> keys = m_devices->keys();
    QVector<KeyListModel::Entry> entries;
    QString usbId;
    QString simId;
    bool chosenPresent = false;
    bool attachedPresent = false;
    bool returnPresent = false;
    for (const device::KeyEntry& k : keys) {
        entries.push_back({k.id, k.description, k.simulated()});
        const bool usable = k.state == device::DeviceState::Connected || k.state == device::DeviceState::Simulated;
        if (!usable) {
            continue;
        }
        if (k.id == m_chosenId) {
            chosenPresent = true;
        }
        if (k.id == m_attachedId) {
            attachedPresent = true;
        }
        if (k.id == m_returnId) {
            returnPresent = true;
        }
        if (k.simulated() && simId.isEmpty()) {
            simId = k.id;
        } else if (!k.simulated() && usbId.isEmpty()) {
            usbId = k.id;
        }
    }
    m_key->keys()->setEntries(entries);

    // The key in use went away (unplugged, or silent): remember it, so that it is taken back as soon as it returns
    // instead of staying on whatever key replaced it meanwhile (issue 9 item 15: a USB key back after an unplug
    // while the wallet had fallen back on the simulated key). Its interrupted operation is then checked on it.
    if (!m_attachedId.isEmpty() && !attachedPresent) {
        m_returnId = m_attachedId;
    }
    // Which key: the one the user chose; else the one in use before it went away; else the one in use; else a USB
    // key; else the simulated key.
    QString wanted = chosenPresent ? m_chosenId
        : returnPresent            ? m_returnId
        : attachedPresent          ? m_attachedId
        : !usbId.isEmpty()         ? usbId
                                   : simId;
    m_key->keys()->setCurrentId(wanted);
    if (wanted.isEmpty()) {
        m_attachedId.clear();
        WalletSession::Presence presence = WalletSession::Presence::NoKey;
        switch (m_devices->state()) {
        case device::DeviceState::NoPermission:
            presence = WalletSession::Presence::NoPermission;
            break;
        case device::DeviceState::Busy:
            presence = WalletSession::Presence::Busy;
            break;
        default:
            presence = m_simulator || !m_options.embeddedSimulator ? WalletSession::Presence::NoKey
                                                                   : WalletSession::Presence::Searching;
            break;
        }
        if (m_session->presence() != presence || m_session->presenceDetail() != m_devices->stateDetail()) {
            m_session->detach(presence, m_devices->stateDetail());
        }
        return;
    }
    if (wanted != m_attachedId && wanted != m_openingId) {
        openKey(wanted);
    }
}

void CompositionRoot::openKey(const QString& id)
{
    m_openingId = id;
    device::DeviceManager* devices = m_devices.get();
    m_worker->post([this, devices, id] {
        auto opened = devices->openChannel(id);
        std::shared_ptr<device::HidApduChannel> channel;
        core::Error error;
        if (opened.ok()) {
            channel = std::shared_ptr<device::HidApduChannel>(std::move(opened.value()));
            // KEEPALIVE UP_NEEDED arrives on this (worker) thread while a command waits for the key's button: the
            // window shows the touch prompt with its Cancel (issue 9 item 20). Set before any job can use it.
            WalletSession* session = m_session.get();
            const core::ApduChannel* which = channel.get();
            channel->setKeepAliveHandler([session, which](skey::wire::KeepAliveStatus status) {
                if (status == skey::wire::KeepAliveStatus::UserPresenceNeeded) {
                    KeyWorker::deliver(session, [session, which] { session->keyWaitsForTouch(which); });
                }
            });
        } else {
            error = opened.error();
        }
        KeyWorker::deliver(this, [this, id, channel, error] {
            if (m_openingId == id) {
                m_openingId.clear();
            }
            if (!channel) {
                qCWarning(lcApp) << "could not open" << id << ":" << error.detail;
                m_session->detach(error.code == core::ErrorCode::PermissionDenied
                        ? WalletSession::Presence::NoPermission
                        : error.code == core::ErrorCode::DeviceBusy ? WalletSession::Presence::Busy
                                                                    : WalletSession::Presence::NoKey,
                    error.detail);
                return;
            }
            m_attachedId = id;
            if (m_returnId == id) {
                m_returnId.clear(); // it is back
            }
            const bool simulated = channel->transport().isSimulated();
            device::HidApduChannel* raw = channel.get();
            m_session->attach(channel, simulated, channel->description(), [raw] { raw->cancel(); });
        });
    });
}

bool CompositionRoot::createWindow()
{
    m_engine->setInitialProperties({{QStringLiteral("app"), QVariant::fromValue(m_app)}});
    // Qt 6.4 has no loadFromModule(): the module's files live under the resource prefix /qt/qml.
    m_engine->load(QUrl(QStringLiteral("qrc:/qt/qml/SmartKey/Wallet/Ui/Main.qml")));
    const auto roots = m_engine->rootObjects();
    if (roots.isEmpty()) {
        return false;
    }
    m_window = qobject_cast<QQuickWindow*>(roots.first());
    return m_window != nullptr;
}

namespace {

bool haveDisplay(int argc, char** argv)
{
    for (int i = 1; i < argc; ++i) {
        if (qstrcmp(argv[i], "-platform") == 0 || qstrncmp(argv[i], "-platform=", 10) == 0) {
            return true;
        }
    }
    return qEnvironmentVariableIsSet("QT_QPA_PLATFORM") || qEnvironmentVariableIsSet("DISPLAY")
        || qEnvironmentVariableIsSet("WAYLAND_DISPLAY");
}

void printHeadlessHelp()
{
    std::fputs("smartkey-wallet: no display found (DISPLAY and WAYLAND_DISPLAY are unset), so the window cannot "
               "open.\n"
               "  * On a desktop: start it from a terminal inside your graphical session.\n"
               "  * Headless, on a virtual screen:  xvfb-run -a smartkey-wallet\n"
               "  * Headless, no screen at all:     QT_QPA_PLATFORM=offscreen smartkey-wallet --screenshot DIR\n"
               "  * The same wallet on the command line: walletctl --help\n",
        stderr);
}

/// Waits (without blocking the event loop) until the key page has left its transient states, or `ms` passed.
void settle(CompositionRoot& root, int ms)
{
    QElapsedTimer timer;
    timer.start();
    auto transient = [&root] {
        const auto s = root.app()->key()->state();
        return s == KeyViewModel::State::Searching || s == KeyViewModel::State::Reading || root.worker().pending() > 0;
    };
    while (timer.elapsed() < ms && transient()) {
        QCoreApplication::processEvents(QEventLoop::AllEvents, 20);
    }
    // Two more frames so bindings and layouts (polished while a frame is prepared) have caught up.
    for (int i = 0; i < 2; ++i) {
        QEventLoop loop;
        QTimer::singleShot(1000, &loop, &QEventLoop::quit);
        QObject::connect(root.window(), &QQuickWindow::frameSwapped, &loop, &QEventLoop::quit);
        root.window()->update();
        loop.exec();
    }
    QCoreApplication::processEvents(QEventLoop::AllEvents, 30);
}

} // namespace

#if defined(Q_OS_UNIX)
namespace {
int g_signalPipe[2] = {-1, -1};

void onQuitSignal(int)
{
    const char byte = 1;
    const auto written = ::write(g_signalPipe[1], &byte, 1);
    (void)written;
}
} // namespace

/// SIGTERM/SIGINT → QCoreApplication::quit() on the GUI thread, through a self-pipe.
class QuitOnSignals
{
public:
    QuitOnSignals()
    {
        if (::pipe(g_signalPipe) != 0) {
            return;
        }
        m_notifier = std::make_unique<QSocketNotifier>(g_signalPipe[0], QSocketNotifier::Read);
        QObject::connect(m_notifier.get(), &QSocketNotifier::activated, [] {
            char byte = 0;
            const auto got = ::read(g_signalPipe[0], &byte, 1);
            (void)got;
            qCInfo(lcApp) << "quitting on a signal";
            QCoreApplication::quit();
        });
        struct sigaction action = {};
        action.sa_handler = onQuitSignal;
        sigemptyset(&action.sa_mask);
        action.sa_flags = SA_RESTART;
        ::sigaction(SIGTERM, &action, nullptr);
        ::sigaction(SIGINT, &action, nullptr);
    }
    ~QuitOnSignals()
    {
        ::signal(SIGTERM, SIG_DFL);
        ::signal(SIGINT, SIG_DFL);
        m_notifier.reset();
        for (int& fd : g_signalPipe) {
            if (fd >= 0) {
                ::close(fd);
                fd = -1;
            }
        }
    }
    QuitOnSignals(const QuitOnSignals&) = delete;
    QuitOnSignals& operator=(const QuitOnSignals&) = delete;

private:
    std::unique_ptr<QSocketNotifier> m_notifier;
};
#else
class QuitOnSignals
{
};
#endif

void CompositionRoot::openPaymentLink(const QString& link)
{
    if (m_window) {
        m_window->show();
        m_window->raise();
        m_window->requestActivate();
    }
    if (!m_app->unlocked()) {
        m_pendingLink = link; // opened right after the PIN
        return;
    }
    m_app->navigate(AppViewModel::Page::Purchase);
    m_purchase->openLink(link);
}

QString CompositionRoot::instanceSocketPath(const QString& dataDir)
{
    QString runtime = QStandardPaths::writableLocation(QStandardPaths::RuntimeLocation);
    if (runtime.isEmpty()) {
        runtime = QDir::tempPath();
    }
    const QByteArray folder = QDir(dataDir).absolutePath().toUtf8();
    return QDir(runtime).filePath(
        QStringLiteral("smartkey-wallet-%1.sock")
            .arg(QString::fromLatin1(QCryptographicHash::hash(folder, QCryptographicHash::Sha256).toHex().left(16))));
}

bool CompositionRoot::forwardToRunningWallet(const QString& dataDir, const QString& link)
{
    QLocalSocket socket;
    socket.connectToServer(instanceSocketPath(dataDir));
    if (!socket.waitForConnected(1000)) {
        return false;
    }
    socket.write(link.toUtf8() + '\n');
    if (!socket.waitForBytesWritten(2000)) {
        return false;
    }
    // The running wallet answers "ok" once it took the link.
    return socket.waitForReadyRead(3000) && socket.readLine().trimmed() == "ok";
}

bool CompositionRoot::listenForLinks()
{
    const QString path = instanceSocketPath(m_options.dataDir);
    {
        QLocalSocket probe;
        probe.connectToServer(path);
        if (probe.waitForConnected(300)) {
            return false; // another wallet on this data folder listens already
        }
    }
    QLocalServer::removeServer(path); // a stale socket file of a wallet that crashed
    m_linkServer = new QLocalServer(this);
    m_linkServer->setSocketOptions(QLocalServer::UserAccessOption);
    if (!m_linkServer->listen(path)) {
        qCWarning(lcApp) << "cannot listen for payment links on" << path << ":" << m_linkServer->errorString();
        return false;
    }
    connect(m_linkServer, &QLocalServer::newConnection, this, [this] {
        while (QLocalSocket* client = m_linkServer->nextPendingConnection()) {
            connect(client, &QLocalSocket::disconnected, client, &QObject::deleteLater);
            connect(client, &QLocalSocket::readyRead, this, [this, client] {
                if (!client->canReadLine()) {
                    if (client->bytesAvailable() > 1024) {
                        client->abort(); // no link is this long
                    }
                    return;
                }
                const QString link = QString::fromUtf8(client->readLine(1024)).trimmed();
                client->write("ok\n");
                client->flush();
                client->disconnectFromServer();
                qCInfo(lcApp) << "payment link handed over by a second start";
                openPaymentLink(link);
            });
        }
    });
    return true;
}

int CompositionRoot::run(int argc, char** argv)
{
    if (!haveDisplay(argc, argv)) {
        printHeadlessHelp();
        return 2;
    }
    QGuiApplication::setApplicationName(QStringLiteral("smartkey-wallet"));
    QGuiApplication::setOrganizationName(QStringLiteral("SmartKey"));
    QGuiApplication::setApplicationVersion(QStringLiteral(WALLET_VERSION));
    QGuiApplication::setApplicationDisplayName(QStringLiteral("SmartKey Wallet"));
    QGuiApplication::setDesktopFileName(QStringLiteral("org.smartkey.Wallet"));
    QQuickStyle::setStyle(QStringLiteral("Basic"));
    // The wallet is a few flat pages: Qt Quick's software renderer draws them well within a frame, starts faster and
    // needs far less memory than an OpenGL context (on llvmpipe, ~100 MB more). A user or packager who wants the GPU
    // sets QT_QUICK_BACKEND / QSG_RHI_BACKEND, or passes --gpu.
    bool gpu = false;
    for (int i = 1; i < argc; ++i) {
        gpu = gpu || qstrcmp(argv[i], "--gpu") == 0;
    }
    if (!gpu && !qEnvironmentVariableIsSet("QT_QUICK_BACKEND") && !qEnvironmentVariableIsSet("QSG_RHI_BACKEND")) {
        QQuickWindow::setGraphicsApi(QSGRendererInterface::Software);
    }
    QGuiApplication application(argc, argv);

    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral("SmartKey Wallet: the cardholder's electronic purse."));
    parser.addHelpOption();
    parser.addVersionOption();
    const QCommandLineOption langOpt(
        QStringLiteral("lang"), QStringLiteral("Language: zh_CN or en."), QStringLiteral("code"));
    const QCommandLineOption dataOpt(QStringLiteral("data-dir"),
        QStringLiteral("Folder for settings, the transaction mirror and the simulated "
                       "key."),
        QStringLiteral("dir"));
    const QCommandLineOption darkOpt(QStringLiteral("dark"), QStringLiteral("Start with the dark theme."));
    const QCommandLineOption noSimOpt(
        QStringLiteral("no-simulator"), QStringLiteral("Do not start the embedded simulated key."));
    const QCommandLineOption dumpOpt(QStringLiteral("selftest-dump"),
        QStringLiteral("Start, wait for the key, write the visible texts to FILE and "
                       "exit."),
        QStringLiteral("file"));
    const QCommandLineOption shotOpt(QStringLiteral("screenshot"),
        QStringLiteral("Start, wait for the key, save a PNG of the window into DIR and "
                       "exit."),
        QStringLiteral("dir"));
    const QCommandLineOption firstFrameOpt(QStringLiteral("quit-after-first-frame"),
        QStringLiteral("Print the time to the first frame and exit "
                       "(benchmarks)."));
    const QCommandLineOption profileOpt(QStringLiteral("sim-profile"),
        QStringLiteral("Issue the simulated key with this personalisation profile "
                       "(JSON) when it starts blank."),
        QStringLiteral("file"));
    const QCommandLineOption noUsbOpt(QStringLiteral("no-usb"), QStringLiteral("Do not look for USB keys."));
    const QCommandLineOption gpuOpt(
        QStringLiteral("gpu"), QStringLiteral("Draw with the GPU (OpenGL/Vulkan) instead of the software renderer."));
    parser.addOptions(
        {langOpt, dataOpt, darkOpt, noSimOpt, profileOpt, noUsbOpt, gpuOpt, dumpOpt, shotOpt, firstFrameOpt});
    parser.addPositionalArgument(QStringLiteral("link"),
        QStringLiteral("A merchant's payment link smartkey://pay/<order id> (or its code): opened on the Pay page; "
                       "handed to the wallet already running, if any."),
        QStringLiteral("[link]"));
    parser.process(application);
    const QString link = parser.positionalArguments().value(0);

    Options options;
    options.dataDir = parser.value(dataOpt);
    options.language = parser.value(langOpt);
    if (!options.language.isEmpty() && options.language != QLatin1String("zh_CN")
        && options.language != QLatin1String("en")) {
        std::fprintf(stderr, "smartkey-wallet: --lang must be zh_CN or en\n");
        return 2;
    }
    options.embeddedSimulator = !parser.isSet(noSimOpt);
    options.simulatorProfile = parser.value(profileOpt);
    options.usb = !parser.isSet(noUsbOpt);
    if (parser.isSet(darkOpt)) {
        options.darkTheme = true;
        options.darkThemeSet = true;
    }

    // SIGTERM and SIGINT end the wallet as closing its window does (issue 17 item 13): the event loop ends, the
    // composition root shuts the simulated key down. The handler only writes a byte to a pipe (async-signal-safe).
    const QuitOnSignals quitOnSignals;

    {
        QString dataDir = options.dataDir;
        if (dataDir.isEmpty()) {
            dataDir = QStandardPaths::writableLocation(QStandardPaths::AppDataLocation);
        }
        if (!link.isEmpty() && forwardToRunningWallet(dataDir, link)) {
            std::fprintf(stderr, "smartkey-wallet: the payment link was handed to the wallet already running\n");
            return 0;
        }
    }

    CompositionRoot root(options);
    if (!root.createWindow()) {
        std::fprintf(stderr, "smartkey-wallet: the window could not be created (QML errors above)\n");
        return 1;
    }

    root.listenForLinks();
    if (!link.isEmpty()) {
        root.openPaymentLink(link);
    }

    if (parser.isSet(firstFrameOpt)) {
        QObject::connect(
            root.window(),
            &QQuickWindow::frameSwapped,
            &application,
            [] { QTimer::singleShot(0, [] { QCoreApplication::exit(0); }); },
            Qt::QueuedConnection);
        return application.exec();
    }

    if (parser.isSet(dumpOpt) || parser.isSet(shotOpt)) {
        settle(root, 20000);
        int rc = 0;
        if (parser.isSet(dumpOpt)) {
            QFile out(parser.value(dumpOpt));
            if (!out.open(QIODevice::WriteOnly | QIODevice::Truncate | QIODevice::Text)) {
                std::fprintf(stderr, "smartkey-wallet: cannot write %s\n", qPrintable(parser.value(dumpOpt)));
                rc = 1;
            } else {
                out.write(UiSnapshot::visibleTexts(root.window()).join(QLatin1Char('\n')).toUtf8());
                out.write("\n");
            }
        }
        if (parser.isSet(shotOpt)) {
            QDir().mkpath(parser.value(shotOpt));
            const QString path = QDir(parser.value(shotOpt)).filePath(QStringLiteral("wallet.png"));
            if (!UiSnapshot::grab(root.window(), path)) {
                std::fprintf(stderr, "smartkey-wallet: could not grab the window\n");
                rc = 1;
            } else {
                std::printf("%s\n", qPrintable(path));
            }
        }
        return rc;
    }
    return application.exec();
}

} // namespace wallet::app
