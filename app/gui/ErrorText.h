// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "core/Error.h"

#include <QCoreApplication>
#include <QString>

namespace wallet::app {

/**
 * @brief Turns a core::Error into words a cardholder understands, with what to do next (translated).
 * QML never sees an ErrorCode number; view models publish these texts.
 */
class ErrorText
{
    Q_DECLARE_TR_FUNCTIONS(wallet::app::ErrorText)

public:
    /// One or two sentences: what happened and what to do.
    [[nodiscard]] static QString describe(const core::Error& error);
    /// "3 tries left" style text, plural-aware.
    [[nodiscard]] static QString triesLeft(int tries);
};

} // namespace wallet::app
