#!/usr/bin/env bash
# The systemd unit as `cmake --install` writes it: `systemd-analyze verify` reports
# nothing (ExecStart's binary, ExecReload's kill and the Documentation= man pages must
# exist, so the build tree is installed into a temporary prefix first), and
# `systemd-analyze security --offline=yes` rates its exposure at most
# MAILTRIAGE_MAX_EXPOSURE (2.0).
#
# Environment: MAILTRIAGE_BUILD_DIR (the configured and built tree).
# Exit 0 pass, 1 fail, 77 skipped (no systemd-analyze, or one too old for --offline).
set -uo pipefail
max_exposure="${MAILTRIAGE_MAX_EXPOSURE:-2.0}"
build="${MAILTRIAGE_BUILD_DIR:?MAILTRIAGE_BUILD_DIR not set}"

log()  { printf '[systemd_unit] %s\n' "$*" >&2; }
fail() { log "FAIL: $*"; exit 1; }
skip() { log "SKIP: $*"; exit 77; }

command -v systemd-analyze >/dev/null 2>&1 || skip "systemd-analyze not installed (apt-get install systemd)"
systemd-analyze security --help 2>&1 | grep -q -- '--offline' ||
    skip "systemd-analyze $(systemd-analyze --version | head -1) has no security --offline"

work="$(mktemp -d /tmp/mailtriage-unit.XXXXXX)"
trap 'rm -rf "$work"' EXIT
cmake --install "$build" --prefix "$work/usr" >"$work/install.log" 2>&1 ||
    { cat "$work/install.log" >&2; fail "cmake --install $build --prefix $work/usr"; }
unit="$work/usr/lib/systemd/system/mailtriaged.service"
[[ -f "$unit" ]] || fail "no unit at $unit after install"

exec_start=$(sed -n 's/^ExecStart=//p' "$unit")
[[ "$exec_start" == "$work/usr/sbin/mailtriaged --config $work/usr/etc/mailtriage/mailtriage.yaml" ]] ||
    fail "ExecStart does not name the installed binary and configuration: $exec_start"

# MANPATH lets the Documentation= check find the installed pages.
out=$(MANPATH="$work/usr/share/man" SYSTEMD_LOG_COLOR=0 systemd-analyze verify "$unit" 2>&1)
rc=$?
[[ $rc -eq 0 && -z "$out" ]] || fail "systemd-analyze verify (status $rc): $out"
log "systemd-analyze verify: clean"

report=$(SYSTEMD_COLORS=0 systemd-analyze security --offline=yes "$unit" 2>&1)
exposure=$(sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p' <<<"$report")
[[ -n "$exposure" ]] || fail "no exposure level in: $report"
grep '✗' <<<"$report" | sed 's/^/    /' >&2
log "systemd-analyze security exposure: $exposure (limit $max_exposure)"
awk -v e="$exposure" -v m="$max_exposure" 'BEGIN { exit !(e <= m) }' ||
    fail "exposure $exposure is above $max_exposure"

# The unit file's own comment states the figure; keep it true.
grep -q "^# systemd-analyze security exposure: $exposure " "$unit" ||
    fail "the unit's comment does not state the measured exposure $exposure"
log "PASS"
