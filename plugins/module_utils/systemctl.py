# -*- coding: utf-8 -*-
# Copyright: procfile.systemd contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one place that knows how to ask systemd: every systemctl call of the modules."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.procfile.systemd.plugins.module_utils.units import scheduled_name, timer_name

ACTIVE_STATES = ("active", "activating", "reloading")
# What --tags status reads of a scheduled type, its timer's and its service's properties
# in one `systemctl show` (a property a unit does not have is simply not printed).
# Timestamps are read as systemd formats them ("Tue 2026-12-08 00:28:55 UTC") in UTC
# (see UTC): `--timestamp=unix` needs systemd 251 and, up to 257, does not apply to the
# timer's LastTriggerUSec and NextElapseUSecRealtime anyway. A run's duration comes from
# the monotonic pair, in microseconds on every version.
SCHEDULE_PROPERTIES = ("Id,ActiveState,SubState,UnitFileState,Result,"
                       "ExecMainStartTimestamp,ExecMainExitTimestamp,"
                       "ExecMainStartTimestampMonotonic,ExecMainExitTimestampMonotonic,"
                       "ExecMainCode,ExecMainStatus,InvocationID,"
                       "LastTriggerUSec,NextElapseUSecRealtime")
# systemctl formats times in the zone TZ names (the host's by default): UTC0, the POSIX
# spelling, needs no zone data.
UTC = {"TZ": "UTC0"}


class Systemctl(object):
    """The systemctl calls the modules make: a few per run, never one per instance."""

    def __init__(self, module):
        self.module = module
        self.systemctl = module.get_bin_path("systemctl", required=True)

    def run(self, *args, **kwargs):
        """systemctl ARGS; a failure fails the module, naming the call, unless
        CHECK=False, where it returns None. ENVIRON: variables for this call only."""
        argv = [self.systemctl] + list(args)
        if kwargs.get("environ"):
            rc, out, err = self.module.run_command(argv, environ_update=kwargs["environ"])
        else:
            rc, out, err = self.module.run_command(argv)
        if rc != 0:
            if not kwargs.get("check", True):
                return None
            self.module.fail_json(msg="systemctl %s failed (rc %d): %s"
                                  % (" ".join(args), rc, (err or out).strip()))
        return out

    def reset_failed(self, units):
        """Forget units that a stop timeout's SIGKILL left failed (they were stopped on
        purpose). Best effort: a unit systemd has already unloaded is no error."""
        if units:
            self.module.run_command([self.systemctl, "reset-failed", "--"] + list(units))

    def _listed(self, pattern):
        """{unit: (LoadState, ActiveState, SubState)} of the units systemd has loaded that
        match PATTERN, from one `list-units` call."""
        out = self.run("list-units", "--all", "--plain", "--no-legend", "--full", pattern)
        units = {}
        for line in out.splitlines():
            # The failed-unit bullet, should a systemd print it despite --plain.
            fields = [f for f in line.split() if f != "\u25cf"]
            if len(fields) > 3:
                units[fields[0]] = tuple(fields[1:4])
        return units

    def loaded_instances(self, app):
        """{unit: {LoadState, ActiveState, SubState}} of the instance units under this app's
        name prefix that systemd has loaded, in one call.

        A unit systemd has not loaded neither runs nor holds outdated settings, so nothing
        more needs asking about it. Asking `systemctl show` about a unit loads it: for 100
        new instances that alone took 0.45 s of a deploy (a D-Bus round trip and a unit
        load each), against a few milliseconds for this listing.
        """
        return dict((unit, dict(LoadState=load, ActiveState=active, SubState=sub))
                    for unit, (load, active, sub) in self._listed("%s-*@*.service" % app).items())

    def one_offs(self, app):
        """The app's one-off commands (procfile-run's transient <app>-run-<N>.service)
        still running or stopping. Only digits after -run-: app shop-run's own units
        (shop-run-web@1.service) are not shop's."""
        name = re.compile(r"^%s-run-[0-9]+\.service$" % re.escape(app))
        return sorted(unit for unit, (_load, active, _sub) in self._listed("%s-run-*.service" % app).items()
                      if name.match(unit) and active in ("active", "activating", "deactivating"))

    def active_instances(self, app, loaded=None):
        """Instance units of this app's name prefix that run (or are being started).

        A unit that systemd merely has loaded (inactive, not enabled) is not an instance.
        """
        loaded = self.loaded_instances(app) if loaded is None else loaded
        return [u for u, s in sorted(loaded.items())
                if s["ActiveState"] in ACTIVE_STATES + ("deactivating",)]

    def status(self, units):
        """Everything `--tags status` shows, in one call."""
        return self.states(units, "Id,ActiveState,SubState,UnitFileState,MainPID,NRestarts,"
                                  "ActiveEnterTimestamp,MemoryCurrent")

    def schedules(self, app, types):
        """{type: {"timer": {property: value}, "service": {property: value}}} of APP's
        scheduled TYPES, in one `systemctl show` of their timers and services (see
        SCHEDULE_PROPERTIES); {} without a call when there are none. A report: a failed
        call is an empty answer."""
        units = [name(app, t) for t in types for name in (timer_name, scheduled_name)]
        shown = self.states(units, SCHEDULE_PROPERTIES, check=False, environ=UTC)
        return dict((t, dict(timer=shown.get(timer_name(app, t), {}),
                             service=shown.get(scheduled_name(app, t), {}))) for t in types)

    def states(self, units, properties=None, check=True, environ=None):
        """{unit: {property: value}} in one call (which loads each unit it asks about).
        With CHECK=False a failed call is an empty answer (for reports, not decisions)."""
        if not units:
            return {}
        out = self.run("show", "--property=" + (properties or "Id,ActiveState,UnitFileState,"
                                                "LoadState,MainPID,NeedDaemonReload"), "--", *units,
                       check=check, environ=environ)
        if out is None:
            return {}
        states = {}
        for block, unit in zip(out.strip().split("\n\n"), units):
            props = dict(line.split("=", 1) for line in block.splitlines() if "=" in line)
            states[props.get("Id") or unit] = props
        return states
