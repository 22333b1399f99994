"""Three servers, one inventory: placement by group_vars, rolling deploys behind a health gate."""

import json
import re
import subprocess
from pathlib import Path

from procfile_testlib import PROJECT, address, instances, playbook, prober_lines, props, recap

DEPLOY = str(PROJECT / "playbooks" / "deploy.yml")
WEB_HOSTS = ["fleet-web-1", "fleet-web-2"]
WORKER_HOSTS = ["fleet-worker-1"]
PORTS = [6001, 6002]
PROBER = Path(__file__).with_name("prober.py")


def web_body(host, port):
    return host.check_output("python3 -c %s", "import urllib.request as u; print(u.urlopen("
                             "'http://127.0.0.1:%d/', timeout=2).read().decode().strip())" % port)


def test_each_server_runs_exactly_its_groups_types(fleet):
    for name in WEB_HOSTS:
        assert instances(fleet[name], "fleet", "web") == [1, 2], name
        assert instances(fleet[name], "fleet", "worker", "loaded") == [], name
    for name in WORKER_HOSTS:
        assert instances(fleet[name], "fleet", "worker") == [1], name
        assert instances(fleet[name], "fleet", "web", "loaded") == [], name


def test_unique_int_is_per_server_and_repeats_across_servers(fleet):
    numbers = dict((name, instances(host, "fleet", "web") + instances(host, "fleet", "worker"))
                   for name, host in fleet.items())
    for name, ns in numbers.items():
        assert len(ns) == len(set(ns)), name
    assert numbers["fleet-web-1"] == numbers["fleet-web-2"] == [1, 2]


def test_status_is_one_table_for_the_whole_fleet(fleet):
    """Like `fly status`: one table with a HOST column, printed once for the three servers."""
    _rc, out = playbook(DEPLOY, "--tags", "status")
    rows = [line.split() for line in out.splitlines()]
    assert "fleet: running on fleet-web-1, fleet-web-2, fleet-worker-1" in out, out[-3000:]
    assert [r[:4] for r in rows].count(["HOST", "TYPE", "WANTED", "RUNNING"]) == 1, out[-3000:]
    assert [r[:3] for r in rows].count(["HOST", "INSTANCE", "INT"]) == 1, out[-3000:]
    assert [r[-2:] for r in rows if r[:2] == ["HOST", "INSTANCE"]] == [["VERSION", "HEALTH"]], out[-3000:]
    # web has a health check (/health), worker none; every instance runs the current version.
    instance_rows = [r for r in rows if len(r) > 2 and r[1].startswith("fleet-") and r[1].endswith(".service")]
    assert [r[-1] for r in instance_rows if "@" in r[1] and r[1].startswith("fleet-web@")] == ["passing"] * 4, out[-3000:]
    assert [r[-1] for r in instance_rows if r[1].startswith("fleet-worker@")] == ["-"]
    assert all(r[-2] != "-" and r[-2] != "(old)" for r in instance_rows), out[-3000:]
    assert ["fleet-worker-1", "worker", "1", "1"] in rows
    assert all(["fleet-web-%d" % n, "web", "2", "2"] in rows for n in (1, 2)), out[-3000:]
    listed = [r[:2] for r in rows if len(r) > 2 and r[1].startswith("fleet-")
              and r[1].endswith(".service")]
    assert listed == [[h, "fleet-web@%d.service" % n] for h in WEB_HOSTS for n in (1, 2)] + \
        [["fleet-worker-1", "fleet-worker@1.service"]], out[-3000:]


def test_logs_of_the_fleet_are_one_stream_in_time_order(fleet):
    """Like `heroku logs`: the three servers' lines merged by time, printed once, each
    naming its server."""
    _rc, out = playbook(DEPLOY, "--tags", "logs", "-e", "procfile_log_lines=20")
    stamped = re.findall(r"^\W*(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z) (\S+) ", out, re.M)
    assert sorted(set(host for _t, host in stamped)) == WEB_HOSTS + WORKER_HOSTS, out[-3000:]
    times = [t for t, _host in stamped]
    assert times == sorted(times), out[-3000:]
    # One stream: the servers' lines interleave by time instead of one block per server.
    shown = out.split("Show the logs of every host in time order", 1)[1].split("PLAY RECAP", 1)[0]
    assert len(re.findall(r"^ok: \[fleet-[\w-]+\]", shown, re.M)) == 1, shown[-3000:]


def test_both_web_servers_answer_on_the_same_ports(fleet):
    for name in WEB_HOSTS:
        for port in PORTS:
            assert web_body(fleet[name], port) == "fleet 1/1 %d" % (port - 6000), name


def test_release_ran_once_for_the_fleet(fleet):
    """A rolling deploy (serial 1) runs the release in its first batch only."""
    ran = [name for name, host in sorted(fleet.items())
           if "release 1/1 done" in host.run("journalctl -o cat -u fleet-release.service").stdout]
    assert ran == ["fleet-web-1"]


class Prober:
    """Probes every web port of the fleet from the servers' network while a run goes on."""

    def __init__(self):
        targets = ["%s:%d" % (address(name), port) for name in WEB_HOSTS for port in PORTS]
        self.by_host = dict((name, ["%s:%d" % (address(name), p) for p in PORTS]) for name in WEB_HOSTS)
        self.proc = subprocess.Popen(["ip", "netns", "exec", "sdh-hub", "python3", str(PROBER), *targets],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)

    def stop(self):
        """Its rounds: it must have run through the step (its `end N` line) and exited 0."""
        out = self.proc.communicate("stop\n", timeout=60)[0]
        assert self.proc.returncode == 0, out[-2000:]
        return [json.loads(line) for line in prober_lines(out)]


def test_rolling_deploy_keeps_a_web_server_answering(fleet):
    """serial 1, a changed command, and a web that takes 2 s to listen after each restart."""
    def pids():
        return dict((name, [props(fleet[name], "fleet-web@%d.service" % n, "MainPID")["MainPID"]
                            for n in (1, 2)]) for name in WEB_HOSTS)

    before = pids()
    prober = Prober()
    try:
        _rc, output = playbook(DEPLOY, procfile_env="v2", procfile_serial=1,
                               procfile_environment={"FLEET_VERSION": "1", "FLEET_START_DELAY": "2"})
    finally:
        rounds = prober.stop()
    assert len(rounds) > 20, rounds
    for probe in rounds:
        answering = [name for name, targets in prober.by_host.items()
                     if all(t in probe["up"] for t in targets)]
        assert answering, "no web server answered at %.2f s: %s" % (probe["t"], probe)
    # The check above is not vacuous: every web instance was restarted while the prober
    # ran (new PIDs), and the prober did see servers down (a count of rounds, which a
    # loaded machine may make sparse, but not empty: each window lasts 2 s or more).
    after = pids()
    for name in WEB_HOSTS:
        assert all(a != b for a, b in zip(after[name], before[name])), (name, before, after)
    assert any(not set(targets) <= set(p["up"]) for p in rounds
               for targets in prober.by_host.values()), rounds
    # Every host's own recap line (a host name appears on every task line of the output).
    assert all(recap(output)[name]["changed"] >= 1 for name in WEB_HOSTS), recap(output)
    for name in WEB_HOSTS:
        for port in PORTS:
            assert web_body(fleet[name], port) == "fleet 1/2 %d" % (port - 6000)


def test_a_failing_health_check_stops_the_roll_out(fleet):
    def snapshot(name):
        host = fleet[name]
        return (host.file("/etc/procfile-systemd/fleet/environment").sha256sum,
                props(host, "fleet-web@1.service", "MainPID")["MainPID"],
                props(host, "fleet-worker@1.service", "MainPID")["MainPID"])

    untouched = dict((name, snapshot(name)) for name in ["fleet-web-2", "fleet-worker-1"])
    rc, output = playbook(DEPLOY, check=False, procfile_env="v2", procfile_serial=1,
                          procfile_environment={"FLEET_VERSION": "1", "FLEET_HEALTH": "broken"},
                          procfile_process_settings={"web": {"health_check": {"path": "/health", "timeout": 4}}})
    assert rc != 0
    assert "fatal: [fleet-web-1]" in output
    # Inside fleet-web-1 the roll stops at its first instance: web@2 is never restarted.
    assert "health check failed for 1 instance(s) of fleet" in output
    assert "fleet-web@1.service (http://127.0.0.1:6001/health): HTTP status 500" in output
    assert "not restarted keep running the previous version (fleet-web@2.service)" in \
        " ".join(output.split()), output[-3000:]
    for name, before in untouched.items():
        assert snapshot(name) == before, name
    # The next good deploy rolls everything forward again.
    playbook(DEPLOY, procfile_env="v2", procfile_serial=1)
    for name in WEB_HOSTS:
        assert web_body(fleet[name], 6001) == "fleet 1/2 1"


def test_a_rolling_restart_stops_at_the_first_host_that_comes_back_unhealthy(fleet):
    web_1, web_2 = fleet["fleet-web-1"], fleet["fleet-web-2"]
    pid_2 = props(web_2, "fleet-web@1.service", "MainPID")["MainPID"]
    pid_1_2 = props(web_1, "fleet-web@2.service", "MainPID")["MainPID"]
    web_1.run("touch /srv/fleet/current/unhealthy")
    try:
        rc, output = playbook(DEPLOY, "--tags", "restart", check=False, procfile_serial=1,
                              procfile_process_settings={"web": {"health_check": {"path": "/health", "timeout": 4}}})
    finally:
        web_1.run("rm -f /srv/fleet/current/unhealthy")
    assert rc != 0
    assert "fatal: [fleet-web-1]" in output
    # The roll inside fleet-web-1 stops at web@1; its web@2 and all of fleet-web-2 keep running.
    assert "health check failed for 1 instance(s) of fleet" in output
    assert "fleet-web@1.service (http://127.0.0.1:6001/health): HTTP status 500" in output
    assert props(web_1, "fleet-web@2.service", "MainPID")["MainPID"] == pid_1_2
    assert props(web_2, "fleet-web@1.service", "MainPID")["MainPID"] == pid_2
    # The failed restart gave the lock back: a healthy rolling restart reaches web-2 as well.
    _rc, output = playbook(DEPLOY, "--tags", "restart", procfile_serial=1)
    assert props(web_2, "fleet-web@1.service", "MainPID")["MainPID"] != pid_2
    assert "restarted 2 instances" in output


def test_a_one_off_runs_on_the_first_server_or_on_every_server(fleet):
    """--tags run: once on the play's first host, or on each with procfile_run_on=all."""
    _rc, out = playbook(DEPLOY, "--tags", "run", procfile_command='echo "$DYNO of $PROCFILE_APP ran"')
    assert dict((h, c["changed"]) for h, c in recap(out).items()) == {
        "fleet-web-1": 1, "fleet-web-2": 0, "fleet-worker-1": 0}, out[-3000:]
    assert len(re.findall(r"run\.\d+ of fleet ran", out)) == 1
    _rc, out = playbook(DEPLOY, "--tags", "run", procfile_run_on="all",
                        procfile_command='echo "$DYNO of $PROCFILE_APP ran"')
    assert all(c["changed"] == 1 for c in recap(out).values()) and len(recap(out)) == 3, out[-3000:]
    assert len(re.findall(r"run\.\d+ of fleet ran", out)) == 3
