"""--tags logs with what an app may log: a line separator followed by `nan` (once: the whole
play failed), one followed by a time and another unit's name, a message of several lines
whose second line is a whole forged entry, and control characters. Each entry is one line
of the stream under its own unit; nothing in a message starts a line of its own."""

import json
import re
import shlex
import uuid

from procfile_testlib import instances, playbook, wait_for

# A line of the stream that is an entry: the ISO time, then the host.
ENTRY = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z \S+ ")
FORGED_UNIX = "1764296000.0 h other-web.1[1]: FORGED"
FORGED_ISO = "2025-11-28T02:13:20.000000Z role-1 other-web.1[1]: FORGED"

# Run by a process of the web instance (moved into its cgroup, so that the journal files
# what it logs under the unit, as it does the app's own lines): the lines printed on
# stdout, as an app prints them, and one entry of several lines sent with journald's
# native protocol, as sd_journal_send() does. argv: token, syslog identifier.
LOGGER = r"""
import socket, struct, sys
token, identifier = sys.argv[1].encode(), sys.argv[2].encode()
sys.stdout.buffer.write(b"".join(token + line + b"\n" for line in [
    b" a boom\xe2\x80\xa8nan oops",
    b" b x\xe2\x80\xa8" + %(unix)r,
    b" c x\xe2\x80\xa9" + %(unix)r,
    b" d x\xc2\x85" + %(unix)r,
    b" e x\x0b" + %(unix)r,
    b" f x\r" + %(iso)r,
    b" g \xff\x1b[2K",
]))
sys.stdout.flush()

def field(name, value):
    return name + b"\n" + struct.pack("<Q", len(value)) + value + b"\n"

entry = (field(b"SYSLOG_IDENTIFIER", identifier) + field(b"PRIORITY", b"6")
         + field(b"MESSAGE", token + b" h first\n" + %(iso)r + b"\n  last"))
socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM).sendto(entry, "/run/systemd/journal/socket")
""" % {"unix": FORGED_UNIX.encode(), "iso": FORGED_ISO.encode()}


def log_from_instance(host, unit, identifier, token):
    """Run LOGGER as a process of UNIT: its PID written into the unit's cgroup (in every
    hierarchy that has it: cgroup v2, or the hybrid layout of a container), then exec'd
    with its stdout on the journal, which reads the unit from the sender's cgroup."""
    main_pid = host.check_output("systemctl show --property=MainPID --value -- %s", unit)
    path = [line.split(":", 2)[2] for line in host.file("/proc/%s/cgroup" % main_pid).content_string.splitlines()
            if line.startswith("0::")][0]
    script = (
        "joined=0; for root in /sys/fs/cgroup /sys/fs/cgroup/unified /sys/fs/cgroup/systemd; do "
        "  if [ -f \"$root\"%(path)s/cgroup.procs ]; then echo $$ > \"$root\"%(path)s/cgroup.procs && joined=1; fi; "
        "done; [ $joined = 1 ] || exit 99; "
        "exec systemd-cat --identifier=%(identifier)s python3 -c %(logger)s %(token)s %(identifier)s"
    ) % {"path": shlex.quote(path), "identifier": shlex.quote(identifier), "logger": shlex.quote(LOGGER),
         "token": shlex.quote(token)}
    host.run_expect([0], "sh -c %s", script)


def shown_lines(out):
    """The lines of the stream, as the debug task's json result shows them."""
    start = out.index("Show the logs of every host in time order")
    start = out.index("=> {", start) + len("=> ")
    result, _end = json.JSONDecoder().raw_decode(out, start)
    return result["msg"]


def test_hostile_messages_stay_inside_their_entry(host):
    playbook("shop.yml")  # shop as the scenario deployed it, whatever the tests before left
    n = instances(host, "shop", "web")[0]
    unit, identifier = "shop-web@%d.service" % n, "shop-web.%d" % n
    token = "hostile-%s" % uuid.uuid4().hex[:12]
    log_from_instance(host, unit, identifier, token)

    # Filed under the unit, all eight: the journal's own view, before the role's.
    def filed():
        out = host.run("journalctl --unit=%s --output=cat --all --lines=100", unit).stdout_bytes
        return out.count(token.encode()) == 8
    assert wait_for(filed, 30), host.run("journalctl --unit=%s --output=json --all --lines=20", unit).stdout

    _rc, out = playbook("shop.yml", "--tags", "logs", "-e", "procfile_log_lines=200",
                        environ={"ANSIBLE_CALLBACK_RESULT_FORMAT": "json"}, procfile_log_type="web.%d" % n)
    lines = shown_lines(out)
    ours = [line for line in lines if token in line]
    head = re.compile(ENTRY.pattern + re.escape(identifier) + r"\[\d+\]: " + token + " ")
    assert len(ours) == 8 and all(head.match(line) for line in ours), lines
    body = dict((line.split(token + " ", 1)[1][0], line.split(token + " ", 1)[1][2:]) for line in ours)
    assert body == {
        "a": "boom\\u2028nan oops",
        "b": "x\\u2028" + FORGED_UNIX,
        "c": "x\\u2029" + FORGED_UNIX,
        "d": "x\\x85" + FORGED_UNIX,
        "e": "x\\x0b" + FORGED_UNIX,
        "f": "x\\x0d" + FORGED_ISO,
        # journalctl gives a message that is not UTF-8 as bytes: the bad byte as \xff.
        "g": "\\xff\\x1b[2K",
        "h": "first",
    }, lines
    # The entry of several lines: its other lines under it, indented, never an entry.
    at = lines.index(next(line for line in ours if line.endswith(token + " h first")))
    indent = " " * len(lines[at].split(token)[0])
    assert lines[at + 1:at + 3] == [indent + FORGED_ISO, indent + "  last"], lines
    for line in lines:
        assert ENTRY.match(line) or line.startswith(" ") or not line, line
        assert not re.match(r"\S+ \S+ other-web\.1\[", line), line

    # The yaml result format (the scenario's own) shows the stream as a block: there too,
    # every character a reader could take for a line break is escaped.
    _rc, out = playbook("shop.yml", "--tags", "logs", "-e", "procfile_log_lines=200",
                        environ={"ANSIBLE_CALLBACK_RESULT_FORMAT": "yaml"}, procfile_log_type="web.%d" % n)
    assert not set("\u2028\u2029\x85\x0b\x0c\x1c\x1d\x1e\r\x1b") & set(out), out[-3000:]
    block = [line for line in out.splitlines() if token in line]
    assert len(block) == 8, out[-3000:]
    margin = re.match(r" *", block[0]).group(0)
    for line in out.splitlines():
        assert not re.match(margin + r"\S+ \S+ other-web\.1\[", line), out[-3000:]
    assert margin + indent + FORGED_ISO in out.splitlines(), out[-3000:]
