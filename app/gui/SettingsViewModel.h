// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <QObject>
#include <QSettings>
#include <QString>
#include <QStringList>
#include <QTranslator>
#include <QtQml/qqmlregistration.h>

#include <functional>
#include <memory>

namespace wallet::app {

/**
 * @brief Language (Simplified Chinese or English, switched at run time) and light/dark theme, kept in QSettings.
 * Switching the language installs the translator, sets the default QLocale (money and dates follow it) and asks the
 * QML engine to re-evaluate every qsTr() binding.
 */
class SettingsViewModel : public QObject
{
    Q_OBJECT
    QML_ELEMENT
    QML_UNCREATABLE("Created by the wallet")

    /// "zh_CN" or "en".
    Q_PROPERTY(QString language READ language WRITE setLanguage NOTIFY languageChanged)
    /// The codes that can be chosen, in display order, and their names in their own language.
    Q_PROPERTY(QStringList languages READ languages CONSTANT)
    Q_PROPERTY(QStringList languageNames READ languageNames CONSTANT)
    Q_PROPERTY(int languageIndex READ languageIndex NOTIFY languageChanged)
    Q_PROPERTY(bool darkTheme READ darkTheme WRITE setDarkTheme NOTIFY darkThemeChanged)

public:
    /// `settings` may be null (nothing is remembered); `retranslate` is called after a language switch.
    explicit SettingsViewModel(QSettings* settings, std::function<void()> retranslate, QObject* parent = nullptr);
    ~SettingsViewModel() override;

    [[nodiscard]] QString language() const { return m_language; }
    void setLanguage(const QString& code);
    [[nodiscard]] QStringList languages() const;
    [[nodiscard]] QStringList languageNames() const;
    [[nodiscard]] int languageIndex() const { return static_cast<int>(languages().indexOf(m_language)); }
    [[nodiscard]] bool darkTheme() const { return m_dark; }
    void setDarkTheme(bool dark);

    /// The language to start in: the saved choice, else the system's if it is Chinese, else English.
    [[nodiscard]] static QString initialLanguage(QSettings* settings);

signals:
    void languageChanged();
    void darkThemeChanged();

private:
    void apply(const QString& code);

    QSettings* m_settings;
    std::function<void()> m_retranslate;
    std::unique_ptr<QTranslator> m_translator;
    QString m_language;
    bool m_dark = false;
};

} // namespace wallet::app
