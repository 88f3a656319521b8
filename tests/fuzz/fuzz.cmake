# The fuzz targets (tests/fuzz/<target>.cpp, docs/reliability/fuzzing.md), built two ways:
#  - TRIAGE_FUZZ=ON (clang only): libFuzzer executables fuzz_<target> with ASan + UBSan, linked
#    against a small library of just the parser sources they test (tests/fuzz/run.sh runs them);
#  - the ordinary build with tests: the same targets with a plain main() that replays the
#    committed seed corpus and the regression inputs, as CTest tests fuzz_<target> (label fuzz).
# Included from the top-level CMakeLists after triage_core exists.
set(TRIAGE_FUZZ_TARGETS carve_validators hashset_import pdq_image identifiers archive_paths report_escape)
set(TRIAGE_FUZZ_DIR ${CMAKE_SOURCE_DIR}/tests/fuzz)
option(TRIAGE_FUZZ "Build the libFuzzer targets (clang only; see tests/fuzz/run.sh)" OFF)

if(TRIAGE_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    message(FATAL_ERROR "TRIAGE_FUZZ=ON needs clang (libFuzzer): configure with -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_C_COMPILER=clang")
  endif()
  set(TRIAGE_FUZZ_SAN -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer)
  # Only the parsers the targets test, instrumented for coverage.
  add_library(triage_fuzz_parsers STATIC
    plugins/carve/formats.cpp plugins/carve/carver.cpp
    plugins/carve/validate_jpeg.cpp plugins/carve/validate_png.cpp plugins/carve/validate_gif.cpp
    plugins/carve/validate_bmp.cpp plugins/carve/validate_pdf.cpp plugins/carve/validate_zip.cpp
    plugins/carve/validate_sqlite.cpp plugins/carve/validate_mp4.cpp plugins/carve/validate_riff.cpp
    plugins/carve/validate_exe.cpp
    triage/src/hashset/importers.cpp triage/src/hashset/store.cpp
    triage/src/similarity/image_decode.cpp triage/src/similarity/pdq.cpp
    plugins/identifiers/checksums.cpp plugins/identifiers/extract.cpp plugins/identifiers/text_views.cpp
    plugins/archive/member_path.cpp
    triage/src/report/escape.cpp triage/src/util/text.cpp)
  target_include_directories(triage_fuzz_parsers PUBLIC
    ${MUSTACHE_INCLUDE} ${CMAKE_SOURCE_DIR}/triage/src ${CMAKE_SOURCE_DIR}/plugins ${CMAKE_SOURCE_DIR}/triage/include)
  target_compile_definitions(triage_fuzz_parsers PUBLIC TRIAGE_VERSION="${PROJECT_VERSION}")
  target_compile_options(triage_fuzz_parsers PUBLIC ${TRIAGE_FUZZ_SAN} -fsanitize=fuzzer-no-link)
  target_link_options(triage_fuzz_parsers PUBLIC ${TRIAGE_FUZZ_SAN})
  target_link_libraries(triage_fuzz_parsers PUBLIC PkgConfig::ZLIB_PC OpenSSL::Crypto SQLite::SQLite3
    nlohmann_json::nlohmann_json JPEG::JPEG PNG::PNG GIF::GIF PkgConfig::WEBP PkgConfig::ARCHIVE Threads::Threads)
  add_custom_target(fuzzers)
  foreach(t ${TRIAGE_FUZZ_TARGETS})
    add_executable(fuzz_${t} ${TRIAGE_FUZZ_DIR}/${t}.cpp)
    target_link_libraries(fuzz_${t} PRIVATE triage_fuzz_parsers)
    target_link_options(fuzz_${t} PRIVATE -fsanitize=fuzzer)
    set_target_properties(fuzz_${t} PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/fuzz)
    add_dependencies(fuzzers fuzz_${t})
  endforeach()
elseif(TRIAGE_BUILD_TESTS)
  # Replay: every committed input of each target, so each test run (and the ASan+UBSan build)
  # checks the invariants on the corpus and on every crash ever found.
  foreach(t ${TRIAGE_FUZZ_TARGETS})
    add_executable(fuzz_replay_${t} ${TRIAGE_FUZZ_DIR}/${t}.cpp ${TRIAGE_FUZZ_DIR}/replay_main.cpp)
    target_link_libraries(fuzz_replay_${t} PRIVATE triage_core)
    add_test(NAME fuzz_${t} COMMAND fuzz_replay_${t} ${TRIAGE_FUZZ_DIR}/corpus/${t} ${TRIAGE_FUZZ_DIR}/regressions/${t})
    set_tests_properties(fuzz_${t} PROPERTIES LABELS fuzz)
  endforeach()
endif()
