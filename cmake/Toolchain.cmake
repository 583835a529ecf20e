# Compiler launchers and flags: ccache when present; warnings; optional sanitizers.
find_program(HC_CCACHE ccache)
if(HC_CCACHE)
  set(CMAKE_CXX_COMPILER_LAUNCHER "${HC_CCACHE}")
  # Precompiled headers and ccache only cooperate with these settings.
  set(ENV{CCACHE_SLOPPINESS} "pch_defines,time_macros,include_file_mtime,include_file_ctime")
endif()

add_compile_options(-Wall -Wextra -Wno-unused-parameter)

if(HC_SANITIZE)
  add_compile_options(-fsanitize=${HC_SANITIZE} -fno-omit-frame-pointer -g)
  add_link_options(-fsanitize=${HC_SANITIZE})
endif()
