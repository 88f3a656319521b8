# Similarity hashing: PDQ (images decoded with libjpeg-turbo, libpng, giflib, libwebp), ssdeep
# (libfuzzy) and TLSH (libtlsh), and `triage similar`. Included from the top-level CMakeLists
# after the triage_core and triage targets exist.
find_package(JPEG REQUIRED)
find_package(PNG REQUIRED)
find_package(GIF REQUIRED)
pkg_check_modules(WEBP REQUIRED IMPORTED_TARGET libwebp)
find_path(FUZZY_INCLUDE fuzzy.h)
find_library(FUZZY_LIBRARY fuzzy)
find_path(TLSH_INCLUDE tlsh.h)
find_library(TLSH_LIBRARY tlsh)
if(NOT FUZZY_INCLUDE OR NOT FUZZY_LIBRARY)
  message(FATAL_ERROR "libfuzzy not found: install Debian's libfuzzy-dev (scripts/install-deps.sh)")
endif()
if(NOT TLSH_INCLUDE OR NOT TLSH_LIBRARY)
  message(FATAL_ERROR "libtlsh not found: install Debian's libtlsh-dev (scripts/install-deps.sh)")
endif()

target_sources(triage_core PRIVATE
  ${CMAKE_SOURCE_DIR}/triage/src/similarity/pdq.cpp
  ${CMAKE_SOURCE_DIR}/triage/src/similarity/image_decode.cpp
  ${CMAKE_SOURCE_DIR}/plugins/similarity/pdq_detector.cpp
  ${CMAKE_SOURCE_DIR}/plugins/similarity/fuzzy_detector.cpp)
target_include_directories(triage_core PUBLIC ${FUZZY_INCLUDE} ${TLSH_INCLUDE})
target_link_libraries(triage_core PUBLIC JPEG::JPEG PNG::PNG GIF::GIF PkgConfig::WEBP ${FUZZY_LIBRARY} ${TLSH_LIBRARY})

target_sources(triage PRIVATE ${CMAKE_SOURCE_DIR}/triage/src/cli/cmd_similar.cpp)
