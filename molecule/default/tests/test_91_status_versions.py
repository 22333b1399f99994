"""--tags status on a booted systemd: the VERSION each instance was started with (old ones
marked), and HEALTH, each type's health check run now."""

import json

from procfile_testlib import playbook, recap_changed

SHOP_SETTINGS = {"worker": {"stop_timeout": 10}}


def status(tmp_path, *args, **extra_vars):
    path = tmp_path / "status.json"
    _rc, out = playbook("shop.yml", "--tags", "status", *args, procfile_status_file=str(path), **extra_vars)
    assert recap_changed(out) == 0
    data = json.loads(path.read_text())["role-1"]
    rows = dict((line.split()[1], line.split()) for line in out.splitlines()
                if line.split()[:1] == ["role-1"] and line.split()[1:2] and line.split()[1].endswith(".service"))
    return data, rows, out


def running(data):
    found = [i for i in data["instances"] if i["state"] == "active"]
    assert found, data
    return found


def test_every_instance_reports_the_revision_it_was_started_with(tmp_path):
    playbook("shop.yml", shop_revision="r2")
    data, rows, out = status(tmp_path)
    assert data["version"] == "r2"
    assert [(i["unit"], i["version"], i["old"]) for i in running(data)] == \
        [(i["unit"], "r2", False) for i in running(data)]
    header = [line.split() for line in out.splitlines() if "INSTANCE" in line.split()]
    assert header and header[0][-2:] == ["VERSION", "HEALTH"], out[-3000:]
    for i in running(data):
        assert "r2" in rows[i["unit"]] and "(old)" not in rows[i["unit"]], rows[i["unit"]]


def test_instances_that_kept_running_an_older_version_are_marked_old(tmp_path):
    playbook("shop.yml", shop_revision="r2")
    # The release of r3 fails: the host has r3's units and code stamp, and no instance
    # was restarted. They still run r2, and status says so.
    rc, _out = playbook("shop.yml", check=False, shop_revision="r3", shop_fail_release="1")
    assert rc != 0
    data, rows, _out = status(tmp_path)
    assert data["version"] == "r3"
    for i in running(data):
        assert (i["version"], i["old"]) == ("r2", True), i
        assert rows[i["unit"]][-3:-1] == ["r2", "(old)"], rows[i["unit"]]
    # The next good deploy restarts them: every one runs r3.
    playbook("shop.yml", shop_revision="r3")
    data, rows, _out = status(tmp_path)
    assert all((i["version"], i["old"]) == ("r3", False) for i in running(data)), data
    assert all("(old)" not in rows[i["unit"]] for i in running(data))


def test_health_shows_whether_each_instances_check_passes_now(tmp_path):
    failing = {"web": {"health_check": {"path": "/nope", "timeout": 5}}}
    data, rows, _out = status(tmp_path, "-e", json.dumps({"procfile_process_settings": dict(SHOP_SETTINGS, **failing)}))
    web = [i for i in running(data) if i["type"] == "web"]
    assert web and all((i["health"], i["health_error"]) == ("failing", "HTTP status 404") for i in web), web
    assert all(rows[i["unit"]][-1] == "failing" for i in web)
    others = [i for i in running(data) if i["type"] != "web"]
    assert others and all(i["health"] is None for i in others)
    assert all(rows[i["unit"]][-1] == "-" for i in others)

    passing = {"web": {"health_check": {"path": "/", "timeout": 5}}}
    data, rows, _out = status(tmp_path, "-e", json.dumps({"procfile_process_settings": dict(SHOP_SETTINGS, **passing)}))
    web = [i for i in running(data) if i["type"] == "web"]
    assert web and all(i["health"] == "passing" and rows[i["unit"]][-1] == "passing" for i in web), web
