# format-check: fails when a tracked C++ file differs from .clang-format; format: rewrites them.
find_program(CLANG_FORMAT_EXE NAMES clang-format-14 clang-format)
if(CLANG_FORMAT_EXE)
    add_custom_target(format-check
        COMMAND ${CMAKE_COMMAND} -DCLANG_FORMAT=${CLANG_FORMAT_EXE} -DSOURCE_DIR=${CMAKE_SOURCE_DIR} -DMODE=check
                -P ${CMAKE_SOURCE_DIR}/cmake/RunClangFormat.cmake
        COMMENT "Checking formatting" VERBATIM)
    add_custom_target(format
        COMMAND ${CMAKE_COMMAND} -DCLANG_FORMAT=${CLANG_FORMAT_EXE} -DSOURCE_DIR=${CMAKE_SOURCE_DIR} -DMODE=fix
                -P ${CMAKE_SOURCE_DIR}/cmake/RunClangFormat.cmake
        COMMENT "Formatting sources" VERBATIM)
endif()
