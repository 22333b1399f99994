"""The unit_files lookup run through Ansible itself, with the role's own templates.

The role hands its result straight to procfile_install: it must be a list of dicts on
every ansible-core version (before 2.19 a template's text that looks like a list is
turned into one; from 2.19 it stays text), and a Procfile command's {{ }} stays text.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
ROLE = ROOT / "roles" / "procfile"


def run_play(tmp_path, procfile, release, settings=None):
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "Procfile").write_text(procfile)
    # The template lookup searches the playbook's templates/ directory, as a role's.
    (tmp_path / "templates").symlink_to(ROLE / "templates", target_is_directory=True)
    args = ("app='shop', unit_dir='/etc/systemd/system/', target=_procfile_target, "
            "release_unit=_procfile_release_unit, processes=_procfile_all_processes, "
            "schedules=_procfile_schedules.types, release=%s" % ("true" if release else "false"))
    own_vars = tmp_path / "vars.yml"
    own_vars.write_text(json.dumps({"procfile_app": "shop", "procfile_root": str(tmp_path / "app"),
                                    "procfile_process_settings": settings or {},
                                    # The role reads the deploy's read as _procfile_read.
                                    "_procfile_read": "{{ __procfile_info }}"}))
    playbook = tmp_path / "play.yml"
    playbook.write_text(json.dumps([{
        "hosts": "localhost", "gather_facts": False, "connection": "local",
        # The role's defaults and vars, then this test's (a later file wins).
        "vars_files": [str(ROLE / "defaults" / "main.yml"), str(ROLE / "vars" / "main.yml"), str(own_vars)],
        "tasks": [
            # The processes come from a module result, as in the role.
            {"name": "Read the Procfile", "procfile.systemd.procfile_info": {"path": str(tmp_path / "app")},
             "register": "__procfile_info"},
            {"name": "Write the files", "ansible.builtin.copy": {
                "content": "{{ query('procfile.systemd.unit_files', %s) | to_json }}" % args,
                "dest": str(tmp_path / "files.json"), "mode": "0644"}},
            {"name": "Write web's unit as the template lookup renders it", "ansible.builtin.copy": {
                "content": "{{ lookup('ansible.builtin.template', 'process.service.j2',"
                           " template_vars={'item': _procfile_processes[0]}) }}",
                "dest": str(tmp_path / "web.txt"), "mode": "0644"}},
        ]}]))
    env = dict(os.environ, ANSIBLE_LOCALHOST_WARNING="false", ANSIBLE_INVENTORY_UNPARSED_WARNING="false",
               ANSIBLE_PYTHON_INTERPRETER=sys.executable, ANSIBLE_NOCOLOR="1")
    res = subprocess.run([str(BIN / "ansible-playbook"), "-i", "localhost,db-1,", str(playbook)],
                         capture_output=True, text=True, env=env, cwd=ROOT, check=False)
    assert res.returncode == 0, res.stdout + res.stderr
    return json.loads((tmp_path / "files.json").read_text()), (tmp_path / "web.txt").read_text()


def test_every_unit_as_data_with_commands_kept_as_text(tmp_path):
    files, web = run_play(tmp_path, "web: puma -p $PORT\n"
                                    "worker: sidekiq -i {{UNIQUE_INT}} -q '{{ not jinja }}'\n"
                                    "release: migrate {{UNIQUE_INT}}\n", release=True)
    assert [(f["path"], f["type"]) for f in files] == [
        ("/etc/systemd/system/shop.target", None),
        ("/etc/systemd/system/shop-web@.service", "web"),
        ("/etc/systemd/system/shop-worker@.service", "worker"),
        ("/etc/systemd/system/shop-release.service", None),
    ]
    for f in files:
        assert f["content"].endswith("\n") and not f["content"].endswith("\n\n"), f["path"]
    assert "X-ProcfileApp=shop\n" in files[0]["content"]
    assert files[1]["content"] == web.rstrip("\n") + "\n"
    assert "sidekiq -i %i -q '{{ not jinja }}'\"\n" in files[2]["content"]
    assert 'ExecStart=/bin/sh -c "migrate 0"\n' in files[3]["content"]


def test_no_release_unit_without_release(tmp_path):
    files, _web = run_play(tmp_path, "web: puma -p $PORT\n", release=False)
    assert [f["type"] for f in files] == [None, "web"]


def test_a_scheduled_type_gets_a_timer_and_a_service_not_a_template(tmp_path):
    files, _web = run_play(tmp_path, "web: puma -p $PORT\nreport: rake 'report {{ x }}' %i\n", release=False,
                           settings={"report": {"schedule": "0 3 * * 1-5", "schedule_timeout": 60}})
    assert [(f["path"], f["type"], f.get("scheduled", False)) for f in files] == [
        ("/etc/systemd/system/shop.target", None, False),
        ("/etc/systemd/system/shop-web@.service", "web", False),
        ("/etc/systemd/system/shop-report.timer", "report", True),
        ("/etc/systemd/system/shop-report.service", "report", True),
    ]
    # localhost is the play's first host: the timer is here, no keep_only.
    assert not any("keep_only" in f for f in files)
    timer, service = files[2]["content"], files[3]["content"]
    assert "OnCalendar=Mon..Fri *-*-* 03:00:00\n" in timer
    assert "X-ProcfileSchedule=0 3 * * 1-5\n" in timer
    assert "TimeoutStartSec=60\n" in service
    # The command as text, escaped for systemd, its %i not a specifier.
    assert "\"rake 'report {{ x }}' %%i\"\n" in service


def test_a_scheduled_type_whose_timer_is_elsewhere_gets_no_unit_here(tmp_path):
    files, _web = run_play(tmp_path, "web: puma\nreport: rake report\n", release=False,
                           settings={"report": {"schedule": "hourly", "schedule_on": "db-1"}})
    assert [f["type"] for f in files] == [None, "web"]
