# Checks that the client does not link code only the test host uses: no function defined by the
# host's libraries (HOST_LIBS: skyhostproto, skyimpair) is defined in the client (CLIENT: the
# skylight binary and the skyclient and skycommon libraries). Run by ctest
# (client_links_no_host_code):
#   cmake -DNM=nm -DHOST_LIBS=a.a,b.a -DCLIENT=skylight,c.a -P client_symbols.cmake
# Only names with the project's prefix (sky_) are compared, so compiler and sanitizer symbols
# never count; every public function in the host's libraries has it (sky_module_verb).

if(NOT NM)
  message(FATAL_ERROR "no nm program (CMAKE_NM is empty)")
endif()
string(REPLACE "," ";" host_libs "${HOST_LIBS}")
string(REPLACE "," ";" client_files "${CLIENT}")

# The sky_ symbols `file` defines (globals only when `globals_only`).
function(defined_symbols file globals_only out)
  set(args --defined-only)
  if(globals_only)
    list(APPEND args -g)
  endif()
  execute_process(COMMAND ${NM} ${args} ${file} OUTPUT_VARIABLE text ERROR_VARIABLE err
                  RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${NM} ${file} failed (${rc}): ${err}")
  endif()
  string(REGEX MATCHALL "[0-9a-fA-F]+ [A-Za-z] sky_[A-Za-z0-9_]+" lines "${text}")
  set(names)
  foreach(line IN LISTS lines)
    string(REGEX REPLACE "^[0-9a-fA-F]+ [A-Za-z] " "" name "${line}")
    list(APPEND names ${name})
  endforeach()
  list(REMOVE_DUPLICATES names)
  if(NOT names)
    message(FATAL_ERROR "${file} defines no sky_ symbol (stripped?): the check would prove nothing")
  endif()
  set(${out} ${names} PARENT_SCOPE)
endfunction()

set(host_symbols)
foreach(lib IN LISTS host_libs)
  defined_symbols(${lib} TRUE names)
  list(APPEND host_symbols ${names})
endforeach()

set(failed FALSE)
foreach(file IN LISTS client_files)
  defined_symbols(${file} FALSE names)
  set(found)
  foreach(name IN LISTS names)
    list(FIND host_symbols ${name} at)
    if(at GREATER -1)
      list(APPEND found ${name})
    endif()
  endforeach()
  if(found)
    list(JOIN found " " found_text)
    message(SEND_ERROR "${file} defines test-host-only code: ${found_text}")
    set(failed TRUE)
  else()
    list(LENGTH names n)
    list(LENGTH host_symbols host_n)
    message(STATUS "${file}: ${n} sky_ symbols, none of the test host's ${host_n}")
  endif()
endforeach()
if(failed)
  message(FATAL_ERROR "the client must not link tests/host code (see tests/host/CMakeLists.txt)")
endif()
