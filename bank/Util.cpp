// SPDX-License-Identifier: Apache-2.0
#include "bank/Util.h"

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <QDateTime>

#include <chrono>
#include <stdexcept>

namespace wallet::bank {

std::int64_t nowMicros()
{
    return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

QString rfc3339(std::int64_t micros)
{
    return QDateTime::fromMSecsSinceEpoch(micros / 1000, Qt::UTC).toString(QStringLiteral("yyyy-MM-ddTHH:mm:ss.zzzZ"));
}

QByteArray randomBytes(int n)
{
    QByteArray b(n, '\0');
    if (RAND_bytes(reinterpret_cast<unsigned char*>(b.data()), n) != 1) {
        // No randomness means no safe identifiers or probes: stop rather than continue with zeros.
        std::abort();
    }
    return b;
}

std::string uuidV7()
{
    const auto ms = static_cast<std::uint64_t>(nowMicros() / 1000);
    QByteArray b = randomBytes(16);
    for (int i = 0; i < 6; ++i) {
        b[i] = static_cast<char>((ms >> (40 - 8 * i)) & 0xFF);
    }
    b[6] = static_cast<char>((b[6] & 0x0F) | 0x70);
    b[8] = static_cast<char>((b[8] & 0x3F) | 0x80);
    const std::string h = b.toHex().toStdString();
    return h.substr(0, 8) + "-" + h.substr(8, 4) + "-" + h.substr(12, 4) + "-" + h.substr(16, 4) + "-" + h.substr(20);
}

std::string sha256Hex(const std::string& data)
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    EVP_Digest(data.data(), data.size(), md, &len, EVP_sha256(), nullptr);
    return QByteArray(reinterpret_cast<const char*>(md), static_cast<int>(len)).toHex().toStdString();
}

QString hexUpper(const QByteArray& b)
{
    return QString::fromLatin1(b.toHex().toUpper());
}

QByteArray bcd(const QString& digits)
{
    return QByteArray::fromHex(digits.toLatin1());
}

} // namespace wallet::bank
