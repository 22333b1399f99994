"""A deploy of new code restarts the app after its release, rolling inside the host.

App "roll": web_count 3 of an app that needs 2 s to boot, with a health check. Its
instances append their life to /srv/roll/var/events ("booting", "listening",
"stopping", "stopped", each with the instance, its PID and its code's version) and
the release phase appends "release <version>". A prober on the server tries every
instance's port directly, round after round, while a deploy runs. The tests read the
order of events and count rounds; they never compare durations.
"""

import pytest
from procfile_testlib import ServerProber, playbook, props, recap_changed

ROOT = "/srv/roll"
EVENTS = ROOT + "/var/events"
BASE_PORT = 7600
NUMBERS = (1, 2, 3)
CHECK = {"web": {"health_check": {"path": "/", "timeout": 30}}}
PROBES = "/tmp/roll-probes"
PROBES_STOP = "/tmp/roll-probes.stop"


def deploy(version, *args, check=True, **extra):
    """New code on the server (VERSION), then a deploy of it as procfile_revision."""
    settings = dict(procfile_app="roll", procfile_root=ROOT, procfile_base_port=BASE_PORT,
                    procfile_writable_dirs=[ROOT + "/var"], procfile_scale={"web": 3},
                    procfile_process_settings=CHECK, procfile_revision=version)
    settings.update(extra)
    return playbook("deploy.yml", *args, check=check, **settings)


def set_version(host, version):
    host.check_output("echo %s > %s/VERSION", version, ROOT)


def events(host):
    """[(event, instance, pid, version)], in the order they happened."""
    lines = host.check_output("cat %s", EVENTS).splitlines()
    return [tuple(line.split()) if not line.startswith("release ") else
            ("release", None, None, line.split()[1]) for line in lines]


def pids(host):
    return dict((n, props(host, "roll-web@%d.service" % n, "MainPID")["MainPID"])
                for n in NUMBERS)


def probing(host):
    """Direct-port probes of the three instances, round after round, on the server."""
    return ServerProber(host, "roll-prober", "python3 %s/prober.py %s"
                        % (ROOT, ",".join(str(BASE_PORT + n) for n in NUMBERS)), PROBES, PROBES_STOP)


def most_down_at_once(evts, since):
    """The largest number of instances down at the same time, from the events after index
    SINCE: an instance is down from its "stopping" (or its first "booting" of a start
    that replaced it) until its next "listening"."""
    down, most = set(), 0
    for event, instance, _pid, _version in evts[since:]:
        if event in ("stopping", "booting"):
            down.add(instance)
        elif event == "listening":
            down.discard(instance)
        most = max(most, len(down))
    return most


@pytest.fixture(scope="module", autouse=True)
def roll_app(host):
    set_version(host, "v1")
    deploy("v1")
    yield
    deploy("v1", procfile_scale={"web": 0})


def test_a_new_revision_restarts_every_instance_after_the_release_one_at_a_time(host):
    before = pids(host)
    mark = len(events(host))
    set_version(host, "v2")
    with probing(host) as prober:
        _rc, out = deploy("v2")
    after = pids(host)
    assert all(after[n] != before[n] and after[n] != "0" for n in NUMBERS), (before, after)
    new = events(host)[mark:]
    # The release of v2 came first; then each instance stopped and came back with v2.
    assert new[0] == ("release", None, None, "v2"), new
    assert [e[1] for e in new if e[0] == "stopping"] == ["web.1", "web.2", "web.3"], new
    assert sorted(e[1] for e in new if e[0] == "listening" and e[3] == "v2") == \
        ["web.1", "web.2", "web.3"], new
    # One at a time: never two instances down together (the type has a health check).
    assert most_down_at_once(new, 0) == 1, new
    rounds = [int(line) for line in prober.lines()]
    assert len(rounds) >= 20 and 0 not in rounds, rounds
    assert recap_changed(out) >= 1


def test_the_same_revision_again_restarts_nothing(host):
    before = pids(host)
    _rc, out = deploy("v2")
    assert recap_changed(out) == 0
    assert pids(host) == before


def test_check_diff_says_which_instances_restart_and_why(host):
    before = pids(host)
    set_version(host, "v3")
    _rc, out = deploy("v3", "--check", "--diff")
    assert "restart web: 1 2 3 (new revision v3, was v2)" in out, out[-3000:]
    assert pids(host) == before
    set_version(host, "v2")


def test_changed_code_without_a_revision_restarts_the_app(host):
    """procfile_code_changed (what playbooks/deploy.yml sets when procfile_source copied
    changed files): a restart even though procfile_revision stays."""
    before = pids(host)
    set_version(host, "v2b")
    _rc, out = deploy("v2", procfile_code_changed=True)
    assert recap_changed(out) >= 1
    after = pids(host)
    assert all(after[n] != before[n] for n in NUMBERS)
    _rc, out = deploy("v2")
    assert recap_changed(out) == 0 and pids(host) == after


def test_a_version_that_fails_its_check_stops_the_roll_and_the_old_ones_serve(host):
    """v4 never listens: web.1 is restarted into it and fails its check; web.2 and web.3
    are never stopped, keep their PIDs and serve all along; the run fails naming web.1,
    its URL, its unit state and the instances left on the previous version."""
    before = pids(host)
    mark = len(events(host))
    set_version(host, "v4")
    with probing(host) as prober:
        rc, out = deploy("v4", check=False, procfile_environment={"BROKEN": "1"},
                         procfile_process_settings={"web": {"health_check": {"path": "/",
                                                                             "timeout": 5}}})
    assert rc != 0
    assert "roll-web@1.service (http://127.0.0.1:7601/)" in out, out[-3000:]
    assert "not restarted keep running the previous version (roll-web@2.service " \
           "roll-web@3.service)" in " ".join(out.split()), out[-3000:]
    after = pids(host)
    assert after[2] == before[2] and after[3] == before[3]
    new = events(host)[mark:]
    assert not [e for e in new if e[0] == "stopping" and e[1] != "web.1"], new
    rounds = [int(line) for line in prober.lines()]
    assert len(rounds) >= 20 and min(rounds) >= 2, rounds
    # Fixed: the next deploy rolls every instance onto the good version.
    set_version(host, "v5")
    deploy("v5")
    assert all(pids(host)[n] not in (before[n], "0") for n in NUMBERS)


def test_max_unavailable_restarts_that_many_together(host):
    mark = len(events(host))
    set_version(host, "v6")
    deploy("v6", procfile_process_settings={"web": {"health_check": {"path": "/", "timeout": 30},
                                                    "max_unavailable": 2}})
    new = [(e[0], e[1]) for e in events(host)[mark:] if e[0] in ("stopping", "listening")]
    # web.1 and web.2 stop together; web.3 stops only once both answer again.
    assert sorted(new[:2]) == [("stopping", "web.1"), ("stopping", "web.2")], new
    back = max(new.index(("listening", "web.1")), new.index(("listening", "web.2")))
    assert new.index(("stopping", "web.3")) > back, new
    assert most_down_at_once(events(host), mark) == 2


def test_restart_tag_rolls_the_same_way(host):
    mark = len(events(host))
    before = pids(host)
    with probing(host) as prober:
        deploy("v6", "--tags", "restart")
    # Restarted: each instance has a new main process (not the product's own message).
    after = pids(host)
    assert all(after[n] not in (before[n], "0") for n in NUMBERS), (before, after)
    new = events(host)[mark:]
    assert [e[1] for e in new if e[0] == "stopping"] == ["web.1", "web.2", "web.3"], new
    assert most_down_at_once(new, 0) == 1, new
    rounds = [int(line) for line in prober.lines()]
    assert len(rounds) >= 20 and 0 not in rounds, rounds
