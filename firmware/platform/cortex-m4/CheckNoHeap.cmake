# Fails when the linked firmware image contains malloc/free/new (firmware discipline: no heap).
file(STRINGS "${NM_FILE}" lines)
foreach(line IN LISTS lines)
    if(line MATCHES " [Tt] (malloc|free|_malloc_r|_free_r|calloc|realloc|operator new)")
        message(FATAL_ERROR "heap function linked into the firmware image: ${line}")
    endif()
endforeach()
