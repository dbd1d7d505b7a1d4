# gumbo-parser (Debian libgumbo-dev) through its pkg-config file, as the imported
# target Gumbo::Gumbo.
find_package(PkgConfig REQUIRED)
pkg_check_modules(PC_Gumbo QUIET IMPORTED_TARGET gumbo)
include(FindPackageHandleStandardArgs)
find_package_handle_standard_args(Gumbo REQUIRED_VARS PC_Gumbo_FOUND VERSION_VAR PC_Gumbo_VERSION)
if(Gumbo_FOUND AND NOT TARGET Gumbo::Gumbo)
  add_library(Gumbo::Gumbo INTERFACE IMPORTED)
  target_link_libraries(Gumbo::Gumbo INTERFACE PkgConfig::PC_Gumbo)
endif()
