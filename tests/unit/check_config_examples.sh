#!/usr/bin/env bash
# The shipped configuration, and the example rules commented in it, load cleanly.
set -euo pipefail
mailtriage=$1 conf=$2
"$mailtriage" check-config "$conf"
examples=$(mktemp)
trap 'rm -f "$examples"' EXIT
awk '/^  rules: \[\]$/ {print "  rules:"; next}
     /# Examples:/ {ex = 1; next}
     ex && /^  #   / {sub(/^  #   /, "    "); print; next}
     {ex = ex && /^  #/; print}' "$conf" > "$examples"
"$mailtriage" check-config "$examples" | grep -q " 3 rules)" || { echo "the example rules did not load"; exit 1; }
