# Project warning set; WALLET_WERROR (on in the dev presets) makes them errors.
function(wallet_set_warnings target)
    if(CMAKE_CXX_COMPILER_ID MATCHES "GNU|Clang")
        target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor
                                                 -Wcast-align -Wunused -Woverloaded-virtual -Wnull-dereference
                                                 -Wimplicit-fallthrough -Wformat=2)
        if(WALLET_WERROR)
            target_compile_options(${target} PRIVATE -Werror)
        endif()
    endif()
endfunction()
