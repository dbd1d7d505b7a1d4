# Packaging and deployment tests, include()d from tests/CMakeLists.txt (after the
# mailtriaged and mailtriage_cli targets exist). Exit status 77 = skipped.
#   ctest --preset release -L packaging
set(_mt_pkg_dir ${CMAKE_CURRENT_LIST_DIR})
# Debian's interpreter, where install-deps.sh puts python3-yaml.
find_program(MAILTRIAGE_DEBIAN_PYTHON3 python3 PATHS /usr/bin NO_DEFAULT_PATH)

# The unit as installed: systemd-analyze verify is clean, security exposure <= 2.0.
add_test(NAME packaging.systemd_unit COMMAND ${_mt_pkg_dir}/systemd_unit.sh)
set_tests_properties(packaging.systemd_unit PROPERTIES
  ENVIRONMENT "MAILTRIAGE_BUILD_DIR=${PROJECT_BINARY_DIR}" TIMEOUT 60)

# The daemon's system calls, mappings and socket families under a real workload,
# checked against the unit's SystemCallFilter=, MemoryDenyWriteExecute=,
# RestrictAddressFamilies=.
add_test(NAME packaging.sandbox_syscalls COMMAND ${_mt_pkg_dir}/sandbox_syscalls.sh)
set_tests_properties(packaging.sandbox_syscalls PROPERTIES
  ENVIRONMENT "MAILTRIAGED=$<TARGET_FILE:mailtriaged>;MAILTRIAGE=$<TARGET_FILE:mailtriage_cli>" TIMEOUT 180)

# Kubernetes manifests, Dockerfile and Postfix lines agree with each other and the daemon.
add_test(NAME packaging.deployment_files
         COMMAND ${MAILTRIAGE_DEBIAN_PYTHON3} ${_mt_pkg_dir}/check_deployment.py ${PROJECT_SOURCE_DIR}
                 $<TARGET_FILE:mailtriaged>)
set_tests_properties(packaging.deployment_files PROPERTIES TIMEOUT 60)

# cpack -> apt-get install -> the service answers -> purge. Root only; installs a
# system package, so never beside another test.
add_test(NAME packaging.deb_install COMMAND ${_mt_pkg_dir}/deb_install.sh)
set_tests_properties(packaging.deb_install PROPERTIES
  ENVIRONMENT "MAILTRIAGE_BUILD_DIR=${PROJECT_BINARY_DIR};CPACK=${CMAKE_CPACK_COMMAND}"
  TIMEOUT 300 RUN_SERIAL TRUE)

set_tests_properties(packaging.systemd_unit packaging.sandbox_syscalls packaging.deployment_files
                     packaging.deb_install PROPERTIES SKIP_RETURN_CODE 77 LABELS packaging)
