# Fails when docs/FEATURES.md differs from `mailtriage featurize --schema`.
# Regenerate: build/release/src/mailtriage featurize --schema > docs/FEATURES.md
execute_process(COMMAND ${CLI} featurize --schema OUTPUT_VARIABLE generated RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "mailtriage featurize --schema failed (${rc})")
endif()
file(READ ${DOC} committed)
if(NOT generated STREQUAL committed)
  message(FATAL_ERROR "${DOC} is out of date: regenerate it with 'mailtriage featurize --schema > docs/FEATURES.md'")
endif()
