// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "app/gui/CertificatesViewModel.h"
#include "app/gui/ChangePinViewModel.h"
#include "app/gui/DiagnosticsViewModel.h"
#include "app/gui/HistoryViewModel.h"
#include "app/gui/KeyViewModel.h"
#include "app/gui/LoadViewModel.h"
#include "app/gui/OverviewViewModel.h"
#include "app/gui/PinViewModel.h"
#include "app/gui/PurchaseViewModel.h"
#include "app/gui/SettingsViewModel.h"

#include <QObject>
#include <QtQml/qqmlregistration.h>

namespace wallet::app {

/**
 * @brief The root the window receives as its required property `app`: the page view models and navigation.
 * Navigation lives here (not only in QML) so that keyboard shortcuts, the self-test and the screenshot tour all go
 * through the same path.
 */
class AppViewModel : public QObject
{
    Q_OBJECT
    QML_ELEMENT
    QML_UNCREATABLE("Created by the wallet")

    Q_PROPERTY(wallet::app::KeyViewModel* key READ key CONSTANT)
    Q_PROPERTY(wallet::app::PinViewModel* pin READ pin CONSTANT)
    Q_PROPERTY(wallet::app::OverviewViewModel* overview READ overview CONSTANT)
    Q_PROPERTY(wallet::app::LoadViewModel* load READ load CONSTANT)
    Q_PROPERTY(wallet::app::PurchaseViewModel* purchase READ purchase CONSTANT)
    Q_PROPERTY(wallet::app::HistoryViewModel* history READ history CONSTANT)
    Q_PROPERTY(wallet::app::SettingsViewModel* settings READ settings CONSTANT)
    Q_PROPERTY(wallet::app::DiagnosticsViewModel* diagnostics READ diagnostics CONSTANT)
    Q_PROPERTY(wallet::app::ChangePinViewModel* changePin READ changePin CONSTANT)
    Q_PROPERTY(wallet::app::CertificatesViewModel* certificates READ certificates CONSTANT)
    /// The page on screen.
    Q_PROPERTY(Page page READ page WRITE setPage NOTIFY pageChanged)
    /// True when the purse pages can be used (a key is ready and the PIN, if needed, was entered).
    Q_PROPERTY(bool unlocked READ unlocked NOTIFY unlockedChanged)
    /// Where loads go, shown (translated by the QML, so a language switch changes it too) in the simulated-key
    /// banner: "local" (the wallet's own local bank host, in bankFolder), "configured" (a bank host from
    /// bank-client.json) or "demo-issuer" (the in-process demo issuer, tests only).
    Q_PROPERTY(QString bankMode READ bankMode CONSTANT)
    /// The local bank host's folder, native separators ("local" mode only).
    Q_PROPERTY(QString bankFolder READ bankFolder CONSTANT)

public:
    enum class Page : std::uint8_t { Key, Pin, Overview, Load, Purchase, History, Settings, About, Certificates };
    Q_ENUM(Page)

    struct Parts
    {
        KeyViewModel* key = nullptr;
        PinViewModel* pin = nullptr;
        OverviewViewModel* overview = nullptr;
        LoadViewModel* load = nullptr;
        PurchaseViewModel* purchase = nullptr;
        HistoryViewModel* history = nullptr;
        SettingsViewModel* settings = nullptr;
        DiagnosticsViewModel* diagnostics = nullptr;
        ChangePinViewModel* changePin = nullptr;
        CertificatesViewModel* certificates = nullptr;
        QString bankMode;
        QString bankFolder;
    };

    explicit AppViewModel(Parts parts, QObject* parent = nullptr);

    [[nodiscard]] KeyViewModel* key() const { return m_parts.key; }
    [[nodiscard]] PinViewModel* pin() const { return m_parts.pin; }
    [[nodiscard]] OverviewViewModel* overview() const { return m_parts.overview; }
    [[nodiscard]] LoadViewModel* load() const { return m_parts.load; }
    [[nodiscard]] PurchaseViewModel* purchase() const { return m_parts.purchase; }
    [[nodiscard]] HistoryViewModel* history() const { return m_parts.history; }
    [[nodiscard]] SettingsViewModel* settings() const { return m_parts.settings; }
    [[nodiscard]] DiagnosticsViewModel* diagnostics() const { return m_parts.diagnostics; }
    [[nodiscard]] ChangePinViewModel* changePin() const { return m_parts.changePin; }
    [[nodiscard]] CertificatesViewModel* certificates() const { return m_parts.certificates; }
    [[nodiscard]] Page page() const { return m_page; }
    void setPage(Page page);
    [[nodiscard]] bool unlocked() const { return m_unlocked; }
    [[nodiscard]] QString bankMode() const { return m_parts.bankMode; }
    [[nodiscard]] QString bankFolder() const { return m_parts.bankFolder; }
    void setUnlocked(bool unlocked);

    /// Goes to `page`; purse pages need an unlocked key, otherwise the key or PIN page is shown instead.
    Q_INVOKABLE void navigate(wallet::app::AppViewModel::Page page);

signals:
    void pageChanged();
    void unlockedChanged();

private:
    Parts m_parts;
    Page m_page = Page::Key;
    bool m_unlocked = false;
};

} // namespace wallet::app
