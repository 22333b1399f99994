"""--tags pause / resume / status / logs / restart, with changed reported truthfully."""

import json
import re

from procfile_testlib import instances, playbook, props, reboot, recap_changed, wait_for

TYPES = ("web", "worker", "scheduler")


def running(host, app="shop"):
    return dict((t, instances(host, app, t)) for t in TYPES)


def enabled(host, app="shop"):
    return dict((t, instances(host, app, t, "enabled")) for t in TYPES)


def nothing(host):
    return all(not ns for ns in running(host).values()) and all(not ns for ns in enabled(host).values())


def test_pause_survives_a_reboot_and_resume_restores_the_same_numbers(host):
    playbook("shop.yml")
    before = running(host)
    admin = dict((t, instances(host, "shop-admin", t)) for t in ("web", "worker"))
    rc, out = playbook("shop.yml", "--tags", "pause")
    assert recap_changed(out) >= 1 and "shop paused: 6 instances stopped and disabled" in out
    assert nothing(host)
    record = host.file("/var/lib/procfile-systemd/shop/paused.json")
    assert record.user == "root" and record.mode == 0o600
    assert json.loads(record.content_string)["instances"] == before

    reboot(host)
    assert nothing(host), running(host)
    assert dict((t, instances(host, "shop-admin", t)) for t in ("web", "worker")) == admin

    rc, out = playbook("shop.yml", "--tags", "resume")
    assert recap_changed(out) >= 1
    assert running(host) == before and enabled(host) == before
    assert not record.exists
    rc, out = playbook("shop.yml", "--tags", "resume")
    assert recap_changed(out) == 0 and "shop is not paused: nothing to resume" in out


def test_pause_twice_keeps_the_first_record_and_deploy_while_paused_starts_nothing(host):
    playbook("shop.yml", shop_worker_count=2)
    before = running(host)
    playbook("shop.yml", "--tags", "pause")
    rc, out = playbook("shop.yml", "--tags", "pause")
    assert recap_changed(out) == 0 and "already paused; kept the first record" in out
    # A deploy while paused updates units and environment but starts nothing.
    rc, out = playbook("shop.yml", shop_worker_count=4, shop_secret="rotated-while-paused")
    assert "shop is paused: units updated, no instance started" in out
    assert nothing(host)
    assert "rotated-while-paused" in host.file("/etc/procfile-systemd/shop/environment").content_string
    playbook("shop.yml", "--tags", "resume")
    assert running(host) == before
    # The next plain deploy applies the inventory counts again.
    playbook("shop.yml")
    assert len(running(host)["worker"]) == 3


def test_status_is_read_only_and_shows_a_crash_looping_instance(host, tmp_path):
    playbook("deploy.yml", procfile_app="crashy", procfile_root="/srv/crashy",
             procfile_base_port=9000, procfile_process_defaults={"restart_sec": 0.2})
    unit = "crashy-crash@1.service"
    assert wait_for(lambda: int(props(host, unit, "NRestarts")["NRestarts"]) >= 3, 15)
    status_file = tmp_path / "status.json"
    rc, out = playbook("deploy.yml", "--tags", "status", procfile_app="crashy",
                       procfile_root="/srv/crashy", procfile_status_file=str(status_file))
    assert recap_changed(out) == 0
    assert "crashy: running" in out and "crashy-crash@1.service" in out
    [row] = json.loads(status_file.read_text())["role-1"]["instances"]
    assert row["unit"] == unit and row["unique_int"] == 1
    assert row["restarts"] >= 3
    assert row["state"] in ("activating", "active")  # never left failed
    [counts] = json.loads(status_file.read_text())["role-1"]["types"]
    # "running" counts the instances active or (re)starting in the same reading: a crash
    # loop between two runs is "activating" (auto-restart), never failed, so it counts.
    assert counts == {"type": "crash", "wanted": 1,
                      "running": 1 if row["state"] in ("active", "activating", "reloading") else 0}
    assert counts["running"] == 1
    playbook("deploy.yml", procfile_app="crashy", procfile_root="/srv/crashy",
             procfile_base_port=9000, procfile_scale={"crash": 0})


def words(out):
    """Each line of OUT as its words (the table's column widths follow its content)."""
    return [line.split() for line in out.splitlines()]


def test_status_table_for_shop(host):
    rc, out = playbook("shop.yml", "--tags", "status")
    assert recap_changed(out) == 0
    assert "shop: running on role-1" in out, out[-3000:]
    for row in (["HOST", "TYPE", "WANTED", "RUNNING"], ["role-1", "worker", "3", "3"],
                ["role-1", "web", "2", "2"], ["role-1", "scheduler", "1", "1"]):
        assert row in words(out), out[-3000:]
    for n in instances(host, "shop", "worker"):
        pid = props(host, "shop-worker@%d.service" % n, "MainPID")["MainPID"]
        assert ["role-1", "shop-worker@%d.service" % n, str(n), "active/running", pid] in \
            [w[:5] for w in words(out)], out[-3000:]


def test_status_and_logs_read_as_lines_in_the_default_json_result_format(host):
    json_format = {"ANSIBLE_CALLBACK_RESULT_FORMAT": "json"}
    _rc, out = playbook("shop.yml", "--tags", "status", environ=json_format)
    assert '"msg": [' in out and '"shop: running on role-1",' in out and "\\n" not in out, out[-3000:]
    assert re.search(r'"role-1 +worker +3 +3",', out), out[-3000:]
    _rc, out = playbook("shop.yml", "--tags", "logs", "-e", "procfile_log_lines=200", environ=json_format,
                        procfile_log_type="worker")
    n = instances(host, "shop", "worker")[0]
    assert '"msg": [' in out and "worker-%d up, UNIQUE_INT=%d" % (n, n) in out, out[-3000:]


def test_one_instance_by_its_dyno_name_in_logs_and_restart(host, shop_pids):
    """worker.N, as the instance calls itself (DYNO): its logs only, and a restart of it
    alone; a name the host does not have is a clear error that changes nothing."""
    playbook("shop.yml")
    n, other = instances(host, "shop", "worker")[:2]
    _rc, out = playbook("shop.yml", "--tags", "logs", "-e", "procfile_log_lines=500",
                        procfile_log_type="worker.%d" % n)
    assert "worker-%d up, UNIQUE_INT=%d" % (n, n) in out, out[-3000:]
    assert "worker-%d up" % other not in out and "shop-web" not in out

    before = shop_pids()
    rc, out = playbook("shop.yml", "--tags", "restart", procfile_restart_type="worker.%d" % n)
    assert recap_changed(out) == 1 and "shop: restarted 1 instances" in out, out[-3000:]
    after = shop_pids()
    assert sorted(u for u in before if after.get(u) != before[u]) == ["shop-worker@%d.service" % n]

    for tag, name, message in (
            ("logs", "worker.99", "shop has no instance worker.99 on this host (instances: "),
            ("restart", "worker.99", "shop has no instance worker.99 on this host (instances: "),
            ("restart", "wrk", "shop has no process type wrk on this host (types: scheduler, web, worker;"),
            ("logs", "wrk", "shop has no process type wrk on this host (types: scheduler, web, worker;")):
        extra = {"procfile_%s_type" % ("log" if tag == "logs" else "restart"): name}
        rc, out = playbook("shop.yml", "--tags", tag, check=False, **extra)
        assert rc != 0 and message in " ".join(out.split()), (tag, name, out[-3000:])
        assert "No data available" not in out
    assert shop_pids() == after


def test_logs_show_what_processes_printed(host):
    rc, out = playbook("shop.yml", "--tags", "logs", "-e", "procfile_log_lines=200",
                       procfile_log_type="worker")
    assert recap_changed(out) == 0
    n = instances(host, "shop", "worker")[0]
    assert "worker-%d up, UNIQUE_INT=%d" % (n, n) in out
    assert "shop-web." not in out


def test_restart_one_type_keeps_counts_and_other_types(host):
    web = dict((n, props(host, "shop-web@%d.service" % n, "MainPID")["MainPID"])
               for n in instances(host, "shop", "web"))
    worker = dict((n, props(host, "shop-worker@%d.service" % n, "MainPID")["MainPID"])
                  for n in instances(host, "shop", "worker"))
    rc, out = playbook("shop.yml", "--tags", "restart", procfile_restart_type="web")
    assert "shop: restarted 2 instances" in out and recap_changed(out) == 1
    assert sorted(web) == instances(host, "shop", "web")
    for n, pid in web.items():
        assert props(host, "shop-web@%d.service" % n, "MainPID")["MainPID"] != pid
    for n, pid in worker.items():
        assert props(host, "shop-worker@%d.service" % n, "MainPID")["MainPID"] == pid
