"""Procfile text -> parser -> the role's unit template -> `systemd-analyze verify`.

Whatever the text, the pipeline either stops with a clean, line-numbered parser error
(before anything would be written), or produces units that systemd accepts without a
single warning, whose ExecStart= hands the shell the Procfile's command byte for byte
(decoded here with systemd's rules). The role's real template is rendered, with
Ansible's own filters.
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
from ansible_collections.procfile.systemd.plugins.module_utils.procfile_error import ProcfileError
from ansible_collections.procfile.systemd.plugins.module_utils.procfile_parse import parse

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


def derived(name, variables):
    """A vars/main.yml variable that is one expression, evaluated as Ansible would."""
    expression = ROLE_VARS[name].strip()
    assert expression.startswith("{{") and expression.endswith("}}"), name
    return ENV.compile_expression(expression[2:-2])(**variables)


def unit_variables(app, item, settings_=None, **role_vars):
    """The variables a unit template of APP renders with, ITEM being what it is for."""
    variables = dict(DEFAULTS)
    variables.update(ROLE_VARS)
    variables.update(role_vars)
    variables["_procfile_hardening_settings"] = derived("_procfile_hardening_settings", variables)
    variables.update(
        procfile_app=app, procfile_root="/srv/" + app, _procfile_user=app, _procfile_group=app,
        procfile_process_settings=settings_ or {}, item=item,
        _procfile_read={"procfile": "/srv/%s/Procfile" % app},
        ansible_managed="Ansible managed",
        _procfile_target=app + ".target",
        _procfile_env_file="/etc/procfile-systemd/%s/environment" % app,
    )
    return derive_paths(variables)


def render(app, process, settings_=None, **role_vars):
    return TEMPLATE.render(**unit_variables(app, process, settings_, **role_vars))


def derive_paths(variables):
    """The working directory and the Procfile's name, as the role derives them from
    procfile_root and _procfile_read (no releases here)."""
    variables = dict(variables)
    for name in ("_procfile_releases", "_procfile_workdir", "_procfile_procfile_shown"):
        variables[name] = derived(name, variables)
    return variables


def verify(tmp_path, units):
    for name, text in units.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    res = subprocess.run([ANALYZE, "verify", "--man=no", *[str(tmp_path / n) for n in units]],
                         capture_output=True, text=True, check=False)
    return res.returncode, res.stdout + res.stderr


# ------------------------------------------------------------- systemd's reading of ExecStart=
# Written from systemd.service(5) and systemd 252's config_parse_exec(), independently of
# plugins/module_utils/units.py, so that a quoting bug there cannot cancel out here.
# Anything the role should never produce (another specifier, a variable reference, an
# unknown escape) raises, rather than being guessed at.

C_ESCAPES = {"a": "\a", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v",
             "\\": "\\", '"': '"', "'": "'", "s": " "}


def split_words(value):
    """Words of a command line, unquoted and C-unescaped (extract_first_word with
    EXTRACT_UNQUOTE|EXTRACT_CUNESCAPE; backslashes are escapes inside quotes too)."""
    words, word, quote, i = [], None, None, 0
    while i < len(value):
        c = value[i]
        if c == "\\":
            nxt = value[i + 1]
            if nxt in C_ESCAPES:
                c, i = C_ESCAPES[nxt], i + 1
            elif nxt == "x":
                c, i = chr(int(value[i + 2:i + 4], 16)), i + 3
            else:
                raise ValueError("escape \\%s" % nxt)
        elif quote is None and c in " \t\n":
            if word is not None:
                words.append(word)
            word, i = None, i + 1
            continue
        elif c in "\"'" and quote in (None, c):
            quote = c if quote is None else None
            word, i = word or "", i + 1
            continue
        word = (word or "") + c
        i += 1
    assert quote is None, "unterminated quote"
    return words + ([word] if word is not None else [])


def specifiers(word, instance):
    """Specifier expansion of one word: %% and %i only."""
    out, i = [], 0
    while i < len(word):
        if word[i] == "%":
            nxt = word[i + 1]
            if nxt not in "%i":
                raise ValueError("specifier %%%s" % nxt)
            out.append("%" if nxt == "%" else instance)
            i += 2
        else:
            out.append(word[i])
            i += 1
    return "".join(out)


def variables(word):
    """Environment substitution at exec time: $$ is a literal $; any other $ would expand."""
    out, i = [], 0
    while i < len(word):
        if word[i] == "$":
            if word[i + 1:i + 2] != "$":
                raise ValueError("variable reference at %r" % word[i:i + 10])
            i += 1
        out.append(word[i])
        i += 1
    return "".join(out)


def exec_argv(unit_text, instance):
    """The argv systemd starts for instance INSTANCE of the unit."""
    lines = [line for line in unit_text.split("\n") if line.startswith("ExecStart=")]
    assert len(lines) == 1, lines
    return [variables(specifiers(w, instance)) for w in split_words(lines[0][len("ExecStart="):])]


def test_the_decoder_reads_systemds_quoting():
    # Cases from systemd.service(5), "Command lines", and systemd.unit(5), "Specifiers".
    assert exec_argv('ExecStart=/bin/echo "one two" \'three\' fo"u"r', "1") == \
        ["/bin/echo", "one two", "three", "four"]
    assert exec_argv('ExecStart=/bin/echo "x\\"\\\\y\\t" 100%% %i $$HOME', "3") == \
        ["/bin/echo", 'x"\\y\t', "100%", "3", "$HOME"]
    for bad in ('ExecStart=/bin/echo $HOME', 'ExecStart=/bin/echo %n', 'ExecStart=/bin/echo "a'):
        with pytest.raises((ValueError, AssertionError)):
            exec_argv(bad, "1")


INSTANCE = "7"


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
    for process in processes:
        if process["release"]:
            continue
        # Read back as systemd reads the file: bytes, decoded as UTF-8.
        unit = (tmp_path / ("shop-%s@.service" % process["name"])).read_bytes().decode("utf-8")
        argv = exec_argv(unit, INSTANCE)
        assert argv[:2] == ["/bin/sh", "-c"] and argv[3] == "sh" and len(argv) == 5, argv
        expected = process["command"].replace("{{UNIQUE_INT}}", INSTANCE)
        assert argv[4].encode("utf-8") == expected.encode("utf-8")
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


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(st.lists(st.tuples(st.from_regex(r"[A-Za-z0-9][A-Za-z0-9_-]{0,20}", fullmatch=True),
                          st.text(COMMAND_CHARS, min_size=1, max_size=80)), min_size=1, max_size=5))
def test_any_procfile_gives_a_clean_error_or_clean_units(tmp_path, entries):
    text = "".join("%s: %s\n" % entry for entry in entries)
    pipeline(tmp_path, text)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(st.text(st.sampled_from(list("$%\\\"'`;&|<>(){}[]*?~#!\t =@:,.-_aZ09\u00e9\u2603")),
               min_size=1, max_size=120))
def test_shell_special_commands_verify_clean(tmp_path, command):
    assert pipeline(tmp_path, "web: x %s\n" % command)


# Valid by construction, so that every example goes the whole way to a decoded ExecStart=
# (arbitrary text, above, mostly ends in parser errors). What the parser accepts: names of
# letters, digits, '-' and '_' whose count variables differ; commands of anything but
# C0 control characters (tab aside), DEL and surrogates, not starting or ending in
# blanks; '#' comments, blank lines, any line ending.
SHELL_SPECIALS = list("$%\\\"'`;&|<>(){}[]*?~#!\t =@:,.-_") + ["{{UNIQUE_INT}}", "\\t", "%i", "$$"]
COMMAND_PIECE = st.one_of(
    st.sampled_from(SHELL_SPECIALS),
    st.characters(blacklist_categories=("Cs",), blacklist_characters="".join(
        chr(c) for c in list(range(0x20)) + [0x7F] if c != 0x09)))
COMMANDS = st.lists(COMMAND_PIECE, min_size=1, max_size=40).map(
    lambda pieces: "".join(pieces).strip(" \t")).filter(bool)
NAMES = st.from_regex(r"[A-Za-z0-9][A-Za-z0-9_-]{0,20}", fullmatch=True)


@st.composite
def procfiles(draw):
    entries = draw(st.lists(st.tuples(NAMES, COMMANDS), min_size=1, max_size=4,
                            unique_by=lambda entry: entry[0].replace("-", "_")))
    ending = draw(st.sampled_from(["\n", "\r\n", "\r"]))
    lines = []
    for name, command in entries:
        lines.extend(draw(st.lists(st.sampled_from(["", "# a comment", "  \t"]), max_size=1)))
        lines.append(name + draw(st.sampled_from([":", ": ", ":\t", " : "])) + command)
    return ending.join(lines) + draw(st.sampled_from([ending, ""])), entries


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(procfiles())
def test_every_command_reaches_the_shell_byte_for_byte(tmp_path, procfile):
    text, entries = procfile
    # No parser error allowed here: every example is valid, and all of it is checked.
    processes = parse(text)
    assert [(p["name"], p["command"]) for p in processes] == entries
    units = pipeline(tmp_path, text)
    assert len(units) == len([name for name, _command in entries if name != "release"])


# ------------------------------------------------------------------------ procfile_shell
BASH = shutil.which("bash")


def run_exec_start(unit_text, instance, tmp_path):
    """Run the unit's ExecStart= as systemd would start it (argv, the unit's environment),
    here, without systemd: what the command printed, and its exit status."""
    argv = exec_argv(unit_text, instance)
    env = {"PATH": "/usr/bin:/bin", "UNIQUE_INT": instance, "PS": "t." + instance}
    res = subprocess.run(argv, capture_output=True, cwd=str(tmp_path), env=env, check=False)
    return argv, res.returncode, res.stdout.decode("utf-8", "replace")


@pytest.mark.skipif(BASH is None, reason="bash is not installed")
@pytest.mark.parametrize("where", ["app", "type"])
def test_a_bash_only_command_runs_under_procfile_shell_bash(tmp_path, where):
    command = 'arr=(a b c); [[ ${arr[1]} == b ]] && echo "${arr[2]} $((RANDOM >= 0)) $0 $# $PORT"'
    process = parse("web: %s\n" % command)[0]
    if where == "app":
        text = render("shop", process, procfile_shell="/bin/bash")
    else:
        text = render("shop", process, {"web": {"shell": "/bin/bash"}})
    argv, rc, out = run_exec_start(text, "3", tmp_path)
    assert argv[:2] == ["/bin/bash", "-c"] and argv[3] == "bash" and argv[4] == command
    assert (rc, out) == (0, "c 1 bash 0 5003\n")
    assert verify(tmp_path, {"shop-web@.service": text}) == (0, "")


def test_the_same_command_fails_under_the_default_sh(tmp_path):
    process = parse("web: arr=(a b c); echo ${arr[1]}\n")[0]
    text = render("shop", process)
    argv, rc, out = run_exec_start(text, "3", tmp_path)
    assert argv[:2] == ["/bin/sh", "-c"] and argv[3] == "sh"
    assert rc != 0 and out == ""


def test_a_types_shell_wins_over_procfile_shell_and_others_keep_it():
    web, worker = parse("web: a\nworker: b\n")
    settings_ = {"web": {"shell": "/bin/sh"}}
    assert exec_argv(render("shop", web, settings_, procfile_shell="/bin/bash"), "1")[0] == "/bin/sh"
    assert exec_argv(render("shop", worker, settings_, procfile_shell="/bin/bash"), "1")[0] == "/bin/bash"


RELEASE_TEMPLATE = ENV.from_string((ROLE / "templates" / "release.service.j2").read_text())


@pytest.mark.parametrize("shell", ["/bin/sh", "/bin/bash"])
def test_the_release_runs_under_procfile_shell(shell):
    variables = dict(DEFAULTS, **ROLE_VARS)
    variables.update(procfile_app="shop", procfile_root="/srv/shop", _procfile_user="shop",
                     _procfile_group="shop", procfile_shell=shell, ansible_managed="x",
                     _procfile_release_process=[{"name": "release", "command": "migrate $X", "line": 1}],
                     _procfile_read={"procfile": "/srv/shop/Procfile"},
                     _procfile_env_file="/etc/procfile-systemd/shop/environment",
                     _procfile_target="shop.target")
    variables["_procfile_hardening_settings"] = derived("_procfile_hardening_settings", variables)
    text = RELEASE_TEMPLATE.render(**variables)
    assert "NoNewPrivileges=yes\nPrivateTmp=yes\nProtectSystem=full\n" in text
    assert exec_argv(text, "0") == [shell, "-c", "migrate $X"]


@pytest.mark.parametrize("hardening", [True, False])
def test_procfile_hardening_is_three_settings_or_none(hardening):
    [web] = parse("web: a\n")
    text = render("shop", web, procfile_hardening=hardening)
    lines = [line for line in text.splitlines()
             if line.split("=")[0] in ("NoNewPrivileges", "PrivateTmp", "ProtectSystem")]
    assert lines == (["NoNewPrivileges=yes", "PrivateTmp=yes", "ProtectSystem=full"] if hardening else [])


# ------------------------------------------------------------------ every value through unit_value
INJECTED = "/x\nExecStartPre=+/usr/bin/touch /root/pwned\n#"


@pytest.mark.parametrize("variable, value", [
    ("procfile_root", INJECTED),
    ("_procfile_env_file", INJECTED),
    ("_procfile_user", "shop\nExecStartPre=+/bin/true"),
    ("_procfile_group", "shop\nExecStartPre=+/bin/true"),
    ("procfile_shell", "/bin/sh\nExecStartPre=+/bin/true\n#"),
    ("procfile_process_settings", {"web": {"service": {"LimitNOFILE": "1\nExecStartPre=+/bin/true"}}}),
    ("procfile_process_settings", {"web": {"memory_max": "1G\nExecStartPre=+/bin/true"}}),
    ("procfile_process_settings", {"web": {"after": ["a.service\nExecStartPre=+/bin/true"]}}),
    ("procfile_process_settings", {"web": {"service": {"Slice": "x\\"}}}),
    ("_procfile_read", {"procfile": INJECTED + "/Procfile"}),
])
def test_a_line_break_in_any_value_fails_the_render_naming_it(variable, value):
    """The controller's checks refuse these first; the template is the last line: no value
    reaches a unit file with a line break that would start a setting of its own."""
    [web] = parse("web: serve\n")
    variables = dict(DEFAULTS, **ROLE_VARS)
    variables["_procfile_hardening_settings"] = derived("_procfile_hardening_settings", variables)
    variables.update(procfile_app="shop", procfile_root="/srv/shop", _procfile_user="shop",
                     _procfile_group="shop", procfile_process_settings={}, item=web,
                     _procfile_read={"procfile": "/srv/shop/Procfile"}, ansible_managed="x",
                     _procfile_target="shop.target",
                     _procfile_env_file="/etc/procfile-systemd/shop/environment")
    assert "ExecStartPre" not in TEMPLATE.render(**derive_paths(variables))
    variables[variable] = value
    with pytest.raises(Exception) as failed:
        TEMPLATE.render(**derive_paths(variables))
    assert "would end the unit file's line" in str(failed.value) or "backslash" in str(failed.value)


# ------------------------------------------------------------------- scheduled types (#31)
TIMER_TEMPLATE = ENV.from_string((ROLE / "templates" / "scheduled.timer.j2").read_text())
SCHEDULED_TEMPLATE = ENV.from_string((ROLE / "templates" / "scheduled.service.j2").read_text())


def render_scheduled(app, process, schedule, settings_=None, **role_vars):
    """The timer and the service of a scheduled type, as the unit_files lookup renders
    them (ITEM: the process with its `schedule`, the schedules filter's entry)."""
    variables = unit_variables(app, dict(process, schedule=schedule), settings_, **role_vars)
    return TIMER_TEMPLATE.render(**variables), SCHEDULED_TEMPLATE.render(**variables)


SCHEDULE = {"schedule": "*/15 * * * *", "calendar": "*-*-* *:00/15:00", "timeout": 600,
            "jitter": 0, "on": "first", "here": True}


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(COMMANDS)
def test_a_scheduled_types_command_reaches_the_shell_byte_for_byte(tmp_path, command):
    [process] = parse("report: %s\n" % command)
    timer, service = render_scheduled("shop", process, SCHEDULE)
    rc, out = verify(tmp_path, {"shop-report.timer": timer, "shop-report.service": service})
    assert rc == 0 and out == "", out
    argv = exec_argv(service, "unused")
    assert argv[:2] == ["/bin/sh", "-c"] and argv[3] == "sh" and len(argv) == 5, argv
    # No instance number: {{UNIQUE_INT}} is 0, as in the release phase.
    assert argv[4] == process["command"].replace("{{UNIQUE_INT}}", "0")


def test_a_scheduled_type_is_a_oneshot_service_started_by_its_persistent_timer():
    [process] = parse("report: rake report\n")
    timer, service = render_scheduled(
        "shop", process, dict(SCHEDULE, jitter=30),
        {"report": {"schedule": "*/15 * * * *", "stop_signal": "INT", "stop_timeout": 9}})
    lines = set(timer.splitlines())
    assert {"OnCalendar=*-*-* *:00/15:00", "Persistent=true", "AccuracySec=1s",
            "RandomizedDelaySec=30", "WantedBy=shop.target", "X-ProcfileApp=shop",
            "X-ProcfileType=report", "X-ProcfileSchedule=*/15 * * * *"} <= lines, timer
    lines = set(service.splitlines())
    assert {"Type=oneshot", "TimeoutStartSec=600", "KillMode=control-group", "KillSignal=SIGINT",
            "SuccessExitStatus=130", "TimeoutStopSec=9", "X-ProcfileApp=shop", "X-ProcfileType=report",
            "Environment=UNIQUE_INT=0 DYNO=report.scheduled PS=report.scheduled PROCFILE_APP=shop "
            "PROCFILE_TYPE=report", "WorkingDirectory=/srv/shop", "SyslogIdentifier=shop-report.scheduled",
            "StartLimitIntervalSec=0"} <= lines, service
    # Only its timer (or --tags run) starts it: never at boot by itself, never restarted.
    assert "[Install]" not in service and not any(line.startswith("Restart=") for line in lines)
    assert not any(line.startswith(("RandomizedDelaySec=", "RuntimeMaxSec=")) for line in service.splitlines())
    # No jitter: no RandomizedDelaySec= at all.
    timer, _service = render_scheduled("shop", process, SCHEDULE)
    assert "RandomizedDelaySec" not in timer


@pytest.mark.parametrize("schedule", [
    "Mon *-*-* 03:00:00\nExecStartPre=+/bin/sh -c id",
    "hourly\\",
])
def test_a_schedule_that_would_end_the_line_fails_the_render(schedule):
    [process] = parse("report: rake report\n")
    with pytest.raises(Exception, match="schedule"):
        render_scheduled("shop", process, dict(SCHEDULE, schedule=schedule, calendar=schedule))
