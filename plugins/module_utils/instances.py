# -*- coding: utf-8 -*-
# Copyright: procfile.systemd contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Instance numbering (UNIQUE_INT) and what a host has of an app, read from systemd.

An instance's number is its UNIQUE_INT: unique across all instances of one app on one
host, and stable. Scaling a type never renumbers another type's instances; new
instances take the lowest free numbers; scaling down removes a type's highest numbers.
The numbers in use are read from the host itself (the enabled instance symlinks), so
there is no second record that could drift from what systemd runs.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import io
import os
import re

from ansible_collections.procfile.systemd.plugins.module_utils.units import (
    MARKER_APP,
    MARKER_BASE_PORT,
    MARKER_SCHEDULE,
    MARKER_TYPE,
    MARKER_UPSTREAM,
    scheduled_name,
    target_name,
    template_name,
    timer_name,
)

_MARKER_RE = re.compile(r"^(X-Procfile[A-Za-z]+)=(.*)$", re.M)
INSTANCE_RE = re.compile(r"^(?P<prefix>.+)@(?P<number>[1-9][0-9]*)\.service\Z")


def allocate(current, wanted, order):
    """Numbers per type after scaling from CURRENT ({type: [n]}) to WANTED ({type: count}).

    ORDER is the order in which types get new numbers (the Procfile's). Types absent
    from WANTED keep nothing. Returns {type: sorted numbers}.
    """
    kept = {}
    for process_type in order:
        have = sorted(current.get(process_type, []))
        kept[process_type] = have[:wanted.get(process_type, 0)]
    used = set(n for numbers in kept.values() for n in numbers)
    result = {}
    candidate = 1
    for process_type in order:
        numbers = list(kept[process_type])
        while len(numbers) < wanted.get(process_type, 0):
            while candidate in used:
                candidate += 1
            numbers.append(candidate)
            used.add(candidate)
        result[process_type] = sorted(numbers)
    return result


def read_markers(path):
    """The X-Procfile* keys of a unit file, or None when it carries none.

    Read as UTF-8, as units.py's text is written (files.write_atomic), whatever the
    locale: in the locale's encoding a unit whose command is not ASCII was not found
    under LANG=C (a decode error), and a marker value came back as mojibake under
    Latin-1."""
    try:
        with io.open(path, encoding="utf-8") as handle:
            text = handle.read(65536)
    except (IOError, OSError, UnicodeDecodeError):
        return None
    markers = dict(_MARKER_RE.findall(text))
    return markers or None


def scan_owned_units(unit_dir):
    """Every unit file in UNIT_DIR that procfile.systemd wrote, by app.

    Returns {app: {"templates": {type: path}, "target": path or None,
    "base_port": int or None, "upstreams": {type: setting},
    "scheduled": {type: {"timer": path, "service": path, "schedule": text}} (either file
    may be missing after an interrupted run), "other": [paths]}}.
    """
    apps = {}
    try:
        names = sorted(os.listdir(unit_dir))
    except OSError:
        return apps
    for name in names:
        path = os.path.join(unit_dir, name)
        if not name.endswith((".service", ".target", ".timer")) or not os.path.isfile(path) \
                or os.path.islink(path):
            continue
        markers = read_markers(path)
        if not markers or MARKER_APP not in markers:
            continue
        app = markers[MARKER_APP]
        entry = apps.setdefault(app, {"templates": {}, "target": None, "base_port": None,
                                      "upstreams": {}, "scheduled": {}, "other": []})
        process_type = markers.get(MARKER_TYPE)
        if name == target_name(app):
            entry["target"] = path
        elif process_type and name == template_name(app, process_type):
            entry["templates"][process_type] = path
            if markers.get(MARKER_UPSTREAM):
                entry["upstreams"][process_type] = dict(
                    word.partition("=")[::2] for word in markers[MARKER_UPSTREAM].split())
            try:
                entry["base_port"] = int(markers.get(MARKER_BASE_PORT, ""))
            except ValueError:
                pass
        elif process_type and name == timer_name(app, process_type):
            scheduled = entry["scheduled"].setdefault(process_type, {})
            scheduled.update(timer=path, schedule=markers.get(MARKER_SCHEDULE, ""))
        elif process_type and name == scheduled_name(app, process_type):
            entry["scheduled"].setdefault(process_type, {})["service"] = path
        else:
            entry["other"].append(path)
    return apps


def instances_by_type(app, types, unit_names):
    """{type: set of numbers} of the instance units among UNIT_NAMES of APP's TYPES.

    Matching the whole prefix "<app>-<type>" (never a glob) keeps app shop from taking
    app shop-admin's units for its own.
    """
    prefixes = dict(("%s-%s" % (app, t), t) for t in types)
    found = dict((t, set()) for t in types)
    for name in unit_names:
        match = INSTANCE_RE.match(name)
        if match and match.group("prefix") in prefixes:
            found[prefixes[match.group("prefix")]].add(int(match.group("number")))
    return found


def enabled_instances(unit_dir, app, types):
    """{type: [numbers]} of this app's instances enabled in <app>.target.wants."""
    try:
        names = os.listdir(os.path.join(unit_dir, target_name(app) + ".wants"))
    except OSError:
        names = []
    return dict((t, sorted(ns)) for t, ns in instances_by_type(app, types, names).items())


def ports(base_port, numbers):
    return set(base_port + n for n in numbers)
