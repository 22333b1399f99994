# -*- coding: utf-8 -*-
# Copyright: procfile.systemd contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What one app may do on a host beside other apps: unit names, ports, backing units.

Each check returns a problem (a message and its details) or None; the callers decide
to fail, before anything on the host has changed.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

from ansible_collections.procfile.systemd.plugins.module_utils.instances import (
    enabled_instances,
    ports,
)
from ansible_collections.procfile.systemd.plugins.module_utils.units import (
    release_name,
    scheduled_name,
    target_name,
    template_name,
    timer_name,
)


def owned_paths(entry):
    """Every unit file of one app's scan_owned_units entry."""
    scheduled = [path for files in entry.get("scheduled", {}).values()
                 for key, path in sorted(files.items()) if key in ("timer", "service")]
    return (list(entry["templates"].values()) + [entry["target"]] + scheduled
            + entry["other"])


def unit_name_conflict(app, types, owned, unit_dir, scheduled=()):
    """A unit name APP needs that another app, or a hand-written file, already has.

    SCHEDULED: the types whose timer and service this host gets. App shop's scheduled
    type report-release would be app shop-report's release unit (clarification 7)."""
    wanted = [template_name(app, t) for t in types] + [target_name(app), release_name(app)] + [
        name for t in scheduled for name in (timer_name(app, t), scheduled_name(app, t))]
    for name in wanted:
        path = os.path.join(unit_dir, name)
        if not os.path.lexists(path):
            continue
        owner = None
        for other, entry in owned.items():
            if path in owned_paths(entry):
                owner = other
        if owner == app:
            continue
        if owner is not None:
            other_type = [t for t, p in owned[owner]["templates"].items() if p == path] + [
                t for t, files in owned[owner].get("scheduled", {}).items() if path in files.values()]
            return dict(
                msg="unit name clash: %s already belongs to app '%s'%s; app '%s' cannot use "
                    "it. Rename a process type or an app." % (
                        path, owner, " (type '%s')" % other_type[0] if other_type else "", app),
                conflict=path, owner=owner)
        return dict(
            msg="%s exists and was not written by procfile.systemd for app '%s' (no "
                "X-ProcfileApp=%s marker); refusing to overwrite or remove it." % (path, app, app),
            conflict=path, owner=None)
    return None


def port_clash(app, base_port, after, owned, unit_dir):
    """PORTs APP would hand out that another app on the host already does (README: ports)."""
    mine = ports(base_port, [n for numbers in after.values() for n in numbers])
    for other, entry in sorted(owned.items()):
        if other == app or entry["base_port"] is None:
            continue
        theirs_by_type = enabled_instances(unit_dir, other, list(entry["templates"]))
        theirs = ports(entry["base_port"], [n for ns in theirs_by_type.values() for n in ns])
        clash = sorted(mine & theirs)
        if clash:
            return dict(
                msg="PORT clash on this host: app '%s' would use port(s) %s, which app '%s' "
                    "already uses (its procfile_base_port is %d). Give the apps base ports "
                    "far enough apart." % (app, ", ".join(str(p) for p in clash[:10]), other,
                                           entry["base_port"]),
                ports=clash, other_app=other)
    return None


def missing_shells(shells):
    """The shells the units would run commands with that this host lacks: {variable: path}
    in, the problem out. systemd would only find out at the first start, with every unit
    already written and the old instances stopped."""
    missing = dict((variable, path) for variable, path in sorted(shells.items())
                   if not (os.path.isfile(path) and os.access(path, os.X_OK)))
    if not missing:
        return None
    return dict(msg="; ".join("%s %r: this host has no such shell (install it, or choose "
                              "another)" % (variable, path)
                              for variable, path in sorted(missing.items()))
                + ". Nothing was changed on this host.",
                missing_shells=missing)


def missing_after_units(systemctl, units):
    """Backing services named in procfile_after that the host does not have (ordering
    after them would mean nothing), with the message to give."""
    states = systemctl.states(sorted(set(units)), "Id,LoadState")
    missing = [u for u, s in sorted(states.items()) if s.get("LoadState") != "loaded"]
    if not missing:
        return None
    return dict(msg="procfile_after names unit(s) this host does not have: %s. The processes "
                    "would start without waiting for them." % ", ".join(missing),
                missing_units=missing)
