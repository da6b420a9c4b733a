// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "app/gui/PinViewModel.h"

#include <QObject>
#include <QString>
#include <QVariantList>
#include <QtQml/qqmlregistration.h>

namespace wallet::app {

class WalletSession;

/**
 * @brief The Certificates page (issue 14, docs/app.md "Certificates"): the key's four PIV slots, and for the chosen
 * slot generate → apply (a request signed on the key, sent to the bank host's CA) → store on the key → export → delete.
 * Every key operation runs on the worker thread through core/piv/CertificateService, the code walletctl uses. The
 * PIV PIN is asked on the keypad (`pin`) when the slot's policy needs it; its digits never reach QML.
 */
class CertificatesViewModel : public QObject
{
    Q_OBJECT
    QML_ELEMENT
    QML_UNCREATABLE("Created by the wallet")

    /// One map per slot: slot, keyText, hasKey, touchText, hasCertificate, subject, issuer, validity, fingerprint,
    /// and the bank's word on the certificate (issue 14): status (valid / revoked / unknown), statusText (the badge)
    /// and statusDetail (the revocation date and reason, or why it is unknown).
    Q_PROPERTY(QVariantList slotRows READ slotRows NOTIFY changed)
    Q_PROPERTY(int slotIndex READ slotIndex WRITE setSlotIndex NOTIFY changed)
    Q_PROPERTY(bool busy READ busy NOTIFY changed)
    Q_PROPERTY(bool askingPin READ askingPin NOTIFY changed)
    Q_PROPERTY(QString statusText READ statusText NOTIFY changed)
    Q_PROPERTY(QString errorText READ errorText NOTIFY changed)
    Q_PROPERTY(wallet::app::PinViewModel* pin READ pin CONSTANT)
    /// Generate sets the touch policy "always" (every signature waits for the key's button) instead of "never".
    Q_PROPERTY(bool touchAlways READ touchAlways WRITE setTouchAlways NOTIFY changed)

public:
    explicit CertificatesViewModel(WalletSession& session, QObject* parent = nullptr);

    [[nodiscard]] QVariantList slotRows() const { return m_rows; }
    [[nodiscard]] int slotIndex() const { return m_slotIndex; }
    void setSlotIndex(int index);
    [[nodiscard]] bool busy() const { return m_busy; }
    [[nodiscard]] bool askingPin() const { return m_askingPin; }
    [[nodiscard]] QString statusText() const { return m_status; }
    [[nodiscard]] QString errorText() const { return m_error; }
    [[nodiscard]] PinViewModel* pin() { return &m_pin; }
    [[nodiscard]] bool touchAlways() const { return m_touchAlways; }
    void setTouchAlways(bool on);

    Q_INVOKABLE void refresh();
    /// A new P-256 key pair in the chosen slot (replaces the one there and its certificate).
    Q_INVOKABLE void generate();
    /// Request, apply to the bank's CA, store on the key: asks for the PIV PIN first.
    Q_INVOKABLE void apply();
    Q_INVOKABLE void cancelPin();
    /// Deletes the chosen slot's certificate.
    Q_INVOKABLE void remove();
    /// Writes the chosen slot's certificate (PEM) to `path` (a URL or a path); never over a file unless `replace`.
    Q_INVOKABLE void exportCertificate(const QString& path, bool replace = false);
    Q_INVOKABLE bool fileExists(const QString& path) const;
    Q_INVOKABLE QString nativePath(const QString& path) const;
    Q_INVOKABLE QString suggestedExportPath() const;

signals:
    void changed();

private:
    void applyWithPin(Botan::secure_vector<char> digits);
    void finish(const QString& status, const QString& error);
    [[nodiscard]] std::uint8_t currentSlot() const;

    WalletSession& m_session;
    PinViewModel m_pin;
    QVariantList m_rows;
    QList<QByteArray> m_certificates; ///< DER per slot (empty: none), for export
    int m_slotIndex = 0;
    bool m_busy = false;
    bool m_askingPin = false;
    bool m_touchAlways = false;
    QString m_status;
    QString m_error;
};

} // namespace wallet::app
