# Thin helpers in the spirit of absl_cc_library and leveldb_test().

# linkhub_module(NAME name SRCS a.cc b.cc DEPS ...): a static library linkhub_<name> whose include
# root is src/ (so code includes "core/result.h").
function(linkhub_module)
  cmake_parse_arguments(M "" "NAME" "SRCS;DEPS" ${ARGN})
  add_library(linkhub_${M_NAME} STATIC ${M_SRCS})
  target_include_directories(linkhub_${M_NAME} PUBLIC ${PROJECT_SOURCE_DIR}/src)
  target_link_libraries(linkhub_${M_NAME} PUBLIC ${M_DEPS})
endfunction()

# linkhub_test(name SRCS ... DEPS ...): one gtest binary, each case registered with CTest.
function(linkhub_test NAME)
  cmake_parse_arguments(T "" "" "SRCS;DEPS;LABELS" ${ARGN})
  add_executable(${NAME} ${T_SRCS})
  target_link_libraries(${NAME} PRIVATE ${T_DEPS} GTest::gtest GTest::gmock GTest::gtest_main)
  set_target_properties(${NAME} PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/tests)
  gtest_discover_tests(${NAME} DISCOVERY_TIMEOUT 60 PROPERTIES LABELS "${T_LABELS}")
endfunction()

# linkhub_embed(TARGET name NAMESPACE ns FILES f1 f2 ...): a library exposing
# `std::string_view ns::Find(std::string_view file_name)` over the files' bytes, compiled into the
# binary so the server stays one file.
function(linkhub_embed)
  cmake_parse_arguments(E "" "TARGET;NAMESPACE" "FILES" ${ARGN})
  set(out ${CMAKE_CURRENT_BINARY_DIR}/${E_TARGET}.cc)
  string(REPLACE ";" "|" files_arg "${E_FILES}")
  add_custom_command(
    OUTPUT ${out}
    COMMAND ${CMAKE_COMMAND} -DOUT=${out} -DNAMESPACE=${E_NAMESPACE} "-DFILES=${files_arg}"
            -P ${PROJECT_SOURCE_DIR}/cmake/embed.cmake
    DEPENDS ${E_FILES} ${PROJECT_SOURCE_DIR}/cmake/embed.cmake
    COMMENT "Embedding ${E_TARGET}"
    VERBATIM)
  add_library(${E_TARGET} STATIC ${out})
endfunction()
