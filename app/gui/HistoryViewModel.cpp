// SPDX-License-Identifier: Apache-2.0
#include "app/gui/HistoryViewModel.h"

#include "app/gui/AmountText.h"
#include "app/gui/ErrorText.h"
#include "app/gui/WalletSession.h"

#include <QDesktopServices>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QLocale>
#include <QSaveFile>
#include <QStandardPaths>
#include <QTemporaryFile>
#include <QUrl>

namespace wallet::app {

namespace {
struct Page
{
    QVector<TransactionListModel::Row> rows;
    qint64 total = 0;
};

QString localPath(const QString& path)
{
    const QUrl url(path);
    return url.isLocalFile() ? url.toLocalFile() : path;
}

/// A date as the rows show it (the current locale's short date, e.g. 3/14/26 or 2026/3/14), or ISO 2026-03-14
/// (issue 17 item 10: dates are entered the way they are displayed).
std::optional<QDate> isoDate(const QString& text)
{
    const QString t = text.trimmed();
    QDate d = QDate::fromString(t, Qt::ISODate);
    if (!d.isValid()) {
        const QString format = QLocale().dateFormat(QLocale::ShortFormat);
        d = QLocale().toDate(t, format);
        // Two-digit years as displayed ("12/4/26") are this century: Qt 6.4 reads "yy" as 19yy (found by
        // gui-history-keyboard: "from 12/4/26" filtered from 1926 and hid nothing).
        if (d.isValid() && !format.contains(QLatin1String("yyyy")) && format.contains(QLatin1String("yy"))
            && d.year() < 2000) {
            d = d.addYears(100);
        }
    }
    return d.isValid() ? std::optional<QDate>(d) : std::nullopt;
}

/// The amount as typed in a search: without the sign, currency sign, spaces and grouping ("+¥1,250.00" → 1250.00).
QString amountNeedle(const QString& needle)
{
    QString out;
    const QLocale locale;
    for (const QChar c : needle) {
        if (c == QLatin1Char('+') || c == QChar(0x2212) || c == QLatin1Char('-') || c == QChar(0x00A5)
            || c == QChar(0xFFE5) || c.isSpace() || c == QLatin1Char(',') || c == locale.groupSeparator().front()) {
            continue;
        }
        out += c == locale.decimalPoint().front() ? QLatin1Char('.') : c;
    }
    return out;
}

bool matches(const TransactionListModel::Row& row, const QString& needle)
{
    const QString terminal = QString::fromLatin1(row.terminalId.toHex());
    const QString amount = amountNeedle(needle);
    // The amount matches as shown ("1,250" finds "+¥1,250.00", issue 17 item 10) and as plain digits ("1250").
    const bool amountMatches = AmountText::format(row.amountFen).contains(needle)
        || (!amount.isEmpty() && AmountText::formatPlain(row.amountFen).contains(amount));
    return row.merchant.contains(needle, Qt::CaseInsensitive) || terminal.contains(needle, Qt::CaseInsensitive)
        || amountMatches || QString::fromLatin1(row.tac.toHex()).contains(needle, Qt::CaseInsensitive);
}
/// The rows a text search shows, newest first: the mirror filters by type and date (`q`), the text match happens
/// here over a bounded window. The page (query()) and the export (exportCsv()) both call this, so the CSV holds
/// exactly the rows the page lists (issue 17).
core::Result<std::vector<core::StoredTransaction>> searchHits(
    core::TransactionStore& mirror, core::HistoryQuery q, const QString& needle)
{
    q.limit = HistoryViewModel::kSearchWindow;
    q.offset = 0;
    auto rows = mirror.history(q);
    if (!rows) {
        return rows.error();
    }
    std::vector<core::StoredTransaction> hits;
    for (auto& t : *rows) {
        if (matches(TransactionListModel::fromStored(t), needle)) {
            hits.push_back(std::move(t));
        }
    }
    return hits;
}
} // namespace

HistoryViewModel::HistoryViewModel(WalletSession& session, QString dataDir, QObject* parent)
    : QObject(parent)
    , m_session(session)
    , m_dataDir(std::move(dataDir))
{ }

void HistoryViewModel::setTypeFilter(int type)
{
    if (type != m_type && type >= 0 && type <= 2) {
        m_type = type;
        filterEdited();
    }
}

void HistoryViewModel::setFromDate(const QString& date)
{
    if (date != m_from) {
        m_from = date;
        filterEdited();
    }
}

void HistoryViewModel::setToDate(const QString& date)
{
    if (date != m_to) {
        m_to = date;
        filterEdited();
    }
}

void HistoryViewModel::setSearch(const QString& text)
{
    if (text != m_search) {
        m_search = text;
        filterEdited();
    }
}

void HistoryViewModel::setTokenSerial(const QString& serial)
{
    if (serial != m_tokenSerial) {
        m_tokenSerial = serial;
        m_page = 0;
    }
}

void HistoryViewModel::filterEdited()
{
    m_page = 0;
    emit filterChanged();
    if (filterProblem().isEmpty()) {
        query();
    }
}

QString HistoryViewModel::dateExample() const
{
    return QLocale().toString(QDate(2026, 1, 31), QLocale::ShortFormat);
}

QString HistoryViewModel::filterProblem() const
{
    if (!m_from.trimmed().isEmpty() && !isoDate(m_from)) {
        return tr("Write the start date as the list shows dates, for example %1.")
            .arg(QLocale().toString(QDate(2026, 1, 31), QLocale::ShortFormat));
    }
    if (!m_to.trimmed().isEmpty() && !isoDate(m_to)) {
        return tr("Write the end date as the list shows dates, for example %1.")
            .arg(QLocale().toString(QDate(2026, 1, 31), QLocale::ShortFormat));
    }
    if (isoDate(m_from) && isoDate(m_to) && *isoDate(m_from) > *isoDate(m_to)) {
        return tr("The start date is after the end date.");
    }
    return {};
}

int HistoryViewModel::pageCount() const
{
    return static_cast<int>(std::max<qint64>(1, (m_total + kPageSize - 1) / kPageSize));
}

QString HistoryViewModel::pageText() const
{
    //: page X of Y, N transactions
    return tr("Page %1 of %2 · %n transaction(s)", nullptr, static_cast<int>(m_total)).arg(m_page + 1).arg(pageCount());
}

QUrl HistoryViewModel::defaultExportFolderUrl() const
{
    return QUrl::fromLocalFile(QFileInfo(defaultExportPath()).absolutePath());
}

QString HistoryViewModel::defaultExportPath() const
{
    QString folder = QStandardPaths::writableLocation(QStandardPaths::DocumentsLocation);
    if (folder.isEmpty() || !QFileInfo(folder).isDir()) {
        folder = QDir::homePath();
    }
    return QDir(folder).filePath(QStringLiteral("smartkey-transactions.csv"));
}

bool HistoryViewModel::fileExists(const QString& path) const
{
    const QString local = localPath(path);
    return !local.trimmed().isEmpty() && QFileInfo::exists(local);
}

void HistoryViewModel::retranslate()
{
    if (m_exportText) {
        m_exportResult = m_exportText();
    }
    emit changed();
}

QString HistoryViewModel::nativePath(const QString& path) const
{
    return QDir::toNativeSeparators(localPath(path));
}

void HistoryViewModel::openExportFolder() const
{
    if (!m_exportFolder.isEmpty()) {
        QDesktopServices::openUrl(QUrl::fromLocalFile(QDir::fromNativeSeparators(m_exportFolder)));
    }
}

void HistoryViewModel::refresh()
{
    if (m_session.presence() != WalletSession::Presence::Present) {
        query();
        return;
    }
    // A query in flight is overtaken by the one after the sync; the generation says so at once.
    ++m_querySerial;
    m_busy = true;
    emit changed();
    m_session.run<int>(
        this,
        [](core::ApduChannel& channel, PurseContext& ctx) -> core::Result<int> {
            auto purse = ctx.purse(channel);
            if (!purse) {
                return purse.error();
            }
            return (*purse)->syncMirror();
        },
        [this](core::Result<int> synced) {
            if (!synced) {
                m_error = ErrorText::describe(synced.error());
            }
            query();
        });
}

core::HistoryQuery HistoryViewModel::mirrorQuery() const
{
    core::HistoryQuery q;
    q.tokenSerial = m_tokenSerial;
    if (m_type == 1) {
        q.type = core::TransactionType::Load;
    } else if (m_type == 2) {
        q.type = core::TransactionType::Purchase;
    }
    q.from = isoDate(m_from);
    q.to = isoDate(m_to);
    return q;
}

void HistoryViewModel::query()
{
    core::HistoryQuery q = mirrorQuery();
    const QString needle = m_search.trimmed();
    const int page = m_page;
    const quint64 serial = ++m_querySerial;
    m_busy = true;
    emit changed();
    m_session.runLocal<Page>(
        this,
        [q, needle, page](PurseContext& ctx) mutable -> core::Result<Page> {
            if (auto ready = ctx.ensureServices(); !ready) {
                return ready.error();
            }
            if (!ctx.mirror()) {
                return core::makeError(core::ErrorCode::StorageError, ctx.mirrorError());
            }
            Page out;
            if (needle.isEmpty()) {
                auto total = ctx.mirror()->count(q);
                if (!total) {
                    return total.error();
                }
                out.total = *total;
                q.limit = kPageSize;
                q.offset = page * kPageSize;
                auto rows = ctx.mirror()->history(q);
                if (!rows) {
                    return rows.error();
                }
                for (const auto& t : *rows) {
                    out.rows.push_back(TransactionListModel::fromStored(t));
                }
                return out;
            }
            auto hits = searchHits(*ctx.mirror(), q, needle);
            if (!hits) {
                return hits.error();
            }
            out.total = static_cast<qint64>(hits->size());
            const auto first = static_cast<std::size_t>(page) * kPageSize;
            for (std::size_t i = first; i < hits->size() && i < first + kPageSize; ++i) {
                out.rows.push_back(TransactionListModel::fromStored((*hits)[i]));
            }
            return out;
        },
        [this, serial](core::Result<Page> result) {
            if (serial != m_querySerial) {
                return; // a newer query is on its way
            }
            m_busy = false;
            if (!result) {
                m_error = ErrorText::describe(result.error());
                m_model.setRows({});
                m_total = 0;
            } else {
                m_error.clear();
                m_total = result->total;
                m_model.setRows(result->rows);
            }
            m_finishedSerial = serial;
            emit changed();
            emit queryFinished(serial);
        });
}

void HistoryViewModel::nextPage()
{
    if (m_page + 1 < pageCount()) {
        ++m_page;
        query();
    }
}

void HistoryViewModel::previousPage()
{
    if (m_page > 0) {
        --m_page;
        query();
    }
}

void HistoryViewModel::exportCsv(const QString& path, bool replace)
{
    const QString local = localPath(path);
    if (local.trimmed().isEmpty()) {
        m_exportText = [] { return tr("Choose a file to export to."); };
        m_exportResult = m_exportText();
        emit changed();
        return;
    }
    if (!replace && QFileInfo::exists(local)) {
        // Never replaced without asking (issue 17 item 9): the page asks, then calls again with replace.
        m_exportText = [path = QDir::toNativeSeparators(local)] {
            return tr("%1 already exists. Nothing was exported.").arg(path);
        };
        m_exportResult = m_exportText();
        emit changed();
        emit exported(false);
        return;
    }
    // The page's own query and search (mirrorQuery(), searchHits()): the file holds the rows the page lists.
    core::HistoryQuery q = mirrorQuery();
    q.limit = 1000;
    const QString needle = m_search.trimmed();
    m_session.runLocal<qint64>(
        this,
        [q, needle, local](PurseContext& ctx) -> core::Result<qint64> {
            if (auto ready = ctx.ensureServices(); !ready) {
                return ready.error();
            }
            if (!ctx.mirror()) {
                return core::makeError(core::ErrorCode::StorageError, ctx.mirrorError());
            }
            // Core writes plain UTF-8 (walletctl's format); the wallet's file starts with a byte order mark, so
            // spreadsheet programs read the merchants' Chinese names right. Written whole or not at all (QSaveFile).
            QTemporaryFile plain;
            if (!plain.open()) {
                return core::makeError(core::ErrorCode::StorageError,
                    QStringLiteral("cannot create a temporary file: %1").arg(plain.errorString()));
            }
            plain.close();
            core::Result<qint64> written = qint64(0);
            if (needle.isEmpty()) {
                written = ctx.mirror()->exportCsv(q, plain.fileName());
            } else {
                auto hits = searchHits(*ctx.mirror(), q, needle);
                if (!hits) {
                    return hits.error();
                }
                written = core::TransactionStore::exportCsv(*hits, plain.fileName());
            }
            if (!written) {
                return written.error();
            }
            QFile csv(plain.fileName()); // by name: core may have replaced the file
            if (!csv.open(QIODevice::ReadOnly)) {
                return core::makeError(core::ErrorCode::StorageError,
                    QStringLiteral("cannot read %1: %2").arg(csv.fileName(), csv.errorString()));
            }
            QSaveFile out(local);
            if (!out.open(QIODevice::WriteOnly) || out.write("\xEF\xBB\xBF", 3) != 3 || out.write(csv.readAll()) < 0
                || !out.commit()) {
                return core::makeError(
                    core::ErrorCode::StorageError, QStringLiteral("cannot write %1: %2").arg(local, out.errorString()));
            }
            return written;
        },
        [this, local](core::Result<qint64> written) {
            if (written) {
                m_exportFolder = QDir::toNativeSeparators(QFileInfo(local).absolutePath());
                m_exportText = [count = static_cast<int>(*written),
                                   path = QDir::toNativeSeparators(QFileInfo(local).absoluteFilePath())] {
                    return tr("%n transaction(s) exported to %1.", nullptr, count).arg(path);
                };
            } else {
                m_exportText
                    = [error = written.error()] { return tr("The export failed: %1").arg(ErrorText::describe(error)); };
            }
            m_exportResult = m_exportText();
            emit changed();
            emit exported(written.ok());
        });
}

} // namespace wallet::app
