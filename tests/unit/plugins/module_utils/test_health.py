"""A health check run once, now (health.check_now): what --tags status shows as HEALTH;
a check until healthy (health.wait_healthy); whose the ports are (health.PortOwners);
and a probe's overall deadline. Real HTTP servers stand for the instances, in this test
process, which the fake systemd's units run in (see conftest.py)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import socket
import subprocess
import sys
import threading
import time

import pytest

from ansible_collections.procfile.systemd.plugins.module_utils import health, listeners
from ansible_collections.procfile.systemd.plugins.module_utils.systemctl import Systemctl
from ansible_collections.procfile.systemd.tests.unit.plugins.fake_module import (
    FakeSystemd,
    Instances,
    fake_cgroups,
    free_base_port,
)

CHECK = {"path": "/up", "timeout": 60, "status": None}


@pytest.fixture(name="web")
def fixture_web():
    """web.1 answers 200, web.2 answers 500, web.3 is not listening."""
    base = free_base_port(3)
    servers = Instances(base, [1, 2], statuses={2: 500})
    yield base
    servers.close()


def check_now(*args, **kwargs):
    """health.check_now with a fake systemd that knows no more than the units' cgroups."""
    return health.check_now(Systemctl(FakeSystemd({}, show=kwargs.pop("show", None))), *args, **kwargs)


def test_each_instance_is_probed_once_and_says_why_it_fails(web):
    found = check_now("shop", web, {"web": [1, 2, 3]}, {"web": CHECK})
    assert found["shop-web@1.service"] == (True, None)
    assert found["shop-web@2.service"] == (False, "HTTP status 500")
    ok, why = found["shop-web@3.service"]
    assert not ok and why  # the connection error, as urllib words it


def test_only_checked_types_are_probed_and_star_stands_for_the_others(web):
    found = check_now("shop", web, {"web": [1], "worker": [2], "clock": [3]},
                      {"*": CHECK, "clock": None})
    assert sorted(found) == ["shop-web@1.service", "shop-worker@2.service"]
    assert check_now("shop", web, {"web": [1, 2]}, {}) == {}


def test_an_exact_status_is_wanted_when_given(web):
    found = check_now("shop", web, {"web": [1, 2]}, {"web": dict(CHECK, status=500)})
    assert found["shop-web@1.service"] == (False, "HTTP status 200")
    assert found["shop-web@2.service"] == (True, None)


def test_the_instances_are_probed_side_by_side(monkeypatch):
    """A hung instance costs the timeout once, not once per instance: every probe is under
    way before any answers (each waits for all the others; one at a time, the first would
    wait in vain). No bound on how long it takes: a loaded machine is no failure."""
    instances = [1, 2, 3, 4]
    everyone = threading.Barrier(len(instances), timeout=30)

    def probe(url, timeout):
        everyone.wait()
        return None, "timed out"

    monkeypatch.setattr(health, "probe", probe)
    # Ports nobody listens on (held, not listening, by free_base_port until closed): the
    # ownership check, which reads this host's real tables, has nothing to say of them.
    base = free_base_port(len(instances))
    reserved = Instances(base, [])
    try:
        found = check_now("shop", base, {"web": instances}, {"web": CHECK}, timeout=60)
    finally:
        reserved.close()
    assert found == dict(("shop-web@%d.service" % n, (False, "timed out")) for n in instances)


@pytest.fixture(name="squatted")
def fixture_squatted(web, fake_cgroup_root):
    """web's instances in their own cgroups, which hold a process of theirs but not the
    sockets of the servers on their ports: those are this test process's, as if another
    app had taken the ports first. Yields the fake systemd's SHOW."""
    instance = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
    show = dict(("shop-web@%d.service" % n, {"ControlGroup": "/system.slice/shop-web@%d.service" % n})
                for n in (1, 2, 3))
    fake_cgroups(fake_cgroup_root, dict((p["ControlGroup"], [instance.pid]) for p in show.values()))
    yield show
    instance.kill()
    instance.wait()


def squat_message(unit, port):
    """The start of the reason a squatted port fails, up to the squatter's command and
    unit (which depend on how this test runs)."""
    return "port %d is not %s's: PID %d (" % (port, unit, os.getpid())


def test_a_port_another_process_listens_on_fails_whatever_it_answers(web, squatted):
    found = check_now("shop", web, {"web": [1, 2, 3]}, {"web": CHECK}, show=squatted)
    # web@1's port answers 200, from a process not in its unit: not trusted.
    ok, why = found["shop-web@1.service"]
    assert not ok and why.startswith(squat_message("shop-web@1.service", web + 1)), why
    assert why.endswith(") listens on it")
    ok, why = found["shop-web@2.service"]
    assert not ok and why.startswith(squat_message("shop-web@2.service", web + 2)), why
    # Nobody listens on web@3's port: not answering yet, as ever, and nobody to name.
    ok, why = found["shop-web@3.service"]
    assert not ok and "listens on it" not in why


def test_a_unit_that_runs_nothing_owns_no_port(web):
    """An instance that crash loops has no process (an empty ControlGroup) between two
    starts: whoever listens on its port is someone else."""
    show = {"shop-web@1.service": {"ControlGroup": ""}}
    ok, why = check_now("shop", web, {"web": [1]}, {"web": CHECK}, show=show)["shop-web@1.service"]
    assert not ok and why.startswith(squat_message("shop-web@1.service", web + 1)), why


def test_the_tables_are_read_once_per_round_and_systemd_asked_once(web, monkeypatch):
    reads = []

    def read_tables(proc="/proc"):
        reads.append(proc)
        return real_read_tables(proc)

    real_read_tables = listeners.read_tables
    monkeypatch.setattr(listeners, "read_tables", read_tables)
    module = FakeSystemd({})
    calls = []
    real_run = module.run_command

    def run_command(argv, check_rc=False):
        calls.append(argv[1:])
        return real_run(argv, check_rc)

    module.run_command = run_command
    found = health.check_now(Systemctl(module), "shop", web, {"web": [1, 2, 3]}, {"web": CHECK})
    assert found["shop-web@1.service"] == (True, None)
    assert len(reads) == 1
    # Only the units whose port has a listener (web@3's has none), in one call.
    assert calls == [["show", "--property=Id,ControlGroup", "--", "shop-web@1.service",
                      "shop-web@2.service"]]


def test_a_deploy_s_check_fails_naming_the_instance_the_port_and_the_squatter(web, squatted):
    checks = {"web": dict(CHECK, timeout=1)}
    healthy, unhealthy, message = health.wait_healthy(FakeSystemd({}, show=squatted), "shop", web,
                                                      {"web": [1]}, checks)
    assert healthy == [] and [u["unit"] for u in unhealthy] == ["shop-web@1.service"]
    assert "shop-web@1.service (http://127.0.0.1:%d/up): %s" % (
        web + 1, squat_message("shop-web@1.service", web + 1)) in message, message


def test_a_deploy_s_check_passes_on_the_instance_s_own_port(web):
    healthy, unhealthy, message = health.wait_healthy(FakeSystemd({}), "shop", web, {"web": [1]},
                                                      {"web": CHECK})
    assert message is None and unhealthy == []
    assert [(h["unit"], h["status"]) for h in healthy] == [("shop-web@1.service", 200)]


class Dribbler(object):
    """A server on 127.0.0.1 that answers every connection four bytes a second, each well
    within any per-read timeout of a probe: a whole answer would take ten minutes. `hung_up` is set when a client has gone (a send
    failed)."""

    def __init__(self):
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(5)
        self.port = self.listener.getsockname()[1]
        self.stop = threading.Event()
        self.hung_up = threading.Event()
        threading.Thread(target=self.serve, daemon=True).start()

    def serve(self):
        while not self.stop.is_set():
            try:
                conn, _addr = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self.dribble, args=(conn,), daemon=True).start()

    def dribble(self, conn):
        answer = b"HTTP/1.0 200 OK\r\n" + b"X-Slow: " + b"x" * 2370 + b"\r\n\r\n"
        try:
            for byte in answer:
                conn.sendall(bytes([byte]))
                # Waits on the event, not a sleep: the fixture's end stops it at once.
                if self.stop.wait(0.25):
                    break
        except OSError:
            self.hung_up.set()
        finally:
            conn.close()

    def close(self):
        self.stop.set()
        self.listener.close()


@pytest.fixture(name="dribbler")
def fixture_dribbler():
    server = Dribbler()
    yield server
    server.close()


def test_a_probe_gives_up_on_an_endpoint_that_answers_byte_by_byte(dribbler):
    """Each byte comes well within a per-read timeout; the probe still returns once its
    budget is spent, long before the answer would end. The bound is generous: a loaded
    machine is no failure, an answer that takes 600 s is."""
    started = time.monotonic()
    status, error = health.probe("http://127.0.0.1:%d/" % dribbler.port, 1.0)
    assert status is None and error == "no complete answer in 1s"
    assert time.monotonic() - started < 30
    # And the request abandoned is over: its socket closed, not read for ten minutes.
    assert dribbler.hung_up.wait(60)


def test_a_deploy_s_check_is_over_at_its_timeout_against_a_dribbling_endpoint(dribbler):
    started = time.monotonic()
    healthy, unhealthy, message = health.wait_healthy(
        FakeSystemd({}), "shop", dribbler.port - 1, {"web": [1]}, {"web": dict(CHECK, timeout=1)})
    # The budget of the last probe is what was left of the check's timeout.
    assert healthy == [] and len(unhealthy) == 1
    assert unhealthy[0]["error"].startswith("no complete answer in "), unhealthy
    assert "shop-web@1.service" in message
    assert time.monotonic() - started < 30
