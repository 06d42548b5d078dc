# llhttp 8.1 C sources from Debian's node-llhttp package, compiled as a static library in strict mode
# (no lenient flags are ever set at run time either).
set(FULCRUM_LLHTTP_SOURCE_DIR "/usr/share/llhttp" CACHE PATH "Directory holding llhttp's api.c, http.c, llhttp.c")
set(FULCRUM_LLHTTP_INCLUDE_DIR "/usr/share/include/llhttp" CACHE PATH "Directory holding llhttp.h")
if(NOT EXISTS "${FULCRUM_LLHTTP_SOURCE_DIR}/llhttp.c" OR NOT EXISTS "${FULCRUM_LLHTTP_INCLUDE_DIR}/llhttp.h")
    message(FATAL_ERROR "llhttp sources not found: install Debian's node-llhttp package "
                        "(apt-get install node-llhttp) or set FULCRUM_LLHTTP_SOURCE_DIR/FULCRUM_LLHTTP_INCLUDE_DIR")
endif()
add_library(fulcrum_llhttp STATIC
    ${FULCRUM_LLHTTP_SOURCE_DIR}/api.c
    ${FULCRUM_LLHTTP_SOURCE_DIR}/http.c
    ${FULCRUM_LLHTTP_SOURCE_DIR}/llhttp.c)
target_include_directories(fulcrum_llhttp SYSTEM PUBLIC ${FULCRUM_LLHTTP_INCLUDE_DIR})
set_target_properties(fulcrum_llhttp PROPERTIES POSITION_INDEPENDENT_CODE ON C_STANDARD 99)
target_compile_options(fulcrum_llhttp PRIVATE -w)
# Strict mode: CR required before LF, no lenient token or whitespace handling.
target_compile_definitions(fulcrum_llhttp PUBLIC LLHTTP_STRICT_MODE=1)
