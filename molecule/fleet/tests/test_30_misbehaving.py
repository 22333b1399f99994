"""Processes that misbehave: a crash loop is never given up on, and a process that
ignores SIGTERM cannot make a stop or a scale-down hang past its stop timeout."""

import time

from procfile_testlib import PROJECT, SCENARIO, instances, playbook, props, wait_for

DEPLOY = str(PROJECT / "playbooks" / "deploy.yml")
HOST = "fleet-worker-1"
FAULTY = dict(procfile_app="faulty", procfile_root="/srv/faulty",
              procfile_source=str(SCENARIO / "files" / "faulty"), procfile_base_port=7000,
              procfile_process_settings={"crashy": {"restart_sec": 0.1},
                                         "stubborn": {"stop_timeout": 3}})


def deploy_faulty(**counts):
    return playbook(DEPLOY, "--limit", HOST, **dict(FAULTY, **counts))


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
    took = float(host.check_output(
        "s=$(date +%s.%N); systemctl stop faulty-stubborn@1.service; e=$(date +%s.%N); "
        "python3 -c 'import sys; print(float(sys.argv[2]) - float(sys.argv[1]))' $s $e"))
    assert 2.5 <= took <= 10, took
    assert props(host, "faulty-stubborn@1.service", "Result")["Result"] == "timeout"
    assert props(host, "faulty-stubborn@1.service", "MainPID")["MainPID"] == "0"
    # Only the other instance's shell is left.
    assert host.run("pgrep -u faulty -x sh | wc -l").stdout.strip() == "1"

    host.check_output("systemctl start faulty-stubborn@1.service")
    started = time.monotonic()
    deploy_faulty(crashy_count=0, stubborn_count=0)
    # Both stopped at once, each within its 3 s: the deploy never hangs on them.
    assert time.monotonic() - started < 60
    assert host.run("pgrep -u faulty").stdout.strip() == ""
    for n in (1, 2):
        p = props(host, "faulty-stubborn@%d.service" % n, "ActiveState", "UnitFileState")
        assert p["ActiveState"] == "inactive", (n, p)
