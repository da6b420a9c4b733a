// SPDX-License-Identifier: Apache-2.0
#include "app/gui/CertificatesViewModel.h"

#include "app/gui/ErrorText.h"
#include "app/gui/PurseContext.h"
#include "app/gui/WalletSession.h"
#include "core/bank/BankIssuerHost.h"
#include "core/piv/CertificateService.h"
#include "core/piv/RevocationCheck.h"

#include <QDir>
#include <QFileInfo>
#include <QLocale>
#include <QSaveFile>
#include <QStandardPaths>
#include <QUrl>
#include <QUuid>
#include <QVariantMap>

#include <functional>
#include <memory>
#include <optional>

namespace wallet::app {

namespace {

QString localPath(const QString& path)
{
    const QUrl url(path);
    return url.isLocalFile() ? url.toLocalFile() : path;
}

struct Listing
{
    QVariantList rows;
    QList<QByteArray> certificates;
};

/// The bank's word on a certificate as the page shows it (issue 14): the badge and its detail.
void insertStatus(QVariantMap& row, const core::piv::RevocationStatus& st)
{
    using State = core::piv::RevocationStatus::State;
    using Why = core::piv::RevocationStatus::Why;
    row.insert(QStringLiteral("status"), st.word());
    switch (st.state) {
    case State::Valid:
        row.insert(QStringLiteral("statusText"), CertificatesViewModel::tr("Valid"));
        row.insert(QStringLiteral("statusDetail"),
            CertificatesViewModel::tr("Your bank has not revoked it (checked against its signed revocation list)."));
        return;
    case State::Revoked:
        row.insert(QStringLiteral("statusText"),
            CertificatesViewModel::tr("Revoked on %1")
                .arg(QLocale().toString(st.revokedAt.toLocalTime().date(), QLocale::ShortFormat)));
        row.insert(QStringLiteral("statusDetail"),
            CertificatesViewModel::tr("Your bank revoked this certificate (reason: %1). Payments that need it are "
                                      "refused. Generate a new key pair and apply again.")
                .arg(st.reason));
        return;
    case State::Unknown:
        break;
    }
    row.insert(QStringLiteral("statusText"), CertificatesViewModel::tr("Unknown"));
    QString why;
    switch (st.why) {
    case Why::NoBank:
        why = CertificatesViewModel::tr("No bank host is configured, so the wallet cannot ask whether it was revoked.");
        break;
    case Why::BankUnreachable:
        why = CertificatesViewModel::tr("The bank's revocation list could not be fetched. Refresh later.");
        break;
    case Why::NoIssuer:
        why = CertificatesViewModel::tr("The wallet could not get the certificate of your bank's CA, so it cannot "
                                        "check the revocation list's signature. Refresh later.");
        break;
    case Why::NotIssuer:
        why = CertificatesViewModel::tr("The certificate of the bank's CA that the wallet has or was given did not "
                                        "issue this certificate, so the revocation list cannot be checked. Apply for "
                                        "a certificate again; if this repeats, contact your bank.");
        break;
    case Why::BadSignature:
        why = CertificatesViewModel::tr("The revocation list failed its signature check against the bank's CA: it "
                                        "was altered or does not come from your bank, so the wallet does not "
                                        "believe it.");
        break;
    case Why::BadCrl:
    case Why::Stale:
    case Why::None:
        why = CertificatesViewModel::tr("The bank's revocation list is not usable (%1).").arg(st.explanation);
        break;
    }
    row.insert(QStringLiteral("statusDetail"), why);
}

/// The four slots as the page shows them (runs on the worker thread), each certificate with the bank's word on it
/// from its CRL, fetched once and checked against the cardholder CA certificate kept in the data folder.
core::Result<Listing> listSlots(core::piv::CertificateService& certs, PurseContext& ctx)
{
    auto all = certs.list();
    if (!all) {
        return all.error();
    }
    std::optional<core::piv::RevocationCheck> revocation; // made at the first certificate
    Listing out;
    for (const auto& s : *all) {
        QVariantMap row;
        row.insert(QStringLiteral("slot"), QStringLiteral("%1").arg(s.slot, 2, 16, QLatin1Char('0')).toUpper());
        row.insert(QStringLiteral("hasKey"), s.key.has_value());
        row.insert(QStringLiteral("keyText"),
            s.key ? (s.key->alg == core::piv::kAlgSm2 ? QStringLiteral("SM2") : QStringLiteral("ECC P-256"))
                  : QString());
        if (s.key) {
            const auto touch = static_cast<core::piv::TouchPolicy>(s.key->touchPolicy);
            row.insert(QStringLiteral("touchText"),
                touch == core::piv::TouchPolicy::Always
                    ? CertificatesViewModel::tr("Touch: always (each signature waits for the key's button)")
                    : touch == core::piv::TouchPolicy::Cached
                    ? CertificatesViewModel::tr("Touch: cached, asked every time (the key has no clock)")
                    : CertificatesViewModel::tr("Touch: never"));
        }
        row.insert(QStringLiteral("hasCertificate"), s.details.has_value());
        if (s.details) {
            row.insert(QStringLiteral("subject"), s.details->subject);
            row.insert(QStringLiteral("issuer"), s.details->issuer);
            row.insert(QStringLiteral("validity"),
                QStringLiteral("%1 – %2").arg(s.details->notBefore.toString(QStringLiteral("yyyy-MM-dd")),
                    s.details->notAfter.toString(QStringLiteral("yyyy-MM-dd"))));
            row.insert(QStringLiteral("fingerprint"), s.details->sha256Fingerprint);
            if (!revocation) {
                revocation.emplace(ctx.ensureServices() && ctx.bank() ? &ctx.bank()->client() : nullptr, ctx.dataDir());
            }
            const core::piv::RevocationStatus st = revocation->status(*s.certificate, QDateTime::currentDateTimeUtc());
            insertStatus(row, st);
        }
        out.rows.append(row);
        out.certificates.append(s.certificate.value_or(QByteArray()));
    }
    return out;
}

/// After PIV, the purse is selected again by the next purse operation (PurseContext opens it anew).
core::Result<Listing> onPiv(core::ApduChannel& channel,
    PurseContext& ctx,
    const std::function<core::Result<Listing>(core::piv::CertificateService&)>& body)
{
    core::piv::CertificateService certs(channel);
    auto open = certs.open();
    core::Result<Listing> result = open ? body(certs) : core::Result<Listing>(open.error());
    ctx.forgetKey();
    return result;
}

} // namespace

CertificatesViewModel::CertificatesViewModel(WalletSession& session, QObject* parent)
    : QObject(parent)
    , m_session(session)
{
    m_pin.setSubmitHandler([this](Botan::secure_vector<char> digits) { applyWithPin(std::move(digits)); });
}

std::uint8_t CertificatesViewModel::currentSlot() const
{
    return core::piv::kSlots[static_cast<std::size_t>(qBound(0, m_slotIndex, 3))];
}

void CertificatesViewModel::setTouchAlways(bool on)
{
    if (on != m_touchAlways) {
        m_touchAlways = on;
        emit changed();
    }
}

void CertificatesViewModel::setSlotIndex(int index)
{
    if (index < 0 || index > 3 || index == m_slotIndex) {
        return;
    }
    m_slotIndex = index;
    m_status.clear();
    m_error.clear();
    emit changed();
}

void CertificatesViewModel::finish(const QString& status, const QString& error)
{
    m_busy = false;
    m_status = status;
    m_error = error;
    emit changed();
}

void CertificatesViewModel::refresh()
{
    m_busy = true;
    emit changed();
    m_session.run<Listing>(
        this,
        [](core::ApduChannel& channel, PurseContext& ctx) -> core::Result<Listing> {
            return onPiv(channel, ctx, [&ctx](core::piv::CertificateService& c) { return listSlots(c, ctx); });
        },
        [this](core::Result<Listing> done) {
            if (done) {
                m_rows = done->rows;
                m_certificates = done->certificates;
                finish(m_status, {});
            } else {
                finish({}, ErrorText::describe(done.error()));
            }
        });
}

void CertificatesViewModel::generate()
{
    const std::uint8_t slot = currentSlot();
    const auto touch = m_touchAlways ? core::piv::TouchPolicy::Always : core::piv::TouchPolicy::Never;
    m_busy = true;
    m_status = tr("Generating a key pair on the key…");
    m_error.clear();
    emit changed();
    m_session.run<Listing>(
        this,
        [slot, touch](core::ApduChannel& channel, PurseContext& ctx) -> core::Result<Listing> {
            return onPiv(channel, ctx, [slot, touch, &ctx](core::piv::CertificateService& c) -> core::Result<Listing> {
                auto key = core::piv::CertificateService::managementKeyFromEnvironment();
                if (!key) {
                    return key.error();
                }
                if (auto made = c.generate(slot, core::piv::kAlgP256, *key, touch); !made) {
                    return made.error();
                }
                return listSlots(c, ctx);
            });
        },
        [this](core::Result<Listing> done) {
            if (!done) {
                finish({}, ErrorText::describe(done.error()));
                return;
            }
            m_rows = done->rows;
            m_certificates = done->certificates;
            finish(tr("A new key pair was made on the key. Apply for a certificate next."), {});
        });
}

void CertificatesViewModel::apply()
{
    // The request is signed on the key: the slot's PIN policy (9A once per session, 9C every time) asks for the PIV
    // PIN; the wallet asks for it each time, which both policies accept.
    m_pin.reset();
    m_askingPin = true;
    m_status.clear();
    m_error.clear();
    emit changed();
}

void CertificatesViewModel::cancelPin()
{
    m_pin.reset();
    m_askingPin = false;
    m_status = tr("Cancelled. Nothing was changed.");
    emit changed();
}

void CertificatesViewModel::applyWithPin(Botan::secure_vector<char> digits)
{
    auto pin = std::make_shared<core::SecureBytes>(digits.begin(), digits.end());
    Botan::secure_scrub_memory(digits.data(), digits.size());
    const std::uint8_t slot = currentSlot();
    m_askingPin = false;
    m_busy = true;
    m_status = tr("Applying to your bank for a certificate…");
    m_error.clear();
    emit changed();
    m_session.run<Listing>(
        this,
        [slot, pin](core::ApduChannel& channel, PurseContext& ctx) -> core::Result<Listing> {
            auto purse = ctx.purse(channel);
            if (!purse) {
                return purse.error();
            }
            const QString asn = (*purse)->card().asnHex();
            core::BankIssuerHost* bank = ctx.bank();
            if (!bank) {
                return core::makeError(core::ErrorCode::InvalidState,
                    QStringLiteral("no bank host is configured (bank-client.json in the data folder)"));
            }
            return onPiv(channel, ctx, [&](core::piv::CertificateService& c) -> core::Result<Listing> {
                const core::piv::PinProvider provider = [pin]() -> core::Result<core::SecureBytes> { return *pin; };
                auto csr = c.request(slot, core::piv::CertificateService::defaultSubject(asn), provider);
                std::fill(pin->begin(), pin->end(), 0);
                if (!csr) {
                    return csr.error();
                }
                const QString id
                    = QUuid::createUuidV5(QUuid(QStringLiteral("6f1c8f0e-7d43-4a43-9f4e-63b2b1a0c914")), *csr)
                          .toString(QUuid::WithoutBraces);
                auto issued = core::piv::CertificateService::apply(bank->client(), id, asn, slot, *csr);
                if (!issued) {
                    return issued.error();
                }
                auto key = core::piv::CertificateService::managementKeyFromEnvironment();
                if (!key) {
                    return key.error();
                }
                if (auto stored = c.store(slot, issued->certificate, *key); !stored) {
                    return stored.error();
                }
                // The CA that issued it, kept to check its CRL's signature (the badge on this page).
                (void)core::piv::CertificateService::keepIssuer(ctx.dataDir(), *issued);
                return listSlots(c, ctx);
            });
        },
        [this](core::Result<Listing> done) {
            m_pin.reset();
            if (!done) {
                finish({}, ErrorText::describe(done.error()));
                return;
            }
            m_rows = done->rows;
            m_certificates = done->certificates;
            finish(tr("Your bank issued the certificate. It is stored on the key."), {});
        });
}

void CertificatesViewModel::remove()
{
    const std::uint8_t slot = currentSlot();
    m_busy = true;
    m_status = tr("Deleting the certificate…");
    m_error.clear();
    emit changed();
    m_session.run<Listing>(
        this,
        [slot](core::ApduChannel& channel, PurseContext& ctx) -> core::Result<Listing> {
            return onPiv(channel, ctx, [slot, &ctx](core::piv::CertificateService& c) -> core::Result<Listing> {
                auto key = core::piv::CertificateService::managementKeyFromEnvironment();
                if (!key) {
                    return key.error();
                }
                if (auto removed = c.remove(slot, *key); !removed) {
                    return removed.error();
                }
                return listSlots(c, ctx);
            });
        },
        [this](core::Result<Listing> done) {
            if (!done) {
                finish({}, ErrorText::describe(done.error()));
                return;
            }
            m_rows = done->rows;
            m_certificates = done->certificates;
            finish(tr("The certificate was deleted from the key."), {});
        });
}

bool CertificatesViewModel::fileExists(const QString& path) const
{
    const QString local = localPath(path);
    return !local.trimmed().isEmpty() && QFileInfo::exists(local);
}

QString CertificatesViewModel::nativePath(const QString& path) const
{
    return QDir::toNativeSeparators(localPath(path));
}

QString CertificatesViewModel::suggestedExportPath() const
{
    QString folder = QStandardPaths::writableLocation(QStandardPaths::DocumentsLocation);
    if (folder.isEmpty() || !QFileInfo(folder).isDir()) {
        folder = QDir::homePath();
    }
    const QString slot = QStringLiteral("%1").arg(currentSlot(), 2, 16, QLatin1Char('0'));
    return QDir(folder).filePath(QStringLiteral("smartkey-certificate-%1.pem").arg(slot));
}

void CertificatesViewModel::exportCertificate(const QString& path, bool replace)
{
    const QString local = localPath(path);
    const QByteArray der = m_certificates.value(m_slotIndex);
    if (der.isEmpty()) {
        finish({}, tr("This slot holds no certificate to export."));
        return;
    }
    if (local.trimmed().isEmpty()) {
        finish({}, tr("Choose a file to export to."));
        return;
    }
    if (!replace && QFileInfo::exists(local)) {
        // Never replaced without asking: the page asks, then calls again with replace (as the history export).
        finish({}, tr("%1 already exists. Nothing was exported.").arg(QDir::toNativeSeparators(local)));
        return;
    }
    QSaveFile f(local);
    const QByteArray pem = core::x509::toPem(der, "CERTIFICATE");
    if (!f.open(QIODevice::WriteOnly) || f.write(pem) != pem.size() || !f.commit()) {
        finish({}, tr("Could not write %1. Choose another folder.").arg(QDir::toNativeSeparators(local)));
        return;
    }
    finish(tr("The certificate was exported to %1.").arg(QDir::toNativeSeparators(local)), {});
}

} // namespace wallet::app
