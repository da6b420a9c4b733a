// SPDX-License-Identifier: Apache-2.0
// walletctl cert …: the key's PIV certificates (issue 14, docs/piv.md "The wallet's certificates").
#include "CliApp.h"
#include "PinReader.h"

#include "core/bank/BankIssuerHost.h"
#include "core/piv/CertificateService.h"
#include "core/piv/RevocationCheck.h"

#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QSaveFile>
#include <QUuid>

#include <optional>

namespace wallet::app::cli {

namespace {

QString slotText(std::uint8_t slot)
{
    return QStringLiteral("%1").arg(slot, 2, 16, QLatin1Char('0'));
}

QString dateText(const QDateTime& t)
{
    return t.toUTC().toString(Qt::ISODate);
}

QJsonObject detailsJson(const core::piv::CertificateDetails& d)
{
    return {{QStringLiteral("subject"), d.subject},
        {QStringLiteral("issuer"), d.issuer},
        {QStringLiteral("notBefore"), dateText(d.notBefore)},
        {QStringLiteral("notAfter"), dateText(d.notAfter)},
        {QStringLiteral("serial"), d.serialHex},
        {QStringLiteral("sha256"), d.sha256Fingerprint}};
}

QString detailsText(const core::piv::CertificateDetails& d)
{
    return QStringLiteral("  subject:  %1\n  issuer:   %2\n  valid:    %3 to %4\n  serial:   %5\n  SHA-256:  %6")
        .arg(d.subject, d.issuer, dateText(d.notBefore), dateText(d.notAfter), d.serialHex, d.sha256Fingerprint);
}

/// PEM or DER from a file.
core::Result<QByteArray> readCertificateFile(const QString& path)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly)) {
        return core::makeError(core::ErrorCode::InvalidInput, QStringLiteral("cannot read %1").arg(path));
    }
    const QByteArray all = f.readAll();
    const QByteArray begin = QByteArrayLiteral("-----BEGIN CERTIFICATE-----");
    const auto at = all.indexOf(begin);
    if (at < 0) {
        return all;
    }
    const auto end = all.indexOf("-----END CERTIFICATE-----", at);
    if (end < 0) {
        return core::makeError(core::ErrorCode::InvalidInput, QStringLiteral("%1: unterminated PEM").arg(path));
    }
    return QByteArray::fromBase64(all.mid(at + begin.size(), end - at - begin.size()).trimmed());
}

/// Writes `data` to `path`, never over an existing file unless `replace` (the history export's rule).
core::Result<void> writeNew(const QString& path, const QByteArray& data, bool replace)
{
    if (!replace && QFileInfo::exists(path)) {
        return core::makeError(core::ErrorCode::InvalidInput,
            QStringLiteral("%1 already exists; nothing was written (add --replace to replace it)").arg(path));
    }
    QSaveFile f(path);
    if (!f.open(QIODevice::WriteOnly) || f.write(data) != data.size() || !f.commit()) {
        return core::makeError(core::ErrorCode::StorageError, QStringLiteral("cannot write %1").arg(path));
    }
    return {};
}

} // namespace

core::Result<core::SecureBytes> CliApp::pivManagementKey()
{
    bool isDefault = false;
    auto key = core::piv::CertificateService::managementKeyFromEnvironment(&isDefault);
    if (key && isDefault) {
        notice(QStringLiteral("Note: using the PIV development default management key (set SKEY_PIV_MANAGEMENT_KEY "
                              "for a key your bank personalised)."));
    }
    return key;
}

int CliApp::cmdCert(const QStringList& args)
{
    const QString sub = args.value(0);
    const QStringList known{QStringLiteral("list"),
        QStringLiteral("show"),
        QStringLiteral("generate"),
        QStringLiteral("request"),
        QStringLiteral("apply"),
        QStringLiteral("import"),
        QStringLiteral("delete")};
    const bool needsFile = sub == QStringLiteral("import");
    if (!known.contains(sub) || args.size() != (needsFile ? 2 : 1)) {
        return fail(core::makeError(core::ErrorCode::InvalidInput,
            QStringLiteral("usage: walletctl cert list | show | generate | request | apply | import FILE | delete "
                           "[--slot 9a|9c|9d|9e]")));
    }
    const auto slot = core::piv::parseSlot(m_cert.slot.isEmpty() ? QStringLiteral("9a") : m_cert.slot);
    if (!slot) {
        return fail(core::makeError(core::ErrorCode::InvalidInput, QStringLiteral("--slot: 9a, 9c, 9d or 9e")));
    }
    // request and apply put the purse's ASN into the subject: the purse is opened first (PurseService), then PIV
    // is selected on the same channel.
    const bool needPurse = sub == QStringLiteral("request") || sub == QStringLiteral("apply");
    if (needPurse) {
        if (auto r = openPurse(false); !r) {
            return fail(r.error());
        }
    } else {
        auto channel = openChannel();
        if (!channel) {
            return fail(channel.error());
        }
        m_channel = std::move(*channel);
    }
    core::piv::CertificateService certs(*m_channel);
    if (auto o = certs.open(); !o) {
        return fail(o.error());
    }
    // Issue 14: list and show say whether the bank revoked a certificate, from its CRL, when a bank host is
    // configured ("status": valid / revoked / unknown when the bank cannot be asked).
    const bool viewing = sub == QStringLiteral("list") || sub == QStringLiteral("show");
    if (viewing && !m_bank) {
        (void)openRoles(false, false);
    }
    // The CRL is fetched once per command and believed only when its signature verifies with the cardholder CA
    // certificate kept in the data folder, fetched from the bank and pinned when none is kept (RevocationCheck).
    core::piv::RevocationCheck revocation(m_bank ? &m_bank->client() : nullptr, m_dataDir);
    const auto status = [&](const QByteArray& der) -> core::piv::RevocationStatus {
        const core::piv::RevocationStatus st = revocation.status(der, QDateTime::currentDateTimeUtc());
        if (m_bank && st.state == core::piv::RevocationStatus::State::Unknown) {
            notice(QStringLiteral("Could not check revocation: %1").arg(st.explanation));
        }
        return st;
    };
    const auto statusJson = [](QJsonObject& json, const core::piv::RevocationStatus& st) {
        json.insert(QStringLiteral("status"), st.word());
        if (st.state == core::piv::RevocationStatus::State::Revoked) {
            json.insert(QStringLiteral("revokedAt"), dateText(st.revokedAt));
            json.insert(QStringLiteral("revocationReason"), st.reason);
        } else if (st.state == core::piv::RevocationStatus::State::Unknown) {
            json.insert(QStringLiteral("statusExplanation"), st.explanation);
        }
    };
    const auto statusText = [](const core::piv::RevocationStatus& st) {
        if (st.state == core::piv::RevocationStatus::State::Revoked) {
            return QStringLiteral("REVOKED by the bank on %1 (%2)").arg(dateText(st.revokedAt), st.reason);
        }
        return st.state == core::piv::RevocationStatus::State::Unknown
            ? QStringLiteral("unknown (%1)").arg(st.explanation)
            : st.word();
    };
    if (sub == QStringLiteral("list")) {
        auto all = certs.list();
        if (!all) {
            return fail(all.error());
        }
        QJsonArray rows;
        QStringList lines;
        for (const auto& s : *all) {
            QJsonObject row{{QStringLiteral("slot"), slotText(s.slot)},
                {QStringLiteral("key"), s.key ? QString::fromLatin1(core::piv::curveName(s.key->alg)) : QString()}};
            if (s.key) {
                row.insert(QStringLiteral("touchPolicy"), core::piv::touchPolicyText(s.key->touchPolicy));
            }
            QString line = QStringLiteral("%1  %2").arg(slotText(s.slot),
                s.key ? QString::fromLatin1(core::piv::curveName(s.key->alg)) + QStringLiteral(" (touch ")
                        + core::piv::touchPolicyText(s.key->touchPolicy) + QLatin1Char(')')
                      : QStringLiteral("no key"));
            if (s.details) {
                QJsonObject details = detailsJson(*s.details);
                const auto st = status(*s.certificate);
                statusJson(details, st);
                row.insert(QStringLiteral("certificate"), details);
                line += QStringLiteral("  %1 (issuer %2, until %3)%4")
                            .arg(s.details->subject,
                                s.details->issuer,
                                dateText(s.details->notAfter),
                                st.state == core::piv::RevocationStatus::State::Revoked
                                    ? QStringLiteral("  ") + statusText(st)
                                    : QString());
            } else if (s.certificate) {
                line += QStringLiteral("  (a certificate that does not parse)");
            }
            rows.append(row);
            lines.append(line);
        }
        emitResult({{QStringLiteral("slots"), rows}}, lines.join(QLatin1Char('\n')));
        return 0;
    }
    if (sub == QStringLiteral("show")) {
        auto s = certs.slot(*slot);
        if (!s) {
            return fail(s.error());
        }
        if (!s->certificate || !s->details) {
            return fail(core::makeError(
                core::ErrorCode::NotFound, QStringLiteral("slot %1 holds no certificate").arg(slotText(*slot))));
        }
        if (!m_cert.out.isEmpty()) {
            if (auto w = writeNew(m_cert.out, core::x509::toPem(*s->certificate, "CERTIFICATE"), m_cert.replace); !w) {
                return fail(w.error());
            }
        }
        QJsonObject json = detailsJson(*s->details);
        json.insert(QStringLiteral("slot"), slotText(*slot));
        const auto st = status(*s->certificate);
        statusJson(json, st);
        const QString touch = s->key ? core::piv::touchPolicyText(s->key->touchPolicy) : QStringLiteral("never");
        json.insert(QStringLiteral("touchPolicy"), touch);
        if (!m_cert.out.isEmpty()) {
            json.insert(QStringLiteral("file"), m_cert.out);
        }
        emitResult(json,
            QStringLiteral("Slot %1:\n%2\n  touch:    %3\n  status:   %4%5")
                .arg(slotText(*slot),
                    detailsText(*s->details),
                    touch,
                    statusText(st),
                    m_cert.out.isEmpty() ? QString()
                                         : QStringLiteral("\nExported the certificate to %1.").arg(m_cert.out)));
        return 0;
    }
    if (sub == QStringLiteral("generate")) {
        std::uint8_t alg = core::piv::kAlgP256;
        if (m_cert.alg == QStringLiteral("sm2")) {
            alg = core::piv::kAlgSm2;
        } else if (!m_cert.alg.isEmpty() && m_cert.alg != QStringLiteral("p256")) {
            return fail(core::makeError(core::ErrorCode::InvalidInput, QStringLiteral("--alg: p256 or sm2")));
        }
        std::optional<core::piv::TouchPolicy> touch = core::piv::TouchPolicy::Default;
        if (!m_cert.touch.isEmpty()) {
            touch = core::piv::parseTouchPolicy(m_cert.touch);
            if (!touch) {
                return fail(
                    core::makeError(core::ErrorCode::InvalidInput, QStringLiteral("--touch: never, always or cached")));
            }
        }
        auto existing = certs.slot(*slot);
        if (!existing) {
            return fail(existing.error());
        }
        if (existing->key && !m_yes) {
            return fail(core::makeError(core::ErrorCode::InvalidInput,
                QStringLiteral("slot %1 already holds a key pair%2: a new one replaces it for good; add --yes")
                    .arg(slotText(*slot), existing->certificate ? QStringLiteral(" and a certificate") : QString())));
        }
        auto mk = pivManagementKey();
        if (!mk) {
            return fail(mk.error());
        }
        auto point = certs.generate(*slot, alg, *mk, *touch);
        if (!point) {
            return fail(point.error());
        }
        const QString touchText = core::piv::touchPolicyText(static_cast<std::uint8_t>(*touch));
        emitResult({{QStringLiteral("slot"), slotText(*slot)},
                       {QStringLiteral("key"), QString::fromLatin1(core::piv::curveName(alg))},
                       {QStringLiteral("touchPolicy"), touchText},
                       {QStringLiteral("publicKey"), QString::fromLatin1(point->toHex())}},
            QStringLiteral("Generated a %1 key pair in slot %2 (public point %3…), touch policy %4.")
                .arg(QString::fromLatin1(core::piv::curveName(alg)),
                    slotText(*slot),
                    QString::fromLatin1(point->left(9).toHex()),
                    touchText));
        return 0;
    }
    if (sub == QStringLiteral("delete")) {
        auto existing = certs.slot(*slot);
        if (!existing) {
            return fail(existing.error());
        }
        if (!existing->certificate) {
            return fail(core::makeError(
                core::ErrorCode::NotFound, QStringLiteral("slot %1 holds no certificate").arg(slotText(*slot))));
        }
        if (!m_yes) {
            if (!stdinIsTerminal()) {
                return fail(core::makeError(core::ErrorCode::InvalidInput,
                    QStringLiteral("deleting a certificate needs a confirmation: add --yes")));
            }
            if (askLine(QStringLiteral("Delete the certificate in slot %1? Type \"yes\": ").arg(slotText(*slot)))
                != QStringLiteral("yes")) {
                return fail(core::makeError(core::ErrorCode::Cancelled, QStringLiteral("nothing was deleted")));
            }
        }
        auto mk = pivManagementKey();
        if (!mk) {
            return fail(mk.error());
        }
        if (auto d = certs.remove(*slot, *mk); !d) {
            return fail(d.error());
        }
        emitResult({{QStringLiteral("slot"), slotText(*slot)}, {QStringLiteral("deleted"), true}},
            QStringLiteral("Deleted the certificate in slot %1.").arg(slotText(*slot)));
        return 0;
    }
    if (sub == QStringLiteral("import")) {
        auto der = readCertificateFile(args[1]);
        if (!der) {
            return fail(der.error());
        }
        auto mk = pivManagementKey();
        if (!mk) {
            return fail(mk.error());
        }
        if (auto w = certs.store(*slot, *der, *mk); !w) {
            return fail(w.error());
        }
        auto d = core::piv::describeCertificate(*der);
        emitResult(QJsonObject{{QStringLiteral("slot"), slotText(*slot)},
                       {QStringLiteral("stored"), true},
                       {QStringLiteral("certificate"), d ? detailsJson(*d) : QJsonObject()}},
            QStringLiteral("Stored the certificate in slot %1.").arg(slotText(*slot)));
        return 0;
    }
    // request / apply: a certificate request signed on the key.
    const QString asn = m_purse->card().asnHex();
    const core::piv::PinProvider pin = [] { return readSecretLine(QStringLiteral("PIV PIN: ")); };
    auto csr = certs.request(*slot, core::piv::CertificateService::defaultSubject(asn), pin);
    if (!csr) {
        return fail(csr.error());
    }
    if (sub == QStringLiteral("request")) {
        const QByteArray pem = core::x509::toPem(*csr, "CERTIFICATE REQUEST");
        if (m_cert.out.isEmpty()) {
            emitResult({{QStringLiteral("slot"), slotText(*slot)}, {QStringLiteral("csr"), QString::fromLatin1(pem)}},
                QString::fromLatin1(pem).trimmed());
            return 0;
        }
        if (auto w = writeNew(m_cert.out, pem, m_cert.replace); !w) {
            return fail(w.error());
        }
        emitResult({{QStringLiteral("slot"), slotText(*slot)}, {QStringLiteral("file"), m_cert.out}},
            QStringLiteral("Wrote the certificate request for slot %1 to %2.").arg(slotText(*slot), m_cert.out));
        return 0;
    }
    // apply: to the bank's CA, then stored on the key.
    if (!m_bank) {
        return fail(core::makeError(core::ErrorCode::InvalidInput,
            QStringLiteral("applying for a certificate needs the bank host: --bank-config FILE or "
                           "DATA-DIR/bank-client.json")));
    }
    // The request id is derived from the request itself (a name-based UUID of its SHA-256): sending the same request
    // again, after an answer was lost, is the same application and the bank answers its first certificate.
    const QString requestId = QUuid::createUuidV5(QUuid(QStringLiteral("6f1c8f0e-7d43-4a43-9f4e-63b2b1a0c914")), *csr)
                                  .toString(QUuid::WithoutBraces);
    auto issued = core::piv::CertificateService::apply(m_bank->client(), requestId, asn, *slot, *csr);
    if (!issued) {
        return fail(issued.error());
    }
    auto mk = pivManagementKey();
    if (!mk) {
        return fail(mk.error());
    }
    if (auto w = certs.store(*slot, issued->certificate, *mk); !w) {
        return fail(w.error());
    }
    // The CA that issued it, kept to check the signature of its CRL later (cert list / show).
    if (auto kept = core::piv::CertificateService::keepIssuer(m_dataDir, *issued); !kept) {
        notice(QStringLiteral("The cardholder CA certificate was not kept: %1").arg(kept.error().detail));
    }
    auto d = core::piv::describeCertificate(issued->certificate);
    if (!d) {
        return fail(d.error());
    }
    if (!m_cert.out.isEmpty()) {
        QByteArray pem = core::x509::toPem(issued->certificate, "CERTIFICATE");
        for (const auto& c : issued->chain) {
            pem += core::x509::toPem(c, "CERTIFICATE");
        }
        if (auto w = writeNew(m_cert.out, pem, m_cert.replace); !w) {
            return fail(w.error());
        }
    }
    QJsonObject json = detailsJson(*d);
    json.insert(QStringLiteral("slot"), slotText(*slot));
    json.insert(QStringLiteral("requestId"), requestId);
    json.insert(QStringLiteral("replayed"), issued->replayed);
    emitResult(json,
        QStringLiteral("The bank issued a certificate, stored in slot %1:\n%2").arg(slotText(*slot), detailsText(*d)));
    return 0;
}

} // namespace wallet::app::cli
