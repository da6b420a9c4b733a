// SPDX-License-Identifier: Apache-2.0
// libFuzzer entry point for the bank host's request parsers (docs/testing.md, "fuzz_bank_requests"): everything
// skey-bank reads from a terminal before any database or HSM work. The first byte picks the parser:
//   0  a request body as the server reads it (JsonRequest::parseBody), its canonical form (the request fingerprint
//      covers it, docs/bank.md §6.1), then every operation's validator (strict fields, integer fen, uppercase hex,
//      digits, UUIDs), as each mutating route runs them;
//   1  JsonRequest's accessors directly on a parsed object (hex, integer, digits, uuid, oneOf, text);
//   2  a PKCS#10 request (TerminalCa::checkRequest, the enrolment endpoint's CSR check);
//   3  an enrolment code as typed (Terminals::normaliseCode).
// Invariants are checked with abort(), so a violation is a crash libFuzzer (and the replay test) reports.
#include "bank/acquirer/Acquirer.h"
#include "bank/ca/CardholderCa.h"
#include "bank/ca/TerminalCa.h"
#include "bank/issuance/Issuance.h"
#include "bank/issuance/Staff.h"
#include "bank/issuer/Issuer.h"
#include "bank/server/JsonRequest.h"
#include "bank/server/Terminals.h"

#include <QJsonDocument>

#include <cstddef>
#include <cstdint>
#include <cstdlib>

using namespace wallet::bank;

namespace {

using Validate = Reply (*)(const QJsonObject&, const QString&);

const Validate kValidators[] = {&Issuer::validateAuthorisation,
    &Issuer::validateConfirmation,
    &Issuer::validateProbeRequest,
    &Issuer::validateProbeEvidence,
    &Acquirer::validatePurchase,
    &Acquirer::validatePurchaseConfirmation,
    &Acquirer::validateAbandonment,
    &Acquirer::validateSettlementBatch,
    &Acquirer::validateOrder,
    &Acquirer::validateEmpty,
    &CardholderCa::validate,
    &Issuance::validateJobRequest,
    &Issuance::validateStepRequest,
    &Issuance::validateCompletion,
    &Issuance::validatePinMaintenance,
    &Issuance::validateApplicationBlock,
    &Issuance::validateChallenge,
    &Issuance::validateApprovedChallenge,
    &Issuance::validateOutcome,
    &Issuance::validateHotlisting,
    &Staff::validateCredential,
    &Staff::validateApprovalRequest,
    &Staff::validateDecision,
    &Staff::validateEmpty,
    &Terminals::validateEnrolment};

void check(bool ok)
{
    if (!ok) {
        std::abort();
    }
}

void body(const QByteArray& in)
{
    QString error;
    auto object = JsonRequest::parseBody(in, &error);
    if (!object) {
        check(!error.isEmpty());
        return;
    }
    // The fingerprint's canonical form is stable: parsing it again gives the same bytes.
    const QByteArray canonical = JsonRequest::canonical(*object);
    auto again = JsonRequest::parseBody(canonical, &error);
    check(again.has_value() && JsonRequest::canonical(*again) == canonical);
    for (Validate v : kValidators) {
        const Reply r = v(*object, QStringLiteral("01234567-89ab-cdef-0123-456789abcdef"));
        // A refusal is a 400 problem+json naming what is wrong; an acceptance has no body.
        check(r.problem ? (r.status == 400 && !r.body.isEmpty()) : r.body.isEmpty());
    }
}

void accessors(const QByteArray& in)
{
    auto object = JsonRequest::parseBody(in, nullptr);
    if (!object) {
        return;
    }
    const QStringList keys = object->keys();
    JsonRequest r(*object, QSet<QString>(keys.begin(), keys.end()));
    for (const QString& k : keys) {
        if (auto h = r.hex(k, 4)) {
            check(h->size() == 4);
        }
        if (auto n = r.integer(k, 1, 4294967295LL)) {
            check(*n >= 1 && *n <= 4294967295LL);
        }
        if (auto d = r.digits(k, 12)) {
            check(d->size() == 12);
        }
        if (auto u = r.uuid(k)) {
            check(u->size() == 36);
        }
        (void)r.oneOf(k, {QStringLiteral("3des"), QStringLiteral("sm4")});
        if (auto t = r.text(k, 1, 64)) {
            check(!t->isEmpty() && t->size() <= 64);
        }
    }
    check(r.ok() == r.errors().empty());
}

void code(const QByteArray& in)
{
    auto c = Terminals::normaliseCode(QString::fromUtf8(in));
    if (c) {
        check(c->size() == 20);
        check(Terminals::normaliseCode(*c) == c); // idempotent
        check(Terminals::codeHash(*c).size() == 64);
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    if (size == 0 || size > 70000) {
        return 0;
    }
    const QByteArray in(reinterpret_cast<const char*>(data + 1), static_cast<qsizetype>(size - 1));
    switch (data[0] % 4) {
    case 0:
        body(in);
        break;
    case 1:
        accessors(in);
        break;
    case 2: {
        QString why;
        const auto p = TerminalCa::checkRequest(in, &why);
        check((p == TerminalCa::RequestProblem::None) == why.isEmpty());
        break;
    }
    default:
        code(in);
        break;
    }
    return 0;
}
