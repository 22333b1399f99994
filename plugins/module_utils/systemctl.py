# -*- coding: utf-8 -*-
# Copyright: procfile.systemd contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one place that knows how to ask systemd: every systemctl call of the modules."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

ACTIVE_STATES = ("active", "activating", "reloading")


class Systemctl(object):
    """The systemctl calls the modules make: a few per run, never one per instance."""

    def __init__(self, module):
        self.module = module
        self.systemctl = module.get_bin_path("systemctl", required=True)

    def run(self, *args, **kwargs):
        """systemctl ARGS; a failure fails the module, naming the call, unless
        CHECK=False, where it returns None."""
        rc, out, err = self.module.run_command([self.systemctl] + list(args))
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

    def states(self, units, properties=None, check=True):
        """{unit: {property: value}} in one call (which loads each unit it asks about).
        With CHECK=False a failed call is an empty answer (for reports, not decisions)."""
        if not units:
            return {}
        out = self.run("show", "--property=" + (properties or "Id,ActiveState,UnitFileState,"
                                                "LoadState,MainPID,NeedDaemonReload"), "--", *units,
                       check=check)
        if out is None:
            return {}
        states = {}
        for block, unit in zip(out.strip().split("\n\n"), units):
            props = dict(line.split("=", 1) for line in block.splitlines() if "=" in line)
            states[props.get("Id") or unit] = props
        return states
