# -*- coding: utf-8 -*-
# Copyright: procfile.systemd contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters the procfile.systemd role renders and validates with (documented in *.yml)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.errors import AnsibleFilterError

from ansible_collections.procfile.systemd.plugins.module_utils import dyno, units
from ansible_collections.procfile.systemd.plugins.module_utils.health import full_check
from ansible_collections.procfile.systemd.plugins.plugin_utils import controller, schedule, validate
from ansible_collections.procfile.systemd.plugins.plugin_utils import log_stream as _log_stream
from ansible_collections.procfile.systemd.plugins.plugin_utils import status_table as _status_table


def exec_command(command, instance="%i"):
    try:
        return units.exec_command(str(command), instance)
    except ValueError as exc:
        raise AnsibleFilterError(str(exc))


def env_file_value(value):
    try:
        return units.env_file_value(str(value))
    except ValueError as exc:
        raise AnsibleFilterError(str(exc))


def app_errors(app, paths=None):
    """The app name's problems, and with PATHS ({variable: value}) the path variables'."""
    return validate.app_errors(app) + (validate.path_variable_errors(paths) if paths is not None else [])


def input_errors(inputs):
    return validate.validate(
        inputs["app"], inputs["root"], inputs["user"], inputs["group"], inputs["allow_root"],
        inputs["environment"], inputs["settings"], inputs["after"], inputs["types"],
        inputs.get("defaults"), inputs.get("shell", "/bin/sh"), inputs.get("paths"))


def release_errors(inputs):
    """The problems of procfile_source, procfile_source_exclude, procfile_keep_releases,
    procfile_revision (as a release's name) and procfile_rollback_to."""
    return validate.release_errors(
        inputs["root"], inputs["source"], inputs["exclude"], inputs["keep"], inputs["revision"],
        inputs["rollback_to"], inputs["writable_dirs"])


def unit_value(value, variable, specifiers=False):
    """VALUE as the value of a unit file setting (see units.unit_value); a value that
    cannot be one fails the render, naming VARIABLE."""
    try:
        return units.unit_value(value, specifiers=specifiers)
    except ValueError as exc:
        raise AnsibleFilterError("%s %r: %s" % (variable, value, exc))


def instance_counts(types, scale, count_values, default, maximum, scheduled=()):
    # A scheduled type has no instances: procfile_scale may name it (ignored, with the
    # schedules filter's warning when above 1).
    if isinstance(scale, dict):
        scale = dict((t, n) for t, n in scale.items() if t not in scheduled)
    counts, errors = validate.counts(list(types), scale, count_values, default, maximum)
    return {"counts": counts, "errors": errors}


def health_checks(types, defaults, settings):
    """{type: check} for the types whose merged settings have a health_check.

    TYPES None means "whatever types the host runs" (a restart does not read the Procfile):
    then every type the settings name gets its entry, None where it turns the check off,
    and "*" stands for the others with the defaults' check.
    """
    default = (defaults or {}).get("health_check")
    if types is None:
        checks = dict((t, full_check(s.get("health_check", default)))
                      for t, s in (settings or {}).items() if isinstance(s, dict))
        if default:
            checks["*"] = full_check(default)
        return checks
    checks = {}
    for t in types:
        check = (settings or {}).get(t, {}).get("health_check", default)
        if check:
            checks[t] = full_check(check)
    return checks


def max_unavailable(types, defaults, settings):
    """{type: max_unavailable} for the types whose merged settings set one; like
    health_checks, null TYPES gives the named types and "*" for the others."""
    default = (defaults or {}).get("max_unavailable")
    named = dict((t, s.get("max_unavailable", default)) for t, s in (settings or {}).items()
                 if isinstance(s, dict))
    if types is None:
        # A named type's null stays: the built-in rule, not the default's value.
        if default is not None:
            named["*"] = default
        return named
    return dict((t, named.get(t, default)) for t in types
                if named.get(t, default) is not None)


def upstreams(settings):
    """{type: upstream} for the types procfile_process_settings gives a front-proxy list."""
    return dict((t, s["upstream"]) for t, s in (settings or {}).items()
                if isinstance(s, dict) and s.get("upstream"))


def shells(settings, shell, by="variable"):
    """Every shell the units run commands with: SHELL (procfile_shell) and each type's
    own in SETTINGS (procfile_process_settings). BY "variable": {variable: path}, to name
    the setting in a message; BY "type": {type: path}, "*" for the other types."""
    found = {"procfile_shell": shell} if by == "variable" else {"*": shell}
    for t, values in sorted((settings or {}).items()):
        if isinstance(values, dict) and values.get("shell"):
            found["procfile_process_settings[%r].shell" % t if by == "variable" else t] = \
                values["shell"]
    return found


def schedules(settings, defaults, types, hostname, play_hosts, inventory_hosts, limited=False,
              scale=None, count_values=None):
    """The scheduled types and where their timers live (plugin_utils/schedule.py).
    SCALE (procfile_scale) and COUNT_VALUES ({type: its <type>_count}) only for the
    warning about a count that a scheduled type ignores."""
    types = list(types)
    counts = {}
    for t in types:
        if isinstance(scale, dict) and t in scale:
            counts[t] = ("procfile_scale[%r]" % t, scale[t])
        elif (count_values or {}).get(t) not in (None, validate.UNSET):
            counts[t] = ("%s_count" % t, count_values[t])
    return schedule.schedules(settings, defaults, types, hostname, list(play_hosts),
                              list(inventory_hosts), bool(limited), counts)


def signal_number(signal):
    """The Linux number of a stop signal (TERM, without SIG), from units.STOP_SIGNALS."""
    numbers = dict(units.STOP_SIGNALS)
    if signal not in numbers:
        raise AnsibleFilterError("stop signal %r: one of %s" % (signal, ", ".join(numbers)))
    return numbers[signal]


def lock_is_stale(holder, timeout):
    return controller.lock_is_stale(holder, timeout)


def lock_left(hosts_vars):
    names = []
    for host_vars in hosts_vars:
        install = host_vars.get("__procfile_install")
        # Refused before the lock, or another run holds it: nothing of this run's to give back.
        if not isinstance(install, dict) or not install.get("lock_tried") or install.get("acquired") is False:
            continue
        nonce = (install.get("lock") or {}).get("nonce")
        apply = host_vars.get("__procfile_apply")
        if nonce and isinstance(apply, dict) and apply.get("unlocked_nonce") == nonce:
            continue
        names.append(host_vars.get("inventory_hostname"))
    return names


def instances_summary(hosts, app, results):
    lines = []
    for host, result in zip(hosts, results):
        if not isinstance(result, dict) or "instances" not in result:
            continue
        if result.get("paused"):
            lines.append("%s: %s" % (host, result.get("msg", "")))
        lines.append("%s: %s: %s" % (host, app, ", ".join(
            ["%s=%s" % (name, ",".join(str(n) for n in numbers))
             for name, numbers in result["instances"].items()]
            # A scheduled type: its timer is on this host.
            + ["%s=timer" % name for name in result.get("timers") or []]) or "nothing"))
    return lines


def log_stream(outputs, joined=False):
    if not isinstance(outputs, dict):
        raise AnsibleFilterError("log_stream takes {host: journalctl --output=json text}, not %r"
                                 % type(outputs).__name__)
    lines = _log_stream.log_stream(outputs)
    return "\n".join(lines) if joined else lines


def status_table(statuses, joined=False):
    if not isinstance(statuses, dict):
        raise AnsibleFilterError("status_table takes {host: procfile_status's status}, not %r"
                                 % type(statuses).__name__)
    try:
        lines = _status_table.status_table(statuses)
    except (KeyError, TypeError, AttributeError) as exc:
        raise AnsibleFilterError("status_table: not procfile_status data (%s: %s)"
                                 % (type(exc).__name__, exc))
    return "\n".join(lines) if joined else lines


def dyno_units(status, selector="", elsewhere=()):
    """{units, errors}: the journal --unit patterns of SELECTOR (a type, an instance in the
    dyno form `worker.2`, or "" for every type) in STATUS, procfile_status's data of one
    host; errors name the types and instances the host has. A scheduled type selects its
    service (<app>-<type>.service: each run is one of its invocations); "" selects the
    scheduled types' services too. ELSEWHERE: the types scheduled on the play's other
    hosts, which a host without their timer has nothing of (no error, no unit)."""
    app = status["app"]
    present = dict((t["type"], []) for t in status["types"])
    for row in status["instances"]:
        present.setdefault(row["type"], []).append(row["unique_int"])
    scheduled = [r["type"] for r in status.get("scheduled") or []]
    if selector and selector in scheduled:
        return {"units": [units.scheduled_name(app, selector)], "errors": []}
    if selector and selector in elsewhere and selector not in present:
        # Scheduled on another host of the play (schedule_on): nothing of it here, no error.
        return {"units": [], "errors": []}
    chosen, errors = dyno.select(app, [selector] if selector else [], present)
    if scheduled:
        # The message ends with what the host has: its scheduled types belong there.
        errors = [e[:-1] + "; scheduled types: %s)" % ", ".join(scheduled) if e.endswith(")") else e
                  for e in errors]
    selected = []
    for process_type in (t for t in present if t in chosen):
        if selector and dyno.parse(selector)[1] is not None:
            selected += [units.instance_name(app, process_type, n) for n in chosen[process_type]]
        else:
            # <app>-<type>@*.service matches this app's instances only: no other app may own
            # a template of that name.
            selected.append("%s-%s@*.service" % (app, process_type))
    if not selector:
        selected += [units.scheduled_name(app, t) for t in scheduled]
    return {"units": selected, "errors": errors}


class FilterModule(object):
    def filters(self):
        return {
            "exec_command": exec_command,
            "env_file_value": env_file_value,
            "input_errors": input_errors,
            "app_errors": app_errors,
            "release_errors": release_errors,
            "unit_value": unit_value,
            "instance_counts": instance_counts,
            "lock_is_stale": lock_is_stale,
            "instances_summary": instances_summary,
            "lock_left": lock_left,
            "health_checks": health_checks,
            "max_unavailable": max_unavailable,
            "upstreams": upstreams,
            "shells": shells,
            "schedules": schedules,
            "signal_number": signal_number,
            "status_table": status_table,
            "log_stream": log_stream,
            "dyno_units": dyno_units,
        }
