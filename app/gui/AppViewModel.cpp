// SPDX-License-Identifier: Apache-2.0
#include "app/gui/AppViewModel.h"

namespace wallet::app {

AppViewModel::AppViewModel(Parts parts, QObject* parent)
    : QObject(parent)
    , m_parts(parts)
{ }

void AppViewModel::setPage(Page page)
{
    if (page != m_page) {
        m_page = page;
        emit pageChanged();
    }
}

void AppViewModel::setUnlocked(bool unlocked)
{
    if (unlocked != m_unlocked) {
        m_unlocked = unlocked;
        emit unlockedChanged();
    }
}

void AppViewModel::navigate(Page page)
{
    switch (page) {
    case Page::Overview:
    case Page::Load:
    case Page::Purchase:
    case Page::History:
        setPage(m_unlocked ? page : Page::Key);
        break;
    case Page::Key:
    case Page::Pin:
    case Page::Settings:
    case Page::About:
    case Page::Certificates: // the PKI token needs no purse PIN (the PIV PIN is asked where it is needed)
        setPage(page);
        break;
    }
}

} // namespace wallet::app
