# braid_example_plugin(KIND NAME ABI_DEFINE VERSIONS SOURCES...): Braid's example plugin of one kind (net, tuner,
# profiler) as libnccl-KIND-braid-example.so, exporting every ABI version, and, for the tests,
# libnccl-KIND-braid-example-vN.so with version N alone (built with ABI_DEFINE=N). All land next to libbraid, where
# tests and collperf find them as NCCL finds plugins on the library path; the first is installed.
function(braid_example_plugin kind abi_define versions)
  set(name nccl-${kind}-braid-example)
  set(targets ${name})
  add_library(${name} SHARED ${ARGN})
  foreach(version ${versions})
    add_library(${name}-v${version} SHARED ${ARGN})
    target_compile_definitions(${name}-v${version} PRIVATE ${abi_define}=${version})
    list(APPEND targets ${name}-v${version})
  endforeach()
  foreach(target ${targets})
    target_include_directories(${target} PRIVATE ${PROJECT_SOURCE_DIR}/include ${PROJECT_SOURCE_DIR}/src)
    set_target_properties(${target} PROPERTIES LIBRARY_OUTPUT_DIRECTORY ${PROJECT_BINARY_DIR})
  endforeach()
  install(TARGETS ${name} LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR})
endfunction()
