# -*- coding: utf-8 -*-
# Copyright: procfile.systemd contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What --tags status shows of an app on one host: every instance with its state, PID,
restarts, start time, memory, version and health, as data (the table of every host is
made on the controller: plugin_utils/status_table.py)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.procfile.systemd.plugins.module_utils.app_states import (
    present_instances,
    read_pause_record,
    stale,
)
from ansible_collections.procfile.systemd.plugins.module_utils.health import check_now
from ansible_collections.procfile.systemd.plugins.module_utils.proc import START_SLACK, start_time
from ansible_collections.procfile.systemd.plugins.module_utils.scheduled_runs import scheduled_rows
from ansible_collections.procfile.systemd.plugins.module_utils.systemctl import ACTIVE_STATES
from ansible_collections.procfile.systemd.plugins.module_utils.units import instance_name
from ansible_collections.procfile.systemd.plugins.module_utils.files import read_exact
from ansible_collections.procfile.systemd.plugins.module_utils.upstream import full_setting, members_in
from ansible_collections.procfile.systemd.plugins.module_utils.versions import (
    current,
    read_history,
    version_at,
)


def human_bytes(value):
    try:
        number = int(value)
    except (TypeError, ValueError):
        return "-"
    if number >= 2 ** 63:  # systemd's "not available"
        return "-"
    for unit in ("B", "K", "M", "G"):
        if number < 1024 or unit == "G":
            return ("%d%s" % (number, unit)) if unit == "B" else ("%.1f%s" % (number, unit))
        number /= 1024.0
    return "-"


def versions_and_health(host, app, rows, states, templates=None, versions_file=None, code_file=None,
                        env_file=None, checks=None, base_port=5000):
    """Each row gets `version` (the one in force when its main process started, from the
    history procfile_install keeps; None when unknown or not running), `old` (it started
    before its template, the environment file or the code stamp last changed: what the
    next deploy restarts, see app_states.stale) and, for a type with a health check,
    `health` ("passing" or "failing", probed once now; None otherwise) with `health_error`
    (HOST, the Systemctl, tells whose the instances' ports are: see health.PortOwners).
    Returns the host's current version (the history's last), or None."""
    history = read_history(versions_file) if versions_file else []
    by_type = {}
    for r in rows:
        by_type.setdefault(r["type"], []).append(r["unit"])
    # The files a deploy compares start times with (the same test): a type whose template
    # is gone (removed while paused) is compared with the others only.
    old = set(stale(states, by_type, templates or {}, env_file, code_file))
    active = {}
    for r in rows:
        if r["state"] in ACTIVE_STATES:
            active.setdefault(r["type"], []).append(r["unique_int"])
    # Only instances systemd says are up: a stopped one's port may be anyone's.
    probed = check_now(host, app, base_port, active, checks) if checks else {}
    for r in rows:
        started = start_time(r["main_pid"]) if r["main_pid"] else None
        r["version"] = version_at(history, started, START_SLACK) if history else None
        r["old"] = r["unit"] in old
        healthy, why = probed.get(r["unit"], (None, None))
        r["health"] = None if healthy is None else ("passing" if healthy else "failing")
        r["health_error"] = why
    return current(history)


def status(module, host, app, owned_types, unit_dir, state_file, wanted, upstreams=None,
           templates=None, versions_file=None, code_file=None, env_file=None, checks=None,
           base_port=5000, scheduled=None):
    """The module's result; TEMPLATES to CHECKS and BASE_PORT: see versions_and_health.
    SCHEDULED: the scheduled types on the host, scan_owned_units' {type: {"schedule":
    ...}}, each a row of status["scheduled"] (see schedules.scheduled_row)."""
    record = read_pause_record(module, state_file)
    present = present_instances(host, app, owned_types, unit_dir)
    numbers = dict((t, set(present[t]) | set((record or {}).get(t, []))) for t in owned_types)
    units = [(t, n, instance_name(app, t, n)) for t in owned_types for n in sorted(numbers[t])]
    states = host.status([u for _t, _n, u in units])
    rows = []
    for t, n, unit in units:
        s = states.get(unit, {})
        rows.append(dict(unit=unit, type=t, unique_int=n, state=s.get("ActiveState", "unknown"),
                         sub_state=s.get("SubState", ""), enabled=s.get("UnitFileState", ""),
                         main_pid=int(s.get("MainPID") or 0), restarts=int(s.get("NRestarts") or 0),
                         since=s.get("ActiveEnterTimestamp") or "",
                         memory=human_bytes(s.get("MemoryCurrent"))))
    version = versions_and_health(host, app, rows, states, templates, versions_file, code_file,
                                  env_file, checks, base_port)
    # Which instances the front proxy's list holds, as its file says (see upstream).
    proxies = dict((t, full_setting(app, t, u)) for t, u in (upstreams or {}).items()
                   if u and t in owned_types)
    listed = dict((t, members_in(read_exact(u["path"]), t)) for t, u in proxies.items())
    for r in rows:
        r["in_upstream"] = (r["unique_int"] in listed[r["type"]]) if r["type"] in listed else None
    running = dict((t, len([r for r in rows if r["type"] == t and r["state"] in ACTIVE_STATES]))
                   for t in owned_types)
    types = list(owned_types) + sorted(t for t in wanted if t not in owned_types)
    scheduled = scheduled or {}
    # An app whose only types are scheduled is deployed all the same.
    status = dict(app=app, deployed=bool(owned_types or scheduled), paused=record is not None, types=[
        dict(type=t, wanted=wanted.get(t), running=running.get(t, 0)) for t in types],
        version=version, instances=rows, paused_record=record,
        upstreams=dict((t, dict(path=u["path"], name=u["name"], instances=listed[t]))
                       for t, u in proxies.items()),
        scheduled=scheduled_rows(host, app, scheduled))
    return dict(changed=False, status=status, types=owned_types,
                paused=record is not None)
