// SPDX-License-Identifier: Apache-2.0
#include "SimProfile.h"

#include "core/channel/ApduChannel.h"
#include "core/issuance/IssuanceProfile.h"
#include "core/issuance/Personaliser.h"

#include <algorithm>

namespace skey::sim {

namespace {

/// The token in this process, as an ApduChannel.
class InProcessChannel final : public wallet::core::ApduChannel
{
public:
    explicit InProcessChannel(const std::function<std::vector<std::uint8_t>(std::span<const std::uint8_t>)>& process)
        : m_process(process)
    { }
    wallet::core::Result<wallet::core::ResponseApdu> transmit(const wallet::core::CommandApdu& command) override
    {
        const QByteArray bytes = command.encode();
        const auto answer = m_process(std::span<const std::uint8_t>(
            reinterpret_cast<const std::uint8_t*>(bytes.constData()), static_cast<std::size_t>(bytes.size())));
        auto parsed = wallet::core::ResponseApdu::parse(
            QByteArray(reinterpret_cast<const char*>(answer.data()), static_cast<int>(answer.size())));
        if (!parsed) {
            return wallet::core::makeError(wallet::core::ErrorCode::ProtocolError, QStringLiteral("no status word"));
        }
        return *parsed;
    }
    QString description() const override { return QStringLiteral("skey-sim in-process"); }

private:
    const std::function<std::vector<std::uint8_t>(std::span<const std::uint8_t>)>& m_process;
};

} // namespace

bool profileTransportKey(const std::string& path, std::array<std::uint8_t, 16>& kt)
{
    auto profile = wallet::core::IssuanceProfile::fromFile(QString::fromStdString(path));
    if (!profile || profile.value().transportKey.size() != kt.size()) {
        return false;
    }
    std::copy(profile.value().transportKey.begin(), profile.value().transportKey.end(), kt.begin());
    return true;
}

ProfileOutcome applyProfile(const std::string& path,
    const std::function<std::vector<std::uint8_t>(std::span<const std::uint8_t>)>& process,
    std::string& message)
{
    auto profile = wallet::core::IssuanceProfile::fromFile(QString::fromStdString(path));
    if (!profile) {
        message = profile.error().detail.toStdString();
        return ProfileOutcome::Failed;
    }
    InProcessChannel channel(process);
    wallet::core::Personaliser personaliser(channel);
    auto r = personaliser.personalise(profile.value());
    if (!r) {
        message = r.error().detail.toStdString();
        return r.error().code == wallet::core::ErrorCode::InvalidState ? ProfileOutcome::AlreadyIssued
                                                                       : ProfileOutcome::Failed;
    }
    message = "issued from profile '" + profile.value().name.toStdString() + "', ASN "
        + r.value().asn.toHex().toUpper().toStdString();
    return ProfileOutcome::Issued;
}

} // namespace skey::sim
