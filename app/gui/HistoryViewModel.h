// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "app/gui/TransactionListModel.h"

#include <QObject>
#include <QString>
#include <QUrl>
#include <QtQml/qqmlregistration.h>
#include <functional>

namespace wallet::app {

class WalletSession;

/**
 * @brief The history page over the SQLite mirror: filter by type and date range, search (merchant, terminal,
 * amount), pages of kPageSize, and CSV export of exactly the rows the page lists (all its pages).
 */
class HistoryViewModel : public QObject
{
    Q_OBJECT
    QML_ELEMENT
    QML_UNCREATABLE("Created by the wallet")

    Q_PROPERTY(wallet::app::TransactionListModel* model READ model CONSTANT)
    /// 0 all, 1 loads, 2 payments.
    Q_PROPERTY(int typeFilter READ typeFilter WRITE setTypeFilter NOTIFY filterChanged)
    /// Dates as the list shows them in the current language ("1/31/26"), or ISO "2026-01-31"; empty = open-ended.
    Q_PROPERTY(QString fromDate READ fromDate WRITE setFromDate NOTIFY filterChanged)
    Q_PROPERTY(QString toDate READ toDate WRITE setToDate NOTIFY filterChanged)
    Q_PROPERTY(QString search READ search WRITE setSearch NOTIFY filterChanged)
    Q_PROPERTY(QString filterProblem READ filterProblem NOTIFY filterChanged)
    /// A date written as the list shows dates in the current language ("1/31/26"), for the date fields' hints.
    Q_PROPERTY(QString dateExample READ dateExample NOTIFY filterChanged)
    Q_PROPERTY(int page READ page NOTIFY changed)
    Q_PROPERTY(int pageCount READ pageCount NOTIFY changed)
    Q_PROPERTY(int totalCount READ totalCount NOTIFY changed)
    Q_PROPERTY(QString pageText READ pageText NOTIFY changed)
    Q_PROPERTY(bool busy READ busy NOTIFY changed)
    Q_PROPERTY(QString errorText READ errorText NOTIFY changed)
    /// Where the export is offered: "smartkey-transactions.csv" in the user's Documents folder (issue 17 item 9).
    Q_PROPERTY(QString defaultExportPath READ defaultExportPath CONSTANT)
    Q_PROPERTY(QUrl defaultExportUrl READ defaultExportUrl CONSTANT)
    Q_PROPERTY(QUrl defaultExportFolderUrl READ defaultExportFolderUrl CONSTANT)
    Q_PROPERTY(QString exportResult READ exportResult NOTIFY changed)
    /// The folder of the last file exported (native separators); empty before the first export.
    Q_PROPERTY(QString exportFolder READ exportFolder NOTIFY changed)
    /// Generation of the newest query asked for (a filter, page or refresh); grows by one or more per request.
    Q_PROPERTY(quint64 queryGeneration READ queryGeneration NOTIFY changed)
    /// Generation of the query whose rows and total are shown; equals queryGeneration once the newest is in.
    Q_PROPERTY(quint64 finishedGeneration READ finishedGeneration NOTIFY changed)

public:
    static constexpr int kPageSize = 20;
    /// Search looks through at most this many matching rows (newest first).
    static constexpr int kSearchWindow = 1000;

    HistoryViewModel(WalletSession& session, QString dataDir, QObject* parent = nullptr);

    [[nodiscard]] TransactionListModel* model() { return &m_model; }
    [[nodiscard]] int typeFilter() const { return m_type; }
    void setTypeFilter(int type);
    [[nodiscard]] QString fromDate() const { return m_from; }
    void setFromDate(const QString& date);
    [[nodiscard]] QString toDate() const { return m_to; }
    void setToDate(const QString& date);
    [[nodiscard]] QString search() const { return m_search; }
    void setSearch(const QString& text);
    [[nodiscard]] QString filterProblem() const;
    [[nodiscard]] QString dateExample() const;
    [[nodiscard]] int page() const { return m_page; }
    [[nodiscard]] int pageCount() const;
    [[nodiscard]] int totalCount() const { return static_cast<int>(m_total); }
    [[nodiscard]] QString pageText() const;
    [[nodiscard]] bool busy() const { return m_busy; }
    [[nodiscard]] QString errorText() const { return m_error; }
    [[nodiscard]] QString defaultExportPath() const;
    [[nodiscard]] QUrl defaultExportUrl() const { return QUrl::fromLocalFile(defaultExportPath()); }
    [[nodiscard]] QUrl defaultExportFolderUrl() const;
    [[nodiscard]] QString exportResult() const { return m_exportResult; }
    [[nodiscard]] QString exportFolder() const { return m_exportFolder; }
    [[nodiscard]] quint64 queryGeneration() const { return m_querySerial; }
    [[nodiscard]] quint64 finishedGeneration() const { return m_finishedSerial; }

    /// Syncs the mirror from the key (when one is attached) and shows the current page.
    Q_INVOKABLE void refresh();
    Q_INVOKABLE void nextPage();
    Q_INVOKABLE void previousPage();
    /// Writes every row the page lists (type, date filter and text search) to `path` (local path or file: URL) as CSV,
    /// UTF-8 with a byte order mark (spreadsheet programs then read 校园食堂 right). An existing file is replaced only
    /// when `replace` is true (the page asked first); otherwise the export stops and says so.
    Q_INVOKABLE void exportCsv(const QString& path, bool replace = false);
    /// True when `path` (local path or file: URL) names an existing file: the page asks before replacing it.
    Q_INVOKABLE bool fileExists(const QString& path) const;
    /// `path` (local path or file: URL) as the user's system writes it.
    Q_INVOKABLE QString nativePath(const QString& path) const;
    /// Opens the folder of the last export in the desktop's file manager.
    Q_INVOKABLE void openExportFolder() const;

    /// After a language switch: the export's result line is said again in the new language (issue 17 item 11).
    void retranslate();

    /// The serial of the key whose history is shown (empty: all keys).
    void setTokenSerial(const QString& serial);

signals:
    void changed();
    void filterChanged();
    void exported(bool ok);
    /// The newest query's rows and total are in (queries overtaken by a newer one never finish). Queries run on the
    /// worker thread and the old total stays on screen meanwhile: wait for this, not for a count, before reading.
    void queryFinished(quint64 generation);

private:
    [[nodiscard]] core::HistoryQuery mirrorQuery() const; ///< type, dates, token: shared by the page and the export
    void query();
    void filterEdited();

    WalletSession& m_session;
    QString m_dataDir;
    TransactionListModel m_model;
    QString m_tokenSerial;
    int m_type = 0;
    QString m_from;
    QString m_to;
    QString m_search;
    int m_page = 0;
    qint64 m_total = 0;
    bool m_busy = false;
    QString m_error;
    QString m_exportResult;
    QString m_exportFolder;
    std::function<QString()> m_exportText; // makes m_exportResult in the current language
    quint64 m_querySerial = 0;
    quint64 m_finishedSerial = 0;
};

} // namespace wallet::app
