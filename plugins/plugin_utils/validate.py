# -*- coding: utf-8 -*-
# Copyright: procfile.systemd contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Validation of the role's inputs, run on the controller before anything is changed
(controller code: the host paths' rule, which a module needs too, is module_utils/paths.py).

Every function returns a list of messages, each naming the variable and the rule, so
that the preflight check can show all problems at once instead of the first only.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.procfile.systemd.plugins.module_utils.health import CHECK_DEFAULTS
from ansible_collections.procfile.systemd.plugins.module_utils.paths import (
    PATH_RE,
    normalized_path_errors,
    path_errors,
)
from ansible_collections.procfile.systemd.plugins.module_utils.procfile_parse import count_variable
from ansible_collections.procfile.systemd.plugins.module_utils.roll import max_unavailable_error
from ansible_collections.procfile.systemd.plugins.module_utils.upstream import upstream_errors
from ansible_collections.procfile.systemd.plugins.plugin_utils import schedule
from ansible_collections.procfile.systemd.plugins.module_utils.units import (
    APP_RE,
    ENV_NAME_RE,
    STOP_SIGNALS,
)

MAX_APP_LENGTH = 64
USER_RE = re.compile(r"^[a-z_][a-z0-9_-]{0,31}\Z")
UNIT_RE = re.compile(r"^[A-Za-z0-9:_.\\-]+(@[A-Za-z0-9:_.\\-]*)?\.(service|socket|target|mount|"
                     r"path|timer|slice|scope|device|swap|automount)\Z")
SERVICE_KEY_RE = re.compile(r"^[A-Z][A-Za-z0-9]+\Z")
MEMORY_RE = re.compile(r"^([0-9]+[KMGT]?|[0-9]{1,2}%|100%|infinity)\Z")
SIGNALS = tuple(name for name, _number in STOP_SIGNALS)
RESERVED_ENV = ("PORT", "UNIQUE_INT", "DYNO", "PS", "PROCFILE_APP", "PROCFILE_TYPE")
SETTING_KEYS = ("stop_signal", "stop_timeout", "restart_sec", "memory_max", "nice", "after",
                "service", "health_check", "max_unavailable", "upstream", "shell", "schedule",
                "schedule_on", "schedule_timeout", "schedule_jitter")
# The shells a command may run under: the unit's wrapper (trap, $((...)), eval, set --)
# is POSIX shell, and these are the POSIX shells Debian and Ubuntu ship. bash is what
# Heroku runs Procfile commands with; sh (dash) is the default here.
SHELL_NAMES = ("sh", "bash", "dash")
HEALTH_KEYS = ("path", "timeout", "status")
HEALTH_PATH_RE = re.compile(r"^/[\x21-\x7e]*\Z")
# Settings that the role writes itself, from the options above or by design.
MANAGED_SERVICE_KEYS = ("ExecStart", "User", "Group", "WorkingDirectory", "EnvironmentFile",
                        "Environment", "Restart", "KillMode", "Type")
COUNT_RE = re.compile(r"^[0-9]+\Z")
# What the role's vars lookup returns for a <type>_count variable that is not defined.
UNSET = "__procfile_unset__"


def _is_int(value):
    return isinstance(value, int) and not isinstance(value, bool)


def app_errors(app):
    if not isinstance(app, str) or not app:
        return ["procfile_app is required: the app's name, the prefix of its units"]
    if len(app) > MAX_APP_LENGTH or not APP_RE.match(app):
        return ["procfile_app %r: use lowercase letters, digits and '-', starting with a "
                "letter or digit, at most %d characters" % (app, MAX_APP_LENGTH)]
    return []


# The path variables of the host (procfile_root is checked by validate itself), each
# written into unit files, systemd-run arguments or root's file operations: one control
# character or unit-syntax character there is a unit line of the variable's author's
# choosing (issue: a config dir of "/etc/x\nExecStartPre=+/bin/sh ..." ran as root).
HOST_PATHS = ("procfile_root", "procfile_home", "procfile_config_dir", "procfile_state_dir",
              "procfile_unit_dir", "procfile_lock_dir", "procfile_run_command_path")
# May be left empty: no home for an existing user, no root for --tags remove.
OPTIONAL_PATHS = ("procfile_root", "procfile_home")
CONTROL_RE = re.compile(r"[\x00-\x1f\x7f]")


def path_variable_errors(paths):
    """PATHS: {variable: value} of the role's path variables (see HOST_PATHS), plus
    procfile_writable_dirs (a list) and procfile_status_file (the controller's, may be
    relative or empty). One message per variable that fails, naming it; checked before
    the first change of every operation that writes with them."""
    if not isinstance(paths, dict):
        return ["path variables must be given as a dict of variable to value"]
    errors = []
    for variable in HOST_PATHS:
        if variable in paths:
            errors += normalized_path_errors(variable, paths[variable],
                                             optional=variable in OPTIONAL_PATHS)
    dirs = paths.get("procfile_writable_dirs", [])
    if not isinstance(dirs, list):
        errors.append("procfile_writable_dirs must be a list of absolute paths, not %s"
                      % type(dirs).__name__)
    else:
        for index, path in enumerate(dirs):
            errors += normalized_path_errors("procfile_writable_dirs[%d]" % index, path)
    status_file = paths.get("procfile_status_file", "")
    if not isinstance(status_file, str) or CONTROL_RE.search(status_file):
        errors.append("procfile_status_file %r: a path on the controller without control "
                      "characters (line breaks, tabs, NUL)" % (status_file,))
    return errors


def account_errors(variable, name, allow_root):
    if not isinstance(name, str) or not USER_RE.match(name):
        return ["%s %r: a user or group name of lowercase letters, digits, '_' and '-', "
                "starting with a letter or '_', at most 32 characters" % (variable, name)]
    if name == "root" and not allow_root:
        return ["%s is root: processes run as root only with procfile_allow_root: true"
                % variable]
    return []


def parse_count(value):
    """A count as an int, or None when it is not a whole non-negative number."""
    if _is_int(value):
        return value if value >= 0 else None
    if isinstance(value, str) and COUNT_RE.match(value.strip()):
        return int(value.strip())
    return None


def counts(types, scale, count_values, default, maximum):
    """Wanted instance count per type, and the errors found.

    TYPES: the Procfile's process types (release excluded); SCALE: procfile_scale;
    COUNT_VALUES: {type: value of its <type>_count variable, or None (or UNSET) when
    undefined}.
    """
    errors = []
    result = {}
    if not isinstance(scale, dict):
        return {}, ["procfile_scale must be a dict of process type to count"]
    unknown = sorted(set(scale) - set(types))
    for name in unknown:
        errors.append("procfile_scale names %r, which the Procfile does not have (types: %s)"
                      % (name, ", ".join(types) or "none"))
    default_count = parse_count(default)
    if default_count is None:
        errors.append("procfile_default_count %r: a whole number >= 0" % (default,))
    for t in types:
        variable = count_variable(t)
        if t in scale:
            source, raw = "procfile_scale[%r]" % t, scale[t]
        elif count_values.get(t) not in (None, UNSET):
            source, raw = variable, count_values[t]
        else:
            source, raw = "procfile_default_count", default
        number = parse_count(raw)
        if number is None:
            errors.append("%s is %r: a count must be a whole number >= 0 (not negative, a "
                          "float, a boolean or text)" % (source, raw))
            continue
        if number > maximum:
            errors.append("%s is %d: more than procfile_max_count (%d) instances of one type"
                          % (source, number, maximum))
            continue
        result[t] = number
    return result, errors


def environment_errors(environment):
    if not isinstance(environment, dict):
        return ["procfile_environment must be a dict of variable name to value"]
    errors = []
    for name, value in sorted(environment.items(), key=lambda kv: str(kv[0])):
        if not isinstance(name, str) or not ENV_NAME_RE.match(name):
            errors.append("procfile_environment name %r: a shell variable name (letters, "
                          "digits, '_', not starting with a digit)" % (name,))
            continue
        if name in RESERVED_ENV:
            errors.append("procfile_environment.%s: set by procfile.systemd for every "
                          "instance; it cannot be overridden" % name)
        if isinstance(value, (dict, list)) or value is None:
            errors.append("procfile_environment.%s: the value must be text or a number, "
                          "not %s" % (name, type(value).__name__))
        elif "\x00" in str(value):
            errors.append("procfile_environment.%s: the value contains a NUL byte" % name)
    return errors


def settings_errors(settings, types):
    """procfile_process_settings: {type: {setting: value}}."""
    if not isinstance(settings, dict):
        return ["procfile_process_settings must be a dict of process type to settings"]
    errors = []
    for t, values in sorted(settings.items()):
        where = "procfile_process_settings[%r]" % t
        if t not in types:
            errors.append("%s: the Procfile has no type %r (types: %s)"
                          % (where, t, ", ".join(types)))
            continue
        if not isinstance(values, dict):
            errors.append("%s must be a dict of settings" % where)
            continue
        errors.extend(setting_errors(where, values))
        if values.get("schedule") is not None:
            errors.extend(schedule.type_name_errors(where, t))
    return errors


def setting_errors(where, values):
    errors = []
    for key in sorted(set(values) - set(SETTING_KEYS)):
        errors.append("%s.%s: unknown setting (known: %s)" % (where, key, ", ".join(SETTING_KEYS)))
    if "stop_signal" in values and str(values["stop_signal"]).upper().replace("SIG", "", 1) \
            not in SIGNALS:
        errors.append("%s.stop_signal %r: one of %s" % (where, values["stop_signal"],
                                                        ", ".join(SIGNALS)))
    if "stop_timeout" in values and not (_is_int(values["stop_timeout"])
                                         and 1 <= values["stop_timeout"] <= 86400):
        errors.append("%s.stop_timeout %r: whole seconds from 1 to 86400"
                      % (where, values["stop_timeout"]))
    if "restart_sec" in values:
        value = values["restart_sec"]
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 3600:
            errors.append("%s.restart_sec %r: seconds from 0 to 3600" % (where, value))
    if values.get("memory_max") is not None and not MEMORY_RE.match(str(values["memory_max"])):
        errors.append("%s.memory_max %r: bytes with an optional K, M, G or T suffix, a "
                      "percentage, or infinity" % (where, values["memory_max"]))
    if values.get("nice") is not None and not (_is_int(values["nice"]) and -20 <= values["nice"] <= 19):
        errors.append("%s.nice %r: a whole number from -20 to 19" % (where, values["nice"]))
    if "after" in values:
        errors.extend(after_errors(where + ".after", values["after"]))
    if values.get("health_check") is not None:
        errors.extend(health_check_errors(where + ".health_check", values["health_check"]))
    errors.extend(schedule.setting_errors(where, values, in_defaults=where == "procfile_process_defaults"))
    for key, elsewhere, check in TYPE_ONLY_SETTINGS:
        if values.get(key) is None:
            continue
        if where == "procfile_process_defaults":
            errors.append("procfile_process_defaults.%s: %s" % (key, elsewhere))
        else:
            errors.extend(check(where + "." + key, values[key]))
    problem = max_unavailable_error(values.get("max_unavailable"))
    if problem:
        errors.append("%s.max_unavailable %r: %s" % (where, values["max_unavailable"], problem))
    if "service" in values:
        service = values["service"]
        if not isinstance(service, dict):
            errors.append("%s.service must be a dict of [Service] settings" % where)
        else:
            for key, value in sorted(service.items()):
                if not isinstance(key, str) or not SERVICE_KEY_RE.match(key):
                    errors.append("%s.service: %r is not a systemd setting name" % (where, key))
                elif key in MANAGED_SERVICE_KEYS:
                    errors.append("%s.service.%s: written by procfile.systemd itself; use the "
                                  "role's variables instead" % (where, key))
                elif isinstance(value, (dict, list)) or any(c in str(value) for c in "\n\r\x00"):
                    errors.append("%s.service.%s: the value must be one line of text" % (where, key))
    return errors


def health_check_errors(where, check):
    """health_check: {path: /health, timeout: 60, status: 200}; null switches it off."""
    if not isinstance(check, dict):
        return ["%s must be a dict with path, timeout and status (or null for none)" % where]
    errors = ["%s.%s: unknown key (known: %s)" % (where, key, ", ".join(HEALTH_KEYS))
              for key in sorted(set(check) - set(HEALTH_KEYS))]
    path = check.get("path", CHECK_DEFAULTS["path"])
    if not isinstance(path, str) or not HEALTH_PATH_RE.match(path):
        errors.append("%s.path %r: a URL path starting with '/', printable ASCII without "
                      "spaces" % (where, path))
    timeout = check.get("timeout", CHECK_DEFAULTS["timeout"])
    if not (_is_int(timeout) and 1 <= timeout <= 3600):
        errors.append("%s.timeout %r: whole seconds from 1 to 3600" % (where, timeout))
    status = check.get("status")
    if status is not None and not (_is_int(status) and 100 <= status <= 599):
        errors.append("%s.status %r: an HTTP status code (default: any 2xx or 3xx)"
                      % (where, status))
    return errors


def shell_errors(variable, shell):
    """procfile_shell, or a type's shell: an absolute path to sh, bash or dash. Whether the
    host has it is checked on the host, before the first change (see app_install)."""
    if isinstance(shell, str) and PATH_RE.match(shell) and "/." not in shell \
            and shell.rsplit("/", 1)[1] in SHELL_NAMES:
        return []
    return ["%s %r: the absolute path of a POSIX shell the commands run under, named %s "
            "(e.g. /bin/sh, /bin/bash)" % (variable, shell, ", ".join(SHELL_NAMES))]


# The settings that are one process type's own: in procfile_process_defaults, an error
# that says where they go; in procfile_process_settings[<type>], checked by the function.
TYPE_ONLY_SETTINGS = (
    ("upstream", "a front proxy's list is one process type's; set it in "
                 "procfile_process_settings[<type>]", upstream_errors),
    ("shell", "the app's shell is procfile_shell; set a type's own in "
              "procfile_process_settings[<type>].shell", shell_errors),
)


def after_errors(variable, units):
    if not isinstance(units, list):
        return ["%s must be a list of unit names" % variable]
    return ["%s: %r is not a systemd unit name (e.g. redis-server.service)" % (variable, u)
            for u in units if not isinstance(u, str) or not UNIT_RE.match(u)]


def validate(app, root, user, group, allow_root, environment, settings, after, types,
             defaults=None, shell="/bin/sh", paths=None):
    """All the checks that need no count values; returns a list of messages. PATHS: the
    other path variables (see path_variable_errors)."""
    errors = app_errors(app)
    errors += shell_errors("procfile_shell", shell)
    if paths is not None:
        errors += path_variable_errors(dict((k, v) for k, v in paths.items()
                                            if k != "procfile_root"))
    if defaults is not None:
        errors += setting_errors("procfile_process_defaults", defaults) if isinstance(
            defaults, dict) else ["procfile_process_defaults must be a dict of settings"]
    errors += path_errors("procfile_root", root)
    errors += account_errors("procfile_user", user, allow_root)
    errors += account_errors("procfile_group", group, allow_root)
    errors += environment_errors(environment)
    errors += settings_errors(settings, types)
    errors += after_errors("procfile_after", after)
    errors += upstream_clashes(settings)
    return errors


def upstream_clashes(settings):
    """Two types cannot share one upstream file (each would overwrite the other's list)."""
    paths = {}
    for t, values in sorted((settings or {}).items()) if isinstance(settings, dict) else []:
        upstream = values.get("upstream") if isinstance(values, dict) else None
        if isinstance(upstream, dict) and isinstance(upstream.get("path"), str):
            paths.setdefault(upstream["path"], []).append(t)
    return ["procfile_process_settings: types %s share the upstream file %s; give each its own"
            % (" and ".join(ts), path) for path, ts in sorted(paths.items()) if len(ts) > 1]


def release_errors(root, source, exclude, keep, revision, rollback_to, writable_dirs):
    """The release variables' problems (procfile_source and the variables that go with
    it), each naming its variable: checked on the controller before the first change."""
    from ansible_collections.procfile.systemd.plugins.module_utils.release import revision_error
    errors = []
    if not isinstance(source, str):
        errors.append("procfile_source must be a path on the controller (a directory or a "
                      ".tar.gz), or empty")
    if not isinstance(exclude, list) or not all(isinstance(p, str) and p.strip("/") for p in exclude):
        errors.append("procfile_source_exclude must be a list of glob patterns (.git, *.pyc, "
                      "log/*.log), none empty")
    if not _is_int(keep) or keep < 1:
        errors.append("procfile_keep_releases %r: a whole number of releases to keep, 1 or more"
                      % (keep,))
    for variable, value in (("procfile_revision", revision), ("procfile_rollback_to", rollback_to)):
        if value not in ("", None) and (source or variable == "procfile_rollback_to"):
            problem = revision_error(str(value))
            if problem:
                errors.append("%s: %s" % (variable, problem))
    if source and isinstance(root, str) and root:
        for d in writable_dirs or []:
            for inside in (root + "/releases", root + "/current"):
                if isinstance(d, str) and (d == inside or d.startswith(inside + "/")):
                    errors.append("procfile_writable_dirs entry %r is inside %s: a release is "
                                  "never writable by the app; keep its data outside releases/ "
                                  "(e.g. %s/shared or /var/lib/<app>)" % (d, inside, root))
    return errors
