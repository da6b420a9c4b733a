// SPDX-License-Identifier: Apache-2.0
#include "device/PcscApduChannel.h"

#include <PCSC/winscard.h>
#include <PCSC/wintypes.h>

#include <QLoggingCategory>

namespace wallet::device {
namespace {

Q_LOGGING_CATEGORY(lcPcsc, "wallet.pcsc")

core::Error pcscError(core::ErrorCode code, const QString& what, LONG rv)
{
    return core::Error{code,
        0,
        QStringLiteral("%1: %2 (0x%3)")
            .arg(what, QString::fromLatin1(pcsc_stringify_error(rv)))
            .arg(static_cast<quint32>(rv), 8, 16, QLatin1Char('0')),
        -1};
}

SCARDCONTEXT ctx(std::intptr_t v)
{
    return static_cast<SCARDCONTEXT>(v);
}

core::Result<QStringList> listReaders(SCARDCONTEXT context)
{
    DWORD size = 0;
    LONG rv = SCardListReaders(context, nullptr, nullptr, &size);
    if (rv == SCARD_E_NO_READERS_AVAILABLE) {
        return QStringList{};
    }
    if (rv != SCARD_S_SUCCESS) {
        return pcscError(core::ErrorCode::NoDevice, QStringLiteral("PC/SC: cannot list the readers"), rv);
    }
    QByteArray names(static_cast<int>(size), '\0');
    rv = SCardListReaders(context, nullptr, names.data(), &size);
    if (rv != SCARD_S_SUCCESS) {
        return pcscError(core::ErrorCode::NoDevice, QStringLiteral("PC/SC: cannot list the readers"), rv);
    }
    QStringList out;
    for (const QByteArray& n : names.split('\0')) {
        if (!n.isEmpty()) {
            out << QString::fromUtf8(n);
        }
    }
    return out;
}

} // namespace

using core::Result;

PcscApduChannel::~PcscApduChannel()
{
    if (m_connected) {
        SCardDisconnect(static_cast<SCARDHANDLE>(m_card), SCARD_LEAVE_CARD);
    }
    if (m_hasContext) {
        SCardReleaseContext(ctx(m_context));
    }
}

Result<QStringList> PcscApduChannel::readers()
{
    SCARDCONTEXT context = 0;
    const LONG rv = SCardEstablishContext(SCARD_SCOPE_SYSTEM, nullptr, nullptr, &context);
    if (rv != SCARD_S_SUCCESS) {
        return pcscError(core::ErrorCode::NoDevice, QStringLiteral("PC/SC: no service (is pcscd running?)"), rv);
    }
    auto list = listReaders(context);
    SCardReleaseContext(context);
    return list;
}

Result<std::unique_ptr<PcscApduChannel>> PcscApduChannel::open(const QString& reader)
{
    std::unique_ptr<PcscApduChannel> ch(new PcscApduChannel);
    SCARDCONTEXT context = 0;
    const LONG rv = SCardEstablishContext(SCARD_SCOPE_SYSTEM, nullptr, nullptr, &context);
    if (rv != SCARD_S_SUCCESS) {
        return pcscError(core::ErrorCode::NoDevice, QStringLiteral("PC/SC: no service (is pcscd running?)"), rv);
    }
    ch->m_context = static_cast<std::intptr_t>(context);
    ch->m_hasContext = true;
    auto names = listReaders(context);
    if (!names) {
        return names.error();
    }
    QStringList matches;
    for (const QString& n : *names) {
        if (n == reader) {
            matches = QStringList{n};
            break;
        }
        if (n.contains(reader)) {
            matches << n;
        }
    }
    if (matches.size() != 1) {
        return core::makeError(core::ErrorCode::NoDevice,
            QStringLiteral("PC/SC: %1 reader named like \"%2\" (readers: %3)")
                .arg(matches.isEmpty() ? QStringLiteral("no") : QStringLiteral("more than one"),
                    reader,
                    names->isEmpty() ? QStringLiteral("none") : names->join(QStringLiteral(", "))));
    }
    ch->m_reader = matches.front();
    if (auto c = ch->connect(); !c) {
        return c.error();
    }
    return ch;
}

Result<void> PcscApduChannel::connect()
{
    if (m_connected) {
        SCardDisconnect(static_cast<SCARDHANDLE>(m_card), SCARD_LEAVE_CARD);
        m_connected = false;
    }
    SCARDHANDLE card = 0;
    DWORD protocol = 0;
    const QByteArray name = m_reader.toUtf8();
    const LONG rv = SCardConnect(
        ctx(m_context), name.constData(), SCARD_SHARE_SHARED, SCARD_PROTOCOL_T0 | SCARD_PROTOCOL_T1, &card, &protocol);
    if (rv != SCARD_S_SUCCESS) {
        return pcscError(core::ErrorCode::NoDevice, QStringLiteral("PC/SC: no card in \"%1\"").arg(m_reader), rv);
    }
    m_card = static_cast<std::intptr_t>(card);
    m_protocol = protocol;
    m_connected = true;
    return {};
}

Result<core::ResponseApdu> PcscApduChannel::transmit(const core::CommandApdu& command)
{
    if (!m_connected) {
        if (auto c = connect(); !c) {
            return c.error();
        }
    }
    qCDebug(lcPcsc) << m_reader << ">>" << command.toLogString();
    const QByteArray raw = command.encode();
    QByteArray out(65538, '\0'); // the longest extended response (65,536 + SW), on the heap
    LONG rv = SCARD_S_SUCCESS;
    DWORD outLen = 0;
    for (int attempt = 0; attempt < 2; ++attempt) {
        outLen = static_cast<DWORD>(out.size());
        const SCARD_IO_REQUEST* pci = m_protocol == SCARD_PROTOCOL_T0 ? SCARD_PCI_T0 : SCARD_PCI_T1;
        rv = SCardTransmit(static_cast<SCARDHANDLE>(m_card),
            pci,
            reinterpret_cast<const unsigned char*>(raw.constData()),
            static_cast<DWORD>(raw.size()),
            nullptr,
            reinterpret_cast<unsigned char*>(out.data()),
            &outLen);
        if (rv != SCARD_W_RESET_CARD && rv != SCARD_W_REMOVED_CARD && rv != SCARD_E_NO_SMARTCARD) {
            break;
        }
        // The card was reset or re-inserted since the last command: reconnect once. The PSAM's volatile state is
        // gone (CardPsam selects before every command), its NVM state is not.
        if (auto c = connect(); !c) {
            return core::makeError(core::ErrorCode::Disconnected, c.error().detail);
        }
    }
    if (rv != SCARD_S_SUCCESS) {
        m_connected = false;
        return pcscError(core::ErrorCode::Disconnected, QStringLiteral("PC/SC transmit to \"%1\"").arg(m_reader), rv);
    }
    if (outLen < 2) {
        // vpcd (and readers) answer nothing when the card left mid-command: a lost card, not a malformed answer.
        m_connected = false;
        return core::makeError(core::ErrorCode::Disconnected,
            QStringLiteral("PC/SC: no answer from the card in \"%1\" (removed?)").arg(m_reader));
    }
    auto response = core::ResponseApdu::parse(out.left(static_cast<int>(outLen)));
    if (!response) {
        return core::makeError(core::ErrorCode::ProtocolError, QStringLiteral("PC/SC: a response without SW1 SW2"));
    }
    return *response;
}

QString PcscApduChannel::description() const
{
    return QStringLiteral("PC/SC reader \"%1\"").arg(m_reader);
}

} // namespace wallet::device
