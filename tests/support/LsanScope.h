// SPDX-License-Identifier: Apache-2.0
#pragma once

// LeakSanitizer scope for one known third-party leak that no suppression can name.
//
// Qt 6.4's non-native Quick file dialog (the one used under the offscreen and Xvfb platforms, where no desktop
// dialog exists) never deletes its QML implementation: QQuickPlatformFileDialog creates a parentless
// QQuickFileDialogImpl and its destructor is `= default`. Everything that implementation allocates (its icons, their
// textures) is reported at exit as an indirect leak. LeakSanitizer's fast unwinder stops in Qt's frame-pointer-less
// libraries after two frames (QImageData::create), so a suppression by library name never matches, and suppressing
// QImageData::create would hide every image leak of the project. Instead, a test wraps exactly the interaction with
// that dialog (open → answer) in this scope: allocations made by this thread inside it are not leak-checked.
// Everything outside the scope stays checked. See tests/lsan.supp and docs/testing.md, "Leak detection".

#if defined(__SANITIZE_ADDRESS__)
#define SKEY_TEST_HAS_LSAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SKEY_TEST_HAS_LSAN 1
#endif
#endif

#ifdef SKEY_TEST_HAS_LSAN
#include <sanitizer/lsan_interface.h>
#endif

namespace wallet::test {

class QtFileDialogLeakScope
{
public:
    QtFileDialogLeakScope()
    {
#ifdef SKEY_TEST_HAS_LSAN
        __lsan_disable();
#endif
    }
    ~QtFileDialogLeakScope()
    {
#ifdef SKEY_TEST_HAS_LSAN
        __lsan_enable();
#endif
    }
    QtFileDialogLeakScope(const QtFileDialogLeakScope&) = delete;
    QtFileDialogLeakScope& operator=(const QtFileDialogLeakScope&) = delete;
};

} // namespace wallet::test
