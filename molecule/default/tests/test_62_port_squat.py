"""An instance's port is its own: a process that listens on it first (another app, a
forgotten server) does not pass the instance's health check for it.

App "victim": web_count 2 on ports 7701 and 7702, with a health check. A squatter, a
transient unit of its own, listens on 127.0.0.1:7702 before victim is deployed, so
victim-web@2 cannot bind and crash loops while the squatter answers on its port. The
deploy must fail naming victim-web@2, the port and the squatter, and --tags status must
show web@2 failing for that reason; once the squatter is gone, a deploy succeeds."""

import json

import pytest
from procfile_testlib import playbook, props, wait_for

APP = "victim"
ROOT = "/srv/victim"
BASE_PORT = 7700
SQUATTED = BASE_PORT + 2
SQUATTER = "victim-squatter"
SETTINGS = dict(procfile_app=APP, procfile_root=ROOT, procfile_base_port=BASE_PORT,
                procfile_scale={"web": 2},
                procfile_process_settings={"web": {"health_check": {"path": "/", "timeout": 20}}})


def folded(out):
    """The yaml callback folds long messages at spaces: compare with whitespace collapsed."""
    return " ".join(out.split())


def listening(host, port):
    return host.socket("tcp://127.0.0.1:%d" % port).is_listening


def stop_squatter(host):
    host.run("systemctl stop %s; systemctl reset-failed %s", SQUATTER, SQUATTER)


@pytest.fixture(name="victim")
def fixture_victim(host):
    """victim's code on the server, and the squatter on web@2's port; at the end, victim
    removed from the host (units, files, account) and the squatter stopped."""
    stop_squatter(host)
    assert not listening(host, SQUATTED), "port %d is taken before the test" % SQUATTED
    host.check_output("mkdir -p %s && printf '%%s\\n' %s > %s/Procfile", ROOT,
                      "web: exec python3 -m http.server --bind 127.0.0.1 $PORT", ROOT)
    host.check_output("systemd-run --unit=%s python3 -m http.server --bind 127.0.0.1 %s",
                      SQUATTER, str(SQUATTED))
    assert wait_for(lambda: listening(host, SQUATTED), 60), "the squatter never listened"
    yield
    stop_squatter(host)
    playbook("deploy.yml", "--tags", "remove", procfile_remove_confirm=APP, procfile_remove_user=True,
             **SETTINGS)
    host.check_output("rm -rf %s", ROOT)


def status(tmp_path):
    """procfile_status' data of victim's instances on the server, {unit: instance}."""
    path = tmp_path / "status.json"
    playbook("deploy.yml", "--tags", "status", procfile_status_file=str(path), **SETTINGS)
    (data,) = json.loads(path.read_text()).values()
    return dict((i["unit"], i) for i in data["instances"])


def test_a_port_another_process_listens_on_fails_the_deploy_naming_it(host, victim, tmp_path):
    squatter_pid = props(host, SQUATTER + ".service", "MainPID")["MainPID"]
    rc, out = playbook("deploy.yml", check=False, **SETTINGS)
    assert rc != 0, out[-3000:]
    message = folded(out)
    # The instance, the port, and the process that holds it: PID, command and unit.
    assert "victim-web@2.service (http://127.0.0.1:%d/): port %d is not victim-web@2.service's: " \
           "PID %s (python3, unit %s.service) listens on it" % (SQUATTED, SQUATTED, squatter_pid,
                                                                SQUATTER) in message, out[-3000:]
    # web@1's port is its own: it passed.
    assert "victim-web@1.service (" not in message, out[-3000:]

    rows = status(tmp_path)
    assert rows["victim-web@1.service"]["health"] == "passing", rows
    web2 = rows["victim-web@2.service"]
    assert web2["health"] == "failing", rows
    assert web2["health_error"].startswith("port %d is not victim-web@2.service's: PID %s (" % (
        SQUATTED, squatter_pid)), web2

    # The squatter gone, web@2 binds its port at its next restart, and the deploy passes.
    stop_squatter(host)
    playbook("deploy.yml", **SETTINGS)
    rows = status(tmp_path)
    assert [(u, rows[u]["health"]) for u in sorted(rows)] == [
        ("victim-web@1.service", "passing"), ("victim-web@2.service", "passing")], rows
