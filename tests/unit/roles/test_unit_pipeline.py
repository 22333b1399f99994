"""Procfile text -> parser -> the role's unit template -> `systemd-analyze verify`.

Whatever the text, the pipeline either stops with a clean, line-numbered parser error
(before anything would be written), or produces units that systemd accepts without a
single warning. The role's real template is rendered, with Ansible's own filters.
"""

import shutil
import subprocess
from pathlib import Path

import jinja2
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ansible.plugins.filter.core import FilterModule as CoreFilters
from ansible_collections.procfile.systemd.plugins.filter.procfile import FilterModule
from ansible_collections.procfile.systemd.plugins.module_utils.procfile import (
    ProcfileError,
    parse,
)

ROLE = Path(__file__).resolve().parents[3] / "roles" / "procfile"
ANALYZE = shutil.which("systemd-analyze")
pytestmark = pytest.mark.skipif(ANALYZE is None, reason="systemd-analyze is not installed")


def environment():
    env = jinja2.Environment(undefined=jinja2.StrictUndefined, keep_trailing_newline=True,
                             trim_blocks=True)
    # Ansible's filters, but Jinja's own `default`: Ansible 2.19's works with Ansible's
    # undefined markers, which plain Jinja does not produce.
    env.filters.update((k, v) for k, v in CoreFilters().filters().items() if k not in ("default", "d"))
    for name, fn in FilterModule().filters().items():
        env.filters["procfile.systemd." + name] = fn
    return env


ENV = environment()
TEMPLATE = ENV.from_string((ROLE / "templates" / "process.service.j2").read_text())
ROLE_VARS = yaml.safe_load((ROLE / "vars" / "main.yml").read_text())
DEFAULTS = yaml.safe_load((ROLE / "defaults" / "main.yml").read_text())


def render(app, process, settings_=None):
    variables = dict(DEFAULTS)
    variables.update(ROLE_VARS)
    variables.update(
        procfile_app=app, procfile_root="/srv/" + app, procfile_user=app, procfile_group=app,
        procfile_process_settings=settings_ or {}, item=process,
        __procfile_info={"procfile": "/srv/%s/Procfile" % app},
        ansible_managed="Ansible managed",
        _procfile_target=app + ".target",
        _procfile_env_file="/etc/procfile-systemd/%s/environment" % app,
    )
    return TEMPLATE.render(**variables)


def verify(tmp_path, units):
    for name, text in units.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    res = subprocess.run([ANALYZE, "verify", "--man=no", *[str(tmp_path / n) for n in units]],
                         capture_output=True, text=True, check=False)
    return res.returncode, res.stdout + res.stderr


def pipeline(tmp_path, text):
    try:
        processes = parse(text)
    except ProcfileError as exc:
        assert exc.rule and exc.line >= 0
        return None
    units = dict(("shop-%s@.service" % p["name"], render("shop", p))
                 for p in processes if not p["release"])
    if not units:
        return {}
    rc, out = verify(tmp_path, units)
    assert rc == 0 and out == "", out
    return units


def test_real_world_procfile_verifies_clean(tmp_path):
    units = pipeline(tmp_path, "web: bundle exec puma -p $PORT\n"
                               "worker: bundle exec sidekiq -i {{UNIQUE_INT}} -c ${C:-5}\n")
    assert 'sidekiq -i %i -c $${C:-5}' in units["shop-worker@.service"]


def test_settings_render_and_verify(tmp_path):
    process = parse("worker: sidekiq\n")[0]
    text = render("shop", process, {"worker": {
        "stop_signal": "TSTP", "stop_timeout": 25, "restart_sec": 0.5, "memory_max": "512M",
        "nice": 5, "after": ["redis-server.service"], "service": {"LimitNOFILE": 4096}}})
    for line in ("KillSignal=SIGTSTP", "TimeoutStopSec=25", "RestartSec=0.5", "MemoryMax=512M",
                 "Nice=5", "After=network.target redis-server.service",
                 "Wants=redis-server.service", "LimitNOFILE=4096", "SuccessExitStatus=148",
                 'trap "exit \\\\$$?" TSTP'):
        assert line in text, line
    rc, out = verify(tmp_path, {"shop-worker@.service": text})
    assert rc == 0 and out == "", out


COMMAND_CHARS = st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00")


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(st.from_regex(r"[A-Za-z0-9][A-Za-z0-9_-]{0,20}", fullmatch=True),
                          st.text(COMMAND_CHARS, min_size=1, max_size=80)), min_size=1, max_size=5))
def test_any_procfile_gives_a_clean_error_or_clean_units(tmp_path, entries):
    text = "".join("%s: %s\n" % entry for entry in entries)
    pipeline(tmp_path, text)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(st.sampled_from(list("$%\\\"'`;&|<>(){}[]*?~#!\t =@:,.-_aZ09\u00e9\u2603")),
               min_size=1, max_size=120))
def test_shell_special_commands_verify_clean(tmp_path, command):
    pipeline(tmp_path, "web: x %s\n" % command)
