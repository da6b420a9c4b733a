// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <QTest>

/// QVERIFY2 evaluates its message even on success: read a Result's error only when it failed.
#define BANK_CHECK_OK(r) QVERIFY2((r).ok(), (r).ok() ? "" : qPrintable((r).error().detail))
