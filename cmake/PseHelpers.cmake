# Per-target helpers for warnings and sanitizers (CMake convention: target-based options, one helper per concern).

# pse_set_warnings(<target> [STRICT]): -Wall -Wextra -Wpedantic, -Werror when PSE_WERROR is ON.
# STRICT (the library and the CLI) adds -Wshadow and -Wconversion (implicit narrowing of numbers:
# weeks, counts, FTE); -Wno-sign-conversion because std::size_t indices into signed loop counters
# are idiomatic and checked by the sanitizer builds instead.
function(pse_set_warnings target)
  cmake_parse_arguments(PARSE_ARGV 1 arg "STRICT" "" "")
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic)
  if(arg_STRICT)
    target_compile_options(${target} PRIVATE -Wshadow -Wconversion -Wno-sign-conversion)
  endif()
  if(PSE_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()

# pse_set_sanitizers(<target>): applies PSE_SANITIZE (a ;-list such as address;undefined).
function(pse_set_sanitizers target)
  if(PSE_SANITIZE)
    list(JOIN PSE_SANITIZE "," san)
    target_compile_options(${target} PRIVATE -fsanitize=${san} -fno-omit-frame-pointer
                                             -fno-sanitize-recover=all)
    target_link_options(${target} PRIVATE -fsanitize=${san})
  endif()
endfunction()

# pse_git_commit(<var>): short commit hash of the source tree, or "unknown".
function(pse_git_commit out)
  execute_process(COMMAND git rev-parse --short=12 HEAD
                  WORKING_DIRECTORY ${CMAKE_SOURCE_DIR}
                  OUTPUT_VARIABLE commit OUTPUT_STRIP_TRAILING_WHITESPACE
                  ERROR_QUIET RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0 OR commit STREQUAL "")
    set(commit "unknown")
  endif()
  set(${out} "${commit}" PARENT_SCOPE)
endfunction()
