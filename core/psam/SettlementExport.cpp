// SPDX-License-Identifier: Apache-2.0
#include "core/psam/SettlementExport.h"

#include <QCoreApplication>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QLoggingCategory>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include <fcntl.h>
#include <unistd.h>

namespace wallet::core {
namespace {

Q_LOGGING_CATEGORY(lcSettle, "wallet.settlement")

Error writeError(const QString& path, const QString& why)
{
    return makeError(ErrorCode::StorageError,
        QStringLiteral("settlement file %1: %2; no purchase was marked settled").arg(path, why));
}

} // namespace

Result<void> SettlementExport::writeDurably(const QString& path, const QByteArray& data)
{
    const QFileInfo target(path);
    const QString dir = target.absolutePath();
    const QString temp = QDir(dir).filePath(
        QStringLiteral(".%1.tmp-%2").arg(target.fileName()).arg(QCoreApplication::applicationPid()));
    const QByteArray tempName = QFile::encodeName(temp);
    const int fd = ::open(tempName.constData(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) {
        return writeError(path, QString::fromLocal8Bit(std::strerror(errno)));
    }
    const auto fail = [&](const char* step) {
        const QString why
            = QStringLiteral("%1: %2").arg(QLatin1String(step), QString::fromLocal8Bit(std::strerror(errno)));
        ::close(fd);
        ::unlink(tempName.constData());
        return writeError(path, why);
    };
    qsizetype written = 0;
    while (written < data.size()) {
        const ssize_t n = ::write(fd, data.constData() + written, static_cast<std::size_t>(data.size() - written));
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            return fail("write");
        }
        written += n;
    }
    if (::fsync(fd) != 0) {
        return fail("fsync");
    }
    if (::close(fd) != 0) {
        ::unlink(tempName.constData());
        return writeError(path, QString::fromLocal8Bit(std::strerror(errno)));
    }
    if (std::rename(tempName.constData(), QFile::encodeName(target.absoluteFilePath()).constData()) != 0) {
        const QString why = QString::fromLocal8Bit(std::strerror(errno));
        ::unlink(tempName.constData());
        return writeError(path, why);
    }
    // The rename itself must survive a power cut before anything is marked settled.
    const int dfd = ::open(QFile::encodeName(dir).constData(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0 || ::fsync(dfd) != 0) {
        const QString why = QString::fromLocal8Bit(std::strerror(errno));
        if (dfd >= 0) {
            ::close(dfd);
        }
        return writeError(path, QStringLiteral("directory fsync: ") + why);
    }
    ::close(dfd);
    return {};
}

Result<SettlementReport> SettlementExport::run(Psam& psam, const SettlementVerifier& verifier, const QString& path)
{
    auto pending = psam.pendingSettlement();
    if (!pending) {
        return pending.error();
    }
    SettlementReport report;
    std::vector<std::uint32_t> tsns;
    for (const SettlementRecord& s : *pending) {
        if (auto v = verifier.verify(s); !v) {
            // One bad record is reported and kept aside for a person; it never holds back the good ones.
            qCWarning(lcSettle) << "set aside TSN" << s.tsn << ":" << v.error().detail;
            if (auto a = psam.setAside(s.tsn, v.error().detail); !a) {
                return a.error();
            }
            report.setAside.push_back(SetAsidePurchase{s, v.error()});
            continue;
        }
        report.totalFen += s.amount.fen();
        tsns.push_back(s.tsn);
        report.exported.push_back(s);
    }
    if (auto w = writeDurably(path, SettlementVerifier::toJson(report.exported)); !w) {
        return w.error();
    }
    if (auto m = psam.markSettled(tsns); !m) {
        Error e = m.error();
        e.detail += QStringLiteral(" — %1 was written; its purchases stay pending and will be exported again (the "
                                   "acquirer de-duplicates by terminal and TSN)")
                        .arg(path);
        return e;
    }
    return report;
}

} // namespace wallet::core
