// SPDX-License-Identifier: Apache-2.0
#include "bank/issuance/SecureMessaging.h"

namespace wallet::bank {

QByteArray plainCommand(std::uint8_t cla, std::uint8_t ins, std::uint8_t p1, std::uint8_t p2, const QByteArray& data)
{
    QByteArray a;
    a.append(static_cast<char>(cla));
    a.append(static_cast<char>(ins));
    a.append(static_cast<char>(p1));
    a.append(static_cast<char>(p2));
    a.append(static_cast<char>(data.size()));
    a.append(data);
    return a;
}

Result<QByteArray> macCommand(Hsm& hsm,
    const Hsm::DerivedKey& key,
    const QByteArray& challenge,
    std::uint8_t cla,
    std::uint8_t ins,
    std::uint8_t p1,
    std::uint8_t p2,
    const QByteArray& data)
{
    const QByteArray iv = challenge.size() == 8 ? challenge : challenge + QByteArray(4, '\0');
    QByteArray header = plainCommand(cla, ins, p1, p2, {});
    header[4] = static_cast<char>(data.size() + 4); // Lc counts the MAC
    auto mac = hsm.retailMac(key, iv, header + data);
    if (!mac) {
        return mac.error();
    }
    return plainCommand(cla, ins, p1, p2, data + *mac);
}

} // namespace wallet::bank
