"""The fleet benchmark: what one more server costs the controller (benchmarks/run.py --fleet).

Deploys the benchmark Procfile (3 types, 10 instances) to 1, 4, 8 and 16 sandbox servers
at once (private network, forks >= servers), sizes interleaved across repeats, and
measures for each size:
  - the wall time of the run;
  - the controller's CPU seconds, per server: the ansible-playbook process tree (its
    workers and their SSH clients, ControlPersist masters included), counted by a cpuacct
    cgroup that the run is started in, not the servers' CPU;
  - the tasks a deploy runs per server (executed and skipped, from the play recap).
Next to: a no-change re-run of the deploy, a bare play (facts + ping: Ansible's own
floor), and the task-per-instance role (benchmarks/playbooks/naive.yml) at the same sizes.
Writes benchmarks/results/fleet.{md,json}.
"""

import json
import os
import re
import shlex
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tools"))

import pull_wheels  # noqa: E402  pylint: disable=wrong-import-position

CPUACCT = Path("/sys/fs/cgroup/cpuacct")
SIZES = (1, 4, 8, 16)
COUNTS = {"web": 4, "worker": 4, "clock": 2}


class ControllerCpu:
    """A cpuacct cgroup around one command: every process it starts lands in it, also the
    ones that outlive it (ssh ControlPersist masters), and cpuacct.usage is their CPU time.
    cgroup v1 (this machine's hybrid layout); on a pure cgroup v2 host use cpu.stat."""

    def __init__(self, name):
        self.path = CPUACCT / name

    def __enter__(self):
        if self.path.exists():
            self.close()
        self.path.mkdir()
        return self

    def enter(self):
        """For preexec_fn: move the starting child into the cgroup before it execs."""
        (self.path / "cgroup.procs").write_text(str(os.getpid()))

    def seconds(self):
        return int((self.path / "cpuacct.usage").read_text()) / 1e9

    def close(self):
        # Processes still in it (ControlPersist masters) go back to the root group, so that
        # the directory can go; their CPU until now was counted.
        for pid in (self.path / "cgroup.procs").read_text().split():
            try:
                (CPUACCT / "cgroup.procs").write_text(pid)
            except OSError:
                pass
        self.path.rmdir()

    def __exit__(self, *exc):
        self.close()


def machine_cpu():
    """CPU seconds the whole machine has spent (the root cpuacct cgroup)."""
    return int((CPUACCT / "cpuacct.usage").read_text()) / 1e9


def recap_tasks(output, host):
    """(executed, skipped) tasks for HOST from the last PLAY RECAP: ok counts changed ones."""
    recap = output.rpartition("PLAY RECAP")[2]
    match = re.search(r"^%s\s+:\s+(.*)$" % re.escape(host), recap, re.M)
    counts = dict((k, int(v)) for k, v in re.findall(r"(\w+)=(\d+)", match.group(1))) if match else {}
    return counts.get("ok", 0) + counts.get("failed", 0), counts.get("skipped", 0)


class Fleet:
    def __init__(self, root, bin_dir, sandbox, inventory, repeats, sizes=SIZES, naive=True):
        self.root, self.bin, self.sandbox_cmd, self.inventory = root, bin_dir, sandbox, inventory
        self.repeats = repeats
        self.sizes = sizes
        # The task-per-instance role: the comparison of the first version; long at 16 servers.
        self.naive = naive
        self.servers = ["fbench-%d" % n for n in range(1, max(sizes) + 1)]
        self.results = {}
        self.tasks = {}
        self.tasks_first = {}
        self.profiles = {}
        self.local = {}
        self.servers_cpu = 0.0

    def sandbox(self, *args, check=True):
        return subprocess.run(self.sandbox_cmd + list(args), check=check, capture_output=True, text=True).stdout

    def fresh(self, size):
        """SIZE new servers from the image (and none of the others), with the Procfile."""
        names = self.servers[:size]
        self.sandbox("down", *self.servers, check=False)
        self.sandbox("up", "--network", "private", *names)
        self.sandbox("inventory", *names, "-o", str(self.inventory))
        procfile = "".join("%s: sleep 100000\n" % t for t in COUNTS)
        for name in names:
            self.sandbox("ssh", name, "mkdir -p /srv/bench && cat > /srv/bench/Procfile << 'EOF'\n%sEOF" % procfile)
        # Warm the SSH connections, as any second task of a real run finds them.
        self.play("bare.yml", size)

    def play(self, name, size, profile=None, **extra):
        """(wall seconds, controller CPU seconds, output) of one ansible-playbook run.
        PROFILE: a file for the controller CPU of each task (callback_plugins/controller_cpu.py)."""
        env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(self.root / ".cache" / "collections"),
                   ANSIBLE_CONFIG=str(self.root / "ansible.cfg"), ANSIBLE_NOCOLOR="1",
                   ANSIBLE_FORKS=str(max(size, 5)))
        if profile:
            env.update(ANSIBLE_CALLBACK_PLUGINS=str(self.root / "benchmarks" / "callback_plugins"),
                       ANSIBLE_CALLBACKS_ENABLED="controller_cpu", PROCFILE_BENCH_TASK_CPU=str(profile))
        cmd = [str(self.bin / "ansible-playbook"), "-i", str(self.inventory),
               str(self.root / "benchmarks" / "playbooks" / name), "-e", json.dumps(extra)]
        with ControllerCpu("procfile-bench-%d" % os.getpid()) as cpu:
            machine = machine_cpu()
            started = time.monotonic()
            res = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False,
                                 preexec_fn=cpu.enter)
            wall = time.monotonic() - started
            seconds = cpu.seconds()
            # The sandbox servers run on this machine's cores too: all the CPU the machine
            # spent during the run, less the controller's, is theirs (on an otherwise idle
            # machine; the benchmark runs alone).
            self.servers_cpu = max(0.0, machine_cpu() - machine - seconds)
        if res.returncode != 0:
            raise RuntimeError("%s on %d servers failed:\n%s" % (name, size, (res.stdout + res.stderr)[-4000:]))
        return wall, seconds, res.stdout

    def running(self, size, prefix):
        counts = []
        for name in self.servers[:size]:
            out = self.sandbox("ssh", name, "systemctl list-units --plain --no-legend --state=running '%s*' "
                               "| grep -c . || true" % prefix)
            counts.append(int(out.strip()))
        return counts

    def run(self):
        samples = {}

        def add(key, size, wall, cpu):
            entry = samples.setdefault((key, size), {"wall": [], "cpu_per_server": [], "server_cpu_per_server": []})
            entry["wall"].append(wall)
            entry["cpu_per_server"].append(cpu / size)
            entry["server_cpu_per_server"].append(self.servers_cpu / size)
            print("%-28s %2d servers: %6.2fs wall, %5.2f CPU-s per server, servers' own %5.2f" % (
                key, size, wall, cpu / size, self.servers_cpu / size), flush=True)

        total = sum(COUNTS.values())
        try:
            # Sizes interleaved (1, 4, 8, 16, 1, 4, ...): a shared machine's speed drifts over
            # minutes, and the figures compared are ratios between sizes and methods.
            for _repeat in range(self.repeats):
                for size in self.sizes:
                    self.fresh(size)
                    wall, cpu, out = self.play("deploy.yml", size, procfile_scale=COUNTS)
                    assert self.running(size, "bench-") == [total] * size, "not every instance runs"
                    add("deploy", size, wall, cpu)
                    # A server other than the first: the first also runs the tasks that run
                    # once for the play (run_once), counted apart.
                    self.tasks[size] = recap_tasks(out, self.servers[size - 1])
                    self.tasks_first[size] = recap_tasks(out, self.servers[0])
                    wall, cpu, _out = self.play("deploy.yml", size, procfile_scale=COUNTS)
                    add("no-change re-run", size, wall, cpu)
                    wall, cpu, _out = self.play("bare.yml", size)
                    add("bare play (facts + ping)", size, wall, cpu)
                    if not self.naive:
                        continue
                    self.fresh(size)
                    instances = [[t, n] for t, c in COUNTS.items() for n in range(1, c + 1)]
                    wall, cpu, _out = self.play("naive.yml", size, naive_counts=COUNTS, naive_instances=instances)
                    assert self.running(size, "naive-") == [total] * size, "not every naive instance runs"
                    add("naive role (task per instance)", size, wall, cpu)
        finally:
            self.sandbox("down", *self.servers, check=False)
        for (key, size), entry in samples.items():
            self.results["%s, %d servers" % (key, size)] = dict(
                (what, {"median": statistics.median(values), "min": min(values), "max": max(values),
                        "samples": values}) for what, values in entry.items())
        return self.results

    def local_run(self, repeats):
        """The deploy applied by a server to itself (`ansible-playbook -c local`, as ansible-pull
        runs it; README "Deploying from each server"), no controller: the CPU of the
        ansible-playbook process tree on the server (bash's `time`: user + sys of it and
        every process it waited for), for a deploy and a no-change re-run."""
        name = self.servers[0]
        project = self.inventory.with_name("local-project")
        wheels = pull_wheels.wheels(self.bin / "python")
        subprocess.run(["rm", "-rf", str(project)], check=True)
        (project / "wheels").mkdir(parents=True)
        subprocess.run(["cp", "-r", "%s/." % wheels, str(project / "wheels")], check=True)
        subprocess.run([str(self.bin / "ansible-galaxy"), "collection", "build", "--force", "--output-path",
                        str(project), str(self.root)], check=True, capture_output=True)
        (project / "ansible.cfg").write_text("[defaults]\ncollections_path = ./collections\n")
        (project / "inventory.yml").write_text(json.dumps(
            {"all": {"hosts": {name: {"ansible_connection": "local", "ansible_python_interpreter": "/usr/bin/python3"}}}}))
        subprocess.run(["cp", str(self.root / "benchmarks" / "playbooks" / "deploy.yml"), str(project)], check=True)
        try:
            self.fresh(1)
            tar = subprocess.Popen(["tar", "-C", str(project), "-cf", "-", "."], stdout=subprocess.PIPE)
            subprocess.run(self.sandbox_cmd + ["ssh", name, "mkdir -p /root/pull && tar -xf - -C /root/pull"],
                           stdin=tar.stdout, check=True, capture_output=True)
            tar.wait()
            self.sandbox("ssh", name, "cd /root/pull && python3 -m venv --without-pip /opt/ansible && "
                         "/opt/ansible/bin/python3 \"$(ls wheels/pip-*.whl)/pip\" install -q --no-index "
                         "--find-links wheels ansible-core && /opt/ansible/bin/ansible-galaxy collection install "
                         "-p ./collections procfile-systemd-*.tar.gz >/dev/null")
            extra = json.dumps({"procfile_scale": COUNTS})
            for _repeat in range(repeats):
                for key in ("deploy, -c local on the server", "no-change re-run, -c local on the server"):
                    if key.startswith("deploy"):
                        self.sandbox("ssh", name, "systemctl stop 'bench-*' && rm -rf /etc/systemd/system/bench* "
                                     "/etc/procfile-systemd /var/lib/procfile-systemd && systemctl daemon-reload")
                    out = self.sandbox("ssh", name, "cd /root/pull && TIMEFORMAT='%%R %%U %%S' && { time "
                                       "/opt/ansible/bin/ansible-playbook -i inventory.yml deploy.yml -e %s "
                                       ">out.log 2>&1; } 2>&1 && tail -3 out.log" % shlex.quote(extra))
                    wall, user, system = (float(x) for x in out.split("\n")[0].split())
                    assert re.search(r"failed=0", out), out
                    entry = self.local.setdefault(key, {"wall": [], "server_cpu": []})
                    entry["wall"].append(wall)
                    entry["server_cpu"].append(user + system)
                    print("%-44s %6.2fs wall, %5.2f CPU-s on the server" % (key, wall, user + system), flush=True)
                assert self.running(1, "bench-") == [sum(COUNTS.values())], "not every instance runs"
        finally:
            self.sandbox("down", *self.servers, check=False)
        return self.local

    def local_lines(self):
        if not self.local:
            return []
        lines = ["", "Each server deploying itself (`ansible-playbook -c local`, as `ansible-pull` runs it; "
                 "no controller), one server, %d run(s) each: CPU of the ansible-playbook process tree on "
                 "the server (user + sys). Median (min-max)." % len(next(iter(self.local.values()))["wall"]), "",
                 "| measurement | wall s | CPU-s on the server |", "| --- | ---: | ---: |"]
        for key, entry in self.local.items():
            w, c = entry["wall"], entry["server_cpu"]
            lines.append("| %s | %.2f (%.2f-%.2f) | %.2f (%.2f-%.2f) |" % (
                key, statistics.median(w), min(w), max(w), statistics.median(c), min(c), max(c)))
        return lines

    def profile(self, size):
        """The controller's CPU per task and server, on SIZE servers: a deploy, its no-change
        re-run and the bare play, each once (after the timed runs: the callback's own cost
        stays out of them)."""
        try:
            self.fresh(size)
            for key, name, extra in (("deploy", "deploy.yml", {"procfile_scale": COUNTS}),
                                     ("no-change re-run", "deploy.yml", {"procfile_scale": COUNTS}),
                                     ("bare play (facts + ping)", "bare.yml", {})):
                out = self.inventory.with_name("task-cpu.json")
                self.play(name, size, profile=out, **extra)
                self.profiles[key] = [dict(e, cpu_per_server=e["cpu"] / size) for e in json.loads(out.read_text())]
        finally:
            self.sandbox("down", *self.servers, check=False)
        self.profile_size = size
        return self.profiles

    def profile_lines(self):
        """The profile as a markdown table: one row per task of the deploy, CPU-s per server."""
        if not self.profiles:
            return []
        deploy, rerun = self.profiles["deploy"], self.profiles["no-change re-run"]
        bare = self.profiles["bare play (facts + ping)"]
        lines = ["", "Where the controller's CPU goes, per task (%d servers, one run each, "
                 "benchmarks/callback_plugins/controller_cpu.py; a task's figure runs to the next "
                 "task's start, so it includes the strategy's work between them):" % self.profile_size, "",
                 "| task | module | deploy CPU-s per server | no-change re-run |", "| --- | --- | ---: | ---: |"]
        for i, entry in enumerate(deploy):
            again = rerun[i]["cpu_per_server"] if i < len(rerun) and rerun[i]["task"] == entry["task"] else None
            again = "-" if again is None else "%.3f" % again
            row = (entry["task"], entry["action"] or "-", entry["cpu_per_server"], again)
            lines.append("| %s | %s | %.3f | %s |" % row)
        totals = (sum(e["cpu_per_server"] for e in deploy), sum(e["cpu_per_server"] for e in rerun))
        lines.append("| **all** | | **%.2f** | **%.2f** |" % totals)
        lines += ["", "The bare play, for comparison: %s." % ", ".join(
            "%s %.3f" % (e["task"], e["cpu_per_server"]) for e in bare)]
        return lines

    def targets(self):
        r = self.results

        def med(key, size, what):
            entry = r.get("%s, %d servers" % (key, size))
            return entry[what]["median"] if entry and what in entry else None

        big, small = max(self.sizes), min(self.sizes)
        found = []
        deploy_cpu, bare_cpu = med("deploy", big, "cpu_per_server"), med("bare play (facts + ping)", big, "cpu_per_server")
        if deploy_cpu and bare_cpu:
            found.append({"target": "controller CPU per server, deploy / bare play (%d servers)" % big,
                          "value": round(deploy_cpu / bare_cpu, 2), "limit": 1.5,
                          "met": deploy_cpu / bare_cpu <= 1.5})
        wall_big, wall_one = med("deploy", big, "wall"), med("deploy", small, "wall")
        if wall_big and wall_one and deploy_cpu:
            # No run can beat one server's wall time, nor the controller's CPU for all
            # servers spread over its cores: the better of the two is the floor.
            cores = os.cpu_count() or 1
            floor = max(wall_one, deploy_cpu * big / cores)
            found.append({"target": "deploy wall time, %d servers / max(1 server's %.1f s, %d x %.2f CPU-s / %d cores)"
                                    % (big, wall_one, big, deploy_cpu, cores),
                          "value": round(wall_big / floor, 2), "limit": 2.0, "met": wall_big / floor <= 2.0})
            # Here the servers are containers on the controller's own cores: their CPU
            # (the modules, systemctl, Python starting) competes with the controller's.
            servers_cpu = med("deploy", big, "server_cpu_per_server")
            if servers_cpu:
                floor = max(wall_one, (deploy_cpu + servers_cpu) * big / cores)
                found.append({"target": "the same, the servers sharing these cores: %d servers / max(%.1f s, "
                                        "%d x (%.2f + %.2f servers' CPU-s) / %d cores)"
                                        % (big, wall_one, big, deploy_cpu, servers_cpu, cores),
                              "value": round(wall_big / floor, 2), "limit": 2.0, "met": wall_big / floor <= 2.0})
        rerun, bare = med("no-change re-run", big, "wall"), med("bare play (facts + ping)", big, "wall")
        if rerun and bare:
            found.append({"target": "no-change re-run / bare play, wall time (%d servers)" % big,
                          "value": round(rerun / bare, 2), "limit": 1.2, "met": rerun / bare <= 1.2})
        if big in self.tasks:
            executed = self.tasks[big][0]
            found.append({"target": "tasks a deploy executes per server (%d servers)" % big,
                          "value": executed, "limit": 3, "met": executed <= 3})
        return found

    def report(self, stem, meta):
        targets = self.targets()
        (stem.parent / (stem.name + ".json")).write_text(json.dumps(
            {"meta": meta, "results": self.results, "targets": targets,
             "tasks_per_server": dict((str(k), {"executed": v[0], "skipped": v[1]}) for k, v in self.tasks.items()),
             "task_cpu": self.profiles, "local": self.local},
            indent=2) + "\n")
        lines = ["# Fleet benchmark", "",
                 "Taken %s on %s; %d repeat(s) each; servers: %s. The benchmark Procfile (3 types, "
                 "10 instances) on every server; forks >= servers. Controller CPU: the "
                 "ansible-playbook process tree (workers, SSH clients and ControlPersist masters) "
                 "in a cpuacct cgroup. The servers' own CPU: the whole machine's (root cpuacct "
                 "cgroup) less the controller's, since the servers are containers on the same "
                 "cores. Median (min-max)."
                 % (meta["date"], meta["machine"], self.repeats, meta["host"]), "",
                 "| measurement | servers | wall s | controller CPU-s per server | the servers' own CPU-s, per server |",
                 "| --- | ---: | ---: | ---: | ---: |"]
        for key, entry in self.results.items():
            name, _sep, servers = key.rpartition(", ")
            w, c = entry["wall"], entry["cpu_per_server"]
            own = entry.get("server_cpu_per_server")
            lines.append("| %s | %s | %.2f (%.2f-%.2f) | %.2f (%.2f-%.2f) | %s |" % (
                name, servers.split()[0], w["median"], w["min"], w["max"], c["median"], c["min"], c["max"],
                "%.2f" % own["median"] if own else "-"))
        lines += ["", "Tasks a deploy runs per server (from the play recap): %s." % ", ".join(
            "%d servers: %d executed, %d skipped (the first server, which also runs the tasks run once "
            "for the play: %d, %d)" % (k, v[0], v[1], self.tasks_first.get(k, v)[0], self.tasks_first.get(k, v)[1])
            for k, v in sorted(self.tasks.items()))]
        lines += ["", "| target | value | limit | met |", "| --- | ---: | ---: | --- |"]
        for t in targets:
            lines.append("| %s | %.2f | %s | %s |" % (t["target"], t["value"], t["limit"], "yes" if t["met"] else "**no**"))
        lines += self.local_lines()
        lines += self.profile_lines()
        (stem.parent / (stem.name + ".md")).write_text("\n".join(lines) + "\n")
        print("\n".join(lines))
