// SPDX-License-Identifier: Apache-2.0
// What build a bank bench ran in, for its figures: SKEY_BENCH_BUILD_TYPE (CMAKE_BUILD_TYPE), marked "ASan+UBSan" when
// the sanitizers are compiled in (their figures are not the product's).
#pragma once

#ifndef SKEY_BENCH_BUILD_TYPE
#error "SKEY_BENCH_BUILD_TYPE must be defined by the bench's CMake target"
#endif

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SKEY_BENCH_ASAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__)
#define SKEY_BENCH_ASAN 1
#endif

namespace wallet::bench {

inline const char* buildKind()
{
#if defined(SKEY_BENCH_ASAN)
    return "ASan+UBSan " SKEY_BENCH_BUILD_TYPE;
#else
    return SKEY_BENCH_BUILD_TYPE;
#endif
}

} // namespace wallet::bench
