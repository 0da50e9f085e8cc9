# Compiler, warnings and build-speed settings shared by every target.

set(CMAKE_CXX_STANDARD 20)
set(CMAKE_CXX_STANDARD_REQUIRED ON)
set(CMAKE_CXX_EXTENSIONS OFF)
set(CMAKE_EXPORT_COMPILE_COMMANDS ON)

if(NOT CMAKE_BUILD_TYPE AND NOT CMAKE_CONFIGURATION_TYPES)
  set(CMAKE_BUILD_TYPE RelWithDebInfo CACHE STRING "Build type" FORCE)
endif()

option(GOFER_WERROR "Treat compiler warnings as errors (CI sets this)" OFF)
option(GOFER_USE_CCACHE "Use ccache when it is installed" ON)

if(GOFER_USE_CCACHE)
  find_program(GOFER_CCACHE ccache)
  if(GOFER_CCACHE)
    set(CMAKE_CXX_COMPILER_LAUNCHER "${GOFER_CCACHE}")
  endif()
endif()

# Faster links: prefer mold, then lld, when installed.
find_program(GOFER_MOLD mold)
find_program(GOFER_LLD ld.lld)
if(GOFER_MOLD)
  add_link_options(-fuse-ld=mold)
elseif(GOFER_LLD)
  add_link_options(-fuse-ld=lld)
endif()

# Warnings for our own code only (generated protobuf code gets gofer_proto's own flags).
add_library(gofer_warnings INTERFACE)
target_compile_options(gofer_warnings INTERFACE -Wall -Wextra -Wpedantic -Wshadow=local
                       -Wnon-virtual-dtor -Woverloaded-virtual
                       -Wno-missing-field-initializers)
if(GOFER_WERROR)
  target_compile_options(gofer_warnings INTERFACE -Werror)
endif()

# Debug info in RelWithDebInfo is kept small; it is for stack traces, not stepping.
set(CMAKE_CXX_FLAGS_RELWITHDEBINFO "-O2 -g1 -DNDEBUG")
