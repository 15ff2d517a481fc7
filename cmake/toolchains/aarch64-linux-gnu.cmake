# CMake toolchain file: cross-compile for 64-bit ARM Linux (aarch64, glibc)
# from an x86-64 (or any other) Linux host. Used by scripts/build-arm64.js:
#
#   node scripts/build-native.js --out build/linux-arm64 \
#     --CDCMAKE_TOOLCHAIN_FILE=cmake/toolchains/aarch64-linux-gnu.cmake
#
# Needs the GNU cross toolchain for the C library, libstdc++ and binutils
# (Debian/Ubuntu: g++-aarch64-linux-gnu) and, by default, clang as compiler
# (Debian/Ubuntu: clang or clang-NN, 16 and later): the portable build compiles
# ggml's CPU variants up to armv9.2-a+sme, which GCC only knows from GCC 14 on.
#
# Choosing the compiler (an environment variable, or -D of the same name):
#   LLAMA_GENERATE_CROSS_COMPILER=clang (default) | gcc | <path of a clang or gcc>
#   LLAMA_GENERATE_CROSS_TRIPLE=aarch64-linux-gnu (default): the GNU triple of
#     the cross toolchain (binutils, libstdc++, sysroot /usr/<triple>).
# An explicit -DCMAKE_C_COMPILER / -DCMAKE_CXX_COMPILER wins over both.

set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)   # ggml: GGML_SYSTEM_ARCH=ARM, the arm64 CPU variants

foreach(_var LLAMA_GENERATE_CROSS_COMPILER LLAMA_GENERATE_CROSS_TRIPLE)
  if(NOT DEFINED ${_var} AND DEFINED ENV{${_var}} AND NOT "$ENV{${_var}}" STREQUAL "")
    set(${_var} "$ENV{${_var}}")
  endif()
endforeach()
if(NOT LLAMA_GENERATE_CROSS_TRIPLE)
  set(LLAMA_GENERATE_CROSS_TRIPLE aarch64-linux-gnu)
endif()
if(NOT LLAMA_GENERATE_CROSS_COMPILER)
  set(LLAMA_GENERATE_CROSS_COMPILER clang)
endif()
# try_compile() projects run this file again: hand the choice on to them.
list(APPEND CMAKE_TRY_COMPILE_PLATFORM_VARIABLES LLAMA_GENERATE_CROSS_COMPILER LLAMA_GENERATE_CROSS_TRIPLE)
set(_triple "${LLAMA_GENERATE_CROSS_TRIPLE}")

if(NOT CMAKE_C_COMPILER AND NOT CMAKE_CXX_COMPILER)
  if(LLAMA_GENERATE_CROSS_COMPILER STREQUAL "gcc")
    find_program(_cc NAMES ${_triple}-gcc REQUIRED NO_CACHE)
    find_program(_cxx NAMES ${_triple}-g++ REQUIRED NO_CACHE)
  elseif(LLAMA_GENERATE_CROSS_COMPILER STREQUAL "clang")
    # The plain name, then versioned ones (Debian installs clang-NN only).
    set(_names clang)
    foreach(_v RANGE 22 16 -1)
      list(APPEND _names clang-${_v})
    endforeach()
    find_program(_cc NAMES ${_names} NO_CACHE)
    if(NOT _cc)
      message(FATAL_ERROR "aarch64 cross build: clang (16 or later) not found; install clang, "
        "or set LLAMA_GENERATE_CROSS_COMPILER=gcc (GCC 14 or later, or -DLLAMA_GENERATE_CPU_VARIANTS=OFF)")
    endif()
    string(REGEX REPLACE "clang(-[0-9]+)?$" "clang++\\1" _cxx "${_cc}")
  else()  # a path
    set(_cc "${LLAMA_GENERATE_CROSS_COMPILER}")
    string(REGEX REPLACE "(clang|gcc)(-[0-9]+)?$" "\\1++\\2" _cxx "${_cc}")
    string(REGEX REPLACE "gcc\\+\\+" "g++" _cxx "${_cxx}")
  endif()
  set(CMAKE_C_COMPILER "${_cc}")
  set(CMAKE_CXX_COMPILER "${_cxx}")
endif()

# clang cross-compiles through --target; it then finds the GNU cross
# toolchain's libstdc++, crt files and ${_triple}-ld on its own. (Ignored by GCC.)
set(CMAKE_C_COMPILER_TARGET ${_triple})
set(CMAKE_CXX_COMPILER_TARGET ${_triple})
set(CMAKE_ASM_COMPILER_TARGET ${_triple})

# Libraries and headers come from the target's root only, programs from the host.
set(CMAKE_FIND_ROOT_PATH /usr/${_triple})
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)
