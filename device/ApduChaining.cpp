// SPDX-License-Identifier: Apache-2.0
#include "device/ApduChaining.h"

namespace wallet::device::chaining {
namespace {

constexpr int kLinkData = 255;

std::uint8_t byteAt(const QByteArray& b, int i)
{
    return static_cast<std::uint8_t>(b.at(i));
}

} // namespace

std::optional<std::vector<QByteArray>> split(const QByteArray& apdu)
{
    const int n = static_cast<int>(apdu.size());
    if (n < 4 || (byteAt(apdu, 0) & 0x10) != 0) {
        return std::nullopt;
    }
    QByteArray data;
    bool hasLe = false;
    std::uint32_t ne = 0;
    if (n == 5) {
        hasLe = true; // case 2 short
        ne = byteAt(apdu, 4) == 0 ? 256 : byteAt(apdu, 4);
    } else if (n > 5 && byteAt(apdu, 4) != 0) {
        const int lc = byteAt(apdu, 4); // case 3 / 4 short
        if (n != 5 + lc && n != 6 + lc) {
            return std::nullopt;
        }
        data = apdu.mid(5, lc);
        if (n == 6 + lc) {
            hasLe = true;
            ne = byteAt(apdu, n - 1) == 0 ? 256 : byteAt(apdu, n - 1);
        }
    } else if (n == 7) {
        hasLe = true; // case 2 extended
        ne = (static_cast<std::uint32_t>(byteAt(apdu, 5)) << 8) | byteAt(apdu, 6);
        ne = ne == 0 ? 65536 : ne;
    } else if (n > 7) {
        const int lc = (byteAt(apdu, 5) << 8) | byteAt(apdu, 6); // case 3 / 4 extended
        if (lc == 0 || (n != 7 + lc && n != 9 + lc)) {
            return std::nullopt;
        }
        data = apdu.mid(7, lc);
        if (n == 9 + lc) {
            hasLe = true;
            ne = (static_cast<std::uint32_t>(byteAt(apdu, n - 2)) << 8) | byteAt(apdu, n - 1);
            ne = ne == 0 ? 65536 : ne;
        }
    } else if (n != 4) {
        return std::nullopt;
    }
    std::vector<QByteArray> links;
    int at = 0;
    do {
        const int take = std::min(kLinkData, static_cast<int>(data.size()) - at);
        const bool last = at + take >= data.size();
        QByteArray link = apdu.left(4);
        if (!last) {
            link[0] = static_cast<char>(byteAt(apdu, 0) | 0x10);
        }
        if (take > 0) {
            link.append(static_cast<char>(take));
            link.append(data.mid(at, take));
        }
        if (last && hasLe) {
            link.append(static_cast<char>(ne >= 256 ? 0 : ne));
        }
        links.push_back(link);
        at += take;
    } while (at < data.size());
    return links;
}

QByteArray getResponse(std::uint8_t sw2)
{
    QByteArray c = QByteArray::fromHex("00C00000");
    c.append(static_cast<char>(sw2));
    return c;
}

std::uint16_t statusWord(const QByteArray& response)
{
    const int n = static_cast<int>(response.size());
    return static_cast<std::uint16_t>((byteAt(response, n - 2) << 8) | byteAt(response, n - 1));
}

} // namespace wallet::device::chaining
