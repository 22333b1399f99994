"""The collection on every ansible-core minor it supports: unit tests and a real deploy.

    python3 tests/ansible-versions/run.py [VERSION ...]      (make test-ansible-versions)

Per version (default: every requirements-<version>.txt here):
  - a virtualenv .cache/ansible-<version> with exactly the pins of that file, made with
    the Python its first line names (`# python: 3.12`); rebuilt when the file changes;
  - the unit tests (tests/unit, tests/functional) under that version;
  - ansible-test sanity, on the versions --sanity names (default 2.16 and 2.21);
  - on a sandbox server of its own (compat-<version>, private network) a deploy of
    tests/ansible-versions/app: first deploy, a second run with changed=0, --check --diff
    after the converge (no change) and with a count changed (the change is reported, the
    host is left alone), scale worker 1 -> 3 -> 1, pause, resume and status, each checked
    on the server with systemctl and journalctl.
Versions run side by side (--jobs); servers are destroyed at the end, also on failure.
Each version's full output goes to .cache/ansible-versions/<version>.log.
"""

import argparse
import concurrent.futures
import glob
import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
CACHE = ROOT / ".cache"
LOGS = CACHE / "ansible-versions"
COLLECTIONS = CACHE / "collections"
SANDBOX = [sys.executable, str(ROOT / "tools" / "sandbox.py")]
APP = "vm"
# Generous: the machine has two cores and other tests may run beside these.
DEADLINE = 120.0
PRINT_LOCK = threading.Lock()
# The commands running now (each in a process group of its own), and whether the run is
# being stopped: then they are ended and no new one starts.
RUNNING = set()
STOPPING = threading.Event()
# ansible-test sanity by default on the oldest and the newest version only (make test runs
# it on the pinned 2.19): its rules change most between those ends (2.16 still has the
# Python 2 boilerplate checks, 2.21 the newest pylint and validate-modules), and each
# version's run costs 1-3 minutes of a two-core machine, more on a fresh one.
SANITY = ("2.16", "2.21")


class Failed(Exception):
    """A check failed; the message says which and what was seen."""


def say(version, text):
    with PRINT_LOCK:
        print("[%s] %s" % (version, text), flush=True)


def versions_available():
    found = [p.name[len("requirements-"):-len(".txt")] for p in HERE.glob("requirements-*.txt")]
    return sorted(found, key=lambda v: tuple(int(x) for x in v.split(".")))


def wanted_python(requirements):
    match = re.match(r"#\s*python:\s*(\d+\.\d+)", requirements.read_text().splitlines()[0])
    return match.group(1) if match else "%d.%d" % sys.version_info[:2]


def find_python(minor):
    """An interpreter of Python MINOR: this one, a pyenv install, or one on PATH."""
    if "%d.%d" % sys.version_info[:2] == minor:
        # The interpreter itself, not the virtualenv (.venv) this may run in.
        return os.path.realpath(sys.executable)
    candidates = []
    if shutil.which("pyenv"):
        root = subprocess.run(["pyenv", "root"], capture_output=True, text=True, check=False).stdout.strip()
        # Called directly: the pyenv shim refuses to run a version that is not selected.
        candidates += sorted(glob.glob("%s/versions/%s.*/bin/python%s" % (root, minor, minor)), reverse=True)
    candidates += [p for p in (shutil.which("python" + minor),) if p]
    for candidate in candidates:
        res = subprocess.run([candidate, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
                             capture_output=True, text=True, check=False)
        if res.returncode == 0 and res.stdout.strip() == minor:
            return candidate
    raise Failed("no Python %s found (pyenv or PATH)" % minor)


class Version:
    """One ansible-core minor: its virtualenv, log, sandbox server and inventory."""

    def __init__(self, version):
        self.version = version
        self.requirements = HERE / ("requirements-%s.txt" % version)
        self.venv = CACHE / ("ansible-" + version)
        self.server = "compat-" + version.replace(".", "")
        self.log_path = LOGS / ("%s.log" % version)
        self.inventory = LOGS / ("%s-inventory.yml" % version)
        self.status_file = LOGS / ("%s-status.json" % version)
        self.log = None
        self.step_started = 0.0
        self.with_sanity = False

    # ------------------------------------------------------------------ plumbing

    def run(self, cmd, env=None, check=True, cwd=ROOT, when_stopping=False):
        """Run CMD, its output into the log; return (returncode, output)."""
        if STOPPING.is_set() and not when_stopping:
            raise Failed("stopped")
        self.log.write("\n%s $ %s\n" % (time.strftime("%H:%M:%S"), " ".join(str(c) for c in cmd)))
        self.log.flush()
        # No stdin: ssh makes a shared one non-blocking, which ansible-core 2.16 refuses.
        # A session of its own: stopping the run ends the command and all its children.
        proc = subprocess.Popen([str(c) for c in cmd], cwd=str(cwd), env=env, stdin=subprocess.DEVNULL,
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                start_new_session=True)
        RUNNING.add(proc)
        if STOPPING.is_set() and not when_stopping:
            os.killpg(proc.pid, signal.SIGTERM)  # started while the run was being stopped
        try:
            out = proc.communicate()[0]
        finally:
            RUNNING.discard(proc)
        self.log.write(out)
        self.log.write("[exit %d]\n" % proc.returncode)
        self.log.flush()
        if check and proc.returncode != 0:
            raise Failed("%s exited %d" % (Path(str(cmd[0])).name, proc.returncode))
        return proc.returncode, out

    def env(self):
        env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(COLLECTIONS),
                   ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"), ANSIBLE_NOCOLOR="1",
                   ANSIBLE_FORCE_COLOR="0", PY_COLORS="0")
        env["PATH"] = "%s:%s" % (self.venv / "bin", env.get("PATH", ""))
        env.pop("VIRTUAL_ENV", None)
        return env

    def ensure_venv(self):
        python = find_python(wanted_python(self.requirements))
        stamp = self.venv / ".installed"
        want = "%s %s\n" % (hashlib.sha256(self.requirements.read_bytes()).hexdigest(), python)
        if stamp.exists() and stamp.read_text() == want:
            return "reused"
        self.run([python, "-m", "venv", "--clear", self.venv])
        self.run([self.venv / "bin" / "pip", "install", "-q", "--disable-pip-version-check",
                  "-r", self.requirements])
        stamp.write_text(want)
        return "built with " + python

    def ssh(self, command):
        return self.run(SANDBOX + ["ssh", self.server, command], check=False)

    def playbook(self, *args):
        """ansible-playbook playbooks/deploy.yml ARGS; returns (per-host recap, output)."""
        cmd = [self.venv / "bin" / "ansible-playbook", "-i", self.inventory,
               ROOT / "playbooks" / "deploy.yml", "-e", "@%s" % (HERE / "vars.yml"),
               "-e", "procfile_source=%s" % (HERE / "app"), *args]
        rc, out = self.run(cmd, env=self.env(), check=False)
        recap = recap_counts(out)
        if rc != 0 or self.server not in recap or recap[self.server]["failed"] or recap[self.server]["unreachable"]:
            raise Failed("ansible-playbook %s failed (exit %d)" % (" ".join(args) or "(deploy)", rc))
        # A warning or deprecation on one version only is a construct that version treats
        # differently: the same content runs without either on all of them.
        warning = re.search(r"^\[(DEPRECATION )?WARNING\].*", out, re.M)
        expect(not warning, "ansible-playbook %s warned: %s" % (" ".join(args), warning and warning.group(0)))
        return recap[self.server], out

    # ------------------------------------------------------------------ checks on the server

    def units(self, pattern, state="running"):
        rc, out = self.ssh("systemctl list-units --plain --no-legend --state=%s '%s'" % (state, pattern))
        if rc != 0:
            raise Failed("systemctl list-units failed on %s" % self.server)
        return sorted(line.split()[0] for line in out.splitlines() if line.strip())

    def wait_for(self, what, predicate):
        """Poll PREDICATE until it returns something other than None or False."""
        deadline = time.monotonic() + DEADLINE
        while True:
            value = predicate()
            if value is not None and value is not False:
                return value
            if time.monotonic() > deadline:
                raise Failed("timed out waiting for %s" % what)
            time.sleep(1.0)

    def expect_running(self, web, worker):
        def counts():
            running = self.units("%s-*@*.service" % APP)
            have = (len([u for u in running if u.startswith(APP + "-web@")]),
                    len([u for u in running if u.startswith(APP + "-worker@")]))
            return running if have == (web, worker) and len(running) == web + worker else None
        return self.wait_for("web=%d worker=%d running instances" % (web, worker), counts)

    def files(self):
        """Checksums of the app's units, environment, state and enablement links."""
        rc, out = self.ssh("cd / && find etc/systemd/system etc/procfile-systemd var/lib/procfile-systemd"
                           " -path '*%s*' \\( -type f -o -type l \\) | sort | xargs -r md5sum" % APP)
        if rc != 0 or "%s-web@.service" % APP not in out:
            raise Failed("could not read the app's files on %s" % self.server)
        return out

    def enabled(self, unit):
        rc, out = self.ssh("systemctl is-enabled %s" % unit)
        return out.strip().splitlines()[-1] if out.strip() else "rc=%d" % rc

    # ------------------------------------------------------------------ the scenario

    def unit_tests(self):
        self.run([self.venv / "bin" / "pytest", "-q", "-p", "no:cacheprovider", "tests/unit",
                  "tests/functional"], env=self.env())

    def sanity(self):
        env = dict(self.env(), ANSIBLE_TEST_VENV=str(self.venv))
        self.run([ROOT / "tools" / "ansible_test_bootstrap.sh"], env=env)
        self.run([ROOT / "tools" / "sanity.sh"], env=env)

    def deploy_scenario(self):
        step = self.step
        self.run(SANDBOX + ["inventory", self.server, "-o", self.inventory])

        recap = self.playbook("-e", "worker_count=1")[0]
        expect(recap["changed"] > 0, "the first deploy reported changed=%d" % recap["changed"])
        before = self.expect_running(1, 1)
        # {{UNIQUE_INT}} became the instance number and '{{ not_a_variable }}' stayed text.
        self.wait_for("the worker's and the release's lines in the journal", lambda: bool(re.search(
            r"worker \d+ '\{\{ not_a_variable \}\}'",
            self.ssh("journalctl --no-pager -o cat -u '%s-worker@*.service'" % APP)[1])
            and "release 0" in self.ssh("journalctl --no-pager -o cat -u %s-release.service" % APP)[1]) or None)
        step("deploy: web and worker running, {{UNIQUE_INT}} and {{ }} in commands kept as text")

        recap = self.playbook("-e", "worker_count=1")[0]
        expect(recap["changed"] == 0, "the second run reported changed=%d" % recap["changed"])
        step("idempotence: second run changed=0")

        recap = self.playbook("--check", "--diff", "-e", "worker_count=1")[0]
        expect(recap["changed"] == 0, "--check after the converge reported changed=%d" % recap["changed"])
        files = self.files()
        recap, out = self.playbook("--check", "--diff", "-e", "worker_count=3")
        expect(recap["changed"] > 0, "--check with worker_count=3 reported changed=0")
        expect(re.search(r"^\+worker: \d+ \d+ \d+ ", out, re.M),
               "--check --diff with worker_count=3 shows no diff of three workers")
        expect(self.expect_running(1, 1) == before, "--check changed the instances")
        expect(self.files() == files, "--check changed a file of the app on the host")
        step("--check --diff: no change after the converge; a count change reported, host untouched")

        self.playbook("-e", "worker_count=3")
        self.expect_running(1, 3)
        recap = self.playbook("-e", "worker_count=1")[0]
        expect(recap["changed"] > 0, "scaling 3 -> 1 reported changed=0")
        before = self.expect_running(1, 1)
        step("scale: worker 1 -> 3 -> 1")

        recap = self.playbook("--tags", "pause")[0]
        expect(recap["changed"] > 0, "pause reported changed=0")
        self.expect_running(0, 0)
        expect(all(self.enabled(u) == "disabled" for u in before), "pause left an instance enabled")
        recap = self.playbook("--tags", "resume")[0]
        expect(recap["changed"] > 0, "resume reported changed=0")
        expect(self.expect_running(1, 1) == before, "resume brought back other instances than %s" % before)
        expect(all(self.enabled(u) == "enabled" for u in before), "resume left an instance disabled")
        step("pause and resume: the same instances stopped, disabled, then back")

        if self.status_file.exists():
            self.status_file.unlink()
        recap, out = self.playbook("--tags", "status", "-e", "procfile_status_file=%s" % self.status_file)
        expect(recap["changed"] == 0, "status reported changed=%d" % recap["changed"])
        # One table for every host, with a HOST column: "<server> web 1 1".
        row = r"^\s*%s\s+%s\s+1\s+1\s*$"
        expect(re.search(row % (re.escape(self.server), "web"), out, re.M)
               and re.search(row % (re.escape(self.server), "worker"), out, re.M),
               "the status table does not show web and worker 1 wanted, 1 running on %s" % self.server)
        status = json.loads(self.status_file.read_text())[self.server]
        expect(sorted(r["unit"] for r in status["instances"]) == before
               and all(r["state"] == "active" for r in status["instances"]),
               "the status file does not list the running instances: %s" % status["instances"])
        step("status: table and JSON file show the running instances")

    def step(self, text):
        say(self.version, "ok   %s (%ds)" % (text, time.monotonic() - self.step_started))
        self.step_started = time.monotonic()

    def main(self):
        LOGS.mkdir(parents=True, exist_ok=True)
        started = self.step_started = time.monotonic()
        with open(self.log_path, "w", encoding="utf-8") as self.log:
            try:
                how = self.ensure_venv()
                _rc, out = self.run([self.venv / "bin" / "ansible", "--version"], env=self.env())
                # Its "ansible [core X.Y.Z]" line: a Python warning may come first (2.19 and
                # later with cryptography 51 warn that DSA is deprecated, on every command).
                line = re.search(r"^ansible \[core .*$", out, re.M)
                self.step("virtualenv %s: %s" % (how, line.group(0) if line else out.splitlines()[0]))
                self.unit_tests()
                self.step("unit tests")
                if self.with_sanity:
                    self.sanity()
                    self.step("ansible-test sanity")
                self.deploy_scenario()
            except Failed as exc:
                if STOPPING.is_set():
                    say(self.version, "stopped")
                    return False
                say(self.version, "FAIL %s; the log (%s) ends with:" % (exc, self.log_path))
                self.log.flush()
                tail = "".join(self.log_path.read_text().splitlines(True)[-60:])
                # Repeated after the summary: a CI log often keeps only its last lines, and
                # the other versions' progress would bury this.
                self.failure = "[%s] FAIL %s; the log ends with:\n%s" % (self.version, exc, tail[-4000:])
                with PRINT_LOCK:
                    print(tail, flush=True)
                return False
            finally:
                self.run(SANDBOX + ["down", self.server], check=False, when_stopping=True)
        say(self.version, "passed in %ds" % (time.monotonic() - started))
        return True


def expect(condition, message):
    if not condition:
        raise Failed(message)


def recap_counts(output):
    """{host: {ok, changed, unreachable, failed, ...}} from the PLAY RECAP of OUTPUT."""
    recap = output.rpartition("PLAY RECAP")[2]
    return dict((m.group(1), dict((k, int(v)) for k, v in re.findall(r"(\w+)=(\d+)", m.group(2))))
                for m in re.finditer(r"^(\S+)\s+:\s+(ok=.*)$", recap, re.M))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("versions", nargs="*", help="ansible-core minors (default: all)")
    # All at once by default: most of a version's time is spent waiting (SSH, systemd, the
    # functional tests' servers), so on two cores five side by side take about as long as two.
    parser.add_argument("--jobs", type=int, default=int(os.environ.get("ANSIBLE_VERSIONS_JOBS", "0")),
                        help="versions at a time (default all, or $ANSIBLE_VERSIONS_JOBS)")
    parser.add_argument("--sanity", default=os.environ.get("ANSIBLE_VERSIONS_SANITY", ",".join(SANITY)),
                        help="versions that also run ansible-test sanity: a comma-separated list, "
                             "'all' or 'none' (default %s, or $ANSIBLE_VERSIONS_SANITY)" % ",".join(SANITY))
    args = parser.parse_args()
    versions = args.versions or versions_available()
    sanity = versions if args.sanity == "all" else [] if args.sanity == "none" else args.sanity.split(",")
    unknown = sorted(set(versions) - set(versions_available()))
    if unknown:
        parser.error("no tests/ansible-versions/requirements-<version>.txt for %s" % ", ".join(unknown))
    link = COLLECTIONS / "ansible_collections" / "procfile" / "systemd"
    if not link.is_symlink():
        link.parent.mkdir(parents=True, exist_ok=True)
        link.symlink_to(ROOT, target_is_directory=True)

    # make or CI stopping us: unwind through the finally blocks, which destroy the servers.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    started = time.monotonic()
    jobs = [Version(v) for v in versions]
    for job in jobs:
        job.with_sanity = job.version in sanity
    servers = [job.server for job in jobs]
    results = {}
    pool = concurrent.futures.ThreadPoolExecutor(max_workers=args.jobs if args.jobs > 0 else len(jobs))
    try:
        # All servers from here, one after the other: sandbox.py sets up (and, at the last
        # private server's `down`, removes) a shared network hub, which two of its
        # processes at once could race on. A leftover of an interrupted run goes first.
        subprocess.run(SANDBOX + ["down"] + servers, stdin=subprocess.DEVNULL, capture_output=True, check=False)
        subprocess.run(SANDBOX + ["up", "--network", "private"] + servers, stdin=subprocess.DEVNULL, check=True)
        futures = dict((pool.submit(job.main), job.version) for job in jobs)
        for future in concurrent.futures.as_completed(futures):
            results[futures[future]] = future.result()
    finally:
        STOPPING.set()
        for proc in list(RUNNING):
            try:
                os.killpg(proc.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        pool.shutdown(wait=True, cancel_futures=True)
        # Whatever state the threads are in: no server of ours outlives this run.
        subprocess.run(SANDBOX + ["down"] + servers, stdin=subprocess.DEVNULL, capture_output=True, check=False)
    failed = [v for v in versions if not results.get(v)]
    for job in jobs:
        if job.version in failed and getattr(job, "failure", None):
            print("\n" + job.failure, flush=True)
    print("ansible-core %s: %s in %ds" % (", ".join(versions), "FAILED on " + ", ".join(failed) if failed else "all passed",
                                          time.monotonic() - started), flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
