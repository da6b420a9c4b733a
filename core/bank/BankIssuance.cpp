// SPDX-License-Identifier: Apache-2.0
#include "core/bank/BankIssuance.h"

#include "core/issuance/BranchStation.h"

namespace wallet::core {

Result<IssuanceResult> issueThroughBank(BankClient& bank, ApduChannel& key, const IssuanceProfile& profile)
{
    BranchStation station(bank, key);
    auto state = station.readKey();
    if (!state) {
        return state.error();
    }
    if (!state->blank()) {
        return makeError(ErrorCode::InvalidState,
            QStringLiteral("the key %1 is already issued (ASN %2): nothing was changed")
                .arg(state->deviceSerial, state->asn.isEmpty() ? QStringLiteral("unknown") : state->asn));
    }
    // Self-service issuance (a bank whose policy lets a wallet issue, docs/bank.md §12 "Self-service demo issuance";
    // any other bank answers 403 below): the customer's documents are not typed at a desk, so the job carries values
    // marked DEMO, never a real person's data. A branch issues with the customer's documents (BranchStation).
    StationCustomer customer;
    customer.name = profile.cardholder.name.trimmed().isEmpty() ? QStringLiteral("DEMO HOLDER")
                                                                : profile.cardholder.name.trimmed().left(20);
    customer.idType = 2; // other
    customer.idNumber = QStringLiteral("DEMO") + state->deviceSerial;
    customer.phone = QStringLiteral("+860000000000");
    StationProfile limits;
    limits.algorithm = profile.algorithm == Algorithm::Sm4 ? QStringLiteral("sm4") : QStringLiteral("3des");
    limits.maxBalance = profile.maxBalance.fen();
    limits.noPinLimit = profile.noPinLimit.fen();
    limits.purchaseNeedsTouch = profile.purchaseNeedsTouch;
    auto job = station.createJob(state->deviceSerial, customer, limits);
    if (!job) {
        // problemError (BankClient.cpp) ends a bank's refusal with "(bank: <code>, HTTP <status>)".
        if (job.error().detail.contains(QStringLiteral(", HTTP 403)"))) {
            return makeError(ErrorCode::Declined,
                QStringLiteral("this bank does not let a wallet issue keys: keys are issued at a branch of the bank "
                               "(its branch station or branchctl), so take the key there. Nothing was written to the "
                               "key. (%1)")
                    .arg(job.error().detail));
        }
        return job.error();
    }
    const QString jobId = job->value(QStringLiteral("jobId")).toString();
    const QString asn = job->value(QStringLiteral("asn")).toString();
    if (auto done = station.personalise(jobId, profile.pinDigits); !done) {
        return done.error();
    }
    IssuanceResult issued;
    issued.deviceSerial = QByteArray::fromHex(state->deviceSerial.toLatin1());
    issued.asn = QByteArray::fromHex(asn.toLatin1());
    issued.applicationSerial = QByteArray(2, '\0') + issued.asn;
    issued.algorithm = profile.algorithm;
    return issued;
}

} // namespace wallet::core
