#!/usr/bin/env bash
# mailtriaged started as root with milter.user / milter.socket_group: the unix socket
# gets the configured owner, group and mode, and the running daemon holds no root
# identity (real, effective, saved and filesystem uid/gid, no supplementary group 0),
# read from /proc/PID/status. An unknown user or group is a configuration error
# (exit 78, from the daemon and its --check-config).
#
# Creates a throwaway system user and group for the run and removes them on exit.
# Environment: MAILTRIAGED. Exit 0 pass, 1 fail, 77 skipped (not root, no useradd).
set -uo pipefail
MAILTRIAGED="${MAILTRIAGED:?set MAILTRIAGED to the daemon binary}"
[[ $(id -u) -eq 0 ]] || { echo "SKIP: must run as root to test the privilege drop"; exit 77; }
command -v useradd >/dev/null && command -v groupadd >/dev/null || { echo "SKIP: useradd/groupadd missing"; exit 77; }

suffix=$$
user="mttest$suffix"
sgroup="mtsock$suffix"
dir="$(mktemp -d /tmp/mailtriage-priv.XXXXXX)"
pid=""
cleanup() {
    if [[ -n "$pid" ]]; then kill -TERM "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; fi
    userdel "$user" 2>/dev/null
    groupdel "$sgroup" 2>/dev/null
    getent group "$user" >/dev/null && groupdel "$user" 2>/dev/null
    rm -rf "$dir"
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; [[ -f "$dir/daemon.log" ]] && sed 's/^/  log: /' "$dir/daemon.log"; exit 1; }

groupadd --system "$sgroup" || fail "groupadd $sgroup"
useradd --system --user-group --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin "$user" ||
    fail "useradd $user"
uid=$(id -u "$user"); gid=$(id -g "$user"); sgid=$(getent group "$sgroup" | cut -d: -f3)

chmod 0755 "$dir"  # mktemp made it 0700: the user must reach run/
# The socket directory belongs to the user, as systemd's RuntimeDirectory= would make
# it, so the daemon can remove its socket after the drop.
install -d -o "$user" -g "$user" -m 0750 "$dir/run"
sock="$dir/run/mailtriaged.sock"
cat >"$dir/mailtriage.yaml" <<YAML
milter:
  listen: unix:$sock
  socket_mode: "0660"
  user: $user
  socket_group: $sgroup
  worker_threads: 1
YAML

"$MAILTRIAGED" --config "$dir/mailtriage.yaml" --check-config >"$dir/check.log" 2>&1 ||
    fail "--check-config refuses a valid user: $(cat "$dir/check.log")"

"$MAILTRIAGED" --config "$dir/mailtriage.yaml" >"$dir/daemon.log" 2>&1 &
pid=$!
for ((i = 0; i < 300; i++)); do
    grep -q 'event=listening' "$dir/daemon.log" && break
    kill -0 "$pid" 2>/dev/null || fail "mailtriaged exited before listening"
    sleep 0.05
done
grep -q 'event=listening' "$dir/daemon.log" || fail "no event=listening within 15 s"
# The drop follows the listening line; give it a moment.
for ((i = 0; i < 100; i++)); do grep -q 'event=privileges_dropped' "$dir/daemon.log" && break; sleep 0.05; done
grep -q "event=privileges_dropped user=$user uid=$uid gid=$gid" "$dir/daemon.log" ||
    fail "no event=privileges_dropped for $user"

# Every thread of the process (the server's workers were started before the drop).
for status in /proc/"$pid"/task/*/status; do
    read -r _ r e s f < <(grep '^Uid:' "$status")
    [[ "$r $e $s $f" == "$uid $uid $uid $uid" ]] || fail "$status: Uid $r $e $s $f, want $uid x4"
    read -r _ r e s f < <(grep '^Gid:' "$status")
    [[ "$r $e $s $f" == "$gid $gid $gid $gid" ]] || fail "$status: Gid $r $e $s $f, want $gid x4"
    groups=$(grep '^Groups:' "$status" | cut -f2)
    for g in $groups; do [[ "$g" != 0 ]] || fail "$status: still in group 0 ($groups)"; done
    grep -q '^CapEff:\s*0000000000000000$' "$status" || fail "$status: effective capabilities left: $(grep CapEff "$status")"
done
echo "ok: daemon pid $pid runs as $user ($uid:$gid), groups [$(grep '^Groups:' /proc/$pid/status | cut -f2)]"

[[ -S "$sock" ]] || fail "no socket at $sock"
read -r owner group mode < <(stat -c '%u %g %a' "$sock")
[[ "$owner" == "$uid" ]] || fail "socket owner $owner, want $uid ($user)"
[[ "$group" == "$sgid" ]] || fail "socket group $group, want $sgid ($sgroup)"
[[ "$mode" == 660 ]] || fail "socket mode $mode, want 660"
echo "ok: socket $(stat -c '%U:%G %a' "$sock")"

# The dropped daemon still serves: a milter negotiation through the socket.
python3 - "$sock" <<'PY' || fail "no milter negotiation through the socket after the drop"
import socket, struct, sys
s = socket.socket(socket.AF_UNIX); s.settimeout(5); s.connect(sys.argv[1])
s.sendall(struct.pack(">I", 13) + b"O" + struct.pack(">III", 6, 0x1FF, 0x1FFFFF))
n = struct.unpack(">I", s.recv(4))[0]
assert s.recv(1) == b"O", "expected an option negotiation reply"
PY

kill -TERM "$pid"; wait "$pid"; rc=$?; pid=""
[[ $rc -eq 0 ]] || fail "exit status $rc after SIGTERM"
[[ ! -e "$sock" ]] || fail "socket left behind after SIGTERM"

# Unknown names are configuration errors (EX_CONFIG), before anything is bound.
for bad in "user: no-such-user-$suffix" "socket_group: no-such-group-$suffix"; do
    printf 'milter:\n  listen: unix:%s\n  %s\n' "$sock" "$bad" >"$dir/bad.yaml"
    "$MAILTRIAGED" --config "$dir/bad.yaml" --check-config >"$dir/bad.log" 2>&1; rc=$?
    [[ $rc -eq 78 ]] || fail "--check-config with '$bad': status $rc, want 78"
    "$MAILTRIAGED" --config "$dir/bad.yaml" >"$dir/bad.log" 2>&1; rc=$?
    [[ $rc -eq 78 ]] || fail "start with '$bad': status $rc, want 78"
    grep -q "no such" "$dir/bad.log" || fail "no clear message for '$bad': $(cat "$dir/bad.log")"
    [[ ! -e "$sock" ]] || fail "socket bound despite '$bad'"
done
echo "ok: unknown user/group refused with status 78"
echo PASS
