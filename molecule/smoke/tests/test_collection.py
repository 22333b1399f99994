"""The collection on this server's systemd, whichever Debian release it is (bullseye 247,
bookworm 252, trixie 257: `make test-systemd-range`): what the modules read from and
write to systemd and the journal, where systemd's versions differ, checked after the
deploy and the reboot of side_effect. The default scenario covers the behaviour; this
covers the interfaces, in a few plays."""

import json

import pytest
from procfile_testlib import boot_id, instances, playbook, props, recap, wait_for

UNITS = ["smoke-web@.service", "smoke-worker@.service", "smoke-release.service", "smoke.target"]
# Every property procfile.systemd's modules read with `systemctl show` (systemctl.py).
SHOWN = ["Id", "LoadState", "ActiveState", "SubState", "UnitFileState", "MainPID",
         "NRestarts", "ActiveEnterTimestamp", "NeedDaemonReload", "InvocationID", "MemoryCurrent"]


@pytest.fixture(scope="module")
def status_and_logs(tmp_path_factory):
    """--tags status,logs once for both servers: the status JSON and the play's output."""
    status_file = tmp_path_factory.mktemp("status") / "status.json"
    _rc, out = playbook("smoke.yml", "--tags", "status,logs", procfile_status_file=str(status_file),
                        procfile_log_lines=200)
    return json.loads(status_file.read_text()), out


@pytest.fixture(scope="module")
def refused():
    """A deploy with a [Service] setting this systemd does not know: systemd-analyze
    verify's output (it exits 0) must refuse it on every version, before any write."""
    settings = {"web": {"health_check": {"path": "/", "timeout": 60}},
                "worker": {"stop_timeout": 10, "service": {"NotASystemdSetting": "1"}}}
    return playbook("smoke.yml", check=False, smoke_process_settings=settings)


def test_units_verify_clean(host):
    """The units use only directives this systemd knows: verify prints nothing."""
    paths = " ".join("/etc/systemd/system/" + u for u in UNITS)
    out = host.run("LC_ALL=C systemd-analyze verify --man=no %s" % paths)
    assert out.rc == 0 and out.stdout + out.stderr == "", out.stdout + out.stderr


def test_instances_came_back_after_the_reboot(host):
    assert host.file("/var/lib/smoke-boot-id-before").content_string.strip() != boot_id(host)
    assert instances(host, "smoke", "web") == [1]
    # UNIQUE_INT is unique across the app's types: web.1, worker.2, worker.3.
    assert instances(host, "smoke", "worker") == [2, 3]
    assert instances(host, "smoke", "worker", "enabled") == [2, 3]
    assert host.run("systemctl is-enabled smoke.target").stdout.strip() == "enabled"


def test_show_gives_every_property_the_modules_read(host):
    got = props(host, "smoke-worker@3.service", *SHOWN)
    assert set(got) == set(SHOWN), got
    assert got["Id"] == "smoke-worker@3.service"
    assert (got["LoadState"], got["ActiveState"], got["SubState"]) == ("loaded", "active", "running")
    assert got["UnitFileState"] == "enabled"
    assert int(got["MainPID"]) > 0 and int(got["NRestarts"]) >= 0
    assert got["ActiveEnterTimestamp"] and got["NeedDaemonReload"] == "no"
    assert len(got["InvocationID"]) == 32


def test_web_answers_on_its_port(host):
    assert host.run("python3 -c 'import urllib.request; urllib.request.urlopen(\"http://127.0.0.1:47311/\")'").rc == 0


def test_crashed_instance_is_restarted(host):
    unit = "smoke-worker@2.service"
    before = props(host, unit, "MainPID", "NRestarts")
    assert int(before["MainPID"]) > 0, before
    host.check_output("kill -9 %s", before["MainPID"])

    def restarted():
        now = props(host, unit, "MainPID", "NRestarts", "SubState")
        return now if now["MainPID"] not in ("0", before["MainPID"]) and now["SubState"] == "running" else None
    after = wait_for(restarted, timeout=30)
    assert after, props(host, unit, "MainPID", "NRestarts", "SubState")
    assert int(after["NRestarts"]) == int(before["NRestarts"]) + 1


def test_status_reads_this_systemd(host, status_and_logs):
    status, out = status_and_logs
    name = host.backend.get_hostname()
    assert recap(out)[name]["failed"] == 0
    mine = status[name]
    assert mine["types"] == [{"running": 1, "type": "web", "wanted": 1},
                             {"running": 2, "type": "worker", "wanted": 2}], mine["types"]
    seen = {i["unit"]: i for i in mine["instances"]}
    assert sorted(seen) == ["smoke-web@1.service", "smoke-worker@2.service", "smoke-worker@3.service"]
    for unit, instance in seen.items():
        assert (instance["state"], instance["sub_state"], instance["enabled"]) == ("active", "running", "enabled"), instance
        assert instance["main_pid"] > 0 and instance["since"] and instance["version"] == "r1", instance
    assert seen["smoke-web@1.service"]["health"] == "passing"


def test_logs_read_journalctl_json(host, status_and_logs):
    """--tags logs parses `journalctl --output=json --output-fields=...` of this version."""
    _status, out = status_and_logs
    name = host.backend.get_hostname()
    for dyno in ("worker.2", "worker.3"):
        assert any(name in line and "smoke worker %s up" % dyno in line for line in out.splitlines()), out[-3000:]
    assert "not journalctl JSON entries" not in out


def test_unknown_setting_is_refused_by_verify(host, refused):
    rc, out = refused
    assert rc != 0
    assert "systemd-analyze verify found problems" in out and "NotASystemdSetting" in out, out[-3000:]
    assert recap(out)[host.backend.get_hostname()]["failed"] == 1
    unit = host.file("/etc/systemd/system/smoke-worker@.service").content_string
    assert "NotASystemdSetting" not in unit
    assert instances(host, "smoke", "worker") == [2, 3]


@pytest.fixture(scope="module")
def new_revision():
    """A deploy of a new revision (last: its instances restart): the release runs once."""
    return playbook("smoke.yml", "-v", procfile_revision="r2")


def test_release_output_is_shown(host, new_revision):
    """The role finds the release's output by its invocation (release.yml); systemd 247
    forgets a finished oneshot's InvocationID, so this once showed nothing on bullseye."""
    _rc, out = new_revision
    assert "smoke release ran" in out, out[-3000:]
    assert recap(out)[host.backend.get_hostname()]["failed"] == 0
    assert instances(host, "smoke", "worker") == [2, 3]
