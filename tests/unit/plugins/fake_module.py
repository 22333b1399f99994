"""The stand-ins for AnsibleModule that the unit tests of module_utils and modules share,
so that what a fake systemd answers, and how a module's failure reaches a test, are
written once.

- FakeModule: every command recorded, answers from a table (the systemctl client's tests).
- FakeSystemd: a fake systemd that knows which instance units are loaded and their
  properties, and records every call that would change something (the states of
  procfile_instances, procfile_remove); enable() makes its enabled links.
- HostModule: the real commands (systemd-analyze verify).
- Instances: real HTTP servers on the instances' ports, for the health checks; with
  fake_cgroups, the units' cgroups hold this test process, which holds their ports.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import shutil
import socket
import subprocess
import threading

from ansible.module_utils.six.moves import BaseHTTPServer


class Failed(Exception):
    """What fail_json raises, with the module's message."""


class FakeModule:
    """Records every command (its whole argv); answers from ANSWERS, a list of (argv
    prefix after the binary, (rc, out, err)), else with success and no output."""

    def __init__(self, answers=None, check_mode=False, diff=False):
        self.answers = answers or []
        self.check_mode = check_mode
        self._diff = diff
        self.calls = []
        self.warnings = []
        self.environ = None

    @staticmethod
    def get_bin_path(name, required=False):
        return "/bin/" + name

    def run_command(self, argv, check_rc=False, environ_update=None):
        self.calls.append(argv)
        self.environ = environ_update
        for prefix, answer in self.answers:
            if argv[1:1 + len(prefix)] == prefix:
                return answer
        return 0, "", ""

    def warn(self, msg):
        self.warnings.append(msg)

    @staticmethod
    def fail_json(**kwargs):
        raise Failed(kwargs["msg"])


# The cgroup of every unit of the fake systemd, unless its SHOW says otherwise: the one
# cgroup of the fake tree (see fake_cgroups), which holds this test process, so that the
# Instances' servers are their units' own (health.PortOwners).
FAKE_CGROUP = "/procfile-test.slice/instances.scope"


def fake_cgroups(root, cgroups):
    """A cgroup tree under ROOT laid out as on a hybrid host (health.CGROUP_ROOT):
    CGROUPS {cgroup path: [PID]}."""
    for cgroup, pids in cgroups.items():
        path = os.path.join(root, "unified", cgroup.strip("/"))
        os.makedirs(path, exist_ok=True)
        with open(os.path.join(path, "cgroup.procs"), "w") as procs:
            procs.write("".join("%d\n" % pid for pid in pids))


class FakeSystemd(FakeModule):
    """systemctl answered by a fake systemd: LOADED {unit: ActiveState} for list-units,
    SHOW {unit: {property: value}} for show (and ControlGroup FAKE_CGROUP when asked for
    and not in SHOW). Every other call is recorded without the binary (["stop", "--",
    unit]) and succeeds."""

    def __init__(self, loaded, check_mode=False, show=None, diff=False):
        FakeModule.__init__(self, check_mode=check_mode, diff=diff)
        self.loaded = loaded
        self.show = show or {}

    def run_command(self, argv, check_rc=False, environ_update=None):
        args = argv[1:]
        self.environ = environ_update
        if args[0] == "list-units":
            return 0, "".join("%s loaded %s %s x\n" % (u, s, "running" if s == "active" else "dead")
                              for u, s in sorted(self.loaded.items())), ""
        if args[0] == "show":
            units = args[args.index("--") + 1:]
            # Only the properties asked for, as systemctl answers: code that reads one it
            # did not ask for finds nothing here either.
            asked = args[1].split("=", 1)[1].split(",") if args[1].startswith("--property=") else None
            cgroup = {"ControlGroup": FAKE_CGROUP}

            def answer(unit):
                known = dict(cgroup, Id=unit, **self.show.get(unit, {}))
                return "\n".join("%s=%s" % (k, known[k]) for k in (asked or sorted(known)) if k in known)
            return 0, "\n\n".join(answer(u) for u in units), ""
        self.calls.append(args)
        return 0, "", ""


def enable(unit_dir, app, *units):
    """What `systemctl enable` leaves of UNITS in UNIT_DIR: a link to its template in
    <app>.target.wants, which is how the modules tell an enabled instance."""
    wants = os.path.join(unit_dir, "%s.target.wants" % app)
    os.makedirs(wants, exist_ok=True)
    for name in units:
        template = name.split("@")[0] + "@.service"
        os.symlink(os.path.join(unit_dir, template), os.path.join(wants, name))


class HostModule:
    """The two AnsibleModule methods verify_units uses, backed by the real commands."""

    @staticmethod
    def get_bin_path(name, required=False):
        return shutil.which(name)

    @staticmethod
    def run_command(argv, environ_update=None):
        res = subprocess.run(argv, capture_output=True, text=True, check=False,
                             env=dict(os.environ, **(environ_update or {})))
        return res.returncode, res.stdout, res.stderr


class Answer(BaseHTTPServer.BaseHTTPRequestHandler):
    """Answers every GET with the server's `status` (200 unless set)."""

    def do_GET(self):  # noqa: N802 - the handler's API
        self.send_response(getattr(self.server, "status", 200))
        self.end_headers()

    def log_message(self, *args):
        pass


# Ports reserved by free_base_port and not yet serving: {base: {port: bound socket}}.
_RESERVED = {}


def _ephemeral_low():
    """The first port the kernel hands out to outgoing connections; the search stays
    below it, so that no client socket of another process (ssh, pip) lands on a port
    found free."""
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as ranges:
            return int(ranges.read().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768


def free_base_port(count):
    """A base port whose next COUNT ports on 127.0.0.1 are free, and stay reserved for
    this process until Instances serves on them (or closes).

    Probing a port and closing it again is a race: the unit tests run beside each other
    (one pytest per ansible-core version), and another process probing the same range
    found the same ports free and bound them first ("Address already in use"). So the
    probes stay bound, without SO_REUSEADDR, which no other bind can share; Instances
    listens on the very same sockets. A bound socket that does not listen refuses
    connections, so a reserved port answers like a stopped instance. Each process starts
    its search at its own offset, so that two of them rarely meet at all."""
    low, high = 20000, _ephemeral_low() - count - 1
    step = 97
    slots = list(range(low, high, step))
    start = os.getpid() % len(slots)
    for base in slots[start:] + slots[:start]:
        probes = {}
        try:
            for n in range(1, count + 1):
                sock = socket.socket()
                probes[base + n] = sock
                sock.bind(("127.0.0.1", base + n))
        except OSError:
            for sock in probes.values():
                sock.close()
            continue
        _RESERVED.setdefault(base, {}).update(probes)
        return base
    raise AssertionError("no free ports")


class Instances:
    """Real HTTP servers on PORT = base + number, one per running instance; STATUSES
    {number: HTTP status} for the ones that answer other than 200."""

    def __init__(self, base, numbers, statuses=None):
        self.base, self.servers = base, {}
        self.reserved = _RESERVED.pop(base, {})
        for n in numbers:
            self.up(n, (statuses or {}).get(n, 200))

    def up(self, n, status=200):
        port = self.base + n
        reserved = self.reserved.pop(port, None)
        if reserved is None:
            server = BaseHTTPServer.HTTPServer(("127.0.0.1", port), Answer)
        else:
            # Listen on the socket free_base_port holds, so nobody can take the port.
            server = BaseHTTPServer.HTTPServer(("127.0.0.1", port), Answer, bind_and_activate=False)
            server.socket.close()
            server.socket = reserved
            server.server_address = reserved.getsockname()
            server.server_activate()
        server.status = status
        threading.Thread(target=server.serve_forever, daemon=True).start()
        self.servers[n] = server

    def down(self, n):
        server = self.servers.pop(n)
        server.shutdown()
        server.server_close()

    def close(self):
        for n in list(self.servers):
            self.down(n)
        for sock in self.reserved.values():
            sock.close()
        self.reserved = {}
