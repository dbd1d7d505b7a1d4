#!/usr/bin/env bash
# The Debian package end to end, on this machine: cpack builds it from the build tree;
# it installs with apt-get (dependencies from the package's computed Depends:); the
# mailtriage user and group exist, files and permissions are as packaged, the unit is
# enabled and passes `systemd-analyze verify`; the service answers a milter
# conversation: with systemd as init, the unit started by postinst; without (CI
# containers), the installed unit's ExecStart run as the mailtriage user, as systemd
# would (plus --listen on a free loopback port, so a daemon already on 8895 does not
# matter); SIGHUP reloads, SIGTERM drains. Then purge, and nothing of the package is
# left but the mailtriage user (Debian leaves system users; this test deletes it if it
# created it).
#
# Re-runnable: a package left by an interrupted run of this test (marker file below) is
# purged first; a mailtriage package installed by anyone else makes the test skip
# rather than replace it.
#
# Environment: MAILTRIAGE_BUILD_DIR (configured and built tree), CPACK (cpack binary),
# E2E_KEEP=1 keeps the work directory. Exit 0 pass, 1 fail, 77 skipped (not root, no
# dpkg/apt-get/miltertest/setpriv, or a foreign mailtriage package installed).
set -uo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
# shellcheck source=SCRIPTDIR/../e2e/lib.sh
source "$here/../e2e/lib.sh"
build="${MAILTRIAGE_BUILD_DIR:?MAILTRIAGE_BUILD_DIR not set}"
cpack="${CPACK:-cpack}"
marker=/var/tmp/mailtriage-deb-test.installed
pkg=mailtriage
started=$SECONDS

[[ $(id -u) -eq 0 ]] || e2e_skip "must run as root (installs a package)"
for tool in dpkg dpkg-deb apt-get miltertest setpriv "$cpack"; do
    command -v "$tool" >/dev/null 2>&1 || e2e_skip "$tool not installed"
done
[[ -f "$build/CPackConfig.cmake" ]] || e2e_skip "no CPackConfig.cmake in $build"

E2E_NAME=deb_install
purge_package() {
    DEBIAN_FRONTEND=noninteractive dpkg --purge "$pkg" >"$E2E_DIR/purge.log" 2>&1 ||
        { cat "$E2E_DIR/purge.log" >&2; return 1; }
}
# A user and group this test created (marker says so) go with the package.
delete_test_user() {
    grep -qx 'user_created=1' "$marker" 2>/dev/null || return 0
    userdel mailtriage 2>/dev/null
    groupdel mailtriage 2>/dev/null
    return 0
}
deb_cleanup() {
    e2e_stop_daemon_quietly
    [[ -f "$marker" ]] || return 0
    if dpkg-query -W "$pkg" >/dev/null 2>&1; then
        e2e_log "cleanup: purging $pkg"
        purge_package
    fi
    delete_test_user
    rm -f "$marker"
}

e2e_init deb_install
trap 'rc=$?; deb_cleanup; (exit $rc); e2e_cleanup' EXIT

if dpkg-query -W "$pkg" >/dev/null 2>&1; then
    [[ -f "$marker" ]] || e2e_skip "a $pkg package this test did not install is present (dpkg --purge $pkg first)"
    e2e_log "purging the $pkg package left by an interrupted run"
    purge_package || e2e_fail "cannot purge the leftover $pkg package"
    delete_test_user
    rm -f "$marker"
fi

# ------------------------------------------------------------------ build the package
t0=$SECONDS
"$cpack" --config "$build/CPackConfig.cmake" -B "$E2E_DIR/pkg" >"$E2E_DIR/cpack.log" 2>&1 ||
    { cat "$E2E_DIR/cpack.log" >&2; e2e_fail "cpack failed"; }
deb=$(find "$E2E_DIR/pkg" -maxdepth 1 -name "${pkg}_*.deb" | head -1)
[[ -f "$deb" ]] || e2e_fail "cpack made no ${pkg}_*.deb"
version=$(dpkg-deb -f "$deb" Version)
e2e_log "cpack: $(basename "$deb") in $((SECONDS - t0))s: $(stat -c %s "$deb") bytes," \
    "Installed-Size $(dpkg-deb -f "$deb" Installed-Size) KiB"
want_version=$("$build/src/mailtriaged" --version | awk '{print $2}')
[[ "$version" == "$want_version" ]] || e2e_fail "package version $version, mailtriaged --version $want_version"
depends=$(dpkg-deb -f "$deb" Depends)
e2e_log "Depends: $depends"
for lib in libxgboost0 libyaml-cpp libssl3 libsystemd0; do
    [[ "$depends" == *"$lib"* ]] || e2e_fail "Depends: lacks $lib (dpkg-shlibdeps not run?)"
done
dpkg-deb -I "$deb" conffiles | grep -qx /etc/mailtriage/mailtriage.yaml ||
    e2e_fail "/etc/mailtriage/mailtriage.yaml is not a conffile"

# ------------------------------------------------------------------ install
user_created=1
getent passwd mailtriage >/dev/null && user_created=0
printf 'installed by tests/packaging/deb_install.sh\nuser_created=%s\n' "$user_created" >"$marker"
t0=$SECONDS
DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends -o DPkg::Lock::Timeout=60 \
    "$deb" >"$E2E_DIR/install.log" 2>&1 || { cat "$E2E_DIR/install.log" >&2; e2e_fail "apt-get install $deb"; }
e2e_log "installed in $((SECONDS - t0))s"

# ------------------------------------------------------------------ what is installed
IFS=: read -r _ _ uid gid _ home shell < <(getent passwd mailtriage) || e2e_fail "no mailtriage user after install"
getent group mailtriage >/dev/null || e2e_fail "no mailtriage group after install"
[[ "$home" == /nonexistent && "$shell" == /usr/sbin/nologin ]] || e2e_fail "mailtriage user: home $home, shell $shell"
((uid < 1000)) || e2e_fail "mailtriage is not a system user (uid $uid)"
[[ "$(getent group mailtriage | cut -d: -f3)" == "$gid" ]] || e2e_fail "mailtriage's primary group is not mailtriage"

expect_stat() {  # PATH "OWNER GROUP MODE"
    local got
    got=$(stat -c '%U %G %a' "$1" 2>/dev/null) || e2e_fail "$1 missing"
    [[ "$got" == "$2" ]] || e2e_fail "$1: $got, want $2"
}
expect_stat /usr/sbin/mailtriaged "root root 755"
expect_stat /usr/bin/mailtriage "root root 755"
expect_stat /etc/mailtriage "root mailtriage 750"
expect_stat /etc/mailtriage/mailtriage.yaml "root root 644"
expect_stat /lib/systemd/system/mailtriaged.service "root root 644"
expect_stat /usr/lib/sysusers.d/mailtriage.conf "root root 644"
expect_stat /usr/share/doc/mailtriage/copyright "root root 644"
dpkg-query -W -f='${Conffiles}\n' "$pkg" | grep -q '^ /etc/mailtriage/mailtriage.yaml ' ||
    e2e_fail "dpkg does not track /etc/mailtriage/mailtriage.yaml as a conffile"
for page in mailtriaged.8 mailtriage.1 mailtriage.yaml.5; do
    [[ -f "/usr/share/man/man${page##*.}/$page.gz" ]] || e2e_fail "man page $page.gz not installed"
done
if command -v man >/dev/null 2>&1; then
    man -w 8 mailtriaged >/dev/null 2>&1 || e2e_fail "man -w 8 mailtriaged finds no page"
fi
changelog_version=$(zcat /usr/share/doc/mailtriage/changelog.gz | sed -n '1s/^[^(]*(\([^)]*\)).*/\1/p')
[[ "$changelog_version" == "$version" ]] ||
    e2e_fail "packaging/debian/changelog's newest entry is $changelog_version, the package $version"
[[ -L /etc/systemd/system/multi-user.target.wants/mailtriaged.service ]] ||
    e2e_fail "mailtriaged.service not enabled (no multi-user.target.wants link)"
if command -v systemd-analyze >/dev/null 2>&1; then
    out=$(SYSTEMD_LOG_COLOR=0 systemd-analyze verify /lib/systemd/system/mailtriaged.service 2>&1) ||
        e2e_fail "systemd-analyze verify of the installed unit: $out"
    [[ -z "$out" ]] || e2e_fail "systemd-analyze verify of the installed unit: $out"
fi
exec_start=$(sed -n 's/^ExecStart=//p' /lib/systemd/system/mailtriaged.service)
[[ "$exec_start" == "/usr/sbin/mailtriaged --config /etc/mailtriage/mailtriage.yaml" ]] ||
    e2e_fail "installed unit's ExecStart: $exec_start"
read -r -a exec_argv <<<"$exec_start"

# Run as systemd runs the unit: User=, Group=, NoNewPrivileges=, and UMask= (the
# umask 077 in each subshell below, which then execs, so $! is the daemon itself).
as_service=(setpriv --reuid=mailtriage --regid=mailtriage --init-groups --no-new-privs --)
(umask 077 && exec "${as_service[@]}" "${exec_argv[@]}" --check-config) >"$E2E_DIR/check.log" 2>&1 ||
    { cat "$E2E_DIR/check.log" >&2; e2e_fail "the mailtriage user cannot load /etc/mailtriage/mailtriage.yaml"; }

# ------------------------------------------------------------------ the service answers
talk() {  # SPEC
    timeout 60 miltertest -D "MILTER=$1" -s "$here/answers.lua" >"$E2E_DIR/miltertest.log" 2>&1
    local rc=$?
    sed 's/^/    /' "$E2E_DIR/miltertest.log" >&2
    if [[ $rc -ne 0 ]] || ! grep -q '^PASS:' "$E2E_DIR/miltertest.log"; then
        e2e_fail "no milter answer on $1 (miltertest status $rc)"
    fi
}
if [[ -d /run/systemd/system ]]; then
    e2e_log "systemd is init: checking the unit postinst started"
    e2e_wait_until 30 "mailtriaged.service active" systemctl is-active --quiet mailtriaged.service ||
        e2e_fail "mailtriaged.service is not active: $(systemctl status mailtriaged.service 2>&1 | tail -5)"
    talk "inet:8895@127.0.0.1"
    systemctl reload mailtriaged.service || e2e_fail "systemctl reload mailtriaged"
    e2e_wait_until 15 "active after reload" systemctl is-active --quiet mailtriaged.service ||
        e2e_fail "mailtriaged.service not active after reload"
else
    e2e_log "systemd is not init: running the unit's ExecStart as the mailtriage user"
    port=$(e2e_free_port) || e2e_fail "no free port"
    log="$E2E_DIR/mailtriaged.log"
    (umask 077 && exec "${as_service[@]}" "${exec_argv[@]}" --listen "inet:$port@127.0.0.1") >"$log" 2>&1 &
    E2E_PID_DAEMON=$!
    e2e_wait_until 15 "event=listening" grep -q 'event=listening' "$log" ||
        { cat "$log" >&2; e2e_fail "installed mailtriaged did not start listening"; }
    [[ "$(ps -o user:32=,comm= -p "$E2E_PID_DAEMON" | tr -s ' ')" == "mailtriage mailtriaged" ]] ||
        e2e_fail "pid $E2E_PID_DAEMON is not mailtriaged running as mailtriage: $(ps -o user:32=,comm= -p "$E2E_PID_DAEMON")"
    talk "inet:$port@127.0.0.1"
    kill -HUP "$E2E_PID_DAEMON"
    e2e_wait_until 15 "event=reloaded" grep -q 'event=reloaded' "$log" || e2e_fail "no reload on SIGHUP"
    e2e_stop_daemon   # SIGTERM: drains and must exit 0
fi

# ------------------------------------------------------------------ purge
t0=$SECONDS
purge_package || e2e_fail "dpkg --purge $pkg"
e2e_log "purged in $((SECONDS - t0))s"
dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'installed' && e2e_fail "$pkg still known to dpkg"
for gone in /usr/sbin/mailtriaged /usr/bin/mailtriage /etc/mailtriage /lib/systemd/system/mailtriaged.service \
    /usr/lib/sysusers.d/mailtriage.conf /usr/share/doc/mailtriage \
    /etc/systemd/system/multi-user.target.wants/mailtriaged.service \
    /var/lib/systemd/deb-systemd-helper-enabled/mailtriaged.service.dsh-also \
    /var/lib/systemd/deb-systemd-helper-masked/mailtriaged.service; do
    [[ -e "$gone" || -L "$gone" ]] && e2e_fail "$gone left after purge"
done
dpkg-statoverride --list /etc/mailtriage >/dev/null 2>&1 && e2e_fail "statoverride for /etc/mailtriage left after purge"
getent passwd mailtriage >/dev/null || e2e_fail "purge removed the mailtriage user (Debian keeps system users)"
delete_test_user
rm -f "$marker"
e2e_log "PASS: package built, installed, answered, reloaded, drained and purged in $((SECONDS - started))s"
