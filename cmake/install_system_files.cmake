# Runs at install time (cmake --install, cpack), with CMAKE_INSTALL_PREFIX the prefix
# installed to now; cmake/MailtriageInstall.cmake sets MAILTRIAGE_* before it. Writes the
# systemd unit with that prefix's paths and installs it, the sysusers.d entry and the
# configuration file. file(INSTALL) prepends $DESTDIR and records each file in
# install_manifest.txt.

# GNUInstallDirs' rule for the two prefixes packages use: /usr keeps its configuration
# in /etc and its units where Debian 12 keeps them; any other prefix keeps both inside.
if(CMAKE_INSTALL_PREFIX STREQUAL "/usr")
  set(_sysconfdir /etc)
  set(_unitdir /lib/systemd/system)
else()
  set(_sysconfdir ${CMAKE_INSTALL_PREFIX}/etc)
  set(_unitdir ${CMAKE_INSTALL_PREFIX}/lib/systemd/system)
endif()

# @-placeholders of systemd/mailtriaged.service.in.
set(MAILTRIAGE_SBINDIR ${CMAKE_INSTALL_PREFIX}/${MAILTRIAGE_SBINDIR_REL})
set(MAILTRIAGE_CONFIG ${_sysconfdir}/mailtriage/mailtriage.yaml)
# One staging file per destination, so two installs at once cannot swap their units.
string(MD5 _destination "$ENV{DESTDIR}|${CMAKE_INSTALL_PREFIX}")
set(_unit ${MAILTRIAGE_STAGING_DIR}/${_destination}/mailtriaged.service)
configure_file(${MAILTRIAGE_SOURCE_DIR}/systemd/mailtriaged.service.in ${_unit} @ONLY)

file(INSTALL ${_unit} DESTINATION ${_unitdir})
file(INSTALL ${MAILTRIAGE_SOURCE_DIR}/systemd/mailtriage.sysusers
     DESTINATION ${CMAKE_INSTALL_PREFIX}/lib/sysusers.d RENAME mailtriage.conf)
file(INSTALL ${MAILTRIAGE_SOURCE_DIR}/conf/mailtriage.yaml DESTINATION ${_sysconfdir}/mailtriage)
