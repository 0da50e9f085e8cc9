# gofer_proto_library(TARGET <name> ROOTS <dir>... FILES <abs .proto>...)
#
# Runs protoc + grpc_cpp_plugin once per file (so touching one .proto regenerates only that
# file and its dependents, tracked through protoc's --dependency_out depfile) and compiles the
# output into one static library. Each file's output path is its path relative to the root
# it lives under, so `proto/gofer/v1/run.proto` is included as "gofer/v1/run.pb.h".
function(gofer_proto_library)
  cmake_parse_arguments(P "" "TARGET" "ROOTS;FILES" ${ARGN})
  set(out_dir "${CMAKE_CURRENT_BINARY_DIR}/gen")
  set(include_flags "")
  foreach(root IN LISTS P_ROOTS)
    list(APPEND include_flags "-I${root}")
  endforeach()
  set(sources "")
  foreach(proto IN LISTS P_FILES)
    set(rel "")
    foreach(root IN LISTS P_ROOTS)
      file(RELATIVE_PATH candidate "${root}" "${proto}")
      if(NOT candidate MATCHES "^\\.\\.")
        set(rel "${candidate}")
        break()
      endif()
    endforeach()
    if(rel STREQUAL "")
      message(FATAL_ERROR "${proto} is under none of ${P_ROOTS}")
    endif()
    string(REGEX REPLACE "\\.proto$" "" stem "${rel}")
    # Outputs in the (sorted) order protoc writes them to its depfile: Ninja checks the first.
    set(outs "${out_dir}/${stem}.pb.cc" "${out_dir}/${stem}.pb.h")
    file(STRINGS "${proto}" service_lines REGEX "^service ")
    if(service_lines)
      list(PREPEND outs "${out_dir}/${stem}.grpc.pb.cc" "${out_dir}/${stem}.grpc.pb.h")
      set(grpc_args "--grpc_out=${out_dir}" "--plugin=protoc-gen-grpc=${GOFER_GRPC_CPP_PLUGIN}")
    else()
      set(grpc_args "")
    endif()
    string(REPLACE "/" "_" dep_name "${stem}")
    add_custom_command(
      OUTPUT ${outs}
      COMMAND ${CMAKE_COMMAND} -E make_directory "${out_dir}"
      COMMAND ${GOFER_PROTOC} ${include_flags} "--cpp_out=${out_dir}" ${grpc_args}
              "--dependency_out=${CMAKE_CURRENT_BINARY_DIR}/${dep_name}.d" "${proto}"
      DEPENDS "${proto}" ${GOFER_PROTOC} ${GOFER_GRPC_CPP_PLUGIN}
      DEPFILE "${CMAKE_CURRENT_BINARY_DIR}/${dep_name}.d"
      COMMENT "protoc ${rel}"
      VERBATIM)
    list(APPEND sources ${outs})
  endforeach()
  add_library(${P_TARGET} STATIC ${sources})
  target_include_directories(${P_TARGET} SYSTEM PUBLIC "${out_dir}")
  target_link_libraries(${P_TARGET} PUBLIC protobuf::libprotobuf gRPC::grpc++)
endfunction()
