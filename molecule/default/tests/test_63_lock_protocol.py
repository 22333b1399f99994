"""One lock protocol for every operation that changes an app: deploy, pause, resume,
restart, rollback and remove each take the app's lock in their own module call the same
way. Beside a live run's lock, each is refused with the same message naming the holder,
and changes nothing; a lock whose run is gone is taken over (with a warning), and the
operation then completes and gives the lock back.

App "locky" (from releases, so that it can be rolled back): one worker. The lease planted
for "another run" names another controller, so that it is live or gone by its age alone
(procfile_lock_timeout), as a run on a real second controller is.
"""

import json
import time

import pytest
from procfile_testlib import playbook

APP = "locky"
ROOT = "/srv/locky"
LEASE = "/run/procfile-systemd/locky.lock"
OPERATIONS = ("deploy", "pause", "resume", "restart", "rollback", "remove")


def folded(out):
    """The yaml callback folds long messages at spaces and doubles the quotes of a
    single-quoted string: compare with whitespace collapsed and quotes single."""
    return " ".join(out.split()).replace("''", "'")


def run(source, operation, *args, check=True, **extra):
    settings = dict(procfile_app=APP, procfile_root=ROOT, procfile_base_port=9300,
                    procfile_source=str(source), procfile_revision="v2")
    if operation == "remove":
        settings["procfile_remove_confirm"] = APP
    if operation != "deploy":
        args = ("--tags", operation) + args
    settings.update(extra)
    return playbook("deploy.yml", *args, check=check, **settings)


def plant_lease(host, age):
    lease = {"token": "ctl-elsewhere:0000:4242:1", "controller": "ctl-elsewhere", "boot_id": "0" * 32,
             "user": "deployer", "pid": 4242, "pid_start": "1", "nonce": "f" * 16,
             "acquired_at": int(time.time()) - age}
    # testinfra quotes each argument for the shell.
    host.check_output("mkdir -p -m 0700 /run/procfile-systemd && printf '%%s\\n' %s > %s && chmod 0600 %s",
                      json.dumps(lease), LEASE, LEASE)
    planted = host.check_output("cat %s", LEASE)
    assert json.loads(planted)["token"] == lease["token"], planted
    return planted


def app_state(host):
    """What an operation would change: the units and their states, the worker's PID, the
    release `current` names, the pause record."""
    units = host.run("systemctl list-units --all --plain --no-legend 'locky*'").stdout
    return (sorted(" ".join(line.split()[:4]) for line in units.splitlines()),
            host.run("systemctl show -p MainPID --value locky-worker@1.service").stdout,
            host.run("readlink %s/current", ROOT).stdout,
            host.run("cat /var/lib/procfile-systemd/locky/paused.json").stdout,
            host.run("ls /etc/systemd/system/ | grep '^locky' || true").stdout)


@pytest.fixture(scope="module")
def source(host, tmp_path_factory):
    src = tmp_path_factory.mktemp("locky")
    (src / "Procfile").write_text("worker: exec sleep 100000\n")
    (src / "version").write_text("v1\n")
    run(src, "deploy", procfile_revision="v1")
    (src / "version").write_text("v2\n")
    run(src, "deploy")
    yield src
    host.run("rm -f %s", LEASE)
    run(src, "remove", check=False, procfile_remove_user=True)
    host.run("rm -rf %s", ROOT)


@pytest.mark.parametrize("operation", OPERATIONS)
def test_beside_a_live_runs_lock_every_operation_is_refused_naming_it_and_changes_nothing(
        host, source, operation):
    lease = plant_lease(host, age=60)
    before = app_state(host)
    try:
        # A deploy that got the lock would change something: a second worker.
        rc, out = run(source, operation, check=False, procfile_scale={"worker": 2})
        assert rc != 0, out[-3000:]
        assert ("Another run is changing app 'locky' on this host: run ctl-elsewhere:0000:4242:1 "
                "(ansible-playbook pid 4242 of deployer on controller ctl-elsewhere, " in folded(out)), out[-3000:]
        assert "changed nothing here" in folded(out)
        assert host.check_output("cat %s", LEASE) == lease
        assert app_state(host) == before
    finally:
        host.run("rm -f %s", LEASE)


def test_a_gone_runs_lock_is_taken_over_by_every_operation_which_then_completes(host, source):
    outcomes = {}
    for operation in OPERATIONS:
        plant_lease(host, age=7200)
        rc, out = run(source, operation, check=False)
        outcomes[operation] = (rc, "took over the lock of app 'locky'" in folded(out),
                               host.file(LEASE).exists)
        if operation == "pause":
            assert host.run("systemctl is-active locky-worker@1.service").stdout.strip() != "active"
        if operation == "resume":
            assert host.run("systemctl is-active locky-worker@1.service").stdout.strip() == "active"
        if operation == "rollback":
            assert host.check_output("readlink %s/current", ROOT).endswith("/v1")
    # Each one: succeeded, said it took the lock over, and gave the lock back.
    assert outcomes == dict((operation, (0, True, False)) for operation in OPERATIONS), outcomes
    assert not host.file("/etc/systemd/system/locky-worker@.service").exists
