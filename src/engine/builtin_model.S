/* The default model bundle (models/default) linked into the binary, so mailtriaged
   scores mail with no files installed. Paths come from CMake. */
    .section .rodata
    .balign 16
    .global mailtriage_builtin_manifest
    .global mailtriage_builtin_manifest_end
mailtriage_builtin_manifest:
    .incbin MAILTRIAGE_BUILTIN_MANIFEST
mailtriage_builtin_manifest_end:
    .balign 16
    .global mailtriage_builtin_booster
    .global mailtriage_builtin_booster_end
mailtriage_builtin_booster:
    .incbin MAILTRIAGE_BUILTIN_BOOSTER
mailtriage_builtin_booster_end:
    .balign 16
    .global mailtriage_builtin_evidence
    .global mailtriage_builtin_evidence_end
mailtriage_builtin_evidence:
    .incbin MAILTRIAGE_BUILTIN_EVIDENCE
mailtriage_builtin_evidence_end:
    .section .note.GNU-stack,"",@progbits
