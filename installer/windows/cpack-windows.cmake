# Windows: an MSI (WiX 3) of the wallet and walletctl, NSIS as the fallback generator. UNTESTED here (no Windows host):
# written and reviewed only, see docs/packaging.md. Included from installer/CMakeLists.txt when WIN32.
#
# Qt deployment: windeployqt copies the Qt DLLs, the platform plugin (qwindows), the SQLite driver and the QML modules
# qml/ imports (QtQuick, QtQuick.Controls.Basic, .Layouts, .Templates) next to smartkey-wallet.exe at install time.
# HID on Windows: no udev rule; hidapi's Windows backend opens the key through SetupAPI by VID 1209 / PID 0001 and the
# vendor usage page (0xFF00): match on usage_page, as Windows exposes one HID collection per top-level usage. Every
# report on Windows carries the report-ID byte first (0 when the device declares none), so hid_write() sends 65 bytes
# for a 64-byte report; device/ already prefixes it (docs/transport.md).
find_program(WINDEPLOYQT windeployqt HINTS "${Qt6_DIR}/../../../bin")
if(WINDEPLOYQT AND TARGET smartkey-wallet)
    install(CODE "
        execute_process(COMMAND \"${WINDEPLOYQT}\" --release --no-translations --no-system-d3d-compiler
                        --qmldir \"${PROJECT_SOURCE_DIR}/qml\" \"\${CMAKE_INSTALL_PREFIX}/bin/smartkey-wallet.exe\"
                        COMMAND_ERROR_IS_FATAL ANY)" COMPONENT wallet)
endif()
if(TARGET skey-sim)
    # The simulator beside the wallet: the wallet looks there (device/EmbeddedSimulator). Its own, optional feature.
    set(CPACK_COMPONENT_SIMULATOR_DISPLAY_NAME "Simulated key (INSECURE, tests and demos only)")
    set(CPACK_COMPONENT_SIMULATOR_DISABLED ON)
endif()
set(CPACK_COMPONENTS_ALL wallet simulator)  # the bank host is Linux-only (systemd, SoftHSM2, PostgreSQL)
set(CPACK_COMPONENT_WALLET_DISPLAY_NAME "SmartKey Wallet")
set(CPACK_COMPONENT_WALLET_REQUIRED ON)
set(CPACK_GENERATOR "WIX;NSIS")
set(CPACK_PACKAGE_INSTALL_DIRECTORY "SmartKey Wallet")
set(CPACK_PACKAGE_EXECUTABLES "smartkey-wallet;SmartKey Wallet")
set(CPACK_WIX_UPGRADE_GUID "6B1F0E4A-3C55-4C1D-9C7E-52B2D6A1E0F1")  # never change: MSI upgrades depend on it
set(CPACK_WIX_PRODUCT_ICON "${PROJECT_SOURCE_DIR}/resources/icons/smartkey-wallet.ico")
set(CPACK_WIX_PROGRAM_MENU_FOLDER "SmartKey")
# The smartkey: URL scheme (HKCR\smartkey) for the wallet: a WiX fragment.
set(CPACK_WIX_PATCH_FILE "${CMAKE_CURRENT_LIST_DIR}/wix-url-scheme.xml")
set(CPACK_NSIS_DISPLAY_NAME "SmartKey Wallet")
set(CPACK_NSIS_MUI_ICON "${PROJECT_SOURCE_DIR}/resources/icons/smartkey-wallet.ico")
set(CPACK_NSIS_EXTRA_INSTALL_COMMANDS "
  WriteRegStr HKCR 'smartkey' '' 'URL:SmartKey'
  WriteRegStr HKCR 'smartkey' 'URL Protocol' ''
  WriteRegStr HKCR 'smartkey\\\\shell\\\\open\\\\command' '' '\\\"$INSTDIR\\\\bin\\\\smartkey-wallet.exe\\\" \\\"%1\\\"'")
set(CPACK_NSIS_EXTRA_UNINSTALL_COMMANDS "DeleteRegKey HKCR 'smartkey'")
