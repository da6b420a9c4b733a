// SPDX-License-Identifier: Apache-2.0
// Test support: a core::ApduChannel over PC/SC (libpcsclite), so the core's purse flows can run against the
// simulator through pcscd + vpcd exactly as any PC/SC terminal would.
#pragma once

#include "core/channel/ApduChannel.h"

#include <PCSC/winscard.h>
#include <PCSC/wintypes.h>

#include <QThread>

class PcscChannel final : public wallet::core::ApduChannel
{
public:
    ~PcscChannel() override { close(); }

    /// Connects to the first reader whose name contains `readerPart` holding a card; waits up to `timeoutMs`.
    QString open(const QByteArray& readerPart, int timeoutMs = 10000)
    {
        if (SCardEstablishContext(SCARD_SCOPE_SYSTEM, nullptr, nullptr, &m_context) != SCARD_S_SUCCESS) {
            return QStringLiteral("SCardEstablishContext failed (is pcscd running?)");
        }
        m_hasContext = true;
        for (int waited = 0; waited < timeoutMs; waited += 100) {
            DWORD size = 0;
            if (SCardListReaders(m_context, nullptr, nullptr, &size) == SCARD_S_SUCCESS && size > 0) {
                QByteArray names(static_cast<int>(size), 0);
                if (SCardListReaders(m_context, nullptr, names.data(), &size) == SCARD_S_SUCCESS) {
                    for (const QByteArray& name : names.split('\0')) {
                        if (!name.contains(readerPart)) {
                            continue;
                        }
                        DWORD proto = 0;
                        if (SCardConnect(
                                m_context, name.constData(), SCARD_SHARE_SHARED, SCARD_PROTOCOL_T1, &m_card, &proto)
                            == SCARD_S_SUCCESS) {
                            m_connected = true;
                            m_reader = QString::fromLatin1(name);
                            return {};
                        }
                    }
                }
            }
            QThread::msleep(100);
        }
        return QStringLiteral("no card in a reader named like '%1'").arg(QString::fromLatin1(readerPart));
    }
    void close()
    {
        if (m_connected) {
            SCardDisconnect(m_card, SCARD_LEAVE_CARD);
            m_connected = false;
        }
        if (m_hasContext) {
            SCardReleaseContext(m_context);
            m_hasContext = false;
        }
    }
    wallet::core::Result<wallet::core::ResponseApdu> transmit(const wallet::core::CommandApdu& command) override
    {
        auto raw = transmitRaw(command.encode());
        if (!raw) {
            return raw.error();
        }
        return *wallet::core::ResponseApdu::parse(raw.value());
    }
    wallet::core::Result<QByteArray> transmitRaw(const QByteArray& apdu)
    {
        unsigned char out[4096];
        DWORD outLen = sizeof out;
        const LONG rv = SCardTransmit(m_card,
            SCARD_PCI_T1,
            reinterpret_cast<const unsigned char*>(apdu.constData()),
            static_cast<DWORD>(apdu.size()),
            nullptr,
            out,
            &outLen);
        if (rv != SCARD_S_SUCCESS || outLen < 2) {
            return wallet::core::makeError(wallet::core::ErrorCode::Disconnected,
                QStringLiteral("SCardTransmit: %1").arg(QString::fromLatin1(pcsc_stringify_error(rv))));
        }
        return QByteArray(reinterpret_cast<const char*>(out), static_cast<int>(outLen));
    }
    QString description() const override { return QStringLiteral("PC/SC %1").arg(m_reader); }

private:
    SCARDCONTEXT m_context = 0;
    SCARDHANDLE m_card = 0;
    bool m_hasContext = false;
    bool m_connected = false;
    QString m_reader;
};
