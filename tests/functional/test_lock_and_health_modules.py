"""procfile_lock and procfile_health run through Ansible on this machine."""

import http.server
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def module(name, args, check=True):
    env = dict(os.environ, ANSIBLE_CALLBACK_RESULT_FORMAT="json", ANSIBLE_LOCALHOST_WARNING="false",
               ANSIBLE_INVENTORY_UNPARSED_WARNING="false", ANSIBLE_PYTHON_INTERPRETER=sys.executable,
               ANSIBLE_NOCOLOR="1")
    res = subprocess.run([str(BIN / "ansible"), "localhost", "-i", "localhost,", "-c", "local",
                          "-m", "procfile.systemd." + name, "-a", json.dumps(args)],
                         capture_output=True, text=True, env=env, cwd=ROOT, check=False)
    body = res.stdout.partition(" => ")[2]
    assert body, res.stdout + res.stderr
    result = json.loads(body)
    # Warnings are printed by the callback, not kept in the result.
    result["output"] = res.stdout + res.stderr
    if check:
        assert res.returncode == 0, res.stdout + res.stderr
    return res.returncode, result


def result_of(name, args):
    return module(name, args)[1]


def owner(pid):
    return {"token": "ctl:boot:%d:1" % pid, "controller": "ctl", "user": "root", "pid": pid}


def test_lock_taken_refused_to_another_run_taken_over_and_given_back(tmp_path):
    args = {"app": "shop", "lock_dir": str(tmp_path)}
    first = result_of("procfile_lock", dict(args, lock_owner=owner(1)))
    assert first["acquired"] and not first["changed"]
    second = result_of("procfile_lock", dict(args, lock_owner=owner(2)))
    assert not second["acquired"]
    assert second["holder"]["token"] == owner(1)["token"]
    assert "ansible-playbook pid 1 of root on controller ctl" in second["holder_description"]
    waited = result_of("procfile_lock", dict(args, lock_owner=owner(2), lock_wait=1))
    assert not waited["acquired"]
    taken = result_of("procfile_lock", dict(args, lock_owner=owner(2), lock_steal=owner(1)["token"]))
    assert taken["acquired"] and taken["took_over_from"]["pid"] == 1
    assert "took over the lock of app 'shop'" in taken["output"]
    released_by_other = result_of("procfile_lock", dict(args, lock_owner=owner(1), state="absent"))
    assert not released_by_other["changed"]
    released = result_of("procfile_lock", dict(args, lock_owner=owner(2), state="absent"))
    assert released["changed"] and not (tmp_path / "shop.lock").exists()


def released_after_the_waiter_saw_it_held(tmp_path, wait):
    """procfile_lock with WAIT, for a lock given back just after the module found it held.

    The lease file is a FIFO: the module's first read of it blocks until this test opens
    the other end, so the test knows that the module is looking, and the moment. The
    module reads owner 1's lease through it; the FIFO is gone by then (the lock is free)
    and never read again. No duration is compared: what the module saw is counted, so a
    slow machine cannot decide the outcome.
    """
    path = tmp_path / "shop.lock"
    os.mkfifo(path, 0o600)
    env = dict(os.environ, ANSIBLE_CALLBACK_RESULT_FORMAT="json", ANSIBLE_LOCALHOST_WARNING="false",
               ANSIBLE_PYTHON_INTERPRETER=sys.executable, ANSIBLE_NOCOLOR="1")
    waiter = subprocess.Popen(
        [str(BIN / "ansible"), "localhost", "-i", "localhost,", "-c", "local",
         "-m", "procfile.systemd.procfile_lock", "-a",
         json.dumps({"app": "shop", "lock_dir": str(tmp_path), "lock_owner": owner(2), "lock_wait": wait})],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env, cwd=ROOT)
    try:
        deadline = time.monotonic() + 300
        while True:
            try:
                # Succeeds only once a reader (the module) has the FIFO open.
                fd = os.open(path, os.O_WRONLY | os.O_NONBLOCK)
                break
            except OSError:
                assert waiter.poll() is None and time.monotonic() < deadline, waiter.communicate()
                time.sleep(0.05)
        # Free from now on: the module's next look finds no lease.
        os.unlink(path)
        os.write(fd, json.dumps(dict(owner(1), acquired_at=int(time.time()), nonce="1" * 16)).encode())
        os.close(fd)
        out = waiter.communicate(timeout=300)[0]
    finally:
        if waiter.poll() is None:
            waiter.kill()
            waiter.wait()
    assert waiter.returncode == 0, out
    return json.loads(out.partition(" => ")[2])


def test_a_waiting_run_takes_the_lock_given_back_while_it_waits(tmp_path):
    result = released_after_the_waiter_saw_it_held(tmp_path, wait=600)
    assert result["acquired"] and result["lock"]["token"] == owner(2)["token"]
    assert json.loads((tmp_path / "shop.lock").read_text())["token"] == owner(2)["token"]


def test_a_run_that_does_not_wait_is_refused_at_its_one_look(tmp_path):
    result = released_after_the_waiter_saw_it_held(tmp_path, wait=0)
    assert not result["acquired"] and result["holder"]["token"] == owner(1)["token"]
    assert not (tmp_path / "shop.lock").exists()


# `systemctl show` of a host whose instance units all run in the cgroup CGROUP (the
# health checks ask it for the units' ControlGroup, to know whose their ports are).
FAKE_SYSTEMCTL = """#!/bin/sh
[ "$1" = show ] || exit 0
while [ "$1" != -- ]; do shift; done
shift
for unit in "$@"; do
    [ "$unit" = "$1" ] || echo
    printf 'Id=%s\\nActiveState=active\\nSubState=running\\nNRestarts=0\\nControlGroup=%s\\n' "$unit" CGROUP
done
"""


class Units:
    """A real cgroup standing for the instance units' (the fake systemctl first on PATH
    says they all run in it): a socket that a process in it holds is theirs. There is
    no systemd here, so the test process starts that process, which only holds the
    listening socket of a server of this process (as a forked worker would), and moves
    it into the cgroup."""

    def __init__(self, tmp_path, monkeypatch):
        root = Path("/sys/fs/cgroup")
        # Where the health checks look for a unit's cgroup: the hybrid host's unified
        # tree, else a cgroup v2 root.
        base = root / "unified" if (root / "unified" / "cgroup.procs").exists() else root
        self.cgroup = "/procfile-functional-%d" % os.getpid()
        self.path = base / self.cgroup.strip("/")
        try:
            self.path.mkdir()
        except OSError as exc:
            pytest.skip("cannot make a cgroup here (%s): the units' cgroup is needed" % exc)
        self.holders = []
        bin_dir = tmp_path / "bin"
        bin_dir.mkdir()
        systemctl = bin_dir / "systemctl"
        systemctl.write_text(FAKE_SYSTEMCTL.replace("CGROUP", self.cgroup))
        systemctl.chmod(0o755)
        monkeypatch.setenv("PATH", "%s:%s" % (bin_dir, os.environ["PATH"]))

    def own(self, server):
        """SERVER's port is the units' from now on."""
        holder = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"],
                                  pass_fds=[server.socket.fileno()])
        self.holders.append(holder)
        try:
            (self.path / "cgroup.procs").write_text(str(holder.pid))
        except OSError as exc:
            pytest.skip("cannot move a process into a cgroup here (%s)" % exc)

    def close(self):
        for holder in self.holders:
            holder.kill()
            holder.wait()
        # Empty once its processes are reaped; the kernel may take a moment to say so.
        deadline = time.monotonic() + 60
        while True:
            try:
                self.path.rmdir()
                return
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)


@pytest.fixture(name="units")
def fixture_units(tmp_path, monkeypatch):
    units = Units(tmp_path, monkeypatch)
    yield units
    units.close()


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response({"/ok": 200, "/moved": 302, "/bad": 500}.get(self.path, 404))
        self.send_header("Location", "http://192.0.2.1/")
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture(name="server")
def fixture_server(units):
    """The port of a server that is the units' (see Units)."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    units.own(server)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


def test_health_passes_on_2xx_and_3xx_without_following_redirects(server):
    base = server - 1
    result = result_of("procfile_health", {"app": "shop", "base_port": base, "instances": {"web": [1]},
                                           "checks": {"web": {"path": "/ok", "timeout": 5}}})
    assert [h["status"] for h in result["healthy"]] == [200]
    result = result_of("procfile_health", {"app": "shop", "base_port": base, "instances": {"web": [1]},
                                           "checks": {"web": {"path": "/moved", "timeout": 5}}})
    assert [h["status"] for h in result["healthy"]] == [302]


def test_health_fails_after_the_timeout_naming_instance_url_and_answer(server):
    base = server - 1
    started = time.monotonic()
    rc, result = module("procfile_health", {"app": "shop", "base_port": base,
                                            "instances": {"web": [1], "worker": [2]},
                                            "checks": {"web": {"path": "/bad", "timeout": 2}}},
                        check=False)
    # It kept trying for its whole timeout (a lower bound only: how much longer a loaded
    # machine takes is no failure).
    assert rc != 0 and time.monotonic() - started >= 2
    assert "shop-web@1.service (http://127.0.0.1:%d/bad): HTTP status 500" % server in result["msg"]
    assert [u["unit"] for u in result["unhealthy"]] == ["shop-web@1.service"]


def test_health_wants_an_exact_status_when_given(server):
    rc, result = module("procfile_health", {"app": "shop", "base_port": server - 1,
                                            "instances": {"web": [1]},
                                            "checks": {"web": {"path": "/moved", "timeout": 1, "status": 200}}},
                        check=False)
    assert rc != 0 and "HTTP status 302" in result["msg"]


def test_health_fails_on_a_port_another_process_listens_on(units):
    """The server answers 200, but it is this test process's, not the units' (no
    process of their cgroup holds it): the check fails, naming the process."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        port = server.server_address[1]
        rc, result = module("procfile_health", {"app": "shop", "base_port": port - 1,
                                                "instances": {"web": [1]},
                                                "checks": {"web": {"path": "/ok", "timeout": 1}}},
                            check=False)
    finally:
        server.shutdown()
        server.server_close()
    assert rc != 0
    assert "shop-web@1.service (http://127.0.0.1:%d/ok): port %d is not shop-web@1.service's: " \
           "PID %d (" % (port, port, os.getpid()) in result["msg"], result["msg"]


def test_health_retries_until_the_instance_answers(units):
    # The first two connections are dropped without an answer, as by an app that is still
    # starting. Counting connections, not sleeping, keeps the test independent of how
    # long Ansible takes to start the module on a busy machine.
    connections = []

    class Starting(http.server.ThreadingHTTPServer):
        def verify_request(self, request, client_address):
            connections.append(client_address)
            return len(connections) > 2

    server = Starting(("127.0.0.1", 0), Handler)
    units.own(server)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        port = server.server_address[1]
        result = result_of("procfile_health", {"app": "shop", "base_port": port - 3,
                                               "instances": {"web": [3]},
                                               "checks": {"web": {"path": "/ok", "timeout": 20}}})
    finally:
        server.shutdown()
        server.server_close()
    assert len(connections) == 3
    # Two failed probes, each followed by the module's half-second pause.
    assert result["healthy"][0]["seconds"] >= 1


def test_health_star_checks_the_types_not_named_and_null_checks_none(server):
    base = server - 1
    # worker@1 is on the same port (the fixture's server) and would answer 500 on /bad:
    # named with null, it is not probed; web falls under "*".
    result = result_of("procfile_health", {"app": "shop", "base_port": base,
                                           "instances": {"web": [1], "worker": [1]},
                                           "checks": {"*": {"path": "/ok", "timeout": 5},
                                                      "worker": None}})
    assert [h["unit"] for h in result["healthy"]] == ["shop-web@1.service"]
    rc, result = module("procfile_health", {"app": "shop", "base_port": base,
                                            "instances": {"worker": [1]},
                                            "checks": {"*": {"path": "/bad", "timeout": 1}}},
                        check=False)
    assert rc != 0 and "shop-worker@1.service" in result["msg"]
