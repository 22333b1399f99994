"""Helpers shared by the molecule scenarios' tests: run plays again, read systemd state.

Each scenario's tests/conftest.py puts this directory on sys.path and imports from here.
"""

import json
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parents[2]
SCENARIO = Path(os.environ.get("MOLECULE_SCENARIO_DIRECTORY", PROJECT / "molecule" / "default"))
INVENTORY = os.environ.get("MOLECULE_INVENTORY_FILE")
# An inventory directory a scenario adds to molecule's own (its molecule.yml passes it too).
EXTRA_INVENTORIES = [str(SCENARIO / "inventory")] if (SCENARIO / "inventory").is_dir() else []


def ansible_env():
    env = dict(os.environ)
    env["ANSIBLE_COLLECTIONS_PATH"] = str(PROJECT / ".cache" / "collections")
    env["ANSIBLE_NOCOLOR"] = "1"
    env["ANSIBLE_FORCE_COLOR"] = "0"
    cfg = Path(os.environ.get("MOLECULE_EPHEMERAL_DIRECTORY", "/nonexistent")) / "ansible.cfg"
    if cfg.exists():
        env["ANSIBLE_CONFIG"] = str(cfg)
    return env


def inventory_args():
    assert INVENTORY, "run these tests through molecule (MOLECULE_INVENTORY_FILE)"
    args = ["-i", INVENTORY]
    for path in EXTRA_INVENTORIES:
        args += ["-i", path]
    return args


def playbook(play, *args, check=True, environ=None, **extra_vars):
    """Run a play (plays/NAME of the scenario, or a path) against the scenario's hosts.

    ENVIRON: more environment variables for ansible-playbook.
    """
    path = Path(play) if "/" in play else SCENARIO / "plays" / play
    cmd = ["ansible-playbook", *inventory_args(), str(path), *args]
    if extra_vars:
        cmd += ["-e", json.dumps(extra_vars)]
    res = subprocess.run(cmd, capture_output=True, text=True, env=dict(ansible_env(), **(environ or {})),
                         check=False)
    output = res.stdout + res.stderr
    if check:
        assert res.returncode == 0, output[-6000:]
    return res.returncode, output


def adhoc(module, args="", check=True):
    cmd = ["ansible", "all", *inventory_args(), "-m", module]
    if args:
        cmd += ["-a", args]
    res = subprocess.run(cmd, capture_output=True, text=True, env=ansible_env(), check=False)
    if check:
        assert res.returncode == 0, (res.stdout + res.stderr)[-4000:]
    return res


def recap(output):
    """{host: {"ok": n, "changed": n, "unreachable": n, "failed": n, ...}} from the last
    PLAY RECAP of OUTPUT: one entry per host, so that one clean host cannot hide another."""
    assert "PLAY RECAP" in output, output[-3000:]
    counts = {}
    for line in output.rsplit("PLAY RECAP", 1)[1].splitlines():
        host, sep, rest = line.partition(" : ")
        if not sep or "=" not in rest:
            continue
        counts[host.strip()] = dict((k, int(v)) for k, v in
                                    (pair.split("=", 1) for pair in rest.split()))
    assert counts, output[-3000:]
    return counts


def recap_changed(output):
    """The changed= count of a single-host play recap (fails if it has more hosts)."""
    counts = list(recap(output).values())
    if len(counts) != 1:
        raise ValueError("a recap of %d hosts, not one: %s" % (len(counts), output[-2000:]))
    return counts[0]["changed"]


# What a refused or check-mode run must leave exactly as it was: every file the
# collection writes (with its owner, mode and content), the apps' code under /srv, the
# owner and mode of their homes and writable directories, the accounts, and the state
# and main PID of every unit an app owns. The lock's guard files are left out: every run,
# a refused one too, takes their flock, and they hold no state (and so are directory
# sizes, which count entries such as a guard file made for the first time).
SNAPSHOT = (Path(__file__).resolve().parent / "host_snapshot.sh").read_text()


def host_snapshot(host):
    """The collection's whole footprint on HOST (see SNAPSHOT), to compare before/after.

    A unit that systemd has restarted by itself (NRestarts > 0: a crash loop, like the
    hostile corpus's commands that exit) changes its PID and state on its own; of those
    only the load and enabled state count. Every other unit's PID counts: a refused run
    that restarted it would show.
    """
    files, _sep, units = host.check_output("sh -c %s", SNAPSHOT).partition("=== units")
    stable = []
    for block in units.strip().split("\n\n"):
        props_ = dict(line.split("=", 1) for line in block.splitlines() if "=" in line)
        if not props_:
            continue
        if props_.pop("NRestarts", "0") != "0":
            for key in ("ActiveState", "SubState", "MainPID"):
                props_.pop(key, None)
        stable.append(" ".join("%s=%s" % kv for kv in sorted(props_.items())))
    return files + "\n" + "\n".join(sorted(stable))


def props(host, unit, *names):
    out = host.check_output("systemctl show --property=%s -- %s", ",".join(names), unit)
    return dict(line.split("=", 1) for line in out.splitlines() if "=" in line)


def instances(host, app, process_type, state="running"):
    """Instance numbers of APP's TYPE that systemd has in STATE (running/enabled/loaded)."""
    prefix = "%s-%s@" % (app, process_type)
    if state == "enabled":
        out = host.run("ls /etc/systemd/system/%s.target.wants/ 2>/dev/null", app).stdout
        names = out.split()
    else:
        out = host.check_output("systemctl list-units --all --plain --no-legend --full '%s*'",
                                prefix)
        names = [line.split()[0] for line in out.splitlines()
                 if state == "loaded" or line.split()[2:4] == ["active", "running"]]
    return sorted(int(n[len(prefix):-len(".service")]) for n in names
                  if n.startswith(prefix) and n.endswith(".service"))


def wait_for(predicate, timeout=10.0, interval=0.1):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    return predicate()


def prober_lines(text):
    """The lines a prober on the server wrote (molecule/default/files/roll/prober.py and
    proxy_prober.py), which must end with its `end N` line counting them: a prober that
    died or was stopped before the step ended fails the test instead of passing with the
    few lines it wrote."""
    lines = text.splitlines()
    assert lines and lines[-1].startswith("end "), ("no end line: the prober did not run "
                                                    "through the step", lines[-5:])
    assert int(lines[-1].split()[1]) == len(lines) - 1, lines[-5:]
    return lines[:-1]


class ServerProber:
    """A prober that runs on HOST as a transient unit while a step runs: COMMAND (a
    prober of molecule/default/files/ that takes OUT and STOP as its last two arguments)
    writes one line per request or round to OUT until STOP exists, then its `end N` line.

        with ServerProber(host, "roll-prober", "python3 /srv/roll/prober.py 7601,7602",
                          "/tmp/roll-probes") as prober:
            deploy(...)
        rounds = prober.lines()   # at least 20, and the prober ran through the step

    It is probing (its first line written) before the step starts, and stopped by its
    stop file (not killed) after it, so that its last line is its end marker."""

    def __init__(self, host, unit, command, out, stop=None):
        self.host, self.unit, self.command, self.out = host, unit, command, out
        self.stop = stop or out + ".stop"

    def start(self):
        self.host.run("rm -f %s %s", self.out, self.stop)
        self.host.run("systemctl stop %s; systemctl reset-failed %s", self.unit, self.unit)
        self.host.check_output("systemd-run --unit=%s --property=RuntimeMaxSec=900 %s %s %s"
                               % (self.unit, self.command, self.out, self.stop))

    def wait_started(self):
        assert self.host.run("for i in $(seq 600); do [ -s %s ] && exit 0; sleep 0.1; done; "
                             "exit 1", self.out).rc == 0, "%s wrote nothing" % self.unit

    def finish(self):
        self.host.run("touch %s", self.stop)
        self.host.run("for i in $(seq 600); do systemctl is-active -q %s || break; sleep 0.1; "
                      "done; systemctl stop %s; systemctl reset-failed %s",
                      self.unit, self.unit, self.unit)

    def __enter__(self):
        self.start()
        self.wait_started()
        return self

    def __exit__(self, *exc):
        self.finish()

    def lines(self, minimum=20):
        """Its lines (without the end marker), at least MINIMUM of them."""
        lines = prober_lines(self.host.check_output("cat %s", self.out))
        assert len(lines) >= minimum, ("%s: %d lines, fewer than %d" % (self.unit, len(lines), minimum),
                                       lines[-10:])
        return lines


def boot_id(host):
    return host.file("/proc/sys/kernel/random/boot_id").content_string.strip()


def reboot(host):
    """Reboot the scenario's server and wait until its boot is over. The boot id must
    change: a test that claims "after a reboot" fails when no reboot happened."""
    before = boot_id(host)
    adhoc("ansible.builtin.reboot", "reboot_timeout=120")
    assert boot_id(host) != before, "the server did not reboot"
    # running or degraded, once every boot job has run (rc is not the point here).
    host.run("systemctl is-system-running --wait")


@pytest.fixture
def shop_pids(host):
    """MainPID of every running shop instance."""
    def read():
        units = host.check_output(
            "systemctl list-units --plain --no-legend --full 'shop-web@*' 'shop-worker@*' "
            "'shop-scheduler@*' | awk '{print $1}'").split()
        return dict((u, props(host, u, "MainPID")["MainPID"]) for u in units)
    return read


SANDBOX = PROJECT / "tools" / "sandbox.py"


def sandbox(*args):
    res = subprocess.run(["python3", str(SANDBOX), *args], capture_output=True, text=True,
                         check=False)
    assert res.returncode == 0, res.stdout + res.stderr
    return res.stdout


def address(name):
    return json.loads(sandbox("info", name))["address"]


@pytest.fixture(scope="session")
def fleet():
    """{name: testinfra host} for every server of the scenario, for fleet-wide tests."""
    import testinfra  # pylint: disable=import-outside-toplevel
    out = subprocess.run(["ansible-inventory", *inventory_args(), "--list"], capture_output=True,
                         text=True, env=ansible_env(), check=True).stdout
    names = sorted(json.loads(out)["_meta"]["hostvars"])
    return dict((name, testinfra.get_host("ansible://" + name, ansible_inventory=INVENTORY))
                for name in names)


def background_playbook(play, *args, **extra_vars):
    """Start a play without waiting; its own process group, so a test can SIGKILL the run."""
    path = Path(play) if "/" in play else SCENARIO / "plays" / play
    cmd = ["ansible-playbook", *inventory_args(), str(path), *args]
    if extra_vars:
        cmd += ["-e", json.dumps(extra_vars)]
    return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            env=ansible_env(), start_new_session=True)


def kill_run(proc):
    """SIGKILL the whole run: ansible-playbook, its workers and their ssh connections."""
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(30)
    return proc.stdout.read()
