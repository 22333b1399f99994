"""benchmarks/fleet.py's own arithmetic and bookkeeping (the measurements themselves need
sandbox servers: `python3 benchmarks/run.py --fleet`)."""

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

PATH = Path(__file__).resolve().parents[2] / "benchmarks" / "fleet.py"
SPEC = importlib.util.spec_from_file_location("fleet_benchmark", PATH)
fleet = importlib.util.module_from_spec(SPEC)
SPEC.loader.exec_module(fleet)

RECAP = """
PLAY RECAP *********************************************************************
fbench-1                   : ok=7    changed=3    unreachable=0    failed=0    skipped=9    rescued=0    ignored=0
fbench-10                  : ok=6    changed=3    unreachable=0    failed=0    skipped=10   rescued=0    ignored=0
"""


def test_tasks_per_server_come_from_the_named_hosts_recap_line():
    assert fleet.recap_tasks(RECAP, "fbench-1") == (7, 9)
    assert fleet.recap_tasks(RECAP, "fbench-10") == (6, 10)
    assert fleet.recap_tasks(RECAP, "fbench-2") == (0, 0)


def result(wall, cpu):
    return {"wall": {"median": wall}, "cpu_per_server": {"median": cpu}}


def test_targets_state_their_arithmetic(tmp_path):
    run = fleet.Fleet(Path("."), Path("."), [], tmp_path / "inv", 1, sizes=(1, 16))
    run.results = {"deploy, 1 servers": result(10.0, 0.7), "deploy, 16 servers": result(30.0, 0.7),
                   "no-change re-run, 16 servers": result(20.0, 0.7),
                   "bare play (facts + ping), 16 servers": result(10.0, 0.28)}
    targets = dict((t["target"].split(",")[0], t) for t in run.targets())
    assert targets["controller CPU per server"]["value"] == 2.5 and not targets["controller CPU per server"]["met"]
    cores = os.cpu_count() or 1
    floor = max(10.0, 0.7 * 16 / cores)
    assert targets["deploy wall time"]["value"] == round(30.0 / floor, 2)
    assert targets["no-change re-run / bare play"]["value"] == 2.0


@pytest.mark.skipif(not os.access(str(fleet.CPUACCT), os.W_OK), reason="needs a writable cgroup v1 cpuacct")
def test_the_cgroup_counts_the_cpu_of_a_command_and_its_children():
    with fleet.ControllerCpu("procfile-bench-test-%d" % os.getpid()) as cpu:
        subprocess.run([sys.executable, "-c", "import subprocess, sys; subprocess.run([sys.executable, '-c', "
                        "'sum(range(3 * 10 ** 6))'])"], check=True, preexec_fn=cpu.enter)
        spent = cpu.seconds()
    # Some CPU was counted, the child's too; nothing about how long it took.
    assert spent > 0
    assert not cpu.path.exists()


def test_profile_table_has_one_row_per_deploy_task_and_totals_per_server(tmp_path):
    run = fleet.Fleet(Path("."), Path("."), [], tmp_path / "inv", 1, sizes=(4,))
    run.profile_size = 4
    deploy = [{"task": "(start-up)", "action": "", "cpu": 0.4}, {"task": "Install", "action": "x.install", "cpu": 2.0}]
    rerun = [{"task": "(start-up)", "action": "", "cpu": 0.4}, {"task": "Install", "action": "x.install", "cpu": 1.2}]
    bare = [{"task": "Gathering Facts", "action": "gather_facts", "cpu": 0.8}]
    run.profiles = dict((k, [dict(e, cpu_per_server=e["cpu"] / 4) for e in v]) for k, v in (
        ("deploy", deploy), ("no-change re-run", rerun), ("bare play (facts + ping)", bare)))
    lines = run.profile_lines()
    assert "| Install | x.install | 0.500 | 0.300 |" in lines
    assert "| (start-up) | - | 0.100 | 0.100 |" in lines
    assert "| **all** | | **0.60** | **0.40** |" in lines
    assert lines[-1] == "The bare play, for comparison: Gathering Facts 0.200."


def test_no_profile_no_table(tmp_path):
    assert fleet.Fleet(Path("."), Path("."), [], tmp_path / "inv", 1, sizes=(4,)).profile_lines() == []


def test_the_wall_time_floor_counts_the_servers_cpu_when_they_share_the_cores(tmp_path):
    run = fleet.Fleet(Path("."), Path("."), [], tmp_path / "inv", 1, sizes=(1, 16))
    deploy16 = dict(result(30.0, 1.0), server_cpu_per_server={"median": 0.5})
    run.results = {"deploy, 1 servers": result(4.0, 1.0), "deploy, 16 servers": deploy16}
    cores = os.cpu_count() or 1
    shared = [t for t in run.targets() if t["target"].startswith("the same, the servers sharing")]
    assert shared and shared[0]["value"] == round(30.0 / max(4.0, 1.5 * 16 / cores), 2)
    assert "16 x (1.00 + 0.50 servers' CPU-s)" in shared[0]["target"]
