# Every third-party dependency is imported once, here. All come from Debian 12 packages
# (see scripts/setup); never vendor or FetchContent protobuf, absl or gRPC (ABI clashes).

find_package(Threads REQUIRED)
find_package(Protobuf REQUIRED)
find_package(gRPC CONFIG REQUIRED)
find_package(absl CONFIG REQUIRED)
find_package(spdlog CONFIG REQUIRED)
find_package(fmt CONFIG REQUIRED)
find_package(nlohmann_json CONFIG REQUIRED)
find_package(yaml-cpp CONFIG REQUIRED)
find_package(Catch2 2 CONFIG REQUIRED)
find_package(OpenSSL REQUIRED)
find_package(CURL REQUIRED)
find_package(PkgConfig REQUIRED)
pkg_check_modules(PQXX REQUIRED IMPORTED_TARGET libpqxx)
pkg_check_modules(HIREDIS REQUIRED IMPORTED_TARGET hiredis)

find_program(GOFER_PROTOC protoc REQUIRED)
find_program(GOFER_GRPC_CPP_PLUGIN grpc_cpp_plugin REQUIRED)

# google.rpc.{Status,ErrorInfo,BadRequest} sources (Debian: golang-github-gogo-googleapis-dev).
find_path(GOFER_GOOGLEAPIS_DIR google/rpc/error_details.proto
          PATHS /usr/share/gocode/src/github.com/gogo/googleapis REQUIRED NO_DEFAULT_PATH)

include(Catch)
