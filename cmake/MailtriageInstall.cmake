# What `cmake --install` and the Debian package (cpack, cmake/MailtriagePackage.cmake)
# put where. Included from the top-level CMakeLists.txt after src/ (the two executables'
# install(TARGETS) rules live beside their targets).
#
#   PREFIX/sbin/mailtriaged, PREFIX/bin/mailtriage
#   PREFIX/share/man/man{1,5,8}/*.gz
#   PREFIX/share/doc/mailtriage/{README.md,default-model.txt,copyright,changelog.gz}
#   SYSCONFDIR/mailtriage/mailtriage.yaml      (/etc for PREFIX=/usr, else PREFIX/etc)
#   UNITDIR/mailtriaged.service                (/lib/systemd/system for PREFIX=/usr)
#   PREFIX/lib/sysusers.d/mailtriage.conf
#
# The unit's ExecStart and --config name paths, and those must be the ones installed to:
# cmake/install_system_files.cmake writes them at install time from the prefix given
# then (cmake --install --prefix, or cpack's /usr), not from the configure-time default.

# mailtriage_gzip(SOURCE OUTPUT): OUTPUT = gzip -9n SOURCE at build time (-n: no name or
# time stamp inside, so the same input gives the same bytes).
find_program(MAILTRIAGE_GZIP gzip REQUIRED)
set(_mt_gzipped)
function(mailtriage_gzip source output)
  get_filename_component(_dir ${output} DIRECTORY)
  add_custom_command(OUTPUT ${output}
    COMMAND ${CMAKE_COMMAND} -E make_directory ${_dir}
    COMMAND ${MAILTRIAGE_GZIP} -9nc ${source} > ${output}
    DEPENDS ${source} VERBATIM)
  set(_mt_gzipped ${_mt_gzipped} ${output} PARENT_SCOPE)
endfunction()

# Man pages, compressed as Debian policy asks (man reads both).
foreach(page mailtriage.1 mailtriage.yaml.5 mailtriaged.8)
  string(REGEX MATCH "[0-9]$" _section ${page})
  mailtriage_gzip(${PROJECT_SOURCE_DIR}/man/${page} ${PROJECT_BINARY_DIR}/man/${page}.gz)
  install(FILES ${PROJECT_BINARY_DIR}/man/${page}.gz DESTINATION ${CMAKE_INSTALL_MANDIR}/man${_section})
endforeach()
# The release history a native Debian package carries as changelog.gz.
mailtriage_gzip(${PROJECT_SOURCE_DIR}/packaging/debian/changelog ${PROJECT_BINARY_DIR}/doc/changelog.gz)
install(FILES ${PROJECT_BINARY_DIR}/doc/changelog.gz DESTINATION ${CMAKE_INSTALL_DOCDIR})
add_custom_target(mailtriage_gzipped_docs ALL DEPENDS ${_mt_gzipped})

# The default model is linked into both executables (src/engine/builtin_model.S), so no
# second copy is installed; what it was trained on and is not good for is.
install(FILES ${PROJECT_SOURCE_DIR}/conf/model/default/description.txt
        DESTINATION ${CMAKE_INSTALL_DOCDIR} RENAME default-model.txt)
install(FILES ${PROJECT_SOURCE_DIR}/README.md ${PROJECT_SOURCE_DIR}/packaging/debian/copyright
        DESTINATION ${CMAKE_INSTALL_DOCDIR})

# Unit, sysusers.d entry and configuration file: paths decided at install time.
install(CODE "set(MAILTRIAGE_SOURCE_DIR [[${PROJECT_SOURCE_DIR}]])
set(MAILTRIAGE_STAGING_DIR [[${PROJECT_BINARY_DIR}/install-files]])
set(MAILTRIAGE_SBINDIR_REL [[${CMAKE_INSTALL_SBINDIR}]])")
install(SCRIPT ${CMAKE_CURRENT_LIST_DIR}/install_system_files.cmake)
