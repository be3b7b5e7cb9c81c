# Layout.TestsMirrorSources (README "Tests"): every sim/pse/X.cpp has tests/unit/X_test.cpp, every
# sim/pse/submodels/X.cpp has tests/submodels/X_test.cpp, and every tests/**/*_test.cpp is built
# by tests/CMakeLists.txt (a test file no target compiles never runs, so it cannot fail).
# Run: cmake -DPSE_SOURCE_DIR=<repo> -P tests/layout.cmake (ctest does).
if(NOT PSE_SOURCE_DIR)
  message(FATAL_ERROR "layout.cmake: pass -DPSE_SOURCE_DIR=<repository root>")
endif()

file(READ "${PSE_SOURCE_DIR}/tests/CMakeLists.txt" built)
set(problems "")

foreach(tier unit submodels)
  if(tier STREQUAL "unit")
    set(src_dir "${PSE_SOURCE_DIR}/sim/pse")
  else()
    set(src_dir "${PSE_SOURCE_DIR}/sim/pse/submodels")
  endif()
  file(GLOB sources RELATIVE "${src_dir}" "${src_dir}/*.cpp")
  list(LENGTH sources n)
  if(n EQUAL 0)
    list(APPEND problems "no sources found in ${src_dir}")
  endif()
  foreach(src ${sources})
    string(REGEX REPLACE "\\.cpp$" "" name "${src}")
    set(test_file "tests/${tier}/${name}_test.cpp")
    if(NOT EXISTS "${PSE_SOURCE_DIR}/${test_file}")
      file(RELATIVE_PATH rel "${PSE_SOURCE_DIR}" "${src_dir}/${src}")
      list(APPEND problems "${rel} has no test file ${test_file}")
    endif()
  endforeach()
endforeach()

file(GLOB_RECURSE test_files RELATIVE "${PSE_SOURCE_DIR}/tests" "${PSE_SOURCE_DIR}/tests/*_test.cpp")
foreach(t ${test_files})
  # As a whole word of the file (model/x_test.cpp is also the end of submodels/x_test.cpp).
  string(REPLACE "." "\\." t_re "${t}")
  string(REGEX MATCH "[ \t\n(]${t_re}[ \t\n)]" at "${built}")
  if(NOT at)
    list(APPEND problems "tests/${t} is not built by tests/CMakeLists.txt (it never runs)")
  endif()
endforeach()

if(problems)
  list(JOIN problems "\n  " text)
  message(FATAL_ERROR "Layout.TestsMirrorSources:\n  ${text}")
endif()
list(LENGTH test_files n_tests)
message(STATUS "Layout.TestsMirrorSources: every library source has its test file; ${n_tests} test files, all built")
