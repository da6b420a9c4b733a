// SPDX-License-Identifier: Apache-2.0
#include "app/kiosk/KioskController.h"

#include "app/kiosk/KioskIssuerHost.h"
#include "app/kiosk/SaleStore.h"
#include "app/kiosk/SamWatch.h"
#include "app/kiosk/Settlement.h"
#include "core/bank/HttpsBankClient.h"
#include "core/keystore/KeyStore.h"
#include "core/psam/LocalPsam.h"
#include "core/psam/UnavailablePsam.h"
#include "core/purse/Pin.h"
#include "core/purse/PurseService.h"
#include "core/storage/TransactionStore.h"
#include "device/DeviceManager.h"
#include "device/PcscPsam.h"

#include <QCoreApplication>
#include <QDir>
#include <QLocale>
#include <QLoggingCategory>
#include <QPainter>
#include <QPdfWriter>
#include <QVariantMap>

#include <botan/mem_ops.h>

Q_LOGGING_CATEGORY(lcKiosk, "wallet.kiosk")

namespace wallet::kiosk {

using core::Result;

namespace {

constexpr int kFailedSalesBeforeLock = 5;
constexpr int kFirstLockSeconds = 15;
constexpr std::size_t kMaxPinDigits = 12;
constexpr std::size_t kMinPinDigits = 4;
constexpr int kFirstSettleRetrySeconds = 30; ///< after a failed settlement upload; doubles each time
constexpr int kMaxSettleRetrySeconds = 900;
constexpr int kChecksShown = 3;

QString kioskText(const char* text)
{
    return QCoreApplication::translate("KioskMain", text);
}

QString money(std::uint32_t fen)
{
    return core::Amount(fen).toDisplayString();
}

} // namespace

/// Everything the kiosk touches on the worker thread.
struct KioskBackend
{
    std::unique_ptr<SaleStore> store;
    std::unique_ptr<SamWatch> psam; ///< the PSAM (software or a SAM over PC/SC), watched for a pulled SAM
    std::unique_ptr<core::IssuerHost> issuer;
    std::unique_ptr<core::TransactionStore> mirror;
    std::unique_ptr<core::BankClient> bank;
    std::shared_ptr<core::ApduChannel> channel;
    std::unique_ptr<core::PurseService> purse;
    QString serial;
    QByteArray asn;
};

struct KeyOpened
{
    QString serial;
    QByteArray asn;
    std::uint32_t balance = 0;
    QString problem; ///< message code when the key may not pay here
    int resolved = 0;
};

struct SaleOutcome
{
    qint64 saleId = 0;
    SaleState state = SaleState::NotDone;
    QString code; ///< wrongPin, pinBlocked, refused, storage, …
    int triesLeft = -1;
    std::uint32_t balanceAfter = 0;
};

KioskController::KioskController(KioskConfig config, const core::Clock& clock, app::KeyWorker& worker, QObject* parent)
    : QObject(parent)
    , m_config(std::move(config))
    , m_clock(clock)
    , m_worker(worker)
    , m_language(m_config.language)
{
    m_digits.reserve(kMaxPinDigits + 1);
    m_lastActivity = m_clock.now();
}

KioskController::~KioskController()
{
    wipeDigits();
    KioskBackend* backend = m_backend;
    m_worker.post([backend] { delete backend; });
    m_worker.drain();
}

QString KioskController::start()
{
    QString why;
    auto* backend = new KioskBackend;
    m_backend = backend;
    const KioskConfig config = m_config;
    const QDateTime startedAt = m_clock.now();
    auto backoff = std::make_shared<std::pair<qint64, int>>(0, 0);
    bool samOut = false;
    m_worker.post([backend, config, startedAt, backoff, &why, &samOut] {
        QDir().mkpath(config.dataDir);
        auto store = SaleStore::open(QDir(config.dataDir).filePath(QStringLiteral("sales.sqlite")));
        if (!store) {
            why = store.error().detail;
            return;
        }
        backend->store = std::move(*store);
        if (config.psamType == QLatin1String("local")) {
            // The software PSAM: for tests and demonstration only (its purchase master key is the public demo MPK).
            auto psam = core::LocalPsam::open(QDir(config.dataDir).filePath(QStringLiteral("psam.sqlite")),
                config.terminalId,
                core::KeyStore::demoKeys().mpk);
            if (!psam) {
                why = psam.error().detail;
                return;
            }
            backend->psam = std::make_unique<SamWatch>(std::move(*psam));
        } else {
            // The SAM in a PC/SC reader (docs/psam.md): the purchase master key stays on the card.
            auto psam = device::PcscPsam::open(config.pcscReader);
            if (!psam && SamWatch::isLoss(psam.error())) {
                // No card in the reader, or a card that does not answer: the kiosk starts out of service and opens
                // the SAM again every kSamRetrySeconds (reopenSam). Until then every PSAM call answers this reason.
                qCWarning(lcKiosk) << "the SAM does not answer at start: out of service:" << psam.error().detail;
                samOut = true;
                backend->psam = std::make_unique<SamWatch>(
                    std::make_unique<core::UnavailablePsam>(config.terminalId, psam.error()));
            } else if (!psam) {
                why = psam.error().detail;
                return;
            } else {
                backend->psam = std::make_unique<SamWatch>(std::move(*psam));
            }
        }
        backend->issuer = std::make_unique<KioskIssuerHost>();
        auto mirror = core::TransactionStore::open(QDir(config.dataDir).filePath(QStringLiteral("mirror.sqlite")));
        if (!mirror) {
            why = mirror.error().detail;
            return;
        }
        backend->mirror = std::move(*mirror);
        // Sales the kiosk left open when it stopped (killed mid-sale, power cut): listed for the operator, and
        // brought in line with what the PSAM already knows. A sale only the key can prove stays "being checked"
        // until that key is inserted (PurseService::open() then asks it: ATC, log record, GET TRANSACTION PROVE).
        if (auto f = backend->store->flagOpenAsChecked(); f && *f > 0) {
            qCInfo(lcKiosk) << *f << "sale(s) left open at the last stop: being checked";
        }
        if (samOut) {
            qCInfo(lcKiosk) << "open sales reconciled once the SAM answers";
        } else if (auto r = Settlement::reconcile(*backend->store, *backend->psam, {}, startedAt); !r) {
            qCWarning(lcKiosk) << "open sales not reconciled at start:" << r.error().detail;
        }
        if (!config.bankConfig.isEmpty()) {
            auto bank = core::BankClientConfig::load(config.bankConfig);
            if (!bank) {
                why = bank.error().detail;
                return;
            }
            backend->bank = std::make_unique<core::HttpsBankClient>(*bank, 5000);
        }
        if (auto b = backend->store->settleBackoff(); b) {
            *backoff = *b;
        }
    });
    m_worker.drain();
    if (why.isEmpty()) {
        // Sales waiting since before a restart, or a batch whose answer was lost, go at the first tick; unless the
        // uploads were backing off when the kiosk stopped: then the back-off goes on where it was (kept in
        // sales.sqlite), never longer than its step from now (a clock set back) and at once if its time passed.
        if (!m_config.bankConfig.isEmpty() && m_config.autoSettleSeconds > 0) {
            m_nextSettle = startedAt;
            if (backoff->second > 0) {
                m_settleBackoff = std::min(backoff->second, kMaxSettleRetrySeconds);
                const QDateTime kept = QDateTime::fromSecsSinceEpoch(backoff->first, Qt::UTC);
                m_nextSettle = std::clamp(kept, startedAt, startedAt.addSecs(m_settleBackoff));
            }
        }
        if (samOut) {
            m_samOut = true;
            m_screen = QStringLiteral("outOfService");
            m_samRetryAt = startedAt.addSecs(kSamRetrySeconds);
        }
        refreshTotals();
    }
    return why;
}

void KioskController::watch(device::DeviceManager& devices)
{
    m_devices = &devices;
    connect(&devices, &device::DeviceManager::keyAdded, this, [this](const device::KeyEntry& k) {
        if (m_keyId.isEmpty()) {
            keyAppeared(k.id);
        }
    });
    connect(&devices, &device::DeviceManager::keyChanged, this, [this](const device::KeyEntry& k) {
        if (m_keyId.isEmpty()) {
            keyAppeared(k.id);
        }
    });
    connect(&devices, &device::DeviceManager::keyRemoved, this, [this](const QString& id) {
        if (id == m_keyId) {
            keyGone(id);
        }
    });
}

QString KioskController::amountText() const
{
    return m_amountFen > 0 ? money(m_amountFen) : QString();
}

int KioskController::lockSeconds() const
{
    if (!m_lockedUntil.isValid()) {
        return 0;
    }
    return static_cast<int>(std::max<qint64>(0, m_clock.now().secsTo(m_lockedUntil)));
}

int KioskController::nextSettleSeconds() const
{
    if (!m_nextSettle.isValid()) {
        return -1;
    }
    return static_cast<int>(std::max<qint64>(0, m_clock.now().secsTo(m_nextSettle)));
}

QVariantList KioskController::priceList() const
{
    QVariantList out;
    for (const PriceItem& p : m_config.priceList) {
        out.append(QVariantMap{{QStringLiteral("name"), p.name}, {QStringLiteral("price"), money(p.amount.fen())}});
    }
    return out;
}

void KioskController::setScreen(const QString& s, const QString& message)
{
    m_screen = s;
    m_message = message;
    emit changed();
}

void KioskController::wipeDigits()
{
    Botan::secure_scrub_memory(m_digits.data(), m_digits.capacity());
    m_digits.clear();
}

void KioskController::resetAll()
{
    wipeDigits();
    m_entry.clear();
    m_amountFen = 0;
    m_triesLeft = -1;
    m_receipt.clear();
    m_receiptPdf.clear();
    m_balanceText.clear();
    if (m_language != m_config.language) {
        setLanguage(m_config.language);
    }
    setScreen(restScreen());
}

QString KioskController::restScreen() const
{
    if (m_samOut) {
        return QStringLiteral("outOfService");
    }
    return lockSeconds() > 0 ? QStringLiteral("locked") : QStringLiteral("welcome");
}

void KioskController::setLanguage(const QString& language)
{
    activity();
    if (language != QLatin1String("en") && language != QLatin1String("zh_CN")) {
        return;
    }
    m_language = language;
    emit languageRequested(language);
    emit changed();
}

void KioskController::activity()
{
    m_lastActivity = m_clock.now();
}

void KioskController::tick()
{
    const QDateTime now = m_clock.now();
    if (m_screen == QLatin1String("locked")) {
        if (lockSeconds() == 0) {
            m_lockedUntil = {};
            resetAll();
        } else {
            emit changed(); // the seconds shown
        }
        maybeAutoSettle();
        return;
    }
    // Never while money may be moving or a sale is being checked; the welcome and out-of-service screens have nothing
    // to clear.
    const bool idleApplies = m_screen != QLatin1String("welcome") && m_screen != QLatin1String("working")
        && m_screen != QLatin1String("checking") && m_screen != QLatin1String("outOfService");
    if (idleApplies && m_lastActivity.secsTo(now) >= m_config.idleSeconds) {
        qCInfo(lcKiosk) << "idle for" << m_config.idleSeconds << "s: back to the welcome screen";
        resetAll();
    }
    if (m_samRetryAt.isValid() && now >= m_samRetryAt && !m_busy) {
        if (m_samOut) {
            reopenSam();
        } else {
            checkWithSam();
        }
        return;
    }
    maybeAutoSettle();
}

void KioskController::checkWithSam()
{
    // A sale whose key answer the SAM could not check (pulled mid-sale): every kSamRetrySeconds, ask the SAM again
    // (PcscApduChannel reconnects to a card put back). The SAM verifies the kept MAC2 and keeps the TAC; the sale is
    // then done. Until it answers, the sale stays "checking" and is never repeated.
    m_samRetryAt = {};
    KioskBackend* backend = m_backend;
    const QDateTime now = m_clock.now();
    auto still = std::make_shared<bool>(true);
    m_busy = true;
    emit changed();
    m_worker.post([this, backend, now, still] {
        auto r = Settlement::reconcile(*backend->store, *backend->psam, {}, now);
        if (!r) {
            qCInfo(lcKiosk) << "the SAM does not answer yet:" << r.error().detail;
        } else if (auto open = backend->store->openSales(); open) {
            *still = std::any_of(open->begin(), open->end(), [](const Sale& s) {
                return !s.tac.isEmpty() && !s.detail.startsWith(QLatin1String("the SAM refused"));
            });
        }
        app::KeyWorker::deliver(this, [this, still] {
            m_busy = false;
            if (*still) {
                m_samRetryAt = m_clock.now().addSecs(kSamRetrySeconds);
            }
            refreshTotals();
            if (m_screen == QLatin1String("checking") && m_saleId != 0) {
                showSale(m_saleId); // the SAM checked the key's answer: the receipt; else still checking
                return;
            }
            emit changed();
        });
    });
}

void KioskController::reopenSam()
{
    // Started without its SAM: every kSamRetrySeconds, open the SAM's reader again. Once the SAM answers it takes the
    // place of the unavailable one, the sales kept open are brought in line with it as at a start
    // (Settlement::reconcile: a kept key answer is verified), and the kiosk sells again.
    m_samRetryAt = {};
    KioskBackend* backend = m_backend;
    const QString reader = m_config.pcscReader;
    const QDateTime now = m_clock.now();
    auto back = std::make_shared<bool>(false);
    m_busy = true;
    emit changed();
    m_worker.post([this, backend, reader, now, back] {
        if (auto psam = device::PcscPsam::open(reader); !psam) {
            qCInfo(lcKiosk) << "the SAM does not answer yet:" << psam.error().detail;
        } else {
            backend->psam->replace(std::move(*psam));
            *back = true;
            if (auto r = Settlement::reconcile(*backend->store, *backend->psam, {}, now); !r) {
                qCWarning(lcKiosk) << "open sales not reconciled once the SAM answered:" << r.error().detail;
            }
        }
        app::KeyWorker::deliver(this, [this, back] {
            m_busy = false;
            if (!*back) {
                m_samRetryAt = m_clock.now().addSecs(kSamRetrySeconds);
                emit changed();
                return;
            }
            qCInfo(lcKiosk) << "the SAM answers: back in service";
            m_samOut = false;
            refreshTotals();
            if (!m_screen.startsWith(QLatin1String("operator"))) {
                resetAll(); // the welcome screen (the operator's screen stays where the operator is)
            }
            if (!m_keyId.isEmpty()) {
                keyAppeared(m_keyId); // a key inserted while out of service
            } else {
                emit changed();
            }
        });
    });
}

void KioskController::maybeAutoSettle()
{
    if (m_samOut) {
        return; // the SAM clears what the bank acknowledged: uploads wait for it
    }
    if (!m_nextSettle.isValid() || m_settling || m_busy || m_clock.now() < m_nextSettle) {
        return;
    }
    // Only between customers: an upload of 10,000 sales holds the worker for seconds, and a sale must not wait.
    if (m_screen != QLatin1String("welcome") && m_screen != QLatin1String("operator")
        && m_screen != QLatin1String("locked")) {
        return;
    }
    ++m_autoAttempts;
    runSettlement(true);
}

void KioskController::digit(int d)
{
    activity();
    if (d < 0 || d > 9) {
        return;
    }
    if (m_screen == QLatin1String("pin") || m_screen == QLatin1String("operatorPin")) {
        if (m_digits.size() < kMaxPinDigits) {
            m_digits.push_back(static_cast<char>('0' + d));
        }
    } else if (m_screen == QLatin1String("operator") && m_entry.size() < 10) {
        m_entry.append(QChar(u'0' + d));
    }
    emit changed();
}

void KioskController::point()
{
    activity();
    if (m_screen == QLatin1String("operator") && !m_entry.contains(QLatin1Char('.'))) {
        m_entry.append(m_entry.isEmpty() ? QStringLiteral("0.") : QStringLiteral("."));
        emit changed();
    }
}

void KioskController::backspace()
{
    activity();
    if (m_screen == QLatin1String("operator")) {
        m_entry.chop(1);
    } else if (!m_digits.empty()) {
        m_digits.back() = '\0';
        m_digits.pop_back();
    }
    emit changed();
}

void KioskController::clearEntry()
{
    activity();
    m_entry.clear();
    wipeDigits();
    emit changed();
}

void KioskController::openOperator()
{
    activity();
    if ((m_busy && !m_samOut) || m_screen == QLatin1String("working") || m_screen == QLatin1String("checking")) {
        return;
    }
    wipeDigits();
    setScreen(QStringLiteral("operatorPin"));
}

void KioskController::choosePrice(int index)
{
    activity();
    if (m_screen != QLatin1String("operator") || index < 0 || index >= static_cast<int>(m_config.priceList.size())) {
        return;
    }
    m_entry = m_config.priceList[static_cast<std::size_t>(index)].amount.toString();
    emit changed();
}

void KioskController::cancel()
{
    activity();
    if (m_screen == QLatin1String("working") || m_screen == QLatin1String("checking")) {
        return; // money may be moving: never cancelled from here
    }
    const bool operatorSide = m_screen.startsWith(QLatin1String("operator"));
    wipeDigits();
    if (operatorSide) {
        m_entry.clear();
        setScreen(m_samOut ? QStringLiteral("outOfService") : QStringLiteral("welcome"));
        return;
    }
    resetAll();
}

void KioskController::done()
{
    activity();
    resetAll();
}

void KioskController::submit()
{
    activity();
    if (m_screen == QLatin1String("operatorPin")) {
        const bool ok = verifyOperatorPin(m_digits, m_config.operatorPinHash);
        wipeDigits();
        if (!ok) {
            qCInfo(lcKiosk) << "operator PIN refused";
            setScreen(QStringLiteral("operatorPin"), QStringLiteral("wrongOperatorPin"));
            return;
        }
        m_entry = m_amountFen > 0 ? core::Amount(m_amountFen).toString() : QString();
        refreshTotals();
        setScreen(QStringLiteral("operator"));
        return;
    }
    if (m_screen == QLatin1String("operator")) {
        const core::Amount::Scan scan = core::Amount::scan(m_entry); // the one strict parser
        if (!scan.ok() || scan.fen == 0) {
            setScreen(QStringLiteral("operator"), QStringLiteral("badAmount"));
            return;
        }
        m_entry.clear();
        if (m_samOut) {
            setScreen(QStringLiteral("outOfService")); // nothing can be sold: no amount is kept for later
            return;
        }
        m_amountFen = scan.fen;
        setScreen(m_keyReady ? QStringLiteral("amount") : QStringLiteral("welcome"));
        return;
    }
    if (m_screen == QLatin1String("amount")) {
        wipeDigits();
        setScreen(QStringLiteral("pin"));
        return;
    }
    if (m_screen == QLatin1String("pin")) {
        if (m_digits.size() < kMinPinDigits) {
            setScreen(QStringLiteral("pin"), QStringLiteral("pinTooShort"));
            return;
        }
        pay();
    }
}

void KioskController::keyAppeared(const QString& id)
{
    if (!m_devices || m_busy) {
        return;
    }
    if (m_samOut) {
        m_keyId = id; // opened once the SAM answers (reopenSam): a key cannot be checked or pay without it
        return;
    }
    m_keyId = id;
    const quint64 generation = ++m_keyGeneration;
    KioskBackend* backend = m_backend;
    device::DeviceManager* devices = m_devices;
    const QDateTime now = m_clock.now();
    auto result = std::make_shared<Result<KeyOpened>>(core::makeError(core::ErrorCode::NoDevice, QString()));
    m_busy = true;
    emit changed();
    m_worker.post([this, backend, devices, id, now, result, generation] {
        auto opened = devices->openChannel(id);
        if (!opened) {
            *result = opened.error();
        } else {
            backend->purse.reset();
            backend->channel = std::shared_ptr<core::ApduChannel>(std::move(*opened));
            core::PursePolicy policy;
            policy.merchantName = QStringLiteral("kiosk");
            backend->purse = std::make_unique<core::PurseService>(
                *backend->channel, *backend->issuer, *backend->psam, m_clock, backend->mirror.get(), policy);
            auto card = backend->purse->open(); // also settles the PSAM's open purchases with this key's proof
            if (!card) {
                *result = card.error();
            } else {
                KeyOpened k;
                k.serial = card->device.serialHex();
                k.asn = card->application.asn();
                backend->serial = k.serial;
                backend->asn = k.asn;
                auto resolved = Settlement::reconcile(*backend->store, *backend->psam, k.asn, now);
                k.resolved = resolved ? *resolved : 0;
                auto hot = backend->store->isHotlisted(k.asn);
                const core::Validity validity = backend->purse->checkValidity();
                if (hot && *hot) {
                    k.problem = QStringLiteral("hotlisted");
                } else if (!validity.ok()) {
                    k.problem = validity.problem == core::ValidityProblem::NotPersonalised
                        ? QStringLiteral("notIssued")
                        : QStringLiteral("invalidKey");
                } else if (auto b = backend->purse->balance(); b) {
                    k.balance = b->fen();
                } else {
                    k.problem = QStringLiteral("keyUnreadable");
                }
                *result = k;
            }
        }
        app::KeyWorker::deliver(this, [this, result, generation] {
            const std::shared_ptr<Result<KeyOpened>>& r = result;
            m_busy = false;
            if (generation != m_keyGeneration) {
                emit changed();
                return;
            }
            if (!*r) {
                qCInfo(lcKiosk) << "key not opened:" << r->error().detail;
                m_keyId.clear();
                emit changed();
                return;
            }
            m_keyReady = true;
            m_balanceText = money((*r)->balance);
            refreshTotals();
            if (m_screen == QLatin1String("checking") && m_saleId != 0) {
                showSale(m_saleId); // the key is back: its proof decided the sale
                return;
            }
            if (!(*r)->problem.isEmpty()) {
                setScreen(QStringLiteral("refused"), (*r)->problem);
                return;
            }
            if (m_screen == QLatin1String("welcome") && m_amountFen > 0 && lockSeconds() == 0) {
                activity();
                setScreen(QStringLiteral("amount"));
            } else {
                emit changed();
            }
        });
    });
}

void KioskController::keyGone(const QString& id)
{
    Q_UNUSED(id);
    m_keyId.clear();
    m_keyReady = false;
    ++m_keyGeneration;
    KioskBackend* backend = m_backend;
    m_worker.post([backend] {
        backend->purse.reset();
        backend->channel.reset();
    });
    if (m_screen == QLatin1String("working")) {
        setScreen(QStringLiteral("checking")); // the answer of DEBIT may be lost: the sale is checked, never repeated
        return;
    }
    if (m_screen == QLatin1String("checking")) {
        emit changed();
        return;
    }
    if (m_screen == QLatin1String("amount") || m_screen == QLatin1String("pin") || m_screen == QLatin1String("refused")
        || m_screen == QLatin1String("receipt")) {
        // Nothing was sent to the key that moves money: the sale simply did not happen. The amount stays for the
        // next key (the operator set it).
        wipeDigits();
        m_receipt.clear();
        m_balanceText.clear();
        setScreen(QStringLiteral("welcome"));
    }
}

void KioskController::pay()
{
    if (m_busy || !m_keyReady || m_samOut) {
        return;
    }
    auto digits = std::make_shared<Botan::secure_vector<char>>(std::move(m_digits));
    m_digits = Botan::secure_vector<char>();
    m_digits.reserve(kMaxPinDigits + 1);
    const std::uint32_t fen = m_amountFen;
    KioskBackend* backend = m_backend;
    const QDateTime now = m_clock.now();
    auto out = std::make_shared<SaleOutcome>();
    m_busy = true;
    setScreen(QStringLiteral("working"));
    m_worker.post([this, backend, digits, fen, now, out] {
        auto pin = core::Pin::fromDigits(std::string_view(digits->data(), digits->size()));
        Botan::secure_scrub_memory(digits->data(), digits->capacity());
        digits->clear();
        if (!backend->purse) {
            out->code = QStringLiteral("keyRemoved");
        } else if (!pin) {
            out->code = QStringLiteral("pinTooShort");
        } else if (auto id = backend->store->begin(backend->serial, backend->asn, core::Amount(fen), now); !id) {
            out->code = QStringLiteral("storage");
            qCWarning(lcKiosk) << "sale not recorded, nothing sent to the key:" << id.error().detail;
        } else {
            out->saleId = *id;
            backend->psam->clear();
            auto r = backend->purse->purchase(core::Amount(fen), &*pin);
            if (r) {
                out->balanceAfter = r->balanceAfter.fen();
                core::SettlementRecord rec;
                bool found = false;
                if (auto pending = backend->psam->pendingSettlement(); pending) {
                    for (const auto& p : *pending) {
                        if (p.tsn == r->tsn) {
                            rec = p;
                            found = true;
                        }
                    }
                }
                if (!found) {
                    rec.asn = backend->asn;
                    rec.tsn = r->tsn;
                    rec.offlineAtc = r->atc;
                    rec.amount = r->amount;
                    rec.terminalId = r->terminalId;
                    rec.date = core::bcdDate(r->when.date());
                    rec.time = core::bcdTime(r->when.time());
                    rec.tac = r->tac;
                    rec.mac2 = r->mac2;
                }
                if (auto c = backend->store->complete(*id, rec); !c) {
                    qCWarning(lcKiosk) << "sale paid, record kept at the PSAM only:" << c.error().detail;
                }
                out->state = SaleState::Done;
            } else if (r.error().code == core::ErrorCode::OutcomeUnknown) {
                if (auto answer = backend->psam->takeUnchecked()) {
                    // The SAM stopped answering at VERIFY MAC2: the key answered DEBIT, but only the SAM can check
                    // that answer. It is kept with the sale (never lost) and checked when the SAM is back.
                    core::SettlementRecord rec;
                    rec.asn = backend->asn;
                    rec.tsn = answer->tsn;
                    rec.amount = core::Amount(fen);
                    rec.terminalId = backend->psam->terminalId();
                    rec.tac = answer->tac;
                    rec.mac2 = answer->mac2;
                    if (auto k = backend->store->keepUnchecked(*id, rec, r.error().detail); !k) {
                        qCWarning(lcKiosk)
                            << "the key's answer could not be kept, the SAM keeps the TSN:" << k.error().detail;
                    }
                    out->code = QStringLiteral("samRemoved");
                } else {
                    std::uint32_t tsn = 0;
                    if (auto open = backend->psam->unconfirmed(backend->asn); open && !open->empty()) {
                        tsn = open->back().tsn;
                    }
                    (void)backend->store->markChecking(*id, tsn, r.error().detail);
                }
                out->state = SaleState::Checking;
            } else if (backend->psam->lost()) {
                // The SAM did not answer before DEBIT was sent (no MAC1): the key was asked for nothing that moves
                // money. Not the key's fault: the message says so.
                out->code = QStringLiteral("samUnavailable");
                (void)backend->store->markNotDone(*id, r.error().detail);
                out->state = SaleState::NotDone;
                qCWarning(lcKiosk) << "sale not made, the SAM does not answer:" << r.error().detail;
            } else {
                const core::Error& e = r.error();
                out->code = e.code == core::ErrorCode::WrongPin      ? QStringLiteral("wrongPin")
                    : e.code == core::ErrorCode::PinBlocked          ? QStringLiteral("pinBlocked")
                    : e.code == core::ErrorCode::InsufficientBalance ? QStringLiteral("insufficient")
                    : e.code == core::ErrorCode::Disconnected || e.code == core::ErrorCode::Timeout
                    ? QStringLiteral("keyRemoved")
                    : QStringLiteral("refused");
                out->triesLeft = e.triesLeft;
                (void)backend->store->markNotDone(*id, e.detail);
                out->state = SaleState::NotDone;
                qCInfo(lcKiosk) << "sale not made:" << e.detail;
            }
        }
        app::KeyWorker::deliver(this, [this, out] {
            const std::shared_ptr<SaleOutcome>& o = out;
            m_busy = false;
            m_saleId = o->saleId;
            if (o->state == SaleState::Done) {
                m_failedInRow = 0;
                m_lockLevel = 0;
                m_balanceText = money(o->balanceAfter);
                showSale(o->saleId);
                return;
            }
            if (o->state == SaleState::Checking) {
                if (o->code == QLatin1String("samRemoved")) {
                    m_samRetryAt = m_clock.now().addSecs(kSamRetrySeconds);
                }
                setScreen(QStringLiteral("checking"), o->code);
                emit saleFinished(QStringLiteral("checking"));
                return;
            }
            m_triesLeft = o->triesLeft;
            if (o->code == QLatin1String("wrongPin") || o->code == QLatin1String("pinBlocked")) {
                failedSale();
                if (m_screen == QLatin1String("locked")) {
                    emit saleFinished(o->code);
                    return;
                }
            }
            setScreen(
                o->code == QLatin1String("wrongPin") && m_keyReady ? QStringLiteral("pin") : QStringLiteral("failed"),
                o->code);
            emit saleFinished(o->code);
        });
    });
}

void KioskController::failedSale()
{
    ++m_failedInRow;
    if (m_failedInRow < kFailedSalesBeforeLock) {
        return;
    }
    m_failedInRow = 0;
    ++m_lockLevel;
    const qint64 seconds = static_cast<qint64>(kFirstLockSeconds) << std::min(m_lockLevel - 1, 16);
    m_lockedUntil = m_clock.now().addSecs(seconds);
    qCInfo(lcKiosk) << kFailedSalesBeforeLock << "failed sales in a row: locked for" << seconds << "s";
    wipeDigits();
    setScreen(QStringLiteral("locked"));
}

void KioskController::showSale(qint64 saleId)
{
    KioskBackend* backend = m_backend;
    auto out = std::make_shared<std::optional<Sale>>();
    m_worker.post([this, backend, saleId, out] {
        if (auto s = backend->store->sale(saleId); s) {
            *out = *s;
        }
        app::KeyWorker::deliver(this, [this, out] {
            const std::shared_ptr<std::optional<Sale>>& s = out;
            refreshTotals();
            if (!s->has_value()) {
                setScreen(QStringLiteral("failed"), QStringLiteral("storage"));
                return;
            }
            const Sale& sale = **s;
            if (sale.state == SaleState::Checking || sale.state == SaleState::Started) {
                // Still open: a kept key answer waits for the SAM, anything else for the key.
                setScreen(QStringLiteral("checking"), sale.tac.isEmpty() ? QString() : QStringLiteral("samRemoved"));
                return;
            }
            if (sale.state == SaleState::NotDone) {
                setScreen(QStringLiteral("failed"), QStringLiteral("notCharged"));
                emit saleFinished(QStringLiteral("notCharged"));
                return;
            }
            const QString asn = QString::fromLatin1(sale.asn.toHex().toUpper());
            const QDate d = core::dateFromBcd(sale.date);
            const QTime t = core::timeFromBcd(sale.time);
            auto line = [](const char* label, const QString& value) {
                return QVariantMap{{QStringLiteral("label"), QLatin1String(label)}, {QStringLiteral("value"), value}};
            };
            m_receipt = {line("merchant", m_config.merchantName),
                line("amount", money(sale.amount.fen())),
                line("balance", m_balanceText),
                line("date",
                    QStringLiteral("%1 %2").arg(d.toString(Qt::ISODate), t.toString(QStringLiteral("HH:mm:ss")))),
                line("key", QStringLiteral("**** ") + asn.right(4)),
                line("terminal", QString::fromLatin1(sale.terminalId.toHex().toUpper())),
                line("tsn", QString::number(sale.tsn)),
                line("tac", QString::fromLatin1(sale.tac.toHex().toUpper()))};
            m_amountFen = 0;
            writeReceiptPdf();
            setScreen(QStringLiteral("receipt"));
            emit saleFinished(QStringLiteral("paid"));
        });
    });
}

void KioskController::writeReceiptPdf()
{
    QDir().mkpath(m_config.receiptDir);
    QString tsn;
    for (const QVariant& v : m_receipt) {
        if (v.toMap().value(QStringLiteral("label")).toString() == QLatin1String("tsn")) {
            tsn = v.toMap().value(QStringLiteral("value")).toString();
        }
    }
    const QString path = QDir(m_config.receiptDir).filePath(QStringLiteral("receipt-%1-%2.pdf").arg(m_saleId).arg(tsn));
    QPdfWriter pdf(path);
    pdf.setPageSize(QPageSize(QSizeF(80, 160), QPageSize::Millimeter)); // a receipt printer's roll
    pdf.setResolution(203);
    pdf.setTitle(kioskText("Receipt"));
    pdf.setCreator(QStringLiteral("smartkey-kiosk"));
    QPainter p(&pdf);
    if (!p.isActive()) {
        qCWarning(lcKiosk) << "cannot write the receipt" << path;
        return;
    }
    QFont f = p.font();
    f.setPointSize(9);
    p.setFont(f);
    const int lineHeight = p.fontMetrics().height() + 8;
    int y = lineHeight;
    p.drawText(0, y, kioskText("Receipt"));
    y += lineHeight * 2;
    const QMap<QString, QString> labels{{QStringLiteral("merchant"), kioskText("Merchant")},
        {QStringLiteral("amount"), kioskText("Amount paid")},
        {QStringLiteral("balance"), kioskText("Balance on the key")},
        {QStringLiteral("date"), kioskText("Date")},
        {QStringLiteral("key"), kioskText("Key")},
        {QStringLiteral("terminal"), kioskText("Terminal")},
        {QStringLiteral("tsn"), kioskText("Transaction number")},
        {QStringLiteral("tac"), kioskText("TAC")}};
    for (const QVariant& v : m_receipt) {
        const QVariantMap m = v.toMap();
        p.drawText(0, y, labels.value(m.value(QStringLiteral("label")).toString()));
        p.drawText(pdf.width() / 2, y, m.value(QStringLiteral("value")).toString());
        y += lineHeight;
    }
    p.end();
    m_receiptPdf = path;
}

void KioskController::refreshTotals()
{
    KioskBackend* backend = m_backend;
    const QDate day = m_clock.now().date();
    auto out = std::make_shared<std::optional<SaleStore::Totals>>();
    auto checks = std::make_shared<QVariantList>();
    m_worker.post([this, backend, day, out, checks] {
        if (backend->store) {
            if (auto t = backend->store->totals(day); t) {
                *out = *t;
            }
            if (auto c = backend->store->checkedSales(kChecksShown); c) {
                for (const Sale& sale : *c) {
                    const QString asn = QString::fromLatin1(sale.asn.toHex().toUpper());
                    checks->append(QVariantMap{{QStringLiteral("amount"), money(sale.amount.fen())},
                        {QStringLiteral("key"), QStringLiteral("**** ") + asn.right(4)},
                        {QStringLiteral("state"),
                            sale.state == SaleState::Done          ? QStringLiteral("done")
                                : sale.state == SaleState::NotDone ? QStringLiteral("not-done")
                                                                   : QStringLiteral("checking")}});
                }
            }
        }
        app::KeyWorker::deliver(this, [this, out, checks] {
            const std::shared_ptr<std::optional<SaleStore::Totals>>& t = out;
            m_checks = *checks;
            if (t->has_value()) {
                m_totalSales = (*t)->sales;
                m_totalAmount = money((*t)->amount.fen());
                m_checking = (*t)->checking;
                m_unsettled = (*t)->unsettled;
                emit changed();
            }
        });
    });
}

void KioskController::settle()
{
    activity();
    if (m_screen != QLatin1String("operator") || m_busy || m_settling) {
        return;
    }
    if (m_samOut) {
        m_settlement = QStringLiteral("samOut"); // the SAM clears what the bank acknowledged: the upload waits
        emit changed();
        return;
    }
    runSettlement(false);
}

void KioskController::runSettlement(bool automatic)
{
    KioskBackend* backend = m_backend;
    const QDateTime now = m_clock.now();
    auto out = std::make_shared<QString>();
    m_settling = true;
    m_settlement = QStringLiteral("uploading");
    emit changed();
    // One worker thread runs every sale and every upload in turn, and the batch id is stored before the first
    // attempt: an automatic and an operator's upload can never post a sale twice (docs/kiosk.md "Settlement").
    m_worker.post([this, backend, now, out, automatic] {
        if (!backend->bank) {
            *out = QStringLiteral("noBank");
        } else {
            (void)Settlement::reconcile(*backend->store, *backend->psam, {}, now);
            auto r = Settlement::upload(*backend->store, *backend->bank, *backend->psam, now);
            if (!r) {
                *out = r.error().code == core::ErrorCode::BankUnreachable ? QStringLiteral("bankDown")
                                                                          : QStringLiteral("settlementRefused");
                qCInfo(lcKiosk) << "settlement:" << r.error().detail;
            } else {
                *out = QStringLiteral("uploaded");
                if (auto h = Settlement::refreshHotlist(*backend->store, *backend->bank); !h) {
                    qCInfo(lcKiosk) << "hot-list not refreshed:" << h.error().detail;
                }
            }
        }
        app::KeyWorker::deliver(this, [this, out, automatic] {
            const std::shared_ptr<QString>& s = out;
            m_settling = false;
            m_settlement = *s;
            if (m_config.autoSettleSeconds > 0 && !m_config.bankConfig.isEmpty()) {
                // Back-off after a failure (30 s, 60 s, … at most 15 min); the regular interval after a success.
                if (*s == QLatin1String("uploaded")) {
                    m_settleBackoff = 0;
                    m_nextSettle = m_clock.now().addSecs(m_config.autoSettleSeconds);
                } else {
                    m_settleBackoff = m_settleBackoff == 0 ? kFirstSettleRetrySeconds
                                                           : std::min(m_settleBackoff * 2, kMaxSettleRetrySeconds);
                    m_nextSettle = m_clock.now().addSecs(m_settleBackoff);
                }
                // Kept across a restart (docs/kiosk.md "Automatic upload"); {0, 0} after a success.
                const qint64 next = m_settleBackoff > 0 ? m_nextSettle.toSecsSinceEpoch() : 0;
                const int step = m_settleBackoff;
                KioskBackend* store = m_backend;
                m_worker.post([store, next, step] {
                    if (auto w = store->store->setSettleBackoff(next, step); !w) {
                        qCWarning(lcKiosk) << "upload back-off not kept:" << w.error().detail;
                    }
                });
            }
            qCInfo(lcKiosk) << (automatic ? "automatic" : "operator's") << "settlement:" << *s << "- next automatic"
                            << "in" << nextSettleSeconds() << "s";
            refreshTotals();
            emit changed();
        });
    });
}

void KioskController::exitKiosk()
{
    if (m_screen != QLatin1String("operator")) {
        return; // only behind the operator PIN
    }
    m_exitAllowed = true;
    emit changed();
    emit exitRequested();
}

} // namespace wallet::kiosk
