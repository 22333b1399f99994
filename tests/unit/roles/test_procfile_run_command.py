"""The host command procfile-run (roles/procfile/files/procfile-run): the systemd-run call it
makes, how it reads the app's run.json, and its one-off numbers. That the command really
runs as an instance runs is proven on a booted systemd (molecule default, test_92_run.py)."""

import importlib.machinery
import importlib.util
import json
import multiprocessing
import os
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[3] / "roles" / "procfile" / "files" / "procfile-run"


def load():
    loader = importlib.machinery.SourceFileLoader("procfile_run_command", str(SCRIPT))
    spec = importlib.util.spec_from_loader(loader.name, loader)
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module


run_command = load()

CONFIG = {"app": "shop", "user": "shop", "group": "shop", "root": "/srv/shop",
          "env_file": "/etc/procfile-systemd/shop/environment", "shell": "/bin/sh",
          "counter_file": "/var/lib/procfile-systemd/shop/run-counter", "stop_timeout": "30",
          "properties": {"NoNewPrivileges": "yes", "PrivateTmp": "yes", "ProtectSystem": "full",
                         "MemoryMax": "200M"}}
COMMAND = """printf '%s\\n' "$HOME" ${X:-x} '$$' "%i" \\\\ a;b"""


def test_the_unit_runs_the_command_as_an_instance_does():
    unit, dyno, args = run_command.systemd_run_args(CONFIG, 3, "rails console", 0, True, True)
    assert (unit, dyno) == ("shop-run-3.service", "run.3")
    split = args.index("--")
    options, argv = args[:split], args[split + 1:]
    assert options[:2] == ["systemd-run", "--unit=shop-run-3.service"]
    for expected in ("--pty", "--wait", "--collect", "--uid=shop", "--gid=shop",
                     "--working-directory=/srv/shop",
                     "--property=EnvironmentFile=/etc/procfile-systemd/shop/environment",
                     "--setenv=DYNO=run.3", "--setenv=PS=run.3", "--setenv=PROCFILE_APP=shop",
                     "--setenv=PROCFILE_TYPE=run", "--property=KillMode=control-group",
                     "--property=TimeoutStopSec=30", "--property=NoNewPrivileges=yes",
                     "--property=PrivateTmp=yes", "--property=ProtectSystem=full",
                     "--property=MemoryMax=200M", "--expand-environment=no"):
        assert expected in options
    assert not [o for o in options if o.startswith("--property=RuntimeMaxSec")]
    assert argv == ["/bin/sh", "-c", run_command.WRAPPER, "sh", "rails console"]


@pytest.mark.parametrize("has_expand_switch", [True, False])
def test_the_command_reaches_the_shell_byte_for_byte(has_expand_switch):
    _unit, _dyno, args = run_command.systemd_run_args(CONFIG, 1, COMMAND, 0, False, has_expand_switch)
    argv = args[args.index("--") + 1:]
    if has_expand_switch:
        assert "--expand-environment=no" in args and argv[-1] == COMMAND
    else:
        # Without the switch (systemd < 254) systemd expands $VAR in a transient unit's
        # command like in ExecStart=: $$ is one $. Specifiers (%i) are not expanded there.
        assert "--expand-environment=no" not in args
        assert [a.replace("$$", "$") for a in argv] == ["/bin/sh", "-c", run_command.WRAPPER, "sh", COMMAND]
        assert "%i" in argv[-1] and "\\\\" in argv[-1]
    assert "--pipe" in args


def test_a_timeout_adds_a_backstop_after_procfile_run_s_own_stop():
    _unit, _dyno, args = run_command.systemd_run_args(CONFIG, 1, "sleep 100", 5, False, True)
    assert "--property=RuntimeMaxSec=65" in args


def test_the_description_names_the_one_off_on_one_line():
    _unit, _dyno, args = run_command.systemd_run_args(CONFIG, 2, "echo a\necho " + "b" * 300, 0, False, True)
    [description] = [a for a in args if a.startswith("--description=")]
    assert description.startswith("--description=shop run.2: echo a echo bbb")
    assert "\n" not in description and description.endswith("...")


def write_config(tmp_path, app="shop", mode=0o600, **changes):
    config = dict(CONFIG, app=app, **changes)
    path = tmp_path / app / "run.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(config))
    path.chmod(mode)
    return path


needs_root = pytest.mark.skipif(os.geteuid() != 0, reason="run.json must be root's")


@needs_root
def test_the_config_is_read_from_a_root_only_file(tmp_path):
    write_config(tmp_path)
    assert run_command.read_config(str(tmp_path), "shop")["root"] == "/srv/shop"


@needs_root
def test_a_config_others_can_write_is_refused(tmp_path):
    write_config(tmp_path, mode=0o666)
    with pytest.raises(run_command.Refused, match="writable by root only"):
        run_command.read_config(str(tmp_path), "shop")


@needs_root
def test_a_config_reached_through_a_link_is_refused(tmp_path):
    real = write_config(tmp_path, app="other")
    (tmp_path / "shop").mkdir()
    (tmp_path / "shop" / "run.json").symlink_to(real)
    with pytest.raises(run_command.Refused, match="not deployed"):
        run_command.read_config(str(tmp_path), "shop")


@pytest.mark.parametrize("app", ["../etc", "", "-x", "a/b"])
def test_a_bad_app_name_is_refused(tmp_path, app):
    with pytest.raises(run_command.Refused, match="not an app name"):
        run_command.read_config(str(tmp_path), app)


def test_an_app_not_deployed_is_refused_with_the_file_it_looked_for(tmp_path):
    with pytest.raises(run_command.Refused) as refused:
        run_command.read_config(str(tmp_path), "shop")
    assert "app shop is not deployed on this host" in str(refused.value)
    assert str(tmp_path / "shop" / "run.json") in str(refused.value)


@needs_root
def test_an_incomplete_config_asks_for_a_deploy(tmp_path):
    write_config(tmp_path, shell="")
    with pytest.raises(run_command.Refused, match="lacks shell: deploy the app again"):
        run_command.read_config(str(tmp_path), "shop")


def test_own_errors_run_nothing_and_exit_125(tmp_path, capsys):
    assert run_command.main(["--config-dir", str(tmp_path), "shop"]) == run_command.OWN_ERROR
    assert run_command.main(["--config-dir", str(tmp_path), "shop", "--", "true"]) == run_command.OWN_ERROR
    err = capsys.readouterr().err
    assert ("no command given; nothing was run" in err) or ("run it as root" in err)
    assert "nothing was run" in err.splitlines()[-1]


def count(counter_file, times, queue):
    queue.put([run_command.next_number(counter_file) for _time in range(times)])


def test_one_off_numbers_are_unique_across_runs_at_once(tmp_path):
    counter = str(tmp_path / "run-counter")
    queue = multiprocessing.Queue()
    workers = [multiprocessing.Process(target=count, args=(counter, 40, queue)) for _worker in range(3)]
    for w in workers:
        w.start()
    numbers = sum((queue.get(timeout=60) for _worker in workers), [])
    for w in workers:
        w.join(60)
    assert sorted(numbers) == list(range(1, 121))
    assert (tmp_path / "run-counter").read_text() == "120\n"
