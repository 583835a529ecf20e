# Compiler launchers and flags: ccache when present; warnings; optional sanitizers.
find_program(HC_CCACHE ccache)
if(HC_CCACHE)
  # Precompiled headers and ccache only cooperate with this sloppiness, and it must reach the
  # compile commands themselves (an ENV set here would only last for the configure step), so
  # the launcher sets it on every call.
  set(CMAKE_CXX_COMPILER_LAUNCHER
      "${CMAKE_COMMAND};-E;env;CCACHE_SLOPPINESS=pch_defines,time_macros,include_file_mtime,include_file_ctime;${HC_CCACHE}")
endif()

add_compile_options(-Wall -Wextra -Wno-unused-parameter)

if(HC_SANITIZE)
  add_compile_options(-fsanitize=${HC_SANITIZE} -fno-omit-frame-pointer -g)
  add_link_options(-fsanitize=${HC_SANITIZE})
endif()
