"""procfile_info run through Ansible itself, against files on disk."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def ansible(*args, check=True):
    env = dict(os.environ, ANSIBLE_CALLBACK_RESULT_FORMAT="json", ANSIBLE_LOCALHOST_WARNING="false", ANSIBLE_INVENTORY_UNPARSED_WARNING="false",
               ANSIBLE_PYTHON_INTERPRETER=sys.executable, ANSIBLE_NOCOLOR="1")
    res = subprocess.run([str(BIN / args[0]), *args[1:]], capture_output=True, text=True,
                         env=env, cwd=ROOT, check=False)
    if check:
        assert res.returncode == 0, res.stdout + res.stderr
    return res


def play(tmp_path, tasks):
    playbook = tmp_path / "play.yml"
    playbook.write_text(json.dumps([{"hosts": "localhost", "gather_facts": False,
                                     "connection": "local", "tasks": tasks}]))
    return playbook


def adhoc(args, check=True):
    """Run the module ad hoc; the result JSON the default callback prints after '=>'."""
    res = ansible("ansible", "localhost", "-i", "localhost,", "-c", "local", *args,
                  "-m", "procfile.systemd.procfile_info", check=check)
    body = res.stdout.partition(" => ")[2]
    assert body, res.stdout + res.stderr
    return res.returncode, dict(json.loads(body), stderr=res.stderr)


def test_unique_int_arrives_intact_through_a_playbook(tmp_path):
    (tmp_path / "Procfile").write_text(
        "web: bundle exec puma -p $PORT\n"
        "worker: bundle exec sidekiq -i {{UNIQUE_INT}} -q '{{ not jinja }}'\n")
    playbook = play(tmp_path, [
        {"name": "parse", "procfile.systemd.procfile_info": {"path": str(tmp_path)},
         "register": "__procfile"},
        # The registered result flows through a templated expression, as in the role.
        {"name": "copy the command on", "ansible.builtin.set_fact": {
            "_cmd": "{{ __procfile.processes[1].command }}"}},
        {"name": "write it", "ansible.builtin.copy": {
            "content": "{{ _cmd }}", "dest": str(tmp_path / "out.txt")}},
        {"name": "keep the whole result", "ansible.builtin.copy": {
            "content": "{{ __procfile | to_json }}", "dest": str(tmp_path / "result.json")}},
    ])
    ansible("ansible-playbook", "-i", "localhost,", str(playbook))
    result = json.loads((tmp_path / "result.json").read_text())
    worker = result["processes"][1]
    assert worker["command"] == "bundle exec sidekiq -i {{UNIQUE_INT}} -q '{{ not jinja }}'"
    assert (tmp_path / "out.txt").read_text() == worker["command"]
    assert result["procfile"] == str(tmp_path / "Procfile")
    assert result["changed"] is False


def test_env_variant_and_reason(tmp_path):
    (tmp_path / "Procfile").write_text("web: a\n")
    (tmp_path / "Procfile_staging").write_text("web: b\nworker: c $REDIS_URL\n")
    rc, out = adhoc(["-a", json.dumps({"path": str(tmp_path), "env": "staging"})])
    assert out["procfile"].endswith("Procfile_staging")
    assert "exists for env" in out["reason"]
    assert [p["name"] for p in out["processes"]] == ["web", "worker"]
    assert out["undefined_variables"] == {"worker": ["REDIS_URL"]}
    assert "variables that nothing defines: worker references $REDIS_URL" in out["stderr"]


def test_strict_fails_on_undefined_variable(tmp_path):
    (tmp_path / "Procfile").write_text("web: run $SECRET_KEY_BASE\n")
    rc, out = adhoc(["-a", json.dumps({"path": str(tmp_path), "strict": True,
                                       "environment": {"OTHER": ""}})], check=False)
    assert rc != 0
    assert "$SECRET_KEY_BASE" in out["msg"] and "strict" in out["msg"]


@pytest.mark.parametrize("text, rule, line", [
    ("web: a\nweb: b\n", "duplicate-name", 2),
    ("web a\n", "syntax", 1),
    ("<<<<<<< HEAD\nweb: a\n", "merge-conflict", 1),
    ("# nothing\n", "empty", 0),
])
def test_bad_procfile_fails_with_file_line_and_rule(tmp_path, text, rule, line):
    (tmp_path / "Procfile").write_text(text)
    rc, out = adhoc(["-a", json.dumps({"path": str(tmp_path)})], check=False)
    assert rc != 0
    assert out["error"]["rule"] == rule
    assert out["error"]["line"] == line
    assert str(tmp_path / "Procfile") in out["msg"]


def test_check_mode_and_content():
    rc, out = adhoc(["--check", "-a", json.dumps({"content": "web: a\nrelease: b\n"})])
    assert out["procfile"] is None
    assert [p["release"] for p in out["processes"]] == [False, True]


def test_path_and_content_are_exclusive(tmp_path):
    rc, out = adhoc(["-a", json.dumps({"content": "web: a\n", "path": str(tmp_path)})],
                    check=False)
    assert rc != 0
    assert "mutually exclusive" in out["msg"]


def test_dot_variant_is_found_and_named(tmp_path):
    (tmp_path / "Procfile").write_text("web: a\n")
    (tmp_path / "Procfile.staging").write_text("web: b\n")
    _rc, out = adhoc(["-a", json.dumps({"path": str(tmp_path), "env": "staging"})])
    assert out["procfile"] == str(tmp_path / "Procfile.staging")
    assert out["reason"] == "Procfile.staging exists for env 'staging'"


def test_missing_variant_warns_or_fails_with_env_strict(tmp_path):
    (tmp_path / "Procfile").write_text("web : a ${CONCURRENCY:-5}\n")
    _rc, out = adhoc(["-a", json.dumps({"path": str(tmp_path), "env": "staging"})])
    assert out["procfile"] == str(tmp_path / "Procfile")
    assert "neither Procfile.staging nor Procfile_staging exists" in out["reason"]
    # Both warnings reach the user (the role shows them as any module's warnings).
    # ansible-core before 2.19 wraps warnings, also at hyphens: compare without spaces.
    stderr = "".join(out["stderr"].split())
    assert "neitherProcfile.stagingnorProcfile_stagingexists" in stderr
    assert "[rule:space-before-colon]" in stderr
    assert out["undefined_variables"] == {}
    rc, out = adhoc(["-a", json.dumps({"path": str(tmp_path), "env": "staging",
                                       "env_strict": True})], check=False)
    assert rc != 0
    assert out["error"]["rule"] == "missing-variant"


def test_strict_refuses_space_before_the_colon(tmp_path):
    (tmp_path / "Procfile").write_text("web : a\n")
    rc, out = adhoc(["-a", json.dumps({"path": str(tmp_path), "strict": True})], check=False)
    assert rc != 0
    assert out["error"]["rule"] == "space-before-colon"


def test_a_count_variable_that_names_no_type_warns_naming_the_type(tmp_path):
    """As the role passes them: every variable name ending in _count, from the controller."""
    (tmp_path / "Procfile").write_text("web: a\nworker: b\nrelease: c\n")
    playbook = tmp_path / "play.yml"
    playbook.write_text(json.dumps([{
        "hosts": "localhost", "gather_facts": False, "connection": "local",
        "vars": {"wroker_count": 5, "web_count": 2, "procfile_max_count": 9, "retry_count": 3},
        "tasks": [{"procfile.systemd.procfile_info": {
            "path": str(tmp_path),
            "count_variables": "{{ query('ansible.builtin.varnames', '_count$') }}"}}]}]))
    res = ansible("ansible-playbook", "-i", "localhost,", str(playbook))
    # ansible-core before 2.19 wraps warnings, also at hyphens: compare without spaces.
    said = "".join((res.stdout + res.stderr).split())
    assert ("wroker_countisset,buttheProcfilehasnotype'wroker',soitscalesnothing:didyoumean"
            "worker_count(typeworker)?Thetypes:web,worker") in said, res.stdout + res.stderr
    # Only the typo: a type's own count, the role's own variables and unrelated counts are quiet.
    assert said.count("scalesnothing") == 1
