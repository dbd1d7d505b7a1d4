# The Debian package: `cpack --preset release` (or cpack -G DEB in any build tree) after
# the build. Contents are exactly what cmake/MailtriageInstall.cmake installs, under
# prefix /usr; Depends: comes from the executables' shared libraries (dpkg-shlibdeps,
# from dpkg-dev); packaging/debian/ holds the maintainer scripts, conffiles and copyright.
# tests/packaging/deb_install.sh builds it, installs it, runs it and purges it.
set(MAILTRIAGE_PACKAGE_MAINTAINER "mailtriage maintainers <mailtriage@example.org>"
    CACHE STRING "Maintainer field of the Debian package")

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME mailtriage)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_VENDOR mailtriage)
set(CPACK_PACKAGE_CONTACT ${MAILTRIAGE_PACKAGE_MAINTAINER})
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "inline mail triage milter for Postfix and Sendmail")
# The extended description; CPACK_PACKAGE_DESCRIPTION_SUMMARY is the synopsis line.
set(CPACK_DEBIAN_PACKAGE_DESCRIPTION "mailtriaged speaks the milter protocol, parses each message while the SMTP
session is open, scores it with an XGBoost model (a default ham/spam model is
built in) and applies a YAML policy: verdict headers, recipient changes,
quarantine, reject or tempfail. The mailtriage command trains, evaluates and
explains models.")
set(CPACK_DEBIAN_PACKAGE_SECTION mail)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "postfix")
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)  # mailtriage_VERSION_ARCH.deb
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_STRIP_FILES ON)                 # the release preset builds with debug info

# Install under /usr, with the unit and /etc written by install_system_files.cmake to
# absolute paths: that needs DESTDIR staging rather than a relocated prefix.
set(CPACK_SET_DESTDIR ON)
set(CPACK_INSTALL_PREFIX /usr)
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)

set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    ${PROJECT_SOURCE_DIR}/packaging/debian/postinst
    ${PROJECT_SOURCE_DIR}/packaging/debian/prerm
    ${PROJECT_SOURCE_DIR}/packaging/debian/postrm
    ${PROJECT_SOURCE_DIR}/packaging/debian/conffiles)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)  # scripts 0755, the rest 0644

include(CPack)
