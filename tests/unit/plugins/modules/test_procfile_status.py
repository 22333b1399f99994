"""procfile_status' VERSION and HEALTH data, against a fake systemd whose instances' main
processes are real processes of this test (their start times are read from /proc), with
real HTTP servers on their ports for the health checks."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import subprocess
import sys
import time

import pytest

from ansible_collections.procfile.systemd.plugins.module_utils.app_status import status
from ansible_collections.procfile.systemd.plugins.module_utils.instances import scan_owned_units
from ansible_collections.procfile.systemd.plugins.module_utils.proc import start_time
from ansible_collections.procfile.systemd.plugins.module_utils.systemctl import Systemctl
from ansible_collections.procfile.systemd.tests.unit.plugins.fake_module import (
    FakeSystemd,
    Instances,
    enable,
    fake_cgroups,
    free_base_port,
)

CHECK = {"path": "/up", "timeout": 60, "status": None}


def template(unit_dir, process_type, base_port):
    path = os.path.join(unit_dir, "shop-%s@.service" % process_type)
    with open(path, "w") as handle:
        handle.write("[Unit]\nX-ProcfileApp=shop\nX-ProcfileType=%s\nX-ProcfileBasePort=%d\n"
                     "[Service]\nExecStart=/bin/true\n" % (process_type, base_port))
    return path


def touch(path, when):
    with open(path, "a"):
        pass
    os.utime(path, (when, when))


@pytest.fixture(name="shop")
def fixture_shop(tmp_path):
    """shop: web@1 and web@2 (answering 200 and 500 on their ports), worker@3, all running
    as real processes started now, and worker@4 stopped; every file last changed an hour
    ago."""
    unit_dir = str(tmp_path / "units")
    os.makedirs(unit_dir)
    base = free_base_port(4)
    hour_ago = time.time() - 3600
    files = dict(web=template(unit_dir, "web", base), worker=template(unit_dir, "worker", base),
                 code=str(tmp_path / "code"), env=str(tmp_path / "environment"),
                 versions=str(tmp_path / "versions"))
    for name in ("web", "worker", "code", "env"):
        touch(files[name], hour_ago)
    enable(unit_dir, "shop", *["shop-%s@%d.service" % tn for tn in
                               (("web", 1), ("web", 2), ("worker", 3), ("worker", 4))])
    children = [subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
                for _n in range(3)]
    pids = dict(zip(["shop-web@1.service", "shop-web@2.service", "shop-worker@3.service"],
                    [c.pid for c in children]))
    show = dict((u, {"ActiveState": "active", "SubState": "running", "MainPID": str(pid)})
                for u, pid in pids.items())
    show["shop-worker@4.service"] = {"ActiveState": "inactive", "SubState": "dead", "MainPID": "0"}
    loaded = dict((u, s["ActiveState"]) for u, s in show.items())
    servers = Instances(base, [1, 2], statuses={2: 500})
    while any(start_time(pid) is None for pid in pids.values()):
        time.sleep(0.01)
    started = min(start_time(pid) for pid in pids.values())
    yield dict(unit_dir=unit_dir, base=base, files=files, show=show, loaded=loaded,
               started=started, record=str(tmp_path / "paused.json"))
    servers.close()
    for child in children:
        child.kill()
        child.wait()


def read(shop, history=None, checks=None, versions=True):
    if history is not None:
        with open(shop["files"]["versions"], "w") as handle:
            handle.write("".join("%.2f %s\n" % entry for entry in history))
    module = FakeSystemd(shop["loaded"], show=shop["show"])
    mine = scan_owned_units(shop["unit_dir"])["shop"]
    result = status(module, Systemctl(module), "shop", sorted(mine["templates"]),
                    shop["unit_dir"], shop["record"], {}, {}, templates=mine["templates"],
                    versions_file=shop["files"]["versions"] if versions else None,
                    code_file=shop["files"]["code"], env_file=shop["files"]["env"],
                    checks=checks or {}, base_port=mine["base_port"])
    assert not result["changed"] and module.calls == []
    return result["status"], dict((r["unit"], r) for r in result["status"]["instances"])


def test_an_instance_runs_the_version_in_force_when_it_started(shop):
    started = shop["started"]
    data, rows = read(shop, [(started - 7200, "a1"), (started - 3600, "b2"), (started + 600, "c3")])
    assert data["version"] == "c3"
    assert [rows[u]["version"] for u in sorted(rows)] == ["b2", "b2", "b2", None]


def test_an_instance_started_before_the_history_or_without_one_has_no_version(shop):
    started = shop["started"]
    data, rows = read(shop, [(started + 600, "c3")])
    assert data["version"] == "c3"
    assert all(r["version"] is None for r in rows.values())
    data, rows = read(shop, versions=False)
    assert data["version"] is None and all(r["version"] is None for r in rows.values())


def test_an_instance_started_before_its_unit_environment_or_code_changed_is_old(shop):
    _data, rows = read(shop)
    assert not any(r["old"] for r in rows.values())
    later = shop["started"] + 600
    touch(shop["files"]["worker"], later)
    _data, rows = read(shop)
    assert [u for u in sorted(rows) if rows[u]["old"]] == ["shop-worker@3.service"]
    touch(shop["files"]["code"], later)
    _data, rows = read(shop)
    # Every running instance; the stopped one runs nothing.
    assert [u for u in sorted(rows) if rows[u]["old"]] == [
        "shop-web@1.service", "shop-web@2.service", "shop-worker@3.service"]


def test_the_environment_file_makes_every_instance_old(shop):
    touch(shop["files"]["env"], shop["started"] + 600)
    _data, rows = read(shop)
    assert [rows[u]["old"] for u in sorted(rows)] == [True, True, True, False]


def test_health_is_passing_or_failing_for_checked_types_and_null_otherwise(shop):
    _data, rows = read(shop, checks={"web": CHECK})
    assert (rows["shop-web@1.service"]["health"], rows["shop-web@1.service"]["health_error"]) == \
        ("passing", None)
    assert (rows["shop-web@2.service"]["health"], rows["shop-web@2.service"]["health_error"]) == \
        ("failing", "HTTP status 500")
    assert rows["shop-worker@3.service"]["health"] is None
    _data, rows = read(shop)
    assert all(r["health"] is None and r["health_error"] is None for r in rows.values())


def test_an_instance_whose_port_another_process_holds_is_failing_and_says_which(shop, fake_cgroup_root):
    """web@1's unit runs its main process in a cgroup of its own; the server on its port,
    which answers 200, is this test process's: another app's, as far as web@1 goes."""
    cgroup = "/system.slice/shop-web@1.service"
    shop["show"]["shop-web@1.service"]["ControlGroup"] = cgroup
    fake_cgroups(fake_cgroup_root, {cgroup: [int(shop["show"]["shop-web@1.service"]["MainPID"])]})
    _data, rows = read(shop, checks={"web": CHECK})
    row = rows["shop-web@1.service"]
    assert row["health"] == "failing"
    assert row["health_error"].startswith("port %d is not shop-web@1.service's: PID %d (" % (
        shop["base"] + 1, os.getpid())), row["health_error"]
    # web@2's port is its own: its own answer counts.
    assert rows["shop-web@2.service"]["health_error"] == "HTTP status 500"


def test_a_stopped_instance_is_not_probed(shop):
    """worker.4 is stopped: its port is not its own, and a check would only say so."""
    _data, rows = read(shop, checks={"*": CHECK})
    assert rows["shop-worker@3.service"]["health"] == "failing"  # nothing listens on its port
    assert rows["shop-worker@4.service"]["health"] is None


def test_scheduled_types_are_rows_of_their_own_and_make_the_app_deployed(tmp_path):
    """An app whose only type is scheduled: no instance, deployed, one row read from one
    systemctl show (systemd 252's answer for a run going)."""
    unit_dir = str(tmp_path)
    for name, extra in (("shop-report.timer", "X-ProcfileSchedule=*/5 * * * *\n"), ("shop-report.service", "")):
        with open(os.path.join(unit_dir, name), "w") as handle:
            handle.write("[Unit]\nX-ProcfileApp=shop\nX-ProcfileType=report\n" + extra)
    show = {"shop-report.timer": {"ActiveState": "active", "SubState": "waiting",
                                  "UnitFileState": "enabled",
                                  "NextElapseUSecRealtime": "Tue 2026-12-08 00:35:00 UTC",
                                  "LastTriggerUSec": "Tue 2026-12-08 00:30:00 UTC"},
            "shop-report.service": {"ActiveState": "failed", "Result": "exit-code",
                                    "ExecMainStartTimestamp": "Tue 2026-12-08 00:30:00 UTC",
                                    "ExecMainExitTimestamp": "Tue 2026-12-08 00:30:01 UTC",
                                    "ExecMainCode": "1", "ExecMainStatus": "3"}}
    module = FakeSystemd({}, show=show)
    mine = scan_owned_units(unit_dir)["shop"]
    result = status(module, Systemctl(module), "shop", sorted(mine["templates"]), unit_dir,
                    str(tmp_path / "paused.json"), {}, {}, scheduled=mine["scheduled"])
    data = result["status"]
    assert data["deployed"] and data["instances"] == [] and data["types"] == []
    [row] = data["scheduled"]
    assert (row["type"], row["schedule"], row["state"], row["result"], row["exit_code"],
            row["health"], row["last_start"], row["next_run"]) == (
        "report", "*/5 * * * *", "waiting", "exit-code", 3, "failing", 1796689800, 1796690100)
    assert module.environ == {"TZ": "UTC0"}
    # Without scheduled types the result has an empty list and the app is not deployed.
    result = status(module, Systemctl(module), "shop", [], unit_dir, str(tmp_path / "paused.json"), {}, {})
    assert result["status"]["scheduled"] == [] and not result["status"]["deployed"]
