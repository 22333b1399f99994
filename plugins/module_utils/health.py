# -*- coding: utf-8 -*-
# Copyright: procfile.systemd contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""HTTP health checks of an app's instances on their PORT, all in one process."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import socket
import threading
import time

from ansible_collections.procfile.systemd.plugins.module_utils import listeners
from ansible_collections.procfile.systemd.plugins.module_utils.systemctl import Systemctl
from ansible_collections.procfile.systemd.plugins.module_utils.units import instance_name


# What a health check is when its keys are left out: the root path, a minute to answer,
# and any 2xx or 3xx status (None). The role fills them in (filter health_checks), its
# validation checks against them, and the probes fall back on them.
CHECK_DEFAULTS = {"path": "/", "timeout": 60, "status": None}


def full_check(check):
    """CHECK with the defaults of the keys it leaves out; None for no check (None, {})."""
    return dict(CHECK_DEFAULTS, **check) if check else None


# A probe's budget: no answer in that long (or by the check's deadline, when sooner) is
# "not yet", and the next round asks again.
PROBE_TIMEOUT = 2.0

# Where the instances' processes are found from their units' ControlGroup (the unit
# tests point it at a tree of their own, whose cgroup holds the test's own process).
CGROUP_ROOT = "/sys/fs/cgroup"
PROC = "/proc"


def probe(url, timeout=PROBE_TIMEOUT):
    """(HTTP status, None) or (None, error), within TIMEOUT seconds in all.

    A socket timeout bounds each read, not the answer: an endpoint that sends a byte a
    second would hold the deploy, and its lock, for as long as it likes. So the request
    runs in a thread that is abandoned when TIMEOUT is spent, its socket shut down so
    that it ends then too. A 3xx is an answer (following it could leave the instance),
    and no proxy is asked: the instance is on this host. http.client is imported here,
    not at module level: the role's filters import this module for CHECK_DEFAULTS, and
    every controller worker would pay for it (benchmarks/results/fleet.md)."""
    from ansible.module_utils.six.moves import http_client
    from ansible.module_utils.six.moves.urllib.parse import urlsplit

    parts = urlsplit(url)
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    connection = http_client.HTTPConnection(parts.hostname, parts.port or 80, timeout=timeout)
    answer = []
    guard = threading.Lock()
    abandoned = []

    def ask():
        try:
            connection.connect()
            with guard:
                if abandoned:  # connected only after the budget was spent
                    return
            connection.request("GET", path)
            response = connection.getresponse()
            answer.append((response.status, None))
        except Exception as exc:  # noqa: B902 - any failure to connect or read is "not yet"
            answer.append((None, str(exc) or exc.__class__.__name__))
        finally:
            connection.close()

    asking = threading.Thread(target=ask)
    asking.daemon = True
    asking.start()
    asking.join(timeout)
    if answer:
        return answer[0]
    with guard:
        abandoned.append(True)
        sock = connection.sock
    if sock is not None:
        try:
            # Wakes the thread's read (close() from another thread would not).
            sock.shutdown(socket.SHUT_RDWR)
        except (IOError, OSError):
            pass  # closed meanwhile
    return None, "no complete answer in %gs" % timeout


def healthy_status(status, expected):
    if status is None:
        return False
    return status == expected if expected is not None else 200 <= status < 400


def unit_states(systemctl, units):
    """{unit: "active/running, N restarts"}, to say why an instance is not healthy."""
    states = systemctl.states(list(units), "Id,ActiveState,SubState,NRestarts", check=False)
    return dict((unit, "%s/%s, %s restarts" % (p.get("ActiveState"), p.get("SubState"),
                                               p.get("NRestarts", "?")))
                for unit, p in states.items())


def type_check(checks, process_type):
    """The check of PROCESS_TYPE in CHECKS: "*" is the check of the types CHECKS does not
    name; a type named with None has none."""
    return checks[process_type] if process_type in checks else checks.get("*")


def targets(app, base_port, instances, checks, host, started):
    """One probe target per instance of the checked types, in type and INSTANCES order."""
    found = []
    for t, numbers in sorted(instances.items()):
        check = type_check(checks, t)
        if not check:
            continue
        for n in numbers or []:
            port = base_port + int(n)
            # An empty or null path or timeout counts as left out (procfile_health's caller
            # may give either).
            path = check.get("path") or CHECK_DEFAULTS["path"]
            timeout = int(check.get("timeout") or CHECK_DEFAULTS["timeout"])
            found.append(dict(unit=instance_name(app, t, int(n)), type=t, port=port,
                              url="http://%s:%d%s" % (host, port, path),
                              expected=check.get("status"),
                              timeout=timeout, deadline=started + timeout,
                              error="not probed yet"))
    return found


class PortOwners(object):
    """Whether the instances' ports are theirs: an answer on an instance's port counts
    only if the listener belongs to the instance, i.e. a process in its unit's cgroup
    holds the listening socket. Another app (or anyone) that listened on the port first
    would otherwise pass the instance's check while the instance cannot bind and crash
    loops, and get its traffic.

    One read of the TCP tables per call whatever the number of instances; the cgroups
    and socket lists of the instances whose port has a listener only."""

    def __init__(self, systemctl, host="127.0.0.1"):
        self.systemctl = systemctl
        # The probes' own address counts too, when it is not a loopback or wildcard one.
        self.addresses = listeners.LOCAL_ADDRESSES | frozenset([host])
        # {unit: ControlGroup}: a unit's cgroup path stays the same while it runs and
        # restarts, so each is asked once per check, not once per round.
        self.cgroups = {}
        # {inode: description}: a squatter found in one round is found again the next;
        # the search of every process's fds is done once.
        self.described = {}

    def squatted(self, items):
        """{unit: why} for the ITEMS (dicts with unit and port) whose port another
        process listens on; an instance whose port nobody listens on is not in it (its
        probe is refused: "not answering yet")."""
        taken = listeners.port_listeners(listeners.read_tables(PROC), [i["port"] for i in items],
                                         self.addresses)
        held = [i for i in items if i["port"] in taken]
        unknown = sorted(set(i["unit"] for i in held) - set(self.cgroups))
        if unknown:
            # A unit that runs nothing has an empty ControlGroup: asked again next time.
            for unit, props in self.systemctl.states(unknown, "Id,ControlGroup", check=False).items():
                if props.get("ControlGroup"):
                    self.cgroups[unit] = props["ControlGroup"]
        found = {}
        for item in held:
            mine = listeners.socket_inodes(
                listeners.cgroup_pids(self.cgroups.get(item["unit"]), CGROUP_ROOT), PROC)
            foreign = sorted(taken[item["port"]] - mine)
            if foreign:
                found[item["unit"]] = "port %d is not %s's: %s listens on it" % (
                    item["port"], item["unit"], self.holder(foreign[0]))
        return found

    def holder(self, inode):
        if inode not in self.described:
            pids = listeners.holders(inode, PROC)
            self.described[inode] = (" and ".join(listeners.describe(pid, PROC) for pid in pids[:3])
                                     if pids else "a process this host does not show (socket %d)" % inode)
        return self.described[inode]


def outcome(status, error, expected, squatted):
    """(healthy, why not) of one probe: a port another process holds fails whatever its
    answer (the answer is that process's)."""
    if squatted:
        return False, squatted
    ok = healthy_status(status, expected)
    return ok, None if ok else (error or "HTTP status %d" % status)


def check_now(systemctl, app, base_port, instances, checks, host="127.0.0.1", timeout=PROBE_TIMEOUT):
    """Every instance of the checked types probed once, now, all at once (a status, not a
    gate: no retry, and a hung instance costs TIMEOUT, not TIMEOUT per instance).
    SYSTEMCTL tells the instances' cgroups (see PortOwners).

    Returns {unit: (healthy, why not: None, "HTTP status 500", the connection error,
    or the process that holds its port)}."""
    items = targets(app, base_port, instances, checks, host, time.time())
    answers = {}

    def probe_one(item):
        # The type's own timeout when shorter: what its check allows an answer.
        answers[item["unit"]] = probe(item["url"], min(timeout, item["timeout"]))

    threads = [threading.Thread(target=probe_one, args=(item,)) for item in items]
    for thread in threads:
        thread.daemon = True
        thread.start()
    for thread in threads:
        thread.join(timeout + 1)
    # After the answers: a process that took a port while it was probed is seen too.
    squatted = PortOwners(systemctl, host).squatted(items) if items else {}
    found = {}
    for item in items:
        status, error = answers.get(item["unit"], (None, "no answer in %gs" % timeout))
        found[item["unit"]] = outcome(status, error, item["expected"], squatted.get(item["unit"]))
    return found


def wait_healthy(module, app, base_port, instances, checks, host="127.0.0.1"):
    """Probe every instance of the checked types until healthy or its type's timeout.

    Returns (healthy, unhealthy, message); message is None when all are healthy.
    """
    started = time.time()
    pending = targets(app, base_port, instances, checks, host, started)
    systemctl = Systemctl(module)
    owners = PortOwners(systemctl, host)
    healthy, failed = [], []
    while pending:
        answers = []
        for item in pending:
            # No probe outlasts its check's deadline (a slow answer is not yet one).
            budget = min(PROBE_TIMEOUT, max(0.1, item["deadline"] - time.time()))
            answers.append((item, probe(item["url"], budget)))
        # One look at the ports per round, after the answers (see check_now).
        squatted = owners.squatted(pending)
        for item, (status, error) in answers:
            ok, why = outcome(status, error, item["expected"], squatted.get(item["unit"]))
            if ok:
                healthy.append(dict(unit=item["unit"], port=item["port"], status=status,
                                    seconds=round(time.time() - started, 1)))
                pending.remove(item)
                continue
            item["error"] = why
            if time.time() >= item["deadline"]:
                failed.append(item)
                pending.remove(item)
        if pending:
            time.sleep(0.5)
    if not failed:
        return healthy, [], None
    states = unit_states(systemctl, [f["unit"] for f in failed])
    unhealthy = [dict(unit=f["unit"], port=f["port"], url=f["url"], error=f["error"],
                      unit_state=states.get(f["unit"], "unknown")) for f in failed]
    details = "; ".join("%s (%s): %s, unit %s" % (u["unit"], u["url"], u["error"], u["unit_state"])
                        for u in unhealthy)
    message = "health check failed for %d instance(s) of %s on this host: %s" % (
        len(failed), app, details)
    return healthy, unhealthy, message
