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
  endif()
endfunction()
