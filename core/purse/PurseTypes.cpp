// SPDX-License-Identifier: Apache-2.0
#include "core/purse/PurseTypes.h"

namespace wallet::core {
namespace {

int bcdByte(std::uint8_t b)
{
    const int hi = b >> 4;
    const int lo = b & 0x0F;
    return (hi > 9 || lo > 9) ? -1 : hi * 10 + lo;
}

char toBcd(int v)
{
    return static_cast<char>(((v / 10) << 4) | (v % 10));
}

QString paddedText(const QByteArray& field)
{
    const int end = field.indexOf('\0');
    return QString::fromUtf8(end < 0 ? field : field.left(end));
}

QByteArray padField(const QString& text, int size)
{
    QByteArray b = text.toUtf8();
    if (b.size() > size) {
        b.truncate(size);
        // do not leave half a UTF-8 sequence at the end
        while (!b.isEmpty() && (static_cast<std::uint8_t>(b.back()) & 0xC0) == 0x80) {
            b.chop(1);
        }
        if (!b.isEmpty() && (static_cast<std::uint8_t>(b.back()) & 0xC0) == 0xC0) {
            b.chop(1);
        }
    }
    b.append(QByteArray(size - b.size(), '\0'));
    return b;
}

} // namespace

QString transactionTypeName(TransactionType type)
{
    switch (type) {
    case TransactionType::Load:
        return QStringLiteral("load");
    case TransactionType::Purchase:
        return QStringLiteral("purchase");
    case TransactionType::CompositePurchase:
        return QStringLiteral("composite purchase");
    }
    return QStringLiteral("unknown");
}

QByteArray bcdDate(const QDate& date)
{
    QByteArray b;
    b.append(toBcd(date.year() / 100));
    b.append(toBcd(date.year() % 100));
    b.append(toBcd(date.month()));
    b.append(toBcd(date.day()));
    return b;
}

QByteArray bcdTime(const QTime& time)
{
    QByteArray b;
    b.append(toBcd(time.hour()));
    b.append(toBcd(time.minute()));
    b.append(toBcd(time.second()));
    return b;
}

QDate dateFromBcd(const QByteArray& b)
{
    if (b.size() != 4) {
        return {};
    }
    const int c = bcdByte(static_cast<std::uint8_t>(b[0]));
    const int y = bcdByte(static_cast<std::uint8_t>(b[1]));
    const int m = bcdByte(static_cast<std::uint8_t>(b[2]));
    const int d = bcdByte(static_cast<std::uint8_t>(b[3]));
    if (c < 0 || y < 0 || m < 0 || d < 0) {
        return {};
    }
    return QDate(c * 100 + y, m, d); // invalid QDate for impossible dates
}

QTime timeFromBcd(const QByteArray& b)
{
    if (b.size() != 3) {
        return {};
    }
    const int h = bcdByte(static_cast<std::uint8_t>(b[0]));
    const int m = bcdByte(static_cast<std::uint8_t>(b[1]));
    const int s = bcdByte(static_cast<std::uint8_t>(b[2]));
    if (h < 0 || m < 0 || s < 0) {
        return {};
    }
    return QTime(h, m, s);
}

Result<ApplicationData> ApplicationData::decode(const QByteArray& raw)
{
    if (raw.size() != 30) {
        return makeError(
            ErrorCode::ProtocolError, QStringLiteral("SFI 0x15 has %1 bytes, expected 30").arg(raw.size()));
    }
    ApplicationData a;
    a.raw = raw;
    a.issuerId = raw.mid(0, 8);
    a.appType = static_cast<std::uint8_t>(raw[8]);
    a.appVersion = static_cast<std::uint8_t>(raw[9]);
    a.applicationSerial = raw.mid(10, 10);
    a.startDate = dateFromBcd(raw.mid(20, 4));
    a.expiryDate = dateFromBcd(raw.mid(24, 4));
    a.issuerData = raw.mid(28, 2);
    return a;
}

QByteArray ApplicationData::encode() const
{
    QByteArray out;
    out.append(issuerId.leftJustified(8, '\0', true));
    out.append(static_cast<char>(appType));
    out.append(static_cast<char>(appVersion));
    out.append(applicationSerial.leftJustified(10, '\0', true));
    out.append(startDate.isValid() ? bcdDate(startDate) : QByteArray(4, '\0'));
    out.append(expiryDate.isValid() ? bcdDate(expiryDate) : QByteArray(4, '\0'));
    out.append(issuerData.leftJustified(2, '\0', true));
    return out;
}

Result<CardholderData> CardholderData::decode(const QByteArray& raw)
{
    if (raw.size() != 55) {
        return makeError(
            ErrorCode::ProtocolError, QStringLiteral("SFI 0x16 has %1 bytes, expected 55").arg(raw.size()));
    }
    CardholderData c;
    c.cardType = static_cast<std::uint8_t>(raw[0]);
    c.staffFlag = static_cast<std::uint8_t>(raw[1]);
    c.name = paddedText(raw.mid(2, 20));
    c.idNumber = paddedText(raw.mid(22, 32));
    c.idType = static_cast<std::uint8_t>(raw[54]);
    return c;
}

QByteArray CardholderData::encode() const
{
    QByteArray out;
    out.append(static_cast<char>(cardType));
    out.append(static_cast<char>(staffFlag));
    out.append(padField(name, 20));
    out.append(padField(idNumber, 32));
    out.append(static_cast<char>(idType));
    return out;
}

Result<TransactionRecord> TransactionRecord::decode(const QByteArray& raw)
{
    if (raw.size() != 23) {
        return makeError(
            ErrorCode::ProtocolError, QStringLiteral("a transaction record has %1 bytes, expected 23").arg(raw.size()));
    }
    TransactionRecord r;
    r.raw = raw;
    r.atc = static_cast<std::uint16_t>(readU16(raw, 0));
    r.amount = Amount(readU32(raw, 5));
    r.rawType = static_cast<std::uint8_t>(raw[9]);
    r.type = static_cast<TransactionType>(r.rawType);
    r.terminalId = raw.mid(10, 6);
    const QDate d = dateFromBcd(raw.mid(16, 4));
    const QTime t = timeFromBcd(raw.mid(20, 3));
    if (d.isValid() && t.isValid()) {
        r.when = QDateTime(d, t);
    }
    return r;
}

} // namespace wallet::core
