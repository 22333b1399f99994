"""The role's input checks: each names the variable and the rule."""

import pytest

from ansible_collections.procfile.systemd.plugins.plugin_utils import validate
from ansible_collections.procfile.systemd.plugins.plugin_utils.validate import UNSET

TYPES = ["web", "worker", "worker-beat"]


def counts(scale=None, values=None, default=1, maximum=1000):
    return validate.counts(TYPES, scale or {}, values or {}, default, maximum)


def test_count_precedence():
    result, errors = counts({"web": 2}, {"web": 9, "worker": "3", "worker-beat": UNSET})
    assert errors == []
    assert result == {"web": 2, "worker": 3, "worker-beat": 1}


@pytest.mark.parametrize("value, message", [
    (-1, "worker_count is -1: a count must be a whole number >= 0"),
    (2.5, "worker_count is 2.5"),
    ("3.0", "worker_count is '3.0'"),
    (True, "worker_count is True"),
    ("lots", "worker_count is 'lots'"),
    ([3], "worker_count is [3]"),
    (1001, "worker_count is 1001: more than procfile_max_count (1000)"),
])
def test_bad_counts(value, message):
    result, errors = counts(values={"worker": value})
    assert any(e.startswith(message) for e in errors), errors


def test_scale_for_unknown_type():
    result, errors = counts({"cron": 1})
    assert errors == ["procfile_scale names 'cron', which the Procfile does not have "
                      "(types: web, worker, worker-beat)"]


@pytest.mark.parametrize("app", ["", "Shop", "-shop", "shop_app", "shop/x", "a" * 65, "sh op",
                                 "shop\n"])
def test_bad_app(app):
    assert validate.app_errors(app)


@pytest.mark.parametrize("path", ["", "relative", "/", "/srv/../etc", "/srv/./x", "/srv/a b",
                                  "/srv/$x", "/srv/100%", "/srv/a\nb", "-x"])
def test_bad_root(path):
    assert validate.path_errors("procfile_root", path)


@pytest.mark.parametrize("user", ["root", "-x", "a b", "us@r", "a/b", "A", "x" * 33, "a\n"])
def test_bad_user(user):
    assert validate.account_errors("procfile_user", user, False)


def test_root_allowed_explicitly():
    assert validate.account_errors("procfile_user", "root", True) == []


def test_environment():
    assert validate.environment_errors({"GOOD_1": "x", "_X": 1}) == []
    errors = validate.environment_errors({"1BAD": "x", "BAD-NAME": "x", "PORT": "1",
                                          "LIST": [1], "NUL": "a\x00"})
    assert len(errors) == 5
    assert "procfile_environment.PORT: set by procfile.systemd" in " ".join(errors)


def test_settings():
    ok = {"worker": {"stop_signal": "TSTP", "stop_timeout": 25, "restart_sec": 0.5,
                     "memory_max": "512M", "nice": 5, "after": ["redis-server.service"],
                     "service": {"LimitNOFILE": 4096}}}
    assert validate.settings_errors(ok, TYPES) == []
    bad = {"cron": {}, "web": {"stop_signal": "BOGUS", "stop_timeout": 0, "restart_sec": -1,
                               "memory_max": "lots", "nice": 40, "after": ["not a unit"],
                               "service": {"ExecStart": "/bin/evil", "Foo": "a\nb"},
                               "colour": "red"}}
    errors = validate.settings_errors(bad, TYPES)
    assert len(errors) == 10, errors
    text = "\n".join(errors)
    for needle in ("the Procfile has no type 'cron'", "stop_signal 'BOGUS'", "stop_timeout 0",
                   "restart_sec -1", "memory_max 'lots'", "nice 40", "'not a unit'",
                   "service.ExecStart: written by procfile.systemd", "service.Foo: the value",
                   "colour: unknown setting"):
        assert needle in text


def test_health_check_setting():
    from ansible_collections.procfile.systemd.plugins.plugin_utils.validate import setting_errors
    assert setting_errors("s", {"health_check": {"path": "/up", "timeout": 5, "status": 204}}) == []
    assert setting_errors("s", {"health_check": None}) == []
    errors = setting_errors("s", {"health_check": {"path": "up x", "timeout": 0, "status": 99,
                                                   "verb": "POST"}})
    assert any("s.health_check.verb: unknown key" in e for e in errors)
    assert any("s.health_check.path 'up x'" in e for e in errors)
    assert any("s.health_check.timeout 0" in e for e in errors)
    assert any("s.health_check.status 99" in e for e in errors)
    assert setting_errors("s", {"health_check": "/up"}) == [
        "s.health_check must be a dict with path, timeout and status (or null for none)"]


def test_health_checks_filter_merges_defaults_and_settings():
    from ansible_collections.procfile.systemd.plugins.filter.procfile import health_checks
    assert health_checks(["web", "worker"], {"health_check": None},
                         {"web": {"health_check": {"path": "/up"}}}) == {
        "web": {"path": "/up", "timeout": 60, "status": None}}
    assert health_checks(["web"], {"health_check": {"timeout": 5}}, {}) == {
        "web": {"path": "/", "timeout": 5, "status": None}}
    assert health_checks(["web"], {"health_check": {"timeout": 5}}, {"web": {"health_check": None}}) == {}


def test_health_checks_filter_for_unknown_types_keeps_the_default_apart():
    from ansible_collections.procfile.systemd.plugins.filter.procfile import health_checks
    default = {"path": "/", "timeout": 5, "status": None}
    assert health_checks(None, {"health_check": {"timeout": 5}},
                         {"clock": {"health_check": None}, "web": {"nice": 5},
                          "api": {"health_check": {"path": "/up"}}}) == {
        "clock": None, "web": default, "api": {"path": "/up", "timeout": 60, "status": None},
        "*": default}
    assert health_checks(None, {"health_check": None}, {"web": {"nice": 5}}) == {"web": None}
    assert health_checks(None, {}, {}) == {}


def test_max_unavailable_setting():
    from ansible_collections.procfile.systemd.plugins.plugin_utils.validate import setting_errors
    assert setting_errors("s", {"max_unavailable": "25%"}) == []
    assert setting_errors("s", {"max_unavailable": 2}) == []
    assert setting_errors("s", {"max_unavailable": None}) == []
    assert setting_errors("s", {"max_unavailable": 0}) == [
        "s.max_unavailable 0: a number of instances, 1 or more (0 would never restart)"]
    assert setting_errors("s", {"max_unavailable": "150%"}) == [
        "s.max_unavailable '150%': a percentage from 1% to 100%"]


def test_max_unavailable_filter():
    from ansible_collections.procfile.systemd.plugins.filter.procfile import max_unavailable
    assert max_unavailable(["web", "worker"], {"max_unavailable": None},
                           {"web": {"max_unavailable": "50%"}}) == {"web": "50%"}
    assert max_unavailable(["web", "worker"], {"max_unavailable": 2},
                           {"web": {"max_unavailable": None}}) == {"worker": 2}
    # A restart does not know the types: named ones apart, "*" for the others.
    assert max_unavailable(None, {"max_unavailable": 2},
                           {"web": {"max_unavailable": None}, "clock": {"nice": 1}}) == {
        "web": None, "clock": 2, "*": 2}
    assert max_unavailable(None, {}, {}) == {}


@pytest.mark.parametrize("shell", ["/bin/sh", "/bin/bash", "/usr/bin/bash", "/bin/dash"])
def test_shells_the_wrapper_runs_under(shell):
    assert validate.shell_errors("procfile_shell", shell) == []
    assert validate.setting_errors("procfile_process_settings['web']", {"shell": shell}) == []


@pytest.mark.parametrize("shell", ["bash", "/bin/zsh", "/usr/bin/python3", "/bin/bash -e",
                                   "/bin/sh;reboot", "/opt/../bin/sh", "/bin/", "", None, 3,
                                   "/bin/$SHELL", "/usr/bin/fish"])
def test_other_shells_are_refused_naming_the_variable(shell):
    assert validate.shell_errors("procfile_shell", shell) == [
        "procfile_shell %r: the absolute path of a POSIX shell the commands run under, named "
        "sh, bash, dash (e.g. /bin/sh, /bin/bash)" % (shell,)]


def test_a_types_shell_is_checked_and_defaults_cannot_set_it():
    errors = validate.settings_errors({"web": {"shell": "/bin/zsh"}}, TYPES)
    assert errors == ["procfile_process_settings['web'].shell '/bin/zsh': the absolute path "
                      "of a POSIX shell the commands run under, named sh, bash, dash (e.g. "
                      "/bin/sh, /bin/bash)"]
    assert validate.setting_errors("procfile_process_defaults", {"shell": "/bin/bash"}) == [
        "procfile_process_defaults.shell: the app's shell is procfile_shell; set a type's "
        "own in procfile_process_settings[<type>].shell"]
    assert validate.setting_errors("procfile_process_defaults", {"shell": None}) == []


def test_validate_checks_procfile_shell():
    args = ("shop", "/srv/shop", "shop", "shop", False, {}, {}, [], TYPES)
    assert validate.validate(*args) == []
    assert validate.validate(*args, shell="/bin/bash") == []
    assert validate.validate(*args, shell="/bin/zsh") == validate.shell_errors(
        "procfile_shell", "/bin/zsh")


def test_shells_filter_names_the_variable_of_each_shell():
    from ansible_collections.procfile.systemd.plugins.filter.procfile import shells
    assert shells({}, "/bin/sh") == {"procfile_shell": "/bin/sh"}
    assert shells({"web": {"shell": "/bin/bash"}, "worker": {"nice": 5},
                   "clock": {"shell": None}}, "/bin/sh") == {
        "procfile_shell": "/bin/sh", "procfile_process_settings['web'].shell": "/bin/bash"}


def test_missing_shells_on_the_host(tmp_path):
    from ansible_collections.procfile.systemd.plugins.module_utils.policy import missing_shells
    script = tmp_path / "sh"
    script.write_text("#!/bin/sh\n")
    script.chmod(0o644)
    assert missing_shells({"procfile_shell": "/bin/sh"}) is None
    problem = missing_shells({"procfile_shell": "/bin/sh",
                              "procfile_process_settings['web'].shell": str(tmp_path / "bash"),
                              "procfile_process_settings['x'].shell": str(script)})
    assert problem == dict(
        msg="procfile_process_settings['web'].shell %r: this host has no such shell (install "
            "it, or choose another); procfile_process_settings['x'].shell %r: this host has no "
            "such shell (install it, or choose another). Nothing was changed on this host."
            % (str(tmp_path / "bash"), str(script)),
        missing_shells={"procfile_process_settings['web'].shell": str(tmp_path / "bash"),
                        "procfile_process_settings['x'].shell": str(script)})
    assert missing_shells({"procfile_shell": str(tmp_path)}) is not None


def test_shells_filter_by_type():
    from ansible_collections.procfile.systemd.plugins.filter.procfile import shells
    assert shells({"web": {"shell": "/bin/bash"}, "worker": {}}, "/bin/sh", by="type") == {
        "*": "/bin/sh", "web": "/bin/bash"}


def test_bash_sets_random_and_others_itself_but_sh_does_not():
    from ansible_collections.procfile.systemd.plugins.module_utils.procfile_parse import parse
    from ansible_collections.procfile.systemd.plugins.module_utils.shell_variables import (
        undefined_variables)
    processes = parse("release: exit $(($RANDOM % 2))\nweb: echo $BASH_VERSION $NOPE\n")
    assert undefined_variables(processes, {}) == {"release": ["RANDOM"],
                                                  "web": ["BASH_VERSION", "NOPE"]}
    assert undefined_variables(processes, {}, {"*": "/bin/bash"}) == {"web": ["NOPE"]}
    assert undefined_variables(processes, {}, {"*": "/bin/sh", "web": "/usr/bin/bash"}) == {
        "release": ["RANDOM"], "web": ["NOPE"]}


# ------------------------------------------------------------------ the path variables
INJECTION = "/etc/procfile-x\nExecStartPre=+/usr/bin/touch /root/pwned\n#"
PATHS = dict(procfile_root="/srv/shop", procfile_home="/var/lib/shop",
             procfile_writable_dirs=["/var/lib/shop-data"], procfile_config_dir="/etc/procfile-systemd",
             procfile_state_dir="/var/lib/procfile-systemd", procfile_unit_dir="/etc/systemd/system",
             procfile_lock_dir="/run/procfile-systemd", procfile_run_command_path="/usr/local/sbin/procfile-run",
             procfile_status_file="")


def test_the_defaults_pass():
    assert validate.path_variable_errors(PATHS) == []


@pytest.mark.parametrize("variable", sorted(set(PATHS) - {"procfile_writable_dirs"}))
@pytest.mark.parametrize("bad", [INJECTION, "/etc/x\r", "/etc/x\x00", "/etc/\x1bx", "/etc/x\x7f"])
def test_a_control_character_in_any_path_variable_is_refused_naming_it(variable, bad):
    errors = validate.path_variable_errors(dict(PATHS, **{variable: bad}))
    assert len(errors) == 1 and errors[0].startswith("%s %r" % (variable, bad)), errors


@pytest.mark.parametrize("bad", [INJECTION, "relative", "/a/../b", "/a/./b", "/a//b", "/a/b/",
                                 "/", "/a b", "/a%ib", "/a\\b", "/a$b", "/a'b"])
def test_a_writable_dir_that_is_not_a_plain_normalized_path_is_refused_naming_its_index(bad):
    errors = validate.path_variable_errors(dict(PATHS, procfile_writable_dirs=["/ok", bad]))
    assert len(errors) == 1 and errors[0].startswith("procfile_writable_dirs[1] %r" % bad), errors


@pytest.mark.parametrize("variable", validate.HOST_PATHS)
@pytest.mark.parametrize("bad", ["etc", "/etc/../root", "/etc//x", "/etc/x/", "/etc/%n", "/etc/a\\"])
def test_host_paths_are_absolute_normalized_and_plain(variable, bad):
    errors = validate.path_variable_errors(dict(PATHS, **{variable: bad}))
    assert len(errors) == 1 and errors[0].startswith("%s %r" % (variable, bad)), errors


def test_a_normalized_form_is_suggested():
    assert validate.path_variable_errors(dict(PATHS, procfile_state_dir="/var//lib/x/")) == [
        "procfile_state_dir '/var//lib/x/': a normalized path (no '//', no trailing '/'): /var/lib/x"]


def test_root_and_home_may_be_empty_the_others_not():
    assert validate.path_variable_errors(dict(PATHS, procfile_root="", procfile_home="")) == []
    assert validate.path_variable_errors(dict(PATHS, procfile_config_dir=""))[0].startswith(
        "procfile_config_dir is required")


def test_the_status_file_is_the_controllers_and_may_be_relative():
    assert validate.path_variable_errors(dict(PATHS, procfile_status_file="out/status.json")) == []


def test_writable_dirs_must_be_a_list():
    assert validate.path_variable_errors(dict(PATHS, procfile_writable_dirs="/var/lib/x")) == [
        "procfile_writable_dirs must be a list of absolute paths, not str"]


def test_validate_checks_the_paths_it_is_given_once_each():
    errors = validate.validate("shop", "/srv/shop", "shop", "shop", False, {}, {}, [], [],
                               paths=dict(PATHS, procfile_config_dir=INJECTION))
    assert len(errors) == 1 and errors[0].startswith("procfile_config_dir")
