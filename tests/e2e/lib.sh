# shellcheck shell=bash
# Helpers for the end-to-end tests: a private Postfix instance on loopback that
# relays everything to smtp-sink, with mailtriaged plugged in as smtpd_milters.
#
# Sourced by the test scripts, never run. The sourcing script owns the run:
#   source lib.sh; e2e_init; e2e_start_sink; e2e_start_daemon;
#   e2e_start_postfix tempfail; ... e2e_wait_queue_empty 60 ...
# e2e_init installs an EXIT trap that stops everything this run started (only by
# the pids it recorded itself), removes its entry from /etc/postfix/main.cf and
# deletes the temporary directory. Every wait loop is bounded; only 127.0.0.1
# is ever used.
#
# Exit status convention (ctest SKIP_RETURN_CODE): 77 = cannot run here.

E2E_SKIP=77

# Binary under test; ctest passes $<TARGET_FILE:mailtriaged>.
MAILTRIAGED="${MAILTRIAGED:-/work/main/build/release/src/mailtriaged}"

# Lock serialising edits of the system main.cf between concurrent runs.
E2E_SYSTEM_MAINCF=/etc/postfix/main.cf
E2E_LOCK=/run/lock/mailtriage-e2e.lock

e2e_log()  { printf '%s [%s] %s\n' "$(date +%H:%M:%S)" "${E2E_NAME:-e2e}" "$*" >&2; }
e2e_skip() { e2e_log "SKIP: $*"; exit "$E2E_SKIP"; }

# e2e_check WHAT ACTUAL EXPECTED: one assertion, logged and counted in E2E_FAILURES; it
# never exits, so a run reports every failed check. e2e_checks_passed fails the run if any did.
E2E_FAILURES=0
e2e_check() {
    if [[ "$2" == "$3" ]]; then
        e2e_log "ok: $1 ($2)"
    else
        e2e_log "FAIL: $1: got '$2', want '$3'"
        E2E_FAILURES=$((E2E_FAILURES + 1))
    fi
}
e2e_checks_passed() { ((E2E_FAILURES == 0)) || e2e_fail "$E2E_FAILURES check(s) failed"; }

# e2e_fail MSG: print MSG, the diagnostics, and exit 1 (the trap cleans up).
e2e_fail() {
    e2e_log "FAIL: $*"
    e2e_dump_diagnostics
    exit 1
}

# e2e_require_env: skip (77) unless we are root and Postfix' tools are present.
e2e_require_env() {
    [[ $(id -u) -eq 0 ]] || e2e_skip "must run as root (private Postfix instance)"
    local tool
    for tool in postfix postconf postqueue postsuper smtp-sink smtp-source; do
        command -v "$tool" >/dev/null 2>&1 || e2e_skip "$tool not installed (apt-get install postfix)"
    done
    [[ -x "$MAILTRIAGED" ]] || e2e_skip "daemon not built: $MAILTRIAGED"
    getent passwd postfix >/dev/null || e2e_skip "no postfix user"
    getent group postdrop >/dev/null || e2e_skip "no postdrop group"
}

# e2e_init NAME: temp dir, EXIT trap. Sets E2E_DIR.
e2e_init() {
    E2E_NAME="$1"
    E2E_DIR="$(mktemp -d /tmp/mailtriage-e2e.XXXXXX)"
    # Postfix daemons run as the postfix user and must traverse this directory.
    chmod 755 "$E2E_DIR"
    E2E_PIDS_SINK=""
    E2E_PID_DAEMON=""
    E2E_BG_PIDS=""
    E2E_POSTFIX_UP=0
    E2E_ALT_ADDED=0
    E2E_CREATED_MAINCF=0
    E2E_MOUNTS=""  # file systems this run mounted (e2e_cleanup unmounts them)
    E2E_KEEP="${E2E_KEEP:-0}"
    trap e2e_cleanup EXIT
    trap 'exit 130' INT TERM
    e2e_log "work dir $E2E_DIR"
}

e2e_cleanup() {
    local rc=$?
    set +e
    e2e_kill_tracked
    # Second (relay) instance, if any: no-ops unless e2e_start_relay_postfix ran.
    e2e_stop_relay_postfix
    e2e_unregister_relay_config_dir
    if [[ $E2E_POSTFIX_UP -eq 1 ]]; then
        e2e_stop_postfix
    fi
    e2e_stop_daemon_quietly
    e2e_stop_sink
    e2e_unregister_config_dir
    local m
    for m in ${E2E_MOUNTS:-}; do umount "$m" 2>/dev/null; done
    if [[ $rc -ne 0 && $rc -ne $E2E_SKIP ]]; then
        e2e_log "exit status $rc"
    fi
    if [[ "$E2E_KEEP" == 1 ]]; then
        e2e_log "keeping $E2E_DIR (E2E_KEEP=1)"
    elif [[ -n "${E2E_DIR:-}" && -d "$E2E_DIR" ]]; then
        rm -rf "$E2E_DIR"
    fi
    exit "$rc"
}

# e2e_track_pid PID: a background process of ours to end (SIGTERM) on exit;
# give the pid of the process itself (e.g. timeout running smtp-source), not
# of a subshell around it.
e2e_track_pid() { E2E_BG_PIDS="$E2E_BG_PIDS $1"; }

e2e_kill_tracked() {
    local pid
    for pid in ${E2E_BG_PIDS:-}; do
        kill -0 "$pid" 2>/dev/null || continue
        kill -TERM "$pid" 2>/dev/null
        wait "$pid" 2>/dev/null
    done
    E2E_BG_PIDS=""
}

# ---------------------------------------------------------------- time, ports

e2e_now() { date +%s.%N; }

# e2e_wait_until TIMEOUT_S DESCRIPTION CMD...: poll CMD every 0.1 s.
e2e_wait_until() {
    local timeout="$1" what="$2"; shift 2
    local deadline=$((SECONDS + timeout))
    while ! "$@"; do
        if ((SECONDS >= deadline)); then
            e2e_log "timed out after ${timeout}s waiting for: $what"
            return 1
        fi
        sleep 0.1
    done
}

# A port nobody listens on now. The kernel picks it (bind to port 0); without
# python3, probe random high ports with bash' /dev/tcp.
e2e_free_port() {
    local port
    if command -v python3 >/dev/null 2>&1 &&
        port=$(python3 -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])' 2>/dev/null) && [[ -n "$port" ]]; then
        echo "$port"
        return 0
    fi
    local i
    for ((i = 0; i < 100; i++)); do
        port=$((20000 + RANDOM % 40000))
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
            echo "$port"
            return 0
        fi
    done
    return 1
}

e2e_port_listening() {
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# ---------------------------------------------------------------- smtp-sink

# e2e_start_sink: smtp-sink on a free port, one dump file per message under
# $E2E_DIR/sink. Sets E2E_SINK_PORT, E2E_SINK_DIR.
e2e_start_sink() {
    E2E_SINK_PORT=$(e2e_free_port) || e2e_fail "no free port for smtp-sink"
    E2E_SINK_DIR="$E2E_DIR/sink"
    mkdir -p "$E2E_SINK_DIR"
    chown postfix "$E2E_SINK_DIR"
    # -d: one file per transaction; template expanded by strftime plus a random
    # hex suffix, seconds in the name make collisions negligible.
    # -4: IPv4 only; -m 512: connection cap; -t 30: command timeout.
    smtp-sink -4 -u postfix -m 512 -t 30 -h e2e-sink \
        -d "$E2E_SINK_DIR/%Y%m%d%H%M%S." \
        "127.0.0.1:$E2E_SINK_PORT" 256 \
        >"$E2E_DIR/smtp-sink.log" 2>&1 &
    E2E_PIDS_SINK="$!"
    e2e_wait_until 10 "smtp-sink on port $E2E_SINK_PORT" e2e_port_listening "$E2E_SINK_PORT" ||
        e2e_fail "smtp-sink did not start"
    e2e_log "smtp-sink pid $E2E_PIDS_SINK on 127.0.0.1:$E2E_SINK_PORT"
}

e2e_stop_sink() {
    if [[ -n "${E2E_PIDS_SINK:-}" ]]; then
        kill "$E2E_PIDS_SINK" 2>/dev/null
        wait "$E2E_PIDS_SINK" 2>/dev/null
        E2E_PIDS_SINK=""
    fi
}

# Messages at the sink: every regular file in the dump directory.
e2e_sink_count() {
    find "$E2E_SINK_DIR" -type f | wc -l
}

# e2e_sink_count_matching REGEX: messages with at least one line matching.
e2e_sink_count_matching() {
    find "$E2E_SINK_DIR" -type f -print0 | xargs -0 -r grep -l -E -- "$1" | wc -l
}

# e2e_sink_files_without REGEX: messages with no line matching.
e2e_sink_files_without() {
    find "$E2E_SINK_DIR" -type f -print0 | xargs -0 -r grep -L -E -- "$1"
}

# e2e_sink_header_counts NAME VALUE: for every message at the sink, the number
# of header lines "NAME: VALUE" in its header section (up to the first empty
# line; smtp-sink's own X-Client-*/Received lines come first), one line per
# message: "COUNT FILE".
e2e_sink_header_counts() {
    # shellcheck disable=SC2016 # awk program, not shell
    find "$E2E_SINK_DIR" -type f -print0 | xargs -0 -r awk -v want="$1: $2" '
        FNR == 1 { if (file != "") print n, file; file = FILENAME; n = 0; inhdr = 1 }
        inhdr && /^$/ { inhdr = 0 }
        inhdr && $0 == want { n++ }
        END { if (file != "") print n, file }'
}

# e2e_sink_with_header_exactly_once NAME VALUE [REGEX]: messages (optionally only
# those with a line matching REGEX anywhere) carrying the header exactly once.
e2e_sink_with_header_exactly_once() {
    e2e_sink_header_counts "$1" "$2" | awk '$1 == 1 { print $2 }' | e2e_filter_files "${3:-}" | wc -l
}

# e2e_sink_without_header NAME VALUE [REGEX]: messages lacking the header.
e2e_sink_without_header() {
    e2e_sink_header_counts "$1" "$2" | awk '$1 == 0 { print $2 }' | e2e_filter_files "${3:-}" | wc -l
}

# e2e_filter_files REGEX: file names on stdin whose content matches REGEX
# (all of them when REGEX is empty).
e2e_filter_files() {
    if [[ -z "$1" ]]; then cat; else tr '\n' '\0' | xargs -0 -r grep -l -E -- "$1"; fi
}

# e2e_sink_settle TIMEOUT: wait until the sink's file count stops changing
# (smtp-sink closes a dump file after it has replied to ".").
e2e_sink_settle() {
    local timeout="$1" last=-1 now deadline=$((SECONDS + $1))
    while ((SECONDS < deadline)); do
        now=$(e2e_sink_count)
        [[ "$now" == "$last" ]] && return 0
        last=$now
        sleep 0.5
    done
    e2e_log "sink count still changing after ${timeout}s"
    return 1
}

# ---------------------------------------------------------------- mailtriaged

# e2e_start_daemon [PORT]: start mailtriaged on inet:PORT@127.0.0.1 (a free
# port if omitted). Sets E2E_MILTER_PORT.
e2e_start_daemon() {
    E2E_MILTER_PORT="${1:-${E2E_MILTER_PORT:-$(e2e_free_port)}}"
    e2e_start_daemon_listen "inet:$E2E_MILTER_PORT@127.0.0.1"
}

# e2e_start_daemon_listen SPEC: start mailtriaged --listen SPEC and wait for its
# event=listening line (15 s at most). Sets E2E_PID_DAEMON, and E2E_HTTP_PORT to
# the operations endpoint's port (a free one, so runs never collide on 9895). The
# log is appended to $E2E_DAEMON_LOG (default $E2E_DIR/mailtriaged.log); E2E_DAEMON_ARGS adds arguments
# (e.g. "--log-level debug"). Text and JSON log formats are both understood.
e2e_start_daemon_listen() {
    local spec="$1"
    local log="${E2E_DAEMON_LOG:-$E2E_DIR/mailtriaged.log}"
    local start_line
    touch "$log"
    start_line=$(($(wc -l <"$log") + 1))
    # shellcheck disable=SC2086 # E2E_DAEMON_ARGS is a word list on purpose
    "$MAILTRIAGED" --listen "$spec" --http-listen 127.0.0.1:0 ${E2E_DAEMON_ARGS:-} >>"$log" 2>&1 &
    E2E_PID_DAEMON=$!
    local deadline=$((SECONDS + 15))
    until tail -n +"$start_line" "$log" | grep -q -E 'event=listening|"event":"listening"'; do
        if ! kill -0 "$E2E_PID_DAEMON" 2>/dev/null; then
            wait "$E2E_PID_DAEMON"
            local rc=$?
            E2E_PID_DAEMON=""
            e2e_fail "mailtriaged --listen $spec exited with status $rc before listening"
        fi
        ((SECONDS < deadline)) || e2e_fail "mailtriaged --listen $spec: no event=listening within 15s"
        sleep 0.05
    done
    # Still alive after saying so (a crash message can quote the line).
    sleep 0.1
    if ! kill -0 "$E2E_PID_DAEMON" 2>/dev/null; then
        wait "$E2E_PID_DAEMON"
        local rc=$?
        E2E_PID_DAEMON=""
        e2e_fail "mailtriaged --listen $spec exited with status $rc right after event=listening"
    fi
    E2E_HTTP_PORT=$(tail -n +"$start_line" "$log" | grep -E 'event=http_listening|"event":"http_listening"' |
        tail -n 1 | grep -o -E '127\.0\.0\.1:[0-9]+' | cut -d: -f2)
    e2e_log "mailtriaged pid $E2E_PID_DAEMON listening on $spec (HTTP port ${E2E_HTTP_PORT:-none})"
}

# e2e_kill_daemon: SIGKILL, no drain (the crash case).
e2e_kill_daemon() {
    [[ -n "$E2E_PID_DAEMON" ]] || return 0
    kill -KILL "$E2E_PID_DAEMON" 2>/dev/null
    wait "$E2E_PID_DAEMON" 2>/dev/null
    e2e_log "mailtriaged pid $E2E_PID_DAEMON killed with SIGKILL"
    E2E_PID_DAEMON=""
}

# e2e_stop_daemon: SIGTERM, which must drain and exit 0 within 15 s.
e2e_stop_daemon() {
    [[ -n "$E2E_PID_DAEMON" ]] || return 0
    local pid=$E2E_PID_DAEMON rc
    kill -TERM "$pid"
    local deadline=$((SECONDS + 15))
    while kill -0 "$pid" 2>/dev/null; do
        if ((SECONDS >= deadline)); then
            kill -KILL "$pid" 2>/dev/null
            wait "$pid" 2>/dev/null
            E2E_PID_DAEMON=""
            e2e_fail "mailtriaged did not exit within 15s of SIGTERM"
        fi
        sleep 0.05
    done
    wait "$pid"
    rc=$?
    E2E_PID_DAEMON=""
    [[ $rc -eq 0 ]] || e2e_fail "mailtriaged exited with status $rc after SIGTERM (want 0)"
    e2e_log "mailtriaged stopped by SIGTERM, status 0"
}

e2e_stop_daemon_quietly() {
    [[ -n "${E2E_PID_DAEMON:-}" ]] || return 0
    kill -TERM "$E2E_PID_DAEMON" 2>/dev/null
    local i
    for ((i = 0; i < 100; i++)); do
        kill -0 "$E2E_PID_DAEMON" 2>/dev/null || break
        sleep 0.05
    done
    kill -KILL "$E2E_PID_DAEMON" 2>/dev/null
    wait "$E2E_PID_DAEMON" 2>/dev/null
    E2E_PID_DAEMON=""
}

# ---------------------------------------------------------------- postfix

# Add $E2E_DIR to alternate_config_directories in the system main.cf, which
# `postfix -c`, `postqueue -c` and `postsuper -c` insist on.
e2e_register_config_dir() {
    (
        flock -w 30 9 || exit 1
        if [[ ! -f $E2E_SYSTEM_MAINCF ]]; then
            # Package installed with "No configuration".
            mkdir -p "$(dirname "$E2E_SYSTEM_MAINCF")"
            printf '%s\n' '# created by mailtriage e2e tests' 'compatibility_level = 3.6' \
                >"$E2E_SYSTEM_MAINCF"
            touch "$E2E_DIR/.created-system-maincf"
        fi
        local cur stale
        cur=$(postconf -c /etc/postfix -h alternate_config_directories 2>/dev/null)
        # Drop entries of earlier runs that were killed before cleaning up
        # (ours only: /tmp/mailtriage-e2e.*, and only if the directory is gone).
        for stale in $(tr -s ', ' '\n' <<<"$cur" | grep '^/tmp/mailtriage-e2e\.'); do
            if [[ ! -d $stale ]]; then
                cur=$(tr -s ', ' '\n' <<<"$cur" | grep -v -xF "$stale" | grep -v '^$' | paste -sd, - | sed 's/,/, /g')
                if [[ -n $cur ]]; then
                    postconf -c /etc/postfix -e "alternate_config_directories = $cur"
                else
                    postconf -c /etc/postfix -X alternate_config_directories
                fi
            fi
        done
        if ! tr -s ', ' '\n' <<<"$cur" | grep -qxF "$E2E_DIR"; then
            postconf -c /etc/postfix -e "alternate_config_directories = ${cur:+$cur, }$E2E_DIR"
        fi
    ) 9>"$E2E_LOCK" || e2e_fail "cannot register $E2E_DIR in $E2E_SYSTEM_MAINCF"
    [[ -f "$E2E_DIR/.created-system-maincf" ]] && E2E_CREATED_MAINCF=1
    E2E_ALT_ADDED=1
}

# e2e_remove_alternate_dir DIR: drops DIR from alternate_config_directories in the
# system main.cf, and the parameter itself when no directory is left (then returns 1).
# The caller holds $E2E_LOCK.
e2e_remove_alternate_dir() {
    local cur rest
    cur=$(postconf -c /etc/postfix -h alternate_config_directories 2>/dev/null)
    rest=$(tr -s ', ' '\n' <<<"$cur" | grep -v -xF "$1" | grep -v '^$' | paste -sd, - | sed 's/,/, /g')
    if [[ -n "$rest" ]]; then
        postconf -c /etc/postfix -e "alternate_config_directories = $rest"
        return 0
    fi
    postconf -c /etc/postfix -X alternate_config_directories
    return 1
}

e2e_unregister_config_dir() {
    [[ "${E2E_ALT_ADDED:-0}" == 1 ]] || return 0
    (
        flock -w 30 9 || exit 1
        if ! e2e_remove_alternate_dir "$E2E_DIR" && [[ "$E2E_CREATED_MAINCF" == 1 ]] &&
            ! grep -qvE '^(#.*|compatibility_level = 3\.6|[[:space:]]*)$' "$E2E_SYSTEM_MAINCF"; then
            rm -f "$E2E_SYSTEM_MAINCF"
        fi
    ) 9>"$E2E_LOCK"
    E2E_ALT_ADDED=0
}

# e2e_write_master_cf FILE SMTPD_PORT: the master.cf of a private instance: chroot
# (column 5) off everywhere, smtpd only on 127.0.0.1:SMTPD_PORT, postlogd for
# maillog_file. Shared by both instances.
e2e_write_master_cf() {
    cat >"$1" <<EOF
# service type  private unpriv  chroot  wakeup  maxproc command
127.0.0.1:$2 inet n - n - - smtpd
pickup     unix  n       -       n       60      1       pickup
cleanup    unix  n       -       n       -       0       cleanup
qmgr       unix  n       -       n       300     1       qmgr
rewrite    unix  -       -       n       -       -       trivial-rewrite
bounce     unix  -       -       n       -       0       bounce
defer      unix  -       -       n       -       0       bounce
trace      unix  -       -       n       -       0       bounce
verify     unix  -       -       n       -       1       verify
flush      unix  n       -       n       1000?   0       flush
proxymap   unix  -       -       n       -       -       proxymap
proxywrite unix  -       -       n       -       1       proxymap
smtp       unix  -       -       n       -       -       smtp
relay      unix  -       -       n       -       -       smtp
showq      unix  n       -       n       -       -       showq
error      unix  -       -       n       -       -       error
retry      unix  -       -       n       -       -       error
discard    unix  -       -       n       -       -       discard
anvil      unix  -       -       n       -       1       anvil
scache     unix  -       -       n       -       1       scache
postlog    unix-dgram n  -       n       -       1       postlogd
EOF
}

# e2e_main_cf CONFIG_DIR QUEUE_DIR DATA_DIR MAILLOG SYSLOG_NAME MYHOSTNAME RELAYHOST:
# prints what both private instances' main.cf share (loopback only, no DNS, no TLS, no
# local delivery, fast delivery and retries); each appends its own milter lines.
# Every parameter appears once: a repeated one makes every Postfix process warn
# "overriding earlier entry" as it starts (see e2e_start_relay_postfix).
e2e_main_cf() {
    cat <<EOF
compatibility_level = 3.6
config_directory = $1
queue_directory = $2
data_directory = $3
command_directory = /usr/sbin
daemon_directory = /usr/lib/postfix/sbin
meta_directory = /etc/postfix
shlib_directory = /usr/lib/postfix
mail_owner = postfix
setgid_group = postdrop

# No syslog here: postlogd writes this file (needs the postlog service).
maillog_file = $4
maillog_file_prefixes = $E2E_DIR
syslog_name = $5

myhostname = $6
mydomain = test
myorigin = \$myhostname
mydestination =
local_recipient_maps =
local_transport = error:local delivery disabled in e2e tests
alias_maps =
alias_database =
relay_domains =
relayhost = $7
mynetworks = 127.0.0.0/8
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
smtpd_relay_restrictions = permit_mynetworks, reject
smtpd_recipient_restrictions =
notify_classes =
biff = no
smtputf8_enable = no

# Loopback only, no DNS, no TLS.
smtp_dns_support_level = disabled
smtp_host_lookup = native
smtp_tls_security_level = none
smtpd_tls_security_level = none
smtpd_peername_lookup = no

# Fast delivery and fast retries.
default_destination_concurrency_limit = 20
initial_destination_concurrency = 20
default_process_limit = 100
in_flow_delay = 0
smtpd_error_sleep_time = 0
queue_run_delay = 5s
minimal_backoff_time = 5s
maximal_backoff_time = 10s
delay_warning_time = 0
EOF
}

# e2e_write_postfix_config DEFAULT_ACTION: main.cf + master.cf in
# $E2E_DIR/postfix. Sets E2E_PF (config dir), E2E_SMTP_PORT.
e2e_write_postfix_config() {
    local action="$1"
    E2E_PF="$E2E_DIR/postfix"
    E2E_SMTP_PORT=$(e2e_free_port) || e2e_fail "no free port for smtpd"
    mkdir -p "$E2E_PF" "$E2E_DIR/queue" "$E2E_DIR/data"
    chown postfix "$E2E_DIR/data"
    # The maillog file is written by postlogd (running as root here).
    {
        echo "# Private Postfix instance for mailtriage e2e tests (generated, throw-away)."
        e2e_main_cf "$E2E_PF" "$E2E_DIR/queue" "$E2E_DIR/data" "$E2E_DIR/maillog" postfix-e2e \
            mailtriage-e2e.test "[127.0.0.1]:$E2E_SINK_PORT"
        cat <<EOF

# The milter under test.
smtpd_milters = inet:127.0.0.1:$E2E_MILTER_PORT
non_smtpd_milters =
milter_protocol = 6
milter_default_action = $action
milter_connect_timeout = 5s
milter_command_timeout = 10s
milter_content_timeout = 30s
EOF
    } >"$E2E_PF/main.cf"
    e2e_write_master_cf "$E2E_PF/master.cf" "$E2E_SMTP_PORT"
}

# e2e_postfix_instance_up CONFIG_DIR LOG_DIR SMTP_PORT NAME: check and start one
# private instance, then wait for its smtpd. Shared by both instances.
e2e_postfix_instance_up() {
    local pf="$1" logs="$2" port="$3" name="$4"
    postfix -c "$pf" check >"$logs/postfix-check.log" 2>&1 ||
        { cat "$logs/postfix-check.log" >&2; e2e_fail "$name check failed"; }
    postfix -c "$pf" start >"$logs/postfix-start.log" 2>&1 ||
        { cat "$logs/postfix-start.log" >&2; e2e_fail "$name start failed"; }
    e2e_wait_until 20 "$name smtpd on port $port" e2e_port_listening "$port" ||
        e2e_fail "$name did not listen on 127.0.0.1:$port"
}

# e2e_postfix_instance_down CONFIG_DIR LOG_DIR QUEUE_DIR: stop one private instance;
# master exits asynchronously, so wait for its pid file's process, then abort.
e2e_postfix_instance_down() {
    local pf="$1" logs="$2" queue="$3" pid i
    timeout 30 postfix -c "$pf" stop >>"$logs/postfix-start.log" 2>&1
    pid=$(tr -d ' ' <"$queue/pid/master.pid" 2>/dev/null)
    if [[ -n "$pid" ]]; then
        for ((i = 0; i < 100; i++)); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        kill -0 "$pid" 2>/dev/null && timeout 10 postfix -c "$pf" abort >/dev/null 2>&1
    fi
}

# e2e_start_postfix DEFAULT_ACTION: needs E2E_SINK_PORT and E2E_MILTER_PORT.
e2e_start_postfix() {
    local action="$1"
    [[ -n "${E2E_SINK_PORT:-}" ]] || e2e_fail "start the sink before postfix"
    [[ -n "${E2E_MILTER_PORT:-}" ]] || E2E_MILTER_PORT=$(e2e_free_port)
    e2e_write_postfix_config "$action"
    e2e_register_config_dir
    E2E_POSTFIX_UP=1
    e2e_postfix_instance_up "$E2E_PF" "$E2E_DIR" "$E2E_SMTP_PORT" postfix
    e2e_log "postfix up: smtpd 127.0.0.1:$E2E_SMTP_PORT, milter inet:127.0.0.1:$E2E_MILTER_PORT, milter_default_action=$action"
}

e2e_stop_postfix() {
    [[ "${E2E_POSTFIX_UP:-0}" == 1 ]] || return 0
    e2e_postfix_instance_down "$E2E_PF" "$E2E_DIR" "$E2E_DIR/queue"
    E2E_POSTFIX_UP=0
}

# Messages still in the queue (any state), counted from the queue files.
e2e_queue_count() {
    find "$E2E_DIR/queue/maildrop" "$E2E_DIR/queue/incoming" "$E2E_DIR/queue/active" \
        "$E2E_DIR/queue/deferred" "$E2E_DIR/queue/hold" -type f 2>/dev/null | wc -l
}

e2e_queue_empty() { [[ $(e2e_queue_count) -eq 0 ]]; }

# e2e_wait_queue_empty TIMEOUT: wait, asking for a flush of deferred mail
# every few seconds; then confirm with postqueue -p.
e2e_wait_queue_empty() {
    local timeout="$1" deadline=$((SECONDS + $1)) next_flush=$((SECONDS + 3))
    while ! e2e_queue_empty; do
        if ((SECONDS >= deadline)); then
            e2e_log "queue not empty after ${timeout}s: $(e2e_queue_count) messages"
            timeout 10 postqueue -c "$E2E_PF" -p 2>&1 | tail -n 20 >&2
            return 1
        fi
        if ((SECONDS >= next_flush)); then
            timeout 10 postqueue -c "$E2E_PF" -f >/dev/null 2>&1
            next_flush=$((SECONDS + 3))
        fi
        sleep 0.2
    done
    local out
    out=$(timeout 10 postqueue -c "$E2E_PF" -p 2>&1)
    if [[ "$out" != *"Mail queue is empty"* ]]; then
        e2e_log "queue files gone but postqueue -p says: $out"
        return 1
    fi
}

# ---------------------------------------------------------------- diagnostics

e2e_dump_diagnostics() {
    local f
    for f in "$E2E_DIR/maillog" "$E2E_DIR/mailtriaged.log" "$E2E_DIR/smtp-sink.log" \
        "$E2E_DIR"/smtp-source*.log; do
        [[ -s "$f" ]] || continue
        echo "----- last 60 lines of $f" >&2
        tail -n 60 "$f" >&2
    done
    echo "----- end of diagnostics (E2E_KEEP=1 keeps $E2E_DIR)" >&2
}

# e2e_maillog_count REGEX: lines in the Postfix log matching REGEX.
e2e_maillog_count() {
    grep -c -E -- "$1" "$E2E_DIR/maillog" 2>/dev/null || true
}

# ---------------------------------------------------------------- relay instance
# A second private Postfix instance "A" without milter that relays everything to
# the first one (B, from e2e_start_postfix) on its smtpd port: an upstream MTA
# whose retries of B's 4xx replies can be observed. Own config, queue, data
# directories and maillog under $E2E_DIR/relay; its config directory is
# registered in alternate_config_directories like $E2E_DIR (same lock), and
# e2e_cleanup stops the instance and removes the entry. Unused by default:
# the cleanup part is a no-op unless e2e_start_relay_postfix ran.

# e2e_start_relay_postfix RELAY_PORT [MAIN_CF_LINE...]: start A relaying to
# [127.0.0.1]:RELAY_PORT; extra main.cf lines (e.g. "minimal_backoff_time = 2s")
# replace the defaults (postconf -e). Sets
# E2E_RELAY_DIR, E2E_RELAY_PF, E2E_RELAY_QUEUE, E2E_RELAY_MAILLOG,
# E2E_RELAY_SMTP_PORT.
e2e_start_relay_postfix() {
    local relay_port="$1" line
    shift
    E2E_RELAY_DIR="$E2E_DIR/relay"
    E2E_RELAY_PF="$E2E_RELAY_DIR/postfix"
    E2E_RELAY_QUEUE="$E2E_RELAY_DIR/queue"
    E2E_RELAY_MAILLOG="$E2E_RELAY_DIR/maillog"
    E2E_RELAY_SMTP_PORT=$(e2e_free_port) || e2e_fail "no free port for the relay instance's smtpd"
    mkdir -p "$E2E_RELAY_PF" "$E2E_RELAY_QUEUE" "$E2E_RELAY_DIR/data"
    chmod 755 "$E2E_RELAY_DIR"
    chown postfix "$E2E_RELAY_DIR/data"
    # myhostname differs from B's, or A's smtp client would see B greet with
    # A's own name and defer with "mail for ... loops back to myself".
    {
        echo "# Private relay Postfix instance (A) for mailtriage e2e tests (generated, throw-away)."
        e2e_main_cf "$E2E_RELAY_PF" "$E2E_RELAY_QUEUE" "$E2E_RELAY_DIR/data" "$E2E_RELAY_MAILLOG" \
            postfix-e2e-relay relay-a.mailtriage-e2e.test "[127.0.0.1]:$relay_port"
        printf '\n# No milter on this instance.\nsmtpd_milters =\nnon_smtpd_milters =\n'
    } >"$E2E_RELAY_PF/main.cf"
    # Replaced in place, not appended: a repeated parameter makes every Postfix
    # process of this instance warn "overriding earlier entry" as it starts, and
    # those warnings can fill the postlog datagram queue before postlogd runs, so
    # master blocks on its own log socket and the instance never comes up.
    for line in "$@"; do
        postconf -c "$E2E_RELAY_PF" -e "$(printf '%s' "$line" | sed -E 's/[[:space:]]*=[[:space:]]*/=/')" ||
            e2e_fail "cannot set '$line' in the relay instance's main.cf"
    done
    e2e_write_master_cf "$E2E_RELAY_PF/master.cf" "$E2E_RELAY_SMTP_PORT"
    e2e_register_relay_config_dir
    E2E_RELAY_UP=1
    e2e_postfix_instance_up "$E2E_RELAY_PF" "$E2E_RELAY_DIR" "$E2E_RELAY_SMTP_PORT" "relay postfix"
    e2e_log "relay postfix up: smtpd 127.0.0.1:$E2E_RELAY_SMTP_PORT, no milter, relayhost [127.0.0.1]:$relay_port"
}

e2e_stop_relay_postfix() {
    [[ "${E2E_RELAY_UP:-0}" == 1 ]] || return 0
    e2e_postfix_instance_down "$E2E_RELAY_PF" "$E2E_RELAY_DIR" "$E2E_RELAY_QUEUE"
    E2E_RELAY_UP=0
}

# Add $E2E_RELAY_PF to alternate_config_directories. Needs e2e_start_postfix
# first (it creates the system main.cf if missing and owns its removal).
e2e_register_relay_config_dir() {
    [[ "${E2E_ALT_ADDED:-0}" == 1 ]] || e2e_fail "start the first postfix instance before the relay instance"
    (
        flock -w 30 9 || exit 1
        local cur
        cur=$(postconf -c /etc/postfix -h alternate_config_directories 2>/dev/null)
        if ! tr -s ', ' '\n' <<<"$cur" | grep -qxF "$E2E_RELAY_PF"; then
            postconf -c /etc/postfix -e "alternate_config_directories = ${cur:+$cur, }$E2E_RELAY_PF"
        fi
    ) 9>"$E2E_LOCK" || e2e_fail "cannot register $E2E_RELAY_PF in $E2E_SYSTEM_MAINCF"
    E2E_RELAY_ALT_ADDED=1
}

# Run by e2e_cleanup before e2e_unregister_config_dir (which then sees the list
# it would see without a relay instance). A stale entry of a killed run is
# dropped by a later e2e_register_config_dir (it lives under /tmp/mailtriage-e2e.*).
e2e_unregister_relay_config_dir() {
    [[ "${E2E_RELAY_ALT_ADDED:-0}" == 1 ]] || return 0
    (
        flock -w 30 9 || exit 1
        e2e_remove_alternate_dir "$E2E_RELAY_PF" || true
    ) 9>"$E2E_LOCK"
    E2E_RELAY_ALT_ADDED=0
}

# Messages in the relay instance's queue (any state) / its deferred queue.
e2e_relay_queue_count() {
    find "$E2E_RELAY_QUEUE/maildrop" "$E2E_RELAY_QUEUE/incoming" "$E2E_RELAY_QUEUE/active" \
        "$E2E_RELAY_QUEUE/deferred" "$E2E_RELAY_QUEUE/hold" -type f 2>/dev/null | wc -l
}
e2e_relay_deferred_count() {
    find "$E2E_RELAY_QUEUE/deferred" -type f 2>/dev/null | wc -l
}

# e2e_relay_maillog_count REGEX: lines in the relay instance's log matching REGEX.
e2e_relay_maillog_count() {
    grep -c -E -- "$1" "$E2E_RELAY_MAILLOG" 2>/dev/null || true
}
