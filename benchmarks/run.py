"""Benchmarks: cost per host against instance count, and against the alternatives.

Runs on one sandbox server (a booted systemd), the same 3-type Procfile for every
method, repeated; writes a markdown table and JSON to benchmarks/results/. Not a test:
it measures, and the targets are ratios (absolute times on a shared machine are noise).

  python3 benchmarks/run.py                 # the full run (about 15 minutes)
  python3 benchmarks/run.py --smoke         # 1 and 10 instances, one repeat
  python3 benchmarks/run.py --only rolling  # one measurement (see Bench's methods)
  python3 benchmarks/run.py --fleet         # 1, 4, 8 and 16 servers (benchmarks/fleet.py)
"""

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import fleet

ROOT = Path(__file__).resolve().parent.parent
BIN = ROOT / ".venv" / "bin"
SANDBOX = [sys.executable, str(ROOT / "tools" / "sandbox.py")]
HOST = "bench-1"
PROCFILE = "web: sleep 100000\nworker: sleep 100000\nclock: sleep 100000\n"
RESULTS = ROOT / "benchmarks" / "results"


def split(total):
    """Instances per type for TOTAL instances in all (40% web, 40% worker, 20% clock)."""
    if total == 1:
        return {"web": 1, "worker": 0, "clock": 0}
    web = worker = round(total * 0.4)
    return {"web": web, "worker": worker, "clock": total - web - worker}


class Bench:
    def __init__(self, repeats):
        self.repeats = repeats
        self.tmp = Path(tempfile.mkdtemp(prefix="procfile-bench-"))
        self.inventory = self.tmp / "inventory.yml"
        self.results = {}
        self.exposure = {}

    # ------------------------------------------------------------------ plumbing
    def sandbox(self, *args):
        subprocess.run(SANDBOX + list(args), check=True, stdout=subprocess.DEVNULL)

    def fresh_host(self):
        """A new server from the image: nothing of any earlier run is left."""
        self.sandbox("down", HOST)
        self.sandbox("up", HOST, "--network", "private")
        self.sandbox("inventory", HOST, "-o", str(self.inventory))
        self.ssh("mkdir -p /srv/bench && cat > /srv/bench/Procfile << 'EOF'\n%sEOF" % PROCFILE)
        # Warm the SSH connection, as any second task of a real run would find it.
        self.play("bare.yml", check=True)

    def ssh(self, command):
        out = subprocess.run(SANDBOX + ["ssh", HOST, command], check=True, capture_output=True,
                             text=True)
        return out.stdout

    def play(self, name, check=True, tags=None, **extra):
        env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(ROOT / ".cache" / "collections"),
                   ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"), ANSIBLE_NOCOLOR="1")
        cmd = [str(BIN / "ansible-playbook"), "-i", str(self.inventory),
               str(ROOT / "benchmarks" / "playbooks" / name), "-e", json.dumps(extra)]
        if tags:
            cmd += ["--tags", tags]
        started = time.monotonic()
        res = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)
        elapsed = time.monotonic() - started
        if check and res.returncode != 0:
            raise RuntimeError("%s failed:\n%s" % (name, (res.stdout + res.stderr)[-4000:]))
        return elapsed

    def deploy(self, total, tags=None):
        return self.play("deploy.yml", tags=tags, procfile_scale=split(total))

    def running(self, prefix):
        return int(self.ssh("systemctl list-units --plain --no-legend --state=running '%s*' "
                            "| grep -c . || true" % prefix).strip())

    def record(self, key, samples):
        self.results[key] = {"median": statistics.median(samples), "min": min(samples),
                             "max": max(samples), "samples": samples}
        print("%-42s median %6.2fs  (%s)" % (key, statistics.median(samples),
                                             ", ".join("%.2f" % s for s in samples)), flush=True)

    # ------------------------------------------------------------------ measurements
    def deploy_from_scratch(self, sizes):
        # Sizes interleaved (1, 10, 50, 100, 1, 10, ...): the targets are ratios between
        # sizes, and a shared machine's speed drifts over minutes; measured one size after
        # another, that drift lands in the ratio.
        samples = dict((total, []) for total in sizes)
        for _repeat in range(self.repeats):
            for total in sizes:
                self.fresh_host()
                samples[total].append(self.deploy(total))
                assert self.running("bench-") == total, "not all %d instances run" % total
        for total in sizes:
            self.record("deploy from scratch, %d instances" % total, samples[total])

    def rerun_and_bare(self):
        self.fresh_host()
        self.deploy(50)
        self.record("no-change re-run, 50 instances", [self.deploy(50) for _repeat in range(self.repeats)])
        self.record("bare play (facts + ping)", [self.play("bare.yml") for _repeat in range(self.repeats)])

    def scale(self):
        down, up = [], []
        for _repeat in range(self.repeats):
            self.fresh_host()
            self.deploy(50)
            down.append(self.deploy(1))
            up.append(self.deploy(50))
            assert self.running("bench-") == 50
        self.record("scale 50 -> 1", down)
        self.record("scale 1 -> 50", up)

    def pause_resume(self):
        for total in (1, 50):
            pause, resume = [], []
            self.fresh_host()
            self.deploy(total)
            for _repeat in range(self.repeats):
                pause.append(self.deploy(total, tags="pause"))
                assert self.running("bench-") == 0
                resume.append(self.deploy(total, tags="resume"))
                assert self.running("bench-") == total
            self.record("pause, %d instances" % total, pause)
            self.record("resume, %d instances" % total, resume)

    def crash_recovery(self):
        self.fresh_host()
        self.deploy(10)
        # Measured on the host itself: kill -9, then poll until a new main process runs.
        script = r"""
u=bench-web@1.service
old=$(systemctl show -p MainPID --value $u)
start=$(date +%s.%N)
kill -9 "$old"
while :; do
  set -- $(systemctl show -p MainPID,ActiveState,SubState --value $u | tr '\n' ' ')
  [ "$1" != 0 ] && [ "$1" != "$old" ] && [ "$3" = running ] && break
  sleep 0.01
done
awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.3f\n", b - a }'
"""
        samples = []
        for _repeat in range(max(5, self.repeats)):
            samples.append(float(self.ssh(script).strip()))
            time.sleep(0.5)
        self.record("crash: kill -9 -> running again", samples)

    def rolling(self):
        """The price of a rolling deploy: a new version of 3 web instances that need 2 s
        to boot, one at a time behind their health check, next to all at once."""
        self.fresh_host()
        self.play("roll.yml", roll_version="v0", roll_max_unavailable="1")
        rolling, at_once = [], []
        for repeat in range(self.repeats):
            rolling.append(self.play("roll.yml", roll_version="r%d" % repeat,
                                     roll_max_unavailable="1"))
            at_once.append(self.play("roll.yml", roll_version="a%d" % repeat,
                                     roll_max_unavailable="100%"))
        self.record("new version, 3 x 2-s web, rolling (one at a time)", rolling)
        self.record("new version, 3 x 2-s web, all at once (100%)", at_once)

    def alternatives(self, sizes):
        for total in sizes:
            counts = split(total)
            instances = [[t, n] for t, c in counts.items() for n in range(1, c + 1)]
            samples = []
            for _repeat in range(self.repeats):
                self.fresh_host()
                samples.append(self.play("naive.yml", naive_counts=counts,
                                         naive_instances=instances))
                assert self.running("naive-") == total
            self.record("naive role (a task per instance), %d" % total, samples)

            archive, units = self.honcho_export(total, self.tmp / ("honcho-%d" % total))
            samples = []
            for _repeat in range(self.repeats):
                self.fresh_host()
                samples.append(self.play("honcho.yml", honcho_archive=archive, honcho_units=units))
                assert self.running("hbench-") == total
            self.record("honcho export + enable --now, %d" % total, samples)

    def security(self):
        """`systemd-analyze security` exposure (0 best, 10 worst) of a web instance's unit."""
        self.fresh_host()
        self.deploy(10)
        self.exposure["procfile.systemd (hardening preset)"] = self.analyze("bench-web@1.service")
        self.play("deploy.yml", procfile_scale=split(10), procfile_hardening=False)
        self.exposure["procfile.systemd (procfile_hardening: false)"] = self.analyze("bench-web@1.service")
        archive, units = self.honcho_export(10, self.tmp / "honcho-security")
        self.play("honcho.yml", honcho_archive=archive, honcho_units=units)
        self.exposure["honcho export systemd (defaults)"] = self.analyze("hbench-web-1.service")
        for name, value in self.exposure.items():
            print("exposure %-45s %s" % (name, value), flush=True)

    def analyze(self, unit):
        out = self.ssh("systemd-analyze security --no-pager %s | tail -n 1" % unit)
        # "→ Overall exposure level for bench-web@1.service: 4.9 OK 🙂"
        return out.split(":", 1)[1].strip() if ":" in out else out.strip()

    def honcho_export(self, total, export):
        """Export honcho's units to EXPORT and pack them; returns (archive, unit names)."""
        procfile = self.tmp / "Procfile"
        procfile.write_text(PROCFILE)
        concurrency = ",".join("%s=%d" % (t, c) for t, c in split(total).items() if c)
        subprocess.run([str(BIN / "honcho"), "export", "-f", str(procfile), "-d", "/srv/bench",
                        "-a", "hbench", "-c", concurrency, "-u", "root", "systemd",
                        str(export)], check=True, capture_output=True)
        archive = export.with_suffix(".tar.gz")
        subprocess.run(["tar", "-czf", str(archive), "-C", str(export), "."], check=True)
        return str(archive), sorted(p.name for p in export.iterdir())

    # ------------------------------------------------------------------ report
    def report(self, stem=None):
        """Write STEM.json and STEM.md (default: results/latest)."""
        stem = stem or RESULTS / "latest"
        r = self.results

        def median(key):
            return r[key]["median"] if key in r else None

        def ratio(a, b):
            return None if median(a) is None or median(b) is None else median(a) / median(b)

        targets = []

        def target(name, value, limit, sense="<="):
            if value is None:
                return
            ok = value <= limit if sense == "<=" else value >= limit
            targets.append({"target": name, "value": round(value, 2), "limit": limit,
                            "met": ok})

        d = "deploy from scratch, %d instances"
        target("deploy 50 / deploy 1", ratio(d % 50, d % 1), 1.3)
        target("deploy 100 / deploy 1", ratio(d % 100, d % 1), 1.5)
        rerun = ratio("no-change re-run, 50 instances", "bare play (facts + ping)")
        target("no-change re-run 50 / bare play", rerun, 1.5)
        target("scale 1->50 / deploy 1", ratio("scale 1 -> 50", d % 1), 1.3)
        target("pause 50 / pause 1", ratio("pause, 50 instances", "pause, 1 instances"), 1.3)
        target("resume 50 / resume 1", ratio("resume, 50 instances", "resume, 1 instances"), 1.3)
        target("crash -> running (s)", median("crash: kill -9 -> running again"), 2.0)
        for n in (10, 50):
            target("naive %d / procfile.systemd %d (faster: > 1)" % (n, n),
                   ratio("naive role (a task per instance), %d" % n, d % n), 1.0, ">=")
        target("procfile.systemd 50 / honcho 50", ratio(d % 50, "honcho export + enable --now, 50"), 2.0)

        meta = {"date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
                "machine": "%s, %d cores, Python %s" % (
                    platform.platform(), os.cpu_count(), platform.python_version()),
                "repeats": self.repeats,
                "host": "sandbox server (systemd-nspawn, Debian bookworm, systemd 252)"}
        RESULTS.mkdir(parents=True, exist_ok=True)
        stem.with_suffix(".json").write_text(json.dumps(
            {"meta": meta, "results": r, "targets": targets, "exposure": self.exposure},
            indent=2) + "\n")
        lines = ["# Benchmarks", "",
                 "Taken %s on %s; %d repeat(s) each; %s. Times in seconds, median (min-max)."
                 % (meta["date"], meta["machine"], self.repeats, meta["host"]), "",
                 "| measurement | median | min | max |", "| --- | ---: | ---: | ---: |"]
        for key, v in r.items():
            lines.append("| %s | %.2f | %.2f | %.2f |" % (key, v["median"], v["min"], v["max"]))
        if self.exposure:
            lines += ["", "`systemd-analyze security` of a web instance (0 = best, 10 = worst):", "",
                      "| unit | exposure |", "| --- | --- |"]
            lines += ["| %s | %s |" % item for item in self.exposure.items()]
        lines += ["", "| target | value | limit | met |", "| --- | ---: | ---: | --- |"]
        for t in targets:
            met = "yes" if t["met"] else "**no**"
            lines.append("| %s | %.2f | %s | %s |" % (t["target"], t["value"], t["limit"], met))
        stem.with_suffix(".md").write_text("\n".join(lines) + "\n")
        print("\n".join(lines))


def meta_of(repeats, host):
    return {"date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
            "machine": "%s, %d cores, Python %s" % (platform.platform(), os.cpu_count(), platform.python_version()),
            "repeats": repeats, "host": host}


def ansible_core_version(bin_dir):
    out = subprocess.run([str(bin_dir / "ansible"), "--version"], capture_output=True, text=True, check=True).stdout
    return out.split("\n")[0].split("core ")[-1].rstrip("]")


def fleet_benchmark(repeats, sizes, naive=True, bin_dir=None):
    """BIN_DIR: the bin directory of another ansible-core's virtualenv (the controller's
    ansible-playbook); its results go to fleet-ansible-<version>.{md,json}, and the run
    where each server deploys itself (-c local, the pinned ansible-core on the server) is
    left out."""
    inventory = Path(tempfile.mkdtemp(prefix="procfile-fleet-")) / "inventory.yml"
    run = fleet.Fleet(ROOT, bin_dir or BIN, SANDBOX, inventory, repeats, sizes, naive)
    version = ansible_core_version(bin_dir or BIN)
    run.run()
    if not bin_dir:
        run.local_run(repeats)
    run.profile(max(sizes))
    RESULTS.mkdir(parents=True, exist_ok=True)
    stem = "fleet" if max(sizes) == max(fleet.SIZES) else "fleet-smoke"
    if bin_dir:
        stem = "fleet-ansible-" + ".".join(version.split(".")[:2])
    meta = meta_of(repeats, "sandbox servers (systemd-nspawn, Debian bookworm, systemd 252), private network")
    meta["machine"] += ", ansible-core %s on the controller" % version
    run.report(RESULTS / stem, meta)
    return 0


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0])
    parser.add_argument("--smoke", action="store_true", help="1 and 10 instances, one repeat")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--only", choices=["rolling", "crash_recovery", "security"],
                        help="run this measurement only (its results in the report)")
    parser.add_argument("--fleet", action="store_true",
                        help="what one more server costs: 1, 4, 8 and 16 servers (results/fleet.md)")
    parser.add_argument("--profile-only", type=int, metavar="SERVERS",
                        help="with --fleet: only the controller's CPU per task on this many servers")
    parser.add_argument("--sizes", help="with --fleet: these numbers of servers (default 1,4,8,16)")
    parser.add_argument("--no-naive", action="store_true",
                        help="with --fleet: without the task-per-instance role (the longest runs)")
    parser.add_argument("--ansible-bin", type=Path, metavar="DIR",
                        help="with --fleet: the controller's ansible-playbook from this bin directory (another "
                             "ansible-core's virtualenv, e.g. .cache/ansible-2.21/bin from make test-ansible-versions)")
    parser.add_argument("--local-only", action="store_true",
                        help="with --fleet: only a server deploying itself (-c local)")
    args = parser.parse_args()
    if args.fleet and args.local_only:
        run = fleet.Fleet(ROOT, BIN, SANDBOX, Path(tempfile.mkdtemp(prefix="procfile-fleet-")) / "inventory.yml",
                          1, (1,))
        run.local_run(1 if args.smoke else args.repeats)
        print("\n".join(run.local_lines()))
        return 0
    if args.fleet and args.profile_only:
        run = fleet.Fleet(ROOT, BIN, SANDBOX, Path(tempfile.mkdtemp(prefix="procfile-fleet-")) / "inventory.yml",
                          1, (args.profile_only,))
        run.profile(args.profile_only)
        print("\n".join(run.profile_lines()))
        return 0
    if args.fleet:
        sizes = tuple(int(n) for n in args.sizes.split(",")) if args.sizes else fleet.SIZES
        return fleet_benchmark(2 if args.smoke else args.repeats, (1, 4) if args.smoke else sizes,
                               naive=not args.no_naive,
                               bin_dir=args.ansible_bin.resolve() if args.ansible_bin else None)
    bench = Bench(1 if args.smoke else args.repeats)
    sizes = [1, 10] if args.smoke else [1, 10, 50, 100]
    if args.only:
        try:
            getattr(bench, args.only)()
            bench.report(RESULTS / ("only-%s" % args.only))
        finally:
            subprocess.run(SANDBOX + ["down", HOST], check=False, stdout=subprocess.DEVNULL)
        return 0
    try:
        bench.deploy_from_scratch(sizes)
        if not args.smoke:
            bench.rerun_and_bare()
            bench.scale()
            bench.pause_resume()
        bench.crash_recovery()
        bench.rolling()
        bench.alternatives([10] if args.smoke else [10, 50])
        bench.security()
        bench.report()
    finally:
        subprocess.run(SANDBOX + ["down", HOST], check=False, stdout=subprocess.DEVNULL)
    return 0


if __name__ == "__main__":
    sys.exit(main())
