// SPDX-License-Identifier: Apache-2.0
#include "app/branch/Receipt.h"

#include <QDir>
#include <QFileInfo>
#include <QPageSize>
#include <QPainter>
#include <QPdfWriter>

namespace wallet::branch {

QString maskId(const QString& id)
{
    if (id.size() <= 6) {
        return QString(id.size(), QLatin1Char('*'));
    }
    const int keep = id.size() >= 10 ? 4 : 2;
    const int head = id.size() >= 15 ? 6 : 1;
    return id.left(head) + QString(id.size() - head - keep, QLatin1Char('*')) + id.right(keep);
}

QString maskPhone(const QString& phone)
{
    if (phone.size() < 9) {
        return QString(phone.size(), QLatin1Char('*'));
    }
    return phone.left(6) + QString(phone.size() - 10, QLatin1Char('*')) + phone.right(4);
}

QString writeReceipt(const QString& path, const ReceiptData& r)
{
    QDir().mkpath(QFileInfo(path).absolutePath());
    QPdfWriter pdf(path);
    pdf.setPageSize(QPageSize(QPageSize::A5));
    pdf.setResolution(150);
    pdf.setTitle(r.title);
    pdf.setCreator(QStringLiteral("smartkey-branch"));
    QPainter p;
    if (!p.begin(&pdf)) {
        return QStringLiteral("cannot write the receipt %1").arg(path);
    }
    QFont f = p.font();
    f.setPointSize(14);
    f.setBold(true);
    p.setFont(f);
    int y = 60;
    p.drawText(40, y, r.title);
    f.setPointSize(10);
    f.setBold(false);
    p.setFont(f);
    y += 60;
    const QList<std::pair<QString, QString>> rows{{QStringLiteral("ASN"), r.asn},
        {QStringLiteral("Name / 姓名"), r.customerName},
        {QStringLiteral("ID / 证件号"), r.idNumberMasked},
        {QStringLiteral("Phone / 电话"), r.phoneMasked},
        {QStringLiteral("Profile / 配置"), r.profile},
        {QStringLiteral("Teller / 柜员"), r.teller},
        {QStringLiteral("Date / 日期"), r.when.toUTC().toString(Qt::ISODate)}};
    for (const auto& [k, v] : rows) {
        p.drawText(40, y, k);
        p.drawText(320, y, v);
        y += 40;
    }
    p.drawText(
        40, y + 40, QStringLiteral("The PIN was set by the customer and is on no paper. / 密码由客户设置，不打印。"));
    p.end();
    return {};
}

} // namespace wallet::branch
