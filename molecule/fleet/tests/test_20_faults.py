"""Faults: runs killed with SIGKILL, two runs at once, an unreachable server, a reboot
in the middle of a deploy. After each, a normal run converges."""


from procfile_testlib import (
    PROJECT,
    background_playbook,
    boot_id,
    instances,
    kill_run,
    playbook,
    props,
    recap,
    sandbox,
    wait_for,
)

DEPLOY = str(PROJECT / "playbooks" / "deploy.yml")
LOCK = "/run/procfile-systemd/fleet.lock"


def versions(fleet):
    """What every instance of the fleet reports: {host: set of "VERSION/GENERATION"}."""
    return dict((name, _versions(name, host)) for name, host in fleet.items())


def _versions(name, host):
    if name.startswith("fleet-web"):
        bodies = [host.run("python3 -c %s", "import urllib.request as u; print(u.urlopen("
                           "'http://127.0.0.1:%d/', timeout=3).read().decode())" % port).stdout
                  for port in (6001, 6002)]
        return set(b.split()[1] if b.split() else "down" for b in bodies)
    # The worker logs "worker VERSION tick" as soon as it starts.

    def last_tick():
        pid = props(host, "fleet-worker@1.service", "MainPID")["MainPID"]
        out = host.run("journalctl -o cat _PID=$(pgrep -P %s) | tail -n 1", pid).stdout.split()
        return out[1] if len(out) == 3 else None
    return set([wait_for(last_tick, 10) or "down"])


def env(version, **extra):
    values = {"FLEET_VERSION": str(version)}
    values.update(dict((k, str(v)) for k, v in extra.items()))
    return values


def wait_until(predicate, timeout, what):
    assert wait_for(predicate, timeout, 0.2), "timed out waiting for " + what


def deploy_until_the_release_runs(release_host, environment):
    """Start a deploy of every server at once; return it while its release phase runs."""
    run = background_playbook(DEPLOY, procfile_env="v2", procfile_serial=0,
                              procfile_environment=environment)
    wait_until(lambda: props(release_host, "fleet-release.service", "ActiveState")["ActiveState"]
               == "activating", 120, "the release to run")
    return run


def converges(fleet, version, settings=None, **extra):
    """A normal run (all at once) finishes, every instance runs VERSION, a re-run is clean."""
    more = {"procfile_process_settings": settings} if settings else {}
    _rc, output = playbook(DEPLOY, procfile_serial=0, procfile_env="v2",
                           procfile_environment=env(version, **extra), **more)
    assert all(v == {"%s/2" % version} for v in versions(fleet).values()), versions(fleet)
    for name, host in fleet.items():
        assert not host.file(LOCK).exists, name
        assert instances(host, "fleet", "web") == ([1, 2] if "web" in name else []), name
        assert instances(host, "fleet", "worker") == ([1] if "worker" in name else []), name
        assert instances(host, "fleet", "web", "enabled") == ([1, 2] if "web" in name else []), name
    _rc, again = playbook(DEPLOY, procfile_serial=0, procfile_env="v2",
                          procfile_environment=env(version, **extra), **more)
    # Every server of the fleet, each on its own: nothing changed, nothing failed.
    counts = recap(again)
    assert set(counts) == set(fleet), counts
    assert all(c["changed"] == 0 and c["failed"] == 0 and c["unreachable"] == 0
               for c in counts.values()), counts
    return output


def test_a_second_run_at_the_same_time_is_refused_and_changes_nothing(fleet):
    web1 = fleet["fleet-web-1"]
    # Each web instance boots in 12 s behind its health check (timeout 20 s), one at a
    # time: the first run holds the lock for about 24 s after taking it, long enough for
    # a second ansible-playbook to start and ask on a loaded machine.
    first = background_playbook(DEPLOY, "--limit", "fleet-web-1", procfile_env="v2",
                                procfile_environment=env(3, FLEET_START_DELAY=12))
    wait_until(lambda: web1.file(LOCK).exists, 60, "the first run to take the lock")
    rc, output = playbook(DEPLOY, "--limit", "fleet-web-1", check=False, procfile_env="v2",
                          procfile_environment=env(4))
    assert rc != 0
    assert "Another run is changing app 'fleet' on this host" in output
    assert "ansible-playbook pid %d" % first.pid in output
    assert "this run changed nothing here" in output
    first_output = first.communicate(timeout=180)[0]
    assert first.returncode == 0, first_output[-4000:]
    # The refused run wrote nothing: what runs is the first run's version.
    assert versions({"fleet-web-1": web1})["fleet-web-1"] == {"3/2"}
    assert not web1.file(LOCK).exists


# Outside /tmp: the release runs with a private /tmp (procfile_hardening).
GATE = "/var/lib/fleet-release-gate"
# The directory AnsiballZ unpacks a module into while it runs (on the server's /tmp).
INSTALL_RUNNING = "ls -d /tmp/ansible_*procfile_install_payload_*"


def test_with_lock_wait_the_second_run_waits_its_turn(fleet):
    """The first run is held inside its release phase (a gate the test opens), with the
    app's lock, while the second run's install module is seen running on the server:
    it can only be waiting for the lock. Once the gate opens, both finish, the second
    last. (A second run that came after the first had given the lock back never waited,
    and passed the earlier version of this test all the same.)"""
    web1 = fleet["fleet-web-1"]
    web1.run("rm -f %s", GATE)
    assert web1.run(INSTALL_RUNNING).rc != 0
    first = background_playbook(DEPLOY, "--limit", "fleet-web-1", procfile_env="v2",
                                procfile_environment=env(5, FLEET_RELEASE_GATE=GATE))
    second = None
    try:
        wait_until(lambda: props(web1, "fleet-release.service", "ActiveState")["ActiveState"]
                   == "activating", 120, "the first run's release to run")
        assert web1.file(LOCK).exists
        second = background_playbook(DEPLOY, "--limit", "fleet-web-1", procfile_env="v2",
                                     procfile_lock_wait=180, procfile_environment=env(6))
        wait_until(lambda: web1.run(INSTALL_RUNNING).rc == 0, 120,
                   "the second run's install to wait for the lock on the server")
        assert second.poll() is None and first.poll() is None
    finally:
        web1.run("touch %s", GATE)
    first_output = first.communicate(timeout=300)[0]
    assert first.returncode == 0, first_output[-4000:]
    second_output = second.communicate(timeout=300)[0]
    assert second.returncode == 0, second_output[-4000:]
    web1.run("rm -f %s", GATE)
    # The second run went last, after the first had finished: its version runs.
    assert versions({"fleet-web-1": web1})["fleet-web-1"] == {"6/2"}


def test_killed_during_the_release_then_a_normal_run_converges(fleet):
    """Killed after the units and environment were written, before any restart."""
    web1 = fleet["fleet-web-1"]
    run = deploy_until_the_release_runs(web1, env(7, FLEET_RELEASE_DELAY=8))
    output = kill_run(run)
    assert web1.file(LOCK).exists, "the killed run left its lock: " + output[-2000:]
    # Units and environment are new on every server, the instances still the old ones.
    assert all("7/2" not in v for v in versions(fleet).values()), versions(fleet)
    output = converges(fleet, 7, FLEET_RELEASE_DELAY=8)
    assert "took over the lock of app 'fleet'" in output
    # The release did not complete in the killed run as far as the role knows (no
    # fingerprint recorded), so the normal run ran it again.
    release = output.split("TASK [procfile.systemd.procfile : Run the release phase]")[1].split("TASK [")[0]
    assert "changed: [fleet-web-1]" in release, release


def test_killed_during_a_scale_down_then_a_normal_run_converges(fleet):
    """The worker ignores SIGTERM, so stopping one takes its whole stop timeout."""
    worker = fleet["fleet-worker-1"]
    stubborn = dict(procfile_env="v2", procfile_process_settings={"worker": {"stop_timeout": 6}},
                    procfile_environment=env(7, FLEET_RELEASE_DELAY=8, FLEET_IGNORE_TERM=1))
    playbook(DEPLOY, "--limit", "fleet-worker-1", worker_count=3, **stubborn)
    assert instances(worker, "fleet", "worker") == [1, 2, 3]
    run = background_playbook(DEPLOY, "--limit", "fleet-worker-1", worker_count=1, **stubborn)
    wait_until(lambda: props(worker, "fleet-worker@3.service", "ActiveState")["ActiveState"]
               == "deactivating", 120, "the scale-down to begin")
    kill_run(run)
    # Without procfile_lock_wait, a lock still held would refuse this run (converges() would
    # fail): it either found the lock given back by the killed run's module, which goes on
    # on the server after its controller died, or took it over as a gone run's.
    converges(fleet, 7, settings={"worker": {"stop_timeout": 6}}, FLEET_RELEASE_DELAY=8,
              FLEET_IGNORE_TERM=1)
    # The stop timeout's SIGKILL ended them: no orphan, nothing left failed.
    assert worker.run("pgrep -u fleet -f '^python3 app.py worker' | wc -l").stdout.strip() == "1"
    for n in (2, 3):
        state = props(worker, "fleet-worker@%d.service" % n, "ActiveState")["ActiveState"]
        assert state == "inactive", (n, state)
    # Back to a worker that stops on SIGTERM, for the tests after this one.
    playbook(DEPLOY, "--limit", "fleet-worker-1", procfile_env="v2",
             procfile_process_settings={"worker": {"stop_timeout": 6}},
             procfile_environment=env(7, FLEET_RELEASE_DELAY=8))


def test_an_unreachable_server_does_not_stop_the_others(fleet):
    sandbox("poweroff", "fleet-web-2")
    try:
        rc, output = playbook(DEPLOY, check=False, procfile_env="v2", procfile_serial=0,
                              procfile_environment=env(8))
        assert rc == 4, output[-3000:]
        counts = recap(output)
        assert counts["fleet-web-2"]["unreachable"] == 1, counts
        assert all(c["unreachable"] == 0 and c["failed"] == 0 for name, c in counts.items()
                   if name != "fleet-web-2"), counts
        up = versions({k: v for k, v in fleet.items() if k != "fleet-web-2"})
        assert all(v == {"8/2"} for v in up.values()), up
    finally:
        sandbox("start", "fleet-web-2")
    converges(fleet, 8)


def test_a_server_rebooted_during_a_deploy_converges_on_the_next_run(fleet):
    before = boot_id(fleet["fleet-worker-1"])
    run = deploy_until_the_release_runs(fleet["fleet-web-1"], env(9, FLEET_RELEASE_DELAY=6))
    try:
        sandbox("reboot", "fleet-worker-1")
    finally:
        # Whatever the reboot did to it, the run ends before the next one starts.
        run.communicate(timeout=300)
    # The reboot did happen (it was started while the deploy's release ran).
    assert boot_id(fleet["fleet-worker-1"]) != before
    converges(fleet, 9, FLEET_RELEASE_DELAY=6)


def test_nothing_is_left_failed_or_orphaned(fleet):
    for name, host in fleet.items():
        units = host.check_output("systemctl list-units --all --plain --no-legend 'fleet-*'")
        assert "not-found" not in units, (name, units)
        failed = host.check_output("systemctl list-units --state=failed --plain --no-legend 'fleet-*'")
        assert failed.strip() == "", (name, failed)
        assert not host.file(LOCK).exists, name
