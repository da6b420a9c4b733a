# macOS: SmartKey Wallet.app in a DMG. UNTESTED here (no macOS host): written and reviewed only, see
# docs/packaging.md. Included from installer/CMakeLists.txt when APPLE.
#
# smartkey-wallet is a MACOSX_BUNDLE (app/gui/CMakeLists.txt); walletctl and skey-sim go into Contents/MacOS beside
# it, where the wallet looks for skey-sim. macdeployqt copies the Qt frameworks, the cocoa platform plugin, the SQLite
# driver and the QML modules (-qmldir) into the bundle, then the bundle is signed (SKEY_MACOS_SIGN_IDENTITY) before
# the DMG is made. HID on macOS: IOHIDManager through hidapi, no udev; no report-ID byte on the wire for a device
# without report IDs, matched on VID/PID and the vendor usage page.
set(_bundle "smartkey-wallet.app")
set_target_properties(smartkey-wallet PROPERTIES
    MACOSX_BUNDLE_BUNDLE_NAME "SmartKey Wallet"
    MACOSX_BUNDLE_GUI_IDENTIFIER "org.smartkey.Wallet"
    MACOSX_BUNDLE_BUNDLE_VERSION "${PROJECT_VERSION}"
    MACOSX_BUNDLE_SHORT_VERSION_STRING "${PROJECT_VERSION}"
    MACOSX_BUNDLE_INFO_PLIST "${CMAKE_CURRENT_LIST_DIR}/Info.plist.in")
install(TARGETS walletctl RUNTIME DESTINATION "${_bundle}/Contents/MacOS" COMPONENT wallet)
if(TARGET skey-sim)
    install(TARGETS skey-sim RUNTIME DESTINATION "${_bundle}/Contents/MacOS" COMPONENT simulator)
endif()
find_program(MACDEPLOYQT macdeployqt HINTS "${Qt6_DIR}/../../../bin")
if(MACDEPLOYQT)
    set(_sign "")
    if(SKEY_MACOS_SIGN_IDENTITY)
        set(_sign "-codesign=${SKEY_MACOS_SIGN_IDENTITY}")
    endif()
    install(CODE "
        execute_process(COMMAND \"${MACDEPLOYQT}\" \"\${CMAKE_INSTALL_PREFIX}/${_bundle}\"
                        -qmldir=${PROJECT_SOURCE_DIR}/qml -executable=\"\${CMAKE_INSTALL_PREFIX}/${_bundle}/Contents/MacOS/walletctl\"
                        ${_sign} COMMAND_ERROR_IS_FATAL ANY)" COMPONENT wallet)
endif()
set(CPACK_COMPONENTS_ALL wallet simulator)
set(CPACK_GENERATOR "DragNDrop")
set(CPACK_DMG_VOLUME_NAME "SmartKey Wallet ${PROJECT_VERSION}")
set(CPACK_DMG_FORMAT "UDZO")
set(CPACK_PACKAGE_FILE_NAME "SmartKeyWallet-${PROJECT_VERSION}-macos")
