// SPDX-License-Identifier: Apache-2.0
// ECDSA P-256 signatures per second through a PKCS#11 module (libsmartkey-pkcs11.so over the simulator's UDP HID
// port): generates a key in slot 9A (CKA_ID 01), logs in, then C_SignInit + C_Sign (CKM_ECDSA, 32-byte hash) in a
// loop for the given seconds. Usage: SKEY_PKCS11_UDP_PORT=<hid port> skey_bench_pkcs11_sign <module.so> [seconds]
#include <p11-kit/pkcs11.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <dlfcn.h>

int main(int argc, char** argv)
{
    if (argc < 2) {
        std::fprintf(stderr, "usage: %s <module.so> [seconds]\n", argv[0]);
        return 2;
    }
    const double seconds = argc > 2 ? std::atof(argv[2]) : 10.0;
    void* lib = dlopen(argv[1], RTLD_NOW);
    if (lib == nullptr) {
        std::fprintf(stderr, "dlopen: %s\n", dlerror());
        return 1;
    }
    auto getList = reinterpret_cast<CK_C_GetFunctionList>(dlsym(lib, "C_GetFunctionList"));
    CK_FUNCTION_LIST_PTR f = nullptr;
    if (getList == nullptr || getList(&f) != CKR_OK || f->C_Initialize(nullptr) != CKR_OK) {
        std::fprintf(stderr, "module did not initialise\n");
        return 1;
    }
    CK_SESSION_HANDLE s = 0;
    CK_UTF8CHAR pin[] = {'1', '2', '3', '4', '5', '6'};
    if (f->C_OpenSession(0, CKF_SERIAL_SESSION | CKF_RW_SESSION, nullptr, nullptr, &s) != CKR_OK
        || f->C_Login(s, CKU_USER, pin, sizeof pin) != CKR_OK) {
        std::fprintf(stderr, "no token / login failed\n");
        return 1;
    }
    CK_BYTE params[] = {0x06, 0x08, 0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x03, 0x01, 0x07};
    CK_BYTE id[] = {0x01};
    CK_ATTRIBUTE pubT[] = {{CKA_EC_PARAMS, params, sizeof params}, {CKA_ID, id, sizeof id}};
    CK_ATTRIBUTE privT[] = {{CKA_ID, id, sizeof id}};
    CK_MECHANISM gen{CKM_EC_KEY_PAIR_GEN, nullptr, 0};
    CK_OBJECT_HANDLE pub = 0;
    CK_OBJECT_HANDLE priv = 0;
    if (f->C_GenerateKeyPair(s, &gen, pubT, 2, privT, 1, &pub, &priv) != CKR_OK) {
        std::fprintf(stderr, "C_GenerateKeyPair failed\n");
        return 1;
    }
    CK_MECHANISM ecdsa{CKM_ECDSA, nullptr, 0};
    CK_BYTE hash[32] = {1, 2, 3};
    CK_BYTE sig[64];
    long count = 0;
    const auto start = std::chrono::steady_clock::now();
    double elapsed = 0;
    while (elapsed < seconds) {
        CK_ULONG len = sizeof sig;
        if (f->C_SignInit(s, &ecdsa, priv) != CKR_OK || f->C_Sign(s, hash, sizeof hash, sig, &len) != CKR_OK) {
            std::fprintf(stderr, "C_Sign failed after %ld signatures\n", count);
            return 1;
        }
        hash[0] = static_cast<CK_BYTE>(++count);
        elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    }
    std::printf("ECDSA P-256 through the PKCS#11 module: %ld signatures in %.2f s = %.1f per second (%.2f ms each)\n",
        count,
        elapsed,
        count / elapsed,
        1000.0 * elapsed / static_cast<double>(count));
    f->C_Finalize(nullptr);
    return 0;
}
