"""Run the README's commands as printed: `make test-readme`.

From the README's section "Use it on your servers" it takes the `ansible.cfg` and the
`inventory.yml` a user writes, and every command line of its `sh` blocks: the build and
install of the collection, then deploy, scale, status, logs, pause, resume, restart, run
and remove.
In a fresh project directory it writes that ansible.cfg and the inventory, adapted to a
sandbox server (its first host becomes the server, the other hosts go, the server also
runs one worker, and `vault_redis_url` gets a value), and an app in `./app`. Then it
runs each command through bash exactly as printed (the only change: the clone's path
`~/src/procfile.systemd` becomes this tree) and checks on the server what it promises.

  .venv/bin/python tests/readme/run.py             boot sandbox server `readme`, run, destroy it
  .venv/bin/python tests/readme/run.py --keep      leave the server up afterwards (to look around)
  .venv/bin/python tests/readme/run.py --dry       no server: every ansible-playbook command with
                                                  --syntax-check (the install commands run for real)

The server is this test's own (--server NAME, default `readme`): it is destroyed by name
before and after; no other server is touched.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
SECTION = "## Use it on your servers"
CLONE = "~/src/procfile.systemd"
SANDBOX = [sys.executable, str(ROOT / "tools" / "sandbox.py")]
APP = {
    "Procfile": (
        "web: exec python3 -m http.server --bind 127.0.0.1 $PORT\n"
        "worker: while true; do echo \"worker $UNIQUE_INT at work in $RAILS_ENV\"; sleep 2; done\n"
        "release: echo release ran\n"),
}


def readme_parts(text: str) -> dict:
    """The section's ansible.cfg, inventory and command lines, in the README's order."""
    section = text.split("\n" + SECTION + "\n", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"^```(\w*)\n(.*?)^```", section, flags=re.S | re.M)
    parts = {"ansible.cfg": None, "inventory.yml": None, "commands": []}
    for lang, body in blocks:
        first = body.splitlines()[0] if body else ""
        if lang == "ini" and first == "# ansible.cfg":
            parts["ansible.cfg"] = body
        elif lang == "yaml" and first == "# inventory.yml":
            parts["inventory.yml"] = body
        elif lang == "sh":
            parts["commands"] += [line for line in body.splitlines()
                                  if line.strip() and not line.startswith("#")]
    assert parts["ansible.cfg"] and parts["inventory.yml"], "ansible.cfg or inventory.yml block not found"
    assert parts["commands"], "no commands found"
    return parts


def adapted_inventory(text: str, server: str, connection: dict) -> dict:
    """The README's inventory on one sandbox server: its first host becomes SERVER."""
    inventory = yaml.safe_load(text)
    first = True
    for group in inventory["all"].get("children", {}).values():
        hosts = group.get("hosts") or {}
        group["hosts"] = {}
        if first and hosts:
            # The first group's counts (web), and one worker to have its logs.
            group["hosts"] = {server: dict(connection, worker_count=1)}
            first = False
    inventory["all"]["vars"]["vault_redis_url"] = "redis://127.0.0.1:6379/0"
    return inventory


class Run:
    def __init__(self, args):
        self.args = args
        self.project = Path(tempfile.mkdtemp(prefix="procfile-readme-"))
        self.env = dict(os.environ)
        # As a user runs it: the project's ansible.cfg, not this repository's settings
        # (the Makefile exports both).
        for name in ("ANSIBLE_CONFIG", "ANSIBLE_COLLECTIONS_PATH", "ANSIBLE_COLLECTIONS_PATHS"):
            self.env.pop(name, None)
        self.env.update(ANSIBLE_NOCOLOR="1", ANSIBLE_FORCE_COLOR="0")
        # The Ansible of the Python that runs this (make: .venv's), else the one on PATH.
        venv_bin = Path(sys.executable).parent
        if (venv_bin / "ansible-playbook").exists():
            self.env["PATH"] = "%s:%s" % (venv_bin, self.env["PATH"])
        elif not shutil.which("ansible-playbook"):
            sys.exit("readme test: no ansible-playbook (make venv, or put one on PATH)")
        self.failures = []

    # ------------------------------------------------------------------ server
    def sandbox(self, *argv, capture=False):
        return subprocess.run(SANDBOX + list(argv), check=True, text=True,
                              capture_output=capture).stdout

    def ssh(self, command):
        """COMMAND's output on the server. A failed command (or ssh) stops the test: an
        empty answer would pass checks such as "paused: nothing runs" with nothing read."""
        res = subprocess.run(SANDBOX + ["ssh", self.args.server, command], text=True,
                             capture_output=True, check=False)
        if res.returncode != 0:
            raise RuntimeError("readme test: on %s, %r failed (exit %d): %s"
                               % (self.args.server, command, res.returncode, res.stderr[-2000:]))
        return res.stdout.strip()

    def active(self):
        out = self.ssh("systemctl list-units --plain --no-legend --state=active 'shop-*@*.service'")
        return sorted(line.split()[0] for line in out.splitlines() if line.strip())

    def main_pids(self):
        """{unit: MainPID} of shop's running instances: a restart gives each a new one."""
        units = self.active()
        if not units:
            return {}
        out = self.ssh("systemctl show --property=Id,MainPID -- " + " ".join(units))
        # One block a unit, blank-line separated, its properties in systemd's order.
        blocks = [dict(line.split("=", 1) for line in block.splitlines() if "=" in line)
                  for block in out.split("\n\n")]
        return dict((b["Id"], b["MainPID"]) for b in blocks if "Id" in b and "MainPID" in b)

    # ------------------------------------------------------------------ checks
    def check(self, ok, what):
        print("   %s %s" % ("ok  " if ok else "FAIL", what), flush=True)
        if not ok:
            self.failures.append(what)

    def changed(self, output):
        m = re.search(r"^%s\s*:.*?changed=(\d+)" % re.escape(self.args.server), output, flags=re.M)
        return int(m.group(1)) if m else None

    def shop_footprint(self):
        """(shop's unit files, whether its environment file is there, its running instances)."""
        units = self.ssh("grep -lx 'X-ProcfileApp=shop' /etc/systemd/system/*.service "
                         "/etc/systemd/system/*.target || true").split()
        secrets = self.ssh("test -e /etc/procfile-systemd/shop/environment && echo present || echo gone")
        return units, secrets, self.active()

    def checks_after(self, command, output, before=None):
        """What the README promises of COMMAND, looked at on the server; BEFORE: shop's
        footprint before a removal ran, or its instances' main PIDs before a restart."""
        if "procfile_source=./app" in command:
            self.check(len(self.active()) == 3, "first deploy: web 2 + worker 1 running: %s" % self.active())
            home = self.ssh("getent passwd shop | cut -d: -f6; stat -c '%U:%G %a' /var/lib/shop; "
                            "su -s /bin/sh shop -c 'touch \"$HOME/.probe\" && echo writable'")
            self.check(home.splitlines() == ["/var/lib/shop", "shop:shop 750", "writable"],
                       "the created user's home is /var/lib/shop, its own, 0750, writable: %r" % home)
            self.check(self.ssh("cat /srv/shop/current/Procfile") == APP["Procfile"].strip(),
                       "procfile_source=./app deployed ./app of the directory the command ran in as the current release")
        elif "--tags" not in command and "-e" not in command.replace("--check", ""):
            # A plain re-run and --check --diff after it: nothing to change.
            self.check(self.changed(output) == 0, "no change reported (changed=%s)" % self.changed(output))
        if "procfile_serial=1" in command and "--tags" not in command:
            self.check(self.changed(output) == 0, "rolling re-run: changed=%s" % self.changed(output))
        if "web_count=3" in command:
            self.check(len([u for u in self.active() if "-web@" in u]) == 3, "scaled to 3 web: %s" % self.active())
        if "--tags status" in command:
            self.check(self.changed(output) == 0, "status changes nothing")
            self.check("shop" in output and "web" in output, "status shows the app's types")
        if "procfile_status_file=status.json" in command:
            path = self.project / "status.json"
            data = json.loads(path.read_text()) if path.exists() else {}
            self.check(self.args.server in data, "status.json written in the directory the command ran in")
        if "--tags logs" in command:
            self.check(self.changed(output) == 0, "logs changes nothing")
            self.check("at work in production" in output, "the worker's log lines, since 1 hour ago")
        if "--tags pause" in command:
            self.check(self.active() == [], "paused: nothing runs: %s" % self.active())
        if "--tags resume" in command:
            self.check(len(self.active()) == 4, "resumed: the 4 instances again: %s" % self.active())
        if "--tags run" in command:
            # printenv RAILS_ENV, run as an instance runs: the app's environment file.
            self.check("production" in output and "exit status 0" in output,
                       "the one-off printed RAILS_ENV from the app's environment")
            self.check(self.ssh("systemctl list-units --all --plain --no-legend 'shop-run-*'") == "",
                       "the one-off's unit is gone")
        if "--tags restart" in command:
            # Proved by the instances' main processes, not by the run's own message: those
            # of the type restarted (procfile_restart_type) have new ones, the others not.
            after, before = self.main_pids(), before or {}
            only = re.search(r"procfile_restart_type=([\w-]+)", command)
            wanted = [u for u in after if not only or u.startswith("shop-%s@" % only.group(1))]
            self.check(len(after) == 4 and sorted(after) == sorted(before) and wanted
                       and all(after[u] not in ("0", before[u]) for u in wanted)
                       and all(after[u] == before[u] for u in after if u not in wanted),
                       "restarted: new main PIDs for %s, the others unchanged (before %s, after %s)"
                       % (wanted, before, after))
        if "--tags remove" in command:
            after = self.shop_footprint()
            if "--check" in command:
                self.check(after == before, "--check: nothing removed (before %s, after %s)"
                           % (before, after))
            else:
                self.check(after == ([], "gone", []),
                           "removed: no unit of shop, no environment file, nothing running: %s"
                           % (after,))

    # ------------------------------------------------------------------ run
    def main(self):
        started = time.monotonic()
        parts = readme_parts(README.read_text())
        (self.project / "ansible.cfg").write_text(parts["ansible.cfg"])
        for name, content in APP.items():
            (self.project / "app").mkdir(exist_ok=True)
            (self.project / "app" / name).write_text(content)
        if self.args.dry:
            (self.project / "inventory.yml").write_text(parts["inventory.yml"])
        else:
            self.sandbox("down", self.args.server)
            self.sandbox("up", self.args.server, "--network", "private")
            connection = json.loads(self.sandbox("inventory", self.args.server, capture=True))[
                "all"]["children"]["sandbox"]["hosts"][self.args.server]
            inventory = adapted_inventory(parts["inventory.yml"], self.args.server, connection)
            (self.project / "inventory.yml").write_text(yaml.safe_dump(inventory, sort_keys=False))
        print("readme test in %s" % self.project, flush=True)
        try:
            for command in parts["commands"]:
                line = command.replace(CLONE, str(ROOT))
                if self.args.dry and line.startswith("ansible-playbook"):
                    line = line.split("  #")[0].rstrip() + " --syntax-check"
                print("$ " + line, flush=True)
                before = None
                if not self.args.dry and "--tags remove" in line:
                    before = self.shop_footprint()
                elif not self.args.dry and "--tags restart" in line:
                    before = self.main_pids()
                t0 = time.monotonic()
                res = subprocess.run(["bash", "-c", line], cwd=self.project, env=self.env,
                                     text=True, capture_output=True, check=False)
                output = res.stdout + res.stderr
                self.check(res.returncode == 0, "exit 0 (got %d, %.1f s)" % (res.returncode, time.monotonic() - t0))
                if res.returncode != 0 or self.args.verbose:
                    print(output[-4000:], flush=True)
                if res.returncode == 0 and not self.args.dry and line.startswith("ansible-playbook"):
                    self.checks_after(command, output, before)
                    if "[WARNING]" in output:
                        print("   (warnings) " + " | ".join(
                            line for line in output.splitlines() if "[WARNING]" in line), flush=True)
        finally:
            if not self.args.dry and not self.args.keep:
                self.sandbox("down", self.args.server)
            if self.args.keep:
                print("kept: %s and server %s" % (self.project, self.args.server))
            else:
                shutil.rmtree(self.project, ignore_errors=True)
        print("readme test: %d commands, %s, %.0f s" % (
            len(parts["commands"]), "%d FAILED: %s" % (len(self.failures), "; ".join(self.failures))
            if self.failures else "all passed", time.monotonic() - started), flush=True)
        return 1 if self.failures else 0


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0])
    parser.add_argument("--server", default=os.environ.get("README_TEST_SERVER", "readme"))
    parser.add_argument("--keep", action="store_true", help="leave the server and project dir")
    parser.add_argument("--dry", action="store_true", help="syntax-check only, no server")
    parser.add_argument("-v", "--verbose", action="store_true")
    return Run(parser.parse_args()).main()


if __name__ == "__main__":
    sys.exit(main())
