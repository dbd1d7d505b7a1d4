# Warnings and sanitizers applied per target, never globally, so third-party code
# (gtest, imported libraries) is compiled as its packagers intended.
function(mailtriage_target_options target)
  target_compile_options(${target} PRIVATE
    -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wno-sign-conversion
    -Wnon-virtual-dtor -Wold-style-cast -Wcast-align -Woverloaded-virtual
    -Wimplicit-fallthrough
    # Designated initialisers that leave defaulted members out are intended.
    -Wno-missing-field-initializers
    # GCC 12 false positive on Asio's coroutine frame allocator (operator delete with size).
    -Wno-mismatched-new-delete)
  target_compile_definitions(${target} PRIVATE BOOST_ASIO_NO_DEPRECATED)
  if(MAILTRIAGE_SANITIZE)
    target_compile_options(${target} PRIVATE -fsanitize=${MAILTRIAGE_SANITIZE} -fno-omit-frame-pointer
                                             -fno-sanitize-recover=all)
    target_link_options(${target} PRIVATE -fsanitize=${MAILTRIAGE_SANITIZE})
  elseif(NOT MAILTRIAGE_FUZZ)
    # Debian's hardening build flags (dpkg-buildflags): checked libc calls in optimised
    # builds, stack protector, full RELRO with immediate binding (lintian checks the
    # packaged binaries for them). Not with sanitizers, which replace those checks.
    target_compile_definitions(${target} PRIVATE $<$<CONFIG:Release,RelWithDebInfo,MinSizeRel>:_FORTIFY_SOURCE=2>)
    target_compile_options(${target} PRIVATE -fstack-protector-strong)
    target_link_options(${target} PRIVATE LINKER:-z,relro LINKER:-z,now)
  endif()
endfunction()
