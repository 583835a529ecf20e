# Third-party packages. All come from Debian (scripts/install-deps.sh) or, for libtorch 2.x with
# CUDA, from -DCMAKE_PREFIX_PATH=<libtorch>.
find_package(Threads REQUIRED)
find_package(fmt REQUIRED)
find_package(spdlog REQUIRED)
find_package(yaml-cpp REQUIRED)
find_package(nlohmann_json 3 REQUIRED)
find_package(CLI11 REQUIRED)
find_package(ZLIB REQUIRED)
find_package(OpenCV REQUIRED COMPONENTS core imgproc imgcodecs)
find_package(CURL REQUIRED)
# SHA-256 of weights and cache keys (libcrypto only; Debian: libssl-dev).
find_package(OpenSSL REQUIRED COMPONENTS Crypto)
find_package(PkgConfig REQUIRED)
pkg_check_modules(PCRE2 REQUIRED IMPORTED_TARGET libpcre2-8)

if(HC_WITH_TORCH)
  find_package(Torch REQUIRED)
  # TORCH_CXX_FLAGS carries the C++ ABI flag libtorch was built with; every object must agree.
  set(CMAKE_CXX_FLAGS "${CMAKE_CXX_FLAGS} ${TORCH_CXX_FLAGS}")
  # Multi-process training includes libtorch's Gloo process group, whose headers include
  # Gloo's own (Debian: libgloo-dev). Without them hc builds and runs as one process only.
  find_path(HC_GLOO_INCLUDE_DIR gloo/transport/device.h HINTS ${TORCH_INCLUDE_DIRS})
  if(NOT HC_GLOO_INCLUDE_DIR)
    message(WARNING "Gloo headers not found (Debian: libgloo-dev): data-parallel training over "
                    "several processes is disabled in this build")
  endif()
endif()

if(TARGET yaml-cpp::yaml-cpp)
  set(HC_YAML_TARGET yaml-cpp::yaml-cpp)
else()
  set(HC_YAML_TARGET yaml-cpp)
endif()
