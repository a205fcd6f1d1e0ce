# The cacheme::<component> target names; with CACHEME_INSTALL, the install rules, the CMake package (cacheme-config.cmake with components), one pkg-config file
# per component, and the CPack Debian packages. Included once, at the end of the top
# CMakeLists.txt, when every target exists; the layers' own CMakeLists.txt know nothing of it.
#
# Components and their targets (each also has the alias cacheme::<component> in the build tree,
# so a project using add_subdirectory names the same targets as one using find_package):
#   codec  cacheme::codec    core  cacheme::core (+ driver_api: the Reactor and Storage headers)
#   redis (cluster) sqlite postgres mysql mongo   cacheme::<driver>
#   asio libevent  cacheme::<adapter> (the runtime, which links every driver this build has)
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

# component -> target, the components it needs, its pkg-config Requires (external), Cflags.
set(cacheme_component_codec_target cacheme_codec)
set(cacheme_component_codec_pc_requires "zlib libzstd nlohmann_json")
set(cacheme_component_codec_cflags "-DMSGPACK_NO_BOOST")
set(cacheme_component_core_target cacheme_core)
set(cacheme_component_core_needs codec)
set(cacheme_component_redis_target cacheme_driver_redis)
set(cacheme_component_redis_pc_requires hiredis)
set(cacheme_component_sqlite_target cacheme_driver_sqlite)
set(cacheme_component_sqlite_pc_requires sqlite3)
set(cacheme_component_postgres_target cacheme_driver_postgres)
set(cacheme_component_postgres_pc_requires libpq)
set(cacheme_component_mysql_target cacheme_driver_mysql)
set(cacheme_component_mysql_pc_requires libmariadb)
set(cacheme_component_mongo_target cacheme_driver_mongo)
set(cacheme_component_mongo_pc_requires libmongoc-1.0)
set(cacheme_component_asio_target cacheme_adapter_asio)
set(cacheme_component_asio_cflags "-DASIO_STANDALONE -DASIO_DISABLE_STD_ALIGNED_ALLOC")
set(cacheme_component_libevent_target cacheme_adapter_libevent)
set(cacheme_component_libevent_pc_requires "libevent_core libevent_pthreads")
# The Debian -dev packages a consumer compiles and links against, per component.
set(cacheme_component_codec_deb "libexpected-dev, libmsgpack-cxx-dev, nlohmann-json3-dev, zlib1g-dev, libzstd-dev")
set(cacheme_component_redis_deb libhiredis-dev)
set(cacheme_component_sqlite_deb libsqlite3-dev)
set(cacheme_component_postgres_deb libpq-dev)
set(cacheme_component_mysql_deb libmariadb-dev)
set(cacheme_component_mongo_deb libmongoc-dev)
set(cacheme_component_asio_deb libasio-dev)
set(cacheme_component_libevent_deb libevent-dev)

set(drivers "")
foreach(driver redis sqlite postgres mysql mongo)
  if(TARGET ${cacheme_component_${driver}_target})
    list(APPEND drivers ${driver})
    list(APPEND cacheme_component_${driver}_needs core)
  endif()
endforeach()
foreach(adapter asio libevent)
  set(cacheme_component_${adapter}_needs core ${drivers})  # through the runtime
endforeach()
set(cacheme_components "")
foreach(component codec core ${drivers} asio libevent)
  if(TARGET ${cacheme_component_${component}_target})
    list(APPEND cacheme_components ${component})
  endif()
endforeach()

# Internal targets a component's target links: installed and exported too (static libraries
# pass their link dependencies on), with names of their own in the cacheme:: namespace.
set(cacheme_install_targets cacheme_warnings cacheme_driver_api)
foreach(internal cacheme_driver_sql_common cacheme_driver_net cacheme_runtime cacheme_reactor_asio cacheme_reactor_libevent)
  if(TARGET ${internal})
    list(APPEND cacheme_install_targets ${internal})
  endif()
endforeach()
foreach(component ${cacheme_components})
  set(target ${cacheme_component_${component}_target})
  list(APPEND cacheme_install_targets ${target})
  set_target_properties(${target} PROPERTIES EXPORT_NAME ${component})
  if(NOT TARGET cacheme::${component})
    add_library(cacheme::${component} ALIAS ${target})
  endif()
endforeach()
foreach(internal warnings driver_api driver_sql_common driver_net runtime reactor_asio reactor_libevent)
  if(TARGET cacheme_${internal})
    set_target_properties(cacheme_${internal} PROPERTIES EXPORT_NAME ${internal})
  endif()
endforeach()

# Shared libraries (BUILD_SHARED_LIBS=ON) are versioned: libcacheme_core.so.0 -> .so.0.1.0.
foreach(target ${cacheme_install_targets})
  get_target_property(type ${target} TYPE)
  if(type STREQUAL "SHARED_LIBRARY")
    set_target_properties(${target} PROPERTIES VERSION ${PROJECT_VERSION} SOVERSION ${PROJECT_VERSION_MAJOR})
  endif()
endforeach()

if(NOT CACHEME_INSTALL)
  return()  # a project that vendors cacheme (add_subdirectory) gets the names, not the rules
endif()

# Include directories of the source and build trees hold in the build tree only; installed,
# every header is under include/.
foreach(target ${cacheme_install_targets})
  get_target_property(dirs ${target} INTERFACE_INCLUDE_DIRECTORIES)
  if(NOT dirs)
    continue()
  endif()
  set(rewritten "")
  foreach(dir ${dirs})
    if(dir MATCHES "^(${PROJECT_SOURCE_DIR}|${PROJECT_BINARY_DIR})/")
      list(APPEND rewritten "$<BUILD_INTERFACE:${dir}>")
    else()
      list(APPEND rewritten "${dir}")
    endif()
  endforeach()
  list(APPEND rewritten "$<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>")
  set_target_properties(${target} PROPERTIES INTERFACE_INCLUDE_DIRECTORIES "${rewritten}")
endforeach()

# Headers: every public include/ folder of the layers built, and the generated configuration.
set(header_dirs core/include drivers/include)
foreach(dir drivers/redis drivers/sqlite drivers/postgres drivers/mysql drivers/mongo drivers/sql_common drivers/net
            adapters/common adapters/asio adapters/libevent)
  string(REGEX REPLACE ".*/" "" leaf ${dir})
  if(TARGET cacheme_driver_${leaf} OR TARGET cacheme_reactor_${leaf} OR (leaf STREQUAL "common" AND TARGET cacheme_runtime))
    list(APPEND header_dirs ${dir}/include)
  endif()
endforeach()
foreach(dir ${header_dirs})
  install(DIRECTORY ${PROJECT_SOURCE_DIR}/${dir}/ DESTINATION ${CMAKE_INSTALL_INCLUDEDIR} COMPONENT dev)
endforeach()
install(FILES ${PROJECT_BINARY_DIR}/generated/cacheme/build_config.hpp
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/cacheme COMPONENT dev)

install(TARGETS ${cacheme_install_targets} EXPORT cacheme-targets
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT lib NAMELINK_COMPONENT dev
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT dev
        RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT lib)
set(cacheme_cmake_dir ${CMAKE_INSTALL_LIBDIR}/cmake/cacheme)
install(EXPORT cacheme-targets NAMESPACE cacheme:: DESTINATION ${cacheme_cmake_dir} COMPONENT dev)
if(TARGET cacheme-bench)
  install(TARGETS cacheme-bench RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT bin)
endif()
install(DIRECTORY ${PROJECT_SOURCE_DIR}/sql/ DESTINATION ${CMAKE_INSTALL_DATADIR}/cacheme/sql COMPONENT bin)
install(FILES ${PROJECT_SOURCE_DIR}/README.md DESTINATION ${CMAKE_INSTALL_DOCDIR} COMPONENT dev)
install(DIRECTORY ${PROJECT_SOURCE_DIR}/docs/ DESTINATION ${CMAKE_INSTALL_DOCDIR} COMPONENT dev)

# cacheme-config.cmake: the component graph of this build, written into the template.
set(CACHEME_CONFIG_COMPONENTS "")
foreach(component ${cacheme_components})
  string(APPEND CACHEME_CONFIG_COMPONENTS "set(_cacheme_needs_${component} \"${cacheme_component_${component}_needs}\")\n")
endforeach()
set(CACHEME_CONFIG_COMPONENT_LIST "${cacheme_components}")
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/cacheme-config.cmake.in
                              ${PROJECT_BINARY_DIR}/cacheme-config.cmake INSTALL_DESTINATION ${cacheme_cmake_dir})
write_basic_package_version_file(${PROJECT_BINARY_DIR}/cacheme-config-version.cmake COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/cacheme-config.cmake ${PROJECT_BINARY_DIR}/cacheme-config-version.cmake
        DESTINATION ${cacheme_cmake_dir} COMPONENT dev)

include(cacheme_pkgconfig)
include(cacheme_cpack)
