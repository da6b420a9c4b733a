// SPDX-License-Identifier: Apache-2.0
#include "Apdu.h"

namespace skey {

bool parseApdu(std::span<const std::uint8_t> c, Apdu& out)
{
    out = Apdu{};
    const std::size_t n = c.size();
    if (n < 4) {
        return false;
    }
    out.cla = c[0];
    out.ins = c[1];
    out.p1 = c[2];
    out.p2 = c[3];
    if (n == 4) {
        return true; // case 1
    }
    if (n == 5) { // case 2 short
        out.hasLe = true;
        out.ne = c[4] == 0 ? 256u : c[4];
        out.leIsMax = c[4] == 0;
        return true;
    }
    if (c[4] != 0) { // short Lc
        const std::size_t lc = c[4];
        if (n == 5 + lc) {
            out.data = c.subspan(5, lc);
            return true;
        }
        if (n == 6 + lc) {
            out.data = c.subspan(5, lc);
            out.hasLe = true;
            out.ne = c[5 + lc] == 0 ? 256u : c[5 + lc];
            out.leIsMax = c[5 + lc] == 0;
            return true;
        }
        return false;
    }
    // Extended length: 00 then two bytes.
    if (n < 7) {
        return false;
    }
    const std::size_t l = (static_cast<std::size_t>(c[5]) << 8) | c[6];
    if (n == 7) { // case 2 extended
        out.hasLe = true;
        out.ne = l == 0 ? 65536u : static_cast<std::uint32_t>(l);
        out.leIsMax = l == 0;
        return true;
    }
    if (l == 0) {
        return false;
    }
    if (n == 7 + l) {
        out.data = c.subspan(7, l);
        return true;
    }
    if (n == 9 + l) {
        out.data = c.subspan(7, l);
        const std::size_t le = (static_cast<std::size_t>(c[7 + l]) << 8) | c[8 + l];
        out.hasLe = true;
        out.ne = le == 0 ? 65536u : static_cast<std::uint32_t>(le);
        out.leIsMax = le == 0;
        return true;
    }
    return false;
}

} // namespace skey
