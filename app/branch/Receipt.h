// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <QDateTime>
#include <QString>

namespace wallet::branch {

/// What an issuance receipt shows. No secret: no PIN, no key, no full ID number or phone (masked).
struct ReceiptData
{
    QString title;
    QString asn;
    QString customerName;
    QString idNumberMasked;
    QString phoneMasked;
    QString profile;
    QString teller;
    QDateTime when;
};

/// Writes the receipt as a one-page A5 PDF (QPdfWriter). Empty on success, else why.
[[nodiscard]] QString writeReceipt(const QString& path, const ReceiptData& r);
/// "110105********002X": the first 6 and last 4 kept.
[[nodiscard]] QString maskId(const QString& id);
/// "+86138****8000".
[[nodiscard]] QString maskPhone(const QString& phone);

} // namespace wallet::branch
