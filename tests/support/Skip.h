// SPDX-License-Identifier: Apache-2.0
// Skips that ctest can see, and that CI refuses. A Qt test that cannot run here (a tool missing, a system service in
// the way) calls SKEY_SKIP(reason) instead of QSKIP: the function is skipped and the executable, made with
// SKEY_TEST_MAIN, exits with 77 when something was skipped and nothing failed, which wallet_add_test() declares as
// SKIP_RETURN_CODE, so ctest reports *Skipped* rather than Passed. With SKEY_REQUIRE_ALL=1 in the environment (CI:
// .ci/run, scripts/test.sh under CI=true; or a build configured with it) SKEY_SKIP fails the test instead: where
// scripts/setup-deps.sh installed everything, a skip means something is broken.
#pragma once

#include <QByteArray>
#include <QTest>

namespace wallet::test {

inline constexpr int kSkipExitCode = 77;

inline bool requireAll()
{
    const QByteArray v = qgetenv("SKEY_REQUIRE_ALL");
    return !v.isEmpty() && v != "0";
}

inline bool& skippedSomething()
{
    static bool skipped = false;
    return skipped;
}

/// QTest::qExec's result, turned into 77 when a test function was skipped and none failed.
inline int skipAwareExitCode(int qexecResult)
{
    return qexecResult == 0 && skippedSomething() ? kSkipExitCode : qexecResult;
}

} // namespace wallet::test

#define SKEY_SKIP(reason)                                                                                              \
    do {                                                                                                               \
        if (wallet::test::requireAll()) {                                                                              \
            QFAIL(qPrintable(QStringLiteral("would skip, but SKEY_REQUIRE_ALL is set (CI): ") + (reason)));            \
        }                                                                                                              \
        wallet::test::skippedSomething() = true;                                                                       \
        QSKIP(qPrintable(QString(reason)));                                                                            \
    } while (false)

/// QTEST_GUILESS_MAIN with the skip exit code.
#define SKEY_TEST_MAIN(TestObject)                                                                                     \
    int main(int argc, char** argv)                                                                                    \
    {                                                                                                                  \
        QCoreApplication app(argc, argv);                                                                              \
        app.setAttribute(Qt::AA_Use96Dpi, true);                                                                       \
        TestObject tc;                                                                                                 \
        QTEST_SET_MAIN_SOURCE_PATH                                                                                     \
        return wallet::test::skipAwareExitCode(QTest::qExec(&tc, argc, argv));                                         \
    }
