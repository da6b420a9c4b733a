// SPDX-License-Identifier: Apache-2.0
#include "app/gui/SettingsViewModel.h"

#include <QCoreApplication>
#include <QLocale>
#include <QLoggingCategory>

Q_LOGGING_CATEGORY(lcSettings, "wallet.app.settings")

namespace wallet::app {

namespace {
const QString kLanguageKey = QStringLiteral("ui/language");
const QString kDarkKey = QStringLiteral("ui/dark");
} // namespace

SettingsViewModel::SettingsViewModel(QSettings* settings, std::function<void()> retranslate, QObject* parent)
    : QObject(parent)
    , m_settings(settings)
    , m_retranslate(std::move(retranslate))
{
    m_dark = m_settings ? m_settings->value(kDarkKey, false).toBool() : false;
    apply(initialLanguage(m_settings));
}

SettingsViewModel::~SettingsViewModel()
{
    if (m_translator) {
        QCoreApplication::removeTranslator(m_translator.get());
    }
}

QString SettingsViewModel::initialLanguage(QSettings* settings)
{
    const QString saved = settings ? settings->value(kLanguageKey).toString() : QString();
    if (saved == QLatin1String("zh_CN") || saved == QLatin1String("en")) {
        return saved;
    }
    return QLocale::system().language() == QLocale::Chinese ? QStringLiteral("zh_CN") : QStringLiteral("en");
}

QStringList SettingsViewModel::languages() const
{
    return {QStringLiteral("zh_CN"), QStringLiteral("en")};
}

QStringList SettingsViewModel::languageNames() const
{
    // Each language names itself, so anyone can find theirs whatever the current language is.
    return {QStringLiteral("\u7B80\u4F53\u4E2D\u6587"), QStringLiteral("English")};
}

void SettingsViewModel::setLanguage(const QString& code)
{
    if (code == m_language || !languages().contains(code)) {
        return;
    }
    apply(code);
    if (m_settings) {
        m_settings->setValue(kLanguageKey, code);
    }
    if (m_retranslate) {
        m_retranslate();
    }
}

void SettingsViewModel::setDarkTheme(bool dark)
{
    if (dark == m_dark) {
        return;
    }
    m_dark = dark;
    if (m_settings) {
        m_settings->setValue(kDarkKey, dark);
    }
    emit darkThemeChanged();
}

void SettingsViewModel::apply(const QString& code)
{
    if (m_translator) {
        QCoreApplication::removeTranslator(m_translator.get());
        m_translator.reset();
    }
    auto translator = std::make_unique<QTranslator>();
    // The .qm files are compiled into the executable by qt_add_translations (resources/CMakeLists.txt).
    if (translator->load(QStringLiteral(":/i18n/wallet_%1.qm").arg(code))) {
        QCoreApplication::installTranslator(translator.get());
        m_translator = std::move(translator);
    } else {
        qCWarning(lcSettings) << "no translation for" << code << "- showing the source texts";
    }
    QLocale::setDefault(QLocale(code == QLatin1String("zh_CN") ? QLocale::Chinese : QLocale::English,
        code == QLatin1String("zh_CN") ? QLocale::China : QLocale::UnitedStates));
    m_language = code;
    emit languageChanged();
}

} // namespace wallet::app
