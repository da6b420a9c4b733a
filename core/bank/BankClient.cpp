// SPDX-License-Identifier: Apache-2.0
#include "core/bank/BankClient.h"

namespace wallet::core {

Error problemError(const BankAnswer& answer, const QString& context)
{
    const QString code = answer.problemCode();
    const QString title = answer.body.value(QStringLiteral("title")).toString();
    const QString detail = answer.body.value(QStringLiteral("detail")).toString();
    const QString next = answer.body.value(QStringLiteral("nextStep")).toString();
    ErrorCode ec = ErrorCode::Declined;
    const int s = answer.status;
    if (s == 400 || s == 413 || s == 415) {
        ec = ErrorCode::InvalidInput;
    } else if (s == 409) {
        ec = code == QStringLiteral("idempotency-key-in-flight") ? ErrorCode::OutcomeUnknown : ErrorCode::InvalidState;
    } else if (s == 422
        && (code == QStringLiteral("mac1-invalid") || code == QStringLiteral("mac2-invalid")
            || code == QStringLiteral("tac-invalid") || code == QStringLiteral("probe-invalid"))) {
        ec = ErrorCode::VerificationFailed;
    } else if (s == 429 || s >= 500) {
        ec = ErrorCode::BankUnreachable;
    }
    QString text = context + QStringLiteral(": ")
        + (title.isEmpty() ? QStringLiteral("the bank answered HTTP %1").arg(s) : title);
    if (!detail.isEmpty()) {
        text += QStringLiteral(" — ") + detail;
    }
    if (!next.isEmpty()) {
        text += QStringLiteral(" Next step: ") + next;
    } else if (s == 401) {
        text += QStringLiteral(" Next step: enrol this terminal with the bank again.");
    }
    text
        += QStringLiteral(" (bank: %1, HTTP %2)").arg(code.isEmpty() ? QStringLiteral("no problem code") : code).arg(s);
    return makeError(ec, text);
}

} // namespace wallet::core
