// SPDX-License-Identifier: Apache-2.0
// The kiosk tests' key: a simulated key (skey-sim child) issued with the demo profile and loaded by a terminal in
// the test process (core::TerminalRoles with the local demo issuer, as walletctl does), and a kiosk configuration.
#pragma once

#include "app/kiosk/KioskConfig.h"
#include "core/purse/Clock.h"
#include "core/purse/Pin.h"
#include "core/purse/PurseService.h"
#include "core/terminal/TerminalRoles.h"
#include "device/EmbeddedSimulator.h"

#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

#include <botan/secmem.h>

namespace kiosktest {

inline QString profilePath()
{
    return qEnvironmentVariable("SKEY_SOURCE_DIR") + QStringLiteral("/resources/profiles/demo-3des.json");
}

/// Starts a simulated key issued with the demo profile (PIN 123456), or with `profile`, in `dir`; its button answers
/// as `touchMode` says (accept, refuse, or manual: the test's `touch accept|refuse`). Null and `why` on failure.
inline std::unique_ptr<wallet::device::EmbeddedSimulator> startKey(const QString& dir,
    const QString& serial,
    QString* why,
    bool issue = true,
    const QString& profile = {},
    const QString& touchMode = QStringLiteral("accept"))
{
    wallet::device::SimulatorOptions o;
    o.dataDirectory = dir;
    o.serialHex = serial;
    o.touchMode = touchMode;
    if (issue) {
        o.profilePath = profile.isEmpty() ? profilePath() : profile;
    }
    QDir().mkpath(dir);
    auto sim = std::make_unique<wallet::device::EmbeddedSimulator>(o);
    if (auto s = sim->start(); !s) {
        *why = s.error().detail;
        return nullptr;
    }
    return sim;
}

/// Reads the key's ASN and balance; loads `loadFen` first when non-zero (through the local demo issuer).
struct KeyState
{
    QByteArray asn;
    std::uint32_t balance = 0;
    QString error;
};

inline KeyState loadKey(wallet::device::EmbeddedSimulator& sim,
    const QString& terminalDir,
    std::uint32_t loadFen,
    const QString& bankConfig = {})
{
    using namespace wallet::core;
    KeyState out;
    auto channel = sim.makeChannel();
    if (auto c = channel->connect(); !c) {
        out.error = c.error().detail;
        return out;
    }
    TerminalRoles roles;
    TerminalRolesOptions options;
    options.dataDir = terminalDir;
    options.bankConfig = bankConfig;
    if (auto r = roles.open(options); !r) {
        out.error = r.error().detail;
        return out;
    }
    SystemClock clock;
    PurseService purse(*channel, roles.issuer(), roles.psam(), clock, nullptr);
    auto card = purse.open();
    if (!card) {
        out.error = card.error().detail;
        return out;
    }
    out.asn = card->application.asn();
    if (loadFen > 0) {
        if (bankConfig.isEmpty() && roles.localIssuer() && !roles.localIssuer()->account(out.asn).ok()) {
            (void)roles.localIssuer()->registerCard(out.asn, Amount(100000000), Amount(10000000));
        }
        auto pin = Pin::fromDigits("123456");
        auto l = purse.load(Amount(loadFen), &*pin);
        if (!l) {
            out.error = l.error().detail;
            return out;
        }
    }
    auto b = purse.balance();
    if (!b) {
        out.error = b.error().detail;
        return out;
    }
    out.balance = b->fen();
    return out;
}

/// Writes a kiosk configuration into `dir`/kiosk.json (operator PIN 2468) and loads it. `pcscReader` empty: the
/// software PSAM (terminal 223344556677); else the SAM in that PC/SC reader (its terminal ID is the SAM's).
/// `idleSeconds` 0: not written (the kiosk's default, 60 s).
inline wallet::kiosk::KioskConfig writeConfig(const QString& dir,
    const QString& language,
    const QString& bankConfig = {},
    const QString& pcscReader = {},
    int idleSeconds = 0)
{
    Botan::secure_vector<char> pin{'2', '4', '6', '8'};
    QJsonObject o{{QStringLiteral("format"), QStringLiteral("smartkey-kiosk/1")},
        {QStringLiteral("dataDir"), QStringLiteral("data")},
        {QStringLiteral("receiptDir"), QStringLiteral("receipts")},
        {QStringLiteral("operatorPinHash"), wallet::kiosk::hashOperatorPin(pin, 20000)},
        {QStringLiteral("psam"),
            pcscReader.isEmpty() ? QJsonObject{{QStringLiteral("type"), QStringLiteral("local")},
                {QStringLiteral("terminalId"), QStringLiteral("223344556677")}}
                                 : QJsonObject{{QStringLiteral("type"), QStringLiteral("pcsc")},
                                     {QStringLiteral("reader"), pcscReader}}},
        {QStringLiteral("merchantName"), QStringLiteral("Demo Tea House")},
        {QStringLiteral("language"), language},
        {QStringLiteral("usb"), false},
        {QStringLiteral("priceList"),
            QJsonArray{QJsonObject{{QStringLiteral("name"), QStringLiteral("Jasmine tea")},
                           {QStringLiteral("amount"), QStringLiteral("12.50")}},
                QJsonObject{{QStringLiteral("name"), QStringLiteral("Dumplings")},
                    {QStringLiteral("amount"), QStringLiteral("8")}}}}};
    if (!bankConfig.isEmpty()) {
        o.insert(QStringLiteral("bankConfig"), bankConfig);
    }
    if (idleSeconds != 0) {
        o.insert(QStringLiteral("idleSeconds"), idleSeconds); // else the default, 60 s
    }
    QDir().mkpath(dir);
    QFile f(QDir(dir).filePath(QStringLiteral("kiosk.json")));
    if (f.open(QIODevice::WriteOnly | QIODevice::Truncate)) {
        f.write(QJsonDocument(o).toJson());
    }
    f.close();
    auto c = wallet::kiosk::KioskConfig::load(f.fileName());
    return c ? *c : wallet::kiosk::KioskConfig{};
}

} // namespace kiosktest
