"""Processes that misbehave: a crash loop is never given up on, and a process that
ignores SIGTERM cannot make a stop or a scale-down hang past its stop timeout."""

from procfile_testlib import PROJECT, SCENARIO, instances, playbook, props, wait_for

DEPLOY = str(PROJECT / "playbooks" / "deploy.yml")
HOST = "fleet-worker-1"
FAULTY = dict(procfile_app="faulty", procfile_root="/srv/faulty",
              procfile_source=str(SCENARIO / "files" / "faulty"), procfile_base_port=7000,
              procfile_process_settings={"crashy": {"restart_sec": 0.1},
                                         "stubborn": {"stop_timeout": 3}})


def deploy_faulty(*args, **counts):
    return playbook(DEPLOY, "--limit", HOST, *args, **dict(FAULTY, **counts))


def test_a_crash_loop_keeps_being_restarted_past_200_restarts(fleet):
    host = fleet[HOST]
    deploy_faulty(crashy_count=1, stubborn_count=0)
    seen = set()

    def restarts():
        p = props(host, "faulty-crashy@1.service", "NRestarts", "ActiveState")
        seen.add(p["ActiveState"])
        return int(p["NRestarts"]) > 200

    assert wait_for(restarts, 120, 0.5), props(host, "faulty-crashy@1.service", "NRestarts")
    assert "failed" not in seen, seen
    assert host.run("systemctl is-failed --quiet faulty-crashy@1.service").rc != 0


def test_a_process_ignoring_sigterm_is_killed_after_its_stop_timeout(fleet):
    host = fleet[HOST]
    deploy_faulty(crashy_count=0, stubborn_count=2)
    assert instances(host, "faulty", "stubborn") == [1, 2]
    assert wait_for(lambda: "started" in host.run("journalctl -o cat -u faulty-stubborn@1.service").stdout, 10)
    host.check_output("systemctl stop faulty-stubborn@1.service")
    # systemd's stop timeout ended it, not the process: it ignored SIGTERM, was SIGKILLed
    # once its 3 s were over, and nothing is left of it.
    assert props(host, "faulty-stubborn@1.service", "TimeoutStopUSec")["TimeoutStopUSec"] == "3s"
    assert props(host, "faulty-stubborn@1.service", "Result")["Result"] == "timeout"
    assert "State 'stop-sigterm' timed out. Killing." in host.check_output(
        "journalctl -o cat -u faulty-stubborn@1.service")
    assert props(host, "faulty-stubborn@1.service", "MainPID")["MainPID"] == "0"
    # Only the other instance's shell is left.
    assert host.run("pgrep -u faulty -x sh | wc -l").stdout.strip() == "1"

    host.check_output("systemctl start faulty-stubborn@1.service")
    _rc, output = deploy_faulty("-v", crashy_count=0, stubborn_count=0)
    assert host.run("pgrep -u faulty").stdout.strip() == ""
    for n in (1, 2):
        p = props(host, "faulty-stubborn@%d.service" % n, "ActiveState", "UnitFileState",
                  "TimeoutStopUSec")
        # Scaled to 0: stopped and disabled, each bounded by its own 3 s stop timeout.
        assert (p["ActiveState"], p["UnitFileState"], p["TimeoutStopUSec"]) == \
            ("inactive", "disabled", "3s"), (n, p)
    # Both were stopped by one systemctl call (the module's `stop` list), so their
    # timeouts ran side by side: the deploy waited one stop timeout, not one per instance.
    apply = output.split("TASK [procfile.systemd.procfile : Apply the instance counts]")[1]
    stop = apply.split("stop:", 1)[1].split(":", 1)[0]
    assert "faulty-stubborn@1.service" in stop and "faulty-stubborn@2.service" in stop, apply[:3000]
