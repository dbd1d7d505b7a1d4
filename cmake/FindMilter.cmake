# We use only libmilter's protocol definitions (mfdef.h); the daemon speaks the
# protocol itself, so nothing links against libmilter.
find_path(Milter_INCLUDE_DIR NAMES libmilter/mfdef.h)
include(FindPackageHandleStandardArgs)
find_package_handle_standard_args(Milter REQUIRED_VARS Milter_INCLUDE_DIR)
if(Milter_FOUND AND NOT TARGET Milter::mfdef)
  add_library(Milter::mfdef INTERFACE IMPORTED)
  set_target_properties(Milter::mfdef PROPERTIES INTERFACE_INCLUDE_DIRECTORIES "${Milter_INCLUDE_DIR}")
endif()
mark_as_advanced(Milter_INCLUDE_DIR)
