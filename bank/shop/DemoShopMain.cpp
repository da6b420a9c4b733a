// SPDX-License-Identifier: Apache-2.0
// skey-demo-shop: a small web shop for trying online checkout (issue 12, docs/demo-shop.md). It is a merchant of the
// bank host like any other: it holds the merchant's TLS client credential and creates payment orders at the bank
// (POST /v1/orders) on the server side; the browser never sees the credential. The page: a basket → "Pay with
// SmartKey" → the payment link and short code → the page follows the order (the shop long-polls the bank's
// /v1/orders/<id>/status) until "Paid" with the key's TAC. Bound to loopback only. Prices are the shop's, in
// integer fen; the browser only says which items and how many.
#include <httplib.h>

#include <QByteArray>
#include <QCoreApplication>
#include <QFile>
#include <QHostAddress>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QRegularExpression>
#include <QString>
#include <QStringList>
#include <QUuid>

#include <atomic>
#include <cstdio>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>

namespace {

struct Item
{
    const char* id;
    const char* name;
    qint64 priceFen;
};
constexpr Item kCatalogue[] = {
    {"tea", "Jasmine tea, 100 g", 1200},
    {"mooncake", "Lotus mooncake", 850},
    {"cup", "Tea cup", 2500},
};
constexpr int kMaxQuantity = 20;

struct Config
{
    std::string listenHost = "127.0.0.1";
    int listenPort = 0;
    std::string bankHost = "127.0.0.1";
    int bankPort = 0;
    std::string ca, cert, key;
};

const char* kPage = R"html(<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Demo Tea House</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body{font-family:sans-serif;max-width:40em;margin:2em auto;padding:0 1em;color:#222}
table{border-collapse:collapse;width:100%}td,th{padding:.4em;border-bottom:1px solid #ddd;text-align:left}
td.n{text-align:right}button{font-size:1em;padding:.4em .9em}#checkout{margin-top:1.5em;padding:1em;border:2px solid #0a7;display:none}
#code{font-size:2em;font-family:monospace;letter-spacing:.1em}#state{font-weight:bold}.paid{color:#0a7}.err{color:#b00}
</style></head><body>
<h1>Demo Tea House</h1>
<p>A demonstration shop of the SmartKey bank host. Nothing here is a real sale.</p>
<table id="catalogue"><tr><th>Item</th><th>Price</th><th></th><th>In basket</th></tr></table>
<p>Total: <span id="total">¥0.00</span></p>
<button id="pay" disabled>Pay with SmartKey</button>
<p id="error" class="err"></p>
<div id="checkout">
 <p>Open this link with SmartKey Wallet, or type the code on its Pay page:</p>
 <p><a id="link" href="#"></a></p>
 <p id="code"></p>
 <p>Order <span id="reference"></span>, <span id="amount"></span>. Status: <span id="state">open</span></p>
 <p id="receipt" style="display:none">Transaction code (TAC): <span id="tac"></span></p>
</div>
<script>
const items = %ITEMS%;
const basket = {};
function yuan(fen){const s=String(fen).padStart(3,'0');return '¥'+s.slice(0,-2).replace(/\B(?=(\d{3})+(?!\d))/g,',')+'.'+s.slice(-2);}
function total(){let t=0;for(const it of items){t+=(basket[it.id]||0)*it.priceFen;}return t;}
function render(){
  for(const it of items){document.getElementById('qty-'+it.id).textContent=basket[it.id]||0;}
  document.getElementById('total').textContent=yuan(total());
  document.getElementById('pay').disabled=total()===0;
}
const table=document.getElementById('catalogue');
for(const it of items){
  const tr=document.createElement('tr');
  const name=document.createElement('td');name.textContent=it.name;tr.appendChild(name);
  const price=document.createElement('td');price.className='n';price.textContent=yuan(it.priceFen);tr.appendChild(price);
  const add=document.createElement('td');const b=document.createElement('button');b.id='add-'+it.id;b.textContent='Add';
  b.onclick=()=>{basket[it.id]=(basket[it.id]||0)+1;render();};add.appendChild(b);tr.appendChild(add);
  const q=document.createElement('td');q.id='qty-'+it.id;q.className='n';tr.appendChild(q);
  table.appendChild(tr);
}
render();
function setState(s){const e=document.getElementById('state');e.textContent=s;e.className=s==='Paid'?'paid':'';}
const words={open:'Waiting for payment',checking:'Checking the payment',paid:'Paid',expired:'Expired',cancelled:'Cancelled'};
async function follow(id){
  let known='open';
  for(;;){
    let r;
    try{r=await fetch('/api/orders/'+encodeURIComponent(id)+'/status?knownState='+known);}catch(e){await new Promise(f=>setTimeout(f,1000));continue;}
    if(!r.ok){document.getElementById('error').textContent='The shop could not read the order ('+r.status+')';await new Promise(f=>setTimeout(f,2000));continue;}
    const s=await r.json();
    known=s.state;setState(words[s.state]||s.state);
    if(s.state==='paid'){document.getElementById('tac').textContent=s.tac;document.getElementById('receipt').style.display='';return;}
    if(s.state==='expired'||s.state==='cancelled'){return;}
  }
}
document.getElementById('pay').onclick=async()=>{
  document.getElementById('pay').disabled=true;document.getElementById('error').textContent='';
  const r=await fetch('/api/checkout',{method:'POST',headers:{'Content-Type':'application/json'},body:JSON.stringify({basket})});
  const o=await r.json();
  if(!r.ok){document.getElementById('error').textContent=o.error||('error '+r.status);document.getElementById('pay').disabled=false;return;}
  for(const b of document.querySelectorAll('button')){b.disabled=true;}
  const a=document.getElementById('link');a.href=o.paymentLink;a.textContent=o.paymentLink;
  document.getElementById('code').textContent=o.shortCode;
  document.getElementById('reference').textContent=o.reference;
  document.getElementById('amount').textContent=yuan(o.amount);
  document.getElementById('checkout').style.display='block';
  setState(words.open);
  follow(o.orderId);
};
</script></body></html>
)html";

std::string json(const QJsonObject& o)
{
    return QJsonDocument(o).toJson(QJsonDocument::Compact).toStdString();
}

class Shop
{
public:
    explicit Shop(Config config)
        : m_config(std::move(config))
    { }

    std::unique_ptr<httplib::SSLClient> bank(int readTimeoutSeconds) const
    {
        auto c
            = std::make_unique<httplib::SSLClient>(m_config.bankHost, m_config.bankPort, m_config.cert, m_config.key);
        c->set_ca_cert_path(m_config.ca.c_str());
        c->enable_server_certificate_verification(true);
        c->set_connection_timeout(5);
        c->set_read_timeout(readTimeoutSeconds);
        return c;
    }

    void checkout(const httplib::Request& req, httplib::Response& res)
    {
        const QJsonObject body = QJsonDocument::fromJson(QByteArray::fromStdString(req.body)).object();
        const QJsonObject basket = body.value(QStringLiteral("basket")).toObject();
        qint64 amount = 0;
        QStringList lines;
        for (const Item& it : kCatalogue) {
            const int n = basket.value(QLatin1String(it.id)).toInt(0);
            if (n < 0 || n > kMaxQuantity) {
                return fail(res, 400, QStringLiteral("at most %1 of an item").arg(kMaxQuantity));
            }
            if (n > 0) {
                amount += n * it.priceFen;
                lines << QStringLiteral("%1 x %2").arg(n).arg(QLatin1String(it.name));
            }
        }
        if (amount <= 0) {
            return fail(res, 400, QStringLiteral("the basket is empty"));
        }
        const QString reference = QStringLiteral("SHOP-%1-%2")
                                      .arg(++m_counter, 4, 10, QLatin1Char('0'))
                                      .arg(QUuid::createUuid().toString(QUuid::Id128).left(6).toUpper());
        QString description = lines.join(QStringLiteral(", "));
        if (description.size() > 140) {
            description = description.left(137) + QStringLiteral("...");
        }
        const QJsonObject order{{QStringLiteral("amount"), amount},
            {QStringLiteral("reference"), reference},
            {QStringLiteral("description"), description},
            {QStringLiteral("expiresInSeconds"), 900}};
        // One idempotency key per checkout: a retry of this request answers the same order.
        const std::string idempotencyKey = QUuid::createUuid().toString(QUuid::WithoutBraces).toStdString();
        std::optional<httplib::Result> sent;
        for (int attempt = 0; attempt < 3; ++attempt) {
            sent.emplace(bank(10)->Post(
                "/v1/orders", httplib::Headers{{"Idempotency-Key", idempotencyKey}}, json(order), "application/json"));
            if (*sent) {
                break;
            }
        }
        if (!sent || !*sent) {
            return fail(res, 502, QStringLiteral("the bank could not be reached"));
        }
        const httplib::Response* r = &**sent;
        const QJsonObject answer = QJsonDocument::fromJson(QByteArray::fromStdString(r->body)).object();
        if (r->status != 201 && r->status != 200) {
            return fail(res,
                502,
                QStringLiteral("the bank refused the order: %1").arg(answer.value(QStringLiteral("title")).toString()));
        }
        const QString orderId = answer.value(QStringLiteral("orderId")).toString();
        {
            std::lock_guard lock(m_mutex);
            m_orders.insert(orderId.toStdString());
        }
        std::fprintf(stderr,
            "skey-demo-shop: order %s %s for %lld fen\n",
            qPrintable(reference),
            qPrintable(orderId),
            static_cast<long long>(amount));
        res.status = 201;
        res.set_content(json({{QStringLiteral("orderId"), orderId},
                            {QStringLiteral("paymentLink"), answer.value(QStringLiteral("paymentLink"))},
                            {QStringLiteral("shortCode"), answer.value(QStringLiteral("shortCode"))},
                            {QStringLiteral("reference"), reference},
                            {QStringLiteral("amount"), amount}}),
            "application/json");
    }

    void status(const httplib::Request& req, httplib::Response& res)
    {
        const std::string id = req.matches[1];
        {
            std::lock_guard lock(m_mutex);
            if (m_orders.count(id) == 0) {
                return fail(res, 404, QStringLiteral("not an order of this shop"));
            }
        }
        static const QRegularExpression state(QStringLiteral("^(open|checking|paid|expired|cancelled)$"));
        std::string path = "/v1/orders/" + id + "/status?waitSeconds=20";
        const QString known = QString::fromStdString(req.get_param_value("knownState"));
        if (state.match(known).hasMatch()) {
            path += "&knownState=" + known.toStdString();
        }
        auto r = bank(30)->Get(path.c_str());
        if (!r) {
            return fail(res, 502, QStringLiteral("the bank could not be reached"));
        }
        const QJsonObject answer = QJsonDocument::fromJson(QByteArray::fromStdString(r->body)).object();
        if (r->status != 200) {
            return fail(res, 502, QStringLiteral("the bank answered %1").arg(r->status));
        }
        QJsonObject out{{QStringLiteral("state"), answer.value(QStringLiteral("state"))}};
        if (answer.contains(QStringLiteral("tac"))) {
            out.insert(QStringLiteral("tac"), answer.value(QStringLiteral("tac")));
        }
        res.set_content(json(out), "application/json");
    }

    static void fail(httplib::Response& res, int status, const QString& why)
    {
        res.status = status;
        res.set_content(json({{QStringLiteral("error"), why}}), "application/json");
    }

private:
    Config m_config;
    std::atomic<int> m_counter{0};
    std::mutex m_mutex;
    std::set<std::string> m_orders;
};

bool splitHostPort(const QString& text, std::string& host, int& port)
{
    const int colon = text.lastIndexOf(QLatin1Char(':'));
    if (colon <= 0) {
        return false;
    }
    bool ok = false;
    port = text.mid(colon + 1).toInt(&ok);
    host = text.left(colon).toStdString();
    return ok && port >= 0 && port <= 65535;
}

int usage()
{
    std::fprintf(stderr,
        "usage: skey-demo-shop --bank https://127.0.0.1:PORT --ca CA.pem --cert MERCHANT.pem --key MERCHANT.key\n"
        "                      [--listen 127.0.0.1:PORT]   (loopback only; port 0: any free port)\n"
        "Serves the demo shop page; prints \"listening on http://HOST:PORT\" once it accepts connections.\n");
    return 2;
}

} // namespace

int main(int argc, char** argv)
{
    QCoreApplication app(argc, argv);
    Config config;
    const QStringList args = app.arguments().mid(1);
    for (int i = 0; i < args.size(); ++i) {
        const QString& a = args[i];
        const QString value = i + 1 < args.size() ? args[i + 1] : QString();
        if (a == QLatin1String("--help")) {
            return usage();
        }
        if (value.isEmpty()) {
            return usage();
        }
        ++i;
        if (a == QLatin1String("--listen")) {
            if (!splitHostPort(value, config.listenHost, config.listenPort)) {
                return usage();
            }
        } else if (a == QLatin1String("--bank")) {
            QString rest = value;
            if (!rest.startsWith(QLatin1String("https://"))) {
                std::fprintf(stderr, "skey-demo-shop: the bank's URL must be https://\n");
                return 2;
            }
            rest = rest.mid(8);
            if (rest.endsWith(QLatin1Char('/'))) {
                rest.chop(1);
            }
            if (!splitHostPort(rest, config.bankHost, config.bankPort)) {
                return usage();
            }
        } else if (a == QLatin1String("--ca")) {
            config.ca = value.toStdString();
        } else if (a == QLatin1String("--cert")) {
            config.cert = value.toStdString();
        } else if (a == QLatin1String("--key")) {
            config.key = value.toStdString();
        } else {
            return usage();
        }
    }
    if (config.bankPort == 0 || config.ca.empty() || config.cert.empty() || config.key.empty()) {
        return usage();
    }
    if (!QHostAddress(QString::fromStdString(config.listenHost)).isLoopback()) {
        std::fprintf(stderr, "skey-demo-shop: it listens on loopback only (127.0.0.1 or ::1)\n");
        return 2;
    }
    for (const std::string& f : {config.ca, config.cert, config.key}) {
        if (!QFile::exists(QString::fromStdString(f))) {
            std::fprintf(stderr, "skey-demo-shop: %s does not exist\n", f.c_str());
            return 2;
        }
    }

    QJsonArray items;
    for (const Item& it : kCatalogue) {
        items.append(QJsonObject{{QStringLiteral("id"), QLatin1String(it.id)},
            {QStringLiteral("name"), QLatin1String(it.name)},
            {QStringLiteral("priceFen"), it.priceFen}});
    }
    std::string page = kPage;
    page.replace(page.find("%ITEMS%"), 7, QJsonDocument(items).toJson(QJsonDocument::Compact).toStdString());

    Shop shop(config);
    httplib::Server server;
    server.set_payload_max_length(4096);
    server.set_default_headers(
        {{"Content-Security-Policy", "default-src 'self'; script-src 'unsafe-inline'; style-src 'unsafe-inline'"},
            {"X-Content-Type-Options", "nosniff"},
            {"Cache-Control", "no-store"}});
    server.Get("/", [&page](const httplib::Request&, httplib::Response& res) {
        res.set_content(page, "text/html; charset=utf-8");
    });
    server.Post(
        "/api/checkout", [&shop](const httplib::Request& req, httplib::Response& res) { shop.checkout(req, res); });
    server.Get(R"(/api/orders/([0-9a-f-]{36})/status)",
        [&shop](const httplib::Request& req, httplib::Response& res) { shop.status(req, res); });

    int port = config.listenPort;
    if (port == 0) {
        port = server.bind_to_any_port(config.listenHost);
    } else if (!server.bind_to_port(config.listenHost, port)) {
        port = -1;
    }
    if (port <= 0) {
        std::fprintf(stderr, "skey-demo-shop: cannot listen on %s:%d\n", config.listenHost.c_str(), config.listenPort);
        return 1;
    }
    std::printf("listening on http://%s:%d\n", config.listenHost.c_str(), port);
    std::fflush(stdout);
    return server.listen_after_bind() ? 0 : 1;
}
