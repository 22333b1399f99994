# -*- coding: utf-8 -*-
# Copyright: procfile.systemd contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Scheduled process types on one host (issue #31): which timers the host keeps, their
calendars checked by systemd before the first write, and the systemctl steps that start,
pause, resume and remove them.

A scheduled type has a timer, <app>-<type>.timer, and the oneshot service it starts,
<app>-<type>.service, on the host its `schedule_on` chooses. What systemd does for it,
measured on systemd 252 and relied on here:
- a timer does not start its service again while a run is going: ticks missed during a
  run become one run right after it, never two at once (Type=oneshot: a manual start
  joins the running one);
- Persistent=true: a run due while the host was off or the timer stopped (paused) runs
  once when the timer starts again; its last run's time is a stamp file that outlives the
  unit, so removing a timer cleans it (`systemctl clean --what=state`) while the timer is
  still loaded, or a type scheduled again later would run at once;
- stopping or disabling a timer leaves a running job running: pause and remove stop the
  service too, which gets the type's stop signal.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import re

from ansible_collections.procfile.systemd.plugins.module_utils.systemctl import ACTIVE_STATES
from ansible_collections.procfile.systemd.plugins.module_utils.units import (
    scheduled_name,
    timer_name,
)

_ON_CALENDAR_RE = re.compile(r"^OnCalendar=(.*)$", re.M)
_SCHEDULE_RE = re.compile(r"^X-ProcfileSchedule=(.*)$", re.M)
_FAILED_RE = re.compile(r"Failed to parse calendar specification '(.*)'")


def kept(schedules, mine):
    """The scheduled types whose timer this host keeps (sorted): those SCHEDULES (the
    deploy's {type: here}) puts here, and those it leaves where they are (null, a limited
    run) that the host has. MINE: the app's scan_owned_units entry."""
    have = mine.get("scheduled", {})
    return sorted(t for t, here in (schedules or {}).items()
                  if here or (here is None and "timer" in have.get(t, {})))


def leaving(schedules, mine):
    """The scheduled types the host has units of that it does not keep: the type left the
    Procfile, lost its schedule, or its timer moved to another host."""
    keep = set(kept(schedules, mine)) | set(t for t, here in (schedules or {}).items() if here is None)
    return sorted(t for t in mine.get("scheduled", {}) if t not in keep)


def unit_names(app, types):
    """(timers, services) of TYPES."""
    return [timer_name(app, t) for t in types], [scheduled_name(app, t) for t in types]


def calendar_problems(module, files):
    """The timers among FILES ({path, content, type}) whose OnCalendar= systemd cannot use:
    one `systemd-analyze calendar` call for all, before the first write. Returns one
    message per bad timer, naming the variable, or []."""
    calendars = {}
    for f in files:
        if not f["path"].endswith(".timer"):
            continue
        found = _ON_CALENDAR_RE.search(f["content"])
        written = _SCHEDULE_RE.search(f["content"])
        if found:
            # unit_value doubled each % for systemd; the expression has them single.
            calendars[found.group(1).replace("%%", "%")] = (
                f.get("type"), written.group(1).replace("%%", "%") if written else found.group(1))
    if not calendars:
        return []
    analyze = module.get_bin_path("systemd-analyze", required=True)
    rc, out, err = module.run_command([analyze, "calendar", "--"] + sorted(calendars),
                                      environ_update={"LC_ALL": "C"})
    problems = []
    failed = set(_FAILED_RE.findall(err or ""))
    if rc != 0 and not failed:
        failed = set(calendars)
    never = set()
    original = None
    for line in (out or "").splitlines():
        key, _sep, value = line.strip().partition(": ")
        if key == "Original form":
            original = value
        elif key == "Next elapse" and value.strip() == "never" and original is not None:
            never.add(original)
    for calendar, (process_type, written) in sorted(calendars.items(), key=lambda kv: str(kv[1][0])):
        where = "procfile_process_settings[%r].schedule %r" % (process_type, written)
        if calendar in failed:
            problems.append("%s: systemd cannot parse %r as a calendar expression (see "
                            "systemd.time(7), e.g. hourly, *-*-* 03:00:00, Mon..Fri 09:00, "
                            "*:0/5)" % (where, calendar))
        elif calendar in never:
            problems.append("%s: %r never elapses (systemd-analyze calendar: next elapse "
                            "never); the job would never run" % (where, calendar))
    return problems


def unit_states(host, app, types):
    """One `systemctl show` of TYPES' timers and services: {unit: {ActiveState,
    UnitFileState}} (none asked for when TYPES is empty)."""
    timers, services = unit_names(app, types)
    return host.states(timers + services, "Id,ActiveState,UnitFileState", check=False) if types else {}


def stopping(app, types, states):
    """What stopping TYPES' timers takes, from STATES (unit_states'): {"stop": their
    timers and services that run, "disable": their timers that are enabled}."""
    timers, services = unit_names(app, types)
    return dict(stop=[u for u in timers + services
                      if states.get(u, {}).get("ActiveState") in ACTIVE_STATES + ("deactivating",)],
                disable=[u for u in timers if states.get(u, {}).get("UnitFileState") == "enabled"])


def plan(host, app, schedules, mine, paused):
    """What apply does to the scheduled types: {"timers": kept types, "enable": timers,
    "start": timers, "remove": types leaving, "stop": running units of those}."""
    keep = kept(schedules, mine)
    gone = leaving(schedules, mine)
    timers = unit_names(app, keep)[0]
    states = unit_states(host, app, keep + gone)
    if paused:
        enable, start = [], []
    else:
        enable = [u for u in timers if states.get(u, {}).get("UnitFileState") != "enabled"]
        start = [u for u in timers if states.get(u, {}).get("ActiveState") not in ACTIVE_STATES]
    files = [path for t in gone for key, path in sorted(mine["scheduled"][t].items())
             if key in ("timer", "service")]
    return dict(stopping(app, gone, states), timers=keep, enable=enable, start=start, remove=gone,
                files=files, clean=[timer_name(app, t) for t in gone if "timer" in mine["scheduled"][t]])


def remove_units(host, todo):
    """Stop, disable and delete the timers and services of TODO (a plan()'s, or a remove's
    with the same keys): timers first, so that no run starts while the job is stopped;
    the last-run stamps cleaned while the timers are still loaded."""
    if todo["stop"]:
        timers = [u for u in todo["stop"] if u.endswith(".timer")]
        services = [u for u in todo["stop"] if not u.endswith(".timer")]
        if timers:
            host.run("stop", "--", *timers)
        if services:
            # A running job gets its type's stop signal (and TimeoutStopSec to end).
            host.run("stop", "--", *services)
    if todo["disable"]:
        host.run("disable", "--quiet", "--", *todo["disable"])
    if todo["clean"]:
        # Best effort: an older systemd without `clean` keeps a stamp, nothing worse.
        host.run("clean", "--what=state", "--", *todo["clean"], check=False)
    for path in todo["files"]:
        if os.path.lexists(path):
            os.remove(path)
    if todo["files"]:
        host.run("daemon-reload")
    host.reset_failed([u for u in todo["stop"] if not u.endswith(".timer")])


def describe(app, types):
    return "".join("scheduled %s (%s)\n" % (t, timer_name(app, t)) for t in types)
