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
    cursor = host.check_output("journalctl -n 1 -o cat --show-cursor").split("-- cursor: ")[-1].strip()
    deploy_faulty(crashy_count=0, stubborn_count=0)
    assert host.run("pgrep -u faulty").stdout.strip() == ""
    for n in (1, 2):
        p = props(host, "faulty-stubborn@%d.service" % n, "ActiveState", "UnitFileState",
                  "TimeoutStopUSec")
        # Scaled to 0: stopped and disabled, each bounded by its own 3 s stop timeout.
        assert (p["ActiveState"], p["UnitFileState"], p["TimeoutStopUSec"]) == \
            ("inactive", "disabled", "3s"), (n, p)
    # Both were stopped by one systemctl call, so their timeouts ran side by side (the
    # deploy waited one stop timeout, not one per instance): systemd's journal shows both
    # stops begun before either timed out. One call per instance, each waiting for its
    # stop, would show the first timing out before the second began.
    lines = host.check_output("journalctl --no-pager -o cat --after-cursor %s "
                              "-u faulty-stubborn@1.service -u faulty-stubborn@2.service",
                              cursor).splitlines()
    begun = [i for i, line in enumerate(lines) if line.startswith("Stopping ") and "stubborn" in line]
    timed_out = [i for i, line in enumerate(lines) if "State 'stop-sigterm' timed out" in line]
    assert len(begun) == 2 and len(timed_out) == 2 and max(begun) < min(timed_out), lines
