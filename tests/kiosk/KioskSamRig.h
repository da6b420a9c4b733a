// SPDX-License-Identifier: Apache-2.0
// The kiosk's PC/SC rig (issue 12, docs/psam.md "Simulating the SAM"): a private pcscd with vsmartcard vpcd and two
// readers (tests/pcsc/PcscRig): the cardholder's key, issued with the demo profile, in "Virtual PCD 00 00" (and on
// loopback HID, where the kiosk's DeviceManager finds it), and the SAM, a second skey-sim on vpcd's next port, in
// "Virtual PCD 00 01". The SAM is blank: the bank provisions it (KioskSamBankRig.h: kiosk-provision-sam,
// gui-kiosk-sam), or a program without a bank personalises it with the public demo keys (kiosk-sale-bench --sam).
#pragma once

#include "KioskTestKey.h"
#include "pcsc/PcscRig.h"

#include "core/keystore/KeyStore.h"
#include "core/psam/CardPsam.h"
#include "device/PcscApduChannel.h"

#include <QThread>

namespace kiosktest {

inline const QString kSamReader = QStringLiteral("Virtual PCD 00 01");

struct SamRig
{
    PcscRig pcsc;
    std::unique_ptr<wallet::device::EmbeddedSimulator> sam;
    QString skipReason;

    [[nodiscard]] wallet::device::EmbeddedSimulator& key() { return *pcsc.sim; }

    /**
     * Starts pcscd, the key and a blank SAM (serial `samSerial`). `bankKt`: the SAM's KT is derived from the
     * development manufacturer key and its serial, as the bank derives it (provisioning by the bank); else it is the
     * spec's development KT (personaliseWithDemoKeys). Returns an error text; sets skipReason when this machine cannot
     * host the rig (no pcscd or vpcd, a system pcscd in the way).
     */
    [[nodiscard]] QString start(const QString& samSerial, bool bankKt)
    {
        const QString err = pcsc.start(profilePath());
        skipReason = pcsc.skipReason;
        if (!skipReason.isEmpty() || !err.isEmpty()) {
            return err;
        }
        wallet::device::SimulatorOptions o;
        o.dataDirectory = pcsc.dir.filePath(QStringLiteral("sam"));
        o.serialHex = samSerial;
        if (bankKt) {
            o.transportKeyHex.clear();
        }
        o.pcsc = true;
        o.extraArguments = {QStringLiteral("--vpcd-port"), QString::number(pcsc.vpcdPort + 1)};
        sam = std::make_unique<wallet::device::EmbeddedSimulator>(o);
        if (auto s = sam->start(); !s) {
            return s.error().detail;
        }
        for (int i = 0; i < 100; ++i) {
            auto st = sam->control().send(QStringLiteral("status"));
            if (st && st.value().contains(QStringLiteral("pcsc=connected"))) {
                PcscChannel probe; // pcscd polls the reader: wait until it reports the card present
                return probe.open(kSamReader.toLatin1());
            }
            QThread::msleep(50);
        }
        return QStringLiteral("the SAM did not attach to vpcd's second slot (port %1)").arg(pcsc.vpcdPort + 1);
    }

    /// Personalises the blank SAM (development KT) with the public demo MPK (3DES and SM4, index 1, version 1), as
    /// docs/psam.md's vectors do. Empty on success.
    [[nodiscard]] QString personaliseWithDemoKeys(const QByteArray& terminalId, std::uint32_t firstTsn)
    {
        using namespace wallet::core;
        auto channel = wallet::device::PcscApduChannel::open(kSamReader);
        if (!channel) {
            return channel.error().detail;
        }
        const SecureBytes mpk = KeyStore::demoKeys().mpk;
        auto p = CardPsam::personalise(**channel,
            secureFromHex(QStringLiteral("4B544B544B544B544B544B544B544B54")),
            {PsamMasterKey{1, 1, Algorithm::TripleDes, mpk}, PsamMasterKey{1, 1, Algorithm::Sm4, mpk}},
            terminalId,
            firstTsn);
        return p ? QString() : p.error().detail;
    }
};

} // namespace kiosktest
