# Applies WALLET_SANITIZERS (e.g. "address;undefined") to every host target. Never used for cross builds.
if(WALLET_SANITIZERS AND NOT SKEY_FIRMWARE_ONLY)
    list(JOIN WALLET_SANITIZERS "," _san)
    add_compile_options(-fsanitize=${_san} -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
    add_link_options(-fsanitize=${_san})
endif()
