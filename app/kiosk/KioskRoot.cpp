// SPDX-License-Identifier: Apache-2.0
#include "app/kiosk/KioskRoot.h"

#include "app/gui/UiSnapshot.h"
#include "core/bank/HttpsBankClient.h"
#include "core/bank/PsamProvisioner.h"
#include "device/DeviceManager.h"
#include "device/EmbeddedSimulator.h"
#include "device/PcscApduChannel.h"

#include <QCommandLineParser>
#include <QDir>
#include <QGuiApplication>
#include <QKeyEvent>
#include <QLocale>
#include <QLoggingCategory>
#include <QQuickStyle>
#include <QScreen>

#include <botan/mem_ops.h>

#include <cstdio>
#include <iostream>
#include <string>

Q_LOGGING_CATEGORY(lcKioskRoot, "wallet.kiosk.root")

namespace wallet::kiosk {

bool EscapeFilter::isEscape(int key, Qt::KeyboardModifiers modifiers)
{
    const bool alt = modifiers.testFlag(Qt::AltModifier);
    const bool ctrl = modifiers.testFlag(Qt::ControlModifier);
    if (alt && (key == Qt::Key_F4 || key == Qt::Key_Tab || key == Qt::Key_Backtab)) {
        return true;
    }
    return ctrl && alt && key >= Qt::Key_F1 && key <= Qt::Key_F12;
}

bool EscapeFilter::eventFilter(QObject* watched, QEvent* event)
{
    if (event->type() == QEvent::KeyPress || event->type() == QEvent::KeyRelease
        || event->type() == QEvent::ShortcutOverride) {
        auto* k = static_cast<QKeyEvent*>(event);
        if (isEscape(k->key(), k->modifiers())) {
            if (event->type() == QEvent::KeyPress) {
                m_vm.countRefusedEscape();
                qCInfo(lcKioskRoot) << "keyboard escape refused";
            }
            return true;
        }
    }
    return QObject::eventFilter(watched, event);
}

KioskRoot::KioskRoot(KioskConfig config, const core::Clock* clock, QObject* parent)
    : QObject(parent)
    , m_config(std::move(config))
    , m_clock(clock ? clock : &m_systemClock)
{
    m_worker = std::make_unique<app::KeyWorker>();
    m_vm = std::make_unique<KioskController>(m_config, *m_clock, *m_worker);
    m_devices = std::make_unique<device::DeviceManager>();
    m_devices->setUsbEnabled(m_config.usb);
    m_devices->setPollInterval(300);
    m_filter = std::make_unique<EscapeFilter>(*m_vm);
    if (!clock) {
        m_tick.setInterval(1000);
        connect(&m_tick, &QTimer::timeout, m_vm.get(), &KioskController::tick);
    }
    connect(m_vm.get(), &KioskController::languageRequested, this, &KioskRoot::applyLanguage);
    connect(m_vm.get(), &KioskController::exitRequested, this, [] { QCoreApplication::quit(); });
}

KioskRoot::~KioskRoot()
{
    if (qApp) {
        qApp->removeEventFilter(m_filter.get());
    }
    m_tick.stop();
    if (m_window) {
        QObject::disconnect(m_window, nullptr, this, nullptr); // no state report from a window being destroyed
    }
    m_engine.reset();
    m_devices->stop();
    m_vm.reset();
    m_worker->drain();
    if (m_simulator) {
        m_simulator->stop();
    }
}

void KioskRoot::applyLanguage(const QString& language)
{
    QCoreApplication::removeTranslator(&m_translator);
    if (language == QLatin1String("zh_CN") && m_translator.load(QStringLiteral(":/i18n/kiosk_zh_CN.qm"))) {
        QCoreApplication::installTranslator(&m_translator);
    }
    QLocale::setDefault(QLocale(language));
    if (m_engine) {
        m_engine->retranslate();
    }
}

QString KioskRoot::start()
{
    if (const QString why = m_vm->start(); !why.isEmpty()) {
        return why;
    }
    applyLanguage(m_config.language);
    if (!m_config.simulatorDir.isEmpty()) {
        device::SimulatorOptions o;
        o.dataDirectory = m_config.simulatorDir;
        o.profilePath = m_config.simulatorProfile;
        QDir().mkpath(o.dataDirectory);
        m_simulator = std::make_unique<device::EmbeddedSimulator>(o);
        if (auto s = m_simulator->start(); !s) {
            return s.error().detail;
        }
        m_devices->addSimulator(m_simulator->hidPort());
    }
    m_vm->watch(*m_devices);
    m_devices->start();
    qApp->installEventFilter(m_filter.get());

    m_engine = std::make_unique<QQmlApplicationEngine>();
    m_engine->setInitialProperties({{QStringLiteral("vm"), QVariant::fromValue(m_vm.get())}});
    m_engine->load(QUrl(QStringLiteral("qrc:/qt/qml/SmartKey/Kiosk/Ui/KioskMain.qml")));
    if (m_engine->rootObjects().isEmpty()) {
        return QStringLiteral("the kiosk's QML did not load");
    }
    m_window = qobject_cast<QQuickWindow*>(m_engine->rootObjects().constFirst());
    if (!m_window) {
        return QStringLiteral("the kiosk's QML root is not a window");
    }
    // One line each time the window's state or size changes (the session's journal shows that the kiosk covers the
    // screen; kiosk-cage reads it).
    auto report = [w = static_cast<QWindow*>(m_window.data())] {
        const QSize screen = w->screen() ? w->screen()->size() : QSize();
        qCInfo(lcKioskRoot).noquote() << QStringLiteral("kiosk window %1x%2 %3 on a %4x%5 screen")
                                             .arg(w->width())
                                             .arg(w->height())
                                             .arg(w->visibility() == QWindow::FullScreen
                                                     ? QStringLiteral("full-screen")
                                                     : QStringLiteral("not-full-screen"))
                                             .arg(screen.width())
                                             .arg(screen.height());
    };
    connect(m_window, &QWindow::visibilityChanged, this, report);
    connect(m_window, &QWindow::widthChanged, this, report);
    connect(m_window, &QWindow::heightChanged, this, report);
    // A new frame at the new size: under cage (Wayland, the software scene graph) a window whose first frame was drawn
    // at the QML's initial 1024x768 kept showing that frame after the compositor made it full screen (kiosk-cage).
    auto redraw = [w = m_window.data()] { w->update(); };
    connect(m_window, &QWindow::widthChanged, this, redraw, Qt::QueuedConnection);
    connect(m_window, &QWindow::heightChanged, this, redraw, Qt::QueuedConnection);
    m_tick.start();
    return {};
}

int KioskRoot::provisionSam(const QString& configPath)
{
    auto config = KioskConfig::load(configPath);
    if (!config) {
        std::fprintf(stderr, "smartkey-kiosk: %s\n", qPrintable(config.error().detail));
        return 1;
    }
    if (config->psamType != QLatin1String("pcsc") || config->pcscReader.isEmpty()) {
        std::fprintf(stderr,
            "smartkey-kiosk: %s: --provision-sam needs psam.type \"pcsc\" and psam.reader (the blank SAM's reader)\n",
            qPrintable(configPath));
        return 1;
    }
    if (config->bankConfig.isEmpty()) {
        std::fprintf(stderr,
            "smartkey-kiosk: %s: --provision-sam needs bankConfig (the kiosk's bank-client.json)\n",
            qPrintable(configPath));
        return 1;
    }
    auto bankConfig = core::BankClientConfig::load(config->bankConfig);
    if (!bankConfig) {
        std::fprintf(stderr, "smartkey-kiosk: %s\n", qPrintable(bankConfig.error().detail));
        return 1;
    }
    auto channel = device::PcscApduChannel::open(config->pcscReader);
    if (!channel) {
        std::fprintf(stderr, "smartkey-kiosk: %s\n", qPrintable(channel.error().detail));
        return 1;
    }
    core::HttpsBankClient bank(*bankConfig, 15000);
    auto done = core::provisionPsam(**channel, bank, [](const QString& line) {
        std::printf("%s\n", qPrintable(line));
        std::fflush(stdout);
    });
    if (!done) {
        std::fprintf(stderr, "smartkey-kiosk: the SAM was not provisioned: %s\n", qPrintable(done.error().detail));
        return 1;
    }
    std::printf("The SAM in \"%s\" is ready: terminal ID %s, first TSN %u. Start the kiosk.\n",
        qPrintable(config->pcscReader),
        done->terminalId.toHex().constData(),
        done->firstTsn);
    return 0;
}

int KioskRoot::run(int argc, char** argv)
{
    for (int i = 1; i < argc; ++i) {
        if (qstrcmp(argv[i], "--provision-sam") == 0) {
            // The bank provisions the blank SAM in psam.reader (docs/psam.md): no display, no window.
            QCoreApplication application(argc, argv);
            QCommandLineParser parser;
            parser.setApplicationDescription(QStringLiteral("SmartKey kiosk: provision the blank SAM by the bank."));
            parser.addHelpOption();
            const QCommandLineOption provisionOpt(QStringLiteral("provision-sam"),
                QStringLiteral("Have the bank personalise the blank SAM in psam.reader, then exit."));
            const QCommandLineOption configOpt(
                QStringLiteral("config"), QStringLiteral("The kiosk configuration (JSON)."), QStringLiteral("file"));
            parser.addOption(provisionOpt);
            parser.addOption(configOpt);
            parser.process(application);
            return provisionSam(
                parser.isSet(configOpt) ? parser.value(configOpt) : QStringLiteral("/etc/smartkey/kiosk.json"));
        }
    }
    for (int i = 1; i < argc; ++i) {
        if (qstrcmp(argv[i], "--version") == 0 || qstrcmp(argv[i], "-v") == 0) {
            std::printf("smartkey-kiosk %s\n", SKEY_VERSION); // no display needed (docs/packaging.md)
            return 0;
        }
        if (qstrcmp(argv[i], "--hash-operator-pin") == 0) {
            // Reads the PIN from standard input (never from the command line) and prints its hash for the config.
            std::string line;
            std::getline(std::cin, line);
            Botan::secure_vector<char> pin(line.begin(), line.end());
            Botan::secure_scrub_memory(line.data(), line.size());
            if (pin.size() < 4) {
                std::fputs("the operator PIN needs at least 4 digits\n", stderr);
                return 1;
            }
            std::printf("%s\n", qPrintable(hashOperatorPin(pin)));
            return 0;
        }
    }
    if (qEnvironmentVariableIsEmpty("DISPLAY") && qEnvironmentVariableIsEmpty("WAYLAND_DISPLAY")
        && qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM")) {
        std::fputs(
            "smartkey-kiosk needs a display (run it in its cage session, docs/kiosk.md, or under xvfb-run -a).\n",
            stderr);
        return 2;
    }
    if (!qEnvironmentVariableIsSet("QT_QUICK_BACKEND")) {
        QQuickWindow::setGraphicsApi(QSGRendererInterface::Software);
    }
    QGuiApplication application(argc, argv);
    QGuiApplication::setApplicationName(QStringLiteral("smartkey-kiosk"));
    QGuiApplication::setOrganizationName(QStringLiteral("SmartKey"));
    QGuiApplication::setApplicationVersion(QStringLiteral(SKEY_VERSION));
    QQuickStyle::setStyle(QStringLiteral("Basic"));
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral("SmartKey kiosk: self-service payments with the SmartKey."));
    parser.addHelpOption();
    const QCommandLineOption configOpt(
        QStringLiteral("config"), QStringLiteral("The kiosk configuration (JSON)."), QStringLiteral("file"));
    const QCommandLineOption hashOpt(
        QStringLiteral("hash-operator-pin"), QStringLiteral("Read a PIN on standard input and print its hash."));
    const QCommandLineOption versionOpt(QStringLiteral("version"), QStringLiteral("Print the version and exit."));
    const QCommandLineOption provisionOpt(QStringLiteral("provision-sam"),
        QStringLiteral("Have the bank personalise the blank SAM in psam.reader (no display needed), then exit."));
    const QCommandLineOption dumpOpt(QStringLiteral("selftest-dump"),
        QStringLiteral("After the first frame, write every visible text to this file and exit (package test)."),
        QStringLiteral("file"));
    parser.addOption(configOpt);
    parser.addOption(hashOpt);
    parser.addOption(versionOpt);
    parser.addOption(dumpOpt);
    parser.addOption(provisionOpt);
    parser.process(application);
    const QString configPath
        = parser.isSet(configOpt) ? parser.value(configOpt) : QStringLiteral("/etc/smartkey/kiosk.json");
    auto config = KioskConfig::load(configPath);
    if (!config) {
        std::fprintf(stderr, "smartkey-kiosk: %s\n", qPrintable(config.error().detail));
        return 1;
    }
    KioskRoot root(*config);
    if (const QString why = root.start(); !why.isEmpty()) {
        std::fprintf(stderr, "smartkey-kiosk: %s\n", qPrintable(why));
        return 1;
    }
    if (parser.isSet(dumpOpt)) {
        app::UiSnapshot::dumpAfterFirstFrame(root.window(), parser.value(dumpOpt));
    }
    return QGuiApplication::exec();
}

} // namespace wallet::kiosk
