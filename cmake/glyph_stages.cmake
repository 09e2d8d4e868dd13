# glyph_add_stage(NAME FOLDERS f... [FILES file...] [STAGES stage...]
#                 [REQUIRES module...] [PUBLIC_REQUIRES module...])
#
# One library per stage of the data flow: glyph_NAME (alias and export name
# glyph::NAME), built from every .cpp in src/FOLDER/ for each FOLDER, plus
# FILES. It links the glyph stages it builds on (STAGES, public: their headers
# are in its headers) and the pkg-config modules its sources use: REQUIRES
# privately (a static library still passes them on at link time),
# PUBLIC_REQUIRES for those its public headers include. The module lists are
# kept in global properties so glyphConfig.cmake and the .pc files name the
# same modules (cmake/glyph_install.cmake).
function(glyph_add_stage name)
  cmake_parse_arguments(PARSE_ARGV 1 arg "" "" "FOLDERS;FILES;STAGES;REQUIRES;PUBLIC_REQUIRES")
  set(sources ${arg_FILES})
  foreach(folder ${arg_FOLDERS})
    file(GLOB folder_sources CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/src/${folder}/*.cpp)
    list(APPEND sources ${folder_sources})
  endforeach()
  set(target glyph_${name})
  add_library(${target} ${sources})
  add_library(glyph::${name} ALIAS ${target})
  set_target_properties(${target} PROPERTIES EXPORT_NAME ${name} POSITION_INDEPENDENT_CODE ON)
  target_compile_features(${target} PUBLIC cxx_std_20)
  target_include_directories(${target}
    PUBLIC $<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}/include> $<BUILD_INTERFACE:${PROJECT_BINARY_DIR}/include>
           $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>
    PRIVATE ${PROJECT_SOURCE_DIR}/src)
  foreach(stage ${arg_STAGES})
    target_link_libraries(${target} PUBLIC glyph_${stage})
  endforeach()
  if(arg_REQUIRES)
    pkg_check_modules(${target}_deps REQUIRED IMPORTED_TARGET GLOBAL ${arg_REQUIRES})
    target_link_libraries(${target} PRIVATE PkgConfig::${target}_deps)
  endif()
  if(arg_PUBLIC_REQUIRES)
    pkg_check_modules(${target}_public_deps REQUIRED IMPORTED_TARGET GLOBAL ${arg_PUBLIC_REQUIRES})
    target_link_libraries(${target} PUBLIC PkgConfig::${target}_public_deps)
  endif()
  set_property(GLOBAL APPEND PROPERTY GLYPH_STAGES ${name})
  set_property(GLOBAL PROPERTY GLYPH_STAGE_${name}_STAGES ${arg_STAGES})
  set_property(GLOBAL PROPERTY GLYPH_STAGE_${name}_REQUIRES ${arg_REQUIRES})
  set_property(GLOBAL PROPERTY GLYPH_STAGE_${name}_PUBLIC_REQUIRES ${arg_PUBLIC_REQUIRES})
endfunction()
