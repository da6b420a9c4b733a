// SPDX-License-Identifier: Apache-2.0
#include "app/gui/HistoryViewModel.h"

#include "app/gui/AmountText.h"
#include "app/gui/ErrorText.h"
#include "app/gui/WalletSession.h"

#include <QDir>
#include <QUrl>

namespace wallet::app {

namespace {
struct Page
{
    QVector<TransactionListModel::Row> rows;
    qint64 total = 0;
};

std::optional<QDate> isoDate(const QString& text)
{
    const QDate d = QDate::fromString(text.trimmed(), Qt::ISODate);
    return d.isValid() ? std::optional<QDate>(d) : std::nullopt;
}

bool matches(const TransactionListModel::Row& row, const QString& needle)
{
    const QString terminal = QString::fromLatin1(row.terminalId.toHex());
    return row.merchant.contains(needle, Qt::CaseInsensitive) || terminal.contains(needle, Qt::CaseInsensitive)
        || AmountText::formatPlain(row.amountFen).contains(needle)
        || QString::fromLatin1(row.tac.toHex()).contains(needle, Qt::CaseInsensitive);
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

QString HistoryViewModel::filterProblem() const
{
    if (!m_from.trimmed().isEmpty() && !isoDate(m_from)) {
        return tr("Write the start date as YYYY-MM-DD, for example 2026-01-31.");
    }
    if (!m_to.trimmed().isEmpty() && !isoDate(m_to)) {
        return tr("Write the end date as YYYY-MM-DD, for example 2026-01-31.");
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

QString HistoryViewModel::defaultExportPath() const
{
    return QDir(m_dataDir).filePath(QStringLiteral("smartkey-transactions.csv"));
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

void HistoryViewModel::query()
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
            // Search: the mirror filters by type and date, the text match happens here over a bounded window.
            q.limit = kSearchWindow;
            q.offset = 0;
            auto rows = ctx.mirror()->history(q);
            if (!rows) {
                return rows.error();
            }
            QVector<TransactionListModel::Row> hits;
            for (const auto& t : *rows) {
                auto row = TransactionListModel::fromStored(t);
                if (matches(row, needle)) {
                    hits.push_back(row);
                }
            }
            out.total = hits.size();
            out.rows = hits.mid(static_cast<qsizetype>(page) * kPageSize, kPageSize);
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

void HistoryViewModel::exportCsv(const QString& path)
{
    const QUrl url(path);
    const QString local = url.isLocalFile() ? url.toLocalFile() : path;
    if (local.trimmed().isEmpty()) {
        m_exportResult = tr("Choose a file to export to.");
        emit changed();
        return;
    }
    core::HistoryQuery q;
    q.tokenSerial = m_tokenSerial;
    if (m_type == 1) {
        q.type = core::TransactionType::Load;
    } else if (m_type == 2) {
        q.type = core::TransactionType::Purchase;
    }
    q.from = isoDate(m_from);
    q.to = isoDate(m_to);
    q.limit = 1000;
    m_session.runLocal<qint64>(
        this,
        [q, local](PurseContext& ctx) -> core::Result<qint64> {
            if (auto ready = ctx.ensureServices(); !ready) {
                return ready.error();
            }
            if (!ctx.mirror()) {
                return core::makeError(core::ErrorCode::StorageError, ctx.mirrorError());
            }
            return ctx.mirror()->exportCsv(q, local);
        },
        [this, local](core::Result<qint64> written) {
            if (written) {
                m_exportResult = tr("%n transaction(s) exported to %1.", nullptr, static_cast<int>(*written))
                                     .arg(QDir::toNativeSeparators(local));
            } else {
                m_exportResult = tr("The export failed: %1").arg(ErrorText::describe(written.error()));
            }
            emit changed();
            emit exported(written.ok());
        });
}

} // namespace wallet::app
