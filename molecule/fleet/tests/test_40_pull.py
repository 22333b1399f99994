"""Each server deploys itself (`ansible-playbook -c local`, as ansible-pull runs it), with
no controller: ansible-core from wheels (the servers have no PyPI), the collection from
its tarball, the README's commands as printed ("Deploying from each server").

App `pullapp` on fleet-web-1 (the designated release server) and fleet-web-2; its ports
(6500+) do not clash with the fleet app's. Everything it installs is removed at the end.
"""

import json
import re
import shlex
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "tools"))

from pull_wheels import pinned_ansible_core, wheels  # noqa: E402  pylint: disable=wrong-import-position

from procfile_testlib import (  # noqa: E402  pylint: disable=wrong-import-position
    PROJECT,
    ansible_env,
    instances,
    playbook,
    props,
    recap,
    wait_for,
)

SERVERS = ("fleet-web-1", "fleet-web-2")
DESIGNATED = "fleet-web-1"
PROJECT_DIR = "/root/pull"
LOCK = "/run/procfile-systemd/pullapp.lock"
WEB_URL = "http://127.0.0.1:6501/"
BACKGROUND = "pull-run.service"


def readme_blocks():
    """The sh blocks of the README's subsection "Deploying from each server"."""
    text = (PROJECT / "README.md").read_text()
    section = re.split(r"\n##+ ", text.split("### Deploying from each server", 1)[1])[0]
    return re.findall(r"```sh\n(.*?)```", section, re.S)


def server_block(first_comment):
    """The command lines of the README block that starts with FIRST_COMMENT."""
    for block in readme_blocks():
        if block.startswith(first_comment):
            return [line for line in block.splitlines() if line and not line.startswith("#")]
    raise AssertionError("no README block starting with %r in %r" % (first_comment, readme_blocks()))


INSTALL = server_block("# On each server")
DEPLOY = server_block("# Each server deploys itself")
assert len(DEPLOY) == 1, DEPLOY


def collection(tmp_path):
    subprocess.run(["ansible-galaxy", "collection", "build", "--force", "--output-path",
                    str(tmp_path), str(PROJECT)], check=True, capture_output=True,
                   env=ansible_env())
    (tarball,) = tmp_path.glob("procfile-systemd-*.tar.gz")
    return tarball


def deploy(host, *args, check=True, **extra_vars):
    """The README's deploy line, as printed, run on HOST in the project directory."""
    cmd = DEPLOY[0] + "".join(" " + shlex.quote(a) for a in args)
    if extra_vars:
        cmd += " -e " + shlex.quote(json.dumps(extra_vars))
    res = host.run("cd %s && %s" % (PROJECT_DIR, cmd))
    output = res.stdout + res.stderr
    if check:
        assert res.rc == 0, output[-6000:]
    return res.rc, output


def on_each(hosts, step):
    """STEP(name, host) on every server at once (each server runs its own commands)."""
    with ThreadPoolExecutor(len(hosts)) as pool:
        return dict(zip(hosts, pool.map(step, hosts, hosts.values())))


def web_answer(host):
    return host.run("python3 -c %s", "import urllib.request as u; print(u.urlopen(%r, timeout=3)"
                    ".read().decode())" % WEB_URL).stdout.strip()


@pytest.fixture(scope="module")
def pull(fleet, tmp_path_factory):
    """The two servers with ansible-core and the collection installed by the README's
    commands; at the end, the app and everything installed for it are removed."""
    hosts = dict((name, fleet[name]) for name in SERVERS)
    playbook(str(PROJECT / "molecule" / "fleet" / "plays" / "pull_copy.yml"),
             pull_wheels=str(wheels(sys.executable, env=ansible_env())),
             pull_collection=str(collection(tmp_path_factory.mktemp("collection"))))

    def install(name, host):
        # No pip, no venv's ensurepip, no PyPI on the server: only python3.
        assert host.run("python3 -m pip --version").rc != 0, name
        for line in INSTALL:
            res = host.run("cd %s && %s" % (PROJECT_DIR, line))
            assert res.rc == 0, (name, line, res.stdout[-3000:], res.stderr[-3000:])
        version = host.check_output("/opt/ansible/bin/ansible --version").splitlines()[0]
        assert version == "ansible [core %s]" % pinned_ansible_core(), (name, version)

    on_each(hosts, install)
    yield hosts

    def remove(name, host):
        host.run("systemctl kill --signal=KILL %s; systemctl reset-failed %s", BACKGROUND, BACKGROUND)
        _rc, output = deploy(host, "--tags", "remove", "-e", "procfile_remove_confirm=pullapp",
                             check=False)
        host.run("rm -rf /opt/ansible %s /srv/pullapp; userdel -r pullapp", PROJECT_DIR)
        assert instances(host, "pullapp", "web", "loaded") == [], (name, output[-3000:])

    on_each(hosts, remove)


def test_each_server_deploys_itself_and_the_release_runs_on_the_designated_one(pull):
    # The journal is kept across boots and tests: only what these deploys logged counts.
    cursors = dict((name, host.check_output("journalctl -n 0 --show-cursor").split("cursor: ")[-1])
                   for name, host in pull.items())
    # The designated server first (see the README: the others do not wait for it).
    for name in SERVERS:
        _rc, output = deploy(pull[name])
        assert recap(output).keys() == {name}, output[-3000:]
    for name, host in pull.items():
        assert instances(host, "pullapp", "web") == [1], name
        assert instances(host, "pullapp", "worker") == [2], name
        # The health check was part of the deploy and the web instance answers.
        assert web_answer(host).startswith("fleet 1/1 "), name
        assert not host.file(LOCK).exists, name
    releases = dict((name, host.check_output("journalctl -o cat -u pullapp-release.service "
                                             "--after-cursor=%s", cursors[name]))
                    for name, host in pull.items())
    assert releases[DESIGNATED].count("release 1/1 done") == 1, releases
    # procfile_release: false: no release unit was installed or run on the other.
    assert props(pull["fleet-web-2"], "pullapp-release.service", "LoadState")["LoadState"] == "not-found"
    assert "release" not in releases["fleet-web-2"], releases


def test_a_second_run_changes_nothing(pull):
    outputs = on_each(pull, lambda name, host: deploy(host)[1])
    for name, output in outputs.items():
        counts = recap(output)
        assert counts[name]["changed"] == 0 and counts[name]["failed"] == 0, output[-3000:]


def test_the_lock_refuses_a_second_local_run_and_is_taken_over_once_the_first_is_killed(pull):
    """The "controller" is the server itself: a lock held by a live local run is not
    stale, one whose ansible-playbook was killed is (same host name and boot)."""
    host = pull[DESIGNATED]
    # The first run restarts web, whose /health then fails: it holds the lock in its
    # health check (up to 5 minutes) until this test kills it.
    host.check_output("touch /srv/pullapp/current/unhealthy")
    first = DEPLOY[0] + " -e " + shlex.quote(json.dumps({
        "procfile_environment": {"FLEET_VERSION": "2"},
        "procfile_process_settings": {"web": {"health_check": {"path": "/health", "timeout": 300}}}}))
    host.check_output("systemd-run --unit=%s --setenv=HOME=/root /bin/sh -c %s", BACKGROUND,
                      "cd %s && exec %s" % (PROJECT_DIR, first))
    assert wait_for(lambda: web_answer(host).startswith("fleet 2/1 "), 180, 0.5), \
        host.run("journalctl -o cat -u %s", BACKGROUND).stdout[-4000:]
    holder = json.loads(host.file(LOCK).content_string)
    run_pid = props(host, BACKGROUND, "MainPID")["MainPID"]
    assert (holder["controller"], str(holder["pid"])) == (DESIGNATED, run_pid), holder

    rc, output = deploy(host, check=False, procfile_environment={"FLEET_VERSION": "3"})
    assert rc != 0
    assert "Another run is changing app 'pullapp' on this host" in output, output[-3000:]
    assert "ansible-playbook pid %s of root on controller %s" % (run_pid, DESIGNATED) in output
    assert "this run changed nothing here" in output
    # Refused at once: the first run is still in its health check, holding the lock.
    assert host.run("systemctl is-active --quiet %s", BACKGROUND).rc == 0
    assert json.loads(host.file(LOCK).content_string)["token"] == holder["token"]
    assert web_answer(host).startswith("fleet 2/1 ")

    host.check_output("systemctl kill --signal=KILL %s", BACKGROUND)
    assert wait_for(lambda: host.run("systemctl is-active --quiet %s", BACKGROUND).rc != 0, 60, 0.5)
    host.run("systemctl reset-failed %s", BACKGROUND)
    assert host.file(LOCK).exists, "the killed run left its lock"

    # Taken over at once (not after procfile_lock_timeout); the health check still fails,
    # and fails the run, naming the instance; the lock is given back.
    rc, output = deploy(host, check=False, procfile_environment={"FLEET_VERSION": "3"},
                        procfile_process_settings={"web": {"health_check": {"path": "/health",
                                                                            "timeout": 5}}})
    assert rc != 0, output[-3000:]
    assert "took over the lock of app 'pullapp'" in output, output[-3000:]
    assert "health check failed for 1 instance(s) of pullapp on this host" in output, output[-3000:]
    assert "pullapp-web@1.service" in output
    assert not host.file(LOCK).exists

    host.check_output("rm /srv/pullapp/current/unhealthy")
    deploy(host, procfile_environment={"FLEET_VERSION": "3"})
    assert web_answer(host).startswith("fleet 3/1 ")
    _rc, output = deploy(host, procfile_environment={"FLEET_VERSION": "3"})
    assert recap(output)[DESIGNATED]["changed"] == 0, output[-3000:]
    assert not host.file(LOCK).exists
