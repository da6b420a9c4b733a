// SPDX-License-Identifier: Apache-2.0
#include "app/branch/BranchRoot.h"

#include "app/gui/UiSnapshot.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QDir>
#include <QEvent>
#include <QGuiApplication>
#include <QStandardPaths>

#include <cstdio>

namespace wallet::branch {

BranchRoot::BranchRoot(Options options, QObject* parent)
    : QObject(parent)
    , m_options(std::move(options))
{
    if (m_options.dataDir.isEmpty()) {
        m_options.dataDir = QStandardPaths::writableLocation(QStandardPaths::AppDataLocation);
    }
    QDir().mkpath(m_options.dataDir);
    const core::Clock& clock = m_options.clock ? *m_options.clock : m_systemClock;
    m_context = std::make_unique<StationContext>(
        m_options.bankConfig, m_options.dataDir, !m_options.simulatedSerial.isEmpty(), m_options.usbKey);
    m_staff = new StaffViewModel(*m_context, clock, this);
    m_staff->setIdleTimeoutSeconds(m_options.idleSeconds);
    m_issue = new IssueViewModel(*m_context, clock, this);
    m_service = new ServiceViewModel(*m_context, this);
    m_issue->onSessionExpired = [this] { m_staff->expired(); };
    m_service->onSessionExpired = [this] { m_staff->expired(); };
    connect(m_staff, &StaffViewModel::changed, this, [this] {
        m_issue->setTeller(m_staff->username());
        if (!m_staff->signedIn()) {
            m_issue->reset();
            m_service->cancel();
        }
    });
    if (!m_options.language.isEmpty() && m_options.language != QLatin1String("en")) {
        if (m_translator.load(QStringLiteral(":/i18n/branch_%1.qm").arg(m_options.language))) {
            QCoreApplication::installTranslator(&m_translator);
        }
    }
    if (!m_options.simulatedSerial.isEmpty()) {
        m_context->plugSimulatedKey(m_options.simulatedSerial);
    }
}

BranchRoot::~BranchRoot()
{
    if (m_window) {
        m_window->removeEventFilter(this);
    }
    m_engine.reset();
    QCoreApplication::removeTranslator(&m_translator);
}

bool BranchRoot::createWindow()
{
    m_engine = std::make_unique<QQmlApplicationEngine>();
    m_engine->addImportPath(QStringLiteral("qrc:/qt/qml")); // Qt 6.4 does not look there by itself
    m_engine->setInitialProperties({{QStringLiteral("staff"), QVariant::fromValue<QObject*>(m_staff)},
        {QStringLiteral("issue"), QVariant::fromValue<QObject*>(m_issue)},
        {QStringLiteral("service"), QVariant::fromValue<QObject*>(m_service)}});
    m_engine->load(QUrl(QStringLiteral("qrc:/qt/qml/SmartKey/Branch/Ui/BranchMain.qml")));
    if (m_engine->rootObjects().isEmpty()) {
        return false;
    }
    m_window = qobject_cast<QQuickWindow*>(m_engine->rootObjects().constFirst());
    if (m_window) {
        m_window->installEventFilter(this); // any input at the desk restarts the idle timer
    }
    return m_window != nullptr;
}

bool BranchRoot::eventFilter(QObject* watched, QEvent* event)
{
    switch (event->type()) {
    case QEvent::MouseButtonPress:
    case QEvent::KeyPress:
    case QEvent::TouchBegin:
        m_staff->touch();
        break;
    default:
        break;
    }
    return QObject::eventFilter(watched, event);
}

int BranchRoot::run(int argc, char** argv)
{
    for (int i = 1; i < argc; ++i) {
        if (qstrcmp(argv[i], "--version") == 0 || qstrcmp(argv[i], "-v") == 0) {
            std::printf("smartkey-branch %s\n", SKEY_VERSION); // no display needed (docs/packaging.md)
            return 0;
        }
    }
    QGuiApplication app(argc, argv);
    QCoreApplication::setApplicationName(QStringLiteral("smartkey-branch"));
    QCoreApplication::setOrganizationName(QStringLiteral("SmartKey"));
    QCoreApplication::setApplicationVersion(QStringLiteral(SKEY_VERSION));
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral("SmartKey branch station: bank staff issue and service keys."));
    parser.addHelpOption();
    parser.addVersionOption(); // answered above, before a display is needed; listed in --help
    const QCommandLineOption dump(QStringLiteral("selftest-dump"),
        QStringLiteral("After the first frame, write every visible text to this file and exit (package test)."),
        QStringLiteral("FILE"));
    const QCommandLineOption data(
        QStringLiteral("data-dir"), QStringLiteral("Station data folder."), QStringLiteral("DIR"));
    const QCommandLineOption bank(QStringLiteral("bank-config"),
        QStringLiteral("bank-client.json of this station (a branch certificate)."),
        QStringLiteral("FILE"));
    const QCommandLineOption lang(QStringLiteral("language"), QStringLiteral("en or zh_CN."), QStringLiteral("LANG"));
    const QCommandLineOption sim(QStringLiteral("simulated-key"),
        QStringLiteral("Plug in a blank simulated key with this 16-hex-digit serial."),
        QStringLiteral("SERIAL"));
    const QCommandLineOption usb(QStringLiteral("usb-key"),
        QStringLiteral("Without --simulated-key the station uses the USB key plugged in; with several, the one with "
                       "this serial or device path."),
        QStringLiteral("SERIAL"));
    parser.addOptions({data, bank, lang, sim, usb, dump});
    parser.process(app);
    Options o;
    o.dataDir = parser.value(data);
    o.bankConfig = parser.value(bank);
    o.language = parser.value(lang);
    o.simulatedSerial = parser.value(sim);
    o.usbKey = parser.value(usb);
    if (o.bankConfig.isEmpty()) {
        std::fprintf(stderr, "smartkey-branch: --bank-config <bank-client.json> is required (a branch certificate)\n");
        return 2;
    }
    BranchRoot root(o);
    if (!root.createWindow()) {
        return 1;
    }
    if (parser.isSet(dump)) {
        app::UiSnapshot::dumpAfterFirstFrame(root.window(), parser.value(dump));
    }
    return QGuiApplication::exec();
}

} // namespace wallet::branch
