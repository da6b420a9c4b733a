// SPDX-License-Identifier: Apache-2.0
#include "bank/issuance/DeviceLots.h"

#include "bank/issuance/Staff.h"

namespace wallet::bank {

std::variant<QString, Reply> manufacturerOfSerial(
    Hsm& hsm, PgConnection& db, const QString& serial, const QString& device, const QString& rid)
{
    auto hasMkt = hsm.hasKey("mkt.v1");
    if (!hasMkt) {
        return unavailableReply(hasMkt.error(), rid);
    }
    if (!*hasMkt) {
        return problem(422,
            "manufacturer-key-missing",
            QStringLiteral("The manufacturer key is not installed"),
            QStringLiteral("The HSM holds no transport-key master (mkt.v1), so no blank %1's KT can be derived.")
                .arg(device),
            QStringLiteral("The bank operator installs it with `bankctl keys manufacturer`; nothing was changed."),
            rid);
    }
    auto lot = db.exec("SELECT manufacturer FROM device_lots WHERE $1 BETWEEN first_serial AND last_serial LIMIT 1",
        {serial.toStdString()});
    if (!lot) {
        return unavailableReply(lot.error(), rid);
    }
    return lot->rows() == 0 ? QString() : QString::fromStdString(lot->text(0, 0));
}

} // namespace wallet::bank
