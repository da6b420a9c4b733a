# Finds the host dependencies. A missing one stops configuration with a message that says how to get it.
set(_wallet_fix "Run scripts/setup-deps.sh (Debian/Ubuntu) or see README.md, section 'Other systems'.")

find_package(Qt6 6.4 COMPONENTS Core Gui Qml Quick QuickControls2 Sql Network Test QuickTest LinguistTools)
if(NOT Qt6_FOUND)
    message(FATAL_ERROR "Qt 6.4 or newer with Core Gui Qml Quick QuickControls2 Sql Network Test QuickTest LinguistTools "
                        "was not found. ${_wallet_fix}")
endif()
set_package_properties(Qt6 PROPERTIES TYPE REQUIRED PURPOSE "GUI, SQLite mirror, tests")

find_package(PkgConfig)
if(NOT PkgConfig_FOUND)
    message(FATAL_ERROR "pkg-config was not found. ${_wallet_fix}")
endif()

# Botan: prefer Botan 3 where the system has it; the code uses only APIs both versions keep.
pkg_check_modules(BOTAN QUIET IMPORTED_TARGET botan-3)
if(NOT BOTAN_FOUND)
    pkg_check_modules(BOTAN QUIET IMPORTED_TARGET botan-2)
endif()
if(NOT BOTAN_FOUND)
    message(FATAL_ERROR "Botan (botan-3 or botan-2 via pkg-config) was not found. ${_wallet_fix}")
endif()
if(NOT TARGET Botan::Botan)
    add_library(Botan::Botan ALIAS PkgConfig::BOTAN)
endif()
message(STATUS "Botan ${BOTAN_VERSION}")

# hidapi: the hidraw backend on Linux (works with the udev uaccess rule, no libusb detach).
if(CMAKE_SYSTEM_NAME STREQUAL "Linux")
    pkg_check_modules(HIDAPI QUIET IMPORTED_TARGET hidapi-hidraw)
else()
    pkg_check_modules(HIDAPI QUIET IMPORTED_TARGET hidapi)
endif()
if(NOT HIDAPI_FOUND)
    message(FATAL_ERROR "hidapi (hidapi-hidraw on Linux) was not found. ${_wallet_fix}")
endif()
if(NOT TARGET hidapi::hidapi)
    add_library(hidapi::hidapi ALIAS PkgConfig::HIDAPI)
endif()
message(STATUS "hidapi ${HIDAPI_VERSION}")

qt_standard_project_setup(REQUIRES 6.4)
