// SPDX-License-Identifier: Apache-2.0
#include "PivToken.h"

#include "core/crypto/Bytes.h"
#include "core/piv/PivClient.h"
#include "device/HidApduChannel.h"
#include "device/HidapiTransport.h"
#include "device/UdpTransport.h"

namespace wallet::pkcs11 {

namespace {

PivAnswer answer(const core::Result<core::ResponseApdu>& r)
{
    PivAnswer a;
    if (r) {
        a.transportOk = true;
        a.data = r->data();
        a.sw = r->sw();
    }
    return a;
}

} // namespace

PivToken::PivToken(std::unique_ptr<device::HidApduChannel> channel)
    : m_channel(std::move(channel))
    , m_client(std::make_unique<core::piv::PivClient>(*m_channel))
{ }

PivToken::~PivToken() = default;

std::unique_ptr<PivToken> PivToken::open()
{
    std::unique_ptr<device::Transport> transport;
    bool ok = false;
    const int port = qEnvironmentVariableIntValue("SKEY_PKCS11_UDP_PORT", &ok);
    if (ok && port > 0 && port < 65536) {
        transport = std::make_unique<device::UdpTransport>(static_cast<std::uint16_t>(port));
    } else {
        const auto keys = device::HidapiTransport::enumerate();
        if (!keys) {
            return nullptr;
        }
        for (const auto& k : keys.value()) {
            if (k.accessible) {
                transport = std::make_unique<device::HidapiTransport>(k.path);
                break;
            }
        }
    }
    if (!transport) {
        return nullptr;
    }
    auto channel = std::make_unique<device::HidApduChannel>(std::move(transport));
    if (!channel->connect()) {
        return nullptr;
    }
    std::unique_ptr<PivToken> t(new PivToken(std::move(channel)));
    if (!t->select().ok()) {
        return nullptr;
    }
    return t;
}

PivAnswer PivToken::select()
{
    return answer(m_client->selectRaw());
}

PivAnswer PivToken::verify(const QByteArray& pin)
{
    return answer(m_client->verifyRaw(core::toSecure(pin)));
}

PivAnswer PivToken::logout()
{
    return answer(m_client->logoutRaw());
}

PivAnswer PivToken::changePin(std::uint8_t reference, const QByteArray& oldValue, const QByteArray& newValue)
{
    return answer(m_client->changeReferenceRaw(reference, core::toSecure(oldValue), core::toSecure(newValue)));
}

PivAnswer PivToken::resetRetry(const QByteArray& puk, const QByteArray& newPin)
{
    return answer(m_client->resetRetryRaw(core::toSecure(puk), core::toSecure(newPin)));
}

std::optional<QByteArray> PivToken::certificate(std::uint8_t slot)
{
    auto r = m_client->readCertificate(slot);
    if (!r) {
        return std::nullopt;
    }
    return r.value();
}

bool PivToken::authenticate(const QByteArray& managementKey)
{
    return static_cast<bool>(m_client->authenticate(core::toSecure(managementKey)));
}

std::optional<QByteArray> PivToken::generate(
    std::uint8_t slot, std::uint8_t alg, std::uint8_t pinPolicy, std::uint8_t touchPolicy)
{
    auto r = m_client->generate(
        slot, alg, static_cast<core::piv::PinPolicy>(pinPolicy), static_cast<core::piv::TouchPolicy>(touchPolicy));
    if (!r) {
        return std::nullopt;
    }
    return r.value();
}

PivAnswer PivToken::deleteKey(std::uint8_t slot)
{
    return answer(m_client->transmit(core::CommandApdu(0x00, 0xF6, 0xFF, slot, {})));
}

PivAnswer PivToken::deleteCertificate(std::uint8_t slot)
{
    const auto tag = core::piv::certificateTag(slot);
    if (!tag) {
        return PivAnswer{true, {}, 0x6A86};
    }
    QByteArray data = QByteArray::fromHex("5C03");
    for (int shift = 16; shift >= 0; shift -= 8) {
        data.append(static_cast<char>((*tag >> shift) & 0xFF));
    }
    data += QByteArray::fromHex("5300");
    return answer(m_client->transmit(core::CommandApdu(0x00, 0xDB, 0x3F, 0xFF, data)));
}

PivAnswer PivToken::sign(std::uint8_t slot, std::uint8_t alg, const QByteArray& hash)
{
    return answer(m_client->signRaw(slot, alg, hash));
}

PivAnswer PivToken::ecdh(std::uint8_t slot, std::uint8_t alg, const QByteArray& point)
{
    return answer(m_client->ecdhRaw(slot, alg, point));
}

std::optional<core::piv::KeyMetadata> PivToken::keyMetadata(std::uint8_t slot)
{
    auto r = m_client->keyMetadata(slot);
    if (!r) {
        return std::nullopt;
    }
    return r.value();
}

std::optional<QByteArray> PivToken::random(int n)
{
    auto r = m_client->random(n);
    if (!r || r->size() != n) {
        return std::nullopt;
    }
    return r.value();
}

std::optional<std::uint32_t> PivToken::serial()
{
    auto r = m_client->serial();
    if (!r) {
        return std::nullopt;
    }
    return r.value();
}

} // namespace wallet::pkcs11
