#!/usr/bin/env python3
"""Checks an strace log of mailtriaged against a systemd unit's sandbox.

usage: check_syscalls.py UNIT_FILE STRACE_LOG

The log comes from `strace -f -qq -o LOG mailtriaged ...` run through a realistic
workload. Under systemd the unit's filters would make each of these fail, so each is
an error here:
  - a system call outside the SystemCallFilter= allow list (expanded with
    `systemd-analyze syscall-filter`, ~-lines removed);
  - with MemoryDenyWriteExecute=yes: mmap with PROT_WRITE|PROT_EXEC, mprotect or
    pkey_mprotect adding PROT_EXEC;
  - a socket() family missing from RestrictAddressFamilies=;
  - with ProcSubset=pid, a file opened under /proc other than a process's own
    directory (the rest of /proc is not mounted); with ProtectHome=yes, one under
    /home, /root or /run/user.
Prints what the daemon used; exit 0 all allowed, 1 a violation, 2 usage error.
"""
import re
import subprocess
import sys


def unit_settings(path):
    """Values of every Key=value line in [Service], in order, by key."""
    out, section = {}, None
    with open(path, encoding="utf-8") as f:
        for raw in f:
            line = raw.strip()
            if not line or line.startswith(("#", ";")):
                continue
            if line.startswith("["):
                section = line
                continue
            if section == "[Service]" and "=" in line:
                key, value = line.split("=", 1)
                out.setdefault(key.strip(), []).append(value.strip())
    return out


_groups = {}


def expand(name):
    """A syscall name, or every syscall of a @group (nested groups included)."""
    if not name.startswith("@"):
        return {name}
    if name not in _groups:
        text = subprocess.run(["systemd-analyze", "syscall-filter", name], check=True,
                              capture_output=True, text=True).stdout
        members = set()
        for line in text.splitlines()[1:]:
            item = line.strip()
            if item and not item.startswith("#"):
                members |= expand(item)
        _groups[name] = members
    return _groups[name]


def allowed_syscalls(filters):
    """SystemCallFilter= semantics: the first line without ~ starts an allow list,
    later plain lines add to it, ~ lines remove from it."""
    allowed = set()
    for value in filters:
        deny = value.startswith("~")
        names = set()
        for item in value.lstrip("~").split():
            names |= expand(item)
        if deny:
            allowed -= names
        else:
            allowed |= names
    return allowed


CALL = re.compile(r"^\d+\s+(?:<\.\.\. )?([a-z0-9_]+)(?:\(| resumed>)")


def main():
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    unit, log = sys.argv[1], sys.argv[2]
    settings = unit_settings(unit)
    allowed = allowed_syscalls(settings.get("SystemCallFilter", []))
    if not allowed:
        print(f"{unit}: no SystemCallFilter= allow list", file=sys.stderr)
        return 2
    families = set()
    for value in settings.get("RestrictAddressFamilies", []):
        families |= set(value.split())
    mdwe = settings.get("MemoryDenyWriteExecute", ["no"])[-1] in ("yes", "true", "1", "on")
    hidden = []
    if settings.get("ProcSubset", [""])[-1] == "pid":
        hidden.append((re.compile(r"/proc/(?!self/|thread-self/|\d+/)"), "ProcSubset=pid"))
    if settings.get("ProtectHome", ["no"])[-1] in ("yes", "true", "1", "on", "tmpfs", "read-only"):
        hidden.append((re.compile(r"/(home|root|run/user)/"), "ProtectHome="))

    used, problems = set(), []
    with open(log, encoding="utf-8", errors="replace") as f:
        for line in f:
            m = CALL.match(line)
            if not m:
                continue
            name = m.group(1)
            used.add(name)
            if mdwe and (
                (name == "mmap" and "PROT_WRITE" in line and "PROT_EXEC" in line)
                or (name in ("mprotect", "pkey_mprotect") and "PROT_EXEC" in line)
            ):
                problems.append("MemoryDenyWriteExecute would refuse: " + line.strip())
            if name in ("open", "openat", "stat", "newfstatat", "access", "statx"):
                path = re.search(r'"([^"]*)"', line)
                for pattern, setting in hidden:
                    if path and pattern.match(path.group(1)):
                        problems.append(f"{setting} hides what the daemon opened: " + line.strip())
            if name == "socket" and families:
                fam = re.search(r"socket\((AF_[A-Z0-9]+)", line)
                if fam and fam.group(1) not in families:
                    problems.append("RestrictAddressFamilies would refuse: " + line.strip())
    if not used:
        print(f"{log}: no system calls recorded", file=sys.stderr)
        return 2
    for name in sorted(used - allowed):
        problems.append(f"SystemCallFilter would refuse {name}() (EPERM)")
    print(f"{len(used)} distinct system calls used, all checked against {len(allowed)} allowed:")
    print("  " + " ".join(sorted(used)))
    for p in problems:
        print("VIOLATION: " + p)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
