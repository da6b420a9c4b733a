// SPDX-License-Identifier: Apache-2.0
#include "bank/hsm/Hsm.h"

#include "core/crypto/CardCrypto.h"

#include <p11-kit/pkcs11.h>

#include <QString>

#include <dlfcn.h>
#include <openssl/evp.h>

#include <vector>

namespace wallet::bank {

using core::CardCrypto;
using core::ErrorCode;
using core::makeError;

namespace {

core::Error p11Error(const char* what, CK_RV rv)
{
    return makeError(ErrorCode::CryptoError,
        QStringLiteral("HSM: %1 failed (CKR 0x%2)").arg(QString::fromLatin1(what)).arg(rv, 0, 16));
}

std::string paddedLabel(const std::string& label)
{
    std::string s = label.substr(0, 32);
    s.resize(32, ' ');
    return s;
}

CK_BBOOL kTrue = CK_TRUE;
CK_BBOOL kFalse = CK_FALSE;
CK_OBJECT_CLASS kSecret = CKO_SECRET_KEY;
CK_KEY_TYPE kDes2 = CKK_DES2;
CK_KEY_TYPE kGeneric = CKK_GENERIC_SECRET;

} // namespace

/// One PKCS#11 session, closed (and its session objects destroyed) on scope exit.
class Hsm::Session
{
public:
    Session(CK_FUNCTION_LIST_PTR f, CK_SLOT_ID slot)
        : m_f(f)
    {
        m_rv = m_f->C_OpenSession(slot, CKF_SERIAL_SESSION | CKF_RW_SESSION, nullptr, nullptr, &m_handle);
    }
    ~Session()
    {
        if (m_rv == CKR_OK) {
            m_f->C_CloseSession(m_handle);
        }
    }
    Session(const Session&) = delete;
    Session& operator=(const Session&) = delete;
    [[nodiscard]] bool ok() const { return m_rv == CKR_OK; }
    [[nodiscard]] CK_RV rv() const { return m_rv; }
    [[nodiscard]] CK_SESSION_HANDLE handle() const { return m_handle; }

private:
    CK_FUNCTION_LIST_PTR m_f;
    CK_SESSION_HANDLE m_handle = 0;
    CK_RV m_rv = CKR_GENERAL_ERROR;
};

Hsm::Hsm(void* dl, CK_FUNCTION_LIST_PTR f)
    : m_dl(dl)
    , m_f(f)
{ }

Hsm::~Hsm()
{
    if (m_loggedIn) {
        m_f->C_Logout(m_loginSession);
        m_f->C_CloseSession(m_loginSession);
    }
    m_f->C_Finalize(nullptr);
    dlclose(m_dl);
}

Result<std::unique_ptr<Hsm>> Hsm::load(const std::string& modulePath)
{
    void* dl = dlopen(modulePath.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (!dl) {
        return makeError(ErrorCode::CryptoError,
            QStringLiteral("HSM: cannot load the PKCS#11 module %1 (%2); install softhsm2 or give --pkcs11-module")
                .arg(QString::fromStdString(modulePath), QString::fromUtf8(dlerror())));
    }
    auto getList = reinterpret_cast<CK_C_GetFunctionList>(dlsym(dl, "C_GetFunctionList"));
    CK_FUNCTION_LIST_PTR f = nullptr;
    if (!getList || getList(&f) != CKR_OK || !f) {
        dlclose(dl);
        return makeError(ErrorCode::CryptoError,
            QStringLiteral("HSM: %1 is not a PKCS#11 module").arg(QString::fromStdString(modulePath)));
    }
    CK_C_INITIALIZE_ARGS args{};
    args.flags = CKF_OS_LOCKING_OK;
    if (CK_RV rv = f->C_Initialize(&args); rv != CKR_OK) {
        dlclose(dl);
        return p11Error("C_Initialize", rv);
    }
    return std::unique_ptr<Hsm>(new Hsm(dl, f));
}

Result<unsigned long> Hsm::findSlot(const std::string& label, bool wantInitialised)
{
    CK_ULONG n = 0;
    if (CK_RV rv = m_f->C_GetSlotList(CK_TRUE, nullptr, &n); rv != CKR_OK) {
        return p11Error("C_GetSlotList", rv);
    }
    std::vector<CK_SLOT_ID> slotIds(n);
    if (CK_RV rv = m_f->C_GetSlotList(CK_TRUE, slotIds.data(), &n); rv != CKR_OK) {
        return p11Error("C_GetSlotList", rv);
    }
    const std::string want = paddedLabel(label);
    for (CK_ULONG i = 0; i < n; ++i) {
        CK_TOKEN_INFO info{};
        if (m_f->C_GetTokenInfo(slotIds[i], &info) != CKR_OK) {
            continue;
        }
        const bool initialised = (info.flags & CKF_TOKEN_INITIALIZED) != 0;
        if (!wantInitialised && !initialised) {
            return slotIds[i];
        }
        if (wantInitialised && initialised && std::string(reinterpret_cast<const char*>(info.label), 32) == want) {
            return slotIds[i];
        }
    }
    return makeError(ErrorCode::NotFound,
        wantInitialised
            ? QStringLiteral("HSM: no token labelled \"%1\"; run `bankctl init`").arg(QString::fromStdString(label))
            : QStringLiteral("HSM: no free slot for a new token"));
}

Result<void> Hsm::initToken(const std::string& label, const SecureBytes& soPin, const SecureBytes& userPin)
{
    if (auto existing = findSlot(label, true); existing) {
        return makeError(ErrorCode::InvalidState,
            QStringLiteral("HSM: a token labelled \"%1\" exists already; nothing was changed")
                .arg(QString::fromStdString(label)));
    }
    auto slot = findSlot(label, false);
    if (!slot) {
        return slot.error();
    }
    std::string padded = paddedLabel(label);
    if (CK_RV rv = m_f->C_InitToken(*slot,
            const_cast<CK_UTF8CHAR_PTR>(soPin.data()),
            soPin.size(),
            reinterpret_cast<CK_UTF8CHAR_PTR>(padded.data()));
        rv != CKR_OK) {
        return p11Error("C_InitToken", rv);
    }
    // SoftHSM renumbers its slotIds after C_InitToken: find the token again by its label.
    auto fresh = findSlot(label, true);
    if (!fresh) {
        return fresh.error();
    }
    Session s(m_f, *fresh);
    if (!s.ok()) {
        return p11Error("C_OpenSession", s.rv());
    }
    if (CK_RV rv = m_f->C_Login(s.handle(), CKU_SO, const_cast<CK_UTF8CHAR_PTR>(soPin.data()), soPin.size());
        rv != CKR_OK) {
        return p11Error("C_Login(SO)", rv);
    }
    CK_RV rv = m_f->C_InitPIN(s.handle(), const_cast<CK_UTF8CHAR_PTR>(userPin.data()), userPin.size());
    m_f->C_Logout(s.handle());
    if (rv != CKR_OK) {
        return p11Error("C_InitPIN", rv);
    }
    return {};
}

Result<void> Hsm::login(const std::string& label, const SecureBytes& userPin)
{
    std::lock_guard lock(m_mutex);
    auto slot = findSlot(label, true);
    if (!slot) {
        return slot.error();
    }
    m_slot = *slot;
    if (CK_RV rv = m_f->C_OpenSession(m_slot, CKF_SERIAL_SESSION | CKF_RW_SESSION, nullptr, nullptr, &m_loginSession);
        rv != CKR_OK) {
        return p11Error("C_OpenSession", rv);
    }
    CK_RV rv = m_f->C_Login(m_loginSession, CKU_USER, const_cast<CK_UTF8CHAR_PTR>(userPin.data()), userPin.size());
    if (rv != CKR_OK && rv != CKR_USER_ALREADY_LOGGED_IN) {
        m_f->C_CloseSession(m_loginSession);
        return rv == CKR_PIN_INCORRECT
            ? makeError(ErrorCode::WrongPin, QStringLiteral("HSM: the token's user PIN is wrong"))
            : p11Error("C_Login", rv);
    }
    m_loggedIn = true;
    return {};
}

Result<unsigned long> Hsm::findKey(unsigned long session, const std::string& label)
{
    return findObject(session, label, CKO_SECRET_KEY);
}

Result<bool> Hsm::hasKey(const std::string& label)
{
    Session s(m_f, m_slot);
    if (!s.ok()) {
        return p11Error("C_OpenSession", s.rv());
    }
    auto k = findKey(s.handle(), label);
    if (!k) {
        if (k.error().code == ErrorCode::NotFound) {
            return false;
        }
        return k.error();
    }
    return true;
}

namespace {

/// §8.6: only the purchase masters `mpk.vN` may leave the token, and only wrapped (CKA_SENSITIVE stays TRUE), for a
/// PSAM's WRITE KEY under its own KT (writeKeyBlock of BlockKey::masterItself). Every other master is not extractable
/// at all.
bool exportableMaster(const std::string& label)
{
    return label.rfind("mpk.", 0) == 0;
}

} // namespace

Result<void> Hsm::generateDes2(const std::string& label)
{
    return createDes2(label, nullptr);
}

Result<void> Hsm::importDes2(const std::string& label, const SecureBytes& value)
{
    if (value.size() != 16) {
        return makeError(ErrorCode::InvalidInput, QStringLiteral("HSM: a DES2 key has 16 bytes"));
    }
    return createDes2(label, &value);
}

Result<void> Hsm::createDes2(const std::string& label, const SecureBytes* value)
{
    Session s(m_f, m_slot);
    if (!s.ok()) {
        return p11Error("C_OpenSession", s.rv());
    }
    std::string l = label;
    SecureBytes v = value != nullptr ? *value : SecureBytes();
    CK_ATTRIBUTE tmpl[] = {{CKA_CLASS, &kSecret, sizeof kSecret},
        {CKA_KEY_TYPE, &kDes2, sizeof kDes2},
        {CKA_LABEL, l.data(), l.size()},
        {CKA_TOKEN, &kTrue, sizeof kTrue},
        {CKA_PRIVATE, &kTrue, sizeof kTrue},
        {CKA_SENSITIVE, &kTrue, sizeof kTrue},
        {CKA_EXTRACTABLE, exportableMaster(label) ? &kTrue : &kFalse, sizeof kFalse},
        {CKA_MODIFIABLE, &kFalse, sizeof kFalse},
        {CKA_DERIVE, &kTrue, sizeof kTrue},
        {CKA_VALUE, v.data(), v.size()}};
    CK_OBJECT_HANDLE h = 0;
    if (value == nullptr) {
        CK_MECHANISM mech{CKM_DES2_KEY_GEN, nullptr, 0};
        if (CK_RV rv = m_f->C_GenerateKey(s.handle(), &mech, tmpl, std::size(tmpl) - 1, &h); rv != CKR_OK) {
            return p11Error("C_GenerateKey(DES2)", rv);
        }
    } else if (CK_RV rv = m_f->C_CreateObject(s.handle(), tmpl, std::size(tmpl), &h); rv != CKR_OK) {
        return p11Error("C_CreateObject(DES2)", rv);
    }
    return {};
}

Result<void> Hsm::generateHmacKey(const std::string& label)
{
    Session s(m_f, m_slot);
    if (!s.ok()) {
        return p11Error("C_OpenSession", s.rv());
    }
    std::string l = label;
    CK_ULONG len = 32;
    CK_MECHANISM mech{CKM_GENERIC_SECRET_KEY_GEN, nullptr, 0};
    CK_ATTRIBUTE tmpl[] = {{CKA_CLASS, &kSecret, sizeof kSecret},
        {CKA_KEY_TYPE, &kGeneric, sizeof kGeneric},
        {CKA_LABEL, l.data(), l.size()},
        {CKA_TOKEN, &kTrue, sizeof kTrue},
        {CKA_PRIVATE, &kTrue, sizeof kTrue},
        {CKA_SENSITIVE, &kTrue, sizeof kTrue},
        {CKA_EXTRACTABLE, &kFalse, sizeof kFalse},
        {CKA_MODIFIABLE, &kFalse, sizeof kFalse},
        {CKA_SIGN, &kTrue, sizeof kTrue},
        {CKA_VALUE_LEN, &len, sizeof len}};
    CK_OBJECT_HANDLE h = 0;
    if (CK_RV rv = m_f->C_GenerateKey(s.handle(), &mech, tmpl, std::size(tmpl), &h); rv != CKR_OK) {
        return p11Error("C_GenerateKey(HMAC)", rv);
    }
    return {};
}

Result<unsigned long> Hsm::deriveDes2(
    unsigned long session, unsigned long base, const QByteArray& data16, bool extractable)
{
    QByteArray data = data16;
    CK_KEY_DERIVATION_STRING_DATA param{
        reinterpret_cast<unsigned char*>(data.data()), static_cast<CK_ULONG>(data.size())};
    CK_MECHANISM mech{CKM_DES3_ECB_ENCRYPT_DATA, &param, sizeof param};
    CK_ATTRIBUTE tmpl[] = {{CKA_CLASS, &kSecret, sizeof kSecret},
        {CKA_KEY_TYPE, &kDes2, sizeof kDes2},
        {CKA_TOKEN, &kFalse, sizeof kFalse},
        {CKA_SENSITIVE, extractable ? &kFalse : &kTrue, sizeof kTrue},
        {CKA_EXTRACTABLE, extractable ? &kTrue : &kFalse, sizeof kTrue},
        {CKA_ENCRYPT, &kTrue, sizeof kTrue},
        {CKA_DERIVE, &kTrue, sizeof kTrue}};
    CK_OBJECT_HANDLE h = 0;
    if (CK_RV rv = m_f->C_DeriveKey(session, &mech, base, tmpl, std::size(tmpl), &h); rv != CKR_OK) {
        return p11Error("C_DeriveKey(CKM_DES3_ECB_ENCRYPT_DATA)", rv);
    }
    return h;
}

namespace {

/// Spec §5.1 diversification data: ASN ‖ NOT ASN.
QByteArray diversificationData(const QByteArray& asn8)
{
    QByteArray d = asn8;
    for (char c : asn8) {
        d.append(static_cast<char>(~static_cast<unsigned char>(c)));
    }
    return d;
}

} // namespace

Result<QByteArray> Hsm::transactionMac(
    const std::string& masterLabel, const QByteArray& asn8, const QByteArray& seed8, const QByteArray& data)
{
    if (asn8.size() != 8 || seed8.size() != 8) {
        return makeError(ErrorCode::InvalidInput, QStringLiteral("HSM: ASN and seed have 8 bytes"));
    }
    Session s(m_f, m_slot);
    if (!s.ok()) {
        return p11Error("C_OpenSession", s.rv());
    }
    auto master = findKey(s.handle(), masterLabel);
    if (!master) {
        return master.error();
    }
    auto dk = deriveDes2(s.handle(), *master, diversificationData(asn8), false);
    if (!dk) {
        return dk.error();
    }
    // §8.3: 3DES-ECB(DK, S ‖ S) = S' ‖ S', a DES2 key with equal halves = single DES with S' (spec §5.2).
    auto ses = deriveDes2(s.handle(), *dk, seed8 + seed8, false);
    if (!ses) {
        return ses.error();
    }
    QByteArray padded = CardCrypto::pad80(data, 8);
    QByteArray iv(8, '\0');
    CK_MECHANISM mech{CKM_DES3_CBC, iv.data(), static_cast<CK_ULONG>(iv.size())};
    if (CK_RV rv = m_f->C_EncryptInit(s.handle(), &mech, *ses); rv != CKR_OK) {
        return p11Error("C_EncryptInit(CKM_DES3_CBC)", rv);
    }
    QByteArray out(padded.size(), '\0');
    CK_ULONG outLen = static_cast<CK_ULONG>(out.size());
    if (CK_RV rv = m_f->C_Encrypt(s.handle(),
            reinterpret_cast<CK_BYTE_PTR>(padded.data()),
            static_cast<CK_ULONG>(padded.size()),
            reinterpret_cast<CK_BYTE_PTR>(out.data()),
            &outLen);
        rv != CKR_OK || outLen != static_cast<CK_ULONG>(padded.size())) {
        return p11Error("C_Encrypt(CKM_DES3_CBC)", rv);
    }
    return out.mid(out.size() - 8, 4);
}

Result<QByteArray> Hsm::tac(const std::string& mtkLabel, const QByteArray& asn8, const QByteArray& data)
{
    auto key8 = tacKey(mtkLabel, asn8);
    if (!key8) {
        return key8.error();
    }
    return CardCrypto::desMac(*key8, data);
}

Result<SecureBytes> Hsm::tacKey(const std::string& mtkLabel, const QByteArray& asn8)
{
    if (asn8.size() != 8) {
        return makeError(ErrorCode::InvalidInput, QStringLiteral("HSM: the ASN has 8 bytes"));
    }
    Session s(m_f, m_slot);
    if (!s.ok()) {
        return p11Error("C_OpenSession", s.rv());
    }
    auto master = findKey(s.handle(), mtkLabel);
    if (!master) {
        return master.error();
    }
    auto dtk = deriveDes2(s.handle(), *master, diversificationData(asn8), true);
    if (!dtk) {
        return dtk.error();
    }
    SecureBytes value(16);
    CK_ATTRIBUTE get{CKA_VALUE, value.data(), value.size()};
    if (CK_RV rv = m_f->C_GetAttributeValue(s.handle(), *dtk, &get, 1); rv != CKR_OK || get.ulValueLen != 16) {
        return p11Error("C_GetAttributeValue(DTK)", rv);
    }
    SecureBytes key8(8);
    for (std::size_t i = 0; i < 8; ++i) {
        key8[i] = static_cast<std::uint8_t>(value[i] ^ value[8 + i]);
    }
    return key8;
}

Result<unsigned long> Hsm::deriveFrom(unsigned long session, const DerivedKey& key, bool extractable, bool leftHalfOnly)
{
    if (key.factor.size() != 8) {
        return makeError(ErrorCode::InvalidInput, QStringLiteral("HSM: a diversification factor has 8 bytes"));
    }
    auto master = findKey(session, key.master);
    if (!master) {
        return master.error();
    }
    // f ‖ f gives K_L ‖ K_L (an equal-halves DES2 key = single DES with K_L); f ‖ NOT f gives the key (§5.1).
    return deriveDes2(
        session, *master, leftHalfOnly ? key.factor + key.factor : diversificationData(key.factor), extractable);
}

Result<QByteArray> Hsm::encrypt(
    unsigned long session, unsigned long key, unsigned long mechanism, const QByteArray& iv, const QByteArray& data)
{
    if (data.isEmpty() || data.size() % 8 != 0) {
        return makeError(ErrorCode::InvalidInput, QStringLiteral("HSM: 3DES data must be whole 8-byte blocks"));
    }
    QByteArray ivCopy = iv;
    CK_MECHANISM mech{mechanism, ivCopy.isEmpty() ? nullptr : ivCopy.data(), static_cast<CK_ULONG>(ivCopy.size())};
    if (CK_RV rv = m_f->C_EncryptInit(session, &mech, key); rv != CKR_OK) {
        return p11Error("C_EncryptInit", rv);
    }
    QByteArray in = data;
    QByteArray out(data.size(), '\0');
    CK_ULONG outLen = static_cast<CK_ULONG>(out.size());
    CK_RV rv = m_f->C_Encrypt(session,
        reinterpret_cast<CK_BYTE_PTR>(in.data()),
        static_cast<CK_ULONG>(in.size()),
        reinterpret_cast<CK_BYTE_PTR>(out.data()),
        &outLen);
    in.fill('\0');
    if (rv != CKR_OK || outLen != static_cast<CK_ULONG>(data.size())) {
        return p11Error("C_Encrypt", rv);
    }
    return out;
}

Result<QByteArray> Hsm::encryptBlocks(const DerivedKey& key, const QByteArray& blocks)
{
    Session s(m_f, m_slot);
    if (!s.ok()) {
        return p11Error("C_OpenSession", s.rv());
    }
    auto k = deriveFrom(s.handle(), key, false);
    if (!k) {
        return k.error();
    }
    return encrypt(s.handle(), *k, CKM_DES3_ECB, {}, blocks);
}

Result<QByteArray> Hsm::encryptWithLength(const DerivedKey& key, const SecureBytes& fields)
{
    if (fields.size() > 247) {
        return makeError(ErrorCode::InvalidInput, QStringLiteral("HSM: data too long for one command"));
    }
    // len ‖ fields ‖ 80 00… to a multiple of 8, in a buffer wiped on every path (it may hold a PIN).
    SecureBytes plain;
    plain.push_back(static_cast<std::uint8_t>(fields.size()));
    plain.insert(plain.end(), fields.begin(), fields.end());
    plain.push_back(0x80);
    while (plain.size() % 8 != 0) {
        plain.push_back(0x00);
    }
    QByteArray in(reinterpret_cast<const char*>(plain.data()), static_cast<int>(plain.size()));
    Session s(m_f, m_slot);
    if (!s.ok()) {
        in.fill('\0');
        return p11Error("C_OpenSession", s.rv());
    }
    auto k = deriveFrom(s.handle(), key, false);
    if (!k) {
        in.fill('\0');
        return k.error();
    }
    auto out = encrypt(s.handle(), *k, CKM_DES3_ECB, {}, in);
    in.fill('\0');
    return out;
}

Result<QByteArray> Hsm::retailMac(const DerivedKey& key, const QByteArray& iv8, const QByteArray& data)
{
    if (iv8.size() != 8) {
        return makeError(ErrorCode::InvalidInput, QStringLiteral("HSM: the MAC's IV has 8 bytes"));
    }
    Session s(m_f, m_slot);
    if (!s.ok()) {
        return p11Error("C_OpenSession", s.rv());
    }
    auto left = deriveFrom(s.handle(), key, false, true);
    if (!left) {
        return left.error();
    }
    auto full = deriveFrom(s.handle(), key, false);
    if (!full) {
        return full.error();
    }
    const QByteArray padded = CardCrypto::pad80(data, 8);
    QByteArray chaining = iv8;
    if (padded.size() > 8) {
        auto head = encrypt(s.handle(), *left, CKM_DES3_CBC, iv8, padded.left(padded.size() - 8));
        if (!head) {
            return head.error();
        }
        chaining = head->right(8);
    }
    auto last = encrypt(s.handle(), *full, CKM_DES3_CBC, chaining, padded.right(8));
    if (!last) {
        return last.error();
    }
    return last->left(4);
}

Result<SecureBytes> Hsm::derivedKeyValue(unsigned long session, const DerivedKey& key)
{
    auto dk = deriveFrom(session, key, true);
    if (!dk) {
        return dk.error();
    }
    SecureBytes value(16);
    CK_ATTRIBUTE get{CKA_VALUE, value.data(), value.size()};
    if (CK_RV rv = m_f->C_GetAttributeValue(session, *dk, &get, 1); rv != CKR_OK || get.ulValueLen != 16) {
        return p11Error("C_GetAttributeValue(card key)", rv);
    }
    return value;
}

Result<SecureBytes> Hsm::wrappedMasterValue(unsigned long session, const std::string& label)
{
    auto master = findKey(session, label);
    if (!master) {
        return master.error();
    }
    // A one-call AES-256 session key wraps the master (RFC 3394, CKM_AES_KEY_WRAP); the wrapped value is opened in a
    // wiped buffer here (§8.4's interim step).
    CK_ULONG aesLen = 32;
    CK_KEY_TYPE aesType = CKK_AES;
    CK_ATTRIBUTE aesTmpl[] = {{CKA_CLASS, &kSecret, sizeof kSecret},
        {CKA_KEY_TYPE, &aesType, sizeof aesType},
        {CKA_TOKEN, &kFalse, sizeof kFalse},
        {CKA_SENSITIVE, &kFalse, sizeof kFalse},
        {CKA_EXTRACTABLE, &kTrue, sizeof kTrue},
        {CKA_WRAP, &kTrue, sizeof kTrue},
        {CKA_VALUE_LEN, &aesLen, sizeof aesLen}};
    CK_MECHANISM gen{CKM_AES_KEY_GEN, nullptr, 0};
    CK_OBJECT_HANDLE aes = 0;
    if (CK_RV rv = m_f->C_GenerateKey(session, &gen, aesTmpl, std::size(aesTmpl), &aes); rv != CKR_OK) {
        return p11Error("C_GenerateKey(AES)", rv);
    }
    CK_MECHANISM wrap{CKM_AES_KEY_WRAP, nullptr, 0};
    QByteArray wrapped(40, '\0');
    CK_ULONG wrappedLen = static_cast<CK_ULONG>(wrapped.size());
    if (CK_RV rv
        = m_f->C_WrapKey(session, &wrap, aes, *master, reinterpret_cast<CK_BYTE_PTR>(wrapped.data()), &wrappedLen);
        rv != CKR_OK || wrappedLen != 24) {
        if (rv == CKR_KEY_UNEXTRACTABLE || rv == CKR_KEY_NOT_WRAPPABLE) {
            return makeError(ErrorCode::InvalidState,
                QStringLiteral("HSM: %1 cannot leave the token (made before PSAM provisioning existed, or not a "
                               "purchase master)")
                    .arg(QString::fromStdString(label)));
        }
        return p11Error("C_WrapKey(CKM_AES_KEY_WRAP)", rv);
    }
    wrapped.resize(24);
    SecureBytes kek(32);
    CK_ATTRIBUTE get{CKA_VALUE, kek.data(), kek.size()};
    if (CK_RV rv = m_f->C_GetAttributeValue(session, aes, &get, 1); rv != CKR_OK || get.ulValueLen != 32) {
        return p11Error("C_GetAttributeValue(AES)", rv);
    }
    SecureBytes value(24);
    int outLen = 0;
    int finLen = 0;
    EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
    const bool opened = ctx != nullptr && EVP_DecryptInit_ex(ctx, EVP_aes_256_wrap(), nullptr, kek.data(), nullptr) == 1
        && EVP_DecryptUpdate(ctx,
               value.data(),
               &outLen,
               reinterpret_cast<const unsigned char*>(wrapped.constData()),
               static_cast<int>(wrapped.size()))
            == 1
        && EVP_DecryptFinal_ex(ctx, value.data() + outLen, &finLen) == 1 && outLen + finLen == 16;
    EVP_CIPHER_CTX_free(ctx);
    if (!opened) {
        return makeError(ErrorCode::CryptoError, QStringLiteral("HSM: the wrapped master key did not open"));
    }
    value.resize(16);
    return value;
}

Result<QByteArray> Hsm::writeKeyBlock(const DerivedKey& transportKey,
    const BlockKey& key,
    std::uint8_t keyIndex,
    std::uint8_t keyVersion,
    std::uint8_t algId)
{
    Session s(m_f, m_slot);
    if (!s.ok()) {
        return p11Error("C_OpenSession", s.rv());
    }
    auto kt = deriveFrom(s.handle(), transportKey, false);
    if (!kt) {
        return kt.error();
    }
    auto value
        = key.wholeMaster ? wrappedMasterValue(s.handle(), key.key.master) : derivedKeyValue(s.handle(), key.key);
    if (!value) {
        return value.error();
    }
    // 13 ‖ index ‖ version ‖ algID ‖ key 16 ‖ 80 00 00 00 = 24 bytes (spec §6 step 2; a PSAM's, docs/psam.md).
    QByteArray plain(24, '\0');
    plain[0] = 0x13;
    plain[1] = static_cast<char>(keyIndex);
    plain[2] = static_cast<char>(keyVersion);
    plain[3] = static_cast<char>(algId);
    for (int i = 0; i < 16; ++i) {
        plain[4 + i] = static_cast<char>((*value)[static_cast<std::size_t>(i)]);
    }
    plain[20] = static_cast<char>(0x80);
    auto out = encrypt(s.handle(), *kt, CKM_DES3_ECB, {}, plain);
    plain.fill('\0');
    return out;
}

Result<QByteArray> Hsm::hmacSha256(const std::string& label, const QByteArray& data)
{
    Session s(m_f, m_slot);
    if (!s.ok()) {
        return p11Error("C_OpenSession", s.rv());
    }
    auto key = findKey(s.handle(), label);
    if (!key) {
        return key.error();
    }
    CK_MECHANISM mech{CKM_SHA256_HMAC, nullptr, 0};
    if (CK_RV rv = m_f->C_SignInit(s.handle(), &mech, *key); rv != CKR_OK) {
        return p11Error("C_SignInit(CKM_SHA256_HMAC)", rv);
    }
    QByteArray in = data;
    QByteArray out(32, '\0');
    CK_ULONG outLen = 32;
    if (CK_RV rv = m_f->C_Sign(s.handle(),
            reinterpret_cast<CK_BYTE_PTR>(in.data()),
            static_cast<CK_ULONG>(in.size()),
            reinterpret_cast<CK_BYTE_PTR>(out.data()),
            &outLen);
        rv != CKR_OK) {
        return p11Error("C_Sign(CKM_SHA256_HMAC)", rv);
    }
    out.resize(static_cast<int>(outLen));
    return out;
}

Result<unsigned long> Hsm::findObject(unsigned long session, const std::string& label, unsigned long cls)
{
    const std::string cacheKey = label + "#" + std::to_string(cls);
    {
        std::lock_guard lock(m_mutex);
        if (auto it = m_keys.find(cacheKey); it != m_keys.end()) {
            return it->second;
        }
    }
    std::string l = label;
    CK_OBJECT_CLASS c = cls;
    CK_ATTRIBUTE tmpl[]
        = {{CKA_CLASS, &c, sizeof c}, {CKA_LABEL, l.data(), l.size()}, {CKA_TOKEN, &kTrue, sizeof kTrue}};
    if (CK_RV rv = m_f->C_FindObjectsInit(session, tmpl, 3); rv != CKR_OK) {
        return p11Error("C_FindObjectsInit", rv);
    }
    CK_OBJECT_HANDLE found[2];
    CK_ULONG n = 0;
    CK_RV rv = m_f->C_FindObjects(session, found, 2, &n);
    m_f->C_FindObjectsFinal(session);
    if (rv != CKR_OK) {
        return p11Error("C_FindObjects", rv);
    }
    if (n != 1) {
        return makeError(n == 0 ? ErrorCode::NotFound : ErrorCode::InvalidState,
            QStringLiteral("HSM: %1 key labelled \"%2\" in the token; run `bankctl keys init`")
                .arg(n == 0 ? QStringLiteral("no") : QStringLiteral("more than one"), QString::fromStdString(label)));
    }
    std::lock_guard lock(m_mutex);
    m_keys[cacheKey] = found[0];
    return found[0];
}

Result<void> Hsm::generateEcP256(const std::string& label)
{
    Session s(m_f, m_slot);
    if (!s.ok()) {
        return p11Error("C_OpenSession", s.rv());
    }
    // DER of the OID prime256v1 (1.2.840.10045.3.1.7).
    static const unsigned char kP256[] = {0x06, 0x08, 0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x03, 0x01, 0x07};
    std::string l = label;
    CK_MECHANISM mech{CKM_EC_KEY_PAIR_GEN, nullptr, 0};
    CK_ATTRIBUTE pub[] = {{CKA_EC_PARAMS, const_cast<unsigned char*>(kP256), sizeof kP256},
        {CKA_LABEL, l.data(), l.size()},
        {CKA_TOKEN, &kTrue, sizeof kTrue},
        {CKA_VERIFY, &kTrue, sizeof kTrue}};
    CK_ATTRIBUTE priv[] = {{CKA_LABEL, l.data(), l.size()},
        {CKA_TOKEN, &kTrue, sizeof kTrue},
        {CKA_PRIVATE, &kTrue, sizeof kTrue},
        {CKA_SENSITIVE, &kTrue, sizeof kTrue},
        {CKA_EXTRACTABLE, &kFalse, sizeof kFalse},
        {CKA_MODIFIABLE, &kFalse, sizeof kFalse},
        {CKA_SIGN, &kTrue, sizeof kTrue}};
    CK_OBJECT_HANDLE hPub = 0;
    CK_OBJECT_HANDLE hPriv = 0;
    if (CK_RV rv = m_f->C_GenerateKeyPair(s.handle(), &mech, pub, std::size(pub), priv, std::size(priv), &hPub, &hPriv);
        rv != CKR_OK) {
        return p11Error("C_GenerateKeyPair(EC P-256)", rv);
    }
    return {};
}

Result<bool> Hsm::hasEcKey(const std::string& label)
{
    Session s(m_f, m_slot);
    if (!s.ok()) {
        return p11Error("C_OpenSession", s.rv());
    }
    auto k = findObject(s.handle(), label, CKO_PRIVATE_KEY);
    if (!k) {
        if (k.error().code == ErrorCode::NotFound) {
            return false;
        }
        return k.error();
    }
    return true;
}

Result<QByteArray> Hsm::ecPublicPoint(const std::string& label)
{
    Session s(m_f, m_slot);
    if (!s.ok()) {
        return p11Error("C_OpenSession", s.rv());
    }
    auto k = findObject(s.handle(), label, CKO_PUBLIC_KEY);
    if (!k) {
        return k.error();
    }
    QByteArray point(128, '\0');
    CK_ATTRIBUTE get{CKA_EC_POINT, point.data(), static_cast<CK_ULONG>(point.size())};
    if (CK_RV rv = m_f->C_GetAttributeValue(s.handle(), *k, &get, 1); rv != CKR_OK) {
        return p11Error("C_GetAttributeValue(CKA_EC_POINT)", rv);
    }
    point.resize(static_cast<int>(get.ulValueLen));
    // PKCS#11 2.40 gives the point DER-wrapped as an OCTET STRING (04 41 04 …); some modules give it bare.
    if (point.size() == 67 && point[0] == 0x04 && point[1] == 0x41) {
        point = point.mid(2);
    }
    if (point.size() != 65 || point[0] != 0x04) {
        return makeError(
            ErrorCode::CryptoError, QStringLiteral("HSM: unexpected EC point of %1 bytes").arg(point.size()));
    }
    return point;
}

Result<QByteArray> Hsm::ecdsaSign(const std::string& label, const QByteArray& digest32)
{
    if (digest32.size() != 32) {
        return makeError(ErrorCode::InvalidInput, QStringLiteral("HSM: ECDSA signs a 32-byte digest"));
    }
    Session s(m_f, m_slot);
    if (!s.ok()) {
        return p11Error("C_OpenSession", s.rv());
    }
    auto k = findObject(s.handle(), label, CKO_PRIVATE_KEY);
    if (!k) {
        return k.error();
    }
    CK_MECHANISM mech{CKM_ECDSA, nullptr, 0};
    if (CK_RV rv = m_f->C_SignInit(s.handle(), &mech, *k); rv != CKR_OK) {
        return p11Error("C_SignInit(CKM_ECDSA)", rv);
    }
    QByteArray in = digest32;
    QByteArray out(64, '\0');
    CK_ULONG outLen = 64;
    if (CK_RV rv = m_f->C_Sign(s.handle(),
            reinterpret_cast<CK_BYTE_PTR>(in.data()),
            static_cast<CK_ULONG>(in.size()),
            reinterpret_cast<CK_BYTE_PTR>(out.data()),
            &outLen);
        rv != CKR_OK || outLen != 64) {
        return p11Error("C_Sign(CKM_ECDSA)", rv);
    }
    return out;
}

Result<void> Hsm::importEcP256(const std::string& label, const SecureBytes& scalar32, const QByteArray& point65)
{
    if (scalar32.size() != 32 || point65.size() != 65 || point65[0] != 0x04) {
        return makeError(
            ErrorCode::InvalidInput, QStringLiteral("HSM: an EC P-256 key is a 32-byte scalar and a 65-byte point"));
    }
    if (auto has = hasEcKey(label); !has || *has) {
        return has
            ? makeError(ErrorCode::InvalidState,
                QStringLiteral("HSM: a key labelled \"%1\" is in the token already").arg(QString::fromStdString(label)))
            : has.error();
    }
    Session s(m_f, m_slot);
    if (!s.ok()) {
        return p11Error("C_OpenSession", s.rv());
    }
    static const unsigned char kP256[] = {0x06, 0x08, 0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x03, 0x01, 0x07};
    std::string l = label;
    CK_OBJECT_CLASS privClass = CKO_PRIVATE_KEY;
    CK_OBJECT_CLASS pubClass = CKO_PUBLIC_KEY;
    CK_KEY_TYPE type = CKK_EC;
    SecureBytes value = scalar32;
    CK_ATTRIBUTE priv[] = {{CKA_CLASS, &privClass, sizeof privClass},
        {CKA_KEY_TYPE, &type, sizeof type},
        {CKA_EC_PARAMS, const_cast<unsigned char*>(kP256), sizeof kP256},
        {CKA_VALUE, value.data(), value.size()},
        {CKA_LABEL, l.data(), l.size()},
        {CKA_TOKEN, &kTrue, sizeof kTrue},
        {CKA_PRIVATE, &kTrue, sizeof kTrue},
        {CKA_SENSITIVE, &kTrue, sizeof kTrue},
        {CKA_EXTRACTABLE, &kFalse, sizeof kFalse},
        {CKA_MODIFIABLE, &kFalse, sizeof kFalse},
        {CKA_SIGN, &kTrue, sizeof kTrue}};
    // CKA_EC_POINT: the DER OCTET STRING of the point (PKCS#11 2.40 §2.3.3).
    QByteArray point = QByteArray::fromHex("0441") + point65;
    CK_ATTRIBUTE pub[] = {{CKA_CLASS, &pubClass, sizeof pubClass},
        {CKA_KEY_TYPE, &type, sizeof type},
        {CKA_EC_PARAMS, const_cast<unsigned char*>(kP256), sizeof kP256},
        {CKA_EC_POINT, point.data(), static_cast<CK_ULONG>(point.size())},
        {CKA_LABEL, l.data(), l.size()},
        {CKA_TOKEN, &kTrue, sizeof kTrue},
        {CKA_VERIFY, &kTrue, sizeof kTrue}};
    CK_OBJECT_HANDLE hPriv = 0;
    CK_OBJECT_HANDLE hPub = 0;
    if (CK_RV rv = m_f->C_CreateObject(s.handle(), priv, std::size(priv), &hPriv); rv != CKR_OK) {
        return p11Error("C_CreateObject(EC private key)", rv);
    }
    if (CK_RV rv = m_f->C_CreateObject(s.handle(), pub, std::size(pub), &hPub); rv != CKR_OK) {
        m_f->C_DestroyObject(s.handle(), hPriv);
        return p11Error("C_CreateObject(EC public key)", rv);
    }
    return {};
}

Result<Hsm::KeyProtection> Hsm::privateKeyProtection(const std::string& label)
{
    Session s(m_f, m_slot);
    if (!s.ok()) {
        return p11Error("C_OpenSession", s.rv());
    }
    auto k = findObject(s.handle(), label, CKO_PRIVATE_KEY);
    if (!k) {
        return k.error();
    }
    CK_BBOOL sensitive = CK_FALSE;
    CK_BBOOL extractable = CK_TRUE;
    CK_BBOOL alwaysSensitive = CK_FALSE;
    CK_BBOOL neverExtractable = CK_FALSE;
    CK_ATTRIBUTE get[] = {{CKA_SENSITIVE, &sensitive, sizeof sensitive},
        {CKA_EXTRACTABLE, &extractable, sizeof extractable},
        {CKA_ALWAYS_SENSITIVE, &alwaysSensitive, sizeof alwaysSensitive},
        {CKA_NEVER_EXTRACTABLE, &neverExtractable, sizeof neverExtractable}};
    if (CK_RV rv = m_f->C_GetAttributeValue(s.handle(), *k, get, std::size(get)); rv != CKR_OK) {
        return p11Error("C_GetAttributeValue(protection)", rv);
    }
    KeyProtection p;
    p.sensitive = sensitive == CK_TRUE;
    p.extractable = extractable == CK_TRUE;
    p.alwaysSensitive = alwaysSensitive == CK_TRUE;
    p.neverExtractable = neverExtractable == CK_TRUE;
    return p;
}

} // namespace wallet::bank
