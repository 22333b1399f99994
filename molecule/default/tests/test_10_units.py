"""After converge: units rendered and clean, instances running at the inventory counts."""

import pytest
from procfile_testlib import instances, props

APPS = {
    "shop": {"base": 5000, "counts": {"web": 2, "worker": 3, "scheduler": 1}},
    "shop-admin": {"base": 6000, "counts": {"web": 1, "worker": 2}},
}


@pytest.mark.parametrize("unit", [
    "shop-web@.service", "shop-worker@.service", "shop-scheduler@.service",
    "shop.target", "shop-release.service", "shop-admin-web@.service",
    "shop-admin-worker@.service", "shop-admin.target",
])
def test_unit_files_are_managed_and_verify_clean(host, unit):
    f = host.file("/etc/systemd/system/" + unit)
    assert f.exists and f.user == "root" and f.mode == 0o644
    assert f.content_string.startswith("#\n# Ansible managed")
    assert "X-ProcfileApp=" in f.content_string
    out = host.run("systemd-analyze verify --man=no /etc/systemd/system/%s", unit)
    assert out.rc == 0 and out.stdout + out.stderr == "", out.stdout + out.stderr


@pytest.mark.parametrize("app", sorted(APPS))
def test_instances_run_at_inventory_counts_with_unique_ints(host, app):
    seen = []
    for process_type, count in APPS[app]["counts"].items():
        numbers = instances(host, app, process_type)
        assert len(numbers) == count, (process_type, numbers)
        assert instances(host, app, process_type, "enabled") == numbers
        seen += numbers
    assert len(seen) == len(set(seen)), "UNIQUE_INT repeats within app %s: %s" % (app, seen)
    assert sorted(seen) == list(range(1, len(seen) + 1))


def test_instance_environment_port_and_dyno(host):
    for n in instances(host, "shop", "web"):
        env = host.check_output("systemctl show --property=Environment shop-web@%d" % n)
        assert "UNIQUE_INT=%d" % n in env and "DYNO=web.%d" % n in env
        # The web process answers on PORT = 5000 + UNIQUE_INT.
        out = host.run("python3 -c \"import urllib.request; urllib.request.urlopen('http://127.0.0.1:%d/')\"" % (5000 + n))
        assert out.rc == 0, out.stderr
    for n in instances(host, "shop", "worker"):
        started = host.file("/var/lib/shop-data/worker-%d.started" % n).content_string.split()
        assert started[1:] == [str(n), str(5000 + n)]


def test_supervision_settings(host):
    p = props(host, "shop-worker@3.service", "Restart", "KillMode", "KillSignal",
              "TimeoutStopUSec", "StartLimitIntervalUSec", "User", "WorkingDirectory",
              "PartOf", "SyslogIdentifier", "NoNewPrivileges", "ProtectSystem")
    assert p["Restart"] == "always"
    assert p["KillMode"] == "control-group"
    assert p["KillSignal"] == "15"
    assert p["TimeoutStopUSec"] == "10s"
    assert p["StartLimitIntervalUSec"] in ("0", "infinity")
    assert p["User"] == "shop" and p["WorkingDirectory"] == "/srv/shop"
    assert p["PartOf"] == "shop.target"
    assert p["SyslogIdentifier"] == "shop-worker.3"
    assert p["NoNewPrivileges"] == "yes" and p["ProtectSystem"] == "full"


def test_processes_run_as_the_app_user_not_root(host):
    for n in instances(host, "shop", "worker"):
        pid = props(host, "shop-worker@%d.service" % n, "MainPID")["MainPID"]
        assert host.check_output("ps -o user= -p %s", pid).strip() == "shop"
    user = host.user("shop")
    assert user.exists and user.shell == "/usr/sbin/nologin"


def test_target_enabled_release_never_a_service(host):
    assert host.check_output("systemctl is-enabled shop.target") == "enabled"
    assert host.check_output("systemctl is-active shop.target") == "active"
    release = host.file("/etc/systemd/system/shop-release.service").content_string
    assert "[Install]" not in release and "Type=oneshot" in release
    assert host.run("systemctl is-enabled shop-release.service").stdout.strip() == "static"


def test_journal_has_the_processes_output(host):
    out = host.check_output("journalctl --no-pager -o cat -t shop-worker.3")
    assert "worker-3 up, UNIQUE_INT=3 PORT=5003" in out
