// SPDX-License-Identifier: Apache-2.0
// libsmartkey-pkcs11.so: a PKCS#11 v2.40 module (C ABI, p11-kit's pkcs11.h) over the token's PIV application and the
// project's own HID transport (USB key, or the simulator's UDP port: $SKEY_PKCS11_UDP_PORT); no pcscd needed.
// One slot, one token. Objects: per PIV slot (9A 9C 9D 9E = CKA_ID 01..04) the certificate, its public key and the
// private key. Mechanisms: CKM_EC_KEY_PAIR_GEN (P-256, P-384), CKM_ECDSA, CKM_ECDSA_SHA256/384 (sign on the key;
// verify in software), CKM_ECDH1_DERIVE; the PIN and touch policies of a new key through ykcs11's vendor attributes.
// Users: CKU_USER = the PIV PIN, CKU_SO = the PUK (C_InitPIN resets the PIN
// with it), CKU_CONTEXT_SPECIFIC for slot 9C. Thread safety: every call under one mutex (CKF_OS_LOCKING_OK).
// Nothing leaves this file as an exception. docs/piv.md "PKCS#11 module".
#include "PivToken.h"

#include "core/piv/PivClient.h"

#include <p11-kit/pkcs11.h>

#include <botan/asn1_obj.h>
#include <botan/ber_dec.h>
#include <botan/bigint.h>
#include <botan/data_src.h>
#include <botan/der_enc.h>
#include <botan/ec_group.h>
#include <botan/ecdsa.h>
#include <botan/hash.h>
#include <botan/pubkey.h>
#include <botan/x509cert.h>

#include <QByteArray>

#include <array>
#include <cstring>
#include <exception>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

using wallet::pkcs11::kPivSlots;
using wallet::pkcs11::PivAnswer;
using wallet::pkcs11::PivToken;

namespace {

using Bytes = std::vector<std::uint8_t>;

constexpr CK_SLOT_ID kSlotId = 0;
constexpr CK_OBJECT_HANDLE kCertBase = 0x100;
constexpr CK_OBJECT_HANDLE kPubBase = 0x200;
constexpr CK_OBJECT_HANDLE kPrivBase = 0x300;
constexpr CK_OBJECT_HANDLE kSecretBase = 0x1000;
const char* const kSlotLabels[4] = {"PIV AUTH key", "SIGN key", "KEY MAN key", "CARD AUTH key"};
const char* const kCertLabels[4] = {"Certificate for PIV Authentication",
    "Certificate for Digital Signature",
    "Certificate for Key Management",
    "Certificate for Card Authentication"};

Bytes toBytes(const QByteArray& b)
{
    return Bytes(b.begin(), b.end());
}
QByteArray toQ(const Bytes& b)
{
    return QByteArray(reinterpret_cast<const char*>(b.data()), static_cast<int>(b.size()));
}
Bytes ulong(CK_ULONG v)
{
    Bytes b(sizeof v);
    std::memcpy(b.data(), &v, sizeof v);
    return b;
}
Bytes boolean(bool v)
{
    return Bytes{static_cast<std::uint8_t>(v ? CK_TRUE : CK_FALSE)};
}
Bytes text(const std::string& s)
{
    return Bytes(s.begin(), s.end());
}

// Yubico's vendor attributes for a PIV key's policies (yubico-piv-tool ykcs11/pkcs11y.h: YUBICO_BASE_VENDOR
// 0x59554200, CKA_YUBICO_TOUCH_POLICY = CKA_VENDOR_DEFINED + base + 1, CKA_YUBICO_PIN_POLICY = + 2; values as
// GENERATE's tags AB and AA: 0 default, 1 never, 2 always / once, 3 cached / always). Taken unchanged, so that a client
// written for ykcs11 sets the same policies here. docs/piv.md "PKCS#11 module".
constexpr CK_ATTRIBUTE_TYPE kCkaYubicoTouchPolicy = CKA_VENDOR_DEFINED + 0x59554200UL + 1;
constexpr CK_ATTRIBUTE_TYPE kCkaYubicoPinPolicy = CKA_VENDOR_DEFINED + 0x59554200UL + 2;

struct KeyInfo
{
    bool present = false;
    /// The key's PIN policy as the token applies it (1 never, 2 once, 3 always; a reported 0 = the slot's default).
    std::uint8_t pinPolicy = 2;
    std::uint8_t touchPolicy = 1; ///< 1 never, 2 always, 3 cached (0 reported = never)
    std::string group; ///< secp256r1 / secp384r1
    Bytes point; ///< 04 ‖ X ‖ Y
    Bytes cert; ///< DER, empty when none
    Bytes subject;
    Bytes issuer;
    Bytes serial;
};

struct Operation
{
    bool active = false;
    CK_MECHANISM_TYPE mechanism = 0;
    int slot = -1;
    Bytes data; ///< C_SignUpdate / C_VerifyUpdate accumulation
};

struct Session
{
    CK_FLAGS flags = 0;
    std::vector<CK_OBJECT_HANDLE> found;
    std::size_t foundPos = 0;
    bool finding = false;
    Operation sign;
    Operation verify;
};

struct SecretObject
{
    Bytes value;
    CK_SESSION_HANDLE session = 0;
};

struct Module
{
    std::mutex mutex;
    bool initialized = false;
    std::unique_ptr<PivToken> token;
    std::array<KeyInfo, 4> keys;
    std::map<CK_SESSION_HANDLE, Session> sessions;
    CK_SESSION_HANDLE nextSession = 1;
    CK_USER_TYPE loggedIn = CK_UNAVAILABLE_INFORMATION;
    QByteArray soPuk; ///< kept while the SO is logged in (C_InitPIN needs it); wiped at logout
    std::map<CK_OBJECT_HANDLE, SecretObject> secrets;
    CK_OBJECT_HANDLE nextSecret = kSecretBase;
};

Module& mod()
{
    static Module m;
    return m;
}

void padCopy(CK_UTF8CHAR* dst, std::size_t n, const std::string& s)
{
    std::memset(dst, ' ', n);
    std::memcpy(dst, s.data(), std::min(n, s.size()));
}

bool ensureToken(Module& m)
{
    if (!m.token) {
        m.token = PivToken::open();
    }
    return m.token != nullptr;
}

Bytes oidDer(const std::string& group)
{
    return group == "secp384r1" ? Bytes{0x06, 0x05, 0x2B, 0x81, 0x04, 0x00, 0x22}
                                : Bytes{0x06, 0x08, 0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x03, 0x01, 0x07};
}

std::size_t fieldBytes(const std::string& group)
{
    return group == "secp384r1" ? 48 : 32;
}

/// The policies as the token applies them: a 0 (the slot's default) made explicit.
void setPolicies(KeyInfo& k, std::uint8_t slot, std::uint8_t pinPolicy, std::uint8_t touchPolicy)
{
    k.pinPolicy = pinPolicy != 0 ? pinPolicy : static_cast<std::uint8_t>(wallet::core::piv::defaultPinPolicy(slot));
    k.touchPolicy = touchPolicy != 0 ? touchPolicy : 1;
}

void loadKeys(Module& m)
{
    for (std::size_t i = 0; i < 4; ++i) {
        KeyInfo& k = m.keys[i];
        const auto cert = m.token->certificate(kPivSlots[i]);
        const auto meta = m.token->keyMetadata(kPivSlots[i]);
        if (!cert) {
            // A key without a certificate (just generated): its public point from GET METADATA.
            k = KeyInfo{};
            if (meta && (meta->alg == 0x11 || meta->alg == 0x14)) {
                k.present = true;
                k.group = meta->alg == 0x14 ? "secp384r1" : "secp256r1";
                k.point = toBytes(meta->point);
                setPolicies(k, kPivSlots[i], static_cast<std::uint8_t>(meta->pinPolicy), meta->touchPolicy);
            }
            continue;
        }
        try {
            Botan::DataSource_Memory src(
                reinterpret_cast<const std::uint8_t*>(cert->constData()), static_cast<std::size_t>(cert->size()));
            const Botan::X509_Certificate x(src);
            const std::unique_ptr<Botan::Public_Key> pub(x.subject_public_key());
            const auto* ec = dynamic_cast<const Botan::EC_PublicKey*>(pub.get());
            if (ec == nullptr) {
                k = KeyInfo{};
                continue;
            }
            k = KeyInfo{};
            k.present = true;
            setPolicies(
                k, kPivSlots[i], meta ? static_cast<std::uint8_t>(meta->pinPolicy) : 0, meta ? meta->touchPolicy : 0);
            k.group = ec->domain().get_curve_oid() == Botan::OID::from_string("secp384r1") ? "secp384r1" : "secp256r1";
            const auto bits = ec->public_key_bits();
            k.point = Bytes(bits.begin(), bits.end());
            k.cert = toBytes(*cert);
            k.subject = x.raw_subject_dn();
            k.issuer = x.raw_issuer_dn();
            std::vector<std::uint8_t> serial;
            Botan::DER_Encoder(serial).encode(Botan::BigInt(x.serial_number()));
            k.serial = serial;
        } catch (const std::exception&) {
            k = KeyInfo{};
        }
    }
}

enum class Kind { Cert, Pub, Priv, Secret, None };

/// A private key is a private object (seen only after C_Login) unless its PIN policy is "never": then the token
/// signs without the PIN, and the key is a public object, as OpenSC's PIV emulation shows the card authentication
/// key 9E (no auth_id, src/libopensc/pkcs15-piv.c). NSS (Chromium, Firefox) then uses it for TLS client authentication
/// without asking for a PIN.
bool privateVisible(const Module& m, std::size_t slot)
{
    return m.loggedIn == CKU_USER || m.keys[slot].pinPolicy == 1;
}

Kind kindOf(CK_OBJECT_HANDLE h, int& slot)
{
    slot = static_cast<int>(h & 0xFF);
    if (h >= kSecretBase) {
        return Kind::Secret;
    }
    if (slot > 3) {
        return Kind::None;
    }
    switch (h & ~static_cast<CK_OBJECT_HANDLE>(0xFF)) {
    case kCertBase:
        return Kind::Cert;
    case kPubBase:
        return Kind::Pub;
    case kPrivBase:
        return Kind::Priv;
    default:
        return Kind::None;
    }
}

bool objectExists(Module& m, CK_OBJECT_HANDLE h)
{
    int slot = 0;
    switch (kindOf(h, slot)) {
    case Kind::Cert:
        return !m.keys[slot].cert.empty();
    case Kind::Pub:
    case Kind::Priv:
        return m.keys[slot].present;
    case Kind::Secret:
        return m.secrets.count(h) != 0;
    case Kind::None:
        return false;
    }
    return false;
}

/// The attribute's value; nullopt = the object has no such attribute; `sensitive` = it exists but is not readable.
std::optional<Bytes> attribute(Module& m, CK_OBJECT_HANDLE h, CK_ATTRIBUTE_TYPE type, bool& sensitive)
{
    sensitive = false;
    int slot = 0;
    const Kind kind = kindOf(h, slot);
    if (kind == Kind::Secret) {
        const SecretObject& s = m.secrets[h];
        switch (type) {
        case CKA_CLASS:
            return ulong(CKO_SECRET_KEY);
        case CKA_KEY_TYPE:
            return ulong(CKK_GENERIC_SECRET);
        case CKA_TOKEN:
        case CKA_PRIVATE:
        case CKA_SENSITIVE:
            return boolean(false);
        case CKA_EXTRACTABLE:
            return boolean(true);
        case CKA_VALUE:
            return s.value;
        case CKA_VALUE_LEN:
            return ulong(s.value.size());
        case CKA_LABEL:
        case CKA_ID:
            return Bytes{};
        default:
            return std::nullopt;
        }
    }
    const KeyInfo& k = m.keys[slot];
    const Bytes id{static_cast<std::uint8_t>(slot + 1)};
    switch (type) {
    case CKA_TOKEN:
        return boolean(true);
    case CKA_PRIVATE:
        // Private keys are private objects: found only after C_Login (clients such as libp11 log in for them),
        // except a key whose PIN policy is "never" (privateVisible).
        return boolean(kind == Kind::Priv && k.pinPolicy != 1);
    case CKA_MODIFIABLE:
        return boolean(false);
    case CKA_ID:
        return id;
    default:
        break;
    }
    if (kind == Kind::Cert) {
        switch (type) {
        case CKA_CLASS:
            return ulong(CKO_CERTIFICATE);
        case CKA_CERTIFICATE_TYPE:
            return ulong(CKC_X_509);
        case CKA_LABEL:
            return text(kCertLabels[slot]);
        case CKA_VALUE:
            return k.cert;
        case CKA_SUBJECT:
            return k.subject;
        case CKA_ISSUER:
            return k.issuer;
        case CKA_SERIAL_NUMBER:
            return k.serial;
        case CKA_TRUSTED:
            return boolean(false);
        case CKA_CERTIFICATE_CATEGORY:
            return ulong(0);
        default:
            return std::nullopt;
        }
    }
    const bool priv = kind == Kind::Priv;
    switch (type) {
    case CKA_CLASS:
        return ulong(priv ? CKO_PRIVATE_KEY : CKO_PUBLIC_KEY);
    case CKA_KEY_TYPE:
        return ulong(CKK_EC);
    case CKA_LABEL:
        return text(kSlotLabels[slot]);
    case CKA_EC_PARAMS:
        return oidDer(k.group);
    case CKA_LOCAL:
        return boolean(true);
    case CKA_KEY_GEN_MECHANISM:
        return ulong(CKM_EC_KEY_PAIR_GEN);
    case CKA_DERIVE:
        return boolean(priv);
    case CKA_SUBJECT:
        return k.subject;
    case CKA_START_DATE:
    case CKA_END_DATE:
        return Bytes{};
    default:
        break;
    }
    if (!priv) {
        switch (type) {
        case CKA_EC_POINT: {
            Bytes der{0x04, static_cast<std::uint8_t>(k.point.size())};
            der.insert(der.end(), k.point.begin(), k.point.end());
            return der;
        }
        case CKA_VERIFY:
            return boolean(true);
        case CKA_ENCRYPT:
        case CKA_WRAP:
        case CKA_VERIFY_RECOVER:
        case CKA_TRUSTED:
            return boolean(false);
        default:
            return std::nullopt;
        }
    }
    switch (type) {
    case CKA_SIGN:
        return boolean(true);
    case CKA_DECRYPT:
    case CKA_UNWRAP:
    case CKA_SIGN_RECOVER:
    case CKA_EXTRACTABLE:
    case CKA_WRAP_WITH_TRUSTED:
        return boolean(false);
    case CKA_SENSITIVE:
    case CKA_ALWAYS_SENSITIVE:
    case CKA_NEVER_EXTRACTABLE:
        return boolean(true);
    case CKA_ALWAYS_AUTHENTICATE:
        return boolean(k.pinPolicy == 3); // the PIN before every signature (9C's default)
    case kCkaYubicoPinPolicy:
        return Bytes{k.pinPolicy};
    case kCkaYubicoTouchPolicy:
        return Bytes{k.touchPolicy};
    case CKA_VALUE:
        sensitive = true; // the private key never leaves the token
        return Bytes{};
    default:
        return std::nullopt;
    }
}

std::vector<CK_OBJECT_HANDLE> allObjects(Module& m, CK_SESSION_HANDLE session)
{
    std::vector<CK_OBJECT_HANDLE> all;
    for (std::size_t i = 0; i < 4; ++i) {
        if (!m.keys[i].cert.empty()) {
            all.push_back(kCertBase + i);
        }
        if (m.keys[i].present) {
            all.push_back(kPubBase + i);
            if (privateVisible(m, i)) {
                all.push_back(kPrivBase + i); // CKA_PRIVATE objects are seen only after C_Login (PKCS#11 §4.4)
            }
        }
    }
    for (const auto& [h, s] : m.secrets) {
        if (s.session == session) {
            all.push_back(h);
        }
    }
    return all;
}

CK_RV mapSw(std::uint16_t sw)
{
    if ((sw & 0xFFF0) == 0x63C0) {
        return CKR_PIN_INCORRECT;
    }
    switch (sw) {
    case 0x9000:
        return CKR_OK;
    case 0x6983:
        return CKR_PIN_LOCKED;
    case 0x6982:
        return CKR_USER_NOT_LOGGED_IN;
    case 0x6A80:
        return CKR_PIN_LEN_RANGE;
    default:
        return CKR_DEVICE_ERROR;
    }
}

/// DER ECDSA-Sig-Value → r ‖ s (n bytes each), the PKCS#11 signature format.
std::optional<Bytes> derToRaw(const Bytes& der, std::size_t n)
{
    try {
        Botan::BigInt r;
        Botan::BigInt s;
        Botan::BER_Decoder(der).start_cons(Botan::SEQUENCE).decode(r).decode(s).end_cons().verify_end();
        Bytes out(2 * n);
        Botan::BigInt::encode_1363(out.data(), n, r);
        Botan::BigInt::encode_1363(out.data() + n, n, s);
        return out;
    } catch (const std::exception&) {
        return std::nullopt;
    }
}

std::optional<Bytes> hashFor(CK_MECHANISM_TYPE mech, const Bytes& data)
{
    try {
        if (mech == CKM_ECDSA) {
            return data;
        }
        auto h = Botan::HashFunction::create_or_throw(mech == CKM_ECDSA_SHA384 ? "SHA-384" : "SHA-256");
        const auto d = h->process(data);
        return Bytes(d.begin(), d.end());
    } catch (const std::exception&) {
        return std::nullopt;
    }
}

bool signMechanism(CK_MECHANISM_TYPE t)
{
    return t == CKM_ECDSA || t == CKM_ECDSA_SHA256 || t == CKM_ECDSA_SHA384;
}

#define LOCKED_MODULE                                                                                                  \
    Module& m = mod();                                                                                                 \
    std::lock_guard<std::mutex> lock(m.mutex);                                                                         \
    if (!m.initialized) {                                                                                              \
        return CKR_CRYPTOKI_NOT_INITIALIZED;                                                                           \
    }

#define FIND_SESSION                                                                                                   \
    auto sit = m.sessions.find(hSession);                                                                              \
    if (sit == m.sessions.end()) {                                                                                     \
        return CKR_SESSION_HANDLE_INVALID;                                                                             \
    }                                                                                                                  \
    Session& session = sit->second;                                                                                    \
    (void)session;

/// A refused signature: no PIN (6982), the key's button refused or not pressed in time (6985) or the host's CANCEL
/// (6F00) during the touch wait: CKR_FUNCTION_CANCELED, the user's decision (docs/piv.md "Security").
CK_RV signError(std::uint16_t sw)
{
    switch (sw) {
    case 0x6982:
        return CKR_USER_NOT_LOGGED_IN;
    case 0x6985:
    case 0x6F00:
        return CKR_FUNCTION_CANCELED;
    default:
        return CKR_DEVICE_ERROR;
    }
}

CK_RV signFinal(Module& m, Session& session, CK_BYTE_PTR pSignature, CK_ULONG_PTR pulSignatureLen)
{
    Operation& op = session.sign;
    const KeyInfo& k = m.keys[op.slot];
    const std::size_t n = fieldBytes(k.group);
    if (pulSignatureLen == nullptr) {
        op = Operation{};
        return CKR_ARGUMENTS_BAD;
    }
    if (pSignature == nullptr) {
        *pulSignatureLen = 2 * n;
        return CKR_OK; // size query: the operation stays active
    }
    if (*pulSignatureLen < 2 * n) {
        *pulSignatureLen = 2 * n;
        return CKR_BUFFER_TOO_SMALL;
    }
    const auto hash = hashFor(op.mechanism, op.data);
    const std::uint8_t alg = k.group == "secp384r1" ? 0x14 : 0x11;
    op = Operation{};
    if (!hash || hash->empty()) {
        return CKR_DATA_LEN_RANGE;
    }
    Bytes h = *hash;
    if (h.size() > n) {
        h.resize(n); // FIPS 186-4 §6.4: the leftmost bits of the hash
    }
    const PivAnswer a = m.token->sign(kPivSlots[&k - m.keys.data()], alg, toQ(h));
    if (!a.transportOk) {
        return CKR_DEVICE_REMOVED;
    }
    if (a.sw != 0x9000) {
        return signError(a.sw);
    }
    const auto raw = derToRaw(toBytes(a.data), n);
    if (!raw) {
        return CKR_DEVICE_ERROR;
    }
    std::memcpy(pSignature, raw->data(), raw->size());
    *pulSignatureLen = raw->size();
    return CKR_OK;
}

CK_RV verifyFinal(Module& m, Session& session, CK_BYTE_PTR pSignature, CK_ULONG ulSignatureLen)
{
    Operation op = session.verify;
    session.verify = Operation{};
    const KeyInfo& k = m.keys[op.slot];
    const std::size_t n = fieldBytes(k.group);
    if (ulSignatureLen != 2 * n) {
        return CKR_SIGNATURE_LEN_RANGE;
    }
    const auto hash = hashFor(op.mechanism, op.data);
    if (!hash) {
        return CKR_DATA_LEN_RANGE;
    }
    try {
        const Botan::EC_Group g(k.group);
        const Botan::ECDSA_PublicKey pub(g, g.OS2ECP(k.point.data(), k.point.size()));
        Botan::PK_Verifier v(pub, "Raw");
        Bytes h = *hash;
        if (h.size() > n) {
            h.resize(n);
        }
        return v.verify_message(h.data(), h.size(), pSignature, ulSignatureLen) ? CKR_OK : CKR_SIGNATURE_INVALID;
    } catch (const std::exception&) {
        return CKR_SIGNATURE_INVALID;
    }
}

} // namespace

extern "C" {

CK_RV C_Initialize(CK_VOID_PTR pInitArgs)
{
    Module& m = mod();
    std::lock_guard<std::mutex> lock(m.mutex);
    if (m.initialized) {
        return CKR_CRYPTOKI_ALREADY_INITIALIZED;
    }
    if (pInitArgs != nullptr) {
        const auto* args = static_cast<CK_C_INITIALIZE_ARGS*>(pInitArgs);
        if (args->pReserved != nullptr) {
            return CKR_ARGUMENTS_BAD;
        }
        const bool someFns = args->CreateMutex != nullptr || args->DestroyMutex != nullptr || args->LockMutex != nullptr
            || args->UnlockMutex != nullptr;
        const bool allFns = args->CreateMutex != nullptr && args->DestroyMutex != nullptr && args->LockMutex != nullptr
            && args->UnlockMutex != nullptr;
        if (someFns && !allFns) {
            return CKR_ARGUMENTS_BAD;
        }
        // We always lock with the OS's primitives; an application that offers only its own and forbids ours
        // cannot be served (PKCS#11 v2.40 §5.4).
        if (allFns && (args->flags & CKF_OS_LOCKING_OK) == 0) {
            return CKR_CANT_LOCK;
        }
    }
    m.initialized = true;
    return CKR_OK;
}

CK_RV C_Finalize(CK_VOID_PTR pReserved)
{
    if (pReserved != nullptr) {
        return CKR_ARGUMENTS_BAD;
    }
    LOCKED_MODULE
    m.sessions.clear();
    m.secrets.clear();
    m.token.reset();
    m.keys = {};
    m.soPuk.fill('\0');
    m.soPuk.clear();
    m.loggedIn = CK_UNAVAILABLE_INFORMATION;
    m.initialized = false;
    return CKR_OK;
}

CK_RV C_GetInfo(CK_INFO_PTR pInfo)
{
    LOCKED_MODULE
    if (pInfo == nullptr) {
        return CKR_ARGUMENTS_BAD;
    }
    std::memset(pInfo, 0, sizeof *pInfo);
    pInfo->cryptokiVersion = {2, 40};
    padCopy(pInfo->manufacturerID, sizeof pInfo->manufacturerID, "SmartKey Wallet");
    padCopy(pInfo->libraryDescription, sizeof pInfo->libraryDescription, "SmartKey PIV over HID");
    pInfo->libraryVersion = {1, 0};
    return CKR_OK;
}

CK_RV C_GetSlotList(CK_BBOOL tokenPresent, CK_SLOT_ID_PTR pSlotList, CK_ULONG_PTR pulCount)
{
    LOCKED_MODULE(void) tokenPresent;
    if (pulCount == nullptr) {
        return CKR_ARGUMENTS_BAD;
    }
    const bool present = ensureToken(m);
    const CK_ULONG count = (present || !tokenPresent) ? 1 : 0;
    if (pSlotList == nullptr) {
        *pulCount = count;
        return CKR_OK;
    }
    if (*pulCount < count) {
        *pulCount = count;
        return CKR_BUFFER_TOO_SMALL;
    }
    if (count == 1) {
        pSlotList[0] = kSlotId;
    }
    *pulCount = count;
    return CKR_OK;
}

CK_RV C_GetSlotInfo(CK_SLOT_ID slotID, CK_SLOT_INFO_PTR pInfo)
{
    LOCKED_MODULE
    if (slotID != kSlotId) {
        return CKR_SLOT_ID_INVALID;
    }
    if (pInfo == nullptr) {
        return CKR_ARGUMENTS_BAD;
    }
    std::memset(pInfo, 0, sizeof *pInfo);
    padCopy(pInfo->slotDescription, sizeof pInfo->slotDescription, "SmartKey (HID)");
    padCopy(pInfo->manufacturerID, sizeof pInfo->manufacturerID, "SmartKey Wallet");
    pInfo->flags = CKF_REMOVABLE_DEVICE | CKF_HW_SLOT | (ensureToken(m) ? CKF_TOKEN_PRESENT : 0);
    return CKR_OK;
}

CK_RV C_GetTokenInfo(CK_SLOT_ID slotID, CK_TOKEN_INFO_PTR pInfo)
{
    LOCKED_MODULE
    if (slotID != kSlotId) {
        return CKR_SLOT_ID_INVALID;
    }
    if (pInfo == nullptr) {
        return CKR_ARGUMENTS_BAD;
    }
    if (!ensureToken(m)) {
        return CKR_TOKEN_NOT_PRESENT;
    }
    std::memset(pInfo, 0, sizeof *pInfo);
    padCopy(pInfo->label, sizeof pInfo->label, "SmartKey PIV");
    padCopy(pInfo->manufacturerID, sizeof pInfo->manufacturerID, "SmartKey Wallet");
    padCopy(pInfo->model, sizeof pInfo->model, "PIV");
    const auto serial = m.token->serial();
    char serialText[17] = {};
    std::snprintf(serialText, sizeof serialText, "%08x", serial ? *serial : 0u);
    padCopy(pInfo->serialNumber, sizeof pInfo->serialNumber, serialText);
    pInfo->flags = CKF_RNG | CKF_LOGIN_REQUIRED | CKF_USER_PIN_INITIALIZED | CKF_TOKEN_INITIALIZED;
    const PivAnswer status = m.token->verify({});
    if (status.sw == 0x63C1) {
        pInfo->flags |= CKF_USER_PIN_FINAL_TRY;
    } else if (status.sw == 0x6983 || status.sw == 0x63C0) {
        pInfo->flags |= CKF_USER_PIN_LOCKED;
    }
    pInfo->ulMaxSessionCount = CK_EFFECTIVELY_INFINITE;
    pInfo->ulSessionCount = m.sessions.size();
    pInfo->ulMaxRwSessionCount = CK_EFFECTIVELY_INFINITE;
    pInfo->ulRwSessionCount = 0;
    for (const auto& [h, s] : m.sessions) {
        if ((s.flags & CKF_RW_SESSION) != 0) {
            ++pInfo->ulRwSessionCount;
        }
    }
    pInfo->ulMaxPinLen = 8;
    pInfo->ulMinPinLen = 6;
    pInfo->ulTotalPublicMemory = CK_UNAVAILABLE_INFORMATION;
    pInfo->ulFreePublicMemory = CK_UNAVAILABLE_INFORMATION;
    pInfo->ulTotalPrivateMemory = CK_UNAVAILABLE_INFORMATION;
    pInfo->ulFreePrivateMemory = CK_UNAVAILABLE_INFORMATION;
    pInfo->hardwareVersion = {1, 0};
    pInfo->firmwareVersion = {1, 0};
    return CKR_OK;
}

CK_RV C_GetMechanismList(CK_SLOT_ID slotID, CK_MECHANISM_TYPE_PTR pMechanismList, CK_ULONG_PTR pulCount)
{
    LOCKED_MODULE
    if (slotID != kSlotId) {
        return CKR_SLOT_ID_INVALID;
    }
    if (pulCount == nullptr) {
        return CKR_ARGUMENTS_BAD;
    }
    static const CK_MECHANISM_TYPE kMechs[]
        = {CKM_EC_KEY_PAIR_GEN, CKM_ECDSA, CKM_ECDSA_SHA256, CKM_ECDSA_SHA384, CKM_ECDH1_DERIVE};
    const CK_ULONG n = sizeof kMechs / sizeof kMechs[0];
    if (pMechanismList == nullptr) {
        *pulCount = n;
        return CKR_OK;
    }
    if (*pulCount < n) {
        *pulCount = n;
        return CKR_BUFFER_TOO_SMALL;
    }
    std::memcpy(pMechanismList, kMechs, sizeof kMechs);
    *pulCount = n;
    return CKR_OK;
}

CK_RV C_GetMechanismInfo(CK_SLOT_ID slotID, CK_MECHANISM_TYPE type, CK_MECHANISM_INFO_PTR pInfo)
{
    LOCKED_MODULE
    if (slotID != kSlotId) {
        return CKR_SLOT_ID_INVALID;
    }
    if (pInfo == nullptr) {
        return CKR_ARGUMENTS_BAD;
    }
    pInfo->ulMinKeySize = 256;
    pInfo->ulMaxKeySize = 384;
    const CK_FLAGS ec = CKF_EC_F_P | CKF_EC_NAMEDCURVE | CKF_EC_UNCOMPRESS;
    switch (type) {
    case CKM_EC_KEY_PAIR_GEN:
        pInfo->flags = CKF_HW | CKF_GENERATE_KEY_PAIR | ec;
        return CKR_OK;
    case CKM_ECDSA:
    case CKM_ECDSA_SHA256:
    case CKM_ECDSA_SHA384:
        pInfo->flags = CKF_HW | CKF_SIGN | CKF_VERIFY | ec;
        return CKR_OK;
    case CKM_ECDH1_DERIVE:
        pInfo->flags = CKF_HW | CKF_DERIVE | ec;
        return CKR_OK;
    default:
        return CKR_MECHANISM_INVALID;
    }
}

CK_RV C_OpenSession(
    CK_SLOT_ID slotID, CK_FLAGS flags, CK_VOID_PTR pApplication, CK_NOTIFY Notify, CK_SESSION_HANDLE_PTR phSession)
{
    (void)pApplication;
    (void)Notify;
    LOCKED_MODULE
    if (slotID != kSlotId) {
        return CKR_SLOT_ID_INVALID;
    }
    if ((flags & CKF_SERIAL_SESSION) == 0) {
        return CKR_SESSION_PARALLEL_NOT_SUPPORTED;
    }
    if (phSession == nullptr) {
        return CKR_ARGUMENTS_BAD;
    }
    if (!ensureToken(m)) {
        return CKR_TOKEN_NOT_PRESENT;
    }
    if (m.sessions.empty()) {
        loadKeys(m);
    }
    const CK_SESSION_HANDLE h = m.nextSession++;
    m.sessions[h].flags = flags;
    *phSession = h;
    return CKR_OK;
}

CK_RV C_CloseSession(CK_SESSION_HANDLE hSession)
{
    LOCKED_MODULE
    if (m.sessions.erase(hSession) == 0) {
        return CKR_SESSION_HANDLE_INVALID;
    }
    for (auto it = m.secrets.begin(); it != m.secrets.end();) {
        it = it->second.session == hSession ? m.secrets.erase(it) : std::next(it);
    }
    if (m.sessions.empty() && m.token) {
        (void)m.token->logout(); // the last session closes: the token forgets the login (PKCS#11 §5.6)
        m.loggedIn = CK_UNAVAILABLE_INFORMATION;
        m.soPuk.fill('\0');
        m.soPuk.clear();
    }
    return CKR_OK;
}

CK_RV C_CloseAllSessions(CK_SLOT_ID slotID)
{
    LOCKED_MODULE
    if (slotID != kSlotId) {
        return CKR_SLOT_ID_INVALID;
    }
    m.sessions.clear();
    m.secrets.clear();
    if (m.token) {
        (void)m.token->logout();
    }
    m.loggedIn = CK_UNAVAILABLE_INFORMATION;
    m.soPuk.fill('\0');
    m.soPuk.clear();
    return CKR_OK;
}

CK_RV C_GetSessionInfo(CK_SESSION_HANDLE hSession, CK_SESSION_INFO_PTR pInfo)
{
    LOCKED_MODULE
    FIND_SESSION
    if (pInfo == nullptr) {
        return CKR_ARGUMENTS_BAD;
    }
    const bool rw = (session.flags & CKF_RW_SESSION) != 0;
    pInfo->slotID = kSlotId;
    pInfo->flags = session.flags;
    pInfo->ulDeviceError = 0;
    if (m.loggedIn == CKU_SO) {
        pInfo->state = CKS_RW_SO_FUNCTIONS;
    } else if (m.loggedIn == CKU_USER) {
        pInfo->state = rw ? CKS_RW_USER_FUNCTIONS : CKS_RO_USER_FUNCTIONS;
    } else {
        pInfo->state = rw ? CKS_RW_PUBLIC_SESSION : CKS_RO_PUBLIC_SESSION;
    }
    return CKR_OK;
}

CK_RV C_Login(CK_SESSION_HANDLE hSession, CK_USER_TYPE userType, CK_UTF8CHAR_PTR pPin, CK_ULONG ulPinLen)
{
    LOCKED_MODULE
    FIND_SESSION
    if (pPin == nullptr || ulPinLen == 0 || ulPinLen > 8) {
        return ulPinLen > 8 ? CKR_PIN_LEN_RANGE : CKR_ARGUMENTS_BAD;
    }
    const QByteArray pin(reinterpret_cast<const char*>(pPin), static_cast<int>(ulPinLen));
    switch (userType) {
    case CKU_USER:
    case CKU_CONTEXT_SPECIFIC: {
        if (userType == CKU_USER && m.loggedIn != CK_UNAVAILABLE_INFORMATION) {
            return m.loggedIn == CKU_USER ? CKR_USER_ALREADY_LOGGED_IN : CKR_USER_ANOTHER_ALREADY_LOGGED_IN;
        }
        const PivAnswer a = m.token->verify(pin);
        if (!a.transportOk) {
            return CKR_DEVICE_REMOVED;
        }
        const CK_RV rv = mapSw(a.sw);
        if (rv == CKR_OK && userType == CKU_USER) {
            m.loggedIn = CKU_USER;
        }
        return rv;
    }
    case CKU_SO: {
        if (m.loggedIn != CK_UNAVAILABLE_INFORMATION) {
            return m.loggedIn == CKU_SO ? CKR_USER_ALREADY_LOGGED_IN : CKR_USER_ANOTHER_ALREADY_LOGGED_IN;
        }
        for (const auto& [h, s] : m.sessions) {
            if ((s.flags & CKF_RW_SESSION) == 0) {
                return CKR_SESSION_READ_ONLY_EXISTS;
            }
        }
        // PIV cannot check the PUK without spending or using it: it is kept (RAM, wiped at logout) and proved by
        // C_InitPIN (RESET RETRY COUNTER) or C_SetPIN (CHANGE REFERENCE DATA of 81).
        m.soPuk = pin;
        m.loggedIn = CKU_SO;
        return CKR_OK;
    }
    default:
        return CKR_USER_TYPE_INVALID;
    }
}

CK_RV C_Logout(CK_SESSION_HANDLE hSession)
{
    LOCKED_MODULE
    FIND_SESSION
    if (m.loggedIn == CK_UNAVAILABLE_INFORMATION) {
        return CKR_USER_NOT_LOGGED_IN;
    }
    (void)m.token->logout();
    m.loggedIn = CK_UNAVAILABLE_INFORMATION;
    m.soPuk.fill('\0');
    m.soPuk.clear();
    return CKR_OK;
}

CK_RV C_InitPIN(CK_SESSION_HANDLE hSession, CK_UTF8CHAR_PTR pPin, CK_ULONG ulPinLen)
{
    LOCKED_MODULE
    FIND_SESSION
    if (m.loggedIn != CKU_SO) {
        return CKR_USER_NOT_LOGGED_IN;
    }
    if (pPin == nullptr || ulPinLen < 6 || ulPinLen > 8) {
        return CKR_PIN_LEN_RANGE;
    }
    const PivAnswer a
        = m.token->resetRetry(m.soPuk, QByteArray(reinterpret_cast<const char*>(pPin), static_cast<int>(ulPinLen)));
    return a.transportOk ? mapSw(a.sw) : CKR_DEVICE_REMOVED;
}

CK_RV C_SetPIN(
    CK_SESSION_HANDLE hSession, CK_UTF8CHAR_PTR pOldPin, CK_ULONG ulOldLen, CK_UTF8CHAR_PTR pNewPin, CK_ULONG ulNewLen)
{
    LOCKED_MODULE
    FIND_SESSION
    if (pOldPin == nullptr || pNewPin == nullptr || ulOldLen > 8 || ulNewLen > 8) {
        return CKR_PIN_LEN_RANGE;
    }
    const std::uint8_t ref = m.loggedIn == CKU_SO ? 0x81 : 0x80;
    const PivAnswer a = m.token->changePin(ref,
        QByteArray(reinterpret_cast<const char*>(pOldPin), static_cast<int>(ulOldLen)),
        QByteArray(reinterpret_cast<const char*>(pNewPin), static_cast<int>(ulNewLen)));
    if (a.ok() && ref == 0x81) {
        m.soPuk = QByteArray(reinterpret_cast<const char*>(pNewPin), static_cast<int>(ulNewLen));
    }
    return a.transportOk ? mapSw(a.sw) : CKR_DEVICE_REMOVED;
}

CK_RV C_GetAttributeValue(
    CK_SESSION_HANDLE hSession, CK_OBJECT_HANDLE hObject, CK_ATTRIBUTE_PTR pTemplate, CK_ULONG ulCount)
{
    LOCKED_MODULE
    FIND_SESSION
    if (!objectExists(m, hObject)) {
        return CKR_OBJECT_HANDLE_INVALID;
    }
    if (pTemplate == nullptr && ulCount > 0) {
        return CKR_ARGUMENTS_BAD;
    }
    CK_RV rv = CKR_OK;
    for (CK_ULONG i = 0; i < ulCount; ++i) {
        bool sensitive = false;
        const auto v = attribute(m, hObject, pTemplate[i].type, sensitive);
        if (sensitive) {
            pTemplate[i].ulValueLen = CK_UNAVAILABLE_INFORMATION;
            rv = CKR_ATTRIBUTE_SENSITIVE;
            continue;
        }
        if (!v) {
            pTemplate[i].ulValueLen = CK_UNAVAILABLE_INFORMATION;
            if (rv == CKR_OK) {
                rv = CKR_ATTRIBUTE_TYPE_INVALID;
            }
            continue;
        }
        if (pTemplate[i].pValue == nullptr) {
            pTemplate[i].ulValueLen = v->size();
        } else if (pTemplate[i].ulValueLen < v->size()) {
            pTemplate[i].ulValueLen = CK_UNAVAILABLE_INFORMATION;
            if (rv == CKR_OK) {
                rv = CKR_BUFFER_TOO_SMALL;
            }
        } else {
            if (!v->empty()) {
                std::memcpy(pTemplate[i].pValue, v->data(), v->size());
            }
            pTemplate[i].ulValueLen = v->size();
        }
    }
    return rv;
}

CK_RV C_GetObjectSize(CK_SESSION_HANDLE hSession, CK_OBJECT_HANDLE hObject, CK_ULONG_PTR pulSize)
{
    LOCKED_MODULE
    FIND_SESSION
    if (!objectExists(m, hObject)) {
        return CKR_OBJECT_HANDLE_INVALID;
    }
    *pulSize = CK_UNAVAILABLE_INFORMATION;
    return CKR_OK;
}

CK_RV C_FindObjectsInit(CK_SESSION_HANDLE hSession, CK_ATTRIBUTE_PTR pTemplate, CK_ULONG ulCount)
{
    LOCKED_MODULE
    FIND_SESSION
    if (session.finding) {
        return CKR_OPERATION_ACTIVE;
    }
    session.found.clear();
    session.foundPos = 0;
    for (const CK_OBJECT_HANDLE h : allObjects(m, hSession)) {
        bool match = true;
        for (CK_ULONG i = 0; i < ulCount && match; ++i) {
            bool sensitive = false;
            const auto v = attribute(m, h, pTemplate[i].type, sensitive);
            const auto* p = static_cast<const std::uint8_t*>(pTemplate[i].pValue);
            match = !sensitive && v && v->size() == pTemplate[i].ulValueLen
                && (v->empty() || std::memcmp(v->data(), p, v->size()) == 0);
        }
        if (match) {
            session.found.push_back(h);
        }
    }
    session.finding = true;
    return CKR_OK;
}

CK_RV C_FindObjects(
    CK_SESSION_HANDLE hSession, CK_OBJECT_HANDLE_PTR phObject, CK_ULONG ulMaxObjectCount, CK_ULONG_PTR pulObjectCount)
{
    LOCKED_MODULE
    FIND_SESSION
    if (!session.finding) {
        return CKR_OPERATION_NOT_INITIALIZED;
    }
    if (pulObjectCount == nullptr || (phObject == nullptr && ulMaxObjectCount > 0)) {
        return CKR_ARGUMENTS_BAD;
    }
    CK_ULONG n = 0;
    while (n < ulMaxObjectCount && session.foundPos < session.found.size()) {
        phObject[n++] = session.found[session.foundPos++];
    }
    *pulObjectCount = n;
    return CKR_OK;
}

CK_RV C_FindObjectsFinal(CK_SESSION_HANDLE hSession)
{
    LOCKED_MODULE
    FIND_SESSION
    if (!session.finding) {
        return CKR_OPERATION_NOT_INITIALIZED;
    }
    session.finding = false;
    session.found.clear();
    return CKR_OK;
}

CK_RV C_SignInit(CK_SESSION_HANDLE hSession, CK_MECHANISM_PTR pMechanism, CK_OBJECT_HANDLE hKey)
{
    LOCKED_MODULE
    FIND_SESSION
    if (pMechanism == nullptr) {
        return CKR_ARGUMENTS_BAD;
    }
    if (session.sign.active) {
        return CKR_OPERATION_ACTIVE;
    }
    int slot = 0;
    if (kindOf(hKey, slot) != Kind::Priv || !objectExists(m, hKey)) {
        return CKR_KEY_HANDLE_INVALID;
    }
    if (!signMechanism(pMechanism->mechanism)) {
        return CKR_MECHANISM_INVALID;
    }
    session.sign = Operation{true, pMechanism->mechanism, slot, {}};
    return CKR_OK;
}

CK_RV C_Sign(CK_SESSION_HANDLE hSession,
    CK_BYTE_PTR pData,
    CK_ULONG ulDataLen,
    CK_BYTE_PTR pSignature,
    CK_ULONG_PTR pulSignatureLen)
{
    LOCKED_MODULE
    FIND_SESSION
    if (!session.sign.active) {
        return CKR_OPERATION_NOT_INITIALIZED;
    }
    if (pData == nullptr && ulDataLen > 0) {
        session.sign = Operation{};
        return CKR_ARGUMENTS_BAD;
    }
    if (pSignature != nullptr) {
        session.sign.data.assign(pData, pData + ulDataLen);
    }
    return signFinal(m, session, pSignature, pulSignatureLen);
}

CK_RV C_SignUpdate(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pPart, CK_ULONG ulPartLen)
{
    LOCKED_MODULE
    FIND_SESSION
    if (!session.sign.active) {
        return CKR_OPERATION_NOT_INITIALIZED;
    }
    if (session.sign.mechanism == CKM_ECDSA) {
        session.sign = Operation{};
        return CKR_FUNCTION_NOT_SUPPORTED; // raw ECDSA is single-part (PKCS#11 v2.40 mechanisms §2.3.6)
    }
    session.sign.data.insert(session.sign.data.end(), pPart, pPart + ulPartLen);
    return CKR_OK;
}

CK_RV C_SignFinal(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pSignature, CK_ULONG_PTR pulSignatureLen)
{
    LOCKED_MODULE
    FIND_SESSION
    if (!session.sign.active) {
        return CKR_OPERATION_NOT_INITIALIZED;
    }
    return signFinal(m, session, pSignature, pulSignatureLen);
}

CK_RV C_VerifyInit(CK_SESSION_HANDLE hSession, CK_MECHANISM_PTR pMechanism, CK_OBJECT_HANDLE hKey)
{
    LOCKED_MODULE
    FIND_SESSION
    if (pMechanism == nullptr) {
        return CKR_ARGUMENTS_BAD;
    }
    if (session.verify.active) {
        return CKR_OPERATION_ACTIVE;
    }
    int slot = 0;
    const Kind kind = kindOf(hKey, slot);
    if ((kind != Kind::Pub && kind != Kind::Priv) || !objectExists(m, hKey)) {
        return CKR_KEY_HANDLE_INVALID;
    }
    if (!signMechanism(pMechanism->mechanism)) {
        return CKR_MECHANISM_INVALID;
    }
    session.verify = Operation{true, pMechanism->mechanism, slot, {}};
    return CKR_OK;
}

CK_RV C_Verify(
    CK_SESSION_HANDLE hSession, CK_BYTE_PTR pData, CK_ULONG ulDataLen, CK_BYTE_PTR pSignature, CK_ULONG ulSignatureLen)
{
    LOCKED_MODULE
    FIND_SESSION
    if (!session.verify.active) {
        return CKR_OPERATION_NOT_INITIALIZED;
    }
    session.verify.data.assign(pData, pData + ulDataLen);
    return verifyFinal(m, session, pSignature, ulSignatureLen);
}

CK_RV C_VerifyUpdate(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pPart, CK_ULONG ulPartLen)
{
    LOCKED_MODULE
    FIND_SESSION
    if (!session.verify.active) {
        return CKR_OPERATION_NOT_INITIALIZED;
    }
    session.verify.data.insert(session.verify.data.end(), pPart, pPart + ulPartLen);
    return CKR_OK;
}

CK_RV C_VerifyFinal(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pSignature, CK_ULONG ulSignatureLen)
{
    LOCKED_MODULE
    FIND_SESSION
    if (!session.verify.active) {
        return CKR_OPERATION_NOT_INITIALIZED;
    }
    return verifyFinal(m, session, pSignature, ulSignatureLen);
}

CK_RV C_GenerateKeyPair(CK_SESSION_HANDLE hSession,
    CK_MECHANISM_PTR pMechanism,
    CK_ATTRIBUTE_PTR pPublicKeyTemplate,
    CK_ULONG ulPublicKeyAttributeCount,
    CK_ATTRIBUTE_PTR pPrivateKeyTemplate,
    CK_ULONG ulPrivateKeyAttributeCount,
    CK_OBJECT_HANDLE_PTR phPublicKey,
    CK_OBJECT_HANDLE_PTR phPrivateKey)
{
    LOCKED_MODULE
    FIND_SESSION
    if (pMechanism == nullptr || phPublicKey == nullptr || phPrivateKey == nullptr) {
        return CKR_ARGUMENTS_BAD;
    }
    if (pMechanism->mechanism != CKM_EC_KEY_PAIR_GEN) {
        return CKR_MECHANISM_INVALID;
    }
    if ((session.flags & CKF_RW_SESSION) == 0) {
        return CKR_SESSION_READ_ONLY;
    }
    std::string group = "secp256r1";
    int slot = 0;
    std::uint8_t pinPolicy = 0;
    std::uint8_t touchPolicy = 0;
    // A policy value as ykcs11 takes it: a CK_BYTE (its own tests) or a CK_ULONG, 0..3.
    auto policy = [](const Bytes& v, std::uint8_t& out) -> bool {
        CK_ULONG value = 0;
        if (v.size() == 1) {
            value = v[0];
        } else if (v.size() == sizeof(CK_ULONG)) {
            std::memcpy(&value, v.data(), sizeof value);
        } else {
            return false;
        }
        if (value > 3) {
            return false;
        }
        out = static_cast<std::uint8_t>(value);
        return true;
    };
    auto scan = [&](CK_ATTRIBUTE_PTR t, CK_ULONG n) -> CK_RV {
        for (CK_ULONG i = 0; i < n; ++i) {
            const auto* p = static_cast<const std::uint8_t*>(t[i].pValue);
            const Bytes v(p, p + t[i].ulValueLen);
            if (t[i].type == CKA_EC_PARAMS) {
                if (v == oidDer("secp384r1")) {
                    group = "secp384r1";
                } else if (v != oidDer("secp256r1")) {
                    return CKR_CURVE_NOT_SUPPORTED;
                }
            } else if (t[i].type == CKA_ID) {
                if (v.size() != 1 || v[0] < 1 || v[0] > 4) {
                    return CKR_ATTRIBUTE_VALUE_INVALID; // CKA_ID 01..04 = slots 9A 9C 9D 9E
                }
                slot = v[0] - 1;
            } else if (t[i].type == kCkaYubicoPinPolicy && !policy(v, pinPolicy)) {
                return CKR_ATTRIBUTE_VALUE_INVALID;
            } else if (t[i].type == kCkaYubicoTouchPolicy && !policy(v, touchPolicy)) {
                return CKR_ATTRIBUTE_VALUE_INVALID;
            }
        }
        return CKR_OK;
    };
    if (const CK_RV rv = scan(pPublicKeyTemplate, ulPublicKeyAttributeCount); rv != CKR_OK) {
        return rv;
    }
    if (const CK_RV rv = scan(pPrivateKeyTemplate, ulPrivateKeyAttributeCount); rv != CKR_OK) {
        return rv;
    }
    // The card management key: $SKEY_PIV_MANAGEMENT_KEY (48 hex digits), else the development default (docs/piv.md).
    QByteArray key = QByteArray::fromHex(qgetenv("SKEY_PIV_MANAGEMENT_KEY"));
    if (key.size() != 24) {
        key = QByteArray::fromHex("010203040506070801020304050607080102030405060708");
    }
    const bool authenticated = m.token->authenticate(key);
    key.fill('\0');
    if (!authenticated) {
        return CKR_PIN_INCORRECT;
    }
    const auto point = m.token->generate(kPivSlots[slot], group == "secp384r1" ? 0x14 : 0x11, pinPolicy, touchPolicy);
    if (!point) {
        return CKR_DEVICE_ERROR;
    }
    KeyInfo& k = m.keys[static_cast<std::size_t>(slot)];
    k = KeyInfo{};
    k.present = true;
    setPolicies(k, kPivSlots[slot], pinPolicy, touchPolicy);
    k.group = group;
    k.point = toBytes(*point);
    *phPublicKey = kPubBase + static_cast<CK_OBJECT_HANDLE>(slot);
    *phPrivateKey = kPrivBase + static_cast<CK_OBJECT_HANDLE>(slot);
    return CKR_OK;
}

/// C_DestroyObject (issue 14, docs/piv.md): a certificate → PUT DATA `53 00` of its object; either key of a pair →
/// DELETE KEY (Yubico MOVE KEY to FF), which removes the key pair and the slot's certificate in one commit (PIV keeps
/// no public key without its private key); a derived secret → forgotten. Token objects need the management key
/// ($SKEY_PIV_MANAGEMENT_KEY, else the development default, as C_GenerateKeyPair) and a read/write session.
CK_RV C_DestroyObject(CK_SESSION_HANDLE hSession, CK_OBJECT_HANDLE hObject)
{
    LOCKED_MODULE
    FIND_SESSION
    int slot = 0;
    const Kind kind = kindOf(hObject, slot);
    if (!objectExists(m, hObject) || (kind == Kind::Priv && !privateVisible(m, static_cast<std::size_t>(slot)))) {
        return CKR_OBJECT_HANDLE_INVALID; // a private object is not visible before C_Login
    }
    if (kind == Kind::Secret) {
        m.secrets.erase(hObject);
        return CKR_OK;
    }
    if ((session.flags & CKF_RW_SESSION) == 0) {
        return CKR_SESSION_READ_ONLY;
    }
    QByteArray key = QByteArray::fromHex(qgetenv("SKEY_PIV_MANAGEMENT_KEY"));
    if (key.size() != 24) {
        key = QByteArray::fromHex("010203040506070801020304050607080102030405060708");
    }
    const bool authenticated = m.token->authenticate(key);
    key.fill('\0');
    if (!authenticated) {
        return CKR_PIN_INCORRECT;
    }
    KeyInfo& k = m.keys[static_cast<std::size_t>(slot)];
    const PivAnswer a
        = kind == Kind::Cert ? m.token->deleteCertificate(kPivSlots[slot]) : m.token->deleteKey(kPivSlots[slot]);
    if (!a.transportOk) {
        return CKR_DEVICE_REMOVED;
    }
    if (a.sw == 0x6A88) {
        k = KeyInfo{}; // gone already (another program deleted it)
        return CKR_OBJECT_HANDLE_INVALID;
    }
    if (!a.ok()) {
        return a.sw == 0x6982 ? CKR_USER_NOT_LOGGED_IN : CKR_DEVICE_ERROR;
    }
    if (kind == Kind::Cert) {
        k.cert.clear();
        k.subject.clear();
        k.issuer.clear();
        k.serial.clear();
    } else {
        k = KeyInfo{};
    }
    return CKR_OK;
}

CK_RV C_DeriveKey(CK_SESSION_HANDLE hSession,
    CK_MECHANISM_PTR pMechanism,
    CK_OBJECT_HANDLE hBaseKey,
    CK_ATTRIBUTE_PTR pTemplate,
    CK_ULONG ulAttributeCount,
    CK_OBJECT_HANDLE_PTR phKey)
{
    (void)pTemplate;
    (void)ulAttributeCount;
    LOCKED_MODULE
    FIND_SESSION
    if (pMechanism == nullptr || phKey == nullptr) {
        return CKR_ARGUMENTS_BAD;
    }
    if (pMechanism->mechanism != CKM_ECDH1_DERIVE || pMechanism->pParameter == nullptr
        || pMechanism->ulParameterLen != sizeof(CK_ECDH1_DERIVE_PARAMS)) {
        return CKR_MECHANISM_PARAM_INVALID;
    }
    int slot = 0;
    if (kindOf(hBaseKey, slot) != Kind::Priv || !objectExists(m, hBaseKey)) {
        return CKR_KEY_HANDLE_INVALID;
    }
    const auto* params = static_cast<const CK_ECDH1_DERIVE_PARAMS*>(pMechanism->pParameter);
    if (params->kdf != CKD_NULL || params->pPublicData == nullptr) {
        return CKR_MECHANISM_PARAM_INVALID;
    }
    Bytes peer(params->pPublicData, params->pPublicData + params->ulPublicDataLen);
    if (peer.size() > 2 && peer[0] == 0x04 && peer[1] == peer.size() - 2) {
        peer.erase(peer.begin(), peer.begin() + 2); // DER OCTET STRING around the point
    }
    const KeyInfo& k = m.keys[static_cast<std::size_t>(slot)];
    const PivAnswer a = m.token->ecdh(kPivSlots[slot], k.group == "secp384r1" ? 0x14 : 0x11, toQ(peer));
    if (!a.transportOk) {
        return CKR_DEVICE_REMOVED;
    }
    if (a.sw != 0x9000) {
        return a.sw == 0x6982 ? CKR_USER_NOT_LOGGED_IN : CKR_MECHANISM_PARAM_INVALID;
    }
    const CK_OBJECT_HANDLE h = m.nextSecret++;
    m.secrets[h] = SecretObject{toBytes(a.data), hSession};
    *phKey = h;
    return CKR_OK;
}

CK_RV C_GenerateRandom(CK_SESSION_HANDLE hSession, CK_BYTE_PTR RandomData, CK_ULONG ulRandomLen)
{
    LOCKED_MODULE
    FIND_SESSION
    if (RandomData == nullptr && ulRandomLen > 0) {
        return CKR_ARGUMENTS_BAD;
    }
    CK_ULONG done = 0;
    while (done < ulRandomLen) {
        const int n = static_cast<int>(std::min<CK_ULONG>(256, ulRandomLen - done));
        const auto r = m.token->random(n); // the token's RNG (GET CHALLENGE), not the host's
        if (!r) {
            return CKR_DEVICE_ERROR;
        }
        std::memcpy(RandomData + done, r->constData(), static_cast<std::size_t>(n));
        done += static_cast<CK_ULONG>(n);
    }
    return CKR_OK;
}

CK_RV C_GetFunctionList(CK_FUNCTION_LIST_PTR_PTR ppFunctionList);

} // extern "C"

namespace {

template <typename... A>
CK_RV notSupported(A...)
{
    return CKR_FUNCTION_NOT_SUPPORTED;
}

CK_RV getFunctionStatus(CK_SESSION_HANDLE)
{
    return CKR_FUNCTION_NOT_PARALLEL;
}

CK_FUNCTION_LIST makeList()
{
    CK_FUNCTION_LIST f{};
    f.version = {2, 40};
    f.C_Initialize = C_Initialize;
    f.C_Finalize = C_Finalize;
    f.C_GetInfo = C_GetInfo;
    f.C_GetFunctionList = C_GetFunctionList;
    f.C_GetSlotList = C_GetSlotList;
    f.C_GetSlotInfo = C_GetSlotInfo;
    f.C_GetTokenInfo = C_GetTokenInfo;
    f.C_GetMechanismList = C_GetMechanismList;
    f.C_GetMechanismInfo = C_GetMechanismInfo;
    f.C_InitToken = notSupported<CK_SLOT_ID, CK_UTF8CHAR_PTR, CK_ULONG, CK_UTF8CHAR_PTR>;
    f.C_InitPIN = C_InitPIN;
    f.C_SetPIN = C_SetPIN;
    f.C_OpenSession = C_OpenSession;
    f.C_CloseSession = C_CloseSession;
    f.C_CloseAllSessions = C_CloseAllSessions;
    f.C_GetSessionInfo = C_GetSessionInfo;
    f.C_GetOperationState = notSupported<CK_SESSION_HANDLE, CK_BYTE_PTR, CK_ULONG_PTR>;
    f.C_SetOperationState = notSupported<CK_SESSION_HANDLE, CK_BYTE_PTR, CK_ULONG, CK_OBJECT_HANDLE, CK_OBJECT_HANDLE>;
    f.C_Login = C_Login;
    f.C_Logout = C_Logout;
    f.C_CreateObject = notSupported<CK_SESSION_HANDLE, CK_ATTRIBUTE_PTR, CK_ULONG, CK_OBJECT_HANDLE_PTR>;
    f.C_CopyObject
        = notSupported<CK_SESSION_HANDLE, CK_OBJECT_HANDLE, CK_ATTRIBUTE_PTR, CK_ULONG, CK_OBJECT_HANDLE_PTR>;
    f.C_DestroyObject = C_DestroyObject;
    f.C_GetObjectSize = C_GetObjectSize;
    f.C_GetAttributeValue = C_GetAttributeValue;
    f.C_SetAttributeValue = notSupported<CK_SESSION_HANDLE, CK_OBJECT_HANDLE, CK_ATTRIBUTE_PTR, CK_ULONG>;
    f.C_FindObjectsInit = C_FindObjectsInit;
    f.C_FindObjects = C_FindObjects;
    f.C_FindObjectsFinal = C_FindObjectsFinal;
    f.C_EncryptInit = notSupported<CK_SESSION_HANDLE, CK_MECHANISM_PTR, CK_OBJECT_HANDLE>;
    f.C_Encrypt = notSupported<CK_SESSION_HANDLE, CK_BYTE_PTR, CK_ULONG, CK_BYTE_PTR, CK_ULONG_PTR>;
    f.C_EncryptUpdate = notSupported<CK_SESSION_HANDLE, CK_BYTE_PTR, CK_ULONG, CK_BYTE_PTR, CK_ULONG_PTR>;
    f.C_EncryptFinal = notSupported<CK_SESSION_HANDLE, CK_BYTE_PTR, CK_ULONG_PTR>;
    f.C_DecryptInit = notSupported<CK_SESSION_HANDLE, CK_MECHANISM_PTR, CK_OBJECT_HANDLE>;
    f.C_Decrypt = notSupported<CK_SESSION_HANDLE, CK_BYTE_PTR, CK_ULONG, CK_BYTE_PTR, CK_ULONG_PTR>;
    f.C_DecryptUpdate = notSupported<CK_SESSION_HANDLE, CK_BYTE_PTR, CK_ULONG, CK_BYTE_PTR, CK_ULONG_PTR>;
    f.C_DecryptFinal = notSupported<CK_SESSION_HANDLE, CK_BYTE_PTR, CK_ULONG_PTR>;
    f.C_DigestInit = notSupported<CK_SESSION_HANDLE, CK_MECHANISM_PTR>;
    f.C_Digest = notSupported<CK_SESSION_HANDLE, CK_BYTE_PTR, CK_ULONG, CK_BYTE_PTR, CK_ULONG_PTR>;
    f.C_DigestUpdate = notSupported<CK_SESSION_HANDLE, CK_BYTE_PTR, CK_ULONG>;
    f.C_DigestKey = notSupported<CK_SESSION_HANDLE, CK_OBJECT_HANDLE>;
    f.C_DigestFinal = notSupported<CK_SESSION_HANDLE, CK_BYTE_PTR, CK_ULONG_PTR>;
    f.C_SignInit = C_SignInit;
    f.C_Sign = C_Sign;
    f.C_SignUpdate = C_SignUpdate;
    f.C_SignFinal = C_SignFinal;
    f.C_SignRecoverInit = notSupported<CK_SESSION_HANDLE, CK_MECHANISM_PTR, CK_OBJECT_HANDLE>;
    f.C_SignRecover = notSupported<CK_SESSION_HANDLE, CK_BYTE_PTR, CK_ULONG, CK_BYTE_PTR, CK_ULONG_PTR>;
    f.C_VerifyInit = C_VerifyInit;
    f.C_Verify = C_Verify;
    f.C_VerifyUpdate = C_VerifyUpdate;
    f.C_VerifyFinal = C_VerifyFinal;
    f.C_VerifyRecoverInit = notSupported<CK_SESSION_HANDLE, CK_MECHANISM_PTR, CK_OBJECT_HANDLE>;
    f.C_VerifyRecover = notSupported<CK_SESSION_HANDLE, CK_BYTE_PTR, CK_ULONG, CK_BYTE_PTR, CK_ULONG_PTR>;
    f.C_DigestEncryptUpdate = notSupported<CK_SESSION_HANDLE, CK_BYTE_PTR, CK_ULONG, CK_BYTE_PTR, CK_ULONG_PTR>;
    f.C_DecryptDigestUpdate = notSupported<CK_SESSION_HANDLE, CK_BYTE_PTR, CK_ULONG, CK_BYTE_PTR, CK_ULONG_PTR>;
    f.C_SignEncryptUpdate = notSupported<CK_SESSION_HANDLE, CK_BYTE_PTR, CK_ULONG, CK_BYTE_PTR, CK_ULONG_PTR>;
    f.C_DecryptVerifyUpdate = notSupported<CK_SESSION_HANDLE, CK_BYTE_PTR, CK_ULONG, CK_BYTE_PTR, CK_ULONG_PTR>;
    f.C_GenerateKey
        = notSupported<CK_SESSION_HANDLE, CK_MECHANISM_PTR, CK_ATTRIBUTE_PTR, CK_ULONG, CK_OBJECT_HANDLE_PTR>;
    f.C_GenerateKeyPair = C_GenerateKeyPair;
    f.C_WrapKey = notSupported<CK_SESSION_HANDLE,
        CK_MECHANISM_PTR,
        CK_OBJECT_HANDLE,
        CK_OBJECT_HANDLE,
        CK_BYTE_PTR,
        CK_ULONG_PTR>;
    f.C_UnwrapKey = notSupported<CK_SESSION_HANDLE,
        CK_MECHANISM_PTR,
        CK_OBJECT_HANDLE,
        CK_BYTE_PTR,
        CK_ULONG,
        CK_ATTRIBUTE_PTR,
        CK_ULONG,
        CK_OBJECT_HANDLE_PTR>;
    f.C_DeriveKey = C_DeriveKey;
    f.C_SeedRandom = notSupported<CK_SESSION_HANDLE, CK_BYTE_PTR, CK_ULONG>;
    f.C_GenerateRandom = C_GenerateRandom;
    f.C_GetFunctionStatus = getFunctionStatus;
    f.C_CancelFunction = getFunctionStatus;
    f.C_WaitForSlotEvent = notSupported<CK_FLAGS, CK_SLOT_ID_PTR, CK_VOID_PTR>;
    return f;
}

} // namespace

extern "C" CK_RV C_GetFunctionList(CK_FUNCTION_LIST_PTR_PTR ppFunctionList)
{
    static CK_FUNCTION_LIST list = makeList();
    if (ppFunctionList == nullptr) {
        return CKR_ARGUMENTS_BAD;
    }
    *ppFunctionList = &list;
    return CKR_OK;
}
