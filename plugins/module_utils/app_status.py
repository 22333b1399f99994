# -*- coding: utf-8 -*-
# Copyright: procfile.systemd contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What --tags status shows of an app on one host: every instance with its state, PID,
restarts, start time and memory, as data (the table of every host is made on the
controller: plugin_utils/status_table.py)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.procfile.systemd.plugins.module_utils.app_states import (
    present_instances,
    read_pause_record,
)
from ansible_collections.procfile.systemd.plugins.module_utils.systemctl import ACTIVE_STATES
from ansible_collections.procfile.systemd.plugins.module_utils.units import instance_name
from ansible_collections.procfile.systemd.plugins.module_utils.files import read_exact
from ansible_collections.procfile.systemd.plugins.module_utils.upstream import full_setting, members_in


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


def status(module, host, app, owned_types, unit_dir, state_file, wanted, upstreams=None):
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
    # Which instances the front proxy's list holds, as its file says (see upstream).
    proxies = dict((t, full_setting(app, t, u)) for t, u in (upstreams or {}).items()
                   if u and t in owned_types)
    listed = dict((t, members_in(read_exact(u["path"]), t)) for t, u in proxies.items())
    for r in rows:
        r["in_upstream"] = (r["unique_int"] in listed[r["type"]]) if r["type"] in listed else None
    running = dict((t, len([r for r in rows if r["type"] == t and r["state"] in ACTIVE_STATES]))
                   for t in owned_types)
    types = list(owned_types) + sorted(t for t in wanted if t not in owned_types)
    status = dict(app=app, deployed=bool(owned_types), paused=record is not None, types=[
        dict(type=t, wanted=wanted.get(t), running=running.get(t, 0)) for t in types],
        instances=rows, paused_record=record,
        upstreams=dict((t, dict(path=u["path"], name=u["name"], instances=listed[t]))
                       for t, u in proxies.items()))
    return dict(changed=False, status=status, types=owned_types,
                paused=record is not None)
