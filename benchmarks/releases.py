"""Releases benchmark: deploying code with procfile_source against one tar stream.

On one sandbox server (a booted systemd, private network): an app of FILES small files
(packages of 100 modules, as a small Rails or Django app has), deployed with
procfile_source: the first deploy, the same code again, one file changed, and
--tags rollback; beside them, one `tar -cz | ssh tar -xz` of the same tree over the
same kind of SSH connection. Writes benchmarks/results/releases.md and .json. Not a
test: it measures, and the targets are ratios.

  python3 benchmarks/releases.py                # 3,000 and 30,000 files
  python3 benchmarks/releases.py --files 3000   # one size
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = ROOT / ".venv" / "bin"
SANDBOX = [sys.executable, str(ROOT / "tools" / "sandbox.py")]
HOST = "bench-rel"
RESULTS = ROOT / "benchmarks" / "results"
PLAY = ROOT / "playbooks" / "deploy.yml"


def make_tree(top, files):
    """FILES modules in packages of 100, a Procfile and a data file."""
    for n in range(files):
        package = top / "lib" / ("p%04d" % (n // 100))
        package.mkdir(parents=True, exist_ok=True)
        (package / ("m%03d.py" % (n % 100))).write_text("VALUE = %d\n" % n)
    (top / "Procfile").write_text("web: python3 -m http.server $PORT --bind 127.0.0.1\n")
    (top / "data.txt").write_text("v1\n")


def timed(argv, **kwargs):
    started = time.monotonic()
    res = subprocess.run(argv, capture_output=True, text=True, check=False, **kwargs)
    elapsed = time.monotonic() - started
    if res.returncode != 0:
        raise SystemExit("benchmark: %s failed:\n%s" % (" ".join(argv[:3]), (res.stdout + res.stderr)[-3000:]))
    return elapsed, res.stdout


class Releases:
    def __init__(self, tmp):
        self.tmp = tmp
        self.inventory = tmp / "inventory.yml"
        self.env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(ROOT / ".cache" / "collections"),
                        ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"), ANSIBLE_NOCOLOR="1")

    def sandbox(self, *args, **kwargs):
        return subprocess.run(SANDBOX + list(args), check=True, capture_output=True, text=True, **kwargs)

    def fresh_host(self):
        subprocess.run(SANDBOX + ["down", HOST], capture_output=True, check=False)
        self.sandbox("up", HOST, "--network", "private")
        self.sandbox("inventory", HOST, "-o", str(self.inventory))

    def deploy(self, source, *args, **extra):
        variables = dict(procfile_app="relbench", procfile_root="/srv/relbench", procfile_base_port=9300,
                         procfile_source=str(source), procfile_keep_releases=3)
        variables.update(extra)
        elapsed, out = timed([str(BIN / "ansible-playbook"), "-i", str(self.inventory), str(PLAY),
                              "-e", json.dumps(variables), *args], env=self.env)
        changed = [line for line in out.splitlines() if " changed=" in line]
        return elapsed, changed[-1].split("changed=")[1].split()[0] if changed else "?"

    def tar_stream(self, source):
        """One tar stream of the tree into a fresh directory on the server."""
        cmd = "rm -rf /tmp/tarbench && mkdir /tmp/tarbench && tar -C /tmp/tarbench -xzf -"
        started = time.monotonic()
        tar = subprocess.Popen(["tar", "-C", str(source), "-czf", "-", "."], stdout=subprocess.PIPE)
        ssh = subprocess.run(SANDBOX + ["ssh", HOST, cmd], stdin=tar.stdout, capture_output=True,
                             check=False)
        tar.stdout.close()
        tar.wait()
        if ssh.returncode != 0 or tar.returncode != 0:
            raise SystemExit("benchmark: the tar stream failed: %s" % ssh.stderr[-2000:])
        return time.monotonic() - started

    def measure(self, files):
        source = self.tmp / ("app-%d" % files)
        make_tree(source, files)
        self.fresh_host()
        row = dict(files=files)
        row["tar_stream_s"] = round(self.tar_stream(source), 2)
        row["first_s"], row["first_changed"] = self.deploy(source, procfile_revision="v1")
        row["unchanged_s"], row["unchanged_changed"] = self.deploy(source, procfile_revision="v1")
        (source / "data.txt").write_text("v2\n")
        row["one_file_s"], row["one_file_changed"] = self.deploy(source, procfile_revision="v2")
        row["rollback_s"], row["rollback_changed"] = self.deploy(source, "--tags", "rollback")
        for key in ("first_s", "unchanged_s", "one_file_s", "rollback_s"):
            row[key] = round(row[key], 2)
        # The target: a first deploy within 3x of one tar stream plus a deploy that
        # changes nothing (what every deploy costs whatever it sends).
        row["first_ratio"] = round(row["first_s"] / (row["tar_stream_s"] + row["unchanged_s"]), 2)
        subprocess.run(SANDBOX + ["down", HOST], capture_output=True, check=False)
        return row


def markdown(rows, meta):
    lines = ["# Releases benchmark", "",
             "`python3 benchmarks/releases.py` on %s, %s. Seconds of wall time for one run "
             "of `ansible-playbook playbooks/deploy.yml` with `procfile_source` (one web instance), "
             "and for one `tar -cz | ssh tar -xz` of the same tree. `ratio` = first deploy / "
             "(tar stream + unchanged deploy); the target is 3 or less." % (meta["date"], meta["host"]),
             "",
             "| files | tar stream | first deploy | unchanged (changed=) | one file changed | rollback | ratio |",
             "| ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for r in rows:
        lines.append("| %d | %.2f | %.2f | %.2f (%s) | %.2f | %.2f | %.2f |" % (
            r["files"], r["tar_stream_s"], r["first_s"], r["unchanged_s"], r["unchanged_changed"],
            r["one_file_s"], r["rollback_s"], r["first_ratio"]))
    return "\n".join(lines) + "\n"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0])
    parser.add_argument("--files", type=int, action="append",
                        help="tree sizes (default 3000 and 30000)")
    args = parser.parse_args()
    bench = Releases(Path(tempfile.mkdtemp(prefix="procfile-relbench-")))
    rows = [bench.measure(n) for n in (args.files or [3000, 30000])]
    host = "one sandbox server (systemd-nspawn, Debian bookworm), private network, 2 cores"
    meta = dict(date=time.strftime("%Y-%m-%d"), host=host)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "releases.json").write_text(json.dumps(dict(meta=meta, rows=rows), indent=2) + "\n")
    (RESULTS / "releases.md").write_text(markdown(rows, meta))
    print(markdown(rows, meta))


if __name__ == "__main__":
    main()
